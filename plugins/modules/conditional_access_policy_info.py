#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_policy_info
short_description: Read Microsoft Entra conditional access policies, and the options that recreate them
version_added: 0.1.0
description:
  - Lists the tenant's conditional access policies, all of them or those that O(id), O(display_name) and
    O(policy_state) select, with one read of the policies.
  - Each policy comes back as Graph JSON, as C(params), the options of M(tenantguard.m365.conditional_access_policy)
    that recreate it (feeding them back changes nothing, which is how a tenant is exported to code), and as
    C(readable), the Graph JSON with names instead of ids.
  - Policies that still require the retired C(approvedApplication) grant are flagged (C(uses_retired_grant)) with
    the way to migrate them.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description: Only the policy with this id.
    type: str
  display_name:
    description:
      - Only the policies with this display name (exactly, else without regard to case).
    type: str
  policy_state:
    description:
      - Only the policies in this state (Graph's C(state)).
    type: str
    choices: [enabled, disabled, enabledForReportingButNotEnforced]
  api_version:
    description:
      - The Graph version to read with. Beta returns beta-only properties, and C(params) then include
        C(api_version=beta).
    type: str
    choices: [v1.0, beta]
    default: v1.0
  resolve_names:
    description:
      - Look the ids up, in bulk, so that C(readable) and C(params) show names.
      - In C(params), an id becomes a name only where that name designates the same object when fed back (a name two
        groups share, or the id of a deleted user, stays an id).
      - V(false) makes no directory reads; C(params) then hold ids.
    type: bool
    default: true
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(Policy.Read.All), and to show names C(User.Read.All),
    C(Group.Read.All), C(Application.Read.All) and C(RoleManagement.Read.Directory) (or C(Directory.Read.All)).
seealso:
  - module: tenantguard.m365.conditional_access_policy
'''

EXAMPLES = r'''
- name: Export every policy as module options
  tenantguard.m365.conditional_access_policy_info:
  register: found

- name: Write them as a baseline a later play can apply
  ansible.builtin.copy:
    content: "{{ {'conditional_access_policies': found.conditional_access_policies | map(attribute='params')} | to_nice_yaml }}"
    dest: baseline.yml
    mode: "0600"

- name: Policies still using the retired approved client app grant
  tenantguard.m365.conditional_access_policy_info:
  register: found

- name: List them
  ansible.builtin.debug:
    msg: "{{ item.displayName }}: {{ item.migration_hint }}"
  loop: "{{ found.conditional_access_policies | selectattr('uses_retired_grant') }}"
'''

RETURN = r'''
conditional_access_policies:
  description:
    - The policies, as Graph JSON (without C(@odata.context)), each with C(params), C(readable),
      C(uses_retired_grant) and C(migration_hint).
  returned: always
  type: list
  elements: dict
  contains:
    params:
      description:
        - The options of M(tenantguard.m365.conditional_access_policy) that recreate the policy (no id).
      type: dict
      returned: always
      sample: {"display_name": "Block legacy authentication", "policy_state": "enabled",
               "conditions": {"users": {"include_users": ["All"], "exclude_groups": ["Emergency Access"]},
                              "applications": {"include_applications": ["All"]},
                              "client_app_types": ["exchangeActiveSync", "other"]},
               "grant_controls": {"operator": "OR", "built_in_controls": ["block"]}}
    readable:
      description: The Graph JSON with users as user principal names and groups, roles, applications, named locations
        and authentication strengths as names, where they could be read.
      type: dict
      returned: always
    uses_retired_grant:
      description: Whether the policy still requires C(approvedApplication), retired on 2026-06-30.
      type: bool
      returned: always
    migration_hint:
      description: How to migrate a policy that uses the retired grant; null otherwise.
      type: str
      returned: always
  sample: []
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    ConditionalAccessPolicyType,
    PreferUnknownEnumMembers,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.export import (
    export_item,
    round_trip_names,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import ResourceEngine


def run(module):
    params = module.params
    check_id(params["id"])
    api_version = params["api_version"]
    engine = ResourceEngine(lambda: PreferUnknownEnumMembers(module.graph), ConditionalAccessPolicyType(api_version),
                            check_mode=module.check_mode, warn=module.warn, api_version=api_version)
    found = engine.objects()
    if params["id"]:
        found = [p for p in found if str(p.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [p for p in found if any(p is n for n in named)]
    if params["policy_state"]:
        found = [p for p in found if str(p.get("state", "")).lower() == params["policy_state"].lower()]
    resolver = None
    names = None
    if params["resolve_names"] and found:
        resolver = NameResolver(module.graph, api_version=api_version, reference_wait=0)
        names = round_trip_names(found, resolver)
    return {"changed": False,
            "conditional_access_policies": [export_item(p, api_version, resolver, names) for p in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            id=dict(type="str"),
            display_name=dict(type="str"),
            policy_state=dict(type="str", choices=["enabled", "disabled", "enabledForReportingButNotEnforced"]),
            api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
            resolve_names=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
