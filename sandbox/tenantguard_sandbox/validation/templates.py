"""Microsoft's built-in conditional access templates (``GET /identity/conditionalAccess/templates``).

Templates are read-only (GET only per the CSDL capability annotations and the Kiota request builders).
``data/conditional_access_templates.json`` holds the 21 templates of a live beta response, each as the
settings that differ from the defaults every template shares; this module rebuilds the full ``details``:

* beta: the shape of that live response (``agentIdRiskLevels``, ``insiderRiskLevels``, ``clients``,
  ``authenticationFlows``, ``globalSecureAccess``, ``authenticationStrength@odata.context``, ...);
* v1.0: the shape of the documented v1.0 example (``conditionalaccessroot-list-templates`` @ ``09a02445``:
  ``signInRiskDetections``, ``networkAccess``, no ``authenticationStrength@odata.context``), without the
  templates the v1.0 model cannot express (scenario ``aiAgents``, grant control ``verifiedID``).

Where the documented v1.0 example and the live response differ (the wording of two descriptions, the example
listing only 2 of the 14 admin roles because it is truncated), the live response is followed.
Authentication strengths referenced by a template are expanded from ``builtin_authentication_strengths``.
"""

import copy
import functools
import json
from importlib import resources

from tenantguard_sandbox.validation.authentication_strengths import (
    builtin_authentication_strengths, render_authentication_strength)
from tenantguard_sandbox.validation.projection import project
from tenantguard_sandbox.validation.schema import model

GRAPH_ROOT = "https://graph.microsoft.com"
PLACEHOLDER_EXCLUDED_USER = "Current administrator will be excluded"

_BETA_CONDITIONS = {
    "userRiskLevels": [], "signInRiskLevels": [], "clientAppTypes": ["all"], "servicePrincipalRiskLevels": [],
    "agentIdRiskLevels": None, "insiderRiskLevels": None, "clients": None, "platforms": None, "locations": None,
    "times": None, "deviceStates": None, "devices": None, "clientApplications": None, "authenticationFlows": None,
    "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": [],
                     "includeAuthenticationContextClassReferences": [], "applicationFilter": None,
                     "networkAccess": None, "globalSecureAccess": None},
    "users": {"includeUsers": [], "excludeUsers": [PLACEHOLDER_EXCLUDED_USER], "includeGroups": [],
              "excludeGroups": [], "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": None,
              "excludeGuestsOrExternalUsers": None},
}
_BETA_GRANT = {"operator": "OR", "builtInControls": [], "customAuthenticationFactors": [], "termsOfUse": [],
               "authenticationStrength": None}
_BETA_SESSION = {"disableResilienceDefaults": None, "applicationEnforcedRestrictions": None,
                 "cloudAppSecurity": None, "persistentBrowser": None, "continuousAccessEvaluation": None,
                 "secureSignInSession": None, "networkAccessSecurity": None,
                 "globalSecureAccessFilteringProfile": None, "signInFrequency": None}

_V1_CONDITION_KEYS = ("userRiskLevels", "signInRiskLevels", "clientAppTypes", "servicePrincipalRiskLevels",
                      "platforms", "locations", "signInRiskDetections", "times", "deviceStates", "devices",
                      "clientApplications", "applications", "users")
_V1_APPLICATION_KEYS = ("includeApplications", "excludeApplications", "includeUserActions",
                        "includeAuthenticationContextClassReferences", "applicationFilter", "networkAccess")


@functools.lru_cache(maxsize=None)
def _data():
    source = resources.files("tenantguard_sandbox").joinpath("data", "conditional_access_templates.json")
    with source.open("r", encoding="utf-8") as handle:
        return json.load(handle)["templates"]


def _overlay(base, delta):
    out = copy.deepcopy(base)
    for key, value in delta.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _beta_details(delta):
    details = {"sessionControls": None, "conditions": _overlay(_BETA_CONDITIONS, delta.get("conditions", {}))}
    grant = delta.get("grantControls", {})
    details["grantControls"] = None if grant is None else _overlay(_BETA_GRANT, grant)
    if delta.get("sessionControls") is not None:
        details["sessionControls"] = _overlay(_BETA_SESSION, delta["sessionControls"])
    return details


def _v1_details(beta):
    m = model("v1.0")
    declared = m.properties("conditionalAccessConditionSet")
    source = beta["conditions"]
    conditions = {}
    for key in _V1_CONDITION_KEYS:
        conditions[key] = source.get(key)
    for key, value in source.items():
        if key in declared and key not in conditions and value is not None:
            conditions[key] = value
    applications = source["applications"]
    conditions["applications"] = {key: applications.get(key) for key in _V1_APPLICATION_KEYS}
    conditions["users"] = project("v1.0", "conditionalAccessUsers", source["users"])
    for key in ("platforms", "locations", "devices", "clientApplications"):
        if conditions[key] is not None:
            conditions[key] = project("v1.0", declared[key]["type"], conditions[key])
    grant = beta["grantControls"]
    if grant is not None:
        grant = {key: grant[key] for key in ("operator", "builtInControls", "customAuthenticationFactors",
                                              "termsOfUse", "authenticationStrength")}
    return {"sessionControls": project("v1.0", "conditionalAccessSessionControls", beta["sessionControls"]),
            "conditions": conditions, "grantControls": grant}


def builtin_templates(version="v1.0", *, service_root=GRAPH_ROOT):
    """Microsoft's conditional access templates as ``GET /identity/conditionalAccess/templates`` lists them
    for ``version`` (the items of ``value``, without ``@odata.context``)."""
    strengths = {s["id"]: s for s in builtin_authentication_strengths()}
    out = []
    for entry in _data():
        if version == "v1.0" and entry.get("betaOnly"):
            continue
        details = _beta_details(entry["details"])
        if version == "v1.0":
            details = _v1_details(details)
        grant = details["grantControls"]
        if grant is not None:
            base = "%s/%s/$metadata#conditionalAccess/templates('%s')/details/grantControls/authenticationStrength" % (
                service_root, version, entry["id"])
            reference = grant.pop("authenticationStrength")
            if version == "beta":
                grant["authenticationStrength@odata.context"] = base + "/$entity"
            grant["authenticationStrength"] = None if reference is None else render_authentication_strength(
                version, strengths[reference["id"]], with_context=False,
                combinations_context=base + "/combinationConfigurations")
        out.append({"name": entry["name"], "description": entry["description"], "id": entry["id"],
                    "scenarios": entry["scenarios"], "details": details})
    return out

