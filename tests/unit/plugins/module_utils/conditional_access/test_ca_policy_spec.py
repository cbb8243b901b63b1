"""Conditional access policy options <-> Graph bodies: argument spec, documentation, conversions."""

import json
from pathlib import Path

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantguard.m365.plugins.doc_fragments.conditional_access_policy import ModuleDocFragment
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    PROPERTIES,
    PolicyOptionError,
    argument_spec,
    graph_to_options,
    iter_nodes,
    names_to_resolve,
    option_path,
    options_to_graph,
    schema_problems,
    substitute_references,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conditional_access_policies"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def validated(params):
    """Params as AnsibleModule hands them over: checked against the spec, unset options None."""
    result = ArgumentSpecValidator(argument_spec()).validate(params)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


# --- the argument spec and its documentation -----------------------------------------------------


def _compare_spec_and_doc(spec, doc, where):
    assert sorted(spec) == sorted(doc), where
    for name, entry in spec.items():
        documented = doc[name]
        path = "%s.%s" % (where, name) if where else name
        assert entry["type"] == documented["type"], path
        assert entry.get("elements") == documented.get("elements"), path
        assert "choices" not in entry and "choices" not in documented, path
        assert "default" not in entry and "required" not in entry, path
        assert documented["description"], path
        if entry["type"] == "dict":
            _compare_spec_and_doc(entry["options"], documented["suboptions"], path)


def test_doc_fragment_documents_exactly_the_argument_spec():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    _compare_spec_and_doc(argument_spec(), doc, "")


def test_top_level_options_mirror_graph_with_the_one_rename():
    assert sorted(argument_spec()) == ["conditions", "description", "display_name", "grant_controls", "policy_state",
                                       "session_controls"]
    assert PROPERTIES["state"]["option"] == "policy_state"


def test_every_writable_v1_property_is_reachable_in_snake_case():
    paths = set(option_path(path) for path, _node in iter_nodes())
    for expected in ("conditions.users.include_groups", "conditions.users.exclude_guests_or_external_users."
                     "external_tenants.members", "conditions.applications.include_authentication_context_class_references",
                     "conditions.applications.application_filter.rule", "conditions.client_applications.service_principal_filter.mode",
                     "conditions.devices.device_filter.rule", "conditions.authentication_flows.transfer_methods",
                     "conditions.insider_risk_levels", "conditions.service_principal_risk_levels",
                     "grant_controls.built_in_controls", "grant_controls.authentication_strength", "grant_controls.terms_of_use",
                     "session_controls.sign_in_frequency.value", "session_controls.secure_sign_in_session.is_enabled",
                     "session_controls.disable_resilience_defaults", "session_controls.cloud_app_security.cloud_app_security_type"):
        assert expected in paths


def test_read_only_fields_are_not_options():
    names = set(path[-1] for path, _node in iter_nodes())
    assert not names & {"id", "createdDateTime", "modifiedDateTime", "templateId", "deletedDateTime"}


def test_beta_only_properties_are_marked():
    assert PROPERTIES["conditions"]["properties"]["agentIdRiskLevels"]["versions"] == ["beta"]
    assert PROPERTIES["sessionControls"]["properties"]["continuousAccessEvaluation"]["versions"] == ["beta"]
    assert "versions" not in PROPERTIES["conditions"]["properties"]["users"]


# --- options -> Graph ------------------------------------------------------------------------------


def test_options_left_out_are_not_in_the_body():
    body = options_to_graph(validated({"display_name": "x", "conditions": {"users": {"include_users": ["All"]}}}), "v1.0")
    assert body == {"displayName": "x", "conditions": {"users": {"includeUsers": ["All"]}}}


def test_an_empty_list_is_sent_to_clear_it():
    body = options_to_graph(validated({"conditions": {"users": {"exclude_users": []}}}), "v1.0")
    assert body == {"conditions": {"users": {"excludeUsers": []}}}


def test_an_empty_sub_object_clears_it():
    body = options_to_graph(validated({"session_controls": {}}), "v1.0")
    assert body == {"sessionControls": None}


def test_enum_values_get_graphs_case():
    body = options_to_graph(validated({
        "policy_state": "ENABLEDFORREPORTINGBUTNOTENFORCED",
        "conditions": {"client_app_types": ["Browser", "EXCHANGEACTIVESYNC"], "platforms": {"include_platforms": ["ios", "ALL"]}},
        "grant_controls": {"operator": "and", "built_in_controls": ["MFA", "compliantdevice"]},
    }), "v1.0")
    assert body["state"] == "enabledForReportingButNotEnforced"
    assert body["conditions"]["clientAppTypes"] == ["browser", "exchangeActiveSync"]
    assert body["conditions"]["platforms"]["includePlatforms"] == ["iOS", "all"]
    assert body["grantControls"] == {"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}


def test_flags_get_graphs_case_and_member_order():
    body = options_to_graph(validated({"conditions": {"users": {"include_guests_or_external_users": {
        "guest_or_external_user_types": "B2bDirectConnectUser, InternalGuest"}}}}), "v1.0")
    assert body["conditions"]["users"]["includeGuestsOrExternalUsers"]["guestOrExternalUserTypes"] == \
        "internalGuest,b2bDirectConnectUser"


def test_special_values_get_graphs_spelling_and_names_stay():
    body = options_to_graph(validated({"conditions": {
        "users": {"include_users": ["all"], "exclude_groups": ["Break Glass"]},
        "locations": {"include_locations": ["alltrusted"]},
        "applications": {"include_applications": ["office365", "Exchange Online"]}}}), "v1.0")
    assert body["conditions"]["users"] == {"includeUsers": ["All"], "excludeGroups": ["Break Glass"]}
    assert body["conditions"]["locations"] == {"includeLocations": ["AllTrusted"]}
    assert body["conditions"]["applications"]["includeApplications"] == ["Office365", "Exchange Online"]


def test_authentication_strength_is_sent_by_reference():
    body = options_to_graph(validated({"grant_controls": {"authentication_strength": "00000000-0000-0000-0000-000000000004"}}),
                            "v1.0")
    assert body == {"grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"}}}


def test_external_tenants_name_their_concrete_type():
    body = options_to_graph(validated({"conditions": {"users": {"exclude_guests_or_external_users": {
        "guest_or_external_user_types": "b2bCollaborationGuest",
        "external_tenants": {"membership_kind": "Enumerated", "members": ["0b9d4d3e-6a1f-4a59-9f1f-6f0f0c8a1b2c"]}}}}}), "v1.0")
    tenants = body["conditions"]["users"]["excludeGuestsOrExternalUsers"]["externalTenants"]
    assert tenants == {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                       "membershipKind": "enumerated", "members": ["0b9d4d3e-6a1f-4a59-9f1f-6f0f0c8a1b2c"]}


def test_bad_enum_value_is_refused_naming_path_value_and_accepted_values():
    with pytest.raises(PolicyOptionError) as caught:
        options_to_graph(validated({"conditions": {"client_app_types": ["browser", "legacy"]}}), "v1.0")
    message = str(caught.value)
    assert "conditions.client_app_types" in message
    assert "'legacy'" in message
    assert "all, browser, mobileAppsAndDesktopClients, exchangeActiveSync, easSupported, other" in message


def test_beta_only_option_with_v1_is_refused():
    problems = schema_problems(validated({"session_controls": {"continuous_access_evaluation": {"mode": "disabled"}}}), "v1.0")
    assert [str(p) for p in problems] == [
        "session_controls.continuous_access_evaluation: is available only with api_version beta "
        "(got {'mode': 'disabled'}). Accepted: set api_version: beta, or leave this option out."]
    assert schema_problems(validated({"session_controls": {"continuous_access_evaluation": {"mode": "disabled"}}}), "beta") == []


def test_enum_member_of_the_other_version_says_which_version():
    problems = schema_problems(validated({"grant_controls": {"built_in_controls": ["riskremediation"]}}), "beta")
    assert len(problems) == 1
    assert "'riskRemediation' is available only with api_version v1.0" in str(problems[0])


def test_bad_flags_token_is_named():
    problems = schema_problems(validated({"conditions": {"insider_risk_levels": "minor,severe"}}), "v1.0")
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith("conditions.insider_risk_levels: 'severe' not a value of conditionalAccessInsiderRiskLevels")
    assert "minor, moderate, elevated" in text


def test_bad_policy_state_names_the_option_not_the_graph_property():
    problems = schema_problems({"policy_state": "on"}, "v1.0")
    assert str(problems[0]) == ("policy_state: is not a value of conditionalAccessPolicyState (got 'on'). "
                                "Accepted: enabled, disabled, enabledForReportingButNotEnforced (any case).")


def test_unknown_api_version_is_refused():
    with pytest.raises(ValueError):
        options_to_graph({}, "v2.0")


# --- Graph -> options ------------------------------------------------------------------------------


def test_graph_to_options_leaves_out_read_only_fields_nulls_and_empties():
    response = load("v10__conditionalaccessroot-post-policies__1.json")["response"]["body"]
    options = graph_to_options(response, "v1.0")
    assert options == {
        "display_name": "Access to EXO requires MFA",
        "policy_state": "enabled",
        "conditions": {
            "client_app_types": ["mobileAppsAndDesktopClients", "browser"],
            "applications": {"include_applications": ["00000002-0000-0ff1-ce00-000000000000"]},
            "users": {"include_groups": ["ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"]},
            "locations": {"include_locations": ["All"], "exclude_locations": ["AllTrusted"]},
        },
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }


def test_graph_to_options_gives_an_expanded_authentication_strength_by_id():
    strength = load("v10__authenticationstrengthroot-list-policies__1.json")["response"]["body"]["value"][2]
    policy = {"grantControls": {"operator": "OR", "builtInControls": [], "authenticationStrength": strength,
                                "authenticationStrength@odata.context": "https://graph.microsoft.com/v1.0/$metadata#x"}}
    expected = {"grant_controls": {"operator": "OR", "authentication_strength": strength["id"]}}
    assert graph_to_options(policy, "v1.0") == expected


def test_graph_to_options_leaves_beta_properties_out_of_a_v1_export():
    policy = load("beta__conditionalaccessroot-post-policies__4.json")["request"]["body"]
    assert "devices" in graph_to_options(policy, "beta")["conditions"]
    assert "devices" not in graph_to_options(policy, "v1.0")["conditions"]


def test_graph_to_options_reads_the_membership_kind_from_the_odata_type():
    policy = {"conditions": {"users": {"includeGuestsOrExternalUsers": {
        "guestOrExternalUserTypes": "internalGuest",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants"}}}}}
    options = graph_to_options(policy, "v1.0")
    assert options["conditions"]["users"]["include_guests_or_external_users"]["external_tenants"] == {"membership_kind": "all"}


def test_exported_params_pass_the_argument_spec():
    for name in sorted(p.name for p in FIXTURES.glob("*post-policies*.json")):
        example = load(name)
        version = "beta" if name.startswith("beta") else "v1.0"
        for body in (example["request"]["body"], example["response"]["body"]):
            validated(graph_to_options(body, version))


# --- references the module resolves ------------------------------------------------------------------


def test_names_to_resolve_lists_names_per_kind_and_skips_ids_and_special_values():
    body = options_to_graph(validated({
        "conditions": {
            "users": {"include_users": ["All"], "exclude_users": ["breakglass@contoso.example", "GuestsOrExternalUsers"],
                      "exclude_groups": ["Emergency access", "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"],
                      "include_roles": ["Global Administrator"]},
            "applications": {"include_applications": ["Office365", "Exchange Online"]},
            "locations": {"include_locations": ["All"], "exclude_locations": ["Head office", "AllTrusted"]}},
        "grant_controls": {"authentication_strength": "Phishing-resistant MFA"},
    }), "v1.0")
    assert names_to_resolve(body) == {
        "user": ["breakglass@contoso.example"],
        "group": ["Emergency access"],
        "role": ["Global Administrator"],
        "application": ["Exchange Online"],
        "namedLocation": ["Head office"],
        "authenticationStrength": ["Phishing-resistant MFA"],
    }


def test_substitute_references_replaces_names_and_matches_without_case():
    body = {"conditions": {"users": {"excludeGroups": ["emergency ACCESS", "All"]}},
            "grantControls": {"authenticationStrength": {"id": "MFA"}}}
    result = substitute_references(body, {"group": {"Emergency access": "11111111-1111-1111-1111-111111111111"},
                                          "authenticationStrength": {"MFA": "00000000-0000-0000-0000-000000000002"}})
    assert result == {"conditions": {"users": {"excludeGroups": ["11111111-1111-1111-1111-111111111111", "All"]}},
                      "grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}}}
    assert body["conditions"]["users"]["excludeGroups"][0] == "emergency ACCESS"
