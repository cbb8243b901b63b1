"""Fixtures shared by the unit tests of plugins/: test certificates, sandboxes, connection parameters.

Imports of the collection and of the sandbox package happen inside the fixtures: this file is
loaded before pytest-ansible has put the collection on the import path.
"""
import datetime
import os

import pytest


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


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A Graph sandbox shared by the tests of one test file; faults are cleared after each test."""
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("sandbox"))) as sb:
        yield sb


@pytest.fixture
def graph_sandbox(sandbox):
    """The file's sandbox with no fault rules, cleared again after the test."""
    sandbox.set_faults({"rules": []})
    yield sandbox
    sandbox.set_faults({"rules": []})


@pytest.fixture
def sandbox_params(graph_sandbox, tmp_path):
    """Module-style connection parameters for the sandbox, with a token cache of this test's own."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._connection_options import params_from_environment

    return params_from_environment(graph_sandbox.env, token_cache=str(tmp_path / "cache" / "tokens.json"))


@pytest.fixture
def clean_environment(monkeypatch):
    """No connection settings from the machine's environment leak into a test."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "TENANTGUARD_", "IDENTITY_", "MSI_")):
            monkeypatch.delenv(name, raising=False)
    return monkeypatch
