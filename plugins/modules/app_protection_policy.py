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
      - Required unless O(app_protection_policies) is used.
    type: str
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
      - With O(app_protection_policies), the state of the items that do not set their own.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(app_protection_policies), delete the policies of the platforms that no item declares and whose display
        name matches O(purge_name_pattern). Purging without a pattern is refused.
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
  - tenantguard.m365.known_groups
  - tenantguard.m365.app_protection_policy
  - tenantguard.m365.app_protection_policy.set_mode
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted policy; writes nothing.
    support: full
  diff_mode:
    description: Shows the policy before and after, as module options, with group names.
    support: full
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

- name: Converge the baseline's policies on both platforms in one task; delete the TG policies it no longer declares
  tenantguard.m365.app_protection_policy:
    app_protection_policies:
      - display_name: TG - iOS - Level 2
        platform: ios
        api_version: beta
        baseline: level2
        apps: [outlook, teams]
      - display_name: TG - Android - Level 2
        platform: android
        api_version: beta
        baseline: level2
        apps: [outlook, teams]
    purge: true
    purge_name_pattern: "TG - .*"

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
  returned: when O(app_protection_policies) is not used
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
  returned: when O(app_protection_policies) is not used
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: created
app_protection_policies:
  description: The policies of the items whose state is present, in the order of O(app_protection_policies).
  returned: when O(app_protection_policies) is used
  type: list
  elements: dict
  sample: []
actions:
  description:
    - One entry per policy created, updated or deleted (or that would be, in check mode); C(purged=true) for those
      deleted by O(purge).
  returned: when O(app_protection_policies) is used
  type: list
  elements: dict
  sample: [{"display_name": "TG - iOS - Level 2", "id": "T_6f1b0f5c-0d5e-4b8a-9a51-2d1c6f7a8b90",
            "action": "updated", "purged": false, "platform": "ios"}]
groups:
  description:
    - The groups the task found by display name (in its assignments), each with its id and its name as the tenant
      spells it, sorted by name; empty when no group was named.
    - A later task may pass them on (the app_protection role gives them to
      M(tenantguard.m365.app_configuration_policy) as O(tenantguard.m365.app_configuration_policy#module:known_groups)),
      so that the same names are not looked up again.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The object id of the group.
      type: str
    display_name:
      description: The display name of the group.
      type: str
  sample: [{"id": "0f4a3b1c-2d5e-4f60-8a7b-9c0d1e2f3a4b", "display_name": "All Staff"}]
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-app_protection_policy-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import (
    PLATFORMS, AppProtectionType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import (
    GroupNames, MamPolicyEngine, group_references)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import checked_known
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared, Part
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption


class AppProtectionModule(ResourceModule):
    """One policy of a platform, or a set over both platforms (O(app_protection_policies)): every item
    checked and every group resolved in one look-up, then one Part per platform (one list each), all
    planned before any is written."""

    list_option = "app_protection_policies"
    shared_options = ("api_version", "known_groups")
    object_options = staticmethod(object_options)
    groups = None

    def single_options(self):
        spec = object_options()
        spec["platform"] = dict(type="str", choices=list(PLATFORMS))  # required of the items only
        return spec

    def argument_spec(self):
        spec = super().argument_spec()
        spec["known_groups"] = dict(type="list", elements="dict", options=dict(
            id=dict(type="str", required=True), display_name=dict(type="str", required=True)))
        return spec

    def items(self, module):
        if module.params[self.list_option] is None and not module.params["platform"]:
            raise InvalidOption("platform", "is required for a single policy", accepted="ios or android")
        return super().items(module)

    def check_item(self, module, item, state, field=""):
        if state == "present":
            options_to_graph(item, field=field)  # every option checked before any request

    def prepare(self, module, items):
        self.groups = GroupNames(lambda: module.graph, module.warn,
                                 known=checked_known("known_groups", module.params["known_groups"]))
        self.groups.resolve([reference for field, item, state in items if state == "present"
                             for reference in group_references(item, field)])

    def declared(self, module, item, state, field=""):
        if state == "present":
            desired = options_to_graph(item, self.groups.id_of, field)
        else:
            desired = {"displayName": item["display_name"]} if item["display_name"] else {}
        return Declared(desired, state=state, id=item["id"], field=field)

    def resource_type(self, module, platform=None, api_version=None):
        return AppProtectionType(platform or module.params["platform"], api_version or module.params["api_version"],
                                 self.groups.name_of)

    def engine(self, module, platform=None, api_version=None):
        resource = self.resource_type(module, platform, api_version)
        return MamPolicyEngine.for_module(module, resource, api_version=resource.api_version)

    def parts(self, module, wanted):
        """One Part per platform that an item names (every platform when purging), on beta when one of its
        items is."""
        params = module.params
        parts = []
        for platform in PLATFORMS:
            mine = [(item, declared) for item, declared in zip(params[self.list_option], wanted)
                    if item["platform"] == platform]
            if not mine and not params["purge"]:
                continue
            version = "beta" if any(item["api_version"] == "beta" for item, _declared in mine) else "v1.0"
            parts.append(Part(self.engine(module, platform, version), [declared for _item, declared in mine],
                              tag={"platform": platform}))
        return parts

    def run(self, module):
        result = super().run(module)
        result["groups"] = self.groups.found()
        return result


def main():
    AppProtectionModule().main()


if __name__ == "__main__":
    main()
