#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: cas_mailbox_mobile
short_description: Set the mobile access switches of many Exchange Online mailboxes
version_added: 0.1.0
description:
  - Sets, for the mailboxes named in O(mailboxes) and the user members of O(groups), the mobile settings of
    C(Set-CASMailbox) - ActiveSync, OWA for devices, Outlook for iOS and Android, the mobile device mailbox policy,
    and the allowed and blocked device ids.
  - Every mailbox is read with one paged C(Get-CASMailbox) command (1,000 mailboxes a page). C(Set-CASMailbox) takes
    one mailbox per command and the Exchange admin API has no bulk form, so the task sends one command per mailbox
    that differs, with only the settings that differ; mailboxes already as declared cost nothing.
  - Every named mailbox and group is checked before the first command that changes anything.
author:
  - TenantGuard contributors (@tenantguard)
options:
  mailboxes:
    description:
      - Mailboxes, by user principal name, email address or alias.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Microsoft Entra groups (display name or id) whose user members, nested groups included, are added to
        O(mailboxes). Read from Microsoft Graph (C(GroupMember.Read.All) or C(Group.Read.All)).
    type: list
    elements: str
    default: []
  active_sync_enabled:
    description:
      - C(ActiveSyncEnabled), Exchange ActiveSync access to the mailbox (native mail apps). Exchange's default is
        V(true).
    type: bool
  owa_for_devices_enabled:
    description:
      - C(OWAforDevicesEnabled), Outlook on the web for devices. Exchange's default is V(true).
    type: bool
  outlook_mobile_enabled:
    description:
      - C(OutlookMobileEnabled), Outlook for iOS and Android. Exchange's default is V(true).
    type: bool
  active_sync_mailbox_policy:
    description:
      - C(ActiveSyncMailboxPolicy), the name of the mobile device mailbox policy of the mailboxes; it must exist.
    type: str
  active_sync_allowed_device_ids:
    description:
      - C(ActiveSyncAllowedDeviceIDs). The list replaces the mailbox's list; V([]) empties it.
    type: list
    elements: str
  active_sync_blocked_device_ids:
    description:
      - C(ActiveSyncBlockedDeviceIDs). The list replaces the mailbox's list; V([]) empties it.
    type: list
    elements: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the mailboxes and returns them as they would be, with the commands it would send.
    support: full
  diff_mode:
    description: Shows the settings that change, before and after, under each mailbox's address.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and the Exchange Administrator, Exchange Recipient
    Administrator or Global Administrator role.
  - For one device of one mailbox with add/remove semantics, use M(tenantguard.m365.mobile_device).
  - The backup file holds each changed mailbox's settings as they were; M(tenantguard.m365.backup_restore) sets them
    back. A mailbox that followed the default policy and was given one gets the policy that was in force assigned by
    name (Exchange documents no way to take an assignment off); the restore warns.
seealso:
  - module: tenantguard.m365.mobile_device
  - module: tenantguard.m365.mobile_device_mailbox_policy
  - name: Set-CASMailbox
    description: The cmdlet and its parameters.
    link: https://learn.microsoft.com/powershell/module/exchange/set-casmailbox
'''

EXAMPLES = r'''
- name: Native mail apps off for the sales team; Outlook for iOS and Android stays on
  tenantguard.m365.cas_mailbox_mobile:
    groups:
      - Sales
    active_sync_enabled: false
    owa_for_devices_enabled: false
    outlook_mobile_enabled: true
'''

RETURN = r'''
mailboxes:
  description: The mobile settings of each targeted mailbox after the task (as they would be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"PrimarySmtpAddress": "alex@contoso.com", "ActiveSyncEnabled": false, "OWAforDevicesEnabled": false}]
cmdlets:
  description: The commands sent (or that would be sent, in check mode), with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "Set-CASMailbox", "parameters": {"Identity": "alex@contoso.com", "ActiveSyncEnabled": false}}]
backup_file:
  description: The backup file of the task (see O(backup_dir)), holding each changed mailbox's settings as they were.
  returned: when the task changed something and backups are on
  type: str
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.cas_mailbox import (
    IDENTITY_FIELDS, CasMailbox, check_mailbox_names, group_members, targets)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import (
    argument_spec, convert_settings, converge, read, task_result)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import MailboxPolicy


def module_argument_spec():
    spec = dict(mailboxes=dict(type="list", elements="str", default=[]),
                groups=dict(type="list", elements="str", default=[]))
    spec.update(argument_spec(CasMailbox.fields))
    spec.update(backup_options())
    return spec


def run(module):
    params = module.params
    resource = CasMailbox()
    settings = convert_settings(resource.fields, params)
    if not settings:
        raise ConfigError("active_sync_enabled", "nor any other setting is given, so there is nothing to set",
                          kind="Option", accepted="at least one of %s" % ", ".join(f.option for f in resource.fields))
    if not params["mailboxes"] and not params["groups"]:
        raise ConfigError("mailboxes", "and groups are both empty, so no mailbox is named", kind="Option",
                          value=[], accepted="at least one mailbox or group")
    check_mailbox_names(params["mailboxes"])
    members = group_members(module.graph, params["groups"]) if params["groups"] else {}
    if "ActiveSyncMailboxPolicy" in settings:
        policies = dict((p["Name"].lower(), p["Name"]) for p in read(module.exchange, MailboxPolicy()))
        name = policies.get(settings["ActiveSyncMailboxPolicy"].strip().lower())
        if name is None:
            raise ConfigError("active_sync_mailbox_policy", "names no mobile device mailbox policy of the tenant",
                              value=settings["ActiveSyncMailboxPolicy"], kind="Option",
                              accepted="one of: %s" % ", ".join(sorted(policies.values())))
        settings["ActiveSyncMailboxPolicy"] = name
    rows = read(module.exchange, resource)
    chosen = targets(rows, params["mailboxes"])
    for group, names in members.items():
        chosen += targets(rows, names, option="groups", origin=group)
    unique = dict((resource.key(row), row) for row in chosen)
    desired = [({"Identity": row["Identity"]}, settings, "present") for row in unique.values()]
    outcome = converge(module, resource, desired, current=rows)
    wanted = set(unique)
    keep = set(IDENTITY_FIELDS) | {"PrimarySmtpAddress", "DisplayName"} | set(settings)
    after = [dict((k, v) for k, v in row.items() if k in keep) for row in outcome["rows"]
             if resource.key(row) in wanted]
    return task_result(module, outcome, "mailboxes", sorted(after, key=resource.name_of))


def main():
    module = TenantGuardModule(argument_spec=module_argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
