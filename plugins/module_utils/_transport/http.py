# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one HTTP session every client of this collection uses (MSAL included).

Not a public API.

Trust: ``trust_env`` is off, so ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (which requests would
otherwise merge over ``Session.verify``) and ``.netrc`` cannot change what is trusted or sent.
``verify`` is one PEM bundle: certifi's CAs, the operating system's CA file at OpenSSL's compiled-in
location (not ``SSL_CERT_FILE``, another environment override), and the user's ``ca_bundle``. When
there is more than certifi's, the combined bundle is written owner-only next to the token cache
(or in a private temporary directory), named by its content hash and reused. Verification is
never switched off: a request with ``verify=False`` is refused.

Proxies: because ``trust_env`` is off, the standard variables (``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) are applied here explicitly, per URL, with requests' own rules.
"""

import atexit
import hashlib
import os
import shutil
import ssl
import tempfile

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    PrivateFileError, ensure_private_dir, read_private_file, write_private_file)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.version import USER_AGENT

try:
    import requests
    from requests.utils import get_environ_proxies
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    _SessionBase = requests.Session
except ImportError as exc:  # pragma: no cover - depends on the environment
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc
    _SessionBase = object


def certifi_bundle():
    """Path of the CA bundle requests uses by default (certifi's)."""
    return requests.certs.where()


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


def build_session(ca_bundle=None, timeout=60.0, state_dir=None):
    """The session for MSAL, Graph and Exchange. ``ca_bundle``: extra CAs (PEM path) or None."""
    bundles = trusted_bundles(ca_bundle)
    verify = bundles[0] if len(bundles) == 1 else combined_ca_bundle(bundles, state_dir)
    return TenantGuardSession(verify=verify, timeout=timeout)


def build_session_for(settings):
    """The session for checked ConnectionSettings."""
    return build_session(ca_bundle=settings.ca_bundle, timeout=settings.timeout, state_dir=settings.state_dir)
