# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: named location options <-> Graph ``ipNamedLocation`` / ``countryNamedLocation`` bodies.

Not a public API. Options mirror Graph in snake_case; ``type`` (``ip`` / ``country``) picks the
``@odata.type``. Checks made before any request:

* ``ip_ranges``: CIDR strings, IPv4 or IPv6, read with ``ipaddress``; a bare address is refused
  (Graph refuses it too), and so is a prefix outside the family's length or wider than /8, which
  Entra documents as the limit (Graph did not enforce it in 2022: terraform-provider-azuread#855).
  Host bits may be set (Graph's own example is ``12.34.221.11/22``); the range is sent as written.
  At most 2,000 ranges in one location, the limit Entra documents.
* ``countries_and_regions``: ISO 3166-1 alpha-2 codes in any case, sent upper case.
* ``country_lookup_method``: ``clientIpAddress`` or ``authenticatorAppGps``, in any case.
* options of the other type (``is_trusted`` on a country location) are refused.

Normalisation rules (``normalise``), each a known source of false drift:

* read-only fields (``id``, ``createdDateTime``, ``modifiedDateTime``, ``deletedDateTime``) and
  ``@odata`` annotations do not count; ``@odata.type`` counts as the type, with or without ``#``;
* ``ipRanges`` is a set of networks: order, duplicates, the range's ``@odata.type`` and the
  spelling of the address do not count (``2001:0:9d38:90d6:0:0:0:0/63`` equals
  ``2001:0:9d38:90d6::/63``; ``12.34.221.11/22`` equals ``12.34.220.0/22``);
* ``countriesAndRegions`` is a set of upper-case codes;
* absent, null and Graph's default are the same: ``isTrusted`` and
  ``includeUnknownCountriesAndRegions`` false, ``countryLookupMethod`` ``clientIpAddress``;
* enum values (``countryLookupMethod``) count without regard to case.
"""

import copy
import ipaddress

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_location_countries import COUNTRY_CODES
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption,
    ResourceType,
    option_field,
    prune,
    scalar_set,
    without_annotations,
)

COLLECTION = "/identity/conditionalAccess/namedLocations"
ODATA_TYPES = {"ip": "#microsoft.graph.ipNamedLocation", "country": "#microsoft.graph.countryNamedLocation"}
RANGE_TYPES = {4: "#microsoft.graph.iPv4CidrRange", 6: "#microsoft.graph.iPv6CidrRange"}
LOOKUP_METHODS = ("clientIpAddress", "authenticatorAppGps")
DEFAULT_LOOKUP_METHOD = "clientIpAddress"
MIN_PREFIX = 8
# Entra: up to 2,000 IP ranges in one named location.
MAX_RANGES = 2000
MAX_PREFIX = {4: 32, 6: 128}

# option -> (Graph property, type of location it belongs to)
OPTION_PROPERTIES = (
    ("ip_ranges", "ipRanges", "ip"),
    ("is_trusted", "isTrusted", "ip"),
    ("countries_and_regions", "countriesAndRegions", "country"),
    ("include_unknown_countries_and_regions", "includeUnknownCountriesAndRegions", "country"),
    ("country_lookup_method", "countryLookupMethod", "country"),
)
OPTION_OF = dict((prop, option) for option, prop, _kind in OPTION_PROPERTIES)
KIND_OF_OPTION = dict((option, kind) for option, _prop, kind in OPTION_PROPERTIES)
CIDR_EXAMPLES = "CIDR notation such as 203.0.113.0/24 or 2001:db8::/48, prefix /8 to /32 (IPv4) or /8 to /128 (IPv6)"


def object_options():
    """The argument spec of one named location (``state`` aside)."""
    return dict(
        display_name=dict(type="str"),
        id=dict(type="str"),
        type=dict(type="str", choices=["ip", "country"]),
        ip_ranges=dict(type="list", elements="str"),
        is_trusted=dict(type="bool"),
        countries_and_regions=dict(type="list", elements="str"),
        include_unknown_countries_and_regions=dict(type="bool"),
        country_lookup_method=dict(type="str"),
    )


# ---------------------------------------------------------------------------------------------
# Checks


def parse_cidr(value, field):
    """The ``ipaddress`` network of a CIDR string, or InvalidOption naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidOption(field, "is not a CIDR range", value, accepted=CIDR_EXAMPLES)
    text = value.strip()
    if "/" not in text:
        raise InvalidOption(field, "has no prefix length (a bare address is not accepted)", value,
                            accepted=CIDR_EXAMPLES)
    address, prefix = text.split("/", 1)
    try:
        family = ipaddress.ip_address(address).version
    except ValueError:
        raise InvalidOption(field, "%r is not an IPv4 or IPv6 address" % address, value, accepted=CIDR_EXAMPLES)
    if not prefix.isdigit():
        raise InvalidOption(field, "has a prefix length that is not a number", value, accepted=CIDR_EXAMPLES)
    length = int(prefix)
    if length > MAX_PREFIX[family]:
        raise InvalidOption(field, "has a /%d prefix, longer than the %d bits of an IPv%d address" % (
            length, MAX_PREFIX[family], family), value, accepted=CIDR_EXAMPLES)
    if length < MIN_PREFIX:
        raise InvalidOption(field, "has a /%d prefix, wider than the /%d that Entra accepts for a named location" % (
            length, MIN_PREFIX), value, accepted=CIDR_EXAMPLES)
    return ipaddress.ip_network(text, strict=False)


def country_code(value, field):
    """The upper-case ISO 3166-1 alpha-2 code of ``value``, or InvalidOption naming ``field``."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in COUNTRY_CODES:
        raise InvalidOption(field, "is not an ISO 3166-1 alpha-2 country or region code", value,
                            accepted="two-letter codes such as US, GB, DE, in any case")
    return code


def lookup_method(value, field):
    for method in LOOKUP_METHODS:
        if isinstance(value, str) and value.strip().lower() == method.lower():
            return method
    raise InvalidOption(field, "is not a country lookup method", value,
                        accepted="%s (any case)" % ", ".join(LOOKUP_METHODS))


def _kind(params, field):
    """ip, country or None (not known from the options), from ``type`` or the options given."""
    explicit = params.get("type")
    given = [option for option, _prop, _kind in OPTION_PROPERTIES if params.get(option) is not None]
    kinds = set(KIND_OF_OPTION[o] for o in given)
    if explicit:
        for option in given:
            if KIND_OF_OPTION[option] != explicit:
                raise InvalidOption(option_field(field, option), "applies to %s locations, but type is %s" % (
                    KIND_OF_OPTION[option], explicit), params[option],
                    accepted="type: %s, or leave %s out" % (KIND_OF_OPTION[option], option))
        return explicit
    if len(kinds) > 1:
        country = next(o for o in given if KIND_OF_OPTION[o] == "country")
        ip = next(o for o in given if KIND_OF_OPTION[o] == "ip")
        raise InvalidOption(option_field(field, country), "cannot be combined with %s: a named location holds either "
                            "IP ranges or countries" % ip, params[country],
                            accepted="the options of one type: ip (ip_ranges, is_trusted) or country "
                                     "(countries_and_regions, include_unknown_countries_and_regions, "
                                     "country_lookup_method)")
    return kinds.pop() if kinds else None


# ---------------------------------------------------------------------------------------------
# Options <-> Graph


def options_to_graph(params, field=""):
    """The Graph body for the options given (None = not managed). Raises InvalidOption.

    ``field`` prefixes option names in errors (``named_locations[2]``)."""
    kind = _kind(params, field)
    body = {}
    if kind:
        body["@odata.type"] = ODATA_TYPES[kind]
    name = params.get("display_name")
    if name is not None:
        if not str(name).strip():
            raise InvalidOption(option_field(field, "display_name"), "is empty", name, accepted="a non-empty name")
        body["displayName"] = name
    ranges = params.get("ip_ranges")
    if ranges is not None:
        if not ranges:
            raise InvalidOption(option_field(field, "ip_ranges"), "is empty; an IP location needs at least one range",
                                ranges, accepted=CIDR_EXAMPLES)
        if len(ranges) > MAX_RANGES:
            raise InvalidOption(option_field(field, "ip_ranges"), "lists %d ranges, more than the %d that Entra allows "
                                "in one named location" % (len(ranges), MAX_RANGES), len(ranges),
                                accepted="at most %d ranges per location (split them over several locations)"
                                % MAX_RANGES)
        items = []
        for index, value in enumerate(ranges):
            network = parse_cidr(value, "%s[%d]" % (option_field(field, "ip_ranges"), index))
            items.append({"@odata.type": RANGE_TYPES[network.version], "cidrAddress": value.strip()})
        body["ipRanges"] = items
    if params.get("is_trusted") is not None:
        body["isTrusted"] = bool(params["is_trusted"])
    countries = params.get("countries_and_regions")
    if countries is not None:
        if not countries:
            raise InvalidOption(option_field(field, "countries_and_regions"),
                                "is empty; a country location needs at least one code", countries,
                                accepted="two-letter codes such as US, GB, DE")
        codes = []
        for index, value in enumerate(countries):
            code = country_code(value, "%s[%d]" % (option_field(field, "countries_and_regions"), index))
            if code not in codes:
                codes.append(code)
        body["countriesAndRegions"] = codes
    if params.get("include_unknown_countries_and_regions") is not None:
        body["includeUnknownCountriesAndRegions"] = bool(params["include_unknown_countries_and_regions"])
    if params.get("country_lookup_method") is not None:
        body["countryLookupMethod"] = lookup_method(params["country_lookup_method"],
                                                    option_field(field, "country_lookup_method"))
    return body


def kind_of(body):
    """ip, country, another subtype's short name, or None, from a body's ``@odata.type``."""
    odata_type = str((body or {}).get("@odata.type") or "").lstrip("#").lower()
    if not odata_type:
        return None
    for kind, name in ODATA_TYPES.items():
        if name.lstrip("#").lower() == odata_type:
            return kind
    return odata_type.rsplit(".", 1)[-1]


def graph_to_options(location):
    """The options that recreate a named location read from Graph (the ``params`` of the info
    module): feeding them back changes nothing. Ids and server fields are left out."""
    location = location or {}
    kind = kind_of(location)
    params = {"display_name": location.get("displayName")}
    if kind in ODATA_TYPES:
        params["type"] = kind
    if kind == "ip":
        params["ip_ranges"] = [r.get("cidrAddress") for r in location.get("ipRanges") or [] if isinstance(r, dict)]
        params["is_trusted"] = bool(location.get("isTrusted"))
    elif kind == "country":
        params["countries_and_regions"] = list(location.get("countriesAndRegions") or [])
        params["include_unknown_countries_and_regions"] = bool(location.get("includeUnknownCountriesAndRegions"))
        params["country_lookup_method"] = location.get("countryLookupMethod") or DEFAULT_LOOKUP_METHOD
    return params


# ---------------------------------------------------------------------------------------------
# Comparing


def canonical_range(value):
    """A CIDR string as the network it designates (``2001:0::/63`` -> ``2001::/63``); unreadable
    values lower-cased, so that comparing never loses them."""
    text = str(value or "").strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return text.lower()


def normalise(body):
    """The comparable form of a named location (desired, predicted or as read); see the module
    docstring for the rules."""
    out = without_annotations(body or {}, keep=("@odata.type",))
    for name in ("id", "createdDateTime", "modifiedDateTime", "deletedDateTime"):
        out.pop(name, None)
    kind = kind_of(out)
    out.pop("@odata.type", None)
    out = prune(out)
    if kind:
        out["type"] = kind
    if kind == "ip" or "ipRanges" in out:
        out["isTrusted"] = bool(out.get("isTrusted"))
        out["ipRanges"] = scalar_set([r.get("cidrAddress") if isinstance(r, dict) else r
                                      for r in out.get("ipRanges") or []], key=canonical_range)
    if kind == "country" or "countriesAndRegions" in out:
        out["countriesAndRegions"] = scalar_set(out.get("countriesAndRegions") or [],
                                                key=lambda c: str(c).strip().upper())
        out["includeUnknownCountriesAndRegions"] = bool(out.get("includeUnknownCountriesAndRegions"))
        method = out.get("countryLookupMethod") or DEFAULT_LOOKUP_METHOD
        out["countryLookupMethod"] = next((m for m in LOOKUP_METHODS if m.lower() == str(method).lower()),
                                          str(method))
    return out


def with_defaults(body):
    """A new location as Graph stores it: the defaults it applies filled in."""
    out = copy.deepcopy(body)
    kind = kind_of(out)
    if kind == "ip":
        out.setdefault("isTrusted", False)
    elif kind == "country":
        out.setdefault("includeUnknownCountriesAndRegions", False)
        out.setdefault("countryLookupMethod", DEFAULT_LOOKUP_METHOD)
    return out


class NamedLocationType(ResourceType):
    """Named locations for the resource engine."""

    noun = "named location"
    collection = COLLECTION
    result_key = "named_location"
    list_key = "named_locations"

    def normalise(self, body):
        return normalise(body)

    def check_create(self, desired, field=""):
        super().check_create(desired, field)
        kind = kind_of(desired)
        name = desired.get("displayName")
        if kind is None:
            raise InvalidOption(option_field(field, "type"), "is required to create named location %r" % name,
                                accepted="type: ip with ip_ranges, or type: country with countries_and_regions")
        if kind == "ip" and not desired.get("ipRanges"):
            raise InvalidOption(option_field(field, "ip_ranges"), "is required to create IP named location %r" % name,
                                accepted=CIDR_EXAMPLES)
        if kind == "country" and not desired.get("countriesAndRegions"):
            raise InvalidOption(option_field(field, "countries_and_regions"),
                                "is required to create country named location %r" % name,
                                accepted="two-letter codes such as US, GB, DE")

    def check_update(self, current, desired, field=""):
        have, want = kind_of(current), kind_of(desired)
        if want is None or want == have:
            return
        given = [OPTION_OF[k] for k in desired if k in OPTION_OF]
        option = given[0] if given else "type"
        value = graph_to_options(desired).get(option, want) if given else want
        raise InvalidOption(option_field(field, option), "asks for a %s location, but %s is a %s location and Graph "
                            "cannot change the type of a named location" % (want, self.label(current), have),
                            value, accepted="the options of a %s location, or delete it (state: absent) and declare "
                                            "it again" % have)

    def predict_created(self, body):
        return with_defaults(body)

    def update_writes(self, current, desired):
        writes = super().update_writes(current, desired)
        for write in writes:
            # Without @odata.type Graph reads a PATCH as the base namedLocation: only displayName could change.
            write.body = dict([("@odata.type", current.get("@odata.type") or desired.get("@odata.type"))]
                              + list(write.body.items()))
        return writes

    def display(self, body):
        params = graph_to_options(body)
        for key in ("ip_ranges", "countries_and_regions"):
            if key in params:
                params[key] = sorted(params[key], key=lambda v: str(v).lower())
        return params


__all__ = ("NamedLocationType", "graph_to_options", "normalise", "object_options", "options_to_graph",
           "parse_cidr", "country_code")
