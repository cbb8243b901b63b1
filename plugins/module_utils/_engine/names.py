# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: names instead of GUIDs, resolved in bulk and once per task.

Not a public API. A playbook may name what a policy points at; Graph wants ids:

=========================  ===============================================  ====================================
kind                       given as                                         looked up with
=========================  ===============================================  ====================================
``user``                   user principal name, or object id                ``/users?$filter=userPrincipalName
                                                                            in (...)``, 15 values a request
``group``                  display name, or object id                       ``/groups?$filter=displayName in
                                                                            (...)``, 15 values a request
``role``                   display name, or role template id                the well-known table, else one list
                                                                            of ``/directoryRoleTemplates``
``application``            well-known name (``Exchange Online``), display   the well-known table, else
                           name of its service principal, or app id         ``/servicePrincipals?$filter=appId
                                                                            in (...)`` / ``displayName in (...)``
``namedLocation``          display name, or id                              one list of named locations
``authenticationStrength`` display name, or id                              one list of strengths
=========================  ===============================================  ====================================

Object ids of users and groups (and app ids that might be service principal object ids) are checked
with ``POST /directoryObjects/getByIds`` (1,000 ids a request). Every request of one ``resolve()``
goes out in a single ``$batch`` (20 a batch), so the cost does not grow with the number of
references beyond that chunking: 30 groups and 30 users by name are four look-ups in one batch.

Outcomes, per value (``Resolution.status``):

* ``found``: one match. Names match exactly; when no exact match exists, without regard to case.
* ``ambiguous``: several objects carry the name: an error that lists their ids.
* ``unknown``: no object has the name: an error that suggests the closest names (``difflib``).
* ``wrong_kind``: the id belongs to another kind of object (a group's id among users): an error.
* ``dangling``: a well-formed id that matches nothing. Graph itself accepts such ids in policies
  (references to deleted users and groups are common), so the caller keeps it and warns, except
  for named locations and authentication strengths, which Graph refuses (1040), and for
  emergency-access accounts, which must exist.

Named locations and authentication strengths created moments ago may not be visible yet
(replication lag): an unknown one is looked up again, with growing pauses, for at most
``reference_wait`` seconds before it counts as unknown. When the caller says which names the run
creates (``awaited``: ``{kind: names}``), only those are waited for; any other unknown name of
that kind fails at once.

OData string literals are quoted with ``'`` doubled, never interpolated raw.
"""

import difflib
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError, parse_graph_error_body
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import encode_query
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption, only_difference
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import (
    SPECIAL_APPLICATIONS,
    application_id,
    application_name,
    role_name,
    role_template_id,
)

KINDS = ("user", "group", "role", "application", "namedLocation", "authenticationStrength")
# Kinds whose objects this collection creates, so that a reference may be younger than replication.
LAGGING_KINDS = ("namedLocation", "authenticationStrength")
# Graph refuses a policy that points at a named location or strength that does not exist.
MUST_EXIST_KINDS = ("namedLocation", "authenticationStrength")

# Values per ``in (...)`` clause: Graph limits a directory $filter to 15 expressions.
IN_CHUNK = 15
# Ids per getByIds request (Graph's limit).
GET_BY_IDS_CHUNK = 1000
MFA_TRUSTED_IPS = "00000000-0000-0000-0000-000000000000"

LABELS = {
    "user": "user",
    "group": "group",
    "role": "directory role",
    "application": "application",
    "namedLocation": "named location",
    "authenticationStrength": "authentication strength",
}
NAME_OF = {
    "user": "user principal name",
    "group": "display name",
    "role": "display name",
    "application": "name",
    "namedLocation": "display name",
    "authenticationStrength": "display name",
}
PATHS = {
    "namedLocation": "/identity/conditionalAccess/namedLocations",
    "authenticationStrength": "/policies/authenticationStrengthPolicies",
    "role": "/directoryRoleTemplates",
}
# @odata.type of a directory object -> the kind of reference it can fill.
OBJECT_KINDS = {"user": "user", "group": "group", "servicePrincipal": "application"}


def odata_string(value):
    """An OData string literal: quoted, with ``'`` doubled."""
    return "'%s'" % str(value).replace("'", "''")


def in_filter(prop, values):
    """``prop in ('a','b')`` with every value quoted as an OData literal."""
    return "%s in (%s)" % (prop, ",".join(odata_string(v) for v in values))


def chunks(values, size):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def is_guid(value):
    text = str(value).strip()
    parts = text.split("-")
    if [len(p) for p in parts] != [8, 4, 4, 4, 12]:
        return False
    try:
        int("".join(parts), 16)
    except ValueError:
        return False
    return True


def _fold(value):
    return " ".join(str(value).split()).lower()


class Resolution:
    """What one value of one kind turned out to be."""

    def __init__(self, kind, value, status, object_id=None, name=None, candidates=None, suggestions=None,
                 actual=None):
        self.kind = kind
        self.value = value
        self.status = status
        self.id = object_id
        self.name = name
        self.candidates = candidates or []  # [(id, name)] when ambiguous
        self.suggestions = suggestions or []  # closest names when unknown
        self.actual = actual  # what the id really is, when wrong_kind

    @property
    def usable(self):
        """The value may be sent: found, or a well-formed id Graph would take."""
        return self.status in ("found", "dangling")

    def problem(self):
        """Why the value cannot be used (None when it can), without the option's name."""
        label = LABELS[self.kind]
        if self.status == "ambiguous":
            return "%d %ss have the %s %r: %s. Give the id of the one you mean" % (
                len(self.candidates), label, NAME_OF[self.kind], self.value,
                ", ".join("%s (%s)" % (i, n) for i, n in self.candidates))
        if self.status == "unknown":
            text = "no %s has the %s %r" % (label, NAME_OF[self.kind], self.value)
            near = [(s, only_difference(self.value, s)) for s in self.suggestions]
            near = [(s, how) for s, how in near if how]
            if near:
                text += "; it differs from existing %r only by %s" % near[0]
            elif self.suggestions:
                text += "; closest: %s" % ", ".join(repr(s) for s in self.suggestions)
            return text
        if self.status == "wrong_kind":
            if self.kind == "application" and self.actual and self.actual[0] == "servicePrincipal":
                return ("%s is the object id of the service principal %r, not an application (client) id; use its app "
                        "id %s" % (self.value, self.actual[1], self.actual[2]))
            return "%s is the id of a %s%s, not of a %s" % (
                self.value, self.actual[0], " (%s)" % self.actual[1] if self.actual and self.actual[1] else "", label)
        if self.status == "dangling" and self.kind in MUST_EXIST_KINDS:
            return "no %s has the id %s" % (label, self.value)
        return None

    def warning(self):
        if self.status == "dangling" and self.kind not in MUST_EXIST_KINDS:
            return ("%s matches no %s in the directory; Graph accepts ids of deleted objects, so it is kept as given"
                    % (self.value, label_of(self.kind)))
        return None

    def __repr__(self):
        return "Resolution(%s %r -> %s %s)" % (self.kind, self.value, self.status, self.id)


def label_of(kind):
    return LABELS[kind]


class _Query:
    """One read of the look-up: a GET of a collection (all pages), or a getByIds POST."""

    def __init__(self, purpose, url, body=None):
        self.purpose = purpose  # (kind or "ids", extra)
        self.url = url
        self.body = body
        self.items = None

    def request(self, index):
        item = {"id": str(index + 1), "method": "POST" if self.body is not None else "GET", "url": self.url}
        if self.body is not None:
            item["body"] = self.body
        return item


class NameResolver:
    """Resolves references in bulk and remembers them for the task; also turns ids back into names.

    ``resolve({kind: values})`` looks up every value not seen before (names and ids alike) and
    returns ``{(kind, value): Resolution}`` for the values asked. ``id_of``, ``name_of`` and
    ``names_by_id`` answer from what was looked up. ``requests`` counts the HTTP requests made.
    """

    def __init__(self, graph, api_version="v1.0", reference_wait=30.0, sleep=time.sleep, clock=time.monotonic,
                 awaited=None):
        self.graph = graph
        self.api_version = api_version
        self.reference_wait = float(reference_wait)
        # {kind: set of folded names} the run creates: the only ones of that kind worth waiting for.
        self.awaited_names = dict((kind, [str(n) for n in names if n is not None])
                                  for kind, names in (awaited or {}).items() if names is not None)
        self.awaited = dict((kind, set(_fold(n) for n in names)) for kind, names in self.awaited_names.items())
        self._sleep = sleep
        self._clock = clock
        self._results = dict((kind, {}) for kind in KINDS)
        self._names = dict((kind, {}) for kind in KINDS)  # lower id -> readable name
        self._lists = {}  # kind -> [(id, name)] for kinds read whole
        self._known = dict((kind, {}) for kind in KINDS)  # exact name or lower id -> Resolution (know())
        self.requests = 0

    # -- answers ----------------------------------------------------------------------------
    def resolution(self, kind, value):
        return self._results[kind].get(self._key(kind, value))

    def id_of(self, kind, value):
        found = self.resolution(kind, value)
        return found.id if found is not None and found.usable else None

    def name_of(self, kind, object_id):
        """The readable name of an id (a user's UPN, an app's name, ...), or None."""
        if object_id is None:
            return None
        key = str(object_id).strip().lower()
        name = self._names[kind].get(key)
        if name is None and kind == "role":
            name = role_name(key)
        if name is None and kind == "application":
            name = application_name(key)
        if name is None and kind == "namedLocation" and key == MFA_TRUSTED_IPS:
            name = "MFA trusted IPs"
        return name

    def names_by_id(self):
        """``{kind: {lower id: name}}`` of everything known, for readable results."""
        out = {}
        for kind in KINDS:
            out[kind] = dict(self._names[kind])
        return out

    def found_names(self, kind):
        """``[{"id", "display_name"}]`` of the objects of ``kind`` this resolver found by name, sorted by name:
        what a later task may pass back through ``know()`` instead of looking them up again."""
        seen = {}
        for resolution in self._results[kind].values():
            if resolution.status == "found" and resolution.id and resolution.name and not is_guid(resolution.value):
                seen[(resolution.name, resolution.id)] = {"id": resolution.id, "display_name": resolution.name}
        return [seen[key] for key in sorted(seen)]

    def know(self, kind, entries):
        """Seed names an earlier read of the same run resolved: ``entries`` is ``[{"id", "display_name"}]`` (as
        ``found_names()`` gives). A reference equal to a known name (exactly: one spelled otherwise is looked up,
        as another object may carry that spelling) or to a known id is found without a request. A name known with
        two ids is not seeded: it is looked up, and reported as ambiguous there."""
        if kind not in KINDS:
            raise ValueError("unknown reference kind %r" % (kind,))
        ids = {}
        for entry in entries or ():
            object_id, name = str(entry["id"]).strip().lower(), str(entry["display_name"])
            ids.setdefault(name, set()).add(object_id)
        for name, found in ids.items():
            if len(found) != 1:
                continue
            object_id = found.pop()
            self._known[kind][name] = Resolution(kind, name, "found", object_id, name)
            self._known[kind][object_id] = Resolution(kind, object_id, "found", object_id, name)
            self._names[kind].setdefault(object_id, name)

    @staticmethod
    def _key(kind, value):
        text = str(value).strip()
        return text.lower() if is_guid(text) else _fold(text)

    # -- resolving --------------------------------------------------------------------------
    def resolve(self, wanted):
        """Look up ``{kind: iterable of names or ids}``; return ``{(kind, value): Resolution}``."""
        pending = {}
        for kind, values in (wanted or {}).items():
            if kind not in KINDS:
                raise ValueError("unknown reference kind %r" % (kind,))
            for value in values or ():
                if value is None or not str(value).strip():
                    continue
                key = self._key(kind, value)
                if key in self._results[kind] or key in pending.setdefault(kind, {}):
                    continue
                local = self._local(kind, str(value).strip()) or self._seeded(kind, str(value).strip())
                if local is not None:
                    self._store(local)
                else:
                    pending[kind][key] = str(value).strip()
        pending = dict((k, v) for k, v in pending.items() if v)
        if pending:
            self._lookup(pending)
            self._wait_for_lagging(pending)
            self._suggest(pending)
        out = {}
        for kind, values in (wanted or {}).items():
            for value in values or ():
                if value is not None and str(value).strip():
                    out[(kind, value)] = self.resolution(kind, value)
        return out

    def _store(self, resolution):
        key = self._key(resolution.kind, resolution.value)
        self._results[resolution.kind][key] = resolution
        if resolution.id and resolution.name and resolution.status == "found":
            self._names[resolution.kind][str(resolution.id).lower()] = resolution.name

    def _local(self, kind, value):
        """What needs no request: well-known applications and roles, the MFA trusted IPs location."""
        if kind == "application":
            if is_guid(value):
                name = application_name(value)
                return Resolution(kind, value, "found", value.lower(), name) if name else None
            found = application_id(value)
            if found in SPECIAL_APPLICATIONS:
                return Resolution(kind, value, "found", found, found)
            if found:
                return Resolution(kind, value, "found", found, application_name(found))
        elif kind == "role":
            if is_guid(value):
                name = role_name(value)
                return Resolution(kind, value, "found", value.lower(), name) if name else None
            found = role_template_id(value)
            if found:
                return Resolution(kind, value, "found", found, role_name(found))
        elif kind == "namedLocation" and value.lower() == MFA_TRUSTED_IPS:
            return Resolution(kind, value, "found", MFA_TRUSTED_IPS, "MFA trusted IPs")
        return None

    def _seeded(self, kind, value):
        """What ``know()`` seeded for ``value`` (its exact name, or its id), as a Resolution of ``value``."""
        known = self._known[kind].get(value.lower() if is_guid(value) else value)
        if known is None:
            return None
        return Resolution(kind, value, "found", known.id, known.name)

    def _queries(self, pending):
        queries = []
        object_ids = []
        for kind, values in pending.items():
            names = [v for v in values.values() if not is_guid(v)]
            ids = [v for v in values.values() if is_guid(v)]
            if kind == "user":
                for part in chunks(names, IN_CHUNK):
                    queries.append(_Query(("user", None), "/users?" + encode_query({
                        "$filter": in_filter("userPrincipalName", part),
                        "$select": "id,userPrincipalName,displayName"})))
                object_ids += ids
            elif kind == "group":
                for part in chunks(names, IN_CHUNK):
                    queries.append(_Query(("group", None), "/groups?" + encode_query({
                        "$filter": in_filter("displayName", part), "$select": "id,displayName"})))
                object_ids += ids
            elif kind == "application":
                for part in chunks(names, IN_CHUNK):
                    queries.append(_Query(("application", "name"), "/servicePrincipals?" + encode_query({
                        "$filter": in_filter("displayName", part), "$select": "id,appId,displayName"})))
                for part in chunks(ids, IN_CHUNK):
                    queries.append(_Query(("application", "appId"), "/servicePrincipals?" + encode_query({
                        "$filter": in_filter("appId", part), "$select": "id,appId,displayName"})))
                # An id that is no app id may be the object id of a service principal: a common mistake.
                object_ids += ids
            elif kind in PATHS and kind not in self._lists:
                queries.append(_Query((kind, "list"), PATHS[kind] + "?" + encode_query({"$select": "id,displayName"})))
        for part in chunks(sorted(set(i.lower() for i in object_ids)), GET_BY_IDS_CHUNK):
            queries.append(_Query(("ids", None), "/directoryObjects/getByIds", body={"ids": part}))
        return queries

    def _run(self, queries):
        """Send the queries (one request, or one $batch) and follow every next page."""
        if not queries:
            return
        if len(queries) == 1:
            query = queries[0]
            method = "POST" if query.body is not None else "GET"
            response = self.graph.request(method, query.url, api_version=self.api_version, body=query.body,
                                          idempotent=True)
            self.requests += 1
            query.items = self._items_with_pages(response.json, query)
            return
        answers = self.graph.batch([q.request(i) for i, q in enumerate(queries)], api_version=self.api_version)
        self.requests += (len(queries) + 19) // 20
        for query, answer in zip(queries, answers):
            status = answer.get("status")
            body = answer.get("body")
            if not isinstance(status, int) or status >= 400:
                fields = parse_graph_error_body(body)
                raise GraphError("POST" if query.body is not None else "GET", self.graph.url(query.url), status=status,
                                 code=fields.get("code"), message=fields.get("message"),
                                 request_id=fields.get("request_id"),
                                 client_request_id=fields.get("client_request_id"), date=fields.get("date"))
            query.items = self._items_with_pages(body, query)

    def _items_with_pages(self, body, query):
        body = body if isinstance(body, dict) else {}
        items = list(body.get("value") or [])
        next_link = body.get("@odata.nextLink")
        if next_link:
            for page in self.graph.pages(next_link):
                self.requests += 1
                page_body = page.json if isinstance(page.json, dict) else {}
                items.extend(page_body.get("value") or [])
        return items

    def _lookup(self, pending):
        queries = self._queries(pending)
        self._run(queries)
        by_id = {}
        found_names = {"user": [], "group": [], "application": []}
        for query in queries:
            kind, extra = query.purpose
            if kind == "ids":
                for obj in query.items:
                    by_id[str(obj.get("id", "")).lower()] = obj
            elif extra == "list":
                self._lists[kind] = [(str(o.get("id", "")).lower(), o.get("displayName")) for o in query.items]
            else:
                found_names[kind].extend(query.items)
        for kind, values in pending.items():
            for key, value in values.items():
                if kind in self._lists:
                    self._store(self._from_list(kind, value))
                elif is_guid(value):
                    self._store(self._from_id(kind, value, by_id, found_names))
                else:
                    self._store(self._from_name(kind, value, found_names[kind]))

    def _from_list(self, kind, value):
        entries = self._lists[kind]
        for object_id, name in entries:
            if name:
                self._names[kind].setdefault(object_id, name)
        if is_guid(value):
            for object_id, name in entries:
                if object_id == value.lower():
                    return Resolution(kind, value, "found", object_id, name)
            return Resolution(kind, value, "dangling", value.lower())
        return self._match(kind, value, list(entries))

    def _from_id(self, kind, value, by_id, found_names):
        key = value.lower()
        if kind == "application":
            for sp in found_names["application"]:
                if str(sp.get("appId", "")).lower() == key:
                    return Resolution(kind, value, "found", key, sp.get("displayName"))
            obj = by_id.get(key)
            if obj is not None and _short_type(obj) == "servicePrincipal":
                return Resolution(kind, value, "wrong_kind", key,
                                  actual=("servicePrincipal", obj.get("displayName"), obj.get("appId")))
            return Resolution(kind, value, "dangling", key)
        obj = by_id.get(key)
        if obj is None:
            return Resolution(kind, value, "dangling", key)
        actual = _short_type(obj)
        if OBJECT_KINDS.get(actual) != kind:
            return Resolution(kind, value, "wrong_kind", key, actual=(actual, _readable_name(obj)))
        return Resolution(kind, value, "found", key, _readable_name(obj))

    def _from_name(self, kind, value, objects):
        if kind == "user":
            entries = [(str(o.get("id", "")).lower(), o.get("userPrincipalName")) for o in objects]
        elif kind == "application":
            entries = [(str(o.get("appId", "")).lower(), o.get("displayName")) for o in objects]
        else:
            entries = [(str(o.get("id", "")).lower(), o.get("displayName")) for o in objects]
        return self._match(kind, value, entries)

    @staticmethod
    def _match(kind, value, entries):
        exact = [(i, n) for i, n in entries if n == value]
        folded = [(i, n) for i, n in entries if n is not None and _fold(n) == _fold(value)]
        matches = exact if len(exact) == 1 else folded
        unique = sorted(set(matches))
        if len(unique) == 1:
            return Resolution(kind, value, "found", unique[0][0], unique[0][1])
        if len(unique) > 1:
            return Resolution(kind, value, "ambiguous", candidates=unique)
        return Resolution(kind, value, "unknown")

    # -- replication lag --------------------------------------------------------------------
    def _wait_for_lagging(self, pending):
        """Look again for named locations and strengths that are not visible yet, within the budget."""
        missing = self._missing_lagging(pending)
        if not missing or self.reference_wait <= 0:
            return
        deadline = self._clock() + self.reference_wait
        pause = 1.0
        while missing:
            left = deadline - self._clock()
            if left <= 0:
                return
            self._sleep(min(pause, left))
            pause = min(pause * 2, 8.0)
            for kind in missing:
                self._lists.pop(kind, None)
            again = dict((kind, dict((self._key(kind, v), v) for v in values)) for kind, values in missing.items())
            self._lookup(again)
            missing = self._missing_lagging(pending)

    def _missing_lagging(self, pending):
        """The named locations and strengths not found yet that are worth waiting for: all of them,
        or only the awaited ones when the caller said which names the run creates."""
        missing = {}
        for kind in LAGGING_KINDS:
            awaited = self.awaited.get(kind)
            for value in (pending.get(kind) or {}).values():
                if awaited is not None and _fold(value) not in awaited:
                    continue
                found = self.resolution(kind, value)
                if found is None or found.status in ("unknown", "dangling"):
                    missing.setdefault(kind, []).append(value)
        return missing

    def is_awaited(self, kind, value):
        """True when the caller declared ``value`` as a ``kind`` the run creates."""
        return _fold(value) in self.awaited.get(kind, ())

    # -- suggestions ------------------------------------------------------------------------
    def _suggest(self, pending):
        """Closest names for unknown ones: from the whole list where one was read, else from one
        page of the collection and the objects whose name starts like the one given."""
        unknown = {}
        for kind, values in pending.items():
            for value in values.values():
                found = self.resolution(kind, value)
                if found is not None and found.status == "unknown":
                    unknown.setdefault(kind, []).append(found)
        if not unknown:
            return
        queries = []
        for kind, resolutions in unknown.items():
            if kind in self._lists:
                continue
            collection, prop, select = {
                "user": ("/users", "userPrincipalName", "id,userPrincipalName"),
                "group": ("/groups", "displayName", "id,displayName"),
                "application": ("/servicePrincipals", "displayName", "id,appId,displayName"),
            }[kind]
            queries.append(_Query((kind, None), collection + "?" + encode_query({"$select": select, "$top": 999})))
            for resolution in resolutions[:5]:
                prefix = resolution.value[:3]
                if prefix:
                    queries.append(_Query((kind, None), collection + "?" + encode_query({
                        "$filter": "startswith(%s,%s)" % (prop, odata_string(prefix)), "$select": select,
                        "$top": 999})))
        try:
            self._run(queries)
        except GraphError:
            queries = []  # suggestions are a courtesy: the unknown name is reported either way
        names = {}
        for kind in unknown:
            if kind in self._lists:
                names[kind] = [n for _i, n in self._lists[kind] if n]
            else:
                names[kind] = []
        for query in queries:
            kind = query.purpose[0]
            prop = "userPrincipalName" if kind == "user" else "displayName"
            names[kind].extend(o.get(prop) for o in (query.items or []) if o.get(prop))
        for kind, resolutions in unknown.items():
            candidates = sorted(set(names.get(kind) or []))
            if kind == "application":
                from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import APPLICATIONS
                candidates = sorted(set(candidates) | set(n for _i, n, _a in APPLICATIONS))
            if kind == "role":
                from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import ROLES
                candidates = sorted(set(candidates) | set(n for _i, n in ROLES))
            for resolution in resolutions:
                resolution.suggestions = closest(resolution.value, candidates)


def checked_known(option, entries):
    """The entries of a ``known_*`` option (``[{"id", "display_name"}]``, names an earlier task resolved), checked:
    each id an object id, each name not empty. Raises InvalidOption naming ``option[index].key``."""
    for index, entry in enumerate(entries or ()):
        object_id, name = entry.get("id"), entry.get("display_name")
        if not is_guid(object_id):
            raise InvalidOption("%s[%d].id" % (option, index), "is not an object id", value=object_id,
                                accepted="the id (a GUID) of the object named by display_name")
        if name is None or not str(name).strip():
            raise InvalidOption("%s[%d].display_name" % (option, index), "is empty", value=name,
                                accepted="the display name of the object, as the tenant spells it")
    return list(entries or ())


def closest(value, candidates, count=3):
    """The candidates most like ``value`` (compared without regard to case), best first."""
    folded = {}
    for candidate in candidates:
        folded.setdefault(_fold(candidate), candidate)
    matches = difflib.get_close_matches(_fold(value), list(folded), n=count, cutoff=0.6)
    return [folded[m] for m in matches]


def _short_type(obj):
    return str(obj.get("@odata.type") or "").rsplit(".", 1)[-1].lstrip("#")


def _readable_name(obj):
    if _short_type(obj) == "user":
        return obj.get("userPrincipalName") or obj.get("displayName")
    return obj.get("displayName")
