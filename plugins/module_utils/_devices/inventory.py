# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the mobile device inventory: sources, filters, join, summary, sort and limit.

Not a public API. ``Inventory(params).check()`` validates everything without a request;
``collect(graph_factory, exchange_factory)`` then reads the sources (clients are built only for
the sources in use), applies the filters, counts and keeps at most ``limit`` records in a stable
order (a bounded heap when a limit is set), spilled to a temporary file as compact JSON lines.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import (
    SOURCES, FilterError, Filters, entra_matches, exchange_matches, intune_matches, joined_matches, mam_matches)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.compliance import ComplianceIndex, add_compliance
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.join import join_devices
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import (
    add_statistics, entra_devices, exchange_devices, intune_devices, mam_registrations, resolve_users)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.output import SortedSpill
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.summary import Summary


def _low(value):
    return str(value).lower() if value is not None else ""


def _key(*parts):
    return "\x00".join(_low(p) for p in parts)


SORT_KEYS = {
    "exchange": lambda r: _key(r.get("UserDisplayName"), r.get("Identity"), r.get("DeviceId")),
    "intune": lambda r: _key(r.get("userPrincipalName"), r.get("deviceName"), r.get("id")),
    "entra": lambda r: _key(r.get("displayName"), r.get("id")),
    "mam": lambda r: _key(r.get("userId"), r.get("deviceName"), r.get("app"), r.get("id")),
    "all": lambda r: _key(r["user"], r["device_name"], (r["exchange"] or {}).get("Identity"),
                          (r["intune"] or {}).get("id"), (r["entra"] or {}).get("id"),
                          ((r.get("mam") or [{}])[0]).get("id")),
}


class Inventory:
    def __init__(self, source, filters=None, server_side_filters=True, statistics=False, limit=None, compliance=True):
        if source not in SOURCES:
            raise FilterError("source", "is not a source", source, ", ".join(SOURCES))
        self.source = source
        self.filters = Filters(filters or {}, source)
        self.server_side = server_side_filters and source != "all"
        self.statistics = bool(statistics) or (self.filters.needs_last_seen and source in ("exchange", "all"))
        if limit is not None and limit < 1:
            raise FilterError("limit", "must be 1 or more", limit, "a positive integer, or no limit")
        self.limit = limit
        self.sent = {}
        self.compliance = bool(compliance) and source in ("intune", "all")
        self._index = None

    def _compliance_index(self, graph):
        """Each Intune device's policies and failing settings (None when not asked for)."""
        if not self.compliance:
            return None
        self._index = ComplianceIndex()
        return self._index.load(graph())

    def _rows(self, graph, exchange, users):
        filters, source = self.filters, self.source
        if source == "exchange":
            parameters = filters.exchange_parameters() if self.server_side else {}
            self.sent["exchange"] = parameters
            rows = exchange_devices(exchange(), parameters)
            if self.statistics:
                rows = list(rows)
                add_statistics(exchange(), rows)
            return (r for r in rows if exchange_matches(r, filters, users))
        if source == "intune":
            odata = filters.intune_filter() if self.server_side else None
            self.sent["intune"] = {"$filter": odata} if odata else {}
            index = self._compliance_index(graph)
            return (add_compliance(r, index) for r in intune_devices(graph(), odata)
                    if intune_matches(r, filters, users))
        if source == "entra":
            self.sent["entra"] = {}
            return (r for r in entra_devices(graph()) if entra_matches(r, filters))
        if source == "mam":
            self.sent["mam"] = {}
            return (r for r in mam_registrations(graph()) if mam_matches(r, filters, users))
        self.sent = {"exchange": {}, "intune": {}, "entra": {}, "mam": {}}
        ex_rows = exchange_devices(exchange(), {})
        if self.statistics:
            ex_rows = list(ex_rows)
            add_statistics(exchange(), ex_rows)
        index = self._compliance_index(graph)
        joined = join_devices(ex_rows, intune_devices(graph()), entra_devices(graph()), mam_registrations(graph()),
                              compliance=index)
        return (r for r in joined if joined_matches(r, filters, users))

    def collect(self, graph, exchange):
        """``graph`` and ``exchange`` are callables returning the clients (built on first use)."""
        users = resolve_users(graph(), self.filters) if (self.filters.users or self.filters.groups) else None
        summary = Summary(self.source)
        key = SORT_KEYS[self.source]

        spill = SortedSpill(self.limit)
        try:
            rows = self._rows(graph, exchange, users)
            for row in rows:
                summary.add(row)
                spill.add(key(row), row)
            result = summary.result()
            name_users(graph, result.get("outlook_unprotected_users"))
        except BaseException:
            spill.close()  # the scratch file goes with a failed read too
            raise
        finally:
            if self._index is not None:
                self._index.close()
        return spill, result


def name_users(graph, entries):
    """Fill ``user`` and ``display_name`` of summary entries that only an app registration named (by user id),
    from ``/users`` with ``$filter=id in (...)``, 15 ids a request."""
    missing = [e for e in entries or [] if e.get("user_id") and not e.get("display_name")]
    for start in range(0, len(missing), 15):
        chunk = missing[start:start + 15]
        ids = ",".join("'%s'" % str(e["user_id"]).replace("'", "''") for e in chunk)
        found = dict((str(u.get("id", "")).lower(), u) for u in graph().list(
            "/users", query={"$filter": "id in (%s)" % ids, "$select": "id,userPrincipalName,displayName"}))
        for entry in chunk:
            user = found.get(str(entry["user_id"]).lower())
            if user:
                entry["user"] = entry.get("user") or user.get("userPrincipalName")
                entry["display_name"] = user.get("displayName")
