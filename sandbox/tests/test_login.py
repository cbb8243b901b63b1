"""The login authority through real MSAL: secrets, certificates (PEM with SHA-1 thumbprint, PEM with
public certificate, PFX with password), managed identity, and Entra ID's errors."""

import base64
import hashlib
import os
import time

import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from conftest import make_certificate

GRAPH = ["https://graph.microsoft.com/.default"]
EXCHANGE = ["https://outlook.office365.com/.default"]


def confidential(sb, client_id, credential, tenant=None):
    return msal.ConfidentialClientApplication(
        client_id, client_credential=credential, authority="%s/%s" % (sb.base_url, tenant or sb.tenant_id),
        instance_discovery=False, http_client=sb.session(), token_cache=msal.TokenCache())


def claims_of(sb, token, audience):
    """Verify ``token`` against the authority's published JWKS, as a resource server would."""
    keys = sb.session().get("%s/%s/discovery/v2.0/keys" % (sb.base_url, sb.tenant_id)).json()["keys"]
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys if k["kid"] == header["kid"])
    public = jwt.algorithms.RSAAlgorithm.from_jwk(key)
    return jwt.decode(token, public, algorithms=["RS256"], audience=audience)


def aad_error(result, code):
    assert "access_token" not in result, "a token was issued"
    assert result["error_codes"] == [code], result
    assert result["error_description"].startswith("AADSTS%d:" % code)
    assert result["correlation_id"] and result["trace_id"] and result["timestamp"]
    return result


def test_openid_configuration_names_this_server(sandbox):
    doc = sandbox.session().get("%s/%s/v2.0/.well-known/openid-configuration"
                                % (sandbox.base_url, sandbox.tenant_id)).json()
    prefix = "%s/%s" % (sandbox.base_url, sandbox.tenant_id)
    assert doc["issuer"] == prefix + "/v2.0"
    assert doc["token_endpoint"] == prefix + "/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == prefix + "/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == prefix + "/discovery/v2.0/keys"
    by_domain = sandbox.session().get("%s/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
                                      % sandbox.base_url).json()
    assert by_domain["token_endpoint"] == doc["token_endpoint"]


def test_secret_token_for_graph_carries_roles_and_audience(sandbox):
    app = confidential(sandbox, sandbox.client_id, sandbox.env["AZURE_CLIENT_SECRET"])
    result = app.acquire_token_for_client(GRAPH)
    assert result["token_type"] == "Bearer" and result["expires_in"] > 3000
    claims = claims_of(sandbox, result["access_token"], "https://graph.microsoft.com")
    assert claims["tid"] == sandbox.tenant_id
    assert claims["appid"] == sandbox.client_id
    assert claims["exp"] - claims["iat"] == 3599
    assert {"User.Read.All", "Policy.ReadWrite.ConditionalAccess", "DeviceManagementApps.ReadWrite.All"} <= set(claims["roles"])
    assert "Exchange.ManageAsApp" not in claims["roles"]
    exchange = app.acquire_token_for_client(EXCHANGE)
    exchange_claims = claims_of(sandbox, exchange["access_token"], "https://outlook.office365.com")
    assert exchange_claims["roles"] == ["Exchange.ManageAsApp"]


def test_pem_certificate_with_sha1_thumbprint(sandbox):
    key_pem, cert_pem, cert, _ = make_certificate()
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    app = confidential(sandbox, app_info["appId"], {"private_key": key_pem, "thumbprint": thumbprint})
    result = app.acquire_token_for_client(GRAPH)
    assert "access_token" in result, result
    claims = claims_of(sandbox, result["access_token"], "https://graph.microsoft.com")
    assert claims["roles"] == ["User.Read.All"] and claims["appidacr"] == "2"


def test_pem_certificate_with_public_certificate_uses_sha256(sandbox):
    key_pem, cert_pem, _, _ = make_certificate()
    app_info = sandbox.seed_app(permissions=["Group.Read.All"], key_credentials=[{"key": cert_pem}])
    app = confidential(sandbox, app_info["appId"], {"private_key": key_pem, "public_certificate": cert_pem})
    result = app.acquire_token_for_client(GRAPH)
    assert "access_token" in result, result


def test_pfx_with_password(sandbox, tmp_path):
    _, cert_pem, cert, key = make_certificate()
    pfx = pkcs12.serialize_key_and_certificates(b"tg", key, cert, None,
                                                serialization.BestAvailableEncryption(b"pfx-pass"))
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx)
    app_info = sandbox.seed_app(permissions=["Device.Read.All"], key_credentials=[{"key": cert_pem}])
    app = confidential(sandbox, app_info["appId"], {"private_key_pfx_path": str(path), "passphrase": "pfx-pass"})
    result = app.acquire_token_for_client(GRAPH)
    assert "access_token" in result, result


def test_certificate_not_registered_is_700027(sandbox):
    key_pem, _, cert, _ = make_certificate()
    _, other_pem, _, _ = make_certificate("other")
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": other_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    result = confidential(sandbox, app_info["appId"], {"private_key": key_pem, "thumbprint": thumbprint}) \
        .acquire_token_for_client(GRAPH)
    error = aad_error(result, 700027)
    assert "The key was not found" in error["error_description"]
    assert thumbprint.upper() in error["error_description"]


def test_expired_certificate_is_700027(sandbox):
    key_pem, cert_pem, cert, _ = make_certificate(days=-1, not_before_days=-30)
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    result = confidential(sandbox, app_info["appId"], {"private_key": key_pem, "thumbprint": thumbprint}) \
        .acquire_token_for_client(GRAPH)
    assert "expired" in aad_error(result, 700027)["error_description"]


def test_assertion_signed_by_another_key_is_refused(sandbox):
    _, cert_pem, cert, _ = make_certificate()
    wrong_key, _, _, _ = make_certificate()
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    result = confidential(sandbox, app_info["appId"], {"private_key": wrong_key, "thumbprint": thumbprint}) \
        .acquire_token_for_client(GRAPH)
    assert "signature" in aad_error(result, 700027)["error_description"]


@pytest.mark.parametrize("change, code", [
    ({"aud": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"}, 700212),
    ({"exp": -60}, 700024),
    ({"iss": "00000000-0000-0000-0000-000000000001"}, 700021),
])
def test_hand_made_assertions_are_checked(sandbox, change, code):
    _, cert_pem, cert, key = make_certificate()
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    x5t = base64.urlsafe_b64encode(hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()).decode()
    now = int(time.time())
    claims = {"aud": "%s/%s/oauth2/v2.0/token" % (sandbox.base_url, sandbox.tenant_id), "iss": app_info["appId"],
              "sub": app_info["appId"], "jti": "x", "nbf": now - 10, "exp": now + 600}
    for name, value in change.items():
        claims[name] = now + value if name == "exp" else value.replace("{tenant}", sandbox.tenant_id)
    assertion = jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})
    response = sandbox.session().post("%s/%s/oauth2/v2.0/token" % (sandbox.base_url, sandbox.tenant_id), data={
        "grant_type": "client_credentials", "client_id": app_info["appId"], "scope": GRAPH[0],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client" and response.json()["error_codes"] == [code]
    claims.update(aud="%s/%s/oauth2/v2.0/token" % (sandbox.base_url, sandbox.tenant_id), exp=now + 600,
                  iss=app_info["appId"])
    good = jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})
    accepted = sandbox.session().post("%s/%s/oauth2/v2.0/token" % (sandbox.base_url, sandbox.tenant_id), data={
        "grant_type": "client_credentials", "client_id": app_info["appId"], "scope": GRAPH[0],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": good})
    assert accepted.status_code == 200


def test_wrong_secret_is_7000215(sandbox):
    result = confidential(sandbox, sandbox.client_id, "not-the-secret").acquire_token_for_client(GRAPH)
    assert aad_error(result, 7000215)["error"] == "invalid_client"


def test_expired_secret_is_7000222(sandbox):
    app_info = sandbox.seed_app(permissions=["User.Read.All"], secret_end="2020-01-01T00:00:00Z")
    result = confidential(sandbox, app_info["appId"], app_info["secret"]).acquire_token_for_client(GRAPH)
    aad_error(result, 7000222)


def test_unknown_client_is_700016(sandbox):
    result = confidential(sandbox, "11111111-2222-3333-4444-555555555555", "x").acquire_token_for_client(GRAPH)
    assert aad_error(result, 700016)["error"] == "unauthorized_client"


def test_unknown_tenant_is_90002(sandbox):
    response = sandbox.session().get("%s/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration"
                                     % sandbox.base_url)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    with pytest.raises(ValueError):
        confidential(sandbox, sandbox.client_id, "x", tenant="fabrikam.onmicrosoft.com")


@pytest.mark.parametrize("scope, code", [
    ("https://graph.microsoft.com/User.Read.All", 1002012),
    ("https://graph.microsoft.com/.default https://outlook.office365.com/.default", 70011),
    ("https://graph.microsoft.us/.default", 500011),
])
def test_invalid_scope(sandbox, scope, code):
    response = sandbox.session().post("%s/%s/oauth2/v2.0/token" % (sandbox.base_url, sandbox.tenant_id), data={
        "grant_type": "client_credentials", "client_id": sandbox.client_id,
        "client_secret": sandbox.env["AZURE_CLIENT_SECRET"], "scope": scope})
    assert response.status_code == 400
    assert response.json()["error_codes"] == [code]


def test_app_without_permissions_on_the_resource_gets_no_token(sandbox):
    app_info = sandbox.seed_app(permissions=["User.Read.All"])
    result = confidential(sandbox, app_info["appId"], app_info["secret"]).acquire_token_for_client(EXCHANGE)
    assert "Invalid resource" in aad_error(result, 650057)["error_description"]


def test_managed_identity_through_msal(sandbox, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", sandbox.msi["IDENTITY_ENDPOINT"])
    monkeypatch.setenv("IDENTITY_HEADER", sandbox.msi["IDENTITY_HEADER"])
    for name in ("IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=sandbox.session(),
                                        token_cache=msal.TokenCache())
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    claims = claims_of(sandbox, result["access_token"], "https://graph.microsoft.com")
    assert claims["appid"] == sandbox.msi["client_id"]
    users = sandbox.session().get(sandbox.base_url + "/v1.0/users?$top=1",
                                  headers={"Authorization": "Bearer " + result["access_token"]})
    assert users.status_code == 200


def test_managed_identity_needs_the_identity_header(sandbox):
    response = sandbox.session().get(sandbox.msi["IDENTITY_ENDPOINT"], params={
        "resource": "https://graph.microsoft.com", "api-version": "2019-08-01"},
        headers={"X-IDENTITY-HEADER": "guess"})
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401
    assert "access_token" not in response.text


def test_secret_files_are_owner_only(sandbox):
    for name in ("env.sh", "env.json", "msi.json", "tenant.json", "signing-key.pem", "ca-key.pem",
                 "server-key.pem", os.path.join("data", "appCredentials.json")):
        mode = os.stat(os.path.join(sandbox.state_dir, name)).st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))
    assert os.stat(sandbox.ca_path).st_mode & 0o004


def test_user_assigned_managed_identity(sandbox, monkeypatch):
    identity = "5f0e9a77-3c1b-4d2e-8f6a-0b1c2d3e4f50"
    sandbox.seed({"applications": [{"appId": identity, "displayName": "automation identity",
                                    "managedIdentity": True, "permissions": ["Group.Read.All"]}]})
    monkeypatch.setenv("IDENTITY_ENDPOINT", sandbox.msi["IDENTITY_ENDPOINT"])
    monkeypatch.setenv("IDENTITY_HEADER", sandbox.msi["IDENTITY_HEADER"])
    client = msal.ManagedIdentityClient(msal.UserAssignedManagedIdentity(client_id=identity),
                                        http_client=sandbox.session(), token_cache=msal.TokenCache())
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    claims = claims_of(sandbox, result["access_token"], "https://graph.microsoft.com")
    assert claims["appid"] == identity and claims["roles"] == ["Group.Read.All"]
    unknown = msal.ManagedIdentityClient(msal.UserAssignedManagedIdentity(client_id=sandbox.client_id),
                                         http_client=sandbox.session(), token_cache=msal.TokenCache())
    assert "access_token" not in unknown.acquire_token_for_client(resource="https://graph.microsoft.com")
    # a managed identity cannot use the client-credentials grant
    assert aad_error(confidential(sandbox, identity, "x").acquire_token_for_client(GRAPH), 700016)


def test_tenant_in_another_cloud_uses_that_clouds_resources(tmp_path):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "gov", seed={"tenant": {"cloud": "usgov"}}) as sb:
        app = confidential(sb, sb.client_id, sb.env["AZURE_CLIENT_SECRET"])
        result = app.acquire_token_for_client(["https://graph.microsoft.us/.default"])
        assert claims_of(sb, result["access_token"], "https://graph.microsoft.us")["tid"] == sb.tenant_id
        assert aad_error(app.acquire_token_for_client(GRAPH), 500011)
        users = sb.session().get(sb.base_url + "/v1.0/users", headers={"Authorization": "Bearer " + result["access_token"]})
        assert users.status_code == 200
