"""The conditional access policy normaliser: one test per rule, the cited false-drift cases, the
documented examples round-tripped, and the PATCH body."""

import copy
import json
from pathlib import Path

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import (
    READ_ONLY_FIELDS,
    authentication_strength_by_id,
    compute_patch,
    drop_read_only_and_server_fields,
    empty_session_controls_are_null,
    enum_case,
    flags_as_sets,
    has_drift,
    lists_as_sets,
    merge_for_prediction,
    normalise_policy,
    null_empty_and_absent_are_the_same,
    operator_irrelevant_for_single_control,
    writable_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    argument_spec,
    graph_to_options,
    options_to_graph,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conditional_access_policies"
POST_EXAMPLES = sorted(p.name for p in FIXTURES.glob("*conditionalaccessroot-post-policies__*.json"))
GROUP = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
OTHER_GROUP = "d2136c9c-b049-47ae-b9cf-316e04ef7198"
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def version_of(name):
    return "beta" if name.startswith("beta") else "v1.0"


def expanded_strength(strength_id=PHISHING_RESISTANT):
    strengths = load("v10__authenticationstrengthroot-list-policies__1.json")["response"]["body"]["value"]
    return copy.deepcopy([s for s in strengths if s["id"] == strength_id][0])


def policy(**grant):
    """A stored policy as a GET returns it, with the grant controls given."""
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies/$entity",
        "id": "7359d0e0-d8a9-4afa-8a93-e23e099d7be8",
        "templateId": None,
        "displayName": "Require MFA",
        "createdDateTime": "2026-11-25T09:00:00Z",
        "modifiedDateTime": None,
        "deletedDateTime": None,
        "state": "enabled",
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": [], "signInRiskLevels": [], "clientAppTypes": ["all"], "platforms": None,
            "locations": None, "times": None,
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
            "users": {"includeUsers": [], "excludeUsers": [], "includeGroups": [GROUP], "excludeGroups": [],
                      "includeRoles": [], "excludeRoles": []},
        },
        "grantControls": dict({"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [],
                               "termsOfUse": []}, **grant),
    }


# --- one test per rule ------------------------------------------------------------------------------


def test_rule_drop_read_only_and_server_fields():
    current = policy()
    current["partialEnablementStrategy"] = None
    current["grantControls"]["authenticationStrength@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#x"
    result = drop_read_only_and_server_fields(copy.deepcopy(current))
    assert not set(READ_ONLY_FIELDS) & set(result)
    assert "@odata.context" not in result
    assert "authenticationStrength@odata.context" not in result["grantControls"]
    assert result["displayName"] == "Require MFA"


def test_rule_drop_read_only_keeps_what_the_odata_type_of_external_tenants_said():
    body = {"conditions": {"users": {"includeGuestsOrExternalUsers": {"externalTenants": {
        "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants"}}}}}
    result = drop_read_only_and_server_fields(body)
    assert result["conditions"]["users"]["includeGuestsOrExternalUsers"]["externalTenants"] == {"membershipKind": "all"}


def test_rule_authentication_strength_by_id():
    result = authentication_strength_by_id({"grantControls": {"authenticationStrength": expanded_strength()}})
    assert result == {"grantControls": {"authenticationStrength": {"id": PHISHING_RESISTANT}}}
    upper = authentication_strength_by_id({"grantControls": {"authenticationStrength": {"id": "ABCDEF00-0000-0000-0000-000000000001"}}})
    assert upper["grantControls"]["authenticationStrength"] == {"id": "abcdef00-0000-0000-0000-000000000001"}


def test_rule_enum_case():
    body = {"state": "ENABLED", "conditions": {"clientAppTypes": ["Browser"], "platforms": {"includePlatforms": ["IOS"]},
                                               "signInRiskLevels": ["HIGH"]},
            "sessionControls": {"persistentBrowser": {"mode": "Never"}}}
    result = enum_case(body)
    assert result == {"state": "enabled", "conditions": {"clientAppTypes": ["browser"], "platforms": {"includePlatforms": ["iOS"]},
                                                         "signInRiskLevels": ["high"]},
                      "sessionControls": {"persistentBrowser": {"mode": "never"}}}


def test_rule_enum_case_keeps_values_it_does_not_know():
    assert enum_case({"conditions": {"clientAppTypes": ["unknownFutureValue"]}}) == \
        {"conditions": {"clientAppTypes": ["unknownFutureValue"]}}


def test_rule_flags_as_sets():
    body = {"conditions": {"users": {"excludeGuestsOrExternalUsers": {
        "guestOrExternalUserTypes": "B2bDirectConnectUser, B2bCollaborationGuest,b2bcollaborationguest"}},
        "insiderRiskLevels": "elevated,minor"}}
    result = flags_as_sets(body)
    assert result["conditions"]["users"]["excludeGuestsOrExternalUsers"]["guestOrExternalUserTypes"] == \
        "b2bCollaborationGuest,b2bDirectConnectUser"
    assert result["conditions"]["insiderRiskLevels"] == "minor,elevated"


def test_rule_lists_as_sets():
    body = {"conditions": {"users": {"includeUsers": ["ALL"], "excludeGroups": [OTHER_GROUP.upper(), GROUP, OTHER_GROUP]},
                           "clientAppTypes": ["other", "browser", "exchangeActiveSync"]}}
    result = lists_as_sets(body)
    assert result["conditions"]["users"] == {"includeUsers": ["All"], "excludeGroups": sorted([GROUP, OTHER_GROUP])}
    assert result["conditions"]["clientAppTypes"] == ["browser", "exchangeActiveSync", "other"]


def test_rule_operator_irrelevant_for_single_control():
    assert operator_irrelevant_for_single_control({"grantControls": {"operator": "AND", "builtInControls": ["block"]}}) == \
        {"grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    assert operator_irrelevant_for_single_control({"grantControls": {"operator": "and", "builtInControls": ["mfa", "compliantDevice"]}}) == \
        {"grantControls": {"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}}
    assert operator_irrelevant_for_single_control({"grantControls": {"operator": "OR", "builtInControls": []}}) == \
        {"grantControls": {"builtInControls": []}}


def test_rule_empty_session_controls_are_null():
    empty = {"sessionControls": {"applicationEnforcedRestrictions": None, "persistentBrowser": None, "cloudAppSecurity": None,
                                 "signInFrequency": None, "disableResilienceDefaults": False}}
    assert empty_session_controls_are_null(empty) == {"sessionControls": None}
    real = {"sessionControls": {"persistentBrowser": None, "disableResilienceDefaults": True}}
    assert empty_session_controls_are_null(copy.deepcopy(real)) == real


def test_rule_null_empty_and_absent_are_the_same():
    body = {"description": "", "conditions": {"platforms": None, "users": {"includeUsers": [], "includeGroups": [GROUP]},
                                              "locations": {"includeLocations": [], "excludeLocations": []}},
            "sessionControls": {"signInFrequency": {"value": None}}}
    assert null_empty_and_absent_are_the_same(body) == {"conditions": {"users": {"includeGroups": [GROUP]}}}


def test_null_empty_and_absent_keeps_false_and_zero():
    body = {"sessionControls": {"disableResilienceDefaults": False, "signInFrequency": {"value": 0}}}
    assert null_empty_and_absent_are_the_same(copy.deepcopy(body)) == body


# --- the cited false-drift cases --------------------------------------------------------------------


def test_microsoft365dsc_1036_null_and_empty_list_are_no_drift():
    # Microsoft365DSC#1036: a policy read back with [] where the configuration had nothing (and the reverse).
    current = policy()
    desired = {"conditions": {"users": {"includeGroups": [GROUP], "excludeUsers": [], "excludeGroups": None},
                              "platforms": {"includePlatforms": [], "excludePlatforms": []}}}
    assert not has_drift(desired, current)
    assert compute_patch(desired, current) == {}


def test_terraform_azuread_1794_list_order_is_no_drift():
    # terraform-provider-azuread#1794: the same ids in another order reported as a change.
    current = policy()
    current["conditions"]["users"]["excludeGroups"] = [GROUP, OTHER_GROUP]
    desired = {"conditions": {"users": {"excludeGroups": [OTHER_GROUP, GROUP]}}}
    assert not has_drift(desired, current)


def test_terraform_azuread_1150_list_order_and_case_of_ids_is_no_drift():
    # terraform-provider-azuread#1150: included applications and client app types returned in another order.
    current = policy()
    current["conditions"]["applications"]["includeApplications"] = [
        "00000002-0000-0ff1-ce00-000000000000", "00000003-0000-0ff1-ce00-000000000000"]
    current["conditions"]["clientAppTypes"] = ["browser", "mobileAppsAndDesktopClients"]
    desired = {"conditions": {"applications": {"includeApplications": ["00000003-0000-0FF1-CE00-000000000000",
                                                                       "00000002-0000-0ff1-ce00-000000000000"]},
                              "clientAppTypes": ["mobileAppsAndDesktopClients", "browser"]}}
    assert not has_drift(desired, current)


def test_and_rewritten_to_or_with_a_single_control_is_no_drift():
    # behavior.md section 5: operator AND is stored as OR when a single control is used.
    for control in ("block", "compliantDevice"):
        current = policy(builtInControls=[control], operator="OR")
        assert not has_drift({"grantControls": {"operator": "AND", "builtInControls": [control]}}, current)
    current = policy(builtInControls=[], operator="OR", authenticationStrength=expanded_strength())
    desired = {"grantControls": {"operator": "AND", "builtInControls": [], "authenticationStrength": {"id": PHISHING_RESISTANT}}}
    assert not has_drift(desired, current)


def test_operator_still_counts_with_two_controls():
    current = policy(builtInControls=["mfa", "compliantDevice"], operator="OR")
    desired = {"grantControls": {"operator": "AND", "builtInControls": ["compliantDevice", "mfa"]}}
    assert has_drift(desired, current)
    assert compute_patch(desired, current)["grantControls"]["operator"] == "AND"


def test_expanded_authentication_strength_compares_by_id():
    current = policy(builtInControls=[], authenticationStrength=expanded_strength())
    current["grantControls"]["authenticationStrength@odata.context"] = (
        "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies('x')/grantControls/"
        "authenticationStrength/$entity")
    assert not has_drift({"grantControls": {"authenticationStrength": {"id": PHISHING_RESISTANT}}}, current)
    other = {"grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}}}
    assert has_drift(other, current)
    assert compute_patch(other, current)["grantControls"]["authenticationStrength"] == {"id": "00000000-0000-0000-0000-000000000002"}


def test_flags_recased_and_reordered_by_graph_are_no_drift():
    # [obs] field map: "B2bCollaborationGuest,B2bCollaborationMember,B2bDirectConnectUser" comes back camelCase;
    # agentIdRiskLevels "high,medium" comes back "medium,high".
    current = policy()
    current["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember,b2bDirectConnectUser",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants", "membershipKind": "all"}}
    current["conditions"]["agentIdRiskLevels"] = "medium,high"
    desired = {"conditions": {"agentIdRiskLevels": "high,medium", "users": {"excludeGuestsOrExternalUsers": {
        "guestOrExternalUserTypes": "B2bCollaborationGuest,B2bCollaborationMember,B2bDirectConnectUser",
        "externalTenants": {"membershipKind": "all"}}}}}
    assert not has_drift(desired, current)


def test_properties_graph_drops_when_null_or_empty_are_no_drift():
    # [obs] field map: empty excludeAgentIdServicePrincipals and null agentIdServicePrincipalFilter, insiderRiskLevels,
    # authenticationFlows, servicePrincipalRiskLevels and globalSecureAccessFilteringProfile vanish from the answer.
    current = policy()
    current["conditions"]["clientApplications"] = {"includeAgentIdServicePrincipals": ["All"], "includeServicePrincipals": [],
                                                   "excludeServicePrincipals": []}
    desired = {"conditions": {"clientApplications": {"includeAgentIdServicePrincipals": ["All"], "excludeAgentIdServicePrincipals": [],
                                                     "agentIdServicePrincipalFilter": None},
                              "insiderRiskLevels": None, "authenticationFlows": None, "servicePrincipalRiskLevels": []},
               "sessionControls": {"globalSecureAccessFilteringProfile": None}}
    assert not has_drift(desired, current)


def test_created_policy_read_back_equals_what_was_sent():
    # What a module checks after a create: the answer carries server fields and the expanded strength.
    sent = {"displayName": "Phishing-resistant MFA for admins", "state": "enabledForReportingButNotEnforced",
            "conditions": {"users": {"includeRoles": ["62E90394-69F5-4237-9190-012177145E10"]},
                           "applications": {"includeApplications": ["All"]}},
            "grantControls": {"operator": "AND", "builtInControls": [], "authenticationStrength": {"id": PHISHING_RESISTANT}}}
    answer = policy(operator="OR", builtInControls=[], authenticationStrength=expanded_strength())
    answer.update(displayName=sent["displayName"], state=sent["state"], partialEnablementStrategy=None)
    answer["grantControls"]["authenticationStrength@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#x"
    answer["conditions"]["users"].update(includeGroups=[], includeRoles=["62e90394-69f5-4237-9190-012177145e10"])
    answer["conditions"]["clientAppTypes"] = []
    assert normalise_policy(answer) == normalise_policy(sent)


def test_clearing_session_controls_that_enforce_nothing_is_no_change():
    current = policy()
    current["sessionControls"] = {"applicationEnforcedRestrictions": None, "cloudAppSecurity": None, "persistentBrowser": None,
                                  "signInFrequency": None, "secureSignInSession": None, "disableResilienceDefaults": False}
    assert not has_drift({"sessionControls": None}, current)
    current["sessionControls"]["disableResilienceDefaults"] = True
    assert has_drift({"sessionControls": None}, current)


def test_enum_case_is_no_drift_but_another_value_is():
    current = policy()
    assert not has_drift({"state": "Enabled", "conditions": {"clientAppTypes": ["ALL"]}}, current)
    assert has_drift({"state": "disabled"}, current)


def test_a_real_change_in_a_list_is_drift():
    current = policy()
    assert has_drift({"conditions": {"users": {"excludeGroups": [OTHER_GROUP]}}}, current)
    assert has_drift({"conditions": {"users": {"includeGroups": []}}}, current)


# --- the documented examples ----------------------------------------------------------------------


def _options_round_trip(body, version):
    params = ArgumentSpecValidator(argument_spec()).validate(graph_to_options(body, version)).validated_parameters
    return options_to_graph(params, version)


@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_example_request_round_trips_through_the_options(name):
    request = load(name)["request"]["body"]
    again = _options_round_trip(request, version_of(name))
    assert normalise_policy(again) == normalise_policy(request)
    assert compute_patch(again, request, version_of(name)) == {}


@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_example_response_shows_no_drift_from_its_request(name):
    example = load(name)
    request, response = example["request"]["body"], example["response"]["body"]
    assert not has_drift(request, response)
    assert compute_patch(request, response, version_of(name)) == {}


@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_export_of_example_response_fed_back_changes_nothing(name):
    response = load(name)["response"]["body"]
    again = _options_round_trip(response, version_of(name))
    assert not has_drift(again, response)
    assert compute_patch(again, response, version_of(name)) == {}


def test_example_4_response_default_client_app_types_is_no_drift():
    # The request leaves clientAppTypes out; Graph answers ["all"]: not managed, so not a change.
    example = load("v10__conditionalaccessroot-post-policies__4.json")
    assert "clientAppTypes" not in example["request"]["body"]["conditions"]
    assert example["response"]["body"]["conditions"]["clientAppTypes"] == ["all"]
    assert not has_drift(example["request"]["body"], example["response"]["body"])


def test_documented_update_applied_to_the_documented_policy():
    current = load("v10__conditionalaccesspolicy-get__1.json")["response"]["body"]
    desired = {"conditions": {"signInRiskLevels": ["high", "medium", "low"]}}
    patch = compute_patch(desired, current)
    assert list(patch) == ["conditions"]
    assert patch["conditions"]["signInRiskLevels"] == ["high", "medium", "low"]
    assert patch["conditions"]["applications"]["includeApplications"] == ["All"]
    assert patch["conditions"]["users"]["excludeUsers"] == ["124c5b6a-ffa5-483a-9b88-04c3fce5574a", "GuestsOrExternalUsers"]


# --- the PATCH body ----------------------------------------------------------------------------------


def test_patch_never_carries_read_only_fields_even_from_a_get_body():
    current = load("v10__conditionalaccesspolicy-get__1.json")["response"]["body"]
    desired = copy.deepcopy(current)
    desired["templateId"] = None
    desired["displayName"] = "Renamed"
    patch = compute_patch(desired, current)
    assert patch == {"displayName": "Renamed"}
    body = writable_body(dict(current, templateId=None, deletedDateTime=None, partialEnablementStrategy=None), "v1.0")
    assert not set(READ_ONLY_FIELDS) & set(body) and not [k for k in body if "@odata" in k]


def test_patch_sends_changed_subtrees_whole_and_nothing_else():
    current = policy(builtInControls=["mfa"])
    patch = compute_patch({"conditions": {"users": {"excludeGroups": [OTHER_GROUP]}},
                           "grantControls": {"builtInControls": ["mfa"]}}, current)
    assert list(patch) == ["conditions"]
    assert patch["conditions"] == {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                                   "users": {"includeGroups": [GROUP], "excludeGroups": [OTHER_GROUP]}}


def test_patch_sends_an_authentication_strength_by_reference_only():
    current = policy(builtInControls=[], authenticationStrength=expanded_strength())
    current["grantControls"]["authenticationStrength@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#x"
    patch = compute_patch({"grantControls": {"termsOfUse": ["ce580154-086a-40fd-91df-8a60abac81a0"]}}, current)
    assert patch["grantControls"] == {"operator": "OR", "termsOfUse": ["ce580154-086a-40fd-91df-8a60abac81a0"],
                                      "authenticationStrength": {"id": PHISHING_RESISTANT}}


def test_patch_keeps_explicit_empty_lists_and_nulls_to_clear():
    current = policy()
    current["sessionControls"] = {"persistentBrowser": {"isEnabled": True, "mode": "never"}}
    current["conditions"]["users"]["excludeUsers"] = ["124c5b6a-ffa5-483a-9b88-04c3fce5574a"]
    patch = compute_patch({"sessionControls": None, "conditions": {"users": {"excludeUsers": []}}}, current)
    assert patch["sessionControls"] is None
    assert patch["conditions"]["users"]["excludeUsers"] == []


def test_patch_of_state_only():
    assert compute_patch({"state": "disabled"}, policy()) == {"state": "disabled"}
    assert compute_patch({"state": "ENABLED"}, policy()) == {}


def test_switching_sign_in_frequency_to_every_time_clears_type_and_value():
    current = policy()
    current["sessionControls"] = {"signInFrequency": {"isEnabled": True, "type": "hours", "value": 4,
                                                      "frequencyInterval": "timeBased",
                                                      "authenticationType": "primaryAndSecondaryAuthentication"}}
    desired = {"sessionControls": {"signInFrequency": {"isEnabled": True, "frequencyInterval": "everyTime"}}}
    patch = compute_patch(desired, current)
    assert patch["sessionControls"]["signInFrequency"] == {
        "isEnabled": True, "type": None, "value": None, "frequencyInterval": "everyTime",
        "authenticationType": "primaryAndSecondaryAuthentication"}
    assert merge_for_prediction(current, desired)["sessionControls"]["signInFrequency"]["value"] is None


def test_a_new_membership_kind_replaces_the_external_tenants():
    current = policy()
    current["conditions"]["users"]["includeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "b2bCollaborationGuest",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                            "membershipKind": "enumerated", "members": ["0b9d4d3e-6a1f-4a59-9f1f-6f0f0c8a1b2c"]}}
    desired = {"conditions": {"users": {"includeGuestsOrExternalUsers": {"externalTenants": {"membershipKind": "all"}}}}}
    patch = compute_patch(desired, current)
    assert patch["conditions"]["users"]["includeGuestsOrExternalUsers"] == {
        "guestOrExternalUserTypes": "b2bCollaborationGuest",
        "externalTenants": {"membershipKind": "all", "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants"}}


def test_beta_only_properties_are_not_sent_to_v1():
    current = load("beta__conditionalaccessroot-post-policies__4.json")["response"]["body"]
    patch = compute_patch({"conditions": {"users": {"excludeGroups": [OTHER_GROUP]}}}, current, "v1.0")
    assert "devices" not in patch["conditions"]
    assert "devices" in compute_patch({"conditions": {"users": {"excludeGroups": [OTHER_GROUP]}}}, current, "beta")["conditions"]


def test_without_current_the_patch_is_the_post_body():
    desired = {"displayName": "New", "state": "enabledForReportingButNotEnforced",
               "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]}}}
    assert compute_patch(desired, None) == desired


# --- prediction ------------------------------------------------------------------------------------


def test_prediction_keeps_what_the_user_left_out_and_the_stored_fields():
    current = policy()
    predicted = merge_for_prediction(current, {"displayName": "Renamed", "conditions": {"users": {"excludeGroups": [OTHER_GROUP]}}})
    assert predicted["id"] == current["id"] and predicted["createdDateTime"] == current["createdDateTime"]
    assert predicted["displayName"] == "Renamed"
    assert predicted["conditions"]["users"]["includeGroups"] == [GROUP]
    assert predicted["conditions"]["users"]["excludeGroups"] == [OTHER_GROUP]
    assert predicted["grantControls"] == current["grantControls"]
    assert current["displayName"] == "Require MFA"


def test_prediction_of_a_new_policy_is_the_desired_body():
    desired = {"displayName": "New", "conditions": {"users": {"includeUsers": ["All"]}}}
    assert merge_for_prediction(None, desired) == desired


def test_prediction_keeps_an_expanded_strength_with_the_same_id():
    current = policy(builtInControls=[], authenticationStrength=expanded_strength())
    predicted = merge_for_prediction(current, {"grantControls": {"authenticationStrength": {"id": PHISHING_RESISTANT.upper()}}})
    assert predicted["grantControls"]["authenticationStrength"]["displayName"] == "Phishing resistant MFA"
