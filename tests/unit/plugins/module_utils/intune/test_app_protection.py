"""The app protection model: durations, enum and set comparison, the framework levels, the app table and
the generated property table against Microsoft's schema."""
import json
import os
from decimal import Decimal

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import (
    AppProtectionType, graph_to_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_levels import LEVELS, baseline
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_spec import PROPERTIES
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_values import (
    comparable, duration_seconds)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import APPS, app_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption


@pytest.mark.parametrize("text,seconds", [
    ("PT30M", 1800), ("PT1800S", 1800), ("P1D", 86400), ("PT24H", 86400), ("P1DT12H", 129600), ("P1W", 604800),
    ("PT0S", 0), ("pt30m", 1800), ("-PT17.1357909S", Decimal("-17.1357909")),
    ("PT3M29.6631862S", Decimal("209.6631862")),
])
def test_durations_parse_to_their_length(text, seconds):
    assert duration_seconds(text) == Decimal(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "30M", "P1Y", "P1M", "PT1H30", "P1DT", "1 hour", None, 30])
def test_not_durations(text):
    assert duration_seconds(text) is None


def test_equal_settings_compare_equal():
    assert comparable("duration", "P90D") == comparable("duration", "PT2160H")
    assert comparable("enum", "managedApps") == comparable("enum", "MANAGEDAPPS")
    assert comparable("flags", "unmanaged, mdm") == comparable("flags", "mdm,unmanaged")
    assert comparable("enum_list", ["sharePoint", "oneDriveForBusiness"]) == comparable(
        "enum_list", ["onedriveforbusiness", "sharepoint"])
    assert comparable("pairs", [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]) == comparable(
        "pairs", [{"name": "b", "value": "2"}, {"name": "a", "value": "1"}])
    assert comparable("pairs", [{"name": "a", "value": "1"}]) != comparable("pairs", [{"name": "A", "value": "1"}])


@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("level", LEVELS)
def test_levels_use_only_properties_of_the_platform_and_never_os_versions(level, platform):
    values = baseline(level, platform)
    for name in values:
        assert name in PROPERTIES, name
        assert platform in PROPERTIES[name]["platforms"], name
    assert not [n for n in values if "OsVersion" in n or "PatchVersion" in n]
    desired = options_to_graph({"platform": platform, "api_version": "beta", "baseline": level, "display_name": "x"})
    assert desired["pinRequired"] is True


def test_levels_are_cumulative_and_explicit_options_win():
    one, two, three = (baseline(level, "android") for level in LEVELS)
    assert one["dataBackupBlocked"] is False and two["dataBackupBlocked"] is True and three["dataBackupBlocked"]
    assert one["minimumPinLength"] == two["minimumPinLength"] == 4 and three["minimumPinLength"] == 6
    assert three["appActionIfDeviceComplianceRequired"] == "wipe"
    desired = options_to_graph({"platform": "android", "api_version": "beta", "baseline": "level3",
                                "minimum_pin_length": 8, "print_blocked": False})
    assert desired["minimumPinLength"] == 8 and desired["printBlocked"] is False
    ios3 = baseline("level3", "ios")
    assert ios3["dialerRestrictionLevel"] == "allApps"
    assert baseline("level3", "ios", "msteams")["dialerRestrictionLevel"] == "customApp"


def test_apps_by_name_differ_per_platform_and_raw_ids_are_lowercased():
    assert app_id("teams", "ios", "apps[0]") == "com.microsoft.skype.teams"
    assert app_id("Teams", "android", "apps[0]") == "com.microsoft.teams"
    assert app_id("edge", "android", "apps[0]") == "com.microsoft.emmx"
    assert app_id("com.Contoso.App", "ios", "apps[0]") == "com.contoso.app"
    with pytest.raises(InvalidOption) as info:
        app_id("outlok", "ios", "apps[3]")
    assert "apps[3]" in str(info.value) and "outlook" in str(info.value)
    assert set(APPS) >= {"outlook", "teams", "onedrive", "word", "excel", "powerpoint", "edge"}


def test_params_recreate_the_policy_without_drift():
    resource = AppProtectionType("ios", "beta")
    desired = options_to_graph({"platform": "ios", "api_version": "beta", "baseline": "level2",
                                "display_name": "x", "apps": ["outlook", "com.contoso.app"]})
    stored = dict(resource.create_body(desired), id="T_1", apps=desired["apps"], appGroupType="selectedPublicApps")
    params = graph_to_options(stored, "ios", "beta")
    assert sorted(params["apps"]) == ["com.contoso.app", "outlook"]
    assert not resource.differs(stored, options_to_graph(params))


def schema_path():
    try:
        import tenantguard_sandbox
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(tenantguard_sandbox.__file__), "data", "graph_schema.json")
    return path if os.path.exists(path) else None


@pytest.mark.skipif(schema_path() is None, reason="the sandbox package and its schema copy are not installed")
def test_every_writable_schema_property_is_an_option():
    schema = json.load(open(schema_path(), encoding="utf-8"))
    for version in ("v1.0", "beta"):
        types = schema[version]["types"]
        for platform, type_name in (("ios", "iosManagedAppProtection"), ("android", "androidManagedAppProtection")):
            chain = [type_name] + types[type_name]["baseChain"]
            names = set()
            for name in chain:
                names.update(types.get(name, {}).get("properties", {}))
            for name in names:
                if name in PROPERTIES:
                    assert platform in PROPERTIES[name]["platforms"] and version in PROPERTIES[name]["versions"]
                else:
                    assert name in ("id", "createdDateTime", "lastModifiedDateTime", "version", "isAssigned",
                                    "deployedAppCount", "displayName", "description", "appGroupType"), name
