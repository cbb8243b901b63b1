"""Bound action bodies (assign, targetApps) read against the schema's most-derived overload."""

import json
from pathlib import Path

import pytest

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation.actions import action_definition, validate_action

EXAMPLES = Path(__file__).parent / "examples"
OUTLOOK_IOS = {"@odata.type": "#microsoft.graph.managedMobileApp",
               "mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
                                       "bundleId": "com.microsoft.office.outlook"}}
BOUND = {"targetedmanagedappconfiguration": "targetedManagedAppConfiguration", "managedapppolicy": "managedAppPolicy",
         "managedappprotection": "managedAppProtection", "targetedmanagedappprotection": "targetedManagedAppProtection"}


def _action_examples():
    for path in sorted(EXAMPLES.glob("targeted_managed_app_*/*.json")):
        request = json.loads(path.read_text())["request"]
        action = request["url"].rstrip("/").rsplit("/", 1)[-1]
        if request["method"] == "POST" and action in ("assign", "targetApps"):
            version = "beta" if "/beta/" in request["url"] else "v1.0"
            bound = BOUND[path.name.split("__")[1].split("-")[2]]
            yield pytest.param(version, bound, action, request["body"], id=path.name)


@pytest.mark.parametrize("version, type_name, action, body", list(_action_examples()))
def test_documented_action_bodies_are_accepted(version, type_name, action, body):
    assert set(validate_action(version, type_name, action, body)) == set(body)


def test_the_most_derived_overload_applies():
    assert action_definition("v1.0", "iosManagedAppProtection", "targetApps")["boundTo"] == "targetedManagedAppProtection"
    assert action_definition("beta", "androidManagedAppProtection", "assign")["boundTo"] == "targetedManagedAppProtection"
    body = {"apps": [OUTLOOK_IOS], "appGroupType": "SelectedPublicApps"}
    assert validate_action("v1.0", "iosManagedAppProtection", "targetApps", body)["appGroupType"] == "selectedPublicApps"
    error = pytest.raises(GraphHTTPError, validate_action, "v1.0", "managedAppPolicy", "targetApps", body).value
    assert error.message == ("The parameter 'appGroupType' in the request payload is not a valid parameter for the "
                             "operation 'targetApps'.")


def test_an_app_identifier_without_its_type_is_intunes_schema_error():
    body = {"apps": [{"mobileAppIdentifier": {"bundleId": "com.microsoft.office.outlook"}}]}
    error = pytest.raises(GraphHTTPError, validate_action, "v1.0", "iosManagedAppProtection", "targetApps", body).value
    assert (error.status, error.code) == (400, "BadRequest")
    assert error.message == "Property apps in payload has a value that does not match schema."
    assert error.target == "apps[0].mobileAppIdentifier.@odata.type"


def test_an_assignment_target_must_be_a_concrete_type():
    body = {"assignments": [{"target": {"groupId": "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"}}]}
    error = pytest.raises(GraphHTTPError, validate_action, "v1.0", "iosManagedAppProtection", "assign", body).value
    assert "groupAssignmentTarget" in error.detail
