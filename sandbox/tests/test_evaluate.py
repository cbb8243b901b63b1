"""What If (``POST /identity/conditionalAccess/evaluate``): Graph's body rules, permissions, the
whatIfAnalysisResult shape, answers computed by the collection's evaluation engine, and the control
knob that makes the answer differ on purpose."""

import uuid

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

EVALUATE = "/v1.0/identity/conditionalAccess/evaluate"
NS = uuid.UUID("6a3c1d2e-9f8b-4e7a-8d6c-5b4a3f2e1d0c")
EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def uid(*parts):
    return str(uuid.uuid5(NS, "/".join(parts)))


ADELE, BREAKGLASS, GUEST = uid("user", "adele"), uid("user", "breakglass"), uid("user", "guest")
EMERGENCY, STAFF, NESTED = uid("group", "emergency"), uid("group", "staff"), uid("group", "nested")
BLOCK_LEGACY, MFA_ALL, MOBILE, DISABLED, ADMINS = (uid("policy", n) for n in ("legacy", "mfa", "mobile", "off", "adm"))


def users_all():
    return {"includeUsers": ["All"], "excludeGroups": [EMERGENCY]}


SEED = {
    "users": [
        {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com",
         "userType": "Member"},
        {"id": BREAKGLASS, "displayName": "Break Glass", "userPrincipalName": "breakglass@contoso.onmicrosoft.com",
         "userType": "Member"},
        {"id": GUEST, "displayName": "Partner", "userPrincipalName": "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com",
         "userType": "Guest"},
    ],
    "groups": [
        {"id": EMERGENCY, "displayName": "Emergency Access", "securityEnabled": True, "mailEnabled": False,
         "mailNickname": "emergency", "members": [BREAKGLASS]},
        {"id": NESTED, "displayName": "Nested", "securityEnabled": True, "mailEnabled": False,
         "mailNickname": "nested", "members": [ADELE]},
        {"id": STAFF, "displayName": "All Staff", "securityEnabled": True, "mailEnabled": False,
         "mailNickname": "staff", "members": [NESTED]},
    ],
    "directoryRoles": [{"roleTemplateId": GLOBAL_ADMIN, "members": [BREAKGLASS]}],
    "conditionalAccessPolicies": [
        {"id": BLOCK_LEGACY, "displayName": "Block legacy authentication", "state": "enabled",
         "conditions": {"users": users_all(), "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["exchangeActiveSync", "other"]},
         "grantControls": {"operator": "OR", "builtInControls": ["block"]}},
        {"id": MFA_ALL, "displayName": "MFA for staff", "state": "enabled",
         "conditions": {"users": {"includeGroups": [STAFF]}, "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["all"]},
         "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
        {"id": MOBILE, "displayName": "Mobile app protection", "state": "enabledForReportingButNotEnforced",
         "conditions": {"users": users_all(), "applications": {"includeApplications": ["Office365"]},
                        "platforms": {"includePlatforms": ["iOS", "android"]},
                        "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"]},
         "grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]}},
        {"id": DISABLED, "displayName": "Old policy", "state": "disabled",
         "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["all"]},
         "grantControls": {"operator": "OR", "builtInControls": ["block"]}},
        {"id": ADMINS, "displayName": "Admins need MFA", "state": "enabled",
         "conditions": {"users": {"includeRoles": [GLOBAL_ADMIN]}, "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["all"]},
         "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
    ],
}


def body(user=ADELE, app=EXCHANGE, platform="iOS", client="mobileAppsAndDesktopClients", **extra):
    out = {"signInIdentity": {"@odata.type": "#microsoft.graph.userSignIn", "userId": user},
           "signInContext": {"@odata.type": "#microsoft.graph.applicationContext", "includeApplications": [app]},
           "signInConditions": {"devicePlatform": platform, "clientAppType": client}}
    out.update(extra)
    return out


def by_id(response):
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["value"]}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("evaluate"), seed=SEED) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb):
    return Client(sb, sb.token())


def test_every_policy_with_whether_it_applies_and_why_not(client):
    response = client.post(EVALUATE, json=body())
    assert response.json()["@odata.context"].endswith("/v1.0/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)")
    results = by_id(response)
    assert set(results) == {BLOCK_LEGACY, MFA_ALL, MOBILE, DISABLED, ADMINS}
    # A whatIfAnalysisResult is the policy as Graph renders it, plus the two analysis properties.
    mfa = results[MFA_ALL]
    assert mfa["displayName"] == "MFA for staff" and mfa["grantControls"]["builtInControls"] == ["mfa"]
    assert (mfa["policyApplies"], mfa["analysisReasons"]) == (True, "notSet")  # nested group membership counts
    assert (results[MOBILE]["policyApplies"], results[MOBILE]["analysisReasons"]) == (True, "notSet")  # report-only
    assert (results[BLOCK_LEGACY]["policyApplies"], results[BLOCK_LEGACY]["analysisReasons"]) == (False, "clientApps")
    assert (results[DISABLED]["policyApplies"], results[DISABLED]["analysisReasons"]) == (False, "policyNotEnabled")
    assert (results[ADMINS]["policyApplies"], results[ADMINS]["analysisReasons"]) == (False, "users")


def test_exclusions_roles_and_legacy_clients(client):
    legacy = by_id(client.post(EVALUATE, json=body(client="exchangeActiveSync")))
    assert legacy[BLOCK_LEGACY]["policyApplies"] is True and legacy[MOBILE]["analysisReasons"] == "clientApps"
    breakglass = by_id(client.post(EVALUATE, json=body(user=BREAKGLASS, app=AZURE_PORTAL, platform="windows",
                                                       client="exchangeActiveSync")))
    assert breakglass[BLOCK_LEGACY]["analysisReasons"] == "users"  # excluded through the emergency group
    assert breakglass[ADMINS]["policyApplies"] is True  # a directory role, by template id
    assert breakglass[MFA_ALL]["analysisReasons"] == "users"


def test_values_that_say_nothing_are_not_known(client):
    sent = body(signInConditions={"devicePlatform": "all", "clientAppType": "all", "signInRiskLevel": "hidden",
                                  "userRiskLevel": "unknownFutureValue", "insiderRiskLevel": "none",
                                  "authenticationFlow": {"transferMethod": "none"}})
    results = by_id(client.post(EVALUATE, json=sent))
    assert results[MFA_ALL]["policyApplies"] is True  # configures no risk, platform or flow
    assert (results[MOBILE]["policyApplies"], results[MOBILE]["analysisReasons"]) == (False, "notEnoughInformation")


def test_applied_policies_only(client):
    response = client.post(EVALUATE, json=body(appliedPoliciesOnly=True))
    assert sorted(r["id"] for r in response.json()["value"]) == sorted([MFA_ALL, MOBILE])


def test_service_principal_user_action_and_beta(client):
    sp = body(signInIdentity={"@odata.type": "#microsoft.graph.servicePrincipalSignIn",
                              "servicePrincipalId": "3f6a2d8e-1b4c-4e7a-9d2f-6c8b0a5e7f13"})
    results = by_id(client.post(EVALUATE, json=sp))
    assert not any(r["policyApplies"] for r in results.values())  # user policies never apply to workload identities
    action = body(signInContext={"@odata.type": "#microsoft.graph.userActionContext",
                                 "userAction": "registerSecurityInformation"})
    results = by_id(client.post(EVALUATE.replace("v1.0", "beta"), json=action))
    # A policy for all resources does not cover registering security information.
    assert results[MFA_ALL]["policyApplies"] is False and results[MFA_ALL]["analysisReasons"] != "notSet"


@pytest.mark.parametrize("bad, message", [
    ({"signInIdentity": {"userId": ADELE}},
     "A value without a type name was found and no expected type is available."),
    ({"signInConditions": {"devicePlatform": "amiga"}},
     "Cannot convert the literal 'amiga' to the expected type 'microsoft.graph.conditionalAccessDevicePlatform'."),
    ({"signInConditions": {"clientAppType": "imap"}},
     "Cannot convert the literal 'imap' to the expected type 'microsoft.graph.conditionalAccessClientApp'."),
    ({"signInContext": {"@odata.type": "#microsoft.graph.signInContext"}}, None),
    ({"device": {"isCompliant": True}},
     "The parameter 'device' in the request payload is not a valid parameter for the operation 'evaluate'."),
])
def test_bodies_graph_refuses(client, bad, message):
    sent = body()
    sent.update(bad)
    response = client.post(EVALUATE, json=sent)
    error = assert_graph_error(response, 400, "RequestBodyRead")
    assert error["message"].startswith(message or ""), error


def test_required_parameters_and_unknown_user(client):
    sent = body()
    del sent["signInContext"]
    assert_graph_error(client.post(EVALUATE, json=sent), 400, "BadRequest",
                       "The parameter 'signInContext' is required for the operation 'evaluate'.")
    missing = body(user=uid("user", "nobody"))
    assert_graph_error(client.post(EVALUATE, json=missing), 400, "BadRequest")
    assert_graph_error(client.get(EVALUATE), 405, "Request_BadRequest")


def test_permissions(sb):
    reader = sb.seed_app(permissions=["Policy.Read.ConditionalAccess"])
    allowed = Client(sb, sb.token(client_id=reader["appId"], secret=reader["secret"]))
    assert allowed.post(EVALUATE, json=body()).status_code == 200
    other = sb.seed_app(permissions=["User.Read.All"])
    denied = Client(sb, sb.token(client_id=other["appId"], secret=other["secret"]))
    assert_graph_error(denied.post(EVALUATE, json=body()), 403, "AccessDenied")


def test_control_knob_inverts_chosen_policies(sb, client):
    try:
        status, shown = sb.control("PUT", "/_sandbox/evaluate", {"invert": ["MFA for staff", BLOCK_LEGACY],
                                                                 "reason": "users"})
        assert status == 200 and shown["invert"] == ["MFA for staff", BLOCK_LEGACY]
        results = by_id(client.post(EVALUATE, json=body()))
        assert (results[MFA_ALL]["policyApplies"], results[MFA_ALL]["analysisReasons"]) == (False, "users")
        assert (results[BLOCK_LEGACY]["policyApplies"], results[BLOCK_LEGACY]["analysisReasons"]) == (True, "notSet")
        assert results[MOBILE]["policyApplies"] is True  # untouched
        assert sb.control("PUT", "/_sandbox/evaluate", {"invert": "MFA"})[0] == 400
        assert sb.control("PUT", "/_sandbox/evaluate", {"reason": "because"})[0] == 400
    finally:
        assert sb.control("PUT", "/_sandbox/evaluate", {})[0] == 200
    assert by_id(client.post(EVALUATE, json=body()))[MFA_ALL]["policyApplies"] is True
    assert sb.control("GET", "/_sandbox/evaluate")[1] == {"invert": [], "reason": "notEnoughInformation"}


def test_evaluate_writes_nothing(sb, client):
    before = {p["id"]: p for p in client.get("/v1.0/identity/conditionalAccess/policies").json()["value"]}
    client.post(EVALUATE, json=body())
    after = {p["id"]: p for p in client.get("/v1.0/identity/conditionalAccess/policies").json()["value"]}
    assert before == after
