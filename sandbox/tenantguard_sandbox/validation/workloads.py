"""Which Graph service answers for a type, and how that service words a body it cannot read.

Graph is a front for several services and each answers a bad body in its own words
(``behavior.md`` sections 5 and 6, ``examples/errors/``):

* conditional access (policies, named locations): 400 ``BadRequest``
  ``1007: Incoming ConditionalAccessPolicy object is null or does not match the schema of
  ConditionalAccessPolicy type. ...`` whatever the cause (unknown property, wrong JSON type, bad enum,
  unfitting ``@odata.type``), [issue] microsoft-graph-docs-contrib#4162, terraform-provider-azuread#790;
* Intune: 400 ``BadRequest`` ``Property <name> in payload has a value that does not match schema.``,
  [issue] Intune-PowerShell-SDK#4;
* the directory: 400 ``Request_BadRequest``; a polymorphic value without a type gets
  ``A value without a type name was found and no expected type is available. ...``,
  [issue] microsoft-graph-docs-contrib#6272;
* services on the stock OData deserialiser: 400 ``RequestBodyRead`` ``The property 'x' does not exist on type
  'microsoft.graph.y'. Make sure to only use property names that are defined by the type or mark the type as
  open type.``, [issue] msgraph-sdk-dotnet#450; the other reader messages follow the OData library's wording.

Every error raised here carries two extra attributes for the sandbox's own log and for people reading it:
``detail`` (the field, the value and what would be accepted) and ``target`` (the JSON path of the field).
Graph's own ``message`` stays exactly as the service words it.
"""

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation.schema import model

CONDITIONAL_ACCESS_POLICY = "conditionalAccessPolicy"
NAMED_LOCATION = "namedLocation"
INTUNE = "intune"
DIRECTORY = "directory"
ODATA = "odata"

_INTUNE_ROOTS = frozenset({
    "managedAppPolicy", "managedMobileApp", "targetedManagedAppPolicyAssignment", "managedAppPolicyDeploymentSummary",
    "managedDevice", "deviceAppManagement", "deviceManagement", "mobileAppIdentifier",
    "deviceAndAppManagementAssignmentTarget", "keyValuePair", "managedAppPolicyDeploymentSummaryPerApp",
    "roleScopeTag", "roleScopeTagAutoAssignment",
})

_CA_MESSAGE = ("1007: Incoming {name} object is null or does not match the schema of {name} type. "
               "For examples, please see API documentation at "
               "https://docs.microsoft.com/en-us/graph/api/{page}?view=graph-rest-{view}.")
_CA_NAMES = {
    CONDITIONAL_ACCESS_POLICY: ("ConditionalAccessPolicy", "conditionalaccessroot-post-policies"),
    NAMED_LOCATION: ("NamedLocation", "conditionalaccessroot-post-namedlocations"),
}

# Properties the conditional access service accepts with a null or empty value although the published
# schema does not declare them, and drops: the portal sends them ([obs] deploymenttheory/
# terraform-provider-microsoft365 docs/development/conditional_access_field_map.md), and responses carry
# them (behavior.md section 5: times, signInRiskDetections, includeProtectionLevels, deviceStates,
# networkAccess, templateId and partialEnablementStrategy on beta).
_CA_TOLERATED = {
    "v1.0": {
        "conditionalAccessPolicy": {"partialEnablementStrategy"},
        "conditionalAccessConditionSet": {"times", "signInRiskDetections", "clients", "deviceStates",
                                          "agentIdRiskLevels"},
        "conditionalAccessApplications": {"includeProtectionLevels", "networkAccess", "globalSecureAccess"},
        "conditionalAccessSessionControls": {"networkAccessSecurity", "globalSecureAccessFilteringProfile",
                                             "continuousAccessEvaluation"},
    },
    "beta": {
        "conditionalAccessPolicy": {"partialEnablementStrategy", "templateId"},
        "conditionalAccessConditionSet": {"times", "signInRiskDetections", "clients"},
        "conditionalAccessApplications": {"includeProtectionLevels"},
        "conditionalAccessSessionControls": {"networkAccessSecurity"},
    },
}


def graph_error(status, code, message, detail=None, target=None):
    """A ``GraphHTTPError`` with Graph's wording in ``message`` and the sandbox's explanation in ``detail``."""
    error = GraphHTTPError(status, code, message)
    error.detail = detail or message
    error.target = target
    return error


def workload_of(version, type_name):
    """The service that answers for ``type_name``: one of the module constants."""
    chain = model(version).chain(type_name)
    if "conditionalAccessPolicy" in chain or type_name.startswith("conditionalAccess") and \
            type_name not in ("conditionalAccessTemplate", "conditionalAccessRoot"):
        return CONDITIONAL_ACCESS_POLICY
    if NAMED_LOCATION in chain or type_name in ("ipRange", "iPv4CidrRange", "iPv6CidrRange", "iPv4Range",
                                                "iPv6Range"):
        return NAMED_LOCATION
    if any(t in _INTUNE_ROOTS for t in chain):
        return INTUNE
    if "directoryObject" in chain:
        return DIRECTORY
    return ODATA


def tolerated_properties(workload, version):
    if workload in (CONDITIONAL_ACCESS_POLICY, NAMED_LOCATION):
        return _CA_TOLERATED[version]
    return {}


def conditional_access_schema_error(workload, version, detail, target=None):
    """The 1007 answer of the conditional access service for ``workload`` (policy or named location)."""
    name, page = _CA_NAMES[workload]
    view = "1.0" if version == "v1.0" else "beta"
    return graph_error(400, "BadRequest", _CA_MESSAGE.format(name=name, page=page, view=view), detail, target)


def schema_error(workload, version, type_name, violation):
    """Turn a ``SchemaViolation`` into the ``GraphHTTPError`` the service behind ``workload`` answers."""
    detail = violation.detail
    target = violation.path_text()
    if workload in _CA_NAMES:
        return conditional_access_schema_error(workload, version, detail, target)
    if workload == INTUNE:
        top = next((s for s in violation.path if isinstance(s, str) and s != "@odata.type"),
                   violation.prop or type_name)
        return graph_error(400, "BadRequest", "Property %s in payload has a value that does not match schema." % top,
                           detail, target)
    code = "Request_BadRequest" if workload == DIRECTORY else "RequestBodyRead"
    return graph_error(400, code, _odata_message(violation), detail, target)


def _odata_message(violation):
    """The OData library's wording for a body it cannot read."""
    kind = violation.kind
    owner = "microsoft.graph.%s" % violation.type_name
    if kind in ("unknown_property", "undeclared_value"):
        return ("The property '%s' does not exist on type '%s'. Make sure to only use property names that are "
                "defined by the type or mark the type as open type." % (violation.prop, owner))
    if kind == "read_only":
        return "The property '%s' is read-only and cannot be set on type '%s'." % (violation.prop, owner)
    if kind == "null_not_allowed":
        return ("A null value was found for the property named '%s', which has the expected type '%s'. "
                "The expected type '%s' does not allow null values." % (violation.prop, violation.expected,
                                                                       violation.expected))
    if kind == "wrong_node":
        expected = "StartArray" if "array" in (violation.expected or "") else (
            "StartObject" if "object" in (violation.expected or "") else "PrimitiveValue")
        found = "StartObject" if isinstance(violation.value, dict) else (
            "StartArray" if isinstance(violation.value, list) else "PrimitiveValue")
        return ("An unexpected '%s' node was found when reading from the JSON reader. A '%s' node was expected."
                % (found, expected))
    if kind == "unresolved_type":
        return ("A type named '%s' could not be resolved by the model. When a model is available, each type name "
                "must resolve to a valid type." % str(violation.value).lstrip("#"))
    if kind == "not_assignable":
        return ("An entry with type '%s' was found, but it is not assignable to the expected type '%s'. The type "
                "specified in the entry must be equal to either the expected type or a derived type."
                % (str(violation.value).lstrip("#"), owner))
    if kind == "abstract_type":
        return ("A value without a type name was found and no expected type is available. When the model is "
                "specified, each value in the payload must have a type which can be either specified in the "
                "payload, explicitly by the caller or implicitly inferred from the parent value.")
    literal = violation.value if not isinstance(violation.value, bool) else str(violation.value).lower()
    expected = (violation.expected or "").split(" ", 1)[0].rstrip(",")
    return "Cannot convert the literal '%s' to the expected type '%s'." % (literal, expected)
