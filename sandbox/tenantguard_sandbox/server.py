"""The HTTPS listener: ``http.server.ThreadingHTTPServer`` with TLS, HTTP/1.1 keep-alive.

TLS is negotiated in each connection's own thread (a slow client cannot stall the accept loop).
A connection whose first byte is not a TLS handshake record is plain HTTP: the proxy of intercept
mode (``intercept.py``), which answers ``CONNECT`` to Microsoft's host names and refuses the rest.
Every response carries ``request-id``, ``client-request-id`` (the client's, or the request id),
``Date``, a JSON ``Content-Type`` and an exact ``Content-Length``.
"""

import socket
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from .intercept import ProxyRequestHandler, service_of_host
from .messages import GRAPH_JSON, PLAIN_JSON, Headers, Request
from .tls import HostContexts

MAX_BODY = 64 * 1024 * 1024
TLS_HANDSHAKE = 0x16  # the content type of the first TLS record a client sends


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sandbox, ssl_context):
        self.sandbox = sandbox
        self.ssl_context = ssl_context
        self.host_contexts = HostContexts(sandbox.state_dir)
        super().__init__(address, RequestHandler)

    def finish_request(self, request, client_address):
        request.settimeout(15)
        # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK would add ~40 ms to every response on a kept-alive connection.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if not first:
            return
        if first[0] != TLS_HANDSHAKE:
            ProxyRequestHandler(request, client_address, self)
            return
        self._serve_tls(request, client_address, self.ssl_context, None)

    def serve_tunnel(self, connection, client_address, host):
        """Terminate the TLS of a client's tunnel to ``host`` and serve it as that host."""
        self._serve_tls(connection, client_address, self.host_contexts.context(host), host)

    def _serve_tls(self, connection, client_address, context, intercepted_host):
        try:
            tls = context.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            if intercepted_host is None:
                RequestHandler(tls, client_address, self)
            else:
                InterceptedRequestHandler(tls, client_address, self, intercepted_host)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        """Connection-level failures (client went away, TLS alerts) are not worth a traceback."""


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120
    intercepted_host = None  # the Microsoft host name of a tunnel in intercept mode

    def version_string(self):
        return "TenantGuard-Graph-Sandbox"

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Silence the default stderr access log; ``requests.jsonl`` is the log."""

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _serve(self):
        sandbox = self.server.sandbox
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        raw_path, _, raw_query = self.path.partition("?")
        query = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(key, value)
        if self.intercepted_host is not None:
            # The tunnel's host decides, as the name the client connected to does in Microsoft's cloud.
            host = self.intercepted_host
        else:
            host = self.headers.get("Host") or "127.0.0.1:%s" % sandbox.port
        request = Request(self.command, unquote(raw_path), query, Headers(self.headers.items()), body,
                          "https://" + host, raw_query)
        request.client_address = self.client_address
        request.host = host
        request.intercepted_service = service_of_host(self.intercepted_host) if self.intercepted_host else None
        response = sandbox.process(request)
        if response.drop:
            sandbox.log.record(request, response.status or None)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        # Logged before the answer leaves, so that a client holding its answer finds the line.
        sandbox.log.record(request, response.status)
        self._send(request, response)

    def _send(self, request, response):
        status = response.status
        payload = b"" if status in (204, 304) else response.payload()
        self.send_response(status)
        content_type = response.content_type or (GRAPH_JSON if request.service == "graph" else PLAIN_JSON)
        self.send_header("Content-Type", content_type)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", request.request_id)
        self.send_header("client-request-id", request.client_request_id)
        self.send_header("x-ms-ags-diagnostic", '{"ServerInfo":{"DataCenter":"Sandbox","Slice":"E","Ring":"5",'
                                                '"ScaleUnit":"000","RoleInstance":"LOCAL"}}')
        self.send_header("Strict-Transport-Security", "max-age=31536000")
        self.send_header("Cache-Control", "no-cache")
        for name, value in response.headers.items():
            self.send_header(name, str(value))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)
        self.wfile.flush()


class InterceptedRequestHandler(RequestHandler):
    """The requests inside a client's tunnel to a Microsoft host name."""

    def __init__(self, request, client_address, server, host):
        self.intercepted_host = host
        super().__init__(request, client_address, server)
