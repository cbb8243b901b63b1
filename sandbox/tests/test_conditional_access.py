"""Conditional access endpoints: status codes, shapes, Graph's rules and rewrites (through the
validation layer), paging, and the read-only templates."""

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

POLICIES = "/v1.0/identity/conditionalAccess/policies"
LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"


def policy(name, **overrides):
    body = {"displayName": name, "state": "enabledForReportingButNotEnforced",
            "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                           "users": {"includeUsers": ["All"], "excludeGroups": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("ca-sandbox")) as sb:
        yield Client(sb, sb.token())


def test_create_get_patch_delete(ca):
    created = ca.post(POLICIES, json=policy("Require MFA"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#identity/conditionalAccess/policies/$entity")
    assert body["displayName"] == "Require MFA" and body["modifiedDateTime"] is None
    assert body["conditions"]["users"]["excludeUsers"] == []
    path = POLICIES + "/" + body["id"]
    fetched = ca.get(path).json()
    assert fetched["id"] == body["id"] and fetched["createdDateTime"] == body["createdDateTime"]
    patched = ca.patch(path, json={"state": "disabled"})
    assert patched.status_code == 204 and patched.text == ""
    after = ca.get(path).json()
    assert after["state"] == "disabled" and after["modifiedDateTime"] is not None
    assert ca.delete(path).status_code == 204
    assert ca.get(path).status_code == 404
    assert ca.patch(path, json={"state": "enabled"}).status_code == 404
    assert_graph_error(ca.delete(path), 404, "NotFound")


def test_unknown_property_is_1007(ca):
    response = ca.post(POLICIES, json=policy("bad", shoeSize=42))
    error = assert_graph_error(response, 400, "BadRequest")
    assert error["message"].startswith("1007: Incoming ConditionalAccessPolicy object is null or does not match")
    assert "shoeSize" in error["details"][0]["message"]


def test_wrong_type_and_enum_are_1007(ca):
    assert_graph_error(ca.post(POLICIES, json=policy("bad", state=True)), 400, "BadRequest")
    assert_graph_error(ca.post(POLICIES, json=policy("bad", state="sometimes")), 400, "BadRequest")


def test_template_id_in_patch_is_1118(ca):
    created = ca.post(POLICIES, json=policy("template test")).json()
    response = ca.patch(POLICIES + "/" + created["id"], json={"templateId": None, "state": "enabled"})
    assert_graph_error(response, 400, "BadRequest", "1118: TemplateId is a read-only field and cannot be updated.")
    get_body = ca.get(POLICIES + "/" + created["id"]).json()
    round_trip = {k: v for k, v in get_body.items() if not k.startswith("@")}
    assert ca.patch(POLICIES + "/" + created["id"], json=round_trip).status_code == 400


def test_approved_application_is_refused(ca):
    body = policy("legacy", grantControls={"operator": "OR", "builtInControls": ["approvedApplication"]})
    error = assert_graph_error(ca.post(POLICIES, json=body), 400, "BadRequest")
    assert "approvedApplication" in error["message"] + str(error.get("details"))


def test_operator_and_with_one_control_comes_back_or(ca):
    body = policy("block", grantControls={"operator": "AND", "builtInControls": ["block"]})
    created = ca.post(POLICIES, json=body).json()
    assert created["grantControls"]["operator"] == "OR"


def test_authentication_strength_is_expanded(ca):
    body = policy("phish resistant", grantControls={
        "operator": "OR", "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"}})
    created = ca.post(POLICIES, json=body)
    assert created.status_code == 201, created.text
    strength = created.json()["grantControls"]["authenticationStrength"]
    assert strength["displayName"] == "Phishing resistant MFA" and strength["policyType"] == "builtIn"
    missing = policy("x", grantControls={"operator": "OR", "authenticationStrength": {"id": "00000000-0000-0000-0000-00000000ffff"}})
    assert ca.post(POLICIES, json=missing).status_code == 400


def test_policy_list_pages(ca):
    for index in range(5):
        assert ca.post(POLICIES, json=policy("paged %d" % index)).status_code == 201
    seen, url, pages = [], POLICIES + "?$top=2&$filter=startswith(displayName,'paged')", 0
    while url:
        body = ca.get(url).json()
        seen += [p["displayName"] for p in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3 and sorted(seen) == ["paged %d" % i for i in range(5)]


def test_named_locations_and_missing_location_1040(ca):
    created = ca.post(LOCATIONS, json={
        "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ", "isTrusted": True,
        "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}]})
    assert created.status_code == 201, created.text
    location = created.json()
    assert location["@odata.type"] == "#microsoft.graph.ipNamedLocation"
    assert ca.patch(LOCATIONS + "/" + location["id"], json={
        "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Head office"}).status_code == 204
    assert ca.get(LOCATIONS + "/" + location["id"]).json()["displayName"] == "Head office"
    conditions = {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                  "users": {"includeUsers": ["All"]},
                  "locations": {"includeLocations": ["All"], "excludeLocations": [location["id"]]}}
    assert ca.post(POLICIES, json=policy("outside HQ", conditions=conditions)).status_code == 201
    conditions["locations"]["excludeLocations"] = ["185c993e-10a9-44fa-98d1-230c8f72f497"]
    error = assert_graph_error(ca.post(POLICIES, json=policy("nowhere", conditions=conditions)), 400, "BadRequest")
    assert error["message"].startswith("1040: NamedLocation with id 185c993e-10a9-44fa-98d1-230c8f72f497")
    assert_graph_error(ca.post(LOCATIONS, json={"displayName": "no type"}), 400, "BadRequest")


def test_authentication_strengths_builtin_and_custom(ca):
    for path in ("/v1.0/policies/authenticationStrengthPolicies",
                 "/v1.0/identity/conditionalAccess/authenticationStrength/policies",
                 "/beta/identity/conditionalAccess/authenticationStrengths/policies"):
        ids = {p["id"] for p in ca.get(path).json()["value"]}
        assert {"00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000004"} <= ids, path
    created = ca.post("/v1.0/policies/authenticationStrengthPolicies", json={
        "displayName": "Keys only", "allowedCombinations": ["fido2"]})
    assert created.status_code == 201, created.text
    key = created.json()["id"]
    assert created.json()["policyType"] == "custom"
    assert ca.patch("/v1.0/policies/authenticationStrengthPolicies/" + key,
                    json={"description": "FIDO2"}).status_code == 204
    assert ca.patch("/v1.0/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000002",
                    json={"description": "mine"}).status_code == 400
    assert ca.delete("/v1.0/policies/authenticationStrengthPolicies/" + key).status_code == 204


def test_templates_are_read_only(ca):
    body = ca.get("/v1.0/identity/conditionalAccess/templates?$filter=scenarios has 'secureFoundation'").json()
    assert body["value"] and all("secureFoundation" in t["scenarios"] for t in body["value"])
    one = ca.get("/v1.0/identity/conditionalAccess/templates/" + body["value"][0]["id"]).json()
    assert one["name"] == body["value"][0]["name"]
    assert ca.post("/v1.0/identity/conditionalAccess/templates", json={}).status_code == 405
    assert ca.get("/v1.0/identity/conditionalAccess/templates?$top=1").status_code == 400


def test_authentication_context_class_references(ca):
    base = "/beta/identity/conditionalAccess/authenticationContextClassReferences"
    created = ca.post(base, json={"id": "c3", "displayName": "Sensitive", "isAvailable": True})
    assert created.status_code == 201, created.text
    assert ca.post(base, json={"id": "c3", "displayName": "again"}).status_code == 409
    assert ca.post(base, json={"id": "c100", "displayName": "x"}).status_code == 400
    assert ca.patch(base + "/c3", json={"description": "step-up"}).status_code == 204
    assert ca.get(base + "/c3").json()["description"] == "step-up"
    assert ca.delete(base + "/c3").status_code == 204
    assert ca.get(base + "/c3").status_code == 404


def test_beta_policy_shape(ca):
    created = ca.post("/beta/identity/conditionalAccess/policies", json=policy("beta one")).json()
    assert "partialEnablementStrategy" in created
    assert created["@odata.context"].endswith("/beta/$metadata#identity/conditionalAccess/policies/$entity")


def test_a_beta_get_body_sent_back_as_intunecd_does_is_accepted(ca):
    """IntuneCD backs up ``GET /beta/.../policies`` and sends it back less ``id``, ``createdDateTime``,
    ``modifiedDateTime``, ``templateId``, ``authenticationStrength@odata.context`` (and ``conditions.users`` on
    PATCH): ``deletedDateTime: null`` and ``partialEnablementStrategy: null`` stay in the body."""
    beta = "/beta/identity/conditionalAccess/policies"
    created = ca.post(beta, json=policy("Round trip")).json()
    fetched = ca.get(beta + "/" + created["id"]).json()
    assert fetched["deletedDateTime"] is None and "partialEnablementStrategy" in fetched
    body = {k: v for k, v in fetched.items()
            if k not in ("id", "createdDateTime", "modifiedDateTime", "templateId", "@odata.context")}
    body["grantControls"].pop("authenticationStrength@odata.context", None)
    patch = dict(body, conditions={k: v for k, v in body["conditions"].items() if k != "users"},
                 state="disabled")
    response = ca.patch(beta + "/" + created["id"], json=patch)
    assert response.status_code == 204, response.text
    after = ca.get(beta + "/" + created["id"]).json()
    assert after["state"] == "disabled"
    assert after["conditions"] == fetched["conditions"]
    recreated = ca.post(beta, json=dict(body, displayName="Round trip copy"))
    assert recreated.status_code == 201, recreated.text
    assert recreated.json()["conditions"] == fetched["conditions"]
    # a non-null read-only value is still refused, and templateId even as null (1118)
    assert_graph_error(ca.patch(beta + "/" + created["id"], json={"deletedDateTime": "2024-01-01T00:00:00Z"}),
                       400, "BadRequest")
    assert_graph_error(ca.patch(beta + "/" + created["id"], json=dict(patch, templateId=None)), 400, "BadRequest",
                       "1118: TemplateId is a read-only field and cannot be updated.")
