#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: activesync_device_access_rule
short_description: Allow, block or quarantine mobile devices by model, type, OS or user agent in Exchange Online
version_added: 0.1.0
description:
  - Creates, changes and removes Exchange ActiveSync device access rules through the Exchange admin API
    (C(New-), C(Set-) and C(Remove-ActiveSyncDeviceAccessRule)).
  - A rule is identified, as Exchange names it, by its query string and characteristic, C(<query_string>
    (<characteristic>)), for example C(Outlook for iOS and Android (DeviceModel)). Only its access level can change;
    Exchange keeps one rule per query string and characteristic.
  - Exchange decides a device's access in this order, the first that applies winning - the mailbox's blocked device
    ids, its allowed device ids, a rule that blocks, one that quarantines, one that allows, and last the default
    access level of M(tenantguard.m365.activesync_organization_settings).
  - Single mode manages one rule (O(query_string), O(characteristic)). Set mode (O(rules)) manages a list; with
    O(purge=true) every rule that is not in the list is removed.
  - The rules are read with one command; a run that changes nothing sends nothing else; each change is one command.
author:
  - TenantGuard contributors (@tenantguard)
options:
  query_string:
    description:
      - The exact device value the rule matches (C(QueryString)), such as C(Outlook for iOS and Android) or
        C(iPhone). Exchange matches whole values, so wildcards are refused.
      - Single mode; required with O(characteristic).
    type: str
  characteristic:
    description:
      - The device property the query string is matched against (C(Characteristic)).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(DeviceType), V(DeviceModel), V(DeviceOS), V(UserAgent), V(XMSWLHeader).
    type: str
  access_level:
    description:
      - C(AccessLevel) of the devices the rule matches. Required with O(state=present).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(Allow), V(Block), V(Quarantine).
    type: str
  state:
    description:
      - V(present) creates the rule or sets its access level; V(absent) removes it (nothing happens when there is
        none).
    type: str
    choices: [present, absent]
    default: present
  rules:
    description:
      - Set mode, the rules to have, each with O(rules[].query_string), O(rules[].characteristic) and
        O(rules[].access_level). Each query string and characteristic may appear once.
    type: list
    elements: dict
    suboptions:
      query_string:
        description: The exact device value the rule matches.
        type: str
        required: true
      characteristic:
        description:
          - The device property the value is matched against.
          - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
            V(DeviceType), V(DeviceModel), V(DeviceOS), V(UserAgent), V(XMSWLHeader).
        type: str
        required: true
      access_level:
        description:
          - The access level of the matching devices.
          - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
            V(Allow), V(Block), V(Quarantine).
        type: str
        required: true
  purge:
    description:
      - With O(rules), remove every rule of the tenant that the list does not hold.
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the rules and returns them as they would be, with the commands it would send.
    support: full
  diff_mode:
    description: Shows each rule that changes, before and after, under its name.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and the Exchange Administrator (or Global
    Administrator) role.
  - The backup file lists each rule as it was; M(tenantguard.m365.backup_restore) removes the rules the task created,
    creates again those it removed and sets back those it changed, giving access back before taking any away.
seealso:
  - module: tenantguard.m365.activesync_device_access_rule_info
  - module: tenantguard.m365.activesync_organization_settings
  - name: New-ActiveSyncDeviceAccessRule
    description: The cmdlet and its parameters.
    link: https://learn.microsoft.com/powershell/module/exchange/new-activesyncdeviceaccessrule
'''

EXAMPLES = r'''
- name: Allow Outlook for iOS and Android
  tenantguard.m365.activesync_device_access_rule:
    query_string: Outlook for iOS and Android
    characteristic: DeviceModel
    access_level: Allow

- name: The tenant's rules, exactly these
  tenantguard.m365.activesync_device_access_rule:
    rules:
      - query_string: Outlook for iOS and Android
        characteristic: DeviceModel
        access_level: Allow
      - query_string: Android
        characteristic: DeviceType
        access_level: Quarantine
    purge: true
'''

RETURN = r'''
rules:
  description: Every device access rule of the tenant after the task (as they would be, in check mode), as
    C(Get-ActiveSyncDeviceAccessRule) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{"Identity": "Outlook for iOS and Android (DeviceModel)", "QueryString": "Outlook for iOS and Android",
            "Characteristic": "DeviceModel", "AccessLevel": "Allow"}]
cmdlets:
  description: The commands sent (or that would be sent, in check mode), with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "New-ActiveSyncDeviceAccessRule", "parameters": {"QueryString": "Outlook for iOS and Android",
            "Characteristic": "DeviceModel", "AccessLevel": "Allow"}}]
backup_file:
  description: The backup file of the task (see O(backup_dir)), holding each changed or removed rule as it was.
  returned: when the task changed something and backups are on
  type: str
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    DeviceAccessRule, desired_rule, desired_rules)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import converge, task_result


def argument_spec():
    spec = dict(
        query_string=dict(type="str"),
        characteristic=dict(type="str"),
        access_level=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        rules=dict(type="list", elements="dict", options=dict(
            query_string=dict(type="str", required=True),
            characteristic=dict(type="str", required=True),
            access_level=dict(type="str", required=True),
        )),
        purge=dict(type="bool", default=False),
    )
    spec.update(backup_options())
    return spec


def desired(params):
    if params["rules"] is not None:
        for name in ("query_string", "characteristic", "access_level"):
            if params[name] is not None:
                raise ConfigError(name, "belongs to single mode and cannot be combined with rules", kind="Option",
                                  value=params[name], accepted="either rules (set mode) or query_string and "
                                  "characteristic (single mode)")
        if params["state"] != "present":
            raise ConfigError("state", "must be present with rules; leave a rule out and set purge to remove it",
                              value=params["state"], kind="Option", accepted="present")
        return desired_rules(params["rules"])
    if params["purge"]:
        raise ConfigError("purge", "applies only to set mode (rules)", value=True, kind="Option",
                          accepted="purge together with rules")
    if params["query_string"] is None or params["characteristic"] is None:
        raise ConfigError("query_string" if params["query_string"] is None else "characteristic",
                          "is required in single mode", kind="Option",
                          accepted="query_string and characteristic, or a list of rules")
    return [desired_rule(params)]


def run(module):
    items = desired(module.params)
    outcome = converge(module, DeviceAccessRule(), items, purge=module.params["purge"])
    rows = sorted(outcome["rows"], key=lambda r: DeviceAccessRule().key(r))
    return task_result(module, outcome, "rules", rows)


def main():
    module = TenantGuardModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
