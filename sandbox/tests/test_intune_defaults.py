"""Intune reads return every property of the entity's type, those never sent with Graph's defaults, on v1.0 and
beta; what the sandbox stores holds them too (read directly from its state directory)."""

import json
import os

import pytest

from conftest import Client
from tenantguard_sandbox import defaults
from tenantguard_sandbox.testing import running_sandbox
from tenantguard_sandbox.validation.schema import model

SETS = {"iosManagedAppProtections": "iosManagedAppProtection",
        "androidManagedAppProtections": "androidManagedAppProtection",
        "targetedManagedAppConfigurations": "targetedManagedAppConfiguration"}
GROUP = "0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    seed = {"managedDevices": [{"id": "5c1d0e9f-8a7b-4c6d-9e0f-1a2b3c4d5e6f", "deviceName": "phone-1",
                                "operatingSystem": "iOS", "complianceState": "compliant"}]}
    with running_sandbox(tmp_path_factory.mktemp("intune-defaults"), seed=seed) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def stored(sb, collection, key):
    with open(os.path.join(sb.state_dir, "data", collection + ".json"), encoding="utf-8") as handle:
        return next(o for o in json.load(handle) if o["id"] == key)


@pytest.mark.parametrize("entity_set", sorted(SETS))
@pytest.mark.parametrize("created_on", ["v1.0", "beta"])
def test_every_property_is_returned_with_its_default(sb, graph, entity_set, created_on):
    type_name = SETS[entity_set]
    created = graph.post("/%s/deviceAppManagement/%s" % (created_on, entity_set),
                         json={"@odata.type": "#microsoft.graph." + type_name, "displayName": "minimal"})
    assert created.status_code == 201, created.text
    key = created.json()["id"]
    for version in ("v1.0", "beta"):
        body = graph.get("/%s/deviceAppManagement/%s/%s" % (version, entity_set, key)).json()
        declared = set(model(version).properties(type_name))
        assert set(body) - {"@odata.context", "@odata.type"} == declared, version
        for prop in declared - {"id", "displayName", "createdDateTime", "lastModifiedDateTime", "version"}:
            assert body[prop] == defaults.default_for(version, type_name, prop)[0], (version, prop)
        listed = graph.get("/%s/deviceAppManagement/%s" % (version, entity_set)).json()["value"]
        assert set(next(x for x in listed if x["id"] == key)) - {"@odata.type"} == declared
    if created_on == "beta":
        assert body["roleScopeTagIds"] == ["0"]
    # what the tenant holds: the defaults of the version the policy was created on, stored
    held = stored(sb, entity_set, key)
    for prop in model(created_on).properties(type_name):
        assert prop in held, prop


def test_documented_and_inferred_defaults_of_an_ios_policy(graph):
    created = graph.post("/beta/deviceAppManagement/iosManagedAppProtections",
                         json={"displayName": "defaults", "pinRequired": True}).json()
    assert created["pinRequired"] is True  # what was sent wins
    assert created["protectedMessagingRedirectAppType"] == "anyApp"  # "Default is anyApp." (description)
    assert created["allowedOutboundClipboardSharingExceptionLength"] == 0  # "Default value of '0'" (description)
    assert created["appGroupType"] == "selectedPublicApps"  # enum value 0 (inferred)
    assert created["targetedAppManagementLevels"] == "unspecified"
    assert created["exemptedAppProtocols"] == [] and created["minimumRequiredOsVersion"] is None
    assert created["isAssigned"] is False and created["deployedAppCount"] == 0


def test_assignments_and_apps_carry_their_defaults_per_version(sb, graph):
    policy = graph.post("/beta/deviceAppManagement/iosManagedAppProtections", json={"displayName": "assigned"}).json()
    path = "/%s/deviceAppManagement/iosManagedAppProtections/" + policy["id"]
    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}
    assert graph.post(path % "beta" + "/assign", json={"assignments": [{"target": target}]}).status_code == 204
    app = {"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
                                   "bundleId": "com.microsoft.Office.Outlook"}}
    assert graph.post(path % "beta" + "/targetApps", json={"apps": [app]}).status_code == 204
    beta = graph.get(path % "beta" + "/assignments").json()["value"][0]
    assert beta["source"] == "direct" and beta["sourceId"] is None
    assert beta["target"] == {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP,
                              "deviceAndAppManagementAssignmentFilterId": None,
                              "deviceAndAppManagementAssignmentFilterType": "none"}
    v1 = graph.get(path % "v1.0" + "/assignments").json()["value"][0]
    assert set(v1) == {"id", "target"} and v1["target"] == {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                                                            "groupId": GROUP}
    expanded = graph.get(path % "beta" + "?$expand=apps,assignments").json()
    assert expanded["assignments"] == [beta]
    assert set(expanded["apps"][0]) == {"id", "mobileAppIdentifier", "version"}
    held = stored(sb, "iosManagedAppProtections", policy["id"])["assignments"][0]
    assert held["source"] == "direct" and held["target"]["deviceAndAppManagementAssignmentFilterType"] == "none"


def test_an_intunecd_style_round_trip_changes_nothing(graph):
    """GET, strip what IntuneCD strips (id, version, timestamps, isAssigned, deployedAppCount, @odata.context),
    PATCH it back: accepted, and the policy reads the same."""
    path = "/beta/deviceAppManagement/androidManagedAppProtections"
    key = graph.post(path, json={"displayName": "round trip", "minimumPinLength": 6}).json()["id"]
    before = graph.get(path + "/" + key).json()
    body = {k: v for k, v in before.items() if k not in ("id", "version", "createdDateTime", "lastModifiedDateTime",
                                                        "isAssigned", "deployedAppCount", "@odata.context")}
    response = graph.patch(path + "/" + key, json=body)
    assert response.status_code == 204, response.text
    after = graph.get(path + "/" + key).json()
    assert {k: v for k, v in after.items() if k != "lastModifiedDateTime"} == \
        {k: v for k, v in before.items() if k != "lastModifiedDateTime"}


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_managed_devices_return_every_property(graph, version):
    listed = graph.get("/%s/deviceManagement/managedDevices" % version).json()["value"]
    device = listed[0]
    declared = set(model(version).properties("managedDevice"))
    assert set(device) - {"@odata.type"} == declared
    assert device["complianceState"] == "compliant"  # seeded
    assert device["managementState"] == "managed"  # "Default is managed." (description)
    assert device["udid"] == ""  # "Default is an empty string." (description)
    single = graph.get("/%s/deviceManagement/managedDevices/%s" % (version, device["id"])).json()
    assert set(single) - {"@odata.context", "@odata.type"} == declared


def test_every_default_has_a_known_kind_of_evidence():
    for version in ("v1.0", "beta"):
        for type_name in list(SETS.values()) + ["targetedManagedAppPolicyAssignment", "managedMobileApp",
                                                "managedDevice", "groupAssignmentTarget"]:
            for row in defaults.table(version, type_name):
                assert row["evidence"] in ("behavior", "description", "computed", "schema", "inferred"), row
                pdef = model(version).properties(type_name)[row["property"]]
                if row["evidence"] == "schema":
                    assert row["default"] == ([] if pdef.get("collection") else None)
