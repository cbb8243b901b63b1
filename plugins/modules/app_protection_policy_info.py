#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_protection_policy_info
short_description: List Intune app protection policies for iOS and Android
version_added: 0.1.0
description:
  - Lists the tenant's Intune app protection policies of one platform (or both), all of them or those matching O(id)
    or O(display_name), with their apps and assignments.
  - Each policy is returned as Graph JSON together with C(params), the options of
    M(tenantguard.m365.app_protection_policy) that recreate it (apps by friendly name where the name table has them,
    groups by display name); feeding C(params) back to that module changes nothing. That is how a tenant's app
    protection is exported to code.
  - The policies of a platform are read with one paged request (C(\$expand=apps,assignments)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  platform:
    description:
      - The platform whose policies to list. Both when left out.
    type: str
    choices: [ios, android]
  id:
    description:
      - Return only the policy with this id.
    type: str
  display_name:
    description:
      - Return only the policies with this name. Names match exactly, and when no policy has the exact name, without
        regard to case.
    type: str
  api_version:
    description:
      - The Graph version to read. V(beta) returns every setting, as most exports need; C(params) then carry
        C(api_version=beta).
    type: str
    choices: [v1.0, beta]
    default: v1.0
  coverage_for:
    description:
      - Conditional access policies, by display name or id (V(all) for every one), whose grant on
        C(compliantApplication) to check against the app protection policies of both platforms.
      - For each such CA policy, RV(coverage) lists the targeted platform, app and included group combinations that no
        app protection policy covers (one of that platform, with the app or an app group of Microsoft's apps, assigned
        to the group without excluding it).
      - CA applications map to mobile apps as follows. C(All) and C(Office365) map to the core Microsoft apps, Exchange
        Online to C(outlook), SharePoint Online to the Office apps, OneDrive and SharePoint, and Microsoft Teams
        Services to C(teams). Other applications are listed as unmapped.
      - Needs the Graph permission C(Policy.Read.All) too.
    type: list
    elements: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(DeviceManagementApps.Read.All), and C(Group.Read.All) for group
    names.
seealso:
  - module: tenantguard.m365.app_protection_policy
'''

EXAMPLES = r'''
- name: Every app protection policy, as beta exports them
  tenantguard.m365.app_protection_policy_info:
    api_version: beta
  register: protection

- name: Which phones, apps and groups that conditional access sends to app protection are not protected
  tenantguard.m365.app_protection_policy_info:
    coverage_for: [Require app protection on phones]
  register: protection_coverage

- name: Apply the export (to this or another tenant)
  tenantguard.m365.app_protection_policy: "{{ item.params }}"
  loop: "{{ protection.app_protection_policies }}"
'''

RETURN = r'''
app_protection_policies:
  description:
    - The policies, as Graph JSON (without C(@odata.context)), each with C(platform) and C(params).
  returned: always
  type: list
  elements: dict
  contains:
    platform:
      description: V(ios) or V(android).
      type: str
      returned: always
      sample: ios
    params:
      description: The options of M(tenantguard.m365.app_protection_policy) that recreate the policy (no id).
      type: dict
      returned: always
      sample: {"display_name": "TG - iOS", "platform": "ios", "api_version": "v1.0", "pin_required": true,
               "apps": ["outlook"], "assignments": {"include_groups": ["Mobile Pilot"], "exclude_groups": []}}
  sample:
    - id: T_6f1b0f5c-0d5e-4b8a-9a51-2d1c6f7a8b90
      displayName: TG - iOS
      pinRequired: true
      platform: ios
      params:
        display_name: TG - iOS
        platform: ios
        api_version: v1.0
        pin_required: true
coverage:
  description:
    - One entry per conditional access policy of O(coverage_for) that grants on C(compliantApplication).
    - C(gaps) lists the combinations no app protection policy covers (C(platform), C(app), C(group), C(group_id)).
      Users the CA policy targets directly, as C(All), as guests or through directory roles are matched only by an
      app protection policy assigned to all users; each not so covered is a gap whose C(group_id) is null and whose
      C(group) says who they are. C(users_not_in_groups) lists the users the CA policy names directly (or C(All)).
    - C(unverified) lists what could not be checked (an application whose mobile apps are not known, a policy that
      includes no one).
    - C(covered) is true only when every app the CA policy sends to app protection is covered on every platform for
      everyone it targets, with no gap and nothing unverified.
  returned: when O(coverage_for) is given
  type: list
  elements: dict
  sample:
    - conditional_access_policy: Require app protection on phones
      id: 0e5c6f1a-7f35-4d2c-9d17-2f3f7d7f4b10
      platforms: [ios, android]
      apps: [outlook]
      unmapped_applications: []
      users_not_in_groups: []
      unverified: []
      covered: false
      gaps:
        - {platform: android, app: outlook, group: Mobile Pilot, group_id: 4f1f2d53-2b0e-4c7e-9d0a-58f3c2a5e111}
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import (
    PLATFORMS, AppProtectionType, graph_to_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_coverage import coverage
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import (
    GroupNames, MamPolicyEngine)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import assignment_set
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import info_item
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption, fold

CA_POLICIES = "/identity/conditionalAccess/policies"


def chosen_ca_policies(graph, wanted):
    """The CA policies named or identified in ``wanted`` (``all``: every one), read with one list."""
    listed = list(graph.list(CA_POLICIES))
    if any(str(w).strip().lower() == "all" for w in wanted):
        return listed
    chosen = []
    for index, value in enumerate(wanted):
        text = str(value).strip()
        found = [p for p in listed if str(p.get("id", "")).lower() == text.lower()] or \
            [p for p in listed if p.get("displayName") == text] or \
            [p for p in listed if fold(p.get("displayName")) == fold(text)]
        if not found:
            raise InvalidOption("coverage_for[%d]" % index, "matches no conditional access policy", value=text,
                                accepted="the display name or id of a conditional access policy, or all")
        if len(found) > 1:
            raise InvalidOption("coverage_for[%d]" % index, "matches %d conditional access policies (ids %s)" % (
                len(found), ", ".join(str(p.get("id")) for p in found)), value=text,
                accepted="the id of the one to check")
        if found[0] not in chosen:
            chosen.append(found[0])
    return chosen


def run(module):
    params = module.params
    check_id(params["id"], intune=True)
    groups = GroupNames(lambda: module.graph, module.warn)
    found = []
    everything = {}
    checking = params["coverage_for"] is not None
    for platform in (PLATFORMS if checking or not params["platform"] else [params["platform"]]):
        engine = MamPolicyEngine.for_module(module, AppProtectionType(platform, params["api_version"]),
                                            api_version=params["api_version"])
        # v1.0 does not return appGroupType: read it from beta so that the exported params keep it.
        engine.group_types_wanted = True
        objects = engine.objects()
        everything[platform] = objects
        if checking and params["platform"] and platform != params["platform"]:
            continue
        if params["id"]:
            objects = [o for o in objects if str(o.get("id", "")).lower() == params["id"].strip().lower()]
        if params["display_name"]:
            named = engine.by_name(params["display_name"])
            objects = [o for o in objects if any(o is n for n in named)]
        found.extend((platform, o) for o in objects)
    ca_policies = chosen_ca_policies(module.graph, params["coverage_for"]) if checking else []
    group_ids = set(group for _platform, obj in found for _kind, group in assignment_set(obj.get("assignments")))
    for ca_policy in ca_policies:
        group_ids.update(((ca_policy.get("conditions") or {}).get("users") or {}).get("includeGroups") or [])
    if group_ids:
        groups.resolver.resolve({"group": sorted(group_ids)})
    out = []
    for platform, obj in found:
        item = info_item(obj, graph_to_options(obj, platform, params["api_version"], groups.name_of))
        item["platform"] = platform
        out.append(item)
    result = {"changed": False, "app_protection_policies": out}
    if checking:
        result["coverage"] = coverage(ca_policies, everything, groups.name_of)
    return result


def main():
    module = TenantGuardModule(
        argument_spec=dict(platform=dict(type="str", choices=list(PLATFORMS)), id=dict(type="str"),
                           display_name=dict(type="str"), coverage_for=dict(type="list", elements="str"),
                           api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
