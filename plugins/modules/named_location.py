#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: named_location
short_description: Manage conditional access named locations
version_added: 0.1.0
description:
  - Creates, updates and deletes Microsoft Entra named locations (C(ipNamedLocation) and C(countryNamedLocation)),
    which conditional access policies use to include or exclude networks and countries.
  - The options mirror Microsoft Graph's properties in snake_case. Options left out are not touched on an existing
    location.
  - A location is found by O(id), or else by O(display_name). Names match exactly, and when no location has the exact
    name, without regard to case, so that C(VPN) and C(vpn) never become two locations (the location found then
    takes the name as written). A name that matches two locations is an error listing their ids; the module never
    creates a second location with the same name.
  - Lists are compared as sets. IP ranges compare as the networks they designate, so
    C(2001:0:9d38:90d6:0:0:0:0/63) equals C(2001:0:9d38:90d6::/63), and country codes compare in upper case.
  - After creating a location the module waits, at most 60 seconds, until Graph returns it, so that a task run right
    after cannot miss it and create a duplicate.
  - With O(named_locations), one task converges a whole list of locations with a single read of the tenant's named
    locations, and can delete the locations it does not declare (O(purge)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of the location (Graph C(displayName)).
      - Identifies the location when O(id) is not given; with O(id), a different name renames the location.
      - Required to create a location.
    type: str
  id:
    description:
      - The id of an existing location. An id cannot be chosen for a new location.
      - If O(display_name) is also given and another location has that name, the task fails and names both.
    type: str
  type:
    description:
      - V(ip) for an C(ipNamedLocation) (IP ranges), V(country) for a C(countryNamedLocation) (countries and
        regions).
      - Required to create a location, unless the other options show it (O(ip_ranges) or O(countries_and_regions)).
      - Graph cannot change the type of an existing location; asking for another type is an error.
    type: str
    choices: [ip, country]
  ip_ranges:
    description:
      - The IPv4 and IPv6 ranges of an IP location, in CIDR notation, such as C(203.0.113.0/24) or C(2001:db8::/48)
        (Graph C(ipRanges); each is sent as an C(iPv4CidrRange) or C(iPv6CidrRange)).
      - A bare address without a prefix length is refused, and so is a prefix wider than C(/8), the limit Entra
        documents. Host bits may be set, as in Graph's own example C(12.34.221.11/22).
      - The list replaces the location's ranges; their order does not matter.
    type: list
    elements: str
  is_trusted:
    description:
      - Whether the IP location is a trusted location (Graph C(isTrusted)). Graph's default is V(false).
    type: bool
  countries_and_regions:
    description:
      - The ISO 3166-1 alpha-2 codes of a country location, such as C(US) or C(GB), in any case (Graph
        C(countriesAndRegions), stored in upper case).
      - The list replaces the location's codes; their order does not matter.
    type: list
    elements: str
  include_unknown_countries_and_regions:
    description:
      - Whether addresses that map to no country or region belong to the country location (Graph
        C(includeUnknownCountriesAndRegions)). Graph's default is V(false).
    type: bool
  country_lookup_method:
    description:
      - How Entra decides which country a sign-in comes from (Graph C(countryLookupMethod)), either
        C(clientIpAddress) (Graph's default) or C(authenticatorAppGps), matched without regard to case.
    type: str
  state:
    description:
      - V(present) creates or updates the location, V(absent) deletes it. Deleting a location that does not exist
        changes nothing.
      - With O(named_locations), the state of each item that sets none.
      - Graph refuses to delete a location that a conditional access policy uses.
    type: str
    choices: [present, absent]
    default: present
  named_locations:
    description:
      - Set mode. A list of locations to converge in one task, each with the options of a single location.
      - Cannot be combined with the options of a single location (O(display_name), O(id), O(type), ...).
      - Every item is checked, and every change planned, before anything is written.
      - Two items may not designate the same location or carry the same name.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: The name of the location; see O(display_name).
        type: str
      id:
        description: The id of an existing location; see O(id).
        type: str
      type:
        description: The type of the location; see O(type).
        type: str
        choices: [ip, country]
      ip_ranges:
        description: See O(ip_ranges).
        type: list
        elements: str
      is_trusted:
        description: See O(is_trusted).
        type: bool
      countries_and_regions:
        description: See O(countries_and_regions).
        type: list
        elements: str
      include_unknown_countries_and_regions:
        description: See O(include_unknown_countries_and_regions).
        type: bool
      country_lookup_method:
        description: See O(country_lookup_method).
        type: str
      state:
        description:
          - V(present) or V(absent) for this location.
          - If not set, the top-level O(state).
        type: str
        choices: [present, absent]
  purge:
    description:
      - With O(named_locations), delete the existing locations that no item declares and whose name matches
        O(purge_name_pattern). Locations whose name does not match are never touched.
      - Purging without O(purge_name_pattern) is refused.
    type: bool
    default: false
  purge_name_pattern:
    description:
      - A Python regular expression that the WHOLE display name of a location must match, without regard to case,
        for O(purge) to delete it, for example V(TG - .*) for the locations whose names start with C(TG - ).
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted locations; writes nothing.
    support: full
  diff_mode:
    description: Shows each location before and after, as module options.
    support: full
notes:
  - The application needs the Graph permission C(Policy.ReadWrite.ConditionalAccess) (and C(Policy.Read.All)).
  - Requests to named locations are spaced to about one per second per tenant, the limit Graph sets for them.
seealso:
  - module: tenantguard.m365.named_location_info
  - name: namedLocation resource type
    description: The Graph resource this module manages.
    link: https://learn.microsoft.com/graph/api/resources/namedlocation
'''

EXAMPLES = r'''
- name: Trust the head office networks
  tenantguard.m365.named_location:
    display_name: Head office
    type: ip
    ip_ranges:
      - 203.0.113.0/24
      - 2001:db8:1::/48
    is_trusted: true

- name: Countries from which sign-ins are expected
  tenantguard.m365.named_location:
    display_name: Operating countries
    type: country
    countries_and_regions: [us, gb, de]
    include_unknown_countries_and_regions: false

- name: Rename a location found by its id
  tenantguard.m365.named_location:
    id: 0854951d-5fc0-4eb1-b392-9b2c9d7949c2
    display_name: Head office (London)

- name: Delete a location
  tenantguard.m365.named_location:
    display_name: Old branch
    state: absent

- name: Converge every location the baseline owns, and delete those it no longer declares
  tenantguard.m365.named_location:
    named_locations:
      - display_name: TG - Head office
        ip_ranges: [203.0.113.0/24]
        is_trusted: true
      - display_name: TG - Blocked countries
        countries_and_regions: [KP, IR]
      - display_name: TG - Retired branch
        state: absent
    purge: true
    purge_name_pattern: "TG - .*"
'''

RETURN = r'''
named_location:
  description:
    - The location as Graph stores it after the task, as Graph JSON.
    - In check mode, the predicted location (without C(id) for a location that would be created).
    - Null when the location is absent.
  returned: when O(named_locations) is not used
  type: dict
  sample:
    "@odata.type": "#microsoft.graph.ipNamedLocation"
    id: 0854951d-5fc0-4eb1-b392-9b2c9d7949c2
    displayName: Head office
    createdDateTime: "2025-01-10T09:12:44.1234567Z"
    modifiedDateTime: "2025-01-10T09:12:44.1234567Z"
    isTrusted: true
    ipRanges:
      - "@odata.type": "#microsoft.graph.iPv4CidrRange"
        cidrAddress: 203.0.113.0/24
action:
  description: What the task did (or would do in check mode) to the location.
  returned: when O(named_locations) is not used
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: created
named_locations:
  description: The locations of the items whose state is present, in the order of O(named_locations), as Graph JSON.
  returned: when O(named_locations) is used
  type: list
  elements: dict
  sample: []
actions:
  description:
    - One entry per location created, updated or deleted (or that would be, in check mode).
    - Locations deleted by O(purge) have C(purged=true).
  returned: when O(named_locations) is used
  type: list
  elements: dict
  sample: [{"display_name": "TG - Head office", "id": "0854951d-5fc0-4eb1-b392-9b2c9d7949c2", "action": "updated",
            "purged": false}]
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-named_location-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
    NamedLocationType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule


class NamedLocationModule(ResourceModule):
    """The named locations: one object, or a set (O(named_locations)) with purge."""

    list_option = "named_locations"
    object_options = staticmethod(object_options)
    to_graph = staticmethod(options_to_graph)

    def resource_type(self, module):
        return NamedLocationType()


def main():
    NamedLocationModule().main()


if __name__ == "__main__":
    main()
