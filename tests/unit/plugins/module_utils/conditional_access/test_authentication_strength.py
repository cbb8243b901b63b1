"""Authentication strength options, checks, normaliser and the requests of an update."""
import json
import os

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import (
    METHOD_MODES, AuthenticationStrengthType, canonical_combination, graph_to_options, normalise, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "authentication_strengths")


def example(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def built_ins():
    return example("v10__authenticationstrengthroot-list-policies__1.json")["response"]["body"]["value"]


def test_method_modes_are_the_schema_members():
    # authenticationMethodModes of the v1.0 CSDL, without unknownFutureValue.
    assert len(METHOD_MODES) == 17 and METHOD_MODES[0] == "password" and METHOD_MODES[-1] == "qrCodePin"


def test_documented_request_and_response_spellings_are_the_same():
    created = example("v10__authenticationstrengthroot-post-policies__1.json")
    assert normalise(created["request"]["body"]) == normalise(created["response"]["body"])


def test_built_in_strengths_round_trip_through_params():
    for policy in built_ins():
        params = graph_to_options(policy)
        assert normalise(options_to_graph(params)) == normalise(policy)
        assert AuthenticationStrengthType().differs(policy, options_to_graph(params)) is False


# -- normalisation rules ------------------------------------------------------------------------

def test_server_fields_do_not_count():
    policy = built_ins()[2]
    assert normalise(policy) == {"displayName": policy["displayName"], "description": policy["description"],
                                 "allowedCombinations": sorted(policy["allowedCombinations"])}


def test_spaces_case_and_order_within_a_combination_do_not_count():
    assert canonical_combination("sms, Password") == "password,sms"
    assert canonical_combination("MicrosoftAuthenticatorPush,password") == "password,microsoftAuthenticatorPush"
    assert normalise({"allowedCombinations": ["password, hardwareOath"]}) == normalise(
        {"allowedCombinations": ["hardwareOath,password"]})


def test_combinations_are_a_set():
    assert normalise({"allowedCombinations": ["fido2", "password,sms", "fido2"]}) == normalise(
        {"allowedCombinations": ["sms,password", "fido2"]})
    assert normalise({"allowedCombinations": ["fido2"]}) != normalise({"allowedCombinations": ["fido2", "sms"]})


def test_null_empty_and_absent_description_are_the_same():
    assert normalise({"description": None}) == normalise({"description": ""}) == normalise({})
    assert normalise({"description": "x"}) != normalise({})


def test_unknown_modes_are_kept_when_comparing():
    assert canonical_combination("futureMode, password") == "password,futuremode"


# -- options ------------------------------------------------------------------------------------

def test_options_map_to_graph():
    assert options_to_graph({"display_name": "S", "description": "", "allowed_combinations": [
        "Password, SMS", "fido2", "sms,password"]}) == {
        "displayName": "S", "description": None, "allowedCombinations": ["password,sms", "fido2"]}
    assert options_to_graph({"display_name": "S"}) == {"displayName": "S"}


@pytest.mark.parametrize("value,words", [
    ("password,bogus", "'bogus' is not an authentication method mode"),
    ("password,,sms", "has an empty mode"),
    ("", "has an empty mode"),
    ("unknownFutureValue", "'unknownFutureValue' is not an authentication method mode"),
])
def test_unknown_combination_names_field_value_and_modes(value, words):
    with pytest.raises(InvalidOption) as info:
        options_to_graph({"allowed_combinations": ["fido2", value]}, "authentication_strength_policies[0]")
    text = info.value.describe()
    assert text.startswith("Option authentication_strength_policies[0].allowed_combinations[1]: ")
    assert words in text and repr(value) in text
    assert "microsoftAuthenticatorPush" in text  # the accepted modes are listed


def test_empty_combinations_are_refused():
    with pytest.raises(InvalidOption, match="allowed_combinations: is empty"):
        options_to_graph({"allowed_combinations": []})


# -- the resource type --------------------------------------------------------------------------

def test_create_needs_combinations():
    with pytest.raises(InvalidOption, match=r"^Option allowed_combinations: is required to create"):
        AuthenticationStrengthType().check_create({"displayName": "S"})


def test_built_ins_are_protected_custom_ones_are_not():
    kind = AuthenticationStrengthType()
    assert all("built in" in kind.protected(p) for p in built_ins())
    assert kind.protected(example("v10__authenticationstrengthroot-post-policies__1.json")["response"]["body"]) is None


def test_name_and_description_go_by_patch_combinations_by_their_action():
    current = example("v10__authenticationstrengthroot-post-policies__1.json")["response"]["body"]
    kind = AuthenticationStrengthType()
    desired = options_to_graph({"description": "New", "allowed_combinations": ["password, voice"]})
    writes = kind.update_writes(current, desired)
    assert [(w.method, w.suffix, w.body) for w in writes] == [
        ("PATCH", "", {"description": "New"}),
        ("POST", "/updateAllowedCombinations", {"allowedCombinations": ["password,voice"]})]
    assert writes[1].idempotent is True
    same = options_to_graph({"allowed_combinations": ["sms,password", "hardwareOath, password"]})
    assert kind.update_writes(current, same) == []


def test_clearing_the_description_sends_null():
    current = {"id": "x", "displayName": "S", "description": "Old", "allowedCombinations": ["fido2"]}
    writes = AuthenticationStrengthType().update_writes(current, options_to_graph({"description": ""}))
    assert [(w.method, w.body) for w in writes] == [("PATCH", {"description": None})]


def test_create_body_leaves_out_nulls_and_prediction_is_custom():
    kind = AuthenticationStrengthType()
    body = kind.create_body(options_to_graph({"display_name": "S", "description": "", "allowed_combinations": ["fido2"]}))
    assert body == {"displayName": "S", "allowedCombinations": ["fido2"]}
    assert kind.predict_created(body)["policyType"] == "custom"
