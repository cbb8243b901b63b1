"""A change that lowers an enforced policy (report-only, disabled, deleted) is named as a downgrade: in the
actions, in a warning and in the header of the diff, in check mode as in apply."""
import uuid

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

    seed = tenant_seed()
    # The pilot group has a member: the guard before writing refuses an enforced policy for an empty group.
    for group in seed["groups"]:
        if group["displayName"] == "Mobile Pilot":
            group["members"] = ["adele@contoso.onmicrosoft.com"]
    with running_sandbox(str(tmp_path_factory.mktemp("ca-downgrade")), seed=seed) as sb:
        yield sb


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture
def run(run_module):
    """Runs the module; ``warnings`` of the result are those of this run only (the test process keeps
    every warning of earlier runs)."""
    earlier = []

    def execute(args, check=False, diff=False):
        result, code = run_module(conditional_access_policy.main, args, check=check, diff=diff)
        warnings = result.get("warnings", [])
        result["warnings"] = warnings[len(earlier):] if warnings[:len(earlier)] == earlier else warnings
        earlier[:] = warnings
        return result, code
    return execute


def policy(name, state):
    return {
        "display_name": name,
        "policy_state": state,
        "conditions": {
            "users": {"include_groups": ["Mobile Pilot"], "exclude_users": ["breakglass1@contoso.onmicrosoft.com"]},
            "applications": {"include_applications": ["Office365"]},
            "client_app_types": ["all"],
        },
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }


def downgrades(result):
    return [w for w in result.get("warnings", []) if "Downgrade" in w]


def test_enforced_to_report_only_and_a_deleted_pilot_copy_are_downgrades(run, graph_sandbox):
    tag = uuid.uuid4().hex[:8]
    main, copy, other = "TG %s MFA" % tag, "TG %s MFA (pilot)" % tag, "TG %s other" % tag
    first, code = run({"conditional_access_policies": [
        policy(main, "enabled"), policy(copy, "enabled"), policy(other, "enabledForReportingButNotEnforced")]})
    assert code == 0, first
    assert [a.get("downgrade") for a in first["actions"]] == [False, False, False]
    assert downgrades(first) == []

    lowered = {"conditional_access_policies": [
        policy(main, "enabledForReportingButNotEnforced"), {"display_name": copy, "state": "absent"},
        policy(other, "enabled")]}
    since = len(graph_sandbox.requests())
    check, code = run(lowered, check=True, diff=True)
    assert code == 0, check
    assert writes(graph_sandbox, since) == []
    by_name = {a["display_name"]: a for a in check["actions"]}
    assert by_name[main]["downgrade"] is True
    assert by_name[main]["policy_state"] == {"before": "enforced", "after": "report-only"}
    assert by_name[copy]["downgrade"] is True and by_name[copy]["action"] == "deleted"
    assert by_name[copy]["policy_state"] == {"before": "enforced", "after": "deleted"}
    # Going up is named, not warned about.
    assert by_name[other]["downgrade"] is False
    assert by_name[other]["policy_state"] == {"before": "report-only", "after": "enforced"}
    assert downgrades(check) == [
        "Downgrade: conditional access policy %r is enforced and would be report-only." % main,
        "Downgrade: conditional access policy %r is enforced and would be deleted." % copy,
    ]
    assert check["diff"]["before_header"] == "conditional access policies before"
    assert check["diff"]["after_header"] == (
        "conditional access policies after; %r downgrade: enforced to report-only; "
        "%r downgrade: enforced to deleted" % (main, copy))

    applied, code = run(lowered, diff=True)
    assert code == 0, applied
    assert [(a["display_name"], a["downgrade"]) for a in applied["actions"]] == [
        (main, True), (copy, True), (other, False)]
    assert downgrades(applied) == [
        "Downgrade: conditional access policy %r was enforced and is now report-only." % main,
        "Downgrade: conditional access policy %r was enforced and is now deleted." % copy,
    ]

    again, code = run(lowered)
    assert code == 0 and again["changed"] is False and downgrades(again) == []


def test_a_single_policy_disabled_is_a_downgrade(run):
    name = "TG %s single" % uuid.uuid4().hex[:8]
    created, code = run(policy(name, "enabled"))
    assert code == 0 and created["downgrade"] is False, created
    check, code = run(policy(name, "disabled"), check=True, diff=True)
    assert code == 0, check
    assert check["downgrade"] is True and check["policy_state"] == {"before": "enforced", "after": "disabled"}
    assert downgrades(check) == ["Downgrade: conditional access policy %r is enforced and would be disabled." % name]
    assert "downgrade: enforced to disabled" in check["diff"]["after_header"]
    done, code = run(policy(name, "disabled"))
    assert code == 0 and done["downgrade"] is True, done
    assert downgrades(done) == ["Downgrade: conditional access policy %r was enforced and is now disabled." % name]
