#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: authentication_strength_policy_info
short_description: List conditional access authentication strengths
version_added: 0.1.0
description:
  - Lists the tenant's authentication strengths, built-in and custom, all of them or those matching O(id),
    O(display_name) and O(policy_type).
  - Each strength is returned as Graph JSON together with C(params), the options of
    M(tenantguard.m365.authentication_strength_policy) that recreate it; feeding C(params) back to that module changes
    nothing.
  - The strengths are read with one paged request, whatever the filters.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description:
      - Return only the strength with this id.
    type: str
  display_name:
    description:
      - Return only the strengths with this name. Names match exactly, and when no strength has the exact name,
        without regard to case.
    type: str
  policy_type:
    description:
      - Return only the built-in strengths (V(builtIn)) or only the custom ones (V(custom)); matched without regard to
        case.
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(Policy.Read.All).
seealso:
  - module: tenantguard.m365.authentication_strength_policy
'''

EXAMPLES = r'''
- name: The custom strengths of the tenant
  tenantguard.m365.authentication_strength_policy_info:
    policy_type: custom
  register: strengths

- name: Export them to another tenant
  tenantguard.m365.authentication_strength_policy:
    authentication_strength_policies: "{{ strengths.authentication_strength_policies | map(attribute='params') | list }}"
'''

RETURN = r'''
authentication_strength_policies:
  description:
    - The strengths, as Graph JSON (without C(@odata.context)), each with C(params).
  returned: always
  type: list
  elements: dict
  contains:
    params:
      description: The options of M(tenantguard.m365.authentication_strength_policy) that recreate the strength.
      type: dict
      returned: always
      sample: {"display_name": "Admin sign-in", "allowed_combinations": ["fido2", "windowsHelloForBusiness"]}
  sample:
    - id: 00000000-0000-0000-0000-000000000004
      displayName: Phishing resistant MFA
      policyType: builtIn
      requirementsSatisfied: mfa
      allowedCombinations: [windowsHelloForBusiness, fido2, x509CertificateMultiFactor]
      params:
        display_name: Phishing resistant MFA
        allowed_combinations: [windowsHelloForBusiness, fido2, x509CertificateMultiFactor]
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import (
    POLICY_TYPES, AuthenticationStrengthType, graph_to_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import InvalidOption, ResourceEngine, info_item


def policy_type(value):
    for name in POLICY_TYPES:
        if value.strip().lower() == name.lower():
            return name
    raise InvalidOption("policy_type", "is not a policy type", value, accepted="builtIn or custom (any case)")


def run(module):
    params = module.params
    check_id(params["id"])
    wanted_type = policy_type(params["policy_type"]) if params["policy_type"] else None
    engine = ResourceEngine.for_module(module, AuthenticationStrengthType())
    found = engine.objects()
    if params["id"]:
        found = [o for o in found if str(o.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [o for o in found if any(o is n for n in named)]
    if wanted_type:
        found = [o for o in found if str(o.get("policyType", "")).lower() == wanted_type.lower()]
    return {"changed": False,
            "authentication_strength_policies": [info_item(o, graph_to_options(o)) for o in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(id=dict(type="str"), display_name=dict(type="str"), policy_type=dict(type="str")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
