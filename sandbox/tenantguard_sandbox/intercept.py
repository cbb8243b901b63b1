"""Intercept mode: the sandbox as an HTTPS forward proxy for Microsoft's own host names.

A client whose ``HTTPS_PROXY`` is ``http://127.0.0.1:PORT`` (the sandbox's own port: a connection
whose first byte is not a TLS handshake is read as plain HTTP) sends ``CONNECT host:443``. For a
host in :data:`HOSTS` (the sign-in, Graph and Exchange Online hosts of every national cloud) the
sandbox answers ``200 Connection established`` and then terminates TLS itself, with a certificate
for that host issued by its own CA, and serves the requests that follow as if they had come to
its own address. For every other destination, another port, or a request that is not
``CONNECT``, it answers 403 and closes the connection. The sandbox never opens a connection
anywhere: nothing is forwarded off the machine, whatever the client asks.

Which service a host speaks is fixed by the host, as in Microsoft's cloud: a Graph host serves
``/v1.0`` and ``/beta`` only (any other path: 400 "Invalid version.", as graph.microsoft.com
answers), a sign-in host the login authority only, an Exchange host the admin API only. The
control endpoints (``/_sandbox/...``) and the managed-identity endpoint answer on the sandbox's
own address only.

Every CONNECT is written to ``requests.jsonl`` (service ``proxy``, method ``CONNECT``, path
``host:port``, status 200 or 403), so a test can prove what was refused.
"""

import json
from http.server import BaseHTTPRequestHandler

from .messages import Headers, Request

PROXY_PORT = 443

# Sign-in hosts: every Microsoft Entra authority host MSAL knows (msal.authority
# WELL_KNOWN_AUTHORITY_HOSTS, the collection's plugins/module_utils/_transport/clouds.py MICROSOFT_LOGIN_HOSTS).
LOGIN_HOSTS = (
    "login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
    "login.microsoftonline.us", "login.usgovcloudapi.net", "login-us.microsoftonline.com",
    "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.de",
    "login.sovcloud-identity.fr", "login.sovcloud-identity.de", "login.sovcloud-identity.sg",
)
# Graph of each national cloud (https://learn.microsoft.com/graph/deployments).
GRAPH_HOSTS = (
    "graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn",
)
# The Exchange Online admin API of each cloud; its regional hosts are subdomains of these
# (``<prefix>.outlook.office365.com``: ../shared/reference/domain.md, "Regional redirect").
EXCHANGE_HOSTS = (
    "outlook.office365.com", "outlook.office365.us", "outlook-dod.office365.us", "outlook.office365.cn",
)

HOSTS = dict([(h, "login") for h in LOGIN_HOSTS] + [(h, "graph") for h in GRAPH_HOSTS]
             + [(h, "exchange") for h in EXCHANGE_HOSTS])

# The regional host the Exchange front door sends a client to in intercept mode. The shape
# (a subdomain of the cloud's Exchange host) is what ScubaGear and go-exoscc meet; the prefix
# itself is not documented and is the sandbox's choice.
REGIONAL_PREFIX = "eur03b"


def service_of_host(host):
    """'login', 'graph' or 'exchange' for a host the sandbox answers for, else None."""
    host = (host or "").strip().rstrip(".").lower()
    service = HOSTS.get(host)
    if service is not None:
        return service
    for exchange in EXCHANGE_HOSTS:
        prefix = host[: -len(exchange) - 1] if host.endswith("." + exchange) else ""
        if prefix and "." not in prefix:
            return "exchange"
    return None


def exchange_host_of(host):
    """The cloud Exchange host that ``host`` is, or is a regional subdomain of."""
    host = host.lower()
    for exchange in EXCHANGE_HOSTS:
        if host == exchange or host.endswith("." + exchange):
            return exchange
    return None


def regional_host(host):
    """The regional host name the front door redirects ``host`` (a cloud Exchange host) to."""
    return "%s.%s" % (REGIONAL_PREFIX, exchange_host_of(host))


def split_authority(target):
    """``host:port`` of a CONNECT line → ``(host, port)``; ``(None, None)`` when malformed."""
    target = target.strip()
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return None, None
    return host.lower(), int(port)


def refusal_message(host, port):
    if service_of_host(host) is not None:
        return ("The TenantGuard Graph sandbox answers for %s on port %d only; it does not forward '%s:%d'."
                % (host, PROXY_PORT, host, port))
    return ("The TenantGuard Graph sandbox answers only for Microsoft's sign-in, Graph and Exchange Online host "
            "names (login.microsoftonline.com, graph.microsoft.com, outlook.office365.com and their national "
            "cloud equivalents); it never forwards a connection, and '%s:%d' is not one of them." % (host, port))


class ProxyRequestHandler(BaseHTTPRequestHandler):
    """Plain HTTP on the sandbox's port: ``CONNECT`` to an intercepted host, nothing else."""

    protocol_version = "HTTP/1.1"
    rbufsize = 0  # read the CONNECT head byte by byte: not one byte of the client's TLS may be swallowed
    timeout = 30

    def version_string(self):
        return "TenantGuard-Graph-Sandbox"

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Silence the default stderr access log; ``requests.jsonl`` is the log."""

    def do_CONNECT(self):
        host, port = split_authority(self.path)
        if host is None:
            self._refuse(400, "BadRequest", "CONNECT needs a target of the form host:port, not '%s'." % self.path)
            return
        if port != PROXY_PORT or service_of_host(host) is None:
            self._log(host, port, 403)
            self._refuse(403, "Forbidden", refusal_message(host, port))
            return
        self._log(host, port, 200)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.server.serve_tunnel(self.connection, self.client_address, host)

    def _unsupported(self):
        if self.path.startswith(("http://", "https://")):
            self._log_request(403)
            self._refuse(403, "Forbidden", "The TenantGuard Graph sandbox intercepts HTTPS through CONNECT only; it "
                                           "never forwards a request, and '%s' is not served." % self.path)
        else:
            self._refuse(400, "BadRequest", "This port speaks HTTPS; in plain HTTP it answers proxy CONNECT "
                                            "requests only (HTTPS_PROXY=http://127.0.0.1:%d)."
                         % self.server.server_address[1])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _unsupported

    def _refuse(self, status, code, message):
        body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _log(self, host, port, status):
        request = Request("CONNECT", "%s:%d" % (host, port), {}, Headers(), b"", "")
        request.service = "proxy"
        self.server.sandbox.log.record(request, status)

    def _log_request(self, status):
        request = Request(self.command, self.path, {}, Headers(), b"", "")
        request.service = "proxy"
        self.server.sandbox.log.record(request, status)
