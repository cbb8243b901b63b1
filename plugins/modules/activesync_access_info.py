#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: activesync_access_info
short_description: Each Exchange mobile device's access and what decides it, now and under other rules (what-if)
version_added: 0.1.0
description:
  - Reads every mobile device partnership (one paged C(Get-MobileDevice)) and every mailbox's allowed and blocked
    device ids (one paged C(Get-CASMailbox)), and works out, in Exchange's order, the access each device would have
    under O(rules) and O(default_access_level) - the mailbox's blocked device ids, then its allowed ones, then a
    device access rule that blocks, one that quarantines, one that allows, then the default access level.
  - Without O(rules) the tenant's own rules are read (one C(Get-ActiveSyncDeviceAccessRule)); without
    O(default_access_level) the tenant's own (one C(Get-ActiveSyncOrganizationSettings)). With neither, the answer
    is the access Exchange gives the devices now and the rule or setting that decides it.
  - Lists the devices whose access would change, the devices and users that would be quarantined or blocked, and the
    users who would be cut off (each of their devices allowed now would not be).
  - Reads only; nothing is written, in check mode or not.
author:
  - TenantGuard contributors (@tenantguard)
options:
  rules:
    description:
      - The complete set of device access rules to evaluate, as declared to
        M(tenantguard.m365.activesync_device_access_rule) (C(query_string), C(characteristic), C(access_level)) or as
        that module and C(Get-ActiveSyncDeviceAccessRule) return them (C(QueryString), C(Characteristic),
        C(AccessLevel)).
      - Omitted, the tenant's current rules.
    type: list
    elements: dict
  purge:
    description:
      - With O(rules), evaluate only O(rules) (as M(tenantguard.m365.activesync_device_access_rule) leaves the
        tenant with O(tenantguard.m365.activesync_device_access_rule#module:purge)); false lays O(rules) over the
        tenant's current rules (one more read), a declared rule replacing the tenant's rule of the same query string
        and characteristic.
    type: bool
    default: false
  default_access_level:
    description:
      - The organisation's default access level to evaluate. Omitted, the tenant's current one.
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(Allow), V(Block), V(Quarantine).
    type: str
  return_devices:
    description:
      - Return every device in RV(devices); false returns only the changes and the lists of users.
    type: bool
    default: true
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and a directory role that reads Exchange, such as
    Global Reader.
  - Exchange re-evaluates a device when it next syncs; RV(changes) is what each device gets then.
  - Query strings are compared with the device's values without regard to case (unverified against Exchange).
seealso:
  - module: tenantguard.m365.activesync_device_access_rule
  - module: tenantguard.m365.activesync_organization_settings
  - module: tenantguard.m365.activesync_quarantine
'''

EXAMPLES = r'''
- name: Which phones and users would a default of Quarantine stop, with only Outlook allowed
  tenantguard.m365.activesync_access_info:
    default_access_level: Quarantine
    rules:
      - query_string: Outlook for iOS and Android
        characteristic: DeviceModel
        access_level: Allow
    return_devices: false
  register: whatif

- name: Each device's access now and the rule or setting that decides it
  tenantguard.m365.activesync_access_info:
  register: access
'''

RETURN = r'''
devices:
  description: Every partnership with its access now (C(current), as Exchange reports it) and as it would be
    (C(planned)), with the rule or setting that decides it.
  returned: when O(return_devices) is true
  type: list
  elements: dict
  sample: [{"mailbox": "alex", "user": "Alex Wilber", "DeviceId": "5853AB3B1B145EAA9785B5BB7C10404F",
            "DeviceModel": "iPhone", "ClientType": "EAS",
            "current": {"DeviceAccessState": "Allowed", "DeviceAccessStateReason": "Global",
                        "DeviceAccessControlRule": null},
            "planned": {"DeviceAccessState": "Quarantined", "DeviceAccessStateReason": "Global",
                        "DeviceAccessControlRule": null}}]
changes:
  description: The devices whose access state would change, in the shape of RV(devices).
  returned: always
  type: list
  elements: dict
quarantined:
  description: The devices that would be quarantined.
  returned: always
  type: list
  elements: dict
blocked:
  description: The devices that would be blocked.
  returned: always
  type: list
  elements: dict
quarantined_users:
  description: The mailboxes with at least one device that would be quarantined.
  returned: always
  type: list
  elements: str
  sample: [alex, grady]
blocked_users:
  description: The mailboxes with at least one device that would be blocked.
  returned: always
  type: list
  elements: str
cut_off_users:
  description: The mailboxes that have a device allowed now and none allowed afterwards, with those devices' ids.
  returned: always
  type: list
  elements: dict
  sample: [{"mailbox": "alex", "user": "Alex Wilber", "devices": ["5853AB3B1B145EAA9785B5BB7C10404F"]}]
counts:
  description: How many devices in all, changing, quarantined, blocked and allowed, and how many users cut off.
  returned: always
  type: dict
  sample: {"devices": 8, "changes": 4, "quarantined": 4, "blocked": 0, "allowed": 4, "cut_off_users": 4}
rules:
  description: The rules evaluated, as C(Get-ActiveSyncDeviceAccessRule) names their fields.
  returned: always
  type: list
  elements: dict
default_access_level:
  description: The default access level evaluated.
  returned: always
  type: str
  sample: Quarantine
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.access import (
    DEVICE_FIELDS, MAILBOX_FIELDS, preview)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    ACCESS_LEVEL, DeviceAccessRule, OrganizationSettings, desired_rules, rule_identity)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import read

SPELLINGS = {"query_string": ("query_string", "QueryString"), "characteristic": ("characteristic", "Characteristic"),
             "access_level": ("access_level", "AccessLevel")}


def declared_rules(items):
    """The O(rules) items as Get-ActiveSyncDeviceAccessRule rows, each checked as the rule module checks it."""
    problems, options = [], []
    for position, item in enumerate(items):
        # Other fields of Exchange's rows (Identity, Name, Guid, ...) are left aside; an unknown option name is a typo.
        unknown = sorted(k for k in item if not any(k in names for names in SPELLINGS.values())
                         and not k[:1].isupper() and k != "params")
        if unknown:
            problems.append(ConfigError("rules[%d]" % position, "has unknown key(s) %s" % ", ".join(unknown),
                                        value=unknown[0], kind="Option",
                                        accepted="query_string, characteristic, access_level (or QueryString, "
                                                 "Characteristic, AccessLevel)").describe())
            continue
        options.append(dict((name, next((item[k] for k in spellings if item.get(k) is not None), None))
                            for name, spellings in SPELLINGS.items()))
    if problems:
        raise ProblemsError(problems)
    return [dict(key, **settings) for key, settings, _state in desired_rules(options)]


def run(module):
    params = module.params
    rules = declared_rules(params["rules"]) if params["rules"] is not None else None
    level = ACCESS_LEVEL.convert(params["default_access_level"], "default_access_level")
    if params["purge"] and rules is None:
        raise ConfigError("purge", "applies only together with rules", value=True, kind="Option",
                          accepted="purge together with rules")
    exchange = module.exchange
    if rules is None or not params["purge"]:
        current = read(exchange, DeviceAccessRule())
        if rules is None:
            rules = current
        else:
            declared = set(rule_identity(r["QueryString"], r["Characteristic"]).lower() for r in rules)
            rules = [r for r in current if DeviceAccessRule().key(r) not in declared] + rules
    if level is None:
        level = read(exchange, OrganizationSettings())[0].get("DefaultAccessLevel") or "Allow"
    devices = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}, select=DEVICE_FIELDS))
    mailboxes = list(exchange.invoke("Get-CASMailbox", {"ResultSize": "Unlimited"}, select=MAILBOX_FIELDS))
    result = preview(devices, mailboxes, rules, level)
    if not params["return_devices"]:
        result.pop("devices")
    result.update(changed=False, default_access_level=level,
                  rules=[dict((k, r.get(k)) for k in ("QueryString", "Characteristic", "AccessLevel")) for r in rules])
    return result


def main():
    module = TenantGuardModule(argument_spec=dict(
        rules=dict(type="list", elements="dict"),
        default_access_level=dict(type="str"),
        purge=dict(type="bool", default=False),
        return_devices=dict(type="bool", default=True),
    ), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
