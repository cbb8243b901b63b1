"""Intune role scope tags, beta only: ``/beta/deviceManagement/roleScopeTags`` (list, get, create, update,
delete), ``/{id}/assignments`` and the ``assign`` action.

Sources (``behavior.md`` section 13, ``examples/role_scope_tags``):

* beta only: v1.0 has no ``roleScopeTag`` type, so ``/v1.0/deviceManagement/roleScopeTags`` is Graph's routing
  error naming ``roleScopeTags`` [csdl];
* every tenant has the built-in tag **Default**, id ``"0"``, ``isBuiltIn: true``; custom tags get the next small
  integer as a string ("1", "2", ...) (IntuneCD#218 "Removed Value: ['0']", IntuneManagement#401 "... not allowed
  by the current role: 0"; the docs' GUID-like ids are generator placeholders). The Default tag's description is
  not shown anywhere: it is served as an empty string (unverified);
* POST 201 with the entity [docs]; PATCH 200 with the entity: the generated docs page shows 200 and IntuneCD
  (``update/Intune/ScopeTags.py``) expects 200 from real Graph, unlike the MAM policies' 204; DELETE 204;
  ``assign`` 200 with ``{"value": [roleScopeTagAutoAssignment]}`` [docs, IntuneCD ``assignment_status_code``],
  replacing the whole set;
* ``isBuiltIn`` is read-only: a value sent in a body is ignored (the docs' create example sends ``true``, IntuneCD
  sends back ``false`` from its backups; neither is refused there). Changing or deleting the built-in tag is
  refused with Intune's 400 (wording unverified).

Permissions: DeviceManagementRBAC.Read.All or .ReadWrite.All to read, .ReadWrite.All to write.
"""

import copy
import uuid

from . import permissions
from .entity_properties import properties
from .errors import GraphHTTPError
from .listing import ListSpec, list_response, project, selected_properties
from .messages import Response, no_content
from . import validation

COLLECTION = "roleScopeTags"
BASE = "/deviceManagement/roleScopeTags"
DEFAULT_TAG = {"id": "0", "displayName": "Default", "description": "", "isBuiltIn": True, "assignments": []}


def install(store):
    """Every tenant's Default tag (idempotent)."""
    coll = store[COLLECTION]
    if coll.get("0", include_hidden=True) is None:
        coll.put(copy.deepcopy(DEFAULT_TAG))


def _beta_only(request):
    if request.version != "beta":
        raise GraphHTTPError(400, "BadRequest", "Resource not found for the segment 'roleScopeTags'.")


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def render(stored, request=None):
    out = {"@odata.type": "#microsoft.graph.roleScopeTag"}
    out.update({k: copy.deepcopy(v) for k, v in stored.items() if k != "assignments"})
    return out


def register(router, sandbox):
    store = sandbox.store
    coll = store[COLLECTION]
    perm = permissions.ROLE_SCOPE_TAGS
    spec = ListSpec("roleScopeTag", "deviceManagement/roleScopeTags",
                    properties=lambda version: properties(version, "roleScopeTag"),
                    directory=False, max_top=None, default_top=None, allow_skip=True, render=render)

    def find(key, include_hidden=False):
        obj = coll.get(key, include_hidden=include_hidden)
        if obj is None:
            raise _not_found(key)
        return obj

    def read_body(request, op):
        body = request.json()
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "isBuiltIn"}
        return validation.validate_entity(request.version, "roleScopeTag", body, op)

    def entity_body(request, stored):
        out = {"@odata.context": "%s/beta/$metadata#deviceManagement/roleScopeTags/$entity" % request.base_url}
        out.update(render(stored))
        return out

    def list_tags(request):
        _beta_only(request)
        return list_response(request, spec, coll)

    def get_tag(request, key):
        _beta_only(request)
        body = entity_body(request, find(key))
        select = selected_properties(request, spec)
        if select is not None:
            body = dict(project(body, select), **{"@odata.context": body["@odata.context"]})
        return Response(200, body)

    def create_tag(request):
        _beta_only(request)
        normalised = read_body(request, "create")
        numbers = [int(k) for k in (o["id"] for o in coll.values(include_hidden=True)) if str(k).isdigit()]
        stored = {"id": str(max(numbers + [0]) + 1), "displayName": normalised.get("displayName"),
                  "description": normalised.get("description"), "isBuiltIn": False, "assignments": []}
        sandbox.created(coll, stored, request)
        return Response(201, entity_body(request, stored))

    def refuse_builtin(stored):
        if stored.get("isBuiltIn"):
            raise GraphHTTPError(400, "BadRequest", "The built-in scope tag '%s' cannot be changed or deleted."
                                 % stored.get("displayName"))

    def update_tag(request, key):
        _beta_only(request)
        stored = find(key, include_hidden=True)
        normalised = read_body(request, "update")
        refuse_builtin(stored)
        updated = dict(stored)
        updated.update({k: v for k, v in normalised.items() if k in ("displayName", "description")})
        coll.put(updated)
        return Response(200, entity_body(request, updated))

    def delete_tag(request, key):
        _beta_only(request)
        refuse_builtin(find(key, include_hidden=True))
        coll.delete(key)
        return no_content()

    def assignments_body(request, key, items):
        return {"@odata.context": "%s/beta/$metadata#deviceManagement/roleScopeTags('%s')/assignments"
                                  % (request.base_url, key),
                "value": [dict({"@odata.type": "#microsoft.graph.roleScopeTagAutoAssignment"}, **a) for a in items]}

    def list_assignments(request, key):
        _beta_only(request)
        return Response(200, assignments_body(request, key, copy.deepcopy(find(key).get("assignments", []))))

    def assign(request, key):
        _beta_only(request)
        stored = find(key, include_hidden=True)
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"assignments"} or not isinstance(body.get("assignments"), list):
            raise GraphHTTPError(400, "BadRequest", "Property assignments in payload has a value that does not "
                                 "match schema.")
        assignments = []
        for item in body["assignments"]:
            item = {k: v for k, v in item.items() if k != "id"} if isinstance(item, dict) else item
            checked = dict(validation.validate_entity("beta", "roleScopeTagAutoAssignment", item, "create"))
            checked.pop("@odata.type", None)
            checked["id"] = str(uuid.uuid4())
            assignments.append(checked)
        coll.put(dict(stored, assignments=assignments))
        return Response(200, assignments_body(request, key, copy.deepcopy(assignments)))

    item = BASE + "/(?P<key>[^/]+)"
    router.graph("GET", BASE, list_tags, perm)
    router.graph("POST", BASE, create_tag, perm)
    router.graph("GET", item + "/assignments", list_assignments, perm)
    router.graph("POST", item + "/assign", assign, perm)
    router.graph("GET", item, get_tag, perm)
    router.graph("PATCH", item, update_tag, perm)
    router.graph("DELETE", item, delete_tag, perm)
