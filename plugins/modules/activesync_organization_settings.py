#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: activesync_organization_settings
short_description: Set the Exchange ActiveSync organisation settings (default access level for mobile devices)
version_added: 0.1.0
description:
  - Sets the tenant's Exchange ActiveSync organisation settings (C(Mobile Mailbox Settings)) through the Exchange admin
    API, with C(Set-ActiveSyncOrganizationSettings).
  - The default access level decides every mobile device partnership that neither the mailbox's own allowed or
    blocked device ids nor a device access rule decides (see M(tenantguard.m365.activesync_device_access_rule)). It
    applies to new and existing partnerships.
  - Only the options that are set are managed; the others are left as they are. The settings are read with one
    command; a run that changes nothing sends nothing else, and a change is one C(Set-ActiveSyncOrganizationSettings)
    with only the settings that differ.
author:
  - TenantGuard contributors (@tenantguard)
options:
  default_access_level:
    description:
      - C(DefaultAccessLevel) for devices that no allowed or blocked device id list and no device access rule
        decides. Exchange's default is V(Allow).
      - V(Quarantine) keeps new and existing devices from syncing until an administrator allows them (the
        administrators in O(admin_mail_recipients) are told); V(Block) refuses them.
      - Before setting V(Quarantine) or V(Block), add an allow rule for the clients that must keep working, such as
        C(Outlook for iOS and Android) (C(DeviceModel)).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(Allow), V(Block), V(Quarantine).
    type: str
  admin_mail_recipients:
    description:
      - C(AdminMailRecipients), the email addresses told when a device is quarantined. The list replaces the current
        one; V([]) empties it. Addresses are compared without regard to case or order.
    type: list
    elements: str
  user_mail_insert:
    description:
      - C(UserMailInsert), the text added to the message a user gets when their device is quarantined. V("") clears
        it.
    type: str
  ota_notification_mail_insert:
    description:
      - C(OtaNotificationMailInsert), the text of the message sent to users whose older devices must be updated.
    type: str
  allow_rms_support_for_unenlightened_apps:
    description:
      - C(AllowRMSSupportForUnenlightenedApps). Exchange's default is V(false).
    type: bool
  enable_mobile_mailbox_policy_when_ca_inplace:
    description:
      - C(EnableMobileMailboxPolicyWhenCAInplace), Exchange Online only.
    type: bool
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the settings and returns them as they would be, with the command it would send.
    support: full
  diff_mode:
    description: Shows the settings that change, before and after, under the object's name.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and the Exchange Administrator (or Global
    Administrator) role.
  - The backup file holds the settings as they were; M(tenantguard.m365.backup_restore) sets them back (in check
    mode first, with diff).
seealso:
  - module: tenantguard.m365.activesync_device_access_rule
  - module: tenantguard.m365.mobile_device_info
  - name: Set-ActiveSyncOrganizationSettings
    description: The cmdlet and its parameters.
    link: https://learn.microsoft.com/powershell/module/exchange/set-activesyncorganizationsettings
'''

EXAMPLES = r'''
- name: Quarantine devices that no rule allows, and tell the administrators
  tenantguard.m365.activesync_organization_settings:
    default_access_level: Quarantine
    admin_mail_recipients:
      - mobile-admins@contoso.com
    user_mail_insert: Your phone waits for approval. Use Outlook for iOS and Android to read mail at once.
'''

RETURN = r'''
settings:
  description: The settings as C(Get-ActiveSyncOrganizationSettings) returns them after the task (as they would be,
    in check mode).
  returned: always
  type: dict
  sample: {"Identity": "Mobile Mailbox Settings", "DefaultAccessLevel": "Quarantine", "AdminMailRecipients": []}
cmdlets:
  description: The commands sent (or that would be sent, in check mode) to make the change, with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "Set-ActiveSyncOrganizationSettings", "parameters": {"DefaultAccessLevel": "Quarantine"}}]
backup_file:
  description: The backup file of the task (see O(backup_dir)), holding the settings as they were.
  returned: when the task changed something and backups are on
  type: str
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    SETTINGS_NAME, OrganizationSettings)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import (
    argument_spec, convert_settings, converge, task_result)


def run(module):
    resource = OrganizationSettings()
    desired = convert_settings(resource.fields, module.params)
    outcome = converge(module, resource, [({"Identity": SETTINGS_NAME}, desired, "present")])
    rows = outcome["rows"]
    return task_result(module, outcome, "settings", rows[0] if rows else {})


def main():
    spec = argument_spec(OrganizationSettings.fields)
    spec.update(backup_options())
    module = TenantGuardModule(argument_spec=spec, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
