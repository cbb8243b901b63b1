"""The $filter parser and evaluator, and OPATH filters, without a server."""

import pytest

from tenantguard_sandbox import odata, opath

USER = {"displayName": "Ciarán O'Brien", "mail": "ciaran@fabrikam.com", "accountEnabled": True, "age": 41,
        "groupTypes": ["Unified", "DynamicMembership"], "identities": [{"issuer": "contoso.com"}],
        "scenarios": "secureFoundation,zeroTrust", "jobTitle": None}


@pytest.mark.parametrize("text, expected", [
    ("displayName eq 'Ciarán O''Brien'", True),
    ("displayName eq 'ciarán o''brien'", True),
    ("startswith(displayName,'Ciar')", True),
    ("endswith(mail,'@FABRIKAM.com')", True),
    ("accountEnabled eq true and age gt 40", True),
    ("accountEnabled eq false or age lt 40", False),
    ("not (age ge 50)", True),
    ("displayName in ('x', 'Ciarán O''Brien')", True),
    ("groupTypes/any(g:g eq 'unified')", True),
    ("groupTypes/all(g:startswith(g,'Dyn'))", False),
    ("identities/any(i:i/issuer eq 'contoso.com')", True),
    ("scenarios has 'zeroTrust'", True),
    ("jobTitle eq null", True),
    ("mail ne null", True),
    ("age eq 41.0", True),
    ("a eq 'x' or (b eq 'y' and displayName ne 'z')", False),
])
def test_filter_evaluation(text, expected):
    assert odata.evaluate(odata.parse_filter(text), USER) is expected


def test_and_binds_tighter_than_or():
    tree = odata.parse_filter("age eq 1 or age eq 41 and accountEnabled eq false")
    assert tree[0] == "or"
    assert odata.evaluate(tree, USER) is False


@pytest.mark.parametrize("text", [
    "displayName eq 'open", "displayName eq", "eq 'x'", "(age eq 1", "displayName eq 'x' extra",
    "__import__('os').system('true') eq 1", "displayName eq \"x\"", "frobnicate(displayName, 'x')",
    "displayName in (age)", "", "age eq 1;",
])
def test_filter_syntax_errors(text):
    with pytest.raises(odata.FilterSyntaxError):
        odata.parse_filter(text)


def test_properties_and_advanced_operators():
    tree = odata.parse_filter("startswith(displayName,'a') and groupTypes/any(c:c eq 'x') and mail eq 'y'")
    assert odata.filter_properties(tree) == ["displayName", "groupTypes", "mail"]
    assert not odata.uses_advanced_operators(tree)
    for text in ("mail ne 'x'", "not(mail eq 'x')", "endswith(mail,'x')", "mail eq null"):
        assert odata.uses_advanced_operators(odata.parse_filter(text)), text


def test_search_clauses():
    clauses = odata.parse_search('"displayName:brien" AND "mail:ciaran"', ["displayName", "mail"])
    assert odata.search_matches(clauses, USER)
    assert not odata.search_matches(odata.parse_search('"displayName:rien"', ["displayName"]), USER)


@pytest.mark.parametrize("text, expected", [
    ("DeviceModel -eq 'Outlook for iOS and Android'", True),
    ("devicemodel -eq 'outlook for ios and android' -and ClientType -ne 'EAS'", True),
    ("FriendlyName -like 'Ann*'", True),
    ("FriendlyName -notlike '*phone'", False),
    ("-not (ClientType -eq 'Outlook')", False),
    ("FirstSyncTime -eq $null", True),
    ("DeviceOS -eq \"iOS 17\" -or DeviceOS -eq 'Android'", True),
])
def test_opath(text, expected):
    device = {"DeviceModel": "Outlook for iOS and Android", "ClientType": "Outlook", "FriendlyName": "Ann's phone",
              "FirstSyncTime": None, "DeviceOS": "iOS 17"}
    tree = opath.parse(text, ["DeviceModel", "ClientType", "FriendlyName", "FirstSyncTime", "DeviceOS"])
    assert opath.matches(tree, device) is expected


def test_opath_refuses_unknown_properties_and_bad_syntax():
    with pytest.raises(opath.OpathError, match="not a filterable property"):
        opath.parse("Colour -eq 'red'", ["DeviceModel"])
    with pytest.raises(opath.OpathError, match="Invalid filter syntax"):
        opath.parse("DeviceModel -eq", ["DeviceModel"])
