# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the connection options of every tenantguard.m365 module, from one table.

Not a public API. ``CONNECTION_OPTIONS`` is the single source of the options' names, types,
environment fallbacks, ``no_log`` flags, choices, defaults and descriptions. It yields:

* ``connection_argument_spec()``: the argument spec merged into every module;
* ``doc_fragment_options()``: the documentation, which a unit test compares with
  ``plugins/doc_fragments/connection.py``;
* ``resolve_connection(params)``: the checked settings, or a ``ConfigError`` naming the option,
  the value (never a secret's) and what would be accepted. It makes no network call.

No option is ``required``: values usually come from the environment, which linters cannot see.
"""

import os
import re

from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.certificate import load_client_certificate
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.clouds import CLOUDS
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError

AUTH_METHODS = ("auto", "client_secret", "client_certificate", "managed_identity")
CLOUD_NAMES = ("public", "usgov", "usgovdod", "china")
TOKEN_CACHE_OFF = "none"
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRY_MAX_WAIT = 300.0


class ConnectionOption:
    """One row of the table."""

    def __init__(self, name, type, description, env=(), no_log=None, choices=None, default=None):
        self.name = name
        self.type = type
        self.description = description
        self.env = tuple(env)
        self.no_log = no_log
        self.choices = choices
        self.default = default

    def argument_spec(self):
        spec = {"type": self.type}
        if self.env:
            spec["fallback"] = (env_fallback, list(self.env))
        if self.no_log is not None:
            # Explicit False too: tells sanity checks that a name like "token_cache" holds no secret.
            spec["no_log"] = self.no_log
        if self.choices:
            spec["choices"] = list(self.choices)
        if self.default is not None:
            spec["default"] = self.default
        return spec

    def documentation(self):
        description = list(self.description)
        if self.env:
            names = ["E(%s)" % name for name in self.env]
            text = "If not set, the environment variable %s is used" % names[0]
            for name in names[1:]:
                text += ", then %s" % name
            description.append(text + ".")
        if self.no_log:
            description.append("This value is a secret: it is never logged nor returned.")
        doc = {"description": description, "type": self.type}
        if self.choices:
            doc["choices"] = list(self.choices)
        if self.default is not None:
            doc["default"] = self.default
        return doc


CONNECTION_OPTIONS = (
    ConnectionOption(
        "tenant_id", "str", env=("AZURE_TENANT_ID", "AZURE_TENANT"),
        description=["The Microsoft Entra tenant to manage: its GUID or one of its verified domain names."]),
    ConnectionOption(
        "client_id", "str", env=("AZURE_CLIENT_ID",),
        description=["Application (client) id of the app registration that signs in.",
                     "With O(auth_method=managed_identity), the client id of a user-assigned managed identity; "
                     "leave it unset for the system-assigned identity."]),
    ConnectionOption(
        "client_secret", "str", env=("AZURE_CLIENT_SECRET", "AZURE_SECRET"), no_log=True,
        description=["A client secret of the app registration."]),
    ConnectionOption(
        "client_certificate_path", "path", env=("AZURE_CLIENT_CERTIFICATE_PATH",),
        description=["Path to the certificate the app registration trusts, with its private key: a PEM file "
                     "holding both, or a PKCS#12 (C(.pfx)/C(.p12)) file.",
                     "The certificate is read and checked before any network call."]),
    ConnectionOption(
        "client_certificate_password", "str", env=("AZURE_CLIENT_CERTIFICATE_PASSWORD",), no_log=True,
        description=["Password of the private key in O(client_certificate_path), when it is encrypted."]),
    ConnectionOption(
        "auth_method", "str", env=("TENANTGUARD_AUTH_METHOD",), choices=AUTH_METHODS, default="auto",
        description=["How to sign in.",
                     "V(auto) uses the certificate when O(client_certificate_path) is set, otherwise the secret; "
                     "setting both is an error unless O(auth_method) names one.",
                     "V(managed_identity) uses the managed identity of the Azure resource the module runs on."]),
    ConnectionOption(
        "cloud", "str", env=("TENANTGUARD_CLOUD",), choices=CLOUD_NAMES, default="public",
        description=["The national cloud of the tenant. It picks the sign-in, Graph and Exchange hosts and the "
                     "resources tokens are requested for.",
                     "V(public) is the global service (also GCC), V(usgov) GCC High, V(usgovdod) DoD, "
                     "V(china) the service operated by 21Vianet."]),
    ConnectionOption(
        "login_endpoint", "str", env=("TENANTGUARD_LOGIN_ENDPOINT",),
        description=["Overrides the sign-in authority host of O(cloud), for example C(https://login.microsoftonline.us).",
                     "Must be an C(https) URL."]),
    ConnectionOption(
        "graph_endpoint", "str", env=("TENANTGUARD_GRAPH_ENDPOINT",),
        description=["Overrides the Microsoft Graph host of O(cloud). Must be an C(https) URL.",
                     "Tokens are still requested for the Graph resource of O(cloud)."]),
    ConnectionOption(
        "exchange_endpoint", "str", env=("TENANTGUARD_EXCHANGE_ENDPOINT",),
        description=["Overrides the Exchange Online admin API host of O(cloud). Must be an C(https) URL.",
                     "Tokens are still requested for the Exchange resource of O(cloud)."]),
    ConnectionOption(
        "ca_bundle", "path", env=("TENANTGUARD_CA_BUNDLE",),
        description=["A PEM file of extra certificate authorities to trust, in addition to those of the Python "
                     "library certifi and of the operating system, for example for a TLS-inspecting proxy.",
                     "The environment variables E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) are ignored, and "
                     "TLS certificate verification cannot be switched off."]),
    ConnectionOption(
        "token_cache", "str", env=("TENANTGUARD_TOKEN_CACHE",), no_log=False,
        description=["File in which access tokens are kept between tasks, so that a play asks for a token once "
                     "an hour rather than once a task. The file and its directory are readable by their owner only.",
                     "If not set, C(tenantguard/tokens.json) under E(XDG_CACHE_HOME) (by default C(~/.cache)); when "
                     "that file cannot be used, tokens are kept for the one task and a warning says why. A file set "
                     "here must be usable.",
                     "V(none) keeps tokens in memory only, for the one task."]),
    ConnectionOption(
        "timeout", "float", env=("TENANTGUARD_TIMEOUT",), default=DEFAULT_TIMEOUT,
        description=["Seconds to wait for the service to answer one HTTP request."]),
    ConnectionOption(
        "retry_max_wait", "float", env=("TENANTGUARD_RETRY_MAX_WAIT",), default=DEFAULT_RETRY_MAX_WAIT,
        description=["Most seconds one task spends waiting between retries when the service throttles "
                     "(HTTP 429) or is briefly unavailable (HTTP 503, 504, dropped connections).",
                     "When the next wait would exceed it, the task fails with the service's last answer."]),
)

OPTION_NAMES = tuple(option.name for option in CONNECTION_OPTIONS)
SECRET_OPTIONS = tuple(option.name for option in CONNECTION_OPTIONS if option.no_log)


def connection_argument_spec():
    """The argument spec of the connection options (a new dict on every call)."""
    return dict((option.name, option.argument_spec()) for option in CONNECTION_OPTIONS)


def doc_fragment_options():
    """The documentation of the connection options, as the doc fragment must hold it."""
    return dict((option.name, option.documentation()) for option in CONNECTION_OPTIONS)


def option_defaults():
    """Every option with its default (None where it has none), as AnsibleModule would fill it."""
    return dict((option.name, option.default) for option in CONNECTION_OPTIONS)


def params_from_environment(environ=None, **overrides):
    """Connection parameters as a module would see them with no option set: defaults, then the environment.

    Lets the clients be used outside a module (tests, scripts) with the same rules.
    """
    environ = os.environ if environ is None else environ
    params = option_defaults()
    for option in CONNECTION_OPTIONS:
        for name in option.env:
            if environ.get(name):
                params[option.name] = environ[name]
                break
    for key in ("timeout", "retry_max_wait"):
        if isinstance(params.get(key), str):
            try:
                params[key] = float(params[key])
            except ValueError:
                pass
    params.update(overrides)
    return params


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")


def is_guid(value):
    return bool(_GUID.match(value or ""))


class ConnectionSettings:
    """Checked connection settings. ``repr`` never shows a secret."""

    def __init__(self, tenant_id, client_id, auth_method, cloud, login_endpoint, graph_endpoint, exchange_endpoint,
                 client_secret=None, certificate=None, ca_bundle=None, token_cache=None, timeout=DEFAULT_TIMEOUT,
                 retry_max_wait=DEFAULT_RETRY_MAX_WAIT, token_cache_explicit=False):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.auth_method = auth_method
        self.cloud = cloud
        self.login_endpoint = login_endpoint
        self.graph_endpoint = graph_endpoint
        self.exchange_endpoint = exchange_endpoint
        self.client_secret = client_secret
        self.certificate = certificate
        self.ca_bundle = ca_bundle
        self.token_cache = token_cache
        # False when token_cache is the default location: then an unusable file is skipped with a warning.
        self.token_cache_explicit = token_cache_explicit
        self.timeout = timeout
        self.retry_max_wait = retry_max_wait

    @property
    def graph_scope(self):
        return self.cloud.graph_scope

    @property
    def exchange_scope(self):
        return self.cloud.exchange_scope

    @property
    def authority(self):
        return "%s/%s" % (self.login_endpoint, self.tenant_id)

    @property
    def state_dir(self):
        """Directory of the token cache and the pacing state, or None when caching is off."""
        return os.path.dirname(self.token_cache) if self.token_cache else None

    def __repr__(self):
        return ("ConnectionSettings(tenant_id=%r, client_id=%r, auth_method=%r, cloud=%r, login_endpoint=%r, "
                "graph_endpoint=%r, exchange_endpoint=%r, token_cache=%r)" % (
                    self.tenant_id, self.client_id, self.auth_method, self.cloud.name, self.login_endpoint,
                    self.graph_endpoint, self.exchange_endpoint, self.token_cache))


def _endpoint(params, name, default):
    value = params.get(name)
    if value is None or value == "":
        return default
    accepted = "an https URL such as https://graph.microsoft.us, with a host and no query or fragment"
    try:
        parts = urlsplit(value.strip())
        hostname = parts.hostname
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(name, "is not a valid URL (%s)" % exc, accepted=accepted, value=value)
    if parts.scheme != "https":
        raise ConfigError(name, "must use https, not %s" % (parts.scheme or "no scheme"), accepted=accepted,
                          value=value)
    if not hostname:
        raise ConfigError(name, "has no host", accepted=accepted, value=value)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(name, "must not carry a query, a fragment or user information", accepted=accepted,
                          value=value)
    return value.strip().rstrip("/")


def default_token_cache_path(environ=None):
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tenantguard", "tokens.json")


def _token_cache(params):
    value = params.get("token_cache")
    if value is None or value == "":
        return default_token_cache_path()
    if value.strip().lower() == TOKEN_CACHE_OFF:
        return None
    path = os.path.abspath(os.path.expanduser(os.path.expandvars(value)))
    if os.path.isdir(path):
        path = os.path.join(path, "tokens.json")
    return path


def _positive_number(params, name, default):
    value = params.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0:
        raise ConfigError(name, "must be a number of seconds greater than 0", accepted="for example 60",
                          value=value)
    return number


def _read_ca_bundle(path):
    accepted = "a readable PEM file with one or more CA certificates"
    if not path:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise ConfigError("ca_bundle", "cannot be read: %s" % (exc.strerror or exc), accepted=accepted, value=path)
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ConfigError("ca_bundle", "holds no PEM certificate", accepted=accepted, value=path)
    return path


def resolve_connection(params):
    """Check the connection parameters and return ConnectionSettings; no network call is made.

    ``params`` is a module's params (or ``params_from_environment()``). Raises ConfigError.
    """
    cloud_name = params.get("cloud") or "public"
    if cloud_name not in CLOUDS:
        raise ConfigError("cloud", "is not a known cloud", accepted=", ".join(CLOUD_NAMES), value=cloud_name)
    cloud = CLOUDS[cloud_name]

    method = params.get("auth_method") or "auto"
    if method not in AUTH_METHODS:
        raise ConfigError("auth_method", "is not a known sign-in method", accepted=", ".join(AUTH_METHODS),
                          value=method)

    tenant_id = (params.get("tenant_id") or "").strip()
    if not tenant_id:
        raise ConfigError("tenant_id", "is not set (nor AZURE_TENANT_ID, AZURE_TENANT)",
                          accepted="the tenant's GUID or a verified domain such as contoso.onmicrosoft.com")
    if not (is_guid(tenant_id) or _DOMAIN.match(tenant_id)):
        raise ConfigError("tenant_id", "is neither a GUID nor a domain name",
                          accepted="the tenant's GUID or a verified domain such as contoso.onmicrosoft.com",
                          value=tenant_id)

    client_id = (params.get("client_id") or "").strip() or None
    if client_id is not None and not is_guid(client_id):
        raise ConfigError("client_id", "is not a GUID", accepted="the application (client) id, a GUID",
                          value=client_id)

    secret = params.get("client_secret") or None
    cert_path = params.get("client_certificate_path") or None
    cert_password = params.get("client_certificate_password") or None

    if method == "auto":
        if cert_password and not cert_path:
            raise ConfigError("client_certificate_password", "is set but client_certificate_path is not",
                              accepted="client_certificate_path with the certificate that the password opens",
                              secret=True)
        if secret and cert_path:
            raise ConfigError("auth_method", "is auto but both client_secret and client_certificate_path are set",
                              accepted="set auth_method to client_secret or client_certificate, or unset one "
                                       "of the two credentials", value=method)
        if cert_path:
            method = "client_certificate"
        elif secret:
            method = "client_secret"
        else:
            raise ConfigError("client_secret", "no credential is set: neither client_secret (AZURE_CLIENT_SECRET) "
                              "nor client_certificate_path (AZURE_CLIENT_CERTIFICATE_PATH)",
                              accepted="a client secret, a client certificate, or auth_method=managed_identity")

    certificate = None
    if method == "client_secret":
        if not secret:
            raise ConfigError("client_secret", "is not set (nor AZURE_CLIENT_SECRET, AZURE_SECRET) but "
                              "auth_method is client_secret", accepted="a client secret of the app registration")
    elif method == "client_certificate":
        if not cert_path:
            raise ConfigError("client_certificate_path", "is not set (nor AZURE_CLIENT_CERTIFICATE_PATH) but "
                              "auth_method is client_certificate",
                              accepted="the path of a PEM or PKCS#12 file with the certificate and its private key")
    if method in ("client_secret", "client_certificate") and not client_id:
        raise ConfigError("client_id", "is not set (nor AZURE_CLIENT_ID)",
                          accepted="the application (client) id of the app registration, a GUID")

    login_endpoint = _endpoint(params, "login_endpoint", cloud.login)
    graph_endpoint = _endpoint(params, "graph_endpoint", cloud.graph)
    exchange_endpoint = _endpoint(params, "exchange_endpoint", cloud.exchange)
    ca_bundle = _read_ca_bundle(params.get("ca_bundle"))
    timeout = _positive_number(params, "timeout", DEFAULT_TIMEOUT)
    retry_max_wait = _positive_number(params, "retry_max_wait", DEFAULT_RETRY_MAX_WAIT)
    token_cache = _token_cache(params)

    if method == "client_certificate":
        certificate = load_client_certificate(os.path.expanduser(cert_path), cert_password)

    return ConnectionSettings(
        tenant_id=tenant_id, client_id=client_id, auth_method=method, cloud=cloud,
        login_endpoint=login_endpoint, graph_endpoint=graph_endpoint, exchange_endpoint=exchange_endpoint,
        client_secret=secret if method == "client_secret" else None, certificate=certificate,
        ca_bundle=ca_bundle, token_cache=token_cache, timeout=timeout, retry_max_wait=retry_max_wait,
        token_cache_explicit=params.get("token_cache") not in (None, ""),
    )
