"""The info modules of named locations, authentication strengths and conditional access templates:
filters, one read, and params that recreate each object (fed back, they change nothing)."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import options_to_graph
from ansible_collections.tenantguard.m365.plugins.modules import (
    authentication_strength_policy, authentication_strength_policy_info, conditional_access_template_info,
    named_location, named_location_info)
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import (
    graph_rows, module_runner, unique, writes)

LEGACY_TEMPLATE = "0b2282f9-2862-4178-88b5-d79340b36cb8"


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture
def locations(graph_sandbox):
    """Locations of every shape, seeded; returns their names by id."""
    tag = uuid.uuid4().hex[:6]
    bodies = [
        {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Info %s v4" % tag, "isTrusted": True,
         "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "12.34.221.11/22"},
                      {"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:0:9d38:90d6:0:0:0:0/63"}]},
        {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "Info %s countries" % tag,
         "countriesAndRegions": ["US", "GB"], "includeUnknownCountriesAndRegions": True,
         "countryLookupMethod": "authenticatorAppGps"},
        {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Info %s bare" % tag,
         "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "6.5.4.3/32"}]},
    ]
    for body in bodies:
        body["id"] = str(uuid.uuid4())
    graph_sandbox.seed({"namedLocations": bodies})
    return dict((b["id"], b["displayName"]) for b in bodies)


def test_named_locations_listed_filtered_and_exported(run_module, graph_sandbox, locations):
    since = len(graph_sandbox.requests())
    result, code = run_module(named_location_info.main, {})
    assert code == 0 and result["changed"] is False
    listed = dict((i["id"], i) for i in result["named_locations"])
    assert set(locations) <= set(listed)
    assert all("@odata.context" not in i for i in listed.values())
    assert [r["path"] for r in graph_rows(graph_sandbox, since)] == ["/v1.0/identity/conditionalAccess/namedLocations"]
    first_id, first_name = next(iter(locations.items()))
    assert listed[first_id]["params"] == {
        "display_name": first_name, "type": "ip", "ip_ranges": ["12.34.221.11/22", "2001:0:9d38:90d6:0:0:0:0/63"],
        "is_trusted": True}
    by_name, _code = run_module(named_location_info.main, {"display_name": first_name.upper()})
    assert [i["id"] for i in by_name["named_locations"]] == [first_id]
    by_id, _code = run_module(named_location_info.main, {"id": first_id.upper(), "display_name": first_name})
    assert [i["id"] for i in by_id["named_locations"]] == [first_id]
    nothing, _code = run_module(named_location_info.main, {"id": first_id, "display_name": "another"})
    assert nothing["named_locations"] == []

    mark = len(graph_sandbox.requests())
    params = [listed[i]["params"] for i in locations]
    again, code = run_module(named_location.main, {"named_locations": params}, check=True)
    assert code == 0 and again["changed"] is False, again
    again, code = run_module(named_location.main, {"named_locations": params})
    assert code == 0 and again["changed"] is False
    for one in params:
        single, _code = run_module(named_location.main, one)
        assert single["changed"] is False
    assert writes(graph_sandbox, mark) == []


def test_strengths_listed_filtered_and_exported(run_module, graph_sandbox):
    name = unique("Info strength")
    created, code = run_module(authentication_strength_policy.main, {
        "display_name": name, "description": "Exported", "allowed_combinations": ["password, sms", "fido2"]})
    assert code == 0
    everything, _code = run_module(authentication_strength_policy_info.main, {})
    assert len([p for p in everything["authentication_strength_policies"] if p["policyType"] == "builtIn"]) == 3
    built_in, _code = run_module(authentication_strength_policy_info.main, {"policy_type": "BUILTIN"})
    assert sorted(p["id"][-1] for p in built_in["authentication_strength_policies"]) == ["2", "3", "4"]
    custom, _code = run_module(authentication_strength_policy_info.main, {"policy_type": "custom", "display_name": name})
    assert [p["id"] for p in custom["authentication_strength_policies"]] == [
        created["authentication_strength_policy"]["id"]]
    assert custom["authentication_strength_policies"][0]["params"] == {
        "display_name": name, "description": "Exported", "allowed_combinations": ["password,sms", "fido2"]}
    mark = len(graph_sandbox.requests())
    params = [p["params"] for p in everything["authentication_strength_policies"]]
    again, code = run_module(authentication_strength_policy.main, {"authentication_strength_policies": params})
    assert code == 0 and again["changed"] is False, again
    assert writes(graph_sandbox, mark) == []


def test_bad_policy_type_fails_before_any_request(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run_module(authentication_strength_policy_info.main, {"policy_type": "microsoft"})
    assert code == 1 and result["msg"] == ("Option policy_type: is not a policy type (got 'microsoft'). "
                                           "Accepted: builtIn or custom (any case).")
    assert graph_rows(graph_sandbox, since) == []


def test_templates_filtered_with_policy_params(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    everything, code = run_module(conditional_access_template_info.main, {})
    assert code == 0 and len(everything["templates"]) >= 4
    assert len(graph_rows(graph_sandbox, since)) == 1
    beta, _code = run_module(conditional_access_template_info.main, {"api_version": "beta"})
    assert len(beta["templates"]) > len(everything["templates"])
    for template in everything["templates"]:
        params = template["params"]
        assert params["display_name"] == template["name"]
        assert "Current administrator will be excluded" not in str(params)
        options_to_graph(params, "v1.0")  # valid options of the policy module
    legacy, _code = run_module(conditional_access_template_info.main, {"name": "BLOCK LEGACY AUTHENTICATION"})
    assert [t["id"] for t in legacy["templates"]] == [LEGACY_TEMPLATE]
    assert legacy["templates"][0]["params"] == {
        "display_name": "Block legacy authentication",
        "conditions": {"applications": {"include_applications": ["All"]},
                       "client_app_types": ["exchangeActiveSync", "other"], "users": {"include_users": ["All"]}},
        "grant_controls": {"built_in_controls": ["block"], "operator": "OR"}}
    assert legacy["templates"][0]["details"]["grantControls"]["builtInControls"] == ["block"]
    admins, _code = run_module(conditional_access_template_info.main, {"scenario": "protectadmins"})
    assert admins["templates"] and all("protectAdmins" in t["scenarios"].split(",") for t in admins["templates"])
    assert LEGACY_TEMPLATE in [t["id"] for t in admins["templates"]]
    by_id, _code = run_module(conditional_access_template_info.main, {"id": LEGACY_TEMPLATE, "scenario": "new"})
    assert by_id["templates"] == []


def test_bad_scenario_fails_before_any_request(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run_module(conditional_access_template_info.main, {"scenario": "everything"})
    assert code == 1 and "scenario" in result["msg"] and "'everything'" in result["msg"]
    assert "secureFoundation" in result["msg"]
    assert graph_rows(graph_sandbox, since) == []
