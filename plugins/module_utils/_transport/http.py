# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one HTTP session every client of this collection uses (MSAL included).

Not a public API.

Two ways out, one set of rules:

* a GET without a body, with no proxy variable set, goes through the standard library
  (``_transport.direct``), so that a task served by a cached token never imports requests;
* everything else (bodies, ``$batch``, MSAL's sign-in, a GET answered with a redirect, any request
  while ``HTTPS_PROXY`` or ``ALL_PROXY`` is set) goes through requests (``_transport.requests_session``),
  imported on first need. Proxies are therefore always applied by requests' own rules, with
  ``NO_PROXY``; the direct path never talks to a proxy.

Trust is the same on both: certifi's CAs, the operating system's CA file at OpenSSL's compiled-in
location (not ``SSL_CERT_FILE``, an environment override), and the user's ``ca_bundle``. requests
gets them as one PEM bundle (``verify``): when there is more than certifi's, the combined bundle is
written owner-only next to the token cache (or in a private temporary directory), named by its content
hash and reused. The direct path gets the same certificates as a hashed directory
(``_transport.ca_store``), kept in the state directory, which OpenSSL searches during the handshake
instead of parsing every certificate first; without a state directory (``token_cache: none``), or if the
directory cannot be built, it loads the same PEM bundle. Verification is
never switched off: a request with ``verify=False`` is refused on both paths. Retries, pacing and the
handling of 429/503/504 are the clients' (``_transport.graph_client``), above both paths.
"""

import atexit
import hashlib
import os
import shutil
import ssl
import sys
import tempfile

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    PrivateFileError, ensure_private_dir, read_private_file, write_private_file)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.version import USER_AGENT

TLS_FAILURE = "tls"
TRANSPORT_FAILURE = "transport"
# The variables that give requests a proxy for an https URL (lower or upper case).
PROXY_VARIABLES = ("https_proxy", "all_proxy")


def certifi_bundle():
    """Path of the CA bundle requests uses by default (certifi's, which ``requests.certs.where()`` returns)."""
    import certifi
    return certifi.where()


def system_bundle():
    """The operating system's CA file at OpenSSL's compiled-in location, or None."""
    path = ssl.get_default_verify_paths().openssl_cafile
    return path if path and os.path.isfile(path) else None


def trusted_bundles(extra_ca_path=None):
    """The CA files to trust, without duplicates: certifi's, the system's, the user's."""
    found = []
    seen = set()
    for path in (certifi_bundle(), system_bundle(), extra_ca_path):
        if path and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.append(path)
    return found


def combined_ca_bundle(paths, state_dir=None):
    """Path of an owner-only PEM file holding the certificates of ``paths``, in order."""
    parts = []
    for path in paths:
        with open(path, "rb") as handle:
            parts.append(handle.read().strip(b"\n"))
    content = b"\n".join(parts) + b"\n"
    name = "ca-%s.pem" % hashlib.sha256(content).hexdigest()[:24]
    for directory in _bundle_dirs(state_dir):
        try:
            ensure_private_dir(directory)
            path = os.path.join(directory, name)
            if read_private_file(path) != content:
                write_private_file(path, content)
            return path
        except (PrivateFileError, OSError):
            continue
    raise PrivateFileError("no private directory available to write the combined CA bundle")


def ca_store(paths, state_dir=None):
    """Path of the hashed directory of the certificates of ``paths`` (see ``_transport.ca_store``), or None."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.ca_store import build_store
    for directory in _bundle_dirs(state_dir):
        try:
            return build_store(paths, directory)
        except (PrivateFileError, OSError):
            continue
    return None


_TEMP_DIRS = []


def _private_temp_dir():
    if not _TEMP_DIRS:
        path = tempfile.mkdtemp(prefix="tenantguard-")
        atexit.register(shutil.rmtree, path, True)
        _TEMP_DIRS.append(path)
    return _TEMP_DIRS[0]


def _bundle_dirs(state_dir):
    if state_dir:
        yield os.path.join(state_dir, "ca")
    yield _private_temp_dir()


def proxy_configured():
    """True when requests could send an https request through a proxy (then every request takes that path)."""
    for name, value in os.environ.items():
        if value and name.lower() in PROXY_VARIABLES:
            return True
    if sys.platform == "darwin":  # requests also reads the system's proxy settings there
        from urllib.request import getproxies
        proxies = getproxies()
        return bool(proxies.get("https") or proxies.get("all"))
    return False


def transport_failure(exc):
    """``TLS_FAILURE``, ``TRANSPORT_FAILURE`` or None: what a session's exception means, on either path."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.direct import (
        DirectTLSError, DirectTransportError)
    if isinstance(exc, DirectTLSError):
        return TLS_FAILURE
    if isinstance(exc, DirectTransportError):
        return TRANSPORT_FAILURE
    if "requests" not in sys.modules:  # requests raised nothing if it was never imported
        return None
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.requests_session import (
        transport_failure as requests_failure)
    return requests_failure(exc)


def surely_not_sent(exc):
    """True when the failure proves the request never reached the server (so even a POST may be re-sent)."""
    if getattr(exc, "not_sent", False):
        return True
    if "requests" not in sys.modules:
        return False
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.requests_session import (
        surely_not_sent as requests_not_sent)
    return requests_not_sent(exc)


class Session:
    """What MSAL and the clients call (``request``, ``get``, ``post``), sending each request by the cheaper way
    that keeps the same behaviour; see the module docstring."""

    trust_env = False

    def __init__(self, bundles, timeout=60.0, state_dir=None, user_agent=USER_AGENT):
        if not bundles:
            raise ValueError("a session needs the certificates to trust")
        self.bundles = list(bundles)
        self.default_timeout = timeout
        self.state_dir = state_dir
        self.headers = {"User-Agent": user_agent}
        self._verify = None
        self._requests = None
        self._direct = None
        self.sent = {"direct": 0, "requests": 0}

    @property
    def verify(self):
        """The PEM bundle requests verifies against (built on first use)."""
        if self._verify is None:
            if len(self.bundles) == 1:
                self._verify = self.bundles[0]
            else:
                self._verify = combined_ca_bundle(self.bundles, self.state_dir)
        return self._verify

    @property
    def requests_session(self):
        """The requests session (requests imported on first use); MSAL is given this one."""
        if self._requests is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.requests_session import (
                TenantGuardSession)
            self._requests = TenantGuardSession(verify=self.verify, timeout=self.default_timeout,
                                                user_agent=self.headers["User-Agent"])
        return self._requests

    @property
    def direct(self):
        """The standard-library client (the hashed CA directory, else the PEM bundle)."""
        if self._direct is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.direct import (
                DirectClient, tls_context)
            # Without a state directory the store would be rebuilt by every process, which costs more than it saves.
            store = ca_store(self.bundles, self.state_dir) if self.state_dir else None
            context = tls_context(capath=store) if store else tls_context(cafile=self.verify)
            self._direct = DirectClient(context, timeout=self.default_timeout,
                                        user_agent=self.headers["User-Agent"])
        return self._direct

    @staticmethod
    def goes_direct(method, url, kwargs):
        """A GET of an https URL with no body and no per-request transport settings, and no proxy in play."""
        if str(method).upper() != "GET" or not str(url).lower().startswith("https://"):
            return False
        if set(name for name, value in kwargs.items() if value is not None) - {"headers", "timeout"}:
            return False
        return not proxy_configured()

    def prepare(self, method, url, **kwargs):
        """Build what sending ``method url`` will need (imports, the TLS context and its CA store), without any
        network traffic: the clients call this before pacing, so that the paced moment is the request's own."""
        if self.goes_direct(method, url, kwargs):
            return self.direct
        return self.requests_session

    def request(self, method, url, **kwargs):
        if kwargs.get("verify") is False:
            raise ValueError("TLS certificate verification cannot be switched off")
        if self.goes_direct(method, url, kwargs):
            timeout = kwargs.get("timeout")
            response = self.direct.request(str(method).upper(), url, headers=kwargs.get("headers"),
                                           timeout=self.default_timeout if timeout is None else timeout)
            self.sent["direct"] += 1
            if not response.is_redirect:
                return response
            # requests follows redirects by its own rules (and drops the token on another host): let it.
        self.sent["requests"] += 1
        return self.requests_session.request(method, url, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def close(self):
        if self._direct is not None:
            self._direct.close()
        if self._requests is not None:
            self._requests.close()


def build_session(ca_bundle=None, timeout=60.0, state_dir=None):
    """The session for MSAL, Graph and Exchange. ``ca_bundle``: extra CAs (PEM path) or None."""
    return Session(trusted_bundles(ca_bundle), timeout=timeout, state_dir=state_dir)


def build_session_for(settings):
    """The session for checked ConnectionSettings."""
    return build_session(ca_bundle=settings.ca_bundle, timeout=settings.timeout, state_dir=settings.state_dir)
