"""Every documented v1.0 POST example of a conditional access policy, applied through the module (params
converted from the example's body), read back equal after normalisation, and unchanged on a second run;
then exported by conditional_access_policy_info and fed back without change."""
import copy
import json
from pathlib import Path

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import has_drift, normalise_policy
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import graph_to_options
from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy, conditional_access_policy_info
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    graph_rows,
    module_runner,
    tenant_seed,
    writes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "conditional_access_policies"
EXAMPLES = sorted(FIXTURES.glob("v10__conditionalaccessroot-post-policies__*.json"))
# What the examples point at, created in the tenant so that Graph's checks (1040) pass and names show.
EXAMPLE_GROUP = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
EXAMPLE_LOCATIONS = ("198ad66e-87b3-4157-85a3-8a7b51794ee9", "d2136c9c-b049-47ae-b9cf-316e04ef7198")
EXAMPLE_USERS = ("a702a13d-a437-4a07-8a7e-8c052de62dfd", "124c5b6a-ffa5-483a-9b88-04c3fce5574a")


def example_seed():
    seed = tenant_seed()
    # The group has members: an enforced policy for an empty group is refused (acknowledge_empty_groups).
    seed["groups"].append({"id": EXAMPLE_GROUP, "displayName": "Example group", "securityEnabled": True,
                           "mailEnabled": False, "mailNickname": "example", "members": list(EXAMPLE_USERS)})
    seed["users"] += [{"id": u, "displayName": "Example user %d" % i, "userPrincipalName": "example%d@contoso.onmicrosoft.com" % i}
                      for i, u in enumerate(EXAMPLE_USERS)]
    seed["namedLocations"] = [
        {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": EXAMPLE_LOCATIONS[0], "displayName": "Example office",
         "isTrusted": True, "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.0/24"}]},
        {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": EXAMPLE_LOCATIONS[1],
         "displayName": "Example countries", "countriesAndRegions": ["US"], "includeUnknownCountriesAndRegions": False},
    ]
    return seed


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("ca-examples")), seed=example_seed()) as sb:
        yield sb


def example_body(path):
    body = copy.deepcopy(json.loads(path.read_text())["request"]["body"])
    grant = body.get("grantControls") or {}
    # Example 3 still requires the approved client app, retired on 2026-06-30: Graph (and the module) refuse it
    # in a new policy (test_the_retired_grant_of_example_3_is_refused); it is applied without it.
    if "approvedApplication" in (grant.get("builtInControls") or []):
        grant["builtInControls"] = [c for c in grant["builtInControls"] if c != "approvedApplication"]
    return body


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_applied_read_back_and_unchanged(run_module, graph_sandbox, path):
    body = example_body(path)
    params = graph_to_options(body, "v1.0")
    result, code = run_module(conditional_access_policy.main, params)
    assert code == 0, result
    assert result["changed"] is True and result["action"] == "created"
    stored = result["conditional_access_policy"]
    read = graph_sandbox.session().get(
        "%s/v1.0/identity/conditionalAccess/policies/%s" % (graph_sandbox.base_url, stored["id"]),
        headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()
    # Everything the example sets reads back as set; what it leaves out Graph fills with its defaults
    # (clientAppTypes: [all], empty lists), which the module does not manage.
    assert not has_drift(body, read)
    for name in body:
        assert normalise_policy(read).get(name) == normalise_policy(body).get(name) or name == "conditions"

    since = len(graph_sandbox.requests())
    again, code = run_module(conditional_access_policy.main, params)
    assert code == 0, again
    assert again["changed"] is False, again
    assert writes(graph_sandbox, since) == []


def test_the_retired_grant_of_example_3_is_refused(run_module, graph_sandbox):
    body = json.loads((FIXTURES / "v10__conditionalaccessroot-post-policies__3.json").read_text())["request"]["body"]
    params = graph_to_options(body, "v1.0")
    params["display_name"] = "Example 3 as documented"
    since = len(graph_sandbox.requests())
    result, code = run_module(conditional_access_policy.main, params)
    assert code == 1
    assert "approvedApplication" in result["msg"] and "compliantApplication" in result["msg"]
    assert "grant_controls.built_in_controls" in result["msg"]
    assert writes(graph_sandbox, since) == []


def ensure_examples(sb):
    """The examples as policies of the tenant (created directly through Graph when a test runs alone)."""
    headers = {"Authorization": "Bearer " + sb.token()}
    url = sb.base_url + "/v1.0/identity/conditionalAccess/policies"
    session = sb.session()
    existing = set(p["displayName"] for p in session.get(url, headers=headers).json()["value"])
    for path in EXAMPLES:
        body = example_body(path)
        if body["displayName"] not in existing:
            session.post(url, json=body, headers=headers).raise_for_status()


def test_export_round_trip_changes_nothing(run_module, graph_sandbox):
    ensure_examples(graph_sandbox)
    exported, code = run_module(conditional_access_policy_info.main, {})
    assert code == 0, exported
    policies = exported["conditional_access_policies"]
    assert len(policies) >= len(EXAMPLES)
    by_name = dict((p["displayName"], p) for p in policies)
    # Names where they designate the object, ids where they cannot (a user that no longer exists).
    first = by_name["Access to EXO requires MFA"]["params"]
    assert first["conditions"]["users"]["include_groups"] == ["Example group"]
    assert first["conditions"]["applications"]["include_applications"] == ["Exchange Online"]
    third = by_name["Demo app for documentation"]
    assert third["params"]["conditions"]["users"]["include_users"] == ["example0@contoso.onmicrosoft.com"]
    assert "Example countries" in third["params"]["conditions"]["locations"]["exclude_locations"]
    assert third["readable"]["conditions"]["users"]["includeRoles"]
    assert third["uses_retired_grant"] is False and third["migration_hint"] is None
    since = len(graph_sandbox.requests())
    for policy in policies:
        result, code = run_module(conditional_access_policy.main, policy["params"])
        assert code == 0, result
        assert result["changed"] is False, (policy["displayName"], result)
    assert writes(graph_sandbox, since) == []


def test_export_with_ids_only_makes_no_directory_reads(run_module, graph_sandbox):
    ensure_examples(graph_sandbox)
    since = len(graph_sandbox.requests())
    exported, code = run_module(conditional_access_policy_info.main,
                                {"resolve_names": False, "display_name": "Access to EXO requires MFA"})
    assert code == 0, exported
    [policy] = exported["conditional_access_policies"]
    assert policy["params"]["conditions"]["users"]["include_groups"] == [EXAMPLE_GROUP]
    assert [r["path"] for r in graph_rows(graph_sandbox, since)] == ["/v1.0/identity/conditionalAccess/policies"]
