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

import json

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import (
    entra_compliance, entra_management, service_time)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import mailbox_of


def _lower(value):
    return str(value).lower() if value else ""


def _capitalised(value):
    """Exchange spells access states ``Allowed``, Intune ``allowed``: one spelling for joined records."""
    return value[:1].upper() + value[1:] if value else value


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
        "access_state": _capitalised(ex.get("DeviceAccessState") or it.get("exchangeAccessState")),
        "management": management,
        "compliance": compliance,
        "last_seen": max(seen).strftime("%Y-%m-%dT%H:%M:%SZ") if seen else None,
        "exchange": exchange,
        "intune": intune,
        "entra": entra,
    }


def _pack(row):
    """A row kept for later as compact JSON text: a third of the memory of a dict."""
    return json.dumps(row, separators=(",", ":"))


def join_devices(exchange_rows, intune_rows, entra_rows):
    """Yield joined records. ``intune_rows`` is read first and kept as compact JSON text with small
    indexes; Exchange and Entra rows are streamed against them; the Intune rows come last."""
    intune = []
    by_eas = {}
    right = {}  # user key|model -> index, or -1 when several Intune devices share it
    for row in intune_rows or []:
        index = len(intune)
        intune.append(_pack(row))
        if row.get("easDeviceId"):
            by_eas.setdefault(_lower(row["easDeviceId"]), index)
        model = _lower(row.get("model"))
        for key in _user_keys_intune(row):
            pair = key + "|" + model
            right[pair] = index if pair not in right else -1
    claimed = {}  # Intune index -> packed Exchange row
    how = {}
    pending = []
    left = {}
    for row in exchange_rows or []:
        index = by_eas.get(_lower(row.get("DeviceId")))
        if index is not None and index not in claimed:
            claimed[index] = _pack(row)
            how[index] = "easDeviceId"
            continue
        position = len(pending)
        pending.append(_pack(row))
        model = _lower(row.get("DeviceModel"))
        for key in _user_keys_exchange(row):
            pair = key + "|" + model
            left[pair] = position if pair not in left else -1
    by_eas = None
    # second pass: same user and model, unique on both sides
    taken = set()
    for pair, position in left.items():
        index = right.get(pair)
        if position < 0 or index is None or index < 0 or index in claimed or position in taken:
            continue
        claimed[index] = pending[position]
        how[index] = "user+model"
        taken.add(position)
    left = right = None
    for position, packed in enumerate(pending):
        if position not in taken:
            yield make_record(exchange=json.loads(packed))
        pending[position] = None
    pending = None
    by_aad = {}
    for index, packed in enumerate(intune):
        aad = json.loads(packed).get("azureADDeviceId")
        if aad:
            by_aad.setdefault(_lower(aad), index)
    entra_of = {}
    for row in entra_rows or []:
        index = by_aad.get(_lower(row.get("deviceId")))
        if index is not None and index not in entra_of:
            entra_of[index] = _pack(row)
        else:
            yield make_record(entra=row)
    for index, packed in enumerate(intune):
        intune[index] = None
        exchange = claimed.pop(index, None)
        entra = entra_of.pop(index, None)
        yield make_record(exchange=json.loads(exchange) if exchange else None, intune=json.loads(packed),
                          entra=json.loads(entra) if entra else None, join=how.get(index))
