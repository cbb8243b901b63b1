"""Conditional access policies: what Graph accepts, how it rewrites them, and the shape it returns.

Sources (``behavior.md`` sections 4, 5, 6 and 9; ``examples/conditional_access_policies``,
``examples/errors``):

* A body that does not deserialise: 400 ``BadRequest`` ``1007: Incoming ConditionalAccessPolicy object is null
  or does not match the schema ...`` (unknown property, wrong JSON type, bad enum, unfitting ``@odata.type``,
  read-only property, malformed id). [issue] microsoft-graph-docs-contrib#4162, terraform-provider-azuread#790.
* A PATCH carrying ``templateId``, even null: ``1118: TemplateId is a read-only field and cannot be updated.``
  [issue] Azure-Samples/azure-ad-conditional-access-apis#20.
* ``includeApplications`` together with ``includeUserActions`` or ``includeAuthenticationContextClassReferences``
  (formerly ``includeProtectionLevels``): ``1012: ...``. [issue] nicolonsky/ModernWorkplaceConcierge#50.
* ``GuestsOrExternalUsers`` in includeUsers/excludeUsers together with include/excludeGuestsOrExternalUsers:
  ``'GuestsOrExternalUsers' cannot be combined with guestOrExternalUsers``. [issue]
  hashicorp/terraform-provider-azuread#1196.
* A named location id that does not exist: ``1040: NamedLocation with id <id> does not exist in the
  directory.`` [issue] KelvinTegelaar/CIPP#4655.
* ``approvedApplication`` (Require approved client app) retired on 2026-06-30: refused in new and edited
  policies; a policy that still uses it can only be disabled or deleted (``graph/README.md``;
  ``reference/domain.md`` 3.1, Microsoft's migrate-approved-client-app page). No source gives the service's
  wording, so the message here is modelled on Graph's shape and names ``compliantApplication``.
* Server-side rewrites observed on beta in 2025 ([obs] deploymenttheory/terraform-provider-microsoft365
  ``docs/development/conditional_access_field_map.md``): ``operator`` AND becomes OR when a single control is
  used; flags enums re-cased and put in member order; ``authenticationStrength`` sent as ``{"id": ...}``
  comes back expanded with ``authenticationStrength@odata.context``; properties that disappear when null or
  empty; ``deletedDateTime``, ``templateId``, ``partialEnablementStrategy`` (beta) and ``deviceStates`` (beta)
  always present; ``includeServicePrincipals``/``excludeServicePrincipals`` added to a
  ``clientApplications`` object.
* ``deletedDateTime: null`` in a POST or PATCH body is accepted and ignored: IntuneCD (almenscorner/IntuneCD
  ``update/Intune/ConditionalAccess.py``, ``intunecdlib/IntuneCDBase.py`` ``remove_keys``) sends back what the
  beta GET returned less ``id``, ``createdDateTime``, ``modifiedDateTime`` and ``templateId``, so its bodies carry
  ``"deletedDateTime": null``, and it has created and updated policies on real Graph that way since 2022
  ([code], no captured exchange; ``behavior.md`` section 16 (ii) found no thread either way). A non-null value
  is still a 1007; ``templateId`` stays 1118 even as null (Azure-Samples#20).
* Server defaults (empty arrays, nulls, ``clientAppTypes: ["all"]``) as the documented POST responses show,
  completed with the newer properties the 2025 GET responses carry.

The stored form (what ``create_policy``/``update_policy`` return) keeps everything any version accepted, with
``grantControls.authenticationStrength`` as a ``{"id": ...}`` reference; ``render_policy`` projects it onto
one version's shape.
"""

import copy
import uuid
from datetime import datetime, timezone

from tenantguard_sandbox.validation import workloads
from tenantguard_sandbox.validation.authentication_strengths import render_authentication_strength
from tenantguard_sandbox.validation.patching import merge_patch
from tenantguard_sandbox.validation.projection import project
from tenantguard_sandbox.validation.schema import BodyReader, SchemaViolation, is_guid, model
from tenantguard_sandbox.validation.timestamps import ticks_timestamp, utc_now

TYPE = "conditionalAccessPolicy"
GRAPH_ROOT = "https://graph.microsoft.com"

APPROVED_APPLICATION = "approvedApplication"
APPROVED_APPLICATION_RETIRED = datetime(2026, 6, 30, tzinfo=timezone.utc)
MIGRATION_URL = "https://learn.microsoft.com/entra/identity/conditional-access/migrate-approved-client-app"

MFA_TRUSTED_IPS = "00000000-0000-0000-0000-000000000000"
_SPECIAL_USERS = {"all", "none", "guestsorexternalusers", "allagentidusers"}
_SPECIAL_APPLICATIONS = {"all", "none", "office365", "microsoftadminportals", "allagentidresources"}
_SPECIAL_LOCATIONS = {"all", "alltrusted"}
_GUESTS = "guestsorexternalusers"

_MSG_1012 = ("1012: 'applications' condition cannot include both 'includeApplications' and "
             "'includeUserActions'/'includeProtectionLevels'. Please remove one of the conditions.")
_MSG_1040 = "1040: NamedLocation with id {id} does not exist in the directory."
_MSG_1118 = "1118: TemplateId is a read-only field and cannot be updated."
_MSG_GUESTS = "'GuestsOrExternalUsers' cannot be combined with guestOrExternalUsers"
_MSG_APPROVED_NEW = (
    "The 'approvedApplication' grant control (Require approved client app) was retired on June 30, 2026 and "
    "cannot be used in new or edited Conditional Access policies. Use 'compliantApplication' (Require app "
    "protection policy) instead. See " + MIGRATION_URL + ".")
_MSG_APPROVED_READ_ONLY = (
    "This Conditional Access policy uses the retired 'approvedApplication' grant control (Require approved "
    "client app) and has been read-only since June 30, 2026: it can only be disabled or deleted. Create a "
    "replacement policy that uses 'compliantApplication' (Require app protection policy). See "
    + MIGRATION_URL + ".")
_MSG_STRENGTH_MISSING = "AuthenticationStrengthPolicy with id {id} does not exist in the directory."

# Properties that vanish from the stored policy when sent null or empty ([obs] field map, "Removes").
_DROP_WHEN_EMPTY = {
    "conditions": ("insiderRiskLevels", "authenticationFlows", "servicePrincipalRiskLevels", "agentIdRiskLevels"),
    "conditions.applications": ("globalSecureAccess", "networkAccess"),
    "conditions.clientApplications": ("excludeAgentIdServicePrincipals", "agentIdServicePrincipalFilter"),
    "sessionControls": ("globalSecureAccessFilteringProfile",),
}

_USER_ARRAYS = ("includeUsers", "excludeUsers", "includeGroups", "excludeGroups", "includeRoles", "excludeRoles")
_APPLICATION_ARRAYS = ("includeApplications", "excludeApplications", "includeUserActions",
                       "includeAuthenticationContextClassReferences")


def _error_1007(version, detail, target=None):
    return workloads.conditional_access_schema_error(workloads.CONDITIONAL_ACCESS_POLICY, version, detail, target)


def _bad_request(message, detail=None, target=None):
    return workloads.graph_error(400, "BadRequest", message, detail, target)


def _strength_reference(reader, owner, name, navdef, value, path):
    """grantControls.authenticationStrength: null, or an object naming an existing strength by id."""
    if value is None:
        return None
    ref = BodyReader(reader.version, "reference")
    copy_, _actual = ref.read_structured(navdef["type"], value, path, owner, name)
    strength_id = copy_.get("id")
    if not isinstance(strength_id, str) or not strength_id:
        raise SchemaViolation("invalid_value", list(path) + ["id"], navdef["type"], "id", strength_id,
                              "the id of an authentication strength policy, e.g. {\"id\": "
                              "\"00000000-0000-0000-0000-000000000004\"}")
    return {"id": strength_id}


def _read(version, body, op):
    if not isinstance(body, dict):
        raise _error_1007(version, "the body must be a JSON object describing a conditionalAccessPolicy")
    if "deletedDateTime" in body and body["deletedDateTime"] is None:
        # a GET body sent back: the service ignores the null (module docstring, IntuneCD)
        body = {k: v for k, v in body.items() if k != "deletedDateTime"}
    reader = BodyReader(version, op, tolerated=workloads.tolerated_properties(workloads.CONDITIONAL_ACCESS_POLICY,
                                                                             version),
                        navigation=_strength_reference)
    try:
        policy, _actual = reader.read_structured(TYPE, body)
    except SchemaViolation as violation:
        raise _error_1007(version, violation.detail, violation.path_text()) from None
    policy.pop("@odata.type", None)
    return policy


def _get(obj, dotted):
    for key in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _check_required(version, policy):
    for key in ("displayName", "state", "conditions"):
        if policy.get(key) in (None, ""):
            raise _error_1007(version, "%s is required" % key, key)
    for key in ("users", "applications"):
        if not isinstance(policy["conditions"].get(key), dict):
            raise _error_1007(version, "conditions.%s is required (an object)" % key, "conditions." + key)


def _check_ids(version, policy):
    """Malformed object ids are a schema mismatch; the special values are accepted (behavior.md section 5)."""
    conditions = policy["conditions"]

    def check(dotted, values, specials, what):
        for index, value in enumerate(values or []):
            if value.lower() in specials or is_guid(value):
                continue
            raise _error_1007(version, "%s[%d]: %r is not a GUID; expected %s" % (dotted, index, value, what),
                              "%s[%d]" % (dotted, index))

    users = conditions.get("users") or {}
    for key in ("includeUsers", "excludeUsers"):
        check("conditions.users." + key, users.get(key), _SPECIAL_USERS,
              "a user id or All, None, GuestsOrExternalUsers, AllAgentIdUsers")
    for key in ("includeGroups", "excludeGroups"):
        check("conditions.users." + key, users.get(key), (), "a group id")
    for key in ("includeRoles", "excludeRoles"):
        check("conditions.users." + key, users.get(key), (), "a directory role template id")
    applications = conditions.get("applications") or {}
    for key in ("includeApplications", "excludeApplications"):
        check("conditions.applications." + key, applications.get(key), _SPECIAL_APPLICATIONS,
              "an application (client) id or All, None, Office365, MicrosoftAdminPortals")
    for index, action in enumerate(applications.get("includeUserActions") or []):
        if not action.lower().startswith("urn:user:"):
            raise _error_1007(version, "conditions.applications.includeUserActions[%d]: %r; expected a user action "
                              "such as urn:user:registersecurityinfo or urn:user:registerdevice" % (index, action),
                              "conditions.applications.includeUserActions[%d]" % index)
    locations = conditions.get("locations") or {}
    for key in ("includeLocations", "excludeLocations"):
        check("conditions.locations." + key, locations.get(key), _SPECIAL_LOCATIONS,
              "a named location id or All, AllTrusted")
    grant = policy.get("grantControls") or {}
    check("grantControls.termsOfUse", grant.get("termsOfUse"), (), "a terms of use agreement id")


def _uses_approved_application(policy):
    return APPROVED_APPLICATION in ((policy.get("grantControls") or {}).get("builtInControls") or [])


def _check_rules(version, policy, now, named_location_exists, authentication_strength_exists):
    conditions = policy["conditions"]
    if _uses_approved_application(policy) and now >= APPROVED_APPLICATION_RETIRED:
        raise _bad_request(_MSG_APPROVED_NEW, "grantControls.builtInControls contains 'approvedApplication', "
                           "retired on 2026-06-30; use 'compliantApplication'", "grantControls.builtInControls")
    applications = conditions["applications"]
    if applications.get("includeApplications") and (
            applications.get("includeUserActions") or applications.get("includeAuthenticationContextClassReferences")):
        raise _bad_request(_MSG_1012, "conditions.applications: includeApplications cannot be combined with "
                           "includeUserActions or includeAuthenticationContextClassReferences",
                           "conditions.applications")
    users = conditions["users"]
    for side in ("include", "exclude"):
        names = [u.lower() for u in users.get(side + "Users") or []]
        if _GUESTS in names and users.get(side + "GuestsOrExternalUsers") is not None:
            raise _bad_request(_MSG_GUESTS, "conditions.users.%sUsers contains 'GuestsOrExternalUsers' and "
                               "%sGuestsOrExternalUsers is set; use one or the other" % (side, side),
                               "conditions.users.%sGuestsOrExternalUsers" % side)
    locations = conditions.get("locations") or {}
    if named_location_exists is not None:
        for key in ("includeLocations", "excludeLocations"):
            for value in locations.get(key) or []:
                if value.lower() in _SPECIAL_LOCATIONS or value == MFA_TRUSTED_IPS:
                    continue
                if not named_location_exists(value):
                    raise _bad_request(_MSG_1040.format(id=value), "conditions.locations.%s: no named location "
                                       "has id %s" % (key, value), "conditions.locations." + key)
    strength = (policy.get("grantControls") or {}).get("authenticationStrength")
    if strength is not None and authentication_strength_exists is not None:
        if not authentication_strength_exists(strength["id"]):
            raise _bad_request(_MSG_STRENGTH_MISSING.format(id=strength["id"]),
                               "grantControls.authenticationStrength.id: no authentication strength policy has id "
                               "%s" % strength["id"], "grantControls.authenticationStrength.id")


def _control_count(grant):
    return (len(grant.get("builtInControls") or []) + len(grant.get("customAuthenticationFactors") or [])
            + len(grant.get("termsOfUse") or []) + (1 if grant.get("authenticationStrength") else 0))


def _normalise_grant(version, grant):
    if grant is None:
        return None
    operator = grant.get("operator")
    if operator is not None:
        if operator.upper() not in ("AND", "OR"):
            raise _error_1007(version, "grantControls.operator: %r; expected AND or OR" % operator,
                              "grantControls.operator")
        operator = operator.upper()
    if operator is not None and _control_count(grant) <= 1:
        operator = "OR"  # one control is satisfied alone: the service stores OR ([obs] field map)
    out = {"operator": operator}
    for key in ("builtInControls", "customAuthenticationFactors", "termsOfUse"):
        out[key] = list(grant.get(key) or [])
    out["authenticationStrength"] = grant.get("authenticationStrength")
    for key, value in grant.items():
        out.setdefault(key, value)
    return out


def _with_defaults(policy):
    """Fill the server defaults and drop what the service drops; returns the stored form."""
    conditions = dict(policy["conditions"])
    conditions.setdefault("userRiskLevels", [])
    conditions.setdefault("signInRiskLevels", [])
    conditions.setdefault("clientAppTypes", ["all"])
    for key in ("platforms", "locations", "deviceStates", "devices", "clientApplications"):
        conditions.setdefault(key, None)
    applications = dict(conditions["applications"])
    for key in _APPLICATION_ARRAYS:
        applications.setdefault(key, [])
    applications.setdefault("applicationFilter", None)
    conditions["applications"] = applications
    users = dict(conditions["users"])
    for key in _USER_ARRAYS:
        users.setdefault(key, [])
    users.setdefault("includeGuestsOrExternalUsers", None)
    users.setdefault("excludeGuestsOrExternalUsers", None)
    conditions["users"] = users
    if isinstance(conditions.get("locations"), dict):
        conditions["locations"] = dict({"includeLocations": [], "excludeLocations": []}, **conditions["locations"])
    if isinstance(conditions.get("platforms"), dict):
        conditions["platforms"] = dict({"includePlatforms": [], "excludePlatforms": []}, **conditions["platforms"])
    if isinstance(conditions.get("clientApplications"), dict):
        conditions["clientApplications"] = dict({"includeServicePrincipals": [], "excludeServicePrincipals": []},
                                                **conditions["clientApplications"])
    stored = dict(policy)
    stored["conditions"] = conditions
    for dotted, keys in _DROP_WHEN_EMPTY.items():
        parent = _get(stored, dotted)
        if isinstance(parent, dict):
            for key in keys:
                if key in parent and parent[key] in (None, [], ""):
                    del parent[key]
    stored.setdefault("templateId", None)
    stored.setdefault("deletedDateTime", None)
    stored.setdefault("partialEnablementStrategy", None)
    stored.setdefault("sessionControls", None)
    stored.setdefault("grantControls", None)
    return stored


def _finish(version, policy, now, named_location_exists, authentication_strength_exists):
    _check_required(version, policy)
    _check_ids(version, policy)
    policy = dict(policy)
    policy["grantControls"] = _normalise_grant(version, policy.get("grantControls"))
    _check_rules(version, policy, now, named_location_exists, authentication_strength_exists)
    return _with_defaults(policy)


def create_policy(version, body, *, named_location_exists=None, authentication_strength_exists=None, now=None,
                  new_id=None):
    """Accept a POST /identity/conditionalAccess/policies body as Graph does; return the stored policy.

    ``named_location_exists(id) -> bool`` enables the 1040 check and ``authentication_strength_exists(id)
    -> bool`` the check of ``grantControls.authenticationStrength``. ``now`` (aware datetime, default the
    current time) decides whether ``approvedApplication`` is already retired. The stored policy gets a new
    GUID ``id`` (or ``new_id``), ``createdDateTime`` now and ``modifiedDateTime`` null.

    ``templateId`` in a create: v1.0 declares it (and the 1118 rule says only that it "cannot be updated"),
    so a v1.0 POST may carry it (null or a template GUID) and the policy keeps it; the beta schema does not
    declare it, so on beta only a null value is tolerated (as the service tolerates properties its own GET
    responses carry) and anything else is a 1007 schema mismatch.

    Raises ``GraphHTTPError`` (400) as described in the module docstring.
    """
    moment = utc_now(now)
    policy = _read(version, body, "create")
    if version == "v1.0" and policy.get("templateId") is not None and not is_guid(policy["templateId"]):
        raise _error_1007(version, "templateId: %r is not a template id (GUID)" % policy["templateId"], "templateId")
    stored = _finish(version, policy, moment, named_location_exists, authentication_strength_exists)
    stored["id"] = new_id or str(uuid.uuid4())
    stored["createdDateTime"] = ticks_timestamp(moment)
    stored["modifiedDateTime"] = None
    return stored


def update_policy(version, stored, patch, *, named_location_exists=None, authentication_strength_exists=None,
                  now=None):
    """Apply a PATCH /identity/conditionalAccess/policies/{id} body as Graph does; return the new stored policy.

    PATCH semantics (``patching.py``): properties left out keep their value; a complex value (``conditions``,
    ``conditions.users``, ``grantControls``, ``sessionControls``, ...) is merged into the stored one property
    by property, because the documented example PATCH ``{"conditions": {"signInRiskLevels": [...]}}`` only
    works that way; collections, nulls and the ``authenticationStrength`` reference replace whole. The merged
    policy then passes the same checks and rewrites as a create.

    ``templateId`` anywhere in the body, even null, is 1118. ``deletedDateTime: null`` is ignored (a client
    sending back what GET returned, see the module docstring). Other read-only properties (``id``,
    ``createdDateTime``, ``modifiedDateTime``, a non-null ``deletedDateTime``) are a 1007 schema mismatch: no
    source shows what the service does with them, and the documented advice is to strip them. A policy that still uses the
    retired ``approvedApplication`` accepts only ``{"state": "disabled"}``. Sets ``modifiedDateTime``.
    """
    moment = utc_now(now)
    if isinstance(patch, dict) and "templateId" in patch:
        raise _bad_request(_MSG_1118, "templateId is read-only: leave it out of a PATCH (even as null)", "templateId")
    changes = _read(version, patch, "update")
    if _uses_approved_application(stored) and moment >= APPROVED_APPLICATION_RETIRED:
        meaningful = {k: v for k, v in changes.items()}
        if set(meaningful) != {"state"} or meaningful["state"] != "disabled":
            raise _bad_request(_MSG_APPROVED_READ_ONLY, "policy %s uses 'approvedApplication': only "
                               "{\"state\": \"disabled\"} is accepted" % stored.get("id"), "grantControls")
        result = copy.deepcopy(stored)
        result["state"] = "disabled"
        result["modifiedDateTime"] = ticks_timestamp(moment)
        return result
    merged = merge_patch(_strip_server_fields(stored), changes, replace=("grantControls.authenticationStrength",))
    result = _finish(version, merged, moment, named_location_exists, authentication_strength_exists)
    for key in ("id", "createdDateTime", "templateId", "deletedDateTime", "partialEnablementStrategy"):
        result[key] = stored.get(key)
    result["modifiedDateTime"] = ticks_timestamp(moment)
    return result


def _strip_server_fields(stored):
    return {k: v for k, v in stored.items()
            if k not in ("id", "createdDateTime", "modifiedDateTime", "templateId", "deletedDateTime",
                         "partialEnablementStrategy")}


_CONDITION_ORDER = ("userRiskLevels", "signInRiskLevels", "clientAppTypes", "platforms", "locations", "times",
                    "deviceStates", "devices", "clientApplications", "applications", "users")
_APPLICATION_ORDER = _APPLICATION_ARRAYS + ("applicationFilter",)
_USER_ORDER = _USER_ARRAYS + ("includeGuestsOrExternalUsers", "excludeGuestsOrExternalUsers")


def _ordered(mapping, order):
    out = {key: mapping[key] for key in order if key in mapping}
    out.update((key, value) for key, value in mapping.items() if key not in out)
    return out


def policy_context(version, service_root=GRAPH_ROOT):
    return "%s/%s/$metadata#identity/conditionalAccess/policies/$entity" % (service_root, version)


def render_policy(version, stored, strengths_by_id, *, service_root=GRAPH_ROOT, with_context=True):
    """The policy as GET (and the POST response) returns it for ``version``.

    Projects the stored policy onto the version's schema (beta-only properties vanish on v1.0), adds
    ``conditions.times: null`` (both versions) and ``partialEnablementStrategy``/``conditions.deviceStates``
    (beta only), and expands ``grantControls.authenticationStrength`` to the full strength from
    ``strengths_by_id`` (id -> stored strength) with ``authenticationStrength@odata.context``. A reference to
    a strength that no longer exists renders as null. ``with_context`` adds the entity's ``@odata.context``
    (leave it out for the items of a collection).
    """
    m = model(version)
    policy_id = stored.get("id")
    out = {}
    if with_context:
        out["@odata.context"] = policy_context(version, service_root)
    out["id"] = policy_id
    out["templateId"] = stored.get("templateId")
    out["displayName"] = stored.get("displayName")
    if stored.get("description") is not None:
        out["description"] = stored["description"]
    out["createdDateTime"] = stored.get("createdDateTime")
    out["modifiedDateTime"] = stored.get("modifiedDateTime")
    out["state"] = stored.get("state")
    out["deletedDateTime"] = stored.get("deletedDateTime")
    if version == "beta":
        out["partialEnablementStrategy"] = stored.get("partialEnablementStrategy")
    out["sessionControls"] = project(version, "conditionalAccessSessionControls", stored.get("sessionControls"))

    conditions = project(version, "conditionalAccessConditionSet", stored["conditions"])
    conditions["times"] = None
    if "deviceStates" in m.properties("conditionalAccessConditionSet"):
        conditions.setdefault("deviceStates", None)
    conditions["applications"] = _ordered(conditions["applications"], _APPLICATION_ORDER)
    conditions["users"] = _ordered(conditions["users"], _USER_ORDER)
    out["conditions"] = _ordered(conditions, _CONDITION_ORDER)

    grant = stored.get("grantControls")
    if grant is None:
        out["grantControls"] = None
    else:
        rendered = project(version, "conditionalAccessGrantControls", {k: v for k, v in grant.items()
                                                                        if k != "authenticationStrength"})
        base = "%s/%s/$metadata#identity/conditionalAccess/policies('%s')/grantControls/authenticationStrength" % (
            service_root, version, policy_id)
        rendered["authenticationStrength@odata.context"] = base + "/$entity"
        reference = grant.get("authenticationStrength")
        strength = strengths_by_id.get(reference["id"]) if reference else None
        rendered["authenticationStrength"] = (
            render_authentication_strength(version, strength, with_context=False,
                                           combinations_context=base + "/combinationConfigurations")
            if strength is not None else None)
        out["grantControls"] = _ordered(rendered, ("operator", "builtInControls", "customAuthenticationFactors",
                                                   "termsOfUse"))
    return out
