"""conditional_access_policy's guards before writing: unusable emergency-access accounts, enforced policies for
empty groups (an empty pilot group), a purge that matches any name or would delete an enforced policy, and the
tenant's policy limit. Each refuses before any write, in check mode exactly as in a real run, lists what it found
once, and goes on when acknowledged."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    BREAKGLASS_ID,
    module_runner,
    tenant_seed,
    writes,
)

DISABLED_ID = "b0b0b0b0-0000-4000-8000-0000000000d1"
PILOT_MEMBER_ID = "b0b0b0b0-0000-4000-8000-0000000000d2"
INNER_GROUP_ID = "e0e0e0e0-0000-4000-8000-0000000000c1"
POLICIES = "/v1.0/identity/conditionalAccess/policies"


def group(name, nick, group_id, members=None):
    """A group; seeded with an id, as the sandbox files the members of a group under the id it was given."""
    item = {"displayName": name, "securityEnabled": True, "mailEnabled": False, "mailNickname": nick}
    item["id"] = group_id
    if members is not None:
        item["members"] = members
    return item


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    seed = tenant_seed()
    seed["users"] += [
        {"id": DISABLED_ID, "displayName": "Break Glass Old", "userPrincipalName": "breakglass-old@contoso.onmicrosoft.com",
         "accountEnabled": False},
        {"id": PILOT_MEMBER_ID, "displayName": "Pilot Person", "userPrincipalName": "pilot@contoso.onmicrosoft.com"},
    ]
    seed["groups"] += [
        group("Emergency Disabled Only", "emdis", "e0e0e0e0-0000-4000-8000-0000000000c2", members=[DISABLED_ID]),
        group("Emergency Inner", "eminner", INNER_GROUP_ID, members=[BREAKGLASS_ID]),
        group("Emergency Nested", "emnested", "e0e0e0e0-0000-4000-8000-0000000000c3", members=[INNER_GROUP_ID]),
        group("Empty Pilot", "emptypilot", "e0e0e0e0-0000-4000-8000-0000000000c4"),
        group("Staffed Pilot", "staffedpilot", "e0e0e0e0-0000-4000-8000-0000000000c5", members=[PILOT_MEMBER_ID]),
    ]
    with running_sandbox(str(tmp_path_factory.mktemp("ca-write-guards")), seed=seed) as sb:
        yield sb


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture
def run(run_module):
    def execute(args, check=False):
        return run_module(conditional_access_policy.main, args, check=check)
    return execute


def unique(prefix="TG write guard"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def policy(name=None, state=None, include_groups=("Staffed Pilot",), **extra):
    args = {
        "display_name": name or unique(),
        "conditions": {"users": {"include_groups": list(include_groups)},
                       "applications": {"include_applications": ["Office365"]}, "client_app_types": ["all"]},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }
    if state:
        args["policy_state"] = state
    args.update(extra)
    return args


def refused_alike(run, graph_sandbox, args):
    """Run ``args`` in check mode, then for real: both refuse with the same message and write nothing."""
    since = len(graph_sandbox.requests())
    check, code = run(args, check=True)
    assert code == 1, check
    real, code = run(args)
    assert code == 1, real
    assert real["msg"] == check["msg"]
    assert writes(graph_sandbox, since) == []
    return real["msg"]


def seed_policy(graph_sandbox, name, state):
    policy_id = str(uuid.uuid4())
    graph_sandbox.seed({"conditionalAccessPolicies": [{
        "id": policy_id, "displayName": name, "state": state,
        "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": [BREAKGLASS_ID]},
                       "applications": {"includeApplications": ["Office365"]}, "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}]})
    return policy_id


# -- emergency access -----------------------------------------------------------------------------------

def test_a_disabled_emergency_account_is_refused_until_acknowledged(run, graph_sandbox):
    args = policy(emergency_access={"users": ["breakglass-old@contoso.onmicrosoft.com"]})
    message = refused_alike(run, graph_sandbox, args)
    assert "emergency_access.users" in message and "'breakglass-old@contoso.onmicrosoft.com'" in message
    assert "disabled" in message and "acknowledge_unusable_emergency_access" in message
    assert "conditional_access_acknowledge_unusable_emergency_access" in message
    assert message.count("breakglass-old@contoso.onmicrosoft.com") == 1

    done, code = run(dict(args, acknowledge_unusable_emergency_access=True))
    assert code == 0 and done["action"] == "created", done


def test_an_emergency_group_without_enabled_members_is_refused_when_it_is_all_there_is(run, graph_sandbox):
    for groups in (["Emergency Access"], ["Emergency Disabled Only"]):
        message = refused_alike(run, graph_sandbox, policy(emergency_access={"groups": groups}))
        assert "emergency_access.groups" in message and repr(groups[0]) in message, message
        assert "no enabled member" in message

    # Nested members count; and an empty group next to an account that can sign in is no lockout.
    for emergency in ({"groups": ["Emergency Nested"]},
                      {"groups": ["Emergency Access"], "users": ["breakglass1@contoso.onmicrosoft.com"]}):
        done, code = run(policy(emergency_access=emergency))
        assert code == 0 and done["action"] == "created", (emergency, done)


# -- empty (pilot) groups ----------------------------------------------------------------------------

def test_an_enforced_policy_for_an_empty_pilot_group_is_refused(run, graph_sandbox):
    main_name = unique("TG pilot main")
    items = [
        dict(policy(main_name, "enabledForReportingButNotEnforced", include_groups=["Mobile Pilot"]),
             conditions={"users": {"include_users": ["All"], "exclude_groups": ["Empty Pilot"],
                                   "exclude_users": ["breakglass1@contoso.onmicrosoft.com"]},
                         "applications": {"include_applications": ["Office365"]}, "client_app_types": ["all"]}),
        policy(main_name + " (pilot)", "enabled", include_groups=["Empty Pilot"]),
    ]
    args = {"conditional_access_policies": items, "emergency_access": {"users": ["breakglass1@contoso.onmicrosoft.com"]}}
    message = refused_alike(run, graph_sandbox, args)
    assert "'Empty Pilot'" in message and repr(main_name + " (pilot)") in message, message
    assert "conditional_access_policies[1]" in message and "no members" in message
    assert "acknowledge_empty_groups" in message
    assert repr(main_name) + " (" not in message  # the report-only policy is not blamed

    # A pilot group with members passes; an acknowledged empty one too.
    staffed = [dict(items[0]), policy(main_name + " (pilot)", "enabled", include_groups=["Staffed Pilot"])]
    since = len(graph_sandbox.requests())
    done, code = run(dict(args, conditional_access_policies=staffed), check=True)
    assert code == 0, done
    assert writes(graph_sandbox, since) == []
    done, code = run(dict(args, acknowledge_empty_groups=True))
    assert code == 0 and [a["action"] for a in done["actions"]] == ["created", "created"], done


# -- purge ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [".*", "^.*$", "(?s).*", ".*|TG - .*", "(.*)", "[^\\n]*|"])
def test_a_purge_pattern_that_matches_any_name_is_refused(run, graph_sandbox, pattern):
    hand_made = unique("Hand made")
    seed_policy(graph_sandbox, hand_made, "disabled")
    args = {"conditional_access_policies": [policy()], "purge": True, "purge_name_pattern": pattern}
    message = refused_alike(run, graph_sandbox, args)
    assert "purge_name_pattern" in message and repr(pattern) in message and "matches any name" in message
    assert "acknowledge_purge_risk" in message


def test_a_purge_that_would_delete_an_enforced_policy_is_refused_until_acknowledged(run, graph_sandbox):
    prefix = "PG%s - " % uuid.uuid4().hex[:6]
    enforced_id = seed_policy(graph_sandbox, prefix + "enforced by hand", "enabled")
    seed_policy(graph_sandbox, prefix + "stale report-only", "enabledForReportingButNotEnforced")
    args = {"conditional_access_policies": [policy(prefix + "kept")], "purge": True,
            "purge_name_pattern": prefix + ".*"}
    message = refused_alike(run, graph_sandbox, args)
    assert "enforced" in message and repr(prefix + "enforced by hand") in message and enforced_id in message
    assert "stale report-only" not in message and "matches any name" not in message

    since = len(graph_sandbox.requests())
    done, code = run(dict(args, acknowledge_purge_risk=True))
    assert code == 0, done
    assert sorted((a["action"], a["purged"]) for a in done["actions"]) == [
        ("created", False), ("deleted", True), ("deleted", True)]
    assert sorted(w[0] for w in writes(graph_sandbox, since)) == ["DELETE", "DELETE", "POST"]


def test_a_narrow_purge_of_report_only_policies_needs_no_acknowledgement(run, graph_sandbox):
    prefix = "PN%s - " % uuid.uuid4().hex[:6]
    seed_policy(graph_sandbox, prefix + "stale", "disabled")
    done, code = run({"conditional_access_policies": [policy(prefix + "kept")], "purge": True,
                      "purge_name_pattern": prefix + ".*"})
    assert code == 0, done
    assert sorted(a["action"] for a in done["actions"]) == ["created", "deleted"]


# -- the tenant's limit --------------------------------------------------------------------------------

def test_more_policies_than_the_limit_are_refused_until_acknowledged(run, graph_sandbox):
    client, token = graph_sandbox.session(), graph_sandbox.token()
    existing = len(client.get(graph_sandbox.base_url + POLICIES, headers={"Authorization": "Bearer " + token})
                   .json()["value"])
    items = [policy(), policy()]
    args = {"conditional_access_policies": items, "policy_limit": existing + 1}
    message = refused_alike(run, graph_sandbox, args)
    assert "%d conditional access policies" % (existing + 2) in message and "limit of %d" % (existing + 1) in message
    assert "plan-conditional-access" in message and "acknowledge_policy_limit" in message

    done, code = run(dict(args, policy_limit=existing + 2))
    assert code == 0 and len(done["actions"]) == 2, done
    done, code = run({"conditional_access_policies": [policy()], "policy_limit": existing + 2,
                      "acknowledge_policy_limit": True})
    assert code == 0 and done["actions"][0]["action"] == "created", done
