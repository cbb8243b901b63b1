"""Conditional access endpoints (v1.0 and beta): policies, named locations, authentication
strengths, templates and authentication context class references.

Bodies are checked, rewritten and rendered by :mod:`tenantguard_sandbox.validation` (Graph's own
rules: 1007, 1118, 1040, ``approvedApplication`` refused, ``operator`` AND → OR, expanded
``authenticationStrength``). This module does the HTTP part: 201 with the full object on POST, 204
on PATCH and DELETE, 404 for unknown ids, paging and query options on lists.
"""

import re

from .. import permissions, validation
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec
from ..messages import Response, no_content
from ..resource import Resource, entity_context

CA = "/identity/conditionalAccess"
STRENGTH_PATHS = (CA + "/authenticationStrength/policies", "/policies/authenticationStrengthPolicies",
                  CA + "/authenticationStrengths/policies")
AUTH_CONTEXT_ID = re.compile(r"^c([1-9]|[1-9][0-9])$")
CONTEXT_FIELDS = ("displayName", "description", "isAvailable")


def _missing(kind):
    return lambda key: GraphHTTPError(404, "NotFound", "The %s with id '%s' was not found." % (kind, key))


def _spec(type_name, context, **kwargs):
    return ListSpec(type_name, context, properties=lambda version: properties(version, type_name),
                    directory=False, max_top=999, default_top=None, allow_skip=True, countable=True, **kwargs)


def _location_refs(policy):
    locations = ((policy.get("conditions") or {}).get("locations") or {})
    return set(locations.get("includeLocations") or []) | set(locations.get("excludeLocations") or [])


def _strength_ref(policy):
    return ((policy.get("grantControls") or {}).get("authenticationStrength") or {}).get("id")


class ConditionalAccess:
    """The stored sets and the look-ups the resources share."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        store = sandbox.store
        self.policies = store["conditionalAccessPolicies"]
        self.locations = store["namedLocations"]
        self.strengths = store["authenticationStrengthPolicies"]
        self.contexts = store["authenticationContextClassReferences"]

    def strengths_by_id(self):
        out = {s["id"]: s for s in validation.builtin_authentication_strengths()}
        out.update({s["id"]: s for s in self.strengths.values(include_hidden=True)})
        return out

    def rules(self):
        """The reference checks a policy body meets."""
        return {"named_location_exists": lambda key: self.locations.get(key, include_hidden=True) is not None,
                "authentication_strength_exists": lambda key: key in self.strengths_by_id()}

    def location_users(self, key):
        return [x["id"] for x in self.policies.values(include_hidden=True) if key in _location_refs(x)]

    def strength_users(self, key):
        return [x["id"] for x in self.policies.values(include_hidden=True) if _strength_ref(x) == key]

    # -- policies -----------------------------------------------------------------------------------
    def render_policy(self, request, stored, single):
        return validation.render_policy(request.version, stored, self.strengths_by_id(),
                                        service_root=request.base_url, with_context=single)

    def create_policy(self, request):
        return validation.create_policy(request.version, request.json(), **self.rules())

    def update_policy(self, request, stored):
        return validation.update_policy(request.version, stored, request.json(), **self.rules())

    # -- named locations ----------------------------------------------------------------------------
    @staticmethod
    def render_location(request, stored, single):
        return validation.render_named_location(request.version, stored, service_root=request.base_url,
                                                with_context=single)

    def refuse_used_location(self, stored):
        users = self.location_users(stored["id"])
        if users:
            raise GraphHTTPError(400, "BadRequest", "The named location %s is referenced by conditional access "
                                 "policies %s and cannot be deleted." % (stored["id"], ", ".join(users)))

    # -- authentication strengths -------------------------------------------------------------------
    @staticmethod
    def render_strength(request, stored, single):
        return validation.render_authentication_strength(request.version, stored, service_root=request.base_url,
                                                         with_context=single)

    def find_strength(self, request, key, include_hidden):
        builtin = next((s for s in validation.builtin_authentication_strengths() if s["id"] == key), None)
        return builtin or self.strengths.get(key, include_hidden=include_hidden)

    def all_strengths(self, request):
        return [self.render_strength(request, s, False)
                for s in list(validation.builtin_authentication_strengths()) + self.strengths.values()]

    def refuse_strength_delete(self, stored):
        if stored.get("policyType") == "builtIn":
            raise GraphHTTPError(400, "BadRequest", "Built-in authentication strength policies cannot be modified.")
        users = self.strength_users(stored["id"])
        if users:
            raise GraphHTTPError(400, "BadRequest", "The authentication strength policy %s is used by conditional "
                                 "access policies %s and cannot be deleted." % (stored["id"], ", ".join(users)))

    def update_combinations(self, request, stored):
        references = self.strength_users(stored["id"])
        updated, outcome = validation.update_allowed_combinations(request.version, stored, request.json(),
                                                                 conditional_access_references=references)
        self.strengths.put(updated)
        body = {"@odata.context": entity_context(request, "microsoft.graph.updateAllowedCombinationsResult")}
        body.update(outcome)
        return Response(200, body)

    # -- templates (read-only) ----------------------------------------------------------------------
    @staticmethod
    def templates(request):
        return validation.builtin_templates(request.version, service_root=request.base_url)

    @staticmethod
    def render_template(request, found, single):
        out = {"@odata.context": entity_context(request, "identity/conditionalAccess/templates/$entity")}
        out.update(found)
        return out

    # -- authentication context class references ----------------------------------------------------
    @staticmethod
    def render_context(request, stored, single):
        out = {}
        if single:
            out["@odata.context"] = entity_context(
                request, "identity/conditionalAccess/authenticationContextClassReferences/$entity")
        out.update({"id": stored["id"], "displayName": stored.get("displayName"),
                    "description": stored.get("description"), "isAvailable": stored.get("isAvailable", False)})
        return out

    def create_context(self, request):
        normalised = validation.validate_entity(request.version, "authenticationContextClassReference",
                                                request.json(), "create")
        key = normalised.get("id") if isinstance(normalised, dict) else None
        if not isinstance(key, str) or not AUTH_CONTEXT_ID.match(key):
            raise GraphHTTPError(400, "BadRequest", "The id of an authentication context must be 'c1' to 'c99', "
                                 "got %r." % (key,))
        if self.contexts.get(key, include_hidden=True) is not None:
            raise GraphHTTPError(409, "Conflict", "An authentication context with id '%s' already exists." % key)
        return {"id": key, "displayName": normalised.get("displayName"),
                "description": normalised.get("description"), "isAvailable": bool(normalised.get("isAvailable"))}

    def upsert_context(self, request, key):
        """PATCH creates an id c1 to c99 that does not exist yet; the body is checked before the id."""
        body = request.json()
        if isinstance(body, dict) and "id" in body and body["id"] != key:
            raise GraphHTTPError(400, "BadRequest", "The id of an authentication context cannot be changed.")
        normalised = validation.validate_entity(request.version, "authenticationContextClassReference",
                                                {k: v for k, v in body.items() if k != "id"}
                                                if isinstance(body, dict) else body, "update")
        stored = self.contexts.get(key, include_hidden=True)
        if stored is None and not AUTH_CONTEXT_ID.match(key):
            raise _missing("authentication context class reference")(key)
        updated = dict(stored or {"id": key, "displayName": None, "description": None, "isAvailable": False})
        updated.update({k: v for k, v in normalised.items() if k in CONTEXT_FIELDS})
        self.contexts.put(updated)
        return no_content()


def resources(sandbox):
    ca = ConditionalAccess(sandbox)
    perm = permissions.CONDITIONAL_ACCESS
    policy_spec = _spec("conditionalAccessPolicy", "identity/conditionalAccess/policies")
    location_spec = _spec("namedLocation", "identity/conditionalAccess/namedLocations")
    template_spec = _spec("conditionalAccessTemplate", "identity/conditionalAccess/templates", top_supported=False)
    template_spec.countable = template_spec.allow_skip = False
    context_spec = _spec("authenticationContextClassReference",
                         "identity/conditionalAccess/authenticationContextClassReferences",
                         top_supported=False, selectable=False)
    context_spec.countable = context_spec.allow_skip = False
    return [
        Resource(sandbox, CA + "/policies", perm, policy_spec, ca.policies, render=ca.render_policy,
                 listed=lambda r: [ca.render_policy(r, p, False) for p in ca.policies.values()], countable=True,
                 build=ca.create_policy, change=ca.update_policy, deletable=True,
                 missing=_missing("conditional access policy")),
        Resource(sandbox, CA + "/namedLocations", perm, location_spec, ca.locations, render=ca.render_location,
                 listed=lambda r: [ca.render_location(r, x, False) for x in ca.locations.values()], countable=True,
                 build=lambda r: validation.create_named_location(r.version, r.json()),
                 change=lambda r, stored: validation.update_named_location(r.version, stored, r.json()),
                 deletable=True, before_delete=ca.refuse_used_location, missing=_missing("named location")),
        Resource(sandbox, STRENGTH_PATHS[0], permissions.AUTHENTICATION_STRENGTHS,
                 _spec("authenticationStrengthPolicy", "policies/authenticationStrengthPolicies"), ca.strengths,
                 paths=STRENGTH_PATHS, find=ca.find_strength, render=ca.render_strength, listed=ca.all_strengths,
                 build=lambda r: validation.create_authentication_strength(r.version, r.json()),
                 change=lambda r, stored: validation.update_authentication_strength(r.version, stored, r.json()),
                 deletable=True, before_delete=ca.refuse_strength_delete,
                 actions={"updateAllowedCombinations": ca.update_combinations},
                 missing=_missing("authentication strength policy")),
        Resource(sandbox, CA + "/templates", perm, template_spec, listed=ca.templates, render=ca.render_template,
                 find=lambda r, key, hidden: next((t for t in ca.templates(r) if t["id"] == key), None),
                 missing=_missing("conditional access template")),
        Resource(sandbox, CA + "/authenticationContextClassReferences", perm, context_spec, ca.contexts,
                 render=ca.render_context, select=False,
                 listed=lambda r: [ca.render_context(r, c, False) for c in ca.contexts.values()],
                 build=ca.create_context, deletable=True, overrides={"update": ca.upsert_context},
                 missing=_missing("authentication context class reference")),
    ]


def routes(sandbox):
    return [route for resource in resources(sandbox) for route in resource.routes()]
