"""Directory reads: users, groups, directory roles and role templates, service principals,
applications, devices, the organization, group membership and ``directoryObjects/getByIds``.

Entra ID's query rules apply (see :mod:`listing`): ``$filter`` on indexed properties with
``eq``/``startswith``/``in`` (``ne``, ``not``, ``endswith`` and null checks need
``ConsistencyLevel: eventual`` and ``$count=true``), ``$search`` and ``/$count`` only with
``ConsistencyLevel: eventual``, ``$top`` 1..999 (default 100), ``$select`` of known properties.
"""

from .. import permissions
from ..directory import ENTITY_SETS, GET_BY_IDS_TYPES, OBJECT_SPEC, not_found, spec_for, typed
from ..errors import GraphHTTPError
from ..listing import count_response, entity_response, list_response, project, selected_properties
from ..messages import Response
from ..resource import Resource, Route, entity_context

ORGANIZATION = permissions.Permission(
    "organization", ("Organization.Read.All", "Organization.ReadWrite.All") + permissions.DIRECTORY_READ)
# entity set -> alternate key -> the property it names
ALTERNATE_KEYS = (("servicePrincipals", "appId"), ("applications", "appId"), ("directoryRoles", "roleTemplateId"))
MEMBER_OF = {"groups": "group", "users": "user", "servicePrincipals": "servicePrincipal", "devices": "device"}


def _bad(message):
    return GraphHTTPError(400, "Request_BadRequest", message)


def _objects(request, items):
    return list_response(request, OBJECT_SPEC, items, context=entity_context(request, "directoryObjects"))


class DirectoryEndpoints:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.store = sandbox.store
        self.directory = sandbox.directory
        self.sets = {name: self.resource(name, type_name, permission)
                     for name, (type_name, permission) in ENTITY_SETS.items()}

    def resource(self, entity_set, type_name, permission):
        spec = spec_for(type_name, entity_set)

        def single(request, obj):
            select = selected_properties(request, spec)
            fragment = entity_set + ("(%s)" % ",".join(select) if request.option("$select") else "") + "/$entity"
            return entity_response(request, project(obj, select), fragment)

        return Resource(self.sandbox, "/" + entity_set, permission, spec, self.store[entity_set], countable=True,
                        find=lambda request, key, hidden: self.directory.find(type_name, key), missing=not_found,
                        single=single, navigations=self.navigations(entity_set, type_name))

    # -- membership -------------------------------------------------------------------------------
    def navigations(self, entity_set, type_name):
        out = {}
        if entity_set == "groups":
            out["members/$count"] = self.members_count
            out["members"] = self.members
            out["transitiveMembers"] = lambda request, group: self.members(request, group, transitive=True)
        if entity_set == "directoryRoles":
            out["members"] = lambda request, role: _objects(
                request, self.directory.typed_members("roleMembers", role["id"]))
        if entity_set in MEMBER_OF:
            out["memberOf"] = lambda request, obj: _objects(request, self.directory.member_of(obj["id"], False))
            out["transitiveMemberOf"] = lambda request, obj: _objects(request, self.directory.member_of(obj["id"], True))
        return out

    def members(self, request, group, transitive=False):
        return _objects(request, self.directory.typed_members("groupMembers", group["id"], transitive))

    def members_count(self, request, group):
        return count_response(request, OBJECT_SPEC, self.directory.typed_members("groupMembers", group["id"]))

    # -- alternate keys: servicePrincipals(appId='...'), applications(appId='...'), directoryRoles(roleTemplateId='...')
    def by_alternate_key(self, entity_set, name):
        def handler(request, value):
            obj = next((o for o in self.store[entity_set].values()
                        if str(o.get(name, "")).lower() == value.lower()), None)
            if obj is None:
                raise not_found(value)
            return self.sets[entity_set].entity(request, obj)
        return handler

    # -- directory objects, the organization ----------------------------------------------------------
    def get_by_ids(self, request):
        body = request.json()
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object with 'ids'.")
        unknown = set(body) - {"ids", "types"}
        if unknown:
            raise _bad("The parameter '%s' in the request payload is not a valid parameter for the operation "
                       "'getByIds'." % sorted(unknown)[0])
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise _bad("The parameter 'ids' must be a non-empty list of directory object ids (strings).")
        if len(ids) > 1000:
            raise _bad("Too many ids: %d. At most 1000 ids can be requested at once." % len(ids))
        types = _get_by_ids_types(body.get("types"))
        found = []
        for key in ids:
            hit = self.directory.object_by_id(key.lower(), types) or self.directory.object_by_id(key, types)
            if hit is not None:
                found.append(typed(*hit))
        return Response(200, {"@odata.context": entity_context(request, "directoryObjects"), "value": found})

    def directory_object(self, request, key):
        hit = self.directory.object_by_id(key)
        if hit is None:
            raise not_found(key)
        return entity_response(request, typed(*hit), "directoryObjects/$entity")

    def organization(self, request):
        tenant = self.sandbox.tenant
        org = {
            "id": tenant.id, "deletedDateTime": None, "displayName": tenant.display_name,
            "tenantType": "AAD", "countryLetterCode": "US", "createdDateTime": "2020-01-01T00:00:00Z",
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline",
                                 "isDefault": d == tenant.default_domain, "isInitial": d == tenant.default_domain,
                                 "name": d, "type": "Managed"} for d in sorted(tenant.domains)],
        }
        return Response(200, {"@odata.context": entity_context(request, "organization"), "value": [org]})

    def routes(self):
        table = []
        for entity_set, name in ALTERNATE_KEYS:
            table.append(Route("GET", "/%s(%s='{value:[^']*}')" % (entity_set, name),
                               self.by_alternate_key(entity_set, name), ENTITY_SETS[entity_set][1]))
        for resource in self.sets.values():
            table += resource.routes()
        return table + [
            Route("POST", "/directoryObjects/getByIds", self.get_by_ids, permissions.DIRECTORY_OBJECTS),
            Route("GET", "/directoryObjects/{key}", self.directory_object, permissions.DIRECTORY_OBJECTS),
            Route("GET", "/organization", self.organization, ORGANIZATION),
            Route(("GET", "POST", "PATCH", "PUT", "DELETE"), "/me{rest:(/.*)?}", me),
        ]


def _get_by_ids_types(types):
    if types is None:
        return None
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise _bad("The parameter 'types' must be a list of type names.")
    canonical = {t.lower(): t for t in GET_BY_IDS_TYPES}
    resolved = []
    for name in types:
        short = name.split(".")[-1].lower()
        if short not in canonical:
            raise _bad("Invalid type '%s' specified. Accepted: %s." % (name, ", ".join(sorted(GET_BY_IDS_TYPES))))
        resolved.append(canonical[short])
    return resolved


def me(request, rest=None):
    raise GraphHTTPError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")


def routes(sandbox):
    return DirectoryEndpoints(sandbox).routes()
