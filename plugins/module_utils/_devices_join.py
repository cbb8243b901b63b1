# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one record per phone across Exchange, Intune and Entra.

Not a public API. Joins, in this order:

1. Exchange ``DeviceId`` = Intune ``easDeviceId`` (case-insensitive): the native mail app of an
   enrolled phone, a certain match.
2. Same user (Exchange ``ExchangeObjectId`` = Intune ``userId``, or the mailbox alias = the local
   part of the Intune UPN) and same model (``DeviceModel`` = ``model``), only when exactly one
   unmatched row on each side has that pair: a probable match, marked ``join: user+model``.
3. Entra ``deviceId`` = Intune ``azureADDeviceId``.

Outlook for iOS and Android registers its own device id with Exchange, so its rows rarely join an
Intune record; they stay Exchange-only rather than being guessed onto a phone.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._devices_filters import (
    entra_compliance, entra_management, service_time)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices_sources import mailbox_of


def _lower(value):
    return str(value).lower() if value else ""


def os_family(text):
    """``iOS 18.1`` -> ``iOS``; ``Android`` -> ``Android``; None -> None."""
    if not text:
        return None
    return str(text).split(" ", 1)[0]


def _user_keys_exchange(row):
    keys = []
    if row.get("ExchangeObjectId"):
        keys.append("id:" + _lower(row["ExchangeObjectId"]))
    alias = mailbox_of(row)
    if alias:
        keys.append("alias:" + alias.lower())
    return keys


def _user_keys_intune(row):
    keys = []
    if row.get("userId"):
        keys.append("id:" + _lower(row["userId"]))
    if row.get("userPrincipalName"):
        keys.append("alias:" + _lower(row["userPrincipalName"]).split("@", 1)[0])
    return keys


def make_record(exchange=None, intune=None, entra=None, join=None):
    """A joined record: summary fields for reports, and each source's own fields under its name."""
    sources = [name for name, part in (("exchange", exchange), ("intune", intune), ("entra", entra)) if part]
    ex, it, en = exchange or {}, intune or {}, entra or {}
    seen = [t for t in (service_time(ex.get("LastSuccessSync")), service_time(it.get("lastSyncDateTime")),
                        service_time(en.get("approximateLastSignInDateTime"))) if t]
    if intune:
        management = "managed"
        compliance = it.get("complianceState")
    elif entra:
        management = entra_management(en)
        compliance = entra_compliance(en)
    else:
        management = "unmanaged"
        compliance = None
    user = it.get("userPrincipalName") or mailbox_of(ex) or ex.get("UserDisplayName")
    return {
        "sources": sources,
        "join": join,
        "user": user,
        "user_display_name": ex.get("UserDisplayName") or it.get("userDisplayName"),
        "device_name": ex.get("FriendlyName") or it.get("deviceName") or en.get("displayName"),
        "model": ex.get("DeviceModel") or it.get("model") or en.get("model"),
        "os": os_family(ex.get("DeviceOS")) or it.get("operatingSystem") or en.get("operatingSystem"),
        "client_type": ex.get("ClientType"),
        "access_state": ex.get("DeviceAccessState") or it.get("exchangeAccessState"),
        "management": management,
        "compliance": compliance,
        "last_seen": max(seen).strftime("%Y-%m-%dT%H:%M:%SZ") if seen else None,
        "exchange": exchange,
        "intune": intune,
        "entra": entra,
    }


def join_devices(exchange_rows, intune_rows, entra_rows):
    """Yield joined records. ``intune_rows`` is read first and indexed; Exchange and Entra rows are
    streamed against that index; the Intune rows nobody claimed come last."""
    intune = list(intune_rows or [])
    by_eas = {}
    for index, row in enumerate(intune):
        if row.get("easDeviceId"):
            by_eas.setdefault(_lower(row["easDeviceId"]), index)
    claimed = [None] * len(intune)  # index -> Exchange row
    how = [None] * len(intune)
    pending = []
    for row in exchange_rows or []:
        index = by_eas.get(_lower(row.get("DeviceId")))
        if index is not None and claimed[index] is None:
            claimed[index] = row
            how[index] = "easDeviceId"
        else:
            pending.append(row)
    # second pass: user + model, unique on both sides
    left = {}
    for position, row in enumerate(pending):
        for key in _user_keys_exchange(row):
            left.setdefault((key, _lower(row.get("DeviceModel"))), []).append(position)
    right = {}
    for index, row in enumerate(intune):
        if claimed[index] is None:
            for key in _user_keys_intune(row):
                right.setdefault((key, _lower(row.get("model"))), []).append(index)
    taken = set()
    for pair, positions in left.items():
        candidates = right.get(pair)
        if len(set(positions)) == 1 and candidates and len(set(candidates)) == 1:
            position, index = positions[0], candidates[0]
            if position in taken or claimed[index] is not None:
                continue
            claimed[index] = pending[position]
            how[index] = "user+model"
            taken.add(position)
    del left, right
    for position, row in enumerate(pending):
        if position not in taken:
            yield make_record(exchange=row)
    pending = None
    by_aad = {}
    for index, row in enumerate(intune):
        if row.get("azureADDeviceId"):
            by_aad.setdefault(_lower(row["azureADDeviceId"]), index)
    entra_of = {}
    for row in entra_rows or []:
        index = by_aad.get(_lower(row.get("deviceId")))
        if index is not None and index not in entra_of:
            entra_of[index] = row
        else:
            yield make_record(entra=row)
    for index, row in enumerate(intune):
        yield make_record(exchange=claimed[index], intune=row, entra=entra_of.get(index), join=how[index])
