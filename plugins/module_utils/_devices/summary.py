# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: counts over a device inventory, updated one record at a time.

Not a public API. ``Summary.add(record)`` takes the record of any source (flat Exchange, Intune or
Entra rows, or joined records of ``source: all``); ``result()`` gives counts by source, client
type, OS family, access state and management, and the users whose only mobile mail client is a
native Exchange ActiveSync app (ClientType ``EAS`` and no Outlook mobile partnership: ClientType
``REST`` or ``Outlook``), the people a "require app protection" policy cuts off; with app registrations
(sources ``mam`` and ``all``), the users whose Outlook for iOS or Android has no applied app protection policy,
whom a ``compliantApplication`` requirement blocks.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.join import os_family
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import is_outlook, mailbox_of

OUTLOOK_MOBILE = ("rest", "outlook")
EAS = "eas"
UNKNOWN = "(none)"


def _bump(counter, key):
    key = key if key not in (None, "") else UNKNOWN
    counter[key] = counter.get(key, 0) + 1


class Summary:
    def __init__(self, source):
        self.source = source
        self.total = 0
        self.by_source = {}
        self.by_client_type = {}
        self.by_os = {}
        self.by_access_state = {}
        self.by_management = {}
        self.by_enrollment = {}  # joined records: how each phone is managed (join.enrollment)
        self.by_compliance = {}  # intune and joined records: Intune's complianceState
        self._mail_users = {}  # user -> [display name, has EAS, has Outlook mobile, EAS device count]
        self._unprotected = {}  # user id -> {user, display_name, devices: [...]}: Outlook without an applied policy

    def add(self, record):
        self.total += 1
        if self.source == "all":
            for name in record["sources"]:
                _bump(self.by_source, name)
            _bump(self.by_client_type, record["client_type"])
            _bump(self.by_os, record["os"])
            _bump(self.by_access_state, record["access_state"])
            _bump(self.by_management, record["management"])
            _bump(self.by_enrollment, record.get("enrollment"))
            if record.get("intune"):
                _bump(self.by_compliance, record["intune"].get("complianceState"))
            exchange = record.get("exchange")
            self._outlook(record.get("mam"), record)
        elif self.source == "exchange":
            _bump(self.by_source, "exchange")
            _bump(self.by_client_type, record.get("ClientType"))
            _bump(self.by_os, os_family(record.get("DeviceOS")))
            _bump(self.by_access_state, record.get("DeviceAccessState"))
            exchange = record
        elif self.source == "intune":
            _bump(self.by_source, "intune")
            _bump(self.by_os, record.get("operatingSystem"))
            _bump(self.by_access_state, record.get("exchangeAccessState"))
            _bump(self.by_management, "managed")
            _bump(self.by_compliance, record.get("complianceState"))
            exchange = None
        elif self.source == "mam":
            _bump(self.by_source, "mam")
            _bump(self.by_os, record.get("platform"))
            _bump(self.by_management, "managed" if record.get("managedDeviceId") else "unmanaged")
            self._outlook([record], None)
            exchange = None
        else:
            _bump(self.by_source, "entra")
            _bump(self.by_os, record.get("operatingSystem"))
            _bump(self.by_management, "managed" if record.get("isManaged") else "unmanaged")
            exchange = None
        if exchange:
            user = mailbox_of(exchange) or exchange.get("UserDisplayName") or UNKNOWN
            entry = self._mail_users.get(user)
            if entry is None:
                entry = self._mail_users[user] = [exchange.get("UserDisplayName"), False, False, 0]
            client = str(exchange.get("ClientType") or "").lower()
            if client == EAS:
                entry[1] = True
                entry[3] += 1
            elif client in OUTLOOK_MOBILE:
                entry[2] = True

    def _outlook(self, apps, record):
        for app in apps or []:
            if not is_outlook(app) or app.get("appliedPolicies"):
                continue
            key = str(app.get("userId") or UNKNOWN).lower()
            entry = self._unprotected.get(key)
            if entry is None:
                entry = self._unprotected[key] = {"user_id": app.get("userId"), "user": None, "display_name": None,
                                                  "devices": []}
            if record is not None:
                if record.get("user") and record.get("user") != app.get("userId"):
                    entry["user"] = entry["user"] or record.get("user")
                entry["display_name"] = entry["display_name"] or record.get("user_display_name")
            entry["devices"].append({"device_name": app.get("deviceName"), "platform": app.get("platform"),
                                     "intended_policies": app.get("intendedPolicies") or [],
                                     "last_sync": app.get("lastSyncDateTime")})

    def outlook_unprotected_users(self):
        """The users whose Outlook registration has no applied app protection policy (None without registrations)."""
        if self.source not in ("mam", "all"):
            return None
        return [self._unprotected[k] for k in sorted(self._unprotected)]

    def eas_only_users(self):
        if self.source in ("intune", "entra", "mam"):
            return None
        return [{"user": user, "display_name": entry[0], "eas_devices": entry[3]}
                for user, entry in sorted(self._mail_users.items(), key=lambda kv: kv[0].lower())
                if entry[1] and not entry[2]]

    def result(self):
        eas_only = self.eas_only_users()
        out = {
            "total": self.total,
            "by_source": self.by_source,
            "by_client_type": self.by_client_type,
            "by_os": self.by_os,
            "by_access_state": self.by_access_state,
            "by_management": self.by_management,
            "eas_only_users": eas_only if eas_only is not None else [],
        }
        if self.source in ("intune", "all"):
            out["by_compliance"] = self.by_compliance
        if self.source == "all":
            out["by_enrollment"] = self.by_enrollment
        unprotected = self.outlook_unprotected_users()
        if unprotected is not None:
            out["outlook_unprotected_users"] = unprotected
        if eas_only is None:
            out["eas_only_users_note"] = ("Only Exchange Online knows which mail client a phone uses; "
                                          "use source exchange or all for this list.")
        return out
