# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: each Intune device's compliance: the policies it is evaluated against and the settings it fails.

Not a public API. Read per policy and per setting, never per device, so the requests grow with the number of
policies, failing settings and pages, not with the number of devices (all beta, where every compliance policy type
is listed, the fully managed ones included):

1. ``/deviceManagement/deviceCompliancePolicies?$select=id,displayName`` (the policies, by name);
2. ``/deviceManagement/deviceCompliancePolicies/{id}/deviceStatuses`` for each: one row per device with its status
   and grace period expiry. The row's ``id`` is ``<managedDeviceId>_<policyId>_<userId>`` (the service's ids, as
   public issue threads show them; the reference page shows a single GUID), so the device is its first part;
3. ``/deviceManagement/deviceCompliancePolicySettingStateSummaries`` (one row per setting with counts by state);
4. ``.../{setting}/deviceComplianceSettingStates`` for each setting that some device fails (non-compliant, error
   or conflict): one row per device with ``deviceId``.

Rows go into an SQLite scratch file (``scratch.py``) as they arrive and are looked up by device id, so memory does
not grow with the number of devices. Setting keys such as ``IosCompliancePolicy.PasscodeRequired`` are also given
in words (``Passcode required``).
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.scratch import Scratch

POLICIES = "/deviceManagement/deviceCompliancePolicies"
SUMMARIES = "/deviceManagement/deviceCompliancePolicySettingStateSummaries"
FAILING = ("nonCompliant", "error", "conflict")
NO_GRACE_YEAR = "9999"
WORDS = {"os": "OS", "pin": "PIN", "sd": "SD", "usb": "USB", "id": "ID", "sku": "SKU", "vpn": "VPN"}
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def setting_words(setting):
    """``IosCompliancePolicy.PasscodeRequired`` -> ``Passcode required``; ``...OsMinimumVersion`` -> ``OS minimum
    version``; anything else as given."""
    name = str(setting or "").rsplit(".", 1)[-1]
    parts = _CAMEL.findall(name)
    if not parts:
        return setting
    words = [WORDS.get(p.lower(), p.lower()) for p in parts]
    first = words[0]
    words[0] = first if first in WORDS.values() else first[:1].upper() + first[1:]
    return " ".join(words)


def grace_expiry(value):
    """A grace period expiry, or None for the service's "no grace period" date (year 9999) and for none."""
    if not value or str(value).startswith(NO_GRACE_YEAR) or str(value).startswith("0001"):
        return None
    return value


def _lower(value):
    return str(value).lower() if value else ""


class ComplianceIndex:
    """Per-device compliance read from Graph (``load``) and looked up one device at a time (``lookup``)."""

    def __init__(self):
        self.scratch = Scratch()
        self.scratch.execute("CREATE TABLE pol (devid TEXT, name TEXT, status TEXT, grace TEXT)")
        self.scratch.execute("CREATE TABLE rsn (devid TEXT, setting TEXT, state TEXT)")
        self.loaded = False

    def load(self, graph):
        policies = [(p.get("id"), p.get("displayName") or p.get("id"))
                    for p in graph.list(POLICIES, api_version="beta", query={"$select": "id,displayName"})]
        for policy_id, name in policies:
            batch = []
            for row in graph.list("%s/%s/deviceStatuses" % (POLICIES, policy_id), api_version="beta"):
                device = str(row.get("id") or "").split("_", 1)[0]
                batch.append((_lower(device), name, row.get("status"),
                              grace_expiry(row.get("complianceGracePeriodExpirationDateTime"))))
                if len(batch) >= 1000:
                    self.scratch.executemany("INSERT INTO pol VALUES (?, ?, ?, ?)", batch)
                    batch = []
            self.scratch.executemany("INSERT INTO pol VALUES (?, ?, ?, ?)", batch)
        failing = [s.get("id") for s in graph.list(SUMMARIES, api_version="beta")
                   if any(s.get(state + "DeviceCount") for state in FAILING) and s.get("id")]
        for setting_id in failing:
            batch = []
            for row in graph.list("%s/%s/deviceComplianceSettingStates" % (SUMMARIES, setting_id), api_version="beta"):
                if row.get("state") in FAILING:
                    batch.append((_lower(row.get("deviceId")), row.get("setting") or setting_id, row.get("state")))
                if len(batch) >= 1000:
                    self.scratch.executemany("INSERT INTO rsn VALUES (?, ?, ?)", batch)
                    batch = []
            self.scratch.executemany("INSERT INTO rsn VALUES (?, ?, ?)", batch)
        self.scratch.execute("CREATE INDEX pol_devid ON pol(devid)")
        self.scratch.execute("CREATE INDEX rsn_devid ON rsn(devid)")
        self.loaded = True
        return self

    def lookup(self, device_id):
        """``{"compliance_policies": [{"policy", "status"}], "noncompliance_settings": [...],
        "noncompliance_reasons": [...], "grace_period_expires"}`` of one Intune device."""
        key = _lower(device_id)
        policies, graces = [], []
        for name, status, grace in self.scratch.execute(
                "SELECT name, status, grace FROM pol WHERE devid = ? ORDER BY name", (key,)):
            policies.append({"policy": name, "status": status})
            if grace and status in FAILING:
                graces.append(grace)
        settings = sorted(set(row[0] for row in self.scratch.execute("SELECT setting FROM rsn WHERE devid = ?",
                                                                     (key,))))
        return {"compliance_policies": policies, "noncompliance_settings": settings,
                "noncompliance_reasons": [setting_words(s) for s in settings],
                "grace_period_expires": min(graces) if graces else None}

    def close(self):
        self.scratch.close()


def add_compliance(row, index):
    """The Intune row with its compliance fields (``index`` None: left as read)."""
    if index is not None:
        found = index.lookup(row.get("id"))
        if not found["grace_period_expires"] and row.get("complianceState") == "inGracePeriod":
            found["grace_period_expires"] = grace_expiry(row.get("complianceGracePeriodExpirationDateTime"))
        row.update(found)
    return row
