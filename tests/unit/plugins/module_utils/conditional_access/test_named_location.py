"""Named location options, checks and normaliser: one test per rule, and every v1.0 documentation example."""
import glob
import json
import os

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
    NamedLocationType, graph_to_options, normalise, options_to_graph, parse_cidr)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "named_locations")
IP = "#microsoft.graph.ipNamedLocation"
COUNTRY = "#microsoft.graph.countryNamedLocation"


def example_locations():
    """Every named location body in the v1.0 examples: request bodies and the objects of responses."""
    found = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "v10__*.json"))):
        with open(path) as handle:
            example = json.load(handle)
        body = (example.get("request") or {}).get("body")
        if body:
            found.append((os.path.basename(path) + ":request", body))
        response = (example.get("response") or {}).get("body") or {}
        for index, item in enumerate(response.get("value") or ([response] if response.get("displayName") else [])):
            found.append(("%s:response[%d]" % (os.path.basename(path), index), item))
    return found


def ip(name="Office", ranges=("203.0.113.0/24",), **extra):
    body = {"@odata.type": IP, "displayName": name,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv%dCidrRange" % (6 if ":" in r else 4), "cidrAddress": r}
                         for r in ranges]}
    body.update(extra)
    return body


def country(name="Countries", codes=("US",), **extra):
    body = {"@odata.type": COUNTRY, "displayName": name, "countriesAndRegions": list(codes)}
    body.update(extra)
    return body


def failure(params, field=""):
    with pytest.raises(InvalidOption) as info:
        options_to_graph(params, field)
    return info.value


# -- examples -----------------------------------------------------------------------------------

def test_every_v1_example_is_read():
    names = set(body["displayName"] for _where, body in example_locations())
    # 2 created, 2 updated, 3 listed (the get examples repeat the created ones).
    assert len(names) == 7, names


@pytest.mark.parametrize("where,body", example_locations(), ids=[w for w, _b in example_locations()])
def test_example_round_trips_through_the_options(where, body):
    """options -> Graph -> options: the params of a documented location recreate it exactly."""
    params = graph_to_options(body)
    rebuilt = options_to_graph(params)
    assert normalise(rebuilt) == normalise(body)
    assert NamedLocationType().differs(body, rebuilt) is False
    assert graph_to_options(rebuilt) == params


# -- normalisation rules ------------------------------------------------------------------------

def test_read_only_fields_and_annotations_do_not_count():
    stored = dict(ip(), id="0854951d-5fc0-4eb1-b392-9b2c9d7949c2", createdDateTime="2019-09-04T01:11:34Z",
                  modifiedDateTime="2019-09-04T01:11:34Z", deletedDateTime=None,
                  **{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#namedLocations/$entity"})
    assert normalise(stored) == normalise(ip())


def test_odata_type_with_or_without_hash_is_the_same():
    assert normalise(dict(ip(), **{"@odata.type": "microsoft.graph.ipNamedLocation"})) == normalise(ip())


def test_odata_type_counts():
    assert normalise(ip())["type"] == "ip" and normalise(country())["type"] == "country"


def test_ip_ranges_are_a_set():
    a = ip(ranges=["198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48"])
    b = ip(ranges=["2001:db8::/48", "203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"])
    assert normalise(a) == normalise(b)


def test_ipv6_spelling_does_not_count():
    assert normalise(ip(ranges=["2001:0:9d38:90d6:0:0:0:0/63"])) == normalise(ip(ranges=["2001:0:9d38:90d6::/63"]))
    assert normalise(ip(ranges=["2001:DB8::/48"])) == normalise(ip(ranges=["2001:db8::/48"]))


def test_host_bits_compare_as_the_network():
    assert normalise(ip(ranges=["12.34.221.11/22"])) == normalise(ip(ranges=["12.34.220.0/22"]))


def test_range_odata_type_does_not_count():
    body = ip(ranges=["203.0.113.0/24"])
    body["ipRanges"][0]["@odata.type"] = "microsoft.graph.iPv4CidrRange"
    assert normalise(body) == normalise(ip(ranges=["203.0.113.0/24"]))


def test_different_ranges_differ():
    assert normalise(ip(ranges=["203.0.113.0/24"])) != normalise(ip(ranges=["203.0.113.0/25"]))


def test_countries_are_a_set_in_upper_case():
    assert normalise(country(codes=["us", "GB", "US"])) == normalise(country(codes=["GB", "US"]))


def test_absent_is_trusted_is_false():
    assert normalise(ip()) == normalise(ip(isTrusted=False))
    assert normalise(ip()) != normalise(ip(isTrusted=True))


def test_absent_include_unknown_is_false():
    assert normalise(country()) == normalise(country(includeUnknownCountriesAndRegions=False))
    assert normalise(country()) != normalise(country(includeUnknownCountriesAndRegions=True))


def test_absent_lookup_method_is_client_ip_address_and_case_does_not_count():
    assert normalise(country()) == normalise(country(countryLookupMethod="clientIpAddress"))
    assert normalise(country(countryLookupMethod="AUTHENTICATORAPPGPS")) == normalise(
        country(countryLookupMethod="authenticatorAppGps"))
    assert normalise(country()) != normalise(country(countryLookupMethod="authenticatorAppGps"))


def test_display_name_case_counts():
    assert normalise(ip(name="Office")) != normalise(ip(name="office"))


# -- options to Graph ---------------------------------------------------------------------------

def test_ip_options_map_to_graph_types():
    body = options_to_graph({"display_name": "Mixed", "ip_ranges": ["12.34.221.11/22", " 2001:db8::/48 "],
                             "is_trusted": True})
    assert body == {"@odata.type": IP, "displayName": "Mixed", "isTrusted": True, "ipRanges": [
        {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "12.34.221.11/22"},
        {"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8::/48"}]}


def test_country_options_map_to_upper_case_and_canonical_lookup_method():
    body = options_to_graph({"display_name": "C", "countries_and_regions": ["us", "Gb", "US"],
                             "country_lookup_method": "AuthenticatorAppGPS",
                             "include_unknown_countries_and_regions": False})
    assert body == {"@odata.type": COUNTRY, "displayName": "C", "countriesAndRegions": ["US", "GB"],
                    "countryLookupMethod": "authenticatorAppGps", "includeUnknownCountriesAndRegions": False}


def test_options_left_out_are_left_out():
    assert options_to_graph({"display_name": "Only the name"}) == {"displayName": "Only the name"}
    assert options_to_graph({"is_trusted": False}) == {"@odata.type": IP, "isTrusted": False}


@pytest.mark.parametrize("value,words", [
    ("10.0.0.0/33", "/33 prefix, longer than the 32 bits"),
    ("2001:db8::/129", "/129 prefix, longer than the 128 bits"),
    ("10.1.2.3", "no prefix length"),
    ("10.0.0.0/4", "/4 prefix, wider than the /8"),
    ("::/0", "/0 prefix, wider than the /8"),
    ("300.1.2.3/24", "'300.1.2.3' is not an IPv4 or IPv6 address"),
    ("10.0.0.0/x", "prefix length that is not a number"),
    ("", "is not a CIDR range"),
])
def test_bad_cidr_names_field_value_and_what_is_accepted(value, words):
    error = failure({"ip_ranges": ["203.0.113.0/24", value]}, "named_locations[3]")
    text = error.describe()
    assert text.startswith("Option named_locations[3].ip_ranges[1]: ")
    assert words in text
    assert repr(value) in text
    assert "Accepted: CIDR notation" in text


def test_cidr_limits_are_inclusive():
    assert parse_cidr("10.0.0.0/8", "f").prefixlen == 8
    assert parse_cidr("10.1.2.3/32", "f").prefixlen == 32
    assert parse_cidr("2001:db8::1/128", "f").prefixlen == 128


@pytest.mark.parametrize("code", ["XX", "usa", "U", "", "12"])
def test_bad_country_code_names_field_and_value(code):
    text = failure({"countries_and_regions": ["DE", code]}).describe()
    assert text.startswith("Option countries_and_regions[1]: is not an ISO 3166-1 alpha-2")
    assert repr(code) in text and "US, GB, DE" in text


def test_bad_lookup_method():
    text = failure({"country_lookup_method": "gps"}).describe()
    assert "country_lookup_method" in text and "'gps'" in text and "clientIpAddress, authenticatorAppGps" in text


def test_options_of_the_other_type_are_refused():
    text = failure({"type": "ip", "countries_and_regions": ["US"]}).describe()
    assert text.startswith("Option countries_and_regions: applies to country locations, but type is ip")
    text = failure({"is_trusted": True, "countries_and_regions": ["US"]}).describe()
    assert "countries_and_regions" in text and "cannot be combined with is_trusted" in text


def test_empty_lists_are_refused():
    assert "ip_ranges: is empty" in failure({"ip_ranges": []}).describe()
    assert "countries_and_regions: is empty" in failure({"countries_and_regions": []}).describe()
    assert "display_name: is empty" in failure({"display_name": "  "}).describe()


# -- the resource type --------------------------------------------------------------------------

def test_create_needs_a_type_and_its_list():
    location_type = NamedLocationType()
    with pytest.raises(InvalidOption, match=r"^Option type: is required to create named location 'X'"):
        location_type.check_create({"displayName": "X"})
    with pytest.raises(InvalidOption, match=r"^Option items\[0\]\.ip_ranges: is required"):
        location_type.check_create({"@odata.type": IP, "displayName": "X", "isTrusted": True}, "items[0]")
    with pytest.raises(InvalidOption, match=r"^Option display_name: is required"):
        location_type.check_create({"@odata.type": IP, "ipRanges": [{"cidrAddress": "10.0.0.0/8"}]})


def test_type_change_is_refused_naming_the_option():
    current = dict(country(), id="1c4427fd-0885-4a3d-8b23-09a899ffa959")
    desired = options_to_graph({"ip_ranges": ["203.0.113.0/24"]})
    with pytest.raises(InvalidOption) as info:
        NamedLocationType().check_update(current, desired)
    text = info.value.describe()
    assert text.startswith("Option ip_ranges: asks for a ip location, but named location 'Countries' (id "
                           "1c4427fd-0885-4a3d-8b23-09a899ffa959) is a country location")
    assert "cannot change the type" in text and "203.0.113.0/24" in text
    NamedLocationType().check_update(current, {"displayName": "Renamed"})  # no type asked: fine


def test_patch_carries_the_type_and_only_what_differs():
    current = dict(ip(ranges=["203.0.113.0/24"], isTrusted=False), id="x", createdDateTime="2020-01-01T00:00:00Z")
    desired = options_to_graph({"display_name": "Office", "ip_ranges": ["203.0.113.0/24"], "is_trusted": True})
    writes = NamedLocationType().update_writes(current, desired)
    assert len(writes) == 1 and writes[0].method == "PATCH" and writes[0].suffix == ""
    assert writes[0].body == {"@odata.type": IP, "isTrusted": True}
    assert NamedLocationType().update_writes(current, options_to_graph({"ip_ranges": ["203.0.113.0/24"]})) == []


def test_prediction_of_a_new_location_has_graph_defaults():
    assert NamedLocationType().predict_created(options_to_graph({"ip_ranges": ["10.0.0.0/8"]}))["isTrusted"] is False
    predicted = NamedLocationType().predict_created(options_to_graph({"countries_and_regions": ["us"]}))
    assert predicted["includeUnknownCountriesAndRegions"] is False
    assert predicted["countryLookupMethod"] == "clientIpAddress"


def test_display_is_readable_options():
    shown = NamedLocationType().display(dict(ip(ranges=["203.0.113.0/24", "198.51.100.0/24"]), id="x"))
    assert shown == {"display_name": "Office", "type": "ip", "ip_ranges": ["198.51.100.0/24", "203.0.113.0/24"],
                     "is_trusted": False}
