#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_template_info
short_description: List Microsoft's conditional access templates
version_added: 0.1.0
description:
  - Lists the conditional access policy templates that Microsoft publishes in every tenant, all of them or those
    matching O(id), O(name) and O(scenario).
  - Each template is returned as Graph JSON, with its C(details) (the settings of the policy it describes), together
    with C(params), the options of the C(tenantguard.m365.conditional_access_policy) module that create a policy
    from it.
  - In C(params), the template's name is the policy's C(display_name), and the placeholder C(Current administrator
    will be excluded) that Microsoft puts among the excluded users is left out; exclude the emergency-access accounts
    with the policy module's C(emergency_access) instead. References stay ids (directory role templates,
    applications).
  - The templates are read with one request, whatever the filters.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description:
      - Return only the template with this id.
    type: str
  name:
    description:
      - Return only the template with this name, such as V(Block legacy authentication). Names match exactly, and when
        no template has the exact name, without regard to case.
    type: str
  scenario:
    description:
      - Return only the templates recommended for this scenario, matched without regard to case.
      - One of C(new), C(secureFoundation), C(zeroTrust), C(remoteWork), C(protectAdmins), C(emergingThreats) and,
        in beta, C(aiAgents).
    type: str
  api_version:
    description:
      - The Graph version to read. V(beta) lists more templates, and C(params) may then use beta-only options.
    type: str
    choices: [v1.0, beta]
    default: v1.0
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(Policy.Read.All).
'''

EXAMPLES = r'''
- name: The templates of the secure foundation scenario
  tenantguard.m365.conditional_access_template_info:
    scenario: secureFoundation
  register: foundation

- name: One template, by name
  tenantguard.m365.conditional_access_template_info:
    name: Block legacy authentication
  register: legacy

- name: Show the options of a policy made from it
  ansible.builtin.debug:
    var: legacy.templates[0].params
'''

RETURN = r'''
templates:
  description:
    - The templates, as Graph JSON (without C(@odata.context)), each with C(params).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The template's id.
      type: str
      returned: always
      sample: 0b2282f9-2862-4178-88b5-d79340b36cb8
    name:
      description: The template's name.
      type: str
      returned: always
      sample: Block legacy authentication
    scenarios:
      description: The scenarios the template is recommended for, comma-separated as Graph returns them.
      type: str
      returned: always
      sample: secureFoundation,zeroTrust,remoteWork,protectAdmins
    details:
      description: The settings of the policy the template describes (C(conditions), C(grantControls),
        C(sessionControls)), as Graph JSON.
      type: dict
      returned: always
    params:
      description: The options of the C(tenantguard.m365.conditional_access_policy) module for a policy made from
        the template.
      type: dict
      returned: always
      sample:
        display_name: Block legacy authentication
        conditions:
          applications: {include_applications: [All]}
          client_app_types: [exchangeActiveSync, other]
          users: {include_users: [All]}
        grant_controls: {built_in_controls: [block], operator: OR}
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.template_catalogue import (
    ConditionalAccessTemplateType, find_templates, scenario_name, template_params)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import ResourceEngine, info_item


def run(module):
    params = module.params
    check_id(params["id"])
    scenario = scenario_name(params["scenario"]) if params["scenario"] else None
    engine = ResourceEngine.for_module(module, ConditionalAccessTemplateType(), api_version=params["api_version"])
    found = find_templates(engine.objects(), template_id=params["id"], name=params["name"], scenario=scenario)
    return {"changed": False,
            "templates": [info_item(t, template_params(t, params["api_version"])) for t in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            id=dict(type="str"),
            name=dict(type="str"),
            scenario=dict(type="str"),
            api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
