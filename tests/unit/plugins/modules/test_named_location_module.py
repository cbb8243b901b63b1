"""The named_location module in-process against the sandbox: bad input fails with the field, the value
and what is accepted, and writes nothing; check mode, diff mode, set mode and purge through the options."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import named_location
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import (
    graph_rows, module_runner, unique, writes)

IP_TYPE = "#microsoft.graph.ipNamedLocation"


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


def seed_locations(sb, *specs):
    """Seed locations given as (name, kind); returns their ids."""
    ids = []
    bodies = []
    for name, kind in specs:
        object_id = str(uuid.uuid4())
        ids.append(object_id)
        if kind == "ip":
            bodies.append({"id": object_id, "@odata.type": IP_TYPE, "displayName": name, "ipRanges": [
                {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.0/24"}]})
        else:
            bodies.append({"id": object_id, "@odata.type": "#microsoft.graph.countryNamedLocation",
                           "displayName": name, "countriesAndRegions": ["FR"]})
    sb.seed({"namedLocations": bodies})
    return ids


# Bad input found before any request: (arguments, what the message must contain).
OFFLINE_BAD_INPUTS = [
    ({"display_name": "x", "ip_ranges": ["10.0.0.0/33"]},
     ["ip_ranges[0]", "'10.0.0.0/33'", "/33 prefix", "Accepted: CIDR notation"]),
    ({"display_name": "x", "ip_ranges": ["203.0.113.9"]},
     ["ip_ranges[0]", "'203.0.113.9'", "no prefix length", "Accepted: CIDR notation"]),
    ({"display_name": "x", "ip_ranges": ["203.0.113.0/24", "10.0.0.0/7"]},
     ["ip_ranges[1]", "'10.0.0.0/7'", "wider than the /8", "Accepted: CIDR notation"]),
    ({"display_name": "x", "ip_ranges": ["2001:db8::/200"]},
     ["ip_ranges[0]", "'2001:db8::/200'", "128 bits", "Accepted: CIDR notation"]),
    ({"display_name": "x", "countries_and_regions": ["US", "XX"]},
     ["countries_and_regions[1]", "'XX'", "ISO 3166-1 alpha-2", "Accepted: two-letter codes"]),
    ({"display_name": "x", "countries_and_regions": ["usa"]},
     ["countries_and_regions[0]", "'usa'", "ISO 3166-1 alpha-2", "Accepted: two-letter codes"]),
    ({"display_name": "x", "type": "ip", "countries_and_regions": ["US"]},
     ["countries_and_regions", "['US']", "applies to country locations, but type is ip", "Accepted: type: country"]),
    ({"display_name": "x", "is_trusted": True, "countries_and_regions": ["US"]},
     ["countries_and_regions", "cannot be combined with is_trusted", "Accepted: the options of one type"]),
    ({"display_name": "x", "countries_and_regions": ["US"], "country_lookup_method": "gps"},
     ["country_lookup_method", "'gps'", "Accepted: clientIpAddress, authenticatorAppGps"]),
    ({"display_name": "x", "ip_ranges": []},
     ["ip_ranges", "is empty", "Accepted: CIDR notation"]),
    ({"named_locations": [{"display_name": "a", "ip_ranges": ["192.0.2.0/24"]},
                          {"display_name": "b", "ip_ranges": ["bogus/24"]}]},
     ["named_locations[1].ip_ranges[0]", "'bogus/24'", "'bogus' is not an IPv4 or IPv6 address"]),
    ({"named_locations": [{"display_name": "a", "ip_ranges": ["192.0.2.0/24"]}], "purge": True},
     ["purge", "purge_name_pattern is not set", "(got True)", "Accepted: purge_name_pattern"]),
    ({"named_locations": [], "purge": True, "purge_name_pattern": "TG - ["},
     ["purge_name_pattern", "'TG - ['", "not a valid regular expression", "Accepted: a Python regular expression"]),
]


@pytest.mark.parametrize("args,words", OFFLINE_BAD_INPUTS, ids=[w[0] for _a, w in OFFLINE_BAD_INPUTS])
def test_bad_input_fails_before_any_request(run_module, graph_sandbox, args, words):
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, args)
    assert code == 1 and result["failed"] is True
    for word in words:
        assert word in result["msg"], result["msg"]
    assert "Traceback" not in result["msg"]
    assert graph_rows(graph_sandbox, since) == []


def test_argument_rules_are_checked_by_ansible_first(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, {"display_name": "x", "named_locations": []})
    assert code == 1 and "mutually exclusive: named_locations|display_name" in result["msg"]
    result, code = run_module(named_location.main, {"display_name": "x", "type": "vpn"})
    assert code == 1 and "type" in result["msg"] and "vpn" in result["msg"] and "ip, country" in result["msg"]
    result, code = run_module(named_location.main, {"display_name": "x", "purge_name_pattern": "TG.*"})
    assert code == 1 and "purge_name_pattern" in result["msg"] and "named_locations" in result["msg"]
    result, code = run_module(named_location.main, {"named_locations": [{"ip_ranges": ["192.0.2.0/24"]}]})
    assert code == 1 and "display_name, id" in result["msg"] and "named_locations" in result["msg"]
    assert graph_rows(graph_sandbox, since) == []


def test_type_change_fails_naming_the_location_and_writes_nothing(run_module, graph_sandbox):
    name = unique("Country")
    object_id = seed_locations(graph_sandbox, (name, "country"))[0]
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, {"display_name": name, "type": "ip",
                                                    "ip_ranges": ["192.0.2.0/24"]})
    assert code == 1
    assert "Graph cannot change the type of a named location" in result["msg"]
    assert object_id in result["msg"] and "is a country location" in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_id_and_display_name_of_different_locations_fail_listing_both(run_module, graph_sandbox):
    first, second = unique("First"), unique("Second")
    ids = seed_locations(graph_sandbox, (first, "ip"), (second, "ip"))
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, {"id": ids[0], "display_name": second, "is_trusted": True})
    assert code == 1 and result["msg"].startswith("Option id: designates named location")
    assert ids[0] in result["msg"] and ids[1] in result["msg"] and repr(ids[0]) in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_duplicate_names_fail_listing_both_ids(run_module, graph_sandbox):
    name = unique("Twin")
    ids = seed_locations(graph_sandbox, (name, "ip"), (name, "ip"))
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, {"display_name": name, "ip_ranges": ["192.0.2.0/24"]})
    assert code == 1 and "matches 2 named locations" in result["msg"]
    assert ids[0] in result["msg"] and ids[1] in result["msg"] and repr(name) in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_create_without_a_type_fails(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    name = unique("Untyped")
    result, code = run_module(named_location.main, {"display_name": name})
    assert code == 1 and result["msg"].startswith("Option type: is required to create named location %r" % name)
    assert writes(graph_sandbox, since) == []


def test_four_steps_then_update_and_delete(run_module, graph_sandbox):
    name = unique("Module office")
    args = {"display_name": name, "type": "ip", "ip_ranges": ["198.51.100.0/24", "2001:db8:7::/48"],
            "is_trusted": True}
    since = len(graph_sandbox.requests())
    checked, _code = run_module(named_location.main, args, check=True, diff=True)
    assert checked["changed"] is True and checked["action"] == "created" and "id" not in checked["named_location"]
    assert checked["diff"]["after"]["ip_ranges"] == ["198.51.100.0/24", "2001:db8:7::/48"]
    assert writes(graph_sandbox, since) == []
    applied, _code = run_module(named_location.main, args)
    assert applied["changed"] is True and applied["named_location"]["id"]
    for check in (True, False):
        again, _code = run_module(named_location.main, args, check=check)
        assert again["changed"] is False and again["action"] == "unchanged"
    updated, _code = run_module(named_location.main, {"display_name": name, "ip_ranges": ["198.51.100.0/24"]},
                                diff=True)
    assert updated["action"] == "updated" and updated["named_location"]["isTrusted"] is True
    assert updated["diff"]["before"]["ip_ranges"] == ["198.51.100.0/24", "2001:db8:7::/48"]
    assert updated["diff"]["after"]["ip_ranges"] == ["198.51.100.0/24"]
    gone, _code = run_module(named_location.main, {"display_name": name, "state": "absent"})
    assert gone["changed"] is True and gone["action"] == "deleted" and gone["named_location"] is None
    again, _code = run_module(named_location.main, {"display_name": name, "state": "absent"})
    assert again["changed"] is False
    assert [(m, s) for m, _p, s in writes(graph_sandbox, since)] == [("POST", 201), ("PATCH", 204), ("DELETE", 204)]


def test_set_mode_items_inherit_the_state_and_purge_stays_inside_the_pattern(run_module, graph_sandbox):
    tag = uuid.uuid4().hex[:6]
    ids = seed_locations(graph_sandbox, ("TG %s old" % tag, "ip"), ("Other %s" % tag, "ip"),
                         ("TG %s gone" % tag, "country"))
    args = {"named_locations": [
        {"display_name": "TG %s new" % tag, "countries_and_regions": ["de", "FR"]},
        {"display_name": "TG %s gone" % tag, "state": "absent"},
    ], "purge": True, "purge_name_pattern": "tg %s .*" % tag}
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location.main, args, diff=True)
    assert code == 0, result
    assert sorted((a["display_name"], a["action"], a["purged"]) for a in result["actions"]) == [
        ("TG %s gone" % tag, "deleted", False), ("TG %s new" % tag, "created", False),
        ("TG %s old" % tag, "deleted", True)]
    assert [o["displayName"] for o in result["named_locations"]] == ["TG %s new" % tag]
    assert result["named_locations"][0]["countriesAndRegions"] == ["DE", "FR"]
    assert sorted(result["diff"]["before"]) == ["TG %s gone" % tag, "TG %s old" % tag]
    assert list(result["diff"]["after"]) == ["TG %s new" % tag]
    deleted = [p for m, p, _s in writes(graph_sandbox, since) if m == "DELETE"]
    assert sorted(p.rsplit("/", 1)[1] for p in deleted) == sorted([ids[0], ids[2]])
    again, _code = run_module(named_location.main, args)
    assert again["changed"] is False and again["actions"] == []
    absent_all, _code = run_module(named_location.main, {"state": "absent", "named_locations": [
        {"display_name": "TG %s new" % tag}]}, check=True)
    assert [a["action"] for a in absent_all["actions"]] == ["deleted"]
