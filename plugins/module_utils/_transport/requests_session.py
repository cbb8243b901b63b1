# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the requests session, imported only when a request needs it.

Not a public API.

``_transport.http`` sends requests with a body, ``$batch``, MSAL's sign-in and anything behind a proxy
through this session (a plain GET goes through ``_transport.direct``). Importing this module imports
requests (and urllib3, charset_normalizer, idna), which a task served by a cached token does not need.

Trust: ``trust_env`` is off, so ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (which requests would
otherwise merge over ``Session.verify``) and ``.netrc`` cannot change what is trusted or sent.
Verification is never switched off: a request with ``verify=False`` is refused.

Proxies: because ``trust_env`` is off, the standard variables (``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) are applied here explicitly, per URL, with requests' own rules.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._base.version import USER_AGENT

try:
    import requests
    from requests.utils import get_environ_proxies
    HAS_REQUESTS = True
    _SessionBase = requests.Session
except ImportError:  # pragma: no cover - TenantGuardModule fails every task with the missing-library message first
    HAS_REQUESTS = False
    _SessionBase = object


def certifi_bundle():
    """Path of the CA bundle requests uses by default (certifi's)."""
    return requests.certs.where()


class TenantGuardSession(_SessionBase):
    """A requests Session that trusts exactly what it was given and applies proxies explicitly."""

    def __init__(self, verify, timeout=60.0, user_agent=USER_AGENT):
        super().__init__()
        self.trust_env = False
        self.verify = verify
        self.default_timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        if kwargs.get("verify") is False:
            raise ValueError("TLS certificate verification cannot be switched off")
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        merged = dict(settings.get("proxies") or {})
        no_proxy = merged.get("no_proxy")
        for key, value in get_environ_proxies(url, no_proxy=no_proxy).items():
            merged.setdefault(key, value)
        settings["proxies"] = merged
        if settings.get("verify") is False:
            raise ValueError("TLS certificate verification cannot be switched off")
        return settings


def transport_failure(exc):
    """"tls", "transport" or None for an exception requests raised."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                        requests.exceptions.ChunkedEncodingError)):
        return "transport"
    return None


def surely_not_sent(exc):
    """True when requests' exception proves the request never left (even a POST may be sent again)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text or "Name or service not known" in text
