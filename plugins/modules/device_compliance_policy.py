#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: device_compliance_policy
short_description: Manage Intune device compliance policies for iOS/iPadOS and Android Enterprise
version_added: 0.1.0
description:
  - Creates, updates and deletes Intune device compliance policies (C(deviceCompliancePolicy)) for enrolled phones
    and tablets (iOS/iPadOS, Android Enterprise personally-owned work profile, Android Enterprise fully managed /
    dedicated / corporate-owned work profile (Graph beta only), and the retired Android device administrator type
    (read and written with a warning)).
  - Every writable property of each type is an option, generated from Microsoft's Graph schema. O(baseline) starts
    from Microsoft's compliance level (security configuration framework); explicit options override it. No
    minimum OS version is ever set for you; the module warns when a baseline is used without O(os_minimum_version).
  - The actions for non-compliance (O(actions)) always hold exactly one block action, as Graph requires; a new
    policy without O(actions) blocks at once.
  - A policy is found by O(id), or else by O(display_name). A name that matches two policies is an error listing
    their ids; the module never creates a second policy with the same name, and never changes a policy's platform.
  - Only what differs is sent (one PATCH); actions change only through C(scheduleActionsForRules) and assignments
    only through C(assign), each sent only when the set differs.
  - The tenant's compliance policies of every platform are read with one paged request
    (C($expand=assignments,scheduledActionsForRule($expand=scheduledActionConfigurations))).
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of the policy (Graph C(displayName)). Identifies the policy when O(id) is not given; with O(id), a
        different name renames it. Required to create a policy.
    type: str
  id:
    description:
      - The id of an existing policy. An id cannot be chosen for a new policy.
    type: str
  description:
    description:
      - The description of the policy.
    type: str
  platform:
    description:
      - The kind of policy. V(ios) (C(iosCompliancePolicy)), V(android_work_profile)
        (C(androidWorkProfileCompliancePolicy)), V(android_fully_managed) (C(androidDeviceOwnerCompliancePolicy),
        beta only), V(android_device_administrator) (C(androidCompliancePolicy), retired, written with a warning).
      - Required when O(state=present).
    type: str
    choices: [ios, android_work_profile, android_fully_managed, android_device_administrator]
  api_version:
    description:
      - The Graph version to use. V(beta) reaches the fully managed type and the beta-only settings.
    type: str
    choices: [v1.0, beta]
    default: beta
  baseline:
    description:
      - Start from Microsoft's compliance level (microsoft/Intune-Config-Frameworks), V(level1) (basic), V(level2)
        (enhanced), V(level3) (high). Microsoft publishes levels 2 and 3 for iOS/iPadOS and the work profile, levels
        1 to 3 for fully managed devices and none for device administrator; another level is refused naming those
        that exist.
      - The levels' minimum OS versions are not applied (they go stale); set O(os_minimum_version).
    type: str
    choices: [level1, level2, level3]
  actions:
    description:
      - The actions for non-compliance (Graph C(scheduledActionsForRule)). Replaces the policy's actions when the set
        differs; left out, an existing policy's actions stay as they are.
    type: dict
    suboptions:
      block_after_hours:
        description:
          - Mark the device non-compliant (block) at once (V(0)) or after this grace period, in hours (up to 8760).
        type: int
        default: 0
      notifications:
        description:
          - E-mails to the end user, each with a notification message template.
        type: list
        elements: dict
        suboptions:
          template_id:
            description: The id (GUID) of the notification message template.
            type: str
            required: true
          after_hours:
            description: Hours after the device became non-compliant.
            type: int
            default: 0
          cc_groups:
            description: Groups (display name or object id) that get a copy.
            type: list
            elements: str
            default: []
      retire_after_days:
        description:
          - Add the device to the retire list after this many days (1 to 365).
        type: int
  assignments:
    description:
      - Who the policy applies to. Replaces the whole assignment set (C(assign)) when it differs.
    type: dict
    suboptions:
      include_groups:
        description: Groups, by display name or object id.
        type: list
        elements: str
        default: []
      exclude_groups:
        description: Groups, by display name or object id, that are excluded.
        type: list
        elements: str
        default: []
      all_users:
        description: Assign to all users.
        type: bool
        default: false
      all_devices:
        description: Assign to all devices.
        type: bool
        default: false
  role_scope_tag_ids:
    description:
      - Scope tags of the policy (Graph C(roleScopeTagIds), beta only).
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(device_compliance_policies), delete the policies that no item declares and whose display name matches
        O(purge_name_pattern). Purging without a pattern is refused.
    type: bool
    default: false
  purge_name_pattern:
    description:
      - A regular expression matched against the whole display name (without regard to case) of the policies that
        O(purge) may delete, such as V(TG - .*).
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.device_compliance_policy
  - tenantguard.m365.device_compliance_policy.set_mode
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted policy; writes nothing.
    support: full
  diff_mode:
    description: Shows the policy before and after, as module options, with group names.
    support: full
notes:
  - The application needs the Graph permission C(DeviceManagementConfiguration.ReadWrite.All), and C(Group.Read.All)
    to find groups by name.
seealso:
  - module: tenantguard.m365.device_compliance_policy_info
  - module: tenantguard.m365.enrollment_restriction
  - name: Security configuration framework (Intune-Config-Frameworks)
    description: Microsoft's compliance levels for iOS/iPadOS and Android Enterprise.
    link: https://github.com/microsoft/Intune-Config-Frameworks
'''

EXAMPLES = r'''
- name: Personal Android phones in a work profile, Microsoft's level 2, block after a day, retire after 30 days
  tenantguard.m365.device_compliance_policy:
    display_name: TG - Android work profile - Level 2
    platform: android_work_profile
    baseline: level2
    os_minimum_version: "13.0"
    actions:
      block_after_hours: 24
      retire_after_days: 30
    assignments:
      include_groups: [Mobile Pilot]
      exclude_groups: [Break Glass]

- name: Several policies in one task, others named TG - ... deleted
  tenantguard.m365.device_compliance_policy:
    device_compliance_policies:
      - display_name: TG - iOS - Level 2
        platform: ios
        baseline: level2
        os_minimum_version: "17.0"
        assignments: {all_users: true}
      - display_name: TG - Fully managed - Level 1
        platform: android_fully_managed
        baseline: level1
        os_minimum_version: "13.0"
    purge: true
    purge_name_pattern: "TG - .*"
'''

RETURN = r'''
device_compliance_policy:
  description:
    - The policy as Graph stores it after the task, as Graph JSON, with C(scheduledActionsForRule) and
      C(assignments). In check mode, the predicted policy (without C(id) for a policy that would be created). Null
      when absent.
  returned: when O(device_compliance_policies) is not used
  type: dict
  sample: {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "TG - iOS - Level 2",
           "passcodeRequired": true}
device_compliance_policies:
  description: The policies of the items that are present, as for RV(device_compliance_policy).
  returned: when O(device_compliance_policies) is used
  type: list
  elements: dict
action:
  description: What the task did (or would do in check mode) to the policy.
  returned: when O(device_compliance_policies) is not used
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: created
actions:
  description:
    - One entry per policy created, updated or deleted (or that would be, in check mode); C(purged=true) for those
      deleted by O(purge).
  returned: when O(device_compliance_policies) is used
  type: list
  elements: dict
  sample: [{"display_name": "TG - iOS - Level 2", "id": "8c7a1e0b-4f1d-4e23-9a51-2d1c6f7a8b90",
            "action": "created", "purged": false}]
groups:
  description:
    - The groups the task found by display name (in its assignments and notification copies), each with its id and its
      name as the tenant spells it, sorted by name; empty when no group was named.
    - A later task may pass them on (the tenant_hardening role gives them to the app_protection role), so that the
      same names are not looked up again.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The object id of the group.
      type: str
    display_name:
      description: Its display name, as the tenant spells it.
      type: str
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261206T101500000000Z-device_compliance_policy-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance import (
    RETIRED, CompliancePolicyType, group_references, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import GroupNames, MamPolicyEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule


class DeviceCompliancePolicyModule(ResourceModule):
    """Compliance policies; their groups are resolved in one look-up before any write."""

    list_option = "device_compliance_policies"
    object_options = staticmethod(object_options)
    groups = None

    def argument_spec(self):
        spec = super().argument_spec()
        spec["api_version"] = dict(type="str", choices=["v1.0", "beta"], default="beta")
        return spec

    def prepare(self, module, items):
        self.groups = GroupNames(lambda: module.graph, module.warn)
        version = module.params["api_version"]
        references = []
        for field, item, state in items:
            if state != "present":
                continue
            references += group_references(item, field)
            options_to_graph(item, None, field, version)  # every option checked before any request
        self.groups.resolve(references)

    def declared(self, module, item, state, field=""):
        version = module.params["api_version"]
        if state == "present":
            desired = options_to_graph(item, self.groups.id_of, field, version, warn=module.warn)
            if item.get("platform") == "android_device_administrator":
                module.warn("%s: %s" % (field or "platform", RETIRED))
        else:
            desired = {"displayName": item["display_name"]} if item["display_name"] else {}
        return Declared(desired, state=state, id=item["id"], field=field)

    def engine(self, module):
        version = module.params["api_version"]
        return MamPolicyEngine.for_module(module, CompliancePolicyType(version, self.groups.name_of),
                                          api_version=version)

    def run(self, module):
        result = super().run(module)
        result["groups"] = self.groups.found()
        return result


def main():
    DeviceCompliancePolicyModule().main()


if __name__ == "__main__":
    main()
