#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_protection_policy
short_description: Manage Intune app protection policies for iOS and Android
version_added: 0.1.0
description:
  - Creates, updates and deletes Intune app protection policies (C(iosManagedAppProtection) and
    C(androidManagedAppProtection)), which keep corporate data in a managed container inside apps such as Outlook,
    Teams and Office on personal phones, without enrolment.
  - The setting options mirror Microsoft Graph's properties in snake_case. Options left out are not touched on an
    existing policy. Properties that exist only in Graph beta need O(api_version=beta).
  - O(baseline) applies Microsoft's app protection data protection framework (level 1 enterprise basic, level 2
    enhanced, level 3 high); options given explicitly override the preset. Minimum and maximum OS versions are
    never part of the preset.
  - A policy is found by O(id), or else by O(display_name), within the platform's policies. A name that matches two
    policies is an error listing their ids; the module never creates a second policy with the same name.
  - Only the settings that differ are sent (one PATCH). Apps change only through the C(targetApps) action and
    assignments only through the C(assign) action, each sent only when the set differs. Order and case do not matter.
  - The tenant's policies of the platform are read with one paged request (C(\$expand=apps,assignments)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of the policy (Graph C(displayName)).
      - Identifies the policy when O(id) is not given; with O(id), a different name renames the policy.
      - Required to create a policy.
    type: str
  id:
    description:
      - The id of an existing policy (Intune ids look like C(T_<guid>)). An id cannot be chosen for a new policy.
    type: str
  description:
    description:
      - The description of the policy.
    type: str
  platform:
    description:
      - V(ios) manages an C(iosManagedAppProtection), V(android) an C(androidManagedAppProtection).
      - A setting of the other platform is an error.
    type: str
    required: true
    choices: [ios, android]
  api_version:
    description:
      - The Graph version to use. V(beta) reaches the settings that exist only in beta, as in most policies exported
        from real tenants and in Microsoft's framework.
    type: str
    choices: [v1.0, beta]
    default: v1.0
  baseline:
    description:
      - Start from a level of Microsoft's app protection data protection framework. Needs O(api_version=beta).
      - V(level1) enterprise basic, V(level2) enterprise enhanced, V(level3) enterprise high. Levels are cumulative.
      - Where Microsoft's framework JSON (2022) and its current documentation differ, the documentation's values are
        used.
      - On iOS, V(level3) sends phone numbers to one custom dialer app only when O(custom_dialer_app_protocol) is given.
    type: str
    choices: [level1, level2, level3]
  apps:
    description:
      - The apps the policy protects. Friendly names C(outlook), C(teams), C(onedrive), C(word), C(excel),
        C(powerpoint), C(edge), C(sharepoint), C(onenote), C(office) (the Microsoft 365 app) and C(todo) (iOS) map to
        the platform's bundle or package id; any other value is taken as a raw bundle (iOS) or package (Android) id.
      - Compared as a set, without regard to case. Replaces the policy's apps (C(targetApps)) when it differs.
    type: list
    elements: str
  app_group_type:
    description:
      - Which apps the policy targets. V(selectedPublicApps) (the apps in O(apps)) is assumed when O(apps) is given.
      - The other values target a group of apps that Intune chooses, so O(apps) must then be left out.
    type: str
    choices: [selectedPublicApps, allCoreMicrosoftApps, allMicrosoftApps, allApps]
  assignments:
    description:
      - The groups the policy applies to (app protection targets users). Replaces the whole assignment set
        (C(assign)) when it differs; an empty value removes every assignment.
    type: dict
    suboptions:
      include_groups:
        description: Groups, by display name or object id, whose users get the policy.
        type: list
        elements: str
        default: []
      exclude_groups:
        description: Groups, by display name or object id, whose users are excluded.
        type: list
        elements: str
        default: []
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.app_protection_policy
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted policy; writes nothing.
    support: full
  diff_mode:
    description: Shows the policy before and after, as module options, with group names.
    support: full
  action_group:
    description: Use C(group/tenantguard.m365.m365) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tenantguard.m365.m365
notes:
  - The application needs the Graph permission C(DeviceManagementApps.ReadWrite.All), and C(Group.Read.All) to find
    groups by name.
seealso:
  - module: tenantguard.m365.app_protection_policy_info
  - name: iosManagedAppProtection resource type
    description: The Graph resource this module manages on iOS.
    link: https://learn.microsoft.com/graph/api/resources/intune-mam-iosmanagedappprotection
  - name: Data protection framework using app protection policies
    description: Microsoft's levels 1, 2 and 3.
    link: https://learn.microsoft.com/intune/intune-service/apps/app-protection-framework
'''

EXAMPLES = r'''
- name: Level 2 (enterprise enhanced) for Outlook, Teams and Office on iOS, for the pilot group
  tenantguard.m365.app_protection_policy:
    display_name: TG - iOS - Level 2
    platform: ios
    api_version: beta
    baseline: level2
    minimum_required_os_version: "17.0"
    apps: [outlook, teams, word, excel, powerpoint, onedrive, edge]
    assignments:
      include_groups: [Mobile Pilot]
      exclude_groups: [Emergency Access]

- name: Android, v1.0 settings only, with a stricter PIN
  tenantguard.m365.app_protection_policy:
    display_name: TG - Android - Outlook
    platform: android
    pin_required: true
    minimum_pin_length: 6
    period_offline_before_wipe_is_enforced: P30D
    allowed_outbound_data_transfer_destinations: managedApps
    apps: [outlook]

- name: Delete a policy
  tenantguard.m365.app_protection_policy:
    display_name: Old policy
    platform: ios
    state: absent
'''

RETURN = r'''
app_protection_policy:
  description:
    - The policy as Graph stores it after the task, as Graph JSON, with C(apps) and C(assignments).
    - In check mode, the predicted policy (without C(id) for a policy that would be created).
    - Null when the policy is absent.
  returned: always
  type: dict
  sample:
    id: T_6f1b0f5c-0d5e-4b8a-9a51-2d1c6f7a8b90
    displayName: TG - iOS - Level 2
    pinRequired: true
    minimumPinLength: 4
    apps:
      - mobileAppIdentifier:
          "@odata.type": "#microsoft.graph.iosMobileAppIdentifier"
          bundleId: com.microsoft.office.outlook
    assignments:
      - target:
          "@odata.type": "#microsoft.graph.groupAssignmentTarget"
          groupId: 4f1f2d53-2b0e-4c7e-9d0a-58f3c2a5e111
action:
  description: What the task did (or would do in check mode) to the policy.
  returned: always
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: created
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._app_protection import (
    AppProtectionType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._app_protection_engine import (
    GroupNames, MamPolicyEngine)
from ansible_collections.tenantguard.m365.plugins.module_utils._module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._resource import Declared, run_module


def argument_spec():
    spec = object_options()
    spec["state"] = dict(type="str", choices=["present", "absent"], default="present")
    return spec


def run(module):
    params = module.params
    groups = GroupNames(lambda: module.graph, module.warn)
    if params["state"] == "present":
        references = []
        assignments = params.get("assignments") or {}
        for kind in ("include_groups", "exclude_groups"):
            for index, value in enumerate(assignments.get(kind) or []):
                references.append(("assignments.%s[%d]" % (kind, index), value))
        options_to_graph(params)  # every option checked before any request
        groups.resolve(references)
        desired = options_to_graph(params, groups.id_of)
    else:
        desired = {"displayName": params["display_name"]} if params["display_name"] else {}
    resource = AppProtectionType(params["platform"], params["api_version"], groups.name_of)
    engine = MamPolicyEngine.for_module(module, resource, api_version=params["api_version"])
    return engine.converge(Declared(desired, state=params["state"], id=params["id"]))


def main():
    module = TenantGuardModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[["display_name", "id"]],
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
