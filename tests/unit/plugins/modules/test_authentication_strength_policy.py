"""The authentication_strength_policy module in-process against the sandbox: bad input, built-in
strengths, updates through PATCH and updateAllowedCombinations, set mode."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import authentication_strength_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import (
    graph_rows, module_runner, unique, writes)

MAIN = authentication_strength_policy.main
STRENGTHS = "/v1.0/policies/authenticationStrengthPolicies"
MULTIFACTOR = "00000000-0000-0000-0000-000000000002"

OFFLINE_BAD_INPUTS = [
    ({"display_name": "x", "allowed_combinations": ["fido2", "password,bogus"]},
     ["allowed_combinations[1]", "'password,bogus'", "'bogus' is not an authentication method mode",
      "Accepted: combinations of authentication method modes"]),
    ({"display_name": "x", "allowed_combinations": ["password,,sms"]},
     ["allowed_combinations[0]", "'password,,sms'", "has an empty mode", "Accepted:"]),
    ({"display_name": "x", "allowed_combinations": []},
     ["allowed_combinations", "is empty", "Accepted:"]),
    ({"authentication_strength_policies": [{"display_name": "a", "allowed_combinations": ["fido2"]}], "purge": True},
     ["purge", "purge_name_pattern is not set", "Accepted: purge_name_pattern"]),
]


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.mark.parametrize("args,words", OFFLINE_BAD_INPUTS, ids=[w[0] for _a, w in OFFLINE_BAD_INPUTS])
def test_bad_input_fails_before_any_request(run_module, graph_sandbox, args, words):
    since = len(graph_sandbox.requests())
    result, code = run_module(MAIN, args)
    assert code == 1
    for word in words:
        assert word in result["msg"], result["msg"]
    assert graph_rows(graph_sandbox, since) == []


@pytest.mark.parametrize("args", [
    {"display_name": "Multifactor authentication", "description": "Ours now"},
    {"id": MULTIFACTOR, "allowed_combinations": ["fido2"]},
    {"display_name": "Phishing resistant MFA", "state": "absent"},
], ids=["description", "combinations", "delete"])
def test_built_in_strengths_cannot_be_changed(run_module, graph_sandbox, args):
    since = len(graph_sandbox.requests())
    result, code = run_module(MAIN, args)
    assert code == 1
    assert "it is built in" in result["msg"] and "be changed or deleted" in result["msg"]
    assert ("00000000-0000-0000-0000-00000000000" in result["msg"])
    assert writes(graph_sandbox, since) == []


def test_a_built_in_strength_declared_as_it_is_changes_nothing(run_module, graph_sandbox):
    result, code = run_module(MAIN, {"display_name": "Phishing resistant MFA", "allowed_combinations": [
        "x509CertificateMultiFactor", "FIDO2", "windowsHelloForBusiness"]})
    assert code == 0 and result["changed"] is False
    assert result["authentication_strength_policy"]["policyType"] == "builtIn"


def test_create_needs_combinations(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    name = unique("Bare")
    result, code = run_module(MAIN, {"display_name": name})
    assert code == 1 and result["msg"].startswith("Option allowed_combinations: is required to create "
                                                  "authentication strength %r" % name)
    assert writes(graph_sandbox, since) == []


def test_four_steps_then_update_through_patch_and_the_action_then_delete(run_module, graph_sandbox):
    name = unique("Strength")
    args = {"display_name": name, "description": "First", "allowed_combinations": ["fido2", "Password, SMS"]}
    since = len(graph_sandbox.requests())
    checked, _code = run_module(MAIN, args, check=True, diff=True)
    assert checked["changed"] is True and checked["action"] == "created"
    assert checked["diff"]["after"] == {"display_name": name, "description": "First",
                                        "allowed_combinations": ["fido2", "password,sms"]}
    assert writes(graph_sandbox, since) == []
    created, _code = run_module(MAIN, args)
    assert created["changed"] is True and created["authentication_strength_policy"]["policyType"] == "custom"
    object_id = created["authentication_strength_policy"]["id"]
    for check in (True, False):
        again, _code = run_module(MAIN, dict(args, allowed_combinations=["sms,password", "FIDO2"]), check=check)
        assert again["changed"] is False
    mark = len(graph_sandbox.requests())
    updated, _code = run_module(MAIN, {"display_name": name, "description": "Second",
                                       "allowed_combinations": ["fido2", "password,microsoftAuthenticatorPush"]},
                                diff=True)
    assert updated["action"] == "updated"
    assert updated["diff"]["before"]["allowed_combinations"] == ["fido2", "password,sms"]
    assert updated["diff"]["after"]["allowed_combinations"] == ["fido2", "password,microsoftAuthenticatorPush"]
    sent = [(r["method"], r["path"], r["status"], r["body"]) for r in graph_rows(graph_sandbox, mark)
            if r["method"] != "GET"]
    assert sent == [
        ("PATCH", "%s/%s" % (STRENGTHS, object_id), 204, {"description": "Second"}),
        ("POST", "%s/%s/updateAllowedCombinations" % (STRENGTHS, object_id), 200,
         {"allowedCombinations": ["fido2", "password,microsoftAuthenticatorPush"]}),
    ]
    only_name, _code = run_module(MAIN, {"id": object_id, "display_name": name + " renamed"})
    assert only_name["action"] == "updated"
    assert only_name["authentication_strength_policy"]["allowedCombinations"] == [
        "fido2", "password,microsoftAuthenticatorPush"]
    cleared, _code = run_module(MAIN, {"id": object_id, "description": ""})
    assert cleared["action"] == "updated" and not cleared["authentication_strength_policy"].get("description")
    gone, _code = run_module(MAIN, {"id": object_id, "state": "absent"})
    assert gone["action"] == "deleted"
    again, _code = run_module(MAIN, {"display_name": name + " renamed", "state": "absent"})
    assert again["changed"] is False


def test_set_mode_purges_custom_strengths_in_the_pattern_and_never_built_ins(run_module, graph_sandbox):
    tag = uuid.uuid4().hex[:6]
    old_id = str(uuid.uuid4())
    graph_sandbox.seed({"authenticationStrengthPolicies": [
        {"id": old_id, "displayName": "TG %s old" % tag, "allowedCombinations": ["fido2"]}]})
    args = {"authentication_strength_policies": [
        {"display_name": "TG %s admins" % tag, "allowed_combinations": ["fido2", "x509CertificateMultiFactor"]},
        {"display_name": "Passwordless MFA", "allowed_combinations": [
            "windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush"]},
    ], "purge": True, "purge_name_pattern": "(TG %s .*|Multifactor authentication)" % tag}
    result, code = run_module(MAIN, args)
    assert code == 0, result
    assert sorted((a["display_name"], a["action"], a["purged"]) for a in result["actions"]) == [
        ("TG %s admins" % tag, "created", False), ("TG %s old" % tag, "deleted", True)]
    assert [p["policyType"] for p in result["authentication_strength_policies"]] == ["custom", "builtIn"]
    again, _code = run_module(MAIN, args)
    assert again["changed"] is False
