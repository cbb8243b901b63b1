# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: where mobile devices come from, one generator per service, page by page.

Not a public API.

* Exchange Online: ``Get-MobileDevice`` (``ResultSize: Unlimited``) through the admin API, fields
  under Exchange's own names; optionally ``Get-MobileDeviceStatistics`` per mailbox for the sync
  times. Outlook for iOS and Android does not report ActiveSync sync times, so its rows carry
  ``LastSuccessSync: null`` and a ``StatisticsNote`` saying so; nothing is made up.
* Intune: beta ``/deviceManagement/managedDevices`` with ``$select`` (beta, because only beta carries ``ownerType``,
  ``joinType`` and ``deviceType``, and names the Android Enterprise enrolment types that v1.0 shows as
  ``unknownFutureValue``); the compliance of each device comes from ``compliance.py``.
* Entra: ``/devices`` with ``$select`` and ``$top=999``.
* Intune app protection: beta ``/deviceAppManagement/managedAppRegistrations`` with
  ``$expand=appliedPolicies,intendedPolicies,operations`` (beta, because only beta carries the registration's
  ``managedDeviceId``, ``azureADDeviceId`` and ``deviceModel``); one row per app on a phone.

Rows are yielded as they arrive, each trimmed to its selected fields, so nothing holds a whole
page list twice. Users and groups named in filters are resolved here too, before any device request.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import FilterError, UserSet

EXCHANGE_FIELDS = ("FriendlyName", "DeviceId", "DeviceOS", "DeviceModel", "DeviceType", "ClientType",
                   "ClientVersion", "DeviceAccessState", "DeviceAccessStateReason", "UserDisplayName",
                   "FirstSyncTime", "WhenChanged", "Identity", "ExchangeObjectId", "Guid")
STATISTICS_FIELDS = ("LastSuccessSync", "LastSyncAttemptTime", "Status")
INTUNE_FIELDS = ("id", "deviceName", "operatingSystem", "osVersion", "model", "manufacturer", "complianceState",
                 "managementAgent", "managedDeviceOwnerType", "userId", "userPrincipalName", "userDisplayName",
                 "lastSyncDateTime", "enrolledDateTime", "exchangeAccessState", "exchangeAccessStateReason",
                 "easDeviceId", "azureADDeviceId", "deviceEnrollmentType", "complianceGracePeriodExpirationDateTime",
                 "ownerType", "joinType", "deviceType")
ENTRA_FIELDS = ("id", "deviceId", "displayName", "operatingSystem", "operatingSystemVersion", "model", "manufacturer",
                "trustType", "isManaged", "isCompliant", "accountEnabled", "approximateLastSignInDateTime",
                "registrationDateTime")
MAM_FIELDS = ("id", "platform", "userId", "app", "applicationVersion", "platformVersion", "deviceName", "deviceTag",
              "deviceType", "deviceModel", "deviceManufacturer", "managedDeviceId", "azureADDeviceId",
              "lastSyncDateTime", "flaggedReasons", "appliedPolicies", "intendedPolicies", "operations")
MAM_EXPAND = "appliedPolicies,intendedPolicies,operations"
OUTLOOK_APPS = ("com.microsoft.office.outlook",)  # iOS bundle com.microsoft.Office.Outlook, Android package
OUTLOOK_CLIENT_TYPES = ("rest", "outlook")
NO_STATISTICS = ("Outlook for iOS and Android does not report ActiveSync sync times; "
                 "Get-MobileDeviceStatistics has no LastSuccessSync for it")
GRAPH_USER_FIELDS = "id,userPrincipalName"


def _odata(value):
    return "'%s'" % value.replace("'", "''")


def resolve_users(graph, filters):
    """The users named by the ``user`` and ``group`` filters as a UserSet (None when neither is set).

    An unknown user or group fails here, before any device is requested."""
    if not filters.users and not filters.groups:
        return None
    users = []
    for upn in filters.users:
        query = {"$filter": "userPrincipalName eq %s" % _odata(upn), "$select": GRAPH_USER_FIELDS}
        found = list(graph.list("/users", query=query))
        if not found:
            raise FilterError("user", "names no user of the tenant", upn, "a user principal name such as "
                                                                          "adele@contoso.onmicrosoft.com")
        users.extend(found)
    for name in filters.groups:
        query = {"$filter": "displayName eq %s" % _odata(name), "$select": "id,displayName"}
        found = list(graph.list("/groups", query=query))
        if len(found) != 1:
            raise FilterError("group", "names no group of the tenant" if not found else
                              "names %d groups (ids %s)" % (len(found), ", ".join(g["id"] for g in found)),
                              name, "the display name of exactly one group")
        path = "/groups/%s/transitiveMembers" % found[0]["id"]
        for member in graph.list(path, query={"$select": GRAPH_USER_FIELDS}):
            if str(member.get("@odata.type", "#microsoft.graph.user")).endswith(".user"):
                users.append(member)
    return UserSet(users)


def exchange_devices(exchange, parameters):
    """Every ``Get-MobileDevice`` row for ``parameters`` (ResultSize Unlimited), trimmed."""
    body = {"ResultSize": "Unlimited"}
    body.update(parameters)
    for row in exchange.invoke("Get-MobileDevice", body, select=EXCHANGE_FIELDS):
        yield dict((k, row.get(k)) for k in EXCHANGE_FIELDS)


def mailbox_of(row):
    """The mailbox (alias) that owns an Exchange partnership, from its Identity."""
    identity = str(row.get("Identity") or "")
    return identity.split("\\", 1)[0] if "\\" in identity else None


def add_statistics(exchange, rows):
    """Add LastSuccessSync, LastSyncAttemptTime and Status from ``Get-MobileDeviceStatistics``
    (one call per mailbox) to ``rows`` in place; Outlook mobile rows get a note instead."""
    by_mailbox = {}
    for row in rows:
        mailbox = mailbox_of(row)
        if mailbox:
            by_mailbox.setdefault(mailbox, []).append(row)
    for mailbox in sorted(by_mailbox):
        stats = {}
        for item in exchange.invoke("Get-MobileDeviceStatistics", {"Mailbox": mailbox}):
            device_id = str(item.get("DeviceID") or item.get("DeviceId") or "").lower()
            stats[device_id] = item
        for row in by_mailbox[mailbox]:
            item = stats.get(str(row.get("DeviceId") or "").lower(), {})
            for field in STATISTICS_FIELDS:
                row[field] = item.get(field)
            if str(row.get("ClientType") or "").lower() in OUTLOOK_CLIENT_TYPES and not row["LastSuccessSync"]:
                row["StatisticsNote"] = NO_STATISTICS
    for row in rows:
        if "LastSuccessSync" not in row:
            for field in STATISTICS_FIELDS:
                row[field] = None


def intune_devices(graph, odata_filter=None):
    query = {"$select": ",".join(INTUNE_FIELDS)}
    if odata_filter:
        query["$filter"] = odata_filter
    for row in graph.list("/deviceManagement/managedDevices", api_version="beta", query=query):
        yield dict((k, row.get(k)) for k in INTUNE_FIELDS)


def entra_devices(graph):
    query = {"$select": ",".join(ENTRA_FIELDS), "$top": 999}
    for row in graph.list("/devices", query=query):
        yield dict((k, row.get(k)) for k in ENTRA_FIELDS)


def _app_id(identifier):
    identifier = identifier or {}
    return identifier.get("bundleId") or identifier.get("packageId") or identifier.get("windowsAppId")


def _platform(row):
    kind = str(row.get("@odata.type") or "").rsplit(".", 1)[-1].lower()
    if kind.startswith("ios"):
        return "iOS"
    if kind.startswith("android"):
        return "Android"
    if kind.startswith("windows"):
        return "Windows"
    return None


def is_outlook(row):
    """True for a registration of Outlook for iOS or Android."""
    return str(row.get("app") or "").lower() in OUTLOOK_APPS


def mam_row(row):
    """A registration trimmed to MAM_FIELDS: the app's id, the platform from the item's type, and the policies
    and operations by name."""
    out = dict((k, row.get(k)) for k in MAM_FIELDS)
    out["platform"] = _platform(row)
    out["app"] = _app_id(row.get("appIdentifier"))
    out["flaggedReasons"] = list(row.get("flaggedReasons") or [])
    for name in ("appliedPolicies", "intendedPolicies"):
        out[name] = [p.get("displayName") or p.get("id") for p in row.get(name) or []]
    out["operations"] = [{"displayName": o.get("displayName"), "state": o.get("state"),
                          "lastModifiedDateTime": o.get("lastModifiedDateTime")} for o in row.get("operations") or []]
    return out


def mam_registrations(graph):
    """Every managed app registration, trimmed, page by page (``$expand`` travels in each nextLink)."""
    query = {"$expand": MAM_EXPAND}
    for row in graph.list("/deviceAppManagement/managedAppRegistrations", api_version="beta", query=query):
        yield mam_row(row)
