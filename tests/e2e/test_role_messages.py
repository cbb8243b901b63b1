"""Messages of the roles name the user's own variable and item, not the list the role hands to the module
(the conditional_access role passes each policy and its pilot copy; tenant_hardening merges the tenant's
own policies with the outlook_mobile baseline's)."""
import json

import pytest

from conftest import REPO

EMERGENCY = {"users": ["breakglass1@contoso.onmicrosoft.com"], "groups": ["Emergency Access"]}


def policy(name, users):
    return {"display_name": name, "conditions": {"users": users, "applications": {"include_applications": ["All"]},
                                                 "client_app_types": ["all"]},
            "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]}}


def failure(run):
    fatal = [line for line in run.stdout.splitlines() if line.startswith("fatal:")]
    assert len(fatal) == 1, run
    return json.loads(fatal[0].split("=>", 1)[1])["msg"]


def writes(sandbox, since):
    """Graph writes since ``since`` (bulk reads sent as POST left out)."""
    return [r for r in sandbox.requests()[since:] if r["service"] == "graph" and (
        r["method"] in ("PATCH", "PUT", "DELETE")
        or (r["method"] == "POST" and not r["path"].endswith(("/$batch", "/getByIds"))))]


def test_the_conditional_access_role_names_the_user_s_item(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    run = run_playbook("role_variables.yml", extra_vars={
        "role_under_test": "conditional_access",
        "conditional_access_emergency_access": EMERGENCY,
        "conditional_access_policies": [policy("TG - first", {"include_users": ["All"]}),
                                        policy("TG - second", {"include_users": ["All"], "exclude_users": ["All"]})],
    })
    assert run.rc != 0, run
    message = failure(run)
    assert ("conditional_access_policies[1] ('TG - second').conditions.users.exclude_users: is All, which Graph "
            "accepts only in conditions.users.include_users") in message, message
    # Each problem once; not the index of the role's internal list (policy and pilot copy: [2]).
    assert message.count("is All") == 1, message
    assert "conditional_access_policies[2]" not in message, message
    assert writes(graph_sandbox, since) == []


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


def test_tenant_hardening_names_the_baseline_and_its_variable_not_the_merged_list(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    run = run_playbook(REPO / "playbooks" / "harden_tenant.yml", extra_vars={
        "tenant_hardening_device_report": "never", "outlook_mobile_include_groups": ["Mobile Pilott"]})
    assert run.rc != 0, run
    message = failure(run)
    assert ("the outlook_mobile baseline (outlook_mobile_rollout_mfa_all_users) ('TG - MFA for all users')"
            ".conditions.users.include_groups") in message, message
    assert "Mobile Pilott" in message
    # The merged list's indices (the tenant's own policy is [0], the baseline follows) are not shown.
    for index in range(1, 12):
        assert "conditional_access_policies[%d]" % index not in message, message
    assert writes(graph_sandbox, since) == []
