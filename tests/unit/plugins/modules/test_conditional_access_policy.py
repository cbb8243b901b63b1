"""conditional_access_policy in-process against the sandbox: lifecycle, names, drift, diff, set mode."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    EMERGENCY_GROUP_ID,
    PILOT_GROUP_ID,
    POLICIES,
    graph_rows,
    module_runner,
    tenant_seed,
    writes,
)


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("ca-policy")), seed=tenant_seed()) as sb:
        yield sb


@pytest.fixture
def run(run_module):
    def execute(args, check=False, diff=False):
        return run_module(conditional_access_policy.main, args, check=check, diff=diff)
    return execute


def unique(prefix="TG"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def mobile_policy(name, **extra):
    args = {
        "display_name": name,
        "conditions": {
            "users": {"include_groups": ["Mobile Pilot"], "exclude_users": ["breakglass1@contoso.onmicrosoft.com"]},
            "applications": {"include_applications": ["Exchange Online"]},
            "platforms": {"include_platforms": ["android", "IOS"]},
            "client_app_types": ["all"],
        },
        "grant_controls": {"operator": "OR", "built_in_controls": ["compliantApplication"]},
    }
    args.update(extra)
    return args


def test_create_check_update_delete(run, graph_sandbox):
    name = unique()
    since = len(graph_sandbox.requests())
    result, code = run(mobile_policy(name), check=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True and result["action"] == "created"
    assert writes(graph_sandbox, since) == []
    # The diff shows names, and a new policy is report-only.
    after = result["diff"]["after"]
    assert after["conditions"]["users"]["includeGroups"] == ["Mobile Pilot"]
    assert after["conditions"]["applications"]["includeApplications"] == ["Exchange Online"]
    assert after["state"] == "enabledForReportingButNotEnforced"

    result, code = run(mobile_policy(name), diff=True)
    assert code == 0, result
    assert result["changed"] is True and result["action"] == "created"
    policy = result["conditional_access_policy"]
    assert policy["id"] and policy["state"] == "enabledForReportingButNotEnforced"
    assert policy["conditions"]["users"]["includeGroups"] == [PILOT_GROUP_ID]
    assert [w[:2] for w in writes(graph_sandbox, since)] == [("POST", "/v1.0" + POLICIES)]

    since = len(graph_sandbox.requests())
    for check in (True, False):
        result, code = run(mobile_policy(name), check=check)
        assert code == 0, result
        assert result["changed"] is False and result["action"] == "unchanged"
    assert writes(graph_sandbox, since) == []

    # An update sends only what differs; the state is kept.
    since = len(graph_sandbox.requests())
    changed = mobile_policy(name)
    changed["conditions"]["users"]["include_groups"] = ["Mobile Pilot", "Emergency Access"]
    changed["conditions"]["users"]["exclude_users"] = []
    changed["conditions"]["users"]["exclude_groups"] = []
    result, code = run(changed, diff=True)
    assert code == 0, result
    assert result["action"] == "updated"
    rows = [r for r in graph_rows(graph_sandbox, since) if r["method"] == "PATCH"]
    assert len(rows) == 1 and set(rows[0]["body"]) == {"conditions"}
    assert sorted(result["diff"]["after"]["conditions"]["users"]["includeGroups"]) == ["Emergency Access", "Mobile Pilot"]
    assert result["diff"]["before"]["conditions"]["users"]["excludeUsers"] == ["breakglass1@contoso.onmicrosoft.com"]
    assert result["conditional_access_policy"]["state"] == "enabledForReportingButNotEnforced"
    assert sorted(result["conditional_access_policy"]["conditions"]["users"]["includeGroups"]) == sorted(
        [PILOT_GROUP_ID, EMERGENCY_GROUP_ID])

    since = len(graph_sandbox.requests())
    result, code = run({"display_name": name, "state": "absent"})
    assert code == 0 and result["changed"] is True and result["action"] == "deleted"
    result, code = run({"display_name": name, "state": "absent"})
    assert code == 0 and result["changed"] is False
    assert [w[0] for w in writes(graph_sandbox, since)] == ["DELETE"]


# -- request counts ------------------------------------------------------------------------------------

def many_references(name):
    args = mobile_policy(name)
    args["conditions"]["users"] = {
        "include_groups": ["Baseline Group %02d" % i for i in range(30)],
        "exclude_users": ["baseline%02d@contoso.onmicrosoft.com" % i for i in range(30)],
    }
    return args


def reads(sb, since):
    return [(r["method"], r["path"]) for r in graph_rows(sb, since) if r["method"] == "GET"
            or r["path"].endswith(("/$batch", "/getByIds"))]


def test_thirty_groups_and_thirty_users_cost_one_batch_not_sixty_requests(run, graph_sandbox):
    name = unique()
    since = len(graph_sandbox.requests())
    result, code = run(many_references(name))
    assert code == 0, result
    assert len(result["conditional_access_policy"]["conditions"]["users"]["includeGroups"]) == 30
    rows = graph_rows(graph_sandbox, since)
    batches = [r for r in rows if r["path"] == "/v1.0/$batch"]
    assert len(batches) == 1 and len(batches[0]["body"]["requests"]) == 4  # two chunks of 15 of each kind
    # resolve every name, list the policies, look for a copy another controller made since, create, read
    # the new policy back, look for a copy made at the same time
    assert [(r["method"], r["path"]) for r in rows] == [
        ("POST", "/v1.0/$batch"), ("GET", "/v1.0" + POLICIES), ("GET", "/v1.0" + POLICIES),
        ("POST", "/v1.0" + POLICIES), ("GET", "/v1.0%s/%s" % (POLICIES, result["conditional_access_policy"]["id"])),
        ("GET", "/v1.0" + POLICIES)]
    since = len(graph_sandbox.requests())
    result, code = run(many_references(name))
    assert code == 0 and result["changed"] is False
    assert reads(graph_sandbox, since) == [("POST", "/v1.0/$batch"), ("GET", "/v1.0" + POLICIES)]


# -- set mode ------------------------------------------------------------------------------------------

def test_set_mode_converges_a_list_with_one_read_and_purges_by_pattern(run, graph_sandbox):
    prefix = unique("Set")
    names = ["%s - %d" % (prefix, i) for i in range(3)]
    items = [mobile_policy(n) for n in names]
    result, code = run({"conditional_access_policies": items})
    assert code == 0, result
    assert [a["action"] for a in result["actions"]] == ["created"] * 3
    since = len(graph_sandbox.requests())
    result, code = run({"conditional_access_policies": items})
    assert code == 0 and result["changed"] is False
    assert [p["displayName"] for p in result["conditional_access_policies"]] == names
    assert reads(graph_sandbox, since) == [("POST", "/v1.0/$batch"), ("GET", "/v1.0" + POLICIES)]

    # Keep the first, change the second, drop the third: purged because its name matches the pattern.
    outsider = mobile_policy(unique("Outside"))
    run(outsider)
    changed = mobile_policy(names[1], policy_state="disabled")
    since = len(graph_sandbox.requests())
    result, code = run({"conditional_access_policies": [items[0], changed], "purge": True,
                        "purge_name_pattern": "%s - .*" % prefix.lower()}, diff=True)
    assert code == 0, result
    assert [(a["display_name"], a["action"], a["purged"]) for a in result["actions"]] == [
        (names[1], "updated", False), (names[2], "deleted", True)]
    assert [w[0] for w in writes(graph_sandbox, since)] == ["PATCH", "DELETE"]
    assert result["diff"]["after"][names[1]]["state"] == "disabled"
    remaining, code = run({"display_name": outsider["display_name"]}, check=True)
    assert code == 0 and remaining["action"] == "unchanged"


def test_set_mode_refuses_a_name_declared_twice(run, graph_sandbox):
    name = unique()
    since = len(graph_sandbox.requests())
    result, code = run({"conditional_access_policies": [mobile_policy(name), mobile_policy(name.upper())]})
    assert code == 1 and "conditional_access_policies[1].display_name" in result["msg"]
    assert writes(graph_sandbox, since) == []


# -- templates -----------------------------------------------------------------------------------------

def test_policy_from_a_template_excludes_the_emergency_accounts_instead_of_the_placeholder(run, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run({"template": "block legacy authentication",
                        "emergency_access": {"groups": ["Emergency Access"],
                                             "users": ["breakglass1@contoso.onmicrosoft.com"]}}, diff=True)
    assert code == 0, result
    policy = result["conditional_access_policy"]
    assert policy["displayName"] == "Block legacy authentication"
    assert policy["state"] == "enabledForReportingButNotEnforced"
    assert policy["grantControls"]["builtInControls"] == ["block"]
    assert sorted(policy["conditions"]["clientAppTypes"]) == ["exchangeActiveSync", "other"]
    users = policy["conditions"]["users"]
    assert users["excludeUsers"] == ["b0b0b0b0-0000-4000-8000-000000000001"]
    assert users["excludeGroups"] == [EMERGENCY_GROUP_ID]
    posted = [r for r in graph_rows(graph_sandbox, since) if r["method"] == "POST" and r["path"].endswith(POLICIES)]
    assert "Current administrator" not in str(posted[0]["body"])
    again, code = run({"template": "Block legacy authentication",
                       "emergency_access": {"groups": ["Emergency Access"],
                                            "users": ["breakglass1@contoso.onmicrosoft.com"]}})
    assert code == 0 and again["changed"] is False
    # Options override the template; without emergency accounts the placeholder is dropped with a warning.
    name = unique("From template")
    result, code = run({"template": "0b2282f9-2862-4178-88b5-d79340b36cb8", "display_name": name,
                        "conditions": {"users": {"include_groups": ["Mobile Pilot"]}}})
    assert code == 0, result
    users = result["conditional_access_policy"]["conditions"]["users"]
    assert users["includeGroups"] == [PILOT_GROUP_ID] and users["includeUsers"] == ["All"]
    assert not users.get("excludeUsers")
    assert any("Current administrator will be excluded" in w for w in result["warnings"])


# -- references created in the same play -----------------------------------------------------------

def test_a_named_location_created_just_before_is_waited_for(run, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 3, "path": "namedLocations"}]})
    token = graph_sandbox.token()
    location = unique("Office")
    graph_sandbox.session().post(
        graph_sandbox.base_url + "/v1.0/identity/conditionalAccess/namedLocations",
        headers={"Authorization": "Bearer " + token},
        json={"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": location, "isTrusted": True,
              "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"}]})
    args = mobile_policy(unique())
    args["conditions"]["locations"] = {"include_locations": ["All"], "exclude_locations": [location]}
    result, code = run(args, diff=True)
    assert code == 0, result
    assert result["diff"]["after"]["conditions"]["locations"]["excludeLocations"] == [location]


def test_a_write_refused_with_1040_is_worth_repeating():
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import ConditionalAccessPolicyType
    from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError

    resource = ConditionalAccessPolicyType()
    missing = GraphError("POST", "https://graph/v1.0" + POLICIES, status=400, code="BadRequest",
                         message="1040: NamedLocation with id 1 does not exist in the directory.")
    other = GraphError("POST", "https://graph/v1.0" + POLICIES, status=400, code="BadRequest",
                       message="1007: Incoming ConditionalAccessPolicy object is null")
    assert resource.retry_write(missing) is True
    assert resource.retry_write(other) is False


def test_check_mode_keeps_a_location_an_earlier_task_would_create(run, graph_sandbox):
    args = mobile_policy(unique())
    args["conditions"]["locations"] = {"include_locations": ["All"], "exclude_locations": ["Office not created yet"]}
    args["reference_timeout"] = 30
    since = len(graph_sandbox.requests())
    result, code = run(args, check=True, diff=True)
    assert code == 0, result
    assert result["action"] == "created"
    assert result["diff"]["after"]["conditions"]["locations"]["excludeLocations"] == ["Office not created yet"]
    assert any("Office not created yet" in w and "check mode" in w for w in result["warnings"])
    lists = [r for r in graph_rows(graph_sandbox, since) if "namedLocations" in str(r.get("body")) or
             r["path"].endswith("/namedLocations")]
    assert len(lists) == 1  # no waiting for it in check mode
    assert writes(graph_sandbox, since) == []
    args["reference_timeout"] = 0
    result, code = run(args)
    assert code == 1 and "conditions.locations.exclude_locations" in result["msg"]


# -- ids, beta, info -----------------------------------------------------------------------------------

def test_an_id_that_matches_nothing_is_kept_with_a_warning(run):
    missing = "0e0e0e0e-0000-4000-8000-000000000000"
    args = mobile_policy(unique())
    args["conditions"]["users"]["exclude_users"] = [missing, "breakglass1@contoso.onmicrosoft.com"]
    result, code = run(args)
    assert code == 0, result
    assert missing in result["conditional_access_policy"]["conditions"]["users"]["excludeUsers"]
    assert any(missing in w and "conditions.users.exclude_users" in w for w in result["warnings"])


def test_beta_only_options_with_api_version_beta(run, graph_sandbox):
    args = mobile_policy(unique(), api_version="beta")
    args["conditions"]["agent_id_risk_levels"] = "High,medium"
    result, code = run(args)
    assert code == 0, result
    assert result["conditional_access_policy"]["conditions"]["agentIdRiskLevels"] == "medium,high"
    since = len(graph_sandbox.requests())
    again, code = run(args)
    assert code == 0 and again["changed"] is False, again
    assert all(r["path"].startswith("/beta/") for r in graph_rows(graph_sandbox, since))


def test_info_filters_and_flags_the_retired_grant(run, run_module, graph_sandbox):
    from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy_info

    name = unique("Info")
    created, code = run(mobile_policy(name, policy_state="disabled"))
    assert code == 0, created
    legacy_id = "0f0f0f0f-0000-4000-8000-%012d" % (uuid.uuid4().int % 10 ** 12)
    graph_sandbox.seed({"conditionalAccessPolicies": [{
        "id": legacy_id, "displayName": name + " legacy", "state": "enabledForReportingButNotEnforced",
        "conditions": {"users": {"includeGroups": [PILOT_GROUP_ID]}, "applications": {"includeApplications": ["Office365"]},
                       "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["approvedApplication"]}}]})
    found, code = run_module(conditional_access_policy_info.main, {"id": created["conditional_access_policy"]["id"]})
    assert code == 0, found
    [item] = found["conditional_access_policies"]
    assert item["displayName"] == name and item["uses_retired_grant"] is False
    assert item["readable"]["conditions"]["users"]["includeGroups"] == ["Mobile Pilot"]
    assert item["params"]["conditions"]["applications"]["include_applications"] == ["Exchange Online"]
    found, code = run_module(conditional_access_policy_info.main, {"display_name": (name + " LEGACY").lower()})
    assert code == 0, found
    [legacy] = found["conditional_access_policies"]
    assert legacy["id"] == legacy_id and legacy["uses_retired_grant"] is True
    assert "migrate_approved_application" in legacy["migration_hint"] and "compliantApplication" in legacy["migration_hint"]
    found, code = run_module(conditional_access_policy_info.main, {"policy_state": "disabled"})
    assert code == 0
    states = set(p["state"] for p in found["conditional_access_policies"])
    assert states == {"disabled"} and name in [p["displayName"] for p in found["conditional_access_policies"]]
