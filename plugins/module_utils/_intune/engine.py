# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the resource engine for Intune MAM policies, whose apps and assignments follow the create.

Not a public API. An app protection or app configuration policy is created in three steps: the
POST of its settings, then ``targetApps`` and ``assign`` on the new id (Graph refuses ``apps`` and
``assignments`` in the POST body). This engine adds those steps to the shared engine's create and
keeps the apps and assignments in the prediction and the result. Group names become ids in bulk
through ``_engine.names.NameResolver``; a group that does not exist is an error before anything is written.
If ``targetApps`` or ``assign`` fails after the POST, the task fails naming the policy as created, so
that nobody takes the half-written policy for an untouched one; the next run completes it.

What the result reports is read back (the shared engine's read after writing, with
``$expand=apps,assignments``), never the declared apps or groups copied. ``appGroupType`` is a
property of these policies in beta only (v1.0 has it only as a parameter of ``targetApps``): when a
task on v1.0 declares a group type, the policies read without one are completed from one beta
read of ``id`` and ``appGroupType`` (the same objects), so that a group type is compared, written
when it differs and reported as stored.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import ACTION_KEYS
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import ResourceEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption


class CreateThenWriteEngine(ResourceEngine):
    """ResourceEngine whose creates are followed by the writes that Graph refuses in the POST body
    (``resource.create_writes``: apps, assignments, a priority) on the new id."""

    def _create(self, change):
        stored = super()._create(change)
        try:
            for write in self.resource.create_writes(change.declared.desired):
                self._write(lambda w=write: self.graph.request(
                    w.method, self.resource.object_path(stored["id"], w.suffix), api_version=self.api_version,
                    body=w.body, idempotent=w.idempotent, accept=w.accept))
        except TenantGuardError:
            # The object exists without all that follows the create: the failure is reported with it as created
            # (changed), and the next run, which finds it by name, writes what is missing.
            change.stored = stored
            change.done = True
            raise
        return stored


class MamPolicyEngine(CreateThenWriteEngine):
    """ResourceEngine whose creates also target apps and assign groups."""

    group_types_wanted = False

    def _want_group_types(self, items):
        if any("appGroupType" in (d.desired or {}) for d in items) and not self.group_types_wanted:
            self.group_types_wanted = True
            self._objects = None  # read again, completed

    def _complete(self, objects, single=False):
        """Objects read through v1.0 lack ``appGroupType``: add it from beta when a declaration needs it."""
        if not self.group_types_wanted or self.api_version == "beta":
            return objects
        missing = [o for o in objects if o.get("id") and o.get("appGroupType") is None]
        if not missing:
            return objects
        query = {"$select": "id,appGroupType"}
        if single:
            response = self.graph.request("GET", self.resource.object_path(missing[0]["id"]), api_version="beta",
                                          query=query, accept=set([200, 404]))
            found = [response.json] if response.status == 200 and isinstance(response.json, dict) else []
        else:
            found = list(self.graph.list(self.resource.collection, api_version="beta", query=query))
        types = dict((str(o.get("id")).lower(), o.get("appGroupType")) for o in found if o.get("appGroupType"))
        for obj in missing:
            if str(obj["id"]).lower() in types:
                obj["appGroupType"] = types[str(obj["id"]).lower()]
        return objects

    def plan_set(self, items, **kwargs):
        items = list(items)
        self._want_group_types(items)
        return super().plan_set(items, **kwargs)

    def plan(self, declared):
        self._want_group_types([declared])
        change = super().plan(declared)
        if change.action == "create":
            for key in ACTION_KEYS:
                if key in declared.desired:
                    change.predicted[key] = copy.deepcopy(declared.desired[key])
        return change


def group_references(item, field=""):
    """``[(field, value)]`` of every group an item's ``assignments`` names, for ``GroupNames.resolve``."""
    references = []
    assignments = item.get("assignments") or {}
    for kind in ("include_groups", "exclude_groups"):
        for index, value in enumerate(assignments.get(kind) or []):
            references.append(("%sassignments.%s[%d]" % (field + "." if field else "", kind, index), value))
    return references


class GroupNames:
    """Group names to ids (in bulk, before any write) and ids back to names for diffs and params."""

    def __init__(self, graph_source, warn, known=None):
        self._graph_source = graph_source
        self._resolver = None
        self._warn = warn
        self._known = known or []  # [{"id", "display_name"}] an earlier task resolved (NameResolver.know)

    @property
    def resolver(self):
        if self._resolver is None:
            self._resolver = NameResolver(self._graph_source())
            self._resolver.know("group", self._known)
        return self._resolver

    def found(self):
        """``[{"id", "display_name"}]`` of the groups found by name, for a later task's ``known_groups``."""
        return self._resolver.found_names("group") if self._resolver is not None else []

    def resolve(self, references):
        """Look up every (field, value); raise InvalidOption on the first unusable one."""
        values = [value for _field, value in references]
        if not values:
            return
        found = self.resolver.resolve({"group": values})
        for field, value in references:
            resolution = found.get(("group", value))
            if resolution is None or not resolution.usable:
                raise InvalidOption(field, resolution.problem() if resolution else "is not a group", value=value,
                                    accepted="the display name or object id of an existing group")
            if resolution.warning():
                self._warn("%s: %s" % (field, resolution.warning()))

    def id_of(self, field, value):
        object_id = self.resolver.id_of("group", value)
        if object_id is None:
            raise InvalidOption(field, "is not a known group", value=value,
                                accepted="the display name or object id of an existing group")
        return object_id

    def name_of(self, group_id):
        name = self.resolver.name_of("group", group_id)
        if name is None:
            try:
                self.resolver.resolve({"group": [group_id]})
            except TenantGuardError:
                return None
            name = self.resolver.name_of("group", group_id)
        return name
