#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_configuration_policy_info
short_description: List Intune app configuration policies for managed apps
version_added: 0.1.0
description:
  - Lists the tenant's Intune app configuration policies for managed apps (C(targetedManagedAppConfiguration)), all
    of them or those matching O(id) or O(display_name), with their apps and assignments.
  - Each policy is returned as Graph JSON together with C(params), the options of
    M(tenantguard.m365.app_configuration_policy) that recreate it; feeding C(params) back to that module changes
    nothing.
  - The policies are read with one paged request (C(\$expand=apps,assignments)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description:
      - Return only the policy with this id.
    type: str
  display_name:
    description:
      - Return only the policies with this name (exactly, else without regard to case).
    type: str
  api_version:
    description:
      - The Graph version to read; C(params) carry it.
    type: str
    choices: [v1.0, beta]
    default: v1.0
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(DeviceManagementApps.Read.All), and C(Group.Read.All) for group
    names.
seealso:
  - module: tenantguard.m365.app_configuration_policy
'''

EXAMPLES = r'''
- name: Every app configuration policy for managed apps
  tenantguard.m365.app_configuration_policy_info:
  register: configurations

- name: Apply the export
  tenantguard.m365.app_configuration_policy: "{{ item.params }}"
  loop: "{{ configurations.app_configuration_policies }}"
'''

RETURN = r'''
app_configuration_policies:
  description:
    - The policies, as Graph JSON (without C(@odata.context)), each with C(params).
  returned: always
  type: list
  elements: dict
  contains:
    params:
      description: The options of M(tenantguard.m365.app_configuration_policy) that recreate the policy (no id).
      type: dict
      returned: always
      sample: {"display_name": "TG - Outlook", "api_version": "v1.0", "apps": ["outlook"],
               "custom_settings": {"IntuneMAMAllowedAccountsOnly": "Enabled"}}
  sample:
    - id: T_0b1e6a43-5c3f-4f67-8d3e-7a1c2b9d0e11
      displayName: TG - Outlook
      customSettings: [{"name": "IntuneMAMAllowedAccountsOnly", "value": "Enabled"}]
      params:
        display_name: TG - Outlook
        api_version: v1.0
        custom_settings:
          IntuneMAMAllowedAccountsOnly: Enabled
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_configuration import (
    AppConfigurationType, graph_to_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import (
    GroupNames, MamPolicyEngine)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import assignment_set
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import info_item


def run(module):
    params = module.params
    check_id(params["id"], intune=True)
    groups = GroupNames(lambda: module.graph, module.warn)
    engine = MamPolicyEngine.for_module(module, AppConfigurationType(params["api_version"]),
                                        api_version=params["api_version"])
    # v1.0 does not return appGroupType: read it from beta so that the exported params keep it.
    engine.group_types_wanted = True
    found = engine.objects()
    if params["id"]:
        found = [o for o in found if str(o.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [o for o in found if any(o is n for n in named)]
    group_ids = sorted(set(group for obj in found for _kind, group in assignment_set(obj.get("assignments"))))
    if group_ids:
        groups.resolver.resolve({"group": group_ids})
    return {"changed": False, "app_configuration_policies": [
        info_item(o, graph_to_options(o, params["api_version"], groups.name_of)) for o in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(id=dict(type="str"), display_name=dict(type="str"),
                           api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
