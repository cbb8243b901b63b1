"""``python -m tenantguard_sandbox generate``: write a large, realistic seed file.

The file is written object by object (one per line inside each collection's array), so a seed
with 100,000 devices never has to be held in memory as one structure while writing, and stays
easy to inspect with line-based tools. Output is deterministic for a given ``--random-seed``.
"""

import json
import random
import uuid

from . import skus

FIRST = ("Adele", "Alex", "Allan", "Bianca", "Cameron", "Christie", "Debra", "Diego", "Emily", "Enrico", "Grady",
         "Henrietta", "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Patti",
         "Pradeep", "Raul", "Sakura", "Yusuf", "Zrinka", "Omar", "Ingrid", "Tomasz")
LAST = ("Vance", "Wilber", "Deyoung", "Kowalski", "Ramos", "Cline", "Zarate", "Gomez", "Braun", "Holt", "Archie",
        "Mueller", "Langer", "Lappin", "Sherman", "Gu", "Holloway", "Robbins", "Bowen", "Patel", "Varkey", "Fernandez",
        "Nakamura", "Okafor", "Lindqvist", "Nowak", "Haddad", "Silva", "Tanaka", "Dubois")
DEPARTMENTS = ("Sales", "Marketing", "Finance", "Engineering", "Operations", "Legal", "HR", "Support")
PHONES = (("iOS", "iPhone15,2", "Apple", ("17.5.1", "17.6", "18.0.1", "18.1")),
          ("Android", "SM-S918B", "samsung", ("13", "14", "15")),
          ("Android", "Pixel 8", "Google", ("14", "15")),
          ("Windows", "Surface Laptop 5", "Microsoft Corporation", ("10.0.22631.3880", "10.0.26100.1742")))


class _ArrayWriter:
    def __init__(self, handle):
        self.handle = handle
        self.first_collection = True

    def collection(self, name, items):
        self.handle.write("%s\n%s: [" % ("{" if self.first_collection else ",", json.dumps(name)))
        self.first_collection = False
        count = 0
        for item in items:
            self.handle.write(("\n" if count == 0 else ",\n") + json.dumps(item, separators=(",", ":")))
            count += 1
        self.handle.write("\n]")
        return count

    def close(self):
        self.handle.write("{}\n" if self.first_collection else "\n}\n")


def _guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(rng, start_year=2021):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (rng.randint(start_year, 2026), rng.randint(1, 12), rng.randint(1, 28),
                                               rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


def generate_seed(path, users=0, groups=0, devices=0, managed_devices=0, exchange_devices=0, members_per_group=25,
                  seed=1, domain="contoso.onmicrosoft.com", app_registrations=0):
    """Write a seed with the given numbers of objects to ``path``; returns the counts written."""
    rng = random.Random(seed)
    # The phone mix (which enrolled phones also sync mail natively, REST or native Outlook sync) draws from
    # its own stream, so that the other objects stay what earlier versions generated for a given seed.
    mix = random.Random(seed * 7919 + 5)
    native_mail = {}  # owner alias -> [(easDeviceId, model, os), ...] of enrolled phones with native mail
    # Managed app registrations draw from a third stream: half of the enrolled phones run Outlook (some Teams too).
    mam = random.Random(seed * 104729 + 11)
    # Licences draw from a fourth: a mix of Microsoft 365 E3 and E5, Business Premium, Office 365 E3 (no Entra ID P1)
    # and Exchange Online only (no Office apps), some E3 with the Office apps plan disabled, a few with none.
    licences = random.Random(seed * 15485863 + 17)
    enrolled_phones = []  # (managed id, Azure AD device id, owner, os, model, maker, os version, device name)
    # Enrolment types and compliance reasons draw from a fourth stream, so the devices stay as before otherwise.
    enrol = random.Random(seed * 15485863 + 17)
    user_rows = []
    for index in range(users):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        alias = "%s.%s%d" % (first.lower(), last.lower(), index)
        user_rows.append((_guid(rng), first, last, alias))
    counts = {}
    with open(path, "w", encoding="utf-8") as handle:
        writer = _ArrayWriter(handle)

        def user_items():
            for object_id, first, last, alias in user_rows:
                yield {"id": object_id, "displayName": "%s %s" % (first, last), "givenName": first, "surname": last,
                       "userPrincipalName": "%s@%s" % (alias, domain), "mail": "%s@%s" % (alias, domain),
                       "mailNickname": alias, "accountEnabled": rng.random() > 0.03, "userType": "Member",
                       "department": rng.choice(DEPARTMENTS), "jobTitle": None, "businessPhones": [],
                       "mobilePhone": None, "officeLocation": None, "preferredLanguage": "en-US",
                       "usageLocation": "US", "createdDateTime": _stamp(rng),
                       "assignedLicenses": licence_mix(licences)}

        counts["users"] = writer.collection("users", user_items())
        if users:
            counts["subscribedSkus"] = writer.collection("subscribedSkus", subscribed_skus(users))

        def group_items():
            for index in range(groups):
                name = "%s team %d" % (rng.choice(DEPARTMENTS), index)
                size = min(len(user_rows), members_per_group)
                members = [row[0] for row in rng.sample(user_rows, size)] if size else []
                nick = name.lower().replace(" ", "-")
                yield {"id": _guid(rng), "displayName": name, "description": "Generated group %d" % index,
                       "mailEnabled": False, "mailNickname": nick, "securityEnabled": True, "groupTypes": [],
                       "isAssignableToRole": False, "createdDateTime": _stamp(rng), "members": members}

        counts["groups"] = writer.collection("groups", group_items())

        def device_items():
            for index in range(devices):
                os_name, model, maker, versions = rng.choice(PHONES)
                yield {"id": _guid(rng), "deviceId": _guid(rng), "displayName": "%s-%06d" % (model.split()[0], index),
                       "operatingSystem": os_name, "operatingSystemVersion": rng.choice(versions),
                       "accountEnabled": True, "trustType": rng.choice(("AzureAd", "Workplace", "ServerAd")),
                       "isCompliant": rng.random() > 0.2, "isManaged": rng.random() > 0.3, "manufacturer": maker,
                       "model": model, "approximateLastSignInDateTime": _stamp(rng, 2025),
                       "registrationDateTime": _stamp(rng)}

        counts["devices"] = writer.collection("devices", device_items())

        def managed_items():
            for item in _managed_items():
                if app_registrations and item["operatingSystem"] in ("iOS", "Android") and mam.random() < 0.5:
                    enrolled_phones.append((item["id"], item["azureADDeviceId"], item["userId"], item["operatingSystem"],
                                            item["model"], item["manufacturer"], item["osVersion"], item["deviceName"]))
                yield _with_compliance(enrol, item)

        def _managed_items():
            for index in range(managed_devices):
                os_name, model, maker, versions = rng.choice(PHONES)
                owner = rng.choice(user_rows) if user_rows else (_guid(rng), "Unknown", "User", "unknown")
                eas_id = None
                if os_name in ("iOS", "Android") and mix.random() < 0.4:
                    eas_id = uuid.UUID(int=mix.getrandbits(128)).hex.upper()
                    native_mail.setdefault(owner[3], []).append((eas_id, model, os_name, owner))
                yield {"id": _guid(rng), "userId": owner[0], "deviceName": "%s_%d" % (owner[3], index),
                       "easDeviceId": eas_id,
                       "managedDeviceOwnerType": rng.choice(("company", "personal")),
                       "enrolledDateTime": _stamp(rng), "lastSyncDateTime": _stamp(rng, 2025),
                       "operatingSystem": os_name, "osVersion": rng.choice(versions),
                       "complianceState": rng.choice(("compliant", "compliant", "noncompliant", "inGracePeriod")),
                       "managementAgent": "mdm", "azureADRegistered": True, "azureADDeviceId": _guid(rng),
                       "deviceEnrollmentType": "userEnrollment", "isEncrypted": True,
                       "userPrincipalName": "%s@%s" % (owner[3], domain),
                       "userDisplayName": "%s %s" % (owner[1], owner[2]), "model": model, "manufacturer": maker,
                       "serialNumber": "SN%010d" % index, "jailBroken": "False",
                       "exchangeAccessState": "allowed", "exchangeAccessStateReason": "compliant"}

        counts["managedDevices"] = writer.collection("managedDevices", managed_items())
        if managed_devices:
            counts["deviceCompliancePolicies"] = writer.collection("deviceCompliancePolicies",
                                                                   iter(COMPLIANCE_POLICIES.values()))

        def exchange_items():
            for index in range(exchange_devices):
                owner = rng.choice(user_rows) if user_rows else (_guid(rng), "Unknown", "User", "unknown%d" % index)
                outlook = rng.random() < 0.7
                os_name = rng.choice(("iOS 17.5.1", "iOS 18.1", "Android 14", "Android 15"))
                device_id = uuid.UUID(int=rng.getrandbits(128)).hex
                client = "Outlook" if outlook else rng.choice(("EAS", "REST"))
                row = {
                    "Guid": _guid(rng),
                    "Identity": "%s\\ExchangeActiveSyncDevices\\%s§%s" % (
                        owner[3], "REST§Outlook" if outlook else "ExchangeActiveSync", device_id),
                    "DeviceId": device_id,
                    "FriendlyName": "%s's phone" % owner[1],
                    "DeviceModel": "Outlook for iOS and Android" if outlook else rng.choice(("iPhone", "SM-S918B")),
                    "DeviceOS": os_name,
                    "DeviceType": "Outlook" if outlook else rng.choice(("iPhone", "Android")),
                    "ClientType": client,
                    "ClientVersion": "1.0" if outlook else "16.1",
                    "DeviceAccessState": rng.choice(("Allowed", "Allowed", "Allowed", "Quarantined", "Blocked")),
                    "DeviceAccessStateReason": "Global",
                    "FirstSyncTime": None if outlook else _stamp(rng),
                    "UserDisplayName": "%s %s" % (owner[1], owner[2]),
                    "WhenCreated": _stamp(rng),
                    "WhenChanged": _stamp(rng, 2025),
                    "ExchangeObjectId": _guid(rng),
                }
                if user_rows:
                    row["ExchangeObjectId"] = owner[0]  # the mailbox is the user's
                if outlook:
                    # Outlook mobile over the REST API or over the native Microsoft sync technology
                    row["ClientType"] = mix.choice(("REST", "Outlook"))
                else:
                    # a native mail app over Exchange ActiveSync, some of them on a phone enrolled in Intune
                    row["ClientType"] = "EAS"
                    enrolled = native_mail.get(owner[3])
                    paired = bool(enrolled) and mix.random() < 0.8
                    if paired:
                        device_id, model, phone_os, _owner = enrolled.pop()
                        row["DeviceId"] = device_id
                        row["Identity"] = "%s\\ExchangeActiveSyncDevices\\ExchangeActiveSync§%s" % (
                            owner[3], device_id)
                        row["DeviceModel"] = model
                        row["DeviceOS"] = "%s %s" % (phone_os, os_name.split(" ", 1)[1])
                    row["DeviceType"] = "iPhone" if row["DeviceOS"].startswith("iOS") else "Android"
                    if not paired:
                        row["DeviceModel"] = "iPhone" if row["DeviceType"] == "iPhone" else "SM-S918B"
                yield row

        counts["exchangeMobileDevices"] = writer.collection("exchangeMobileDevices", exchange_items())
        if app_registrations:
            counts["managedAppRegistrations"] = writer.collection(
                "managedAppRegistrations", registration_items(mam, app_registrations, enrolled_phones, user_rows))
        writer.close()
    return counts


# (share, product, plans disabled in the assignment); the rest of the users have no licence
LICENCE_MIX = ((0.35, "SPE_E3", ()), (0.05, "SPE_E3", ("OFFICESUBSCRIPTION",)), (0.15, "SPE_E5", ()),
               (0.15, "SPB", ()), (0.1, "ENTERPRISEPACK", ()), (0.1, "EXCHANGESTANDARD", ()), (0.05, "SPE_F1", ()))


def licence_mix(rng):
    draw = rng.random()
    for share, product, disabled in LICENCE_MIX:
        if draw < share:
            return [skus.assigned(product, disabled)]
        draw -= share
    return []


def subscribed_skus(users):
    """Every product of the mix, with seats for all users (``id`` and ``consumedUnits`` are made when served)."""
    out = []
    for product in sorted({p for _, p, _ in LICENCE_MIX}):
        sku = skus.subscribed_sku("TENANT", product, users)
        for key in ("id", "accountId", "accountName"):
            sku.pop(key)
        out.append(sku)
    return out


# The generated tenant's compliance policies: one per kind of phone, evaluated on every enrolled phone of that kind
# (devices name them in deviceCompliancePolicyStates; intune_compliance_status serves the statuses from there).
COMPLIANCE_POLICIES = {
    "ios": {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "id": "c0a11a00-0000-4000-8000-0000000000a1",
            "displayName": "Generated compliance (iOS)", "passcodeRequired": True, "osMinimumVersion": "17.6",
            "securityBlockJailbrokenDevices": True},
    "work_profile": {"@odata.type": "#microsoft.graph.androidWorkProfileCompliancePolicy",
                     "id": "c0a11a00-0000-4000-8000-0000000000a2",
                     "displayName": "Generated compliance (Android work profile)", "passwordRequired": True,
                     "osMinimumVersion": "14", "storageRequireEncryption": True},
    "device_owner": {"@odata.type": "#microsoft.graph.androidDeviceOwnerCompliancePolicy",
                     "id": "c0a11a00-0000-4000-8000-0000000000a3",
                     "displayName": "Generated compliance (Android fully managed)", "passwordRequired": True,
                     "osMinimumVersion": "14", "storageRequireEncryption": True},
}
COMPLIANCE_SETTINGS = {"ios": ("IosCompliancePolicy.PasscodeRequired", "IosCompliancePolicy.OsMinimumVersion",
                               "IosCompliancePolicy.SecurityBlockJailbrokenDevices"),
                       "work_profile": ("AndroidWorkProfileCompliancePolicy.PasswordRequired",
                                        "AndroidWorkProfileCompliancePolicy.OsMinimumVersion",
                                        "AndroidWorkProfileCompliancePolicy.StorageRequireEncryption"),
                       "device_owner": ("AndroidDeviceOwnerCompliancePolicy.PasswordRequired",
                                        "AndroidDeviceOwnerCompliancePolicy.OsMinimumVersion",
                                        "AndroidDeviceOwnerCompliancePolicy.StorageRequireEncryption")}
ANDROID_CORPORATE = (("androidEnterpriseFullyManaged", "androidEnterprise"),
                     ("androidEnterpriseDedicatedDevice", "androidEnterprise"),
                     ("androidEnterpriseCorporateWorkProfile", "androidForWork"))


def _with_compliance(rng, item):
    """A generated managed device with its enrolment type, ownership (beta ``ownerType``), join type and, for phones,
    the compliance policy it is evaluated against with the settings that make it non-compliant."""
    os_name, owner = item["operatingSystem"], item["managedDeviceOwnerType"]
    item["ownerType"] = owner
    item["joinType"] = "azureADJoined" if owner == "company" else "azureADRegistered"
    if os_name == "iOS":
        kind = "ios"
        item["deviceEnrollmentType"] = "appleBulkWithUser" if owner == "company" else "userEnrollment"
        item["deviceType"] = "iPhone"
    elif os_name == "Android":
        if owner == "company":
            item["deviceEnrollmentType"], item["deviceType"] = rng.choice(ANDROID_CORPORATE)
            kind = "work_profile" if item["deviceType"] == "androidForWork" else "device_owner"
        else:
            item["deviceType"] = "androidForWork"
            kind = "work_profile"
    else:
        return item
    failing = item["complianceState"] in ("noncompliant", "inGracePeriod")
    settings = COMPLIANCE_SETTINGS[kind]
    bad = set(rng.sample(settings, rng.randint(1, 2))) if failing else set()
    item["complianceGracePeriodExpirationDateTime"] = (
        "2026-%02d-%02dT00:00:00Z" % (rng.randint(1, 12), rng.randint(1, 28))
        if item["complianceState"] == "inGracePeriod" else "9999-12-31T23:59:59.9999999Z")
    item["deviceCompliancePolicyStates"] = [{
        "id": COMPLIANCE_POLICIES[kind]["id"], "state": "nonCompliant" if failing else "compliant",
        "settingStates": [{"setting": s, "state": "nonCompliant" if s in bad else "compliant"} for s in settings]}]
    return item


APPS = {"iOS": (("#microsoft.graph.iosMobileAppIdentifier", "bundleId", "com.microsoft.Office.Outlook"),
                ("#microsoft.graph.iosMobileAppIdentifier", "bundleId", "com.microsoft.skype.teams")),
        "Android": (("#microsoft.graph.androidMobileAppIdentifier", "packageId", "com.microsoft.office.outlook"),
                    ("#microsoft.graph.androidMobileAppIdentifier", "packageId", "com.microsoft.teams"))}
POLICIES = {"iOS": {"@odata.type": "#microsoft.graph.iosManagedAppProtection",
                    "id": "T_0c9e6f2a-1b3d-4e5f-8a7b-9c0d1e2f3a4b", "displayName": "Generated protection (iOS)"},
            "Android": {"@odata.type": "#microsoft.graph.androidManagedAppProtection",
                        "id": "T_1d0f7a3b-2c4e-4f6a-9b8c-0d1e2f3a4b5c", "displayName": "Generated protection (Android)"}}


def registration_items(rng, count, enrolled_phones, user_rows):
    """``count`` managed app registrations: Outlook (and now and then Teams beside it, same device tag) on half of
    the enrolled phones, with their managed and Azure AD device ids, the rest on unmanaged phones; about one in
    seven with the policy intended but not (yet) applied."""
    made = 0
    while made < count:
        if enrolled_phones and rng.random() < 0.6:
            managed_id, aad_id, user_id, os_name, model, maker, version, name = enrolled_phones.pop()
        else:
            owner = rng.choice(user_rows) if user_rows else (_guid(rng),)
            managed_id, aad_id, user_id = None, None, owner[0]
            os_name = rng.choice(("iOS", "Android"))
            model, maker = ("iPhone 15", "Apple") if os_name == "iOS" else ("Pixel 8", "Google")
            version = rng.choice(("17.6", "18.1")) if os_name == "iOS" else rng.choice(("14", "15"))
            name = "%s %d" % (model, made)
        tag = uuid.UUID(int=rng.getrandbits(128)).hex.upper()
        applied = rng.random() > 0.15
        apps = APPS[os_name][:2 if rng.random() < 0.3 else 1]
        for kind, field, app_id in apps:
            if made == count:
                break
            made += 1
            yield {"@odata.type": "#microsoft.graph.%sManagedAppRegistration" % ("ios" if os_name == "iOS" else "android"),
                   "id": _guid(rng), "userId": user_id, "appIdentifier": {"@odata.type": kind, field: app_id},
                   "applicationVersion": "4.24%02d.0" % rng.randint(30, 50), "platformVersion": version,
                   "deviceType": "iPhone" if os_name == "iOS" else "Android", "deviceTag": tag, "deviceName": name,
                   "managedDeviceId": managed_id, "azureADDeviceId": aad_id, "deviceModel": model,
                   "deviceManufacturer": maker, "flaggedReasons": ["rootedDevice"] if rng.random() < 0.01 else [],
                   "lastSyncDateTime": _stamp(rng, 2026), "createdDateTime": _stamp(rng, 2024),
                   "appliedPolicies": [POLICIES[os_name]] if applied else [], "intendedPolicies": [POLICIES[os_name]],
                   "operations": []}
