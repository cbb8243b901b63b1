# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: putting back what backup files (``_engine.backup``) recorded, through the resource engine.

Not a public API. Used by the ``backup_restore`` module. From one or more backup files:

1. **Targets.** Entries are read in the order they were written (files by start time, then entry
   number) and folded per object (collection + id; a create whose id was never recorded: its
   display name). The FIRST entry of an object says what the object was before any of the files'
   writes: a create means it did not exist (target: absent); an update or a delete gives the
   object as it was (target: present, with those settings).
2. **Desired bodies.** For a present target: the prior object without its read-only fields and
   annotations, and with an explicit null for each property the object has now but did not have
   then, so that the resource's normaliser reads back equal. App protection assignments keep their
   targets only.
3. **Plan, all first.** Every target is planned by the engine of its resource type (found through
   the entry's ``collection``), so every refusal (a retired grant, the lockout guard, a built-in)
   is reported before anything is written.
4. **Write, in dependency order.** Present targets first, named locations and authentication
   strengths before conditional access policies; an object that existed is found by its id, one
   that was deleted is created again (new id) or, if an object with its name exists, updated.
   The old id of an object created again is replaced by the new one in the bodies restored after
   it. Then the absent targets, conditional access policies before what they reference. A created
   object whose name a present target needs is deleted first.

Each write goes through the engine, so the restore keeps its own backup file: it can be undone
the same way. Restoring again changes nothing: updated objects already equal their prior
settings, recreated ones are found by name, deleted ones are gone.
"""

import copy
import os

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_configuration import (
    COLLECTION as APP_CONFIGURATION_COLLECTION, AppConfigurationType)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import (
    COLLECTIONS as APP_PROTECTION_COLLECTIONS, AppProtectionType)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance import (
    COLLECTION as COMPLIANCE_COLLECTION, RULES as COMPLIANCE_RULES, CompliancePolicyType)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import MamPolicyEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.enrollment import (
    COLLECTION as ENROLLMENT_COLLECTION, EnrollmentRestrictionEngine, EnrollmentRestrictionType)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import (
    AuthenticationStrengthType)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import BackupFileError, load_backup
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    COLLECTION as CA_COLLECTION, ConditionalAccessEngine, ConditionalAccessPolicyType, ItemContext,
    PreferUnknownEnumMembers)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError, TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import NamedLocationType
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import ACTION_WORDS, Declared, ResourceEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import fold, is_annotation
from ansible_collections.tenantguard.m365.plugins.module_utils._restore.exchange import (
    NOT_RESTORABLE, ExchangeRestorer, ExchangeTarget, exchange_target, resources as exchange_resources)

# Resource types that others reference come first when restoring what exists, last when deleting.
REFERENCED, REFERENCING = 0, 1


class RestoreError(ProblemsError):
    """Every target that cannot be restored, found before anything was written."""

    summary = "%d backup entries cannot be restored, nothing was changed"


class Kind:
    """How to restore one collection: its resource type, engine and rank."""

    def __init__(self, collection, make_resource, engine_class=ResourceEngine, rank=REFERENCED, graph=None,
                 exchange=None):
        self.collection = collection
        self.make_resource = make_resource
        self.engine_class = engine_class
        self.rank = rank
        self.graph = graph
        self.exchange = exchange      # the CmdletResource of an Exchange collection (``_restore.exchange``)


def kinds():
    """Every collection a backup can name."""
    found = {
        NamedLocationType.collection: Kind(NamedLocationType.collection, lambda version, ctx: NamedLocationType()),
        AuthenticationStrengthType.collection: Kind(AuthenticationStrengthType.collection,
                                                    lambda version, ctx: AuthenticationStrengthType()),
        CA_COLLECTION: Kind(CA_COLLECTION, lambda version, ctx: ConditionalAccessPolicyType(
            version, ctx.get("resolver"), ctx.get("emergency_access")), ConditionalAccessEngine, REFERENCING,
            graph=PreferUnknownEnumMembers),
        APP_CONFIGURATION_COLLECTION: Kind(APP_CONFIGURATION_COLLECTION,
                                           lambda version, ctx: AppConfigurationType(version), MamPolicyEngine),
    }
    found[COMPLIANCE_COLLECTION] = Kind(COMPLIANCE_COLLECTION, lambda version, ctx: CompliancePolicyType(version),
                                        MamPolicyEngine)
    found[ENROLLMENT_COLLECTION] = Kind(ENROLLMENT_COLLECTION, lambda version, ctx: EnrollmentRestrictionType(version),
                                        EnrollmentRestrictionEngine)
    for platform, collection in APP_PROTECTION_COLLECTIONS.items():
        found[collection] = Kind(collection, lambda version, ctx, p=platform: AppProtectionType(p, version),
                                 MamPolicyEngine)
    for collection, resource in exchange_resources().items():
        found[collection] = Kind(collection, None, exchange=resource)
    return found


class Target:
    """What one object must be once restored."""

    def __init__(self, key, entry, source, kind):
        self.key = key
        self.entry = entry            # the first entry of the object
        self.source = source          # the backup file
        self.kind = kind
        self.present = entry["action"] != "create"
        self.before = copy.deepcopy(entry.get("before")) if self.present else None
        self.id = (self.before or {}).get("id") if self.present else entry.get("id")
        self.name = entry.get("display_name")
        self.api_version = entry.get("api_version") or "v1.0"
        self.change = None
        self.engine = None

    def where(self):
        return "%s entry %s (%s %r)" % (os.path.basename(self.source), self.entry.get("seq"), self.entry.get("noun")
                                        or "object", self.name)


def restore_body(resource, before, current):
    """The desired body that turns ``current`` (None when gone) back into ``before``."""
    read_only = set(resource.read_only_fields)
    body = dict((k, copy.deepcopy(v)) for k, v in before.items()
                if k not in read_only and (not is_annotation(k) or k == "@odata.type"))
    for key in (current or {}):
        if key not in before and key not in read_only and not is_annotation(key):
            body[key] = None
    if isinstance(resource, (AppProtectionType, CompliancePolicyType, EnrollmentRestrictionType)) \
            and "assignments" in body:
        body["assignments"] = [{"target": copy.deepcopy(a.get("target") or {})} for a in body["assignments"] or []]
    if isinstance(resource, CompliancePolicyType) and before.get("@odata.type"):
        body["@odata.type"] = before["@odata.type"]  # the platform: Graph refuses a policy of the abstract type
    if isinstance(resource, CompliancePolicyType) and body.get(COMPLIANCE_RULES):
        body[COMPLIANCE_RULES] = [
            {"ruleName": rule.get("ruleName"), "scheduledActionConfigurations": [
                dict((k, v) for k, v in action.items() if k != "id" and not is_annotation(k))
                for action in rule.get("scheduledActionConfigurations") or []]}
            for rule in body[COMPLIANCE_RULES] or []]
    return body


def substitute_ids(value, mapping):
    """``value`` with every string equal (without regard to case) to an old id replaced by the new id."""
    if not mapping:
        return value
    if isinstance(value, dict):
        return dict((k, substitute_ids(v, mapping)) for k, v in value.items())
    if isinstance(value, list):
        return [substitute_ids(v, mapping) for v in value]
    if isinstance(value, str) and value.lower() in mapping:
        return mapping[value.lower()]
    return value


def wrapped_graph(source, wrap):
    """A Graph client source whose client is ``wrap(client)`` (the CA policies' Prefer header)."""
    def graph():
        return wrap(source())
    return graph


class Restorer:
    """Restores backup files through the resource engines; see the module docstring."""

    def __init__(self, graph_source, check_mode=False, diff_mode=False, warn=None, backup=None, context=None,
                 exchange_source=None):
        self._graph_source = graph_source
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self._warn = warn or (lambda message: None)
        self.backup = backup
        self.context = context or {}
        self.kinds = kinds()
        self.engines = {}
        self.ids = {}                 # old id (lower case) -> new id of an object created again
        self.recreated = []
        self.exchange = ExchangeRestorer(exchange_source, check_mode=check_mode, backup=backup, warn=self._warn)

    # -- reading ------------------------------------------------------------------------------
    def targets(self, paths, tenant_id, field="backup_file"):
        documents = []
        for path in paths:
            document = load_backup(path, field)
            recorded = str(document.get("tenant_id") or "")
            if tenant_id and fold(recorded) != fold(str(tenant_id)):
                raise BackupFileError(field, "was written for tenant %r, but this task connects to tenant %r" % (
                    recorded, tenant_id), value=path,
                    accepted="a backup of the tenant this task manages (tenant_id as it was when the backup was "
                             "written)")
            documents.append((document.get("started") or "", path, document))
        documents.sort(key=lambda item: (item[0], item[1]))
        targets = {}
        order = []
        for _started, path, document in documents:
            for entry in sorted(document["entries"], key=lambda e: e.get("seq") or 0):
                kind = self.kinds.get(entry["collection"])
                if entry["collection"] in NOT_RESTORABLE:
                    raise BackupFileError(field, "entry %s (%s %r) cannot be restored: %s; nothing was changed" % (
                        entry.get("seq"), entry.get("noun") or entry["collection"], entry.get("display_name"),
                        NOT_RESTORABLE[entry["collection"]]), value=path,
                        accepted="entries of %s" % ", ".join(sorted(self.kinds)))
                if kind is None:
                    raise BackupFileError(field, "entry %s names the collection %r, which this collection does not "
                                          "restore" % (entry.get("seq"), entry["collection"]), value=path,
                                          accepted="entries of %s" % ", ".join(sorted(self.kinds)))
                if kind.exchange is not None:
                    target = exchange_target(kind.exchange, entry, path, field)
                    if target.key not in targets:
                        targets[target.key] = target
                        order.append(target)
                    continue
                object_id = (entry.get("before") or {}).get("id") or entry.get("id")
                if object_id:
                    key = (entry["collection"], "id", str(object_id).lower())
                else:
                    key = (entry["collection"], "name", fold(entry.get("display_name")))
                if key in targets:
                    continue
                targets[key] = Target(key, entry, path, kind)
                order.append(targets[key])
        return order

    # -- engines ------------------------------------------------------------------------------
    def engine(self, target):
        key = (target.kind.collection, target.api_version)
        if key not in self.engines:
            resource = target.kind.make_resource(target.api_version, self.context)
            if isinstance(resource, ConditionalAccessPolicyType):
                resource.contexts[""] = ItemContext(self.context.get("acknowledge_lockout_risk"))
            graph = self._graph_source
            if target.kind.graph is not None:
                graph = wrapped_graph(self._graph_source, target.kind.graph)
            kwargs = dict(check_mode=self.check_mode, diff_mode=self.diff_mode, warn=self._warn,
                          api_version=target.api_version, backup=self.backup)
            if target.kind.engine_class is ConditionalAccessEngine:
                kwargs["resolver"] = self.context.get("resolver")
            self.engines[key] = target.kind.engine_class(graph, resource, **kwargs)
        return self.engines[key]

    # -- planning -----------------------------------------------------------------------------
    def declared(self, target, engine):
        resource = engine.resource
        if not target.present:
            if target.id:
                found = engine.by_id(target.id)
                return Declared({}, state="absent", id=target.id) if found else None
            named = engine.by_name(target.name) if target.name else []
            if not named:
                return None
            return Declared({resource.name_field: target.name}, state="absent")
        before = substitute_ids(target.before, self.ids)
        current = engine.by_id(target.id) if target.id else None
        object_id = target.id if current is not None else None
        if current is None:
            # Deleted since: created again, or found by its name (a second object is never created).
            named = engine.by_name(resource.name_of(before)) if resource.name_of(before) else []
            current = named[0] if len(named) == 1 else None
            if current is not None and target.id and current.get("id"):
                # Created again by an earlier restore: what referenced the old id now references this one.
                self.ids.setdefault(str(target.id).lower(), current["id"])
        return Declared(restore_body(resource, before, current), state="present", id=object_id)

    def plan(self, target):
        engine = self.engine(target)
        target.engine = engine
        declared = self.declared(target, engine)
        if declared is None:
            target.change = None
            return None
        try:
            target.change = engine.plan(declared)
        except TenantGuardError as exc:
            raise RestoreError(["%s: %s" % (target.where(), exc.describe())])
        return target.change

    def check_all(self, targets):
        """Plan every target once; every problem at once, before any write."""
        problems = []
        present, absent = self.ordered(targets)
        for target in present + absent:
            try:
                self.plan(target)
            except RestoreError as exc:
                problems.extend(exc.problems)
        problems.extend(self.exchange.plan_all([t for t in targets if isinstance(t, ExchangeTarget)]))
        if problems:
            raise RestoreError(problems)

    # -- writing ------------------------------------------------------------------------------
    def ordered(self, targets):
        """The Graph targets: those that must exist, those that must not."""
        graph = [t for t in targets if not isinstance(t, ExchangeTarget)]
        present = [t for t in graph if t.present]
        absent = [t for t in graph if not t.present]
        present.sort(key=lambda t: t.kind.rank)
        absent.sort(key=lambda t: -t.kind.rank)
        return present, absent

    def apply(self, target):
        try:
            change = self.plan(target)  # again: what was written since may have changed the plan
        except RestoreError as exc:
            raise RestoreFailed(exc, target)
        if change is None or not change.changed:
            return
        try:
            target.engine.apply([change])
        except TenantGuardError as exc:
            raise RestoreFailed(exc, target)
        if target.present and change.action == "create" and change.stored and target.id:
            new_id = change.stored.get("id")
            if new_id and str(new_id).lower() != str(target.id).lower():
                self.ids[str(target.id).lower()] = new_id
                self.recreated.append({"noun": target.entry.get("noun"), "display_name": target.name,
                                       "old_id": target.id, "new_id": new_id})
                self._warn("%s was created again with the id %s (it had %s); references to the old id outside the "
                           "restored backup are not updated." % (engine_label(target), new_id, target.id))

    def restore(self, paths, tenant_id):
        targets = self.targets(paths, tenant_id)
        self.check_all(targets)
        present, absent = self.ordered(targets)
        handled = set()
        done = []
        try:
            for target in present:
                if self.check_mode:
                    continue
                # An object created by the backed-up run that holds the name this one needs: delete it first.
                for other in absent:
                    if other.key in handled or other.kind is not target.kind:
                        continue
                    if other.name and fold(other.name) == fold(target.name) and target.engine.by_id(target.id) is None:
                        self.apply(other)
                        handled.add(other.key)
                        done.append(other)
                self.apply(target)
                done.append(target)
            for target in absent:
                if target.key in handled or self.check_mode:
                    continue
                self.apply(target)
                done.append(target)
            if not self.check_mode:
                exchange = [t for t in targets if isinstance(t, ExchangeTarget)]
                done.extend(self.exchange.write(exchange, self.exchange_failed))
        except RestoreFailed as exc:
            exc.done = [t for t in done + exc.done if changed(t)]
            raise
        return targets

    @staticmethod
    def exchange_failed(error, target, done):
        failure = RestoreFailed(error, target)
        failure.done = list(done)
        raise failure

    # -- results ------------------------------------------------------------------------------
    def actions(self, targets):
        out = []
        for target in targets:
            if isinstance(target, ExchangeTarget):
                if target.command is not None:
                    out.append({"backup_file": target.source, "seq": target.entry.get("seq"),
                                "noun": target.entry.get("noun"), "display_name": target.name, "id": target.name,
                                "action": ACTION_WORDS[target.command["action"]],
                                "backed_up_action": target.entry["action"]})
                continue
            change = target.change
            action = ACTION_WORDS[change.action] if change is not None else "unchanged"
            if action == "unchanged":
                continue
            obj = (change.stored or change.current or change.predicted or {}) if change else {}
            out.append({"backup_file": target.source, "seq": target.entry.get("seq"), "noun": target.entry.get("noun"),
                        "display_name": target.name, "id": obj.get("id"), "action": action,
                        "backed_up_action": target.entry["action"]})
        return out

    def diff(self, targets):
        before, after = {}, {}
        for target in targets:
            if isinstance(target, ExchangeTarget):
                if target.command is not None:
                    label, old, new = self.exchange.diff_of(target)
                    if old is not None:
                        before[label] = old
                    if new is not None:
                        after[label] = new
                continue
            change = target.change
            if change is None or not change.changed:
                continue
            resource = target.engine.resource
            label = "%s %s" % (target.entry.get("noun"), target.name)
            if change.current:
                before[label] = resource.display(change.current)
            final = None if change.action == "delete" else (change.stored or change.predicted)
            if final:
                after[label] = resource.display(final)
        return {"before": before, "after": after, "before_header": "tenant now", "after_header": "restored"}


def changed(target):
    """Whether the restore changed (or would change) ``target``."""
    if isinstance(target, ExchangeTarget):
        return target.command is not None
    return target.change is not None and target.change.changed


class RestoreFailed(TenantGuardError):
    """A write of the restore failed; ``done`` lists what was restored before."""

    def __init__(self, error, target):
        self.error = error
        self.target = target
        self.done = []
        super().__init__(self.describe())

    def describe(self):
        return "restoring %s failed: %s" % (self.target.where(), self.error.describe())

    def details(self):
        return self.error.details()


def engine_label(target):
    return "%s %r" % (target.entry.get("noun") or "object", target.name)


def find_backup_files(directory, tenant_id, latest=1, field="backup_dir"):
    """The ``latest`` newest backup files of ``tenant_id`` under ``directory``."""
    from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import safe_name
    tenant_dir = os.path.join(directory, safe_name(tenant_id))
    try:
        names = sorted(n for n in os.listdir(tenant_dir) if n.endswith(".json") and not n.startswith("."))
    except OSError as exc:
        raise ConfigError(field, "holds no backups of tenant %s (%s)" % (tenant_id, exc.strerror or exc),
                          value=directory, kind="Option",
                          accepted="the backup_dir the writing tasks used (default ~/.ansible/tenantguard/backups)")
    if not names:
        raise ConfigError(field, "holds no backup files of tenant %s" % tenant_id, value=directory, kind="Option",
                          accepted="the backup_dir the writing tasks used")
    return [os.path.join(tenant_dir, n) for n in names[-latest:]]
