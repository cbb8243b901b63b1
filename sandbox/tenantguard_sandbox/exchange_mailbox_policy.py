"""Mobile device mailbox policies: Get-/New-/Set-/Remove-MobileDeviceMailboxPolicy.

Parameters, types, documented defaults and ranges: ../shared/reference/exchange_mobile.md §2, from
MicrosoftDocs/office-docs-powershell ``New-MobileDeviceMailboxPolicy.md`` and ``Set-MobileDeviceMailboxPolicy.md``.
Every New-/Set- parameter is a property of the same name on the Get- output (exchange_mobile.md §3, [inference]).

* The built-in policy is named "Default" and has IsDefault $true (New-MobileDeviceMailboxPolicy.md, IsDefault).
* Only one policy is the default: making another one the default takes the flag from the old one
  [inference from "the default mobile device mailbox policy", singular]; a policy cannot stop being the default by
  ``IsDefault $false`` alone [unverified: Exchange's refusal text is not documented; the sandbox refuses with 400].
* A policy assigned to a mailbox cannot be removed ("If any users are assigned to the policy when you remove it,
  the Remove-MobileDeviceMailboxPolicy cmdlet fails", Remove-MobileDeviceMailboxPolicy.md); the default policy
  cannot be removed either [unverified, same refusal].
* Ranges: MinPasswordLength 1-16, MinPasswordComplexCharacters 1-4, PasswordHistory 0-50, MaxPasswordFailedAttempts
  4-16 or Unlimited, MaxInactivityTimeLock 00:01:00-01:00:00, PasswordExpiration 1.00:00:00-730.00:00:00,
  MaxAttachmentSize 0-2147482624, truncation sizes 0-2147483647 (the parameters' text).
"""

from .apps import stable_id
from .auth import exchange_error
from .exchange_values import (already_exists, boolean, enum, integer, multivalued, not_found, required,
                              unlimited_int, unlimited_timespan)

POLICIES = "exchangeMobileDeviceMailboxPolicies"
DEFAULT_NAME = "Default"
DAY = 86400

BOOLEANS = {
    "AllowApplePushNotifications": True, "AllowBrowser": True, "AllowCamera": True, "AllowConsumerEmail": True,
    "AllowDesktopSync": True, "AllowExternalDeviceManagement": False, "AllowGooglePushNotifications": True,
    "AllowHTMLEmail": True, "AllowInternetSharing": True, "AllowIrDA": True, "AllowMicrosoftPushNotifications": True,
    "AllowMobileOTAUpdate": True, "AllowNonProvisionableDevices": True, "AllowPOPIMAPEmail": True,
    "AllowRemoteDesktop": True, "AllowSimplePassword": True, "AllowSMIMESoftCerts": True, "AllowStorageCard": True,
    "AllowTextMessaging": True, "AllowUnsignedApplications": True, "AllowUnsignedInstallationPackages": True,
    "AllowWiFi": True, "AlphanumericPasswordRequired": False, "AttachmentsEnabled": True,
    "DeviceEncryptionEnabled": False, "IrmEnabled": True, "PasswordEnabled": False, "PasswordRecoveryEnabled": False,
    "RequireDeviceEncryption": False, "RequireEncryptedSMIMEMessages": False, "RequireManualSyncWhenRoaming": False,
    "RequireSignedSMIMEMessages": False, "RequireStorageCardEncryption": False,
    # No documented default; true is what a new tenant's Default policy shows [unverified].
    "UNCAccessEnabled": True, "WSSAccessEnabled": True,
}
ENUMS = {
    "AllowBluetooth": (("Allow", "Disable", "HandsfreeOnly"), "Allow", "BluetoothType"),
    "AllowSMIMEEncryptionAlgorithmNegotiation": (
        ("AllowAnyAlgorithmNegotiation", "BlockNegotiation", "OnlyStrongAlgorithmNegotiation"),
        "AllowAnyAlgorithmNegotiation", "SMIMEEncryptionAlgorithmNegotiationType"),
    "MaxCalendarAgeFilter": (("All", "TwoWeeks", "OneMonth", "ThreeMonths", "SixMonths"), "All",
                             "CalendarAgeFilterType"),
    "MaxEmailAgeFilter": (("All", "OneDay", "ThreeDays", "OneWeek", "TwoWeeks", "OneMonth"), "All",
                          "EmailAgeFilterType"),
    "RequireEncryptionSMIMEAlgorithm": (("DES", "TripleDES", "RC240bit", "RC264bit", "RC2128bit"), "TripleDES",
                                        "EncryptionSMIMEAlgorithmType"),
    "RequireSignedSMIMEAlgorithm": (("SHA1", "MD5"), "SHA1", "SignedSMIMEAlgorithmType"),
}
INTEGERS = {"MinPasswordComplexCharacters": (1, 4, 1), "MinPasswordLength": (1, 16, None),
            "PasswordHistory": (0, 50, 0)}
UNLIMITED_INTS = {"MaxPasswordFailedAttempts": (4, 16), "MaxAttachmentSize": (0, 2147482624),
                  "MaxEmailBodyTruncationSize": (0, 2147483647), "MaxEmailHTMLBodyTruncationSize": (0, 2147483647)}
UNLIMITED_TIMESPANS = {"MaxInactivityTimeLock": (60, 3600), "PasswordExpiration": (DAY, 730 * DAY),
                       "DevicePolicyRefreshInterval": (1, 730 * DAY)}
LISTS = ("UnapprovedInROMApplicationList", "ApprovedApplicationList")


def _defaults(name, is_default):
    policy = dict(BOOLEANS)
    policy.update((key, spec[1]) for key, spec in ENUMS.items())
    policy.update((key, spec[2]) for key, spec in INTEGERS.items())
    policy.update((key, "Unlimited") for key in UNLIMITED_INTS)
    policy.update((key, "Unlimited") for key in UNLIMITED_TIMESPANS)
    policy.update((key, []) for key in LISTS)
    guid = stable_id("exchangeMobileDeviceMailboxPolicy", name.lower())
    policy.update({"id": name.lower(), "Identity": name, "Name": name, "IsDefault": is_default, "Guid": guid,
                   "IsValid": True})
    return policy


def policies(sandbox):
    coll = sandbox.store[POLICIES]
    if not coll.values():  # every tenant has the built-in policy, which cannot be removed
        coll.put(dict(_defaults(DEFAULT_NAME, True), builtin=True))
    return sorted(coll.values(), key=lambda p: p["Name"].lower())


def _public(policy):
    return {k: v for k, v in policy.items() if k != "builtin"}


def find(sandbox, identity):
    wanted = str(identity).strip().lower()
    for policy in policies(sandbox):
        if wanted in (policy["Name"].lower(), str(policy.get("Guid")).lower()):
            return policy
    raise not_found(identity)


def _apply(sandbox, policy, parameters):
    out = dict(policy)
    for name, value in parameters.items():
        if name in BOOLEANS:
            out[name] = boolean(name, value)
        elif name in ENUMS:
            choices, _, type_name = ENUMS[name]
            out[name] = enum(name, value, choices, "Microsoft.Exchange.Data.Directory.SystemConfiguration." + type_name)
        elif name in INTEGERS:
            low, high, _ = INTEGERS[name]
            out[name] = None if value in (None, "") and name == "MinPasswordLength" else integer(name, value, low, high)
        elif name in UNLIMITED_INTS:
            out[name] = unlimited_int(name, value, *UNLIMITED_INTS[name])
        elif name in UNLIMITED_TIMESPANS:
            out[name] = unlimited_timespan(name, value, *UNLIMITED_TIMESPANS[name])
        elif name in LISTS:
            out[name] = multivalued(name, value, policy.get(name) or [])
    if "IsDefault" in parameters:
        is_default = boolean("IsDefault", parameters["IsDefault"])
        if policy.get("IsDefault") and not is_default:
            raise exchange_error(400, "The mobile device mailbox policy '%s' is the default policy; make another "
                                      "policy the default instead." % policy["Name"], kind="InvalidOperationException")
        out["IsDefault"] = is_default
    if "Name" in parameters and parameters["Name"] not in (None, "") and parameters["Name"] != policy["Name"]:
        new_name = str(parameters["Name"])
        if any(p["Name"].lower() == new_name.lower() and p["id"] != policy["id"] for p in policies(sandbox)):
            raise already_exists("MobileDeviceMailboxPolicy", new_name)
        out["Name"] = out["Identity"] = new_name
    return out


def _store(sandbox, policy):
    coll = sandbox.store[POLICIES]
    if policy.get("IsDefault"):
        for other in policies(sandbox):
            if other["id"] != policy["id"] and other.get("IsDefault"):
                coll.put(dict(other, IsDefault=False))
    coll.put(policy)


def get_policies(sandbox, parameters):
    if parameters.get("Identity") is not None:
        return [_public(find(sandbox, parameters["Identity"]))]
    return [_public(p) for p in policies(sandbox)]


def new_policy(sandbox, parameters):
    name = str(required(parameters, "Name", "New-MobileDeviceMailboxPolicy")).strip()
    if any(p["Name"].lower() == name.lower() for p in policies(sandbox)):
        raise already_exists("MobileDeviceMailboxPolicy", name)
    base = _defaults(name, False)
    settings = dict((k, v) for k, v in parameters.items() if k != "Name")
    policy = _apply(sandbox, base, settings)
    _store(sandbox, policy)
    return [_public(policy)]


def set_policy(sandbox, parameters):
    policy = find(sandbox, required(parameters, "Identity", "Set-MobileDeviceMailboxPolicy"))
    changed = _apply(sandbox, policy, dict((k, v) for k, v in parameters.items() if k != "Identity"))
    if changed != policy:
        _store(sandbox, changed)  # the stored key stays when the name changes
    return []


def remove_policy(sandbox, parameters):
    policy = find(sandbox, required(parameters, "Identity", "Remove-MobileDeviceMailboxPolicy"))
    if policy.get("IsDefault"):
        raise exchange_error(400, "The mobile device mailbox policy '%s' is the default policy and can't be removed."
                             % policy["Name"], kind="InvalidOperationException")
    assigned = [m["Identity"] for m in sandbox.store["exchangeCasMailboxes"].values()
                if str(m.get("ActiveSyncMailboxPolicy") or "").lower() == policy["Name"].lower()]
    if assigned:
        raise exchange_error(400, "The mobile device mailbox policy '%s' is assigned to %d mailbox(es) (%s) and "
                                  "can't be removed." % (policy["Name"], len(assigned), ", ".join(sorted(assigned)[:5])),
                             kind="InvalidOperationException")
    sandbox.store[POLICIES].delete(policy["id"])
    return []


SETTABLE = dict((name, "value") for name in list(BOOLEANS) + list(ENUMS) + list(INTEGERS) + list(UNLIMITED_INTS)
                + list(UNLIMITED_TIMESPANS) + list(LISTS) + ["IsDefault"])

HANDLERS = {
    "Get-MobileDeviceMailboxPolicy": ({"Identity": "string"}, get_policies),
    "New-MobileDeviceMailboxPolicy": (dict(SETTABLE, Name="string", Confirm="switch"), new_policy),
    "Set-MobileDeviceMailboxPolicy": (dict(SETTABLE, Identity="string", Name="string", Confirm="switch"), set_policy),
    "Remove-MobileDeviceMailboxPolicy": ({"Identity": "string", "Force": "switch", "Confirm": "switch"},
                                         remove_policy),
}
