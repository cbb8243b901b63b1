#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: managed_app_wipe
short_description: Selectively wipe the corporate data of a user's managed apps on one device (by device tag)
version_added: 0.1.0
description:
  - Sends Intune's selective wipe for the app registrations of one user on one device, named by the device tag that
    the Intune SDK gives the apps of a device (C(deviceTag), as M(tenantguard.m365.mobile_device_info) with
    O(tenantguard.m365.mobile_device_info#module:source=mam) lists it), through
    C(POST /users/{id}/wipeManagedAppRegistrationsByDeviceTag). The apps remove the organisation's data at their
    next check-in; personal data and the device itself are left alone.
  - Only with O(confirm_wipe=true), as for Exchange wipes in M(tenantguard.m365.mobile_device).
  - The user and the registrations are read first (beta C(/users/{id}/managedAppRegistrations) with
    C($expand=operations)); a device tag with no registration of that user fails before anything is sent.
  - Idempotent. A device whose registrations already carry a wipe operation that has not failed is not wiped again;
    this rests on the wipe showing as an operation of the registration, which Microsoft does not document (the
    sandbox models it so).
author:
  - TenantGuard contributors (@tenantguard)
options:
  user:
    description:
      - The user principal name or object id of the user whose apps are wiped.
    type: str
    required: true
  device_tag:
    description:
      - The C(deviceTag) of the user's app registrations on the device.
    type: str
    required: true
  confirm_wipe:
    description:
      - Must be V(true). A selective wipe removes the organisation's data from the apps and cannot be undone.
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the user and the device's registrations and reports whether it would wipe, without sending.
    support: full
  diff_mode:
    description: Shows the device's apps and whether a wipe is requested, before and after.
    support: full
notes:
  - Needs the application permission C(DeviceManagementApps.ReadWrite.All) and C(User.Read.All) to find the user.
seealso:
  - name: wipeManagedAppRegistrationsByDeviceTag
    description: The Graph action this module sends.
    link: https://learn.microsoft.com/graph/api/intune-mam-user-wipemanagedappregistrationsbydevicetag
'''

EXAMPLES = r'''
- name: Wipe corporate data from Megan's lost iPhone (Outlook, Teams)
  tenantguard.m365.managed_app_wipe:
    user: megan@contoso.onmicrosoft.com
    device_tag: 1D7B44E0-MEGAN-IPHONE
    confirm_wipe: true
'''

RETURN = r'''
registrations:
  description: The user's app registrations on the device, as read back after the task (as read before it, in check
    mode), each with C(id), C(app), C(platform), C(deviceName), C(deviceTag) and C(operations).
  returned: always
  type: list
  elements: dict
  sample: [{"app": "com.microsoft.Office.Outlook", "deviceTag": "1D7B44E0-MEGAN-IPHONE",
            "operations": [{"displayName": "Wipe", "state": "pending"}]}]
wipe_requested:
  description: Whether a wipe is requested for the device after the task (as it would be, in check mode).
  returned: always
  type: bool
  sample: true
'''

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.actions import app_wipe_requested
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import MAM_EXPAND, mam_row
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule

# The Intune SDK's device tags are letters, digits and dashes; a slash, quote or space cannot be one.
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
USER = re.compile(r"^[^/\\?#\s]+$")


def argument_spec():
    return dict(
        user=dict(type="str", required=True),
        device_tag=dict(type="str", required=True),
        confirm_wipe=dict(type="bool", default=False),
    )


def check(params):
    if not params["confirm_wipe"]:
        raise ConfigError("confirm_wipe", "must be true to wipe; a selective wipe cannot be undone",
                          value=params["confirm_wipe"], accepted="confirm_wipe: true", kind="Option")
    if not TAG.match(params["device_tag"].strip()):
        raise ConfigError("device_tag", "is not a device tag", value=params["device_tag"], kind="Option",
                          accepted="the deviceTag that mobile_device_info (source mam) lists: letters, digits, "
                                   "dots, dashes and underscores")
    if not USER.match(params["user"].strip()):
        raise ConfigError("user", "is not a user principal name or object id", value=params["user"], kind="Option",
                          accepted="a user principal name such as megan@contoso.onmicrosoft.com or an object id")


def registrations_on(graph, user_id, tag):
    return [mam_row(r)
            for r in graph.list("/users/%s/managedAppRegistrations" % user_id, api_version="beta",
                                query={"$expand": MAM_EXPAND})
            if str(r.get("deviceTag") or "").lower() == tag.lower()]


def run(module):
    params = module.params
    check(params)
    graph = module.graph
    name, tag = params["user"].strip(), params["device_tag"].strip()
    try:
        user = graph.get("/users/%s" % name, query={"$select": "id,userPrincipalName,displayName"})
    except GraphError as exc:
        if exc.status != 404:
            raise
        raise ConfigError("user", "names no user of the tenant", value=name, kind="Option",
                          accepted="the user principal name or object id of an existing user")
    registrations = registrations_on(graph, user["id"], tag)
    if not registrations:
        raise ConfigError("device_tag", "names no app registration of user %s, so there is nothing to wipe"
                          % user.get("userPrincipalName"), value=tag, kind="Option",
                          accepted="a deviceTag that mobile_device_info (source mam) lists for the user")
    before = any(app_wipe_requested(r) for r in registrations)
    changed = not before
    if changed and not module.check_mode:
        graph.post("/users/%s/wipeManagedAppRegistrationsByDeviceTag" % user["id"], body={"deviceTag": tag})
        registrations = registrations_on(graph, user["id"], tag)
    after = True if module.check_mode else any(app_wipe_requested(r) for r in registrations)
    result = dict(changed=changed, registrations=registrations, wipe_requested=after)
    if module.diff_mode:
        apps = sorted(set(r.get("app") or r.get("id") for r in registrations))
        header = "%s %s" % (user.get("userPrincipalName"), tag)
        result["diff"] = dict(before={"apps": apps, "wipe_requested": before},
                              after={"apps": apps, "wipe_requested": after}, before_header=header,
                              after_header=header + " (wiped)")
    return result


def main():
    module = TenantGuardModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
