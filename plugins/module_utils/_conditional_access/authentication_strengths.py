# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: authentication strength options <-> Graph ``authenticationStrengthPolicy`` bodies.

Not a public API. What Graph does with these policies (``/policies/authenticationStrengthPolicies``):

* POST creates a custom strength (201); ``policyType``, ``requirementsSatisfied`` and
  ``combinationConfigurations`` are set by the service.
* PATCH (204) changes only ``displayName`` and ``description``; the allowed combinations change
  through ``POST .../{id}/updateAllowedCombinations`` (200), which replaces the whole list.
* The three built-in strengths (``policyType: builtIn``, ids ``00000000-0000-0000-0000-00000000000{2,3,4}``)
  cannot be changed or deleted.
* ``allowedCombinations`` is a collection of ``authenticationMethodModes`` flags values: each
  combination is a comma-separated list of modes, sent as ``"password, sms"`` and returned as
  ``"password,sms"`` (spaces, case and order normalised).

Normalisation: read-only and server fields (``id``, ``createdDateTime``, ``modifiedDateTime``,
``policyType``, ``requirementsSatisfied``, ``combinationConfigurations``, ``@odata.*``) do not
count; combinations compare as a set of sets of modes (``"sms, Password"`` equals
``"password,sms"``); a null, empty and absent ``description`` are the same.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption,
    ResourceType,
    Write,
    option_field,
    without_annotations,
)

COLLECTION = "/policies/authenticationStrengthPolicies"
BUILT_IN = "builtIn"
POLICY_TYPES = ("builtIn", "custom")
SERVER_FIELDS = ("id", "createdDateTime", "modifiedDateTime", "deletedDateTime", "policyType",
                 "requirementsSatisfied", "combinationConfigurations")
# Members of the flags enum authenticationMethodModes in declaration order (Graph v1.0 CSDL,
# msgraph-metadata@f54f11b6; the beta member set is the same), without unknownFutureValue.
METHOD_MODES = (
    "password", "voice", "hardwareOath", "softwareOath", "sms", "fido2", "windowsHelloForBusiness",
    "microsoftAuthenticatorPush", "deviceBasedPush", "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse",
    "email", "x509CertificateSingleFactor", "x509CertificateMultiFactor", "federatedSingleFactor",
    "federatedMultiFactor", "qrCodePin",
)
_MODE_BY_FOLDED = dict((mode.lower(), mode) for mode in METHOD_MODES)
COMBINATION_EXAMPLES = ("combinations of authentication method modes joined by commas, such as 'fido2' or "
                        "'password,microsoftAuthenticatorPush'; the modes are %s (any case)" % ", ".join(METHOD_MODES))


def object_options():
    """The argument spec of one authentication strength (``state`` aside)."""
    return dict(
        display_name=dict(type="str"),
        id=dict(type="str"),
        description=dict(type="str"),
        allowed_combinations=dict(type="list", elements="str"),
    )


def canonical_combination(value, field=None):
    """Graph's form of one combination: known modes in declaration order, Graph's case, no spaces.

    With ``field``, an unknown or empty mode raises InvalidOption; without, unknown modes are kept
    (lower-cased, after the known ones) so that comparing never loses them."""
    tokens = [t.strip() for t in str(value if value is not None else "").split(",")]
    known, unknown = set(), set()
    for token in tokens:
        mode = _MODE_BY_FOLDED.get(token.lower())
        if mode is not None:
            known.add(mode)
        elif field is not None:
            problem = "has an empty mode" if not token else "%r is not an authentication method mode" % token
            raise InvalidOption(field, problem, value, accepted=COMBINATION_EXAMPLES)
        elif token:
            unknown.add(token.lower())
    return ",".join([m for m in METHOD_MODES if m in known] + sorted(unknown))


def combination_set(values):
    """The combinations as a sorted list without duplicates, each in canonical form."""
    out = []
    for value in values or ():
        combination = canonical_combination(value)
        if combination not in out:
            out.append(combination)
    return sorted(out)


def options_to_graph(params, field=""):
    """The Graph body for the options given (None = not managed). Raises InvalidOption."""
    body = {}
    name = params.get("display_name")
    if name is not None:
        if not str(name).strip():
            raise InvalidOption(option_field(field, "display_name"), "is empty", name, accepted="a non-empty name")
        body["displayName"] = name
    if params.get("description") is not None:
        body["description"] = params["description"] or None
    combinations = params.get("allowed_combinations")
    if combinations is not None:
        if not combinations:
            raise InvalidOption(option_field(field, "allowed_combinations"), "is empty; a strength needs at least one "
                                "combination", combinations, accepted=COMBINATION_EXAMPLES)
        values = []
        for index, value in enumerate(combinations):
            combination = canonical_combination(value, "%s[%d]" % (option_field(field, "allowed_combinations"), index))
            if combination not in values:
                values.append(combination)
        body["allowedCombinations"] = values
    return body


def graph_to_options(policy):
    """The options that recreate a strength read from Graph (the ``params`` of the info module)."""
    policy = policy or {}
    params = {"display_name": policy.get("displayName"),
              "allowed_combinations": [canonical_combination(c) for c in policy.get("allowedCombinations") or []]}
    if policy.get("description"):
        params["description"] = policy["description"]
    return params


def normalise(body):
    """The comparable form of a strength (desired, predicted or as read)."""
    out = without_annotations(body or {}, keep=())
    for name in SERVER_FIELDS:
        out.pop(name, None)
    if not out.get("description"):
        out.pop("description", None)
    if "allowedCombinations" in out:
        out["allowedCombinations"] = combination_set(out["allowedCombinations"])
        if not out["allowedCombinations"]:
            del out["allowedCombinations"]
    return out


def is_built_in(policy):
    return str((policy or {}).get("policyType") or "").lower() == BUILT_IN.lower()


class AuthenticationStrengthType(ResourceType):
    """Authentication strength policies for the resource engine."""

    noun = "authentication strength"
    collection = COLLECTION
    result_key = "authentication_strength_policy"
    list_key = "authentication_strength_policies"
    read_only_fields = SERVER_FIELDS

    def normalise(self, body):
        return normalise(body)

    def check_create(self, desired, field=""):
        super().check_create(desired, field)
        if not desired.get("allowedCombinations"):
            raise InvalidOption(option_field(field, "allowed_combinations"),
                                "is required to create authentication strength %r" % desired.get("displayName"),
                                accepted=COMBINATION_EXAMPLES)

    def protected(self, obj):
        if is_built_in(obj):
            return ("it is built in, and Graph does not let built-in authentication strengths be changed or deleted; "
                    "create a custom strength with another display name instead")
        return None

    def create_body(self, desired):
        body = dict((k, copy.deepcopy(v)) for k, v in desired.items() if v is not None)
        return body

    def predict_created(self, body):
        predicted = copy.deepcopy(body)
        predicted["policyType"] = "custom"
        return predicted

    def update_writes(self, current, desired):
        before = normalise(current)
        after = normalise(self.merge(current, desired))
        writes = []
        patch = {}
        for key in ("displayName", "description"):
            if key in desired and before.get(key) != after.get(key):
                patch[key] = desired[key]
        if patch:
            writes.append(Write("PATCH", patch))
        if before.get("allowedCombinations") != after.get("allowedCombinations"):
            # Only this action changes the combinations; it replaces the list, so repeating it is harmless.
            writes.append(Write("POST", {"allowedCombinations": list(desired["allowedCombinations"])},
                                suffix="/updateAllowedCombinations", idempotent=True))
        return writes

    def display(self, body):
        params = graph_to_options(body)
        params["allowed_combinations"] = sorted(params["allowed_combinations"])
        if is_built_in(body):
            params["policy_type"] = BUILT_IN
        return params


__all__ = ("AuthenticationStrengthType", "METHOD_MODES", "POLICY_TYPES", "canonical_combination",
           "graph_to_options", "is_built_in", "normalise", "object_options", "options_to_graph")
