#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: named_location_info
short_description: List conditional access named locations
version_added: 0.1.0
description:
  - Lists the tenant's Microsoft Entra named locations, all of them or those matching O(id) or O(display_name).
  - Each location is returned as Graph JSON together with C(params), the options of
    M(tenantguard.m365.named_location) that recreate it; feeding C(params) back to that module changes nothing. That is
    how a tenant's locations are exported to code.
  - The locations are read with one paged request, whatever the filters.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description:
      - Return only the location with this id.
    type: str
  display_name:
    description:
      - Return only the locations with this name. Names match exactly, and when no location has the exact name,
        without regard to case.
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - The application needs the Graph permission C(Policy.Read.All).
seealso:
  - module: tenantguard.m365.named_location
'''

EXAMPLES = r'''
- name: Every named location
  tenantguard.m365.named_location_info:
  register: locations

- name: One location, by name
  tenantguard.m365.named_location_info:
    display_name: Head office
  register: head_office

- name: Export the locations, then apply the export to another tenant
  tenantguard.m365.named_location:
    named_locations: "{{ locations.named_locations | map(attribute='params') | list }}"
'''

RETURN = r'''
named_locations:
  description:
    - The locations, as Graph JSON (without C(@odata.context)), each with C(params).
  returned: always
  type: list
  elements: dict
  contains:
    params:
      description: The options of M(tenantguard.m365.named_location) that recreate the location (no id).
      type: dict
      returned: always
      sample: {"display_name": "Head office", "type": "ip", "ip_ranges": ["203.0.113.0/24"], "is_trusted": true}
  sample:
    - "@odata.type": "#microsoft.graph.countryNamedLocation"
      id: 1c4427fd-0885-4a3d-8b23-09a899ffa959
      displayName: Operating countries
      createdDateTime: "2025-01-10T09:12:44.1234567Z"
      modifiedDateTime: "2025-01-10T09:12:44.1234567Z"
      countriesAndRegions: [US, GB]
      includeUnknownCountriesAndRegions: false
      countryLookupMethod: clientIpAddress
      params:
        display_name: Operating countries
        type: country
        countries_and_regions: [US, GB]
        include_unknown_countries_and_regions: false
        country_lookup_method: clientIpAddress
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.object_ids import check_id
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
    NamedLocationType, graph_to_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import ResourceEngine, info_item


def run(module):
    params = module.params
    check_id(params["id"])
    engine = ResourceEngine.for_module(module, NamedLocationType())
    found = engine.objects()
    if params["id"]:
        found = [o for o in found if str(o.get("id", "")).lower() == params["id"].strip().lower()]
    if params["display_name"]:
        named = engine.by_name(params["display_name"])
        found = [o for o in found if any(o is n for n in named)]
    return {"changed": False, "named_locations": [info_item(o, graph_to_options(o)) for o in found]}


def main():
    module = TenantGuardModule(
        argument_spec=dict(id=dict(type="str"), display_name=dict(type="str")),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
