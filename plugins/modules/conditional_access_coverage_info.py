#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_coverage_info
short_description: Find the gaps in Microsoft Entra conditional access, offline, over personas, apps, platforms and clients
version_added: 0.2.0
description:
  - Evaluates conditional access policies for every combination of personas, applications, device platforms and client
    app types, as Entra would evaluate a sign-in, without calling Graph's evaluation API. Nothing is written.
  - 'Lists the cells where no enforced policy blocks the sign-in or requires MFA or a stronger control (an
    authentication strength, a compliant or hybrid joined device, risk remediation): C(no_mfa_or_block). A policy
    that accepts MFA or a weaker control (C(mfa) OR C(compliantApplication)) does not close the gap.'
  - 'Lists the cells of an Office 365 workload (Office 365, Exchange Online, SharePoint Online, Microsoft Teams) on iOS
    or Android in a browser or a modern client where access is not blocked and does not require app protection
    (C(compliantApplication)) or a compliant or joined device: C(no_app_protection).'
  - Lists the policies that apply to no cell, with the condition that keeps them out most often
    (C(unused_policies)). A policy that applies only at a risk level, to a user action, an authentication context,
    an authentication flow or a named location is tried with that condition met first. Disabled policies are left
    out.
  - Lists the emergency-access accounts of O(emergency_access) that an enforced policy would block, or ask for a
    control they cannot satisfy, signing in to the Azure portal or Microsoft Graph from an unmanaged Windows device
    (C(emergency_blocked)); the same check as the lockout pre-flight of
    M(tenantguard.m365.conditional_access_policy).
  - The policies are the tenant's, read in one request, or those of O(conditional_access_policies), given as to
    M(tenantguard.m365.conditional_access_policy) and planned against the tenant without writing.
  - Each cell is a sign-in from outside every named location (an untrusted network), with no sign-in, user or
    insider risk and an unknown device, the case a gap matters most in.
author:
  - TenantGuard contributors (@tenantguard)
options:
  report_only_as_enforced:
    description:
      - Count report-only policies as enforced, to see the coverage a policy set staged in report-only will give once
        enforced.
      - By default the coverage is what is enforced today; report-only policies that apply are listed per cell under
        C(report_only) and change no outcome.
    type: bool
    default: false
  emergency_access:
    description:
      - The emergency-access (break-glass) accounts, users by user principal name or id and groups by display name or
        id. Each is a persona, whose cells never count as gaps (such accounts are excluded on purpose), and is checked
        for C(emergency_blocked).
      - A user is evaluated with its transitive groups and directory roles; a group as any member of it (a member of
        the groups that hold it too) and as each user it holds, nested members included. All are taken to hold
        Global Administrator, as an emergency-access account does.
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
  personas:
    description:
      - The rows of the matrix. By default, a member of each group the policies include or exclude (of that group
        and, as Conditional Access counts nested groups, of the groups that hold it), a holder of each directory
        role they name, a member of no group (C(all members)), a guest, and the
        accounts of O(emergency_access).
      - The accounts of O(emergency_access) are added to the personas given here as well.
    type: list
    elements: dict
    suboptions:
      name:
        description: The persona's name in the result.
        type: str
        required: true
      user:
        description:
          - A real user, by user principal name or id, whose transitive groups and directory roles are read and added to
            O(personas[].groups) and O(personas[].roles).
        type: str
      groups:
        description: Groups the persona is a member of (and so of the groups that hold them), by display name or id.
        type: list
        elements: str
        default: []
      roles:
        description: Directory roles the persona holds, by name (such as C(Global Administrator)) or template id.
        type: list
        elements: str
        default: []
      guest:
        description: A B2B collaboration guest rather than a member.
        type: bool
        default: false
  applications:
    description:
      - The columns of the matrix, by well-known name (C(Exchange Online), C(SharePoint Online), C(Microsoft Teams),
        C(Azure portal), C(Microsoft Graph)), service principal display name or app id.
      - By default the Office 365 workloads the evaluation knows, the Azure portal, Microsoft Graph and
        C(All other applications), an application no policy names.
    type: list
    elements: str
  platforms:
    description: The device platforms.
    type: list
    elements: str
    choices: [iOS, android, windows, macOS, linux, windowsPhone]
    default: [iOS, android, windows, macOS, linux]
  client_app_types:
    description: The client app types.
    type: list
    elements: str
    choices: [browser, mobileAppsAndDesktopClients, exchangeActiveSync, other]
    default: [browser, mobileAppsAndDesktopClients, exchangeActiveSync, other]
  compliance:
    description:
      - Read the tenant's device compliance policies and their assignments (one request, made only when an enabled or
        report-only policy names C(compliantDevice)) and show, per persona and mobile platform (iOS, Android), whether
        a requirement of a compliant device is backed by a compliance policy assigned to the persona (C(compliance),
        C(compliance_gaps)); cells where it is not carry the gap C(no_compliance_policy).
      - A compliance policy covers a persona when it is assigned to all users, all devices or a group the persona
        belongs to, and excludes no group of the persona's. With the default O(personas), a member of each group the
        compliance policies name is a persona too.
      - Without the permission to read them (C(DeviceManagementConfiguration.Read.All)), a warning says so and the
        matrix is drawn without them (C(compliance_known) false).
    type: bool
    default: true
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
  - tenantguard.m365.policy_source
notes:
  - The application needs the Graph permission C(Policy.Read.All), and C(User.Read.All), C(Group.Read.All) and
    C(RoleManagement.Read.Directory) (or C(Directory.Read.All)) to resolve names and read memberships.
  - The evaluation follows Microsoft's documented rules; a condition the cell does not state (such as a device
    filter, since the device is unknown) leaves the policy out with reason C(notEnoughInformation).
seealso:
  - module: tenantguard.m365.conditional_access_policy
  - module: tenantguard.m365.conditional_access_policy_info
'''

EXAMPLES = r'''
- name: Coverage of the tenant's policies
  tenantguard.m365.conditional_access_coverage_info:
    emergency_access:
      groups: [Emergency Access Accounts]
  register: coverage

- name: Fail when a cell has a gap
  ansible.builtin.assert:
    that: coverage.coverage.counts.gaps == 0
    fail_msg: "{{ coverage.coverage.gaps | map(attribute='persona') | unique | join(', ') }} have gaps"

- name: Coverage a baseline staged in report-only would give once enforced, before it is applied
  tenantguard.m365.conditional_access_coverage_info:
    conditional_access_policies: "{{ baseline_policies }}"
    include_live_policies: true
    report_only_as_enforced: true
    emergency_access:
      users: [breakglass1@contoso.onmicrosoft.com]
    personas:
      - name: Sales on the road
        groups: [Sales]
      - name: Partner
        guest: true
  register: planned
'''

RETURN = r'''
coverage:
  description: The matrix and what it shows.
  returned: always
  type: dict
  contains:
    dimensions:
      description:
        - C(personas) (each C(name), C(kind) and C(emergency)), C(applications) (each C(name), C(id) and
          C(office365)), C(platforms) and C(client_app_types).
      type: dict
      returned: always
    cells:
      description:
        - One per combination, with C(persona), C(application), C(platform), C(client_app_type), C(outcome) (C(block),
          C(grant) or C(allow)), C(requirements) (one per enforced policy with grant controls, each with C(policy),
          C(policy_id), C(operator), C(controls), C(authentication_strength), C(terms_of_use)), C(gap) (null,
          C(no_mfa_or_block), C(no_app_protection) or C(no_compliance_policy)), C(gap_kinds) (every gap of the cell),
          C(enforced) and
          C(report_only) (names of the policies that apply) and C(emergency).
      type: list
      elements: dict
      returned: always
      sample: [{"persona": "all members", "application": "Exchange Online", "platform": "iOS",
                "client_app_type": "mobileAppsAndDesktopClients", "outcome": "grant",
                "requirements": [{"policy": "TG - MFA for all users", "operator": "OR", "controls": ["mfa"]}],
                "gap": "no_app_protection", "gap_kinds": ["no_app_protection"], "enforced": ["TG - MFA for all users"],
                "report_only": [], "emergency": false}]
    gaps:
      description: The cells with a gap.
      type: list
      elements: dict
      returned: always
    unused_policies:
      description:
        - The enabled and report-only policies that apply to no cell, with C(display_name), C(id), C(state),
          C(reason) (the condition that keeps them out most often, a name of Graph's whatIfAnalysisReasons) and
          C(detail).
      type: list
      elements: dict
      returned: always
      sample: [{"display_name": "Contoso Expenses MFA", "id": "6b5c8d0e-41c2-4b8f-9c5e-0d7a1f2b3c4d",
                "state": "enabled", "reason": "application", "detail": "application ... is not included"}]
    emergency_blocked:
      description:
        - One per emergency-access account and policy that would lock it out, with C(account), C(kind) (user or
          group), C(policy), C(policy_id), C(application), C(client_app_type), C(effect) and C(detail).
      type: list
      elements: dict
      returned: always
    compliance_known:
      description: Whether the tenant's device compliance policies were read (see O(compliance)).
      type: bool
      returned: always
    compliance:
      description:
        - One row per persona and mobile platform of the matrix when C(compliance_known), with C(persona), C(kind),
          C(emergency), C(platform), C(required_by) (the policies whose requirements a cell of the row meets only
          with a compliant device), C(compliance_policies) (the compliance policies assigned to the persona for the
          platform) and C(gap) (required and not backed).
      type: list
      elements: dict
      returned: always
      sample: [{"persona": "member of Sales", "kind": "group", "emergency": false, "platform": "iOS",
                "required_by": ["TG - Compliant phones"], "compliance_policies": [], "gap": true}]
    compliance_gaps:
      description: The rows of C(compliance) with C(gap), emergency-access personas included.
      type: list
      elements: dict
      returned: always
    counts:
      description: C(cells), C(gaps), C(unused_policies), C(emergency_blocked), C(compliance_gaps) (rows),
        C(no_mfa_or_block), C(no_app_protection) and C(no_compliance_policy) (cells with that gap).
      type: dict
      returned: always
      sample: {"cells": 360, "gaps": 24, "unused_policies": 0, "emergency_blocked": 0, "compliance_gaps": 0,
               "no_mfa_or_block": 0, "no_app_protection": 24, "no_compliance_policy": 0}
    report_only_as_enforced:
      description: The value of O(report_only_as_enforced).
      type: bool
      returned: always
    policies:
      description: The policies evaluated, with C(display_name), C(id) and C(state).
      type: list
      elements: dict
      returned: always
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage import (
    CLIENT_APP_TYPES,
    PLATFORMS,
    coverage,
    default_personas,
    emergency_personas,
    policy_groups,
    policy_roles,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    needs_compliant_device,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage_input import (
    resolve_applications,
    resolve_personas,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    LIST_OPTION,
    ConditionalAccessEngine,
    ConditionalAccessPolicyType,
    emergency_access_options,
    plan_policies,
    resolve_all,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif_scenarios import add_groups_holding
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import role_name


def _live(module, params):
    api_version = params["api_version"]
    resolver = NameResolver(module.graph, api_version=api_version, reference_wait=0)
    emergency = None
    if params["emergency_access"]:
        emergency = resolve_all([], resolver, params["emergency_access"], module.warn)
    resource = ConditionalAccessPolicyType(api_version, resolver, emergency)
    engine = ConditionalAccessEngine.for_task(module, resource, resolver, api_version, check_mode=True)
    return engine, resolver, engine.objects()


def _declared(module, params):
    plan = plan_policies(module, {LIST_OPTION: params[LIST_OPTION], "emergency_access": params["emergency_access"],
                                  "api_version": params["api_version"]})
    policies = plan.predicted if params["include_live_policies"] else plan.declared
    return plan.engine, plan.resolver, policies


def run(module):
    params = module.params
    if params[LIST_OPTION] is not None:
        engine, resolver, policies = _declared(module, params)
    else:
        if params["include_live_policies"]:
            module.warn("include_live_policies has no effect without conditional_access_policies: the tenant's "
                        "policies are evaluated.")
        engine, resolver, policies = _live(module, params)
    named_locations = engine.named_locations()
    identities = engine.emergency_identities()
    assignments = None
    if params["compliance"] and any(needs_compliant_device(p) and str(p.get("state") or "").lower() in (
            "enabled", "enabledforreportingbutnotenforced") for p in policies):
        assignments = engine.compliance_assignments()
    if params["personas"] is None:
        groups = policy_groups(policies)
        known = set(str(g).lower() for g in groups)
        groups += [g for g in (assignments.groups() if assignments is not None else []) if g not in known]
        if groups:
            resolver.resolve({"group": groups})
        names = resolver.names_by_id().get("group") or {}
        group_names = dict((g, names.get(str(g).lower(), g)) for g in groups)
        role_names = dict((role, role_name(role) or role) for role in policy_roles(policies))
        personas = default_personas(policies, group_names, role_names, identities, groups)
    else:
        personas = resolve_personas(module, resolver, params["personas"]) + emergency_personas(identities)
    # A member of a group is a member of every group that holds it (nested): one read per group.
    add_groups_holding(module.graph, [p.user for p in personas if not p.emergency and p.user.get("groups")
                                      and p.user.get("id") is None])
    applications = resolve_applications(resolver, params["applications"])
    result = coverage(policies, named_locations, personas, applications, params["platforms"],
                      params["client_app_types"], identities, params["report_only_as_enforced"], assignments)
    result["policies"] = [{"display_name": p.get("displayName"), "id": p.get("id"), "state": p.get("state")}
                          for p in policies]
    return {"changed": False, "coverage": result}


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            conditional_access_policies=dict(type="list", elements="dict"),
            include_live_policies=dict(type="bool", default=False),
            compliance=dict(type="bool", default=True),
            report_only_as_enforced=dict(type="bool", default=False),
            emergency_access=dict(type="dict", options=emergency_access_options()),
            personas=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True),
                user=dict(type="str"),
                groups=dict(type="list", elements="str", default=[]),
                roles=dict(type="list", elements="str", default=[]),
                guest=dict(type="bool", default=False),
            )),
            applications=dict(type="list", elements="str"),
            platforms=dict(type="list", elements="str", choices=list(PLATFORMS) + ["windowsPhone"],
                           default=list(PLATFORMS)),
            client_app_types=dict(type="list", elements="str", choices=list(CLIENT_APP_TYPES),
                                  default=list(CLIENT_APP_TYPES)),
            api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
