"""Files a running sandbox writes for its clients: ``env.sh``, ``env.json``, ``intercept.sh``,
``intercept.json``, ``msi.json`` (all owner-only, they hold the built-in application's secret or the
identity header) and ``server.json``.

``env.sh`` points the collection's modules at the sandbox's own address (endpoint overrides).
``intercept.sh`` is for a shell that opts in to intercept mode: every runtime's proxy and CA
variables point at the sandbox, the endpoint overrides are unset, and clients use Microsoft's own
host names. The two are separate so that a shell that sources ``env.sh`` keeps its behaviour.
"""

import os
from urllib.parse import urlsplit

from .fsutil import write_json, write_private
from .tenant import AUTOMATION_APP_ID, MANAGED_IDENTITY_APP_ID

ENDPOINT_OVERRIDES = ("TENANTGUARD_LOGIN_ENDPOINT", "TENANTGUARD_GRAPH_ENDPOINT", "TENANTGUARD_EXCHANGE_ENDPOINT")
# Loopback stays direct: the sandbox's own address (control endpoints) and local services.
NO_PROXY = "localhost,127.0.0.1,::1"


def _shell_quote(value):
    return "'" + str(value).replace("'", "'\\''") + "'"


def credentials(sandbox):
    return {
        "AZURE_TENANT_ID": sandbox.tenant.id,
        "AZURE_CLIENT_ID": AUTOMATION_APP_ID,
        "AZURE_CLIENT_SECRET": sandbox.settings["automationSecret"],
    }


def environment(sandbox, base_url):
    """The variables the collection's modules read to use this sandbox."""
    env = credentials(sandbox)
    env.update({name: base_url for name in ENDPOINT_OVERRIDES})
    env["TENANTGUARD_CA_BUNDLE"] = os.path.join(sandbox.state_dir, "ca.pem")
    return env


def intercept_environment(sandbox, base_url):
    """The variables that send every runtime to the sandbox as its HTTPS proxy, trusting its CA.

    ``HTTPS_PROXY`` (requests, httpx, curl, Go, the collection), ``REQUESTS_CA_BUNDLE`` (requests),
    ``SSL_CERT_FILE`` (Python's ssl defaults, httpx, Go, OpenSSL), ``CURL_CA_BUNDLE`` (curl and
    requests), ``NODE_EXTRA_CA_CERTS`` (Node.js), ``TENANTGUARD_CA_BUNDLE`` (the collection, which
    reads no other CA variable). ``HTTP_PROXY`` points at the sandbox too, so that a plain-HTTP
    request is refused there rather than leaving the machine.
    """
    parts = urlsplit(base_url)
    proxy = "http://%s:%d" % (parts.hostname, parts.port)
    ca = os.path.join(sandbox.state_dir, "ca.pem")
    env = credentials(sandbox)
    env.update({
        "HTTPS_PROXY": proxy, "https_proxy": proxy, "HTTP_PROXY": proxy, "http_proxy": proxy,
        "NO_PROXY": NO_PROXY, "no_proxy": NO_PROXY,
        "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca, "CURL_CA_BUNDLE": ca, "NODE_EXTRA_CA_CERTS": ca,
        "TENANTGUARD_CA_BUNDLE": ca,
    })
    return env


def write_all(sandbox, base_url, pid):
    env = environment(sandbox, base_url)
    lines = ["# TenantGuard Graph sandbox at %s (source this file)" % base_url]
    lines += ["export %s=%s" % (name, _shell_quote(value)) for name, value in env.items()]
    write_private(os.path.join(sandbox.state_dir, "env.sh"), "\n".join(lines) + "\n")
    write_json(os.path.join(sandbox.state_dir, "env.json"), env, indent=1)
    intercepted = intercept_environment(sandbox, base_url)
    lines = ["# TenantGuard Graph sandbox in intercept mode: Microsoft's host names are answered by the sandbox",
             "# at %s, used as the HTTPS proxy; every other destination is refused (source this file)."
             % intercepted["HTTPS_PROXY"],
             "unset %s" % " ".join(ENDPOINT_OVERRIDES)]
    lines += ["export %s=%s" % (name, _shell_quote(value)) for name, value in intercepted.items()]
    write_private(os.path.join(sandbox.state_dir, "intercept.sh"), "\n".join(lines) + "\n")
    write_json(os.path.join(sandbox.state_dir, "intercept.json"), intercepted, indent=1)
    write_json(os.path.join(sandbox.state_dir, "msi.json"), {
        "IDENTITY_ENDPOINT": base_url + "/msi/token",
        "IDENTITY_HEADER": sandbox.settings["identityHeader"],
        "client_id": MANAGED_IDENTITY_APP_ID,
    }, indent=1)
    write_json(os.path.join(sandbox.state_dir, "server.json"),
               {"port": sandbox.port, "pid": pid, "base_url": base_url, "proxy_url": intercepted["HTTPS_PROXY"]},
               mode=0o644, indent=1)
