"""Filter for devices rules, parsed and evaluated offline.

Rules from Learn: "Conditional Access: Filter for devices"
(https://learn.microsoft.com/entra/identity/conditional-access/concept-condition-filters-for-devices: the
properties, the operators each supports, null properties of unregistered devices, extension attributes)
and "Manage rules for dynamic membership groups in Microsoft Entra ID"
(https://learn.microsoft.com/entra/identity/users/groups-dynamic-membership: syntax, precedence, quoting,
case-insensitive string operations, operators with or without the hyphen).
"""

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.device_filter import (
    matches,
    parse,
    properties_used,
)

DEVICE = {
    "deviceId": "d0000000-0000-4000-8000-000000000001",
    "displayName": "CONTOSO-LT-042",
    "deviceOwnership": "Company",
    "enrollmentProfileName": "AutoPilot Profile Sales",
    "isCompliant": True,
    "manufacturer": "Microsoft Corporation",
    "mdmAppId": "0000000a-0000-0000-c000-000000000000",
    "model": "Surface Laptop 5",
    "operatingSystem": "Windows",
    "operatingSystemVersion": "10.0.22631",
    "physicalIds": ["[ZTDId]:abc", "[OrderId]:Sales"],
    "profileType": "RegisteredDevice",
    "systemLabels": ["M365Managed"],
    "trustType": "AzureAD",
    "extensionAttribute1": "SAW",
}

# (rule, expected on DEVICE, expected on an unregistered device whose properties are all null)
OPERATORS = [
    ('device.trustType -eq "AzureAD"', True, False),
    ('device.trustType -ne "ServerAD"', True, True),
    ('device.displayName -startsWith "contoso"', True, False),
    ('device.displayName -notStartsWith "FABRIKAM"', True, True),
    ('device.displayName -endsWith "-042"', True, False),
    ('device.displayName -notEndsWith "-042"', False, True),
    ('device.model -contains "laptop"', True, False),
    ('device.model -notContains "Surface"', False, True),
    ('device.operatingSystemVersion -in ["10.0.19045", "10.0.22631"]', True, False),
    ('device.operatingSystemVersion -notIn ["10.0.19045"]', True, True),
    ('device.displayName -match "^contoso-lt-[0-9]+$"', True, False),
    ('device.displayName -notMatch "^FAB"', True, True),
    ('device.physicalIds -contains "[ZTDId]:abc"', True, False),
    ('device.physicalIds -contains "[ZTDId]"', False, False),
    ('device.systemLabels -notContains "MultiUser"', True, True),
    ("device.isCompliant -eq True", True, False),
    ('device.isCompliant -eq "True"', True, False),
    ("device.isCompliant -ne false", True, True),
    ('device.deviceOwnership -eq "Company"', True, False),
    ('device.profileType -ne "Printer"', True, True),
    ('device.mdmAppId -in ["0000000a-0000-0000-c000-000000000000"]', True, False),
    ('device.deviceId -eq "D0000000-0000-4000-8000-000000000001"', True, False),
    ('device.enrollmentProfileName -startsWith "AutoPilot Profile"', True, False),
    ('device.manufacturer -startsWith "Microsoft"', True, False),
    ('device.extensionAttribute1 -eq "SAW"', True, False),
    ("device.trustType -eq null", False, True),
    ("device.trustType -ne null", True, False),
]


@pytest.mark.parametrize("rule, on_device, on_unregistered", OPERATORS, ids=[o[0] for o in OPERATORS])
def test_each_operator_on_a_registered_and_an_unregistered_device(rule, on_device, on_unregistered):
    assert matches(rule, DEVICE) is on_device
    assert matches(rule, {}) is on_unregistered
    assert matches(rule, None) is on_unregistered


def test_string_operations_ignore_case_and_operators_take_any_case_with_or_without_hyphen():
    assert matches('device.operatingSystem -EQ "windows"', DEVICE)
    assert matches('device.model contains "SURFACE"', DEVICE)
    assert matches('device.model -notcontains "iPhone"', DEVICE)
    assert matches('device.OperatingSystem \u2013eq "Windows"', DEVICE)


def test_precedence_and_binds_before_or_and_not_before_and():
    # false -and false -or true: and first, so true
    assert matches('device.model -eq "x" -and device.model -eq "y" -or device.trustType -eq "AzureAD"', DEVICE)
    # true -or true -and false: and first, so true
    assert matches('device.trustType -eq "AzureAD" -or device.model -eq "x" -and device.model -eq "y"', DEVICE)
    # parentheses change it: (true -or true) -and false
    assert not matches('(device.trustType -eq "AzureAD" -or device.model -eq "x") -and device.model -eq "y"', DEVICE)
    assert not matches('-not device.trustType -eq "AzureAD"', DEVICE)
    assert matches('device.isCompliant -eq true -and -not (device.model -startsWith "iPhone")', DEVICE)
    assert parse('device.model -eq "a" -or device.model -eq "b" -and device.model -eq "c"') == (
        "or", [("compare", "model", "eq", "a"),
               ("and", [("compare", "model", "eq", "b"), ("compare", "model", "eq", "c")])])


def test_quoting_backtick_and_doubled_single_quote():
    device = {"displayName": 'Sam\'s "lab" PC'}
    assert matches('device.displayName -eq "Sam\'s `"lab`" PC"', device)
    assert matches("device.displayName -startsWith 'Sam''s'", device)


def test_extension_attributes_need_a_managed_compliant_or_hybrid_joined_device():
    registered = {"trustType": "Workplace", "isCompliant": False, "extensionAttribute1": "SAW"}
    assert not matches('device.extensionAttribute1 -eq "SAW"', registered)
    assert matches('device.extensionAttribute1 -ne "SAW"', registered)
    assert matches('device.extensionAttribute1 -eq "SAW"', dict(registered, trustType="ServerAD"))
    assert matches('device.extensionAttribute1 -eq "SAW"', dict(registered, isCompliant=True))
    assert matches('device.extensionAttribute1 -eq "SAW"', dict(registered, mdmAppId="0000000a-0000-0000-c000-000000000000"))


def test_property_names_of_the_device_dict_match_without_regard_to_case():
    assert matches('device.deviceid -eq "abc"', {"DeviceId": "ABC"})


def test_properties_used():
    assert properties_used('device.model -eq "a" -or (device.trustType -eq "AzureAD" -and device.model -ne "b")') == [
        "model", "trustType"]


# (rule, 1-based position the message names, words the message must hold)
SYNTAX_ERRORS = [
    ("", 1, "empty"),
    ('device.colour -eq "red"', 1, "unknown device property device.colour"),
    ('device.trustType -startsWith "Azure"', 18, "-startsWith is not supported for device.trustType; expected one of -eq, -ne"),
    ('device.physicalIds -eq "x"', 20, "expected one of -contains, -notContains"),
    ('device.model -like "x"', 14, "unknown operator -like"),
    ('device.model -eq', 17, "expected a value"),
    ('device.model "x"', 14, "expected an operator after device.model"),
    ('(device.model -eq "x"', 22, "expected ')' to close the '(' at character 1"),
    ('device.model -eq "x" device.model -eq "y"', 22, "expected -and, -or or the end of the rule"),
    ('device.model -eq "x', 18, 'no closing "'),
    ('device.model -in "x"', 18, "expected a list of values"),
    ('device.model -in ["a" "b"]', 23, "expected ',' or ']'"),
    ('device.model -match "("', 14, "invalid regular expression"),
    ('model -eq "x"', 1, "expected a device property"),
    ('device.model -eq "x" -and', 26, "expected an expression"),
    ('device.model -eq "x" ; drop', 22, "unexpected character ';'"),
]


@pytest.mark.parametrize("rule, position, words", SYNTAX_ERRORS, ids=[e[0] or "empty" for e in SYNTAX_ERRORS])
def test_syntax_errors_name_the_rule_and_the_position(rule, position, words):
    with pytest.raises(ValueError) as error:
        parse(rule)
    message = str(error.value)
    assert message.startswith("device filter rule %r, at character %d: " % (rule, position)), message
    assert words in message


def test_a_list_value_on_a_single_valued_property_is_refused():
    with pytest.raises(ValueError, match="device property model is .* expected a single value"):
        matches('device.model -eq "a"', {"model": ["a", "b"]})
