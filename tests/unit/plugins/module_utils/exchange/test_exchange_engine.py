"""The Exchange cmdlet engine's pure parts: values checked and spelled Exchange's way, plans that send only what
differs (one command per changed object, none for a match), purge, the default policy never removed."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    DeviceAccessRule, OrganizationSettings, desired_rule, desired_rules)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import (
    Field, convert_settings, format_timespan, plan, seconds)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import FIELDS, MailboxPolicy

OUTLOOK = "Outlook for iOS and Android"


def rule_row(query, characteristic, level):
    name = "%s (%s)" % (query, characteristic)
    return {"Identity": name, "Name": name, "QueryString": query, "Characteristic": characteristic,
            "AccessLevel": level}


@given(st.integers(min_value=60, max_value=3600))
def test_time_spans_round_trip_in_exchanges_spelling(total):
    field = Field("MaxInactivityTimeLock", "timespan", low=60, high=3600)
    text = format_timespan(total)
    assert seconds(text) == total and field.convert(text) == text
    hours, minutes, secs = text.split(":")
    assert field.convert("%d:%s:%s" % (int(hours), minutes, secs)) == text


@given(st.sampled_from(["Allow", "Block", "Quarantine"]), st.sampled_from([str.lower, str.upper, str.title]))
def test_enum_values_are_matched_without_regard_to_case(level, spelling):
    field = Field("AccessLevel", "enum", choices=("Allow", "Block", "Quarantine"))
    assert field.convert(spelling(level)) == level
    assert field.same(spelling(level), level)


def test_bad_values_name_the_option_the_value_and_what_is_accepted():
    with pytest.raises(ProblemsError) as caught:
        convert_settings(FIELDS, {"min_password_length": 17, "max_inactivity_time_lock": "2:00:00",
                                  "allow_bluetooth": "Sometimes", "password_enabled": True})
    problems = caught.value.problems
    assert len(problems) == 3
    assert any("min_password_length" in p and "17" in p and "1 to 16" in p for p in problems)
    assert any("max_inactivity_time_lock" in p and "00:01:00 to 01:00:00" in p for p in problems)
    assert any("allow_bluetooth" in p and "HandsfreeOnly" in p for p in problems)
    with pytest.raises(ConfigError) as caught:
        OrganizationSettings.fields[1].convert(["admin@contoso.com", "not-an-address"])
    assert "not-an-address" in caught.value.describe()


def test_rules_plan_only_the_difference():
    current = [rule_row(OUTLOOK, "DeviceModel", "Allow"), rule_row("iPhone", "DeviceType", "Block")]
    same = plan(DeviceAccessRule(), current, [desired_rule({"query_string": OUTLOOK.upper(),
                                                            "characteristic": "devicemodel",
                                                            "access_level": "allow"})])
    assert same.commands == []
    changed = plan(DeviceAccessRule(), current, desired_rules([
        {"query_string": OUTLOOK, "characteristic": "DeviceModel", "access_level": "Allow"},
        {"query_string": "iPhone", "characteristic": "DeviceType", "access_level": "Quarantine"},
        {"query_string": "Android", "characteristic": "DeviceType", "access_level": "Block"}]))
    assert [(c["cmdlet"], c["parameters"]) for c in changed.commands] == [
        ("Set-ActiveSyncDeviceAccessRule", {"Identity": "iPhone (DeviceType)", "AccessLevel": "Quarantine"}),
        ("New-ActiveSyncDeviceAccessRule", {"QueryString": "Android", "Characteristic": "DeviceType",
                                            "AccessLevel": "Block"})]
    assert changed.before == {"iPhone (DeviceType)": {"AccessLevel": "Block"}}
    assert changed.after["iPhone (DeviceType)"] == {"AccessLevel": "Quarantine"}
    purged = plan(DeviceAccessRule(), current, desired_rules([
        {"query_string": OUTLOOK, "characteristic": "DeviceModel", "access_level": "Allow"}]), purge=True)
    assert [(c["cmdlet"], c["parameters"]) for c in purged.commands] == [
        ("Remove-ActiveSyncDeviceAccessRule", {"Identity": "iPhone (DeviceType)", "Confirm": False})]


def test_declared_rules_are_checked_together():
    with pytest.raises(ProblemsError) as caught:
        desired_rules([{"query_string": "iPhone*", "characteristic": "DeviceType", "access_level": "Block"},
                       {"query_string": "iPad", "characteristic": "Model", "access_level": "Block"},
                       {"query_string": "Pixel", "characteristic": "DeviceModel", "access_level": "Allow"},
                       {"query_string": "pixel", "characteristic": "DeviceModel", "access_level": "Block"}])
    problems = caught.value.problems
    assert len(problems) == 3
    assert "rules[0].query_string" in problems[0] and "rules[1].characteristic" in problems[1]
    assert "rules[3]" in problems[2] and "rules[2]" in problems[2]


def test_the_default_policy_is_never_removed():
    current = [{"Name": "Default", "Identity": "Default", "IsDefault": True},
               {"Name": "Corp", "Identity": "Corp", "IsDefault": False}]
    with pytest.raises(ConfigError) as caught:
        plan(MailboxPolicy(), current, [({"Name": "default"}, {}, "absent")])
    assert "default mobile device mailbox policy" in caught.value.describe()
    purged = plan(MailboxPolicy(), current, [({"Name": "Corp"}, {}, "present")], purge=True)
    assert purged.commands == []


def test_the_default_flag_moves_only_by_making_another_policy_the_default():
    current = [{"Name": "Default", "Identity": "Default", "IsDefault": True}]
    with pytest.raises(ConfigError) as caught:
        plan(MailboxPolicy(), current, [({"Name": "Default"}, {"IsDefault": False}, "present")])
    assert "is_default" in caught.value.describe() and "make another policy the default" in caught.value.describe()
