# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: records kept in a stable order without holding them all as objects.

Not a public API. ``SortedSpill.add(key, record)`` writes the record as compact JSON with its sort key
into an SQLite scratch file (``scratch.py``), which sorts them on disk, so neither the records nor their
keys stay in memory; ``records()`` reads them back in key order (ties in arrival order). With a limit,
only the first ``limit`` keys are kept: a bounded heap of keys, the records in an unnamed temporary file.

``write_json`` and ``write_csv`` stream the records into a file the user names (mode 0600,
written beside it and moved into place), so an inventory of 200,000 records never sits in memory.
"""

import csv
import heapq
import io
import json
import os
import tempfile

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.scratch import Scratch

CSV_COLUMNS = {
    "exchange": ("UserDisplayName", "FriendlyName", "DeviceId", "DeviceOS", "DeviceModel", "DeviceType", "ClientType",
                 "ClientVersion", "DeviceAccessState", "DeviceAccessStateReason", "FirstSyncTime", "WhenChanged",
                 "LastSuccessSync", "Identity"),
    "intune": ("userPrincipalName", "deviceName", "operatingSystem", "osVersion", "model", "manufacturer",
               "complianceState", "managementAgent", "lastSyncDateTime", "exchangeAccessState", "easDeviceId", "id",
               "deviceEnrollmentType", "ownerType", "noncompliance_reasons", "grace_period_expires"),
    "entra": ("displayName", "operatingSystem", "operatingSystemVersion", "model", "trustType", "isManaged",
              "isCompliant", "approximateLastSignInDateTime", "deviceId", "id"),
    "mam": ("userId", "deviceName", "platform", "platformVersion", "app", "applicationVersion", "deviceModel",
            "deviceTag", "managedDeviceId", "azureADDeviceId", "lastSyncDateTime", "appliedPolicies",
            "intendedPolicies", "flaggedReasons", "id"),
    "all": ("user", "user_display_name", "device_name", "model", "os", "client_type", "access_state", "management",
            "compliance", "last_seen", "sources", "join", "exchange.DeviceId", "exchange.Identity", "intune.id",
            "entra.id", "apps", "app_protection", "mam_join", "ownership", "enrollment", "noncompliance_reasons",
            "grace_period_expires"),
}


class SortedSpill:
    def __init__(self, limit=None):
        self.limit = limit
        self._file = tempfile.TemporaryFile(mode="w+b") if limit else None
        self._scratch = None
        self._batch = []
        self._count = 0
        self._heap = []   # with a limit: the largest kept key on top (negated sequence for stability)
        self._sequence = 0
        self._end = 0
        if not limit:
            self._scratch = Scratch()
            self._scratch.execute("CREATE TABLE spill (seq INTEGER PRIMARY KEY, key TEXT, data TEXT)")

    def add(self, key, record):
        if not self.limit:
            self._batch.append((self._sequence, key, json.dumps(record, separators=(",", ":"))))
            self._sequence += 1
            self._count += 1
            if len(self._batch) >= 1000:
                self._flush()
            return
        data = json.dumps(record, separators=(",", ":")).encode("utf-8")
        entry = (key, self._sequence, self._end, len(data))
        self._sequence += 1
        if self.limit:
            if len(self._heap) >= self.limit:
                worst = self._heap[0]
                if (key, entry[1]) >= (worst[0].key, worst[2][1]):
                    return
            self._write(data)
            item = (_Reverse(key), -entry[1], entry)
            if len(self._heap) >= self.limit:
                heapq.heapreplace(self._heap, item)
            else:
                heapq.heappush(self._heap, item)

    def _flush(self):
        if self._batch:
            self._scratch.executemany("INSERT INTO spill (seq, key, data) VALUES (?, ?, ?)", self._batch)
            self._batch = []

    def _write(self, data):
        self._file.seek(self._end)
        self._file.write(data)
        self._end += len(data)

    def __len__(self):
        return len(self._heap) if self.limit else self._count

    def records(self):
        """The records, decoded one at a time, in order."""
        if not self.limit:
            self._flush()
            for (data,) in self._scratch.query("SELECT data FROM spill ORDER BY key, seq"):
                yield json.loads(data)
            return
        entries = [item[2] for item in self._heap]
        entries.sort(key=lambda e: (e[0], e[1]))
        for _key, _sequence, offset, length in entries:
            self._file.seek(offset)
            yield json.loads(self._file.read(length).decode("utf-8"))

    def close(self):
        if self._file is not None:
            self._file.close()
        if self._scratch is not None:
            self._scratch.close()


class _Reverse:
    """Orders keys backwards, so that heapq's min-heap keeps the largest key on top."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        return self.key > other.key

    def __eq__(self, other):
        return self.key == other.key


def _atomic(path, write):
    path = os.path.abspath(os.path.expanduser(path))
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with io.open(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def write_json(path, records):
    """A JSON array, one record a line. Returns the absolute path."""
    def write(stream):
        stream.write("[")
        first = True
        for record in records:
            stream.write("\n" if first else ",\n")
            stream.write(json.dumps(record, separators=(",", ":"), sort_keys=True))
            first = False
        stream.write("\n]\n")
    return _atomic(path, write)


def csv_value(record, column):
    if "." in column:
        part, field = column.split(".", 1)
        value = (record.get(part) or {}).get(field)
    else:
        value = record.get(column)
    if isinstance(value, list):
        return ("; " if column == "noncompliance_reasons" else " ").join(str(v) for v in value)
    if value is None:
        return ""
    return value


def write_csv(path, records, source):
    columns = CSV_COLUMNS[source]

    def write(stream):
        writer = csv.writer(stream)
        writer.writerow(columns)
        for record in records:
            writer.writerow([csv_value(record, c) for c in columns])
    return _atomic(path, write)
