"""TLS and endpoints: an untrusted certificate, a certificate for another host name and an http endpoint, for
the sign-in, Graph and Exchange endpoints, each fail clearly, naming the endpoint option and what to do; an
http endpoint is refused before any connection; nothing turns verification off (no option, no environment
variable).

The sandbox serves sign-in (so that the Graph and Exchange cases get a token); the endpoint under test is a
small TLS server started by the test, with a certificate of another CA or for another host name, which records
every connection and every byte it receives, so the tests can show that no request (and no token) reached it.
"""
import ast
import datetime
import ipaddress
import re
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
VERIFY_OFF = re.compile(r"(validate|verify|insecure|skip|ignore|disable|allow).*(cert|tls|ssl|verif|host)|"
                        r"^(verify|insecure|validate_certs|no_verify|ssl_verify|tls_verify)$", re.IGNORECASE)


# -- certificates and small servers -------------------------------------------------------------------------
def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name="Another CA"):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert, dns_names=(), addresses=()):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (x509.CertificateBuilder().subject_name(_name((list(dns_names) + list(addresses))[0]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def write_pem(path, cert=None, key=None):
    data = b""
    if cert is not None:
        data += cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    path.write_bytes(data)
    path.chmod(0o600)
    return str(path)


class RecordingServer:
    """A listener on 127.0.0.1 that records connections, completed TLS handshakes and the bytes received.

    With ``tls`` (a server SSLContext) it speaks TLS and answers any request with an empty JSON object;
    without, it is a plain TCP listener that only records (for the http:// cases, where nothing may connect)."""

    def __init__(self, tls=None):
        self.tls = tls
        self.connections = 0
        self.handshakes = 0
        self.received = b""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.settimeout(5)
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                    self.handshakes += 1
                data = conn.recv(65536)
                self.received += data
                if data and self.tls is not None:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                                 b"Connection: close\r\n\r\n{}")
            except (ssl.SSLError, OSError):
                pass
            finally:
                try:
                    conn.close()
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        self.thread.join(timeout=2)
        self.sock.close()


def tls_server(tmp_path, name, ca_key, ca_cert, dns_names=(), addresses=()):
    key, cert = make_server_cert(ca_key, ca_cert, dns_names, addresses)
    chain = write_pem(tmp_path / ("%s.pem" % name), cert=cert, key=key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return RecordingServer(context)


@pytest.fixture
def servers(graph_sandbox, tmp_path):
    """untrusted: a certificate for 127.0.0.1 from a CA nobody trusts; wrong_name: a certificate from the
    sandbox's (trusted) CA for another host name; plain: a TCP listener for the http:// cases."""
    other_key, other_cert = make_ca()
    sandbox_dir = Path(graph_sandbox.state_dir)
    sandbox_ca = x509.load_pem_x509_certificate((sandbox_dir / "ca.pem").read_bytes())
    sandbox_ca_key = serialization.load_pem_private_key((sandbox_dir / "ca-key.pem").read_bytes(), password=None)
    made = {
        "untrusted": tls_server(tmp_path, "untrusted", other_key, other_cert, ["localhost"], ["127.0.0.1"]),
        "wrong_name": tls_server(tmp_path, "wrong-name", sandbox_ca_key, sandbox_ca, ["graph.tenantguard.invalid"]),
        "plain": RecordingServer(),
    }
    made["other_ca"] = write_pem(tmp_path / "other-ca.pem", cert=other_cert)
    yield made
    for server in made.values():
        if isinstance(server, RecordingServer):
            server.close()


# -- the cases -----------------------------------------------------------------------------------------------
def cases(graph_sandbox, servers):
    """(name, module, args, words the message must hold, server that must see no request)."""
    untrusted = "https://127.0.0.1:%d" % servers["untrusted"].port
    wrong_name = "https://127.0.0.1:%d" % servers["wrong_name"].port
    plain = "http://127.0.0.1:%d" % servers["plain"].port
    graph = ("graph_request", {"path": "/organization"})
    exchange = ("mobile_device_info", {"source": "exchange"})
    return [
        ("login untrusted", graph, {"login_endpoint": untrusted},
         ["login_endpoint", "certificate", "ca_bundle"], "untrusted"),
        ("login wrong host name", graph, {"login_endpoint": wrong_name},
         ["login_endpoint", "host name", "ca_bundle"], "wrong_name"),
        ("login http", graph, {"login_endpoint": plain}, ["login_endpoint", "https", plain], "plain"),
        ("graph untrusted", graph, {"graph_endpoint": untrusted},
         ["graph_endpoint", "certificate", "ca_bundle"], "untrusted"),
        ("graph wrong host name", graph, {"graph_endpoint": wrong_name},
         ["graph_endpoint", "host name", "ca_bundle"], "wrong_name"),
        ("graph http", graph, {"graph_endpoint": plain}, ["graph_endpoint", "https", plain], "plain"),
        ("exchange untrusted", exchange, {"exchange_endpoint": untrusted},
         ["exchange_endpoint", "certificate", "ca_bundle"], "untrusted"),
        ("exchange wrong host name", exchange, {"exchange_endpoint": wrong_name},
         ["exchange_endpoint", "host name", "ca_bundle"], "wrong_name"),
        ("exchange http", exchange, {"exchange_endpoint": plain}, ["exchange_endpoint", "https", plain], "plain"),
        ("ca_bundle of another CA", graph, {"ca_bundle": servers["other_ca"], "token_cache": "none"},
         ["login_endpoint", "certificate", "ca_bundle"], None),
    ]


def playbook(tmp_path, tasks):
    body = [{"name": "TLS and endpoints", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": tasks + [{"name": "Save the answers", "ansible.builtin.copy": {
                 "content": "{{ dict(tls_names | zip(query('ansible.builtin.vars', *tls_names))) | to_json }}",
                 "dest": "{{ out_dir }}/tls.json", "mode": "0600"}, "vars": {"tls_names": [
                     t["register"] for t in tasks]}}]}]
    path = tmp_path / "tls.yml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return str(path)


def module_task(index, module, args):
    return {"name": "case %d" % index, "tenantguard.m365." + module: args, "register": "tls_%02d" % index,
            "ignore_errors": True}


def test_untrusted_wrong_name_and_http_endpoints_fail_clearly_and_send_nothing(
        run_playbook, graph_sandbox, servers, tmp_path):
    table = cases(graph_sandbox, servers)
    tasks = [module_task(i, module, dict(base, **extra)) for i, (_n, (module, base), extra, _w, _s) in enumerate(table)]
    since = len(graph_sandbox.requests())
    run = run_playbook(playbook(tmp_path, tasks))
    assert run.rc == 0, run
    answers = run.output("tls")
    secret = graph_sandbox.env["AZURE_CLIENT_SECRET"]
    problems = {}
    for index, (name, _module, _extra, words, _server) in enumerate(table):
        answer = answers["tls_%02d" % index]
        message = str(answer.get("msg", ""))
        found = [] if answer.get("failed") else ["did not fail"]
        found += ["message lacks %r" % w for w in words if w not in message]
        if "Traceback (most recent call last)" in str(answer):
            found.append("traceback")
        if secret in str(answer):
            found.append("the client secret is in the answer")
        if found:
            problems[name] = found + [message]
    assert problems == {}, problems
    # No request reached a server that was not trusted, nor one named differently: the handshake failed before
    # the client sent anything (so no secret, no token). Nothing connected to the http:// endpoints at all.
    assert servers["untrusted"].connections > 0 and servers["wrong_name"].connections > 0
    assert servers["untrusted"].received == b"" and servers["wrong_name"].received == b""
    assert servers["plain"].connections == 0
    # The sign-in endpoint was asked only by the Graph and Exchange cases, which then failed on their endpoint.
    rows = graph_sandbox.requests()[since:]
    assert [r for r in rows if r["service"] in ("graph", "exchange")] == []


def test_environment_variables_neither_break_nor_replace_the_trust(run_playbook, graph_sandbox, servers, tmp_path):
    """REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE pointing to another CA change nothing: the sandbox is
    still trusted through ca_bundle; and pointing them to the sandbox's CA does not make it trusted without it."""
    bad = {"REQUESTS_CA_BUNDLE": servers["other_ca"], "CURL_CA_BUNDLE": servers["other_ca"],
           "SSL_CERT_FILE": servers["other_ca"]}
    tasks = [module_task(0, "graph_request", {"path": "/organization"})]
    run = run_playbook(playbook(tmp_path, tasks), env=bad)
    assert run.rc == 0, run
    answer = run.output("tls")["tls_00"]
    assert not answer.get("failed") and answer["status"] == 200, answer
    sandbox_ca = graph_sandbox.ca_path
    only_env = {"REQUESTS_CA_BUNDLE": sandbox_ca, "CURL_CA_BUNDLE": sandbox_ca, "SSL_CERT_FILE": sandbox_ca,
                "TENANTGUARD_CA_BUNDLE": ""}
    run = run_playbook(playbook(tmp_path, tasks), env=only_env)
    assert run.rc == 0, run
    answer = run.output("tls")["tls_00"]
    assert answer.get("failed"), answer
    assert "certificate" in answer["msg"] and "ca_bundle" in answer["msg"], answer["msg"]
    assert "REQUESTS_CA_BUNDLE" in answer["msg"], answer["msg"]


def test_no_option_turns_verification_off():
    """No module option and no connection option is a switch for certificate or host name checks, and the
    session refuses verify=False."""
    import importlib

    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import CONNECTION_OPTIONS
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import build_session

    names = [option.name for option in CONNECTION_OPTIONS]
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module("ansible_collections.tenantguard.m365.plugins.modules." + path.stem)
        source = path.read_text(encoding="utf-8")
        documented = yaml.safe_load(module.DOCUMENTATION)
        names += walk_options(documented.get("options") or {})
        names += re.findall(r"\b(\w+)=dict\(", source)
        assert turns_verification_off(source) == [], path.name
    for fragment in sorted((REPO / "plugins" / "doc_fragments").glob("*.py")):
        text = fragment.read_text(encoding="utf-8")
        for block in re.findall(r"DOCUMENTATION = r?'''(.*?)'''", text, re.S):
            names += walk_options((yaml.safe_load(block) or {}).get("options") or {})
    assert len(names) > 100
    offending = sorted(set(n for n in names if VERIFY_OFF.search(n) and n not in NOT_TLS))
    assert offending == [], offending
    for source in sorted((REPO / "plugins" / "module_utils").glob("*.py")):
        assert turns_verification_off(source.read_text(encoding="utf-8")) == [], source.name
    session = build_session()
    assert session.verify and session.trust_env is False
    with pytest.raises(Exception):
        session.request("GET", "https://127.0.0.1:9/", verify=False)


# Option names the pattern matches that have nothing to do with TLS: mobile_device_mailbox_policy's
# AllowSMIMESoftCerts allows S/MIME software certificates on a phone (Exchange ActiveSync policy).
NOT_TLS = frozenset(["allow_smime_soft_certs"])


def turns_verification_off(source):
    """Code (not text) that switches a check off: verify=False / check_hostname=False as an argument or an
    assignment, ssl.CERT_NONE, an unverified context."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in ("verify", "check_hostname", "validate_certs") \
                and isinstance(node.value, ast.Constant) and node.value.value is False:
            found.append("%s=False" % node.arg)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is False:
            found += ["%s = False" % t.attr for t in node.targets
                      if isinstance(t, ast.Attribute) and t.attr in ("verify", "check_hostname")]
        if isinstance(node, (ast.Attribute, ast.Name)) and getattr(node, "attr", getattr(node, "id", None)) in (
                "CERT_NONE", "_create_unverified_context", "_create_default_https_context"):
            found.append(getattr(node, "attr", getattr(node, "id", None)))
    return found


def test_the_source_scan_finds_what_it_looks_for():
    assert turns_verification_off("s.request('GET', u, verify=False)") == ["verify=False"]
    assert turns_verification_off("ctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE") == [
        "check_hostname = False", "CERT_NONE"]
    assert turns_verification_off('"""never verify=False"""\nx = 1') == []


def walk_options(options, prefix=""):
    names = []
    for name, spec in options.items():
        names.append(name)
        names.extend((spec.get("aliases") or []) if isinstance(spec, dict) else [])
        if isinstance(spec, dict) and spec.get("suboptions"):
            names += walk_options(spec["suboptions"], name + ".")
    return names


def test_the_recording_server_would_see_a_request_it_was_sent(servers, tmp_path):
    """The servers record what they receive: a client that trusts the other CA gets through and is seen, so an
    empty record above means nothing was sent, not that nothing could be recorded."""
    context = ssl.create_default_context(cafile=servers["other_ca"])
    with socket.create_connection(("127.0.0.1", servers["untrusted"].port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert conn.recv(100).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 5
    while servers["untrusted"].received == b"" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert servers["untrusted"].received.startswith(b"GET / HTTP/1.1")
