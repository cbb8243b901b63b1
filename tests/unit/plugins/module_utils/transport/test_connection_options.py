"""The connection options table: argument spec, environment fallbacks, and checks made before any network call."""
import os

import pytest

from ansible.module_utils.basic import env_fallback

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import (
    CONNECTION_OPTIONS, connection_argument_spec, params_from_environment, resolve_connection)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError

TENANT = "7d0b5c3e-4a7f-4f6e-9c1d-2b8e5a9f3c61"
CLIENT = "3f6a2d8e-1b4c-4e7a-9d2f-6c8b0a5e7f13"
SECRET = "Sup3r~Secret.Value_that-must-not-leak"

EXPECTED_ENV = {
    "tenant_id": ["AZURE_TENANT_ID", "AZURE_TENANT"],
    "client_id": ["AZURE_CLIENT_ID"],
    "client_secret": ["AZURE_CLIENT_SECRET", "AZURE_SECRET"],
    "client_certificate_path": ["AZURE_CLIENT_CERTIFICATE_PATH"],
    "client_certificate_password": ["AZURE_CLIENT_CERTIFICATE_PASSWORD"],
    "auth_method": ["TENANTGUARD_AUTH_METHOD"],
    "cloud": ["TENANTGUARD_CLOUD"],
    "login_endpoint": ["TENANTGUARD_LOGIN_ENDPOINT"],
    "graph_endpoint": ["TENANTGUARD_GRAPH_ENDPOINT"],
    "exchange_endpoint": ["TENANTGUARD_EXCHANGE_ENDPOINT"],
    "ca_bundle": ["TENANTGUARD_CA_BUNDLE"],
    "token_cache": ["TENANTGUARD_TOKEN_CACHE"],
    "timeout": ["TENANTGUARD_TIMEOUT"],
    "retry_max_wait": ["TENANTGUARD_RETRY_MAX_WAIT"],
}


def test_argument_spec_has_every_option_with_its_environment_fallbacks():
    spec = connection_argument_spec()
    assert sorted(spec) == sorted(EXPECTED_ENV)
    for name, env in EXPECTED_ENV.items():
        assert spec[name]["fallback"] == (env_fallback, env), name
        assert "required" not in spec[name], name


def test_only_real_secrets_are_no_log():
    spec = connection_argument_spec()
    assert sorted(n for n, s in spec.items() if s.get("no_log")) == ["client_certificate_password", "client_secret"]
    assert "no_log" not in spec["tenant_id"]
    assert spec["token_cache"]["no_log"] is False  # a path, not a secret, despite its name


def test_choices_and_defaults():
    spec = connection_argument_spec()
    assert spec["auth_method"]["choices"] == ["auto", "client_secret", "client_certificate", "managed_identity"]
    assert spec["auth_method"]["default"] == "auto"
    assert spec["cloud"]["choices"] == ["public", "usgov", "usgovdod", "china"]
    assert spec["cloud"]["default"] == "public"
    # Nothing that maps to remote state has a default; only local behaviour does.
    assert sorted(n for n, s in spec.items() if "default" in s) == ["auth_method", "cloud", "retry_max_wait", "timeout"]


def test_the_spec_is_a_fresh_copy_each_time():
    first = connection_argument_spec()
    first["tenant_id"]["type"] = "int"
    assert connection_argument_spec()["tenant_id"]["type"] == "str"


def test_environment_fallbacks_in_order():
    params = params_from_environment({"AZURE_TENANT": "contoso.onmicrosoft.com", "AZURE_SECRET": "a",
                                      "AZURE_CLIENT_SECRET": "b", "TENANTGUARD_TIMEOUT": "12.5"})
    assert params["tenant_id"] == "contoso.onmicrosoft.com"
    assert params["client_secret"] == "b"
    assert params["timeout"] == 12.5
    assert params["cloud"] == "public"


def settings(**params):
    base = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET, "token_cache": "none"}
    base.update(params)
    return resolve_connection(params_from_environment({}, **base))


def test_public_cloud_defaults():
    s = settings()
    assert s.auth_method == "client_secret"
    assert s.authority == "https://login.microsoftonline.com/" + TENANT
    assert (s.graph_endpoint, s.exchange_endpoint) == ("https://graph.microsoft.com", "https://outlook.office365.com")
    assert s.graph_scope == "https://graph.microsoft.com/.default"
    assert s.exchange_scope == "https://outlook.office365.com/.default"
    assert s.token_cache is None
    assert SECRET not in repr(s)


@pytest.mark.parametrize("cloud, login, graph, exchange", [
    ("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us", "https://outlook.office365.us"),
    ("usgovdod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", "https://outlook-dod.office365.us"),
    ("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "https://outlook.office365.cn"),
])
def test_national_clouds(cloud, login, graph, exchange):
    s = settings(cloud=cloud)
    assert (s.login_endpoint, s.graph_endpoint, s.exchange_endpoint) == (login, graph, exchange)
    assert s.graph_scope == graph + "/.default"
    assert s.exchange_scope == exchange + "/.default"


def test_overridden_endpoints_keep_the_cloud_scopes():
    s = settings(login_endpoint="https://127.0.0.1:8443/", graph_endpoint="https://127.0.0.1:8443",
                 exchange_endpoint="https://localhost:8443")
    assert s.authority == "https://127.0.0.1:8443/" + TENANT
    assert s.graph_endpoint == "https://127.0.0.1:8443"
    assert s.graph_scope == "https://graph.microsoft.com/.default"
    assert s.exchange_scope == "https://outlook.office365.com/.default"


def test_domain_tenant_and_default_token_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s = settings(tenant_id="contoso.onmicrosoft.com", token_cache=None)
    assert s.tenant_id == "contoso.onmicrosoft.com"
    assert s.token_cache == os.path.join(str(tmp_path), "tenantguard", "tokens.json")


def test_token_cache_directory_gets_a_file_inside(tmp_path):
    assert settings(token_cache=str(tmp_path)).token_cache == str(tmp_path / "tokens.json")
    assert settings(token_cache="NONE").token_cache is None


def test_certificate_is_chosen_by_auto(make_certificate):
    path, cert = make_certificate()
    s = settings(client_secret=None, client_certificate_path=path)
    assert s.auth_method == "client_certificate"
    assert s.certificate.kind == "pem"
    credential = s.certificate.msal_credential()
    assert "BEGIN PRIVATE KEY" in credential["private_key"] and "BEGIN CERTIFICATE" in credential["public_certificate"]


def test_encrypted_pem_and_pfx(make_certificate):
    pem, dummy = make_certificate("enc", password="pw-123")
    s = settings(client_secret=None, client_certificate_path=pem, client_certificate_password="pw-123")
    assert s.certificate.kind == "pem"
    pfx, dummy = make_certificate("pfx", kind="pfx", password="pw-456")
    s = settings(client_secret=None, client_certificate_path=pfx, client_certificate_password="pw-456")
    assert s.certificate.kind == "pfx"
    assert s.certificate.msal_credential() == {"private_key_pfx_path": pfx, "passphrase": "pw-456"}


def test_explicit_method_ignores_the_other_credential(make_certificate):
    path, dummy = make_certificate()
    assert settings(client_certificate_path=path, auth_method="client_secret").auth_method == "client_secret"
    s = settings(client_certificate_path=path, auth_method="client_certificate")
    assert s.auth_method == "client_certificate" and s.client_secret is None


def test_managed_identity_needs_no_client_id_or_secret():
    s = settings(client_id=None, client_secret=None, auth_method="managed_identity")
    assert s.auth_method == "managed_identity" and s.client_id is None


def bad_cases(tmp_path, make_certificate):
    """(params, option named, words in the message) for every kind of bad input."""
    missing = str(tmp_path / "missing.pem")
    key_only, dummy = make_certificate("keyonly", key_only=True)
    cert_only, dummy = make_certificate("certonly", cert_only=True)
    encrypted, dummy = make_certificate("enc", password="right-password")
    pfx, dummy = make_certificate("pfx", kind="pfx", password="right-password")
    expired, dummy = make_certificate("expired", expired=True)
    garbage = tmp_path / "garbage.pfx"
    garbage.write_bytes(b"\x01\x02 not a certificate")
    not_ca = tmp_path / "not-ca.pem"
    not_ca.write_text("hello")
    return [
        (dict(tenant_id=None), "tenant_id", ["not set", "AZURE_TENANT_ID"]),
        (dict(tenant_id="not a tenant!"), "tenant_id", ["GUID", "'not a tenant!'"]),
        (dict(tenant_id="common"), "tenant_id", ["GUID", "'common'"]),
        (dict(client_id="app-name"), "client_id", ["not a GUID", "'app-name'"]),
        (dict(client_id=None), "client_id", ["not set", "AZURE_CLIENT_ID"]),
        (dict(client_secret=None), "client_secret", ["no credential", "managed_identity"]),
        (dict(auth_method="client_certificate"), "client_certificate_path", ["not set"]),
        (dict(client_secret=None, auth_method="client_secret"), "client_secret", ["not set"]),
        (dict(client_certificate_path=cert_only), "auth_method", ["both client_secret and client_certificate_path"]),
        (dict(client_secret=None, client_certificate_password="pw"), "client_certificate_password",
         ["client_certificate_path is not"]),
        (dict(client_secret=None, client_certificate_path=missing), "client_certificate_path",
         ["cannot be read", "No such file", missing]),
        (dict(client_secret=None, client_certificate_path=key_only), "client_certificate_path", ["no certificate"]),
        (dict(client_secret=None, client_certificate_path=cert_only), "client_certificate_path", ["no private key"]),
        (dict(client_secret=None, client_certificate_path=encrypted), "client_certificate_password", ["encrypted"]),
        (dict(client_secret=None, client_certificate_path=encrypted, client_certificate_password="wrong-password"),
         "client_certificate_password", ["does not decrypt"]),
        (dict(client_secret=None, client_certificate_path=pfx, client_certificate_password="wrong-password"),
         "client_certificate_password", ["does not open"]),
        (dict(client_secret=None, client_certificate_path=str(garbage)), "client_certificate_path",
         ["neither a PEM file nor a readable PKCS#12"]),
        (dict(client_secret=None, client_certificate_path=expired), "client_certificate_path", ["expired on"]),
        (dict(graph_endpoint="http://127.0.0.1:8443"), "graph_endpoint", ["https", "'http://127.0.0.1:8443'"]),
        (dict(login_endpoint="127.0.0.1:8443"), "login_endpoint", ["https"]),
        (dict(exchange_endpoint="https://"), "exchange_endpoint", ["no host"]),
        (dict(graph_endpoint="https://graph.example?x=1"), "graph_endpoint", ["query"]),
        (dict(graph_endpoint="https://graph.example:notaport"), "graph_endpoint", ["not a valid URL"]),
        (dict(cloud="germany"), "cloud", ["not a known cloud", "public, usgov, usgovdod, china", "'germany'"]),
        (dict(auth_method="password"), "auth_method", ["not a known sign-in method"]),
        (dict(ca_bundle=str(tmp_path / "nope.pem")), "ca_bundle", ["cannot be read"]),
        (dict(ca_bundle=str(not_ca)), "ca_bundle", ["no PEM certificate"]),
        (dict(timeout=0), "timeout", ["greater than 0"]),
        (dict(retry_max_wait="soon"), "retry_max_wait", ["greater than 0"]),
    ]


def test_every_bad_input_names_the_option_and_what_is_accepted(tmp_path, make_certificate):
    for params, option, words in bad_cases(tmp_path, make_certificate):
        with pytest.raises(ConfigError) as caught:
            settings(**params)
        text = caught.value.describe()
        assert caught.value.option == option, (params, text)
        assert text.startswith("Connection option %s: " % option), text
        assert "Accepted:" in text, text
        for word in words:
            assert word in text, (word, text)
        for secret in (SECRET, "right-password", "wrong-password"):
            assert secret not in text, text


def test_table_rows_are_unique():
    names = [option.name for option in CONNECTION_OPTIONS]
    assert len(names) == len(set(names))
