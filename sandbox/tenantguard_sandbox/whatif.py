"""Conditional access What If: ``POST /(v1.0|beta)/identity/conditionalAccess/evaluate``.

The body is read as Graph reads it: the action's parameters from the schema (``signInIdentity``,
``signInContext``, ``signInConditions``, ``appliedPoliciesOnly``), the abstract ``signInIdentity``
and ``signInContext`` only with an ``@odata.type`` naming a concrete type, enum members checked
(``RequestBodyRead`` 400 otherwise). It needs ``Policy.Read.ConditionalAccess``, ``Policy.Read.All``
or ``Policy.ReadWrite.ConditionalAccess`` (403 ``AccessDenied`` otherwise) and answers
``{"value": [whatIfAnalysisResult, ...]}``: every stored policy as Graph renders it, plus
``policyApplies`` and ``analysisReasons`` (flags, comma-joined names; ``notSet`` when it applies).

Which policies apply is computed by the collection's own evaluation engine,
``plugins/module_utils/_ca_evaluation.py`` of the checkout the sandbox lives in, loaded by file
path: the sandbox's answer is only as good as that engine, and it cannot show the engine wrong.
To test a client's handling of a disagreement, the control endpoint ``PUT /_sandbox/evaluate``
(loopback only, no token) takes ``{"invert": [policy ids or display names], "reason": "users"}``:
those policies' ``policyApplies`` is inverted in every answer (with ``reason`` as the analysis
reason when it becomes false). ``GET /_sandbox/evaluate`` shows the setting; ``{}`` clears it.
"""

import importlib
import os
import sys
import types

from . import permissions, validation
from .control import _loopback_only
from .directory import Directory
from .errors import GraphHTTPError
from .messages import PLAIN_JSON, Response

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENGINE = "ansible_collections.tenantguard.m365.plugins.module_utils._ca_evaluation"
READ = ("Policy.Read.ConditionalAccess", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess")
# A POST that only reads: the same permissions for "writing" as for reading.
EVALUATE_PERMISSION = permissions.Permission("conditionalAccessEvaluate", READ, READ, style="ca")
REQUIRED = ("signInIdentity", "signInContext", "signInConditions")
USER_ACTIONS = {"registerSecurityInformation": "urn:user:registersecurityinfo",
                "registerOrJoinDevices": "urn:user:registerdevice"}
CONDITIONS = (("devicePlatform", "device_platform"), ("clientAppType", "client_app_type"), ("country", "country"),
              ("ipAddress", "ip_address"), ("signInRiskLevel", "sign_in_risk"), ("userRiskLevel", "user_risk"),
              ("insiderRiskLevel", "insider_risk"), ("servicePrincipalRiskLevel", "service_principal_risk"))
REASONS = ("notEnoughInformation", "invalidCondition", "users", "workloadIdentities", "application", "userActions",
           "authenticationContext", "devicePlatform", "devices", "clientApps", "location", "signInRisk",
           "emptyPolicy", "invalidPolicy", "policyNotEnabled", "userRisk", "time", "insiderRisk",
           "authenticationFlow")

_engine = None


def load_engine(repo=REPO):
    """The collection's evaluation module, imported from ``repo`` by file path (its own imports of
    ``ansible_collections.tenantguard.m365...`` resolve into the same checkout)."""
    global _engine
    if _engine is not None:
        return _engine
    base = os.path.join(repo, "plugins", "module_utils")
    if not os.path.isfile(os.path.join(base, "_ca_evaluation.py")):
        return None
    try:
        _engine = importlib.import_module(ENGINE)
        return _engine
    except ImportError:
        pass
    packages = (("ansible_collections", None), ("ansible_collections.tenantguard", None),
                ("ansible_collections.tenantguard.m365", repo),
                ("ansible_collections.tenantguard.m365.plugins", os.path.join(repo, "plugins")),
                ("ansible_collections.tenantguard.m365.plugins.module_utils", base))
    for name, path in packages:
        module = sys.modules.get(name)
        if module is None:
            module = types.ModuleType(name)
            module.__path__ = []
            sys.modules[name] = module
        if path and path not in list(module.__path__):
            module.__path__ = list(module.__path__) + [path]
    _engine = importlib.import_module(ENGINE)
    return _engine


def _bad_request(message):
    return GraphHTTPError(400, "BadRequest", message)


def register(router, sandbox):
    store = sandbox.store
    directory = Directory(store)
    knobs = {"invert": [], "reason": "notEnoughInformation"}

    def strengths_by_id():
        out = {s["id"]: s for s in validation.builtin_authentication_strengths()}
        out.update({s["id"]: s for s in store["authenticationStrengthPolicies"].values(include_hidden=True)})
        return out

    def identity_of(identity):
        kind = identity.get("@odata.type", "").rsplit(".", 1)[-1]
        if kind == "servicePrincipalSignIn":
            app_id = str(identity.get("servicePrincipalId") or "")
            sp = next((s for s in store["servicePrincipals"].values()
                       if str(s.get("appId", "")).lower() == app_id.lower()), None)
            if sp is None:
                raise _bad_request("The service principal with appId '%s' was not found in the tenant." % app_id)
            return {"service_principal": {"id": sp["id"], "app_id": sp.get("appId")}}
        user_id = identity.get("userId")
        user = directory.find("user", str(user_id)) if user_id else None
        if user is None:
            raise _bad_request("The user with id '%s' was not found in the tenant." % (user_id,))
        member_of = directory.member_of(user["id"], transitive=True)
        groups = [o["id"] for o in member_of if o.get("@odata.type") == "#microsoft.graph.group"]
        roles = [str(o.get("roleTemplateId")).lower() for o in member_of
                 if o.get("@odata.type") == "#microsoft.graph.directoryRole" and o.get("roleTemplateId")]
        guest = str(user.get("userType") or "").lower() == "guest"
        out = {"id": user["id"], "groups": groups, "roles": roles, "user_type": "guest" if guest else "member"}
        external = [t for t in str(identity.get("externalUserType") or "").split(",") if t and t != "none"]
        if external:
            out["external_user_types"] = external
        elif guest:
            out["external_user_types"] = ["b2bCollaborationGuest"]
        if identity.get("externalTenantId"):
            out["external_tenant_id"] = identity["externalTenantId"]
        return {"user": out}

    def sign_in_of(body):
        sign_in = identity_of(body["signInIdentity"])
        context = body["signInContext"]
        kind = context.get("@odata.type", "").rsplit(".", 1)[-1]
        if kind == "applicationContext":
            apps = context.get("includeApplications") or []
            if apps:
                sign_in["application"] = str(apps[0]).lower()
        elif kind == "userActionContext":
            if context.get("userAction") in USER_ACTIONS:
                sign_in["user_action"] = USER_ACTIONS[context["userAction"]]
        elif kind == "authContext" and context.get("authenticationContextValue"):
            sign_in["authentication_context"] = context["authenticationContextValue"]
        conditions = body["signInConditions"] or {}
        for graph_key, key in CONDITIONS:
            # Values that say nothing for the engine (all, hidden, none for insider risk) are left out: not known.
            if conditions.get(graph_key) not in (None, "all", "hidden", "unknownFutureValue") and not (
                    key == "insider_risk" and conditions[graph_key] == "none"):
                sign_in[key] = conditions[graph_key]
        flow = (conditions.get("authenticationFlow") or {}).get("transferMethod")
        if flow in ("deviceCodeFlow", "authenticationTransfer"):
            sign_in["authentication_flow"] = flow
        if conditions.get("deviceInfo") is not None:
            sign_in["device"] = dict(("deviceOwnership" if k == "ownership" else k, v)
                                     for k, v in conditions["deviceInfo"].items() if not k.startswith("@"))
        return sign_in

    def evaluate(request):
        body = validation.validate_action("v1.0", "conditionalAccessRoot", "evaluate", request.json())
        for name in REQUIRED:
            if body.get(name) is None:
                raise _bad_request("The parameter '%s' is required for the operation 'evaluate'." % name)
        engine = load_engine()
        if engine is None:
            raise GraphHTTPError(501, "NotImplemented", "The sandbox evaluates conditional access with the "
                                 "collection's plugins/module_utils/_ca_evaluation.py, which is not in %s." % REPO)
        sign_in = sign_in_of(body)
        problems = engine.sign_in_problems(sign_in) if hasattr(engine, "sign_in_problems") else []
        if problems:
            raise _bad_request("The sign-in cannot be evaluated: %s." % "; ".join(problems))
        strengths = strengths_by_id()
        policies = [validation.render_policy(request.version, p, strengths, service_root=request.base_url,
                                             with_context=False)
                    for p in store["conditionalAccessPolicies"].values()]
        locations = [validation.render_named_location(request.version, x, service_root=request.base_url,
                                                      with_context=False)
                     for x in store["namedLocations"].values()]
        evaluation = engine.evaluate(policies, sign_in, named_locations=locations)
        applying = set(str(r.id).lower() for r in list(evaluation.enforced) + list(evaluation.report_only) if r.id)
        reasons = dict((str(r.id).lower(), r.reason) for r in evaluation.not_applied if r.id)
        inverted = set(str(x).lower() for x in knobs["invert"])
        value = []
        for policy in policies:
            key = str(policy.get("id", "")).lower()
            applies = key in applying
            reason = reasons.get(key) if reasons.get(key) in REASONS else None
            if not applies and reason is None:
                reason = "policyNotEnabled" if policy.get("state") == "disabled" else "notEnoughInformation"
            if key in inverted or str(policy.get("displayName", "")).lower() in inverted:
                applies = not applies
                reason = None if applies else knobs["reason"]
            if body.get("appliedPoliciesOnly") and not applies:
                continue
            result = {k: v for k, v in policy.items() if not k.startswith("@odata.context")}
            result["policyApplies"] = applies
            result["analysisReasons"] = "notSet" if applies else reason
            value.append(result)
        return Response(200, {"@odata.context": "%s/%s/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)"
                                                % (request.base_url, request.version), "value": value})

    def get_knobs(request):
        _loopback_only(request)
        return Response(200, dict(knobs), content_type=PLAIN_JSON)

    def put_knobs(request):
        _loopback_only(request)
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"invert", "reason"}:
            raise _bad_request("Invalid evaluate settings: expected {\"invert\": [policy ids or names], "
                               "\"reason\": one of %s}." % ", ".join(REASONS))
        invert = body.get("invert") or []
        reason = body.get("reason") or "notEnoughInformation"
        if not isinstance(invert, list) or not all(isinstance(x, str) for x in invert):
            raise _bad_request("Invalid evaluate settings: invert must be a list of policy ids or display names.")
        if reason not in REASONS:
            raise _bad_request("Invalid evaluate settings: reason %r is not one of %s." % (reason, ", ".join(REASONS)))
        knobs.update(invert=list(invert), reason=reason)
        return Response(200, dict(knobs), content_type=PLAIN_JSON)

    router.graph("POST", "/identity/conditionalAccess/evaluate", evaluate, EVALUATE_PERMISSION)
    router.add("GET", r"^/_sandbox/evaluate/?$", get_knobs, "control")
    router.add("PUT", r"^/_sandbox/evaluate/?$", put_knobs, "control")
