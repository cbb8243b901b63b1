"""Intune endpoints: managed devices (read), iOS/Android app protection policies and targeted
managed app configurations (create, read, update, delete, ``assign``, ``targetApps``, ``apps``,
``assignments``, ``deploymentSummary``, ``$expand=apps,assignments``).

Bodies are checked with the schema validator (Intune's "Property X in payload has a value that
does not match schema." on a mismatch). Every read returns every property of the entity's type for the version
asked, those never sent with Graph's defaults (``defaults.py``, which says on what evidence each rests); what is
stored is completed the same way when it is created, so the state directory holds what a tenant would. Policy ids look like ``T_<guid>`` as the live service
issues them; PATCH answers 204 (the documentation's 200 is a known doc error); ``assign`` replaces
the whole assignment set and ``targetApps`` the whole app list, both answering 204.
"""

import contextlib
import copy
import uuid

from .. import defaults, permissions, validation
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..intune_summary import deployment_summary
from ..listing import ListSpec, list_response, project, selected_properties
from ..messages import Response, iso_now, no_content
from ..resource import Resource, Route, entity_context
from ..validation.projection import project as project_onto

DAM = "/deviceAppManagement"
POLICY_SETS = {
    "iosManagedAppProtections": "iosManagedAppProtection",
    "androidManagedAppProtections": "androidManagedAppProtection",
    "targetedManagedAppConfigurations": "targetedManagedAppConfiguration",
}
COMPUTED = {"isAssigned": False, "deployedAppCount": 0}
APP_SUFFIX = {"#microsoft.graph.iosMobileAppIdentifier": ("bundleId", ".ios"),
              "#microsoft.graph.androidMobileAppIdentifier": ("packageId", ".android"),
              "#microsoft.graph.windowsAppIdentifier": ("windowsAppId", ".windows")}
NAVIGATION_TYPES = {"apps": "managedMobileApp", "assignments": "targetedManagedAppPolicyAssignment"}


def _no_route(request):
    return GraphHTTPError(400, "No method match route template",
                          "No OData route exists that match template ~/singleton/navigation/key/navigation with http "
                          "verb %s for request %s." % (request.method, request.path))


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _schema_mismatch(name):
    return GraphHTTPError(400, "BadRequest", "Property %s in payload has a value that does not match schema." % name)


def _spec(type_name, context, default_top=None):
    return ListSpec(type_name, context, properties=lambda version: properties(version, type_name),
                    directory=False, max_top=None, default_top=default_top, allow_skip=True)


@contextlib.contextmanager
def expand_removed(request):
    """``$expand`` taken out of the request's query for the ``with`` block (paging and ``$select`` do not know it);
    yields the names asked for."""
    expand = request.option("$expand")
    saved = dict(request.query)
    request.query = {k: v for k, v in saved.items() if k.lower() not in ("$expand", "expand")}
    try:
        yield [e.strip() for e in expand.split(",") if e.strip()] if expand else []
    finally:
        request.query = saved


# -- managed devices --------------------------------------------------------------------------------
# v1.0 does not know the Android Enterprise enrolment types beta added after ``unknownFutureValue``; Graph shows
# such members of an evolvable enum as ``unknownFutureValue`` unless the client sends
# ``Prefer: include-unknown-enum-members`` (https://learn.microsoft.com/graph/best-practices-concept, "Handling
# future members in evolvable enumerations"; applied here to deviceEnrollmentType: **unverified** for Intune).
V1_ENROLLMENT_TYPES = ("unknown", "userEnrollment", "deviceEnrollmentManager", "appleBulkWithUser",
                       "appleBulkWithoutUser", "windowsAzureADJoin", "windowsBulkUserless", "windowsAutoEnrollment",
                       "windowsBulkAzureDomainJoin", "windowsCoManagement", "windowsAzureADJoinUsingDeviceAuth",
                       "appleUserEnrollment", "appleUserEnrollmentWithServiceAccount", "unknownFutureValue")
DEVICE_NAVIGATIONS = ("deviceCompliancePolicyStates",)  # served by intune_compliance_status, never inline


def render_device(obj, request):
    out = {"@odata.type": "#microsoft.graph.managedDevice"}
    version = request.version or "v1.0"
    obj = {k: v for k, v in obj.items() if k not in DEVICE_NAVIGATIONS}
    out.update(defaults.complete(version, "managedDevice", project_onto(version, "managedDevice", obj)))
    prefer = str(request.headers.get("Prefer") or "").lower() if hasattr(request, "headers") else ""
    if (version == "v1.0" and out.get("deviceEnrollmentType") not in (None,) + V1_ENROLLMENT_TYPES
            and "include-unknown-enum-members" not in prefer):
        out["deviceEnrollmentType"] = "unknownFutureValue"
    return out


def device_resource(sandbox):
    spec = _spec("managedDevice", "deviceManagement/managedDevices", default_top=1000)
    spec.render = render_device

    def render(request, stored, single):
        body = {"@odata.context": entity_context(request, "deviceManagement/managedDevices/$entity")}
        body.update(render_device(stored, request))
        return body

    def no_count(request):
        raise GraphHTTPError(400, "BadRequest", "Resource not found for the segment '$count'.")

    return Resource(sandbox, "/deviceManagement/managedDevices", permissions.MANAGED_DEVICES, spec,
                    sandbox.store["managedDevices"], render=render, select=False, overrides={"count": no_count},
                    missing=_not_found)


# -- app protection and app configuration policies ---------------------------------------------------
def render_items(request, name, items):
    """apps (managedMobileApp) or assignments (targetedManagedAppPolicyAssignment) as the version shows them."""
    type_name = NAVIGATION_TYPES[name]
    return [defaults.complete(request.version, type_name, project_onto(request.version, type_name, copy.deepcopy(item)))
            for item in items]


def render_policy(request, entity_set, stored, expand=()):
    type_name = POLICY_SETS[entity_set]
    out = {"@odata.type": "#microsoft.graph.%s" % type_name}
    body = {k: v for k, v in stored.items() if k not in NAVIGATION_TYPES}
    out.update(defaults.complete(request.version, type_name, project_onto(request.version, type_name, body)))
    for name in expand:
        if name not in NAVIGATION_TYPES:
            raise GraphHTTPError(400, "BadRequest", "Could not find a property named '%s' on type "
                                 "'microsoft.graph.%s'." % (name, type_name))
        out[name] = render_items(request, name, stored.get(name, []))
        out[name + "@odata.context"] = entity_context(
            request, "deviceAppManagement/%s('%s')/%s" % (entity_set, stored["id"], name))
    return out


def _refuse_navigation_writes(body):
    if isinstance(body, dict) and ("apps" in body or "assignments" in body):
        raise _schema_mismatch("apps" if "apps" in body else "assignments")


class AppPolicies:
    """One of the three policy sets: the hooks its :class:`Resource` is built from."""

    def __init__(self, sandbox, entity_set):
        self.sandbox = sandbox
        self.entity_set = entity_set
        self.type_name = POLICY_SETS[entity_set]
        self.collection = sandbox.store[entity_set]
        self.spec = _spec(self.type_name, "deviceAppManagement/" + entity_set)

    def list(self, request):
        with expand_removed(request) as expand:
            rendered = [render_policy(request, self.entity_set, o, expand) for o in self.collection.values()]
            return list_response(request, self.spec, rendered)

    def single(self, request, stored):
        with expand_removed(request) as expand:
            body = {"@odata.context": entity_context(request, "deviceAppManagement/%s/$entity" % self.entity_set)}
            rendered = render_policy(request, self.entity_set, stored, expand)
            if request.option("$select"):
                rendered = project(rendered, selected_properties(request, self.spec))
            body.update(rendered)
            return Response(200, body)

    def render(self, request, stored, single):
        out = {"@odata.context": entity_context(request, "deviceAppManagement/%s/$entity" % self.entity_set)}
        out.update(render_policy(request, self.entity_set, stored))
        return out

    def build(self, request):
        body = request.json()
        _refuse_navigation_writes(body)
        normalised = validation.validate_entity(request.version, self.type_name, body, "create")
        now = iso_now()
        stored = dict(normalised)
        stored.pop("@odata.type", None)
        for key, value in COMPUTED.items():
            stored.setdefault(key, value)
        stored.update({"id": "T_" + str(uuid.uuid4()), "createdDateTime": now, "lastModifiedDateTime": now,
                       "version": '"%s"' % uuid.uuid4().hex[:8]})
        stored = defaults.complete(request.version, self.type_name, stored)
        stored.update({"apps": [], "assignments": []})
        return stored

    def change(self, request, stored):
        body = request.json()
        _refuse_navigation_writes(body)
        normalised = validation.validate_entity(request.version, self.type_name, body, "update")
        updated = dict(stored)
        updated.update({k: v for k, v in normalised.items() if k != "@odata.type"})
        updated["lastModifiedDateTime"] = iso_now()
        return updated

    def assign(self, request, stored):
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"assignments"} or not isinstance(body.get("assignments"), list):
            raise _schema_mismatch("assignments")
        assignments = []
        for item in body["assignments"]:
            checked = dict(validation.validate_entity(request.version, "targetedManagedAppPolicyAssignment", item,
                                                      "create"))
            checked.setdefault("id", "%s_%s" % (stored["id"].replace("T_", ""), uuid.uuid4()))
            assignments.append(defaults.complete(request.version, "targetedManagedAppPolicyAssignment", checked))
        self.collection.put(dict(stored, assignments=assignments, isAssigned=bool(assignments),
                                 lastModifiedDateTime=iso_now()))
        return no_content()

    def target_apps(self, request, stored):
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"apps", "appGroupType"} or not isinstance(body.get("apps"), list):
            raise _schema_mismatch("apps")
        apps = []
        for item in body["apps"]:
            checked = dict(validation.validate_entity(request.version, "managedMobileApp", item, "create"))
            identifier = checked.get("mobileAppIdentifier") or {}
            field, suffix = APP_SUFFIX.get(identifier.get("@odata.type"), (None, ""))
            if field is None or not identifier.get(field):
                raise _schema_mismatch("mobileAppIdentifier")
            checked.setdefault("id", identifier[field].lower() + suffix)
            checked.setdefault("version", "-%d" % (abs(hash(identifier[field])) % 100000))
            apps.append(defaults.complete(request.version, "managedMobileApp", checked))
        updated = dict(stored, apps=apps, deployedAppCount=len(apps), lastModifiedDateTime=iso_now())
        if "appGroupType" in body:
            updated["appGroupType"] = body["appGroupType"]
        self.collection.put(updated)
        return no_content()

    def navigation_list(self, name):
        def read(request, stored):
            return Response(200, {"@odata.context": entity_context(
                request, "deviceAppManagement/%s('%s')/%s" % (self.entity_set, stored["id"], name)),
                "value": render_items(request, name, stored.get(name, []))})
        return read

    def summary(self, request, stored):
        body = {"@odata.context": entity_context(request, "deviceAppManagement/%s('%s')/deploymentSummary/$entity"
                                                 % (self.entity_set, stored["id"]))}
        body.update(deployment_summary(getattr(self.sandbox, "directory", None), stored))
        return Response(200, body)

    def resource(self):
        return Resource(self.sandbox, DAM + "/" + self.entity_set, permissions.APP_PROTECTION, self.spec,
                        self.collection, render=self.render, single=self.single, overrides={"list": self.list},
                        build=self.build, change=self.change, deletable=True, missing=_not_found,
                        actions={"assign": self.assign, "targetApps": self.target_apps},
                        navigations={"deploymentSummary": self.summary, "apps": self.navigation_list("apps"),
                                     "assignments": self.navigation_list("assignments")})


def refuse_app_writes(request, key, app=None):
    """The apps of a policy change only through ``targetApps``: Intune has no route for the navigation's items."""
    raise _no_route(request)


def routes(sandbox):
    perm = permissions.APP_PROTECTION
    sets = {name: AppPolicies(sandbox, name) for name in POLICY_SETS}
    table = device_resource(sandbox).routes()
    for name, policies in sets.items():
        item = DAM + "/" + name + "/{key}"
        table += [Route(("POST", "PATCH", "DELETE", "PUT"), item + "/apps{app:(/[^/]+)?}", refuse_app_writes, perm),
                  Route("GET", item + "/apps/{app}", refuse_app_writes, perm)]
        table += policies.resource().routes()

    # managedAppPolicies: the base collection lists every policy; the actions work through it too.
    def owner_of(request, key, include_hidden=True):
        for name in POLICY_SETS:
            if sandbox.store[name].get(key, include_hidden=True) is not None:
                return sets[name]
        return None

    def list_all(request):
        return [render_policy(request, name, o) for name in POLICY_SETS for o in sandbox.store[name].values()]

    def through_owner(action):
        def handler(request, key):
            owner = owner_of(request, key)
            if owner is None:
                raise _not_found(key)
            return getattr(owner, action)(request, owner.collection.get(key, include_hidden=True))
        return handler

    table += [Route("GET", DAM + "/managedAppPolicies",
                    Resource(sandbox, DAM + "/managedAppPolicies", perm,
                             _spec("managedAppPolicy", "deviceAppManagement/managedAppPolicies"),
                             listed=list_all).list, perm),
              Route("POST", DAM + "/managedAppPolicies/{key}/assign", through_owner("assign"), perm),
              Route("POST", DAM + "/managedAppPolicies/{key}/targetApps", through_owner("target_apps"), perm)]
    return table
