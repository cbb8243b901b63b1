# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: reading the client certificate of an app registration (PEM or PFX).

Not a public API. The certificate is read and checked before any network call, so that an
unreadable file, a wrong password or an expired certificate fails with a clear message.
The private key stays in memory; it is never written anywhere.

``cryptography`` is imported when a certificate is read, not when this file is: every module
imports this file (through the connection options), and most tasks sign in with a secret or
a cached token.
"""

import binascii
import datetime

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError


class _Cryptography:
    """The parts of ``cryptography`` this file uses, imported on first use (``load()``)."""

    x509 = hashes = serialization = pkcs12 = None
    import_error = None

    @classmethod
    def load(cls):
        """True when ``cryptography`` could be imported."""
        if cls.x509 is None and cls.import_error is None:
            try:
                from cryptography import x509
                from cryptography.hazmat.primitives import hashes, serialization
                from cryptography.hazmat.primitives.serialization import pkcs12
            except ImportError as exc:  # pragma: no cover - depends on the environment
                cls.import_error = exc
            else:
                cls.x509, cls.hashes, cls.serialization, cls.pkcs12 = x509, hashes, serialization, pkcs12
        return cls.x509 is not None


PATH_OPTION = "client_certificate_path"
PASSWORD_OPTION = "client_certificate_password"
ACCEPTED = ("a PEM file holding the private key and its certificate, or a PKCS#12 (.pfx/.p12) file; "
            "an encrypted key needs client_certificate_password")


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _public_bytes(public_key):
    serialization = _Cryptography.serialization
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class ClientCertificate:
    """A checked client certificate and the MSAL credential built from it."""

    def __init__(self, path, kind, certificate, private_key_pem=None, password=None):
        self.path = path
        self.kind = kind  # 'pem' or 'pfx'
        self._certificate = certificate
        self._private_key_pem = private_key_pem
        self._password = password
        self.subject = certificate.subject.rfc4514_string()
        self.not_after = _not_after(certificate)
        hashes = _Cryptography.hashes
        self.thumbprint_sha1 = binascii.hexlify(certificate.fingerprint(hashes.SHA1())).decode("ascii").upper()  # nosec - the identity platform's own naming
        self.thumbprint_sha256 = binascii.hexlify(certificate.fingerprint(hashes.SHA256())).decode("ascii").upper()

    def __repr__(self):
        return "ClientCertificate(%r, %s, %s)" % (self.path, self.kind, self.thumbprint_sha256)

    def msal_credential(self):
        """The ``client_credential`` for msal.ConfidentialClientApplication.

        PEM: the private key and the certificate, so that MSAL signs with PS256 and sends the
        SHA-256 thumbprint (``x5t#S256``) and the certificate (``x5c``).
        PFX: MSAL reads the file itself (``private_key_pfx_path``) and sends ``x5t#S256``.
        """
        if self.kind == "pfx":
            credential = {"private_key_pfx_path": self.path}
            if self._password:
                credential["passphrase"] = self._password
            return credential
        return {
            "private_key": self._private_key_pem,
            "public_certificate": self._certificate.public_bytes(_Cryptography.serialization.Encoding.PEM)
            .decode("ascii"),
        }


def _password_bytes(password):
    if password is None or password == "":
        return None
    return password.encode("utf-8") if not isinstance(password, bytes) else password


def load_client_certificate(path, password=None, now=None):
    """Read and check the certificate file; raise ConfigError naming the option on any problem."""
    if not _Cryptography.load():
        raise ConfigError(PATH_OPTION, "reading a certificate needs the Python library cryptography, which is "
                          "not installed (it comes with msal)", accepted="pip install msal")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise ConfigError(PATH_OPTION, "cannot be read: %s" % (exc.strerror or exc), accepted=ACCEPTED, value=path)
    if not data.strip():
        raise ConfigError(PATH_OPTION, "the file is empty", accepted=ACCEPTED, value=path)
    if b"-----BEGIN" in data:
        cert = _load_pem(path, data, password)
    else:
        cert = _load_pfx(path, data, password)
    now = now or _utc_now()
    if cert.not_after < now:
        raise ConfigError(PATH_OPTION, "the certificate %s expired on %s" % (cert.subject, cert.not_after.isoformat()),
                          accepted="a certificate that is valid now and registered on the app registration",
                          value=path)
    return cert


def _load_pem(path, data, password):
    x509, serialization = _Cryptography.x509, _Cryptography.serialization
    certificates = []
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        certificates = []
    if not certificates:
        raise ConfigError(PATH_OPTION, "the PEM file holds no certificate", accepted=ACCEPTED, value=path)
    if b"PRIVATE KEY-----" not in data:
        raise ConfigError(PATH_OPTION, "the PEM file holds no private key", accepted=ACCEPTED, value=path)
    try:
        key = serialization.load_pem_private_key(data, password=_password_bytes(password))
    except TypeError:
        if password:
            raise ConfigError(PASSWORD_OPTION, "is set but the private key in %s is not encrypted" % path,
                              accepted="no client_certificate_password for an unencrypted key", secret=True)
        raise ConfigError(PASSWORD_OPTION, "is needed: the private key in %s is encrypted" % path,
                          accepted="the password of the private key", secret=True)
    except ValueError as exc:
        if b"ENCRYPTED" in data:
            raise ConfigError(PASSWORD_OPTION, "does not decrypt the private key in %s" % path,
                              accepted="the password of the private key", secret=True)
        raise ConfigError(PATH_OPTION, "the private key cannot be read: %s" % exc, accepted=ACCEPTED, value=path)
    public = _public_bytes(key.public_key())
    matching = [c for c in certificates if _public_bytes(c.public_key()) == public]
    if not matching:
        raise ConfigError(PATH_OPTION, "no certificate in the file belongs to its private key", accepted=ACCEPTED,
                          value=path)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return ClientCertificate(path, "pem", matching[0], private_key_pem=key_pem)


def _load_pfx(path, data, password):
    try:
        key, certificate, _chain = _Cryptography.pkcs12.load_key_and_certificates(data, _password_bytes(password))
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "mac" in text or "decrypt" in text:
            if password:
                raise ConfigError(PASSWORD_OPTION, "does not open the PKCS#12 file %s" % path,
                                  accepted="the password of the PKCS#12 file", secret=True)
            raise ConfigError(PASSWORD_OPTION, "is needed: the PKCS#12 file %s is protected by a password" % path,
                              accepted="the password of the PKCS#12 file", secret=True)
        raise ConfigError(PATH_OPTION, "is neither a PEM file nor a readable PKCS#12 file (%s)" % exc,
                          accepted=ACCEPTED, value=path)
    if key is None or certificate is None:
        raise ConfigError(PATH_OPTION, "the PKCS#12 file must hold both a private key and its certificate",
                          accepted=ACCEPTED, value=path)
    return ClientCertificate(path, "pfx", certificate, password=password)
