"""Intune endpoints: managed devices, app protection policies with T_ ids, 204 on PATCH,
targetApps/assign replacing whole sets, and Intune's error shapes."""

import pytest

from conftest import assert_graph_error

IOS = "/v1.0/deviceAppManagement/iosManagedAppProtections"


def test_managed_devices_list_and_get(graph):
    body = graph.get("/v1.0/deviceManagement/managedDevices?$filter=operatingSystem eq 'iOS'").json()
    assert len(body["value"]) == 4
    assert all(d["@odata.type"] == "#microsoft.graph.managedDevice" for d in body["value"])
    one = graph.get("/v1.0/deviceManagement/managedDevices/" + body["value"][0]["id"]).json()
    assert one["deviceName"] == body["value"][0]["deviceName"]
    assert graph.get("/v1.0/deviceManagement/managedDevices/$count").status_code == 400


def test_app_protection_lifecycle(graph):
    created = graph.post(IOS, json={"@odata.type": "#microsoft.graph.iosManagedAppProtection",
                                    "displayName": "Outlook BYOD", "pinRequired": True, "minimumPinLength": 6})
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["id"].startswith("T_") and policy["isAssigned"] is False
    path = IOS + "/" + policy["id"]
    assert graph.patch(path, json={"@odata.type": "#microsoft.graph.iosManagedAppProtection",
                                   "minimumPinLength": 8}).status_code == 204
    assert graph.get(path).json()["minimumPinLength"] == 8
    apps = {"apps": [{"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
                                              "bundleId": "com.microsoft.office.outlook"}}],
            "appGroupType": "selectedPublicApps"}
    assert graph.post(path + "/targetApps", json=apps).status_code == 204
    listed = graph.get(path + "/apps").json()["value"]
    assert [a["id"] for a in listed] == ["com.microsoft.office.outlook.ios"]
    assignment = {"assignments": [{"@odata.type": "#microsoft.graph.targetedManagedAppPolicyAssignment",
                                   "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                                              "groupId": "a1b2c3d4-0000-4000-8000-000000000001"}}]}
    assert graph.post("/v1.0/deviceAppManagement/managedAppPolicies/%s/assign" % policy["id"],
                      json=assignment).status_code == 204
    expanded = graph.get(path + "?$expand=apps,assignments").json()
    assert expanded["isAssigned"] is True and len(expanded["assignments"]) == 1 and len(expanded["apps"]) == 1
    assert graph.post(path + "/assign", json={"assignments": []}).status_code == 204
    assert graph.get(path + "/assignments").json()["value"] == []
    assert graph.delete(path).status_code == 204
    assert graph.get(path).status_code == 404


def test_app_list_is_changed_only_through_target_apps(graph):
    policy = graph.post(IOS, json={"displayName": "apps guard"}).json()
    response = graph.post(IOS + "/%s/apps" % policy["id"], json={"mobileAppIdentifier": {}})
    assert_graph_error(response, 400, "No method match route template")
    graph.delete(IOS + "/" + policy["id"])


@pytest.mark.parametrize("body", [
    {"displayName": "x", "pinRequired": "yes"},
    {"displayName": "x", "shoeSize": 3},
])
def test_schema_mismatch_in_intune_words(graph, body):
    error = assert_graph_error(graph.post(IOS, json=body), 400, "BadRequest")
    assert error["message"].endswith("in payload has a value that does not match schema.")
