"""Exchange device cmdlets: statistics (none for Outlook mobile), CAS mailbox device lists with
add/remove hashtables and their effect on DeviceAccessState, removing and wiping a partnership."""

import json
from pathlib import Path

import pytest

from conftest import Client
from tenantguard_sandbox.testing import running_sandbox

CONTOSO = Path(__file__).resolve().parents[1] / "seeds" / "contoso.json"
ALEX_EAS = "5853AB3B1B145EAA9785B5BB7C10404F"
HASHTABLE = "#Exchange.GenericHashTable"


@pytest.fixture(scope="module")
def exo(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("exchange-devices"), seed=str(CONTOSO)) as sb:
        yield Client(sb, sb.token(scope="https://outlook.office365.com/.default"))


def run(exo, cmdlet, parameters):
    url = "https://localhost:%d/adminapi/beta/%s/InvokeCommand" % (exo.sb.port, exo.sb.tenant_id)
    response = exo.post(url, json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}},
                        allow_redirects=False)
    return response


def rows(exo, cmdlet, parameters):
    response = run(exo, cmdlet, parameters)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_statistics_have_no_sync_times_for_outlook_mobile(exo):
    stats = rows(exo, "Get-MobileDeviceStatistics", {"Mailbox": "grady@contoso.onmicrosoft.com"})
    by_client = dict((s["ClientType"], s) for s in stats)
    assert set(by_client) == {"EAS", "REST"}
    assert by_client["EAS"]["LastSuccessSync"] and by_client["EAS"]["DeviceID"] == "E8B9B20E52FC5AD5B605201926975620"
    assert by_client["REST"]["LastSuccessSync"] is None and by_client["REST"]["LastSyncAttemptTime"] is None
    assert by_client["EAS"]["Status"] == "DeviceOk"


def test_statistics_need_one_of_identity_or_mailbox(exo):
    response = run(exo, "Get-MobileDeviceStatistics", {})
    assert response.status_code == 400
    assert "Parameter set cannot be resolved" in json.dumps(response.json())
    missing = run(exo, "Get-MobileDeviceStatistics", {"Mailbox": "nobody@contoso.onmicrosoft.com"})
    assert missing.status_code == 404 and "couldn't be found" in json.dumps(missing.json())


def test_cas_mailbox_lists_add_and_remove(exo):
    mailbox = "alex@contoso.onmicrosoft.com"
    assert rows(exo, "Get-CASMailbox", {"Identity": mailbox})[0]["ActiveSyncBlockedDeviceIDs"] == []
    rows(exo, "Set-CASMailbox", {"Identity": mailbox, "ActiveSyncBlockedDeviceIDs": {
        "@odata.type": HASHTABLE, "Add": [ALEX_EAS, "OTHER"]}})
    device = rows(exo, "Get-MobileDevice", {"Identity": ALEX_EAS})[0]
    assert (device["DeviceAccessState"], device["DeviceAccessStateReason"]) == ("Blocked", "Individual")
    rows(exo, "Set-CASMailbox", {"Identity": "alex", "ActiveSyncBlockedDeviceIDs": {
        "@odata.type": HASHTABLE, "Remove": [ALEX_EAS.lower()]}, "ActiveSyncAllowedDeviceIDs": {"Add": ALEX_EAS}})
    cas = rows(exo, "Get-CASMailbox", {"Identity": mailbox})[0]
    assert cas["ActiveSyncBlockedDeviceIDs"] == ["OTHER"] and cas["ActiveSyncAllowedDeviceIDs"] == [ALEX_EAS]
    assert rows(exo, "Get-MobileDevice", {"Identity": ALEX_EAS})[0]["DeviceAccessState"] == "Allowed"
    bad = run(exo, "Set-CASMailbox", {"Identity": mailbox, "ActiveSyncBlockedDeviceIDs": {"Append": ["X"]}})
    assert bad.status_code == 400 and "Add or Remove" in json.dumps(bad.json())


def test_remove_and_wipe(exo):
    lee = rows(exo, "Get-MobileDevice", {"Mailbox": "lee@contoso.onmicrosoft.com"})[0]
    assert rows(exo, "Remove-MobileDevice", {"Identity": lee["Identity"], "Confirm": False}) == []
    assert rows(exo, "Get-MobileDevice", {"Mailbox": "lee@contoso.onmicrosoft.com"}) == []
    assert run(exo, "Remove-MobileDevice", {"Identity": lee["Identity"]}).status_code == 404
    nestor = rows(exo, "Get-MobileDevice", {"Mailbox": "nestor"})[0]
    rows(exo, "Clear-MobileDevice", {"Identity": nestor["Identity"], "AccountOnly": True})
    stats = rows(exo, "Get-MobileDeviceStatistics", {"Identity": nestor["Identity"]})[0]
    assert stats["Status"] == "DeviceWipePending" and stats["DeviceWipeRequestTime"]
    assert run(exo, "Clear-MobileDevice", {}).status_code == 400
