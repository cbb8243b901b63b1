# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one record per phone across Exchange, Intune, Entra and Intune app protection (MAM).

Not a public API. Joins, in this order:

1. Exchange ``DeviceId`` = Intune ``easDeviceId`` (case-insensitive): the native mail app of an
   enrolled phone, a certain match.
2. Same user (Exchange ``ExchangeObjectId`` = Intune ``userId``, or the mailbox alias = the local
   part of the Intune UPN) and same model (``DeviceModel`` = ``model``), only when exactly one
   unmatched row on each side has that pair: a probable match, marked ``join: user+model``.
3. App registrations are grouped into phones: the registrations of one user sharing a ``managedDeviceId``,
   else an ``azureADDeviceId``, else a ``deviceTag`` (the tag the Intune SDK gives the apps of one device)
   are one phone. A phone joins the Intune device whose ``id`` is its ``managedDeviceId``, else whose
   ``azureADDeviceId`` is its own (each Intune device joins one phone at most).
4. An Exchange Outlook for iOS and Android row (``ClientType`` REST or Outlook) not joined so far joins the
   phone of the same user (``ExchangeObjectId`` = the registration's ``userId``) and operating system
   (``DeviceOS`` first word = the registration's platform) that runs Outlook, when that user has exactly one
   such unjoined Exchange row and exactly one such phone without an Exchange part: a probable match, marked
   ``join: user+os``. Outlook registers its own device id with Exchange, which no other service knows, so this
   is the only link between them; with two Outlook phones on one OS a user's rows stay apart.
5. Entra ``deviceId`` = Intune ``azureADDeviceId``, else = the ``azureADDeviceId`` of a phone that Intune
   does not know.

The rows are written into an SQLite scratch file (``scratch.py``) and joined there, so memory does not grow
with the number of rows; records are read back one at a time.
"""

import json

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.compliance import add_compliance
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.scratch import Scratch

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import (
    entra_compliance, entra_management, service_time)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import is_outlook, mailbox_of


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


def app_protection(mam):
    """``applied`` when every Outlook registration of the phone has an applied app protection policy (every
    registration when none is Outlook), ``missing`` when one has none, None without registrations."""
    if not mam:
        return None
    outlook = [r for r in mam if is_outlook(r)] or mam
    return "applied" if all(r.get("appliedPolicies") for r in outlook) else "missing"


ANDROID_ENROLMENT = {"androidEnterpriseFullyManaged": "android_fully_managed",
                     "androidEnterpriseDedicatedDevice": "android_dedicated",
                     "androidEnterpriseCorporateWorkProfile": "android_corporate_work_profile"}
APPLE_CORPORATE = ("appleBulkWithUser", "appleBulkWithoutUser", "deviceEnrollmentManager")


def ownership(intune):
    """``company`` or ``personal`` (beta ``ownerType``, else ``managedDeviceOwnerType``), None when unknown."""
    value = intune.get("ownerType") or intune.get("managedDeviceOwnerType")
    return value if value in ("company", "personal") else None


def enrollment(intune, mam=None):
    """How a phone is managed, for the report's groups:

    * Android: ``android_fully_managed``, ``android_dedicated``, ``android_corporate_work_profile`` (the Android
      Enterprise enrolment types), ``android_personal_work_profile`` (``deviceType`` ``androidForWork`` on another
      enrolment type), ``android_device_administrator`` (the legacy enrolment: none of these);
    * iOS/iPadOS: ``ios_corporate`` (Automated Device Enrollment, the enrolment manager, or owned by the company),
      ``ios_personal`` (user or account-driven enrolment of a personal device);
    * ``other_managed`` for another enrolled platform; ``mam_only`` for a phone known only by its app registrations;
      ``unmanaged`` for one that only Exchange or Entra know.
    """
    if intune:
        system = str(intune.get("operatingSystem") or "").lower()
        kind = intune.get("deviceEnrollmentType")
        if system.startswith("android"):
            if kind in ANDROID_ENROLMENT:
                return ANDROID_ENROLMENT[kind]
            if intune.get("deviceType") == "androidForWork":
                return "android_personal_work_profile"
            if intune.get("deviceType") == "androidEnterprise":
                return "android_fully_managed"
            return "android_device_administrator"
        if system.startswith("ios") or system.startswith("ipados"):
            return "ios_corporate" if kind in APPLE_CORPORATE or ownership(intune) == "company" else "ios_personal"
        return "other_managed"
    return "mam_only" if mam else "unmanaged"


def make_record(exchange=None, intune=None, entra=None, join=None, mam=None, mam_join=None):
    """A joined record: summary fields for reports, and each source's own fields under its name (``mam``: the
    phone's app registrations, one per app)."""
    sources = [name for name, part in (("exchange", exchange), ("intune", intune), ("entra", entra), ("mam", mam))
               if part]
    ex, it, en = exchange or {}, intune or {}, entra or {}
    first = mam[0] if mam else {}
    times = [ex.get("LastSuccessSync"), it.get("lastSyncDateTime"), en.get("approximateLastSignInDateTime")]
    times += [r.get("lastSyncDateTime") for r in mam or []]
    seen = [t for t in (service_time(text) for text in times) if t]
    if intune:
        management = "managed"
        compliance = it.get("complianceState")
    elif entra:
        management = entra_management(en)
        compliance = entra_compliance(en)
    else:
        management = "unmanaged"
        compliance = None
    user = it.get("userPrincipalName") or mailbox_of(ex) or ex.get("UserDisplayName") or first.get("userId")
    return {
        "sources": sources,
        "join": join,
        "mam_join": mam_join,
        "user": user,
        "user_id": it.get("userId") or ex.get("ExchangeObjectId") or first.get("userId"),
        "user_display_name": ex.get("UserDisplayName") or it.get("userDisplayName"),
        "device_name": ex.get("FriendlyName") or it.get("deviceName") or first.get("deviceName") or en.get("displayName"),
        "model": ex.get("DeviceModel") or it.get("model") or first.get("deviceModel") or en.get("model"),
        "os": (os_family(ex.get("DeviceOS")) or it.get("operatingSystem") or first.get("platform")
               or en.get("operatingSystem")),
        "client_type": ex.get("ClientType"),
        "access_state": _capitalised(ex.get("DeviceAccessState") or it.get("exchangeAccessState")),
        "management": management,
        "compliance": compliance,
        "apps": sorted(set(r.get("app") for r in mam if r.get("app"))) if mam else [],
        "app_protection": app_protection(mam),
        "ownership": ownership(it) if intune else None,
        "enrollment": enrollment(intune, mam),
        "compliance_policies": it.get("compliance_policies") or [],
        "noncompliance_reasons": it.get("noncompliance_reasons") or [],
        "grace_period_expires": it.get("grace_period_expires"),
        "last_seen": max(seen).strftime("%Y-%m-%dT%H:%M:%SZ") if seen else None,
        "exchange": exchange,
        "intune": intune,
        "entra": entra,
        "mam": mam or None,
    }


def _pack(row):
    return json.dumps(row, separators=(",", ":"))


def _load(text):
    return json.loads(text) if text is not None else None


SCHEMA = (
    "CREATE TABLE ex (idx INTEGER PRIMARY KEY, devid TEXT, uid TEXT, alias TEXT, model TEXT, os TEXT, "
    "outlook INTEGER, data TEXT)",
    "CREATE TABLE it (idx INTEGER PRIMARY KEY, id TEXT, eas TEXT, aad TEXT, uid TEXT, alias TEXT, model TEXT, "
    "data TEXT)",
    "CREATE TABLE mam (idx INTEGER PRIMARY KEY, g TEXT, uid TEXT, os TEXT, outlook INTEGER, mdid TEXT, aad TEXT, "
    "data TEXT)",
    "CREATE TABLE en (idx INTEGER PRIMARY KEY, devid TEXT, data TEXT)",
    "CREATE TABLE link_ex (eidx INTEGER PRIMARY KEY, iidx INTEGER, gid INTEGER, how TEXT)",
    "CREATE TABLE link_grp (gid INTEGER PRIMARY KEY, iidx INTEGER UNIQUE, how TEXT)",
    "CREATE TABLE link_en (enidx INTEGER PRIMARY KEY, iidx INTEGER, gid INTEGER)",
)


def _insert(db, sql, rows, shape):
    batch = []
    for row in rows or []:
        batch.append(shape(row))
        if len(batch) == 1000:
            db.executemany(sql, batch)
            batch = []
    if batch:
        db.executemany(sql, batch)


def _exchange_values(row):
    return (_lower(row.get("DeviceId")) or None, _lower(row.get("ExchangeObjectId")) or None,
            (mailbox_of(row) or "").lower() or None, _lower(row.get("DeviceModel")),
            _lower(os_family(row.get("DeviceOS"))) or None,
            1 if _lower(row.get("ClientType")) in ("rest", "outlook") else 0, _pack(row))


def _intune_values(row):
    upn = _lower(row.get("userPrincipalName"))
    return (_lower(row.get("id")) or None, _lower(row.get("easDeviceId")) or None,
            _lower(row.get("azureADDeviceId")) or None, _lower(row.get("userId")) or None,
            upn.split("@", 1)[0] if upn else None, _lower(row.get("model")), _pack(row))


def _mam_values(row):
    mdid, aad, uid = _lower(row.get("managedDeviceId")), _lower(row.get("azureADDeviceId")), _lower(row.get("userId"))
    device = ("md:" + mdid) if mdid else ("aad:" + aad) if aad else "tag:" + _lower(row.get("deviceTag"))
    group = uid + "|" + device  # one user's apps on one device: a device shared by two users is two phones here
    return (group, uid or None, _lower(row.get("platform")) or None, 1 if is_outlook(row) else 0, mdid or None,
            aad or None, _pack(row))


def _link(db):
    """Fill link_ex, link_grp and link_en (the rules in the module's text)."""
    run = db.execute
    for sql in ("CREATE INDEX ex_devid ON ex(devid)", "CREATE INDEX it_id ON it(id)", "CREATE INDEX it_aad ON it(aad)",
                "CREATE INDEX it_eas ON it(eas)", "CREATE INDEX mam_g ON mam(g)", "CREATE INDEX en_devid ON en(devid)"):
        run(sql)
    # 1. easDeviceId: the first Intune device of an id, claimed by the first Exchange row of that id
    run("INSERT INTO link_ex (eidx, iidx, how) SELECT min(e.idx), f.idx, 'easDeviceId' FROM "
        "(SELECT eas, min(idx) AS idx FROM it WHERE eas IS NOT NULL GROUP BY eas) f JOIN ex e ON e.devid = f.eas "
        "GROUP BY f.idx")
    # 2. same user and model, the pair unique among unjoined Exchange rows and among all Intune devices
    run("CREATE TEMP TABLE lk AS SELECT pair, min(eidx) AS eidx, min(k) AS k FROM ("
        "SELECT 'id:' || uid || '|' || model AS pair, idx AS eidx, 0 AS k FROM ex WHERE uid IS NOT NULL "
        "AND idx NOT IN (SELECT eidx FROM link_ex) UNION ALL "
        "SELECT 'alias:' || alias || '|' || model, idx, 1 FROM ex WHERE alias IS NOT NULL "
        "AND idx NOT IN (SELECT eidx FROM link_ex)) GROUP BY pair HAVING count(*) = 1")
    run("CREATE TEMP TABLE rk AS SELECT pair, min(iidx) AS iidx FROM ("
        "SELECT 'id:' || uid || '|' || model AS pair, idx AS iidx FROM it WHERE uid IS NOT NULL UNION ALL "
        "SELECT 'alias:' || alias || '|' || model, idx FROM it WHERE alias IS NOT NULL) "
        "GROUP BY pair HAVING count(*) = 1")
    run("CREATE INDEX rk_pair ON rk(pair)")
    taken, claimed = set(), set()
    found = []
    for eidx, iidx in list(db.execute(
            "SELECT l.eidx, r.iidx FROM lk l JOIN rk r ON r.pair = l.pair "
            "WHERE r.iidx NOT IN (SELECT iidx FROM link_ex WHERE iidx IS NOT NULL) ORDER BY l.eidx, l.k")):
        if eidx in taken or iidx in claimed:
            continue
        taken.add(eidx)
        claimed.add(iidx)
        found.append((eidx, iidx))
    db.executemany("INSERT INTO link_ex (eidx, iidx, how) VALUES (?, ?, 'user+model')", found)
    taken = claimed = found = None
    # 3. phones of app registrations, and the Intune device of each
    run("CREATE TABLE grp AS SELECT g, min(idx) AS first, max(mdid) AS mdid, max(aad) AS aad, max(uid) AS uid, "
        "max(os) AS os, max(outlook) AS outlook FROM mam GROUP BY g ORDER BY first")
    run("INSERT INTO link_grp (gid, iidx, how) SELECT min(g.rowid), i.idx, 'managedDeviceId' FROM grp g "
        "JOIN it i ON i.id = g.mdid GROUP BY i.idx")
    # (each phone looks its device up through the index on it.aad: the first Intune device of that id)
    run("INSERT INTO link_grp (gid, iidx, how) SELECT min(g.rowid), i.idx, 'azureADDeviceId' FROM grp g "
        "JOIN it i ON i.aad = g.aad AND i.idx = (SELECT min(idx) FROM it WHERE aad = g.aad) "
        "WHERE g.aad IS NOT NULL AND g.rowid NOT IN (SELECT gid FROM link_grp) "
        "AND i.idx NOT IN (SELECT iidx FROM link_grp) GROUP BY i.idx")
    # 4. Outlook rows of Exchange to Outlook phones: same user and OS, unique on both sides
    run("CREATE TEMP TABLE lo AS SELECT uid || '|' || os AS pair, min(idx) AS eidx FROM ex WHERE outlook = 1 "
        "AND uid IS NOT NULL AND os IS NOT NULL AND idx NOT IN (SELECT eidx FROM link_ex) "
        "GROUP BY pair HAVING count(*) = 1")
    run("CREATE TEMP TABLE ro AS SELECT g.uid || '|' || g.os AS pair, min(g.rowid) AS gid, "
        "min(l.iidx) AS iidx FROM grp g LEFT JOIN link_grp l ON l.gid = g.rowid "
        "WHERE g.outlook = 1 AND g.uid IS NOT NULL AND g.os IS NOT NULL AND (l.iidx IS NULL OR l.iidx NOT IN "
        "(SELECT iidx FROM link_ex WHERE iidx IS NOT NULL)) GROUP BY pair HAVING count(*) = 1")
    run("INSERT INTO link_ex (eidx, iidx, gid, how) SELECT l.eidx, r.iidx, CASE WHEN r.iidx IS NULL THEN r.gid END, "
        "'user+os' FROM lo l JOIN ro r ON r.pair = l.pair")
    # 5. Entra devices: by an Intune device's azureADDeviceId, else by a phone's that Intune does not know
    run("INSERT INTO link_en (enidx, iidx) SELECT min(n.idx), f.idx FROM "
        "(SELECT aad, min(idx) AS idx FROM it WHERE aad IS NOT NULL GROUP BY aad) f JOIN en n ON n.devid = f.aad "
        "GROUP BY f.idx")
    run("INSERT INTO link_en (enidx, gid) SELECT min(n.idx), f.gid FROM "
        "(SELECT aad, min(rowid) AS gid FROM grp WHERE aad IS NOT NULL AND rowid NOT IN (SELECT gid FROM link_grp) "
        "GROUP BY aad) f JOIN en n ON n.devid = f.aad WHERE n.idx NOT IN (SELECT enidx FROM link_en) GROUP BY f.gid")
    for sql in ("CREATE INDEX link_ex_iidx ON link_ex(iidx)", "CREATE INDEX link_ex_gid ON link_ex(gid)",
                "CREATE INDEX link_en_iidx ON link_en(iidx)", "CREATE INDEX link_en_gid ON link_en(gid)"):
        run(sql)


def _apps(scratch, group):
    if group is None:
        return None
    return [json.loads(data) for (data,) in scratch.execute("SELECT data FROM mam WHERE g = ? ORDER BY idx",
                                                            (group,))]


def join_devices(exchange_rows, intune_rows, entra_rows, mam_rows=None, compliance=None):
    """Yield joined records: Exchange rows joined to nothing, Entra devices joined to nothing, then the Intune
    devices with their parts (and their compliance from ``compliance``, a loaded ``ComplianceIndex``), then the
    phones of app registrations that Intune does not know."""
    scratch = Scratch()
    try:
        db = scratch.db
        for sql in SCHEMA:
            db.execute(sql)
        _insert(db, "INSERT INTO it (id, eas, aad, uid, alias, model, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                intune_rows, _intune_values)
        _insert(db, "INSERT INTO ex (devid, uid, alias, model, os, outlook, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                exchange_rows, _exchange_values)
        _insert(db, "INSERT INTO mam (g, uid, os, outlook, mdid, aad, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                mam_rows, _mam_values)
        _insert(db, "INSERT INTO en (devid, data) VALUES (?, ?)", entra_rows,
                lambda row: (_lower(row.get("deviceId")) or None, _pack(row)))
        _link(db)
        for (data,) in scratch.query("SELECT data FROM ex WHERE idx NOT IN (SELECT eidx FROM link_ex) ORDER BY idx"):
            yield make_record(exchange=json.loads(data))
        for (data,) in scratch.query("SELECT data FROM en WHERE idx NOT IN (SELECT enidx FROM link_en) ORDER BY idx"):
            yield make_record(entra=json.loads(data))
        for it_data, ex_data, how, en_data, group, mam_how in scratch.query(
                "SELECT i.data, e.data, le.how, n.data, g.g, lg.how FROM it i "
                "LEFT JOIN link_ex le ON le.iidx = i.idx LEFT JOIN ex e ON e.idx = le.eidx "
                "LEFT JOIN link_en ln ON ln.iidx = i.idx LEFT JOIN en n ON n.idx = ln.enidx "
                "LEFT JOIN link_grp lg ON lg.iidx = i.idx LEFT JOIN grp g ON g.rowid = lg.gid ORDER BY i.idx"):
            yield make_record(exchange=_load(ex_data), intune=add_compliance(json.loads(it_data), compliance),
                              entra=_load(en_data), join=how,
                              mam=_apps(scratch, group), mam_join=mam_how)
        for group, ex_data, how, en_data in scratch.query(
                "SELECT g.g, e.data, le.how, n.data FROM grp g "
                "LEFT JOIN link_ex le ON le.gid = g.rowid LEFT JOIN ex e ON e.idx = le.eidx "
                "LEFT JOIN link_en ln ON ln.gid = g.rowid LEFT JOIN en n ON n.idx = ln.enidx "
                "WHERE g.rowid NOT IN (SELECT gid FROM link_grp) ORDER BY g.rowid"):
            yield make_record(exchange=_load(ex_data), entra=_load(en_data), join=how, mam=_apps(scratch, group))
    finally:
        scratch.close()
