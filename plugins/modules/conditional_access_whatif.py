#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_whatif
short_description: Evaluate sign-in scenarios against conditional access policies, before they are enforced
version_added: 0.2.0
description:
  - Answers, for each scenario of O(scenarios) (a user on iOS in the native Mail app reaching Exchange Online, a
    high-risk sign-in, legacy authentication, an emergency-access account, ...), which conditional access policies
    apply, which do not and why (the first condition the sign-in does not meet), and the combined result, C(block),
    C(grant) with the controls to satisfy, or C(allow) when no enforced policy applies.
  - The evaluation runs offline, in the task, following Microsoft's documented evaluation rules. It reads the
    tenant but never writes to it.
  - 'O(source) chooses the policies: V(live), those stored in the tenant (one read); V(declared), the policies of
    O(conditional_access_policies), in the options of M(tenantguard.m365.conditional_access_policy) (its set mode)
    or of the C(conditional_access) role (items with C(rollout)), resolved and laid over their templates as that
    module does, without writing; V(both), each scenario against the live policies and against the live policies
    as that module would leave them (its own plan, in check mode: items update the policy with their id or
    display name, add a new one, or remove it with C(state=absent) or O(purge)), with C(changed_outcome) where
    the change makes a difference.'
  - With O(use_graph=true) each scenario is also sent to Graph's C(POST /identity/conditionalAccess/evaluate),
    which evaluates the tenant's stored policies, and every policy on which Graph and the offline evaluation
    disagree is reported in C(disagreement).
  - Users are resolved against the tenant, each distinct user once, with its transitive group memberships and
    directory roles. A scenario may instead describe a user offline with O(scenarios[].user_groups) and
    O(scenarios[].user_roles).
author:
  - TenantGuard contributors (@tenantguard)
options:
  scenarios:
    description:
      - The sign-ins to evaluate. Enum values match without regard to case, spaces or underscores, so C(iOS),
        C(ios), C(mobile_apps_and_desktop_clients) and C(mobileAppsAndDesktopClients) are all accepted.
      - Conditions a scenario leaves out are not known; a policy that depends on one is reported as not applying
        with the reason C(notEnoughInformation), as Graph's What If does.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The scenario's name, unique in the task.
        type: str
        required: true
      description:
        description: What the scenario is about, carried into the result.
        type: str
      expected:
        description:
          - The outcome the scenario should have. The result's C(matches_expected) compares it (null without it).
          - V(denied) expects that the sign-in does not get in, whatever the outcome, because it is blocked or
            cannot satisfy what is required (with O(scenarios[].satisfied_controls), those controls; else any
            control the sign-in could satisfy at all, so that, for example, an Exchange ActiveSync client asked for
            app protection or MFA is denied). The result's C(access) says which.
        type: str
        choices: [block, grant, allow, denied]
      expected_controls:
        description:
          - With O(scenarios[].expected=grant), controls that must be among the required ones (for example
            C(compliantApplication) or C(mfa)).
        type: list
        elements: str
      user:
        description:
          - The user who signs in, by user principal name, display name or object id. Resolved against the
            tenant, with the groups it belongs to (transitively) and its directory roles (as role template ids).
            A guest (C(userType=Guest)) counts as a B2B collaboration guest unless
            O(scenarios[].external_user_type) says otherwise.
        type: str
      user_groups:
        description:
          - Groups (display names or ids) the user belongs to, added to those read for O(scenarios[].user); without
            O(scenarios[].user), they describe a user who is not looked up, a member (unless
            O(scenarios[].guest)) that no policy names by id.
        type: list
        elements: str
      user_roles:
        description: Directory roles (names or role template ids) the user holds, added like O(scenarios[].user_groups).
        type: list
        elements: str
      guest:
        description: Whether the user is a guest or external user (default from the user's C(userType)).
        type: bool
      external_user_type:
        description:
          - The kind of guest or external user, one of C(internalGuest), C(b2bCollaborationGuest),
            C(b2bCollaborationMember), C(b2bDirectConnectUser), C(otherExternalUser), C(serviceProvider).
        type: str
      external_tenant_id:
        description: The home tenant of a guest, for policies scoped to external tenants.
        type: str
      service_principal:
        description:
          - A service principal that signs in (workload identity), by app id or display name, instead of a user.
        type: str
      application:
        description:
          - The application the sign-in reaches, by app id, by a well-known name (C(Exchange Online), C(SharePoint
            Online), C(Microsoft Teams), C(Azure portal), C(Microsoft Graph), C(Microsoft Azure Management),
            C(Microsoft Intune)), by the shorthands C(Exchange), C(SharePoint), C(Teams), C(Office365) (taken as
            Exchange Online, a member of the Office 365 group), or by a service principal's display name.
          - One of O(scenarios[].application), O(scenarios[].user_action) and O(scenarios[].authentication_context).
        type: str
      user_action:
        description:
          - A user action instead of an application, C(register_security_info) or C(register_device) (Graph's
            C(urn:user:registersecurityinfo), C(urn:user:registerdevice) and C(registerSecurityInformation),
            C(registerOrJoinDevices) are accepted too).
        type: str
      authentication_context:
        description: An authentication context the sign-in asks for, C(c1) to C(c99).
        type: str
      platform:
        description: The device platform, one of C(android), C(iOS), C(windows), C(windowsPhone), C(macOS), C(linux).
        type: str
      client_app:
        description:
          - The client app type, one of C(browser), C(mobile_apps_and_desktop_clients), C(exchange_active_sync),
            C(other) (legacy authentication); Graph's camelCase spellings are accepted.
        type: str
      ip_address:
        description: The IP address the sign-in comes from, matched against IP named locations.
        type: str
      country:
        description: The country the sign-in comes from (ISO 3166 alpha-2), matched against country named locations.
        type: str
      named_location:
        description: A named location (name or id) the sign-in comes from, when neither IP nor country says it.
        type: str
      device:
        description:
          - The device, for device filters, as a dict of the properties a device filter rule uses (C(isCompliant),
            C(trustType), C(deviceOwnership), C(operatingSystem), C(model), C(extensionAttribute1), ...), or
            C(unmanaged) for a phone or PC that is neither registered nor compliant.
          - C(isCompliant) (Graph's C(deviceInfo) name; C(compliant) is accepted for it) is the device's compliance
            state and decides the C(compliantDevice) grant too, with the device's platform in O(scenarios[].platform).
            C(false) cannot satisfy it, C(true) can.
          - When the compliance state is not stated, a user's sign-in on iOS or Android cannot satisfy
            C(compliantDevice) while no device compliance policy is assigned to the user for that platform (see
            O(compliance)); the result's C(compliance_gap) names the policies that then deny access.
        type: raw
      sign_in_risk:
        description: The sign-in risk, one of C(none), C(low), C(medium), C(high).
        type: str
      user_risk:
        description: The user risk, one of C(none), C(low), C(medium), C(high).
        type: str
      insider_risk:
        description: The insider risk, one of C(minor), C(moderate), C(elevated).
        type: str
      service_principal_risk:
        description: The service principal risk of a workload identity, one of C(none), C(low), C(medium), C(high).
        type: str
      authentication_flow:
        description: The authentication flow, C(deviceCodeFlow) or C(authenticationTransfer).
        type: str
      satisfied_controls:
        description:
          - The controls the client can satisfy (C(mfa), C(compliantDevice), C(domainJoinedDevice),
            C(compliantApplication), C(passwordChange), authentication strength ids). The result's
            C(access_granted) then says whether the sign-in would get in.
        type: list
        elements: str
  source:
    description:
      - The policies to evaluate against; see the description.
    type: str
    choices: [live, declared, both]
    default: live
  conditional_access_policies:
    description:
      - The declared policies, for O(source=declared) or O(source=both), exactly as
        M(tenantguard.m365.conditional_access_policy) takes them in its O(conditional_access_policies) option
        (names or ids, templates, C(policy_state), C(state=absent)), or as the C(conditional_access) role takes
        them (with C(rollout) V(report_only), V(pilot), V(enforced) or V(disabled)).
      - A declared policy without C(policy_state) or C(rollout) is report-only when it is new, as the module creates
        it, and keeps its state when it updates a live policy.
    type: list
    elements: dict
  emergency_access:
    description:
      - Emergency-access accounts, excluded from every declared policy as the C(conditional_access) role excludes
        them (and put in place of the templates' excluded-administrator placeholder). They must exist.
    type: dict
    suboptions:
      users:
        description: User principal names or ids.
        type: list
        elements: str
      groups:
        description: Group display names or ids.
        type: list
        elements: str
  pilot_groups:
    description:
      - The groups a declared policy with C(rollout=pilot) is enforced for, as the C(conditional_access) role does it
        (the policy stays report-only for everyone else, and an enforced copy applies to these groups).
    type: list
    elements: str
  pilot_suffix:
    description: The end of the name of a pilot copy.
    type: str
    default: " (pilot)"
  purge:
    description:
      - With O(source=both), the live policies that O(conditional_access_policies) does not declare are removed in
        the declared variant, as M(tenantguard.m365.conditional_access_policy) purges them (only those whose whole
        name matches O(purge_name_pattern), when it is given).
    type: bool
    default: false
  purge_name_pattern:
    description: With O(purge), only the live policies whose whole name matches this regular expression (case ignored).
    type: str
  report_only_as_enforced:
    description:
      - Evaluate report-only policies as if they were enabled, to see what enforcing them would do. Without it
        they are listed in C(report_only) and never count in the outcome.
    type: bool
    default: false
  compliance:
    description:
      - Read the tenant's device compliance policies and their assignments (one request, made only when a scenario
        signs a user in on iOS or Android without stating the device's compliance and a policy evaluated names
        C(compliantDevice)). Such a sign-in cannot satisfy C(compliantDevice) while no compliance policy is assigned
        to the user for the platform (to all users, all devices or a group of the user's, less the groups it
        excludes), as the coverage matrix and the compliance pre-flight of
        M(tenantguard.m365.conditional_access_policy) count it.
      - Without the permission to read them (C(DeviceManagementConfiguration.Read.All)), a warning says so and the
        scenarios are evaluated without them.
    type: bool
    default: true
  use_graph:
    description:
      - Also ask Graph (C(POST /identity/conditionalAccess/evaluate), all scenarios in C($batch)) and report
        disagreements. Only with O(source=live); each scenario then needs a O(scenarios[].user) of the tenant or
        a O(scenarios[].service_principal), and an application, user action or authentication context.
    type: bool
    default: false
  api_version:
    description:
      - The Graph version to read policies and resolve names with; V(beta) for declared policies that use
        beta-only options. Graph's evaluate is always called on v1.0.
    type: str
    choices: [v1.0, beta]
    default: v1.0
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - 'Requests per task: one list of the policies (V(live), V(both)) and one of the named locations; the users in one
    C($batch) (two requests per distinct user, 20 to a batch; a user given by display name costs one more); the
    names of declared policies and of O(scenarios[].user_groups) and O(scenarios[].user_roles) in the bulk look-up
    of M(tenantguard.m365.conditional_access_policy); with O(use_graph), one C($batch) per 20 scenarios.'
  - The application needs C(Policy.Read.All) (or C(Policy.Read.ConditionalAccess) for Graph's evaluate),
    C(User.Read.All), C(GroupMember.Read.All) (or C(Directory.Read.All)), and to resolve names in declared policies
    the permissions M(tenantguard.m365.conditional_access_policy_info) lists.
  - The offline evaluation does not know the sign-in's time, client app filters or Global Secure Access network
    conditions; Graph's evaluate does not take C(satisfied_controls). See docs/whatif.md in the collection.
seealso:
  - module: tenantguard.m365.conditional_access_policy
  - module: tenantguard.m365.conditional_access_policy_info
'''

EXAMPLES = r'''
- name: What the tenant's policies do to an iOS Mail user and to legacy authentication
  tenantguard.m365.conditional_access_whatif:
    scenarios:
      - name: Native iOS Mail
        user: adele@contoso.onmicrosoft.com
        application: Exchange Online
        platform: iOS
        client_app: mobile_apps_and_desktop_clients
        device: unmanaged
        expected: block
      - name: Legacy authentication
        user: adele@contoso.onmicrosoft.com
        application: Exchange Online
        client_app: exchange_active_sync
        expected: block
  register: whatif

- name: Fail when a scenario's outcome is not the expected one
  ansible.builtin.assert:
    that: whatif.summary.not_matching_expected | length == 0
    fail_msg: "{{ whatif.summary.not_matching_expected | join(', ') }} did not get the expected outcome"

- name: What a baseline would change, before it is applied (report-only policies taken as enforced)
  tenantguard.m365.conditional_access_whatif:
    source: both
    report_only_as_enforced: true
    conditional_access_policies: "{{ outlook_mobile_ca_policies }}"
    emergency_access:
      users: [breakglass1@contoso.onmicrosoft.com]
    scenarios:
      - name: Outlook mobile under app protection
        user: adele@contoso.onmicrosoft.com
        application: Office365
        platform: iOS
        client_app: mobile_apps_and_desktop_clients
        satisfied_controls: [compliantApplication]
  register: change

- name: Compare with Graph's own What If
  tenantguard.m365.conditional_access_whatif:
    use_graph: true
    scenarios:
      - name: Emergency access from an unmanaged PC
        user: breakglass1@contoso.onmicrosoft.com
        application: Azure portal
        platform: windows
        client_app: browser
        device: unmanaged
'''

RETURN = r'''
scenarios:
  description:
    - One result per scenario, in the order of O(scenarios). With O(source=both) the top-level results are those of
      the live policies with the declared changes made; C(live) and C(declared) hold both variants.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The scenario's name.
      type: str
      returned: always
    description:
      description: The scenario's description.
      type: str
      returned: always
    expected:
      description: The expected outcome, or null.
      type: str
      returned: always
    expected_controls:
      description: The controls expected among the requirements, or null.
      type: list
      elements: str
      returned: always
    outcome:
      description: C(block), C(grant) (the sign-in must satisfy C(requirements)) or C(allow) (no enforced policy
        applies).
      type: str
      returned: always
      sample: grant
    requirements:
      description:
        - One entry per enforced policy that applies with grant controls; every entry must be satisfied.
          Each has C(policy), C(operator) (C(AND) or C(OR) within the policy), C(controls),
          C(authentication_strength) and C(terms_of_use).
      type: list
      elements: dict
      returned: always
      sample: [{"policy": "TG - Mobile: require app protection", "operator": "OR",
                "controls": ["compliantApplication"], "authentication_strength": null, "terms_of_use": []}]
    session_controls:
      description: The merged session controls of the enforced policies that apply (the most restrictive wins).
      type: dict
      returned: always
    enforced:
      description: Names of the enabled policies that apply.
      type: list
      elements: str
      returned: always
    report_only:
      description: Names of the report-only policies that would apply (they never count in the outcome).
      type: list
      elements: str
      returned: always
    not_applied:
      description:
        - The policies that do not apply, each with C(display_name), C(reason) (a member of Graph's
          C(whatIfAnalysisReasons), such as C(users), C(devicePlatform), C(clientApps), C(policyNotEnabled) or
          C(notEnoughInformation)) and C(detail), a sentence naming the first condition not met.
      type: list
      elements: dict
      returned: always
    access_granted:
      description: With O(scenarios[].satisfied_controls), whether those controls get the sign-in in; else null.
      type: bool
      returned: always
    access:
      description:
        - V(denied) when the sign-in is blocked or cannot satisfy what is required (with
          O(scenarios[].satisfied_controls), those controls; else any control the sign-in could satisfy at all);
          else V(granted).
      type: str
      returned: always
      sample: denied
    access_detail:
      description: Why, in words (the blocking policies, or the requirements not met and why they cannot be).
      type: str
      returned: always
      sample: "cannot satisfy TG - Mobile: require app protection (OR compliantApplication) with mfa"
    compliance_gap:
      description:
        - The policies whose requirements the sign-in would meet but for a compliant device it cannot have (the
          device is stated not compliant, or no compliance policy is assigned to the user for the platform).
      type: list
      elements: str
      returned: always
      sample: ["TG - Compliant phones"]
    matches_expected:
      description:
        - Whether C(outcome) (and C(expected_controls)) match C(expected), or with C(expected=denied), whether
          C(access) is V(denied); null without C(expected).
      type: bool
      returned: always
    sign_in:
      description: The sign-in as evaluated, with ids (user, groups, role template ids, application).
      type: dict
      returned: always
    graph:
      description:
        - With O(use_graph), Graph's answer in names, C(applies) (the policies Graph says apply, report-only
          ones included) and C(not_applied) (with Graph's C(reasons)); else null.
      type: dict
      returned: always
    disagreement:
      description:
        - With O(use_graph), the policies on which Graph and the offline evaluation disagree, each with
          C(display_name), C(id), C(graph_applies), C(offline_applies), C(graph_reasons), C(offline_reason) and
          C(offline_detail); empty when they agree.
      type: list
      elements: dict
      returned: always
    live:
      description: With O(source=both), the result against the live policies (the keys above from C(outcome) to
        C(access_detail)).
      type: dict
      returned: when O(source=both)
    declared:
      description: With O(source=both), the result against the live policies with the declared changes made.
      type: dict
      returned: when O(source=both)
    changed_outcome:
      description:
        - With O(source=both), whether the declared changes change the outcome or what the sign-in must satisfy
          (the controls, whichever policies require them).
      type: bool
      returned: when O(source=both)
summary:
  description:
    - Counts over the scenarios, C(scenarios) and C(matching_expected), and the names of the scenarios in
      C(not_matching_expected), C(disagreements) and C(changed_outcome); C(policies) counts the policies of each
      set evaluated.
  returned: always
  type: dict
  sample: {"scenarios": 5, "matching_expected": 5, "not_matching_expected": [], "disagreements": [],
           "changed_outcome": [], "policies": {"declared": 5}}
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import emergency_access_options
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif import (
    DEFAULT_PILOT_SUFFIX,
    SOURCES,
    run_whatif,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif_scenarios import scenario_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            scenarios=dict(type="list", elements="dict", required=True, options=scenario_options()),
            source=dict(type="str", choices=list(SOURCES), default="live"),
            conditional_access_policies=dict(type="list", elements="dict"),
            emergency_access=dict(type="dict", options=emergency_access_options()),
            pilot_groups=dict(type="list", elements="str"),
            pilot_suffix=dict(type="str", default=DEFAULT_PILOT_SUFFIX),
            purge=dict(type="bool", default=False),
            purge_name_pattern=dict(type="str"),
            report_only_as_enforced=dict(type="bool", default=False),
            use_graph=dict(type="bool", default=False),
            compliance=dict(type="bool", default=True),
            api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        ),
        supports_check_mode=True,
    )
    module.run(run_whatif)


if __name__ == "__main__":
    main()
