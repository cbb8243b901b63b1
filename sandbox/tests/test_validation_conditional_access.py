"""Conditional access policies: each Graph rule and rewrite, answered with Graph's status, code and message."""

import copy
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation import (
    builtin_authentication_strengths, create_policy, render_policy, update_policy)

EXAMPLES = Path(__file__).parent / "examples"
BEFORE_RETIREMENT = datetime(2026, 6, 29, 12, 0, tzinfo=timezone.utc)
STRENGTHS = {s["id"]: s for s in builtin_authentication_strengths()}
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"
GROUP = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
LOCATION = "198ad66e-87b3-4157-85a3-8a7b51794ee9"


def documented(name):
    response = json.loads((EXAMPLES / "errors" / ("%s.json" % name)).read_text())["response"]
    return response["status"], response["body"]["error"]["code"], response["body"]["error"]["message"]


def policy(**changes):
    body = {
        "displayName": "Require MFA for everyone",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeGroups": [GROUP]},
            "applications": {"includeApplications": ["All"]},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }
    body.update(changes)
    return body


def refused(call, *args, **kwargs):
    with pytest.raises(GraphHTTPError) as caught:
        call(*args, **kwargs)
    error = caught.value
    # No body override: the server answers in Graph's standard {"error": {"code", "message", "innerError"}}.
    assert error.body is None and error.headers == {}
    assert isinstance(error.detail, str) and error.detail
    return error


def assert_1007(error, version="v1.0"):
    status, code, message = documented("ca_1007_schema_mismatch")
    if version == "beta":
        message = message.replace("view=graph-rest-1.0", "view=graph-rest-beta")
    assert (error.status, error.code, error.message) == (status, code, message)


# -- 1007: bodies that do not deserialise ----------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_unknown_property_is_1007(version):
    error = refused(create_policy, version, policy(priority=1))
    assert_1007(error, version)
    assert error.target == "priority"


def test_unknown_nested_property_is_1007():
    body = policy()
    body["conditions"]["users"]["includeUser"] = ["All"]
    error = refused(create_policy, "v1.0", body)
    assert_1007(error)
    assert error.target == "conditions.users.includeUser"


@pytest.mark.parametrize("field, value", [
    ("id", "7359d0e0-d8a9-4afa-8a93-e23e099d7be8"),
    ("createdDateTime", "2019-10-14T19:52:00.050958Z"),
    ("modifiedDateTime", None),
    ("deletedDateTime", "2024-01-01T00:00:00Z"),
])
def test_read_only_property_is_1007_on_create_and_update(field, value):
    assert_1007(refused(create_policy, "v1.0", policy(**{field: value})))
    stored = create_policy("v1.0", policy())
    assert_1007(refused(update_policy, "v1.0", stored, {field: value}))


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_deleted_date_time_sent_back_as_null_is_ignored(version):
    """IntuneCD sends back the GET body (less id, createdDateTime, modifiedDateTime, templateId) to real Graph:
    ``"deletedDateTime": null`` is accepted on POST and PATCH and changes nothing."""
    created = create_policy(version, policy(deletedDateTime=None))
    assert created["deletedDateTime"] is None
    updated = update_policy(version, created, {"deletedDateTime": None, "state": "disabled"})
    assert updated["deletedDateTime"] is None and updated["state"] == "disabled"
    assert {k: v for k, v in updated.items() if k not in ("state", "modifiedDateTime")} == \
        {k: v for k, v in created.items() if k not in ("state", "modifiedDateTime")}


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(displayName=42),
    lambda b: b["conditions"].update(clientAppTypes="all"),
    lambda b: b["conditions"]["users"].update(includeUsers="All"),
    lambda b: b["grantControls"].update(builtInControls=[{"control": "mfa"}]),
    lambda b: b["conditions"].update(users=["All"]),
])
def test_wrong_json_type_is_1007(mutate):
    body = policy()
    mutate(body)
    assert_1007(refused(create_policy, "v1.0", body))


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(state="on"),
    lambda b: b["grantControls"].update(builtInControls=["requireMfa"]),
    lambda b: b["conditions"].update(signInRiskLevels=["severe"]),
    lambda b: b["conditions"].update(clientAppTypes=["legacy"]),
])
def test_wrong_enum_value_is_1007(mutate):
    body = policy()
    mutate(body)
    error = refused(create_policy, "v1.0", body)
    assert_1007(error)
    assert "is not a member of" in error.detail


def test_enum_values_are_parsed_case_insensitively_and_stored_in_graph_spelling():
    body = policy(state="EnabledForReportingButNotEnforced")
    body["conditions"]["clientAppTypes"] = ["Browser", "MOBILEAPPSANDDESKTOPCLIENTS"]
    body["conditions"]["platforms"] = {"includePlatforms": ["IOS", "Android"]}
    stored = create_policy("v1.0", body)
    assert stored["state"] == "enabledForReportingButNotEnforced"
    assert stored["conditions"]["clientAppTypes"] == ["browser", "mobileAppsAndDesktopClients"]
    assert stored["conditions"]["platforms"] == {"includePlatforms": ["iOS", "android"], "excludePlatforms": []}


def test_required_properties_are_1007():
    for missing in ("displayName", "state", "conditions"):
        body = policy()
        del body[missing]
        assert refused(create_policy, "v1.0", body).target == missing
    body = policy()
    del body["conditions"]["applications"]
    assert_1007(refused(create_policy, "v1.0", body))


@pytest.mark.parametrize("field, value", [
    ("includeGroups", ["Finance"]),
    ("excludeUsers", ["Current administrator will be excluded"]),
    ("includeRoles", ["Global Administrator"]),
])
def test_malformed_object_ids_are_1007(field, value):
    body = policy()
    body["conditions"]["users"][field] = value
    error = refused(create_policy, "v1.0", body)
    assert_1007(error)
    assert error.target == "conditions.users.%s[0]" % field


def test_special_values_are_accepted_where_graph_accepts_them():
    body = policy()
    body["conditions"]["users"] = {"includeUsers": ["GuestsOrExternalUsers"], "excludeUsers": ["None"]}
    body["conditions"]["applications"] = {"includeApplications": ["Office365"], "excludeApplications": ["None"]}
    body["conditions"]["locations"] = {"includeLocations": ["All"],
                                       "excludeLocations": ["AllTrusted", "00000000-0000-0000-0000-000000000000"]}
    create_policy("v1.0", body, named_location_exists=lambda _id: False)


def test_beta_only_property_on_v1_is_1007_and_accepted_on_beta():
    body = policy()
    body["conditions"]["agentIdRiskLevels"] = "high"
    assert_1007(refused(create_policy, "v1.0", body))
    assert create_policy("beta", body)["conditions"]["agentIdRiskLevels"] == "high"


def test_abstract_external_tenants_needs_a_concrete_type():
    body = policy()
    body["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "internalGuest", "externalTenants": {"membershipKind": "all"}}
    error = refused(create_policy, "v1.0", body)
    assert_1007(error)
    assert "conditionalAccessAllExternalTenants" in error.detail


# -- templateId ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("value", [None, "c7503427-338e-4c5e-902d-abe252abfb43"])
def test_template_id_in_a_patch_is_1118_even_null(version, value):
    stored = create_policy(version, policy())
    error = refused(update_policy, version, stored, {"templateId": value, "displayName": "renamed"})
    assert (error.status, error.code, error.message) == documented("ca_1118_templateid_readonly")


def test_documented_1118_request_is_refused():
    request = json.loads((EXAMPLES / "errors" / "ca_1118_templateid_readonly.json").read_text())["request"]
    stored = create_policy("v1.0", policy())
    error = refused(update_policy, "v1.0", stored, request["body"])
    assert error.message == "1118: TemplateId is a read-only field and cannot be updated."


def test_sending_a_get_body_back_as_a_patch_fails():
    stored = create_policy("v1.0", policy())
    got = render_policy("v1.0", stored, STRENGTHS)
    assert refused(update_policy, "v1.0", stored, got).message.startswith("1118:")


def test_template_id_in_a_create():
    template = "c7503427-338e-4c5e-902d-abe252abfb43"
    # v1.0 declares templateId; the policy keeps it.
    assert create_policy("v1.0", policy(templateId=template))["templateId"] == template
    assert_1007(refused(create_policy, "v1.0", policy(templateId="MFA for admins")))
    # beta does not declare it: tolerated only as the null its own GET responses carry.
    assert create_policy("beta", policy(templateId=None))["templateId"] is None
    assert_1007(refused(create_policy, "beta", policy(templateId=template)), "beta")


# -- approvedApplication retirement ------------------------------------------------------------------------

def _approved(body=None):
    body = body or policy()
    body["grantControls"] = {"operator": "OR", "builtInControls": ["approvedApplication", "compliantApplication"]}
    return body


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_approved_application_in_a_new_policy_is_refused(version):
    error = refused(create_policy, version, _approved())
    assert (error.status, error.code) == (400, "BadRequest")
    assert "approvedApplication" in error.message and "compliantApplication" in error.message
    assert "migrate-approved-client-app" in error.message
    assert error.target == "grantControls.builtInControls"


def test_approved_application_was_accepted_before_its_retirement():
    stored = create_policy("v1.0", _approved(), now=BEFORE_RETIREMENT)
    assert stored["grantControls"]["builtInControls"] == ["approvedApplication", "compliantApplication"]
    retired_at = BEFORE_RETIREMENT + timedelta(hours=12)
    refused(create_policy, "v1.0", _approved(), now=retired_at)


def test_approved_application_in_a_changed_policy_is_refused():
    stored = create_policy("v1.0", policy())
    error = refused(update_policy, "v1.0", stored,
                    {"grantControls": {"operator": "OR", "builtInControls": ["mfa", "approvedApplication"]}})
    assert "compliantApplication" in error.message and error.code == "BadRequest"


def test_a_policy_still_using_approved_application_can_only_be_disabled():
    stored = create_policy("v1.0", _approved(policy(state="enabled")), now=BEFORE_RETIREMENT)
    for patch in ({"displayName": "renamed"}, {"state": "enabledForReportingButNotEnforced"},
                  {"grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]}},
                  {"state": "disabled", "displayName": "renamed"}):
        error = refused(update_policy, "v1.0", stored, patch)
        assert "can only be disabled or deleted" in error.message and "compliantApplication" in error.message
    disabled = update_policy("v1.0", stored, {"state": "disabled"})
    assert disabled["state"] == "disabled" and disabled["modifiedDateTime"] is not None
    assert disabled["grantControls"] == stored["grantControls"]


# -- 1012, guests, 1040 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("other", [
    {"includeUserActions": ["urn:user:registersecurityinfo"]},
    {"includeAuthenticationContextClassReferences": ["c1"]},
])
def test_include_applications_with_user_actions_or_auth_context_is_1012(other):
    body = policy()
    body["conditions"]["applications"].update(other)
    error = refused(create_policy, "v1.0", body)
    status, code, message = documented("ca_1012_applications_conflict")
    assert (error.status, error.code, error.message) == (status, code, message)


def test_user_actions_alone_are_accepted():
    body = policy()
    body["conditions"]["applications"] = {"includeApplications": [],
                                          "includeUserActions": ["urn:user:registersecurityinfo"]}
    assert create_policy("v1.0", body)["conditions"]["applications"]["includeUserActions"] == [
        "urn:user:registersecurityinfo"]


@pytest.mark.parametrize("side", ["include", "exclude"])
def test_guests_or_external_users_with_the_guests_object_is_refused(side):
    body = policy()
    users = body["conditions"]["users"]
    users[side + "Users"] = ["GuestsOrExternalUsers"]
    users[side + "GuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "b2bCollaborationGuest",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                            "membershipKind": "all"}}
    error = refused(create_policy, "v1.0", body)
    assert (error.status, error.code, error.message) == documented("ca_guests_combined")


def test_unknown_named_location_is_1040():
    body = policy()
    body["conditions"]["locations"] = {"includeLocations": ["All"], "excludeLocations": [LOCATION]}
    error = refused(create_policy, "v1.0", body, named_location_exists=lambda _id: False)
    status, code, message = documented("ca_1040_named_location_missing")
    expected = re.sub(r"[0-9a-f-]{36}", LOCATION, message)
    assert (error.status, error.code, error.message) == (status, code, expected)
    assert create_policy("v1.0", body, named_location_exists={LOCATION}.__contains__)


def test_unknown_named_location_is_1040_on_update_too():
    stored = create_policy("v1.0", policy())
    refused(update_policy, "v1.0", stored, {"conditions": {"locations": {"includeLocations": [LOCATION]}}},
            named_location_exists=lambda _id: False)


def test_unknown_authentication_strength_is_refused_when_a_lookup_is_given():
    body = policy(grantControls={"operator": "OR", "authenticationStrength": {"id": "b1b1b1b1-0000-0000-0000-000000000000"}})
    error = refused(create_policy, "v1.0", body, authentication_strength_exists=STRENGTHS.__contains__)
    assert error.code == "BadRequest" and error.target == "grantControls.authenticationStrength.id"


# -- rewrites -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("grant, operator", [
    ({"operator": "AND", "builtInControls": ["block"]}, "OR"),
    ({"operator": "AND", "builtInControls": ["compliantDevice"]}, "OR"),
    ({"operator": "AND", "builtInControls": [], "authenticationStrength": {"id": PHISHING_RESISTANT}}, "OR"),
    ({"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}, "AND"),
    ({"operator": "AND", "builtInControls": ["mfa"], "termsOfUse": ["ce580154-086a-40fd-91df-8a60abac81a0"]}, "AND"),
    ({"operator": "OR", "builtInControls": ["mfa", "compliantDevice"]}, "OR"),
])
def test_operator_and_with_a_single_control_is_rewritten_to_or(grant, operator):
    stored = create_policy("beta", policy(grantControls=grant))
    assert stored["grantControls"]["operator"] == operator
    assert render_policy("beta", stored, STRENGTHS)["grantControls"]["operator"] == operator


def test_flags_enums_are_recased_and_put_in_member_order():
    body = policy()
    body["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "B2bDirectConnectUser,B2bCollaborationGuest, B2bCollaborationMember",
        "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                            "membershipKind": "all"}}
    body["conditions"]["agentIdRiskLevels"] = "high,medium"
    body["conditions"]["insiderRiskLevels"] = "Elevated,minor"
    stored = create_policy("beta", body)
    rendered = render_policy("beta", stored, STRENGTHS)["conditions"]
    assert rendered["users"]["excludeGuestsOrExternalUsers"]["guestOrExternalUserTypes"] == \
        "b2bCollaborationGuest,b2bCollaborationMember,b2bDirectConnectUser"
    assert rendered["agentIdRiskLevels"] == "medium,high"
    assert rendered["insiderRiskLevels"] == "minor,elevated"


def test_authentication_strength_is_expanded_with_its_context():
    body = policy(grantControls={"operator": "AND", "builtInControls": [],
                                 "authenticationStrength": {"id": PHISHING_RESISTANT}})
    stored = create_policy("beta", body, authentication_strength_exists=STRENGTHS.__contains__)
    assert stored["grantControls"]["authenticationStrength"] == {"id": PHISHING_RESISTANT}
    grant = render_policy("beta", stored, STRENGTHS)["grantControls"]
    assert grant["authenticationStrength@odata.context"] == (
        "https://graph.microsoft.com/beta/$metadata#identity/conditionalAccess/policies('%s')/grantControls/"
        "authenticationStrength/$entity" % stored["id"])
    strength = grant["authenticationStrength"]
    assert strength["id"] == PHISHING_RESISTANT and strength["policyType"] == "builtIn"
    assert strength["displayName"] == "Phishing resistant MFA"
    assert strength["allowedCombinations"] == ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"]
    assert strength["combinationConfigurations"] == []
    assert {"createdDateTime", "modifiedDateTime", "description", "requirementsSatisfied"} <= set(strength)


def test_an_expanded_strength_sent_back_is_read_as_a_reference():
    stored = create_policy("v1.0", policy(grantControls={"operator": "OR",
                                                         "authenticationStrength": {"id": PHISHING_RESISTANT}}))
    grant = render_policy("v1.0", stored, STRENGTHS)["grantControls"]
    again = update_policy("v1.0", stored, {"grantControls": grant})
    assert again["grantControls"]["authenticationStrength"] == {"id": PHISHING_RESISTANT}


def test_null_or_empty_properties_the_service_drops():
    body = policy()
    conditions = body["conditions"]
    conditions.update(servicePrincipalRiskLevels=[], insiderRiskLevels=None, authenticationFlows=None,
                      clients=None, signInRiskDetections=None, times=None,
                      clientApplications={"includeAgentIdServicePrincipals": ["All"],
                                          "excludeAgentIdServicePrincipals": [],
                                          "agentIdServicePrincipalFilter": None})
    conditions["applications"]["globalSecureAccess"] = None
    body["sessionControls"] = {"signInFrequency": {"value": 1, "type": "hours", "isEnabled": True,
                                                   "authenticationType": "primaryAndSecondaryAuthentication",
                                                   "frequencyInterval": "timeBased"},
                               "networkAccessSecurity": None, "globalSecureAccessFilteringProfile": None,
                               "persistentBrowser": None}
    rendered = render_policy("beta", create_policy("beta", body), STRENGTHS)
    conditions = rendered["conditions"]
    for gone in ("servicePrincipalRiskLevels", "insiderRiskLevels", "authenticationFlows", "clients",
                 "signInRiskDetections"):
        assert gone not in conditions
    assert "globalSecureAccess" not in conditions["applications"]
    assert conditions["clientApplications"] == {"includeServicePrincipals": [], "excludeServicePrincipals": [],
                                                "includeAgentIdServicePrincipals": ["All"]}
    assert set(rendered["sessionControls"]) == {"signInFrequency", "persistentBrowser"}


def test_undeclared_properties_are_tolerated_only_when_empty():
    body = policy()
    body["conditions"]["clients"] = {"includeClients": ["x"]}
    assert_1007(refused(create_policy, "beta", body), "beta")


def test_set_risk_levels_are_kept():
    body = policy()
    body["conditions"].update(servicePrincipalRiskLevels=["high"], insiderRiskLevels="moderate")
    conditions = render_policy("v1.0", create_policy("v1.0", body), STRENGTHS)["conditions"]
    assert conditions["servicePrincipalRiskLevels"] == ["high"] and conditions["insiderRiskLevels"] == "moderate"


@pytest.mark.parametrize("version, added", [
    ("v1.0", {"templateId", "deletedDateTime"}),
    ("beta", {"templateId", "deletedDateTime", "partialEnablementStrategy"}),
])
def test_properties_always_added(version, added):
    rendered = render_policy(version, create_policy(version, policy()), STRENGTHS)
    for key in added:
        assert key in rendered and rendered[key] is None
    assert ("partialEnablementStrategy" in rendered) == (version == "beta")
    assert ("deviceStates" in rendered["conditions"]) == (version == "beta")
    assert rendered["conditions"]["times"] is None


def test_server_defaults_and_identity():
    stored = create_policy("v1.0", policy())
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", stored["id"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", stored["createdDateTime"])
    assert stored["modifiedDateTime"] is None
    conditions = render_policy("v1.0", stored, STRENGTHS)["conditions"]
    assert conditions["clientAppTypes"] == ["all"]
    assert conditions["userRiskLevels"] == [] and conditions["signInRiskLevels"] == []
    assert conditions["platforms"] is None and conditions["locations"] is None
    assert conditions["users"] == {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [],
                                   "excludeGroups": [GROUP], "includeRoles": [], "excludeRoles": [],
                                   "includeGuestsOrExternalUsers": None, "excludeGuestsOrExternalUsers": None}


# -- PATCH semantics ---------------------------------------------------------------------------------------

def test_patch_merges_complex_values_and_replaces_collections():
    body = policy()
    body["conditions"]["locations"] = {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}
    stored = create_policy("v1.0", body)
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    updated = update_policy("v1.0", stored, {"conditions": {"signInRiskLevels": ["high", "medium"],
                                                            "users": {"excludeGroups": []}}}, now=later)
    conditions = updated["conditions"]
    assert conditions["signInRiskLevels"] == ["high", "medium"]
    assert conditions["users"]["includeUsers"] == ["All"] and conditions["users"]["excludeGroups"] == []
    assert conditions["applications"] == stored["conditions"]["applications"]
    assert conditions["locations"] == stored["conditions"]["locations"]
    assert updated["id"] == stored["id"] and updated["createdDateTime"] == stored["createdDateTime"]
    assert updated["modifiedDateTime"] is not None and updated["modifiedDateTime"] > stored["createdDateTime"]
    assert stored["conditions"]["signInRiskLevels"] == []  # the stored object is not changed in place


def test_patch_with_null_removes_a_condition_and_rules_apply_to_the_result():
    body = policy()
    body["conditions"]["locations"] = {"includeLocations": ["All"]}
    stored = create_policy("v1.0", body)
    assert update_policy("v1.0", stored, {"conditions": {"locations": None}})["conditions"]["locations"] is None
    error = refused(update_policy, "v1.0", stored,
                    {"conditions": {"applications": {"includeUserActions": ["urn:user:registerdevice"]}}})
    assert error.message.startswith("1012:")
    assert_1007(refused(update_policy, "v1.0", stored, {"displayName": None}))


def test_patch_operator_rewrite_applies_to_the_merged_controls():
    stored = create_policy("v1.0", policy(grantControls={"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}))
    assert stored["grantControls"]["operator"] == "AND"
    updated = update_policy("v1.0", stored, {"grantControls": {"builtInControls": ["block"]}})
    assert updated["grantControls"]["operator"] == "OR"


def test_v1_rendering_of_a_beta_policy_hides_beta_only_properties():
    body = policy()
    body["conditions"]["agentIdRiskLevels"] = "high"
    body["conditions"]["devices"] = {"includeDevices": ["All"], "excludeDevices": ["Compliant"]}
    stored = create_policy("beta", body)
    beta = render_policy("beta", stored, STRENGTHS)
    v1 = render_policy("v1.0", stored, STRENGTHS)
    assert beta["conditions"]["agentIdRiskLevels"] == "high" and "agentIdRiskLevels" not in v1["conditions"]
    assert v1["conditions"]["devices"] == {}
    assert beta["@odata.context"].startswith("https://graph.microsoft.com/beta/$metadata#identity/conditionalAccess/")
    listed = render_policy("v1.0", stored, STRENGTHS, with_context=False, service_root="https://127.0.0.1:8443")
    assert "@odata.context" not in listed
    assert listed["grantControls"]["authenticationStrength@odata.context"].startswith("https://127.0.0.1:8443/v1.0/")


def test_functions_do_not_change_their_inputs():
    body = policy(grantControls={"operator": "AND", "builtInControls": ["block"]})
    snapshot = copy.deepcopy(body)
    stored = create_policy("v1.0", body)
    assert body == snapshot
    stored_snapshot = copy.deepcopy(stored)
    patch = {"conditions": {"users": {"includeUsers": ["None"]}}}
    update_policy("v1.0", stored, patch)
    render_policy("v1.0", stored, STRENGTHS)
    assert stored == stored_snapshot and patch == {"conditions": {"users": {"includeUsers": ["None"]}}}
