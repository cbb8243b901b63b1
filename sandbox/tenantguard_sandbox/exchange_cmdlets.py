"""The cmdlets the Exchange admin API gateway serves, as a table: name → parameters and handler.

A handler gets ``(sandbox, parameters)`` with parameter names already matched to their canonical
spelling and returns the full result list; the gateway does ``ResultSize``, paging and ``$select``.
To add a cmdlet, add a :class:`Cmdlet` to :data:`CMDLETS`.
"""

from . import opath
from .auth import exchange_error

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


CMDLETS = {
    "get-mobiledevice": Cmdlet("Get-MobileDevice", {
        "Identity": "string", "Mailbox": "string", "ActiveSync": "switch", "OWAforDevices": "switch",
        "RestApi": "switch", "UniversalOutlook": "switch", "Filter": "string", "ResultSize": "resultsize",
        "SortBy": "string",
    }, get_mobile_device),
}
