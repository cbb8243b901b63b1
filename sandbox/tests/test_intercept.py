"""Intercept mode: the sandbox as the HTTPS proxy of Microsoft's own host names.

Clients here are real ones (requests, MSAL, the standard library's TLS) with the proxy and CA
settings of ``intercept.json`` and no endpoint override: the URLs are Microsoft's.
"""

import ast
import hashlib
import importlib.util
import json
import os
import pathlib
import socket
import ssl
import stat

import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_certificate
from tenantguard_sandbox import intercept

HERE = pathlib.Path(__file__).resolve()
REPO = HERE.parents[2]
PACKAGE = REPO / "sandbox" / "tenantguard_sandbox"
GRAPH = ["https://graph.microsoft.com/.default"]


def load_collection_module(name):
    path = REPO / "plugins" / "module_utils" / ("%s.py" % name.replace(".", "/"))
    spec = importlib.util.spec_from_file_location("tg_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def connect(sb, target):
    """Send ``CONNECT target`` to the sandbox's port; return ``(status, socket, head)``."""
    sock = socket.create_connection(("127.0.0.1", sb.port), timeout=30)
    sock.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else None
    return status, sock, head


def read_rest(sock, head):
    length = int(next((line.split(b":", 1)[1] for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), b"0"))
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return body


def proxy_lines(sb):
    return [r for r in sb.requests() if r["service"] == "proxy"]


# -- which hosts are answered -----------------------------------------------------------------

def test_every_host_the_collection_knows_is_intercepted_as_its_service():
    clouds = load_collection_module("_transport.clouds")
    for cloud in clouds.CLOUDS.values():
        assert intercept.service_of_host(cloud.login.split("://")[1]) == "login", cloud
        assert intercept.service_of_host(cloud.graph.split("://")[1]) == "graph", cloud
        assert intercept.service_of_host(cloud.exchange.split("://")[1]) == "exchange", cloud
    for host in clouds.MICROSOFT_LOGIN_HOSTS:
        assert intercept.service_of_host(host) == "login", host


def test_every_authority_msal_knows_is_intercepted_as_sign_in():
    from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

    for host in WELL_KNOWN_AUTHORITY_HOSTS:
        assert intercept.service_of_host(host) == "login", host


def test_regional_exchange_hosts_are_single_label_subdomains():
    assert intercept.service_of_host("eur03b.outlook.office365.com") == "exchange"
    assert intercept.service_of_host("a.b.outlook.office365.com") is None
    assert intercept.service_of_host("outlook.office365.com.example.net") is None
    assert intercept.service_of_host("evilgraph.microsoft.com") is None


HOST_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")
FOREIGN_HOSTS = st.lists(HOST_LABEL, min_size=1, max_size=4).map(".".join).filter(
    lambda h: intercept.service_of_host(h) is None)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.one_of(FOREIGN_HOSTS, st.sampled_from(["127.0.0.1", "10.0.0.1", "[::1]", "localhost",
                                                      "graph.microsoft.com.evil.example", "management.azure.com"])),
       port=st.sampled_from([443, 80, 8443, 22]))
def test_connect_to_any_other_destination_is_refused_and_logged(sandbox, host, port):
    before = len(proxy_lines(sandbox))
    status, sock, head = connect(sandbox, "%s:%d" % (host, port))
    with sock:
        body = json.loads(read_rest(sock, head))
        assert sock.recv(1) == b"", "the connection stays open after a refusal"
    assert status == 403, head
    assert body["error"]["code"] == "Forbidden"
    assert "never forwards" in body["error"]["message"]
    lines = proxy_lines(sandbox)[before:]
    assert [(l["method"], l["status"]) for l in lines] == [("CONNECT", 403)]


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.sampled_from(sorted(intercept.HOSTS)), port=st.integers(1, 65535).filter(lambda p: p != 443))
def test_microsoft_hosts_are_answered_on_443_only(sandbox, host, port):
    status, sock, head = connect(sandbox, "%s:%d" % (host, port))
    sock.close()
    assert status == 403, head


def test_a_refused_connect_opens_no_connection_anywhere(sandbox):
    """A listening socket on this machine, named as the CONNECT target, is never connected to."""
    decoy = socket.socket()
    decoy.bind(("127.0.0.1", 0))
    decoy.listen(8)
    decoy.setblocking(False)
    try:
        for target in ("127.0.0.1:%d" % decoy.getsockname()[1], "localhost:%d" % decoy.getsockname()[1]):
            status, sock, _ = connect(sandbox, target)
            sock.close()
            assert status == 403
        with pytest.raises(BlockingIOError):
            decoy.accept()
    finally:
        decoy.close()


def test_the_sandbox_package_opens_no_outbound_connection():
    """Nothing in the server opens a socket to anywhere: no connect, no HTTP client, no resolver.

    ``testing.py`` (the test helper, a client of the sandbox on loopback) is the one exception."""
    forbidden_calls = {"create_connection", "connect", "connect_ex", "urlopen", "getaddrinfo", "gethostbyname"}
    forbidden_modules = {"requests", "httpx", "urllib3", "aiohttp"}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("testing.py", "pytest_plugin.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in forbidden_calls:
                    offenders.append("%s:%d %s()" % (path.name, node.lineno, name))
                if name in ("HTTPConnection", "HTTPSConnection"):
                    offenders.append("%s:%d %s" % (path.name, node.lineno, name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] in forbidden_modules for n in names):
                    offenders.append("%s:%d import %s" % (path.name, node.lineno, names))
    assert offenders == []


def test_plain_http_requests_are_refused(sandbox):
    proxies = {"http": sandbox.proxy_url}
    session = requests.Session()
    session.trust_env = False
    forwarded = session.get("http://graph.microsoft.com/v1.0/users", proxies=proxies, timeout=30)
    assert forwarded.status_code == 403
    assert "never forwards" in forwarded.json()["error"]["message"]
    direct = session.get("http://127.0.0.1:%d/v1.0/users" % sandbox.port, timeout=30)
    assert direct.status_code == 400
    assert "CONNECT" in direct.json()["error"]["message"]


# -- what a tunnel serves ---------------------------------------------------------------------

@pytest.mark.parametrize("host", ["graph.microsoft.com", "login.microsoftonline.com", "outlook.office365.com",
                                  "graph.microsoft.us", "login.chinacloudapi.cn"])
def test_tunnel_presents_a_certificate_for_that_host_from_the_sandbox_ca(sandbox, host):
    status, sock, _ = connect(sandbox, "%s:443" % host)
    assert status == 200
    context = ssl.create_default_context(cafile=sandbox.ca_path)  # checks the chain and the host name
    with context.wrap_socket(sock, server_hostname=host) as tls:
        cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [host]
    with open(sandbox.ca_path, "rb") as handle:
        ca = x509.load_pem_x509_certificate(handle.read())
    assert cert.issuer == ca.subject


def test_graph_through_the_proxy_with_a_token_from_the_real_authority_url(sandbox):
    session = sandbox.intercept_session()
    token = session.post("https://login.microsoftonline.com/%s/oauth2/v2.0/token" % sandbox.tenant_id, data={
        "grant_type": "client_credentials", "client_id": sandbox.client_id,
        "client_secret": sandbox.env["AZURE_CLIENT_SECRET"], "scope": GRAPH[0]}, timeout=30)
    assert token.status_code == 200, token.text
    headers = {"Authorization": "Bearer " + token.json()["access_token"]}
    first = session.get("https://graph.microsoft.com/v1.0/users?$top=100", headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    link = first.json()["@odata.nextLink"]
    assert link.startswith("https://graph.microsoft.com/v1.0/users?")
    assert first.json()["@odata.context"].startswith("https://graph.microsoft.com/v1.0/$metadata")
    second = session.get(link, headers=headers, timeout=30)
    assert second.status_code == 200 and second.json()["value"]


def test_each_host_serves_its_own_service_only(sandbox):
    session = sandbox.intercept_session()
    token = sandbox.token()
    headers = {"Authorization": "Bearer " + token}
    no_version = session.get("https://graph.microsoft.com/users", headers=headers, timeout=30)
    assert no_version.status_code == 400 and no_version.json()["error"]["message"] == "Invalid version."
    control = session.get("https://graph.microsoft.com/_sandbox/health", timeout=30)
    assert control.status_code == 400
    for host in ("login.microsoftonline.com", "outlook.office365.com"):
        graph_path = session.get("https://%s/v1.0/users" % host, headers=headers, timeout=30)
        assert graph_path.status_code == 404, (host, graph_path.text)
        assert session.get("https://%s/_sandbox/health" % host, timeout=30).status_code == 404
    msi = session.get("https://login.microsoftonline.com/msi/token?resource=https://graph.microsoft.com"
                      "&api-version=2019-08-01", headers={"X-IDENTITY-HEADER": sandbox.msi["IDENTITY_HEADER"]},
                      timeout=30)
    assert msi.status_code == 404 and "access_token" not in msi.text
    openid = session.get("https://graph.microsoft.com/%s/v2.0/.well-known/openid-configuration" % sandbox.tenant_id,
                         timeout=30)
    assert openid.status_code == 400


def test_openid_configuration_names_the_real_authority(sandbox):
    doc = sandbox.intercept_session().get(
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        timeout=30).json()
    base = "https://login.microsoftonline.com/%s" % sandbox.tenant_id
    assert doc["token_endpoint"] == base + "/oauth2/v2.0/token"
    assert doc["issuer"] == base + "/v2.0"
    assert doc["jwks_uri"] == base + "/discovery/v2.0/keys"
    assert doc["msgraph_host"] == "graph.microsoft.com"
    assert doc["userinfo_endpoint"] == "https://graph.microsoft.com/oidc/userinfo"


def test_instance_discovery_answers_for_microsoft_authorities_only(sandbox):
    session = sandbox.intercept_session()
    url = "https://login.microsoftonline.com/common/discovery/instance"
    known = session.get(url, params={"api-version": "1.1", "authorization_endpoint":
                                     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"},
                        timeout=30)
    assert known.status_code == 200
    assert known.json()["tenant_discovery_endpoint"] == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    aliases = {a for entry in known.json()["metadata"] for a in entry["aliases"]}
    assert {"login.microsoftonline.com", "login.windows.net", "login.microsoftonline.us"} <= aliases
    unknown = session.get(url, params={"api-version": "1.1", "authorization_endpoint":
                                       "https://login.example.net/contoso/oauth2/v2.0/authorize"}, timeout=30)
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_instance" and unknown.json()["error_codes"] == [50049]


def test_msal_with_the_default_authority_and_validation_on(sandbox):
    session = sandbox.intercept_session()
    app = msal.ConfidentialClientApplication(
        sandbox.client_id, client_credential=sandbox.env["AZURE_CLIENT_SECRET"],
        authority="https://login.microsoftonline.com/contoso.onmicrosoft.com", http_client=session,
        token_cache=msal.TokenCache())
    result = app.acquire_token_for_client(GRAPH)
    assert "access_token" in result, result
    import jwt

    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com" and claims["tid"] == sandbox.tenant_id


def test_msal_certificate_assertion_addressed_to_the_real_token_endpoint(sandbox):
    key_pem, cert_pem, cert, _ = make_certificate()
    app_info = sandbox.seed_app(permissions=["User.Read.All"], key_credentials=[{"key": cert_pem}])
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    app = msal.ConfidentialClientApplication(
        app_info["appId"], client_credential={"private_key": key_pem, "thumbprint": thumbprint},
        authority="https://login.microsoftonline.com/%s" % sandbox.tenant_id,
        http_client=sandbox.intercept_session(), token_cache=msal.TokenCache())
    result = app.acquire_token_for_client(GRAPH)
    assert "access_token" in result, result


def test_exchange_front_door_redirects_to_a_regional_host_of_the_same_cloud(sandbox):
    session = sandbox.intercept_session()
    token = sandbox.token(scope="https://outlook.office365.com/.default")
    url = "https://outlook.office365.com/adminapi/beta/%s/InvokeCommand" % sandbox.tenant_id
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    body = {"CmdletInput": {"CmdletName": "Get-MobileDevice", "Parameters": {"ResultSize": 5}}}
    first = session.post(url, json=body, headers=headers, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location == "https://eur03b.outlook.office365.com/adminapi/beta/%s/InvokeCommand" % sandbox.tenant_id
    second = session.post(location, json=body, headers=headers, allow_redirects=False, timeout=30)
    assert second.status_code == 200, second.text
    assert len(second.json()["value"]) == 5


def test_many_requests_share_one_tunnel(sandbox):
    session = sandbox.intercept_session()
    headers = {"Authorization": "Bearer " + sandbox.token()}
    before = len(proxy_lines(sandbox))
    for _ in range(5):
        assert session.get("https://graph.microsoft.com/v1.0/organization", headers=headers,
                           timeout=30).status_code == 200
    connects = [l for l in proxy_lines(sandbox)[before:] if l["path"] == "graph.microsoft.com:443"]
    assert len(connects) == 1


# -- what the sandbox writes for a shell that opts in ----------------------------------------

def test_intercept_files_give_proxy_and_ca_settings_and_no_endpoint_override(sandbox):
    env = sandbox.intercept_env
    ca = os.path.join(sandbox.state_dir, "ca.pem")
    assert env["HTTPS_PROXY"] == env["https_proxy"] == sandbox.proxy_url == "http://127.0.0.1:%d" % sandbox.port
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "TENANTGUARD_CA_BUNDLE"):
        assert env[name] == ca, name
    assert not [k for k in env if k.endswith("_ENDPOINT")]
    assert env["AZURE_CLIENT_SECRET"] == sandbox.env["AZURE_CLIENT_SECRET"]
    script = pathlib.Path(sandbox.state_dir, "intercept.sh")
    text = script.read_text()
    assert "unset TENANTGUARD_LOGIN_ENDPOINT TENANTGUARD_GRAPH_ENDPOINT TENANTGUARD_EXCHANGE_ENDPOINT" in text
    for path in (script, pathlib.Path(sandbox.state_dir, "intercept.json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # env.sh users are not changed: the same variables as before, endpoints included.
    assert sorted(sandbox.env) == sorted(["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                                          "TENANTGUARD_LOGIN_ENDPOINT", "TENANTGUARD_GRAPH_ENDPOINT",
                                          "TENANTGUARD_EXCHANGE_ENDPOINT", "TENANTGUARD_CA_BUNDLE"])
