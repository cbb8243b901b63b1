"""ansible-playbook runs managed_app_wipe against the sandbox: a selective wipe by device tag in four steps (check,
apply, check, apply: changed, changed, unchanged, unchanged) with the registrations read back from the sandbox,
only with confirm_wipe, only the named user's registrations, and bad input refused with no write."""

import json
from pathlib import Path

import pytest

from conftest import graph_writes

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
MEGAN = "megan@contoso.onmicrosoft.com"
MEGAN_ID = "2a974f7e-a785-58f8-9c57-4ccfe79e4e04"
MEGAN_TAG = "1D7B44E0-MEGAN-IPHONE"
ADELE_TAG = "9F3A62C1-ADELE-IPHONE"


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def _run(run_playbook, steps):
    run = run_playbook("managed_app_wipe.yml", extra_vars={"steps": steps})
    assert run.rc == 0 and run.recap["failed"] == 0, run
    return run.output("wipes")["steps"]


def _stored(sandbox):
    """Every registration with its operations, read from the sandbox directly."""
    response = sandbox.session().get(
        sandbox.base_url + "/beta/deviceAppManagement/managedAppRegistrations?$expand=operations",
        headers={"Authorization": "Bearer " + sandbox.token()}, timeout=30)
    assert response.status_code == 200, response.text
    return dict((r["id"], [(o["displayName"], o["state"]) for o in r["operations"]])
                for r in response.json()["value"])


def test_wipe_by_device_tag_in_four_steps(run_playbook, graph_sandbox):
    wipe = {"user": MEGAN, "device_tag": MEGAN_TAG, "confirm_wipe": True}
    before = _stored(graph_sandbox)
    check, apply, check_again, apply_again = _run(run_playbook, [dict(wipe, check=True), wipe,
                                                                 dict(wipe, check=True), wipe])
    assert [s["changed"] for s in (check, apply, check_again, apply_again)] == [True, True, False, False]
    assert check["diff"]["before"] == {"apps": ["com.microsoft.Office.Outlook"], "wipe_requested": False}
    assert check["diff"]["after"]["wipe_requested"] is True and check["registrations"][0]["operations"] == []
    # apply reports what it read back: the pending wipe on megan's one registration with that tag
    assert [r["id"] for r in apply["registrations"]] == ["a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54"]
    assert apply["registrations"][0]["operations"][0]["state"] == "pending" and apply["wipe_requested"]
    after = _stored(graph_sandbox)
    assert after["a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54"] == [("Wipe", "pending")]
    assert dict((k, v) for k, v in after.items() if k != "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54") == dict(
        (k, v) for k, v in before.items() if k != "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54")
    # one write in four steps
    assert graph_writes(graph_sandbox, fields=("method", "path", "status"), bulk_reads=False) == [
        ("POST", "/v1.0/users/%s/wipeManagedAppRegistrationsByDeviceTag" % MEGAN_ID, 204)]


def test_bad_input_is_refused_before_any_write(run_playbook, graph_sandbox):
    steps = [
        {"user": MEGAN, "device_tag": MEGAN_TAG},                                   # no confirm_wipe
        {"user": MEGAN, "device_tag": ADELE_TAG, "confirm_wipe": True},             # adele's phone, not megan's
        {"user": "nobody@contoso.onmicrosoft.com", "device_tag": MEGAN_TAG, "confirm_wipe": True},
        {"user": MEGAN, "device_tag": "x' or 1 eq 1", "confirm_wipe": True},
    ]
    results = _run(run_playbook, steps)
    assert all(r.get("failed") for r in results), results
    assert "confirm_wipe" in results[0]["msg"]
    assert "device_tag" in results[1]["msg"] and ADELE_TAG in results[1]["msg"]
    assert "user" in results[2]["msg"] and "nobody@contoso.onmicrosoft.com" in results[2]["msg"]
    assert "device_tag" in results[3]["msg"] and "x' or 1 eq 1" in results[3]["msg"]
    assert graph_writes(graph_sandbox, bulk_reads=False) == []
