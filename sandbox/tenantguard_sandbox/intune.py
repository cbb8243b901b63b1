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

import copy
import uuid

from . import defaults, permissions
from .entity_properties import properties
from .errors import GraphHTTPError
from .listing import ListSpec, list_response, project, selected_properties
from .messages import Response, iso_now, no_content
from . import validation
from .intune_summary import deployment_summary
from .validation.projection import project as project_onto

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


def _no_route(request):
    return GraphHTTPError(400, "No method match route template",
                          "No OData route exists that match template ~/singleton/navigation/key/navigation with http "
                          "verb %s for request %s." % (request.method, request.path))


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _spec(type_name, context, default_top=None):
    return ListSpec(type_name, context, properties=lambda version: properties(version, type_name),
                    directory=False, max_top=None, default_top=default_top, allow_skip=True)


def _without_expand(request):
    expand = request.option("$expand")
    saved = dict(request.query)
    request.query = {k: v for k, v in saved.items() if k.lower() not in ("$expand", "expand")}
    return saved, [e.strip() for e in expand.split(",") if e.strip()] if expand else []


def register(router, sandbox):
    store = sandbox.store

    # -- managed devices --------------------------------------------------------------------------
    devices = store["managedDevices"]
    device_spec = _spec("managedDevice", "deviceManagement/managedDevices", default_top=1000)

    def render_device(obj, request):
        out = {"@odata.type": "#microsoft.graph.managedDevice"}
        version = request.version or "v1.0"
        out.update(defaults.complete(version, "managedDevice", project_onto(version, "managedDevice", obj)))
        return out

    device_spec.render = render_device

    def list_devices(request):
        return list_response(request, device_spec, devices)

    def get_device(request, key):
        obj = devices.get(key)
        if obj is None:
            raise _not_found(key)
        body = {"@odata.context": "%s/%s/$metadata#deviceManagement/managedDevices/$entity"
                                  % (request.base_url, request.version)}
        body.update(render_device(obj, request))
        return Response(200, body)

    md = "/deviceManagement/managedDevices"
    router.graph("GET", md, list_devices, permissions.MANAGED_DEVICES)
    def no_count(request):
        raise GraphHTTPError(400, "BadRequest", "Resource not found for the segment '$count'.")

    router.graph("GET", md + r"/\$count", no_count, permissions.MANAGED_DEVICES)
    router.graph("GET", md + "/(?P<key>[^/]+)", get_device, permissions.MANAGED_DEVICES)

    # -- app protection and app configuration policies -------------------------------------------
    perm = permissions.APP_PROTECTION

    def render_items(request, name, items):
        """apps (managedMobileApp) or assignments (targetedManagedAppPolicyAssignment) as the version shows them."""
        type_name = "managedMobileApp" if name == "apps" else "targetedManagedAppPolicyAssignment"
        version = request.version
        return [defaults.complete(version, type_name, project_onto(version, type_name, copy.deepcopy(item)))
                for item in items]

    def render_policy(request, entity_set, stored, expand=()):
        type_name = POLICY_SETS[entity_set]
        out = {"@odata.type": "#microsoft.graph.%s" % type_name}
        body = {k: v for k, v in stored.items() if k not in ("apps", "assignments")}
        out.update(defaults.complete(request.version, type_name, project_onto(request.version, type_name, body)))
        for name in expand:
            if name not in ("apps", "assignments"):
                raise GraphHTTPError(400, "BadRequest", "Could not find a property named '%s' on type "
                                     "'microsoft.graph.%s'." % (name, POLICY_SETS[entity_set]))
            out[name] = render_items(request, name, stored.get(name, []))
            out[name + "@odata.context"] = "%s/%s/$metadata#deviceAppManagement/%s('%s')/%s" % (
                request.base_url, request.version, entity_set, stored["id"], name)
        return out

    def find(entity_set, key, include_hidden=False):
        obj = store[entity_set].get(key, include_hidden=include_hidden)
        if obj is None:
            raise _not_found(key)
        return obj

    def refuse_app_writes(request, key):
        raise _no_route(request)

    def make(entity_set, type_name):
        coll = store[entity_set]
        spec = _spec(type_name, "deviceAppManagement/" + entity_set)

        def list_items(request):
            saved, expand = _without_expand(request)
            try:
                rendered = [render_policy(request, entity_set, o, expand) for o in coll.values()]
                return list_response(request, spec, rendered)
            finally:
                request.query = saved

        def get_item(request, key):
            saved, expand = _without_expand(request)
            try:
                stored = find(entity_set, key)
                body = {"@odata.context": "%s/%s/$metadata#deviceAppManagement/%s/$entity"
                                          % (request.base_url, request.version, entity_set)}
                rendered = render_policy(request, entity_set, stored, expand)
                if request.option("$select"):
                    rendered = project(rendered, selected_properties(request, spec))
                body.update(rendered)
                return Response(200, body)
            finally:
                request.query = saved

        def create(request):
            body = request.json()
            if isinstance(body, dict) and ("apps" in body or "assignments" in body):
                raise GraphHTTPError(400, "BadRequest", "Property %s in payload has a value that does not match "
                                     "schema." % ("apps" if "apps" in body else "assignments"))
            normalised = validation.validate_entity(request.version, type_name, body, "create")
            now = iso_now()
            stored = dict(normalised)
            stored.pop("@odata.type", None)
            for key, value in COMPUTED.items():
                stored.setdefault(key, value)
            stored.update({"id": "T_" + str(uuid.uuid4()), "createdDateTime": now, "lastModifiedDateTime": now,
                           "version": '"%s"' % uuid.uuid4().hex[:8]})
            stored = defaults.complete(request.version, type_name, stored)
            stored.update({"apps": [], "assignments": []})
            sandbox.created(coll, stored, request)
            out = {"@odata.context": "%s/%s/$metadata#deviceAppManagement/%s/$entity"
                                     % (request.base_url, request.version, entity_set)}
            out.update(render_policy(request, entity_set, stored))
            return Response(201, out)

        def update(request, key):
            stored = find(entity_set, key, include_hidden=True)
            body = request.json()
            if isinstance(body, dict) and ("apps" in body or "assignments" in body):
                raise GraphHTTPError(400, "BadRequest", "Property %s in payload has a value that does not match "
                                     "schema." % ("apps" if "apps" in body else "assignments"))
            normalised = validation.validate_entity(request.version, type_name, body, "update")
            updated = dict(stored)
            updated.update({k: v for k, v in normalised.items() if k != "@odata.type"})
            updated["lastModifiedDateTime"] = iso_now()
            coll.put(updated)
            return no_content()

        def delete(request, key):
            find(entity_set, key, include_hidden=True)
            coll.delete(key)
            return no_content()

        def assign(request, key):
            stored = find(entity_set, key, include_hidden=True)
            body = request.json()
            if not isinstance(body, dict) or set(body) - {"assignments"} or not isinstance(body.get("assignments"), list):
                raise GraphHTTPError(400, "BadRequest", "Property assignments in payload has a value that does not "
                                     "match schema.")
            assignments = []
            for item in body["assignments"]:
                checked = validation.validate_entity(request.version, "targetedManagedAppPolicyAssignment", item,
                                                     "create")
                checked = dict(checked)
                checked.setdefault("id", "%s_%s" % (stored["id"].replace("T_", ""), uuid.uuid4()))
                assignments.append(defaults.complete(request.version, "targetedManagedAppPolicyAssignment", checked))
            updated = dict(stored, assignments=assignments, isAssigned=bool(assignments),
                           lastModifiedDateTime=iso_now())
            coll.put(updated)
            return no_content()

        def target_apps(request, key):
            stored = find(entity_set, key, include_hidden=True)
            body = request.json()
            if not isinstance(body, dict) or set(body) - {"apps", "appGroupType"} or not isinstance(body.get("apps"), list):
                raise GraphHTTPError(400, "BadRequest", "Property apps in payload has a value that does not match "
                                     "schema.")
            apps = []
            for item in body["apps"]:
                checked = dict(validation.validate_entity(request.version, "managedMobileApp", item, "create"))
                identifier = checked.get("mobileAppIdentifier") or {}
                field, suffix = APP_SUFFIX.get(identifier.get("@odata.type"), (None, ""))
                if field is None or not identifier.get(field):
                    raise GraphHTTPError(400, "BadRequest", "Property mobileAppIdentifier in payload has a value "
                                         "that does not match schema.")
                checked.setdefault("id", identifier[field].lower() + suffix)
                checked.setdefault("version", "-%d" % (abs(hash(identifier[field])) % 100000))
                apps.append(defaults.complete(request.version, "managedMobileApp", checked))
            updated = dict(stored, apps=apps, deployedAppCount=len(apps), lastModifiedDateTime=iso_now())
            if "appGroupType" in body:
                updated["appGroupType"] = body["appGroupType"]
            coll.put(updated)
            return no_content()

        def sub_list(name):
            def handler(request, key):
                stored = find(entity_set, key)
                items = render_items(request, name, stored.get(name, []))
                body = {"@odata.context": "%s/%s/$metadata#deviceAppManagement/%s('%s')/%s"
                                          % (request.base_url, request.version, entity_set, key, name),
                        "value": items}
                return Response(200, body)
            return handler

        def summary(request, key):
            stored = find(entity_set, key)
            body = {"@odata.context": "%s/%s/$metadata#deviceAppManagement/%s('%s')/deploymentSummary/$entity"
                                      % (request.base_url, request.version, entity_set, key)}
            body.update(deployment_summary(getattr(sandbox, "directory", None), stored))
            return Response(200, body)

        base = DAM + "/" + entity_set
        item = base + "/(?P<key>[^/]+)"
        router.graph("GET", item + "/deploymentSummary", summary, perm)
        router.graph("GET", base, list_items, perm)
        router.graph("POST", base, create, perm)
        router.graph("POST", item + "/assign", assign, perm)
        router.graph("POST", item + "/targetApps", target_apps, perm)
        router.graph("GET", item + "/apps", sub_list("apps"), perm)
        router.graph(("POST", "PATCH", "DELETE", "PUT"), item + "/apps(/[^/]+)?", refuse_app_writes, perm)
        router.graph("GET", item + "/apps/[^/]+", refuse_app_writes, perm)
        router.graph("GET", item + "/assignments", sub_list("assignments"), perm)
        router.graph("GET", item, get_item, perm)
        router.graph("PATCH", item, update, perm)
        router.graph("DELETE", item, delete, perm)
        return assign, target_apps

    actions = {name: make(name, type_name) for name, type_name in POLICY_SETS.items()}

    # managedAppPolicies: the base collection lists every policy; the actions work through it too.
    app_policy_spec = _spec("managedAppPolicy", "deviceAppManagement/managedAppPolicies")

    def owner_of(key):
        for name in POLICY_SETS:
            if store[name].get(key, include_hidden=True) is not None:
                return name
        raise _not_found(key)

    def list_app_policies(request):
        rendered = [render_policy(request, name, o) for name in POLICY_SETS for o in store[name].values()]
        return list_response(request, app_policy_spec, rendered)

    def app_policy_action(index):
        def handler(request, key):
            return actions[owner_of(key)][index](request, key)
        return handler

    router.graph("GET", DAM + "/managedAppPolicies", list_app_policies, perm)
    router.graph("POST", DAM + "/managedAppPolicies/(?P<key>[^/]+)/assign", app_policy_action(0), perm)
    router.graph("POST", DAM + "/managedAppPolicies/(?P<key>[^/]+)/targetApps", app_policy_action(1), perm)
