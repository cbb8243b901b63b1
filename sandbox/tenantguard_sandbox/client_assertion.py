"""Verification of a signed client assertion (``private_key_jwt``) against the certificates
registered on the application, as Entra ID's token endpoint does it."""

import base64
import datetime
import re
import time
from urllib.parse import urlsplit

import jwt
from cryptography import x509

from .aadsts import aad_error

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/(v2\.0/)?token/?$", re.IGNORECASE)
KEY_HELP = (
    "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for "
    "app Id '%s'. Review the documentation at "
    "https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0 to see how to use "
    "MS Graph to get the keys."
)


def _thumbprint_hex(value):
    """Decode an ``x5t`` / ``x5t#S256`` header value (base64url, padded or not) to upper hex."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None
    return raw.hex().upper()


ASSERTION_TIME = "%Y-%m-%dT%H:%M:%S.0000000Z"


def _from_epoch(value):
    return datetime.datetime.fromtimestamp(value if isinstance(value, (int, float)) else 0, datetime.timezone.utc)


def _parse(value):
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def verify_assertion(request, tenant, record, client_id, assertion, port_hosts):
    """Check ``assertion`` for application ``record``; raise the authority's error when it fails.

    ``port_hosts`` is the set of ``host:port`` names this server answers to; the assertion's
    ``aud`` must be this server's token endpoint for the tenant.
    """
    app_id = record["id"]
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise aad_error(request, 400, "invalid_request", 50027,
                        "JWT token is invalid or malformed.") from None
    alg = header.get("alg")
    if alg not in ("RS256", "PS256"):
        raise aad_error(request, 401, "invalid_client", 5002738,
                        "Invalid JWT token. '%s' is not a supported signature algorithm. Supported "
                        "signing algorithms are: 'RS256, RS384, RS512, PS256, PS384, PS512'." % alg)
    sha1 = _thumbprint_hex(header.get("x5t"))
    sha256 = _thumbprint_hex(header.get("x5t#S256"))
    presented = sha256 or sha1
    if presented is None:
        raise aad_error(request, 401, "invalid_client", 700027,
                        "Client assertion contains an invalid signature. [Reason - The key was not found., "
                        "Thumbprint of key used by client: '', %s]" % (KEY_HELP % app_id))
    certificate = None
    for entry in record.get("certificates", []):
        if (sha256 and entry["sha256"] == sha256) or (sha1 and entry["sha1"] == sha1):
            certificate = entry
            break
    if certificate is None:
        raise aad_error(request, 401, "invalid_client", 700027,
                        "Client assertion contains an invalid signature. [Reason - The key was not found., "
                        "Thumbprint of key used by client: '%s', %s]" % (presented, KEY_HELP % app_id))
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = _parse(certificate["startDateTime"]), _parse(certificate["endDateTime"])
    if end <= now or start > now:
        raise aad_error(request, 401, "invalid_client", 700027,
                        "Client assertion contains an invalid signature. [Reason - The key used is expired., "
                        "Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s', %s]"
                        % (presented, start.strftime("%m/%d/%Y %H:%M:%S"), end.strftime("%m/%d/%Y %H:%M:%S"),
                           KEY_HELP % app_id))
    public_key = x509.load_pem_x509_certificate(certificate["pem"].encode("ascii")).public_key()
    try:
        claims = jwt.decode(assertion, public_key, algorithms=[alg],
                            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False})
    except jwt.InvalidSignatureError:
        raise aad_error(request, 401, "invalid_client", 700027,
                        "Client assertion contains an invalid signature. [Reason - The provided signature "
                        "value did not match the expected signature value., Thumbprint of key used by "
                        "client: '%s', Found key 'Start=%s, End=%s']"
                        % (presented, start.strftime("%m/%d/%Y %H:%M:%S"),
                           end.strftime("%m/%d/%Y %H:%M:%S"))) from None
    except jwt.PyJWTError:
        raise aad_error(request, 400, "invalid_request", 50027,
                        "JWT token is invalid or malformed.") from None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise aad_error(request, 401, "invalid_client", 700021,
                        "Client assertion application identifier doesn't match 'client_id' parameter. "
                        "Review the documentation at "
                        "https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .")
    aud = claims.get("aud")
    parts = urlsplit(aud) if isinstance(aud, str) else None
    match = TOKEN_PATH.match(parts.path) if parts else None
    if not (parts and parts.scheme == "https" and parts.netloc.lower() in port_hosts and match
            and tenant.matches(match.group("tenant"))):
        raise aad_error(request, 401, "invalid_client", 700212,
                        "No matching federated identity record found for presented assertion audience "
                        "'%s'. The audience of a client assertion must be the token endpoint of the "
                        "tenant, '%s/%s/oauth2/v2.0/token'." % (aud, request.base_url, tenant.id))
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    current = time.time()
    if not isinstance(exp, (int, float)) or exp <= current or (isinstance(nbf, (int, float)) and nbf > current + 300):
        raise aad_error(request, 401, "invalid_client", 700024,
                        "Client assertion is not within its valid time range. Current time: %s, expiry time "
                        "of assertion %s. Review the documentation at "
                        "https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials ."
                        % (now.strftime(ASSERTION_TIME), _from_epoch(exp).strftime(ASSERTION_TIME)))
    return claims
