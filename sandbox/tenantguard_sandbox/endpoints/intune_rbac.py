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

from .. import permissions, validation
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec
from ..messages import Response
from ..resource import Resource

BASE = "/deviceManagement/roleScopeTags"
CONTEXT = "%s/beta/$metadata#deviceManagement/roleScopeTags"


def _beta_only(request):
    if request.version != "beta":
        raise GraphHTTPError(400, "BadRequest", "Resource not found for the segment 'roleScopeTags'.")


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def render(stored, request=None):
    out = {"@odata.type": "#microsoft.graph.roleScopeTag"}
    out.update({k: copy.deepcopy(v) for k, v in stored.items() if k != "assignments"})
    return out


def entity_body(request, stored, single=True):
    out = {"@odata.context": CONTEXT % request.base_url + "/$entity"}
    out.update(render(stored))
    return out


def read_body(request, op):
    body = request.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "isBuiltIn"}
    return validation.validate_entity(request.version, "roleScopeTag", body, op)


def refuse_builtin(stored):
    if stored.get("isBuiltIn"):
        raise GraphHTTPError(400, "BadRequest", "The built-in scope tag '%s' cannot be changed or deleted."
                             % stored.get("displayName"))


def assignments_body(request, key, items):
    return {"@odata.context": CONTEXT % request.base_url + "('%s')/assignments" % key,
            "value": [dict({"@odata.type": "#microsoft.graph.roleScopeTagAutoAssignment"}, **a) for a in items]}


def resource(sandbox):
    coll = sandbox.store["roleScopeTags"]

    def build(request):
        normalised = read_body(request, "create")
        numbers = [int(k) for k in (o["id"] for o in coll.values(include_hidden=True)) if str(k).isdigit()]
        return {"id": str(max(numbers + [0]) + 1), "displayName": normalised.get("displayName"),
                "description": normalised.get("description"), "isBuiltIn": False, "assignments": []}

    def change(request, stored):
        normalised = read_body(request, "update")
        refuse_builtin(stored)
        updated = dict(stored)
        updated.update({k: v for k, v in normalised.items() if k in ("displayName", "description")})
        return updated

    def list_assignments(request, stored):
        return Response(200, assignments_body(request, stored["id"], copy.deepcopy(stored.get("assignments", []))))

    def assign(request, stored):
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
        return Response(200, assignments_body(request, stored["id"], copy.deepcopy(assignments)))

    spec = ListSpec("roleScopeTag", "deviceManagement/roleScopeTags",
                    properties=lambda version: properties(version, "roleScopeTag"),
                    directory=False, max_top=None, default_top=None, allow_skip=True, render=render)
    return Resource(sandbox, BASE, permissions.ROLE_SCOPE_TAGS, spec, coll, guard=_beta_only, missing=_not_found,
                    render=entity_body, build=build, change=change, update_returns_entity=True, deletable=True,
                    before_delete=refuse_builtin, actions={"assign": assign},
                    navigations={"assignments": list_assignments})


def routes(sandbox):
    return resource(sandbox).routes()
