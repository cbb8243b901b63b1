"""ansible-playbook runs named_location against the sandbox: check -> apply -> check -> apply, update,
delete, delete again; the duplicate guard; and replication lag that must not lead to a duplicate."""
import uuid

import pytest

from conftest import SEED, graph_writes, settled

LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"
TWIN_IDS = ("5e0a7c3d-1111-4c1d-9e2f-00000000a001", "5e0a7c3d-1111-4c1d-9e2f-00000000a002")


@pytest.fixture
def sandbox_seed():
    twin = {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "E2E twin",
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.0/24"}]}
    return dict(SEED, namedLocations=[dict(twin, id=TWIN_IDS[0]), dict(twin, id=TWIN_IDS[1])])


def test_check_apply_check_apply_then_update_delete_and_delete_again(run_playbook, graph_sandbox):
    office = {"location_name": "E2E head office", "location_type": "ip", "is_trusted": True,
              "ip_ranges": ["203.0.113.0/24", "2001:db8:10::/48"]}
    steps = [
        # (extra arguments, variables, changed, writes of the run)
        (["--check", "--diff"], office, 1, []),
        ([], office, 1, [("POST", 201)]),
        (["--check"], office, 0, []),
        ([], dict(office, ip_ranges=["2001:db8:10:0:0:0:0:0/48", "203.0.113.0/24"]), 0, []),
        ([], dict(office, is_trusted=False), 1, [("PATCH", 204)]),
        ([], {"location_name": "E2E head office", "location_state": "absent"}, 1, [("DELETE", 204)]),
        ([], {"location_name": "E2E head office", "location_state": "absent"}, 0, []),
    ]
    for index, (args, variables, changed, expected) in enumerate(steps):
        since = len(settled(graph_sandbox))
        run = run_playbook("named_location.yml", *args, extra_vars=variables)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        assert graph_writes(graph_sandbox, since) == expected, index
        if index == 0:
            assert "+++ after: named location 'E2E head office'" in run.stdout
            assert run.output("location")["named_location"].get("id") is None
        if index == 1:
            created = run.output("location")["named_location"]
            assert created["isTrusted"] is True and len(created["ipRanges"]) == 2
        if index == 4:
            assert run.output("location")["named_location"]["isTrusted"] is False
    patch = [r for r in settled(graph_sandbox) if r["method"] == "PATCH"]
    assert patch[0]["body"] == {"@odata.type": "#microsoft.graph.ipNamedLocation", "isTrusted": False}


def test_two_locations_with_the_name_fail_listing_both_ids(run_playbook, graph_sandbox):
    run = run_playbook("named_location.yml", extra_vars={"location_name": "E2E twin", "is_trusted": True})
    assert run.rc != 0 and run.recap["failed"] == 1, run
    assert "matches 2 named locations" in run.stdout
    assert TWIN_IDS[0] in run.stdout and TWIN_IDS[1] in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert graph_writes(graph_sandbox) == []


def test_replication_lag_does_not_lead_to_a_duplicate(run_playbook, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 3.0, "method": "POST",
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    countries = {"location_name": "E2E lagging %s" % uuid.uuid4().hex[:6], "countries": ["de", "at"]}
    first = run_playbook("named_location.yml", extra_vars=countries)
    assert first.rc == 0 and first.recap["changed"] == 1, first
    created = first.output("location")["named_location"]
    polls = [r["status"] for r in settled(graph_sandbox) if r["path"] == "%s/%s" % (LOCATIONS, created["id"])]
    assert polls[0] == 404 and polls[-1] == 200, polls
    second = run_playbook("named_location.yml", extra_vars=countries)
    assert second.rc == 0 and second.recap["changed"] == 0, second
    assert second.output("location")["named_location"]["id"] == created["id"]
    assert graph_writes(graph_sandbox) == [("POST", 201)]
