"""ansible-playbook runs mobile_device against the sandbox: block and allow in four steps (check,
apply, apply again, check again), remove a partnership, wipe only with confirm_wipe, once."""

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
ALEX = "alex@contoso.onmicrosoft.com"
ALEX_EAS = "5853AB3B1B145EAA9785B5BB7C10404F"
LEE = "lee@contoso.onmicrosoft.com"
LEE_EAS = "08745BCD7AF057CF8B3E8D03553ED1A6"
NESTOR = "nestor@contoso.onmicrosoft.com"
NESTOR_EAS = "0BE0507FD6E953CDA23D5A9F9554DB20"
WRITES = ("set-casmailbox", "remove-mobiledevice", "clear-mobiledevice")


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def _run(run_playbook, steps):
    run = run_playbook("mobile_device.yml", extra_vars={"steps": steps})
    assert run.rc == 0 and run.recap["failed"] == 0, run
    return run.output("actions")


def _writes(sandbox):
    return [r["body"]["CmdletInput"] for r in sandbox.requests()
            if r["service"] == "exchange" and r["status"] == 200
            and r["body"]["CmdletInput"]["CmdletName"].lower() in WRITES]


def _device(after, device_id):
    rows = [d for d in after["devices"] if d["DeviceId"] == device_id]
    return rows[0] if rows else None


def test_block_then_allow_in_four_steps(run_playbook, graph_sandbox):
    block = {"mailbox": ALEX, "device_id": ALEX_EAS, "state": "blocked"}
    allow = {"mailbox": ALEX, "device_id": ALEX_EAS, "state": "allowed"}
    seen = _run(run_playbook, [dict(block, check=True)])
    step = seen["steps"][0]
    assert step["changed"] and step["blocked_device_ids"] == [ALEX_EAS]
    assert step["diff"]["before"]["ActiveSyncBlockedDeviceIDs"] == []
    assert step["diff"]["after"]["ActiveSyncBlockedDeviceIDs"] == [ALEX_EAS]
    assert _writes(graph_sandbox) == [] and _device(seen["after"], ALEX_EAS)["DeviceAccessState"] == "Allowed"

    seen = _run(run_playbook, [block, block, dict(block, check=True)])
    first, again, check = seen["steps"]
    assert first["changed"] and not again["changed"] and not check["changed"]
    assert first["device"]["DeviceAccessState"] == "Blocked"
    assert _writes(graph_sandbox) == [{"CmdletName": "Set-CASMailbox", "Parameters": {
        "Identity": ALEX, "ActiveSyncBlockedDeviceIDs": {"@odata.type": "#Exchange.GenericHashTable", "Add": [ALEX_EAS]}}}]
    assert _device(seen["after"], ALEX_EAS)["DeviceAccessState"] == "Blocked"

    seen = _run(run_playbook, [allow, allow])
    assert seen["steps"][0]["changed"] and not seen["steps"][1]["changed"]
    assert seen["steps"][0]["allowed_device_ids"] == [ALEX_EAS] and seen["steps"][0]["blocked_device_ids"] == []
    last = _writes(graph_sandbox)[-1]["Parameters"]
    assert last["ActiveSyncAllowedDeviceIDs"]["Add"] == [ALEX_EAS]
    assert last["ActiveSyncBlockedDeviceIDs"]["Remove"] == [ALEX_EAS]
    assert _device(seen["after"], ALEX_EAS)["DeviceAccessState"] == "Allowed"
    assert len(_writes(graph_sandbox)) == 2


def test_remove_partnership_is_idempotent(run_playbook, graph_sandbox):
    gone = {"mailbox": LEE, "device_id": LEE_EAS, "state": "absent"}
    seen = _run(run_playbook, [dict(gone, check=True), gone, gone])
    check, first, again = seen["steps"]
    assert check["changed"] and first["changed"] and not again["changed"]
    assert check["diff"]["after"]["partnership"] is False and again["diff"]["before"]["partnership"] is False
    assert _device(seen["after"], LEE_EAS) is None
    assert [w["CmdletName"] for w in _writes(graph_sandbox)] == ["Remove-MobileDevice"]


def test_wipe_needs_confirmation_and_happens_once(run_playbook, graph_sandbox):
    wipe = {"mailbox": NESTOR, "device_id": NESTOR_EAS, "state": "wiped", "account_only": True}
    seen = _run(run_playbook, [wipe])
    refused = seen["steps"][0]
    assert refused["failed"] and "confirm_wipe" in refused["msg"]
    # the refused step sent nothing: no mailbox read (only the play's closing inventory reached Exchange)
    assert not [r for r in graph_sandbox.requests() if r["service"] == "exchange"
                and r["body"]["CmdletInput"]["CmdletName"] in ("Get-CASMailbox", "Clear-MobileDevice")]
    wipe["confirm_wipe"] = True
    seen = _run(run_playbook, [dict(wipe, check=True), wipe, wipe])
    check, first, again = seen["steps"]
    assert check["changed"] and first["changed"] and not again["changed"]
    assert _writes(graph_sandbox) == [{"CmdletName": "Clear-MobileDevice", "Parameters": {
        "Identity": first["device"]["Identity"], "Confirm": False, "AccountOnly": True}}]
    assert _device(seen["after"], NESTOR_EAS)["Status"] == "DeviceWipePending"


def test_unknown_device_cannot_be_wiped(run_playbook):
    seen = _run(run_playbook, [{"mailbox": NESTOR, "device_id": "NOPE", "state": "wiped", "confirm_wipe": True},
                               {"mailbox": "nobody@contoso.onmicrosoft.com", "device_id": "X", "state": "blocked"}])
    assert seen["steps"][0]["failed"] and "NOPE" in seen["steps"][0]["msg"]
    assert seen["steps"][1]["failed"] and "nobody@contoso.onmicrosoft.com" in seen["steps"][1]["msg"]
