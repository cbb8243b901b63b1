#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: activesync_quarantine
short_description: Review the Exchange ActiveSync quarantine - list quarantined devices, approve or deny them
version_added: 0.1.0
description:
  - Lists the mobile devices that Exchange Online holds in quarantine, with who (the mailbox and the user's name) and
    what (model, type, OS, client, first sync, and the rule or setting that quarantined it).
  - Approves (O(approve)) or denies (O(deny)) devices by their device id, as Exchange's own quarantine review does -
    the id goes on the mailbox's C(ActiveSyncAllowedDeviceIDs) or C(ActiveSyncBlockedDeviceIDs) (and off the other
    list) with one C(Set-CASMailbox) per mailbox, using add/remove semantics so that the other ids stay as they are.
  - Run it in check mode first - it then only reads (the devices with one C(Get-MobileDevice), the owners' mailboxes
    with one C(Get-CASMailbox) each) and shows what it would send.
  - A device already approved or denied is left alone, so a second run changes nothing.
  - Each changed mailbox's allowed and blocked device ids are recorded in the task's backup file (see O(backup_dir))
    before the first command; M(tenantguard.m365.backup_restore) sets the lists back, and Exchange then decides the
    devices' access again (an approved device goes back to quarantine when the default access level or a rule
    quarantines it).
author:
  - TenantGuard contributors (@tenantguard)
options:
  approve:
    description:
      - Device ids (C(DeviceId)) to allow.
    type: list
    elements: str
    default: []
  deny:
    description:
      - Device ids (C(DeviceId)) to block.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the quarantine and the mailboxes and returns the commands it would send.
    support: full
  diff_mode:
    description: Shows each changed mailbox's allowed and blocked device ids, before and after, under its name.
    support: full
notes:
  - The application needs the C(Exchange.ManageAsApp) permission and the Exchange Administrator, Exchange Recipient
    Administrator or Global Administrator role (Global Reader is enough to list).
seealso:
  - module: tenantguard.m365.activesync_organization_settings
  - module: tenantguard.m365.mobile_device
'''

EXAMPLES = r'''
- name: Who is waiting in quarantine
  tenantguard.m365.activesync_quarantine:
  register: quarantine

- name: Approve two phones, deny one
  tenantguard.m365.activesync_quarantine:
    approve: [5853AB3B1B145EAA9785B5BB7C10404F, E8B9B20E52FC5AD5B605201926975620]
    deny: [08745BCD7AF057CF8B3E8D03553ED1A6]
'''

RETURN = r'''
quarantined:
  description: The devices in quarantine after the task (as they would be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"mailbox": "alex", "user": "Alex Wilber", "DeviceId": "5853AB3B1B145EAA9785B5BB7C10404F",
            "DeviceModel": "iPhone", "DeviceAccessStateReason": "Global"}]
cmdlets:
  description: The commands sent (or that would be sent, in check mode), with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"cmdlet": "Set-CASMailbox", "parameters": {"Identity": "alex"}}]
backup_file:
  description: The backup file of the task (see O(backup_dir)), holding each changed mailbox's device id lists as
    they were.
  returned: when the task changed something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T140000000000Z-activesync_quarantine-9c1d2e.json
'''

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.actions import ALLOWED, BLOCKED, list_change
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_for, backup_options, backup_path
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.cas_mailbox import CasMailbox
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import send

DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SHOWN = ("DeviceId", "DeviceModel", "DeviceType", "DeviceOS", "ClientType", "FriendlyName", "FirstSyncTime",
         "DeviceAccessState", "DeviceAccessStateReason", "DeviceAccessControlRule")


def check(params):
    seen = {}
    for option in ("approve", "deny"):
        for position, device_id in enumerate(params[option]):
            where = "%s[%d]" % (option, position)
            if not isinstance(device_id, str) or not DEVICE_ID.match(device_id.strip()):
                raise ConfigError(where, "is not one Exchange device id", value=device_id, kind="Option",
                                  accepted="one DeviceId as this module or mobile_device_info lists it: letters, "
                                           "digits, - and _ only")
            key = device_id.strip().lower()
            if key in seen and seen[key][0] != option:
                raise ConfigError(where, "is also in %s" % seen[key][1], value=device_id, kind="Option",
                                  accepted="each device id in approve or in deny, not both")
            seen[key] = (option, where)


def owner(device):
    return str(device.get("Identity") or "").split("\\", 1)[0]


def shown(device):
    row = dict((k, device.get(k)) for k in SHOWN)
    row.update(mailbox=owner(device), user=device.get("UserDisplayName"))
    return row


def run(module):
    params = module.params
    check(params)
    exchange = module.exchange
    devices = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}))
    by_id = {}
    for device in devices:
        by_id.setdefault(str(device.get("DeviceId") or "").lower(), []).append(device)
    wanted = [("allowed", d.strip()) for d in params["approve"]] + [("blocked", d.strip()) for d in params["deny"]]
    unknown = [device_id for _state, device_id in wanted if device_id.lower() not in by_id]
    if unknown:
        raise ConfigError("approve" if unknown[0] in [d.strip() for d in params["approve"]] else "deny",
                          "names %d device id(s) that no mailbox has a partnership with: %s"
                          % (len(unknown), ", ".join(unknown)), value=unknown[0], kind="Option",
                          accepted="device ids that this module lists")
    lists, order = {}, []
    for state, device_id in wanted:
        for device in by_id[device_id.lower()]:
            mailbox = owner(device)
            if mailbox not in lists:
                cas = list(exchange.invoke("Get-CASMailbox", {"Identity": mailbox}))
                cas = cas[0] if cas else {}
                lists[mailbox] = {"before": {ALLOWED: list(cas.get(ALLOWED) or []),
                                             BLOCKED: list(cas.get(BLOCKED) or [])}, "parameters": {},
                                  "identity": CasMailbox().identifying(cas)}
                lists[mailbox]["after"] = dict((k, list(v)) for k, v in lists[mailbox]["before"].items())
                order.append(mailbox)
            entry = lists[mailbox]
            parameters, allowed, blocked = list_change(state, device["DeviceId"], entry["after"][ALLOWED],
                                                       entry["after"][BLOCKED])
            entry["after"] = {ALLOWED: allowed, BLOCKED: blocked}
            for name, change in (parameters or {}).items():
                merged = entry["parameters"].setdefault(name, {"@odata.type": change["@odata.type"]})
                for verb in ("Add", "Remove"):
                    if verb in change:
                        merged.setdefault(verb, []).extend(change[verb])
    cmdlets = [{"cmdlet": "Set-CASMailbox", "parameters": dict(lists[m]["parameters"], Identity=m)}
               for m in order if lists[m]["parameters"]]
    changed = bool(cmdlets)
    if changed and not module.check_mode:
        # each mailbox's lists as they were go into the backup file (one save) before the first command
        send(exchange, backup_for(module), CasMailbox(), [
            dict(step, action="update", name=mailbox, before=lists[mailbox]["before"],
                 identity=lists[mailbox]["identity"])
            for step, mailbox in zip(cmdlets, [m for m in order if lists[m]["parameters"]])])
        devices = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}))
        quarantined = [shown(d) for d in devices if d.get("DeviceAccessState") == "Quarantined"]
    else:
        decided = dict((d.lower(), s) for s, d in wanted)
        quarantined = [shown(d) for d in devices if d.get("DeviceAccessState") == "Quarantined"
                       and str(d.get("DeviceId") or "").lower() not in decided]
    result = dict(changed=changed, cmdlets=cmdlets, quarantined=quarantined)
    if backup_path(module):
        result["backup_file"] = backup_path(module)
    if module.diff_mode:
        result["diff"] = dict(before=dict((m, lists[m]["before"]) for m in order if lists[m]["parameters"]),
                              after=dict((m, lists[m]["after"]) for m in order if lists[m]["parameters"]))
    return result


def main():
    spec = dict(approve=dict(type="list", elements="str", default=[]),
                deny=dict(type="list", elements="str", default=[]))
    spec.update(backup_options())
    module = TenantGuardModule(argument_spec=spec, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
