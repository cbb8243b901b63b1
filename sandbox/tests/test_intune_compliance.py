"""Intune device compliance policies and enrolment restrictions as Graph serves them (behavior.md sections 10-11)."""

import json
import os

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

POLICIES = "/beta/deviceManagement/deviceCompliancePolicies"
CONFIGS = "/beta/deviceManagement/deviceEnrollmentConfigurations"
BLOCK = [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [
    {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": ""}]}]
GROUP = "0f0e0d0c-0b0a-4909-8807-060504030201"


def stored_collection(sb, name):
    """What the sandbox stores, read directly from its state directory."""
    with open(os.path.join(sb.state_dir, "data", name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def stored_object(sb, name, key):
    stored = stored_collection(sb, name)
    items = stored.values() if isinstance(stored, dict) else stored
    return next(o for o in items if isinstance(o, dict) and o.get("id") == key)


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("compliance")) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def create(graph, type_name, **body):
    body = dict({"@odata.type": "#microsoft.graph." + type_name, "displayName": "P " + type_name,
                 "scheduledActionsForRule": BLOCK}, **body)
    return graph.post(POLICIES, json=body)


@pytest.mark.parametrize("type_name", ["iosCompliancePolicy", "androidWorkProfileCompliancePolicy",
                                       "androidDeviceOwnerCompliancePolicy", "androidCompliancePolicy"])
def test_create_returns_every_property_with_defaults(graph, type_name):
    created = create(graph, type_name)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["@odata.type"] == "#microsoft.graph." + type_name
    assert body["version"] == 1 and body["roleScopeTagIds"] == ["0"]
    assert "osMinimumVersion" in body and body["osMinimumVersion"] is None
    assert "scheduledActionsForRule" not in body and "assignments" not in body
    read = graph.get(POLICIES + "/" + body["id"]).json()
    assert {k: v for k, v in read.items() if k != "@odata.context"} == \
        {k: v for k, v in body.items() if k != "@odata.context"}


@pytest.mark.parametrize("rules", [None, [], [{"ruleName": None, "scheduledActionConfigurations": [
    {"actionType": "notification", "gracePeriodHours": 0}]}], BLOCK + BLOCK])
def test_create_needs_exactly_one_block_action(graph, rules):
    body = {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "No block"}
    if rules is not None:
        body["scheduledActionsForRule"] = rules
    assert_graph_error(graph.post(POLICIES, json=body), 400, "BadRequest",
                       "Compliance policy must have one and only one block scheduled action")


def test_create_needs_a_derived_type_and_v1_has_no_device_owner_type(graph):
    assert graph.post(POLICIES, json={"displayName": "x", "scheduledActionsForRule": BLOCK}).status_code == 400
    v1 = graph.post(POLICIES.replace("/beta/", "/v1.0/"), json={
        "@odata.type": "#microsoft.graph.androidDeviceOwnerCompliancePolicy", "displayName": "x",
        "scheduledActionsForRule": BLOCK})
    assert v1.status_code == 400


def test_expand_actions_assign_and_schedule(sb, graph):
    policy = create(graph, "iosCompliancePolicy", passcodeRequired=True).json()
    item = POLICIES + "/" + policy["id"]
    expanded = graph.get(item, params={
        "$expand": "assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)"}).json()
    rules = expanded["scheduledActionsForRule"]
    assert expanded["assignments"] == [] and len(rules) == 1
    assert rules[0]["scheduledActionConfigurations"][0]["actionType"] == "block"
    assert "scheduledActionConfigurations@odata.context" in rules[0]
    shallow = graph.get(item, params={"$expand": "scheduledActionsForRule"}).json()
    assert "scheduledActionConfigurations" not in shallow["scheduledActionsForRule"][0]
    assert_graph_error(graph.get(item + "/scheduledActionsForRule"), 400, "No method match route template")

    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}
    assigned = graph.post(item + "/assign", json={"assignments": [{"target": target}]})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["value"][0]["id"] == "%s_%s" % (policy["id"], GROUP)
    scheduled = graph.post(item + "/scheduleActionsForRules", json={"deviceComplianceScheduledActionForRules": [
        {"ruleName": "PasswordRequired", "scheduledActionConfigurations": [
            {"actionType": "block", "gracePeriodHours": 24},
            {"actionType": "retire", "gracePeriodHours": 240}]}]})
    assert scheduled.status_code == 204, scheduled.text
    no_block = graph.post(item + "/scheduleActionsForRules", json={"deviceComplianceScheduledActionForRules": []})
    assert no_block.status_code == 400
    patched = graph.patch(item, json={"@odata.type": "#microsoft.graph.iosCompliancePolicy",
                                      "passcodeMinimumLength": 6})
    assert patched.status_code == 204, patched.text
    stored = stored_object(sb, "deviceCompliancePolicies", policy["id"])
    assert stored["passcodeMinimumLength"] == 6 and stored["version"] == 2
    assert [a["actionType"] for a in stored["scheduledActionsForRule"][0]["scheduledActionConfigurations"]] == \
        ["block", "retire"]
    assert stored["assignments"][0]["target"]["groupId"] == GROUP
    assert graph.patch(item, json={"assignments": []}).status_code == 400
    assert graph.delete(item).status_code == 204
    assert graph.get(item).status_code == 404


def client_for(sb, roles):
    app = sb.seed_app(permissions=roles)
    return Client(sb, sb.token(client_id=app["appId"], secret=app["secret"]))


def test_compliance_needs_device_configuration_permission(sb):
    reader = client_for(sb, ["DeviceManagementConfiguration.Read.All"])
    assert reader.get(POLICIES).status_code == 200
    assert create(reader, "iosCompliancePolicy").status_code == 403
    other = client_for(sb, ["DeviceManagementApps.ReadWrite.All"])
    assert other.get(POLICIES).status_code == 403
    assert other.get(CONFIGS).status_code == 403


def test_default_enrollment_configurations_are_kept(graph):
    listed = graph.get(CONFIGS).json()["value"]
    default = next(c for c in listed if c["id"].endswith("_DefaultPlatformRestrictions"))
    assert default["priority"] == 0 and default["displayName"] == "All users and all devices"
    assert default["deviceEnrollmentConfigurationType"] == "defaultPlatformRestrictions"
    item = CONFIGS + "/" + default["id"]
    assert graph.delete(item).status_code == 400
    assert graph.post(item + "/setPriority", json={"priority": 3}).status_code == 400
    kind = "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
    patched = graph.patch(item, json={"@odata.type": kind,
                                      "androidRestriction": {"platformBlocked": True,
                                                             "personalDeviceEnrollmentBlocked": False}})
    assert patched.status_code == 204, patched.text
    assert graph.get(item).json()["androidRestriction"]["platformBlocked"] is True


def test_custom_restrictions_priority_and_assign(sb, graph):
    kind = "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
    first = graph.post(CONFIGS, json={"@odata.type": kind, "displayName": "A"})
    assert first.status_code == 201, first.text
    second = graph.post(CONFIGS, json={"@odata.type": kind, "displayName": "B"}).json()
    assert (first.json()["priority"], second["priority"]) == (1, 2)
    assert graph.post(CONFIGS + "/" + second["id"] + "/setPriority", json={"priority": 1}).status_code == 204
    assert graph.get(CONFIGS + "/" + first.json()["id"]).json()["priority"] == 2
    assert graph.get(CONFIGS + "/" + second["id"]).json()["priority"] == 1
    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}
    assigned = graph.post(CONFIGS + "/" + second["id"] + "/assign",
                          json={"enrollmentConfigurationAssignments": [{"target": target}]})
    assert assigned.status_code == 204, assigned.text
    expanded = graph.get(CONFIGS + "/" + second["id"], params={"$expand": "assignments"}).json()
    assert expanded["assignments"][0]["target"]["groupId"] == GROUP
    assert graph.delete(CONFIGS + "/" + second["id"]).status_code == 204


def test_seeded_compliance_policies_read_as_created_and_assigned(tmp_path):
    """A seeded compliance policy reads back as one created and assigned through the API: every property, the block
    action Graph requires, assignments with ids <policy>_<group>."""
    seed = {"deviceCompliancePolicies": [{
        "@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "Seeded iOS", "osMinimumVersion": "17.0",
        "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}}]}]}
    with running_sandbox(tmp_path, seed=seed) as running:
        client = Client(running, running.token())
        listed = client.get(POLICIES, params={"$expand": "assignments"}).json()["value"]
        assert [p["displayName"] for p in listed] == ["Seeded iOS"]
        (policy,) = listed
        assert policy["@odata.type"] == "#microsoft.graph.iosCompliancePolicy" and policy["osMinimumVersion"] == "17.0"
        assert policy["roleScopeTagIds"] == ["0"] and "passcodeRequired" in policy
        assert [(a["id"], a["target"]["groupId"]) for a in policy["assignments"]] == [
            ("%s_%s" % (policy["id"], GROUP), GROUP)]
        rules = client.get(POLICIES + "/" + policy["id"], params={
            "$expand": "scheduledActionsForRule($expand=scheduledActionConfigurations)"}).json()
        actions = [c["actionType"] for r in rules["scheduledActionsForRule"] for c in r["scheduledActionConfigurations"]]
        assert actions == ["block"]
