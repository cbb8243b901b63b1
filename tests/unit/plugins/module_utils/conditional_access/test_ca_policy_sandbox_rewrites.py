"""The normaliser and the PATCH body against the Graph sandbox's own rules and rewrites.

The sandbox (``tenantguard_sandbox.validation``) accepts, rewrites and renders conditional access
policies as Graph does: server defaults, AND -> OR with one control, flags re-cased and re-ordered,
the expanded authentication strength, properties dropped when empty, 1007 for read-only or unknown
properties and 1118 for ``templateId`` in a PATCH. Its functions are pure, so these tests call them
directly: what the module would send is accepted, what comes back shows no drift, and check mode's
prediction is what the service stores. Skipped where the sandbox package is not installed.
"""

import json
from pathlib import Path

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import (
    compute_patch,
    has_drift,
    merge_for_prediction,
    normalise_policy,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    argument_spec,
    graph_to_options,
    options_to_graph,
)

validation = pytest.importorskip("tenantguard_sandbox.validation")

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conditional_access_policies"
POST_EXAMPLES = sorted(p.name for p in FIXTURES.glob("*conditionalaccessroot-post-policies__*.json") if "__3" not in p.name)
STRENGTHS = dict((s["id"], s) for s in validation.builtin_authentication_strengths())
GROUP = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
BREAK_GLASS_GROUP = "11111111-2222-3333-4444-555555555555"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def desired_from(options, version):
    result = ArgumentSpecValidator(argument_spec()).validate(options)
    assert not result.error_messages, result.error_messages
    return options_to_graph(result.validated_parameters, version)


def create(version, desired):
    stored = validation.create_policy(version, desired)
    return stored, validation.render_policy(version, stored, STRENGTHS)


def update(version, stored, patch):
    stored = validation.update_policy(version, stored, patch)
    return stored, validation.render_policy(version, stored, STRENGTHS)


REWRITTEN = {
    "display_name": "Require phishing-resistant MFA for guests",
    "policy_state": "ENABLEDFORREPORTINGBUTNOTENFORCED",
    "conditions": {
        "client_app_types": ["ALL"],
        "applications": {"include_applications": ["all"], "exclude_applications": []},
        "users": {"include_users": ["none"], "exclude_groups": [BREAK_GLASS_GROUP],
                  "exclude_guests_or_external_users": {
                      "guest_or_external_user_types": "B2bDirectConnectUser,B2bCollaborationGuest",
                      "external_tenants": {"membership_kind": "All"}}},
        "platforms": {"include_platforms": ["ALL"], "exclude_platforms": ["IOS", "android"]},
        "insider_risk_levels": None,
    },
    "grant_controls": {"operator": "and", "built_in_controls": [],
                       "authentication_strength": "00000000-0000-0000-0000-000000000004"},
    "session_controls": {"sign_in_frequency": {"is_enabled": True, "type": "Hours", "value": 4,
                                               "frequency_interval": "timeBased"}},
}


@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_documented_example_sent_as_options_comes_back_without_drift(name):
    version = "beta" if name.startswith("beta") else "v1.0"
    desired = desired_from(graph_to_options(load(name)["request"]["body"], version), version)
    _stored, rendered = create(version, desired)
    assert not has_drift(desired, rendered)
    assert compute_patch(desired, rendered, version) == {}


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_what_the_service_rewrites_is_no_drift(version):
    desired = desired_from(REWRITTEN, version)
    _stored, rendered = create(version, desired)
    assert rendered["grantControls"]["operator"] == "OR"
    assert rendered["grantControls"]["authenticationStrength"]["displayName"] == "Phishing resistant MFA"
    assert not has_drift(desired, rendered)
    assert compute_patch(desired, rendered, version) == {}
    exported = desired_from(graph_to_options(rendered, version), version)
    assert not has_drift(exported, rendered)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_patch_is_accepted_and_the_result_is_what_check_mode_predicted(version):
    stored, rendered = create(version, desired_from(REWRITTEN, version))
    change = desired_from({
        "conditions": {"users": {"exclude_groups": [BREAK_GLASS_GROUP, GROUP]}, "client_app_types": ["browser"]},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa", "compliantDevice"]},
        "session_controls": {"persistent_browser": {"is_enabled": True, "mode": "never"}},
    }, version)
    patch = compute_patch(change, rendered, version)
    assert sorted(patch) == ["conditions", "grantControls", "sessionControls"]
    predicted = merge_for_prediction(rendered, change)
    _stored, after = update(version, stored, patch)
    assert normalise_policy(after) == normalise_policy(predicted)
    assert not has_drift(change, after)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_clearing_and_every_time_are_accepted(version):
    stored, rendered = create(version, desired_from(REWRITTEN, version))
    change = desired_from({"session_controls": {"sign_in_frequency": {"is_enabled": True, "frequency_interval": "everyTime"}},
                           "conditions": {"platforms": {}, "users": {"exclude_groups": []}}}, version)
    stored, after = update(version, stored, compute_patch(change, rendered, version))
    assert after["sessionControls"]["signInFrequency"]["value"] is None
    assert not after["conditions"].get("platforms")
    assert not has_drift(change, after)
    stored, after = update(version, stored, compute_patch(desired_from({"session_controls": {}}, version), after, version))
    assert after["sessionControls"] is None


def test_state_change_of_a_documented_policy_is_a_one_property_patch():
    version = "v1.0"
    stored, rendered = create(version, load("v10__conditionalaccessroot-post-policies__1.json")["request"]["body"])
    patch = compute_patch(desired_from({"policy_state": "disabled"}, version), rendered, version)
    assert patch == {"state": "disabled"}
    _stored, after = update(version, stored, patch)
    assert after["state"] == "disabled"
