"""ansible-playbook runs authentication_strength_policy against the sandbox: check -> apply -> check ->
apply, an update through PATCH and updateAllowedCombinations, delete and delete again; built-in strengths
refused; set mode with purge by pattern and the export round-trip of the info module."""

import pytest

import conftest
from conftest import SEED, settled

STRENGTHS = "/v1.0/policies/authenticationStrengthPolicies"
OLD_ID = "7b2c3d4e-0000-4000-8000-000000000001"
OUTSIDE_ID = "7b2c3d4e-0000-4000-8000-000000000002"


def graph_writes(sandbox, since=0):
    return conftest.graph_writes(sandbox, since, ("method", "path", "status"))


@pytest.fixture
def sandbox_seed():
    return dict(SEED, authenticationStrengthPolicies=[
        {"id": OLD_ID, "displayName": "TG - retired", "allowedCombinations": ["password,sms"]},
        {"id": OUTSIDE_ID, "displayName": "Helpdesk strength", "allowedCombinations": ["fido2"]},
    ])


def test_check_apply_check_apply_then_update_delete_and_delete_again(run_playbook, graph_sandbox):
    strength = {"strength_name": "E2E admins", "strength_description": "Phishing resistant",
                "combinations": ["fido2", "windowsHelloForBusiness"]}
    steps = [
        (["--check", "--diff"], strength, 1, []),
        ([], strength, 1, [("POST", STRENGTHS, 201)]),
        (["--check"], strength, 0, []),
        ([], dict(strength, combinations=["WindowsHelloForBusiness", "FIDO2"]), 0, []),
        ([], dict(strength, strength_description="Keys and Hello",
                  combinations=["fido2", "windowsHelloForBusiness", "password, microsoftAuthenticatorPush"]), 1,
         [("PATCH", None, 204), ("POST", "updateAllowedCombinations", 200)]),
        ([], {"strength_name": "E2E admins", "strength_state": "absent"}, 1, [("DELETE", None, 204)]),
        ([], {"strength_name": "E2E admins", "strength_state": "absent"}, 0, []),
    ]
    object_id = None
    for index, (args, variables, changed, expected) in enumerate(steps):
        since = len(settled(graph_sandbox))
        run = run_playbook("authentication_strength_policy.yml", *args, extra_vars=variables)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        seen = graph_writes(graph_sandbox, since)
        assert [(m, s) for m, _p, s in seen] == [(m, s) for m, _p, s in expected], (index, seen)
        for (_m, path, _s), (_em, suffix, _es) in zip(seen, expected):
            if suffix == STRENGTHS:
                assert path == STRENGTHS
            else:
                assert path.startswith("%s/%s" % (STRENGTHS, object_id)) and path.endswith(suffix or object_id)
        if index == 1:
            object_id = run.output("strength")["authentication_strength_policy"]["id"]
        if index == 4:
            stored = run.output("strength")["authentication_strength_policy"]
            assert stored["description"] == "Keys and Hello" and len(stored["allowedCombinations"]) == 3


def test_built_in_strength_cannot_be_changed(run_playbook, graph_sandbox):
    run = run_playbook("authentication_strength_policy.yml", extra_vars={
        "strength_name": "Multifactor authentication", "combinations": ["fido2"]})
    assert run.rc != 0 and run.recap["failed"] == 1, run
    assert "00000000-0000-0000-0000-000000000002" in run.stdout and "it is built in" in run.stdout
    assert graph_writes(graph_sandbox) == []


def test_set_mode_purge_then_export_round_trip(run_playbook, graph_sandbox):
    declared = {"strengths": [
        {"display_name": "TG - admins", "allowed_combinations": ["fido2", "x509CertificateMultiFactor"]},
        {"display_name": "TG - guests", "description": "Guests", "allowed_combinations": ["password,sms"]},
    ], "purge_name_pattern": "TG - .*"}
    run = run_playbook("authentication_strength_policy_export.yml", extra_vars=declared)
    assert run.rc == 0 and run.recap["changed"] == 1, run
    seen = run.output("strengths")
    assert sorted((a["display_name"], a["action"], a["purged"]) for a in seen["converged"]["actions"]) == [
        ("TG - admins", "created", False), ("TG - guests", "created", False), ("TG - retired", "deleted", True)]
    assert [w[1].rsplit("/", 1)[1] for w in graph_writes(graph_sandbox) if w[0] == "DELETE"] == [OLD_ID]
    exported = seen["exported"]["authentication_strength_policies"]
    assert sorted(p["displayName"] for p in exported) == [
        "Helpdesk strength", "Multifactor authentication", "Passwordless MFA", "Phishing resistant MFA",
        "TG - admins", "TG - guests"]
    # The export, fed back in the same play, changed nothing.
    assert seen["reapplied"]["changed"] is False and seen["reapplied"]["actions"] == []
    since = len(settled(graph_sandbox))
    again = run_playbook("authentication_strength_policy_export.yml", extra_vars=declared)
    assert again.rc == 0 and again.recap["changed"] == 0, again
    assert graph_writes(graph_sandbox, since) == []
