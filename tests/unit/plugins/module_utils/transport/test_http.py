"""The HTTP session: what it trusts, whatever the environment says, and how it finds proxies."""
import os
import stat

import pytest
import requests

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import (
    build_session, certifi_bundle, combined_ca_bundle, system_bundle, trusted_bundles)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.requests_session import TenantGuardSession
from ansible_collections.tenantguard.m365.plugins.module_utils._base.version import USER_AGENT


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_session_ignores_the_environment_and_sends_its_user_agent(tmp_path):
    session = build_session(state_dir=str(tmp_path))
    assert session.trust_env is False
    assert session.headers["User-Agent"] == USER_AGENT
    trusted = read(session.verify)
    assert read(certifi_bundle()).strip() in trusted
    if system_bundle():
        assert read(system_bundle()).strip() in trusted


def test_ssl_cert_file_does_not_add_trust(monkeypatch, graph_sandbox, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", graph_sandbox.ca_path)
    assert graph_sandbox.ca_path not in trusted_bundles()
    assert read(graph_sandbox.ca_path).strip() not in read(build_session(state_dir=str(tmp_path)).verify)


def test_combined_bundle_is_owner_only_and_reused(tmp_path, graph_sandbox):
    state = str(tmp_path / "state")
    path = build_session(ca_bundle=graph_sandbox.ca_path, state_dir=state).verify
    assert os.path.dirname(path) == os.path.join(state, "ca")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with open(path, "rb") as handle:
        content = handle.read()
    with open(graph_sandbox.ca_path, "rb") as handle:
        assert handle.read().strip() in content
    with open(certifi_bundle(), "rb") as handle:
        assert handle.read().strip() in content
    assert combined_ca_bundle(trusted_bundles(graph_sandbox.ca_path), state) == path


def test_verification_cannot_be_switched_off():
    session = build_session()
    with pytest.raises(ValueError, match="cannot be switched off"):
        session.get("https://127.0.0.1:9/", verify=False)


def test_proxies_come_from_the_standard_variables(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = TenantGuardSession(verify=certifi_bundle())
    far = session.merge_environment_settings("https://graph.microsoft.com/v1.0/users", {}, None, None, None)
    near = session.merge_environment_settings("https://127.0.0.1:8443/v1.0/users", {}, None, None, None)
    assert far["proxies"]["https"] == "http://proxy.example:3128"
    assert "https" not in near["proxies"]
    assert far["verify"] == certifi_bundle()


def test_requests_ca_bundle_without_the_sandbox_ca_does_not_break_the_client(graph_sandbox, clients, monkeypatch):
    # What these machines do: point requests at the system bundle, which lacks the sandbox's CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi_bundle())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi_bundle())
    built = clients()
    assert built.graph.get("/users", query={"$top": 1})["value"]
    # A plain session told to trust the sandbox CA fails in the same environment: the test proves something.
    plain = requests.Session()
    plain.verify = built.settings.ca_bundle
    with pytest.raises(requests.exceptions.SSLError):
        plain.get(graph_sandbox.base_url + "/_sandbox/health", timeout=10)


def test_requests_ca_bundle_cannot_add_trust(graph_sandbox, clients, monkeypatch, sandbox_params):
    # The sandbox CA in REQUESTS_CA_BUNDLE does not make the client trust it when ca_bundle is not given.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", graph_sandbox.ca_path)
    from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import AuthError
    with pytest.raises(AuthError) as caught:
        clients(ca_bundle=None).graph.get("/users")
    assert "not trusted" in caught.value.describe()
