"""Intune enrolment restrictions: ``/deviceManagement/deviceEnrollmentConfigurations`` (list, get, create, update,
delete), ``/{id}/assignments``, the ``assign`` and ``setPriority`` actions, ``$expand=assignments``.

Sources (``behavior.md`` section 11, ``examples/enrollment_restrictions``):

* the collection's type is abstract: a POST names ``deviceEnrollmentPlatformRestrictionsConfiguration`` or
  ``deviceEnrollmentLimitConfiguration`` (v1.0 and beta), or beta's one-platform
  ``deviceEnrollmentPlatformRestrictionConfiguration`` in ``@odata.type`` [csdl, docs create examples];
* POST 201 with the entity, GET 200, PATCH 204 (the docs show 200; treated as the other Intune PATCHes,
  **unverified** for this resource), DELETE 204; ``assign {"enrollmentConfigurationAssignments": [...]}`` 204,
  replacing the set; ``setPriority {"priority": n}`` 204 [docs, v1.0 and beta];
* every tenant has default configurations with ``priority: 0``, ids ``<tenant>_DefaultPlatformRestrictions`` and
  ``<tenant>_DefaultLimit``, display name "All users and all devices", that cannot be deleted or re-prioritised;
  custom configurations get priorities from 1 [**unverified**: seen in tools' output, no documented source]. The
  refusals use Intune's 400 ``BadRequest`` (wording unverified). A default configuration is not assigned (it applies
  to everyone), so ``assign`` on it is refused the same way (**unverified**);
* priorities are kept per configuration type: a new custom configuration gets the next free one, ``setPriority``
  moves it there and the others of its type shift to keep 1..n (**unverified**: how the console behaves);
* GET returns every property of the type with defaults (``defaults.py``); ``version`` starts at 1 and grows by one
  on each PATCH (**unverified**); beta adds ``roleScopeTagIds`` and ``deviceEnrollmentConfigurationType``.

Permissions: DeviceManagementServiceConfig.Read.All or .ReadWrite.All to read, .ReadWrite.All to write.
"""

import copy
import uuid

from .. import defaults, permissions, validation
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec, list_response, project, selected_properties
from ..messages import Response, iso_now, no_content
from ..resource import Resource, entity_context
from ..validation.projection import project as project_onto
from ..validation.schema import unqualified

BASE = "/deviceManagement/deviceEnrollmentConfigurations"
BASE_TYPE = "deviceEnrollmentConfiguration"
CONFIGURATION_TYPES = {
    "v1.0": ("deviceEnrollmentPlatformRestrictionsConfiguration", "deviceEnrollmentLimitConfiguration"),
    "beta": ("deviceEnrollmentPlatformRestrictionsConfiguration", "deviceEnrollmentLimitConfiguration",
             "deviceEnrollmentPlatformRestrictionConfiguration"),
}
# beta's deviceEnrollmentConfigurationType of each type (custom, default).
KIND = {"deviceEnrollmentPlatformRestrictionsConfiguration": ("platformRestrictions", "defaultPlatformRestrictions"),
        "deviceEnrollmentLimitConfiguration": ("limit", "defaultLimit"),
        "deviceEnrollmentPlatformRestrictionConfiguration": ("singlePlatformRestriction", "singlePlatformRestriction")}
DEFAULT_NAME = "All users and all devices"


def default_configurations(tenant_id):
    """The built-in configurations every tenant has (priority 0)."""
    now = "2020-01-01T00:00:00Z"
    common = {"displayName": DEFAULT_NAME, "priority": 0, "createdDateTime": now, "lastModifiedDateTime": now,
              "version": 1, "assignments": [], "isDefault": True}
    restriction = {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False, "osMinimumVersion": None,
                   "osMaximumVersion": None, "blockedManufacturers": [], "blockedSkus": []}
    platforms = dict((name, copy.deepcopy(restriction)) for name in (
        "iosRestriction", "androidRestriction", "androidForWorkRestriction", "windowsRestriction",
        "windowsMobileRestriction", "macOSRestriction", "macRestriction", "windowsHomeSkuRestriction",
        "tvosRestriction", "visionOSRestriction"))
    platforms["windowsMobileRestriction"]["platformBlocked"] = True
    return [
        dict(common, id="%s_DefaultPlatformRestrictions" % tenant_id,
             description="This is the default Device Type Restriction applied with the lowest priority to all users "
                         "regardless of group membership.",
             **{"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"}, **platforms),
        dict(common, id="%s_DefaultLimit" % tenant_id, limit=15,
             description="This is the default Device Limit Restriction applied with the lowest priority to all users "
                         "regardless of group membership.",
             **{"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration"}),
    ]


def install_default_configurations(store, tenant_id):
    """Seed the built-in configurations (idempotent)."""
    coll = store["deviceEnrollmentConfigurations"]
    for item in default_configurations(tenant_id):
        if coll.get(item["id"], include_hidden=True) is None:
            coll.put(item)


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _schema_mismatch(name):
    return GraphHTTPError(400, "BadRequest", "Property %s in payload has a value that does not match schema." % name)


def _type_of(stored):
    return stored["@odata.type"].split(".")[-1]


def render_configuration(request, stored, expand=()):
    version = request.version or "v1.0"
    stored_type = _type_of(stored)
    shown = stored_type if stored_type in CONFIGURATION_TYPES[version] else BASE_TYPE
    body = {k: v for k, v in stored.items() if k not in ("assignments", "@odata.type", "isDefault")}
    if version == "beta":
        body["deviceEnrollmentConfigurationType"] = KIND[stored_type][1 if stored.get("isDefault") else 0]
    out = {"@odata.type": "#microsoft.graph.%s" % stored_type}
    out.update(defaults.complete(version, shown, project_onto(version, shown, body)))
    for name in expand:
        if name != "assignments":
            raise GraphHTTPError(400, "BadRequest", "Could not find a property named '%s' on type "
                                 "'microsoft.graph.%s'." % (name, BASE_TYPE))
        out["assignments@odata.context"] = entity_context(
            request, "deviceManagement/deviceEnrollmentConfigurations('%s')/assignments" % stored["id"])
        out["assignments"] = render_assignments(version, stored.get("assignments", []))
    return out


def render_assignments(version, items):
    return [dict({"@odata.type": "#microsoft.graph.enrollmentConfigurationAssignment"},
                 **defaults.complete(version, "enrollmentConfigurationAssignment",
                                     project_onto(version, "enrollmentConfigurationAssignment", copy.deepcopy(a))))
            for a in items]


def _refuse_default(stored, what):
    if stored.get("isDefault"):
        raise GraphHTTPError(400, "BadRequest", "The default enrollment configuration '%s' cannot be %s."
                             % (stored["id"], what))


class EnrollmentConfigurations:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.collection = sandbox.store["deviceEnrollmentConfigurations"]
        self.spec = ListSpec(BASE_TYPE, "deviceManagement/deviceEnrollmentConfigurations",
                             properties=lambda version: properties(version, BASE_TYPE),
                             directory=False, max_top=None, default_top=None, allow_skip=True)

    def _ensure_defaults(self):
        install_default_configurations(self.sandbox.store, self.sandbox.tenant.id)

    def _expand(self, request):
        text = request.option("$expand")
        saved = dict(request.query)
        request.query = {k: v for k, v in saved.items() if k.lower() not in ("$expand", "expand")}
        return [e.strip() for e in text.split(",") if e.strip()] if text else [], saved

    def list(self, request):
        self._ensure_defaults()
        expand, saved = self._expand(request)
        try:
            rendered = [render_configuration(request, o, expand) for o in self.collection.values()]
            return list_response(request, self.spec, rendered)
        finally:
            request.query = saved

    def find(self, request, key, include_hidden):
        self._ensure_defaults()
        return self.collection.get(key, include_hidden=include_hidden)

    def single(self, request, stored):
        expand, saved = self._expand(request)
        try:
            body = {"@odata.context": entity_context(request,
                                                     "deviceManagement/deviceEnrollmentConfigurations/$entity")}
            rendered = render_configuration(request, stored, expand)
            if request.option("$select"):
                kept = project(rendered, selected_properties(request, self.spec))
                kept.update((k, v) for k, v in rendered.items() if k.startswith("@odata.") or k.startswith("assign"))
                rendered = kept
            body.update(rendered)
            return Response(200, body)
        finally:
            request.query = saved

    def render(self, request, stored, single):
        out = {"@odata.context": entity_context(request, "deviceManagement/deviceEnrollmentConfigurations/$entity")}
        out.update(render_configuration(request, stored))
        return out

    def _same_type(self, type_name):
        return [o for o in self.collection.values(include_hidden=True)
                if _type_of(o) == type_name and not o.get("isDefault")]

    def build(self, request):
        self._ensure_defaults()
        body = request.json()
        if not isinstance(body, dict):
            raise _schema_mismatch("body")
        type_name = unqualified(body.get("@odata.type"))
        if type_name not in CONFIGURATION_TYPES[request.version]:
            raise _schema_mismatch("@odata.type")
        if "assignments" in body:
            raise _schema_mismatch("assignments")
        normalised = validation.validate_entity(request.version, type_name, body, "create")
        now = iso_now()
        stored = {k: v for k, v in normalised.items() if k not in ("id", "createdDateTime", "lastModifiedDateTime",
                                                                     "version", "priority",
                                                                     "deviceEnrollmentConfigurationType")}
        priorities = [int(o.get("priority") or 0) for o in self._same_type(type_name)]
        stored.update({"id": "%s_%s" % (uuid.uuid4(), KIND[type_name][0].capitalize()), "createdDateTime": now,
                       "lastModifiedDateTime": now, "version": 1, "priority": max(priorities + [0]) + 1})
        stored = defaults.complete(request.version, type_name, stored)
        stored.pop("deviceEnrollmentConfigurationType", None)
        stored["@odata.type"] = "#microsoft.graph." + type_name
        stored["assignments"] = []
        return stored

    def change(self, request, stored):
        body = request.json()
        if not isinstance(body, dict):
            raise _schema_mismatch("body")
        if "assignments" in body:
            raise _schema_mismatch("assignments")
        type_name = _type_of(stored)
        given = body.get("@odata.type")
        if given is not None and unqualified(given) != type_name:
            raise _schema_mismatch("@odata.type")
        body = dict(body, **{"@odata.type": "#microsoft.graph." + type_name})
        normalised = validation.validate_entity(request.version, type_name, body, "update")
        if "priority" in normalised and normalised["priority"] != stored.get("priority"):
            _refuse_default(stored, "re-prioritised")
        updated = copy.deepcopy(stored)
        updated.update({k: v for k, v in normalised.items()
                        if k not in ("@odata.type", "id", "createdDateTime", "lastModifiedDateTime", "version",
                                     "priority", "deviceEnrollmentConfigurationType")})
        updated["lastModifiedDateTime"] = iso_now()
        updated["version"] = int(stored.get("version") or 0) + 1
        return updated

    def before_delete(self, stored):
        _refuse_default(stored, "deleted")

    def assign(self, request, stored):
        body = request.json()
        key = "enrollmentConfigurationAssignments"
        if not isinstance(body, dict) or set(body) - {key} or not isinstance(body.get(key), list):
            raise _schema_mismatch(key)
        _refuse_default(stored, "assigned")
        assignments = []
        for item in body[key]:
            if isinstance(item, dict):
                item = {k: v for k, v in item.items() if k != "id"}
            checked = dict(validation.validate_entity(request.version, "enrollmentConfigurationAssignment", item,
                                                      "create"))
            checked.pop("@odata.type", None)
            target = checked.get("target") or {}
            checked["id"] = "%s_%s" % (stored["id"], target.get("groupId") or uuid.uuid4())
            assignments.append(checked)
        self.collection.put(dict(stored, assignments=assignments, lastModifiedDateTime=iso_now()))
        return no_content()

    def set_priority(self, request, stored):
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"priority"} or not isinstance(body["priority"], int) \
                or isinstance(body["priority"], bool):
            raise _schema_mismatch("priority")
        _refuse_default(stored, "re-prioritised")
        if body["priority"] < 1:
            raise GraphHTTPError(400, "BadRequest", "Priority %d is reserved for the default configuration."
                                 % body["priority"])
        others = sorted((o for o in self._same_type(_type_of(stored)) if o["id"] != stored["id"]),
                        key=lambda o: o.get("priority") or 0)
        position = min(body["priority"], len(others) + 1) - 1
        ordered = others[:position] + [stored] + others[position:]
        for index, item in enumerate(ordered, 1):
            if item.get("priority") != index:
                self.collection.put(dict(item, priority=index))
        return no_content()

    def list_assignments(self, request, stored):
        return Response(200, {"@odata.context": entity_context(
            request, "deviceManagement/deviceEnrollmentConfigurations('%s')/assignments" % stored["id"]),
            "value": render_assignments(request.version, stored.get("assignments", []))})

    def resource(self):
        return Resource(self.sandbox, BASE, permissions.DEVICE_SERVICE_CONFIG, self.spec, self.collection,
                        find=self.find, render=self.render, single=self.single, overrides={"list": self.list},
                        build=self.build, change=self.change, deletable=True, before_delete=self.before_delete,
                        missing=_not_found, actions={"assign": self.assign, "setPriority": self.set_priority},
                        navigations={"assignments": self.list_assignments})


def routes(sandbox):
    return EnrollmentConfigurations(sandbox).resource().routes()
