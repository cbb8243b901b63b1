#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mobile_device_info
short_description: Inventory of mobile devices from Exchange Online, Intune, Entra ID and app protection
version_added: 0.1.0
description:
  - Lists the phones and tablets that reach the tenant, from Exchange Online mobile device partnerships
    (C(Get-MobileDevice) through the Exchange admin API), Intune managed devices, Entra ID devices and Intune
    managed app registrations (the apps, such as Outlook and Teams, that check in with app protection), or all
    four joined into one record per phone.
  - Exchange rows keep Exchange's field names (C(FriendlyName), C(DeviceId), C(DeviceOS), C(ClientType), ...).
    C(ClientType) tells Outlook for iOS and Android over REST (V(REST)) or over the native Microsoft sync
    technology (V(Outlook)) from the native mail apps over Exchange ActiveSync (V(EAS)).
  - Filters are sent to the service only where it honours them (Exchange C(-Filter) on its documented
    properties and C(-Mailbox); Intune C($filter) on operating system, compliance state and last sync time);
    every filter is also applied to every row the module reads, so the answer is the same either way.
  - Pages are read one after the other and reduced to the selected fields as they arrive. With O(limit), only
    that many records are kept in memory.
  - The summary counts devices by source, client type, operating system, access state and management, and lists
    the users whose only mobile mail client is a native Exchange ActiveSync app.
author:
  - TenantGuard contributors (@tenantguard)
options:
  source:
    description:
      - Where the devices come from.
      - V(exchange) is C(Get-MobileDevice) with C(ResultSize Unlimited); it needs the C(Exchange.ManageAsApp)
        permission and an Exchange administrator role for the application.
      - V(intune) is the beta C(/deviceManagement/managedDevices) (permission
        C(DeviceManagementManagedDevices.Read.All)).
      - V(entra) is C(/devices) (permission C(Device.Read.All)).
      - V(mam) is the beta C(/deviceAppManagement/managedAppRegistrations) with their applied and intended app
        protection policies and operations (permission C(DeviceManagementApps.Read.All)); one row per app on a
        phone, with C(platform), C(app) (bundle or package id), the policies by name and C(operations).
      - V(all) reads the four and returns one record per phone, so it needs every permission above. Exchange
        C(DeviceId) is joined to Intune C(easDeviceId), then an Exchange row and an Intune device of the same user
        and model are joined when that pair is unique on both sides. App registrations of one user with the same
        C(managedDeviceId), else C(azureADDeviceId), else C(deviceTag) are one phone, joined to the Intune
        device of that id. An Exchange Outlook for iOS and Android row (V(REST) or V(Outlook)) joins the phone of the
        same user (C(ExchangeObjectId) = C(userId)) and operating system that runs Outlook, when that user has
        exactly one such row and one such phone (C(join) V(user+os)), since Outlook's Exchange device id is known to
        no other service. Entra C(deviceId) is joined to Intune C(azureADDeviceId), else to the phone's
        C(azureADDeviceId). Each record keeps every source's fields under C(exchange), C(intune), C(entra) and
        C(mam) (a list, one item per app), and C(sources) names the services that saw the phone.
    type: str
    choices: [exchange, intune, entra, mam, all]
    default: all
  filters:
    description:
      - Only devices that satisfy every given filter are returned. A filter with a list matches any of its values.
        Text comparisons ignore case.
      - A filter that no field of O(source) can answer (for example O(filters.client_type) with V(intune)) is
        refused before any request.
      - With O(source=all), a joined record matches a filter when any of its parts does.
    type: dict
    suboptions:
      device_model:
        description:
          - Exchange C(DeviceModel), Intune and Entra C(model), app registration C(deviceModel), for example
            V(Outlook for iOS and Android).
        type: list
        elements: str
      client_type:
        description:
          - Exchange C(ClientType), such as V(EAS), V(REST), V(Outlook). Exchange only.
        type: list
        elements: str
      os:
        description:
          - Operating system, such as V(iOS) or V(Android). Matches the whole value or its first word, so
            V(iOS) matches Exchange's C(DeviceOS) V(iOS 18.1) and Intune's C(operatingSystem) V(iOS).
        type: list
        elements: str
      user:
        description:
          - User principal names. Each is looked up in Entra ID before any device is read; an unknown name fails
            the task. Exchange rows belong to a user by C(ExchangeObjectId) or mailbox alias, Intune devices by
            C(userId) or C(userPrincipalName), app registrations by C(userId). Not available for V(entra).
        type: list
        elements: str
      group:
        description:
          - Display names of groups; their members (transitively) are the users. Combined with O(filters.user),
            a device of any of the users matches. Not available for V(entra).
        type: list
        elements: str
      access_state:
        description:
          - Exchange C(DeviceAccessState) (V(Allowed), V(Blocked), V(Quarantined), V(DeviceDiscovery)) or Intune
            C(exchangeAccessState) (V(allowed), V(blocked), V(quarantined), V(none), V(unknown)).
        type: list
        elements: str
      management_state:
        description:
          - V(managed) (enrolled in Intune, or an Entra device marked managed, or an app registration that names a
            managed device) or V(unmanaged).
          - Not available for V(exchange), which does not know it.
        type: list
        elements: str
      compliance:
        description:
          - Intune C(complianceState) (V(compliant), V(noncompliant), V(inGracePeriod), V(conflict), V(error),
            V(configManager), V(unknown)); Entra C(isCompliant) reads as V(compliant) or V(noncompliant).
        type: list
        elements: str
      last_seen_before:
        description:
          - Only devices last seen before this moment, an ISO 8601 date or date and time (UTC unless an offset
            is given), such as V(2026-06-30) or V(2026-06-30T12:00:00Z).
          - Last seen is Exchange C(LastSuccessSync) (this turns O(statistics) on), Intune C(lastSyncDateTime),
            Entra C(approximateLastSignInDateTime) and the app registration's C(lastSyncDateTime). A device without that time never matches, so Outlook
            for iOS and Android rows, which have no sync time in Exchange, only match through their Intune or
            Entra part.
        type: str
      last_seen_after:
        description:
          - Only devices last seen after this moment; see O(filters.last_seen_before).
        type: str
  server_side_filters:
    description:
      - Send the filters the service honours with the request (fewer rows to read).
      - V(false) reads every row and filters them here; the result is the same. Useful to compare both.
      - With O(source=all), filters are always applied after the join, since the join needs the whole picture.
    type: bool
    default: true
  statistics:
    description:
      - Add C(LastSuccessSync), C(LastSyncAttemptTime) and C(Status) to Exchange rows from
        C(Get-MobileDeviceStatistics), one request per mailbox that has devices.
      - Outlook for iOS and Android does not report ActiveSync sync times; its rows carry null times and a
        C(StatisticsNote) that says so.
    type: bool
    default: false
  compliance_status:
    description:
      - With O(source=intune) or O(source=all), add to each Intune device the compliance policies that evaluate
        it, the settings it fails and when its grace period ends (see RV(devices)).
      - Read per policy and per failing setting, not per device (beta C(deviceCompliancePolicies) with their
        C(deviceStatuses), C(deviceCompliancePolicySettingStateSummaries) with the C(deviceComplianceSettingStates)
        of each setting some device fails), so it needs C(DeviceManagementConfiguration.Read.All) too.
      - V(false) leaves these fields out and sends none of these requests.
    type: bool
    default: true
  limit:
    description:
      - Return at most this many records (the first in the sort order). The summary still counts every match.
    type: int
  summary:
    description:
      - Return RV(summary).
    type: bool
    default: true
  return_devices:
    description:
      - Return the devices in RV(devices) when neither O(dest) nor O(csv_dest) is set.
      - V(false) returns only RV(count) and RV(summary); the devices are still read and counted, and no record
        travels through Ansible. The report roles use it in check mode, where they write no file unless asked to.
    type: bool
    default: true
  return_first:
    description:
      - With O(dest) or O(csv_dest), also return the first this many records (in the sort order) in RV(devices);
        the files still hold every record. The device report uses it to list phones without reading its files back.
    type: int
  dest:
    description:
      - Write the devices to this file on the host that runs the module, as a JSON array with one record a line,
        in the sort order, instead of returning them in RV(devices).
      - For large tenants. Records are streamed to the file, so memory does not grow with their number; the task
        still returns RV(summary) and RV(count).
      - The file is created with mode C(0600) (it names users) and replaced as a whole.
    type: path
  csv_dest:
    description:
      - Write the devices to this file as CSV, one row a record, instead of returning them in RV(devices).
      - The columns are the main fields of O(source); for V(all), the joined fields, C(sources), C(join) and the
        ids of each part (C(exchange.DeviceId), C(exchange.Identity), C(intune.id), C(entra.id)).
      - Mode C(0600), replaced as a whole. Can be combined with O(dest).
    type: path
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - O(dest) and O(csv_dest) are written in check mode too; they are the answer of the query, not a change to the
    tenant, and the task never reports a change.
  - Records are sorted by user, then device name, then the source's id, so two runs over the same tenant return
    the same order.
  - Outlook for iOS and Android registers its own device id with Exchange, different from the one Intune and
    Entra know, so without app registrations (O(source=mam)) its Exchange rows stay separate from the phone's
    Intune record; with them, the user and operating system rule under O(source) joins them when it is unambiguous.
  - The join and the sort run in an SQLite scratch file (mode 0600, in the system's temporary directory, removed
    when the task ends), so memory does not grow with the number of devices.
seealso:
  - name: Get-MobileDevice
    description: The Exchange cmdlet and its filterable properties.
    link: https://learn.microsoft.com/powershell/module/exchange/get-mobiledevice
  - name: List managedDevices
    description: The Intune managed devices collection.
    link: https://learn.microsoft.com/graph/api/intune-devices-manageddevice-list
  - name: List managedAppRegistrations
    description: The Intune app protection registrations.
    link: https://learn.microsoft.com/graph/api/intune-mam-managedappregistration-list
'''

EXAMPLES = r'''
- name: Outlook for iOS and Android partnerships, REST and native sync told apart by ClientType
  tenantguard.m365.mobile_device_info:
    source: exchange
    filters:
      device_model: Outlook for iOS and Android
  register: outlook

- name: Show FriendlyName, DeviceId, DeviceOS and ClientType
  ansible.builtin.debug:
    msg: "{{ outlook.devices | map(attribute='ClientType') | list }}"

- name: Native mail apps (EAS) of the pilot group, last seen this year
  tenantguard.m365.mobile_device_info:
    source: exchange
    filters:
      client_type: EAS
      group: Mobile Pilot
      last_seen_after: "2026-01-01"

- name: One record per phone from every source, with the summary
  tenantguard.m365.mobile_device_info:
    source: all
  register: inventory

- name: Who would a "require app protection" policy cut off?
  ansible.builtin.debug:
    var: inventory.summary.eas_only_users

- name: Outlook users whose app has no applied app protection policy
  tenantguard.m365.mobile_device_info:
    source: mam
    filters:
      os: iOS
  register: registrations

- name: Non-compliant iOS devices in Intune
  tenantguard.m365.mobile_device_info:
    source: intune
    filters:
      os: iOS
      compliance: noncompliant
    limit: 100
'''

RETURN = r'''
devices:
  description:
    - The devices, sorted. For V(exchange), V(intune) and V(entra), the service's fields under its own names.
    - For V(all), one record per phone with C(sources), C(join) (V(easDeviceId), V(user+model), V(user+os) or
      null), C(mam_join) (V(managedDeviceId), V(azureADDeviceId) or null), C(user), C(user_id),
      C(user_display_name), C(device_name), C(model), C(os), C(client_type), C(access_state), C(management),
      C(compliance), C(apps), C(app_protection) (V(applied) when every Outlook registration of the phone has an
      applied app protection policy, V(missing) when one has none, null without registrations), C(last_seen), and
      the parts C(exchange), C(intune), C(entra) and C(mam) (null when a source did not see the phone).
    - Joined records also carry C(ownership) (V(company), V(personal) or null), C(enrollment) (how the phone is
      managed: V(android_personal_work_profile), V(android_fully_managed), V(android_dedicated),
      V(android_corporate_work_profile), V(android_device_administrator), V(ios_personal), V(ios_corporate),
      V(other_managed), V(mam_only) for a phone known only by its app registrations, V(unmanaged) for one only
      Exchange or Entra ID know), and, for an Intune device with O(compliance_status=true),
      C(compliance_policies) (C(policy) by display name and C(status) for each policy that evaluates the device),
      C(noncompliance_reasons) (the settings it fails, in words, such as V(Passcode required)) and
      C(grace_period_expires) (when the compliance grace period of a failing device ends, null when none runs).
    - Intune rows (V(intune), and C(intune) of joined records) add C(deviceEnrollmentType), C(ownerType),
      C(joinType), C(deviceType) and C(complianceGracePeriodExpirationDateTime) as Graph (beta) names them and,
      with O(compliance_status=true), C(compliance_policies), C(noncompliance_settings) (Intune's setting keys,
      such as V(IosCompliancePolicy.PasscodeRequired)), C(noncompliance_reasons) and C(grace_period_expires).
  returned: when neither O(dest) nor O(csv_dest) is set and O(return_devices=true), or the first O(return_first)
    records when it is set
  type: list
  elements: dict
  sample:
    - FriendlyName: Adele's phone
      DeviceId: AEED778CCAA754F3B0D917B4AF790AC9
      DeviceOS: iOS 18.1
      DeviceModel: Outlook for iOS and Android
      ClientType: REST
      DeviceAccessState: Allowed
      Identity: "adele\\ExchangeActiveSyncDevices\\REST\u00a7Outlook\u00a7AEED778CCAA754F3B0D917B4AF790AC9"
summary:
  description:
    - Counts over every matching device (not only the O(limit) returned).
    - C(eas_only_users) lists the users whose Exchange partnerships are all native ActiveSync apps (C(ClientType)
      V(EAS)), with no Outlook for iOS and Android (V(REST) or V(Outlook)).
    - C(outlook_unprotected_users) (sources V(mam) and V(all)) lists the users whose Outlook for iOS or Android
      registration has no applied app protection policy (C(user_id), C(user), C(display_name) when another
      source names them, and C(devices) with the intended policies), whom a C(compliantApplication) requirement
      blocks.
    - C(by_compliance) (sources V(intune) and V(all)) counts Intune devices by C(complianceState);
      C(by_enrollment) (source V(all)) counts phones by C(enrollment).
  returned: when O(summary=true)
  type: dict
  sample:
    total: 8
    by_source: {exchange: 8}
    by_client_type: {EAS: 4, REST: 3, Outlook: 1}
    by_os: {iOS: 4, Android: 4}
    by_access_state: {Allowed: 8}
    by_management: {}
    eas_only_users: [{user: alex, display_name: Alex Wilber, eas_devices: 1}]
count:
  description: How many devices matched the filters (before O(limit)).
  returned: always
  type: int
  sample: 8
server_side:
  description: What was sent to each service as a filter (C(Filter) and C(Mailbox) for Exchange, C($filter)
    for Intune); empty when everything was filtered here.
  returned: always
  type: dict
  sample: {exchange: {Filter: "DeviceModel -eq 'Outlook for iOS and Android'"}}
dest:
  description: The absolute path of the JSON file written.
  returned: when O(dest) is set
  type: str
  sample: /srv/reports/devices.json
csv_dest:
  description: The absolute path of the CSV file written.
  returned: when O(csv_dest) is set
  type: str
  sample: /srv/reports/devices.csv
tenant_id:
  description: The tenant that was read (the connection's tenant id or domain).
  returned: always
  type: str
  sample: contoso.onmicrosoft.com
read_at:
  description: When the read began, in UTC (ISO 8601).
  returned: always
  type: str
  sample: "2026-12-06T09:30:00Z"
requests:
  description: How many HTTP requests were sent to Graph and to Exchange (pages, lookups and retries).
  returned: always
  type: dict
  sample: {graph: 0, exchange: 1}
'''

import datetime
import os

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import FILTER_FIELDS, FilterError
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.inventory import Inventory
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.output import write_csv, write_json
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule

LIST_FILTERS = ("device_model", "client_type", "os", "user", "group", "access_state", "management_state",
                "compliance")


def argument_spec():
    suboptions = {}
    for name in FILTER_FIELDS:
        if name in LIST_FILTERS:
            suboptions[name] = dict(type="list", elements="str")
        else:
            suboptions[name] = dict(type="str")
    return dict(
        source=dict(type="str", default="all", choices=["exchange", "intune", "entra", "mam", "all"]),
        filters=dict(type="dict", options=suboptions),
        server_side_filters=dict(type="bool", default=True),
        statistics=dict(type="bool", default=False),
        compliance_status=dict(type="bool", default=True),
        limit=dict(type="int"),
        summary=dict(type="bool", default=True),
        return_devices=dict(type="bool", default=True),
        dest=dict(type="path"),
        csv_dest=dict(type="path"),
        return_first=dict(type="int"),
    )


def config_error(exc):
    option = exc.field if exc.field in ("source", "limit") else "filters.%s" % exc.field
    return ConfigError(option, exc.problem, accepted=exc.accepted, value=exc.value, kind="Option")


def run(module):
    params = module.params
    try:
        inventory = Inventory(params["source"], params["filters"], server_side_filters=params["server_side_filters"],
                              statistics=params["statistics"], limit=params["limit"],
                              compliance=params["compliance_status"])
    except FilterError as exc:
        raise config_error(exc)
    for option in ("dest", "csv_dest"):
        if params[option] and not os.path.isdir(os.path.dirname(os.path.abspath(params[option]))):
            raise ConfigError(option, "names a file in a directory that does not exist", value=params[option],
                              accepted="a path in an existing directory", kind="Option")
    if params["return_first"] is not None and params["return_first"] < 1:
        raise ConfigError("return_first", "must be 1 or more", value=params["return_first"],
                          accepted="a positive integer, or unset", kind="Option")
    read_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        spill, summary = inventory.collect(lambda: module.graph, lambda: module.exchange)
    except FilterError as exc:
        raise config_error(exc)
    requests = {
        "graph": module._graph.stats["requests"] if module._graph is not None else 0,  # pylint: disable=protected-access
        "exchange": module._exchange.stats["requests"] if module._exchange is not None else 0,  # pylint: disable=protected-access
    }
    result = dict(changed=False, count=summary["total"], server_side=inventory.sent, requests=requests,
                  tenant_id=module.settings.tenant_id, read_at=read_at)
    try:
        if params["dest"]:
            result["dest"] = write_json(params["dest"], spill.records())
        if params["csv_dest"]:
            result["csv_dest"] = write_csv(params["csv_dest"], spill.records(), params["source"])
        if not params["dest"] and not params["csv_dest"] and params["return_devices"]:
            result["devices"] = list(spill.records())
        elif params["return_first"] and (params["dest"] or params["csv_dest"]):
            result["devices"] = [r for _n, r in zip(range(params["return_first"]), spill.records())]
    finally:
        spill.close()
    if params["summary"]:
        result["summary"] = summary
    return result


def main():
    module = TenantGuardModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
