"""requests.jsonl: one line per request with the contract's fields, and never a credential."""

import hashlib
import json

import msal
from cryptography.hazmat.primitives import serialization

from conftest import Client, make_certificate

FIELDS = {"time", "service", "method", "path", "query", "status", "client_request_id", "app_id", "fault", "body"}


def test_fields_and_bodies(graph_sandbox):
    sb = graph_sandbox
    token = sb.token()
    client = Client(sb, token)
    client.get("/v1.0/users?$top=5", headers={"client-request-id": "11111111-2222-3333-4444-555555555555"})
    client.post("/v1.0/identity/conditionalAccess/namedLocations", json={
        "@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "NL",
        "countriesAndRegions": ["NL"]})
    entries = sb.requests()
    assert all(set(e) == FIELDS for e in entries)
    login, listing, write = entries[-3], entries[-2], entries[-1]
    assert login["service"] == "login" and login["body"] is None and login["status"] == 200
    assert login["path"] == "/%s/oauth2/v2.0/token" % sb.tenant_id
    assert listing == dict(listing, service="graph", method="GET", path="/v1.0/users", query={"$top": "5"},
                           status=200, client_request_id="11111111-2222-3333-4444-555555555555",
                           app_id=sb.client_id, fault=None, body=None)
    assert write["body"]["displayName"] == "NL" and write["status"] == 201
    assert write["time"].endswith("Z")


def test_no_secret_token_or_assertion_is_ever_written(graph_sandbox, tmp_path):
    sb = graph_sandbox
    secret = sb.env["AZURE_CLIENT_SECRET"]
    token = sb.token()
    client = Client(sb, token)
    client.get("/v1.0/groups")
    client.get("/v1.0/users?access_token=" + token)
    # a write whose body carries a secret is logged redacted
    client.post("/v1.0/$batch", json={"requests": [{"id": "1", "method": "POST", "url": "/applications",
                                                    "headers": {"Content-Type": "application/json"},
                                                    "body": {"passwordCredentials": [{"secretText": secret}]}}]})
    # a failed login with a wrong secret, and a certificate login (its assertion is a bearer credential)
    sb.session().post("%s/%s/oauth2/v2.0/token" % (sb.base_url, sb.tenant_id), data={
        "grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": secret + "x",
        "scope": "https://graph.microsoft.com/.default"})
    key_pem, cert_pem, cert, _ = make_certificate()
    app = sb.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assertion_result = msal.ConfidentialClientApplication(
        app["appId"], client_credential={"private_key": key_pem, "thumbprint": thumbprint},
        authority="%s/%s" % (sb.base_url, sb.tenant_id), instance_discovery=False,
        http_client=sb.session()).acquire_token_for_client(["https://graph.microsoft.com/.default"])
    cert_token = assertion_result["access_token"]
    sb.session().get(sb.msi["IDENTITY_ENDPOINT"], params={"resource": "https://graph.microsoft.com",
                                                          "api-version": "2019-08-01"},
                     headers={"X-IDENTITY-HEADER": sb.msi["IDENTITY_HEADER"]})
    with open(sb.state_dir + "/requests.jsonl", encoding="utf-8") as handle:
        raw = handle.read()
    for needle in (secret, token, token.split(".")[2], cert_token, sb.msi["IDENTITY_HEADER"], key_pem.splitlines()[1]):
        assert needle not in raw
    assert "client_assertion" not in raw and "eyJ" not in raw
    lines = [json.loads(line) for line in raw.splitlines()]
    batch = next(e for e in lines if e["path"] == "/v1.0/$batch")
    assert batch["body"]["requests"][0]["body"]["passwordCredentials"][0]["secretText"] == "<redacted>"
    leaked = next(e for e in lines if e["path"] == "/v1.0/users" and "access_token" in e["query"])
    assert leaked["query"]["access_token"] == "<redacted>"
    assert any(e["service"] == "msi" and e["status"] == 200 for e in lines)
