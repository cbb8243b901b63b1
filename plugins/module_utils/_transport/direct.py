# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a plain GET through the standard library's ``http.client``, with full TLS verification.

Not a public API.

Most tasks send one or a few GETs with a cached token. Importing ``requests`` (with urllib3,
charset_normalizer, idna and http.cookiejar) costs more than the rest of such a task, so the session
(``_transport.http``) sends a GET without a body through this client when no proxy variable is set,
and everything else (bodies, ``$batch``, MSAL's sign-in, proxies) through requests.

What it keeps identical to the requests path:

* TLS: an ``SSLContext`` built as urllib3 builds its own (``PROTOCOL_TLS_CLIENT``, certificate and
  host name verification required, TLS 1.2 at least, no compression, no session tickets, no common
  name fallback), trusting exactly the same certificates (the hashed directory of ``_transport.ca_store``,
  else the same PEM bundle). There is no parameter that turns verification off.
* Requests: the same default headers as the requests session (User-Agent, ``Accept-Encoding: gzip,
  deflate``, ``Accept: */*``, ``Connection: keep-alive``), overridden by the caller's; gzip and deflate
  answers decoded; one kept-alive connection per host, re-opened when the server closed it.
* Answers: ``status_code``, case-insensitive ``headers``, ``content``, ``text``, ``json()``.
* Redirects: a 3xx is returned as such (``is_redirect``), and the session sends that request again
  through requests, which follows it as it always did.
* Failures: ``DirectTLSError`` (code ``SSLError``), ``DirectConnectError`` (``ConnectionError`` or
  ``ConnectTimeout``; nothing was sent) and ``DirectTransportError`` (``ConnectionError`` or
  ``ReadTimeout``; the request may have been sent), the codes requests' exceptions would give, so the
  clients' retry rules and messages treat both paths alike.
"""

import http.client
import json
import os
import select
import socket
import ssl
import zlib

from urllib.parse import urlsplit

DEFAULT_HEADERS = (
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)
REDIRECT_STATUSES = frozenset([301, 302, 303, 307, 308])


class DirectTransportError(Exception):
    """The connection failed after the request may have been sent."""

    not_sent = False

    def __init__(self, message, code="ConnectionError"):
        super().__init__(message)
        self.code = code


class DirectConnectError(DirectTransportError):
    """No connection was made: the request was surely not sent."""

    not_sent = True


class DirectTLSError(DirectConnectError):
    """The TLS handshake failed (an untrusted, expired or misnamed certificate): nothing was sent."""

    def __init__(self, message):
        super().__init__(message, code="SSLError")


def tls_context(capath=None, cafile=None):
    """A verifying client context trusting ``capath`` (a hashed directory) or ``cafile`` (a PEM bundle)."""
    if not capath and not cafile:
        raise ValueError("a TLS context needs the certificates to trust")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname=True
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET
    if getattr(context, "post_handshake_auth", None) is not None:
        context.post_handshake_auth = True
    context.hostname_checks_common_name = False
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        context.keylog_filename = os.path.expandvars(keylog)
    context.load_verify_locations(cafile=cafile, capath=capath)
    return context


class Headers:
    """Response headers: case-insensitive look-up, original names in ``items()``."""

    def __init__(self, pairs=()):
        self._items = {}
        for name, value in pairs:
            key = name.lower()
            if key in self._items:  # repeated headers are joined, as requests does
                value = "%s, %s" % (self._items[key][1], value)
                name = self._items[key][0]
            self._items[key] = (name, value)

    def get(self, name, default=None):
        found = self._items.get(str(name).lower())
        return found[1] if found else default

    def __getitem__(self, name):
        found = self._items.get(str(name).lower())
        if found is None:
            raise KeyError(name)
        return found[1]

    def __contains__(self, name):
        return str(name).lower() in self._items

    def __iter__(self):
        return iter(name for name, _value in self._items.values())

    def __len__(self):
        return len(self._items)

    def items(self):
        return list(self._items.values())

    def keys(self):
        return [name for name, _value in self._items.values()]

    def __repr__(self):
        return "Headers(%r)" % (dict(self.items()),)


class DirectResponse:
    """The answer to one request, read whole."""

    def __init__(self, status, reason, headers, content, url):
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.content = content
        self.url = url

    @property
    def is_redirect(self):
        return self.status_code in REDIRECT_STATUSES and "location" in self.headers

    @property
    def encoding(self):
        content_type = self.headers.get("Content-Type") or ""
        for part in content_type.split(";")[1:]:
            key, _sep, value = part.strip().partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("'\"")
        return None

    @property
    def text(self):
        encoding = self.encoding or "utf-8"
        try:
            return self.content.decode(encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.text)


def _decode(body, encoding):
    encoding = (encoding or "").strip().lower()
    if not body or encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise DirectTransportError("the answer is encoded as %s, which this client did not ask for" % encoding)


class DirectClient:
    """GETs over kept-alive ``http.client`` connections; see the module docstring."""

    def __init__(self, context, timeout=60.0, user_agent=None):
        if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
            raise ValueError("TLS certificate verification cannot be switched off")
        self.context = context
        self.timeout = timeout
        self.user_agent = user_agent
        self._connections = {}

    def _connection(self, host, port, timeout):
        key = (host, port)
        connection = self._connections.get(key)
        if connection is not None and connection.sock is not None and _dropped(connection.sock):
            connection.close()
        if connection is None:
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self.context)
            self._connections[key] = connection
        connection.timeout = timeout
        if connection.sock is None:
            where = "HTTPSConnection(host=%r, port=%d)" % (host, port)
            try:
                connection.connect()
            except ssl.SSLError as exc:
                connection.close()
                raise DirectTLSError("%s: %s" % (where, exc))
            except socket.timeout as exc:
                connection.close()
                raise DirectConnectError("%s: the connection timed out (connect timeout=%s): %s"
                                         % (where, timeout, exc), code="ConnectTimeout")
            except OSError as exc:
                connection.close()
                raise DirectConnectError("%s: Failed to establish a new connection: %s" % (where, exc))
        return connection

    def request(self, method, url, headers=None, timeout=None):
        """Send a request without a body; return a DirectResponse or raise a Direct*Error."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("only https URLs are sent directly: %s" % url)
        host = parts.hostname
        port = parts.port or 443
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        timeout = self.timeout if timeout is None else timeout
        connection = self._connection(host, port, timeout)
        sent_headers = {}
        if self.user_agent:
            sent_headers["User-Agent"] = self.user_agent
        for name, value in DEFAULT_HEADERS:
            sent_headers[name] = value
        lowered = dict((name.lower(), name) for name in sent_headers)
        for name, value in (headers or {}).items():
            if name.lower() in lowered:
                del sent_headers[lowered[name.lower()]]
            sent_headers[name] = value
        where = "HTTPSConnection(host=%r, port=%d)" % (host, port)
        try:
            connection.request(method, target, headers=sent_headers)
            answer = connection.getresponse()
            body = answer.read()
            pairs = answer.getheaders()
            status, reason = answer.status, answer.reason
            if answer.will_close:
                connection.close()
        except ssl.SSLError as exc:
            connection.close()
            raise DirectTLSError("%s: %s" % (where, exc))
        except socket.timeout as exc:
            connection.close()
            raise DirectTransportError("%s: Read timed out. (read timeout=%s): %s" % (where, timeout, exc),
                                       code="ReadTimeout")
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise DirectTransportError("%s: Connection aborted: %s" % (where, repr(exc)))
        response_headers = Headers(pairs)
        try:
            content = _decode(body, response_headers.get("Content-Encoding"))
        except zlib.error as exc:
            raise DirectTransportError("%s: the compressed answer could not be decoded: %s" % (where, exc))
        return DirectResponse(status, reason, response_headers, content, url)

    def close(self):
        for connection in self._connections.values():
            connection.close()
        self._connections = {}


def _dropped(sock):
    """True when a kept-alive connection was closed by the server (readable with nothing expected)."""
    try:
        readable, _w, _x = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
