"""ansible-playbook runs the Exchange mobile access modules against the sandbox, each in four steps (check, apply,
check, apply: changed, changed, unchanged, unchanged) with the commands sent counted (0, N, 0, 0) and the stored
state read straight from the sandbox's gateway; bad input sends no command."""

import json
from pathlib import Path

import pytest

from conftest import settled

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
OUTLOOK = "Outlook for iOS and Android"


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def exo(sandbox, cmdlet, parameters=None):
    """Run a cmdlet on the sandbox's gateway directly (the automation app's own token); every page."""
    session = sandbox.session()
    token = sandbox.token(scope="https://outlook.office365.com/.default")
    url = "https://localhost:%d/adminapi/beta/%s/InvokeCommand" % (sandbox.port, sandbox.tenant_id)
    rows = []
    while url:
        response = session.post(url, json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}},
                                headers={"Authorization": "Bearer " + token, "Prefer": "odata.maxpagesize=1000"},
                                allow_redirects=False, timeout=30)
        assert response.status_code == 200, response.text
        rows += response.json()["value"]
        url = response.json().get("@odata.nextLink")
    return rows


def commands(sandbox, since=0):
    """The Exchange commands in the settled request log from row ``since`` on: (cmdlet, status); the front door's
    regional redirects (302, the command re-sent to the regional host) are not commands."""
    return [(r["body"]["CmdletInput"]["CmdletName"], r["status"]) for r in settled(sandbox)[since:]
            if r["service"] == "exchange" and r["method"] == "POST" and isinstance(r.get("body"), dict)
            and not 300 <= r["status"] < 400
            and "CmdletInput" in r["body"]]


def writes(sandbox, since=0):
    return [c for c in commands(sandbox, since) if not c[0].startswith("Get-")]


def four_steps(run_playbook, sandbox, module, args):
    """check, apply, check, apply; returns the four results and the writes each sent."""
    results, sent = [], []
    for check in (True, False, True, False):
        mark = len(settled(sandbox))
        run = run_playbook("exchange_mobile_access.yml", extra_vars={
            "steps": [{"module": module, "args": args, "check": check}]})
        assert run.rc == 0 and run.recap["failed"] == 0, run
        step = run.output("exchange")[module][0]
        assert not step.get("failed"), step
        results.append(step)
        sent.append(writes(sandbox, mark))
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert [len(s) for s in sent[0:1] + sent[2:]] == [0, 0, 0]
    return results, sent


def test_organization_settings_in_four_steps(run_playbook, graph_sandbox):
    args = {"default_access_level": "Quarantine", "admin_mail_recipients": ["Admin@contoso.onmicrosoft.com"],
            "user_mail_insert": "Use Outlook for iOS and Android."}
    results, sent = four_steps(run_playbook, graph_sandbox, "settings", args)
    check, apply = results[:2]
    assert check["settings"]["DefaultAccessLevel"] == "Quarantine" and check["diff"]["before"] == {
        "Mobile Mailbox Settings": {"AdminMailRecipients": [], "DefaultAccessLevel": "Allow", "UserMailInsert": None}}
    assert sent[1] == [("Set-ActiveSyncOrganizationSettings", 200)]
    stored = exo(graph_sandbox, "Get-ActiveSyncOrganizationSettings")[0]
    assert stored["DefaultAccessLevel"] == "Quarantine" and stored["AdminMailRecipients"] == [
        "Admin@contoso.onmicrosoft.com"]
    assert apply["settings"] == stored
    # the settings as they were went into the backup file before the write
    backup = json.loads(Path(apply["backup_file"]).read_text(encoding="utf-8"))
    assert [(e["collection"], e["action"], e["status"], e["before"]["DefaultAccessLevel"]) for e in backup["entries"]] \
        == [("exchange:ActiveSyncOrganizationSettings", "update", "done", "Allow")]
    # every seeded partnership is now quarantined by the default access level
    devices = exo(graph_sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"})
    assert {(d["DeviceAccessState"], d["DeviceAccessStateReason"]) for d in devices} == {("Quarantined", "Global")}
    # only the declared field is touched; a no-op run is one read
    mark = len(settled(graph_sandbox))
    run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [
        {"module": "settings", "args": {"default_access_level": "Quarantine"}}]})
    step = run.output("exchange")["settings"][0]
    assert not step.get("failed") and not step["changed"]
    assert commands(graph_sandbox, mark) == [("Get-ActiveSyncOrganizationSettings", 200)]


def test_device_access_rules_single_and_set_mode_with_purge(run_playbook, graph_sandbox):
    single = {"query_string": OUTLOOK, "characteristic": "DeviceModel", "access_level": "Allow"}
    results, sent = four_steps(run_playbook, graph_sandbox, "rule", single)
    assert sent[1] == [("New-ActiveSyncDeviceAccessRule", 200)]
    assert results[0]["rules"][0]["Identity"] == "%s (DeviceModel)" % OUTLOOK
    assert results[0]["diff"]["after"] == {"%s (DeviceModel)" % OUTLOOK: {
        "QueryString": OUTLOOK, "Characteristic": "DeviceModel", "AccessLevel": "Allow"}}
    stored = exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule")
    assert [(r["Identity"], r["AccessLevel"]) for r in stored] == [("%s (DeviceModel)" % OUTLOOK, "Allow")]
    # a rule that nobody declared, then set mode with purge: one Set, one New, one Remove
    exo(graph_sandbox, "New-ActiveSyncDeviceAccessRule", {"QueryString": "iPad", "Characteristic": "DeviceType",
                                                          "AccessLevel": "Allow"})
    rules = {"rules": [dict(single, access_level="Allow"),
                       {"query_string": "iPhone", "characteristic": "DeviceModel", "access_level": "Quarantine"},
                       {"query_string": OUTLOOK, "characteristic": "UserAgent", "access_level": "Block"}],
             "purge": True}
    rules["rules"][0]["access_level"] = "Block"
    results, sent = four_steps(run_playbook, graph_sandbox, "rule", rules)
    assert sorted(sent[1]) == [("New-ActiveSyncDeviceAccessRule", 200), ("New-ActiveSyncDeviceAccessRule", 200),
                               ("Remove-ActiveSyncDeviceAccessRule", 200), ("Set-ActiveSyncDeviceAccessRule", 200)]
    assert set(results[0]["diff"]["before"]) == {"%s (DeviceModel)" % OUTLOOK, "iPad (DeviceType)"}
    stored = {r["Identity"]: r["AccessLevel"] for r in exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule")}
    assert stored == {"%s (DeviceModel)" % OUTLOOK: "Block", "iPhone (DeviceModel)": "Quarantine",
                      "%s (UserAgent)" % OUTLOOK: "Block"}
    assert results[1]["rules"] == sorted(exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule"),
                                         key=lambda r: r["Identity"].lower())
    # state absent removes one rule, then does nothing
    absent = {"query_string": "iPhone", "characteristic": "DeviceModel", "state": "absent"}
    mark = len(settled(graph_sandbox))
    run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [
        {"module": "rule", "args": absent}, {"module": "rule", "args": absent}]})
    assert [s["changed"] for s in run.output("exchange")["rule"]] == [True, False]
    assert writes(graph_sandbox, mark) == [("Remove-ActiveSyncDeviceAccessRule", 200)]


def test_mailbox_policy_in_four_steps_and_the_default_is_kept(run_playbook, graph_sandbox):
    args = {"name": "Corp", "password_enabled": True, "min_password_length": 6, "max_inactivity_time_lock": "0:05:00",
            "max_password_failed_attempts": "10", "allow_bluetooth": "HandsfreeOnly", "is_default": True}
    results, sent = four_steps(run_playbook, graph_sandbox, "policy", args)
    assert sent[1] == [("New-MobileDeviceMailboxPolicy", 200)]
    stored = {p["Name"]: p for p in exo(graph_sandbox, "Get-MobileDeviceMailboxPolicy")}
    assert stored["Corp"]["MaxInactivityTimeLock"] == "00:05:00" and stored["Corp"]["MinPasswordLength"] == 6
    assert stored["Corp"]["IsDefault"] is True and stored["Default"]["IsDefault"] is False
    assert results[1]["policy"] == stored["Corp"]
    # change one setting of the built-in policy: one Set with that setting only
    results, sent = four_steps(run_playbook, graph_sandbox, "policy", {"name": "default", "allow_camera": False})
    assert sent[1] == [("Set-MobileDeviceMailboxPolicy", 200)]
    assert results[0]["cmdlets"] == [{"cmdlet": "Set-MobileDeviceMailboxPolicy",
                                      "parameters": {"Identity": "Default", "AllowCamera": False}}]
    assert exo(graph_sandbox, "Get-MobileDeviceMailboxPolicy", {"Identity": "Default"})[0]["AllowCamera"] is False
    # the default policy is never removed: refused before any command but the read
    mark = len(settled(graph_sandbox))
    run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [
        {"module": "policy", "args": {"name": "Corp", "state": "absent"}}]})
    step = run.output("exchange")["policy"][0]
    assert step["failed"] and "default mobile device mailbox policy" in step["msg"]
    assert writes(graph_sandbox, mark) == []
    assert len(exo(graph_sandbox, "Get-MobileDeviceMailboxPolicy")) == 2


@pytest.mark.parametrize("module,args,words", [
    ("settings", {"default_access_level": "Deny"}, ["default_access_level", "Deny", "Quarantine"]),
    ("settings", {"admin_mail_recipients": ["admins"]}, ["admin_mail_recipients", "admins", "email address"]),
    ("rule", {"query_string": "iPhone*", "characteristic": "DeviceType", "access_level": "Block"},
     ["query_string", "iPhone*", "no wildcards"]),
    ("rule", {"rules": [{"query_string": "A", "characteristic": "DeviceType", "access_level": "Block"},
                        {"query_string": "a", "characteristic": "DeviceType", "access_level": "Allow"}]},
     ["rules[1]", "A (DeviceType)"]),
    ("policy", {"name": "Corp", "min_password_length": 20}, ["min_password_length", "20", "1 to 16"]),
    ("policy", {"name": "Corp", "max_inactivity_time_lock": "2:00:00"},
     ["max_inactivity_time_lock", "2:00:00", "01:00:00"]),
])
def test_bad_input_sends_no_command(run_playbook, graph_sandbox, module, args, words):
    mark = len(settled(graph_sandbox))
    run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [{"module": module, "args": args}]})
    step = run.output("exchange")[module][0]
    assert step["failed"]
    for word in words:
        assert word in step["msg"], (word, step["msg"])
    assert commands(graph_sandbox, mark) == []


def test_the_exchange_layer_is_a_no_op_in_three_commands(run_playbook, graph_sandbox):
    """playbooks/exchange_mobile_access.yml: the first run reads three times and writes three times; a second run
    sends three commands, all reads (the issue's bound is four)."""
    example = REPO / "playbooks" / "exchange_mobile_access.yml"
    admins = {"exchange_mobile_admins": ["mobile-admins@contoso.onmicrosoft.com"]}
    mark = len(settled(graph_sandbox))
    first = run_playbook(str(example), extra_vars=admins)
    assert first.rc == 0 and first.recap["changed"] == 3, first
    first_commands = commands(graph_sandbox, mark)
    print("\nfirst run: %d commands %s" % (len(first_commands), [c[0] for c in first_commands]))
    assert sorted(c[0] for c in writes(graph_sandbox, mark)) == [
        "New-ActiveSyncDeviceAccessRule", "Set-ActiveSyncOrganizationSettings", "Set-MobileDeviceMailboxPolicy"]
    assert len(first_commands) == 9  # per module: one read, one write, one read back
    mark = len(settled(graph_sandbox))
    again = run_playbook(str(example), extra_vars=admins)
    assert again.rc == 0 and again.recap["changed"] == 0, again
    no_op = commands(graph_sandbox, mark)
    print("no-op run: %d commands %s" % (len(no_op), [c[0] for c in no_op]))
    assert sorted(no_op) == [("Get-ActiveSyncDeviceAccessRule", 200), ("Get-ActiveSyncOrganizationSettings", 200),
                             ("Get-MobileDeviceMailboxPolicy", 200)]
    # Outlook for iOS and Android stays allowed by the rule; every other partnership waits in quarantine
    devices = exo(graph_sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"})
    assert {(d["DeviceModel"] == OUTLOOK, d["DeviceAccessState"]) for d in devices} == {
        (True, "Allowed"), (False, "Quarantined")}


def test_quarantine_review_lists_then_approves_and_denies_in_four_steps(run_playbook, graph_sandbox):
    alex, lee = "5853AB3B1B145EAA9785B5BB7C10404F", "08745BCD7AF057CF8B3E8D03553ED1A6"
    exo(graph_sandbox, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "Quarantine"})
    mark = len(settled(graph_sandbox))
    run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [{"module": "quarantine", "args": {}}]})
    listed = run.output("exchange")["quarantine"][0]
    assert not listed["changed"] and writes(graph_sandbox, mark) == []
    assert len(listed["quarantined"]) == 8
    alex_row = [q for q in listed["quarantined"] if q["DeviceId"] == alex][0]
    assert (alex_row["mailbox"], alex_row["user"], alex_row["DeviceAccessStateReason"]) == (
        "alex", "Alex Wilber", "Global")
    results, sent = four_steps(run_playbook, graph_sandbox, "quarantine", {"approve": [alex], "deny": [lee]})
    assert sorted(sent[1]) == [("Set-CASMailbox", 200), ("Set-CASMailbox", 200)]
    assert results[0]["diff"]["after"]["alex"]["ActiveSyncAllowedDeviceIDs"] == [alex]
    assert len(results[0]["quarantined"]) == 6 and len(results[1]["quarantined"]) == 6
    devices = {d["DeviceId"]: d for d in exo(graph_sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"})}
    assert (devices[alex]["DeviceAccessState"], devices[alex]["DeviceAccessStateReason"]) == ("Allowed", "Individual")
    assert (devices[lee]["DeviceAccessState"], devices[lee]["DeviceAccessStateReason"]) == ("Blocked", "Individual")
    assert sorted(q["DeviceId"] for q in results[1]["quarantined"]) == sorted(
        i for i, d in devices.items() if d["DeviceAccessState"] == "Quarantined")
