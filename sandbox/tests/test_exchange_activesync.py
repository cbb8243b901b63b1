"""Exchange ActiveSync access in the sandbox: organisation settings, device access rules and mobile device mailbox
policies through the InvokeCommand gateway; each partnership's access state recomputed in Exchange's order
(the mailbox's own lists, then block / quarantine / allow rules, then the default access level); the errors for
duplicates and unknown identities; paging and $select; the directory role the gateway checks."""

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import Client
from tenantguard_sandbox.exchange_activesync import access_of
from tenantguard_sandbox.testing import running_sandbox

CONTOSO = Path(__file__).resolve().parents[1] / "seeds" / "contoso.json"
EXCHANGE = "https://outlook.office365.com/.default"
OUTLOOK = "Outlook for iOS and Android"
ALEX_EAS = "5853AB3B1B145EAA9785B5BB7C10404F"


@pytest.fixture
def exo(tmp_path):
    with running_sandbox(tmp_path / "sb", seed=str(CONTOSO)) as sb:
        yield Client(sb, sb.token(scope=EXCHANGE))


def run(exo, cmdlet, parameters=None, query="", headers=None):
    url = "https://localhost:%d/adminapi/beta/%s/InvokeCommand%s" % (exo.sb.port, exo.sb.tenant_id, query)
    return exo.post(url, json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}},
                    allow_redirects=False, headers=headers)


def rows(exo, cmdlet, parameters=None):
    response = run(exo, cmdlet, parameters)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def error_text(response):
    return response.json()["error"]["innererror"]["internalexception"]["message"]


def states(exo):
    return {d["DeviceId"]: (d["DeviceAccessState"], d["DeviceAccessStateReason"], d.get("DeviceAccessControlRule"))
            for d in rows(exo, "Get-MobileDevice", {"ResultSize": "Unlimited"})}


def test_default_access_level_quarantines_existing_and_new_partnerships(exo):
    settings = rows(exo, "Get-ActiveSyncOrganizationSettings")[0]
    assert settings["Identity"] == "Mobile Mailbox Settings" and settings["DefaultAccessLevel"] == "Allow"
    assert settings["AdminMailRecipients"] == []
    bad = run(exo, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "Deny"})
    assert bad.status_code == 400 and "Allow, Block, Quarantine" in error_text(bad)
    assert rows(exo, "Get-ActiveSyncOrganizationSettings")[0]["DefaultAccessLevel"] == "Allow"
    # PowerShell matches enum values without regard to case and accepts a unique prefix
    rows(exo, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "quar",
                                                     "AdminMailRecipients": ["admin@contoso.onmicrosoft.com"]})
    settings = rows(exo, "Get-ActiveSyncOrganizationSettings")[0]
    assert settings["DefaultAccessLevel"] == "Quarantine"
    assert settings["AdminMailRecipients"] == ["admin@contoso.onmicrosoft.com"]
    assert set(states(exo).values()) == {("Quarantined", "Global", None)}
    # a partnership that syncs for the first time is quarantined too
    exo.sb.seed({"exchangeMobileDevices": [{
        "Guid": "0b7f3b8e-4d1d-4c57-9d43-2f8c4a1e9c11", "DeviceId": "NEWDEVICE0001", "DeviceModel": "Pixel 9",
        "DeviceType": "Android", "ClientType": "EAS",
        "Identity": "alex\\ExchangeActiveSyncDevices\\Android\u00a7NEWDEVICE0001"}]})
    assert states(exo)["NEWDEVICE0001"] == ("Quarantined", "Global", None)
    bad = run(exo, "Set-ActiveSyncOrganizationSettings", {"AdminMailRecipients": ["not an address"]})
    assert bad.status_code == 400 and "not an address" in error_text(bad)


def test_rules_decide_in_exchanges_order(exo):
    rows(exo, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "Block"})
    created = rows(exo, "New-ActiveSyncDeviceAccessRule", {"QueryString": OUTLOOK, "Characteristic": "DeviceModel",
                                                            "AccessLevel": "Allow"})
    assert created[0]["Identity"] == "%s (DeviceModel)" % OUTLOOK
    seen = states(exo)
    outlook = [s for s in seen.values() if s[1] == "DeviceRule"]
    assert len(outlook) == 4 and set(outlook) == {("Allowed", "DeviceRule", "%s (DeviceModel)" % OUTLOOK)}
    assert seen[ALEX_EAS] == ("Blocked", "Global", None)
    # quarantine beats allow, block beats quarantine, whatever the characteristic
    rows(exo, "New-ActiveSyncDeviceAccessRule", {"QueryString": "iPhone", "Characteristic": "DeviceModel",
                                                 "AccessLevel": "Allow"})
    assert states(exo)[ALEX_EAS] == ("Allowed", "DeviceRule", "iPhone (DeviceModel)")
    iphone = rows(exo, "Get-MobileDevice", {"Identity": ALEX_EAS})[0]
    rows(exo, "New-ActiveSyncDeviceAccessRule", {"QueryString": iphone["DeviceType"], "Characteristic": "DeviceType",
                                                 "AccessLevel": "Quarantine"})
    assert states(exo)[ALEX_EAS][:2] == ("Quarantined", "DeviceRule")
    rows(exo, "New-ActiveSyncDeviceAccessRule", {"QueryString": iphone["DeviceOS"], "Characteristic": "DeviceOS",
                                                 "AccessLevel": "Block"})
    assert states(exo)[ALEX_EAS] == ("Blocked", "DeviceRule", "%s (DeviceOS)" % iphone["DeviceOS"])
    # the mailbox's own allowed list comes before every rule; its blocked list before its allowed list
    rows(exo, "Set-CASMailbox", {"Identity": "alex@contoso.onmicrosoft.com", "ActiveSyncAllowedDeviceIDs": [ALEX_EAS]})
    assert states(exo)[ALEX_EAS] == ("Allowed", "Individual", None)
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "ActiveSyncBlockedDeviceIDs": [ALEX_EAS]})
    assert states(exo)[ALEX_EAS] == ("Blocked", "Individual", None)
    # removing the rules hands the decision back to the default access level
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "ActiveSyncBlockedDeviceIDs": None,
                                 "ActiveSyncAllowedDeviceIDs": None})
    for rule in rows(exo, "Get-ActiveSyncDeviceAccessRule"):
        rows(exo, "Remove-ActiveSyncDeviceAccessRule", {"Identity": rule["Identity"], "Confirm": False})
    assert set(states(exo).values()) == {("Blocked", "Global", None)}


def test_rule_duplicates_and_unknown_identities_are_refused(exo):
    body = {"QueryString": OUTLOOK, "Characteristic": "DeviceModel", "AccessLevel": "Allow"}
    rows(exo, "New-ActiveSyncDeviceAccessRule", body)
    again = run(exo, "New-ActiveSyncDeviceAccessRule", dict(body, QueryString=OUTLOOK.upper(), AccessLevel="Block"))
    assert again.status_code == 400 and "already exists" in error_text(again)
    assert len(rows(exo, "Get-ActiveSyncDeviceAccessRule")) == 1
    for cmdlet, parameters in (("Get-ActiveSyncDeviceAccessRule", {"Identity": "iPad (DeviceType)"}),
                               ("Set-ActiveSyncDeviceAccessRule", {"Identity": "iPad (DeviceType)",
                                                                   "AccessLevel": "Block"}),
                               ("Remove-ActiveSyncDeviceAccessRule", {"Identity": "iPad (DeviceType)"}),
                               ("Get-MobileDeviceMailboxPolicy", {"Identity": "Nope"}),
                               ("Set-CASMailbox", {"Identity": "alex", "ActiveSyncMailboxPolicy": "Nope"})):
        response = run(exo, cmdlet, parameters)
        assert response.status_code == 404, (cmdlet, response.text)
        assert "couldn't be found" in error_text(response)
    missing = run(exo, "New-ActiveSyncDeviceAccessRule", {"QueryString": "x", "AccessLevel": "Allow"})
    assert missing.status_code == 400 and "Characteristic" in error_text(missing)
    rows(exo, "Set-ActiveSyncDeviceAccessRule", {"Identity": "%s (devicemodel)" % OUTLOOK.lower(),
                                                 "AccessLevel": "Quarantine"})
    assert rows(exo, "Get-ActiveSyncDeviceAccessRule")[0]["AccessLevel"] == "Quarantine"


def test_mailbox_policies_default_duplicates_ranges_and_removal(exo):
    default = rows(exo, "Get-MobileDeviceMailboxPolicy")
    assert [(p["Name"], p["IsDefault"]) for p in default] == [("Default", True)]
    assert default[0]["PasswordEnabled"] is False and default[0]["MaxInactivityTimeLock"] == "Unlimited"
    assert default[0]["AllowBluetooth"] == "Allow" and default[0]["MinPasswordComplexCharacters"] == 1
    created = rows(exo, "New-MobileDeviceMailboxPolicy", {"Name": "Corp", "PasswordEnabled": True,
                                                          "MinPasswordLength": 6, "MaxInactivityTimeLock": "0:05:00"})
    assert created[0]["MinPasswordLength"] == 6 and created[0]["MaxInactivityTimeLock"] == "00:05:00"
    assert created[0]["IsDefault"] is False and created[0]["AllowCamera"] is True
    again = run(exo, "New-MobileDeviceMailboxPolicy", {"Name": "corp"})
    assert again.status_code == 400 and "already exists" in error_text(again)
    for parameters, words in (({"MinPasswordLength": 17}, "outside the range"),
                              ({"MaxInactivityTimeLock": "02:00:00"}, "outside the range"),
                              ({"MaxPasswordFailedAttempts": 3}, "outside the range"),
                              ({"PasswordEnabled": "yes"}, "Boolean parameters"),
                              ({"AllowBluetooth": "Sometimes"}, "HandsfreeOnly")):
        response = run(exo, "Set-MobileDeviceMailboxPolicy", dict(parameters, Identity="Corp"))
        assert response.status_code == 400 and words in error_text(response), parameters
    assert rows(exo, "Get-MobileDeviceMailboxPolicy", {"Identity": "Corp"})[0]["MinPasswordLength"] == 6
    # the default flag moves; the default policy cannot be removed; nor can an assigned one
    rows(exo, "Set-MobileDeviceMailboxPolicy", {"Identity": "Corp", "IsDefault": True})
    assert {p["Name"]: p["IsDefault"] for p in rows(exo, "Get-MobileDeviceMailboxPolicy")} == {
        "Corp": True, "Default": False}
    refused = run(exo, "Remove-MobileDeviceMailboxPolicy", {"Identity": "Corp"})
    assert refused.status_code == 400 and "default policy" in error_text(refused)
    mailbox = rows(exo, "Get-CASMailbox", {"Identity": "alex"})[0]
    assert mailbox["ActiveSyncMailboxPolicy"] == "Corp" and mailbox["ActiveSyncMailboxPolicyIsDefaulted"] is True
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "ActiveSyncMailboxPolicy": "Default"})
    refused = run(exo, "Remove-MobileDeviceMailboxPolicy", {"Identity": "Default"})
    assert refused.status_code == 400 and "assigned to 1 mailbox" in error_text(refused)
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "ActiveSyncMailboxPolicy": "Corp"})
    rows(exo, "Remove-MobileDeviceMailboxPolicy", {"Identity": "Default", "Confirm": False})
    assert [p["Name"] for p in rows(exo, "Get-MobileDeviceMailboxPolicy")] == ["Corp"]


def test_cas_mailboxes_page_and_select(exo):
    everyone = rows(exo, "Get-CASMailbox", {"ResultSize": "Unlimited"})
    assert len(everyone) >= 5 and all(m["ActiveSyncEnabled"] is True for m in everyone)
    first = run(exo, "Get-CASMailbox", {"ResultSize": "Unlimited"}, query="?$select=Identity,OWAforDevicesEnabled",
                headers={"Prefer": "odata.maxpagesize=2"})
    page = first.json()
    assert [sorted(r) for r in page["value"]] == [["Identity", "OWAforDevicesEnabled"]] * 2
    seen = list(page["value"])
    while page.get("@odata.nextLink"):
        page = exo.post(page["@odata.nextLink"], json={"CmdletInput": {
            "CmdletName": "Get-CASMailbox", "Parameters": {"ResultSize": "Unlimited"}}},
            headers={"Prefer": "odata.maxpagesize=2"}).json()
        seen += page["value"]
    assert [m["Identity"] for m in seen] == [m["Identity"] for m in everyone]
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "OWAforDevicesEnabled": False, "ActiveSyncEnabled": False})
    alex = rows(exo, "Get-CASMailbox", {"Identity": "alex@contoso.onmicrosoft.com"})[0]
    assert alex["OWAforDevicesEnabled"] is False and alex["ActiveSyncEnabled"] is False
    assert alex["OutlookMobileEnabled"] is True


def test_gateway_checks_the_directory_role(exo):
    sb = exo.sb
    reader = sb.seed_app(permissions=["Exchange.ManageAsApp"], directory_roles=["Global Reader"])
    nobody = sb.seed_app(permissions=["Exchange.ManageAsApp"])
    recipients = sb.seed_app(permissions=["Exchange.ManageAsApp"], directory_roles=["Exchange Recipient Administrator"])
    as_reader = Client(sb, sb.token(scope=EXCHANGE, client_id=reader["appId"], secret=reader["secret"]))
    as_nobody = Client(sb, sb.token(scope=EXCHANGE, client_id=nobody["appId"], secret=nobody["secret"]))
    as_recipients = Client(sb, sb.token(scope=EXCHANGE, client_id=recipients["appId"], secret=recipients["secret"]))
    assert run(as_reader, "Get-ActiveSyncDeviceAccessRule").status_code == 200
    denied = run(as_reader, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "Block"})
    assert denied.status_code == 403 and "Exchange Administrator" in error_text(denied)
    assert run(as_nobody, "Get-ActiveSyncDeviceAccessRule").status_code == 403
    assert run(as_recipients, "Set-CASMailbox", {"Identity": "alex", "OWAforDevicesEnabled": False}).status_code == 200
    assert run(as_recipients, "New-MobileDeviceMailboxPolicy", {"Name": "X"}).status_code == 403
    assert rows(exo, "Get-ActiveSyncOrganizationSettings")[0]["DefaultAccessLevel"] == "Allow"
    assert [p["Name"] for p in rows(exo, "Get-MobileDeviceMailboxPolicy")] == ["Default"]
    assert json.dumps(rows(exo, "Get-CASMailbox", {"Identity": "alex"})[0]).count('"OWAforDevicesEnabled": false') == 1


LEVELS = st.sampled_from(["Allow", "Block", "Quarantine"])
VALUES = st.sampled_from(["a", "b", "c"])


@given(device=st.fixed_dictionaries({"DeviceId": st.sampled_from(["D1", "D2"]), "DeviceModel": VALUES,
                                     "DeviceType": VALUES, "DeviceOS": VALUES}),
       allowed=st.lists(st.sampled_from(["D1", "D2", "d1"]), max_size=2),
       blocked=st.lists(st.sampled_from(["D1", "D2", "d2"]), max_size=2),
       rules=st.lists(st.tuples(VALUES, st.sampled_from(["DeviceModel", "DeviceType", "DeviceOS"]), LEVELS),
                      max_size=5),
       default=LEVELS)
def test_access_state_follows_exchanges_order(device, allowed, blocked, rules, default):
    rule_rows = [{"Identity": "%s (%s)" % (q, c), "QueryString": q, "Characteristic": c, "AccessLevel": level}
                 for q, c, level in rules]
    state, reason, rule = access_of(device, {"ActiveSyncAllowedDeviceIDs": allowed,
                                             "ActiveSyncBlockedDeviceIDs": blocked}, rule_rows, default)
    device_id = device["DeviceId"].lower()
    matching = [r for r in rule_rows if device[r["Characteristic"]] == r["QueryString"]]
    if device_id in [b.lower() for b in blocked]:
        assert (state, reason) == ("Blocked", "Individual")
    elif device_id in [a.lower() for a in allowed]:
        assert (state, reason) == ("Allowed", "Individual")
    elif matching:
        levels = {r["AccessLevel"] for r in matching}
        strongest = next(level for level in ("Block", "Quarantine", "Allow") if level in levels)
        assert reason == "DeviceRule" and state.startswith(strongest[:5])
        assert any(r["Identity"] == rule and r["AccessLevel"] == strongest for r in matching)
    else:
        assert (state, reason, rule) == ({"Allow": "Allowed", "Block": "Blocked", "Quarantine": "Quarantined"}[default],
                                         "Global", None)
