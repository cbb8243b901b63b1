#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mobile_device
short_description: Block or allow a mobile device's Exchange access, remove its partnership, or wipe it
version_added: 0.1.0
description:
  - Acts on one Exchange Online mobile device partnership of one mailbox, through the Exchange admin API.
  - V(blocked) and V(allowed) put the device id on the mailbox's C(ActiveSyncBlockedDeviceIDs) or
    C(ActiveSyncAllowedDeviceIDs) (and off the other list) with C(Set-CASMailbox), using add/remove semantics, so
    the other ids on the lists stay as they are.
  - V(absent) removes a stale partnership with C(Remove-MobileDevice).
  - V(wiped) sends a remote wipe with C(Clear-MobileDevice), only with O(confirm_wipe=true). A device with a wipe
    already pending or done is not wiped again.
  - The module reads first and writes only what differs, so a second run changes nothing.
author:
  - TenantGuard contributors (@tenantguard)
options:
  mailbox:
    description:
      - The mailbox the device syncs with, as a user principal name (or alias).
    type: str
    required: true
  device_id:
    description:
      - The Exchange C(DeviceId) of the device, as M(tenantguard.m365.mobile_device_info) returns it.
    type: str
    required: true
  state:
    description:
      - V(blocked) or V(allowed) sets the device's Exchange access for this mailbox; the device need not have synced
        yet (the id is then listed in advance).
      - V(absent) removes the device partnership; nothing happens when there is none.
      - V(wiped) requests a remote wipe of the device (or of the mail account only, with O(account_only)).
    type: str
    choices: [allowed, blocked, absent, wiped]
    required: true
  confirm_wipe:
    description:
      - Must be V(true) for O(state=wiped). A wipe erases the phone (or the mail data) and cannot be undone.
    type: bool
    default: false
  account_only:
    description:
      - With O(state=wiped), remove only the mailbox data from the device (C(Clear-MobileDevice -AccountOnly)).
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the mailbox and the device and reports the change it would make, without sending it.
    support: full
  diff_mode:
    description: Shows the mailbox's allowed and blocked device ids, the partnership and the wipe request before and
      after.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and an Exchange administrator role.
  - Blocking by device id acts on Exchange ActiveSync and Outlook mobile partnerships; to keep native mail apps out
    of the whole tenant, use a conditional access policy.
seealso:
  - module: tenantguard.m365.mobile_device_info
  - name: Set-CASMailbox
    description: The cmdlet and its ActiveSyncAllowedDeviceIDs and ActiveSyncBlockedDeviceIDs parameters.
    link: https://learn.microsoft.com/powershell/module/exchange/set-casmailbox
'''

EXAMPLES = r'''
- name: Block a native mail app that a policy will not cover
  tenantguard.m365.mobile_device:
    mailbox: alex@contoso.onmicrosoft.com
    device_id: 5853AB3B1B145EAA9785B5BB7C10404F
    state: blocked

- name: Remove a partnership that has not synced for a year
  tenantguard.m365.mobile_device:
    mailbox: lee@contoso.onmicrosoft.com
    device_id: 08745BCD7AF057CF8B3E8D03553ED1A6
    state: absent

- name: Wipe the mail account from a lost phone
  tenantguard.m365.mobile_device:
    mailbox: nestor@contoso.onmicrosoft.com
    device_id: 0BE0507FD6E953CDA23D5A9F9554DB20
    state: wiped
    account_only: true
    confirm_wipe: true
'''

RETURN = r'''
device:
  description: The device partnership as C(Get-MobileDevice) shows it after the task (before it, for V(absent)).
  returned: when the mailbox has a partnership with the device
  type: dict
  sample: {"DeviceId": "5853AB3B1B145EAA9785B5BB7C10404F", "DeviceAccessState": "Blocked", "ClientType": "EAS"}
allowed_device_ids:
  description: The mailbox's C(ActiveSyncAllowedDeviceIDs) after the task (as they would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
blocked_device_ids:
  description: The mailbox's C(ActiveSyncBlockedDeviceIDs) after the task (as they would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["5853AB3B1B145EAA9785B5BB7C10404F"]
cmdlets:
  description: The cmdlets that were run (or would run, in check mode) to make the change, with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "Set-CASMailbox", "parameters": {"Identity": "alex@contoso.onmicrosoft.com"}}]
'''

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.actions import (
    ALLOWED, BLOCKED, list_change, wipe_requested)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ExchangeError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule


def argument_spec():
    return dict(
        mailbox=dict(type="str", required=True),
        device_id=dict(type="str", required=True),
        state=dict(type="str", required=True, choices=["allowed", "blocked", "absent", "wiped"]),
        confirm_wipe=dict(type="bool", default=False),
        account_only=dict(type="bool", default=False),
    )


# Exchange device ids are letters and digits (ActiveSync allows up to 32; REST ids are 32 hex digits). A comma,
# a space or a wildcard would make Set-CASMailbox list more than the one device.
DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Characters that make a mailbox identity match more than one mailbox, or break out of it.
MAILBOX_REFUSED = re.compile(r"[*?,;\x00-\x1f\x7f]")


def check(params):
    for name in ("mailbox", "device_id"):
        if not str(params[name] or "").strip():
            raise ConfigError(name, "is empty", value=params[name], accepted="a non-empty value", kind="Option")
    if not DEVICE_ID.match(params["device_id"].strip()):
        raise ConfigError("device_id", "is not one Exchange device id", value=params["device_id"], kind="Option",
                          accepted="one DeviceId as mobile_device_info lists it: letters, digits, - and _ only")
    if MAILBOX_REFUSED.search(params["mailbox"].strip()):
        raise ConfigError("mailbox", "could match more than one mailbox (wildcard, list separator or control "
                          "character)", value=params["mailbox"], kind="Option",
                          accepted="one user principal name or alias, such as adele@contoso.onmicrosoft.com")
    if params["state"] == "wiped" and not params["confirm_wipe"]:
        raise ConfigError("confirm_wipe", "must be true to wipe a device; a wipe cannot be undone",
                          value=params["confirm_wipe"], accepted="confirm_wipe: true together with state: wiped",
                          kind="Option")
    if params["account_only"] and params["state"] != "wiped":
        raise ConfigError("account_only", "applies only to state wiped", value=params["account_only"],
                          accepted="account_only with state: wiped", kind="Option")


def find_device(exchange, mailbox, device_id):
    for row in exchange.invoke("Get-MobileDevice", {"Mailbox": mailbox, "ResultSize": "Unlimited"}):
        if str(row.get("DeviceId") or "").lower() == device_id.lower():
            return row
    return None


def run(module):
    params = module.params
    check(params)
    exchange = module.exchange
    mailbox, device_id, state = params["mailbox"].strip(), params["device_id"].strip(), params["state"]
    try:
        cas = list(exchange.invoke("Get-CASMailbox", {"Identity": mailbox}))
    except ExchangeError as exc:
        if exc.status != 404:
            raise
        raise ConfigError("mailbox", "names no mailbox of the tenant (Exchange: %s)" % exc.message, value=mailbox,
                          kind="Option", accepted="the user principal name or alias of an existing mailbox")
    cas = cas[0] if cas else {}
    allowed, blocked = list(cas.get(ALLOWED) or []), list(cas.get(BLOCKED) or [])
    device = find_device(exchange, mailbox, device_id)
    before = {ALLOWED: allowed, BLOCKED: blocked, "partnership": bool(device), "wipe_requested": False}
    after = dict(before)
    cmdlets = []
    if state in ("allowed", "blocked"):
        parameters, allowed_after, blocked_after = list_change(state, device_id, allowed, blocked)
        if parameters:
            parameters = dict(parameters, Identity=mailbox)
            cmdlets.append({"cmdlet": "Set-CASMailbox", "parameters": parameters})
        after.update({ALLOWED: allowed_after, BLOCKED: blocked_after})
    elif state == "absent":
        if device:
            parameters = {"Identity": device["Identity"], "Confirm": False}
            cmdlets.append({"cmdlet": "Remove-MobileDevice", "parameters": parameters})
            after["partnership"] = False
    else:
        if not device:
            raise ConfigError("device_id", "names no device partnership of mailbox %s, so there is nothing to wipe"
                              % mailbox, value=device_id, kind="Option",
                              accepted="a DeviceId that mobile_device_info lists for the mailbox")
        stats = list(exchange.invoke("Get-MobileDeviceStatistics", {"Identity": device["Identity"]}))
        before["wipe_requested"] = wipe_requested(stats[0] if stats else None)
        if not before["wipe_requested"]:
            parameters = {"Identity": device["Identity"], "Confirm": False}
            if params["account_only"]:
                parameters["AccountOnly"] = True
            cmdlets.append({"cmdlet": "Clear-MobileDevice", "parameters": parameters})
        after["wipe_requested"] = True
    changed = bool(cmdlets)
    if changed and not module.check_mode:
        for step in cmdlets:
            list(exchange.invoke(step["cmdlet"], step["parameters"]))
        if state != "absent":
            device = find_device(exchange, mailbox, device_id) or device
    result = dict(changed=changed, cmdlets=cmdlets, allowed_device_ids=after[ALLOWED],
                  blocked_device_ids=after[BLOCKED])
    if device:
        result["device"] = device
    if module.diff_mode:
        result["diff"] = dict(before=before, after=after, before_header="%s %s" % (mailbox, device_id),
                              after_header="%s %s (%s)" % (mailbox, device_id, state))
    return result


def main():
    module = TenantGuardModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
