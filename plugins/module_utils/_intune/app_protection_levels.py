# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Microsoft's app protection data protection framework as Graph property values.

Not a public API. Level 1 (enterprise basic), level 2 (enhanced) and level 3 (high) are
cumulative: level 2 is level 1 with the changes listed, level 3 is level 2 with its changes. Where
Microsoft's 2022 framework JSON and the current framework documentation disagree, the documentation
wins. Minimum and maximum OS versions are never set here (the documentation's examples age fast,
and a maximum OS version from an example blocks current devices): the user gives them.

On iOS, level 3 sends telecommunication data to one custom dialer app; that needs the app's URL
scheme, which only the user knows, so the preset keeps ``allApps`` unless
``custom_dialer_app_protocol`` is given (then ``customApp``).
"""

import copy

IOS_EXEMPTED_PROTOCOLS = "skype;app-settings;calshow;itms;itmss;itms-apps;itms-appss;itms-services;"
APPROVED_KEYBOARDS = [
    {"name": "com.google.android.inputmethod.latin", "value": "Gboard - the Google Keyboard"},
    {"name": "com.touchtype.swiftkey", "value": "Microsoft SwiftKey Keyboard"},
    {"name": "com.sec.android.inputmethod", "value": "Samsung Keyboard"},
    {"name": "com.samsung.android.honeyboard", "value": "Samsung Keyboard"},
]

LEVEL1_COMMON = {
    "dataBackupBlocked": False,
    "allowedOutboundDataTransferDestinations": "allApps",
    "saveAsBlocked": False,
    "allowedDataStorageLocations": [],
    "dialerRestrictionLevel": "allApps",
    "allowedInboundDataTransferSources": "allApps",
    "blockDataIngestionIntoOrganizationDocuments": False,
    "allowedDataIngestionLocations": ["oneDriveForBusiness", "sharePoint", "camera"],
    "allowedOutboundClipboardSharingLevel": "allApps",
    "contactSyncBlocked": False,
    "printBlocked": False,
    "managedBrowserToOpenLinksRequired": False,
    "managedBrowser": "notConfigured",
    "notificationRestriction": "allow",
    "pinRequired": True,
    "pinCharacterSet": "numeric",
    "simplePinBlocked": False,
    "minimumPinLength": 4,
    "fingerprintBlocked": False,
    "pinRequiredInsteadOfBiometricTimeout": "PT24H",
    "periodBeforePinReset": "PT0S",
    "disableAppPinIfDevicePinIsSet": False,
    "organizationalCredentialsRequired": False,
    "periodOnlineBeforeAccessCheck": "PT30M",
    "maximumPinRetries": 5,
    "appActionIfMaximumPinRetriesExceeded": "block",
    "periodOfflineBeforeAccessCheck": "P7D",
    "periodOfflineBeforeWipeIsEnforced": "P90D",
    "deviceComplianceRequired": True,
    "appActionIfDeviceComplianceRequired": "block",
    "maximumAllowedDeviceThreatLevel": "notConfigured",
}
LEVEL1 = {
    "ios": dict(LEVEL1_COMMON, **{
        "exemptedAppProtocols": [{"name": "Default", "value": IOS_EXEMPTED_PROTOCOLS}],
        "thirdPartyKeyboardsBlocked": False,
        "appDataEncryptionType": "whenDeviceLocked",
        "faceIdBlocked": False,
    }),
    "android": dict(LEVEL1_COMMON, **{
        "keyboardsRestricted": False,
        "screenCaptureBlocked": False,
        "encryptAppData": True,
        "disableAppEncryptionIfDeviceEncryptionIsEnabled": False,
        "biometricAuthenticationBlocked": False,
        "previousPinBlockCount": 0,
        "requiredAndroidSafetyNetDeviceAttestationType": "basicIntegrityAndDeviceCertification",
        "appActionIfAndroidSafetyNetDeviceAttestationFailed": "block",
        "requiredAndroidSafetyNetEvaluationType": "basic",
        "requiredAndroidSafetyNetAppsVerificationType": "enabled",
        "appActionIfAndroidSafetyNetAppsVerificationFailed": "block",
        "appActionIfDevicePasscodeComplexityLessThanLow": "warn",
    }),
}
LEVEL2_COMMON = {
    "dataBackupBlocked": True,
    "allowedOutboundDataTransferDestinations": "managedApps",
    "saveAsBlocked": True,
    "allowedDataStorageLocations": ["oneDriveForBusiness", "sharePoint", "photoLibrary"],
    "allowedOutboundClipboardSharingLevel": "managedAppsWithPasteIn",
    "allowedOutboundClipboardSharingExceptionLength": 0,
    "managedBrowserToOpenLinksRequired": True,
    "managedBrowser": "microsoftEdge",
    "notificationRestriction": "blockOrganizationalData",
    "periodOfflineBeforeWipeIsEnforced": "P30D",
    "appActionIfUnableToAuthenticateUser": "block",
}
LEVEL2_CHANGES = {
    "ios": dict(LEVEL2_COMMON),
    "android": dict(LEVEL2_COMMON, **{
        "screenCaptureBlocked": True,
        "requiredAndroidSafetyNetEvaluationType": "hardwareBacked",
        "appActionIfDevicePasscodeComplexityLessThanMedium": "block",
        "appActionIfSamsungKnoxAttestationRequired": "block",
    }),
}
LEVEL3_COMMON = {
    "allowedInboundDataTransferSources": "managedApps",
    "blockDataIngestionIntoOrganizationDocuments": True,
    "allowedDataIngestionLocations": ["oneDriveForBusiness", "sharePoint", "camera", "photoLibrary"],
    "printBlocked": True,
    "simplePinBlocked": True,
    "minimumPinLength": 6,
    "periodBeforePinReset": "P365D",
    "appActionIfDeviceComplianceRequired": "wipe",
    "maximumAllowedDeviceThreatLevel": "secured",
    "mobileThreatDefenseRemediationAction": "block",
}
LEVEL3_CHANGES = {
    "ios": dict(LEVEL3_COMMON, thirdPartyKeyboardsBlocked=True),
    "android": dict(LEVEL3_COMMON, **{
        "dialerRestrictionLevel": "managedApps",
        "keyboardsRestricted": True,
        "approvedKeyboards": APPROVED_KEYBOARDS,
        "requireClass3Biometrics": True,
        "requirePinAfterBiometricChange": True,
        "appActionIfDevicePasscodeComplexityLessThanHigh": "block",
        "appActionIfSamsungKnoxAttestationRequired": "wipe",
    }),
}
LEVELS = ("level1", "level2", "level3")


def baseline(level, platform, custom_dialer_protocol=None):
    """The Graph properties of ``level`` on ``platform`` (a new dict)."""
    values = copy.deepcopy(LEVEL1[platform])
    if level in ("level2", "level3"):
        values.update(copy.deepcopy(LEVEL2_CHANGES[platform]))
    if level == "level3":
        values.update(copy.deepcopy(LEVEL3_CHANGES[platform]))
        if platform == "ios" and custom_dialer_protocol:
            values["dialerRestrictionLevel"] = "customApp"
    return values
