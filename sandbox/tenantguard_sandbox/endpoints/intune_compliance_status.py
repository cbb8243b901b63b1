"""Intune compliance status, read only: what each managed device reports against each compliance policy.

* ``GET /deviceManagement/deviceCompliancePolicies/{id}/deviceStatuses`` (``deviceComplianceDeviceStatus``): one
  row per device the policy evaluates; ``id`` is ``<managedDeviceId>_<policyId>_<userId>``, three ids joined by
  underscores, not the single GUID the reference page shows [issues microsoft-graph-docs#9230 and
  microsoft-graph-docs-contrib#2676, which show the policy's id in the middle; that the first is the managed
  device's id is **unverified**]; ``complianceGracePeriodExpirationDateTime`` is ``9999-12-31T23:59:59.9999999Z``
  when no grace period runs [same issues]; beta adds ``platform`` (an integer; 0 there too, **unverified** for
  phones).
* ``GET /deviceManagement/deviceCompliancePolicies/{id}/deviceStatusOverview`` (``deviceComplianceDeviceOverview``):
  the counts of those rows [csdl; the mapping of statuses onto success/failed/error/notApplicable/pending counts is
  **unverified**].
* ``GET /deviceManagement/deviceCompliancePolicySettingStateSummaries`` (``deviceCompliancePolicySettingStateSummary``):
  one row per setting across all policies of a platform, with counts by state; ``id``, ``setting`` and
  ``settingName`` are all the setting's key such as ``IosCompliancePolicy.PasscodeRequired``, not a GUID and not a
  display name [issues microsoft/Intune-PowerShell-SDK#81, microsoft-graph-docs#6206].
* ``GET .../deviceCompliancePolicySettingStateSummaries/{id}/deviceComplianceSettingStates``
  (``deviceComplianceSettingState``): one row per device for that setting, with ``deviceId`` [csdl]; the row ids
  (``<deviceId>_<setting>``) are **unverified**.
* ``GET /beta/deviceManagement/managedDevices/{id}/deviceCompliancePolicyStates`` (``deviceCompliancePolicyState``):
  one device's policies with their setting states [beta docs, intune-devices-devicecompliancepolicystate-list];
  beta only, 400 "No method match route template" on v1.0 (**unverified**: the navigation is not in the v1.0 CSDL).

All of it is derived from what managed devices hold under ``deviceCompliancePolicyStates`` (a navigation, never
rendered with the device): ``[{"id": <policy id>, "state": <complianceStatus>, "settingStates": [{"setting",
"state"}]}]``; the policy's display name, platform and version come from the policy itself. A policy id that no
stored policy has is Intune's 404. Paging: ``$top`` and ``$skip`` as the compliance policy list (the service's page
size for these collections is **unverified**; issue microsoft-graph-explorer-v4#4043 reports pages of 51).
Permissions: DeviceManagementConfiguration.Read.All for the policy and setting collections,
DeviceManagementManagedDevices.Read.All for a device's policy states.
"""

from .. import permissions
from ..errors import GraphHTTPError
from ..listing import ListSpec, list_response
from ..messages import Response
from ..resource import Route, entity_context

POLICIES = "/deviceManagement/deviceCompliancePolicies"
SUMMARIES = "/deviceManagement/deviceCompliancePolicySettingStateSummaries"
NO_GRACE = "9999-12-31T23:59:59.9999999Z"
EPOCH = "0001-01-01T00:00:00Z"
COMPLIANCE_STATUS = ("unknown", "notApplicable", "compliant", "remediated", "nonCompliant", "error", "conflict",
                     "notAssigned")
# policyPlatformType of each policy type [csdl enum policyPlatformType]
PLATFORM = {"iosCompliancePolicy": "iOS", "androidCompliancePolicy": "android",
            "androidWorkProfileCompliancePolicy": "androidWorkProfile",
            "androidDeviceOwnerCompliancePolicy": "androidAOSP", "aospDeviceOwnerCompliancePolicy": "androidAOSP"}
# setting key prefix -> policyPlatformType, for the summaries (the prefix is the policy type, capitalised)
# Properties of the types as the v1.0 CSDL declares them (msgraph-metadata clean_v10_metadata/cleanMetadata.xml);
# beta's deviceComplianceDeviceStatus adds ``platform``.
DEVICE_STATUS = ("id", "complianceGracePeriodExpirationDateTime", "deviceDisplayName", "deviceModel",
                 "lastReportedDateTime", "status", "userName", "userPrincipalName")
SETTING_SUMMARY = ("id", "compliantDeviceCount", "conflictDeviceCount", "errorDeviceCount", "nonCompliantDeviceCount",
                   "notApplicableDeviceCount", "platformType", "remediatedDeviceCount", "setting", "settingName",
                   "unknownDeviceCount")
SETTING_STATE = ("id", "complianceGracePeriodExpirationDateTime", "deviceId", "deviceModel", "deviceName", "setting",
                 "settingName", "state", "userEmail", "userId", "userName", "userPrincipalName")
POLICY_STATE = ("id", "displayName", "platformType", "settingCount", "settingStates", "state", "version")


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _spec(type_name, context, names):
    return ListSpec(type_name, context, properties=lambda version: set(names), directory=False, max_top=None,
                    default_top=None, allow_skip=True, countable=False)


def _status(value):
    """A stored state as complianceStatus spells it (``noncompliant`` of a device -> ``nonCompliant``)."""
    for name in COMPLIANCE_STATUS:
        if str(value or "").lower() == name.lower():
            return name
    return "unknown"


def _grace(device):
    return device.get("complianceGracePeriodExpirationDateTime") or NO_GRACE


def _policy_type(policy):
    return str(policy.get("@odata.type") or "").rsplit(".", 1)[-1]


def _states(device):
    return [s for s in device.get("deviceCompliancePolicyStates") or [] if isinstance(s, dict)]


class ComplianceStatus:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.devices = sandbox.store["managedDevices"]
        self.policies = sandbox.store["deviceCompliancePolicies"]

    def _policy(self, key):
        policy = self.policies.get(key)
        if policy is None:
            raise _not_found(key)
        return policy

    def device_status_rows(self, request, policy):
        rows = []
        for device in self.devices.values():
            for state in _states(device):
                if state.get("id") != policy["id"]:
                    continue
                row = {"@odata.type": "#microsoft.graph.deviceComplianceDeviceStatus",
                       "id": "%s_%s_%s" % (device["id"], policy["id"], device.get("userId") or ""),
                       "deviceDisplayName": device.get("deviceName"), "userName": device.get("userDisplayName"),
                       "deviceModel": device.get("model"),
                       "complianceGracePeriodExpirationDateTime": _grace(device),
                       "status": _status(state.get("state")),
                       "lastReportedDateTime": device.get("lastSyncDateTime") or EPOCH,
                       "userPrincipalName": device.get("userPrincipalName")}
                if request.version == "beta":
                    row["platform"] = 0
                rows.append(row)
        return rows

    def device_statuses(self, request, key):
        policy = self._policy(key)
        spec = _spec("deviceComplianceDeviceStatus", "deviceManagement/deviceCompliancePolicies('%s')/deviceStatuses"
                     % key, DEVICE_STATUS + (("platform",) if request.version == "beta" else ()))
        return list_response(request, spec, self.device_status_rows(request, policy))

    def overview(self, request, key):
        policy = self._policy(key)
        counts = {"pendingCount": 0, "notApplicableCount": 0, "successCount": 0, "errorCount": 0, "failedCount": 0}
        for row in self.device_status_rows(request, policy):
            name = {"compliant": "successCount", "remediated": "successCount", "nonCompliant": "failedCount",
                    "error": "errorCount", "conflict": "errorCount", "notApplicable": "notApplicableCount"}.get(
                        row["status"], "pendingCount")
            counts[name] += 1
        body = {"@odata.context": entity_context(
            request, "deviceManagement/deviceCompliancePolicies('%s')/deviceStatusOverview/$entity" % key),
            "@odata.type": "#microsoft.graph.deviceComplianceDeviceOverview", "id": key + "_overview",
            "lastUpdateDateTime": policy.get("lastModifiedDateTime") or EPOCH,
            "configurationVersion": int(policy.get("version") or 0)}
        body.update(counts)
        return Response(200, body)

    def _setting_rows(self):
        """(setting, platformType, device, state) for every setting state of every device, in store order."""
        for device in self.devices.values():
            for state in _states(device):
                policy = self.policies.get(state.get("id"))
                if policy is None:
                    continue
                platform = PLATFORM.get(_policy_type(policy), "all")
                for item in state.get("settingStates") or []:
                    if isinstance(item, dict) and item.get("setting"):
                        yield item["setting"], platform, device, _status(item.get("state"))

    def summaries_by_setting(self):
        out = {}
        for setting, platform, _device, state in self._setting_rows():
            row = out.get(setting)
            if row is None:
                row = out[setting] = {"@odata.type": "#microsoft.graph.deviceCompliancePolicySettingStateSummary",
                                      "id": setting, "setting": setting, "settingName": setting,
                                      "platformType": platform, "unknownDeviceCount": 0,
                                      "notApplicableDeviceCount": 0, "compliantDeviceCount": 0,
                                      "remediatedDeviceCount": 0, "nonCompliantDeviceCount": 0,
                                      "errorDeviceCount": 0, "conflictDeviceCount": 0}
            name = {"notAssigned": "notApplicable"}.get(state, state)
            row[name + "DeviceCount"] += 1
        return out

    def summaries(self, request):
        spec = _spec("deviceCompliancePolicySettingStateSummary",
                     "deviceManagement/deviceCompliancePolicySettingStateSummaries", SETTING_SUMMARY)
        return list_response(request, spec, list(self.summaries_by_setting().values()))

    def summary(self, request, key):
        found = self.summaries_by_setting().get(key)
        if found is None:
            raise _not_found(key)
        body = {"@odata.context": entity_context(
            request, "deviceManagement/deviceCompliancePolicySettingStateSummaries/$entity")}
        body.update(found)
        return Response(200, body)

    def setting_states(self, request, key):
        rows = []
        for setting, _platform, device, state in self._setting_rows():
            if setting != key:
                continue
            rows.append({"@odata.type": "#microsoft.graph.deviceComplianceSettingState",
                         "id": "%s_%s" % (device["id"], setting), "setting": setting, "settingName": setting,
                         "deviceId": device["id"], "deviceName": device.get("deviceName"),
                         "userId": device.get("userId"), "userEmail": device.get("emailAddress"),
                         "userName": device.get("userDisplayName"),
                         "userPrincipalName": device.get("userPrincipalName"), "deviceModel": device.get("model"),
                         "state": state, "complianceGracePeriodExpirationDateTime": _grace(device)})
        if not rows and key not in self.summaries_by_setting():
            raise _not_found(key)
        spec = _spec("deviceComplianceSettingState", "deviceManagement/deviceCompliancePolicySettingStateSummaries"
                     "('%s')/deviceComplianceSettingStates" % key, SETTING_STATE)
        return list_response(request, spec, rows)

    def policy_states(self, request, key):
        if request.version != "beta":
            raise GraphHTTPError(400, "No method match route template",
                                 "No OData route exists that match template ~/singleton/navigation/key/navigation "
                                 "with http verb GET for request %s." % request.path)
        device = self.devices.get(key)
        if device is None:
            raise _not_found(key)
        rows = []
        for state in _states(device):
            policy = self.policies.get(state.get("id"))
            if policy is None:
                continue
            settings = [{"@odata.type": "microsoft.graph.deviceCompliancePolicySettingState",
                         "setting": s.get("setting"), "settingName": s.get("setting"), "state": _status(s.get("state")),
                         "instanceDisplayName": None, "errorCode": 0, "errorDescription": None,
                         "userId": device.get("userId"), "userName": device.get("userDisplayName"),
                         "userEmail": device.get("emailAddress"), "userPrincipalName": device.get("userPrincipalName"),
                         "sources": [{"id": policy["id"], "displayName": policy.get("displayName"),
                                      "sourceType": "deviceConfiguration"}],
                         "currentValue": None} for s in state.get("settingStates") or [] if isinstance(s, dict)]
            rows.append({"@odata.type": "#microsoft.graph.deviceCompliancePolicyState", "id": policy["id"],
                         "displayName": policy.get("displayName"),
                         "platformType": PLATFORM.get(_policy_type(policy), "all"),
                         "settingCount": len(settings), "settingStates": settings,
                         "state": _status(state.get("state")), "version": int(policy.get("version") or 0)})
        spec = _spec("deviceCompliancePolicyState", "deviceManagement/managedDevices('%s')/deviceCompliancePolicyStates"
                     % key, POLICY_STATE)
        return list_response(request, spec, rows)


def routes(sandbox):
    status = ComplianceStatus(sandbox)
    config, devices = permissions.DEVICE_CONFIGURATION, permissions.MANAGED_DEVICES
    return [Route("GET", POLICIES + "/{key}/deviceStatuses", status.device_statuses, config),
            Route("GET", POLICIES + "/{key}/deviceStatusOverview", status.overview, config),
            Route("GET", SUMMARIES, status.summaries, config),
            Route("GET", SUMMARIES + "/{key}", status.summary, config),
            Route("GET", SUMMARIES + "/{key}/deviceComplianceSettingStates", status.setting_states, config),
            Route("GET", "/deviceManagement/managedDevices/{key}/deviceCompliancePolicyStates", status.policy_states,
                  devices)]
