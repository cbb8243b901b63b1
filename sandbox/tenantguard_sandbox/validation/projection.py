"""Projection of a stored object onto one version's model: what a GET on that version can show."""

from tenantguard_sandbox.validation.schema import model, unqualified


def project(version, type_name, value):
    """``value`` (a stored object of ``type_name``) without the properties ``version`` does not declare.

    Nested complex values are projected by their own declared (or ``@odata.type``-named) type; values of
    types outside the schema extract are returned as they are.
    """
    if value is None:
        return None
    m = model(version)
    if isinstance(value, list):
        return [project(version, type_name, item) for item in value]
    if not isinstance(value, dict) or m.type(type_name) is None:
        return value
    actual = unqualified(value.get("@odata.type")) or type_name
    if m.type(actual) is None:
        actual = type_name
    props = m.properties(actual)
    navs = m.navigation(actual)
    out = {}
    for key, item in value.items():
        if key == "@odata.type" or key.endswith("@odata.bind"):
            out[key] = item
        elif key in props:
            target = props[key]["type"]
            out[key] = project(version, target, item) if m.type(target) is not None else item
        elif key in navs:
            out[key] = item
    return out
