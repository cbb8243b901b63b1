"""Per-device compliance status as Graph serves it: a policy's deviceStatuses and deviceStatusOverview, the setting
state summaries with their per-device setting states, and (beta) a device's deviceCompliancePolicyStates, all
derived from what the managed devices of the Contoso seed report."""

import json
from pathlib import Path

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

SEED = json.loads((Path(__file__).resolve().parents[1] / "seeds" / "contoso.json").read_text(encoding="utf-8"))
POLICIES = "/beta/deviceManagement/deviceCompliancePolicies"
SUMMARIES = "/beta/deviceManagement/deviceCompliancePolicySettingStateSummaries"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("compliance-status"), seed=SEED) as running:
        yield Client(running, running.token())


def _expected_states():
    """(device id, policy id) -> (state, grace) from the seed as written by hand."""
    out = {}
    for device in SEED["managedDevices"]:
        for state in device.get("deviceCompliancePolicyStates", []):
            out[(device["id"], state["id"])] = (state["state"], device["complianceGracePeriodExpirationDateTime"])
    return out


def test_seeded_policies_are_listed_with_their_types(graph):
    listed = graph.get(POLICIES, params={"$select": "id,displayName"})
    assert listed.status_code == 200, listed.text
    by_id = dict((p["id"], p) for p in listed.json()["value"])
    for policy in SEED["deviceCompliancePolicies"]:
        assert by_id[policy["id"]]["displayName"] == policy["displayName"]
        assert by_id[policy["id"]]["@odata.type"] == policy["@odata.type"]


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_device_statuses_carry_the_device_policy_and_user_ids(graph, version):
    expected = _expected_states()
    seen = {}
    for policy in SEED["deviceCompliancePolicies"]:
        answer = graph.get("/%s/deviceManagement/deviceCompliancePolicies/%s/deviceStatuses" % (version, policy["id"]))
        assert answer.status_code == 200, answer.text
        for row in answer.json()["value"]:
            device_id, policy_id, user_id = row["id"].split("_")
            assert policy_id == policy["id"]
            device = next(d for d in SEED["managedDevices"] if d["id"] == device_id)
            assert user_id == device["userId"] and row["userPrincipalName"] == device["userPrincipalName"]
            assert ("platform" in row) == (version == "beta")
            seen[(device_id, policy_id)] = (row["status"], row["complianceGracePeriodExpirationDateTime"])
    assert seen == expected


def test_overview_counts_the_statuses(graph):
    expected = _expected_states()
    for policy in SEED["deviceCompliancePolicies"]:
        overview = graph.get(POLICIES + "/%s/deviceStatusOverview" % policy["id"]).json()
        states = [s for (d, p), (s, g) in expected.items() if p == policy["id"]]
        assert overview["successCount"] == states.count("compliant")
        assert overview["failedCount"] == states.count("nonCompliant")


def test_setting_summaries_name_the_setting_and_count_devices(graph):
    answer = graph.get(SUMMARIES)
    assert answer.status_code == 200, answer.text
    rows = dict((r["id"], r) for r in answer.json()["value"])
    # the service names these by the setting's key (Intune-PowerShell-SDK#81)
    assert all(r["setting"] == r["settingName"] == key for key, r in rows.items())
    assert rows["IosCompliancePolicy.PasscodeRequired"]["nonCompliantDeviceCount"] == 1
    assert rows["IosCompliancePolicy.PasscodeRequired"]["compliantDeviceCount"] == 1
    assert rows["IosCompliancePolicy.PasscodeRequired"]["platformType"] == "iOS"
    assert rows["AndroidWorkProfileCompliancePolicy.StorageRequireEncryption"]["platformType"] == "androidWorkProfile"


def test_setting_states_name_each_device(graph):
    key = "AndroidWorkProfileCompliancePolicy.OsMinimumVersion"
    answer = graph.get(SUMMARIES + "/%s/deviceComplianceSettingStates" % key)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["value"]
    expected = [d for d in SEED["managedDevices"] for s in d.get("deviceCompliancePolicyStates", [])
                for item in s["settingStates"] if item["setting"] == key]
    assert [r["deviceId"] for r in rows] == [d["id"] for d in expected]
    assert rows[0]["state"] == "nonCompliant" and rows[0]["complianceGracePeriodExpirationDateTime"] == \
        expected[0]["complianceGracePeriodExpirationDateTime"]


def test_unknown_policy_and_setting_are_404(graph):
    assert_graph_error(graph.get(POLICIES + "/00000000-0000-0000-0000-000000000000/deviceStatuses"), 404, "NotFound")
    assert_graph_error(graph.get(SUMMARIES + "/NoSuchPolicy.Setting/deviceComplianceSettingStates"), 404,
                       "NotFound")


def test_device_policy_states_are_beta_only(graph):
    device = SEED["managedDevices"][3]
    beta = graph.get("/beta/deviceManagement/managedDevices/%s/deviceCompliancePolicyStates" % device["id"])
    assert beta.status_code == 200, beta.text
    [state] = beta.json()["value"]
    policy = next(p for p in SEED["deviceCompliancePolicies"] if p["id"] == state["id"])
    assert state["displayName"] == policy["displayName"] and state["state"] == "nonCompliant"
    assert {s["setting"]: s["state"] for s in state["settingStates"]} == {
        "IosCompliancePolicy.PasscodeRequired": "nonCompliant", "IosCompliancePolicy.OsMinimumVersion": "compliant"}
    v1 = graph.get("/v1.0/deviceManagement/managedDevices/%s/deviceCompliancePolicyStates" % device["id"])
    assert v1.status_code == 400


def test_devices_carry_enrolment_and_ownership_and_not_the_navigation(graph):
    device = SEED["managedDevices"][2]
    beta = graph.get("/beta/deviceManagement/managedDevices/%s" % device["id"]).json()
    assert beta["deviceEnrollmentType"] == "androidEnterpriseFullyManaged"
    assert beta["ownerType"] == "company" and beta["managedDeviceOwnerType"] == "company"
    assert beta["joinType"] == "azureADJoined" and beta["deviceType"] == "androidEnterprise"
    assert "deviceCompliancePolicyStates" not in beta
    v1 = graph.get("/v1.0/deviceManagement/managedDevices/%s" % device["id"]).json()
    assert "ownerType" not in v1 and "deviceCompliancePolicyStates" not in v1


def test_v1_shows_beta_enrolment_types_as_unknown_future_value(graph):
    device = SEED["managedDevices"][2]
    path = "/v1.0/deviceManagement/managedDevices/%s" % device["id"]
    assert graph.get(path).json()["deviceEnrollmentType"] == "unknownFutureValue"
    asked = graph.get(path, headers={"Prefer": "include-unknown-enum-members"}).json()
    assert asked["deviceEnrollmentType"] == "androidEnterpriseFullyManaged"
