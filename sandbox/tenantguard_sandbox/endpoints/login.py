"""The login authority: OpenID configuration, signing keys and the token endpoint.

Only the client-credentials grant is served (client secret, or a signed client assertion with
``x5t`` / ``x5t#S256``). Tokens carry the resource of the requested ``<resource>/.default`` scope
as ``aud`` and the application's granted permissions on that resource as ``roles``.
"""

import base64
import re
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from .. import intercept, wellknown
from ..aadsts import aad_error, tenant_not_found
from ..apps import credential_record, secret_matches
from ..client_assertion import ASSERTION_TYPE, verify_assertion
from ..messages import PLAIN_JSON, Response
from ..resource import Route
from ..tokens import TOKEN_LIFETIME

# The cloud aliases the identity platform lists in an instance discovery answer.
INSTANCE_METADATA = [
    {"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
     "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"]},
    {"preferred_network": "login.partner.microsoftonline.cn", "preferred_cache": "login.partner.microsoftonline.cn",
     "aliases": ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"]},
    {"preferred_network": "login.microsoftonline.de", "preferred_cache": "login.microsoftonline.de",
     "aliases": ["login.microsoftonline.de"]},
    {"preferred_network": "login.microsoftonline.us", "preferred_cache": "login.microsoftonline.us",
     "aliases": ["login.microsoftonline.us", "login.usgovcloudapi.net"]},
    {"preferred_network": "login-us.microsoftonline.com", "preferred_cache": "login-us.microsoftonline.com",
     "aliases": ["login-us.microsoftonline.com"]},
]
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}


def roles_for(record, service):
    """The permissions of ``record`` that belong to ``service`` ('graph' or 'exchange')."""
    permissions = record.get("permissions", [])
    if service == "exchange":
        return [p for p in permissions if p in wellknown.EXCHANGE_ROLES]
    return [p for p in permissions if p not in wellknown.EXCHANGE_ROLES]


def issue_for(sandbox, request, record, service, credential_type):
    """Issue an access token for ``record`` on ``service``, refusing an app without permissions."""
    tenant = sandbox.tenant
    roles = roles_for(record, service)
    resource = tenant.resources()[service]
    if not roles:
        raise aad_error(
            request, 400, "invalid_client", 650057,
            "Invalid resource. The client has requested access to a resource which is not listed in the "
            "requested permissions in the client's application registration. Client app ID: %s(%s). "
            "Resource value from request: %s. Resource app ID: %s. List of valid resources from app "
            "registration: %s." % (
                record["id"], record.get("displayName"), resource, wellknown.RESOURCE_APP_IDS[service],
                ", ".join(sorted({wellknown.RESOURCE_APP_IDS[s] for s in ("graph", "exchange")
                                  if roles_for(record, s)})),
            ),
        )
    request.app_id = record["id"]
    token = sandbox.issuer.issue(
        tenant.id, record["id"], record["servicePrincipalId"], resource, roles,
        record.get("displayName"), credential_type,
    )
    return token, resource


def _token_form(request):
    """The token request's form fields, with client id and secret from HTTP Basic authentication when sent so."""
    form = {}
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/x-www-form-urlencoded":
        raise aad_error(request, 400, "invalid_request", 900144,
                        "The request body must contain the following parameter: 'grant_type'.")
    for key, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    authorization = request.headers.get("Authorization") or ""
    if authorization.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode("utf-8").partition(":")
            form.setdefault("client_id", unquote_plus(user))
            form.setdefault("client_secret", unquote_plus(password))
        except (ValueError, UnicodeDecodeError):
            raise aad_error(request, 401, "invalid_client", 7000215, "Invalid client secret provided.") from None
    return form


class Authority:
    """The handlers of the login authority for one sandbox."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.tenant = sandbox.tenant

    def resolve_tenant(self, request, name):
        if name.lower() in ("common", "organizations"):
            return None
        if not self.tenant.matches(name):
            raise tenant_not_found(request, name)
        return self.tenant.id

    def openid_configuration(self, request, tenant=None, v2=True):
        tid = self.resolve_tenant(request, tenant) or "{tenantid}"
        base = request.base_url
        prefix = "%s/%s" % (base, tid)
        oauth = prefix + ("/oauth2/v2.0" if v2 else "/oauth2")
        doc = {
            "token_endpoint": oauth + "/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": prefix + ("/discovery/v2.0/keys" if v2 else "/discovery/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": prefix + "/v2.0" if v2 else "https://sts.windows.net/%s/" % tid,
            "request_uri_parameter_supported": False,
            # Graph's, not the authority's (a recorded answer of login.microsoftonline.com, see instance_discovery).
            "userinfo_endpoint": self.sandbox.tenant.resources()["graph"] + "/oidc/userinfo",
            "authorization_endpoint": oauth + "/authorize",
            "device_authorization_endpoint": oauth + "/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": oauth + "/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": self.sandbox.tenant.resources()["graph"].split("://", 1)[1],
        }
        return Response(200, doc, content_type=PLAIN_JSON)

    def openid_v1(self, request, tenant=None):
        return self.openid_configuration(request, tenant, v2=False)

    def keys(self, request, tenant=None, v2=None):
        self.resolve_tenant(request, tenant)
        return Response(200, self.sandbox.issuer.jwks(), content_type=PLAIN_JSON)

    def token(self, request, tenant=None, v1=None):
        tid = self.resolve_tenant(request, tenant)
        form = _token_form(request)
        if tid is None:
            raise aad_error(request, 400, "invalid_request", 50059,
                            "No tenant-identifying information found in either the request or implied by any "
                            "provided credentials. Use the tenant id or a domain of the tenant in the authority.")
        grant = form.get("grant_type")
        if not grant:
            raise aad_error(request, 400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'grant_type'.")
        if grant != "client_credentials":
            raise aad_error(request, 400, "unsupported_grant_type", 70003,
                            "The app requested an unsupported grant type '%s'." % grant)
        client_id = (form.get("client_id") or "").strip()
        if not client_id:
            raise aad_error(request, 400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'client_id'.")
        request.app_id = client_id
        record = credential_record(self.sandbox.store, client_id)
        if record is None or record.get("managedIdentity"):
            raise aad_error(
                request, 400, "unauthorized_client", 700016,
                "Application with identifier '%s' was not found in the directory '%s'. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any "
                "user in the tenant. You may have sent your authentication request to the wrong tenant."
                % (client_id, self.sandbox.tenant.display_name))
        service = self._requested_service(request, form, v1 is not None)
        credential_type = self._credential_type(request, form, record, client_id)
        access_token, resource = issue_for(self.sandbox, request, record, service, credential_type)
        body = {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                "access_token": access_token}
        if v1 is not None:
            body["resource"] = resource
        return Response(200, body, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
                        content_type=PLAIN_JSON)

    def _credential_type(self, request, form, record, client_id):
        """The token's credential type once the secret ("1") or the signed assertion ("2") checks out."""
        secret = form.get("client_secret")
        assertion = form.get("client_assertion")
        if secret:
            outcome = secret_matches(record, secret)
            if outcome is None:
                raise aad_error(
                    request, 401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                    "secret value, not the client secret ID, for a secret added to app '%s'." % record["id"])
            if outcome == "expired":
                raise aad_error(
                    request, 401, "invalid_client", 7000222,
                    "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create "
                    "new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
                    "credentials for added security: https://aka.ms/certCreds." % record["id"])
            return "1"
        if assertion:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise aad_error(request, 400, "invalid_request", 90014,
                                "The required field 'client_assertion_type' is missing or is not '%s'."
                                % ASSERTION_TYPE)
            verify_assertion(request, self.sandbox.tenant, record, client_id, assertion,
                             self.sandbox.host_names(request))
            return "2"
        raise aad_error(request, 401, "invalid_client", 7000216,
                        "'client_assertion', 'client_secret' or 'request' is required for the "
                        "'client_credentials' grant type.")

    def _requested_service(self, request, form, v1):
        if v1:
            resource = form.get("resource")
            if not resource:
                raise aad_error(request, 400, "invalid_resource", 50001,
                                "The resource principal named  was not found in the tenant. Resource "
                                "identifier is not provided.")
            return self._service_of(request, resource)
        scope = form.get("scope")
        if scope is None or not scope.strip():
            raise aad_error(request, 400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'scope'.")
        scopes = [s for s in scope.split() if s.lower() not in RESERVED_SCOPES]
        if len(scopes) != 1:
            raise aad_error(request, 400, "invalid_scope", 70011,
                            "The provided request must include a 'scope' input parameter. The provided value "
                            "for the input parameter 'scope' is not valid. The scope %s is not valid. Exactly "
                            "one '<resource>/.default' scope is expected." % scope)
        value = scopes[0]
        if not value.endswith("/.default"):
            raise aad_error(request, 400, "invalid_scope", 1002012,
                            "The provided value for scope %s is not valid. Client credential flows must have "
                            "a scope value with /.default suffixed to the resource identifier (application ID "
                            "URI)." % value)
        return self._service_of(request, value[: -len("/.default")])

    def _service_of(self, request, resource):
        service = self.tenant.service_of_resource(resource)
        if service is None:
            raise aad_error(
                request, 400, "invalid_resource", 500011,
                "The resource principal named %s was not found in the tenant named %s. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any "
                "user in the tenant. You might have sent your authentication request to the wrong tenant."
                % (resource, self.tenant.display_name))
        return service

    def instance_discovery(self, request):
        """``GET /common/discovery/instance``: MSAL's authority validation for hosts it does not know.

        The answer's shape is the identity platform's (a recorded answer of login.microsoftonline.com
        in the Azure SDK for JavaScript's test recordings): ``tenant_discovery_endpoint`` built from
        the ``authorization_endpoint`` parameter, and the cloud aliases as ``metadata``. An
        authorization endpoint on another host: 400 ``invalid_instance`` (AADSTS50049), which MSAL
        reports as "The authority you provided ... is not known".
        """
        endpoint = request.query.get("authorization_endpoint") or ""
        parts = urlsplit(endpoint)
        segments = [s for s in parts.path.split("/") if s]
        own = parts.netloc.lower() in self.sandbox.host_names() or parts.netloc.lower() in (
            request.host.lower(), "%s:443" % request.host.lower())
        known = parts.hostname is not None and (parts.hostname.lower() in intercept.LOGIN_HOSTS or own)
        if parts.scheme != "https" or not known or not segments:
            raise aad_error(request, 400, "invalid_instance", 50049, "Unknown or invalid instance.")
        discovery = "https://%s/%s/v2.0/.well-known/openid-configuration" % (parts.netloc, segments[0])
        return Response(200, {"tenant_discovery_endpoint": discovery, "api-version": "1.1",
                              "metadata": INSTANCE_METADATA},
                        headers={"Cache-Control": "max-age=86400, private"}, content_type=PLAIN_JSON)

    def routes(self):
        def login(method, path, handler):
            return Route(method, path, handler, service="login", flags=re.IGNORECASE)
        tenant = "/{tenant:[A-Za-z0-9.\\-]+}"
        return [
            login("GET", "/common/discovery/instance", self.instance_discovery),
            login("GET", tenant + "/v2.0/.well-known/openid-configuration", self.openid_configuration),
            login("GET", tenant + "/.well-known/openid-configuration", self.openid_v1),
            login("GET", tenant + "/discovery/{v2:(v2\\.0/)?}keys", self.keys),
            login("POST", tenant + "/oauth2/v2.0/token", self.token),
            login("POST", tenant + "/oauth2/{v1:()}token", self.token),
        ]


def routes(sandbox):
    return Authority(sandbox).routes()
