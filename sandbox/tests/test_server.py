"""The HTTPS listener: TLS, headers every response carries, keep-alive, shutdown."""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509

from tenantguard_sandbox.testing import running_sandbox


def connection(sb, host="127.0.0.1"):
    context = ssl.create_default_context(cafile=sb.ca_path)
    return http.client.HTTPSConnection(host, sb.port, context=context, timeout=10)


def test_certificate_names_and_ca(sandbox):
    with open(os.path.join(sandbox.state_dir, "server.pem"), "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    for host in ("127.0.0.1", "localhost"):
        conn = connection(sandbox, host)
        conn.request("GET", "/_sandbox/health")
        assert conn.getresponse().status == 200
        conn.close()
    untrusting = ssl.create_default_context()
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as raw:
            untrusting.wrap_socket(raw, server_hostname="127.0.0.1")


def test_headers_on_every_response_and_keep_alive(sandbox):
    token = sandbox.token()
    conn = connection(sandbox)
    conn.request("GET", "/v1.0/users?$top=2", headers={"Authorization": "Bearer " + token,
                                                      "client-request-id": "aaaaaaaa-0000-0000-0000-000000000001"})
    first = conn.getresponse()
    body = first.read()
    sock = conn.sock
    assert first.status == 200
    assert first.getheader("client-request-id") == "aaaaaaaa-0000-0000-0000-000000000001"
    assert first.getheader("request-id") and first.getheader("Date")
    assert first.getheader("Content-Type").startswith("application/json")
    assert int(first.getheader("Content-Length")) == len(body)
    conn.request("GET", "/v1.0/nowhere", headers={"Authorization": "Bearer " + token})
    second = conn.getresponse()
    error = json.loads(second.read())
    assert conn.sock is sock, "the connection was not kept alive"
    assert second.status == 400
    assert second.getheader("client-request-id") == second.getheader("request-id")
    assert error["error"]["innerError"]["client-request-id"] == second.getheader("request-id")
    conn.request("PATCH", "/v1.0/identity/conditionalAccess/policies/none", body=b"{}",
                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    third = conn.getresponse()
    third.read()
    assert third.status == 404 and conn.sock is sock
    conn.close()


def test_chunked_request_body(sandbox):
    conn = connection(sandbox)
    body = json.dumps({"grant_type": "client_credentials"}).encode()
    conn.putrequest("POST", "/_sandbox/faults")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    payload = json.dumps({"rules": []}).encode()
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
    response = conn.getresponse()
    response.read()
    assert response.status == 405  # POST is not a method of /_sandbox/faults, but the body was read
    conn.request("GET", "/_sandbox/health")
    assert conn.getresponse().status == 200
    conn.close()
    del body


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown(tmp_path, signum):
    with running_sandbox(tmp_path / "s") as sb:
        sb.process.send_signal(signum)
        assert sb.process.wait(10) == 0
        assert not os.path.exists(os.path.join(sb.state_dir, "server.json"))
        with open(os.path.join(sb.state_dir, "server.log")) as handle:
            assert "stopped" in handle.read()


def test_second_start_reuses_keys_and_certificates(tmp_path):
    """What makes a restart cheap: the CA, the server certificate and the signing key are made once and
    reused, not made again (the start-up time itself is a figure of bench/bench_sandbox_startup.py)."""
    names = ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "signing-key.pem", "signing-cert.pem")
    with running_sandbox(tmp_path / "s") as sb:
        first = {name: (tmp_path / "s" / name).read_bytes() for name in names}
        assert sb.session().get(sb.base_url + "/_sandbox/health", timeout=30).json()["seedApplied"] is False
    with running_sandbox(tmp_path / "s"):
        assert {name: (tmp_path / "s" / name).read_bytes() for name in names} == first


def test_port_in_use_fails_clearly(sandbox, tmp_path):
    result = subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "serve", "--port", str(sandbox.port),
                             "--state-dir", str(tmp_path / "s")], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "Address already in use" in result.stderr or "in use" in result.stderr


def test_concurrent_clients(sandbox):
    token = sandbox.token()

    def worker(index):
        session = sandbox.session()
        statuses = []
        for round_ in range(8):
            path = ("/v1.0/users?$top=5", "/v1.0/groups", "/beta/identity/conditionalAccess/templates")[round_ % 3]
            statuses.append(session.get(sandbox.base_url + path, headers={"Authorization": "Bearer " + token},
                                        timeout=30).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [s for batch in pool.map(worker, range(16)) for s in batch]
    assert results == [200] * 128
