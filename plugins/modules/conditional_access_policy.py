#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_policy
short_description: Manage Microsoft Entra conditional access policies
version_added: 0.1.0
description:
  - Creates, updates and deletes conditional access policies, one per task or a whole baseline per task
    (O(conditional_access_policies)).
  - The options mirror Microsoft Graph's C(conditionalAccessPolicy) in snake_case, nested as Graph nests them
    (O(conditions.users.include_groups), O(grant_controls.built_in_controls)). Enum values are Graph's own
    strings, matched without regard to case. Graph's C(state) is O(policy_state); O(state) is Ansible's
    V(present) / V(absent).
  - Options left out are not touched on an existing policy. A list given replaces the policy's list; its order
    does not matter.
  - 'Users, groups, directory roles, applications, named locations and authentication strengths may be given by
    name: a user principal name, a display name, a role name, a well-known application name such as
    C(Exchange Online), C(SharePoint Online), C(Microsoft Teams), C(Microsoft Intune) or
    C(Microsoft Azure Management), or a service principal display name. All names of a task are resolved
    together, in a few bulk requests. A name two objects share is an error listing their ids; a name nothing
    has is an error suggesting the closest names. Special values such as C(All), C(None),
    C(GuestsOrExternalUsers), C(Office365) and C(AllTrusted) pass through.'
  - An id that matches no user, group, role or application is kept with a warning, as Graph keeps it (policies
    often hold ids of deleted objects); an id of the wrong kind of object (a group's id among users, a service
    principal's object id among applications) is an error. Named locations and authentication strengths must
    exist, as Graph refuses a policy that points at a missing one.
  - A policy is found by O(id), or else by O(display_name). Names match exactly, and when no policy has the exact
    name, without regard to case. Two policies with the name is an error listing both ids; a second policy with the
    same name is never created. O(id) with a O(display_name) that another policy carries is an error.
  - A new policy is created report-only (C(enabledForReportingButNotEnforced)) unless O(policy_state) says
    otherwise; an existing policy keeps its state unless O(policy_state) is set.
  - 'Policies are compared without false drift: null, empty and absent are the same, include and exclude lists
    are sets, enum case does not count, read-only and server fields are ignored, an expanded authentication
    strength counts by id, an operator with a single control does not count, empty session controls equal none.
    An update sends only the properties that differ, never a read-only one.'
  - 'Before anything is written, the task refuses what Graph would refuse and what could lock every administrator
    out: an enforcing policy (O(policy_state=enabled)) that blocks access or requires MFA, a compliant or joined
    device, app protection, a password change or an authentication strength, for all users or for directory
    roles, must exclude the accounts in O(emergency_access); without O(emergency_access) it is refused unless
    O(acknowledge_lockout_risk=true).'
  - 'Then, once every change of the task is planned and before the first write (in check mode too), a lockout
    pre-flight evaluates the tenant''s policies as they will be (the enabled ones, with the task''s changes applied)
    for each account of O(emergency_access): each must still be able to sign in to the Azure portal and Microsoft Graph
    from an unmanaged Windows device, in a browser and in a desktop client, from outside every named location. MFA,
    authentication strengths, terms of use and a password change count as satisfiable; a compliant or joined device and
    app protection do not. A user is evaluated with its transitive groups and directory roles, a group as any member
    of it (and so of the groups that hold it) and as each user it holds (nested members included), and all as
    holders of Global Administrator. A policy the task creates or changes that blocks such an
    account, or demands what it cannot satisfy, refuses the whole task, naming the account, the application and the
    policy; nothing is written. A lockout that only a policy the task leaves alone causes is a warning. Neither check
    can be acknowledged away: O(acknowledge_lockout_risk) only stands in for missing O(emergency_access).'
  - The C(approvedApplication) grant (require approved client app) was retired on 2026-06-30. A new or changed
    policy using it is refused; an existing one can only be disabled or deleted. O(migrate_approved_application)
    creates its replacement and disables it.
  - A policy that points at a named location or authentication strength created earlier in the same play works on
    the first run; one not visible yet (replication lag) is looked up again for up to O(reference_timeout)
    seconds, and a write Graph refuses with error 1040 is repeated within the same bound.
  - With O(declared_named_locations) and O(declared_authentication_strengths) the task knows which names the play
    creates. Only those are waited for; any other name the tenant does not have fails at once, naming the closest
    names of the tenant and of the play. In check mode a declared name counts as created, so that a check run before
    the named locations and strengths are written finds every misspelt reference with nothing written.
  - 'Before the first write (in check mode too, refusing exactly what a real run would), the task refuses, each unless
    acknowledged with its own option: emergency-access accounts that cannot sign in (a disabled user; groups without an
    enabled member when no listed user can sign in) (O(acknowledge_unusable_emergency_access)); an enforced policy that
    includes its users only through groups one of which has no members, such as the enforced pilot copy of a policy for
    an empty pilot group (O(acknowledge_empty_groups)); a O(purge_name_pattern) that matches any name, or a purge that
    would delete an enforced policy (O(acknowledge_purge_risk)); creating policies past the tenant''s limit
    (O(policy_limit), O(acknowledge_policy_limit)). Each refusal lists what it found.'
  - After creating a policy the module waits, at most 60 seconds, until Graph returns it, so that a task run right
    after cannot create a duplicate.
author:
  - TenantGuard contributors (@tenantguard)
options:
  id:
    description:
      - The id of an existing policy. The policy is then found by id, and O(display_name), if set and different,
        renames it.
      - An id cannot be chosen for a new policy.
    type: str
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it. Deleting a policy that does not exist
        changes nothing.
      - With O(conditional_access_policies), the state of each item that sets none.
    type: str
    choices: [present, absent]
    default: present
  api_version:
    description:
      - The Graph version the policy is read and written with. Options marked beta-only need V(beta).
    type: str
    choices: [v1.0, beta]
    default: v1.0
  template:
    description:
      - The name or id of one of Microsoft's conditional access templates (C(GET /identity/conditionalAccess/templates)),
        such as V(Block legacy authentication) or V(Require multifactor authentication for admins).
      - The template's settings are the base of the policy and the task's options are laid over them (objects merge
        property by property, a list or value given replaces the template's). Without O(display_name) or O(id) the
        policy is named after the template.
      - 'Templates exclude a placeholder user, C(Current administrator will be excluded), that the portal replaces
        with the administrator creating the policy. Here it stands for O(emergency_access): its users take the
        placeholder''s place in C(exclude_users) and its groups join C(exclude_groups) (unless the task sets
        O(conditions.users.exclude_groups)). Without O(emergency_access) the placeholder is dropped with a warning.'
      - The template is applied on every run, so the policy keeps converging to the template plus the options.
    type: str
  emergency_access:
    description:
      - The emergency-access (break-glass) accounts, users by user principal name or id and groups by display name or
        id. They must exist.
      - Every enforcing policy that blocks or demands a control for all users or for directory roles must exclude
        them (O(conditions.users.exclude_users), O(conditions.users.exclude_groups)); the task is refused otherwise.
      - Every change is also checked by the lockout pre-flight (see the description); once the task is done, each
        account must still reach the Azure portal and Microsoft Graph from an unmanaged device.
      - Set it once for a whole play with C(module_defaults) for C(tenantguard.m365.conditional_access_policy)
        (not for the action group, whose other modules do not take this option).
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
  acknowledge_lockout_risk:
    description:
      - Allow an enforcing policy that blocks or demands a control for all users or for directory roles when no
        O(emergency_access) is given. A mistake in such a policy can lock every administrator out of the tenant.
      - It has no effect once O(emergency_access) is given; the exclusions and the lockout pre-flight are then
        always checked.
      - It also accepts an enforcing policy that requires a compliant device on iOS or Android (a policy for all
        platforms included) of an emergency-access account, or of everyone it applies to on that platform, while no
        Intune device compliance policy is assigned to them there (they would be blocked); without it, such a policy
        is refused before anything is written. A gap for only some of its users, or one the policy already had while
        enforced, is a warning.
      - With O(conditional_access_policies), the default of each item that sets none.
    type: bool
    default: false
  conditional_access_policies:
    description:
      - Set mode. A list of policies to converge in one task with one read of the tenant's policies and one bulk
        resolution of every name, each item with the options of a single policy (O(display_name), O(id), O(state),
        O(template), O(acknowledge_lockout_risk), O(policy_state), O(conditions), O(grant_controls),
        O(session_controls), O(description)).
      - Cannot be combined with the options of a single policy.
      - Every item is checked, and every change planned, before anything is written.
      - Two items may not designate the same policy or carry the same name.
    type: list
    elements: dict
  item_labels:
    description:
      - With O(conditional_access_policies), how errors and warnings name each item, in the same order, instead of
        C(conditional_access_policies[N]).
      - "The roles pass the variable and item the user wrote and the display name, such as
        C(conditional_access_policies[2] ('TG - Sales MFA')) or C(the outlook_mobile baseline ('TG - MFA for all
        users')), since the list they pass to the module is not the user's own list."
    type: list
    elements: str
  purge:
    description:
      - With O(conditional_access_policies), delete the existing policies that no item declares and whose name
        matches O(purge_name_pattern). Policies whose name does not match are never touched.
      - Purging without O(purge_name_pattern) is refused; a pattern that matches any name, or a purge that would delete
        an enforced policy, is refused unless O(acknowledge_purge_risk=true).
    type: bool
    default: false
  purge_name_pattern:
    description:
      - A Python regular expression that the WHOLE display name of a policy must match, without regard to case, for
        O(purge) to delete it, for example V(TG - .*) for the policies whose names start with C(TG - ).
    type: str
  migrate_approved_application:
    description:
      - Replace the policy that O(display_name) or O(id) designates, which uses the retired C(approvedApplication)
        grant, by a copy that requires C(compliantApplication) (app protection policy) instead, then disable it.
        Run it in check mode first to see both changes.
      - The replacement is created once; when a policy of its name exists it is left alone (it may have been
        enabled since), so the task may run again. A policy that no longer uses the grant has nothing to migrate.
      - Cannot be combined with the options that describe a policy or with O(conditional_access_policies).
    type: dict
    suboptions:
      replacement_display_name:
        description: The name of the replacement. Defaults to the old name followed by C( (app protection)).
        type: str
      replacement_policy_state:
        description:
          - The state the replacement is created in. Report-only lets its effect be checked in the sign-in logs
            first.
        type: str
        choices: [enabledForReportingButNotEnforced, enabled, disabled]
        default: enabledForReportingButNotEnforced
      old_policy_state:
        description:
          - V(disabled) disables the old policy in the same run. V(unchanged) leaves it enforcing, to be disabled
            by a later run once the replacement has been checked and enabled.
          - With a report-only replacement and V(disabled), nothing enforces app protection until the replacement
            is enabled; the task warns about it.
        type: str
        choices: [disabled, unchanged]
        default: disabled
  reference_timeout:
    description:
      - How long, in seconds, to keep looking for a named location or authentication strength that is not visible
        yet (created moments ago, replication lag) before it counts as missing.
      - With O(declared_named_locations) or O(declared_authentication_strengths), only the names they list are waited
        for.
    type: float
    default: 30
  declared_named_locations:
    description:
      - The display names of the named locations that the play creates or keeps before this task (as the
        conditional_access role passes them from its C(conditional_access_named_locations)).
      - A referenced named location that the tenant does not have is then an error at once unless it is listed here;
        a listed one is waited for (O(reference_timeout)) and, in check mode, counts as created.
      - Not set, any missing named location is waited for, and in check mode kept with a warning.
    type: list
    elements: str
  declared_authentication_strengths:
    description:
      - The display names of the authentication strengths that the play creates or keeps before this task; as
        O(declared_named_locations), for O(grant_controls.authentication_strength).
    type: list
    elements: str
  known_named_locations:
    description:
      - Named locations an earlier task of the play read, with their ids (as the conditional_access role passes the
        C(named_locations) that M(tenantguard.m365.named_location) returned), so that a reference to one of them
        needs no second read of the tenant's named locations.
      - A reference spelled exactly as a listed O(known_named_locations[].display_name), or giving its id, resolves to
        that id; any other reference is looked up as without this option.
      - A name listed with two different ids is looked up.
    type: list
    elements: dict
    suboptions:
      id:
        description: The id of the named location (a GUID).
        type: str
        required: true
      display_name:
        description: Its display name, as the tenant spells it.
        type: str
        required: true
  compliance_policies_planned:
    description:
      - The device compliance policies that an earlier task of the play writes before this one, in Graph JSON as
        M(tenantguard.m365.device_compliance_policy) returns them (its C(device_compliance_policies) result, from a
        check-mode run too, where a policy to be created has no C(id)). What counts is C(@odata.type), C(displayName)
        and C(assignments) with their C(target) (group ids, all users, all devices); other properties are ignored.
      - The compliance pre-flight (see O(acknowledge_lockout_risk)) then reads the tenant's compliance policies with
        these in place of the stored ones of the same C(id), or else of the same C(displayName) (case ignored), and
        added when they match none; less those of O(compliance_policies_removed).
      - With this option or O(compliance_policies_removed) set, check mode refuses a policy the pre-flight would
        refuse, as a real run does, since the earlier task is accounted for; without both, check mode only warns
        (an earlier task may assign a compliance policy that check mode did not write). An empty list says that no
        earlier task writes any.
      - The tenant_hardening role passes what its device compliance check found, so that a conditional access
        policy that needs a compliance policy nobody assigns fails the run before anything is written.
    type: list
    elements: dict
  compliance_policies_removed:
    description:
      - The stored device compliance policies that an earlier task of the play deletes (by purge or C(state=absent)),
        by id or display name (case ignored), as the C(actions) of M(tenantguard.m365.device_compliance_policy) name
        them. The compliance pre-flight leaves them out. See O(compliance_policies_planned).
    type: list
    elements: str
  acknowledge_unusable_emergency_access:
    description:
      - Go on although a user of O(emergency_access) is disabled (C(accountEnabled) false), or its groups have no
        enabled member (nested members counted) while no listed user can sign in either.
      - Without it such a task is refused before anything is written, when it would write anything. Users and groups
        that do not exist are refused in any case.
    type: bool
    default: false
  acknowledge_empty_groups:
    description:
      - Go on although an enforced policy (O(policy_state=enabled)) that the task creates or changes includes its users
        only through groups and one of them has no members (nested members counted). Such a policy is enforced for
        no one in that group; the usual cause is the enforced copy of a policy in a pilot stage for an empty pilot
        group, while everyone else stays report-only.
    type: bool
    default: false
  acknowledge_purge_risk:
    description:
      - Go on although O(purge_name_pattern) matches any name (it is tried against arbitrary names and the names it
        would delete), or the purge would delete an enforced (C(enabled)) policy.
      - The collection keeps no record of the policies it created in earlier runs, so an enforced policy that the
        pattern matches may be hand-made; purge deletes report-only and disabled policies without it.
    type: bool
    default: false
  policy_limit:
    description:
      - The number of conditional access policies the tenant may hold, in any state (report-only and disabled
        included). A task that would create policies past it is refused before anything is written, as Graph would
        refuse the creates past the limit and leave the task half applied.
      - The default is the limit Microsoft documents in Plan a Conditional Access deployment, section Minimize the
        number of Conditional Access policies. Set it to your tenant's limit if Microsoft has raised it.
    type: int
    default: 195
  acknowledge_policy_limit:
    description: Go on although the task would create policies past O(policy_limit).
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.conditional_access_policy
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Can run in check mode; the result shows the policies as they would be, nothing is written.
    support: full
  diff_mode:
    description: Shows each policy before and after, with names instead of ids for users, groups, roles, applications,
      named locations and authentication strengths.
    support: full
notes:
  - The application needs the Graph permissions C(Policy.Read.All), C(Policy.ReadWrite.ConditionalAccess) and
    C(Application.Read.All), and to resolve names C(User.Read.All), C(Group.Read.All) and
    C(RoleManagement.Read.Directory) (or C(Directory.Read.All)).
  - Conditional access requests are spaced to about one per second per tenant, the limit Graph sets for them, so a
    task that changes many policies takes about a second per change.
  - 'Policies are read with the header C(Prefer: include-unknown-enum-members), so that enum values Graph added after
    C(unknownFutureValue) (such as the C(riskRemediation) grant) are seen as they are.'
seealso:
  - module: tenantguard.m365.conditional_access_policy_info
  - module: tenantguard.m365.named_location
  - name: conditionalAccessPolicy resource type
    description: Microsoft Graph's reference of the policy's properties.
    link: https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy
  - name: Plan a Conditional Access deployment
    description: Microsoft's planning guide, which documents the number of policies a tenant may hold.
    link: https://learn.microsoft.com/entra/identity/conditional-access/plan-conditional-access
  - name: Migrate approved client app to application protection policy
    description: Microsoft's guide for the retired approvedApplication grant.
    link: https://learn.microsoft.com/entra/identity/conditional-access/migrate-approved-client-app
'''

EXAMPLES = r'''
- name: Require app protection for Outlook mobile, report-only first
  tenantguard.m365.conditional_access_policy:
    display_name: TG - Mobile requires app protection
    conditions:
      users:
        include_users: [All]
        exclude_groups: [Emergency Access]
      applications:
        include_applications: [Office365]
      platforms:
        include_platforms: [android, iOS]
      client_app_types: [all]
    grant_controls:
      operator: OR
      built_in_controls: [compliantApplication]

- name: The emergency-access accounts, for every policy of the play
  module_defaults:
    tenantguard.m365.conditional_access_policy:
      emergency_access:
        groups: [Emergency Access]
  block:
    - name: Block legacy authentication, enforced
      tenantguard.m365.conditional_access_policy:
        display_name: TG - Block legacy authentication
        policy_state: enabled
        conditions:
          users:
            include_users: [All]
            exclude_groups: [Emergency Access]
          applications:
            include_applications: [All]
          client_app_types: [exchangeActiveSync, other]
        grant_controls:
          built_in_controls: [block]

- name: MFA for administrators, from Microsoft's template
  tenantguard.m365.conditional_access_policy:
    template: Require multifactor authentication for admins
    display_name: TG - MFA for admins
    emergency_access:
      users: [breakglass1@contoso.onmicrosoft.com]

- name: A whole baseline in one task, deleting the TG policies it no longer declares
  tenantguard.m365.conditional_access_policy:
    conditional_access_policies:
      - display_name: TG - Block legacy authentication
        conditions:
          users: {include_users: [All], exclude_groups: [Emergency Access]}
          applications: {include_applications: [All]}
          client_app_types: [exchangeActiveSync, other]
        grant_controls: {built_in_controls: [block]}
      - display_name: TG - Exchange Online from trusted locations
        conditions:
          users: {include_groups: [Mobile Pilot]}
          applications: {include_applications: [Exchange Online]}
          locations: {include_locations: [All], exclude_locations: [Head office]}
        grant_controls: {built_in_controls: [mfa]}
    purge: true
    purge_name_pattern: "TG - .*"

- name: Replace a policy that still requires an approved client app (check mode shows both changes)
  tenantguard.m365.conditional_access_policy:
    display_name: Mobile - approved apps
    migrate_approved_application:
      replacement_display_name: Mobile - app protection
  check_mode: true

- name: Plan the compliance policies that the compliant-device requirement needs
  tenantguard.m365.device_compliance_policy:
    device_compliance_policies:
      - {display_name: TG - iOS - Level 2, platform: ios, baseline: level2, assignments: {all_users: true}}
      - {display_name: TG - Android work profile - Level 2, platform: android_work_profile, baseline: level2,
         assignments: {all_users: true}}
  check_mode: true
  register: compliance_plan

- name: Check the policy in check mode as the real run will find it, the compliance policies above written
  tenantguard.m365.conditional_access_policy:
    display_name: TG - Compliant phones
    policy_state: enabled
    emergency_access: {groups: [Emergency Access]}
    conditions:
      users: {include_users: [All], exclude_groups: [Emergency Access]}
      applications: {include_applications: [Office365]}
      platforms: {include_platforms: [iOS, android]}
      client_app_types: [all]
    grant_controls: {built_in_controls: [compliantDevice]}
    compliance_policies_planned: "{{ compliance_plan.device_compliance_policies }}"
    compliance_policies_removed: >-
      {{ compliance_plan.actions | selectattr('action', 'eq', 'deleted') | map(attribute='id') | list }}
  check_mode: true

- name: Delete a policy
  tenantguard.m365.conditional_access_policy:
    display_name: TG - Old policy
    state: absent
'''

RETURN = r'''
conditional_access_policy:
  description:
    - The policy as Graph stores it (in check mode, as it would be; a new policy then has no id); null when absent.
    - With O(migrate_approved_application), the old policy.
  returned: when O(conditional_access_policies) is not used
  type: dict
  sample: {"id": "6b5c8d0e-41c2-4b8f-9c5e-0d7a1f2b3c4d", "displayName": "TG - Block legacy authentication",
           "state": "enabledForReportingButNotEnforced", "conditions": {"clientAppTypes": ["exchangeActiveSync", "other"]}}
action:
  description: What the task did (or would do in check mode).
  returned: when O(conditional_access_policies) is not used
  type: str
  choices: [created, updated, deleted, unchanged, migrated]
  sample: created
downgrade:
  description:
    - Whether the task lowers an enforced policy to report-only or disabled, or deletes it; the task then warns
      naming the policy and both states.
  returned: when O(conditional_access_policies) and O(migrate_approved_application) are not used
  type: bool
  sample: false
policy_state:
  description:
    - The state before and after, in the words of the rollout stages (V(enforced), V(report-only), V(disabled),
      V(deleted)), when the task changes it.
  returned: when the task changes the state of an existing policy
  type: dict
  sample: {"before": "enforced", "after": "report-only"}
conditional_access_policies:
  description: The policies of the items whose state is present, in the order of O(conditional_access_policies).
  returned: when O(conditional_access_policies) is used
  type: list
  elements: dict
  sample: []
actions:
  description:
    - One entry per policy acted on, with C(display_name), C(id), C(action) and C(purged).
    - C(downgrade) is true for an enforced policy that becomes report-only or disabled, or is deleted (such as the
      enforced pilot copy when a policy goes back to report-only); C(policy_state) then holds the state before and
      after (V(enforced), V(report-only), V(disabled), V(deleted)). The task warns once for each downgrade, and the
      header of the diff names it.
  returned: when O(conditional_access_policies) or O(migrate_approved_application) is used
  type: list
  elements: dict
  sample: [{"display_name": "TG - Block legacy authentication", "id": "6b5c8d0e-41c2-4b8f-9c5e-0d7a1f2b3c4d",
            "action": "updated", "purged": false, "downgrade": true,
            "policy_state": {"before": "enforced", "after": "report-only"}}]
replacement:
  description: The replacement policy (as stored, or as it would be in check mode).
  returned: when O(migrate_approved_application) is used
  type: dict
  sample: {"displayName": "Mobile - app protection", "state": "enabledForReportingButNotEnforced"}
migration:
  description: What the migration found and did.
  returned: when O(migrate_approved_application) is used
  type: dict
  sample: {"uses_retired_grant": true, "replacement_display_name": "Mobile - app protection",
           "replacement_created": true, "old_policy_disabled": true,
           "guide": "https://learn.microsoft.com/entra/identity/conditional-access/migrate-approved-client-app"}
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-conditional_access_policy-3fa2b1.json
'''


from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    DEFAULT_REFERENCE_TIMEOUT,
    LIST_OPTION,
    POLICY_OPTIONS,
    STATES,
    ConditionalAccessEngine,
    ConditionalAccessPolicyType,
    ItemContext,
    RESULT_KEY,
    emergency_access_options,
    item_field,
    item_options,
    prepare_task,
    resolve_all,
    validated_items,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    PLANNED_OPTION,
    REMOVED_OPTION,
    planned_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.guards import Guards, guard_options
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.problems import PolicyInputError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.migration import (
    OPTION as MIGRATE,
    migrate,
    migration_options,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import argument_spec as policy_spec
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.absent_settings import (
    DESIGNATING, warn_settings_when_absent)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver, checked_known
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import (
    backup_options, purge_options, run_module)

SINGLE_OPTIONS = list(POLICY_OPTIONS) + ["id", "template"]


def argument_spec():
    spec = policy_spec()
    spec.update(
        id=dict(type="str"),
        state=dict(type="str", choices=STATES, default="present"),
        api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        template=dict(type="str"),
        emergency_access=dict(type="dict", options=emergency_access_options()),
        acknowledge_lockout_risk=dict(type="bool", default=False),
        conditional_access_policies=dict(type="list", elements="dict"),
        item_labels=dict(type="list", elements="str"),
        migrate_approved_application=dict(type="dict", options=migration_options()),
        reference_timeout=dict(type="float", default=DEFAULT_REFERENCE_TIMEOUT),
        declared_named_locations=dict(type="list", elements="str"),
        declared_authentication_strengths=dict(type="list", elements="str"),
        known_named_locations=dict(type="list", elements="dict", options=dict(
            id=dict(type="str", required=True), display_name=dict(type="str", required=True))),
        compliance_policies_planned=dict(type="list", elements="dict"),
        compliance_policies_removed=dict(type="list", elements="str"),
    )
    spec.update(guard_options())
    spec.update(purge_options())
    spec.update(backup_options())
    return spec


# Options that designate a policy, or are about the task, accepted with state: absent.
CA_DESIGNATING = DESIGNATING | frozenset(["acknowledge_lockout_risk"])


def compliance_plan(params):
    """``(planned, removed)`` of compliance_policies_planned and compliance_policies_removed, checked before any
    request; None when neither is set."""
    planned, removed = params.get(PLANNED_OPTION), params.get(REMOVED_OPTION)
    problems = planned_problems(planned, removed)
    if problems:
        raise PolicyInputError(problems)
    if planned is None and removed is None:
        return None
    return list(planned or []), list(removed or [])


def run(module):
    params = dict(module.params)
    api_version = params["api_version"]
    plan = compliance_plan(params)
    if params[LIST_OPTION] is not None:
        params[LIST_OPTION] = validated_items(params)
        for index, item in enumerate(params[LIST_OPTION]):
            warn_settings_when_absent(module.warn, item, item_options(), item["state"] or params["state"],
                                      item_field(params, index), CA_DESIGNATING)
    elif params[MIGRATE] is None:
        warn_settings_when_absent(module.warn, params, policy_spec(), params["state"], designating=CA_DESIGNATING)
    if params[MIGRATE] is not None:
        # Check mode creates nothing, so a reference not visible yet will not become visible.
        wait = 0 if module.check_mode else params["reference_timeout"]
        resolver = NameResolver(module.graph, api_version=api_version, reference_wait=wait, awaited={
            "namedLocation": params["declared_named_locations"],
            "authenticationStrength": params["declared_authentication_strengths"]})
        resolver.know("namedLocation", checked_known("known_named_locations", params["known_named_locations"]))
        resource = ConditionalAccessPolicyType(api_version, resolver)
        emergency = None
        if params.get("emergency_access"):
            emergency = resolve_all([], resolver, params["emergency_access"], module.warn)
        resource.emergency_access = emergency
        resource.contexts[MIGRATE] = ItemContext(params["acknowledge_lockout_risk"])
        resource.compliance_plan = plan
        engine = ConditionalAccessEngine.for_task(module, resource, resolver, api_version)
        return migrate(engine, params)

    task = prepare_task(module, params, validated=True)
    engine, resource = task.engine, task.resource
    engine.guards = Guards(params)
    resource.compliance_plan = plan
    declared = task.declared
    if params[LIST_OPTION] is not None:
        result = engine.converge_set(declared, purge=params["purge"], purge_name_pattern=params["purge_name_pattern"])
    else:
        result = engine.converge(declared[0])
    for warning in resource.warnings:
        module.warn(warning)
    for warning in downgrade_warnings(result, params, module.check_mode):
        module.warn(warning)
    return result


def downgrade_warnings(result, params, check_mode):
    """One warning per enforced policy the task lowers (report-only, disabled or deleted)."""
    if "actions" in result:
        entries = result["actions"]
    else:
        name = ((result.get(RESULT_KEY) or {}).get("displayName") or params.get("display_name")
                or params.get("id"))
        entries = [dict(result, display_name=name)]
    warnings = []
    for entry in entries:
        if not entry.get("downgrade"):
            continue
        after = entry["policy_state"]["after"]
        warnings.append("Downgrade: conditional access policy %r %s." % (
            entry["display_name"], ("is enforced and would be %s" if check_mode else "was enforced and is now %s")
            % after))
    return warnings


def main():
    module = TenantGuardModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[["display_name", "id", "template", LIST_OPTION]],
        mutually_exclusive=[[LIST_OPTION, option] for option in SINGLE_OPTIONS]
        + [[MIGRATE, option] for option in [LIST_OPTION, "template"] + [o for o in POLICY_OPTIONS if o != "display_name"]],
        required_if=[("purge", True, [LIST_OPTION])],
        required_by={"purge_name_pattern": LIST_OPTION},
    )
    if module.params[MIGRATE] is not None and module.params["state"] != "present":
        module.fail_json(msg="state: migrate_approved_application works on a present policy (got %r). Accepted: "
                             "state: present." % module.params["state"])
    run_module(module, run)


if __name__ == "__main__":
    main()
