# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: conditional access policies on the resource engine, from module options to Graph bodies.

Not a public API. What the ``conditional_access_policy`` module does in one task:

1. check every item's options (enum values, beta-only options, ids that can never be right);
2. lay each item over its Microsoft template, when it names one (``_ca_policy_module_templates``);
3. resolve every name of every item, and the emergency-access accounts, in one bulk look-up
   (``_names``), and warn about ids that match nothing (Graph keeps such ids);
4. hand the desired bodies to the engine, whose hooks (``ConditionalAccessPolicyType``) refuse,
   before anything is written, what Graph would refuse and what could lock administrators out,
   compare without false drift and PATCH only what differs.

Reads of policies carry ``Prefer: include-unknown-enum-members``: without it Graph answers
``unknownFutureValue`` for enum members added after that sentinel (the ``riskRemediation`` grant,
the ``strictLocation`` evaluation mode), and a policy using them would seem to drift.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._backup import backup_for
from ansible_collections.tenantguard.m365.plugins.module_utils._ca_policy_normalise import (
    READ_ONLY_FIELDS,
    compute_patch,
    merge_for_prediction,
    normalise_policy,
    writable_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._ca_policy_rules import (
    REPORT_ONLY,
    option_problems,
    uses_retired_grant,
    write_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._ca_policy_spec import (
    RESOLVABLE_KINDS,
    argument_spec as policy_argument_spec,
    is_guid,
    is_special,
    option_path,
    options_to_graph,
    reference_values,
    substitute_references,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._errors import TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._names import LAGGING_KINDS
from ansible_collections.tenantguard.m365.plugins.module_utils._resource import ResourceEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._resource_type import ResourceType, Write

COLLECTION = "/identity/conditionalAccess/policies"
PREFER_HEADERS = {"Prefer": "include-unknown-enum-members"}
LIST_OPTION = "conditional_access_policies"
RESULT_KEY = "conditional_access_policy"
POLICY_OPTIONS = tuple(sorted(policy_argument_spec()))
STATES = ["present", "absent"]
DEFAULT_REFERENCE_TIMEOUT = 30.0
# The one placeholder Microsoft's templates put among the excluded users (see _ca_policy_module_templates).
PLACEHOLDER_EXCLUDED_USER = "Current administrator will be excluded"


class PolicyInputError(TenantGuardError):
    """Everything wrong with the task's input, found before any write; each problem names the
    option, the value and what would be accepted."""

    def __init__(self, problems):
        self.problems = [str(p) for p in problems]
        super().__init__(self.describe())

    def describe(self):
        if len(self.problems) == 1:
            return self.problems[0]
        return "%d problems, nothing was changed: %s" % (
            len(self.problems), " ".join("(%d) %s" % (i + 1, p) for i, p in enumerate(self.problems)))

    def details(self):
        return {"problems": self.problems}


def prefixed(field, text):
    """``conditional_access_policies[2].`` before a problem that starts with an option path."""
    return "%s.%s" % (field, text) if field else str(text)


def located(field, text):
    """A problem of the item at ``field``: option paths get the prefix, sentences a label."""
    text = str(text)
    if not field:
        return text
    if text.startswith("conditional access policy") or text.startswith("the conditional access policy"):
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


class ItemContext:
    """What the engine's hooks need to know about one declared policy besides its body."""

    def __init__(self, acknowledge_lockout_risk=False, created_state=REPORT_ONLY):
        self.acknowledge_lockout_risk = bool(acknowledge_lockout_risk)
        self.created_state = created_state


class ConditionalAccessPolicyType(ResourceType):
    """A conditional access policy: compared without false drift (``_ca_policy_normalise``),
    checked before any write (``_ca_policy_rules``), shown with names (``_names``)."""

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
                                    context.acknowledge_lockout_risk, self._names(), self.unresolved), field)

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
                                    context.acknowledge_lockout_risk, self._names(), self.unresolved), field)

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


def policy_items(params):
    """The PolicyItems of the task: one per item of ``conditional_access_policies``, or the
    top-level options."""
    if params.get(LIST_OPTION) is not None:
        items = []
        for index, item in enumerate(params[LIST_OPTION]):
            acknowledge = item.get("acknowledge_lockout_risk")
            if acknowledge is None:
                acknowledge = params.get("acknowledge_lockout_risk")
            items.append(PolicyItem(item, "%s[%d]" % (LIST_OPTION, index), item.get("state") or params["state"],
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

    In check mode a named location or authentication strength that does not exist is kept as
    given, with a warning: an earlier task of the same play may create it, which check mode
    only predicts."""
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


# ---------------------------------------------------------------------------------------------
# The engine, with names for the diff


class ConditionalAccessEngine(ResourceEngine):
    """The resource engine; once the changes are made (or predicted) in diff mode, the ids of the
    policies that change are looked up in one more bulk read so that the diff shows names."""

    def __init__(self, graph, resource, resolver=None, **kwargs):
        super().__init__(graph, resource, **kwargs)
        self.resolver = resolver

    @classmethod
    def for_task(cls, module, resource, resolver, api_version):
        return cls(lambda: PreferUnknownEnumMembers(module.graph), resource, resolver=resolver,
                   check_mode=module.check_mode, diff_mode=module.diff_mode, warn=module.warn,
                   api_version=api_version, backup=backup_for(module))

    def apply(self, changes):
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
