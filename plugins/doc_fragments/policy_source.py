# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that choose the conditional access policies a read-only module works on: the tenant's, or those
declared as to conditional_access_policy, planned without writing (license_readiness_info,
conditional_access_coverage_info). O(emergency_access) is documented by each module, since what it does there
differs."""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  conditional_access_policies:
    description:
      - Use these policies instead of the tenant's, in the form
        O(tenantguard.m365.conditional_access_policy#module:conditional_access_policies) takes (names are resolved
        against the tenant, templates applied). An item that designates an existing policy is that policy as it
        would be once the item is applied.
      - A new policy without C(policy_state) is report-only, as the module would create it.
    type: list
    elements: dict
  include_live_policies:
    description:
      - With O(conditional_access_policies), take the whole tenant as it would be once they are applied, the tenant's
        other policies too. Without it, only the declared policies count.
    type: bool
    default: false
  api_version:
    description: The Graph version policies are read with.
    type: str
    choices: [v1.0, beta]
    default: v1.0
"""
