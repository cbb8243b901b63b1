# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: signing in with MSAL and handing out access tokens.

Not a public API.

* Client secret and client certificate: ``msal.ConfidentialClientApplication`` with authority
  ``<login_endpoint>/<tenant_id>``. Instance discovery stays on for Microsoft's own sign-in
  hosts and is switched off for any other host (a local or private authority).
* Managed identity: ``msal.ManagedIdentityClient`` (system-assigned, or user-assigned by
  ``client_id``).
* MSAL's HTTP traffic goes through the collection's requests session (see ``_transport.http``).
* Tokens are cached across processes (see ``_transport.token_cache``) and in memory for the process.
  A valid access token in the shared cache file is served without importing MSAL (about a
  quarter of a second per task): MSAL is imported only when a token must be requested or a
  rejected one forgotten. Without MSAL installed, only that step fails, with Ansible's
  missing-library message.
* Transient sign-in failures (5xx, "temporarily unavailable", dropped connections) are retried
  with backoff within the retry budget; MSAL's short memory of a failed POST is cleared first,
  so that the retry reaches the service.

Scopes are the cloud's resources (``https://graph.microsoft.com/.default``), never the endpoint
URLs: an overridden ``graph_endpoint`` still receives tokens for the cloud's Graph.
Every failure becomes an ``AuthError`` with the AADSTS code and what to do; secrets never
appear in it.
"""

import json
import re
import time

from urllib.parse import urlsplit

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.clouds import MICROSOFT_LOGIN_HOSTS
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import (
    AuthError, ConfigError, TenantGuardError, aadsts_code)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import PrivateFileError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.token_cache import (
    TokenCacheFile, cached_access_token, cache_key, secret_fingerprint)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.tls_errors import tls_problem

# Refresh a token that has less than this many seconds left (MSAL uses the same margin).
EXPIRY_MARGIN = 300
# Sign-in answers that mean "try again": AADSTS90033 (a transient error), 90055 (tenant throttled),
# 50087 (a retryable back-end error).
TRANSIENT_AADSTS = frozenset([90033, 90055, 50087])

# MSAL's client id of a system-assigned managed identity in its token cache.
SYSTEM_ASSIGNED_CLIENT_ID = "SYSTEM_ASSIGNED_MANAGED_IDENTITY"


class MissingLibraryError(TenantGuardError):
    """A Python library a step of the task needs is not installed (Ansible's missing-library message)."""

    def __init__(self, library, exc):
        self.library = library
        self.import_error = "%s: %s" % (exc.__class__.__name__, exc)
        super().__init__(self.describe())

    def describe(self):
        from ansible.module_utils.basic import missing_required_lib
        return missing_required_lib(self.library)


def import_msal():
    """The ``msal`` package, imported on first need; MissingLibraryError when it is not installed."""
    try:
        import msal
    except ImportError as exc:
        raise MissingLibraryError("msal", exc)
    return msal


class _TransientAuthError(Exception):
    """A sign-in failure worth retrying; ``error`` is the AuthError to raise when retries run out."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


_JSON_IN_TEXT = re.compile(r"(\{.*\})", re.DOTALL)


def _host(url):
    return (urlsplit(url).hostname or "").lower()


class TokenProvider:
    """Access tokens for the resources of one ConnectionSettings.

    ``token(scope)`` returns a bearer token, from memory, the shared cache file or the identity
    platform, in that order. ``invalidate(scope, token)`` forgets a token a service rejected.
    ``token_requests`` counts requests made to the identity platform by this provider;
    ``warnings`` collects what the user should know (an unusable default cache file).
    """

    def __init__(self, settings, session, clock=time.monotonic, retry=None):
        self.settings = settings
        self.session = session
        self._clock = clock
        self.retry = retry or RetryPolicy(max_total_wait=settings.retry_max_wait, max_attempts=4)
        self._memory = {}
        self._app = None
        self._msal_cache = None
        self._http_cache = {}
        self.token_requests = 0
        self.cache_hits = 0
        self.warnings = []
        self.store = TokenCacheFile(settings.token_cache, self._key(), label=self._label())

    # -- identity ---------------------------------------------------------------------------
    def _credential_fingerprint(self):
        settings = self.settings
        if settings.auth_method == "client_secret":
            return "secret:" + secret_fingerprint(settings.client_secret)
        if settings.auth_method == "client_certificate":
            return "certificate:" + settings.certificate.thumbprint_sha256
        return "managed_identity"

    def _key(self):
        s = self.settings
        return cache_key(s.cloud.name, s.login_endpoint, s.tenant_id.lower(), (s.client_id or "").lower(),
                         s.auth_method, self._credential_fingerprint())

    def _label(self):
        s = self.settings
        return {"cloud": s.cloud.name, "login_endpoint": s.login_endpoint, "tenant_id": s.tenant_id,
                "client_id": s.client_id, "auth_method": s.auth_method}

    def _describe(self, scope):
        s = self.settings
        resource = scope[:-len("/.default")] if scope.endswith("/.default") else scope
        who = ("the managed identity%s" % (" %s" % s.client_id if s.client_id else "")
               if s.auth_method == "managed_identity" else "application %s" % s.client_id)
        return "get a token for %s as %s in tenant %s from %s" % (resource, who, s.tenant_id, s.login_endpoint)

    @property
    def _token_cache(self):
        """MSAL's token cache, created (and MSAL imported) on first use."""
        if self._msal_cache is None:
            self._msal_cache = import_msal().SerializableTokenCache()
        return self._msal_cache

    def _cache_target(self, scope):
        """The client id and target under which MSAL caches the token for ``scope``."""
        s = self.settings
        if s.auth_method == "managed_identity":
            resource = scope[:-len("/.default")] if scope.endswith("/.default") else scope
            return s.client_id or SYSTEM_ASSIGNED_CLIENT_ID, resource
        return s.client_id, scope

    # -- public -----------------------------------------------------------------------------
    def token(self, scope):
        """A bearer token for ``scope`` (for example ``https://graph.microsoft.com/.default``)."""
        remembered = self._memory.get(scope)
        if remembered and remembered[1] - self._clock() > EXPIRY_MARGIN:
            return remembered[0]
        result = self._from_cache_file(scope) or self._acquire(scope)
        expires_in = result.get("expires_in") or 3600
        try:
            expires_in = float(expires_in)
        except (TypeError, ValueError):
            expires_in = 3600.0
        self._memory[scope] = (result["access_token"], self._clock() + expires_in)
        return result["access_token"]

    def _cache_unusable(self, exc):
        """An unusable cache file: an error if the user chose the file, else a warning and no persistence."""
        if self.settings.token_cache_explicit:
            raise ConfigError("token_cache", str(exc), accepted="a file path in a directory of your own, or none",
                              value=self.settings.token_cache)
        self.warnings.append("The token cache %s cannot be used (%s); tokens are kept for this task only. Set "
                             "token_cache to a usable file, or to none." % (self.settings.token_cache, exc))
        self.store.path = None

    def _from_cache_file(self, scope):
        """A token MSAL itself would serve from the shared cache file, read without MSAL; None otherwise.

        Read without the lock: the file is replaced atomically, so a reader sees a whole version. Anything
        unusable (no file, an unreadable one, no valid token) leaves the locked path to decide and report."""
        try:
            entry = self.store.read_entry()
        except (PrivateFileError, OSError):
            return None
        client_id, target = self._cache_target(scope)
        result = cached_access_token((entry or {}).get("token_cache"), client_id, target, time.time(),
                                     margin=EXPIRY_MARGIN)
        if result is not None:
            self.cache_hits += 1
        return result

    def invalidate(self, scope, token):
        """Forget ``token`` (rejected by a service) so that the next ``token(scope)`` gets a new one."""
        remembered = self._memory.get(scope)
        if remembered and remembered[0] == token:
            del self._memory[scope]
        try:
            self._forget(token)
        except PrivateFileError as exc:
            self._cache_unusable(exc)
            self._forget(token)

    def _forget(self, token):
        with self.store.open(self._token_cache, self._http_cache):
            for entry in list(self._token_cache.search(self._token_cache.CredentialType.ACCESS_TOKEN)):
                if entry.get("secret") == token:
                    self._token_cache.remove_at(entry)

    # -- internals --------------------------------------------------------------------------
    def _acquire(self, scope):
        """Acquire under the cache lock; retry transient failures (5xx, 429, dropped connections)."""
        what = self._describe(scope)
        state = self.retry.start()
        while True:
            state.attempt()
            try:
                result = self._acquire_once(scope, what)
            except _TransientAuthError as exc:
                delay = state.delay(None)
                refusal = state.refusal(delay)
                if refusal:
                    exc.error.description = "%s; gave up: %s" % (exc.error.description.rstrip("."), refusal)
                    raise exc.error
                self._forget_failed_posts()
                state.wait(delay)
                continue
            if "access_token" in result:
                break
            if result.get("error") == "temporarily_unavailable" or aadsts_code(result.get("error_description")) in \
                    TRANSIENT_AADSTS:
                delay = state.delay(None)
                if state.refusal(delay) is None:
                    self._forget_failed_posts()
                    state.wait(delay)
                    continue
            raise AuthError.from_msal_result(what, result)
        if result.get("token_source") == "cache":
            self.cache_hits += 1
        return result

    def _acquire_once(self, scope, what):
        try:
            with self.store.open(self._token_cache, self._http_cache):
                return self._acquire_locked(scope, what)
        except PrivateFileError as exc:
            self._cache_unusable(exc)
            with self.store.open(self._token_cache, self._http_cache):
                return self._acquire_locked(scope, what)

    def _forget_failed_posts(self):
        """MSAL remembers a failed token POST for a few seconds; a deliberate retry must reach the service."""
        for key in [k for k in self._http_cache if isinstance(k, str) and k.startswith("POST ")]:
            del self._http_cache[key]

    def _acquire_locked(self, scope, what):
        msal = import_msal()
        import requests  # MSAL's own dependency, and the session it is given (see _transport.http)
        tls_errors = (requests.exceptions.SSLError,)
        network_errors = (requests.exceptions.RequestException,)
        try:
            if self.settings.auth_method == "managed_identity":
                app = self._managed_identity_app()
                resource = scope[:-len("/.default")] if scope.endswith("/.default") else scope
                result = app.acquire_token_for_client(resource=resource)
            else:
                app = self._confidential_app(what)
                result = app.acquire_token_for_client([scope])
        except AuthError:
            raise
        except tls_errors as exc:
            if self.settings.auth_method == "managed_identity":
                problem, hint = tls_problem(exc, "the managed identity endpoint (IDENTITY_ENDPOINT)")
            else:
                problem, hint = tls_problem(exc, "login_endpoint", self.settings.login_endpoint)
            raise AuthError(what, "%s (%s)" % (problem, _short(exc)), hint=hint)
        except network_errors as exc:
            raise _TransientAuthError(AuthError(
                what, "the sign-in endpoint could not be reached (%s)" % _short(exc),
                hint="Check login_endpoint (or cloud), the network and any proxy settings (HTTPS_PROXY, NO_PROXY)."))
        except msal.exceptions.MsalServiceError as exc:  # MSAL raises these for 5xx answers of the identity platform
            raise _TransientAuthError(AuthError(
                what, "the sign-in service answered with an error (%s)" % _short(exc),
                hint="The identity platform had a transient problem; try again later."))
        except ValueError as exc:  # MSAL: authority discovery failed, managed identity errors
            raise self._value_error(what, exc)
        if isinstance(result, dict) and result.get("token_source") == "identity_provider":
            self.token_requests += 1
        return result if isinstance(result, dict) else {"error": "no_result", "error_description": "MSAL returned nothing"}

    def _confidential_app(self, what):
        if self._app is not None:
            return self._app
        msal = import_msal()
        s = self.settings
        if s.auth_method == "client_certificate":
            credential = s.certificate.msal_credential()
        else:
            credential = s.client_secret
        options = {}
        if _host(s.login_endpoint) not in MICROSOFT_LOGIN_HOSTS:
            options["instance_discovery"] = False
        self._app = msal.ConfidentialClientApplication(
            s.client_id, client_credential=credential, authority=s.authority, http_client=self._msal_http_client(),
            token_cache=self._token_cache, http_cache=self._http_cache, **options)
        return self._app

    def _msal_http_client(self):
        """The requests session MSAL sends through (the collection's session decides for its clients)."""
        return getattr(self.session, "requests_session", self.session)

    def _managed_identity_app(self):
        if self._app is not None:
            return self._app
        msal = import_msal()
        s = self.settings
        if s.client_id:
            identity = msal.UserAssignedManagedIdentity(client_id=s.client_id)
        else:
            identity = msal.SystemAssignedManagedIdentity()
        self._app = msal.ManagedIdentityClient(identity, http_client=self._msal_http_client(),
                                               token_cache=self._token_cache)
        return self._app

    def _value_error(self, what, exc):
        """Turn MSAL's ValueError into an AuthError, digging out the identity platform's answer."""
        texts = [str(exc)]
        context = exc.__context__ or exc.__cause__
        if context is not None:
            texts.insert(0, str(context))
        for text in texts:
            match = _JSON_IN_TEXT.search(text)
            if not match:
                continue
            try:
                body = json.loads(match.group(1))
            except ValueError:
                continue
            if isinstance(body, dict) and (body.get("error") or body.get("error_description")):
                status = re.search(r"HTTP status: (\d+)", text)
                error = AuthError.from_msal_result(what, body)
                if status and not error.description:
                    error.description = "HTTP %s" % status.group(1)
                return error
        message = _short(exc)
        if "Unable to get authority configuration" in message or "OIDC Discovery failed" in message:
            return AuthError(what, "the sign-in configuration of %s could not be read" % self.settings.authority,
                             hint="Check tenant_id and cloud (or login_endpoint).")
        return AuthError(what, message)


def _short(exc):
    text = str(exc).strip() or exc.__class__.__name__
    text = " ".join(text.split())
    return text if len(text) < 400 else text[:400] + "..."
