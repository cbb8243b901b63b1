"""ansible-playbook runs named_location in set mode: one read for the whole list, purge limited to a
display-name pattern (nothing outside it touched), and the export round-trip of named_location_info."""

import pytest

from conftest import SEED, settled

LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
IDS = {
    "TG - keep": "6a1b2c3d-0000-4000-8000-000000000001",
    "TG - old": "6a1b2c3d-0000-4000-8000-000000000002",
    "TG - older": "6a1b2c3d-0000-4000-8000-000000000003",
    "Branch outside": "6a1b2c3d-0000-4000-8000-000000000004",
    "tg - Lower case": "6a1b2c3d-0000-4000-8000-000000000005",
}


def graph_rows(sandbox, since=0):
    return [r for r in settled(sandbox)[since:] if r["service"] == "graph"]


def ip_location(name, cidr):
    return {"id": IDS[name], "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": name,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": cidr}]}


@pytest.fixture
def sandbox_seed():
    return dict(SEED, namedLocations=[
        ip_location("TG - keep", "198.51.100.0/24"),
        ip_location("TG - old", "192.0.2.0/24"),
        {"id": IDS["TG - older"], "@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "TG - older",
         "countriesAndRegions": ["FR"]},
        ip_location("Branch outside", "203.0.113.0/24"),
        ip_location("tg - Lower case", "203.0.113.128/25"),
    ])


DECLARED = {
    "locations": [
        {"display_name": "TG - keep", "ip_ranges": ["198.51.100.0/24"], "is_trusted": True},
        {"display_name": "TG - new", "type": "country", "countries_and_regions": ["nl", "be"]},
        {"display_name": "tg - lower case", "state": "present"},
    ],
    "purge": True,
    "purge_name_pattern": "TG - .*",
}


def test_set_mode_purges_inside_the_pattern_only(run_playbook, graph_sandbox):
    checked = run_playbook("named_location_set.yml", "--check", "--diff", extra_vars=DECLARED)
    assert checked.rc == 0 and checked.recap["changed"] == 1, checked
    predicted = checked.output("set")["converged"]["actions"]
    assert sorted((a["display_name"], a["action"], a["purged"]) for a in predicted) == [
        ("TG - keep", "updated", False), ("TG - new", "created", False), ("TG - old", "deleted", True),
        ("TG - older", "deleted", True), ("tg - lower case", "updated", False)]
    assert [r for r in graph_rows(graph_sandbox) if r["method"] in WRITES] == []

    since = len(settled(graph_sandbox))
    applied = run_playbook("named_location_set.yml", extra_vars=DECLARED)
    assert applied.rc == 0 and applied.recap["changed"] == 1, applied
    assert sorted(a["action"] for a in applied.output("set")["converged"]["actions"]) == sorted(
        a["action"] for a in predicted)
    rows = graph_rows(graph_sandbox, since)
    deleted = sorted(r["path"].rsplit("/", 1)[1] for r in rows if r["method"] == "DELETE")
    assert deleted == sorted([IDS["TG - old"], IDS["TG - older"]])
    touched = [r["path"] for r in rows if r["method"] in WRITES]
    assert not any(IDS["Branch outside"] in path for path in touched)
    left = dict((x["displayName"], x) for x in applied.output("set")["listed"]["named_locations"])
    assert sorted(left) == ["Branch outside", "TG - keep", "TG - new", "tg - lower case"]
    assert left["TG - new"]["countriesAndRegions"] == ["NL", "BE"] and left["TG - keep"]["isTrusted"] is True
    assert left["tg - lower case"]["id"] == IDS["tg - Lower case"]  # renamed, not duplicated

    since = len(settled(graph_sandbox))
    again = run_playbook("named_location_set.yml", extra_vars=DECLARED)
    assert again.rc == 0 and again.recap["changed"] == 0, again
    rows = graph_rows(graph_sandbox, since)
    assert [r for r in rows if r["method"] in WRITES] == []
    # One list for the three declared locations and the purge, one for named_location_info.
    assert [(r["method"], r["path"]) for r in rows] == [("GET", LOCATIONS), ("GET", LOCATIONS)]


def test_exported_params_fed_back_change_nothing(run_playbook, graph_sandbox):
    run = run_playbook("named_location_export.yml")
    assert run.rc == 0 and run.recap["changed"] == 0, run
    seen = run.output("export")
    assert len(seen["exported"]["named_locations"]) == len(IDS)
    assert seen["reapplied"]["changed"] is False and seen["reapplied"]["actions"] == []
    assert [r for r in graph_rows(graph_sandbox) if r["method"] in WRITES] == []
