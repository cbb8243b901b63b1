"""Request bodies read against Microsoft's published schema, answered as each Graph service answers."""

import json
from pathlib import Path

import pytest

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation import entity_type_for_path, load_schema, select_properties, validate_entity
from tenantguard_sandbox.validation.schema import BodyReader, PathTarget, SchemaViolation

EXAMPLES = Path(__file__).parent / "examples"


def example(relative):
    return json.loads((EXAMPLES / relative).read_text())


def documented_error(name):
    """The documented error response: (status, code, message)."""
    response = example("errors/%s.json" % name)["response"]
    return response["status"], response["body"]["error"]["code"], response["body"]["error"]["message"]


def refusal(version, type_name, body, op="create"):
    with pytest.raises(GraphHTTPError) as caught:
        validate_entity(version, type_name, body, op)
    return caught.value


def test_schema_is_loaded_once_and_carries_its_source():
    assert load_schema() is load_schema()
    assert load_schema()["v1.0"]["source"]["commit"].startswith("f54f11b6")


# -- stock OData workloads (authentication strengths sit behind the OData reader) --------------------------

def test_unknown_property_on_a_stock_odata_type_is_request_body_read():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"displayName": "x", "name": "y"})
    status, code, message = documented_error("odata_unknown_property_in_body")
    assert (error.status, error.code) == (status, code) == (400, "RequestBodyRead")
    # Same wording as the documented Outlook sample, for this type.
    assert error.message == message.replace("'Microsoft.OutlookServices.EmailAddress'",
                                            "'microsoft.graph.authenticationStrengthPolicy'")
    assert error.target == "name"


def test_wrong_json_type_on_a_stock_odata_type():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"displayName": 42})
    assert (error.status, error.code) == (400, "RequestBodyRead")
    assert error.message == "Cannot convert the literal '42' to the expected type 'Edm.String'."
    assert "displayName" in error.detail and "Edm.String" in error.detail


def test_array_where_a_single_value_is_declared_is_a_node_mismatch():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"displayName": ["x"]})
    assert error.message == ("An unexpected 'StartArray' node was found when reading from the JSON reader. "
                             "A 'PrimitiveValue' node was expected.")


def test_null_in_a_non_nullable_property_is_refused():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"displayName": None})
    assert error.code == "RequestBodyRead"
    assert "A null value was found for the property named 'displayName'" in error.message


def test_unknown_enum_member_is_refused_and_members_are_parsed_case_insensitively():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"allowedCombinations": ["password,carrierPigeon"]})
    assert error.code == "RequestBodyRead" and "carrierPigeon" in error.detail
    body = validate_entity("v1.0", "authenticationStrengthPolicy",
                           {"allowedCombinations": ["SMS , Password", "FIDO2"]}, "create")
    assert body["allowedCombinations"] == ["password,sms", "fido2"]


# -- conditional access workload ------------------------------------------------------------------------

def test_conditional_access_types_answer_1007_with_the_documented_text():
    error = refusal("v1.0", "conditionalAccessPolicy", {"displayName": "x", "unknown": True})
    status, code, message = documented_error("ca_1007_schema_mismatch")
    assert (error.status, error.code, error.message) == (status, code, message)


def test_named_location_types_answer_1007_naming_the_named_location_type():
    error = refusal("v1.0", "ipNamedLocation", {"displayName": "x", "ipRange": []})
    assert (error.status, error.code) == (400, "BadRequest")
    assert error.message.startswith("1007: Incoming NamedLocation object is null or does not match the schema of "
                                    "NamedLocation type.")
    assert "conditionalaccessroot-post-namedlocations" in error.message


# -- Intune -------------------------------------------------------------------------------------------------

def test_intune_names_the_payload_property_whose_value_does_not_match():
    status, code, message = documented_error("intune_value_does_not_match_schema")
    error = refusal("beta", "managedMobileApp", {"mobileAppIdentifier": {"bundleId": "com.microsoft.Office.Outlook"}})
    assert (error.status, error.code, error.message) == (status, code, message)
    assert "concrete type" in error.detail


def test_read_only_property_core_computed_is_refused():
    error = refusal("v1.0", "managedDevice", {"complianceState": "compliant"}, op="update")
    assert (error.status, error.code) == (400, "BadRequest")
    assert error.message == "Property complianceState in payload has a value that does not match schema."
    assert "read-only" in error.detail


def test_read_only_property_from_the_description_hint_is_refused():
    error = refusal("v1.0", "ipNamedLocation", {"displayName": "x", "createdDateTime": "2024-01-01T00:00:00Z"})
    assert error.message.startswith("1007: Incoming NamedLocation object")
    assert error.target == "createdDateTime" and "read-only" in error.detail


# -- @odata.type ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["#microsoft.graph.iosMobileAppIdentifier", "microsoft.graph.iosMobileAppIdentifier"])
def test_derived_type_may_be_named_with_or_without_the_hash(written):
    body = validate_entity("v1.0", "managedMobileApp",
                           {"mobileAppIdentifier": {"@odata.type": written, "bundleId": "com.microsoft.Office.Outlook"}},
                           "create")
    assert body["mobileAppIdentifier"]["@odata.type"] == "#microsoft.graph.iosMobileAppIdentifier"


def test_a_type_that_does_not_derive_from_the_declared_one_is_refused():
    error = refusal("v1.0", "managedMobileApp",
                    {"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.keyValuePair", "name": "a"}})
    assert error.message == "Property mobileAppIdentifier in payload has a value that does not match schema."
    assert "#microsoft.graph.mobileAppIdentifier or a type derived from it" in error.detail


def test_an_unknown_type_name_is_refused():
    error = refusal("v1.0", "authenticationStrengthPolicy", {"@odata.type": "#microsoft.graph.nope"})
    assert error.message.startswith("A type named 'microsoft.graph.nope' could not be resolved by the model.")


def test_properties_of_the_derived_type_are_known_only_when_it_is_named():
    refusal("v1.0", "namedLocation", {"displayName": "x", "isTrusted": True})
    body = validate_entity("v1.0", "namedLocation", {"@odata.type": "#microsoft.graph.ipNamedLocation",
                                                      "displayName": "x", "isTrusted": True}, "update")
    assert body["isTrusted"] is True


# -- primitives --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, accepted", [
    ("2019-10-14T19:53:11.3705634Z", True),
    ("2016-12-31T23:58:46.7156189-08:00", True),
    ("2019-10-14T19:53:11", False),
    ("2019-02-30T00:00:00Z", False),
    ("yesterday", False),
])
def test_date_time_offset_values(value, accepted):
    body = {"@odata.type": "#microsoft.graph.iosManagedAppProtection", "displayName": "x",
            "createdDateTime": value}
    if accepted:
        assert validate_entity("v1.0", "iosManagedAppProtection", body, "create")["createdDateTime"] == value
    else:
        assert "createdDateTime" == refusal("v1.0", "iosManagedAppProtection", body).target


def test_durations_integers_and_booleans():
    good = {"periodOfflineBeforeAccessCheck": "PT12H", "maximumPinRetries": 5, "pinRequired": True}
    assert validate_entity("v1.0", "iosManagedAppProtection", good, "update") == good
    for bad in ({"periodOfflineBeforeAccessCheck": "12 hours"}, {"maximumPinRetries": "5"},
                {"maximumPinRetries": True}, {"pinRequired": "true"}, {"maximumPinRetries": 2 ** 40}):
        assert refusal("v1.0", "iosManagedAppProtection", bad, op="update").target == next(iter(bad))


def test_guid_values_need_the_canonical_form():
    # No Edm.Guid property is in the extract's writable types, so the reader is asked directly.
    reader = BodyReader("v1.0", "create")
    guid = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
    assert reader.read_value("group", "id", "Edm.Guid", False, guid, ["id"]) == guid
    with pytest.raises(SchemaViolation) as caught:
        reader.read_value("group", "id", "Edm.Guid", False, "ba8e7ded8b0f4836", ["id"])
    assert caught.value.kind == "wrong_literal"


# -- the documented request bodies pass -----------------------------------------------------------------------

def _write_examples():
    for path in sorted(EXAMPLES.glob("*/*.json")):
        data = json.loads(path.read_text())
        request = data.get("request") if isinstance(data, dict) else None
        if not request or request.get("method") not in ("POST", "PATCH") or not isinstance(request.get("body"), dict):
            continue
        version = "beta" if "/beta/" in request["url"] else "v1.0"
        target = entity_type_for_path(version, request["url"])
        if target is not None:
            yield pytest.param(version, target.type_name, request, id=path.name)


@pytest.mark.parametrize("version, type_name, request_", list(_write_examples()))
def test_every_documented_entity_write_body_is_accepted(version, type_name, request_):
    op = "create" if request_["method"] == "POST" else "update"
    body = validate_entity(version, type_name, request_["body"], op)
    assert set(body) <= set(request_["body"])


# -- $select and paths ---------------------------------------------------------------------------------------

def test_select_properties_include_inherited_and_navigation_names():
    names = select_properties("v1.0", "conditionalAccessPolicy")
    assert {"id", "displayName", "conditions", "grantControls", "templateId", "deletedDateTime"} <= names
    assert "templateId" not in select_properties("beta", "conditionalAccessPolicy")
    assert "ipRanges" in select_properties("v1.0", "ipNamedLocation")
    assert "ipRanges" not in select_properties("v1.0", "namedLocation")
    # Directory types are kept in part in the extract; $select still knows every name.
    assert "userPrincipalName" in select_properties("v1.0", "user") and "mail" in select_properties("v1.0", "user")


@pytest.mark.parametrize("path, expected", [
    ("/v1.0/identity/conditionalAccess/policies", PathTarget("conditionalAccessPolicy", True)),
    ("/v1.0/identity/conditionalAccess/policies/7359d0e0-d8a9-4afa-8a93-e23e099d7be8",
     PathTarget("conditionalAccessPolicy", False)),
    ("https://graph.microsoft.com/beta/identity/conditionalAccess/namedLocations('abc')?$select=id",
     PathTarget("namedLocation", False)),
    ("/v1.0/identity/conditionalAccess/namedLocations/microsoft.graph.ipNamedLocation",
     PathTarget("ipNamedLocation", True)),
    ("/v1.0/deviceAppManagement/iosManagedAppProtections/T_e9d815d5-0faa-4517-8700-16bc91912c72/apps",
     PathTarget("managedMobileApp", True)),
    ("/v1.0/policies/authenticationStrengthPolicies", PathTarget("authenticationStrengthPolicy", True)),
    ("/v1.0/no/such/thing", None),
])
def test_entity_type_for_path(path, expected):
    version = "beta" if "/beta/" in path else "v1.0"
    assert entity_type_for_path(version, path) == expected
