# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the filters of mobile_device_info, checked, split into server-side and client-side parts.

Not a public API. One set of filters, three services that honour different subsets of it:

* Exchange ``Get-MobileDevice -Filter`` (OPATH) honours its documented properties: DeviceModel,
  ClientType, DeviceOS, DeviceAccessState are sent there; one user is sent as ``-Mailbox``.
* Intune ``managedDevices`` silently ignores ``$filter`` on some fields and treats ``or`` and
  ``ne`` oddly, so only single-value ``eq`` on operatingSystem, complianceState and model-free
  fields known to work, and ``lastSyncDateTime`` comparisons, are sent; everything is re-checked.
* Entra ``/devices`` is filtered client-side.

Every filter is also applied client-side to every row, so the server-side part is only an
optimisation: both paths give the same rows. ``check_filters`` runs before any request.
"""

import datetime
import re

FILTER_FIELDS = ("device_model", "client_type", "os", "user", "group", "access_state", "management_state",
                 "compliance", "last_seen_before", "last_seen_after")
LIST_FIELDS = ("device_model", "client_type", "os", "user", "group", "access_state", "management_state",
               "compliance")
SOURCES = ("exchange", "intune", "entra", "mam", "all")
MANAGEMENT_STATES = ("managed", "unmanaged")
COMPLIANCE_STATES = ("compliant", "noncompliant", "inGracePeriod", "conflict", "error", "configManager", "unknown")
INTUNE_OS_NAMES = ("iOS", "iPadOS", "Android", "AndroidEnterprise", "AndroidForWork", "Windows", "macOS")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

# which sources know a filter's field (for 'all' a record matches when any of its parts does)
APPLIES_TO = {
    "device_model": ("exchange", "intune", "entra", "mam"),
    "client_type": ("exchange",),
    "os": ("exchange", "intune", "entra", "mam"),
    "user": ("exchange", "intune", "mam"),
    "group": ("exchange", "intune", "mam"),
    "access_state": ("exchange", "intune"),
    "management_state": ("intune", "entra", "mam"),
    "compliance": ("intune", "entra"),
    "last_seen_before": ("exchange", "intune", "entra", "mam"),
    "last_seen_after": ("exchange", "intune", "entra", "mam"),
}


class FilterError(ValueError):
    """A filter that cannot be used; ``field``, ``value`` and ``accepted`` say why."""

    def __init__(self, field, problem, value=None, accepted=None):
        self.field = field
        self.problem = problem
        self.value = value
        self.accepted = accepted
        super().__init__(problem)


def parse_time(field, value):
    """An ISO 8601 date or date-time as an aware UTC datetime; FilterError otherwise."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        match = _DATE.match(str(value).strip())
        if not match:
            raise FilterError(field, "is not a date", value,
                              "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], for example 2026-01-31T00:00:00Z")
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                       int(second or 0))
        except ValueError:
            raise FilterError(field, "is not a valid calendar date", value, "a real date such as 2026-01-31")
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment - sign * offset
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.replace(tzinfo=datetime.timezone.utc)


def service_time(text):
    """A service's timestamp as an aware UTC datetime, or None when absent or unreadable."""
    if not text:
        return None
    try:
        return parse_time("timestamp", text)
    except FilterError:
        return None


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Filters:
    """Checked filters: the values, with helpers that build the server-side queries."""

    def __init__(self, values, source):
        self.source = source
        self.values = {}
        for name, value in (values or {}).items():
            if name not in FILTER_FIELDS:
                raise FilterError(name, "is not a filter", None, ", ".join(FILTER_FIELDS))
            if value is None or value == [] or value == "":
                continue
            if name in LIST_FIELDS:
                items = value if isinstance(value, (list, tuple)) else [value]
                items = [str(v).strip() for v in items]
                if any(not v for v in items):
                    raise FilterError(name, "holds an empty value", value, "non-empty strings")
                self.values[name] = items
            else:
                self.values[name] = parse_time(name, value)
        for name in self.values:
            if source != "all" and source not in APPLIES_TO[name]:
                raise FilterError(name, "does not apply to source %s" % source, self.values.get(name),
                                  "source %s" % " or ".join(APPLIES_TO[name] + ("all",)))
        for name, choices in (("management_state", MANAGEMENT_STATES), ("compliance", COMPLIANCE_STATES)):
            for item in self.values.get(name, []):
                if item.lower() not in [c.lower() for c in choices]:
                    raise FilterError(name, "has an unknown value", item, ", ".join(choices))
        before, after = self.values.get("last_seen_before"), self.values.get("last_seen_after")
        if before and after and after >= before:
            raise FilterError("last_seen_after", "is not earlier than last_seen_before", iso(after),
                              "a moment before %s" % iso(before))

    def __contains__(self, name):
        return name in self.values

    def get(self, name, default=None):
        return self.values.get(name, default)

    @property
    def users(self):
        return self.values.get("user", [])

    @property
    def groups(self):
        return self.values.get("group", [])

    @property
    def needs_last_seen(self):
        return "last_seen_before" in self.values or "last_seen_after" in self.values

    # -- server side: Exchange ---------------------------------------------------------------
    def exchange_parameters(self):
        """``Get-MobileDevice`` parameters for the filters Exchange honours (-Filter, -Mailbox)."""
        clauses = []
        for name, prop in (("device_model", "DeviceModel"), ("client_type", "ClientType"),
                           ("access_state", "DeviceAccessState")):
            if name in self.values:
                clauses.append(_any([_opath(prop, "-eq", v) for v in self.values[name]]))
        if "os" in self.values and not any(_has_wildcard(v) for v in self.values["os"]):
            parts = []
            for value in self.values["os"]:
                parts.append(_opath("DeviceOS", "-eq", value))
                parts.append(_opath("DeviceOS", "-like", value + " *"))
            clauses.append(_any(parts))
        parameters = {}
        if clauses:
            parameters["Filter"] = " -and ".join(clauses)
        if len(self.users) == 1 and not self.groups:
            parameters["Mailbox"] = self.users[0]
        return parameters

    # -- server side: Intune ----------------------------------------------------------------
    def intune_filter(self):
        """An OData ``$filter`` from the filters managedDevices is known to honour, or None."""
        clauses = []
        os_values = self.values.get("os", [])
        if len(os_values) == 1:
            canonical = [n for n in INTUNE_OS_NAMES if n.lower() == os_values[0].lower()]
            if canonical:
                clauses.append("operatingSystem eq '%s'" % canonical[0])
        compliance = self.values.get("compliance", [])
        if len(compliance) == 1:
            canonical = [c for c in COMPLIANCE_STATES if c.lower() == compliance[0].lower()]
            clauses.append("complianceState eq '%s'" % canonical[0])
        if "last_seen_before" in self.values:
            clauses.append("lastSyncDateTime lt %s" % iso(self.values["last_seen_before"]))
        if "last_seen_after" in self.values:
            clauses.append("lastSyncDateTime gt %s" % iso(self.values["last_seen_after"]))
        return " and ".join(clauses) or None


def _quote(value):
    return "'%s'" % value.replace("'", "''")


def _opath(prop, op, value):
    return "%s %s %s" % (prop, op, _quote(value))


def _any(parts):
    return parts[0] if len(parts) == 1 else "(%s)" % " -or ".join(parts)


def _has_wildcard(value):
    return any(c in value for c in "*?[]`")


# -- client side -------------------------------------------------------------------------------
def _fold(value):
    return str(value).lower() if value is not None else None


def _in(value, wanted):
    folded = _fold(value)
    return folded is not None and folded in [_fold(w) for w in wanted]


def _os_matches(value, wanted):
    folded = _fold(value)
    if not folded:
        return False
    for item in wanted:
        item = item.lower()
        if folded == item or folded.startswith(item + " "):
            return True
    return False


def _seen_ok(moment, filters):
    before, after = filters.get("last_seen_before"), filters.get("last_seen_after")
    if before is None and after is None:
        return True
    if moment is None:
        return False
    if before is not None and not moment < before:
        return False
    if after is not None and not moment > after:
        return False
    return True


class UserSet:
    """The users a user or group filter names: ids and UPNs (with their mail aliases)."""

    def __init__(self, users):
        self.ids = set()
        self.upns = set()
        self.aliases = set()
        for user in users:
            if user.get("id"):
                self.ids.add(user["id"].lower())
            upn = (user.get("userPrincipalName") or "").lower()
            if upn:
                self.upns.add(upn)
                self.aliases.add(upn.split("@", 1)[0])

    def has_exchange(self, row):
        if _fold(row.get("ExchangeObjectId")) in self.ids:
            return True
        alias = str(row.get("Identity") or "").split("\\", 1)[0].lower()
        return alias in self.aliases

    def has_intune(self, row):
        return _fold(row.get("userId")) in self.ids or _fold(row.get("userPrincipalName")) in self.upns

    def has_mam(self, row):
        return _fold(row.get("userId")) in self.ids


def exchange_matches(row, filters, users=None):
    """True when an Exchange row satisfies every filter that applies to Exchange."""
    if "device_model" in filters and not _in(row.get("DeviceModel"), filters.get("device_model")):
        return False
    if "client_type" in filters and not _in(row.get("ClientType"), filters.get("client_type")):
        return False
    if "os" in filters and not _os_matches(row.get("DeviceOS"), filters.get("os")):
        return False
    if "access_state" in filters and not _in(row.get("DeviceAccessState"), filters.get("access_state")):
        return False
    if users is not None and not users.has_exchange(row):
        return False
    return _seen_ok(service_time(row.get("LastSuccessSync")), filters)


def intune_matches(row, filters, users=None):
    if "device_model" in filters and not _in(row.get("model"), filters.get("device_model")):
        return False
    if "os" in filters and not _os_matches(row.get("operatingSystem"), filters.get("os")):
        return False
    if "access_state" in filters and not _in(row.get("exchangeAccessState"), filters.get("access_state")):
        return False
    if "compliance" in filters and not _in(row.get("complianceState"), filters.get("compliance")):
        return False
    if "management_state" in filters and "managed" not in [v.lower() for v in filters.get("management_state")]:
        return False
    if users is not None and not users.has_intune(row):
        return False
    return _seen_ok(service_time(row.get("lastSyncDateTime")), filters)


def entra_compliance(row):
    value = row.get("isCompliant")
    return None if value is None else ("compliant" if value else "noncompliant")


def entra_management(row):
    return "managed" if row.get("isManaged") else "unmanaged"


def entra_matches(row, filters):
    if "device_model" in filters and not _in(row.get("model"), filters.get("device_model")):
        return False
    if "os" in filters and not _os_matches(row.get("operatingSystem"), filters.get("os")):
        return False
    if "compliance" in filters and not _in(entra_compliance(row), filters.get("compliance")):
        return False
    if "management_state" in filters and not _in(entra_management(row), filters.get("management_state")):
        return False
    return _seen_ok(service_time(row.get("approximateLastSignInDateTime")), filters)


def mam_management(row):
    """A registration's device: managed when Intune enrolled it (the registration names a managed device)."""
    return "managed" if row.get("managedDeviceId") else "unmanaged"


def mam_matches(row, filters, users=None):
    """True when an app registration (trimmed by ``sources.mam_row``) satisfies every filter that applies."""
    if "device_model" in filters and not _in(row.get("deviceModel"), filters.get("device_model")):
        return False
    if "os" in filters and not _os_matches(row.get("platform"), filters.get("os")):
        return False
    if "management_state" in filters and not _in(mam_management(row), filters.get("management_state")):
        return False
    if users is not None and not users.has_mam(row):
        return False
    return _seen_ok(service_time(row.get("lastSyncDateTime")), filters)


def joined_matches(record, filters, users=None):
    """A joined record (``exchange``/``intune``/``entra``/``mam`` parts) matches when every filter holds for
    at least one part that knows the filter's field; management_state is the record's own."""
    parts = {"exchange": record.get("exchange"), "intune": record.get("intune"), "entra": record.get("entra"),
             "mam": record.get("mam")}
    for name in filters.values:
        if name == "management_state":
            if not _in(record.get("management"), filters.get(name)):
                return False
            continue
        if name == "group":
            continue
        if name == "last_seen_after" and "last_seen_before" in filters:
            continue
        single = _Single(filters, name)
        ok = False
        for source in APPLIES_TO[name]:
            part = parts.get(source)
            if part is None:
                continue
            if source == "exchange" and exchange_matches(part, single, users if name == "user" else None):
                ok = True
            elif source == "intune" and intune_matches(part, single, users if name == "user" else None):
                ok = True
            elif source == "entra" and name != "user" and entra_matches(part, single):
                ok = True
            elif source == "mam" and any(mam_matches(app, single, users if name == "user" else None)
                                         for app in part):
                ok = True
            if ok:
                break
        if not ok:
            return False
    if users is not None and "user" not in filters:
        return joined_matches(record, _UserOnly(filters), users)
    return True


class _Single:
    """A view of one filter (last-seen bounds travel together), for per-part checks."""

    def __init__(self, filters, name):
        names = (name,)
        if name in ("last_seen_before", "last_seen_after"):
            names = ("last_seen_before", "last_seen_after")
        self.values = dict((n, filters.values[n]) for n in names if n in filters.values)

    def __contains__(self, name):
        return name in self.values

    def get(self, name, default=None):
        return self.values.get(name, default)


class _UserOnly(_Single):
    def __init__(self, filters):
        self.values = {"user": ["(group)"]}
