"""Named locations (``/identity/conditionalAccess/namedLocations``): rules, defaults and the GET shape.

Sources (``behavior.md`` sections 1, 4 and 9; ``examples/named_locations``):

* POST must carry ``@odata.type`` ``#microsoft.graph.ipNamedLocation`` or ``#microsoft.graph.countryNamedLocation``
  (beta also knows other subtypes); ``namedLocation`` is the base type and is refused. Requests may write the
  type with or without the leading ``#``. 201 returns the entity with ``createdDateTime`` equal to
  ``modifiedDateTime``.
* PATCH returns 204; the documented PATCH bodies repeat ``@odata.type``. Without it the body is read as the
  base ``namedLocation``, so only ``displayName`` can change; a different subtype is refused.
* ``ipRanges`` items are ``#microsoft.graph.iPv4CidrRange`` / ``iPv6CidrRange`` (``@odata.type`` mandatory, the
  declared ``ipRange`` is abstract) holding an address with a prefix length. A bare address (``0.0.0.0``) is
  rejected ([issue] demisto/content#44682); host bits may be set (the documented ``12.34.221.11/22``) and
  short prefixes such as ``/4`` were not rejected in 2022 ([issue] terraform-provider-azuread#855), so any
  prefix length valid for the family is accepted.
* ``countriesAndRegions`` are ISO 3166-1 alpha-2 codes (``data/iso3166_alpha2.json``); ``countryLookupMethod``
  is ``clientIpAddress`` (default) or ``authenticatorAppGps``; ``isTrusted`` and
  ``includeUnknownCountriesAndRegions`` default to false.

Every failure is the conditional access service's 400 ``1007: Incoming NamedLocation object is null or does
not match the schema of NamedLocation type. ...``; no source shows a more specific text for these cases.
"""

import copy
import functools
import ipaddress
import json
import re
import uuid
from importlib import resources

from tenantguard_sandbox.validation import workloads
from tenantguard_sandbox.validation.patching import merge_patch
from tenantguard_sandbox.validation.projection import project
from tenantguard_sandbox.validation.schema import BodyReader, SchemaViolation, model, qualified, unqualified
from tenantguard_sandbox.validation.timestamps import ticks_timestamp, utc_now

BASE_TYPE = "namedLocation"
GRAPH_ROOT = "https://graph.microsoft.com"
_CIDR_TYPES = {"iPv4CidrRange": 4, "iPv6CidrRange": 6}
_PREFIX_RE = re.compile(r"^\d{1,3}$")


@functools.lru_cache(maxsize=None)
def iso_country_codes():
    source = resources.files("tenantguard_sandbox").joinpath("data", "iso3166_alpha2.json")
    with source.open("r", encoding="utf-8") as handle:
        return frozenset(json.load(handle)["codes"])


def _error(version, detail, target=None):
    return workloads.conditional_access_schema_error(workloads.NAMED_LOCATION, version, detail, target)


def _concrete_types(version):
    return [t for t in model(version).type(BASE_TYPE).get("derivedTypes", [])]


def _read(version, body, op, declared):
    if not isinstance(body, dict):
        raise _error(version, "the body must be a JSON object describing a named location")
    try:
        location, actual = BodyReader(version, op).read_structured(declared, body)
    except SchemaViolation as violation:
        raise _error(version, violation.detail, violation.path_text()) from None
    return location, actual


def cidr_problem(value, family):
    """Why ``value`` is not an IPv``family`` address with a prefix length as Graph accepts it, or None."""
    if not isinstance(value, str) or "/" not in value:
        return "%r has no prefix length; expected CIDR notation such as %s" % (
            value, "12.34.221.11/22" if family == 4 else "2001:0:9d38:90d6::/63")
    address, prefix = value.split("/", 1)
    if not _PREFIX_RE.match(prefix):
        return "%r: the prefix length must be a number" % value
    try:
        network = ipaddress.ip_network("%s/%s" % (address, prefix), strict=False)
    except ValueError as exc:
        return "%r is not a valid IPv%d CIDR range (%s)" % (value, family, exc)
    if network.version != family:
        return "%r is an IPv%d range in an iPv%dCidrRange" % (value, network.version, family)
    return None


def _check(version, location, actual):
    if not location.get("displayName"):
        raise _error(version, "displayName is required (a non-empty string)", "displayName")
    if actual == "ipNamedLocation":
        ranges = location.get("ipRanges")
        if not ranges:
            raise _error(version, "ipRanges is required: one or more #microsoft.graph.iPv4CidrRange or "
                         "#microsoft.graph.iPv6CidrRange items", "ipRanges")
        for index, item in enumerate(ranges):
            kind = unqualified(item.get("@odata.type"))
            if kind not in _CIDR_TYPES:
                raise _error(version, "ipRanges[%d]: %s is not accepted in a named location; expected "
                             "#microsoft.graph.iPv4CidrRange or #microsoft.graph.iPv6CidrRange" % (
                                 index, item.get("@odata.type")), "ipRanges[%d]" % index)
            problem = cidr_problem(item.get("cidrAddress"), _CIDR_TYPES[kind])
            if problem:
                raise _error(version, "ipRanges[%d].cidrAddress: %s" % (index, problem),
                             "ipRanges[%d].cidrAddress" % index)
    elif actual == "countryNamedLocation":
        countries = location.get("countriesAndRegions")
        if not countries:
            raise _error(version, "countriesAndRegions is required: one or more ISO 3166-1 alpha-2 codes such as "
                         "US, GB", "countriesAndRegions")
        known = iso_country_codes()
        for index, code in enumerate(countries):
            if code not in known:
                raise _error(version, "countriesAndRegions[%d]: %r is not an ISO 3166-1 alpha-2 country or region "
                             "code (two upper-case letters such as US, GB, DE)" % (index, code),
                             "countriesAndRegions[%d]" % index)


def _with_defaults(location, actual):
    stored = dict(location)
    if actual == "ipNamedLocation":
        stored.setdefault("isTrusted", False)
    elif actual == "countryNamedLocation":
        stored.setdefault("includeUnknownCountriesAndRegions", False)
        if stored.get("countryLookupMethod") is None:
            stored["countryLookupMethod"] = "clientIpAddress"
    return stored


def create_named_location(version, body, *, now=None, new_id=None):
    """Accept a POST /identity/conditionalAccess/namedLocations body; return the stored named location."""
    moment = utc_now(now)
    if isinstance(body, dict) and "@odata.type" not in body:
        raise _error(version, "@odata.type is required: one of %s" % ", ".join(
            qualified(t) for t in _concrete_types(version)), "@odata.type")
    location, actual = _read(version, body, "create", BASE_TYPE)
    if actual == BASE_TYPE:
        raise _error(version, "@odata.type %s is the base type; expected one of %s" % (
            body.get("@odata.type"), ", ".join(qualified(t) for t in _concrete_types(version))), "@odata.type")
    _check(version, location, actual)
    stored = _with_defaults(location, actual)
    stored["@odata.type"] = qualified(actual)
    stamp = ticks_timestamp(moment)
    stored["id"] = new_id or str(uuid.uuid4())
    stored["createdDateTime"] = stamp
    stored["modifiedDateTime"] = stamp
    return stored


def update_named_location(version, stored, patch, *, now=None):
    """Apply a PATCH body (PATCH semantics of ``patching.py``; ``ipRanges`` and ``countriesAndRegions`` replace
    whole). The subtype cannot change. Returns the new stored named location with ``modifiedDateTime`` now."""
    stored_type = unqualified(stored["@odata.type"])
    declared = BASE_TYPE
    if isinstance(patch, dict) and "@odata.type" in patch:
        named = unqualified(patch["@odata.type"])
        if named not in (stored_type, BASE_TYPE):
            raise _error(version, "@odata.type %s does not match the named location's type %s" % (
                patch["@odata.type"], qualified(stored_type)), "@odata.type")
    changes, _actual = _read(version, patch, "update", declared)
    changes.pop("@odata.type", None)
    merged = merge_patch(stored, changes)
    _check(version, merged, stored_type)
    result = _with_defaults(merged, stored_type)
    result["id"] = stored["id"]
    result["createdDateTime"] = stored["createdDateTime"]
    result["modifiedDateTime"] = ticks_timestamp(utc_now(now))
    return result


_ORDER = ("@odata.type", "id", "displayName", "modifiedDateTime", "createdDateTime")


def render_named_location(version, stored, *, service_root=GRAPH_ROOT, with_context=True):
    """The named location as GET (and the POST response) returns it for ``version``."""
    out = {}
    if with_context:
        out["@odata.context"] = "%s/%s/$metadata#identity/conditionalAccess/namedLocations/$entity" % (
            service_root, version)
    body = project(version, BASE_TYPE, copy.deepcopy(stored))
    body.pop("deletedDateTime", None)
    for key in _ORDER:
        if key in body:
            out[key] = body[key]
    for key, value in body.items():
        out.setdefault(key, value)
    return out
