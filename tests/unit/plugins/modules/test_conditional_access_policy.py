"""conditional_access_policy in-process against the sandbox: lifecycle, names, drift, diff, set mode."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (  # noqa: F401
    EMERGENCY_GROUP_ID,
    PILOT_GROUP_ID,
    POLICIES,
    graph_rows,
    run_module,
    tenant_seed,
    writes,
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("ca-policy")), seed=tenant_seed()) as sb:
        yield sb


@pytest.fixture
def run(run_module):  # noqa: F811
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
