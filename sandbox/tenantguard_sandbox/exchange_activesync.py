"""Exchange ActiveSync access: the organisation settings, the device access rules, and the access state of every
device partnership, recomputed in Exchange's order.

Cmdlets (parameters and values: ../shared/reference/exchange_mobile.md §2, from MicrosoftDocs/office-docs-powershell
``Get-/Set-ActiveSyncOrganizationSettings.md``, ``Get-/New-/Set-/Remove-ActiveSyncDeviceAccessRule.md``):

* the organisation settings object is named "Mobile Mailbox Settings"; DefaultAccessLevel is Allow until set
  (Set-ActiveSyncOrganizationSettings.md); the other properties are the Set- parameters (exchange_mobile.md §3,
  [inference]);
* a rule is named "<QueryString> (<Characteristic>)" (the docs' examples: ``iPhone (DeviceType)``); QueryString is
  an exact value ("Wildcards or partial matches aren't allowed", New-ActiveSyncDeviceAccessRule.md), compared
  without regard to case [unverified]; a second rule of the same name is refused [error text unverified].

The access state of a partnership (``DeviceAccessState``, ``DeviceAccessStateReason``, ``DeviceAccessControlRule``)
follows the sequence Microsoft documents for Exchange ActiveSync (TechNet "Understanding Exchange ActiveSync
device access", https://technet.microsoft.com/library/ff959225.aspx, quoted at
https://onprem.wtf/post/activesync-organization-settings-mobile-device-management/): blocked by the mailbox's own
list (Individual), allowed by it (Individual), blocked by a device access rule, quarantined by one, allowed by one
(DeviceRule), else the organisation's DefaultAccessLevel (Global). DefaultAccessLevel applies to "new and existing
device partnerships" (Set-ActiveSyncOrganizationSettings.md; existing devices are quarantined when it changes:
https://practical365.com/creating-activesync-device-access-rules-exchange-server-2010/). Exchange re-evaluates a
device when it next syncs; the sandbox re-evaluates every partnership at once, as if each had synced.
"""

from .apps import stable_id
from .auth import exchange_error
from .exchange_values import already_exists, boolean, enum, multivalued, not_found, required

SETTINGS = "exchangeActiveSyncOrganizationSettings"
RULES = "exchangeDeviceAccessRules"
SETTINGS_NAME = "Mobile Mailbox Settings"
ACCESS_LEVELS = ("Allow", "Block", "Quarantine")
CHARACTERISTICS = ("DeviceType", "DeviceModel", "DeviceOS", "UserAgent", "XMSWLHeader")
# The Get-MobileDevice property a characteristic is matched against (XMSWLHeader is not a device property).
DEVICE_FIELD = {"DeviceType": "DeviceType", "DeviceModel": "DeviceModel", "DeviceOS": "DeviceOS",
                "UserAgent": "DeviceUserAgent"}
STATE = {"Allow": "Allowed", "Block": "Blocked", "Quarantine": "Quarantined"}
# Rules decide in this order: block, then quarantine, then allow (ff959225).
RULE_ORDER = ("Block", "Quarantine", "Allow")


def settings(sandbox):
    stored = sandbox.store[SETTINGS].get(SETTINGS_NAME)
    if stored is not None:
        return stored
    return {
        "id": SETTINGS_NAME, "Identity": SETTINGS_NAME, "Name": SETTINGS_NAME, "DefaultAccessLevel": "Allow",
        "UserMailInsert": None, "AdminMailRecipients": [], "OtaNotificationMailInsert": None,
        "AllowAccessForUnSupportedPlatform": False, "AllowRMSSupportForUnenlightenedApps": False,
        "EnableMobileMailboxPolicyWhenCAInplace": False, "TenantAdminPreference": None,
        "IsValid": True, "ObjectState": "Unchanged",
    }


def get_organization_settings(sandbox, parameters):
    current = settings(sandbox)
    identity = parameters.get("Identity")
    if identity is not None and str(identity).strip().lower() != SETTINGS_NAME.lower():
        raise not_found(identity)
    return [current]


def _smtp(name, value):
    text = str(value).strip()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text:
        raise invalid_smtp(name, value)
    return text


def invalid_smtp(name, value):
    return exchange_error(400, "Cannot process argument transformation on parameter '%s'. \"%s\" isn't a valid SMTP "
                               "address." % (name, value), kind="ParameterBindingArgumentTransformationException")


def set_organization_settings(sandbox, parameters):
    current = dict(settings(sandbox))
    identity = parameters.get("Identity")
    if identity is not None and str(identity).strip().lower() != SETTINGS_NAME.lower():
        raise not_found(identity)
    changed = dict(current)
    if "DefaultAccessLevel" in parameters:
        changed["DefaultAccessLevel"] = enum("DefaultAccessLevel", parameters["DefaultAccessLevel"], ACCESS_LEVELS,
                                             "Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessLevel")
    for name in ("AllowAccessForUnSupportedPlatform", "AllowRMSSupportForUnenlightenedApps",
                 "EnableMobileMailboxPolicyWhenCAInplace"):
        if name in parameters:
            changed[name] = boolean(name, parameters[name])
    for name in ("UserMailInsert", "OtaNotificationMailInsert", "TenantAdminPreference"):
        if name in parameters:
            value = parameters[name]
            changed[name] = None if value in (None, "") else str(value)
    if "AdminMailRecipients" in parameters:
        changed["AdminMailRecipients"] = [_smtp("AdminMailRecipients", v) for v in multivalued(
            "AdminMailRecipients", parameters["AdminMailRecipients"], current.get("AdminMailRecipients") or [])]
    if changed != current:
        sandbox.store[SETTINGS].put(changed)
        recompute(sandbox)
    return []


def rule_name(query, characteristic):
    return "%s (%s)" % (query, characteristic)


def _find_rule(sandbox, identity):
    wanted = str(identity).strip().lower()
    for rule in sandbox.store[RULES].values():
        if wanted in (rule["Identity"].lower(), str(rule.get("Guid") or "").lower()):
            return rule
    raise not_found(identity)


def get_rules(sandbox, parameters):
    if parameters.get("Identity") is not None:
        return [_find_rule(sandbox, parameters["Identity"])]
    return sorted(sandbox.store[RULES].values(), key=lambda r: r["Identity"].lower())


def new_rule(sandbox, parameters):
    query = str(required(parameters, "QueryString", "New-ActiveSyncDeviceAccessRule"))
    characteristic = enum("Characteristic", required(parameters, "Characteristic", "New-ActiveSyncDeviceAccessRule"),
                          CHARACTERISTICS, "Microsoft.Exchange.Data.Directory.SystemConfiguration."
                                           "DeviceAccessCharacteristic")
    level = enum("AccessLevel", required(parameters, "AccessLevel", "New-ActiveSyncDeviceAccessRule"), ACCESS_LEVELS,
                 "Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessLevel")
    name = rule_name(query, characteristic)
    if any(r["Identity"].lower() == name.lower() for r in sandbox.store[RULES].values()):
        raise already_exists("ActiveSyncDeviceAccessRule", name)
    rule = {"id": name.lower(), "Identity": name, "Name": name, "QueryString": query,
            "Characteristic": characteristic, "AccessLevel": level,
            "Guid": stable_id("exchangeDeviceAccessRule", name.lower()), "IsValid": True}
    sandbox.store[RULES].put(rule)
    recompute(sandbox)
    return [rule]


def set_rule(sandbox, parameters):
    rule = dict(_find_rule(sandbox, required(parameters, "Identity", "Set-ActiveSyncDeviceAccessRule")))
    if "AccessLevel" in parameters:
        rule["AccessLevel"] = enum("AccessLevel", parameters["AccessLevel"], ACCESS_LEVELS,
                                   "Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessLevel")
        sandbox.store[RULES].put(rule)
        recompute(sandbox)
    return []


def remove_rule(sandbox, parameters):
    rule = _find_rule(sandbox, required(parameters, "Identity", "Remove-ActiveSyncDeviceAccessRule"))
    sandbox.store[RULES].delete(rule["id"])
    recompute(sandbox)
    return []


def owner_alias(device):
    return str(device.get("Identity", "")).split("\\", 1)[0].lower()


def access_of(device, mailbox, rules, default_level):
    """``(DeviceAccessState, DeviceAccessStateReason, DeviceAccessControlRule)`` of one partnership."""
    device_id = str(device.get("DeviceId") or "").lower()
    if device_id and device_id in [d.lower() for d in mailbox.get("ActiveSyncBlockedDeviceIDs") or []]:
        return "Blocked", "Individual", None
    if device_id and device_id in [d.lower() for d in mailbox.get("ActiveSyncAllowedDeviceIDs") or []]:
        return "Allowed", "Individual", None
    matching = {}
    for rule in rules:
        field = DEVICE_FIELD.get(rule["Characteristic"])
        if field and str(device.get(field) or "").lower() == rule["QueryString"].lower():
            matching.setdefault(rule["AccessLevel"], rule)
    for level in RULE_ORDER:
        if level in matching:
            return STATE[level], "DeviceRule", matching[level]["Identity"]
    return STATE[default_level], "Global", None


def recompute(sandbox, only_alias=None):
    """Re-evaluate the access state of every partnership (of one mailbox, with ``only_alias``)."""
    rules = sorted(sandbox.store[RULES].values(), key=lambda r: r["Identity"].lower())
    default_level = settings(sandbox)["DefaultAccessLevel"]
    mailboxes = sandbox.store["exchangeCasMailboxes"]
    devices = sandbox.store["exchangeMobileDevices"]
    for device in list(devices.values()):
        alias = owner_alias(device)
        if only_alias is not None and alias != only_alias:
            continue
        state = access_of(device, mailboxes.get(alias) or {}, rules, default_level)
        current = (device.get("DeviceAccessState"), device.get("DeviceAccessStateReason"),
                   device.get("DeviceAccessControlRule"))
        if state != current:
            devices.put(dict(device, DeviceAccessState=state[0], DeviceAccessStateReason=state[1],
                             DeviceAccessControlRule=state[2]))


def admit(sandbox, device):
    """A new partnership: its access state as Exchange decides it when the device first syncs (quarantined when
    the default access level is Quarantine and no list or rule decides otherwise)."""
    rules = sorted(sandbox.store[RULES].values(), key=lambda r: r["Identity"].lower())
    state = access_of(device, sandbox.store["exchangeCasMailboxes"].get(owner_alias(device)) or {}, rules,
                      settings(sandbox)["DefaultAccessLevel"])
    return dict(device, DeviceAccessState=state[0], DeviceAccessStateReason=state[1], DeviceAccessControlRule=state[2])


HANDLERS = {
    "Get-ActiveSyncOrganizationSettings": ({"Identity": "string"}, get_organization_settings),
    "Set-ActiveSyncOrganizationSettings": ({
        "Identity": "string", "AdminMailRecipients": "multivalued", "AllowAccessForUnSupportedPlatform": "bool",
        "AllowRMSSupportForUnenlightenedApps": "bool", "DefaultAccessLevel": "enum",
        "EnableMobileMailboxPolicyWhenCAInplace": "bool", "OtaNotificationMailInsert": "string",
        "TenantAdminPreference": "string", "UserMailInsert": "string", "Confirm": "switch",
    }, set_organization_settings),
    "Get-ActiveSyncDeviceAccessRule": ({"Identity": "string"}, get_rules),
    "New-ActiveSyncDeviceAccessRule": ({
        "AccessLevel": "enum", "Characteristic": "enum", "QueryString": "string", "Confirm": "switch"
    }, new_rule),
    "Set-ActiveSyncDeviceAccessRule": ({"Identity": "string", "AccessLevel": "enum", "Confirm": "switch"},
                                        set_rule),
    "Remove-ActiveSyncDeviceAccessRule": ({"Identity": "string", "Confirm": "switch"},
                                          remove_rule),
}
