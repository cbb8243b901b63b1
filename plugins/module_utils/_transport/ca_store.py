# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the trusted certificate authorities as a hashed directory, cheap to load.

Not a public API.

Loading one PEM bundle (``SSLContext.load_verify_locations(cafile=...)``) makes OpenSSL parse every
certificate in it (about 280 for certifi's and the system's together) in every process, before the
first handshake. A hashed directory (``capath``, the layout ``openssl rehash`` writes: one certificate
per file, named ``<subject hash>.<n>``) is searched during the handshake instead, and OpenSSL reads only
the one or two certificates whose subject is the issuer it looks for. The trusted set is the same: every
certificate of the bundles, nothing else.

The directory is built once per distinct content of the bundles (its name is the SHA-256 of that
content, so a changed ``ca_bundle`` or an updated certifi gets a new one), owner-only (0700, files
0600), in the state directory next to the token cache, built in a temporary sibling and renamed into
place whole, so that a concurrent process sees either no directory or a complete one.

The subject hash is OpenSSL's ``X509_NAME_hash_ex`` (``openssl x509 -subject_hash``): the first four
bytes, little-endian, of the SHA-1 of the subject's canonical encoding (``x509_name_canon`` in OpenSSL's
``crypto/x509/x_name.c``): each attribute value of a string type re-encoded as a UTF8String, with leading
and trailing white space removed, inner runs of white space collapsed to one space and ASCII letters
lower-cased; other values kept as they are; each relative distinguished name encoded as a DER ``SET``,
the sets concatenated without the outer ``SEQUENCE``. A certificate this code cannot read makes
``build_store`` return None, and the caller keeps the PEM bundle (the behaviour before this store).
"""

import base64
import binascii
import hashlib
import os
import re
import shutil
import tempfile

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    PrivateFileError, ensure_private_dir)

STORE_VERSION = "1"
_PEM = re.compile(rb"-----BEGIN (CERTIFICATE|TRUSTED CERTIFICATE)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_COMPLETE = ".complete"

# ASN.1 universal tags (X.680)
_SEQUENCE = 0x30
_SET = 0x31
# String types OpenSSL canonicalises (ASN1_MASK_CANON) and how to read their bytes.
_STRING_CODECS = {
    0x0C: "utf-8",      # UTF8String
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
    0x13: "latin-1",    # PrintableString
    0x14: "latin-1",    # T61String (OpenSSL reads it one byte per character)
    0x16: "latin-1",    # IA5String
    0x1A: "latin-1",    # VisibleString
}
_UTF8STRING = 0x0C
_WHITESPACE = b" \t\n\v\f\r"
_WHITESPACE_RUN = re.compile(rb"[ \t\n\v\f\r]+")


class CertificateFormatError(ValueError):
    """A certificate whose DER this module cannot read."""


def _read_tlv(data, pos):
    """``(tag, content start, end)`` of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise CertificateFormatError("truncated element")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise CertificateFormatError("multi-byte tags are not used in certificates")
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise CertificateFormatError("unsupported length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise CertificateFormatError("element longer than its container")
    return tag, start, end


def _children(data, start, end):
    """The DER elements between ``start`` and ``end``, as ``(tag, content start, end)``."""
    items = []
    pos = start
    while pos < end:
        tag, content, stop = _read_tlv(data, pos)
        items.append((tag, pos, content, stop))
        pos = stop
    if pos != end:
        raise CertificateFormatError("elements overrun their container")
    return items


def _encode_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag, content):
    return bytes([tag]) + _encode_length(len(content)) + content


def subject_name_der(der):
    """The DER of the certificate's subject ``Name`` (a SEQUENCE)."""
    tag, start, end = _read_tlv(der, 0)
    if tag != _SEQUENCE:
        raise CertificateFormatError("not a certificate")
    tag, tbs_start, tbs_end = _read_tlv(der, start)
    if tag != _SEQUENCE:
        raise CertificateFormatError("no tbsCertificate")
    fields = _children(der, tbs_start, tbs_end)
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(fields) < 5 or fields[4][0] != _SEQUENCE:
        raise CertificateFormatError("no subject")
    _tag, pos, _content, stop = fields[4]
    return der[pos:stop]


def canonical_value(tag, value):
    """OpenSSL's canonical form of one attribute value (``asn1_string_canon``), as DER."""
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        return _tlv(tag, value)
    try:
        text = value.decode(codec).encode("utf-8")
    except UnicodeError:
        raise CertificateFormatError("an attribute value is not valid %s" % codec)
    text = _WHITESPACE_RUN.sub(b" ", text.strip(_WHITESPACE)).lower()  # bytes.lower: ASCII letters only
    return _tlv(_UTF8STRING, text)


def canonical_name(name_der):
    """The canonical encoding of a DER ``Name`` (``x509_name_canon``): the hashed bytes."""
    tag, start, end = _read_tlv(name_der, 0)
    if tag != _SEQUENCE:
        raise CertificateFormatError("a Name is a SEQUENCE")
    out = []
    for rdn_tag, _pos, rdn_start, rdn_end in _children(name_der, start, end):
        if rdn_tag != _SET:
            raise CertificateFormatError("a relative distinguished name is a SET")
        members = []
        for ava_tag, _p, ava_start, ava_end in _children(name_der, rdn_start, rdn_end):
            if ava_tag != _SEQUENCE:
                raise CertificateFormatError("an attribute is a SEQUENCE")
            parts = _children(name_der, ava_start, ava_end)
            if len(parts) != 2 or parts[0][0] != 0x06:
                raise CertificateFormatError("an attribute is a type and a value")
            oid = name_der[parts[0][1]:parts[0][3]]
            value_tag, _q, value_start, value_end = parts[1]
            members.append(_tlv(_SEQUENCE, oid + canonical_value(value_tag, name_der[value_start:value_end])))
        out.append(_tlv(_SET, b"".join(sorted(members))))  # DER orders the members of a SET OF
    return b"".join(out)


def subject_hash(der):
    """``openssl x509 -subject_hash`` of a DER certificate, as an int."""
    digest = hashlib.sha1(canonical_name(subject_name_der(der))).digest()  # nosec - OpenSSL's file naming, not security
    return int.from_bytes(digest[:4], "little")


def pem_certificates(content):
    """``(pem block, certificate DER)`` of every certificate in a PEM text (bytes), in order."""
    found = []
    for match in _PEM.finditer(content):
        try:
            der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            raise CertificateFormatError("a PEM block is not base64")
        if match.group(1) == b"TRUSTED CERTIFICATE":
            # OpenSSL's trusted form: the certificate followed by its trust settings; the hash is of the certificate.
            _tag, _start, end = _read_tlv(der, 0)
            cert = der[:end]
        else:
            cert = der
        found.append((match.group(0) + b"\n", cert))
    return found


def read_bundles(paths):
    """The bytes of the PEM files, in order (what names the store)."""
    parts = []
    for path in paths:
        with open(path, "rb") as handle:
            parts.append(handle.read())
    return parts


def store_name(contents):
    digest = hashlib.sha256(STORE_VERSION.encode("ascii"))
    for content in contents:
        digest.update(hashlib.sha256(content).digest())
    return "store-%s" % digest.hexdigest()[:32]


def _is_complete_store(path):
    """A directory of this user, not a symbolic link, 0700, with the completion marker."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o077:
        return False
    return os.path.isfile(os.path.join(path, _COMPLETE))


def write_store(directory, certificates):
    """Write the certificates (PEM block, DER) as ``<hash>.<n>`` files into ``directory``; duplicates once."""
    seen = set()
    counts = {}
    for pem, der in certificates:
        if der in seen:
            continue
        seen.add(der)
        value = subject_hash(der)
        index = counts.get(value, 0)
        counts[value] = index + 1
        path = os.path.join(directory, "%08x.%d" % (value, index))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return len(seen)


def build_store(paths, parent):
    """Path of the hashed directory for the PEM files ``paths`` under ``parent``, built if missing.

    Returns None when a certificate cannot be read (the caller then keeps the PEM bundle). Raises
    PrivateFileError or OSError when ``parent`` cannot be used."""
    contents = read_bundles(paths)
    target = os.path.join(parent, store_name(contents))
    if _is_complete_store(target):
        return target
    try:
        certificates = []
        for content in contents:
            certificates.extend(pem_certificates(content))
        if not certificates:
            return None
        # Every hash first: nothing is written for a bundle this module cannot read.
        for _pem, der in certificates:
            subject_hash(der)
    except CertificateFormatError:
        return None
    ensure_private_dir(parent)
    building = tempfile.mkdtemp(prefix=".building-", dir=parent)
    try:
        write_store(building, certificates)
        with open(os.path.join(building, _COMPLETE), "w") as handle:
            handle.write(STORE_VERSION + "\n")
        try:
            os.rename(building, target)
        except OSError:
            # Another process put the same store in place first (same name, same content).
            if not _is_complete_store(target):
                raise
    finally:
        if os.path.isdir(building):
            shutil.rmtree(building, ignore_errors=True)
    if not _is_complete_store(target):
        raise PrivateFileError("the CA store %s is not usable" % target)
    return target
