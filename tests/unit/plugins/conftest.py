"""Fixtures shared by the unit tests of plugins/: test certificates, sandboxes, connection parameters.

Imports of the collection and of the sandbox package happen inside the fixtures: this file is
loaded before pytest-ansible has put the collection on the import path.
"""
import datetime
import os
import time

import pytest


def settled_requests(sb, quiet=0.05, timeout=5.0):
    """The sandbox's request log once it has stopped growing.

    The sandbox writes a line after it has sent the response, so a client can see the answer a
    moment before the line exists; waiting for a quiet spell makes counts exact.
    """
    deadline = time.monotonic() + timeout
    rows = sb.requests()
    while True:
        time.sleep(quiet)
        again = sb.requests()
        if len(again) == len(rows) or time.monotonic() > deadline:
            return again
        rows = again


@pytest.fixture
def make_certificate(tmp_path):
    """Write a self-signed certificate with its key; return (path, certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    def make(name="app", kind="pem", password=None, days=365, expired=False, key_only=False, cert_only=False):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            start, end = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        else:
            start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantguard test %s" % name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                .sign(key, hashes.SHA256()))
        encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                      else serialization.NoEncryption())
        if kind == "pfx":
            data = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, None, encryption)
            path = tmp_path / ("%s.pfx" % name)
        else:
            parts = []
            if not cert_only:
                parts.append(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               encryption))
            if not key_only:
                parts.append(cert.public_bytes(serialization.Encoding.PEM))
            data = b"".join(parts)
            path = tmp_path / ("%s.pem" % name)
        path.write_bytes(data)
        return str(path), cert

    return make


CERT_APP_ID = "5b2e0c1d-8f3a-4d6b-9e7c-1a2b3c4d5e6f"
LIMITED_APP_ID = "6c3f1d2e-9a4b-4e7c-8f1d-2b3c4d5e6f70"
LIMITED_SECRET = "limited-app-secret-value-1234"
USER_COUNT = 7
MOBILE_DEVICE_COUNT = 5


def _certificate_pair(directory):
    """A key and certificate (PEM, and PFX with a password) registered on CERT_APP_ID in the seed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantguard unit tests")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    pem = os.path.join(directory, "app.pem")
    with open(pem, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert_pem)
    pfx = os.path.join(directory, "app.pfx")
    with open(pfx, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(b"app", key, cert, None,
                                                           serialization.BestAvailableEncryption(b"pfx-password")))
    return {"pem": pem, "pfx": pfx, "pfx_password": "pfx-password", "certificate_pem": cert_pem.decode("ascii")}


@pytest.fixture(scope="session")
def app_certificate(tmp_path_factory):
    return _certificate_pair(str(tmp_path_factory.mktemp("certificate")))


def sandbox_seed(app_certificate):
    """Users to page through, mobile devices for Exchange, and two applications besides the built-in one."""
    return {
        "users": [{"displayName": "Unit User %02d" % i, "userPrincipalName": "unit%02d@contoso.onmicrosoft.com" % i}
                  for i in range(USER_COUNT)],
        "exchangeMobileDevices": [{
            "Identity": "unit%02d\\ExchangeActiveSyncDevices\\REST\\Outlook\\device%02d" % (i, i),
            "Guid": "0f0e0d0c-0b0a-4909-8807-06050403%04d" % i,
            "DeviceId": "DEVICE%04d" % i,
            "DeviceModel": "Outlook for iOS and Android",
            "DeviceOS": "iOS 18.1",
            "DeviceType": "Outlook",
            "ClientType": "REST",
            "FriendlyName": "Phone %d" % i,
            "UserDisplayName": "Unit User %02d" % i,
        } for i in range(MOBILE_DEVICE_COUNT)],
        "applications": [
            {"appId": CERT_APP_ID, "displayName": "Unit Certificate App",
             "permissions": ["User.Read.All", "Policy.Read.All"],
             "keyCredentials": [{"key": app_certificate["certificate_pem"]}]},
            {"appId": LIMITED_APP_ID, "displayName": "Unit Limited App", "permissions": ["User.Read.All"],
             "passwordCredentials": [{"secretText": LIMITED_SECRET}]},
        ],
    }


@pytest.fixture
def seeded():
    """Ids and secrets of what the seed holds, for tests."""
    return {"cert_app_id": CERT_APP_ID, "limited_app_id": LIMITED_APP_ID, "limited_secret": LIMITED_SECRET,
            "users": USER_COUNT, "mobile_devices": MOBILE_DEVICE_COUNT}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, app_certificate):
    """A Graph sandbox shared by the tests of one test file; faults are cleared around each test."""
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("sandbox")), seed=sandbox_seed(app_certificate)) as sb:
        yield sb


class SettledSandbox:
    """The running sandbox, whose ``requests()`` waits for the log to settle."""

    def __init__(self, sb):
        self._sb = sb

    def __getattr__(self, name):
        return getattr(self._sb, name)

    def requests(self):
        return settled_requests(self._sb)


@pytest.fixture
def graph_sandbox(sandbox):
    """The file's sandbox with no fault rules (cleared again after the test) and a settled request log."""
    sandbox.set_faults({"rules": []})
    yield SettledSandbox(sandbox)
    sandbox.set_faults({"rules": []})


@pytest.fixture
def sandbox_params(graph_sandbox, tmp_path):
    """Module-style connection parameters for the sandbox, with a token cache of this test's own."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import params_from_environment

    return params_from_environment(graph_sandbox.env, token_cache=str(tmp_path / "cache" / "tokens.json"))


@pytest.fixture
def clients(sandbox_params):
    """Build (settings, tokens, graph, exchange) for the sandbox; keyword arguments override parameters."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import resolve_connection
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.exchange_client import ExchangeClient
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import GraphClient
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import build_session_for

    class Clients:
        def __init__(self, settings, tokens, graph, exchange):
            self.settings, self.tokens, self.graph, self.exchange = settings, tokens, graph, exchange

    def build(retry=None, pacer=None, **overrides):
        params = dict(sandbox_params)
        params.update(overrides)
        settings = resolve_connection(params)
        session = build_session_for(settings)
        tokens = TokenProvider(settings, session)
        graph = GraphClient.from_settings(settings, session, tokens, retry=retry, pacer=pacer)
        exchange = ExchangeClient.from_settings(settings, session, tokens, retry=retry)
        return Clients(settings, tokens, graph, exchange)

    return build


@pytest.fixture
def clean_environment(monkeypatch):
    """No connection settings from the machine's environment leak into a test."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "TENANTGUARD_", "IDENTITY_", "MSI_")):
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _register_hypothesis_profiles():
    """Hypothesis settings profiles shared by the property tests: ``ci`` (the default: few examples,
    a fixed seed, no example database, so every run tries the same inputs) and ``long`` (many
    examples, random; ``make test-properties``). ``HYPOTHESIS_PROFILE`` picks one. A failure prints
    the shrunk example and the blob that reproduces it."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return
    # Examples run modules against a sandbox shared by the tests of a file (function-scoped fixtures
    # are safe: every example names its own objects), and one example takes a second or more.
    common = dict(deadline=None, print_blob=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large])
    settings.register_profile("ci", max_examples=8, derandomize=True, database=None, **common)
    settings.register_profile("long", max_examples=200, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_register_hypothesis_profiles()
