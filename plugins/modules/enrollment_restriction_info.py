#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: enrollment_restriction_info
short_description: Read Intune enrolment platform restrictions, the default one included
version_added: 0.1.0
description:
  - Reads the tenant's device platform restrictions (C(deviceEnrollmentPlatformRestrictionsConfiguration)) with one
    paged request (C($expand=assignments)), the default restriction (priority 0) included. Limit configurations and
    the other kinds of enrolment configuration are left out.
  - Each restriction comes with C(params), the options of M(tenantguard.m365.enrollment_restriction) that recreate it
    (C(default=true) for the default one, group names where they can be found), so that an export re-applies as a
    no-op.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description: Only the restriction with this id.
    type: str
  display_name:
    description: Only the restrictions with this display name (exact, else without regard to case).
    type: str
  default:
    description: V(true) returns only the default restriction, V(false) only the custom ones; both when left out.
    type: bool
  api_version:
    description: The Graph version to read with; V(beta) shows the Android Enterprise work profile restriction.
    type: str
    choices: [v1.0, beta]
    default: beta
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(DeviceManagementServiceConfig.Read.All) (or C(ReadWrite.All)), and
    C(Group.Read.All) for group names.
seealso:
  - module: tenantguard.m365.enrollment_restriction
'''

EXAMPLES = r'''
- name: Every platform restriction, as options that recreate it
  tenantguard.m365.enrollment_restriction_info:
  register: restrictions

- name: Re-apply them (a no-op when nothing changed)
  tenantguard.m365.enrollment_restriction:
    default: "{{ item.params.default | default(omit) }}"
    display_name: "{{ item.params.display_name | default(omit) }}"
    description: "{{ item.params.description | default(omit) }}"
    priority: "{{ item.params.priority | default(omit) }}"
    assignments: "{{ item.params.assignments | default(omit) }}"
    ios: "{{ item.params.ios | default(omit) }}"
    android_device_administrator: "{{ item.params.android_device_administrator | default(omit) }}"
    android_work_profile: "{{ item.params.android_work_profile | default(omit) }}"
  loop: "{{ restrictions.enrollment_restrictions }}"
  loop_control:
    label: "{{ item.displayName }}"
'''

RETURN = r'''
enrollment_restrictions:
  description:
    - The platform restrictions as Graph returns them, with C(assignments), sorted by priority (the default first),
      each with C(params).
  returned: always
  type: list
  elements: dict
  sample: [{"displayName": "All users and all devices", "priority": 0,
            "androidRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": false},
            "params": {"default": true, "android_device_administrator": {"platform_blocked": true,
                       "personal_device_enrollment_blocked": false, "os_minimum_version": null,
                       "os_maximum_version": null}}}]
'''

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.enrollment import (
    EnrollmentRestrictionEngine, EnrollmentRestrictionType, graph_to_options, group_set, is_default)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import GroupNames
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import GUID
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import info_item


# A custom restriction has a GUID id; the default one the tenant's GUID and a suffix (<tenant>_DefaultPlatformRestrictions).
RESTRICTION_ID = re.compile(r"^%s(?:_[A-Za-z]{1,40})?$" % GUID)


def run(module):
    params = module.params
    if params["id"] is not None and not RESTRICTION_ID.match(params["id"].strip()):
        raise InvalidOption("id", "is not an enrolment configuration id", value=params["id"],
                            accepted="a GUID, or the default restriction's <tenant GUID>_DefaultPlatformRestrictions")
    version = params["api_version"]
    groups = GroupNames(lambda: module.graph, module.warn)
    engine = EnrollmentRestrictionEngine.for_module(module, EnrollmentRestrictionType(version), api_version=version)
    found = engine.objects()
    if params["id"]:
        found = [o for o in found if str(o.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [o for o in found if any(o is n for n in named)]
    if params["default"] is not None:
        found = [o for o in found if bool(is_default(o)) == params["default"]]
    found = sorted(found, key=lambda o: (o.get("priority") if isinstance(o.get("priority"), int) else 1 << 30,
                                         str(o.get("displayName") or "")))
    group_ids = set(group for obj in found if not is_default(obj) for group in group_set(obj.get("assignments"))
                    if group)
    if group_ids:
        groups.resolver.resolve({"group": sorted(group_ids)})
    return {"changed": False, "enrollment_restrictions": [
        info_item(o, graph_to_options(o, groups.name_of)) for o in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(id=dict(type="str"), display_name=dict(type="str"), default=dict(type="bool"),
                           api_version=dict(type="str", choices=["v1.0", "beta"], default="beta")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
