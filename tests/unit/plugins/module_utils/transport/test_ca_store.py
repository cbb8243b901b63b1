"""The hashed CA directory: OpenSSL's subject hash computed without OpenSSL, the store's files and modes, its reuse,
concurrent builds, and a TLS handshake that trusts exactly the certificates it was built from."""
import datetime
import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._transport import ca_store
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.direct import (
    DirectClient, DirectTLSError, tls_context)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import certifi_bundle, system_bundle

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is the reference")
KEY = ec.generate_private_key(ec.SECP256R1())


def openssl_hash(pem):
    done = subprocess.run([OPENSSL, "x509", "-noout", "-subject_hash"], input=pem, capture_output=True, check=True)
    return int(done.stdout.strip(), 16)


def certificate(attributes):
    """A self-signed certificate whose subject holds ``attributes`` ((oid, value, ASN.1 type) triples, or lists of
    them for a multi-valued RDN); returns (PEM, DER)."""
    rdns = []
    for item in attributes:
        group = item if isinstance(item, list) else [item]
        rdns.append(x509.RelativeDistinguishedName([x509.NameAttribute(oid, value, _type=kind)
                                                    for oid, value, kind in group]))
    name = x509.Name(rdns)
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(KEY.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(KEY, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER)


def bundle_certificates():
    found = []
    for path in (certifi_bundle(), system_bundle()):
        if path:
            with open(path, "rb") as handle:
                found.extend(ca_store.pem_certificates(handle.read()))
    return found


@needs_openssl
def test_the_hash_of_every_trusted_certificate_is_openssls():
    found = bundle_certificates()
    assert len(found) > 100
    mismatches = [pem for pem, der in found if openssl_hash(pem) != ca_store.subject_hash(der)]
    assert mismatches == []


WHITESPACE = st.sampled_from([" ", "  ", "\t", " \t ", "\n"])
LETTERS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\\"+,;<>="),
                  min_size=1, max_size=12)
PRINTABLE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?",
                    min_size=1, max_size=12)
UNICODE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_categories=("Cs",)),
                  min_size=1, max_size=8)


@st.composite
def values(draw):
    """An attribute value with spaces around and inside, in one of the string types OpenSSL canonicalises."""
    kind = draw(st.sampled_from([_ASN1Type.UTF8String, _ASN1Type.PrintableString, _ASN1Type.IA5String,
                                 _ASN1Type.BMPString, _ASN1Type.T61String, _ASN1Type.UniversalString]))
    # (VisibleString is canonicalised too, but OpenSSL does not read a certificate with it in a Name at all.)
    if kind == _ASN1Type.PrintableString:
        text = draw(PRINTABLE)
    elif kind == _ASN1Type.IA5String:
        text = draw(LETTERS)
    else:
        text = draw(st.one_of(LETTERS, UNICODE))
    if draw(st.booleans()) and kind != _ASN1Type.PrintableString:
        text = draw(WHITESPACE) + text + draw(WHITESPACE)
    if kind == _ASN1Type.PrintableString and draw(st.booleans()):
        text = " " + text + "  "
    if kind == _ASN1Type.T61String:
        text = "".join(c for c in text if ord(c) < 256) or "x"
    return text, kind


OIDS = st.sampled_from([NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
                        NameOID.LOCALITY_NAME, NameOID.EMAIL_ADDRESS])


@st.composite
def subjects(draw):
    rdns = []
    for dummy in range(draw(st.integers(min_value=1, max_value=4))):
        members = []
        oids = draw(st.lists(OIDS, min_size=1, max_size=2, unique=True))  # two: a multi-valued RDN
        for oid in oids:
            text, kind = draw(values())
            if oid == NameOID.EMAIL_ADDRESS:
                kind = _ASN1Type.IA5String
                text = "".join(c for c in text if ord(c) < 128) or "a"
            members.append((oid, text, kind))
        rdns.append(members)
    return rdns


@needs_openssl
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subjects())
def test_the_hash_of_any_subject_is_openssls(subject):
    pem, der = certificate(subject)
    assert ca_store.subject_hash(der) == openssl_hash(pem)


def test_case_and_spaces_do_not_change_the_hash_but_letters_do():
    _pem, plain = certificate([(NameOID.COMMON_NAME, "Contoso Root CA", _ASN1Type.UTF8String)])
    _pem, spaced = certificate([(NameOID.COMMON_NAME, "  CONTOSO   root\tca ", _ASN1Type.BMPString)])
    _pem, other = certificate([(NameOID.COMMON_NAME, "Contoso Root CB", _ASN1Type.UTF8String)])
    assert ca_store.subject_hash(plain) == ca_store.subject_hash(spaced)
    assert ca_store.subject_hash(plain) != ca_store.subject_hash(other)


def write_bundle(path, pems):
    path.write_bytes(b"".join(pems))
    return str(path)


def test_the_store_holds_each_certificate_once_owner_only_and_is_reused(tmp_path):
    one = certificate([(NameOID.COMMON_NAME, "One", _ASN1Type.UTF8String)])
    two = certificate([(NameOID.COMMON_NAME, "Two", _ASN1Type.UTF8String)])
    first = write_bundle(tmp_path / "a.pem", [one[0], two[0]])
    second = write_bundle(tmp_path / "b.pem", [two[0]])  # a duplicate across files
    parent = str(tmp_path / "state" / "ca")
    store = ca_store.build_store([first, second], parent)
    names = sorted(n for n in os.listdir(store) if not n.startswith("."))
    assert names == sorted("%08x.0" % ca_store.subject_hash(der) for _pem, der in (one, two))
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(os.path.join(store, n)).st_mode) == 0o600 for n in names)
    before = dict((n, os.stat(os.path.join(store, n)).st_mtime_ns) for n in names)
    assert ca_store.build_store([first, second], parent) == store
    assert dict((n, os.stat(os.path.join(store, n)).st_mtime_ns) for n in names) == before
    # Another content is another store; nothing half-built is left behind.
    third = write_bundle(tmp_path / "c.pem", [one[0]])
    assert ca_store.build_store([third], parent) != store
    assert [n for n in os.listdir(parent) if n.startswith(".building")] == []


def test_two_subjects_with_the_same_hash_get_numbered_files(tmp_path):
    # The same subject (so the same hash) with two keys: a renewed CA next to the old one.
    other_key = ec.generate_private_key(ec.SECP256R1())
    pem_a, der_a = certificate([(NameOID.COMMON_NAME, "Same", _ASN1Type.UTF8String)])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Same")])
    now = datetime.datetime(2026, 1, 1)
    cert_b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(other_key.public_key())
              .serial_number(2).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
              .sign(other_key, hashes.SHA256()))
    pem_b = cert_b.public_bytes(serialization.Encoding.PEM)
    store = ca_store.build_store([write_bundle(tmp_path / "a.pem", [pem_a, pem_b])], str(tmp_path / "ca"))
    value = ca_store.subject_hash(der_a)
    assert sorted(n for n in os.listdir(store) if not n.startswith(".")) == ["%08x.0" % value, "%08x.1" % value]


def test_a_certificate_this_code_cannot_read_keeps_the_pem_bundle(tmp_path):
    bad = b"-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"
    path = write_bundle(tmp_path / "bad.pem", [certificate([(NameOID.COMMON_NAME, "Ok", _ASN1Type.UTF8String)])[0], bad])
    assert ca_store.build_store([path], str(tmp_path / "ca")) is None
    assert not os.path.exists(str(tmp_path / "ca")) or os.listdir(str(tmp_path / "ca")) == []


def test_concurrent_builds_agree_on_one_complete_store(tmp_path):
    paths = [p for p in (certifi_bundle(), system_bundle()) if p]
    parent = str(tmp_path / "ca")
    results = []
    threads = [threading.Thread(target=lambda: results.append(ca_store.build_store(paths, parent))) for dummy in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0]
    assert [n for n in os.listdir(parent) if n.startswith(".building")] == []
    assert len([n for n in os.listdir(results[0]) if not n.startswith(".")]) == len(
        set(der for _pem, der in bundle_certificates()))


def test_a_store_not_owner_only_is_not_trusted_as_built(tmp_path):
    paths = [certifi_bundle()]
    parent = str(tmp_path / "ca")
    store = ca_store.build_store(paths, parent)
    os.chmod(store, 0o755)
    with pytest.raises(OSError):
        # Its name is taken by a directory others could have written to: it is neither used nor replaced.
        ca_store.build_store(paths, parent)


def test_the_store_trusts_the_sandbox_only_when_built_with_its_ca(graph_sandbox, tmp_path):
    host, port = "127.0.0.1", int(graph_sandbox.base_url.rsplit(":", 1)[1].split("/")[0])
    url = "https://%s:%d/_sandbox/health" % (host, port)
    with_ca = ca_store.build_store([certifi_bundle(), graph_sandbox.ca_path], str(tmp_path / "ca"))
    answer = DirectClient(tls_context(capath=with_ca), timeout=10).request("GET", url)
    assert answer.status_code == 200
    without = ca_store.build_store([certifi_bundle()], str(tmp_path / "ca"))
    with pytest.raises(DirectTLSError) as caught:
        DirectClient(tls_context(capath=without), timeout=10).request("GET", url)
    assert "certificate verify failed" in str(caught.value) and caught.value.code == "SSLError"
    # The same two stores as seen by the standard library alone.
    for store, works in ((with_ca, True), (without, False)):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(capath=store)
        try:
            with socket.create_connection((host, port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=host):
                    handshake = True
        except ssl.SSLError:
            handshake = False
        assert handshake is works
