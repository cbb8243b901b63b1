#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: license_readiness_info
short_description: Find the users in scope of each conditional access policy who lack the licence it needs
version_added: 0.1.0
description:
  - Reads the tenant's subscribed SKUs once and the licences of the users in scope of each conditional access policy,
    in bulk, and lists per policy the users who lack what the policy needs, before it is enforced. Nothing is
    written.
  - 'What a policy needs: Microsoft Entra ID P1 (service plan C(AAD_PREMIUM), or C(AAD_PREMIUM_P2)) for any
    conditional access policy (C(entra_id_p1)); Microsoft Entra ID P2 (C(AAD_PREMIUM_P2)) for a user risk or sign-in
    risk condition (C(entra_id_p2)); the Office apps (C(OFFICESUBSCRIPTION), C(OFFICE_BUSINESS) or
    C(OFFICEMOBILE_SUBSCRIPTION)) for a policy that requires an app protection policy or an approved client app, as
    the Outlook mobile policies do (C(office_apps)): Outlook for iOS and Android needs a subscription that includes
    the Office apps, and an Exchange Online-only user is not licensed for it; Microsoft Intune (C(INTUNE_A)) for the
    same policies and for a compliant device requirement (C(intune)).'
  - A user holds a service plan when one of the tenant's subscribed SKUs assigned to the user carries it, the
    assignment does not disable it (C(disabledPlans)) and the SKU is active (C(capabilityStatus) C(Enabled) or
    C(Warning)). Every disabled plan of a user in scope is listed in C(disabled_plans).
  - The users in scope are those the policy's user conditions include (all users, users, groups with their nested
    members, directory roles), less those it excludes. Guests and disabled accounts are counted, not checked.
    Disabled policies are left out.
  - The policies are the tenant's, read in one request, or those of O(conditional_access_policies), given as to
    M(tenantguard.m365.conditional_access_policy) and planned against the tenant without writing.
author:
  - TenantGuard contributors (@tenantguard)
options:
  emergency_access:
    description:
      - The emergency-access accounts, as O(tenantguard.m365.conditional_access_policy#module:emergency_access) takes
        them, for planning O(conditional_access_policies). Accounts a policy excludes are out of its scope.
    type: dict
    suboptions:
      users:
        description: Users, by user principal name or id.
        type: list
        elements: str
      groups:
        description: Groups, by display name or id.
        type: list
        elements: str
  checks:
    description: The requirements to check.
    type: list
    elements: str
    choices: [entra_id_p1, entra_id_p2, office_apps, intune]
    default: [entra_id_p1, entra_id_p2, office_apps, intune]
  office_apps_service_plans:
    description:
      - The service plans that count as the Office apps, by name or id, instead of C(OFFICESUBSCRIPTION),
        C(OFFICE_BUSINESS) and C(OFFICEMOBILE_SUBSCRIPTION). Each must be a plan of one of the tenant's subscribed
        SKUs or one of those three.
    type: list
    elements: str
  users_to_locate:
    description:
      - User object ids to look for in each policy's scope (such as the users whose Outlook has no applied app
        protection policy, from M(tenantguard.m365.mobile_device_info)); those in a policy's scope are listed in its
        C(located_users). The scope is read anyway, so this costs no request.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
  - tenantguard.m365.policy_source
notes:
  - The application needs the Graph permissions C(Policy.Read.All), C(Organization.Read.All) (or
    C(LicenseAssignment.Read.All)) for the subscribed SKUs, C(User.Read.All) for the users' licences,
    C(GroupMember.Read.All) for group members and C(RoleManagement.Read.Directory) for role members, or
    C(Directory.Read.All) for all of these.
  - Requests, for a tenant of N users, are the subscribed SKUs (one), the policies (one), the users in pages of 999
    when a policy includes all users, one paged read per group and per directory role the policies name, and one per
    15 users named one by one; never one per user.
seealso:
  - module: tenantguard.m365.conditional_access_coverage_info
  - module: tenantguard.m365.mobile_device_info
'''

EXAMPLES = r'''
- name: Licence gaps of the tenant's policies
  tenantguard.m365.license_readiness_info:
  register: licences

- name: Stop before enforcing when someone in scope lacks a licence
  ansible.builtin.assert:
    that: licences.readiness.counts.users_lacking == 0
    fail_msg: >-
      {{ licences.readiness.policies | map(attribute='users_lacking') | flatten
         | map(attribute='user_principal_name') | unique | join(', ') }} lack a licence

- name: Licence gaps of a baseline before it is applied
  tenantguard.m365.license_readiness_info:
    conditional_access_policies: "{{ baseline_policies }}"
    emergency_access:
      groups: [Emergency Access Accounts]
    checks: [entra_id_p1, office_apps]
  register: planned
'''

RETURN = r'''
readiness:
  description: The licence readiness of the policies.
  returned: always
  type: dict
  contains:
    policies:
      description:
        - One per enabled or report-only policy, with C(id), C(display_name), C(state), C(needs) (the requirements
          checked), C(users_in_scope), C(users_checked), C(guests_not_checked), C(disabled_accounts_not_checked),
          C(gaps) (per requirement with users lacking it, C(requirement), C(service_plans) and C(users), each with
          C(id), C(user_principal_name), C(display_name) and C(reason)), C(users_lacking) (each user with C(missing), a list of
          C(requirement) and C(reason)), C(located_users) (the ids of O(users_to_locate) in the policy's scope) and
          C(verdict) (C(ready) or C(licence_gaps)).
        - C(reason) is C(not_assigned) (no assigned SKU carries the plan), C(disabled_plan) (an assigned SKU carries
          it, disabled for the user) or C(sku_not_active) (the SKU is suspended or locked out).
      type: list
      elements: dict
      returned: always
      sample: [{"id": "6b5c8d0e-41c2-4b8f-9c5e-0d7a1f2b3c4d", "display_name": "TG - Mobile: require app protection",
                "state": "enabledForReportingButNotEnforced", "needs": ["entra_id_p1", "office_apps", "intune"],
                "users_in_scope": 3, "users_checked": 3, "guests_not_checked": 0, "disabled_accounts_not_checked": 0,
                "gaps": [{"requirement": "office_apps", "service_plans": ["OFFICESUBSCRIPTION", "OFFICE_BUSINESS",
                          "OFFICEMOBILE_SUBSCRIPTION"], "users": [{"id": "3ef3cb2e-290a-529a-8529-ff932e60ae70",
                          "user_principal_name": "patti@contoso.onmicrosoft.com", "display_name": "Patti Fernandez",
                          "reason": "not_assigned"}]}],
                "users_lacking": [{"id": "3ef3cb2e-290a-529a-8529-ff932e60ae70",
                                   "user_principal_name": "patti@contoso.onmicrosoft.com",
                                   "display_name": "Patti Fernandez",
                                   "missing": [{"requirement": "office_apps", "reason": "not_assigned"}]}],
                "located_users": [], "verdict": "licence_gaps"}]
    disabled_plans:
      description:
        - Each service plan disabled in the licence of a user in scope, with C(id), C(user_principal_name),
          C(display_name), C(sku_part_number), C(service_plan_name) and C(service_plan_id).
      type: list
      elements: dict
      returned: always
    skus:
      description:
        - The tenant's subscribed SKUs, with C(sku_id), C(sku_part_number), C(capability_status), C(consumed_units),
          C(enabled_units) and C(provides) (the requirements checked it meets).
      type: list
      elements: dict
      returned: always
    requirements_no_sku_provides:
      description: The requirements checked that none of the tenant's subscribed SKUs meets.
      type: list
      elements: str
      returned: always
    counts:
      description:
        - C(policies), C(policies_with_gaps), C(users_read), C(users_lacking) (distinct users) and C(disabled_plans).
      type: dict
      returned: always
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.license_readiness import (
    REQUIREMENT_ORDER,
    Directory,
    check_plan_names,
    check_user_ids,
    readiness,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    LIST_OPTION,
    ConditionalAccessEngine,
    ConditionalAccessPolicyType,
    emergency_access_options,
    plan_policies,
    resolve_all,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver


def _policies(module, params):
    if params[LIST_OPTION] is not None:
        plan = plan_policies(module, {LIST_OPTION: params[LIST_OPTION], "emergency_access": params["emergency_access"],
                                      "api_version": params["api_version"]})
        return plan.predicted if params["include_live_policies"] else plan.declared
    if params["include_live_policies"]:
        module.warn("include_live_policies has no effect without conditional_access_policies: the tenant's "
                    "policies are checked.")
    resolver = NameResolver(module.graph, api_version=params["api_version"], reference_wait=0)
    emergency = None
    if params["emergency_access"]:
        emergency = resolve_all([], resolver, params["emergency_access"], module.warn)
    resource = ConditionalAccessPolicyType(params["api_version"], resolver, emergency)
    engine = ConditionalAccessEngine.for_task(module, resource, resolver, params["api_version"], check_mode=True)
    return engine.objects()


def run(module):
    params = module.params
    skus = list(module.graph.list("/subscribedSkus", api_version="v1.0"))
    office_plans = None
    if params["office_apps_service_plans"] is not None:
        office_plans = check_plan_names(skus, params["office_apps_service_plans"], "office_apps_service_plans")
    locate = check_user_ids(params["users_to_locate"], "users_to_locate")
    policies = _policies(module, params)
    result = readiness(policies, skus, Directory(module.graph), checks=params["checks"],
                       office_apps_plans=office_plans, locate=locate)
    return {"changed": False, "readiness": result}


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            conditional_access_policies=dict(type="list", elements="dict"),
            include_live_policies=dict(type="bool", default=False),
            emergency_access=dict(type="dict", options=emergency_access_options()),
            checks=dict(type="list", elements="str", choices=list(REQUIREMENT_ORDER), default=list(REQUIREMENT_ORDER)),
            office_apps_service_plans=dict(type="list", elements="str"),
            users_to_locate=dict(type="list", elements="str", default=[]),
            api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
