"""Access tokens: RS256 JWTs signed by the sandbox's own key, and their verification.

The signing key is created on first start (``DIR/signing-key.pem``, owner-only) together with a
certificate for it, so the JWKS document can publish ``x5c`` and ``x5t`` as Entra ID does.
"""

import base64
import datetime
import hashlib
import os
import time
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .fsutil import write_private

KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
TOKEN_LIFETIME = 3599


class TokenError(Exception):
    """A bearer token the sandbox refuses; ``reason`` is one of malformed, signature, expired,
    not_yet_valid, audience."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value):
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class TokenIssuer:
    """Issues and verifies the sandbox's access tokens."""

    def __init__(self, state_dir):
        key_path = os.path.join(state_dir, KEY_FILE)
        cert_path = os.path.join(state_dir, CERT_FILE)
        if os.path.exists(key_path) and os.path.exists(cert_path):
            with open(key_path, "rb") as handle:
                self._key = serialization.load_pem_private_key(handle.read(), password=None)
            with open(cert_path, "rb") as handle:
                self._cert = x509.load_pem_x509_certificate(handle.read())
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self._cert = self._self_signed(self._key)
            write_private(key_path, self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            write_private(cert_path, self._cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        der = self._cert.public_bytes(serialization.Encoding.DER)
        self.kid = b64url(hashlib.sha1(der).digest())
        self._x5c = base64.b64encode(der).decode("ascii")
        self._public = self._key.public_key()

    @staticmethod
    def _self_signed(key):
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.sandbox.tenantguard")])
        return (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )

    def jwks(self):
        """The JSON Web Key Set that ``/discovery/v2.0/keys`` publishes."""
        numbers = self._public.public_numbers()
        return {"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e), "x5c": [self._x5c],
        }]}

    def issue(self, tenant_id, app_id, object_id, audience, roles, app_display_name, credential_type,
              lifetime=TOKEN_LIFETIME, now=None):
        """Sign an app-only access token the way Entra ID shapes one for a resource."""
        now = int(now if now is not None else time.time())
        claims = {
            "aud": audience,
            "iss": "https://sts.windows.net/%s/" % tenant_id,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "aio": b64url(os.urandom(24)),
            "app_displayname": app_display_name,
            "appid": app_id,
            "appidacr": credential_type,
            "idp": "https://sts.windows.net/%s/" % tenant_id,
            "idtyp": "app",
            "oid": object_id,
            "rh": b64url(os.urandom(16)),
            "sub": object_id,
            "tenant_region_scope": "EU",
            "tid": tenant_id,
            "uti": b64url(uuid.uuid4().bytes),
            "ver": "1.0",
            "xms_tcdt": now - 86400 * 365,
        }
        if roles:
            claims["roles"] = sorted(roles)
        headers = {"typ": "JWT", "kid": self.kid, "x5t": self.kid}
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def verify(self, token, audiences):
        """Return the claims of ``token``; raise :class:`TokenError` when it is not acceptable."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenError("malformed", "IDX14100: JWT is not well formed.") from None
        if header.get("alg") != "RS256":
            raise TokenError("signature", "Access token validation failure. Invalid signing algorithm.")
        try:
            claims = jwt.decode(
                token, self._public, algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            raise TokenError("signature", "Access token validation failure.") from None
        except jwt.PyJWTError:
            raise TokenError("malformed", "IDX14100: JWT is not well formed.") from None
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= now:
            raise TokenError("expired", "Lifetime validation failed, the token is expired.")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and nbf > now + 300:
            raise TokenError("not_yet_valid", "Lifetime validation failed, the token is not yet valid.")
        aud = claims.get("aud")
        if not (isinstance(aud, str) and (aud in audiences or aud.rstrip("/") in audiences)):
            raise TokenError("audience", "Access token validation failure. Invalid audience.")
        return claims
