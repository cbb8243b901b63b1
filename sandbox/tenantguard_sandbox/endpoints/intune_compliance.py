"""Intune device compliance policies: ``/deviceManagement/deviceCompliancePolicies`` (list, get, create, update,
delete), ``/{id}/assignments``, the ``assign`` and ``scheduleActionsForRules`` actions, and
``$expand=assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)``.

Sources (``behavior.md`` section 10, ``examples/compliance_policies``):

* the collection's type, ``deviceCompliancePolicy``, is abstract: a POST names its derived type in
  ``@odata.type`` (iosCompliancePolicy, androidCompliancePolicy, androidWorkProfileCompliancePolicy in v1.0 and
  beta; androidDeviceOwnerCompliancePolicy and aospDeviceOwnerCompliancePolicy in beta only) [csdl, docs create
  examples]; a missing or unknown type is Intune's schema error;
* POST needs ``scheduledActionsForRule`` with exactly one ``block`` action, else 400 "Compliance policy must have
  one and only one block scheduled action" [issue microsoft-graph-docs#4103, docs-contrib#7391, TenuVault#25,
  microsoft-graph-docs#7912]; ``ruleName`` may be null [TenuVault#25];
* POST 201 with the entity; PATCH 204 (as the MAM policies, msgraph-beta-sdk-dotnet#738; not re-verified for
  compliance policies); DELETE 204 [docs];
* a plain GET omits the navigation properties ``scheduledActionsForRule`` and ``assignments``: ``$expand`` brings
  them, the actions' configurations only with the nested ``$expand=scheduledActionConfigurations``, each with its
  ``@odata.context`` [issue msgraph-sdk-powershell#2025; IntuneCD ``remove_keys.py``];
* ``GET /{id}/scheduledActionsForRule`` is Graph's "No method match route template" 400 [issue
  microsoft-graph-docs#4104, #16701, #17236]; ``GET /{id}/assignments`` lists the assignments [docs
  deviceCompliancePolicyAssignment list];
* ``scheduleActionsForRules {"deviceComplianceScheduledActionForRules": [...]}`` replaces the rules, 204 [docs
  intune-deviceconfig-devicecompliancepolicy-scheduleactionsforrules]; the one-block rule is kept there too
  (**unverified**: inferred from the create rule);
* ``assign {"assignments": [...]}`` replaces the set and answers 200 with ``{"value": [...]}`` [csdl ReturnType,
  docs example]; assignment ids are ``<policyId>_<groupId>`` (or a GUID for all users / all devices), rule and
  action ids GUIDs [issue msgraph-sdk-powershell#2025];
* GET returns every property of the derived type, defaults filled (``defaults.py``); ``version`` is an integer
  set by the service, 1 on create and one more on each PATCH (**unverified**: the docs call it "Version of the
  device configuration" and show 7); beta adds ``roleScopeTagIds`` (["0"]);
* a policy of a beta-only type read through v1.0 is shown with its base type's properties and its own
  ``@odata.type`` (**unverified**);
* navigation properties in a PATCH body are refused as schema mismatches (**unverified**: inferred from the MAM
  policies of the same service, whose navigations change only through actions).

Permissions: DeviceManagementConfiguration.Read.All or .ReadWrite.All to read, .ReadWrite.All to write.
"""

import copy
import re
import uuid

from .. import defaults, permissions, validation
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec, list_response, project, selected_properties
from ..messages import Response, iso_now, no_content
from ..resource import Resource, Route, entity_context
from ..validation.projection import project as project_onto
from ..validation.schema import model, unqualified

BASE = "/deviceManagement/deviceCompliancePolicies"
BASE_TYPE = "deviceCompliancePolicy"
POLICY_TYPES = {
    "v1.0": ("iosCompliancePolicy", "androidCompliancePolicy", "androidWorkProfileCompliancePolicy"),
    "beta": ("iosCompliancePolicy", "androidCompliancePolicy", "androidWorkProfileCompliancePolicy",
             "androidDeviceOwnerCompliancePolicy", "aospDeviceOwnerCompliancePolicy"),
}
NAVIGATIONS = ("scheduledActionsForRule", "assignments")
ONE_BLOCK = "Compliance policy must have one and only one block scheduled action"
_EXPAND_ITEM = re.compile(r"\s*([A-Za-z]+)\s*(?:\((.*)\))?\s*$")


def _not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)


def _schema_mismatch(name):
    return GraphHTTPError(400, "BadRequest", "Property %s in payload has a value that does not match schema." % name)


def _no_route(request):
    return GraphHTTPError(400, "No method match route template",
                          "No OData route exists that match template ~/singleton/navigation/key/navigation with http "
                          "verb %s for request %s." % (request.method, request.path))


def split_top_level(text):
    """``a,b($expand=c,d)`` -> ``["a", "b($expand=c,d)"]``."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text, type_name):
    """``{navigation: nested expand names}`` of a ``$expand`` on a compliance policy."""
    out = {}
    for part in split_top_level(text or ""):
        match = _EXPAND_ITEM.match(part)
        name = match.group(1) if match else part
        if not match or name not in NAVIGATIONS:
            raise GraphHTTPError(400, "BadRequest", "Could not find a property named '%s' on type "
                                 "'microsoft.graph.%s'." % (name, type_name))
        nested = []
        inner = match.group(2) or ""
        for option in split_top_level(inner.replace(";", ",")):
            key, _, value = option.partition("=")
            if key.strip().lower() == "$expand":
                nested += [v.strip() for v in value.split(",") if v.strip()]
        for item in nested:
            if name != "scheduledActionsForRule" or item != "scheduledActionConfigurations":
                raise GraphHTTPError(400, "BadRequest", "Could not find a property named '%s' on type "
                                     "'microsoft.graph.%s'." % (item, "deviceComplianceScheduledActionForRule"
                                                                 if name == "scheduledActionsForRule"
                                                                 else "deviceCompliancePolicyAssignment"))
        out[name] = nested
    return out


def type_for_version(version, stored_type):
    return stored_type if stored_type in POLICY_TYPES[version] else BASE_TYPE


def render_policy(request, stored, expand=None):
    version = request.version or "v1.0"
    stored_type = stored["@odata.type"].split(".")[-1]
    shown = type_for_version(version, stored_type)
    body = {k: v for k, v in stored.items() if k not in NAVIGATIONS and k != "@odata.type"}
    body = project_onto(version, shown, body)
    out = {"@odata.type": "#microsoft.graph.%s" % stored_type}
    out.update(defaults.complete(version, shown, body))
    for name, nested in (expand or {}).items():
        path = "deviceManagement/deviceCompliancePolicies('%s')/%s" % (stored["id"], name)
        out[name + "@odata.context"] = entity_context(request, path)
        if name == "assignments":
            out[name] = render_assignments(version, stored.get("assignments", []))
        else:
            out[name] = render_rules(request, version, stored, "scheduledActionConfigurations" in nested)
    return out


def render_assignments(version, items):
    return [dict({"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment"},
                 **defaults.complete(version, "deviceCompliancePolicyAssignment",
                                     project_onto(version, "deviceCompliancePolicyAssignment", copy.deepcopy(a))))
            for a in items]


def render_rules(request, version, stored, with_configurations):
    out = []
    for rule in stored.get("scheduledActionsForRule", []):
        item = {"@odata.type": "#microsoft.graph.deviceComplianceScheduledActionForRule", "id": rule["id"],
                "ruleName": rule.get("ruleName")}
        if with_configurations:
            item["scheduledActionConfigurations@odata.context"] = entity_context(
                request, "deviceManagement/deviceCompliancePolicies('%s')/scheduledActionsForRule('%s')/"
                "scheduledActionConfigurations" % (stored["id"], rule["id"]))
            item["scheduledActionConfigurations"] = [
                dict({"@odata.type": "#microsoft.graph.deviceComplianceActionItem"},
                     **defaults.complete(version, "deviceComplianceActionItem",
                                         project_onto(version, "deviceComplianceActionItem", copy.deepcopy(c))))
                for c in rule.get("scheduledActionConfigurations", [])]
        out.append(item)
    return out


def checked_rules(version, rules, field):
    """The rules of a create or of ``scheduleActionsForRules``, checked and given ids; exactly one block."""
    if not isinstance(rules, list):
        raise _schema_mismatch(field)
    out, blocks = [], 0
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) - {"@odata.type", "id", "ruleName", "scheduledActionConfigurations"}:
            raise _schema_mismatch(field)
        actions = rule.get("scheduledActionConfigurations") or []
        if not isinstance(actions, list):
            raise _schema_mismatch("scheduledActionConfigurations")
        configurations = []
        for action in actions:
            if isinstance(action, dict):
                action = {k: v for k, v in action.items() if k != "id"}
            checked = dict(validation.validate_entity(version, "deviceComplianceActionItem", action, "create"))
            checked.pop("@odata.type", None)
            checked = defaults.complete(version, "deviceComplianceActionItem", checked)
            checked["id"] = str(uuid.uuid4())
            blocks += checked.get("actionType") == "block"
            configurations.append(checked)
        name = rule.get("ruleName")
        if name is not None and not isinstance(name, str):
            raise _schema_mismatch("ruleName")
        out.append({"id": str(uuid.uuid4()), "ruleName": name, "scheduledActionConfigurations": configurations})
    if blocks != 1:
        raise GraphHTTPError(400, "BadRequest", ONE_BLOCK)
    return out


class CompliancePolicies:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.collection = sandbox.store["deviceCompliancePolicies"]
        self.spec = ListSpec(BASE_TYPE, "deviceManagement/deviceCompliancePolicies",
                             properties=lambda version: properties(version, BASE_TYPE),
                             directory=False, max_top=None, default_top=None, allow_skip=True)

    def _expand(self, request):
        text = request.option("$expand")
        saved = dict(request.query)
        request.query = {k: v for k, v in saved.items() if k.lower() not in ("$expand", "expand")}
        return parse_expand(text, BASE_TYPE), saved

    def list(self, request):
        expand, saved = self._expand(request)
        try:
            rendered = [render_policy(request, o, expand) for o in self.collection.values()]
            return list_response(request, self.spec, rendered)
        finally:
            request.query = saved

    def single(self, request, stored):
        expand, saved = self._expand(request)
        try:
            body = {"@odata.context": entity_context(request, "deviceManagement/deviceCompliancePolicies/$entity")}
            rendered = render_policy(request, stored, expand)
            if request.option("$select"):
                kept = project(rendered, selected_properties(request, self.spec))
                kept.update((k, v) for k, v in rendered.items() if k.startswith("@odata.") or k.split("@")[0] in expand)
                rendered = kept
            body.update(rendered)
            return Response(200, body)
        finally:
            request.query = saved

    def render(self, request, stored, single):
        out = {"@odata.context": entity_context(request, "deviceManagement/deviceCompliancePolicies/$entity")}
        out.update(render_policy(request, stored))
        return out

    def build(self, request):
        body = request.json()
        if not isinstance(body, dict):
            raise _schema_mismatch("body")
        type_name = unqualified(body.get("@odata.type"))
        if type_name not in POLICY_TYPES[request.version]:
            raise _schema_mismatch("@odata.type")
        if "assignments" in body:
            raise _schema_mismatch("assignments")
        if "scheduledActionsForRule" not in body:
            raise GraphHTTPError(400, "BadRequest", ONE_BLOCK)
        rules = checked_rules(request.version, body["scheduledActionsForRule"], "scheduledActionsForRule")
        plain = {k: v for k, v in body.items() if k != "scheduledActionsForRule"}
        normalised = validation.validate_entity(request.version, type_name, plain, "create")
        now = iso_now()
        stored = {k: v for k, v in normalised.items() if k not in ("id", "createdDateTime", "lastModifiedDateTime",
                                                                     "version")}
        stored["@odata.type"] = "#microsoft.graph." + type_name
        stored.update({"id": str(uuid.uuid4()), "createdDateTime": now, "lastModifiedDateTime": now, "version": 1})
        stored = defaults.complete(request.version, type_name, stored)
        stored["@odata.type"] = "#microsoft.graph." + type_name
        stored.update({"scheduledActionsForRule": rules, "assignments": []})
        return stored

    def change(self, request, stored):
        body = request.json()
        if not isinstance(body, dict):
            raise _schema_mismatch("body")
        for name in NAVIGATIONS:
            if name in body:
                raise _schema_mismatch(name)
        stored_type = stored["@odata.type"].split(".")[-1]
        given = body.get("@odata.type")
        if given is not None and unqualified(given) != stored_type:
            raise _schema_mismatch("@odata.type")
        if stored_type not in POLICY_TYPES[request.version]:
            raise _schema_mismatch("@odata.type")
        body = dict(body, **{"@odata.type": "#microsoft.graph." + stored_type})
        normalised = validation.validate_entity(request.version, stored_type, body, "update")
        updated = copy.deepcopy(stored)
        updated.update({k: v for k, v in normalised.items()
                        if k not in ("@odata.type", "id", "createdDateTime", "lastModifiedDateTime", "version")})
        updated["lastModifiedDateTime"] = iso_now()
        updated["version"] = int(stored.get("version") or 0) + 1
        return updated

    def assign(self, request, stored):
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"assignments"} or not isinstance(body.get("assignments"), list):
            raise _schema_mismatch("assignments")
        assignments = []
        for item in body["assignments"]:
            if isinstance(item, dict):
                item = {k: v for k, v in item.items() if k != "id"}
            checked = dict(validation.validate_entity(request.version, "deviceCompliancePolicyAssignment", item,
                                                      "create"))
            checked.pop("@odata.type", None)
            target = checked.get("target") or {}
            checked["id"] = "%s_%s" % (stored["id"], target.get("groupId") or uuid.uuid4())
            assignments.append(checked)
        self.collection.put(dict(stored, assignments=assignments, lastModifiedDateTime=iso_now()))
        return Response(200, {"@odata.context": entity_context(
            request, "Collection(microsoft.graph.deviceCompliancePolicyAssignment)"),
            "value": render_assignments(request.version, assignments)})

    def schedule(self, request, stored):
        body = request.json()
        key = "deviceComplianceScheduledActionForRules"
        if not isinstance(body, dict) or set(body) - {key}:
            raise _schema_mismatch(key)
        rules = checked_rules(request.version, body.get(key), key)
        self.collection.put(dict(stored, scheduledActionsForRule=rules, lastModifiedDateTime=iso_now()))
        return no_content()

    def list_assignments(self, request, stored):
        return Response(200, {"@odata.context": entity_context(
            request, "deviceManagement/deviceCompliancePolicies('%s')/assignments" % stored["id"]),
            "value": render_assignments(request.version, stored.get("assignments", []))})

    def resource(self):
        return Resource(self.sandbox, BASE, permissions.DEVICE_CONFIGURATION, self.spec, self.collection,
                        render=self.render, single=self.single, overrides={"list": self.list},
                        build=self.build, change=self.change, deletable=True, missing=_not_found,
                        actions={"assign": self.assign, "scheduleActionsForRules": self.schedule},
                        navigations={"assignments": self.list_assignments})


def refuse_navigation(request, key, rest=""):
    raise _no_route(request)


def routes(sandbox):
    perm = permissions.DEVICE_CONFIGURATION
    table = [Route("GET", BASE + "/{key}/scheduledActionsForRule{rest:(/[^/]+)?}", refuse_navigation, perm)]
    return table + CompliancePolicies(sandbox).resource().routes()


def known_types(version):
    """The derived types a version serves (for tests and the README)."""
    return tuple(t for t in POLICY_TYPES[version] if model(version).type(t) is not None)
