# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: conditional access policies on the resource engine, from module options to Graph bodies.

Not a public API. What the ``conditional_access_policy`` module does in one task:

1. check every item's options (enum values, beta-only options, ids that can never be right);
2. lay each item over its Microsoft template, when it names one (``_conditional_access.templates``);
3. resolve every name of every item, and the emergency-access accounts, in one bulk look-up
   (``_engine.names``), and warn about ids that match nothing (Graph keeps such ids);
4. hand the desired bodies to the engine, whose hooks (``ConditionalAccessPolicyType``) refuse,
   before anything is written, what Graph would refuse and what could lock administrators out,
   compare without false drift and PATCH only what differs;
5. once every change is planned, and before the first write (in check mode too), run the lockout
   pre-flight (``ConditionalAccessEngine.preflight``): the tenant's policies with the changes
   applied are evaluated for each emergency-access account (``_conditional_access.rules``).

``plan_policies`` runs steps 1 to 4 and stops: the changes a task would make and the tenant's
policies as they would be, with nothing written, for modules that evaluate declared policies
(coverage, what-if).

Reads of policies carry ``Prefer: include-unknown-enum-members``: without it Graph answers
``unknownFutureValue`` for enum members added after that sentinel (the ``riskRemediation`` grant,
the ``strictLocation`` evaluation mode), and a policy using them would seem to drift.
"""

import copy

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_for
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import (
    READ_ONLY_FIELDS,
    compute_patch,
    merge_for_prediction,
    normalise_policy,
    writable_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    REPORT_ONLY,
    emergency_identity,
    option_problems,
    preflight_problems,
    uses_retired_grant,
    write_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    RESOLVABLE_KINDS,
    argument_spec as policy_argument_spec,
    is_guid,
    is_special,
    option_path,
    options_to_graph,
    reference_values,
    substitute_references,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError, TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    COLLECTION as COMPLIANCE_COLLECTION, ComplianceAssignments, gap_key, gap_message, named_users,
    needs_compliant_device, planned_compliance, preflight_findings, preflight_personas, targeted_platforms)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.problems import PolicyInputError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.templates import (
    PLACEHOLDER_EXCLUDED_USER,
    TemplateCatalog,
    apply_templates,
    fill_placeholders,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import (
    LABELS, LAGGING_KINDS, NAME_OF, NameResolver, checked_known, closest)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared, ResourceEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import ResourceType, Write

COLLECTION = "/identity/conditionalAccess/policies"
NAMED_LOCATIONS = "/identity/conditionalAccess/namedLocations"
PREFER_HEADERS = {"Prefer": "include-unknown-enum-members"}
LIST_OPTION = "conditional_access_policies"
RESULT_KEY = "conditional_access_policy"
POLICY_OPTIONS = tuple(sorted(policy_argument_spec()))
STATES = ["present", "absent"]
DEFAULT_REFERENCE_TIMEOUT = 30.0


def prefixed(field, text):
    """``conditional_access_policies[2].`` before a problem that starts with an option path."""
    return "%s.%s" % (field, text) if field else str(text)


def located(field, text):
    """A problem of the item at ``field``: option paths get the prefix, sentences a label."""
    text = str(text)
    if not field:
        return text
    if text.startswith(("conditional access policy", "the conditional access policy", "Compliance pre-flight",
                        "Lockout pre-flight")):
        return "%s: %s" % (field, text)
    return prefixed(field, text)


# ---------------------------------------------------------------------------------------------
# Argument spec


def item_options():
    """The options of one policy: Graph's properties plus identity, state, template, lockout flag."""
    spec = policy_argument_spec()
    spec.update(
        id=dict(type="str"),
        state=dict(type="str", choices=STATES),
        template=dict(type="str"),
        acknowledge_lockout_risk=dict(type="bool"),
    )
    return spec


def emergency_access_options():
    return dict(users=dict(type="list", elements="str"), groups=dict(type="list", elements="str"))


# ---------------------------------------------------------------------------------------------
# Graph access


class PreferUnknownEnumMembers:
    """The Graph client, with ``Prefer: include-unknown-enum-members`` on every GET and list."""

    def __init__(self, graph):
        self._graph = graph

    def __getattr__(self, name):
        return getattr(self._graph, name)

    @staticmethod
    def _headers(headers):
        merged = dict(PREFER_HEADERS)
        merged.update(headers or {})
        return merged

    def request(self, method, path, **kwargs):
        if str(method).upper() == "GET":
            kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self._graph.request(method, path, **kwargs)

    def get(self, path, api_version=None, query=None, headers=None):
        return self._graph.get(path, api_version=api_version, query=query, headers=self._headers(headers))

    def list(self, path, api_version=None, query=None, headers=None):
        return self._graph.list(path, api_version=api_version, query=query, headers=self._headers(headers))


# ---------------------------------------------------------------------------------------------
# References


def references(body):
    """``(option path, kind, value)`` of every value the module may resolve: names and ids of
    users, groups, roles, applications, named locations and strengths (special values left out)."""
    found = []
    for path, node, value in reference_values(body):
        kind = node["reference"]
        if kind in RESOLVABLE_KINDS and isinstance(value, str) and value.strip() and not is_special(node, value):
            found.append((option_path(path), kind, value))
    return found


def readable(body, resolver):
    """A copy of ``body`` with ids replaced by the names a person reads (UPNs, display names)."""
    if resolver is None:
        return copy.deepcopy(body)
    return substitute_references(body, resolver.names_by_id())


def ids_to_name(body):
    """``{kind: [ids]}`` of the GUID references in ``body``, to look their names up."""
    wanted = {}
    for _where, kind, value in references(body or {}):
        if is_guid(value):
            wanted.setdefault(kind, set()).add(value)
    return wanted


# ---------------------------------------------------------------------------------------------
# The resource


# The states of a policy as the rollout stages name them.
STATE_WORDS = {"enabled": "enforced", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled",
               None: "deleted"}


class ItemContext:
    """What the engine's hooks need to know about one declared policy besides its body."""

    def __init__(self, acknowledge_lockout_risk=False, created_state=REPORT_ONLY):
        self.acknowledge_lockout_risk = bool(acknowledge_lockout_risk)
        self.created_state = created_state


class ConditionalAccessPolicyType(ResourceType):
    """A conditional access policy: compared without false drift (``_conditional_access.normalise``),
    checked before any write (``_conditional_access.rules``), shown with names (``_engine.names``)."""

    noun = "conditional access policy"
    collection = COLLECTION
    result_key = RESULT_KEY
    list_key = LIST_OPTION
    read_only_fields = READ_ONLY_FIELDS

    def __init__(self, api_version="v1.0", resolver=None, emergency_access=None):
        self.api_version = api_version
        self.resolver = resolver
        # {"users": [ids], "groups": [ids]}, resolved; None when not given
        self.emergency_access = emergency_access
        self.contexts = {}
        self.warnings = []
        self._warned = set()
        # Names kept unresolved on purpose (check mode: objects an earlier task would create).
        self.unresolved = set()
        # False when planning only to evaluate (plan_policies): lockouts are then reported, not refused.
        self.lockout_guard = True
        # user id -> transitive group ids, read when the lockout guard needs it (set by the engine).
        self.groups_of = None
        # (planned, removed): the compliance policies an earlier task of the play writes and deletes
        # (compliance_policies_planned, compliance_policies_removed); None when the task was not told.
        self.compliance_plan = None

    def context(self, field):
        return self.contexts.get(field) or ItemContext()

    def _names(self):
        return dict((i, n) for kind in ("user", "group") for i, n in (
            self.resolver.names_by_id().get(kind) or {}).items()) if self.resolver else {}

    # -- comparing --------------------------------------------------------------------------
    def normalise(self, body):
        return normalise_policy(body)

    def merge(self, current, desired):
        return merge_for_prediction(current, desired)

    # -- rules ------------------------------------------------------------------------------
    def _refuse(self, problems, field):
        if problems:
            raise PolicyInputError([located(field, p) for p in problems])

    def check_create(self, desired, field=""):
        context = self.context(field)
        body = self.create_body(desired, field)
        self._refuse(write_problems(body, None, self.api_version, self.emergency_access,
                                    context.acknowledge_lockout_risk, self._names(), self.unresolved,
                                    lockout=self.lockout_guard, groups_of=self.groups_of), field)

    def check_update(self, current, desired, field=""):
        if not self.differs(current, desired):
            # Nothing will be written, so nothing is refused; a retired grant is still worth a word.
            if uses_retired_grant(current) and current.get("id") not in self._warned:
                self._warned.add(current.get("id"))
                self.warnings.append(
                    "%s still uses the retired approvedApplication grant (read-only since 2026-06-30): replace it "
                    "with migrate_approved_application" % self.label(current))
            return
        context = self.context(field)
        self._refuse(write_problems(desired, current, self.api_version, self.emergency_access,
                                    context.acknowledge_lockout_risk, self._names(), self.unresolved,
                                    lockout=self.lockout_guard, groups_of=self.groups_of), field)

    # -- writing ----------------------------------------------------------------------------
    def create_body(self, desired, field=""):
        """The POST body: only writable properties, nothing empty, report-only unless told."""
        body = writable_body(desired, self.api_version, keep_empty=False)
        if not body.get("state"):
            body["state"] = self.context(field).created_state
        return body

    def predict_created(self, body):
        return copy.deepcopy(body)

    def update_writes(self, current, desired):
        patch = compute_patch(desired, current, self.api_version)
        return [Write("PATCH", patch)] if patch else []

    def apply_writes(self, current, desired, writes):
        return merge_for_prediction(current, desired)

    def retry_write(self, error):
        """A named location or strength created moments ago may not have replicated yet (1040)."""
        message = str(getattr(error, "message", "") or "")
        return getattr(error, "status", None) == 400 and (
            message.startswith("1040:") or "AuthenticationStrengthPolicy with id" in message)

    # -- showing ----------------------------------------------------------------------------
    def display(self, body):
        return readable(normalise_policy(body), self.resolver)

    def state_change(self, before, after):
        """``downgrade`` (and ``policy_state`` when the state changes) of a change from ``before`` to
        ``after`` (None: absent). An enforced policy that becomes report-only, disabled or is deleted
        (such as the enforced pilot copy removed when a policy goes back to report-only) is a downgrade."""
        if not before:
            return {"downgrade": False}
        old = str(before.get("state") or "")
        new = str(after.get("state") or "") if after else None
        if old == new:
            return {"downgrade": False}
        return {"downgrade": old == "enabled" and new != "enabled",
                "policy_state": {"before": STATE_WORDS.get(old, old), "after": STATE_WORDS.get(new, new)}}


# ---------------------------------------------------------------------------------------------
# Options -> desired bodies


class PolicyItem:
    """One declared policy on its way from options to a desired Graph body."""

    def __init__(self, params, field, state, acknowledge):
        self.params = params
        self.field = field
        self.state = state
        self.id = params.get("id")
        self.template = params.get("template")
        self.acknowledge = acknowledge
        self.body = None

    def where(self, option):
        return "%s.%s" % (self.field, option) if self.field else option


def item_field(params, index):
    """How messages name item ``index`` of ``conditional_access_policies``: the caller's label for it
    (``item_labels``, such as a role's variable, item and display name), else ``conditional_access_policies[N]``."""
    labels = params.get("item_labels") or []
    if index < len(labels) and labels[index]:
        return labels[index]
    return "%s[%d]" % (LIST_OPTION, index)


def policy_items(params):
    """The PolicyItems of the task: one per item of ``conditional_access_policies``, or the
    top-level options."""
    if params.get(LIST_OPTION) is not None:
        items = []
        for index, item in enumerate(params[LIST_OPTION]):
            acknowledge = item.get("acknowledge_lockout_risk")
            if acknowledge is None:
                acknowledge = params.get("acknowledge_lockout_risk")
            items.append(PolicyItem(item, item_field(params, index), item.get("state") or params["state"],
                                    acknowledge))
        return items
    return [PolicyItem(params, "", params["state"], params.get("acknowledge_lockout_risk"))]


def policy_options(params):
    return dict((name, params.get(name)) for name in POLICY_OPTIONS)


def option_bodies(items, api_version):
    """Each item's options as a Graph body (names not yet resolved); all problems at once."""
    problems = []
    for item in items:
        options = policy_options(item.params)
        found = option_problems(options, api_version)
        if found:
            problems.extend(prefixed(item.field, p) for p in found)
            continue
        item.body = options_to_graph(options, api_version)
        if item.params.get("id") is not None and not is_guid(item.params["id"]):
            problems.append("%s: is not a policy id (got %r). Accepted: the GUID of an existing policy, or leave id out "
                            "and use display_name." % (item.where("id"), item.params["id"]))
    if problems:
        raise PolicyInputError(problems)


def emergency_wanted(emergency_access):
    emergency_access = emergency_access or {}
    return {"user": list(emergency_access.get("users") or []), "group": list(emergency_access.get("groups") or [])}


def resolve_all(items, resolver, emergency_access, warn, check_mode=False, unresolved=None):
    """Resolve every reference of every present item and the emergency-access accounts in one
    look-up; substitute ids; return the emergency accounts as ``{"users": ids, "groups": ids}``
    (None when not given). Raises PolicyInputError listing every name that failed.

    A named location or authentication strength that does not exist yet: when the resolver knows
    which names the run creates (``declared_named_locations``, ``declared_authentication_strengths``),
    a declared one is kept as given in check mode (it will be created) and any other fails at once,
    in both modes, naming the closest names of the tenant and of the run. Without that knowledge,
    check mode keeps it as given, with a warning: an earlier task of the same play may create it,
    which check mode only predicts."""
    wanted = {}
    located = []
    for item in items:
        if item.state != "present":
            continue
        for where, kind, value in references(item.body):
            if value == PLACEHOLDER_EXCLUDED_USER:
                continue
            wanted.setdefault(kind, []).append(value)
            located.append((item, where, kind, value))
    emergency = emergency_wanted(emergency_access)
    for kind, values in emergency.items():
        wanted.setdefault(kind, []).extend(values)
    found = resolver.resolve(wanted) if wanted else {}

    problems = []
    seen_warnings = set()
    for item, where, kind, value in located:
        resolution = found[(kind, value)]
        problem = resolution.problem()
        if problem and kind in LAGGING_KINDS and resolution.status in ("unknown", "dangling") \
                and kind in resolver.awaited:
            if resolver.is_awaited(kind, value):
                if check_mode:
                    # Declared by the run: an earlier task creates it before this one writes.
                    if unresolved is not None:
                        unresolved.add(value)
                    continue
                problems.append("%s: %s, although the run declares it; it was not visible within reference_timeout "
                                "(got %r)." % (item.where(where), problem, value))
                continue
            problems.append(undeclared_problem(item, where, kind, value, resolution, resolver))
            continue
        if problem and check_mode and kind in LAGGING_KINDS and resolution.status in ("unknown", "dangling"):
            warn("%s: %s (got %r); check mode goes on as if an earlier task of the play created it." % (
                item.where(where), problem, value))
            if unresolved is not None:
                unresolved.add(value)
            continue
        if problem:
            problems.append("%s: %s (got %r)." % (item.where(where), problem, value))
        warning = resolution.warning()
        if warning and (item.field, where, value) not in seen_warnings:
            seen_warnings.add((item.field, where, value))
            warn("%s: %s." % (item.where(where), warning))
    resolved_emergency = {"users": [], "groups": []}
    for kind, option in (("user", "users"), ("group", "groups")):
        for value in emergency[kind]:
            resolution = found[(kind, value)]
            if resolution.status == "found":
                resolved_emergency[option].append(resolution.id)
            elif resolution.status == "dangling":
                problems.append("emergency_access.%s: no %s has the id %s, and emergency-access accounts must exist "
                                "(got %r). Accepted: the %s or id of an existing %s." % (
                                    option, kind, value, value,
                                    "user principal name" if kind == "user" else "display name", kind))
            else:
                problems.append("emergency_access.%s: %s (got %r)." % (option, resolution.problem(), value))
    if problems:
        raise PolicyInputError(problems)

    for item in items:
        if item.state != "present":
            continue
        mapping = {}
        for _where, kind, value in references(item.body):
            resolution = found.get((kind, value))
            if resolution is not None and resolution.usable:
                mapping.setdefault(kind, {})[value] = resolution.id
        item.body = substitute_references(item.body, mapping)
    if emergency_access and (emergency["user"] or emergency["group"]):
        return resolved_emergency
    return None


DECLARED_OPTIONS = {"namedLocation": "declared_named_locations",
                    "authenticationStrength": "declared_authentication_strengths"}


def undeclared_problem(item, where, kind, value, resolution, resolver):
    """A named location or strength that neither the tenant has nor the run creates: the option, the
    policy, the value and the closest names of both."""
    label = LABELS[kind]
    declared = resolver.awaited_names.get(kind) or []
    suggestions = list(resolution.suggestions or [])
    for name in closest(value, declared):
        if name not in suggestions:
            suggestions.append(name)
    if resolution.status == "dangling":
        text = "no %s has the id %s" % (label, value)
    else:
        text = "no %s has the %s %r in the tenant, and the run does not create one of that name (%s: %s)" % (
            label, NAME_OF[kind], value, DECLARED_OPTIONS[kind],
            ", ".join(repr(n) for n in declared) if declared else "none")
    if suggestions:
        text += "; closest: %s" % ", ".join(repr(s) for s in suggestions[:3])
    name = (item.body or {}).get("displayName") or item.params.get("display_name")
    return "%s%s: %s (got %r)." % (
        item.where(where), " of the policy %r" % name if name else "", text, value)


# ---------------------------------------------------------------------------------------------
# The engine, with names for the diff


class ConditionalAccessEngine(ResourceEngine):
    """The resource engine; once the changes are made (or predicted) in diff mode, the ids of the
    policies that change are looked up in one more bulk read so that the diff shows names."""

    def __init__(self, graph, resource, resolver=None, **kwargs):
        super().__init__(graph, resource, **kwargs)
        self.resolver = resolver
        self._named_locations = None
        self._identities = None
        self._memberships = {}
        self._members = {}
        # The guards of the task before its first write (``_conditional_access.guards.Guards``); None: none.
        self.guards = None
        if getattr(resource, "groups_of", False) is None:
            # The exclusion guard counts an emergency user excluded through a group it belongs to.
            resource.groups_of = lambda user_id: self.user_memberships(user_id)[0]

    def user_memberships(self, user_id):
        """``(group ids, role template ids)`` of a user, transitive; read once per task."""
        key = str(user_id).lower()
        if key not in self._memberships:
            self._memberships[key] = memberships(self.graph, user_id)
        return self._memberships[key]

    def group_memberships(self, group_id):
        """``(group ids, role template ids)`` that a group belongs to or holds, transitive; read once."""
        key = "group:%s" % str(group_id).lower()
        if key not in self._memberships:
            self._memberships[key] = memberships(self.graph, group_id, kind="groups")
        return self._memberships[key]

    @classmethod
    def for_task(cls, module, resource, resolver, api_version, check_mode=None):
        return cls(lambda: PreferUnknownEnumMembers(module.graph), resource, resolver=resolver,
                   check_mode=module.check_mode if check_mode is None else check_mode, diff_mode=module.diff_mode,
                   warn=module.warn, api_version=api_version, backup=backup_for(module))

    # -- the lockout pre-flight -----------------------------------------------------------------
    def predicted_policies(self, changes):
        """Every policy of the tenant once ``changes`` are made: the live ones, less those deleted,
        those updated as they will be, and those created."""
        return predicted_policies(self.objects(), changes)

    def named_locations(self, policies=None):
        """The tenant's named locations, a list (one paged read, kept: the pre-flight, the coverage
        matrix and the what-if each go over it several times); none read when no enabled policy of
        ``policies`` has a location condition."""
        if policies is not None and not any(
                str(p.get("state") or "").lower() == "enabled" and has_locations(p) for p in policies):
            return []
        if self._named_locations is None:
            self._named_locations = list(self.graph.list(NAMED_LOCATIONS, api_version=self.api_version))
        return self._named_locations

    def emergency_identities(self):
        """The emergency-access accounts as the pre-flight evaluates them (``emergency_identity``):
        each user with its transitive groups and directory roles (one read per user); each group as
        any member of it (with the groups that hold it, nested: one read), and as each user it holds,
        nested members included (one read for the members, one per member), since a policy may
        name such a user, or a group or role of theirs, directly."""
        if self._identities is not None:
            return self._identities
        emergency = self.resource.emergency_access or {}
        names = self.resolver.names_by_id() if self.resolver is not None else {}
        identities = []
        given = set(str(u).lower() for u in emergency.get("users") or [])
        for user_id in emergency.get("users") or []:
            groups, roles = self.user_memberships(user_id)
            label = (names.get("user") or {}).get(str(user_id).lower()) or user_id
            identities.append(emergency_identity(label, "user", user_id, groups, roles))
        for group_id in emergency.get("groups") or []:
            # A policy on a group that holds this one (nested) reaches its members too.
            groups, roles = self.group_memberships(group_id)
            label = (names.get("group") or {}).get(str(group_id).lower()) or group_id
            identities.append(emergency_identity(label, "group", group_id, groups, roles))
            for member in self.group_user_members(group_id):
                if str(member["id"]).lower() in given:
                    continue
                given.add(str(member["id"]).lower())
                member_groups, member_roles = self.user_memberships(member["id"])
                identities.append(emergency_identity(
                    "%s (member of %s)" % (member.get("userPrincipalName") or member["id"], label), "user",
                    member["id"], member_groups, member_roles))
        self._identities = identities
        return identities

    def group_user_members(self, group_id):
        """The users a group holds, nested members included, with ``accountEnabled``: one paged read,
        kept for the task."""
        key = str(group_id).lower()
        if key not in self._members:
            self._members[key] = [
                m for m in self.graph.list("/groups/%s/transitiveMembers" % group_id, api_version="v1.0",
                                           query={"$select": "id,userPrincipalName,accountEnabled"})
                if str(m.get("@odata.type", "")).lower().endswith(".user") and m.get("id")]
        return self._members[key]

    def preflight(self, changes):
        """Refuse the changes, before anything is written, when the policies as they would be lock
        an emergency-access account out (``_conditional_access.rules.preflight_problems``); warn about a
        lockout that a policy the task leaves alone already causes. Nothing is read or checked
        without emergency-access accounts, without a create or update that will be enforced, or
        when the resource's lockout guard is off (planning only)."""
        emergency = self.resource.emergency_access or {}
        if not getattr(self.resource, "lockout_guard", True) or not (emergency.get("users") or emergency.get("groups")):
            return
        # Only a policy created or changed that will be enforced can lock anyone out (deleting, disabling or
        # switching to report-only only lifts requirements), so other tasks cost no read.
        touched = [c for c in changes if c.action in ("create", "update")
                   and str((c.predicted or c.body or {}).get("state") or "").lower() == "enabled"]
        if not touched:
            return
        predicted = self.predicted_policies(changes)
        changed = set()
        for change in touched:
            body = change.predicted or change.body or {}
            changed.update(v for v in (body.get("id"), body.get("displayName")) if v)
        problems, warnings = preflight_problems(predicted, self.emergency_identities(), changed,
                                                self.named_locations(predicted))
        for warning in warnings:
            self.warn(warning)
        if problems:
            raise PolicyInputError(problems)

    def compliance_assignments(self):
        """The tenant's device compliance policies with their assignments (``ComplianceAssignments``): one paged
        read, kept for the task, with the policies an earlier task of the play writes laid over them and those it
        deletes left out (``planned_compliance``, when the task was told); None when the application may not read
        them (a warning says so)."""
        if getattr(self, "_compliance", False) is False:
            try:
                stored = list(self.graph.list(COMPLIANCE_COLLECTION, api_version="beta",
                                              query={"$expand": "assignments"}))
                plan = getattr(self.resource, "compliance_plan", None)
                if plan is not None:
                    stored = planned_compliance(stored, plan[0], plan[1])
                self._compliance = ComplianceAssignments(stored)
            except GraphError as exc:
                if exc.status not in (401, 403):
                    raise
                self.warn("Compliance check skipped: the device compliance policies could not be read (%s); the "
                          "application needs DeviceManagementConfiguration.Read.All for it." % exc.describe())
                self._compliance = None
        return self._compliance

    def compliance_personas(self, policies, assignments):
        """The pre-flight's personas (``preflight_personas``): each group named, with the groups that hold it (one
        read per group, kept), everyone else, and the emergency-access identities."""
        groups = []
        for policy in policies:
            users = ((policy.get("conditions") or {}).get("users")) or {}
            groups.extend(str(g).lower() for side in ("includeGroups", "excludeGroups") for g in users.get(side) or [])
        groups.extend(assignments.groups())
        holding = dict((g, self.group_memberships(g)[0]) for g in dict.fromkeys(groups))
        if self.resolver is not None:
            # The groups only the compliance policies name, by name in the messages (one look-up by id).
            named = self.resolver.names_by_id().get("group") or {}
            unnamed = [g for g in assignments.groups() if g not in named]
            if unnamed:
                try:
                    self.resolver.resolve({"group": unnamed})
                except TenantGuardError as exc:
                    self.warn("The compliance pre-flight shows group ids: their names could not be read (%s)"
                              % exc.describe())
        known = self.resolver.names_by_id() if self.resolver is not None else {}
        user_names = known.get("user") or {}
        users = dict((u, (user_names.get(u) or u, self.user_memberships(u)[0])) for u in named_users(policies))
        emergency = self.resource.emergency_access or {}
        identities = self.emergency_identities() if (emergency.get("users") or emergency.get("groups")) else []
        return preflight_personas(policies, assignments, known.get("group") or {}, identities, holding, users)

    def compliance_preflight(self, changes):
        """Refuse, before anything is written, an enforced policy created or changed that requires a compliant
        device on iOS or Android of an emergency-access account, or of everyone it applies to there, without a
        compliance policy assigned to them (``_conditional_access.compliance_coverage.preflight_findings``), unless its
        item acknowledges the lockout risk (then a warning); a narrower gap is a warning, and so is a gap the policy
        already had while enforced (this task does not change it). In check mode a refusal is a warning too: an
        earlier task of the play may assign the compliance policy, which check mode did not write; unless the task
        was told what the earlier tasks write (``compliance_policies_planned``, ``compliance_policies_removed``):
        then check mode refuses exactly what the real run would. The compliance policies are read once, and only
        when such a policy is written."""
        if not getattr(self.resource, "lockout_guard", True):
            return
        touched = [c for c in changes if c.action in ("create", "update")
                   and str((c.predicted or c.body or {}).get("state") or "").lower() == "enabled"
                   and needs_compliant_device(c.predicted or c.body)
                   and targeted_platforms(c.predicted or c.body)]
        if not touched:
            return
        assignments = self.compliance_assignments()
        if assignments is None:
            return
        policies = [c.predicted or c.body for c in touched]
        policies += [c.current for c in touched if c.current]
        personas = self.compliance_personas(policies, assignments)
        named_locations = self.named_locations(policies)
        problems = []
        for change in touched:
            policy = change.predicted or change.body
            findings = preflight_findings(policy, assignments, personas, named_locations)
            if not findings:
                continue
            field = change.declared.field if change.declared is not None else ""
            if change.current and gap_key(findings) <= gap_key(
                    preflight_findings(change.current, assignments, personas, named_locations)):
                self.warn(located(field, gap_message(policy, findings, existing=True)))
                continue
            refuse = any(f["refuse"] for f in findings.values())
            planned = getattr(self.resource, "compliance_plan", None) is not None
            acknowledged = self.resource.context(field).acknowledge_lockout_risk
            if not refuse:
                self.warn(located(field, gap_message(policy, findings, planned=planned)))
            elif acknowledged:
                self.warn(gap_message(policy, findings, True, planned=planned))
            elif self.check_mode and not planned:
                # An earlier task of the play may assign the compliance policy; check mode wrote nothing for it.
                self.warn("%s (check mode: unless an earlier task assigns one, the task will refuse this)"
                          % located(field, gap_message(policy, findings)))
            else:
                problems.append(located(field, gap_message(policy, findings, planned=planned)))
        if problems:
            raise PolicyInputError(problems)

    def apply(self, changes):
        try:
            if self.guards is not None:
                problems = self.guards.problems(self, changes)
                if problems:
                    raise PolicyInputError(problems)
            self.preflight(changes)
            self.compliance_preflight(changes)
        except TenantGuardError:
            self._unlock()
            raise
        changes = super().apply(changes)
        if self.diff_mode and self.resolver is not None:
            wanted = {}
            for change in changes:
                if not change.changed:
                    continue
                for body in (change.current, change.stored or change.predicted):
                    for kind, ids in ids_to_name(body).items():
                        wanted.setdefault(kind, set()).update(ids)
            if wanted:
                try:
                    self.resolver.resolve(wanted)
                except TenantGuardError as exc:
                    self.warn("The diff shows ids: their names could not be read (%s)" % exc.describe())
        return changes


def memberships(graph, object_id, kind="users"):
    """``(group ids, directory role template ids)`` of a user (or, ``kind="groups"``, of a group),
    transitive: one paged read."""
    # No $select: roleTemplateId belongs to directoryRole only, and Graph refuses it on directoryObject.
    return split_memberships(graph.list("/%s/%s/transitiveMemberOf" % (kind, object_id), api_version="v1.0"))


def split_memberships(objects):
    """``(group ids, directory role template ids)``, lower case, of a transitiveMemberOf answer."""
    groups, roles = [], []
    for obj in objects:
        if str(obj.get("@odata.type", "")).lower().endswith("directoryrole"):
            if obj.get("roleTemplateId"):
                roles.append(str(obj["roleTemplateId"]).lower())
        elif obj.get("id"):
            groups.append(str(obj["id"]).lower())
    return groups, roles


def has_locations(policy):
    locations = ((policy or {}).get("conditions") or {}).get("locations") or {}
    return bool(locations.get("includeLocations") or locations.get("excludeLocations"))


def predicted_policies(live, changes):
    """``live`` (the tenant's policies) with ``changes`` (the engine's plan) applied."""
    replaced = {}
    removed = set()
    created = []
    for change in changes:
        if change.action == "delete" and change.current:
            removed.add(str(change.current.get("id")).lower())
        elif change.action == "update" and change.current:
            replaced[str(change.current.get("id")).lower()] = change.predicted
        elif change.action == "create":
            created.append(change.predicted or change.body)
    found = []
    for policy in live or ():
        key = str(policy.get("id")).lower()
        if key in removed:
            continue
        found.append(copy.deepcopy(replaced.get(key, policy)))
    found.extend(copy.deepcopy(c) for c in created)
    return found


# ---------------------------------------------------------------------------------------------
# One task: prepared, and planned without writing


def validate_items(items, options, labels=None):
    """Check each item of conditional_access_policies against ``options`` (the options of one
    policy, or a caller's superset of them); every problem is raised together. ``labels``: how
    messages name each item (see ``item_field``)."""
    validator = ArgumentSpecValidator(options, required_one_of=[["display_name", "id", "template"]])
    out = []
    problems = []
    for index, item in enumerate(items):
        field = item_field({"item_labels": labels}, index)
        if not isinstance(item, dict):
            problems.append("%s: is not a dict of policy options (got %r)." % (field, item))
            continue
        result = validator.validate(item)
        if result.error_messages:
            problems.extend("%s: %s." % (field, error.rstrip(".")) for error in result.error_messages)
            continue
        out.append(result.validated_parameters)
    if problems:
        raise PolicyInputError(problems)
    return out


def validated_items(params):
    """Check each item of conditional_access_policies against the options of one policy."""
    return validate_items(params[LIST_OPTION], item_options(), params.get("item_labels"))


class PolicyTask:
    """A task's policies on their way to the engine: items validated, templates laid under them,
    every name resolved. ``declared``: one ``Declared`` per item; ``emergency``: the resolved
    emergency-access accounts (``{"users", "groups"}`` ids) or None."""

    def __init__(self, engine, resource, resolver, declared, emergency):
        self.engine = engine
        self.resource = resource
        self.resolver = resolver
        self.declared = declared
        self.emergency = emergency


def refuse_block_with_other_controls(items):
    """block denies access, so any other control next to it is a contradiction (the portal offers block or grant)."""
    problems = []
    for item in items:
        controls = ((item.body or {}).get("grantControls") or {}).get("builtInControls") or []
        if "block" in controls and len(controls) > 1:
            field = item.where("grant_controls.built_in_controls")
            problems.append("%s: block cannot be combined with other controls (got %r). Accepted: [block] alone, "
                            "or grant controls without block." % (field, list(controls)))
    if problems:
        raise PolicyInputError(problems)


def prepare_task(module, params, check_mode=None, reference_wait=None, validated=False):
    """Steps 1 to 3 of the module docstring for ``params`` (options of conditional_access_policy,
    single or set mode) on ``module`` (a TenantGuardModule): the one pipeline of the module and of
    every planner (what-if, coverage). ``check_mode`` (default: the module's) keeps the names of
    objects an earlier task would create unresolved, with a warning; ``validated``: the list option's
    items have been checked against their options already."""
    params = dict(params)
    check_mode = module.check_mode if check_mode is None else check_mode
    api_version = params.get("api_version") or "v1.0"
    params["state"] = params.get("state") or "present"
    if params.get(LIST_OPTION) is not None and not validated:
        params[LIST_OPTION] = validated_items(params)
    if reference_wait is None:
        # Check mode creates nothing, so a reference not visible yet will not become visible.
        reference_wait = 0 if check_mode else params.get("reference_timeout", DEFAULT_REFERENCE_TIMEOUT)
    resolver = NameResolver(module.graph, api_version=api_version, reference_wait=reference_wait, awaited={
        "namedLocation": params.get("declared_named_locations"),
        "authenticationStrength": params.get("declared_authentication_strengths")})
    resolver.know("namedLocation", checked_known("known_named_locations", params.get("known_named_locations")))
    items = policy_items(params)
    option_bodies(items, api_version)
    refuse_block_with_other_controls(items)
    if any(item.template for item in items):
        apply_templates(items, TemplateCatalog(module.graph, api_version))
    unresolved = set()
    emergency = resolve_all(items, resolver, params.get("emergency_access"), module.warn, check_mode=check_mode,
                            unresolved=unresolved)
    fill_placeholders([item for item in items if item.state == "present"], emergency, module.warn)

    resource = ConditionalAccessPolicyType(api_version, resolver, emergency)
    resource.unresolved = unresolved
    for item in items:
        resource.contexts[item.field] = ItemContext(item.acknowledge)
    engine = ConditionalAccessEngine.for_task(module, resource, resolver, api_version, check_mode=check_mode)
    declared = [Declared(item.body, state=item.state, id=item.id, field=item.field) for item in items]
    return PolicyTask(engine, resource, resolver, declared, emergency)


class PolicyPlan:
    """What a task would do, planned and never written: ``changes`` (the engine's), ``live`` (the
    tenant's policies), ``predicted`` (the tenant's policies once done), ``declared`` (the declared
    present policies as they would be: Graph bodies with ids, no ``id`` for a new one),
    ``resolver`` (the names of everything resolved), ``emergency`` (``{"users", "groups"}`` ids or
    None) and ``engine`` (to read named locations and emergency identities)."""

    def __init__(self, task, changes):
        self.engine = task.engine
        self.resolver = task.resolver
        self.emergency = task.emergency
        self.changes = changes
        self.live = task.engine.objects()
        self.predicted = predicted_policies(self.live, changes)
        self.declared = [copy.deepcopy(c.predicted) for c in changes
                         if c.declared is not None and c.declared.state == "present" and c.predicted is not None]


def plan_policies(module, params):
    """Plan the policies of ``params`` (options of conditional_access_policy: set mode
    ``conditional_access_policies`` or a single policy; optionally ``emergency_access``,
    ``api_version``, ``purge``, ``purge_name_pattern``) against the tenant, writing nothing: a
    ``PolicyPlan``. Input problems raise PolicyInputError as the module would; lockouts are not
    refused (they are for the caller to evaluate). Names of named locations and authentication
    strengths that do not exist yet are kept as given, with a warning."""
    task = prepare_task(module, params, check_mode=True, reference_wait=0)
    task.resource.lockout_guard = False
    if params.get(LIST_OPTION) is not None:
        changes = task.engine.plan_set(task.declared, purge=params.get("purge") or False,
                                       purge_name_pattern=params.get("purge_name_pattern"))
    else:
        changes = [task.engine.plan(task.declared[0])]
    for warning in task.resource.warnings:
        module.warn(warning)
    return PolicyPlan(task, changes)
