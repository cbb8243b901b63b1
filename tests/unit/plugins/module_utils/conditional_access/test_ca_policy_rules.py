"""Checks before any write: the retired approvedApplication grant, the lockout guard, input validation."""

import copy
import json
from pathlib import Path

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    RETIREMENT_URL,
    creation_problems,
    lockout_problems,
    option_problems,
    policy_problems,
    reference_problems,
    replacement_for_retired_grant,
    retired_grant_problems,
    uses_retired_grant,
    write_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    argument_spec,
    options_to_graph,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conditional_access_policies"
BREAK_GLASS_USER = "6a4e1e3c-2f0b-4a57-9d0e-7f1d2c3b4a50"
SECOND_BREAK_GLASS_USER = "6a4e1e3c-2f0b-4a57-9d0e-7f1d2c3b4a51"
BREAK_GLASS_GROUP = "11111111-2222-3333-4444-555555555555"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
GROUP = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def params(options):
    result = ArgumentSpecValidator(argument_spec()).validate(options)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def problems_of(options, api_version="v1.0"):
    """The problems of options for a new policy: those of the options, then those of the policy."""
    checked = params(options)
    problems = option_problems(checked, api_version)
    if not problems:
        problems = policy_problems(options_to_graph(checked, api_version))
    return [str(p) for p in problems]


def test_option_checks_leave_combinations_to_the_policy_as_it_will_be():
    checked = params({"session_controls": {"sign_in_frequency": {"value": 8}}})
    assert option_problems(checked, "v1.0") == []
    current = enforcing(state="disabled")
    current["sessionControls"] = {"signInFrequency": {"isEnabled": True, "type": "hours", "value": 4,
                                                      "frequencyInterval": "timeBased"}}
    assert write_problems(options_to_graph(checked, "v1.0"), current, "v1.0") == []
    for_new_policy = write_problems(dict(options_to_graph(checked, "v1.0"), **enforcing()), None, "v1.0",
                                    acknowledge_lockout_risk=True)
    assert for_new_policy == ["session_controls.sign_in_frequency.type: is required when "
                              "session_controls.sign_in_frequency.value is set. Accepted: days or hours."]


def enforcing(controls=("block",), users=None, state="enabled", **grant):
    return {
        "displayName": "Block legacy authentication",
        "state": state,
        "conditions": {"users": users if users is not None else {"includeUsers": ["All"]},
                       "applications": {"includeApplications": ["All"]},
                       "clientAppTypes": ["exchangeActiveSync", "other"]},
        "grantControls": dict({"operator": "OR", "builtInControls": list(controls)}, **grant),
    }


# --- (a) the retired approvedApplication grant ---------------------------------------------------------


def test_new_policy_with_approved_application_is_refused_naming_the_replacement_and_migration():
    desired = enforcing(controls=("ApprovedApplication",), state="enabledForReportingButNotEnforced")
    problems = retired_grant_problems(desired)
    assert len(problems) == 1
    assert "'Block legacy authentication'" in problems[0]
    assert "'approvedApplication'" in problems[0] and "'compliantApplication'" in problems[0]
    assert "2026-06-30" in problems[0]
    assert RETIREMENT_URL in problems[0]
    assert RETIREMENT_URL == "https://learn.microsoft.com/entra/identity/conditional-access/migrate-approved-client-app"


def test_existing_policy_with_approved_application_may_only_be_disabled():
    current = load("v10__conditionalaccessroot-post-policies__3.json")["response"]["body"]
    current["state"] = "enabled"
    assert uses_retired_grant(current)
    assert retired_grant_problems({"state": "disabled"}, current) == []
    assert retired_grant_problems({"displayName": current["displayName"]}, current) == []  # nothing changes
    renamed = retired_grant_problems({"displayName": "Renamed"}, current)
    assert len(renamed) == 1 and "read-only since 2026-06-30" in renamed[0] and "display_name" in renamed[0]
    report_only = retired_grant_problems({"state": "enabledForReportingButNotEnforced"}, current)
    assert len(report_only) == 1 and "policy_state: disabled" in report_only[0]


def test_replacing_the_grant_on_the_old_policy_is_refused_too():
    current = load("v10__conditionalaccessroot-post-policies__3.json")["response"]["body"]
    problems = retired_grant_problems({"grantControls": {"builtInControls": ["mfa", "compliantApplication"]}}, current)
    assert len(problems) == 1 and "Create a replacement" in problems[0] and "grant_controls" in problems[0]


def test_replacement_for_the_retired_grant_is_report_only_with_compliant_application():
    current = load("v10__conditionalaccessroot-post-policies__3.json")["response"]["body"]
    replacement = replacement_for_retired_grant(current, "v1.0")
    assert replacement["state"] == "enabledForReportingButNotEnforced"
    assert replacement["displayName"] == "Demo app for documentation (app protection)"
    assert replacement["grantControls"]["builtInControls"] == ["mfa", "compliantDevice", "domainJoinedDevice",
                                                               "compliantApplication"]
    assert not {"id", "createdDateTime", "modifiedDateTime", "templateId", "@odata.context"} & set(replacement)
    assert retired_grant_problems(replacement) == []
    assert replacement_for_retired_grant(enforcing(), "v1.0") is None


# --- (b) the lockout guard ------------------------------------------------------------------------------


def test_all_users_block_without_emergency_access_is_refused_with_why_and_how():
    problems = lockout_problems(enforcing())
    assert len(problems) == 1
    text = problems[0]
    assert "conditional access policy 'Block legacy authentication'" in text
    assert "blocks access" in text and "all users" in text
    assert "emergency_access" in text and "conditions.users.exclude_users" in text
    assert "acknowledge_lockout_risk: true" in text and "enabledForReportingButNotEnforced" in text


def test_acknowledged_risk_lets_it_through():
    assert lockout_problems(enforcing(), acknowledge_lockout_risk=True) == []


def test_emergency_accounts_excluded_let_it_through():
    policy = enforcing(users={"includeUsers": ["All"], "excludeUsers": [BREAK_GLASS_USER.upper()],
                              "excludeGroups": [BREAK_GLASS_GROUP]})
    assert lockout_problems(policy, {"users": [BREAK_GLASS_USER], "groups": [BREAK_GLASS_GROUP]}) == []


def test_every_emergency_account_must_be_excluded_even_when_acknowledged():
    policy = enforcing(users={"includeUsers": ["All"], "excludeUsers": [BREAK_GLASS_USER]})
    emergency = {"users": [BREAK_GLASS_USER, SECOND_BREAK_GLASS_USER], "groups": [BREAK_GLASS_GROUP]}
    problems = lockout_problems(policy, emergency, acknowledge_lockout_risk=True,
                                names={SECOND_BREAK_GLASS_USER: "breakglass2@contoso.example"})
    assert len(problems) == 1
    assert "user breakglass2@contoso.example (%s)" % SECOND_BREAK_GLASS_USER in problems[0]
    assert "group %s" % BREAK_GLASS_GROUP in problems[0]
    assert "user %s" % BREAK_GLASS_USER not in problems[0]


def test_role_targeted_mfa_is_guarded_and_names_the_role():
    policy = enforcing(controls=("mfa",), users={"includeRoles": [GLOBAL_ADMIN]})
    problems = lockout_problems(policy)
    assert len(problems) == 1
    assert "requires mfa" in problems[0] and "Global Administrator (%s)" % GLOBAL_ADMIN in problems[0]
    assert lockout_problems(policy, {"groups": [BREAK_GLASS_GROUP]})[0].endswith(
        "conditions.users.exclude_groups.")
    policy["conditions"]["users"]["excludeGroups"] = [BREAK_GLASS_GROUP]
    assert lockout_problems(policy, {"groups": [BREAK_GLASS_GROUP]}) == []


def test_every_lockout_control_is_guarded():
    for control in ("block", "mfa", "compliantDevice", "domainJoinedDevice", "compliantApplication", "passwordChange"):
        assert lockout_problems(enforcing(controls=(control,))), control
    strength_only = enforcing(controls=(), authenticationStrength={"id": "00000000-0000-0000-0000-000000000004"})
    assert "an authentication strength" in lockout_problems(strength_only)[0]


def test_policies_that_cannot_lock_out_pass():
    assert lockout_problems(enforcing(state="enabledForReportingButNotEnforced")) == []
    assert lockout_problems(enforcing(state="disabled")) == []
    assert lockout_problems(enforcing(users={"includeGroups": [GROUP]})) == []
    assert lockout_problems(enforcing(controls=(), termsOfUse=["ce580154-086a-40fd-91df-8a60abac81a0"])) == []
    session_only = enforcing()
    session_only["grantControls"] = None
    assert lockout_problems(session_only) == []


def test_lockout_guard_matches_without_regard_to_case():
    policy = enforcing(controls=("MFA",), users={"includeUsers": ["all"]}, state="Enabled")
    assert lockout_problems(policy)


def test_switching_an_existing_report_only_policy_to_enabled_is_guarded():
    current = enforcing(state="enabledForReportingButNotEnforced")
    current["id"] = "7359d0e0-d8a9-4afa-8a93-e23e099d7be8"
    problems = write_problems({"state": "enabled"}, current, "v1.0")
    assert len(problems) == 1 and "emergency-access" in problems[0]
    assert write_problems({"state": "enabled"}, current, "v1.0", acknowledge_lockout_risk=True) == []


# --- (c) input validation -------------------------------------------------------------------------------


def test_valid_options_have_no_problems():
    assert problems_of({
        "display_name": "Require app protection on mobile",
        "policy_state": "EnabledForReportingButNotEnforced",
        "conditions": {"users": {"include_users": ["All"], "exclude_groups": ["Emergency access"]},
                       "applications": {"include_applications": ["Office365"]},
                       "platforms": {"include_platforms": ["android", "IOS"]}, "client_app_types": ["all"]},
        "grant_controls": {"operator": "OR", "built_in_controls": ["compliantApplication"]},
        "session_controls": {"sign_in_frequency": {"is_enabled": True, "type": "hours", "value": 8,
                                                   "frequency_interval": "timeBased"}},
    }) == []


def test_bad_enum_names_path_value_and_accepted_values():
    assert problems_of({"conditions": {"platforms": {"include_platforms": ["symbian"]}}}) == [
        "conditions.platforms.include_platforms: is not a value of conditionalAccessDevicePlatform (got 'symbian'). "
        "Accepted: android, iOS, windows, windowsPhone, macOS, all, linux (any case)."]
    assert problems_of({"grant_controls": {"operator": "XOR"}}) == [
        "grant_controls.operator: is not a value of conditionalAccessGrantControlsOperator (got 'XOR'). "
        "Accepted: AND, OR (any case)."]


def test_sign_in_frequency_unit_and_value_go_together():
    assert problems_of({"session_controls": {"sign_in_frequency": {"value": 4}}}) == [
        "session_controls.sign_in_frequency.type: is required when session_controls.sign_in_frequency.value is set. "
        "Accepted: days or hours."]
    assert problems_of({"session_controls": {"sign_in_frequency": {"type": "days"}}}) == [
        "session_controls.sign_in_frequency.value: is required when session_controls.sign_in_frequency.type is set. "
        "Accepted: a whole number of days or hours."]
    assert problems_of({"session_controls": {"sign_in_frequency": {"type": "days", "value": 0}}}) == [
        "session_controls.sign_in_frequency.value: must be a whole number of days, 1 or more (got 0). Accepted: a whole number from 1."]
    assert problems_of({"session_controls": {"sign_in_frequency": {"frequency_interval": "timebased", "is_enabled": True}}}) == [
        "session_controls.sign_in_frequency: frequency_interval timeBased needs type and value. "
        "Accepted: type: days or hours, and value: a whole number."]


def test_every_time_sign_in_frequency_takes_no_unit_or_value():
    assert problems_of({"session_controls": {"sign_in_frequency": {"frequency_interval": "EveryTime", "type": "hours",
                                                                   "value": 1}}}) == [
        "session_controls.sign_in_frequency.type: must be left out when session_controls.sign_in_frequency.frequency_interval "
        "is everyTime (got 'hours'). Accepted: no value.",
        "session_controls.sign_in_frequency.value: must be left out when session_controls.sign_in_frequency.frequency_interval "
        "is everyTime (got 1). Accepted: no value."]
    assert problems_of({"session_controls": {"sign_in_frequency": {"frequency_interval": "everyTime", "is_enabled": True}}}) == []


def test_ids_that_cannot_be_names_must_be_guids():
    assert problems_of({"grant_controls": {"terms_of_use": ["Contoso terms"]}}) == [
        "grant_controls.terms_of_use: is not an id (got 'Contoso terms'). Accepted: a GUID."]
    assert problems_of({"conditions": {"client_applications": {"include_service_principals": ["my app"]}}}) == [
        "conditions.client_applications.include_service_principals: is not an id (got 'my app'). "
        "Accepted: a GUID, or ServicePrincipalsInMyTenant."]


def test_special_value_fields_reject_other_values():
    assert problems_of({"conditions": {"devices": {"exclude_devices": ["Managed"]}}}, "beta") == [
        "conditions.devices.exclude_devices: is not a device state this field takes (got 'Managed'). "
        "Accepted: Compliant, DomainJoined (any case)."]
    assert problems_of({"conditions": {"applications": {"include_authentication_context_class_references": ["x1"]}}}) == [
        "conditions.applications.include_authentication_context_class_references: is not an authentication context id "
        "(got 'x1'). Accepted: c1, c2, ... (for example c1)."]
    assert problems_of({"conditions": {"applications": {"include_user_actions": ["registersecurityinfo"]}}}) == [
        "conditions.applications.include_user_actions: is not a user action (got 'registersecurityinfo'). "
        "Accepted: urn:user:registersecurityinfo, urn:user:registerdevice."]


def test_applications_and_user_actions_together_are_refused():
    assert problems_of({"conditions": {"applications": {"include_applications": ["All"],
                                                        "include_user_actions": ["urn:user:registersecurityinfo"]}}}) == [
        "conditions.applications: cannot include both include_applications and include_user_actions (Graph error 1012). "
        "Accepted: one of them; leave the others out or empty."]


def test_guests_special_value_and_guests_object_together_are_refused():
    problems = problems_of({"conditions": {"users": {"include_users": ["GuestsOrExternalUsers"],
                                                     "include_guests_or_external_users": {
                                                         "guest_or_external_user_types": "internalGuest"}}}})
    assert problems == ["conditions.users.include_guests_or_external_users: cannot be combined with GuestsOrExternalUsers in "
                        "conditions.users.include_users. Accepted: one of the two."]


def test_external_tenants_need_a_consistent_membership_kind():
    enumerated = problems_of({"conditions": {"users": {"exclude_guests_or_external_users": {
        "guest_or_external_user_types": "b2bCollaborationGuest", "external_tenants": {"membership_kind": "enumerated"}}}}})
    assert enumerated == ["conditions.users.exclude_guests_or_external_users.external_tenants.members: needs at least one "
                          "tenant id with membership_kind enumerated. Accepted: a list of tenant ids."]
    missing_kind = problems_of({"conditions": {"users": {"exclude_guests_or_external_users": {
        "guest_or_external_user_types": "b2bCollaborationGuest",
        "external_tenants": {"members": ["0b9d4d3e-6a1f-4a59-9f1f-6f0f0c8a1b2c"]}}}}})
    assert missing_kind == ["conditions.users.exclude_guests_or_external_users.external_tenants.membership_kind: is required "
                            "when conditions.users.exclude_guests_or_external_users.external_tenants is set. "
                            "Accepted: all, enumerated."]


def test_a_filter_needs_mode_and_rule():
    assert problems_of({"conditions": {"devices": {"device_filter": {"mode": "exclude"}}}}) == [
        "conditions.devices.device_filter.rule: is required with a filter. Accepted: a rule such as device.isCompliant -eq True."]


def test_password_change_needs_mfa_with_and():
    problems = problems_of({"grant_controls": {"operator": "OR", "built_in_controls": ["passwordChange", "block"]}})
    assert problems == [
        "grant_controls.built_in_controls: passwordChange must be paired with mfa (got ['block', 'passwordChange']). "
        "Accepted: [mfa, passwordChange] with operator AND.",
        "grant_controls.operator: must be AND with passwordChange (got 'OR'). Accepted: AND."]
    assert problems_of({"conditions": {"user_risk_levels": ["high"], "applications": {"include_applications": ["All"]}},
                        "grant_controls": {"operator": "AND", "built_in_controls": ["mfa", "passwordChange"]}}) == []


def test_names_not_found_are_reported_after_resolution():
    body = options_to_graph(params({"conditions": {"users": {"include_users": ["All"],
                                                             "exclude_groups": ["Emergency acess"],
                                                             "exclude_users": ["Current administrator will be excluded"]}}}),
                            "v1.0")
    assert [str(p) for p in reference_problems(body)] == [
        "conditions.users.exclude_groups: is neither an id nor a name that was found (got 'Emergency acess'). "
        "Accepted: an id, or a name of an existing group.",
        "conditions.users.exclude_users: is neither an id nor a name that was found "
        "(got 'Current administrator will be excluded'). Accepted: an id, or a name of an existing user, or GuestsOrExternalUsers."]


def test_creating_needs_a_name_applications_and_users():
    assert [str(p) for p in creation_problems({"conditions": {}})] == [
        "display_name: is required to create a policy. Accepted: a non-empty name.",
        "conditions.applications: is required to create a policy. Accepted: include_applications (an app, All, Office365, "
        "...), or include_user_actions, or include_authentication_context_class_references.",
        "conditions.users: is required to create a policy (or conditions.client_applications). "
        "Accepted: include_users, include_groups or include_roles."]


def test_checks_on_the_predicted_policy_see_what_the_user_left_out():
    current = enforcing(state="disabled")
    current["sessionControls"] = {"signInFrequency": {"isEnabled": True, "frequencyInterval": "everyTime"}}
    problems = write_problems({"sessionControls": {"signInFrequency": {"value": 4}}}, current, "v1.0")
    assert problems == [
        "session_controls.sign_in_frequency.value: must be left out when session_controls.sign_in_frequency.frequency_interval "
        "is everyTime (got 4). Accepted: no value."]


def test_documented_examples_pass_the_checks_except_the_retired_grant():
    for path in sorted(FIXTURES.glob("*post-policies__*.json")):
        version = "beta" if path.name.startswith("beta") else "v1.0"
        body = copy.deepcopy(load(path.name)["request"]["body"])
        assert [str(p) for p in policy_problems(body)] == [], path.name
        problems = write_problems(body, None, version, acknowledge_lockout_risk=True)
        if "__3" in path.name:
            assert len(problems) == 1 and "approvedApplication" in problems[0], path.name
        else:
            assert problems == [], path.name
