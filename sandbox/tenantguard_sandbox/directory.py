"""Directory reads: users, groups, directory roles and role templates, service principals,
applications, devices, the organization, group membership and ``directoryObjects/getByIds``.

Entra ID's query rules apply (see :mod:`listing`): ``$filter`` on indexed properties with
``eq``/``startswith``/``in`` (``ne``, ``not``, ``endswith`` and null checks need
``ConsistencyLevel: eventual`` and ``$count=true``), ``$search`` and ``/$count`` only with
``ConsistencyLevel: eventual``, ``$top`` 1..999 (default 100), ``$select`` of known properties.
"""

from . import directory_types, permissions
from .entity_properties import filterable, properties
from .errors import GraphHTTPError
from .listing import ListSpec, count_response, entity_response, list_response, project, selected_properties
from .messages import Response

# entity set -> (type name, permission)
ENTITY_SETS = {
    "users": ("user", permissions.USERS),
    "groups": ("group", permissions.GROUPS),
    "directoryRoles": ("directoryRole", permissions.ROLES),
    "directoryRoleTemplates": ("directoryRoleTemplate", permissions.ROLES),
    "servicePrincipals": ("servicePrincipal", permissions.APPLICATIONS),
    "applications": ("application", permissions.APPLICATIONS),
    "devices": ("device", permissions.DEVICES),
}
OBJECT_TYPES = {"user": "users", "group": "groups", "device": "devices", "servicePrincipal": "servicePrincipals",
                "application": "applications", "directoryRole": "directoryRoles",
                "directoryRoleTemplate": "directoryRoleTemplates"}
GET_BY_IDS_TYPES = set(OBJECT_TYPES) | {"orgContact", "administrativeUnit"}
MEMBER_TYPES = ("user", "group", "servicePrincipal", "device")
ORGANIZATION = permissions.Permission(
    "organization", ("Organization.Read.All", "Organization.ReadWrite.All") + permissions.DIRECTORY_READ)


def not_found(key):
    return GraphHTTPError(404, "Request_ResourceNotFound",
                          "Resource '%s' does not exist or one of its queried reference-property objects are not "
                          "present." % key)


def _user_default_select(version):
    return list(directory_types.USER_DEFAULT_SELECT) if version == "v1.0" else None


def spec_for(type_name, context):
    return ListSpec(
        type_name, context,
        properties=lambda version: properties(version, type_name),
        indexed=filterable("v1.0", type_name) | filterable("beta", type_name),
        directory=True, max_top=999, default_top=100,
        allow_skip=False, searchable=directory_types.SEARCHABLE.get(type_name, ()),
        orderable={"displayName", "userPrincipalName", "createdDateTime", "mail"},
        default_select=_user_default_select if type_name == "user" else None,
    )


OBJECT_SPEC = ListSpec(
    "directoryObject", "directoryObjects",
    properties=lambda version: frozenset().union(*(properties(version, t) for t in MEMBER_TYPES)),
    indexed=None, directory=True, searchable=("displayName",),
)


def typed(type_name, obj):
    out = {"@odata.type": "#microsoft.graph.%s" % type_name}
    out.update(obj)
    return out


class Directory:
    """Look-ups across the directory collections."""

    def __init__(self, store):
        self.store = store
        self._upn_index = (None, {})
        self._parents = (None, {})

    def find(self, type_name, key):
        coll = self.store[OBJECT_TYPES[type_name]]
        obj = coll.get(key) or coll.get(key.lower())
        if obj is None and type_name == "user" and "@" in key:
            obj = self._by_upn(key)
        return obj

    def _by_upn(self, upn):
        users = self.store["users"]
        version, index = self._upn_index
        if version != users.version:
            index = {str(u.get("userPrincipalName", "")).lower(): u["id"] for u in users.values(include_hidden=True)}
            self._upn_index = (users.version, index)
        key = index.get(upn.lower())
        return users.get(key) if key else None

    def object_by_id(self, key, types=None):
        """``(type name, object)`` for a directory object id, or None."""
        for type_name in (types or OBJECT_TYPES):
            if type_name not in OBJECT_TYPES:
                continue
            obj = self.store[OBJECT_TYPES[type_name]].get(key)
            if obj is not None:
                return type_name, obj
        return None

    def members_of(self, collection, key):
        entry = self.store[collection].get(key)
        return list(entry["members"]) if entry else []

    def parents(self):
        """``member id -> [(collection, group or role id)]`` for direct membership."""
        groups, roles = self.store["groupMembers"], self.store["roleMembers"]
        stamp = (groups.version, roles.version, len(groups), len(roles))
        version, index = self._parents
        if version != stamp:
            index = {}
            for coll_name, coll in (("groups", groups), ("directoryRoles", roles)):
                for entry in coll.values(include_hidden=True):
                    for member in entry["members"]:
                        index.setdefault(member, []).append((coll_name, entry["id"]))
            self._parents = (stamp, index)
        return index

    def member_of(self, key, transitive=False):
        index = self.parents()
        seen, order, queue = set(), [], [key]
        while queue:
            current = queue.pop(0)
            for coll_name, parent in index.get(current, []):
                if (coll_name, parent) in seen:
                    continue
                seen.add((coll_name, parent))
                order.append((coll_name, parent))
                if transitive and coll_name == "groups":
                    queue.append(parent)
            if not transitive:
                break
        out = []
        for coll_name, parent in order:
            obj = self.store[coll_name].get(parent)
            if obj is not None:
                out.append(typed("group" if coll_name == "groups" else "directoryRole", obj))
        return out

    def typed_members(self, collection, key, transitive=False):
        out, seen, queue = [], set(), [key]
        while queue:
            current = queue.pop(0)
            for member in self.members_of(collection if current == key else "groupMembers", current):
                if member in seen:
                    continue
                seen.add(member)
                found = self.object_by_id(member, MEMBER_TYPES)
                if found is None:
                    continue
                out.append(typed(*found))
                if transitive and found[0] == "group":
                    queue.append(member)
            if not transitive:
                break
        return out


def register(router, sandbox):
    store = sandbox.store
    directory = Directory(store)
    sandbox.directory = directory

    def make_handlers(entity_set, type_name, permission):
        spec = spec_for(type_name, entity_set)

        def list_items(request):
            return list_response(request, spec, store[entity_set])

        def count(request):
            return count_response(request, spec, store[entity_set])

        def get_item(request, key):
            obj = directory.find(type_name, key)
            if obj is None:
                raise not_found(key)
            return single(request, obj)

        def single(request, obj):
            select = selected_properties(request, spec)
            body = project(obj, select)
            fragment = entity_set + ("(%s)" % ",".join(select) if request.option("$select") else "") + "/$entity"
            return entity_response(request, body, fragment)

        router.graph("GET", "/%s" % entity_set, list_items, permission)
        router.graph("GET", r"/%s/\$count" % entity_set, count, permission)
        return get_item, single, spec

    handlers = {}
    for entity_set, (type_name, permission) in ENTITY_SETS.items():
        handlers[entity_set] = make_handlers(entity_set, type_name, permission)

    # alternate keys: servicePrincipals(appId='...'), applications(appId='...'),
    # directoryRoles(roleTemplateId='...')
    def by_app_id(entity_set):
        def handler(request, app_id):
            obj = next((o for o in store[entity_set].values() if str(o.get("appId", "")).lower() == app_id.lower()),
                       None)
            if obj is None:
                raise not_found(app_id)
            return handlers[entity_set][1](request, obj)
        return handler

    router.graph("GET", r"/servicePrincipals\(appId='(?P<app_id>[^']*)'\)", by_app_id("servicePrincipals"),
                 permissions.APPLICATIONS)
    router.graph("GET", r"/applications\(appId='(?P<app_id>[^']*)'\)", by_app_id("applications"),
                 permissions.APPLICATIONS)

    def role_by_template(request, template_id):
        obj = next((o for o in store["directoryRoles"].values()
                    if str(o.get("roleTemplateId", "")).lower() == template_id.lower()), None)
        if obj is None:
            raise not_found(template_id)
        return handlers["directoryRoles"][1](request, obj)

    router.graph("GET", r"/directoryRoles\(roleTemplateId='(?P<template_id>[^']*)'\)", role_by_template,
                 permissions.ROLES)

    # membership (registered before the plain /{id} routes so that they win)
    def members(request, key, transitive=False):
        group = directory.find("group", key)
        if group is None:
            raise not_found(key)
        items = directory.typed_members("groupMembers", group["id"], transitive)
        return list_response(request, OBJECT_SPEC, items, context=_ctx(request, "directoryObjects"))

    def members_count(request, key):
        group = directory.find("group", key)
        if group is None:
            raise not_found(key)
        return count_response(request, OBJECT_SPEC, directory.typed_members("groupMembers", group["id"]))

    def transitive_members(request, key):
        return members(request, key, transitive=True)

    def role_members(request, key):
        role = directory.find("directoryRole", key)
        if role is None:
            raise not_found(key)
        items = directory.typed_members("roleMembers", role["id"])
        return list_response(request, OBJECT_SPEC, items, context=_ctx(request, "directoryObjects"))

    def member_of_handler(type_name, transitive):
        def handler(request, key):
            obj = directory.find(type_name, key)
            if obj is None:
                raise not_found(key)
            items = directory.member_of(obj["id"], transitive)
            return list_response(request, OBJECT_SPEC, items, context=_ctx(request, "directoryObjects"))
        return handler

    router.graph("GET", r"/groups/(?P<key>[^/]+)/members/\$count", members_count, permissions.GROUPS)
    router.graph("GET", r"/groups/(?P<key>[^/]+)/members", members, permissions.GROUPS)
    router.graph("GET", r"/groups/(?P<key>[^/]+)/transitiveMembers", transitive_members, permissions.GROUPS)
    router.graph("GET", r"/groups/(?P<key>[^/]+)/memberOf", member_of_handler("group", False), permissions.GROUPS)
    router.graph("GET", r"/groups/(?P<key>[^/]+)/transitiveMemberOf", member_of_handler("group", True),
                 permissions.GROUPS)
    router.graph("GET", r"/directoryRoles/(?P<key>[^/]+)/members", role_members, permissions.ROLES)
    for entity_set, type_name in (("users", "user"), ("servicePrincipals", "servicePrincipal"),
                                  ("devices", "device")):
        permission = ENTITY_SETS[entity_set][1]
        router.graph("GET", r"/%s/(?P<key>[^/]+)/memberOf" % entity_set, member_of_handler(type_name, False),
                     permission)
        router.graph("GET", r"/%s/(?P<key>[^/]+)/transitiveMemberOf" % entity_set,
                     member_of_handler(type_name, True), permission)

    for entity_set, (type_name, permission) in ENTITY_SETS.items():
        get_item = handlers[entity_set][0]
        router.graph("GET", r"/%s/(?P<key>[^/]+)" % entity_set, get_item, permission)

    def get_by_ids(request):
        body = request.json()
        if not isinstance(body, dict):
            raise GraphHTTPError(400, "Request_BadRequest", "The request body must be a JSON object with 'ids'.")
        unknown = set(body) - {"ids", "types"}
        if unknown:
            raise GraphHTTPError(400, "Request_BadRequest", "The parameter '%s' in the request payload is not a "
                                 "valid parameter for the operation 'getByIds'." % sorted(unknown)[0])
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise GraphHTTPError(400, "Request_BadRequest", "The parameter 'ids' must be a non-empty list of "
                                 "directory object ids (strings).")
        if len(ids) > 1000:
            raise GraphHTTPError(400, "Request_BadRequest", "Too many ids: %d. At most 1000 ids can be requested "
                                 "at once." % len(ids))
        types = body.get("types")
        if types is not None:
            if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                raise GraphHTTPError(400, "Request_BadRequest", "The parameter 'types' must be a list of type names.")
            canonical = {t.lower(): t for t in GET_BY_IDS_TYPES}
            resolved = []
            for name in types:
                short = name.split(".")[-1].lower()
                if short not in canonical:
                    raise GraphHTTPError(400, "Request_BadRequest", "Invalid type '%s' specified. Accepted: %s."
                                         % (name, ", ".join(sorted(GET_BY_IDS_TYPES))))
                resolved.append(canonical[short])
            types = resolved
        found = []
        for key in ids:
            hit = directory.object_by_id(key.lower(), types) or directory.object_by_id(key, types)
            if hit is not None:
                found.append(typed(*hit))
        return Response(200, {"@odata.context": _ctx(request, "directoryObjects"), "value": found})

    router.graph("POST", r"/directoryObjects/getByIds", get_by_ids, permissions.DIRECTORY_OBJECTS)

    def directory_object(request, key):
        hit = directory.object_by_id(key)
        if hit is None:
            raise not_found(key)
        return entity_response(request, typed(*hit), "directoryObjects/$entity")

    router.graph("GET", r"/directoryObjects/(?P<key>[^/]+)", directory_object, permissions.DIRECTORY_OBJECTS)

    def organization(request):
        tenant = sandbox.tenant
        org = {
            "id": tenant.id, "deletedDateTime": None, "displayName": tenant.display_name,
            "tenantType": "AAD", "countryLetterCode": "US", "createdDateTime": "2020-01-01T00:00:00Z",
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": d == tenant.default_domain,
                                 "isInitial": d == tenant.default_domain, "name": d, "type": "Managed"}
                                for d in sorted(tenant.domains)],
        }
        return Response(200, {"@odata.context": _ctx(request, "organization"), "value": [org]})

    router.graph("GET", r"/organization", organization, ORGANIZATION)

    def me(request, rest=None):
        raise GraphHTTPError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")

    router.graph(("GET", "POST", "PATCH", "PUT", "DELETE"), r"/me(?P<rest>/.*)?", me)


def _ctx(request, fragment):
    return "%s/%s/$metadata#%s" % (request.base_url, request.version, fragment)
