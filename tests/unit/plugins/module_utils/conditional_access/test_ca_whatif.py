"""What-if scenarios and results without a tenant: scenario checks (every problem named by scenario, field,
value and what is accepted), the engine's sign-in and Graph's evaluate body built from one scenario, the
conditional_access role's form of declared policies, and the comparison with Graph's answer."""

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    UNMANAGED_DEVICE,
    evaluate,
    sign_in_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import PolicyInputError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif import (
    compare,
    matches_expected,
    role_form,
    shaped,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif_scenarios import (
    ScenarioError,
    check_scenarios,
    evaluate_body,
    scenario_options,
    sign_in,
)

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"


def scenario(**options):
    out = dict((name, None) for name in scenario_options())
    out.update(options)
    return out


def problems_of(*scenarios, **kwargs):
    with pytest.raises(ScenarioError) as caught:
        check_scenarios(list(scenarios), **kwargs)
    return caught.value.problems


def test_values_are_canonical_whatever_their_spelling():
    [checked] = check_scenarios([scenario(name="s", platform="IOS", client_app="mobile_apps_and_desktop_clients",
                                          sign_in_risk="High", insider_risk="ELEVATED",
                                          authentication_flow="device_code_flow", user_action=None,
                                          satisfied_controls=["MFA", "compliant_application"],
                                          expected="grant", expected_controls=["compliantapplication"],
                                          ip_address=" 2001:DB8::1 ", country="de", device="Unmanaged")])
    assert checked.values == {
        "platform": "iOS", "client_app": "mobileAppsAndDesktopClients", "sign_in_risk": "high",
        "insider_risk": "elevated", "authentication_flow": "deviceCodeFlow",
        "satisfied_controls": ["mfa", "compliantApplication"], "expected_controls": ["compliantApplication"],
        "ip_address": "2001:db8::1", "country": "DE", "device": "unmanaged"}


@pytest.mark.parametrize("options, expected", [
    ({"platform": "amiga"}, "scenarios[0].platform (scenario 's'): is not a device platform (got 'amiga'). "
                            "Accepted: android, iOS, windows, windowsPhone, macOS, linux."),
    ({"client_app": "imap"}, "scenarios[0].client_app (scenario 's'): is not a client app type (got 'imap'). "
                             "Accepted: browser, mobileAppsAndDesktopClients, exchangeActiveSync, other."),
    ({"ip_address": "10.0.0.300"}, "scenarios[0].ip_address (scenario 's'): is not an IP address (got '10.0.0.300')"),
    ({"country": "Germany"}, "scenarios[0].country (scenario 's'): is not a country code (got 'Germany')"),
    ({"authentication_context": "c100"}, "scenarios[0].authentication_context (scenario 's'): is not an "
                                         "authentication context id (got 'c100'). Accepted: c1 to c99."),
    ({"user_action": "reset password"}, "scenarios[0].user_action (scenario 's'): is not a user action"),
    ({"application": "Office365", "user_action": "register_device"},
     "scenarios[0].user_action (scenario 's'): a sign-in reaches one application, user action or authentication "
     "context (got application, user_action)"),
    ({"application": "All"}, "scenarios[0].application (scenario 's'): is an application group"),
    ({"user": "a@b.c", "service_principal": "app"}, "scenarios[0].service_principal (scenario 's'): a sign-in is a "
                                                    "user's or a service principal's, not both"),
    ({"service_principal": "app", "user_groups": ["Sales"]}, "scenarios[0].user_groups (scenario 's'): describes a "
                                                             "user, and the scenario signs in as a service principal"),
    ({"expected_controls": ["mfa"]}, "scenarios[0].expected_controls (scenario 's'): needs expected"),
    ({"expected": "block", "expected_controls": ["mfa"]}, "goes with expected: grant only (expected is 'block')"),
    ({"expected_controls": ["sms"], "expected": "grant"}, "scenarios[0].expected_controls (scenario 's'): is not a "
                                                          "grant control (got 'sms')"),
    ({"satisfied_controls": ["block"]}, "is not a control a client satisfies (got 'block')"),
    ({"device": {"managed": True}}, "scenarios[0].device (scenario 's'): is not a device filter property "
                                    "(got 'managed')"),
    ({"device": {"compliant": "maybe"}}, "scenarios[0].device.isCompliant (scenario 's'): is not a boolean "
                                         "(got 'maybe')"),
    ({"device": {"isCompliant": "yes"}}, "scenarios[0].device.isCompliant (scenario 's'): is not a boolean"),
    ({"device": "laptop"}, "scenarios[0].device (scenario 's'): is not a device (got 'laptop')"),
    ({"insider_risk": "none"}, "scenarios[0].insider_risk (scenario 's'): is not an insider risk level (got 'none'). "
                               "Accepted: minor, moderate, elevated."),
])
def test_each_problem_names_scenario_field_value_and_what_is_accepted(options, expected):
    [problem] = problems_of(scenario(name="s", **options))
    assert expected in problem


def test_all_problems_at_once_and_names_unique():
    problems = problems_of(scenario(name="a", platform="amiga"), scenario(name="a", client_app="imap"),
                           scenario(name=" "))
    assert len(problems) == 4
    assert "scenarios[1].name: 'a' is also the name of scenarios[0]" in problems[1]
    assert problems[3].startswith("scenarios[2].name: a scenario needs a name")


def test_graph_needs_an_identity_and_a_target():
    problems = problems_of(scenario(name="s", platform="iOS"), scenario(name="t", user_groups=["Sales"]),
                           require_graph_fields=True)
    assert any("scenarios[0].user (scenario 's'): Graph's evaluate needs the identity" in p for p in problems)
    assert any("scenarios[0].application (scenario 's'): Graph's evaluate needs what the sign-in reaches" in p
               for p in problems)
    assert any("scenarios[1].user (scenario 't'): Graph's evaluate needs a user of the tenant" in p for p in problems)


def resolved(**options):
    [checked] = check_scenarios([scenario(name="s", **options)])
    checked.user = {"id": "u1", "userType": "Guest"}
    checked.groups, checked.roles = ["g1"], ["62e90394-69f5-4237-9190-012177145e10"]
    checked.application = EXCHANGE
    return checked


def test_sign_in_and_graph_body_of_one_scenario():
    checked = resolved(user="partner", application="Exchange", platform="android", client_app="browser",
                       country="fr", ip_address="203.0.113.9", sign_in_risk="medium", user_risk="low",
                       insider_risk="minor", authentication_flow="authenticationTransfer",
                       device={"isCompliant": True, "deviceOwnership": "Company", "physicalIds": "[ZDID]:x"})
    signin = sign_in(checked, UNMANAGED_DEVICE)
    assert sign_in_problems(signin) == []
    assert signin["user"] == {"id": "u1", "groups": ["g1"], "roles": ["62e90394-69f5-4237-9190-012177145e10"],
                              "user_type": "guest", "external_user_types": ["b2bCollaborationGuest"]}
    body = evaluate_body(checked, signin)
    assert body == {
        "signInIdentity": {"@odata.type": "#microsoft.graph.userSignIn", "userId": "u1",
                           "externalUserType": "b2bCollaborationGuest"},
        "signInContext": {"@odata.type": "#microsoft.graph.applicationContext", "includeApplications": [EXCHANGE]},
        "signInConditions": {"devicePlatform": "android", "clientAppType": "browser", "country": "FR",
                             "ipAddress": "203.0.113.9", "signInRiskLevel": "medium", "userRiskLevel": "low",
                             "insiderRiskLevel": "minor",
                             "authenticationFlow": {"transferMethod": "authenticationTransfer"},
                             "deviceInfo": {"isCompliant": True, "ownership": "Company", "physicalIds": ["[ZDID]:x"]}},
        "appliedPoliciesOnly": False}


def test_unmanaged_device_and_user_action_in_graph_terms():
    checked = resolved(user="x", user_action="register_security_info", device="unmanaged")
    checked.application = None
    signin = sign_in(checked, UNMANAGED_DEVICE)
    assert signin["user_action"] == "urn:user:registersecurityinfo"
    assert signin["device"] == UNMANAGED_DEVICE
    body = evaluate_body(checked, signin)
    assert body["signInContext"] == {"@odata.type": "#microsoft.graph.userActionContext",
                                     "userAction": "registerSecurityInformation"}
    assert body["signInConditions"]["deviceInfo"] == {}  # unknown properties are left out, never null


def test_role_form_as_the_conditional_access_role():
    pilot_users = {"include_users": ["All"], "exclude_roles": ["Global Reader"]}
    items = [{"display_name": "P", "rollout": "pilot", "conditions": {"users": pilot_users}},
             {"display_name": "E", "rollout": "enforced", "conditions": {"users": {"include_groups": ["Sales"]}}},
             {"display_name": "D", "rollout": "disabled", "conditions": {"users": {"include_users": ["All"]}}},
             {"display_name": "Gone", "state": "absent"}]
    out = role_form(items, {"users": ["bg@contoso.com"], "groups": ["Emergency"]}, ["Pilot"], " (pilot)")
    assert out[0] == {"display_name": "P", "policy_state": "enabledForReportingButNotEnforced",
                      "conditions": {"users": {"include_users": ["All"], "exclude_roles": ["Global Reader"],
                                               "exclude_users": ["bg@contoso.com"],
                                               "exclude_groups": ["Emergency", "Pilot"]}}}
    assert out[1] == {"display_name": "P (pilot)", "policy_state": "enabled",
                      "conditions": {"users": {"include_groups": ["Pilot"], "exclude_roles": ["Global Reader"],
                                               "exclude_users": ["bg@contoso.com"], "exclude_groups": ["Emergency"]}}}
    assert out[2]["policy_state"] == "enabled" and out[2]["conditions"]["users"]["exclude_groups"] == ["Emergency"]
    assert out[3] == {"display_name": "D", "policy_state": "disabled",
                      "conditions": {"users": {"include_users": ["All"]}}}
    assert out[4] == {"display_name": "Gone", "state": "absent"}
    with pytest.raises(PolicyInputError) as caught:
        role_form(items[:1], None, [], " (pilot)")
    assert "conditional_access_policies[0].rollout: the pilot stage needs pilot_groups" in str(caught.value)


POLICIES = [
    {"id": "p1", "displayName": "Block legacy", "state": "enabled",
     "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]},
                    "clientAppTypes": ["exchangeActiveSync", "other"]},
     "grantControls": {"operator": "OR", "builtInControls": ["block"]}},
    {"id": "p2", "displayName": "MFA", "state": "enabledForReportingButNotEnforced",
     "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]},
                    "clientAppTypes": ["all"]},
     "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
]


def test_results_expectations_and_disagreement():
    checked = resolved(user="x", client_app="browser", expected="allow", satisfied_controls=[])
    evaluation = evaluate(POLICIES, sign_in(checked, UNMANAGED_DEVICE))
    variant = shaped(evaluation, checked)
    assert (variant["outcome"], variant["enforced"], variant["report_only"]) == ("allow", [], ["MFA"])
    assert variant["not_applied"][0]["display_name"] == "Block legacy" and variant["access_granted"] is True
    assert matches_expected(variant, checked) is True
    graph = [dict(POLICIES[0], policyApplies=True, analysisReasons="notSet"),
             dict(POLICIES[1], policyApplies=False, analysisReasons="users,clientApps")]
    summary, disagreement = compare(evaluation, graph, POLICIES)
    assert summary == {"applies": ["Block legacy"],
                       "not_applied": [{"display_name": "MFA", "reasons": ["users", "clientApps"]}]}
    assert [(d["display_name"], d["graph_applies"], d["offline_applies"]) for d in disagreement] == [
        ("Block legacy", True, False), ("MFA", False, True)]
    assert disagreement[0]["offline_reason"] == "clientApps"
    agreeing = [dict(POLICIES[0], policyApplies=False, analysisReasons="clientApps"),
                dict(POLICIES[1], policyApplies=True, analysisReasons="notSet")]
    assert compare(evaluation, agreeing, POLICIES)[1] == []
    # A policy Graph leaves out of its answer while the offline evaluation applies it is a disagreement too.
    assert [d["display_name"] for d in compare(evaluation, agreeing[:1], POLICIES)[1]] == ["MFA"]
