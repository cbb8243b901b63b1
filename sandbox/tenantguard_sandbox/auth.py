"""Bearer-token checks in front of Graph and the Exchange admin API.

Graph answers a missing, malformed, badly signed, expired or wrongly addressed token with 401
``InvalidAuthenticationToken``; the Exchange admin API answers 401 in its own shape.
"""

from .errors import GraphHTTPError
from .tokens import TokenError

GRAPH_CHALLENGE = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                   'client_id="00000003-0000-0000-c000-000000000000"')


def exchange_error(status, message, kind="Exception", details=None):
    """An error in the Exchange admin API's shape (``error.message`` is always "Invalid Operation")."""
    detail = details or message
    body = {"error": {
        "code": str(status if status != 400 else "BadRequest"),
        "message": "Invalid Operation",
        "details": [{"code": "Context", "target": "", "message": "|System.Management.Automation.%s|%s" % (kind, detail)}],
        "innererror": {
            "message": detail,
            "type": "System.Management.Automation.%s" % kind,
            "internalexception": {"message": detail, "type": "System.Management.Automation.%s" % kind},
        },
        "adminapi.warnings": [],
    }}
    return GraphHTTPError(status, "Invalid Operation", detail, body=body)


def authenticate(sandbox, request, service):
    """Verify the request's bearer token for ``service``; store its claims on ``request``."""
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    try:
        if not header.strip():
            raise TokenError("empty", "Access token is empty.")
        if scheme.lower() != "bearer" or not token:
            raise TokenError("malformed", "CompactToken parsing failed with error code: 80049217")
        claims = sandbox.issuer.verify(token, sandbox.tenant.audiences(service))
        if claims.get("tid") != sandbox.tenant.id:
            raise TokenError("tenant", "Access token validation failure. Invalid issuer or tenant.")
    except TokenError as exc:
        if service == "exchange":
            err = exchange_error(401, "The access token is missing or invalid: %s" % exc.message,
                                 kind="Remoting.PSRemotingTransportException")
            err.headers["WWW-Authenticate"] = 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000"'
            raise err from None
        raise GraphHTTPError(401, "InvalidAuthenticationToken", exc.message,
                             headers={"WWW-Authenticate": GRAPH_CHALLENGE}) from None
    request.principal = claims
    request.app_id = claims.get("appid")
    return claims


def roles_of(request):
    return (request.principal or {}).get("roles", [])
