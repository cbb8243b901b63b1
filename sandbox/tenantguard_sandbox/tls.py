"""The sandbox's own certificate authority, its HTTPS server certificate and the certificates of
the Microsoft host names it answers for in intercept mode.

Generated with ``cryptography`` on first start into the state directory and reused afterwards:
``ca.pem`` (world-readable, the file clients trust), ``ca-key.pem``, ``server.pem`` and
``server-key.pem`` (owner-only). The server certificate names ``127.0.0.1`` and ``localhost``.
The certificate of an intercepted host (``graph.microsoft.com``, ...) is made from the same CA when
a client first opens a tunnel to it, and kept in memory only: clients trust the CA, not the leaf.
"""

import datetime
import ipaddress
import os
import ssl
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .fsutil import write_private

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1",)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _make_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TenantGuard Graph Sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, "TenantGuard Graph Sandbox CA"),
    ])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_server(ca_key, ca_cert, names=SERVER_NAMES, addresses=SERVER_ADDRESSES):
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    alt_names = [x509.DNSName(n) for n in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _server_cert_usable(path):
    try:
        with open(path, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError):
        return False
    if cert.not_valid_after_utc - _now() < datetime.timedelta(days=7):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    names = set(san.get_values_for_type(x509.DNSName))
    addresses = {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    return set(SERVER_NAMES) <= names and set(SERVER_ADDRESSES) <= addresses


def ensure_certificates(state_dir):
    """Create the CA and the server certificate in ``state_dir`` unless usable ones exist.

    Returns the paths ``(ca_pem, server_pem, server_key_pem)``.
    """
    ca_path = os.path.join(state_dir, CA_FILE)
    ca_key_path = os.path.join(state_dir, CA_KEY_FILE)
    server_path = os.path.join(state_dir, SERVER_FILE)
    server_key_path = os.path.join(state_dir, SERVER_KEY_FILE)
    if not (os.path.exists(ca_path) and os.path.exists(ca_key_path)):
        ca_key, ca_cert = _make_ca()
        write_private(ca_key_path, _key_pem(ca_key))
        write_private(ca_path, ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        for stale in (server_path, server_key_path):
            if os.path.exists(stale):
                os.unlink(stale)
    if not (os.path.exists(server_key_path) and _server_cert_usable(server_path)):
        with open(ca_key_path, "rb") as handle:
            ca_key = serialization.load_pem_private_key(handle.read(), password=None)
        with open(ca_path, "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
        key, cert = _make_server(ca_key, ca_cert)
        write_private(server_key_path, _key_pem(key))
        write_private(server_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return ca_path, server_path, server_key_path


def server_context(state_dir):
    """An ``ssl.SSLContext`` for the HTTPS listener, certificates created as needed."""
    _, server_path, server_key_path = ensure_certificates(state_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server_path, server_key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _load_ca(state_dir):
    with open(os.path.join(state_dir, CA_KEY_FILE), "rb") as handle:
        ca_key = serialization.load_pem_private_key(handle.read(), password=None)
    with open(os.path.join(state_dir, CA_FILE), "rb") as handle:
        ca_cert = x509.load_pem_x509_certificate(handle.read())
    return ca_key, ca_cert


class HostContexts:
    """One server-side ``ssl.SSLContext`` per intercepted host name, its certificate issued by the
    sandbox CA on first use (a few milliseconds) and kept in memory for the life of the server."""

    def __init__(self, state_dir):
        ensure_certificates(state_dir)
        self._state_dir = state_dir
        self._ca = _load_ca(state_dir)
        self._contexts = {}
        self._lock = threading.Lock()

    def context(self, host):
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                key, cert = _make_server(*self._ca, names=(host,), addresses=())
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                with tempfile.TemporaryDirectory(prefix=".intercept-", dir=self._state_dir) as scratch:
                    # ssl loads a certificate chain from files only; the key never outlives this block.
                    cert_path = os.path.join(scratch, "cert.pem")
                    key_path = os.path.join(scratch, "key.pem")
                    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
                    write_private(key_path, _key_pem(key))
                    context.load_cert_chain(cert_path, key_path)
                context.set_alpn_protocols(["http/1.1"])
                self._contexts[host] = context
            return context
