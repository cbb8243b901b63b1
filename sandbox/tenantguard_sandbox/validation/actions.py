"""Bodies of bound actions (``assign``, ``targetApps``, ``updateAllowedCombinations``, ...) against the schema.

The v1.0 extract lists the bound actions with their parameters (``boundOperations``); the most-derived
overload for the entity's type applies (``targetApps`` has four bindings). The beta extract carries no bound
operations, so beta bodies are read against the v1.0 definitions with the beta types.
"""

from tenantguard_sandbox.validation import workloads
from tenantguard_sandbox.validation.schema import BodyReader, SchemaViolation, load_schema, model


def action_definition(version, type_name, action):
    """The ``boundOperations`` entry of ``action`` for ``type_name`` (most-derived binding), or None."""
    operations = load_schema()["v1.0"]["boundOperations"]
    chain = model(version).chain(type_name) or [type_name]
    for bound in chain:
        for operation in operations:
            if operation["name"] == action and operation["boundTo"] == bound:
                return operation
    return None


def validate_action(version, type_name, action, body, workload=None):
    """Check the body of ``POST .../{id}/{action}`` on an entity of ``type_name``; returns the normalised body.

    Raises ``GraphHTTPError`` in the words of the service behind the type (``workloads.py``): an unknown action
    or parameter is the OData reader's ``The parameter 'x' in the request payload is not a valid parameter for
    the operation 'y'.``
    """
    service = workload or workloads.workload_of(version, type_name)
    definition = action_definition(version, type_name, action)
    if definition is None:
        raise ValueError("no action %r is bound to %s in the schema" % (action, type_name))
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise workloads.graph_error(400, "BadRequest", "The request body must be a JSON object.",
                                    "expected a JSON object with the parameters of %s" % action)
    parameters = {p["name"]: p for p in definition["parameters"]}
    # Parameters carry whole objects (assignments, apps) with their ids: no read-only check applies.
    reader = BodyReader(version, "reference")
    out = {}
    try:
        for name, value in body.items():
            if "@" in name:
                continue
            if name not in parameters:
                raise workloads.graph_error(
                    400, "BadRequest" if service == workloads.INTUNE else "RequestBodyRead",
                    "The parameter '%s' in the request payload is not a valid parameter for the operation '%s'."
                    % (name, action), "%s: %s takes only %s" % (name, action, ", ".join(parameters) or "no parameters"),
                    name)
            out[name] = reader.read_property(type_name, name, parameters[name], value, [name])
    except SchemaViolation as violation:
        raise workloads.schema_error(service, version, type_name, violation) from None
    return out
