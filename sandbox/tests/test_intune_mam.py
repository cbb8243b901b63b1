"""Intune MAM in the sandbox beyond the basics: targeted managed app configurations with their apps and
assignments, $expand, deploymentSummary computed from group membership, and app writes refused."""
from conftest import assert_graph_error, uid

DAM = "/v1.0/deviceAppManagement"
CONFIGS = DAM + "/targetedManagedAppConfigurations"
ANDROID = DAM + "/androidManagedAppProtections"


def outlook(platform):
    if platform == "ios":
        return {"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
                                        "bundleId": "com.microsoft.Office.Outlook"}}
    return {"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.androidMobileAppIdentifier",
                                    "packageId": "com.microsoft.office.outlook"}}


def group_target(group_id, exclude=False):
    kind = "exclusionGroupAssignmentTarget" if exclude else "groupAssignmentTarget"
    return {"@odata.type": "#microsoft.graph.targetedManagedAppPolicyAssignment",
            "target": {"@odata.type": "#microsoft.graph." + kind, "groupId": group_id}}


def test_configuration_lifecycle_with_apps_assignments_and_expand(graph):
    created = graph.post(CONFIGS, json={"@odata.type": "#microsoft.graph.targetedManagedAppConfiguration",
                                        "displayName": "Outlook accounts",
                                        "customSettings": [{"name": "IntuneMAMAllowedAccountsOnly",
                                                            "value": "Enabled"}]})
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["id"].startswith("T_") and policy["deployedAppCount"] == 0
    path = CONFIGS + "/" + policy["id"]
    patched = graph.patch(path, json={"customSettings": [{"name": "IntuneMAMUPN", "value": "{{userprincipalname}}"}]})
    assert patched.status_code == 204 and patched.content == b""
    assert graph.get(path).json()["customSettings"] == [{"name": "IntuneMAMUPN", "value": "{{userprincipalname}}"}]
    assert graph.post(path + "/targetApps", json={"apps": [outlook("ios"), outlook("android")],
                                                  "appGroupType": "selectedPublicApps"}).status_code == 204
    assert graph.post(path + "/assign", json={"assignments": [group_target(uid("group", "staff"))]}).status_code == 204
    expanded = graph.get(path + "?$expand=apps,assignments").json()
    assert sorted(a["id"] for a in expanded["apps"]) == ["com.microsoft.office.outlook.android",
                                                         "com.microsoft.office.outlook.ios"]
    assert expanded["assignments"][0]["target"]["groupId"] == uid("group", "staff")
    listed = graph.get(CONFIGS + "?$expand=apps,assignments").json()["value"]
    assert any(p["id"] == policy["id"] and len(p["apps"]) == 2 for p in listed)
    plain = graph.get(path).json()
    assert "apps" not in plain and "assignments" not in plain
    assert_graph_error(graph.get(path + "?$expand=owners"), 400, "BadRequest")
    assert_graph_error(graph.post(path + "/apps", json=outlook("ios")), 400, "No method match route template")
    assert_graph_error(graph.patch(path + "/apps/com.microsoft.office.outlook.ios", json={}), 400,
                       "No method match route template")
    assert graph.delete(path).status_code == 204
    assert graph.get(path).status_code == 404


def test_deployment_summary_counts_users_of_included_minus_excluded_groups(graph):
    policy = graph.post(ANDROID, json={"displayName": "summary"}).json()
    path = ANDROID + "/" + policy["id"]
    graph.post(path + "/targetApps", json={"apps": [outlook("android")]})
    empty = graph.get(path + "/deploymentSummary").json()
    assert empty["configurationDeployedUserCount"] == 0 and empty["displayName"] == "summary"
    # All Staff: ten users and, through Nested Team, one more; Nested Team excluded takes that one away.
    graph.post(path + "/assign", json={"assignments": [group_target(uid("group", "staff"))]})
    summary = graph.get(path + "/deploymentSummary").json()
    assert summary["@odata.type"] == "#microsoft.graph.managedAppPolicyDeploymentSummary"
    assert "value" not in summary
    assert summary["configurationDeployedUserCount"] == 11
    assert summary["configurationDeploymentSummaryPerApp"][0]["configurationAppliedUserCount"] == 11
    graph.post(path + "/assign", json={"assignments": [group_target(uid("group", "staff")),
                                                       group_target(uid("group", "nested"), exclude=True)]})
    assert graph.get(path + "/deploymentSummary").json()["configurationDeployedUserCount"] == 10
    assert graph.get(ANDROID + "/T_missing/deploymentSummary").status_code == 404
    graph.delete(path)


def test_target_apps_refuses_an_identifier_without_its_id(graph):
    policy = graph.post(CONFIGS, json={"displayName": "bad apps"}).json()
    response = graph.post(CONFIGS + "/%s/targetApps" % policy["id"], json={"apps": [
        {"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier"}}]})
    assert_graph_error(response, 400, "BadRequest")
    graph.delete(CONFIGS + "/" + policy["id"])
