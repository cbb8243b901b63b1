"""Authentication strength policies (``/policies/authenticationStrengthPolicies``): rules, results, shapes.

Sources (``behavior.md`` sections 4 and 9, ``examples/authentication_strengths``):

* POST returns 201 with ``policyType: "custom"``, ``requirementsSatisfied: "mfa"``, ``combinationConfigurations:
  []`` and equal ``createdDateTime``/``modifiedDateTime`` (authenticationstrengthroot-post-policies, v1.0
  @ ``073a3963``, beta @ ``02ecaf40``).
* PATCH returns 204 and "only displayName and description can be updated" (authenticationstrengthpolicy-update
  @ ``073a3963``); the allowed combinations change through ``updateAllowedCombinations``, which answers 200
  with an ``updateAllowedCombinationsResult`` (@ ``09455a65``).
* ``authenticationMethodModes`` is a flags enum used as a collection: each combination is one comma list,
  sent as ``"password, sms"`` and returned as ``"password,sms"`` (whitespace, case and order normalised).
* The three built-in strengths have fixed ids ``00000000-0000-0000-0000-00000000000{2,3,4}`` and
  ``policyType: "builtIn"``; they cannot be changed.

The service behind these paths deserialises with the stock OData reader, so a body it cannot read is answered
``RequestBodyRead`` (``workloads.py``). The wording of the rule errors (read-only property, built-in policy,
missing required property) is not in any source; they are modelled on Graph's error shape.
"""

import copy
import functools
import json
import uuid
from importlib import resources

from tenantguard_sandbox.validation import workloads
from tenantguard_sandbox.validation.schema import BodyReader, SchemaViolation, normalise_enum
from tenantguard_sandbox.validation.timestamps import seconds_timestamp, utc_now

TYPE = "authenticationStrengthPolicy"
GRAPH_ROOT = "https://graph.microsoft.com"
_MODES = "authenticationMethodModes"
_SERVER_SET = ("policyType", "requirementsSatisfied", "createdDateTime", "modifiedDateTime")
_UPDATABLE = ("displayName", "description")
_LOWERED_NOTICE = (
    "You have lowered the security of the {name} authentication strength by adding a lower security combination. "
    "This Authentication Strength is referenced by one or more Conditional Access policies. Review "
    "conditionalAccessReferences to understand which Conditional Access policies were impacted by this change. "
    "To reverse your changes back, use updateAllowedCombinations action with the previousCombinations values.")


@functools.lru_cache(maxsize=None)
def _builtin_data():
    source = resources.files("tenantguard_sandbox").joinpath("data", "authentication_strengths.json")
    with source.open("r", encoding="utf-8") as handle:
        return json.load(handle)["policies"]


def builtin_authentication_strengths():
    """Microsoft's three built-in strengths, in the stored form, with their real ids and combinations."""
    return [dict(copy.deepcopy(p), combinationConfigurations=[]) for p in _builtin_data()]


def _mfa_combinations():
    multifactor = next(p for p in _builtin_data() if p["id"] == "00000000-0000-0000-0000-000000000002")
    return frozenset(multifactor["allowedCombinations"])


def _odata_error(version, violation):
    return workloads.schema_error(workloads.ODATA, version, TYPE, violation)


def _read(version, body, op):
    if not isinstance(body, dict):
        raise workloads.graph_error(400, "RequestBodyRead", "The request body must be a JSON object.",
                                    "the body must be a JSON object describing an authenticationStrengthPolicy")
    for key in _SERVER_SET + ("combinationConfigurations",):
        if key in body:
            raise _odata_error(version, SchemaViolation("read_only", [key], TYPE, key, body[key],
                                                        "the property left out (the service sets it)"))
    try:
        policy, _actual = BodyReader(version, op).read_structured(TYPE, body)
    except SchemaViolation as violation:
        raise _odata_error(version, violation) from None
    policy.pop("@odata.type", None)
    return policy


def _combinations(values):
    unique = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return unique


def _required(message_property, detail):
    return workloads.graph_error(
        400, "BadRequest", "The property '%s' is required to create an authentication strength policy."
        % message_property, detail, message_property)


def create_authentication_strength(version, body, *, now=None, new_id=None):
    """Accept a POST /policies/authenticationStrengthPolicies body; return the stored (custom) strength."""
    moment = utc_now(now)
    policy = _read(version, body, "create")
    if not policy.get("displayName"):
        raise _required("displayName", "displayName is required (a non-empty string)")
    combinations = _combinations(policy.get("allowedCombinations") or [])
    if not combinations:
        raise _required("allowedCombinations", "allowedCombinations is required: one or more combinations of "
                        "authentication method modes, e.g. [\"fido2\", \"password,microsoftAuthenticatorPush\"]")
    stamp = seconds_timestamp(moment)
    return {
        "id": new_id or str(uuid.uuid4()),
        "createdDateTime": stamp,
        "modifiedDateTime": stamp,
        "displayName": policy["displayName"],
        "description": policy.get("description"),
        "policyType": "custom",
        "requirementsSatisfied": _requirements(combinations),
        "allowedCombinations": combinations,
        "combinationConfigurations": [],
    }


def _requirements(combinations):
    """``mfa`` when every combination is one the built-in "Multifactor authentication" strength accepts."""
    return "mfa" if set(combinations) <= _mfa_combinations() else "none"


def _refuse_builtin(stored):
    if stored.get("policyType") == "builtIn":
        raise workloads.graph_error(
            400, "BadRequest", "Built-in authentication strength policies cannot be modified.",
            "authentication strength %s (%s) is built in and read-only; create a custom strength instead"
            % (stored.get("id"), stored.get("displayName")), "id")


def update_authentication_strength(version, stored, patch, *, now=None):
    """Apply a PATCH: only ``displayName`` and ``description`` may change. Returns the new stored strength."""
    _refuse_builtin(stored)
    if isinstance(patch, dict):
        for key in patch:
            if key not in _UPDATABLE and key != "@odata.type" and "@" not in key:
                raise workloads.graph_error(
                    400, "BadRequest", "Only displayName and description can be updated on an authentication "
                    "strength policy.", "%s cannot be changed by PATCH%s" % (
                        key, "; use the updateAllowedCombinations action" if key == "allowedCombinations" else ""),
                    key)
    changes = _read(version, patch, "update")
    if "displayName" in changes and not changes["displayName"]:
        raise _odata_error(version, SchemaViolation("null_not_allowed", ["displayName"], TYPE, "displayName",
                                                    changes["displayName"], "Edm.String[Nullable=False]"))
    result = copy.deepcopy(stored)
    result.update({k: changes[k] for k in _UPDATABLE if k in changes})
    result["modifiedDateTime"] = seconds_timestamp(utc_now(now))
    return result


def update_allowed_combinations(version, stored, body, *, conditional_access_references=(), now=None):
    """POST .../{id}/updateAllowedCombinations: returns ``(new stored strength, updateAllowedCombinationsResult)``.

    ``conditional_access_references`` are the ids of the policies that use this strength; the result lists
    them, with the documented notice in ``additionalInformation`` when the combinations changed under them.
    """
    _refuse_builtin(stored)
    if not isinstance(body, dict):
        raise workloads.graph_error(400, "RequestBodyRead", "The request body must be a JSON object.",
                                    "expected {\"allowedCombinations\": [...]}")
    for key in body:
        if key != "allowedCombinations":
            raise workloads.graph_error(
                400, "RequestBodyRead", "The parameter '%s' in the request payload is not a valid parameter for "
                "the operation 'updateAllowedCombinations'." % key,
                "%s: updateAllowedCombinations takes only allowedCombinations" % key, key)
    values = body.get("allowedCombinations")
    if not isinstance(values, list) or not values:
        raise workloads.graph_error(
            400, "BadRequest", "The parameter 'allowedCombinations' is required.",
            "allowedCombinations: one or more combinations of authentication method modes", "allowedCombinations")
    combinations = []
    for index, value in enumerate(values):
        try:
            combinations.append(normalise_enum(version, _MODES, value))
        except ValueError:
            raise _odata_error(version, SchemaViolation("bad_enum", ["allowedCombinations", index], TYPE,
                                                        "allowedCombinations", value,
                                                        "microsoft.graph.authenticationMethodModes")) from None
    combinations = _combinations(combinations)
    previous = list(stored.get("allowedCombinations") or [])
    result = copy.deepcopy(stored)
    result["allowedCombinations"] = combinations
    result["requirementsSatisfied"] = _requirements(combinations)
    result["modifiedDateTime"] = seconds_timestamp(utc_now(now))
    references = list(conditional_access_references)
    notice = None
    if references and combinations != previous:
        notice = _LOWERED_NOTICE.format(name=stored.get("displayName"))
    outcome = {
        "@odata.type": "#microsoft.graph.updateAllowedCombinationsResult",
        "previousCombinations": previous,
        "currentCombinations": combinations,
        "conditionalAccessReferences": references,
        "additionalInformation": notice,
    }
    return result, outcome


def render_authentication_strength(version, stored, *, service_root=GRAPH_ROOT, with_context=True,
                                   combinations_context=None):
    """The strength as GET returns it (also the shape embedded in an expanded CA policy)."""
    out = {}
    if with_context:
        out["@odata.context"] = "%s/%s/$metadata#policies/authenticationStrengthPolicies/$entity" % (
            service_root, version)
    for key in ("id", "createdDateTime", "modifiedDateTime", "displayName", "description", "policyType",
                "requirementsSatisfied"):
        out[key] = stored.get(key)
    out["allowedCombinations"] = list(stored.get("allowedCombinations") or [])
    out["combinationConfigurations@odata.context"] = combinations_context or (
        "%s/%s/$metadata#policies/authenticationStrengthPolicies('%s')/combinationConfigurations"
        % (service_root, version, stored.get("id")))
    out["combinationConfigurations"] = copy.deepcopy(stored.get("combinationConfigurations") or [])
    return out
