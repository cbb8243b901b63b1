"""Messages a person can act on: All in an exclusion list is explained, not looked up as a user named All."""
import pytest

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    module_runner,
    tenant_seed,
    writes,
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("ca-messages")), seed=tenant_seed()) as sb:
        yield sb


@pytest.fixture
def run(graph_sandbox, clean_environment, tmp_path, capsys):
    runner = module_runner(graph_sandbox, clean_environment, tmp_path, capsys)

    def execute(args, check=False):
        return runner(conditional_access_policy.main, args, check=check)
    return execute


def policy(users):
    return {"conditional_access_policies": [{
        "display_name": "TG - All in exclusions",
        "conditions": {"users": users, "applications": {"include_applications": ["All"]}, "client_app_types": ["all"]},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }]}


@pytest.mark.parametrize("check", [True, False])
def test_all_in_exclude_users_is_explained(run, graph_sandbox, check):
    since = len(graph_sandbox.requests())
    result, code = run(policy({"include_users": ["All"], "exclude_users": ["All"]}), check=check)
    assert code == 1, result
    message = result["msg"]
    assert ("conditional_access_policies[0].conditions.users.exclude_users: is All, which Graph accepts only in "
            "conditions.users.include_users (All: every user; None: no one); exclude_users needs explicit users"
            in message), message
    assert "the user principal names or ids of the users to leave out" in message
    assert message.count("exclude_users: is All") == 1, message
    assert "no user has" not in message
    assert writes(graph_sandbox, since) == []


def test_all_in_include_groups_is_explained(run):
    result, code = run(policy({"include_groups": ["All"]}), check=True)
    assert code == 1, result
    assert ("conditions.users.include_groups: is All, which Graph accepts only in conditions.users.include_users"
            in result["msg"]), result
    assert "include_groups needs explicit groups" in result["msg"]


def named(name, group="Mobile Pilot"):
    return {"conditional_access_policies": [{
        "display_name": name,
        "conditions": {"users": {"include_groups": [group]}, "applications": {"include_applications": ["All"]},
                       "client_app_types": ["all"]},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }]}


@pytest.mark.parametrize("given, how", [
    ("TG - Near miss ", "a trailing space"),
    (" TG - Near miss", "a leading space"),
    ("TG\u00a0- Near miss", "Unicode compatibility forms (such as a non-breaking space or a full-width letter, NFKC)"),
])
def test_a_policy_name_that_differs_only_by_spaces_or_normalisation_is_explained(run, graph_sandbox, given, how):
    created, code = run(named("TG - Near miss"))
    assert code == 0, created
    since = len(graph_sandbox.requests())
    for check in (True, False):
        result, code = run(named(given), check=check)
        assert code == 1, result
        assert ("conditional_access_policies[0].display_name: differs from existing 'TG - Near miss' only by %s; it "
                "would create a second conditional access policy that looks the same" % how) in result["msg"], result
        assert "'TG - Near miss' exactly to manage the existing one" in result["msg"]
    assert writes(graph_sandbox, since) == []


@pytest.mark.parametrize("group, how", [
    ("Mobile\u00a0Pilot", "Unicode compatibility forms (such as a non-breaking space or a full-width letter, NFKC)"),
    ("Mobile Pi\u2010lot", None),
])
def test_a_group_name_that_differs_only_by_normalisation_is_explained(run, group, how):
    result, code = run(named("TG - Group near miss", group=group), check=True)
    assert code == 1, result
    if how:
        assert "it differs from existing 'Mobile Pilot' only by %s" % how in result["msg"], result
    else:
        assert "closest: 'Mobile Pilot'" in result["msg"], result
