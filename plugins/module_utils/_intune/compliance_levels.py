# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Microsoft's device compliance levels (security configuration framework) as Graph property values.

Not a public API. Taken from the compliance JSON files of microsoft/Intune-Config-Frameworks at commit
705353e4e264beec36b6690346ad46ca5a766b48 (2022-02-18):

* iOS/iPadOS: ``iOS/Compliance/level-2-iOS_iPadOS-enhanced-security-compliance.json`` (v1.2) and
  ``level-3-iOS_iPadOS-high-security-compliance.json`` (v1.3); the framework has no level 1 for iOS compliance;
* Android Enterprise personally-owned work profile: ``AndroidEnterprise/WorkProfile/level-2-wp-enhanced-
  security-compliance.json`` (v1.4) and ``level-3-wp-high-security-compliance.json`` (v1.2); no level 1;
* Android Enterprise fully managed: ``AndroidEnterprise/FullyManaged/level-1-fm-basic-security-compliance.json``
  (v1.2), ``level-2-fm-enhanced-security-compliance.json`` (v1.2), ``level-3-fm-high-security-compliance.json``
  (v1.1);
* Android device administrator: none.

Left out on purpose: ``osMinimumVersion`` / ``osMaximumVersion`` / build versions (the files' "9.0", "11.0",
"14.8", "15.0" went stale long ago; the user sets the oldest version they support, and the module warns when a
baseline is used without one), the names and descriptions (the user names the policy) and the files'
``scheduledActionsForRule`` (a block at once, which is what the module sends when no actions are given).
Every other property is kept as the file has it, nulls included (null is "not configured").
"""

import copy

SOURCE = "microsoft/Intune-Config-Frameworks@705353e4e264beec36b6690346ad46ca5a766b48"
OS_VERSION_PROPERTIES = ("osMinimumVersion", "osMaximumVersion", "osMinimumBuildVersion", "osMaximumBuildVersion")

_IOS_LEVEL2 = {
    "passcodeBlockSimple": True,
    "passcodeExpirationDays": None,
    "passcodeMinimumLength": 6,
    "passcodeMinutesOfInactivityBeforeLock": 5,
    "passcodeMinutesOfInactivityBeforeScreenTimeout": 5,
    "passcodePreviousPasscodeBlockCount": None,
    "passcodeMinimumCharacterSetCount": None,
    "passcodeRequiredType": "numeric",
    "passcodeRequired": True,
    "securityBlockJailbrokenDevices": True,
    "deviceThreatProtectionEnabled": False,
    "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    "advancedThreatProtectionRequiredSecurityLevel": "unavailable",
    "managedEmailProfileRequired": False,
    "restrictedApps": [],
}
_IOS_LEVEL3 = dict(_IOS_LEVEL2, passcodeExpirationDays=365, deviceThreatProtectionEnabled=True,
                   deviceThreatProtectionRequiredSecurityLevel="secured",
                   advancedThreatProtectionRequiredSecurityLevel="secured")

_WP_LEVEL2 = {
    "passwordRequired": True,
    "passwordMinimumLength": 6,
    "passwordRequiredType": "numericComplex",
    "passwordMinutesOfInactivityBeforeLock": 5,
    "passwordExpirationDays": None,
    "passwordPreviousPasswordBlockCount": None,
    "passwordSignInFailureCountBeforeFactoryReset": None,
    "securityPreventInstallAppsFromUnknownSources": True,
    "securityDisableUsbDebugging": True,
    "securityRequireVerifyApps": False,
    "deviceThreatProtectionEnabled": False,
    "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    "advancedThreatProtectionRequiredSecurityLevel": "unavailable",
    "securityBlockJailbrokenDevices": True,
    "minAndroidSecurityPatchLevel": None,
    "storageRequireEncryption": True,
    "securityRequireSafetyNetAttestationBasicIntegrity": True,
    "securityRequireSafetyNetAttestationCertifiedDevice": True,
    "securityRequireGooglePlayServices": True,
    "securityRequireUpToDateSecurityProviders": True,
    "securityRequireCompanyPortalAppIntegrity": True,
    "securityRequiredAndroidSafetyNetEvaluationType": "hardwareBacked",
}
# Level 3 as the file has it: its SafetyNet evaluation type is "basic" where level 2 has "hardwareBacked".
_WP_LEVEL3 = dict(_WP_LEVEL2, passwordExpirationDays=365, passwordPreviousPasswordBlockCount=5,
                  deviceThreatProtectionEnabled=True, deviceThreatProtectionRequiredSecurityLevel="secured",
                  advancedThreatProtectionRequiredSecurityLevel="secured",
                  securityRequiredAndroidSafetyNetEvaluationType="basic")

_FM_LEVEL1 = {
    "deviceThreatProtectionEnabled": False,
    "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    "advancedThreatProtectionRequiredSecurityLevel": "unavailable",
    "securityRequireSafetyNetAttestationBasicIntegrity": True,
    "securityRequireSafetyNetAttestationCertifiedDevice": True,
    "minAndroidSecurityPatchLevel": None,
    "passwordRequired": True,
    "passwordMinimumLength": 6,
    "passwordMinimumLetterCharacters": None,
    "passwordMinimumLowerCaseCharacters": None,
    "passwordMinimumNonLetterCharacters": None,
    "passwordMinimumNumericCharacters": None,
    "passwordMinimumSymbolCharacters": None,
    "passwordMinimumUpperCaseCharacters": None,
    "passwordRequiredType": "numericComplex",
    "passwordMinutesOfInactivityBeforeLock": 5,
    "passwordExpirationDays": None,
    "passwordPreviousPasswordCountToBlock": None,
    "storageRequireEncryption": True,
    "securityRequireIntuneAppIntegrity": True,
}
_FM_LEVEL2 = dict(_FM_LEVEL1, passwordExpirationDays=365, passwordPreviousPasswordCountToBlock=5)
_FM_LEVEL3 = dict(_FM_LEVEL2, deviceThreatProtectionEnabled=True, deviceThreatProtectionRequiredSecurityLevel="secured",
                  advancedThreatProtectionRequiredSecurityLevel="secured")

LEVELS = ("level1", "level2", "level3")
PRESETS = {
    "ios": {"level2": _IOS_LEVEL2, "level3": _IOS_LEVEL3},
    "android_work_profile": {"level2": _WP_LEVEL2, "level3": _WP_LEVEL3},
    "android_fully_managed": {"level1": _FM_LEVEL1, "level2": _FM_LEVEL2, "level3": _FM_LEVEL3},
    "android_device_administrator": {},
}


def available(platform):
    """The levels Microsoft publishes for ``platform``."""
    return tuple(level for level in LEVELS if level in PRESETS.get(platform, {}))


def baseline(level, platform):
    """The Graph properties of ``level`` on ``platform`` (a copy), or None when Microsoft publishes none."""
    preset = PRESETS.get(platform, {}).get(level)
    return copy.deepcopy(preset) if preset is not None else None
