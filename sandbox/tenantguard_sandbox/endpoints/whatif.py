"""Conditional access What If: ``POST /(v1.0|beta)/identity/conditionalAccess/evaluate``.

The body is read as Graph reads it: the action's parameters from the schema (``signInIdentity``,
``signInContext``, ``signInConditions``, ``appliedPoliciesOnly``), the abstract ``signInIdentity``
and ``signInContext`` only with an ``@odata.type`` naming a concrete type, enum members checked
(``RequestBodyRead`` 400 otherwise). It needs ``Policy.Read.ConditionalAccess``, ``Policy.Read.All``
or ``Policy.ReadWrite.ConditionalAccess`` (403 ``AccessDenied`` otherwise) and answers
``{"value": [whatIfAnalysisResult, ...]}``: every stored policy as Graph renders it, plus
``policyApplies`` and ``analysisReasons`` (flags, comma-joined names; ``notSet`` when it applies).

Which policies apply is computed by the collection's own evaluation engine, a separate dependency that
:mod:`tenantguard_sandbox.evaluation_engine` finds (``serve --collections-path``,
``TENANTGUARD_SANDBOX_COLLECTIONS_PATH`` or the checkout the sandbox sits in); without it the endpoint answers 501.
The sandbox's answer is only as good as that engine, and it cannot show the engine wrong.
To test a client's handling of a disagreement, the control endpoint ``PUT /_sandbox/evaluate``
(loopback only, no token) takes ``{"invert": [policy ids or display names], "reason": "users"}``:
those policies' ``policyApplies`` is inverted in every answer (with ``reason`` as the analysis
reason when it becomes false). ``GET /_sandbox/evaluate`` shows the setting; ``{}`` clears it.
"""

from .. import permissions, validation
from ..errors import GraphHTTPError
from ..evaluation_engine import EngineUnavailable
from ..messages import PLAIN_JSON, Response
from ..resource import Route
from .conditional_access import ConditionalAccess
from .control import _loopback_only

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


def _bad_request(message):
    return GraphHTTPError(400, "BadRequest", message)


class WhatIf:
    """The evaluate action and its control knob for one sandbox."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.store = sandbox.store
        self.directory = sandbox.directory
        self.knobs = {"invert": [], "reason": "notEnoughInformation"}
        self.conditional_access = ConditionalAccess(sandbox)

    def identity_of(self, identity):
        kind = identity.get("@odata.type", "").rsplit(".", 1)[-1]
        if kind == "servicePrincipalSignIn":
            app_id = str(identity.get("servicePrincipalId") or "")
            sp = next((s for s in self.store["servicePrincipals"].values()
                       if str(s.get("appId", "")).lower() == app_id.lower()), None)
            if sp is None:
                raise _bad_request("The service principal with appId '%s' was not found in the tenant." % app_id)
            return {"service_principal": {"id": sp["id"], "app_id": sp.get("appId")}}
        user_id = identity.get("userId")
        user = self.directory.find("user", str(user_id)) if user_id else None
        if user is None:
            raise _bad_request("The user with id '%s' was not found in the tenant." % (user_id,))
        member_of = self.directory.member_of(user["id"], transitive=True)
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

    def sign_in_of(self, body):
        sign_in = self.identity_of(body["signInIdentity"])
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

    def evaluate(self, request):
        body = validation.validate_action("v1.0", "conditionalAccessRoot", "evaluate", request.json())
        for name in REQUIRED:
            if body.get(name) is None:
                raise _bad_request("The parameter '%s' is required for the operation 'evaluate'." % name)
        try:
            engine = self.sandbox.evaluation_engine.load()
        except EngineUnavailable as exc:
            raise GraphHTTPError(501, "NotImplemented", str(exc)) from None
        sign_in = self.sign_in_of(body)
        problems = engine.sign_in_problems(sign_in) if hasattr(engine, "sign_in_problems") else []
        if problems:
            raise _bad_request("The sign-in cannot be evaluated: %s." % "; ".join(problems))
        ca = self.conditional_access
        policies = [ca.render_policy(request, p, False) for p in ca.policies.values()]
        locations = [ca.render_location(request, x, False) for x in ca.locations.values()]
        evaluation = engine.evaluate(policies, sign_in, named_locations=locations)
        applying = set(str(r.id).lower() for r in list(evaluation.enforced) + list(evaluation.report_only) if r.id)
        reasons = dict((str(r.id).lower(), r.reason) for r in evaluation.not_applied if r.id)
        inverted = set(str(x).lower() for x in self.knobs["invert"])
        value = []
        for policy in policies:
            key = str(policy.get("id", "")).lower()
            applies = key in applying
            reason = reasons.get(key) if reasons.get(key) in REASONS else None
            if not applies and reason is None:
                reason = "policyNotEnabled" if policy.get("state") == "disabled" else "notEnoughInformation"
            if key in inverted or str(policy.get("displayName", "")).lower() in inverted:
                applies = not applies
                reason = None if applies else self.knobs["reason"]
            if body.get("appliedPoliciesOnly") and not applies:
                continue
            result = {k: v for k, v in policy.items() if not k.startswith("@odata.context")}
            result["policyApplies"] = applies
            result["analysisReasons"] = "notSet" if applies else reason
            value.append(result)
        return Response(200, {"@odata.context": "%s/%s/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)"
                                                % (request.base_url, request.version), "value": value})

    def get_knobs(self, request):
        _loopback_only(request)
        return Response(200, dict(self.knobs), content_type=PLAIN_JSON)

    def put_knobs(self, request):
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
        self.knobs.update(invert=list(invert), reason=reason)
        return Response(200, dict(self.knobs), content_type=PLAIN_JSON)

    def routes(self):
        return [
            Route("POST", "/identity/conditionalAccess/evaluate", self.evaluate, EVALUATE_PERMISSION),
            Route("GET", "/_sandbox/evaluate", self.get_knobs, service="control"),
            Route("PUT", "/_sandbox/evaluate", self.put_knobs, service="control"),
        ]


def routes(sandbox):
    return WhatIf(sandbox).routes()
