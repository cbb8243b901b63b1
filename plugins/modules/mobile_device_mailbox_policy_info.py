#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mobile_device_mailbox_policy_info
short_description: List Exchange Online mobile device mailbox policies
version_added: 0.1.0
description:
  - Reads the tenant's mobile device mailbox policies with one C(Get-MobileDeviceMailboxPolicy) command, all of them or
    the one named O(name).
author:
  - TenantGuard contributors (@tenantguard)
options:
  name:
    description:
      - Return only the policy with this name (matched without regard to case).
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and a directory role that reads Exchange, such as
    Global Reader.
seealso:
  - module: tenantguard.m365.mobile_device_mailbox_policy
'''

EXAMPLES = r'''
- name: Every policy
  tenantguard.m365.mobile_device_mailbox_policy_info:
  register: policies

- name: The default policy's name
  ansible.builtin.debug:
    msg: "{{ policies.policies | selectattr('IsDefault') | map(attribute='Name') | first }}"
'''

RETURN = r'''
policies:
  description: The policies as Exchange returns them.
  returned: always
  type: list
  elements: dict
  sample: [{"Name": "Default", "IsDefault": true, "PasswordEnabled": false}]
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import read
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import MailboxPolicy


def run(module):
    resource = MailboxPolicy()
    rows = sorted(read(module.exchange, resource), key=resource.key)
    wanted = module.params["name"]
    if wanted is not None:
        rows = [r for r in rows if resource.key(r) == wanted.strip().lower()]
    return dict(changed=False, policies=rows)


def main():
    module = TenantGuardModule(argument_spec=dict(name=dict(type="str")), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
