#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: enrollment_restriction
short_description: Manage Intune enrolment platform restrictions for iOS/iPadOS and Android
version_added: 0.1.0
description:
  - Creates, updates and deletes Intune device platform restrictions (C(deviceEnrollmentPlatformRestrictionsConfiguration)),
    which decide who may enrol which kind of phone. For example, allow Android Enterprise personally-owned work
    profile, block Android device administrator, refuse personal iPhones, or require a minimum OS version.
  - O(default=true) designates the tenant's default restriction (priority 0, applied to all users and all devices).
    It is read and updated in place, never deleted, re-prioritised or assigned.
  - A custom restriction is found by O(id), or else by O(display_name); a name that matches two is an error listing
    their ids, and a second restriction with the same name is never created.
  - Only what differs is sent. A PATCH carries the whole restriction of each platform that differs (Graph replaces it
    whole), merged from what the tenant holds and what the task declares; the priority changes only through
    C(setPriority) and the groups only through C(assign).
  - The tenant's platform restrictions are read with one paged request (C($expand=assignments)); limit
    configurations are left alone.
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of a custom restriction; identifies it when O(id) is not given. Required to create one.
    type: str
  id:
    description:
      - The id of an existing custom restriction.
    type: str
  default:
    description:
      - Designate the default restriction instead of a custom one. O(display_name), O(id), O(priority) and
        O(assignments) cannot be set with it.
    type: bool
    default: false
  description:
    description:
      - The description of the restriction.
    type: str
  priority:
    description:
      - The priority of a custom restriction (1 is applied first), set through C(setPriority) when it differs. The
        others of the tenant shift to make room.
    type: int
  assignments:
    description:
      - The groups a custom restriction applies to. Replaces the whole assignment set (C(assign)) when it differs.
    type: dict
    suboptions: &assignment_groups
      include_groups:
        description: Groups, by display name or object id.
        type: list
        elements: str
        default: []
  ios:
    description:
      - The iOS/iPadOS restriction (Graph C(iosRestriction)). Suboptions left out keep the tenant's value.
    type: dict
    # The same four suboptions for every platform, here and in the items of O(enrollment_restrictions): written
    # once and referred to by YAML alias.
    suboptions: &platform_restriction
      platform_blocked:
        description: Block enrolment of the platform.
        type: bool
      personal_device_enrollment_blocked:
        description: Block personally owned devices.
        type: bool
      os_minimum_version:
        description: The oldest OS version allowed, such as V(17.0).
        type: str
      os_maximum_version:
        description: The newest OS version allowed.
        type: str
  android_device_administrator:
    description:
      - The Android device administrator restriction (Graph C(androidRestriction)). Google ended device
        administrator support for devices with Google Mobile Services; blocking it is the usual choice.
    type: dict
    suboptions: *platform_restriction
  android_work_profile:
    description:
      - The Android Enterprise personally-owned work profile restriction (Graph C(androidForWorkRestriction), beta
        only).
    type: dict
    suboptions: *platform_restriction
  api_version:
    description:
      - The Graph version to use. V(beta) reaches O(android_work_profile).
    type: str
    choices: [v1.0, beta]
    default: beta
  state:
    description:
      - V(present) creates or updates the restriction, V(absent) deletes a custom one (the default is never deleted).
    type: str
    choices: [present, absent]
    default: present
  enrollment_restrictions:
    description:
      - 'Set mode: a list of restrictions, each with the options of one restriction (the default one with
        C(default: true)), converged in one task with one list request.'
      - Every item is checked and planned before anything is written.
      - Cannot be combined with the options of a single restriction.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: As O(display_name).
        type: str
      id:
        description: As O(id).
        type: str
      default:
        description: As O(default).
        type: bool
        default: false
      description:
        description: As O(description).
        type: str
      priority:
        description: As O(priority).
        type: int
      assignments:
        description: As O(assignments).
        type: dict
        suboptions: *assignment_groups
      ios:
        description: As O(ios).
        type: dict
        suboptions: *platform_restriction
      android_device_administrator:
        description: As O(android_device_administrator).
        type: dict
        suboptions: *platform_restriction
      android_work_profile:
        description: As O(android_work_profile).
        type: dict
        suboptions: *platform_restriction
      state:
        description: As O(state); the task's O(state) when left out.
        type: str
        choices: [present, absent]
  purge:
    description:
      - With O(enrollment_restrictions), delete the custom restrictions that no item declares and whose display name
        matches O(purge_name_pattern). The default restriction is never purged. Purging without a pattern is refused.
    type: bool
    default: false
  purge_name_pattern:
    description:
      - A regular expression matched against the whole display name (without regard to case) of the restrictions
        that O(purge) may delete, such as V(TG - .*).
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted restriction; writes nothing.
    support: full
  diff_mode:
    description: Shows the restriction before and after, as module options, with group names.
    support: full
notes:
  - The application needs the Graph permission C(DeviceManagementServiceConfig.ReadWrite.All), and C(Group.Read.All)
    to find groups by name.
seealso:
  - module: tenantguard.m365.device_compliance_policy
'''

EXAMPLES = r'''
- name: Everyone - no Android device administrator, work profile allowed, personal iPhones allowed from iOS 17
  tenantguard.m365.enrollment_restriction:
    default: true
    android_device_administrator:
      platform_blocked: true
    android_work_profile:
      platform_blocked: false
      personal_device_enrollment_blocked: false
    ios:
      personal_device_enrollment_blocked: false
      os_minimum_version: "17.0"

- name: Corporate phones only for the finance team
  tenantguard.m365.enrollment_restriction:
    display_name: TG - Finance - corporate phones only
    priority: 1
    ios:
      personal_device_enrollment_blocked: true
    android_work_profile:
      personal_device_enrollment_blocked: true
    assignments:
      include_groups: [Finance]
'''

RETURN = r'''
enrollment_restriction:
  description:
    - The restriction as Graph stores it after the task, as Graph JSON, with C(assignments). In check mode, the
      predicted restriction (without C(id) for one that would be created). Null when absent.
  returned: when O(enrollment_restrictions) is not used
  type: dict
  sample: {"displayName": "All users and all devices", "priority": 0,
           "androidRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": false}}
enrollment_restrictions:
  description: The restrictions of the items that are present, as for RV(enrollment_restriction).
  returned: when O(enrollment_restrictions) is used
  type: list
  elements: dict
actions:
  description:
    - One entry per restriction created, updated or deleted (or that would be, in check mode); C(purged=true) for
      those deleted by O(purge).
  returned: when O(enrollment_restrictions) is used
  type: list
  elements: dict
  sample: [{"display_name": "All users and all devices", "id": "c7a1e0b8-4f1d-4e23-9a51-2d1c6f7a8b90_DefaultPlatformRestrictions",
            "action": "updated", "purged": false}]
action:
  description: What the task did (or would do in check mode) to the restriction.
  returned: when O(enrollment_restrictions) is not used
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: updated
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261206T101500000000Z-enrollment_restriction-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.enrollment import (
    DEFAULT_ID, EnrollmentRestrictionEngine, EnrollmentRestrictionType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import GroupNames
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import option_field
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule


class EnrollmentRestrictionModule(ResourceModule):
    """One platform restriction configuration (the default or a custom one)."""

    list_option = "enrollment_restrictions"
    object_options = staticmethod(object_options)
    groups = None

    def argument_spec(self):
        spec = super().argument_spec()
        spec["api_version"] = dict(type="str", choices=["v1.0", "beta"], default="beta")
        spec[self.list_option]["required_one_of"] = [["display_name", "id", "default"]]
        spec[self.list_option]["mutually_exclusive"] = [["default", "display_name"], ["default", "id"]]
        return spec

    def module_rules(self):
        rules = super().module_rules()
        rules["required_one_of"] = [["display_name", "id", "default", self.list_option]]
        rules["mutually_exclusive"] = rules["mutually_exclusive"] + [["default", "display_name"], ["default", "id"]]
        return rules

    def prepare(self, module, items):
        self.groups = GroupNames(lambda: module.graph, module.warn)
        references = []
        for field, item, state in items:
            if state != "present":
                continue
            for index, value in enumerate((item.get("assignments") or {}).get("include_groups") or []):
                references.append((option_field(field, "assignments.include_groups[%d]" % index), value))
            options_to_graph(item, None, field, module.params["api_version"])
        self.groups.resolve(references)

    def declared(self, module, item, state, field=""):
        version = module.params["api_version"]
        if state == "present":
            desired = options_to_graph(item, self.groups.id_of, field, version)
        else:
            desired = {"displayName": item["display_name"]} if item["display_name"] else {}
        object_id = DEFAULT_ID if item.get("default") else item["id"]
        return Declared(desired, state=state, id=object_id, field=field)

    def engine(self, module):
        version = module.params["api_version"]
        return EnrollmentRestrictionEngine.for_module(module, EnrollmentRestrictionType(version, self.groups.name_of),
                                                      api_version=version)


def main():
    EnrollmentRestrictionModule().main()


if __name__ == "__main__":
    main()
