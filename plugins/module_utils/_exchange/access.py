# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Exchange ActiveSync's access decision for one device partnership, and what a change to the rules or to
the default access level would do to every partnership.

Not a public API. The order is Microsoft's ("Understanding Exchange ActiveSync device access",
https://technet.microsoft.com/library/ff959225.aspx; docs/exchange_mobile_access.md): the mailbox's
ActiveSyncBlockedDeviceIDs (Blocked, Individual), its ActiveSyncAllowedDeviceIDs (Allowed, Individual), a device
access rule that blocks, then one that quarantines, then one that allows (DeviceRule, the rule's identity in
DeviceAccessControlRule), else the organisation's DefaultAccessLevel (Global). A rule matches when the device's
value of its characteristic equals the query string (an exact value, compared without regard to case
[unverified]); XMSWLHeader is not a property Get-MobileDevice returns, so such a rule matches no listed device.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.cas_mailbox import index

ACCESS_STATES = {"allow": "Allowed", "block": "Blocked", "quarantine": "Quarantined"}
RULE_ORDER = ("block", "quarantine", "allow")
# The Get-MobileDevice property each characteristic is matched against.
DEVICE_FIELD = {"devicetype": "DeviceType", "devicemodel": "DeviceModel", "deviceos": "DeviceOS",
                "useragent": "DeviceUserAgent"}
DEVICE_FIELDS = ("Identity", "DeviceId", "DeviceModel", "DeviceType", "DeviceOS", "DeviceUserAgent", "ClientType",
                 "FriendlyName", "UserDisplayName", "DeviceAccessState", "DeviceAccessStateReason",
                 "DeviceAccessControlRule")
MAILBOX_FIELDS = ("Identity", "Name", "Alias", "PrimarySmtpAddress", "ActiveSyncAllowedDeviceIDs",
                  "ActiveSyncBlockedDeviceIDs")


def _text(value):
    return str(value or "").strip().lower()


def owner(device):
    """The mailbox (alias) of a partnership, from its Identity ``alias\\ExchangeActiveSyncDevices\\...``."""
    return str(device.get("Identity") or "").split("\\", 1)[0]


def rule_name(rule):
    if rule.get("QueryString") and rule.get("Characteristic"):
        return "%s (%s)" % (rule["QueryString"], rule["Characteristic"])
    return str(rule.get("Identity") or rule.get("Name") or "")


def matches(rule, device):
    field = DEVICE_FIELD.get(_text(rule.get("Characteristic")))
    return bool(field) and _text(device.get(field)) == _text(rule.get("QueryString")) and bool(device.get(field))


def decide(device, mailbox, rules, default_access_level):
    """``(DeviceAccessState, DeviceAccessStateReason, DeviceAccessControlRule)`` that Exchange gives ``device`` of
    ``mailbox`` (its allowed and blocked device id lists) under ``rules`` and ``default_access_level``."""
    mailbox = mailbox or {}
    device_id = _text(device.get("DeviceId"))
    if device_id and device_id in [_text(d) for d in mailbox.get("ActiveSyncBlockedDeviceIDs") or []]:
        return "Blocked", "Individual", None
    if device_id and device_id in [_text(d) for d in mailbox.get("ActiveSyncAllowedDeviceIDs") or []]:
        return "Allowed", "Individual", None
    found = {}
    for rule in sorted(rules or [], key=lambda r: rule_name(r).lower()):
        level = _text(rule.get("AccessLevel"))
        if level in ACCESS_STATES and matches(rule, device):
            found.setdefault(level, rule)
    for level in RULE_ORDER:
        if level in found:
            return ACCESS_STATES[level], "DeviceRule", rule_name(found[level])
    return ACCESS_STATES[_text(default_access_level) or "allow"], "Global", None


def mailbox_index(mailboxes):
    """Mailboxes by every name a device's Identity may carry (alias, name, identity, address), lower case."""
    out = index(mailboxes or [])
    for row in mailboxes or []:
        if row.get("Alias"):
            out.setdefault(_text(row["Alias"]), row)
    return out


def _entry(device, state):
    return {
        "mailbox": owner(device), "user": device.get("UserDisplayName"), "DeviceId": device.get("DeviceId"),
        "DeviceModel": device.get("DeviceModel"), "DeviceType": device.get("DeviceType"),
        "DeviceOS": device.get("DeviceOS"), "ClientType": device.get("ClientType"),
        "FriendlyName": device.get("FriendlyName"),
        "current": {"DeviceAccessState": device.get("DeviceAccessState"),
                    "DeviceAccessStateReason": device.get("DeviceAccessStateReason"),
                    "DeviceAccessControlRule": device.get("DeviceAccessControlRule")},
        "planned": {"DeviceAccessState": state[0], "DeviceAccessStateReason": state[1],
                    "DeviceAccessControlRule": state[2]},
    }


def preview(devices, mailboxes, rules, default_access_level):
    """What ``rules`` and ``default_access_level`` do to every partnership: each device with its access now (as
    Exchange reports it) and as it would be; the devices whose state changes; the devices and users that would be
    quarantined or blocked; the users cut off (every one of their partnerships allowed now is not any more, and
    none stays allowed)."""
    index = mailbox_index(mailboxes)
    rows = [_entry(d, decide(d, index.get(_text(owner(d))), rules, default_access_level)) for d in devices]
    changes = [r for r in rows if r["planned"]["DeviceAccessState"] != r["current"]["DeviceAccessState"]]
    quarantined = [r for r in rows if r["planned"]["DeviceAccessState"] == "Quarantined"]
    blocked = [r for r in rows if r["planned"]["DeviceAccessState"] == "Blocked"]
    by_user = {}
    for row in rows:
        by_user.setdefault(row["mailbox"].lower(), []).append(row)
    cut_off = []
    for name in sorted(by_user):
        own = by_user[name]
        allowed_now = [r for r in own if r["current"]["DeviceAccessState"] == "Allowed"]
        allowed_after = [r for r in own if r["planned"]["DeviceAccessState"] == "Allowed"]
        if allowed_now and not allowed_after:
            cut_off.append({"mailbox": own[0]["mailbox"], "user": own[0]["user"],
                            "devices": [r["DeviceId"] for r in allowed_now]})

    def users(found):
        return sorted(set(r["mailbox"] for r in found), key=str.lower)

    return {
        "devices": rows,
        "changes": changes,
        "quarantined": quarantined,
        "blocked": blocked,
        "quarantined_users": users(quarantined),
        "blocked_users": users(blocked),
        "cut_off_users": cut_off,
        "counts": {"devices": len(rows), "changes": len(changes), "quarantined": len(quarantined),
                   "blocked": len(blocked), "allowed": len(rows) - len(quarantined) - len(blocked),
                   "cut_off_users": len(cut_off)},
    }
