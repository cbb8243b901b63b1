"""Intune managed app registrations and statuses (read), and the selective wipe by device tag.

Sources (``/work/shared/graph``: ``behavior.md`` section 12, ``examples/managed_app_registrations/``, the schema's
``managedAppRegistration`` types; sandbox README "Managed app registrations"):

* ``GET /deviceAppManagement/managedAppRegistrations`` (v1.0 and beta): ``iosManagedAppRegistration`` and
  ``androidManagedAppRegistration`` items, ``@odata.type`` on each; beta adds ``azureADDeviceId``, ``managedDeviceId``,
  ``deviceModel``, ``deviceManufacturer`` (and ``patchVersion`` on Android), which v1.0 does not show.
* ``$expand=appliedPolicies,intendedPolicies,operations`` (navigations of the type [csdl]); the expansion is kept in
  ``@odata.nextLink`` as every other query option is. Page size is undocumented: 1,000 as for managed devices
  (**unverified**).
* ``GET /users/{id}/managedAppRegistrations`` (the user's navigation [csdl]).
* ``GET /deviceAppManagement/managedAppStatuses``: ``managedAppStatusRaw`` items as seeded (none by default;
  which statuses a tenant holds is not documented).
* ``POST /users/{id}/wipeManagedAppRegistrationsByDeviceTag {"deviceTag"}`` (v1.0 and beta) and beta's
  ``wipeManagedAppRegistrationByDeviceTag`` (same body) and ``wipeManagedAppRegistrationsByAzureAdDeviceId
  {"azureAdDeviceId"}``: 204 per the docs' examples, ``DeviceManagementApps.ReadWrite.All``. What the wipe leaves to
  read is **unverified**: the sandbox adds a ``managedAppOperation`` ``{"displayName": "Wipe", "state": "pending"}``
  to each registration of that user with that tag (the apps carry it out at their next check-in, which the sandbox
  does not simulate); a seed may hold operations in any state (``"state": "completed"``).
"""

import copy
import uuid

from .. import defaults, permissions
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec, list_response
from ..messages import Response, iso_now, no_content
from ..resource import Route, entity_context
from ..validation.projection import project as project_onto
from .intune import POLICY_SETS, render_policy

DAM = "/deviceAppManagement"
REGISTRATION_TYPES = ("iosManagedAppRegistration", "androidManagedAppRegistration")
NAVIGATIONS = ("appliedPolicies", "intendedPolicies", "operations")
PAGE = 1000


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _bad(message):
    return GraphHTTPError(400, "BadRequest", message)


def _type_of(stored):
    name = str(stored.get("@odata.type") or "").rsplit(".", 1)[-1]
    return name if name in REGISTRATION_TYPES else "iosManagedAppRegistration"


def expansions(request):
    """The navigations named by ``$expand`` (checked: an unknown one is Graph's 400)."""
    text = request.option("$expand")
    names = [e.strip() for e in text.split(",") if e.strip()] if text else []
    for name in names:
        if name not in NAVIGATIONS:
            raise _bad("Could not find a property named '%s' on type 'microsoft.graph.managedAppRegistration'."
                       % name)
    return names


class Registrations:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.store = sandbox.store
        self.collection = sandbox.store["managedAppRegistrations"]

    def _policy(self, request, item):
        """An applied or intended policy: the stored app protection policy of that id, else the seeded object."""
        for entity_set in POLICY_SETS:
            stored = self.store[entity_set].get(item.get("id")) if item.get("id") else None
            if stored is not None:
                return render_policy(request, entity_set, stored)
        type_name = str(item.get("@odata.type") or "#microsoft.graph.iosManagedAppProtection").rsplit(".", 1)[-1]
        out = {"@odata.type": "#microsoft.graph." + type_name}
        out.update(defaults.complete(request.version, type_name, project_onto(request.version, type_name,
                                                                               copy.deepcopy(item))))
        return out

    def render(self, stored, request, expand=None):
        type_name = _type_of(stored)
        version = request.version or "v1.0"
        body = {k: v for k, v in stored.items() if k not in NAVIGATIONS and k != "@odata.type"}
        out = {"@odata.type": "#microsoft.graph." + type_name}
        out.update(defaults.complete(version, type_name, project_onto(version, type_name, body)))
        for name in expansions(request) if expand is None else expand:
            items = stored.get(name) or []
            if name == "operations":
                out[name] = [dict({"@odata.type": "#microsoft.graph.managedAppOperation"},
                                  **defaults.complete(version, "managedAppOperation",
                                                      project_onto(version, "managedAppOperation", dict(op))))
                             for op in items]
            else:
                out[name] = [self._policy(request, item) for item in items]
        return out

    def spec(self, context):
        spec = ListSpec("managedAppRegistration", context,
                        properties=lambda version: properties(version, "managedAppRegistration"),
                        directory=False, max_top=None, default_top=PAGE, allow_skip=True, expandable=True)
        spec.render = self.render
        return spec

    def list(self, request):
        expansions(request)
        return list_response(request, self.spec("deviceAppManagement/managedAppRegistrations"), self.collection)

    def get(self, request, key):
        stored = self.collection.get(key)
        if stored is None:
            raise _not_found(key)
        body = {"@odata.context": entity_context(request, "deviceAppManagement/managedAppRegistrations/$entity")}
        body.update(self.render(stored, request))
        return Response(200, body)

    def user(self, key):
        users = self.store["users"]
        found = users.get(key) or users.get(key.lower())
        if found is None:
            found = next((u for u in users.values() if str(u.get("userPrincipalName", "")).lower() == key.lower()),
                         None)
        if found is None:
            raise GraphHTTPError(404, "Request_ResourceNotFound",
                                 "Resource '%s' does not exist or one of its queried reference-property objects "
                                 "are not present." % key)
        return found

    def of_user(self, request, key):
        user = self.user(key)
        expansions(request)
        mine = [r for r in self.collection.values() if str(r.get("userId", "")).lower() == user["id"].lower()]
        return list_response(request, self.spec("users('%s')/managedAppRegistrations" % user["id"]), mine)

    def wipe(self, field, body_field, beta_only=False):
        def handler(request, key):
            if beta_only and request.version != "beta":
                raise _bad("Resource not found for the segment '%s'." % request.path.rsplit("/", 1)[-1])
            user = self.user(key)
            body = request.json()
            if not isinstance(body, dict) or set(body) != {body_field} or not isinstance(body[body_field], str):
                raise _bad("The request body must be {\"%s\": \"...\"}." % body_field)
            value = body[body_field].lower()
            now = iso_now()
            for stored in list(self.collection.values()):
                if str(stored.get("userId", "")).lower() != user["id"].lower():
                    continue
                if str(stored.get(field) or "").lower() != value or not value:
                    continue
                operation = {"id": str(uuid.uuid4()), "displayName": "Wipe", "state": "pending",
                             "lastModifiedDateTime": now, "version": uuid.uuid4().hex[:8]}
                self.collection.put(dict(stored, operations=list(stored.get("operations") or []) + [operation]))
            return no_content()
        return handler


def statuses(sandbox):
    collection = sandbox.store["managedAppStatuses"]

    def render(stored, request):
        out = {"@odata.type": "#microsoft.graph.managedAppStatusRaw"}
        version = request.version or "v1.0"
        out.update(defaults.complete(version, "managedAppStatusRaw",
                                     project_onto(version, "managedAppStatusRaw",
                                                  {k: v for k, v in stored.items() if k != "@odata.type"})))
        return out

    spec = ListSpec("managedAppStatus", "deviceAppManagement/managedAppStatuses",
                    properties=lambda version: properties(version, "managedAppStatusRaw"), directory=False,
                    max_top=None, default_top=None, allow_skip=True)
    spec.render = render

    def listing(request):
        return list_response(request, spec, collection)
    return listing


def routes(sandbox):
    perm = permissions.APP_PROTECTION
    registrations = Registrations(sandbox)
    base = DAM + "/managedAppRegistrations"
    return [
        Route("GET", base, registrations.list, perm),
        Route("GET", base + "/{key}", registrations.get, perm),
        Route("GET", "/users/{key}/managedAppRegistrations", registrations.of_user, perm),
        Route("POST", "/users/{key}/wipeManagedAppRegistrationsByDeviceTag",
              registrations.wipe("deviceTag", "deviceTag"), perm),
        Route("POST", "/users/{key}/wipeManagedAppRegistrationByDeviceTag",
              registrations.wipe("deviceTag", "deviceTag", beta_only=True), perm),
        Route("POST", "/users/{key}/wipeManagedAppRegistrationsByAzureAdDeviceId",
              registrations.wipe("azureADDeviceId", "azureAdDeviceId", beta_only=True), perm),
        Route("GET", DAM + "/managedAppStatuses", statuses(sandbox), perm),
    ]
