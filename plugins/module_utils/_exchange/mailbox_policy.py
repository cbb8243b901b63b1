# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: mobile device mailbox policies (the Exchange ActiveSync policy) as a cmdlet resource.

Not a public API. Every settable parameter of New-/Set-MobileDeviceMailboxPolicy with its type, valid values and
range from Microsoft's cmdlet reference; the option of each is its snake_case name. The built-in policy is named
"Default"; the policy with IsDefault true applies to every mailbox that has none assigned, and is never removed.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import CmdletResource, Field

DAY = 86400
BOOLEANS = (
    "AllowApplePushNotifications", "AllowBrowser", "AllowCamera", "AllowConsumerEmail", "AllowDesktopSync",
    "AllowExternalDeviceManagement", "AllowGooglePushNotifications", "AllowHTMLEmail", "AllowInternetSharing",
    "AllowIrDA", "AllowMicrosoftPushNotifications", "AllowMobileOTAUpdate", "AllowNonProvisionableDevices",
    "AllowPOPIMAPEmail", "AllowRemoteDesktop", "AllowSimplePassword", "AllowSMIMESoftCerts", "AllowStorageCard",
    "AllowTextMessaging", "AllowUnsignedApplications", "AllowUnsignedInstallationPackages", "AllowWiFi",
    "AlphanumericPasswordRequired", "AttachmentsEnabled", "DeviceEncryptionEnabled", "IrmEnabled", "PasswordEnabled",
    "PasswordRecoveryEnabled", "RequireDeviceEncryption", "RequireEncryptedSMIMEMessages",
    "RequireManualSyncWhenRoaming", "RequireSignedSMIMEMessages", "RequireStorageCardEncryption", "UNCAccessEnabled",
    "WSSAccessEnabled",
)
OPTION_NAMES = {"AllowPOPIMAPEmail": "allow_pop_imap_email", "AllowIrDA": "allow_irda",
                "UNCAccessEnabled": "unc_access_enabled", "WSSAccessEnabled": "wss_access_enabled",
                "AllowWiFi": "allow_wifi", "AllowSMIMESoftCerts": "allow_smime_soft_certs",
                "RequireEncryptedSMIMEMessages": "require_encrypted_smime_messages",
                "RequireSignedSMIMEMessages": "require_signed_smime_messages",
                "AllowSMIMEEncryptionAlgorithmNegotiation": "allow_smime_encryption_algorithm_negotiation",
                "RequireEncryptionSMIMEAlgorithm": "require_encryption_smime_algorithm",
                "RequireSignedSMIMEAlgorithm": "require_signed_smime_algorithm",
                "AllowMobileOTAUpdate": "allow_mobile_ota_update"}

FIELDS = tuple(Field(name, "bool", option=OPTION_NAMES.get(name)) for name in BOOLEANS) + (
    Field("AllowBluetooth", "enum", choices=("Allow", "Disable", "HandsfreeOnly")),
    Field("AllowSMIMEEncryptionAlgorithmNegotiation", "enum",
          choices=("AllowAnyAlgorithmNegotiation", "BlockNegotiation", "OnlyStrongAlgorithmNegotiation"),
          option=OPTION_NAMES["AllowSMIMEEncryptionAlgorithmNegotiation"]),
    Field("MaxCalendarAgeFilter", "enum", choices=("All", "TwoWeeks", "OneMonth", "ThreeMonths", "SixMonths")),
    Field("MaxEmailAgeFilter", "enum", choices=("All", "OneDay", "ThreeDays", "OneWeek", "TwoWeeks", "OneMonth")),
    Field("RequireEncryptionSMIMEAlgorithm", "enum", choices=("DES", "TripleDES", "RC240bit", "RC264bit", "RC2128bit"),
          option=OPTION_NAMES["RequireEncryptionSMIMEAlgorithm"]),
    Field("RequireSignedSMIMEAlgorithm", "enum", choices=("SHA1", "MD5"),
          option=OPTION_NAMES["RequireSignedSMIMEAlgorithm"]),
    Field("MinPasswordComplexCharacters", "int", low=1, high=4),
    Field("MinPasswordLength", "int", low=1, high=16),
    Field("PasswordHistory", "int", low=0, high=50),
    Field("MaxPasswordFailedAttempts", "unlimited_int", low=4, high=16),
    Field("MaxAttachmentSize", "unlimited_int", low=0, high=2147482624),
    Field("MaxEmailBodyTruncationSize", "unlimited_int", low=0, high=2147483647),
    Field("MaxEmailHTMLBodyTruncationSize", "unlimited_int", low=0, high=2147483647),
    Field("MaxInactivityTimeLock", "timespan", low=60, high=3600),
    Field("PasswordExpiration", "timespan", low=DAY, high=730 * DAY),
    Field("DevicePolicyRefreshInterval", "timespan", low=1, high=730 * DAY),
    Field("UnapprovedInROMApplicationList", "str_list"),
    Field("IsDefault", "bool"),
)


class MailboxPolicy(CmdletResource):
    noun = "MobileDeviceMailboxPolicy"
    get_cmdlet = "Get-MobileDeviceMailboxPolicy"
    new_cmdlet = "New-MobileDeviceMailboxPolicy"
    set_cmdlet = "Set-MobileDeviceMailboxPolicy"
    remove_cmdlet = "Remove-MobileDeviceMailboxPolicy"
    fields = FIELDS
    identity_fields = ("Identity", "Name")

    def name_of(self, row):
        return str(row.get("Name") or row.get("Identity") or "")

    def key(self, row):
        return self.name_of(row).lower()

    def identity(self, row):
        return self.name_of(row)

    def removable(self, row):
        if row.get("IsDefault"):
            return ("names %s, the default mobile device mailbox policy, which applies to every mailbox without one "
                    "of its own and is never removed; make another policy the default first" % self.name_of(row))
        return None

    def refuse_update(self, row, changes):
        if row.get("IsDefault") and changes.get("IsDefault") is False:
            return ("is_default", False, "cannot take the default flag from %s: Exchange keeps one default policy; "
                                         "make another policy the default (is_default: true) instead"
                    % self.name_of(row))
        return None


def settings_fields():
    """The fields a task may declare (IsDefault is the option is_default)."""
    return FIELDS
