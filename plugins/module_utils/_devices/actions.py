# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what mobile_device changes, worked out from what Exchange holds before anything is sent.

Not a public API.

* ``blocked`` / ``allowed``: the device id in the mailbox's ``ActiveSyncBlockedDeviceIDs`` (or
  ``ActiveSyncAllowedDeviceIDs``) and not in the other list; sent as one ``Set-CASMailbox`` with
  add/remove hashtables, so other ids on the lists are never touched.
* ``absent``: ``Remove-MobileDevice`` of the partnership, when there is one.
* ``wiped``: ``Clear-MobileDevice``, once: a device whose statistics already show a wipe pending or
  done is left alone.
"""

HASHTABLE = "#Exchange.GenericHashTable"
ALLOWED = "ActiveSyncAllowedDeviceIDs"
BLOCKED = "ActiveSyncBlockedDeviceIDs"
WIPE_DONE = ("devicewipepending", "devicewipesucceeded", "devicewiperequested")


def _has(values, device_id):
    return device_id.lower() in [str(v).lower() for v in values or []]


def _without(values, device_id):
    return [v for v in values or [] if str(v).lower() != device_id.lower()]


def list_change(state, device_id, allowed, blocked):
    """``(parameters for Set-CASMailbox or None, allowed after, blocked after)`` for blocked/allowed."""
    keep, drop = (BLOCKED, ALLOWED) if state == "blocked" else (ALLOWED, BLOCKED)
    lists = {ALLOWED: list(allowed or []), BLOCKED: list(blocked or [])}
    parameters = {}
    if not _has(lists[keep], device_id):
        parameters[keep] = {"@odata.type": HASHTABLE, "Add": [device_id]}
        lists[keep] = lists[keep] + [device_id]
    if _has(lists[drop], device_id):
        parameters[drop] = {"@odata.type": HASHTABLE, "Remove": [device_id]}
        lists[drop] = _without(lists[drop], device_id)
    return (parameters or None), lists[ALLOWED], lists[BLOCKED]


def wipe_requested(statistics):
    return str((statistics or {}).get("Status") or "").lower() in WIPE_DONE or bool(
        (statistics or {}).get("DeviceWipeRequestTime"))


# -- managed_app_wipe -----------------------------------------------------------------------------
# A selective wipe of an app registration shows as an operation of the registration ($expand=operations). Microsoft
# does not document its name or states; "Wipe" with a state other than failed counts as requested (unverified).
WIPE_OPERATION = "wipe"
WIPE_FAILED = ("failed", "canceled", "cancelled")


def app_wipe_requested(registration):
    """True when the registration already carries a wipe operation that has not failed."""
    for operation in (registration or {}).get("operations") or []:
        name = str(operation.get("displayName") or "").lower()
        if WIPE_OPERATION in name and str(operation.get("state") or "").lower() not in WIPE_FAILED:
            return True
    return False
