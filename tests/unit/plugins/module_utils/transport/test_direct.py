"""The standard-library path of the session: which requests take it, that it verifies as the requests path does, and
that its answers and failures read the same to the clients above it."""
import gzip
import socket
import ssl
import sys
import threading
import zlib

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport import direct, http
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.direct import (
    DirectClient, DirectConnectError, DirectResponse, DirectTLSError, Headers, tls_context)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProxyRecorder:
    """A TCP listener that records what a client sends it and closes (a proxy that refuses everything)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.received += conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.fixture
def no_proxy_variables(monkeypatch):
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy",
                 "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_plain_get_goes_direct_and_anything_else_through_requests(clients, no_proxy_variables):
    built = clients()
    session = built.graph.session
    assert built.graph.get("/users", query={"$top": 1})["value"]
    assert session.sent == {"direct": 1, "requests": 0}
    assert http.Session.goes_direct("GET", "https://h/x", {"headers": {}, "timeout": 5, "data": None})
    for method, url, kwargs in (("POST", "https://h/x", {}), ("GET", "https://h/x", {"data": b"{}"}),
                                ("GET", "https://h/x", {"params": {"a": 1}}), ("PATCH", "https://h/x", {}),
                                ("GET", "http://h/x", {}), ("GET", "https://h/x", {"allow_redirects": False})):
        assert not http.Session.goes_direct(method, url, kwargs), (method, url, kwargs)


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_with_a_proxy_variable_every_request_goes_through_requests_and_its_proxy(clients, no_proxy_variables,
                                                                                 variable):
    proxy = ProxyRecorder()
    try:
        no_proxy_variables.setenv(variable, "http://127.0.0.1:%d" % proxy.port)
        built = clients(retry=RetryPolicy(max_attempts=1))
        assert not http.Session.goes_direct("GET", built.settings.graph_endpoint + "/v1.0/users", {})
        with pytest.raises(Exception):  # the proxy refuses: sign-in (MSAL, through requests) fails first
            built.graph.get("/users")
        assert proxy.received.startswith(b"CONNECT 127.0.0.1:")
    finally:
        proxy.close()


def test_no_proxy_still_decides_on_the_requests_path(clients, no_proxy_variables):
    proxy = ProxyRecorder()
    try:
        no_proxy_variables.setenv("HTTPS_PROXY", "http://127.0.0.1:%d" % proxy.port)
        no_proxy_variables.setenv("NO_PROXY", "127.0.0.1,localhost")
        built = clients()
        assert built.graph.get("/users", query={"$top": 1})["value"]
        assert built.graph.session.sent["direct"] == 0 and built.graph.session.sent["requests"] >= 1
        assert proxy.received == b""
    finally:
        proxy.close()


def test_a_direct_answer_reads_like_a_requests_answer(clients, no_proxy_variables):
    """(That a cached-token task imports no requests at all is proven in a fresh process by
    tests/unit/plugins/modules/test_cached_token_imports.py.)"""
    built = clients()
    built.tokens.token(built.settings.graph_scope)
    response = built.graph.session.request("GET", built.settings.graph_endpoint + "/v1.0/organization",
                                           headers={"Authorization": "Bearer " + built.tokens.token(
                                               built.settings.graph_scope)})
    assert isinstance(response, DirectResponse) and response.status_code == 200
    assert response.json()["value"]
    assert response.headers.get("CONTENT-TYPE").startswith("application/json")


def test_an_untrusted_server_fails_the_handshake_before_anything_is_sent(graph_sandbox, clients, no_proxy_variables):
    built = clients(ca_bundle=None, token_cache="none")
    url = graph_sandbox.base_url + "/v1.0/users"
    with pytest.raises(DirectTLSError) as caught:
        built.graph.session.request("GET", url, headers={"Authorization": "Bearer x"})
    assert caught.value.code == "SSLError" and caught.value.not_sent
    assert "certificate verify failed" in str(caught.value)


def test_the_graph_client_reports_a_direct_tls_failure_as_it_reports_requests(
        graph_sandbox, clients, no_proxy_variables):
    built = clients()
    built.tokens.token(built.settings.graph_scope)  # signed in through requests, trusting the sandbox
    # The same session with a direct client that lacks the sandbox's CA.
    built.graph.session._direct = DirectClient(tls_context(cafile=http.certifi_bundle()), timeout=10)
    with pytest.raises(GraphError) as caught:
        built.graph.get("/users")
    message = caught.value.describe()
    assert caught.value.code == "SSLError"
    assert "graph_endpoint" in message and "not trusted" in message and "ca_bundle" in message, message
    assert "cannot be turned off" in message


def test_a_refused_connection_is_retried_then_reported(clients, no_proxy_variables):
    built = clients(retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02))
    built.tokens.token(built.settings.graph_scope)
    port = free_port()
    built.graph.base_url = "https://127.0.0.1:%d" % port
    built.graph._origin = built.graph._origin_of(built.graph.base_url)
    with pytest.raises(GraphError) as caught:
        built.graph.get("/users")
    error = caught.value
    assert error.code == "ConnectionError" and error.attempts == 3
    assert "Connection refused" in error.describe()
    assert http.surely_not_sent(DirectConnectError("x"))


def test_verification_cannot_be_switched_off_on_the_direct_path():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="cannot be switched off"):
        DirectClient(context)
    with pytest.raises(ValueError):
        tls_context()
    session = http.build_session()
    with pytest.raises(ValueError, match="cannot be switched off"):
        session.request("GET", "https://127.0.0.1:9/", verify=False)


def test_the_context_verifies_as_urllib3s_does():
    context = tls_context(cafile=http.certifi_bundle())
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_COMPRESSION and context.options & ssl.OP_NO_TICKET
    assert context.hostname_checks_common_name is False


def test_a_redirect_is_left_to_requests():
    moved = DirectResponse(302, "Found", Headers([("Location", "https://elsewhere/")]), b"", "https://h/x")
    assert moved.is_redirect
    assert not DirectResponse(200, "OK", Headers(), b"{}", "https://h/x").is_redirect


def test_a_closed_kept_alive_connection_is_noticed():
    left, right = socket.socketpair()
    try:
        assert direct._dropped(left) is False
        right.close()
        assert direct._dropped(left) is True
    finally:
        left.close()


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=20)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(NAMES, st.text(max_size=20)), max_size=8))
def test_headers_are_found_whatever_their_case(pairs):
    headers = Headers(pairs)
    for name, _value in pairs:
        assert headers.get(name.upper()) == headers.get(name.lower()) == headers[name]
        assert name.swapcase() in headers
    assert len(headers) == len(set(name.lower() for name, _value in pairs))
    assert headers.get("not-a-header-name-with-digits-0") is None


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["gzip", "deflate", "raw-deflate", "identity"]))
def test_compressed_answers_are_decoded(body, encoding):
    if encoding == "gzip":
        sent = gzip.compress(body)
    elif encoding == "deflate":
        sent = zlib.compress(body)
    elif encoding == "raw-deflate":
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        sent = compressor.compress(body) + compressor.flush()
        encoding = "deflate"
    else:
        sent = body
    assert direct._decode(sent, encoding) == body


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=5),
       st.sampled_from(["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
                        "text/plain; charset=\"latin-1\""]))
def test_bodies_read_as_requests_reads_them(document, content_type):
    import json
    encoding = "latin-1" if "latin" in content_type else "utf-8"
    text = json.dumps(document, ensure_ascii=False)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8")
        content_type = "application/json"
    response = DirectResponse(200, "OK", Headers([("Content-Type", content_type)]), raw, "https://h/x")
    assert response.json() == document


def test_no_request_module_is_needed_to_classify_direct_failures():
    assert http.transport_failure(DirectTLSError("x")) == http.TLS_FAILURE
    assert http.transport_failure(DirectConnectError("x")) == http.TRANSPORT_FAILURE
    assert http.transport_failure(ValueError("x")) is None
    import requests  # once imported (by the requests path), its exceptions are classified too
    assert "requests" in sys.modules
    assert http.transport_failure(requests.exceptions.SSLError("x")) == http.TLS_FAILURE
    assert http.transport_failure(requests.exceptions.ReadTimeout("x")) == http.TRANSPORT_FAILURE
    assert http.surely_not_sent(requests.exceptions.ConnectTimeout("x"))
