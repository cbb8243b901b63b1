# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The known_groups option of the modules that assign Intune app policies to groups (app_protection_policy,
app_configuration_policy)."""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  known_groups:
    description:
      - Groups an earlier task of the play found by name, with their ids, so that they are not looked up again. The
        roles pass the C(groups) that M(tenantguard.m365.device_compliance_policy) returned to
        M(tenantguard.m365.app_protection_policy) (C(tenant_hardening)), and those that
        M(tenantguard.m365.app_protection_policy) returned to M(tenantguard.m365.app_configuration_policy)
        (C(app_protection)).
      - A group in O(assignments) given exactly as a listed O(known_groups[].display_name), or by its id, resolves to
        that id; any other group is looked up as without this option. A name listed with two different ids is looked
        up.
    type: list
    elements: dict
    suboptions:
      id:
        description: The object id of the group (a GUID).
        type: str
        required: true
      display_name:
        description: Its display name, as the tenant spells it.
        type: str
        required: true
"""
