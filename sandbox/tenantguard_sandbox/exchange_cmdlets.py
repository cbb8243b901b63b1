"""The cmdlets the Exchange admin API gateway serves, as a table: name → parameters and handler.

A handler gets ``(sandbox, parameters)`` with parameter names already matched to their canonical
spelling and returns the full result list; the gateway does ``ResultSize``, paging and ``$select``.
To add a cmdlet, add a :class:`Cmdlet` to :data:`CMDLETS`.
"""

from . import exchange_activesync as activesync
from . import exchange_mailbox_policy as mailbox_policy
from . import exchange_values as values
from . import opath
from .auth import exchange_error
from .messages import iso_now

MOBILE_DEVICE_FILTERABLE = (
    "ClientType", "DeviceAccessControlRule", "DeviceAccessState", "DeviceAccessStateReason",
    "DeviceActiveSyncVersion", "DeviceId", "DeviceImei", "DeviceMobileOperator", "DeviceModel", "DeviceOS",
    "DeviceOSLanguage", "DeviceTelephoneNumber", "DeviceType", "DeviceUserAgent", "FirstSyncTime", "FriendlyName",
    "ProvisioningFlags", "UserDisplayName",
)
CLIENT_SWITCHES = {"ActiveSync": "EAS", "RestApi": "REST", "UniversalOutlook": "UniversalOutlook",
                   "OWAforDevices": "MOWA"}


class Cmdlet:
    def __init__(self, name, parameters, handler, default_result_size=1000):
        self.name = name
        self.parameters = parameters  # canonical name -> kind ('string', 'switch', 'resultsize', 'filter')
        self.handler = handler
        self.default_result_size = default_result_size


def _switch(parameters, name):
    value = parameters.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise exchange_error(400, "Cannot convert value \"%s\" to type \"System.Management.Automation.SwitchParameter\". "
                              "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 "
                              "or 0." % value, kind="ParameterBindingException")


def get_mobile_device(sandbox, parameters):
    devices = [d for d in sandbox.store["exchangeMobileDevices"].values()]
    identity = parameters.get("Identity")
    mailbox = parameters.get("Mailbox")
    if identity is not None and mailbox is not None:
        raise exchange_error(400, "Parameter set cannot be resolved using the specified named parameters.",
                             kind="ParameterBindingException")
    if identity is not None:
        wanted = str(identity).lower()
        devices = [d for d in devices if wanted in (str(d.get("Identity", "")).lower(), str(d.get("Guid", "")).lower(),
                                                    str(d.get("DeviceId", "")).lower())]
        if not devices:
            raise exchange_error(404, "The operation couldn't be performed because object '%s' couldn't be found on "
                                      "'sandbox.prod.outlook.com'." % identity,
                                 kind="ManagementObjectNotFoundException")
    if mailbox is not None:
        wanted = str(mailbox).lower()
        devices = [d for d in devices
                   if str(d.get("Identity", "")).split("\\", 1)[0].lower() == wanted.split("@", 1)[0]
                   or str(d.get("UserDisplayName", "")).lower() == wanted
                   or str(d.get("UserPrincipalName", "")).lower() == wanted]
    chosen = [client for switch, client in CLIENT_SWITCHES.items() if _switch(parameters, switch)]
    if chosen:
        devices = [d for d in devices if str(d.get("ClientType", "")).lower() in {c.lower() for c in chosen}]
    text = parameters.get("Filter")
    if text:
        try:
            tree = opath.parse(str(text), MOBILE_DEVICE_FILTERABLE)
        except opath.OpathError as exc:
            raise exchange_error(400, str(exc), kind="ParameterBindingException") from None
        devices = [d for d in devices if opath.matches(tree, d)]
    sort = parameters.get("SortBy")
    if sort:
        descending = str(sort).strip().lower().endswith(" desc")
        key = str(sort).strip().split()[0]
        devices.sort(key=lambda d: str(d.get(key) or "").lower(), reverse=descending)
    return devices


def _owner_alias(device):
    return str(device.get("Identity", "")).split("\\", 1)[0].lower()


def _mailbox_alias(sandbox, identity):
    """The alias of the mailbox that ``identity`` (UPN, alias, object id or display name) names, or a 404."""
    wanted = str(identity).strip().lower()
    for user in sandbox.store["users"].values():
        upn = str(user.get("userPrincipalName") or "").lower()
        names = (upn, upn.split("@", 1)[0], str(user.get("id") or "").lower(), str(user.get("mail") or "").lower(),
                 str(user.get("displayName") or "").lower(), str(user.get("mailNickname") or "").lower())
        if wanted and wanted in names:
            return str(user.get("mailNickname") or upn.split("@", 1)[0]).lower()
    for device in sandbox.store["exchangeMobileDevices"].values():
        if wanted and wanted in (_owner_alias(device), str(device.get("ExchangeObjectId") or "").lower()):
            return _owner_alias(device)
    raise exchange_error(404, "The operation couldn't be performed because object '%s' couldn't be found on "
                              "'sandbox.prod.outlook.com'." % identity, kind="ManagementObjectNotFoundException")


def _one_device(sandbox, identity):
    wanted = str(identity or "").strip().lower()
    found = [d for d in sandbox.store["exchangeMobileDevices"].values()
             if wanted and wanted in (str(d.get("Identity", "")).lower(), str(d.get("Guid", "")).lower(),
                                      str(d.get("DeviceId", "")).lower())]
    if len(found) != 1:
        raise exchange_error(404 if not found else 400,
                             "The operation couldn't be performed because object '%s' couldn't be found on "
                             "'sandbox.prod.outlook.com'." % identity if not found else
                             "The operation couldn't be performed because '%s' matches multiple entries." % identity,
                             kind="ManagementObjectNotFoundException" if not found
                             else "ManagementObjectAmbiguousException")
    return found[0]


def _required(parameters, name, cmdlet):
    value = parameters.get(name)
    if value is None or value == "":
        raise exchange_error(400, "Cannot process command because of one or more missing mandatory parameters: "
                                  "%s. (%s)" % (name, cmdlet), kind="ParameterBindingException")
    return value


def get_mobile_device_statistics(sandbox, parameters):
    identity, mailbox = parameters.get("Identity"), parameters.get("Mailbox")
    if (identity is None) == (mailbox is None):
        raise exchange_error(400, "Parameter set cannot be resolved using the specified named parameters. Give "
                                  "either Identity or Mailbox.", kind="ParameterBindingException")
    if identity is not None:
        devices = [_one_device(sandbox, identity)]
    else:
        alias = _mailbox_alias(sandbox, mailbox)
        devices = [d for d in sandbox.store["exchangeMobileDevices"].values() if _owner_alias(d) == alias]
    out = []
    for device in devices:
        outlook = str(device.get("ClientType") or "").lower() in ("rest", "outlook")
        last = device.get("LastSuccessSync")
        if last is None and not outlook:
            last = device.get("WhenChanged")
        status = "DeviceWipePending" if device.get("WipeRequestTime") else "DeviceOk"
        out.append({
            "Guid": device.get("Guid"), "Identity": device.get("Identity"), "DeviceID": device.get("DeviceId"),
            "DeviceFriendlyName": device.get("FriendlyName"), "DeviceModel": device.get("DeviceModel"),
            "DeviceOS": device.get("DeviceOS"), "DeviceType": device.get("DeviceType"),
            "ClientType": device.get("ClientType"), "ClientVersion": device.get("ClientVersion"),
            "DeviceAccessState": device.get("DeviceAccessState"), "FirstSyncTime": device.get("FirstSyncTime"),
            "LastSuccessSync": None if outlook else last,
            "LastSyncAttemptTime": None if outlook else (device.get("LastSyncAttemptTime") or last),
            "Status": status, "DeviceWipeRequestTime": device.get("WipeRequestTime"),
            "IsRemoteWipeSupported": not outlook,
        })
    return out


CAS_DEFAULTS = {"ActiveSyncEnabled": True, "OWAforDevicesEnabled": True, "OutlookMobileEnabled": True,
                "ActiveSyncAllowedDeviceIDs": [], "ActiveSyncBlockedDeviceIDs": []}
CAS_BOOLEANS = ("ActiveSyncEnabled", "OWAforDevicesEnabled", "OutlookMobileEnabled")


def _users_by_alias(sandbox):
    out = {}
    for user in sandbox.store["users"].values():
        upn = str(user.get("userPrincipalName") or "")
        out[str(user.get("mailNickname") or upn.split("@", 1)[0]).lower()] = user
    return out


def _cas_mailbox(sandbox, alias, users=None):
    """The mailbox's client access settings with its identity fields (Name, PrimarySmtpAddress, DisplayName,
    ExternalDirectoryObjectId); the mobile device mailbox policy is the default one until one is assigned
    (ActiveSyncMailboxPolicyIsDefaulted). Get-CASMailbox output [inference], exchange_mobile.md §3."""
    stored = dict(sandbox.store["exchangeCasMailboxes"].get(alias) or {"id": alias, "Identity": alias})
    user = (users if users is not None else _users_by_alias(sandbox)).get(alias) or {}
    stored.update(Name=alias, PrimarySmtpAddress=user.get("mail") or user.get("userPrincipalName"),
                  DisplayName=user.get("displayName"), ExternalDirectoryObjectId=user.get("id"))
    for name, value in CAS_DEFAULTS.items():
        stored.setdefault(name, list(value) if isinstance(value, list) else value)
    if not stored.get("ActiveSyncMailboxPolicy"):
        default = next((p for p in mailbox_policy.policies(sandbox) if p.get("IsDefault")), None)
        stored["ActiveSyncMailboxPolicy"] = default["Name"] if default else None
        stored["ActiveSyncMailboxPolicyIsDefaulted"] = True
    else:
        stored["ActiveSyncMailboxPolicyIsDefaulted"] = False
    return stored


def _mailbox_aliases(sandbox):
    """Every mailbox: the users with a mail address, and the owners of device partnerships."""
    aliases = set()
    for user in sandbox.store["users"].values():
        if user.get("mail"):
            upn = str(user.get("userPrincipalName") or "").lower()
            aliases.add(str(user.get("mailNickname") or upn.split("@", 1)[0]).lower())
    aliases.update(_owner_alias(d) for d in sandbox.store["exchangeMobileDevices"].values())
    aliases.update(m["id"] for m in sandbox.store["exchangeCasMailboxes"].values())
    return sorted(a for a in aliases if a)


def get_cas_mailbox(sandbox, parameters):
    """One mailbox (Identity) or all of them (paged by the gateway; ResultSize 1000 unless given)."""
    if parameters.get("Identity") is not None:
        return [_cas_mailbox(sandbox, _mailbox_alias(sandbox, parameters["Identity"]))]
    users = _users_by_alias(sandbox)
    return [_cas_mailbox(sandbox, alias, users) for alias in _mailbox_aliases(sandbox)]


def set_cas_mailbox(sandbox, parameters):
    alias = _mailbox_alias(sandbox, _required(parameters, "Identity", "Set-CASMailbox"))
    current = _cas_mailbox(sandbox, alias)
    mailbox = dict(current)
    for name in ("ActiveSyncAllowedDeviceIDs", "ActiveSyncBlockedDeviceIDs"):
        if name in parameters:
            mailbox[name] = values.multivalued(name, parameters[name], mailbox.get(name) or [])
    for name in CAS_BOOLEANS:
        if name in parameters:
            mailbox[name] = values.boolean(name, parameters[name])
    if "ActiveSyncMailboxPolicy" in parameters:
        # MailboxPolicyIdParameter: an existing policy, by name or Guid (Set-CASMailbox.md).
        policy = mailbox_policy.find(sandbox, parameters["ActiveSyncMailboxPolicy"])
        mailbox["ActiveSyncMailboxPolicy"] = policy["Name"]
    if mailbox != current:
        stored = dict((k, v) for k, v in mailbox.items()
                      if k not in ("Name", "PrimarySmtpAddress", "DisplayName", "ExternalDirectoryObjectId"))
        if stored.pop("ActiveSyncMailboxPolicyIsDefaulted", False) and "ActiveSyncMailboxPolicy" not in parameters:
            stored["ActiveSyncMailboxPolicy"] = None
        sandbox.store["exchangeCasMailboxes"].put(stored)
        activesync.recompute(sandbox, only_alias=alias)
    return []


def remove_mobile_device(sandbox, parameters):
    device = _one_device(sandbox, _required(parameters, "Identity", "Remove-MobileDevice"))
    sandbox.store["exchangeMobileDevices"].delete(device["id"])
    return []


def clear_mobile_device(sandbox, parameters):
    device = _one_device(sandbox, _required(parameters, "Identity", "Clear-MobileDevice"))
    changed = dict(device)
    changed["WipeRequestTime"] = iso_now()
    changed["WipeAccountOnly"] = _switch(parameters, "AccountOnly")
    sandbox.store["exchangeMobileDevices"].put(changed)
    return []


CMDLETS = {
    "get-mobiledevice": Cmdlet("Get-MobileDevice", {
        "Identity": "string", "Mailbox": "string", "ActiveSync": "switch", "OWAforDevices": "switch",
        "RestApi": "switch", "UniversalOutlook": "switch", "Filter": "string", "ResultSize": "resultsize",
        "SortBy": "string",
    }, get_mobile_device),
    "get-mobiledevicestatistics": Cmdlet("Get-MobileDeviceStatistics", {
        "Identity": "string", "Mailbox": "string", "ActiveSync": "switch", "OWAforDevices": "switch",
        "RestApi": "switch", "UniversalOutlook": "switch", "GetMailboxLog": "switch", "ShowRecoveryPassword": "switch",
    }, get_mobile_device_statistics),
    "get-casmailbox": Cmdlet("Get-CASMailbox", {"Identity": "string", "ResultSize": "resultsize"}, get_cas_mailbox),
    "set-casmailbox": Cmdlet("Set-CASMailbox", {
        "Identity": "string", "ActiveSyncAllowedDeviceIDs": "multivalued", "ActiveSyncBlockedDeviceIDs": "multivalued",
        "ActiveSyncEnabled": "bool", "OWAforDevicesEnabled": "bool", "OutlookMobileEnabled": "bool",
        "ActiveSyncMailboxPolicy": "string", "Confirm": "switch",
    }, set_cas_mailbox),
    "remove-mobiledevice": Cmdlet("Remove-MobileDevice", {"Identity": "string", "Confirm": "switch"},
                                  remove_mobile_device),
    "clear-mobiledevice": Cmdlet("Clear-MobileDevice", {
        "Identity": "string", "AccountOnly": "switch", "Confirm": "switch", "NotificationEmailAddresses": "string",
    }, clear_mobile_device),
}

for _module in (activesync, mailbox_policy):
    for _name, (_parameters, _handler) in _module.HANDLERS.items():
        CMDLETS[_name.lower()] = Cmdlet(_name, _parameters, _handler)
