#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: device_compliance_policy_info
short_description: Read Intune device compliance policies, with their actions and assignments
version_added: 0.1.0
description:
  - Reads the tenant's device compliance policies (every platform) with one paged request, with their actions for
    non-compliance and their assignments.
  - Each policy comes with C(params), the options of M(tenantguard.m365.device_compliance_policy) that recreate it
    (group names where they can be found), so that an export re-applies as a no-op.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description: Only the policy with this id.
    type: str
  display_name:
    description: Only the policies with this display name (exact, else without regard to case).
    type: str
  platform:
    description: Only the policies of this platform.
    type: str
    choices: [ios, android_work_profile, android_fully_managed, android_device_administrator]
  api_version:
    description: The Graph version to read with; V(v1.0) shows a fully managed policy with its base type's properties.
    type: str
    choices: [v1.0, beta]
    default: beta
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(DeviceManagementConfiguration.Read.All), and C(Group.Read.All) for
    group names.
seealso:
  - module: tenantguard.m365.device_compliance_policy
'''

EXAMPLES = r'''
- name: Every compliance policy, as options that recreate it
  tenantguard.m365.device_compliance_policy_info:
  register: compliance

- name: Re-apply them (a no-op when nothing changed)
  tenantguard.m365.device_compliance_policy:
    device_compliance_policies: "{{ compliance.device_compliance_policies | map(attribute='params') | list }}"
'''

RETURN = r'''
device_compliance_policies:
  description:
    - The policies as Graph returns them, with C(scheduledActionsForRule) and C(assignments), each with C(params).
  returned: always
  type: list
  elements: dict
  sample: [{"@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "TG - iOS - Level 2",
            "params": {"display_name": "TG - iOS - Level 2", "platform": "ios", "passcode_required": true}}]
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance import (
    CompliancePolicyType, assignment_set, graph_to_options, platform_of)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import GroupNames, MamPolicyEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import info_item


def run(module):
    params = module.params
    check_id(params["id"], intune=True)
    version = params["api_version"]
    groups = GroupNames(lambda: module.graph, module.warn)
    engine = MamPolicyEngine.for_module(module, CompliancePolicyType(version), api_version=version)
    found = engine.objects()
    if params["id"]:
        found = [o for o in found if str(o.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [o for o in found if any(o is n for n in named)]
    if params["platform"]:
        found = [o for o in found if platform_of(o) == params["platform"]]
    group_ids = set(group for obj in found for _kind, group in assignment_set(obj.get("assignments")) if group)
    for obj in found:
        for rule in obj.get("scheduledActionsForRule") or []:
            for item in rule.get("scheduledActionConfigurations") or []:
                group_ids.update(str(g).lower() for g in item.get("notificationMessageCCList") or [])
    if group_ids:
        groups.resolver.resolve({"group": sorted(group_ids)})
    return {"changed": False, "device_compliance_policies": [
        info_item(o, graph_to_options(o, version, groups.name_of)) for o in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(id=dict(type="str"), display_name=dict(type="str"),
                           platform=dict(type="str", choices=["ios", "android_work_profile", "android_fully_managed",
                                                              "android_device_administrator"]),
                           api_version=dict(type="str", choices=["v1.0", "beta"], default="beta")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
