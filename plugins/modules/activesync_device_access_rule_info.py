#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: activesync_device_access_rule_info
short_description: List the Exchange ActiveSync device access rules and organisation settings
version_added: 0.1.0
description:
  - Reads the tenant's Exchange ActiveSync device access rules with one C(Get-ActiveSyncDeviceAccessRule) command,
    and, with O(organization_settings), the organisation settings (the default access level) with one more.
  - Each rule comes with C(params), the options of M(tenantguard.m365.activesync_device_access_rule) that declare it;
    feeding the list back as O(tenantguard.m365.activesync_device_access_rule#module:rules) changes nothing.
author:
  - TenantGuard contributors (@tenantguard)
options:
  organization_settings:
    description:
      - Also return the organisation settings (C(Get-ActiveSyncOrganizationSettings)).
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and a directory role that reads Exchange, such as
    Global Reader.
seealso:
  - module: tenantguard.m365.activesync_device_access_rule
'''

EXAMPLES = r'''
- name: The rules and the default access level
  tenantguard.m365.activesync_device_access_rule_info:
    organization_settings: true
  register: activesync
'''

RETURN = r'''
rules:
  description: The rules as Exchange returns them, each with C(params).
  returned: always
  type: list
  elements: dict
  sample: [{"Identity": "iPhone (DeviceType)", "AccessLevel": "Block",
            "params": {"query_string": "iPhone", "characteristic": "DeviceType", "access_level": "Block"}}]
organization_settings:
  description: The organisation settings, with O(organization_settings).
  returned: when O(organization_settings) is true
  type: dict
  sample: {"Identity": "Mobile Mailbox Settings", "DefaultAccessLevel": "Allow"}
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    DeviceAccessRule, OrganizationSettings)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import read


def run(module):
    resource = DeviceAccessRule()
    rules = sorted(read(module.exchange, resource), key=resource.key)
    for rule in rules:
        rule["params"] = {"query_string": rule.get("QueryString"), "characteristic": rule.get("Characteristic"),
                          "access_level": rule.get("AccessLevel")}
    result = dict(changed=False, rules=rules)
    if module.params["organization_settings"]:
        rows = read(module.exchange, OrganizationSettings())
        result["organization_settings"] = rows[0] if rows else {}
    return result


def main():
    module = TenantGuardModule(argument_spec=dict(organization_settings=dict(type="bool", default=False)),
                               supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
