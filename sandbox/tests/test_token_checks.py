"""Graph and Exchange refuse tokens Graph would refuse, and check permissions per endpoint family."""

import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import Client, assert_graph_error, make_certificate


def signing_key(sb):
    with open(os.path.join(sb.state_dir, "signing-key.pem"), "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def forged(sb, key=None, **overrides):
    """A token shaped like the sandbox's, signed with ``key`` (default: the sandbox's own key)."""
    real = jwt.decode(sb.token(), options={"verify_signature": False})
    header = jwt.get_unverified_header(sb.token())
    real.update(overrides)
    return jwt.encode(real, key or signing_key(sb), algorithm="RS256", headers={"kid": header["kid"]})


def test_missing_token_is_401(sandbox):
    response = Client(sandbox, None).get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken", "Access token is empty.")
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_malformed_token_is_401(sandbox):
    response = Client(sandbox, "not-a-jwt").get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_token_signed_by_another_key_is_401(sandbox):
    _, _, _, other_key = make_certificate()
    response = Client(sandbox, forged(sandbox, key=other_key)).get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken", "Access token validation failure.")


def test_expired_token_is_401(sandbox):
    now = int(time.time())
    token = forged(sandbox, iat=now - 7200, nbf=now - 7200, exp=now - 60)
    response = Client(sandbox, token).get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken",
                       "Lifetime validation failed, the token is expired.")


def test_exchange_token_on_graph_is_wrong_audience(sandbox):
    token = sandbox.token(scope="https://outlook.office365.com/.default")
    response = Client(sandbox, token).get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken",
                       "Access token validation failure. Invalid audience.")


def test_graph_token_on_exchange_is_refused(sandbox, graph):
    response = graph.post("/adminapi/beta/%s/InvokeCommand" % sandbox.tenant_id,
                          json={"CmdletInput": {"CmdletName": "Get-MobileDevice", "Parameters": {}}},
                          headers={"Host": "localhost:%d" % sandbox.port})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid Operation"
    assert "Invalid audience" in response.json()["error"]["innererror"]["internalexception"]["message"]


@pytest.mark.parametrize("path, code", [
    ("/v1.0/groups", "Authorization_RequestDenied"),
    ("/v1.0/devices", "Authorization_RequestDenied"),
    ("/v1.0/servicePrincipals", "Authorization_RequestDenied"),
    ("/v1.0/identity/conditionalAccess/policies", "AccessDenied"),
    ("/beta/identity/conditionalAccess/namedLocations", "AccessDenied"),
    ("/v1.0/deviceManagement/managedDevices", "Forbidden"),
    ("/v1.0/deviceAppManagement/iosManagedAppProtections", "Forbidden"),
])
def test_missing_permission_is_403_in_the_service_shape(client_for, path, code):
    users_only = client_for(["User.Read.All"])
    assert users_only.get("/v1.0/users?$top=1").status_code == 200
    error = assert_graph_error(users_only.get(path), 403, code)
    if code == "Authorization_RequestDenied":
        assert error["message"] == "Insufficient privileges to complete the operation."
    if code == "AccessDenied":
        assert error["message"] == "You cannot perform the requested operation, required scopes are missing in the token."
    if code == "Forbidden":
        assert '"_version": 3' in error["message"] and "DeviceManagement" in error["message"]


def test_directory_read_all_covers_the_directory(client_for):
    reader = client_for(["Directory.Read.All"])
    for path in ("/v1.0/users", "/v1.0/groups", "/v1.0/devices", "/v1.0/applications", "/v1.0/directoryRoles"):
        assert reader.get(path).status_code == 200, path


def test_conditional_access_write_needs_readwrite_and_read(client_for):
    body = {"displayName": "x", "state": "disabled", "conditions": {
        "clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
        "users": {"includeUsers": ["None"]}}, "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    reader = client_for(["Policy.Read.All"])
    assert reader.get("/v1.0/identity/conditionalAccess/policies").status_code == 200
    assert_graph_error(reader.post("/v1.0/identity/conditionalAccess/policies", json=body), 403, "AccessDenied")
    writer_only = client_for(["Policy.ReadWrite.ConditionalAccess"])
    assert_graph_error(writer_only.post("/v1.0/identity/conditionalAccess/policies", json=body), 403, "AccessDenied")
    writer = client_for(["Policy.ReadWrite.ConditionalAccess", "Policy.Read.All"])
    created = writer.post("/v1.0/identity/conditionalAccess/policies", json=body)
    assert created.status_code == 201, created.text
    assert writer.delete("/v1.0/identity/conditionalAccess/policies/" + created.json()["id"]).status_code == 204


def test_exchange_needs_the_manage_as_app_role(sandbox):
    app = sandbox.seed_app(permissions=["full_access_as_app"])
    token = sandbox.token(scope="https://outlook.office365.com/.default", client_id=app["appId"], secret=app["secret"])
    response = Client(sandbox, token).post(
        "/adminapi/beta/%s/InvokeCommand" % sandbox.tenant_id,
        json={"CmdletInput": {"CmdletName": "Get-MobileDevice", "Parameters": {}}},
        headers={"Host": "localhost:%d" % sandbox.port})
    assert response.status_code == 401
    assert "Exchange.ManageAsApp" in response.json()["error"]["details"][0]["message"]
