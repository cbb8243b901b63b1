"""Named locations: @odata.type, CIDR ranges, country codes, defaults, PATCH, and the documented examples.

The documented responses (2019, marked truncated) do not show ``countryLookupMethod``; the v1.0 CSDL declares
it with the default ``clientIpAddress``, which the sandbox returns. Their ``@odata.context`` is the older
``#namedLocations/$entity`` form; the sandbox writes ``#identity/conditionalAccess/namedLocations/$entity``.
"""

import copy
import json
from pathlib import Path

import pytest

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation import create_named_location, render_named_location, update_named_location

EXAMPLES = Path(__file__).parent / "examples" / "named_locations"
SERVER_SET = {"@odata.context", "id", "createdDateTime", "modifiedDateTime"}


def load(name):
    return json.loads((EXAMPLES / name).read_text())


def ip_location(*cidrs, kind="iPv4CidrRange"):
    return {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Office egress", "isTrusted": True,
            "ipRanges": [{"@odata.type": "#microsoft.graph.%s" % kind, "cidrAddress": c} for c in cidrs]}


def country_location(*codes, **extra):
    body = {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "Allowed countries",
            "countriesAndRegions": list(codes)}
    body.update(extra)
    return body


def refused(call, *args, **kwargs):
    with pytest.raises(GraphHTTPError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert (error.status, error.code) == (400, "BadRequest") and error.body is None
    assert error.message.startswith("1007: Incoming NamedLocation object is null or does not match the schema of "
                                    "NamedLocation type.")
    return error


# -- @odata.type -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_base_type_is_refused(version):
    error = refused(create_named_location, version, {"@odata.type": "#microsoft.graph.namedLocation",
                                                     "displayName": "x"})
    assert error.target == "@odata.type" and "ipNamedLocation" in error.detail


def test_odata_type_is_required_on_post():
    body = ip_location("12.34.221.11/22")
    del body["@odata.type"]
    error = refused(create_named_location, "v1.0", body)
    assert "@odata.type is required" in error.detail


def test_odata_type_without_hash_is_accepted_and_written_back_with_it():
    body = country_location("US")
    body["@odata.type"] = "microsoft.graph.countryNamedLocation"
    assert create_named_location("v1.0", body)["@odata.type"] == "#microsoft.graph.countryNamedLocation"


def test_unknown_property_and_wrong_type_are_1007():
    refused(create_named_location, "v1.0", dict(ip_location("1.2.3.4/32"), trusted=True))
    refused(create_named_location, "v1.0", dict(ip_location("1.2.3.4/32"), isTrusted="yes"))
    refused(create_named_location, "v1.0", country_location("US", countryLookupMethod="gps"))


# -- CIDR ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cidr, kind", [
    ("12.34.221.11/22", "iPv4CidrRange"),        # host bits set: documented example
    ("6.5.4.3/32", "iPv4CidrRange"),
    ("20.0.0.0/4", "iPv4CidrRange"),             # not rejected by the API in 2022
    ("2001:0:9d38:90d6:0:0:0:0/63", "iPv6CidrRange"),
    ("2001:4898:80e8:7:d92a:7695:fda1:9d62/48", "iPv6CidrRange"),
])
def test_valid_cidr_ranges_are_accepted(cidr, kind):
    stored = create_named_location("v1.0", ip_location(cidr, kind=kind))
    assert stored["ipRanges"][0]["cidrAddress"] == cidr


@pytest.mark.parametrize("cidr, kind, reason", [
    ("0.0.0.0", "iPv4CidrRange", "no prefix length"),
    ("10.0.0.0/33", "iPv4CidrRange", "not a valid IPv4 CIDR"),
    ("10.0.0/24", "iPv4CidrRange", "not a valid IPv4 CIDR"),
    ("300.1.1.1/32", "iPv4CidrRange", "not a valid IPv4 CIDR"),
    ("10.0.0.0/x", "iPv4CidrRange", "prefix length must be a number"),
    ("2001:db8::/64", "iPv4CidrRange", "IPv6 range in an iPv4CidrRange"),
    ("10.0.0.0/8", "iPv6CidrRange", "IPv4 range in an iPv6CidrRange"),
    ("2001:db8::/129", "iPv6CidrRange", "not a valid IPv6 CIDR"),
])
def test_bad_cidr_is_refused(cidr, kind, reason):
    body = ip_location("8.8.8.0/24")
    body["ipRanges"].append({"@odata.type": "#microsoft.graph.%s" % kind, "cidrAddress": cidr})
    error = refused(create_named_location, "v1.0", body)
    assert error.target == "ipRanges[1].cidrAddress"
    assert reason in error.detail and repr(cidr) in error.detail


def test_ip_range_needs_a_concrete_cidr_type():
    body = ip_location("1.2.3.4/32")
    del body["ipRanges"][0]["@odata.type"]
    refused(create_named_location, "v1.0", body)
    body["ipRanges"][0] = {"@odata.type": "#microsoft.graph.iPv4Range", "lowerAddress": "1.2.3.4",
                           "upperAddress": "1.2.3.9"}
    assert "iPv4CidrRange" in refused(create_named_location, "v1.0", body).detail


def test_ip_ranges_are_required():
    refused(create_named_location, "v1.0", ip_location())


# -- countries ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["XX", "us", "USA", "UK", ""])
def test_bad_country_code_is_refused(code):
    error = refused(create_named_location, "v1.0", country_location("US", code))
    assert error.target == "countriesAndRegions[1]" and "ISO 3166-1 alpha-2" in error.detail


def test_country_location_defaults():
    stored = create_named_location("v1.0", country_location("US", "GB"))
    assert stored["countryLookupMethod"] == "clientIpAddress"
    assert stored["includeUnknownCountriesAndRegions"] is False
    gps = create_named_location("v1.0", country_location("DE", countryLookupMethod="AuthenticatorAppGps"))
    assert gps["countryLookupMethod"] == "authenticatorAppGps"


def test_is_trusted_defaults_to_false():
    body = ip_location("1.2.3.4/32")
    del body["isTrusted"]
    assert create_named_location("v1.0", body)["isTrusted"] is False


# -- PATCH ---------------------------------------------------------------------------------------------------

def test_patch_replaces_lists_keeps_the_rest_and_validates():
    stored = create_named_location("v1.0", ip_location("1.2.3.4/32", "5.6.7.0/24"))
    updated = update_named_location("v1.0", stored, {"@odata.type": "#microsoft.graph.ipNamedLocation",
                                                     "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange",
                                                                   "cidrAddress": "9.9.9.0/24"}]})
    assert [r["cidrAddress"] for r in updated["ipRanges"]] == ["9.9.9.0/24"]
    assert updated["isTrusted"] is True and updated["displayName"] == "Office egress"
    assert updated["createdDateTime"] == stored["createdDateTime"] and updated["id"] == stored["id"]
    refused(update_named_location, "v1.0", stored, {"@odata.type": "#microsoft.graph.ipNamedLocation",
                                                    "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange",
                                                                  "cidrAddress": "9.9.9.9"}]})


def test_patch_without_odata_type_can_only_touch_base_properties():
    stored = create_named_location("v1.0", ip_location("1.2.3.4/32"))
    assert update_named_location("v1.0", stored, {"displayName": "Renamed"})["displayName"] == "Renamed"
    refused(update_named_location, "v1.0", stored, {"isTrusted": False})


def test_patch_cannot_change_the_subtype():
    stored = create_named_location("v1.0", ip_location("1.2.3.4/32"))
    refused(update_named_location, "v1.0", stored, country_location("US"))


def test_patch_refuses_read_only_properties():
    stored = create_named_location("v1.0", ip_location("1.2.3.4/32"))
    refused(update_named_location, "v1.0", stored, {"id": stored["id"]})


# -- documented examples -------------------------------------------------------------------------------------

def differences(documented, rendered):
    missing = [k for k, v in documented.items() if k not in SERVER_SET and rendered.get(k, object()) != v]
    extra = [k for k in rendered if k not in documented]
    return missing, extra


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*post-namedlocations*.json")))
def test_documented_post_is_accepted_and_rendered_as_documented(name):
    example = load(name)
    version = "beta" if name.startswith("beta") else "v1.0"
    body = copy.deepcopy(example["request"]["body"])
    stored = create_named_location(version, body)
    rendered = render_named_location(version, stored)
    documented = example["response"]["body"]
    missing, extra = differences(documented, rendered)
    assert missing == []
    expected_extra = ["countryLookupMethod"] if "countriesAndRegions" in body else []
    assert extra == expected_extra
    # As documented, a new named location has createdDateTime == modifiedDateTime.
    assert rendered["createdDateTime"] == rendered["modifiedDateTime"]
    assert rendered["@odata.context"] == (
        "https://graph.microsoft.com/%s/$metadata#identity/conditionalAccess/namedLocations/$entity" % version)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*namedlocation-update*.json")))
def test_documented_patch_is_applied(name):
    version = "beta" if name.startswith("beta") else "v1.0"
    kind = "ip" if "ipnamedlocation" in name else "country"
    created = load("%s__conditionalaccessroot-post-namedlocations__%d.json" % (
        "beta" if version == "beta" else "v10", 1 if kind == "ip" else 2))
    stored = create_named_location(version, created["request"]["body"])
    patch = load(name)["request"]["body"]
    updated = render_named_location(version, update_named_location(version, stored, patch))
    for key, value in patch.items():
        assert updated[key] == value


def test_documented_list_items_render_the_same_shape():
    for item in load("v10__conditionalaccessroot-list-namedlocations__1.json")["response"]["body"]["value"]:
        body = {k: v for k, v in item.items() if k not in SERVER_SET}
        rendered = render_named_location("v1.0", create_named_location("v1.0", body), with_context=False)
        missing, extra = differences(item, rendered)
        assert missing == [] and set(extra) <= {"countryLookupMethod"}
        assert list(rendered)[:3] == ["@odata.type", "id", "displayName"]
