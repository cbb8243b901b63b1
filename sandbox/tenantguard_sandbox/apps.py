"""Registered client applications: their Graph objects and the credentials the authority checks.

An application is three records:
- ``applications``: the Graph-shaped application object (secrets shown only as ``hint``),
- ``servicePrincipals``: its service principal in the tenant,
- ``appCredentials`` (internal, keyed by appId): salted secret hashes, registered certificates
  (SHA-1 and SHA-256 thumbprints, public PEM, validity), granted permissions, directory roles and
  whether it is a managed identity. Secrets are never stored in clear.
"""

import base64
import datetime
import hashlib
import hmac
import os
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .messages import iso_now

OBJECT_NAMESPACE = uuid.UUID("4f1c8a52-7d4e-4b7b-9a3e-2b6f0d9c1e77")


class SeedError(ValueError):
    """A seed or application definition the sandbox cannot load; the message names the field."""


def stable_id(*parts):
    """A deterministic GUID for a built-in or seeded object that came without an id."""
    return str(uuid.uuid5(OBJECT_NAMESPACE, "/".join(str(p) for p in parts)))


def _hash_secret(secret, salt):
    return hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()


def _parse_time(value, field):
    if value is None:
        return None
    try:
        text = str(value).replace("Z", "+00:00")
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise SeedError("%s: '%s' is not an ISO 8601 date-time" % (field, value)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _iso(value):
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_certificate(text, field):
    """Parse a certificate given as PEM text or as base64 DER (Graph's ``keyCredential.key``)."""
    data = text.encode("ascii") if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(base64.b64decode(data))
    except (ValueError, TypeError):
        raise SeedError("%s: not a PEM or base64 DER X.509 certificate" % field) from None


def thumbprints(cert):
    der = cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper(), hashlib.sha256(der).hexdigest().upper()


def register_application(store, tenant, spec, builtin=False):
    """Create or replace an application (and its service principal) from a seed-style ``spec``.

    ``spec`` keys: ``appId``, ``displayName``, ``id`` (object id), ``passwordCredentials`` (strings
    or objects with ``secretText``, ``endDateTime``, ``displayName``), ``keyCredentials`` (objects
    with ``key`` = certificate PEM or base64 DER, optional ``endDateTime``, ``displayName``),
    ``permissions`` (application permission names), ``directoryRoles`` (role names or template
    ids), ``managedIdentity`` (bool; such an app has a service principal but no application object).
    """
    if not isinstance(spec, dict):
        raise SeedError("applications: each entry must be an object, got %r" % type(spec).__name__)
    app_id = spec.get("appId") or stable_id("app", spec.get("displayName", ""))
    try:
        app_id = str(uuid.UUID(str(app_id)))
    except ValueError:
        raise SeedError("applications[].appId: '%s' is not a GUID" % app_id) from None
    name = spec.get("displayName") or app_id
    permissions = spec.get("permissions", [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise SeedError("applications[%s].permissions: expected a list of permission names" % name)
    managed = bool(spec.get("managedIdentity", False))
    now = iso_now()
    secrets, password_objects = [], []
    for index, entry in enumerate(spec.get("passwordCredentials", []) or []):
        if isinstance(entry, str):
            entry = {"secretText": entry}
        text = entry.get("secretText")
        if not isinstance(text, str) or not text:
            raise SeedError("applications[%s].passwordCredentials[%d].secretText: a non-empty string is required"
                            % (name, index))
        end = _parse_time(entry.get("endDateTime"), "passwordCredentials[%d].endDateTime" % index)
        end = end or datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=730)
        key_id = entry.get("keyId") or stable_id("secret", app_id, index)
        salt = os.urandom(16)
        secrets.append({"keyId": key_id, "salt": salt.hex(), "hash": _hash_secret(text, salt),
                        "endDateTime": _iso(end)})
        password_objects.append({
            "customKeyIdentifier": None, "displayName": entry.get("displayName"),
            "endDateTime": _iso(end), "hint": text[:3], "keyId": key_id, "secretText": None,
            "startDateTime": now,
        })
    certificates, key_objects = [], []
    for index, entry in enumerate(spec.get("keyCredentials", []) or []):
        if isinstance(entry, str):
            entry = {"key": entry}
        field = "applications[%s].keyCredentials[%d].key" % (name, index)
        cert = load_certificate(entry.get("key") or "", field)
        sha1, sha256 = thumbprints(cert)
        end = _parse_time(entry.get("endDateTime"), field.replace(".key", ".endDateTime")) or cert.not_valid_after_utc
        start = _parse_time(entry.get("startDateTime"), field.replace(".key", ".startDateTime")) or cert.not_valid_before_utc
        key_id = entry.get("keyId") or stable_id("cert", app_id, sha1)
        certificates.append({
            "keyId": key_id, "sha1": sha1, "sha256": sha256,
            "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "startDateTime": _iso(start), "endDateTime": _iso(end),
        })
        key_objects.append({
            "customKeyIdentifier": sha1, "displayName": entry.get("displayName") or cert.subject.rfc4514_string(),
            "endDateTime": _iso(end), "key": None, "keyId": key_id, "startDateTime": _iso(start),
            "type": "AsymmetricX509Cert", "usage": "Verify",
        })
    sp_id = spec.get("servicePrincipalId") or stable_id("sp", tenant.id, app_id)
    object_id = spec.get("id") or stable_id("application", tenant.id, app_id)
    if not managed:
        store["applications"].put({
            "id": object_id, "deletedDateTime": None, "appId": app_id, "displayName": name,
            "createdDateTime": spec.get("createdDateTime") or now, "description": spec.get("description"),
            "signInAudience": "AzureADMyOrg", "publisherDomain": tenant.default_domain,
            "identifierUris": [], "tags": [], "keyCredentials": key_objects,
            "passwordCredentials": password_objects, "requiredResourceAccess": [],
        })
    store["servicePrincipals"].put({
        "id": sp_id, "deletedDateTime": None, "accountEnabled": True, "appId": app_id,
        "appDisplayName": name, "displayName": name, "appOwnerOrganizationId": tenant.id,
        "servicePrincipalType": "ManagedIdentity" if managed else "Application",
        "servicePrincipalNames": [app_id], "tags": [], "appRoles": [], "keyCredentials": [],
        "passwordCredentials": [], "signInAudience": "AzureADMyOrg",
    })
    store["appCredentials"].put({
        "id": app_id, "displayName": name, "objectId": None if managed else object_id,
        "servicePrincipalId": sp_id, "permissions": sorted(set(permissions)),
        "directoryRoles": list(spec.get("directoryRoles", []) or []), "managedIdentity": managed,
        "secrets": secrets, "certificates": certificates, "builtin": builtin,
    })
    return app_id


def credential_record(store, app_id):
    """The internal credential record of ``app_id`` (None when no such application)."""
    return store["appCredentials"].get(str(app_id).lower())


def secret_matches(record, secret):
    """Return ``"valid"``, ``"expired"`` or ``None`` for a presented client secret."""
    now = datetime.datetime.now(datetime.timezone.utc)
    for entry in record.get("secrets", []):
        digest = _hash_secret(secret, bytes.fromhex(entry["salt"]))
        if hmac.compare_digest(digest, entry["hash"]):
            if _parse_time(entry["endDateTime"], "endDateTime") <= now:
                return "expired"
            return "valid"
    return None
