# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the resource engine that every idempotent module of tenantguard.m365 uses.

Not a public API. Data flow of one task::

    options -> validate -> (names resolved by the module) -> desired Graph body   [the module]
    -> read current: ONE paged list of the collection -> find each object           [the engine]
    -> normalise both -> compare -> plan: create / update / delete / nothing
    -> check mode: stop with the predicted objects and the diff
    -> otherwise write only the difference -> result: objects as stored, changed, diff

The module describes its resource with a ``ResourceType`` (``_engine.resource_type``) and each object it
wants with a ``Declared``; then::

    engine = ResourceEngine.for_module(module, NamedLocationType())
    return engine.converge(Declared(desired, state="present", id=None))           # one object
    return engine.converge_set(items, purge=True, purge_name_pattern="TG - .*")   # a list of them

**Identity.** ``id`` when given. If ``display_name`` is given too and another object carries that
name, it is an error listing both ids; otherwise a differing name is a rename. Without ``id``,
the display name: names match exactly, and when no object has the exact name, without regard to
case (Entra neither keeps names unique nor treats their case as meaningful, so ``VPN`` and
``vpn`` must not become two objects). Two matches are an error listing their ids. A second object
with the same name is never created.

**Writes.** Create: POST (201), then wait, bounded by ``settle_timeout``, until the new object is
readable (GET by id; a list when several were written), so that an immediate second run cannot create a duplicate
under replication lag. A POST whose connection dropped (or that was answered
503/504) is sent again only after fresh lists, repeated until ``settle_timeout`` has passed, show
that it did not land (the Graph client's ``find_existing``; a create that landed may be invisible
for a while). Update: the resource's ``Write`` requests, only what differs (PATCH 204, or an action
such as ``updateAllowedCombinations``). Delete: DELETE (204); an object already gone is no change.
Outside check mode, the tenant's write lock of the collection (``_engine.write_lock``) is held from the
read the plan is made from to the end of the writes, so that two runs of the same user at once
do not both create an object that neither has seen.

**Read back.** Every object created or updated is read again once written (GET by id, or one list
when several were written), with the list's query, until what Graph
returns carries what was declared (the resource's ``differs`` finds nothing left to change),
bounded by ``settle_timeout``. The object so read is what the result reports. If Graph still
returns something else when the time is up, the task warns naming the properties that differ.

**Two controllers.** The write lock covers one machine only; two AWX execution nodes or two
administrators on their own machines share nothing but the tenant. So, right before its first
create, a task lists the collection again: an object of the identity it is about to create that
appeared since its plan was read makes it fail, naming that object's id, with nothing written.
Right after its creates are readable, it looks once more: when another run created the same
identity at the same time, both runs see two objects, and the later one (by ``createdDateTime``,
then by id) gives way: the run that made it deletes its own copy and fails naming both ids
(``ConcurrentCreateError``; the other run's object stays, as that run declared it). The run whose
object is the earlier waits, within ``settle_timeout``, for the later copy to go, and fails naming
both ids if it stays. A copy that replication lag hides for longer than both runs look is found
by the next run, which refuses to choose between two objects of one name.

**Set mode.** A list option named for the plural of the resource (``named_locations``,
``authentication_strength_policies``, ``conditional_access_policies``) holds items with the same
options as the single-object form; the module's top-level ``state`` is the default of an item's
``state``. One list call serves every item. All items are planned (and every error raised)
before anything is written. ``purge: true`` deletes the objects that no item declares and whose
display name matches ``purge_name_pattern`` (a regular expression matched against the WHOLE name,
without regard to case); purge without a pattern is refused, and protected objects (built-ins)
are never purged. A set whose objects live in several collections (app protection policies: one per
platform) is split into ``Part``s, one engine each; ``converge_parts`` plans every part before writing
any, and tags each part's ``actions`` entries and diff keys (``ios: TG - iOS``).

**Results.** Single mode: ``changed``, ``action`` (``created``, ``updated``, ``deleted``,
``unchanged``), the object under ``resource.result_key`` (the object as read back once written, as
read for ``unchanged``; in check mode the prediction, without an ``id`` for a new object; null
when absent) and, in diff mode, ``diff``
with ``before`` / ``after`` in the resource's readable form. Set mode: ``changed``, the objects of
the items that are present under ``resource.list_key``, ``actions`` (one ``{display_name, id,
action, purged}`` per object acted on) and ``diff`` keyed by display name.

If a write fails after others succeeded, the task fails with ``changed: true`` and the
``actions`` done so far (``PartialChangeError``; ``run_module`` reports it).

**Backups.** With a ``BackupLog`` (``_engine.backup``; ``for_module`` takes the task's, from the
module's ``backup_dir`` option), every write is recorded in the task's backup file BEFORE it is
sent: the object as read for an update or a delete, the name and body for a create (its id is
added as soon as the POST answers), then the outcome. A backup that cannot be written stops the
write. ``run_module`` returns the file as ``backup_file``. The objects list kept for the task
follows the writes (created objects added, deleted ones removed), so an engine can plan again
after applying.
"""

import copy
import datetime
import re
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_for, backup_options, backup_path
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError, TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.write_lock import lock_for
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption,
    ResourceType,
    Write,
    fold,
    only_difference,
    option_field,
    without_annotations,
)

__all__ = ("ConcurrentCreateError", "Declared", "InvalidOption", "PartialChangeError", "Part", "ResourceEngine",
           "ResourceType", "Write", "backup_options", "converge_parts", "info_item", "purge_options", "run_module")

DEFAULT_SETTLE_TIMEOUT = 60.0
ACTION_WORDS = {"create": "created", "update": "updated", "delete": "deleted", "none": "unchanged"}


def downgrade_phrase(action):
    """``'X' downgrade: enforced to report-only`` for an ``actions`` entry that lowers its object."""
    state = action.get("policy_state") or {}
    return "%r downgrade: %s to %s" % (action.get("display_name"), state.get("before"), state.get("after"))


def plural(noun):
    """The plural of a resource's noun: policies, named locations, authentication strengths."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


class Declared:
    """One object the task wants: a desired Graph body (only what the user manages), a state
    (``present`` / ``absent``), an optional id, and ``field``: the option prefix of the item in
    set mode (``named_locations[2]``), empty in single mode."""

    def __init__(self, desired, state="present", id=None, field=""):
        self.desired = copy.deepcopy(desired or {})
        self.state = state or "present"
        self.id = id
        self.field = field

    def __repr__(self):
        return "Declared(%r, %s, id=%r)" % (self.desired, self.state, self.id)


class Change:
    """What the engine plans for one object, then what happened."""

    def __init__(self, action, declared=None, current=None, body=None, predicted=None, writes=None,
                 purged=False):
        self.action = action            # create, update, delete, none
        self.declared = declared
        self.current = current
        self.body = body                # POST body of a create
        self.predicted = predicted      # the object once done (None when absent)
        self.writes = writes or []      # Write requests of an update
        self.purged = purged
        self.stored = None              # the object as stored, once written
        self.done = False
        self.backup_entry = None        # its entry in the task's backup file, once recorded

    @property
    def changed(self):
        return self.action != "none"

    def __repr__(self):
        return "Change(%s, %r)" % (self.action, (self.current or self.predicted or {}).get("id"))


class PartialChangeError(TenantGuardError):
    """A write failed after other writes of the same task succeeded."""

    def __init__(self, error, actions):
        self.error = error
        self.actions = actions
        super().__init__(self.describe())

    def describe(self):
        done = ", ".join("%s %r" % (a["action"], a["display_name"]) for a in self.actions)
        return "%s Already done before this failure: %s." % (self.error.describe(), done)

    def details(self):
        return self.error.details()


class ConcurrentCreateError(TenantGuardError):
    """Another run created an object of the same identity as this task, at the same time.

    ``races``: ``(name, this task's id or None, [the other ids])`` for each identity; ``outcome``:
    ``before`` (found before this task created anything: nothing written), ``deleted`` (this task's
    copy was the later one and was deleted) or ``kept`` (this task's copy is the earlier one; the
    later copy is still there)."""

    def __init__(self, resource, races, outcome, waited=None):
        self.noun = resource.noun
        self.races = races
        self.outcome = outcome
        self.waited = waited
        super().__init__(self.describe())

    def describe(self):
        texts = []
        for name, own, others in self.races:
            ids = ", ".join(str(o) for o in others)
            if self.outcome == "before":
                texts.append("%s %r was created by another run (id %s) after this task read the tenant and before it "
                             "created its own; this task created nothing. Run it again: it finds that object and "
                             "converges it." % (self.noun, name, ids))
            elif self.outcome == "deleted":
                texts.append("Another run created %s %r (id %s) at the same time as this task created its own (id %s). "
                             "The later copy gives way: this task deleted its copy %s, so the tenant holds the %s "
                             "once, as the other run declared it. Run the task again to converge it." % (
                                 self.noun, name, ids, own, own, self.noun))
            else:
                texts.append("%s %r was created twice at the same time: by this task (id %s) and by another run "
                             "(id %s). The later copy %s was still there after %.0f s; the run that made it deletes "
                             "it when it sees this one. Delete the later copy, then run the task again." % (
                                 self.noun, name, own, ids, ids, self.waited or 0))
        return " ".join(texts)

    def details(self):
        return {"concurrent_creates": [{"display_name": name, "id": own, "other_ids": list(others)}
                                       for name, own, others in self.races]}


def creation_order(obj):
    """The order in which two copies were created: ``createdDateTime`` (to the nanosecond, whatever
    the number of fraction digits Graph writes), then the id, so that every run ranks them alike."""
    text = str((obj or {}).get("createdDateTime") or "")
    match = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$", text)
    stamp = (9999, 0)
    if match:
        try:
            moment = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
            offset = match.group(3) or "Z"
            if offset != "Z":
                sign = -1 if offset[0] == "-" else 1
                moment -= sign * datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            fraction = int(((match.group(2) or "") + "000000000")[:9])
            stamp = (int((moment - datetime.datetime(1970, 1, 1)).total_seconds()), fraction)
        except ValueError:
            pass
    return (stamp, str((obj or {}).get("id", "")).lower())


def object_key(obj):
    return str((obj or {}).get("id", "")).lower()


class ResourceEngine:
    """Converges objects of one resource type; see the module docstring."""

    def __init__(self, graph, resource, check_mode=False, diff_mode=False, warn=None, api_version=None,
                 settle_timeout=DEFAULT_SETTLE_TIMEOUT, clock=time.monotonic, sleep=time.sleep, backup=None):
        self._graph_source = graph
        self.resource = resource
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self._warn = warn
        self.api_version = api_version or resource.api_version
        self.settle_timeout = float(settle_timeout)
        self._clock = clock
        self._sleep = sleep
        self._objects = None
        self._created_ids = set()
        self.warnings = []
        self.backup = backup
        self._write_lock = None

    @classmethod
    def for_module(cls, module, resource, **kwargs):
        """An engine on ``module`` (a TenantGuardModule): its Graph client, check and diff modes, and
        the task's backup file."""
        kwargs.setdefault("backup", backup_for(module))
        return cls(lambda: module.graph, resource, check_mode=module.check_mode, diff_mode=module.diff_mode,
                   warn=module.warn, **kwargs)

    @property
    def graph(self):
        source = self._graph_source
        return source() if callable(source) and not hasattr(source, "request") else source

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    # -- reading ------------------------------------------------------------------------------
    def objects(self):
        """Every object of the collection: one paged list per task, kept."""
        if self._objects is None:
            self._objects = self._list()
        return self._objects

    def _list(self):
        return self._complete([without_annotations(o, keep=("@odata.type",)) for o in
                               self.graph.list(self.resource.collection, api_version=self.api_version,
                                               query=self.resource.list_query)])

    def _read(self, object_id):
        """One object read again by id, with the list's query (so it carries what a list does); None
        when Graph answers 404 (not readable yet, or gone)."""
        response = self.graph.request("GET", self.resource.object_path(object_id), api_version=self.api_version,
                                      query=self.resource.list_query, accept=set([200, 404]))
        if response.status != 200 or not isinstance(response.json, dict):
            return None
        return self._complete([without_annotations(response.json, keep=("@odata.type",))], single=True)[0]

    def _complete(self, objects, single=False):
        """The objects as read, completed with what this API version does not return (an engine of a
        resource that needs it overrides this); ``single``: read by id rather than listed."""
        return objects

    def by_id(self, object_id):
        wanted = str(object_id).strip().lower()
        for obj in self.objects():
            if str(obj.get("id", "")).lower() == wanted:
                return obj
        return None

    def by_name(self, name):
        """The objects named ``name``: exact matches, else matches without regard to case."""
        objects = self.objects()
        exact = [o for o in objects if self.resource.name_of(o) == name]
        if exact:
            return exact
        return [o for o in objects if fold(self.resource.name_of(o)) == fold(name)]

    def find(self, declared):
        """The existing object ``declared`` designates, or None. Raises InvalidOption when the
        designation is ambiguous or contradicts itself."""
        resource = self.resource
        name = resource.name_of(declared.desired)
        named = self.by_name(name) if name else []
        if declared.id:
            found = self.by_id(declared.id)
            others = [o for o in named if found is None or o.get("id") != found.get("id")]
            if others and (found is None or fold(resource.name_of(found)) != fold(name)):
                raise InvalidOption(
                    option_field(declared.field, "id"),
                    "designates %s, but %s %r designates %s; the module cannot tell which one to manage" % (
                        resource.label(found) if found else "no existing %s" % resource.noun,
                        resource.name_option, name, ", ".join(resource.label(o) for o in others)),
                    value=declared.id,
                    accepted="the id of the object named %r, or a %s that no other %s has (a rename)" % (
                        name, resource.name_option, resource.noun))
            if found is None and declared.state == "present":
                raise InvalidOption(
                    option_field(declared.field, "id"), "matches no existing %s, and an id cannot be chosen for a "
                    "new one" % resource.noun, value=declared.id,
                    accepted="the id of an existing %s, or no id (the object is then found or created by %s)" % (
                        resource.noun, resource.name_option))
            return found
        if not name:
            raise InvalidOption(option_field(declared.field, resource.name_option),
                                "or id is required to designate a %s" % resource.noun,
                                accepted="a display name, or the id of an existing %s" % resource.noun)
        if len(named) > 1:
            raise InvalidOption(
                option_field(declared.field, resource.name_option),
                "matches %d %s (ids %s); the module cannot tell which one to manage" % (
                    len(named), plural(resource.noun), ", ".join(str(o.get("id")) for o in named)),
                value=name,
                accepted="set id to the one to manage, and rename or delete the others")
        if not named and declared.state == "present":
            near = [(o, only_difference(name, resource.name_of(o))) for o in self.objects()]
            near = [(o, how) for o, how in near if how]
            if near:
                existing, how = near[0]
                raise InvalidOption(
                    option_field(declared.field, resource.name_option),
                    "differs from existing %r only by %s; it would create a second %s that looks the same" % (
                        resource.name_of(existing), how, resource.noun),
                    value=name,
                    accepted="%r exactly to manage the existing one (id %s), or a name that differs by more" % (
                        resource.name_of(existing), existing.get("id")))
        return named[0] if named else None

    # -- planning -----------------------------------------------------------------------------
    def _lock_for_writes(self):
        """Outside check mode, hold the tenant's write lock of this collection (``_engine.write_lock``) from
        the read the plan is made from to the end of ``apply``, so that a concurrent run of this
        user cannot read before this task's creates are readable; what was read before is read
        again under the lock."""
        if self.check_mode or self._write_lock is not None:
            return
        lock = lock_for(self.graph, self.resource.collection)
        if lock is None or not lock.acquire():
            return
        self._write_lock = lock
        self._objects = None

    def _unlock(self):
        if self._write_lock is not None:
            self._write_lock.release()
            self._write_lock = None

    def plan(self, declared):
        """The Change that converges one declared object. Raises InvalidOption; writes nothing."""
        self._lock_for_writes()
        resource = self.resource
        current = self.find(declared)
        if declared.state == "absent":
            if current is None:
                return Change("none", declared)
            reason = resource.protected(current)
            if reason:
                raise InvalidOption(option_field(declared.field, "state"), "cannot delete %s: %s" % (
                    resource.label(current), reason), value="absent", accepted="state: present")
            return Change("delete", declared, current=current)
        if current is None:
            resource.check_create(declared.desired, declared.field)
            body = resource.create_body(declared.desired)
            return Change("create", declared, body=body, predicted=resource.predict_created(body))
        resource.check_update(current, declared.desired, declared.field)
        if not resource.differs(current, declared.desired):
            return Change("none", declared, current=current, predicted=current)
        reason = resource.protected(current)
        if reason:
            raise InvalidOption(option_field(declared.field, resource.name_option),
                                "designates %s, which cannot be changed: %s" % (resource.label(current), reason),
                                value=resource.name_of(declared.desired) or declared.id,
                                accepted="the settings it already has, or the name of another %s" % resource.noun)
        writes = resource.update_writes(current, declared.desired)
        predicted = resource.apply_writes(current, declared.desired, writes)
        if not writes:
            return Change("none", declared, current=current, predicted=current)
        return Change("update", declared, current=current, predicted=predicted, writes=writes)

    def plan_set(self, items, purge=False, purge_name_pattern=None, list_option=None):
        """Changes for every declared item, then the purge. Raises before any write."""
        self._lock_for_writes()
        resource = self.resource
        list_option = list_option or resource.list_key
        pattern = compile_purge_pattern(purge, purge_name_pattern, list_option)
        changes = []
        claimed = {}
        names = {}
        for declared in items:
            name = resource.name_of(declared.desired)
            if name:
                earlier = names.get(fold(name))
                if earlier is not None:
                    raise InvalidOption(option_field(declared.field, resource.name_option),
                                        "is also the name of %s; each %s may be declared once" % (
                                            earlier, resource.noun), value=name,
                                        accepted="distinct display names (compared without regard to case)")
                names[fold(name)] = declared.field
            change = self.plan(declared)
            existing = change.current
            if existing is not None:
                key = str(existing.get("id")).lower()
                if key in claimed:
                    raise InvalidOption(declared.field, "designates %s, which %s designates too" % (
                        resource.label(existing), claimed[key]), accepted="one item per %s" % resource.noun)
                claimed[key] = declared.field
            changes.append(change)
        if pattern is not None:
            for obj in self.objects():
                if str(obj.get("id")).lower() in claimed:
                    continue
                name = resource.name_of(obj)
                if not isinstance(name, str) or not pattern.fullmatch(name):
                    continue
                if resource.protected(obj):
                    continue
                changes.append(Change("delete", None, current=obj, purged=True))
        return changes

    # -- writing ------------------------------------------------------------------------------
    def apply(self, changes):
        """Carry out the changes (nothing in check mode). Raises PartialChangeError when a write
        fails after others succeeded. The write lock taken by the plan is released at the end."""
        try:
            return self._apply(changes)
        finally:
            self._unlock()

    def _apply(self, changes):
        if self.check_mode:
            return changes
        created, updated = [], []
        try:
            self._look_before_creating(changes)
            for change in changes:
                if not change.changed:
                    change.done = True
                    continue
                self._backup_before(change)
                try:
                    if change.action == "create":
                        change.stored = self._create(change)
                        created.append(change)
                    elif change.action == "update":
                        self._update(change)
                        updated.append(change)
                    elif change.action == "delete":
                        self._delete(change)
                except TenantGuardError as exc:
                    if self.backup is not None and change.backup_entry is not None:
                        self.backup.failed(change.backup_entry, exc)
                    raise
                change.done = True
                self._backup_after(change)
                self._follow(change)
            listing = self._settle(created, updated)
            self._look_after_creating(created, listing)
        except TenantGuardError as exc:
            done = [c for c in changes if c.done and c.changed]
            if done:
                raise PartialChangeError(exc, [self._action(c) for c in done])
            raise
        return changes

    def _create(self, change):
        resource = self.resource
        name = resource.name_of(change.body)
        known = set(str(o.get("id")).lower() for o in self.objects()) | self._created_ids

        def landed():
            # The POST may have been carried out before the connection dropped: look for it. A create
            # that did land may still be replicating (invisible to reads), so it is looked for again
            # until the settle timeout has passed before the POST is sent again.
            deadline = self._clock() + self.settle_timeout
            delay = 0.5
            while True:
                for obj in self._list():
                    if str(obj.get("id")).lower() not in known and fold(resource.name_of(obj)) == fold(name):
                        return obj
                remaining = deadline - self._clock()
                if remaining <= 0:
                    return None
                self._sleep(min(delay, remaining))
                delay = min(delay * 2, 5.0)

        response = self._write(lambda: self.graph.request(
            "POST", resource.collection, api_version=self.api_version, body=change.body, find_existing=landed))
        stored = without_annotations(response.json or {}, keep=("@odata.type",))
        if not stored.get("id"):
            raise GraphError("POST", resource.collection, status=response.status, code="NoId",
                             message="the answer to creating %s carried no id" % resource.label(change.body),
                             hint="Check in the tenant whether the object was created before running the task again.")
        self._created_ids.add(str(stored["id"]).lower())
        if self.backup is not None and change.backup_entry is not None:
            self.backup.created(change.backup_entry, stored["id"])
        return stored

    def _update(self, change):
        object_id = change.current["id"]
        for write in change.writes:
            self._write(lambda w=write: self.graph.request(
                w.method, self.resource.object_path(object_id, w.suffix), api_version=self.api_version,
                body=w.body, idempotent=w.idempotent, accept=w.accept))
        change.stored = change.predicted

    def _delete(self, change):
        response = self._write(lambda: self.graph.request(
            "DELETE", self.resource.object_path(change.current["id"]), api_version=self.api_version,
            accept=set([200, 202, 204, 404])))
        if response.status == 404 and not getattr(response, "recovered", False):
            change.action = "none"  # deleted by someone else since the list was read

    # -- backups ------------------------------------------------------------------------------
    def _backup_before(self, change):
        """Record the change in the backup file before its first request (raises when it cannot)."""
        if self.backup is None:
            return
        if change.action == "create":
            change.backup_entry = self.backup.record(self.resource, self.api_version, "create", body=change.body)
        else:
            change.backup_entry = self.backup.record(self.resource, self.api_version, change.action,
                                                     before=change.current, writes=change.writes)

    def _backup_after(self, change):
        if self.backup is not None and change.backup_entry is not None:
            self.backup.done(change.backup_entry, status="done" if change.changed else "unchanged")

    def _follow(self, change):
        """Keep the task's list of objects as it now is in the tenant."""
        if self._objects is None:
            return
        if change.action == "create" and change.stored is not None:
            self._objects.append(change.stored)
        elif change.action in ("update", "delete") and change.current is not None:
            key = str(change.current.get("id")).lower()
            kept = [o for o in self._objects if str(o.get("id")).lower() != key]
            if change.action == "update" and change.stored is not None:
                kept.append(change.stored)
            self._objects[:] = kept

    def _write(self, send):
        """Send a write; repeat it while the resource says the failure is passing (a reference that
        is still replicating), within the settle timeout."""
        deadline = self._clock() + self.settle_timeout
        delay = 1.0
        while True:
            try:
                return send()
            except GraphError as exc:
                if not self.resource.retry_write(exc) or self._clock() + delay > deadline:
                    raise
                self._sleep(delay)
                delay = min(delay * 2, 10.0)

    def _settle(self, created, updated=()):
        """Read back what was just written until Graph returns what was declared, at most
        ``settle_timeout`` seconds (replication lag); the objects so read become the changes' stored
        objects and the task's. Returns the last list read (None when none was)."""
        changes = list(created) + list(updated)
        pending = dict((object_key(c.stored if c.action == "create" else c.current), c) for c in changes)
        unreadable = set(pending)
        listing = None
        deadline = self._clock() + self.settle_timeout
        delay = 0.5
        while pending:
            if len(pending) > 1:
                listing = self._list()
                found = dict((object_key(o), o) for o in listing)
            else:
                key, change = next(iter(pending.items()))
                listing = None
                obj = self._read((change.stored if change.action == "create" else change.current)["id"])
                found = {key: obj} if obj is not None else {}
            for key in list(pending):
                obj = found.get(key)
                if obj is None:
                    continue
                unreadable.discard(key)
                change = pending[key]
                change.stored = obj
                if not self._differs_from_declared(change, obj):
                    pending.pop(key)
            if not pending:
                break
            remaining = deadline - self._clock()
            if remaining <= 0:
                self._warn_unsettled(pending, unreadable)
                break
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
        self._keep_read_back(changes)
        return listing

    def _differs_from_declared(self, change, obj):
        return change.declared is not None and self.resource.differs(obj, change.declared.desired)

    def differing_properties(self, obj, desired):
        """The top-level properties in which ``obj`` does not carry ``desired``."""
        before = self.resource.normalise(obj)
        after = self.resource.normalise(self.resource.merge(obj, desired))
        return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))

    def _warn_unsettled(self, pending, unreadable):
        hidden = [c for k, c in pending.items() if k in unreadable]
        if hidden:
            self.warn("%s written but not readable after %.0f s (replication lag); a run started before it is "
                      "readable could not see it." % (
                          ", ".join(self.resource.label(c.stored or c.current) for c in hidden), self.settle_timeout))
        for key, change in pending.items():
            if key in unreadable:
                continue
            fields = self.differing_properties(change.stored, change.declared.desired)
            self.warn("%s was written, but after %.0f s Graph still returns other values than declared for %s; the "
                      "result shows what Graph returns." % (
                          self.resource.label(change.stored), self.settle_timeout,
                          ", ".join(fields) or "the declared settings"))

    def _keep_read_back(self, changes):
        """Replace the task's copies of the objects just written by what was read back."""
        if self._objects is None:
            return
        read = dict((object_key(c.stored), c.stored) for c in changes if c.stored is not None)
        self._objects[:] = [read.get(object_key(o), o) for o in self._objects]

    # -- two controllers ----------------------------------------------------------------------
    def _copies(self, listing, change):
        """Objects of ``listing`` with the identity of the object ``change`` creates, other than its own."""
        resource = self.resource
        name = fold(resource.name_of(change.stored or change.body))
        own = object_key(change.stored)
        return [o for o in listing if fold(resource.name_of(o)) == name and object_key(o) != own
                and object_key(o) not in self._created_ids]

    def _look_before_creating(self, changes):
        """Right before the first create, list the collection again: an object of an identity about to
        be created that another run made since the plan was read stops the task, nothing written."""
        creates = [c for c in changes if c.action == "create"]
        if not creates:
            return
        listing = self._list()
        known = set(object_key(o) for o in self.objects())
        races = []
        for change in creates:
            others = [o for o in self._copies(listing, change) if object_key(o) not in known]
            if others:
                races.append((self.resource.name_of(change.body), None, [o.get("id") for o in others]))
        if races:
            raise ConcurrentCreateError(self.resource, races, "before")

    def _look_after_creating(self, created, listing=None):
        """Once this task's creates are readable, look for copies another run made at the same time;
        the later copy of each identity gives way (see the module docstring)."""
        if not created:
            return
        deadline = self._clock() + self.settle_timeout
        delay = 0.5
        started = self._clock()
        while True:
            if listing is None:
                listing = self._list()
            lost, kept = [], []
            for change in created:
                if change.action != "create" or change.stored is None:
                    continue
                copies = self._copies(listing, change)
                if not copies:
                    continue
                first = min([change.stored] + copies, key=creation_order)
                if object_key(first) == object_key(change.stored):
                    kept.append((change, copies))
                else:
                    lost.append((change, first))
            if lost:
                self._give_way(lost)
            if not kept:
                return
            if self._clock() >= deadline:
                raise ConcurrentCreateError(self.resource, [
                    (self.resource.name_of(c.stored), c.stored.get("id"), [o.get("id") for o in copies])
                    for c, copies in kept], "kept", waited=self._clock() - started)
            self._sleep(min(delay, max(deadline - self._clock(), 0)))
            delay = min(delay * 2, 5.0)
            listing = None

    def _give_way(self, lost):
        """Delete this task's later copies (recorded in the backup first), then fail naming both ids."""
        races = []
        for change, first in lost:
            own = change.stored
            entry = None
            if self.backup is not None:
                entry = self.backup.record(self.resource, self.api_version, "delete", before=own)
            self._write(lambda o=own: self.graph.request(
                "DELETE", self.resource.object_path(o["id"]), api_version=self.api_version,
                accept=set([200, 202, 204, 404])))
            if entry is not None:
                self.backup.done(entry)
            change.done = False  # created and deleted again: nothing of this task's is left
            if self._objects is not None:
                self._objects[:] = [o for o in self._objects if object_key(o) != object_key(own)]
            races.append((self.resource.name_of(own), own.get("id"), [first.get("id")]))
        raise ConcurrentCreateError(self.resource, races, "deleted")

    # -- results ------------------------------------------------------------------------------
    def action(self, change):
        """``{display_name, id, action, purged}`` of a change, as the ``actions`` result lists it."""
        return self._action(change)

    def _action(self, change):
        obj = change.stored or change.current or change.predicted or change.body or {}
        name = self.resource.name_of(obj)
        if change.declared is not None and change.action != "delete":
            name = self.resource.name_of(change.predicted or {}) or name
        entry = {"display_name": name, "id": obj.get("id"), "action": ACTION_WORDS[change.action],
                 "purged": change.purged}
        # A resource that has a state (conditional access: enforced, report-only, disabled) names the
        # change of state, and whether it lowers the object (a downgrade).
        state_change = getattr(self.resource, "state_change", None)
        if state_change is not None:
            after = None if change.action == "delete" else self._final(change)
            entry.update(state_change(change.current, after))
        return entry

    def _final(self, change):
        """The object after the change: as stored, or predicted in check mode; None when absent."""
        if change.action == "delete" or (change.declared is not None and change.declared.state == "absent"):
            return None
        return change.stored if change.stored is not None else change.predicted

    def _diff_pair(self, change):
        before = self.resource.display(change.current) if change.current else {}
        after_obj = self._final(change)
        after = self.resource.display(after_obj) if after_obj else {}
        return before, after

    def converge(self, declared):
        """Converge one object; the module's result."""
        change = self.plan(declared)
        self.apply([change])
        result = {"changed": change.changed, "action": ACTION_WORDS[change.action],
                  self.resource.result_key: self._final(change)}
        state_change = getattr(self.resource, "state_change", None)
        if state_change is not None:
            result.update(state_change(change.current, None if change.action == "delete" else self._final(change)))
        if self.diff_mode:
            before, after = self._diff_pair(change)
            label = self.resource.label(change.current or change.stored or change.predicted or declared.desired)
            after_label = label
            if result.get("downgrade"):
                after_label = "%s; %s" % (label, downgrade_phrase(dict(result, display_name=self.resource.name_of(
                    change.current))))
            result["diff"] = {"before": before, "after": after, "before_header": label, "after_header": after_label}
        return result

    def converge_set(self, items, purge=False, purge_name_pattern=None, list_option=None):
        """Converge a list of objects (set mode) with one list call; the module's result."""
        return converge_parts([Part(self, items)], self.resource.list_key, self.resource.noun, self.diff_mode,
                              purge=purge, purge_name_pattern=purge_name_pattern, list_option=list_option)


class Part:
    """The share of a set-mode task that one engine converges, for a set whose objects live in several
    collections (app protection policies: one collection per platform): the engine, its ``Declared`` items
    and ``tag``, keys added to the ``actions`` entries of its objects, whose values also prefix their keys
    in the diff (``{"platform": "ios"}``: ``ios: TG - iOS``). A set of one collection is one Part without
    a tag."""

    def __init__(self, engine, items, tag=None):
        self.engine = engine
        self.items = list(items)
        self.tag = dict(tag or {})

    def action(self, entry):
        """An ``actions`` entry of this part, tagged."""
        return dict(entry, **self.tag)

    def key(self, obj):
        """The diff key of ``obj``: its name, after the tag's values."""
        name = self.engine.resource.name_of(obj)
        if not self.tag:
            return name
        return "%s: %s" % (": ".join(str(v) for v in self.tag.values()), name)


def converge_parts(parts, list_key, noun, diff_mode, items=None, purge=False, purge_name_pattern=None,
                   list_option=None):
    """Converge a set of objects spread over ``parts`` (one engine each); the module's result.

    Every part is planned (one list call each, every error raised) before any is written; then the
    parts are written one after the other. A failure after a write, in this part or an earlier one,
    is a PartialChangeError naming every action done. ``items`` (the Declared of every part, in the
    order of the list option; by default the parts' items one part after the other) orders the
    objects of the result. ``purge`` applies to each part's collection."""
    plans = [(part, part.engine.plan_set(part.items, purge=purge, purge_name_pattern=purge_name_pattern,
                                         list_option=list_option)) for part in parts]
    done = []
    for part, changes in plans:
        try:
            part.engine.apply(changes)
        except PartialChangeError as exc:
            raise PartialChangeError(exc.error, done + [part.action(a) for a in exc.actions])
        except TenantGuardError as exc:
            if done:
                raise PartialChangeError(exc, done)
            raise
        done.extend(part.action(part.engine.action(c)) for c in changes if c.changed)
    order = dict((id(declared), index) for index, declared in enumerate(
        items if items is not None else [d for part in parts for d in part.items]))
    objects = sorted(((order.get(id(c.declared), len(order)), part.engine._final(c)) for part, changes in plans
                      for c in changes if c.declared is not None and c.declared.state == "present"),
                     key=lambda pair: pair[0])
    result = {"changed": bool(done), list_key: [obj for _index, obj in objects], "actions": done}
    if diff_mode:
        before, after = {}, {}
        for part, changes in plans:
            for change in changes:
                if not change.changed:
                    continue
                old, new = part.engine._diff_pair(change)
                if change.current:
                    before[part.key(change.current)] = old
                final = part.engine._final(change)
                if final:
                    after[part.key(final)] = new
        downgrades = [downgrade_phrase(a) for a in done if a.get("downgrade")]
        result["diff"] = {"before": before, "after": after, "before_header": "%s before" % plural(noun),
                          "after_header": "%s after%s" % (plural(noun), "; " + "; ".join(downgrades)
                                                          if downgrades else "")}
    return result


def compile_purge_pattern(purge, pattern, list_option):
    """The compiled purge pattern, None when not purging; refuses purge without a pattern."""
    if not purge:
        return None
    if pattern is None or pattern == "":
        raise InvalidOption("purge", "is true but purge_name_pattern is not set; purging without a pattern would "
                            "delete every undeclared object", value=True,
                            accepted="purge_name_pattern with a regular expression matching the whole display name "
                                     "of the objects that %s owns, such as 'TG - .*'" % list_option)
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InvalidOption("purge_name_pattern", "is not a valid regular expression (%s)" % exc, value=pattern,
                            accepted="a Python regular expression matched against the whole display name, such as "
                                     "'TG - .*'")


def purge_options():
    """The argument spec of ``purge`` and ``purge_name_pattern`` (set mode)."""
    return dict(purge=dict(type="bool", default=False), purge_name_pattern=dict(type="str"))


def info_item(obj, params):
    """An ``*_info`` result item: the Graph JSON (without ``@odata.context``) plus ``params``."""
    item = dict((k, v) for k, v in (obj or {}).items() if k != "@odata.context")
    item["params"] = params
    return item


def run_module(module, main):
    """``module.run(main)``, reporting a write that failed after others as ``changed: true`` with the
    ``actions`` done so far, and the task's backup file (if any write was recorded) as ``backup_file``."""
    def wrapped(mod):
        try:
            result = main(mod)
        except PartialChangeError as exc:
            extra = dict(backup_file=backup_path(mod)) if backup_path(mod) else {}
            mod.fail_from(exc, changed=True, actions=exc.actions, **extra)
            return None
        except TenantGuardError as exc:
            if not backup_path(mod):
                raise
            mod.fail_from(exc, backup_file=backup_path(mod))
            return None
        if result is not None and backup_path(mod):
            result["backup_file"] = backup_path(mod)
        return result
    module.run(wrapped)
