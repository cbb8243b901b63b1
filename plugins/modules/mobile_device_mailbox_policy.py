#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mobile_device_mailbox_policy
short_description: Manage Exchange Online mobile device mailbox policies (the ActiveSync password and device settings)
version_added: 0.1.0
description:
  - Creates, changes and removes mobile device mailbox policies through the Exchange admin API (C(New-), C(Set-) and
    C(Remove-MobileDeviceMailboxPolicy)). The policies apply to Exchange ActiveSync clients (native mail apps); some
    settings, such as the password and encryption ones, are also honoured by Outlook for iOS and Android.
  - A policy is identified by its name. The built-in policy is called C(Default); the policy with O(is_default=true)
    applies to every mailbox that has no policy of its own. Making a policy the default takes the flag from the old
    one. The default policy is never removed, and the flag cannot be taken from it except by making another policy the
    default; both are refused before anything is sent.
  - Only the settings that are set are managed; each option is the snake_case name of the cmdlet parameter of the
    same meaning, with its values. A new policy gets Exchange's defaults for the settings not given.
  - The policies are read with one command; a run that changes nothing sends nothing else; a change is one command,
    with only the settings that differ.
author:
  - TenantGuard contributors (@tenantguard)
options:
  name:
    description:
      - The policy's name (C(Name)); matched without regard to case.
    type: str
    required: true
  state:
    description:
      - V(present) creates the policy or sets the declared settings; V(absent) removes it (nothing happens when
        there is none). Exchange refuses to remove a policy that is assigned to a mailbox.
    type: str
    choices: [present, absent]
    default: present
  is_default:
    description:
      - C(IsDefault). V(true) makes this policy the default one.
    type: bool
  allow_apple_push_notifications:
    description:
      - C(AllowApplePushNotifications). Exchange's default is V(true).
    type: bool
  allow_browser:
    description:
      - C(AllowBrowser). Exchange's default is V(true).
    type: bool
  allow_camera:
    description:
      - C(AllowCamera). Exchange's default is V(true).
    type: bool
  allow_consumer_email:
    description:
      - C(AllowConsumerEmail). Exchange's default is V(true).
    type: bool
  allow_desktop_sync:
    description:
      - C(AllowDesktopSync). Exchange's default is V(true).
    type: bool
  allow_external_device_management:
    description:
      - C(AllowExternalDeviceManagement). Exchange's default is V(false).
    type: bool
  allow_google_push_notifications:
    description:
      - C(AllowGooglePushNotifications). Exchange's default is V(true).
    type: bool
  allow_html_email:
    description:
      - C(AllowHTMLEmail). Exchange's default is V(true).
    type: bool
  allow_internet_sharing:
    description:
      - C(AllowInternetSharing). Exchange's default is V(true).
    type: bool
  allow_irda:
    description:
      - C(AllowIrDA). Exchange's default is V(true).
    type: bool
  allow_microsoft_push_notifications:
    description:
      - C(AllowMicrosoftPushNotifications). Exchange's default is V(true).
    type: bool
  allow_mobile_ota_update:
    description:
      - C(AllowMobileOTAUpdate). Exchange's default is V(true).
    type: bool
  allow_non_provisionable_devices:
    description:
      - C(AllowNonProvisionableDevices). Exchange's default is V(true).
    type: bool
  allow_pop_imap_email:
    description:
      - C(AllowPOPIMAPEmail). Exchange's default is V(true).
    type: bool
  allow_remote_desktop:
    description:
      - C(AllowRemoteDesktop). Exchange's default is V(true).
    type: bool
  allow_simple_password:
    description:
      - C(AllowSimplePassword). Exchange's default is V(true).
    type: bool
  allow_smime_soft_certs:
    description:
      - C(AllowSMIMESoftCerts). Exchange's default is V(true).
    type: bool
  allow_storage_card:
    description:
      - C(AllowStorageCard). Exchange's default is V(true).
    type: bool
  allow_text_messaging:
    description:
      - C(AllowTextMessaging). Exchange's default is V(true).
    type: bool
  allow_unsigned_applications:
    description:
      - C(AllowUnsignedApplications). Exchange's default is V(true).
    type: bool
  allow_unsigned_installation_packages:
    description:
      - C(AllowUnsignedInstallationPackages). Exchange's default is V(true).
    type: bool
  allow_wifi:
    description:
      - C(AllowWiFi). Exchange's default is V(true).
    type: bool
  alphanumeric_password_required:
    description:
      - C(AlphanumericPasswordRequired). Exchange's default is V(false).
    type: bool
  attachments_enabled:
    description:
      - C(AttachmentsEnabled). Exchange's default is V(true).
    type: bool
  device_encryption_enabled:
    description:
      - C(DeviceEncryptionEnabled). Exchange's default is V(false).
    type: bool
  irm_enabled:
    description:
      - C(IrmEnabled). Exchange's default is V(true).
    type: bool
  password_enabled:
    description:
      - C(PasswordEnabled). Exchange's default is V(false).
    type: bool
  password_recovery_enabled:
    description:
      - C(PasswordRecoveryEnabled). Exchange's default is V(false).
    type: bool
  require_device_encryption:
    description:
      - C(RequireDeviceEncryption). Exchange's default is V(false).
    type: bool
  require_encrypted_smime_messages:
    description:
      - C(RequireEncryptedSMIMEMessages). Exchange's default is V(false).
    type: bool
  require_manual_sync_when_roaming:
    description:
      - C(RequireManualSyncWhenRoaming). Exchange's default is V(false).
    type: bool
  require_signed_smime_messages:
    description:
      - C(RequireSignedSMIMEMessages). Exchange's default is V(false).
    type: bool
  require_storage_card_encryption:
    description:
      - C(RequireStorageCardEncryption). Exchange's default is V(false).
    type: bool
  unc_access_enabled:
    description:
      - C(UNCAccessEnabled). Exchange's default is V(true).
    type: bool
  wss_access_enabled:
    description:
      - C(WSSAccessEnabled). Exchange's default is V(true).
    type: bool
  allow_bluetooth:
    description:
      - C(AllowBluetooth). Exchange's default is V(Allow).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(Allow), V(Disable), V(HandsfreeOnly).
    type: str
  allow_smime_encryption_algorithm_negotiation:
    description:
      - C(AllowSMIMEEncryptionAlgorithmNegotiation). Exchange's default is V(AllowAnyAlgorithmNegotiation).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(AllowAnyAlgorithmNegotiation), V(BlockNegotiation), V(OnlyStrongAlgorithmNegotiation).
    type: str
  max_calendar_age_filter:
    description:
      - C(MaxCalendarAgeFilter). Exchange's default is V(All).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(All), V(TwoWeeks), V(OneMonth), V(ThreeMonths), V(SixMonths).
    type: str
  max_email_age_filter:
    description:
      - C(MaxEmailAgeFilter). Exchange's default is V(All).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(All), V(OneDay), V(ThreeDays), V(OneWeek), V(TwoWeeks), V(OneMonth).
    type: str
  require_encryption_smime_algorithm:
    description:
      - C(RequireEncryptionSMIMEAlgorithm). Exchange's default is V(TripleDES).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(DES), V(TripleDES), V(RC240bit), V(RC264bit), V(RC2128bit).
    type: str
  require_signed_smime_algorithm:
    description:
      - C(RequireSignedSMIMEAlgorithm). Exchange's default is V(SHA1).
      - Accepted values, matched without regard to case (the result uses Exchange's spelling) -
        V(SHA1), V(MD5).
    type: str
  min_password_complex_characters:
    description:
      - C(MinPasswordComplexCharacters). An integer from 1 to 4. Exchange's default is V(1).
    type: int
  min_password_length:
    description:
      - C(MinPasswordLength). An integer from 1 to 16. Exchange's default is none (not set).
    type: int
  password_history:
    description:
      - C(PasswordHistory). An integer from 0 to 50. Exchange's default is V(0).
    type: int
  max_password_failed_attempts:
    description:
      - C(MaxPasswordFailedAttempts). V(Unlimited) or an integer from 4 to 16. Exchange's default is V(Unlimited).
    type: str
  max_attachment_size:
    description:
      - C(MaxAttachmentSize). V(Unlimited) or an integer from 0 to 2147482624. Exchange's default is V(Unlimited).
    type: str
  max_email_body_truncation_size:
    description:
      - C(MaxEmailBodyTruncationSize). V(Unlimited) or an integer from 0 to 2147483647. Exchange's default is
        V(Unlimited).
    type: str
  max_email_html_body_truncation_size:
    description:
      - C(MaxEmailHTMLBodyTruncationSize). V(Unlimited) or an integer from 0 to 2147483647. Exchange's default is
        V(Unlimited).
    type: str
  max_inactivity_time_lock:
    description:
      - C(MaxInactivityTimeLock). V(Unlimited) or a time span C([d.]hh:mm:ss) from C(00:01:00) to C(01:00:00).
        Exchange's default is V(Unlimited).
    type: str
  password_expiration:
    description:
      - C(PasswordExpiration). V(Unlimited) or a time span C([d.]hh:mm:ss) from C(1.00:00:00) to C(730.00:00:00).
        Exchange's default is V(Unlimited).
    type: str
  device_policy_refresh_interval:
    description:
      - C(DevicePolicyRefreshInterval). V(Unlimited) or a time span C([d.]hh:mm:ss) from C(00:00:01) to
        C(730.00:00:00). Exchange's default is V(Unlimited).
    type: str
  unapproved_in_rom_application_list:
    description:
      - C(UnapprovedInROMApplicationList). The list replaces the current one.
    type: list
    elements: str

extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the policies and returns the policy as it would be, with the command it would send.
    support: full
  diff_mode:
    description: Shows the settings that change, before and after, under the policy's name.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and the Exchange Administrator (or Global
    Administrator) role.
  - Time spans are returned as Exchange writes them (C(00:05:00), C(90.00:00:00)); C(0:05:00) declares the same value.
  - The backup file lists the policy as it was; M(tenantguard.m365.backup_restore) sets it back, creates it again or
    removes it. A policy this module made the default cannot be restored alone (the backup does not say which policy
    was the default before); the restore refuses it and says so.
seealso:
  - module: tenantguard.m365.mobile_device_mailbox_policy_info
  - name: Set-MobileDeviceMailboxPolicy
    description: The cmdlet and the meaning of each parameter.
    link: https://learn.microsoft.com/powershell/module/exchange/set-mobiledevicemailboxpolicy
'''

EXAMPLES = r'''
- name: Require a device password and encryption in the default policy
  tenantguard.m365.mobile_device_mailbox_policy:
    name: Default
    password_enabled: true
    min_password_length: 6
    allow_simple_password: false
    max_inactivity_time_lock: "00:05:00"
    max_password_failed_attempts: "10"
    require_device_encryption: true

- name: A stricter policy for executives
  tenantguard.m365.mobile_device_mailbox_policy:
    name: Executives
    password_enabled: true
    alphanumeric_password_required: true
    min_password_length: 8
    allow_non_provisionable_devices: false
'''

RETURN = r'''
policy:
  description: The policy as C(Get-MobileDeviceMailboxPolicy) returns it after the task (as it would be, in check
    mode); absent after O(state=absent).
  returned: when the policy exists after the task
  type: dict
  sample: {"Name": "Default", "IsDefault": true, "PasswordEnabled": true, "MinPasswordLength": 6}
cmdlets:
  description: The commands sent (or that would be sent, in check mode), with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "Set-MobileDeviceMailboxPolicy", "parameters": {"Identity": "Default", "PasswordEnabled": true}}]
backup_file:
  description: The backup file of the task (see O(backup_dir)), holding the policy as it was.
  returned: when the task changed something and backups are on
  type: str
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import (
    CONTROL, argument_spec, convert_settings, converge, task_result)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import FIELDS, MailboxPolicy


def module_argument_spec():
    spec = dict(name=dict(type="str", required=True),
                state=dict(type="str", choices=["present", "absent"], default="present"))
    spec.update(argument_spec(FIELDS))
    spec.update(backup_options())
    return spec


def run(module):
    params = module.params
    name = params["name"]
    if not name.strip() or CONTROL.search(name) or len(name) > 64:
        raise ConfigError("name", "is not a policy name", value=name, kind="Option",
                          accepted="1 to 64 characters, no control characters")
    settings = convert_settings(FIELDS, params)
    if params["state"] == "absent" and settings:
        raise ConfigError(sorted(f.option for f in FIELDS if f.exchange in settings)[0],
                          "sets a setting of a policy that state absent removes", kind="Option",
                          accepted="settings with state present only")
    resource = MailboxPolicy()
    outcome = converge(module, resource, [({"Name": name.strip()}, settings, params["state"])])
    found = [r for r in outcome["rows"] if resource.key(r) == name.strip().lower()]
    result = task_result(module, outcome, "policy", found[0] if found else None)
    if result["policy"] is None:
        del result["policy"]
    return result


def main():
    module = TenantGuardModule(argument_spec=module_argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
