"""Conditional access endpoints (v1.0 and beta): policies, named locations, authentication
strengths, templates and authentication context class references.

Bodies are checked, rewritten and rendered by :mod:`tenantguard_sandbox.validation` (Graph's own
rules: 1007, 1118, 1040, ``approvedApplication`` refused, ``operator`` AND → OR, expanded
``authenticationStrength``). This module does the HTTP part: 201 with the full object on POST, 204
on PATCH and DELETE, 404 for unknown ids, paging and query options on lists.
"""

import re

from . import permissions
from .entity_properties import properties
from .errors import GraphHTTPError
from .listing import ListSpec, count_response, list_response, project, selected_properties
from .messages import Response, no_content
from . import validation

CA = "/identity/conditionalAccess"
STRENGTH_PATHS = (CA + "/authenticationStrength/policies", "/policies/authenticationStrengthPolicies",
                  CA + "/authenticationStrengths/policies")
AUTH_CONTEXT_ID = re.compile(r"^c([1-9]|[1-9][0-9])$")


def _not_found(kind, key):
    return GraphHTTPError(404, "NotFound", "The %s with id '%s' was not found." % (kind, key))


def _spec(type_name, context, **kwargs):
    return ListSpec(type_name, context, properties=lambda version: properties(version, type_name),
                    directory=False, max_top=999, default_top=None, allow_skip=True, countable=True, **kwargs)


def register(router, sandbox):
    store = sandbox.store
    policies = store["conditionalAccessPolicies"]
    locations = store["namedLocations"]
    strengths = store["authenticationStrengthPolicies"]
    contexts = store["authenticationContextClassReferences"]

    def strengths_by_id():
        out = {s["id"]: s for s in validation.builtin_authentication_strengths()}
        out.update({s["id"]: s for s in strengths.values(include_hidden=True)})
        return out

    def location_exists(key):
        return locations.get(key, include_hidden=True) is not None

    def strength_exists(key):
        return key in strengths_by_id()

    # -- policies ---------------------------------------------------------------------------------
    policy_spec = _spec("conditionalAccessPolicy", "identity/conditionalAccess/policies")

    def render_policy(request, stored, with_context):
        return validation.render_policy(request.version, stored, strengths_by_id(), service_root=request.base_url,
                                        with_context=with_context)

    def list_policies(request):
        rendered = [render_policy(request, p, False) for p in policies.values()]
        return list_response(request, policy_spec, rendered)

    def count_policies(request):
        return count_response(request, policy_spec, [render_policy(request, p, False) for p in policies.values()])

    def create_policy(request):
        stored = validation.create_policy(request.version, request.json(), named_location_exists=location_exists,
                                          authentication_strength_exists=strength_exists)
        sandbox.created(policies, stored, request)
        return Response(201, render_policy(request, stored, True))

    def get_policy(request, key):
        stored = policies.get(key)
        if stored is None:
            raise _not_found("conditional access policy", key)
        return Response(200, _selected(request, policy_spec, render_policy(request, stored, True)))

    def update_policy(request, key):
        stored = policies.get(key, include_hidden=True)
        if stored is None:
            raise _not_found("conditional access policy", key)
        policies.put(validation.update_policy(request.version, stored, request.json(),
                                              named_location_exists=location_exists,
                                              authentication_strength_exists=strength_exists))
        return no_content()

    def delete_policy(request, key):
        if policies.delete(key) is None:
            raise _not_found("conditional access policy", key)
        return no_content()

    p = CA + "/policies"
    perm = permissions.CONDITIONAL_ACCESS
    router.graph("GET", p, list_policies, perm)
    router.graph("POST", p, create_policy, perm)
    router.graph("GET", p + r"/\$count", count_policies, perm)
    router.graph("GET", p + "/(?P<key>[^/]+)", get_policy, perm)
    router.graph("PATCH", p + "/(?P<key>[^/]+)", update_policy, perm)
    router.graph("DELETE", p + "/(?P<key>[^/]+)", delete_policy, perm)

    # -- named locations --------------------------------------------------------------------------
    location_spec = _spec("namedLocation", "identity/conditionalAccess/namedLocations")

    def render_location(request, stored, with_context):
        return validation.render_named_location(request.version, stored, service_root=request.base_url,
                                                with_context=with_context)

    def list_locations(request):
        return list_response(request, location_spec, [render_location(request, x, False) for x in locations.values()])

    def count_locations(request):
        return count_response(request, location_spec,
                              [render_location(request, x, False) for x in locations.values()])

    def create_location(request):
        stored = validation.create_named_location(request.version, request.json())
        sandbox.created(locations, stored, request)
        return Response(201, render_location(request, stored, True))

    def get_location(request, key):
        stored = locations.get(key)
        if stored is None:
            raise _not_found("named location", key)
        return Response(200, _selected(request, location_spec, render_location(request, stored, True)))

    def update_location(request, key):
        stored = locations.get(key, include_hidden=True)
        if stored is None:
            raise _not_found("named location", key)
        locations.put(validation.update_named_location(request.version, stored, request.json()))
        return no_content()

    def delete_location(request, key):
        stored = locations.get(key, include_hidden=True)
        if stored is None:
            raise _not_found("named location", key)
        users = [x["id"] for x in policies.values(include_hidden=True) if key in _location_refs(x)]
        if users:
            raise GraphHTTPError(400, "BadRequest", "The named location %s is referenced by conditional access "
                                 "policies %s and cannot be deleted." % (key, ", ".join(users)))
        locations.delete(key)
        return no_content()

    n = CA + "/namedLocations"
    router.graph("GET", n, list_locations, perm)
    router.graph("POST", n, create_location, perm)
    router.graph("GET", n + r"/\$count", count_locations, perm)
    router.graph("GET", n + "/(?P<key>[^/]+)", get_location, perm)
    router.graph("PATCH", n + "/(?P<key>[^/]+)", update_location, perm)
    router.graph("DELETE", n + "/(?P<key>[^/]+)", delete_location, perm)

    # -- authentication strengths -----------------------------------------------------------------
    strength_spec = _spec("authenticationStrengthPolicy", "policies/authenticationStrengthPolicies")

    def render_strength(request, stored, with_context):
        return validation.render_authentication_strength(request.version, stored, service_root=request.base_url,
                                                         with_context=with_context)

    def all_strengths():
        return list(validation.builtin_authentication_strengths()) + strengths.values()

    def list_strengths(request):
        return list_response(request, strength_spec, [render_strength(request, s, False) for s in all_strengths()])

    def create_strength(request):
        stored = validation.create_authentication_strength(request.version, request.json())
        sandbox.created(strengths, stored, request)
        return Response(201, render_strength(request, stored, True))

    def find_strength(key, include_hidden=False):
        builtin = next((s for s in validation.builtin_authentication_strengths() if s["id"] == key), None)
        return builtin or strengths.get(key, include_hidden=include_hidden)

    def get_strength(request, key):
        stored = find_strength(key)
        if stored is None:
            raise _not_found("authentication strength policy", key)
        return Response(200, _selected(request, strength_spec, render_strength(request, stored, True)))

    def update_strength(request, key):
        stored = find_strength(key, include_hidden=True)
        if stored is None:
            raise _not_found("authentication strength policy", key)
        strengths.put(validation.update_authentication_strength(request.version, stored, request.json()))
        return no_content()

    def delete_strength(request, key):
        stored = find_strength(key, include_hidden=True)
        if stored is None:
            raise _not_found("authentication strength policy", key)
        if stored.get("policyType") == "builtIn":
            raise GraphHTTPError(400, "BadRequest", "Built-in authentication strength policies cannot be modified.")
        users = [x["id"] for x in policies.values(include_hidden=True)
                 if ((x.get("grantControls") or {}).get("authenticationStrength") or {}).get("id") == key]
        if users:
            raise GraphHTTPError(400, "BadRequest", "The authentication strength policy %s is used by conditional "
                                 "access policies %s and cannot be deleted." % (key, ", ".join(users)))
        strengths.delete(key)
        return no_content()

    def update_combinations(request, key):
        stored = find_strength(key, include_hidden=True)
        if stored is None:
            raise _not_found("authentication strength policy", key)
        references = [x["id"] for x in policies.values(include_hidden=True)
                      if ((x.get("grantControls") or {}).get("authenticationStrength") or {}).get("id") == key]
        updated, outcome = validation.update_allowed_combinations(request.version, stored, request.json(),
                                                                 conditional_access_references=references)
        strengths.put(updated)
        body = {"@odata.context": "%s/%s/$metadata#microsoft.graph.updateAllowedCombinationsResult"
                                  % (request.base_url, request.version)}
        body.update(outcome)
        return Response(200, body)

    strength_perm = permissions.AUTHENTICATION_STRENGTHS
    for base in STRENGTH_PATHS:
        router.graph("GET", base, list_strengths, strength_perm)
        router.graph("POST", base, create_strength, strength_perm)
        router.graph("POST", base + "/(?P<key>[^/]+)/updateAllowedCombinations", update_combinations, strength_perm)
        router.graph("GET", base + "/(?P<key>[^/]+)", get_strength, strength_perm)
        router.graph("PATCH", base + "/(?P<key>[^/]+)", update_strength, strength_perm)
        router.graph("DELETE", base + "/(?P<key>[^/]+)", delete_strength, strength_perm)

    # -- templates (read-only) --------------------------------------------------------------------
    template_spec = _spec("conditionalAccessTemplate", "identity/conditionalAccess/templates",
                          top_supported=False)
    template_spec.countable = False
    template_spec.allow_skip = False

    def templates(request):
        return validation.builtin_templates(request.version, service_root=request.base_url)

    def list_templates(request):
        return list_response(request, template_spec, templates(request))

    def get_template(request, key):
        found = next((t for t in templates(request) if t["id"] == key), None)
        if found is None:
            raise _not_found("conditional access template", key)
        body = {"@odata.context": "%s/%s/$metadata#identity/conditionalAccess/templates/$entity"
                                  % (request.base_url, request.version)}
        body.update(_selected(request, template_spec, found))
        return Response(200, body)

    t = CA + "/templates"
    router.graph("GET", t, list_templates, perm)
    router.graph("GET", t + "/(?P<key>[^/]+)", get_template, perm)

    # -- authentication context class references --------------------------------------------------
    context_spec = _spec("authenticationContextClassReference",
                         "identity/conditionalAccess/authenticationContextClassReferences",
                         top_supported=False, selectable=False)
    context_spec.countable = False
    context_spec.allow_skip = False

    def render_context(request, stored, with_context):
        out = {}
        if with_context:
            out["@odata.context"] = ("%s/%s/$metadata#identity/conditionalAccess/authenticationContextClassReferences"
                                     "/$entity" % (request.base_url, request.version))
        out.update({"id": stored["id"], "displayName": stored.get("displayName"),
                    "description": stored.get("description"), "isAvailable": stored.get("isAvailable", False)})
        return out

    def list_contexts(request):
        return list_response(request, context_spec, [render_context(request, c, False) for c in contexts.values()])

    def create_context(request):
        body = request.json()
        normalised = validation.validate_entity(request.version, "authenticationContextClassReference", body, "create")
        key = normalised.get("id") if isinstance(normalised, dict) else None
        if not isinstance(key, str) or not AUTH_CONTEXT_ID.match(key):
            raise GraphHTTPError(400, "BadRequest", "The id of an authentication context must be 'c1' to 'c99', "
                                 "got %r." % (key,))
        if contexts.get(key, include_hidden=True) is not None:
            raise GraphHTTPError(409, "Conflict", "An authentication context with id '%s' already exists." % key)
        stored = {"id": key, "displayName": normalised.get("displayName"),
                  "description": normalised.get("description"), "isAvailable": bool(normalised.get("isAvailable"))}
        sandbox.created(contexts, stored, request)
        return Response(201, render_context(request, stored, True))

    def get_context(request, key):
        stored = contexts.get(key)
        if stored is None:
            raise _not_found("authentication context class reference", key)
        return Response(200, render_context(request, stored, True))

    def update_context(request, key):
        body = request.json()
        if isinstance(body, dict) and "id" in body and body["id"] != key:
            raise GraphHTTPError(400, "BadRequest", "The id of an authentication context cannot be changed.")
        normalised = validation.validate_entity(request.version, "authenticationContextClassReference",
                                                {k: v for k, v in body.items() if k != "id"}
                                                if isinstance(body, dict) else body, "update")
        stored = contexts.get(key, include_hidden=True)
        if stored is None:
            if not AUTH_CONTEXT_ID.match(key):
                raise _not_found("authentication context class reference", key)
            stored = {"id": key, "displayName": None, "description": None, "isAvailable": False}
        updated = dict(stored)
        updated.update({k: v for k, v in normalised.items() if k in ("displayName", "description", "isAvailable")})
        contexts.put(updated)
        return no_content()

    def delete_context(request, key):
        if contexts.delete(key) is None:
            raise _not_found("authentication context class reference", key)
        return no_content()

    a = CA + "/authenticationContextClassReferences"
    router.graph("GET", a, list_contexts, perm)
    router.graph("POST", a, create_context, perm)
    router.graph("GET", a + "/(?P<key>[^/]+)", get_context, perm)
    router.graph("PATCH", a + "/(?P<key>[^/]+)", update_context, perm)
    router.graph("DELETE", a + "/(?P<key>[^/]+)", delete_context, perm)


def _location_refs(policy):
    locations = ((policy.get("conditions") or {}).get("locations") or {})
    return set(locations.get("includeLocations") or []) | set(locations.get("excludeLocations") or [])


def _selected(request, spec, body):
    """Apply ``$select`` to a single rendered entity (``@odata.context`` kept)."""
    if request.option("$select") is None:
        return body
    out = {k: v for k, v in body.items() if k.startswith("@odata.")}
    out.update(project(body, selected_properties(request, spec)))
    return out
