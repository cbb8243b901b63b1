"""Each Intune device's compliance from the per-policy and per-setting reads: the fake Graph below answers with
rows shaped as Microsoft's documented and reported examples (three ids joined by underscores in deviceStatuses,
setting keys as summary ids); the index looks devices up without holding them, and the join gives each phone its
ownership and enrolment type."""

from hypothesis import given, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.compliance import (
    ComplianceIndex, add_compliance, grace_expiry, setting_words)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.join import enrollment, join_devices

POLICY = "0385114b-b48f-4800-a046-f249eaba24b1"
DEVICE = "020286da-41c6-4700-8e2b-822e444187c3"
USER = "26e90184-1029-4901-91f0-05454c445d59"


class FakeGraph:
    """Answers ``list`` from a dict of path -> rows and records the paths asked."""

    def __init__(self, pages):
        self.pages = pages
        self.asked = []

    def list(self, path, api_version=None, query=None, headers=None):
        self.asked.append((api_version, path))
        return iter(self.pages.get(path, []))


def _graph(devices=1):
    statuses = [{"id": "%s_%s_%s" % (DEVICE if n == 0 else "d%05d" % n, POLICY, USER),
                 "status": "nonCompliant" if n == 0 else "compliant",
                 "complianceGracePeriodExpirationDateTime": "2026-12-10T00:00:00Z" if n == 0 else
                 "9999-12-31T23:59:59.9999999Z"} for n in range(devices)]
    return FakeGraph({
        "/deviceManagement/deviceCompliancePolicies": [{"id": POLICY, "displayName": "iOS baseline"}],
        "/deviceManagement/deviceCompliancePolicies/%s/deviceStatuses" % POLICY: statuses,
        "/deviceManagement/deviceCompliancePolicySettingStateSummaries": [
            {"id": "IosCompliancePolicy.PasscodeRequired", "nonCompliantDeviceCount": 1, "errorDeviceCount": 0},
            {"id": "IosCompliancePolicy.OsMinimumVersion", "nonCompliantDeviceCount": 0, "errorDeviceCount": 0}],
        "/deviceManagement/deviceCompliancePolicySettingStateSummaries/IosCompliancePolicy.PasscodeRequired"
        "/deviceComplianceSettingStates": [
            {"deviceId": DEVICE, "setting": "IosCompliancePolicy.PasscodeRequired", "state": "nonCompliant"},
            {"deviceId": "d00001", "setting": "IosCompliancePolicy.PasscodeRequired", "state": "compliant"}],
    })


def test_a_device_gets_its_policy_reason_and_grace_and_failing_settings_only_are_read():
    graph = _graph(devices=3)
    index = ComplianceIndex().load(graph)
    try:
        found = index.lookup(DEVICE.upper())
        assert found == {"compliance_policies": [{"policy": "iOS baseline", "status": "nonCompliant"}],
                         "noncompliance_settings": ["IosCompliancePolicy.PasscodeRequired"],
                         "noncompliance_reasons": ["Passcode required"],
                         "grace_period_expires": "2026-12-10T00:00:00Z"}
        assert index.lookup("d00001")["noncompliance_reasons"] == []
        assert index.lookup("d00001")["grace_period_expires"] is None
        assert index.lookup("unknown")["compliance_policies"] == []
    finally:
        index.close()
    # the setting no device fails is not read; everything on beta
    assert all(version == "beta" for version, _path in graph.asked)
    assert not any("OsMinimumVersion" in path for _version, path in graph.asked)


@given(st.integers(min_value=1, max_value=300))
def test_requests_do_not_grow_with_devices(count):
    graph = _graph(devices=count)
    index = ComplianceIndex().load(graph)
    index.close()
    assert len(graph.asked) == 4


def test_setting_words():
    assert setting_words("IosCompliancePolicy.PasscodeRequired") == "Passcode required"
    assert setting_words("AndroidWorkProfileCompliancePolicy.OsMinimumVersion") == "OS minimum version"
    assert setting_words("AndroidDeviceOwnerCompliancePolicy.StorageRequireEncryption") == \
        "Storage require encryption"
    assert setting_words("DefaultDeviceCompliancePolicy.RequireDeviceCompliancePolicyAssigned") == \
        "Require device compliance policy assigned"
    assert grace_expiry("9999-12-31T23:59:59.9999999Z") is None and grace_expiry(None) is None


def test_enrolment_types():
    android = {"operatingSystem": "Android"}
    assert enrollment(dict(android, deviceEnrollmentType="androidEnterpriseFullyManaged")) == "android_fully_managed"
    assert enrollment(dict(android, deviceEnrollmentType="androidEnterpriseDedicatedDevice")) == "android_dedicated"
    assert enrollment(dict(android, deviceEnrollmentType="androidEnterpriseCorporateWorkProfile")) == \
        "android_corporate_work_profile"
    assert enrollment(dict(android, deviceEnrollmentType="userEnrollment", deviceType="androidForWork")) == \
        "android_personal_work_profile"
    assert enrollment(dict(android, deviceEnrollmentType="userEnrollment", deviceType="android")) == \
        "android_device_administrator"
    assert enrollment({"operatingSystem": "iOS", "deviceEnrollmentType": "appleBulkWithUser"}) == "ios_corporate"
    assert enrollment({"operatingSystem": "iOS", "deviceEnrollmentType": "userEnrollment",
                       "ownerType": "personal"}) == "ios_personal"
    assert enrollment({"operatingSystem": "iPadOS", "managedDeviceOwnerType": "company"}) == "ios_corporate"
    assert enrollment(None, mam=[{"app": "x"}]) == "mam_only"
    assert enrollment(None) == "unmanaged"


def test_joined_record_carries_compliance_ownership_and_enrolment():
    graph = _graph()
    index = ComplianceIndex().load(graph)
    try:
        intune = [{"id": DEVICE, "userId": USER, "userPrincipalName": "adele@c.com", "operatingSystem": "iOS",
                   "model": "iPhone 15", "deviceName": "Adele's iPhone", "complianceState": "noncompliant",
                   "deviceEnrollmentType": "appleBulkWithUser", "ownerType": "company"}]
        [record] = list(join_devices([], intune, [], [], compliance=index))
    finally:
        index.close()
    assert record["ownership"] == "company" and record["enrollment"] == "ios_corporate"
    assert record["noncompliance_reasons"] == ["Passcode required"]
    assert record["compliance_policies"] == [{"policy": "iOS baseline", "status": "nonCompliant"}]
    assert record["intune"]["noncompliance_settings"] == ["IosCompliancePolicy.PasscodeRequired"]
    # without an index the rows stay as read
    assert add_compliance({"id": DEVICE}, None) == {"id": DEVICE}
