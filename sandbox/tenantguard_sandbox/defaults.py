"""Graph's defaults for the properties a client did not send, and where each default comes from.

Intune answers a GET with every structural property of the entity's type, not only what the client sent
(``behavior.md`` section 10: every generated ``*-get``/``*-list`` example lists them all; IntuneCD diffs whole
objects and strips only ``id``, ``version``, timestamps, ``isAssigned``, ``@odata.context``). :func:`complete`
fills what is missing, per the schema of the version asked for, and :func:`default_for` says which value and on
what evidence, one of:

* ``behavior``: a rule of ``behavior.md`` with its source (``roleScopeTagIds: ["0"]``, section 13);
* ``description``: the property's own documented description states the default ("Default is unknown.",
  "Default value of '0' means ...", "Default is anyApp.");
* ``computed``: set by the service from other state (``isAssigned``, ``deployedAppCount``);
* ``schema``: a collection is ``[]`` (OData CSDL 4.0, 6.2.1: a collection-valued property always exists and
  may be empty) and a nullable property is ``null``;
* ``inferred``: a non-nullable value with no documented default gets its type's zero value, as the service's
  models do (``false``, ``0``, the enum member whose value is 0 or the first member, ``PT0S``, an empty string);
  ``behavior.md`` section 10 calls the enum choice **unverified** and so is every ``inferred`` default here.

The documented examples' values are generator samples ("Display Name value", ``true``, ``7``), never defaults,
so no Intune default rests on them; ``python -m tenantguard_sandbox defaults`` prints the table.
"""

import copy
import functools
import re

from .validation.schema import model, unqualified

# (type declaring the property, property) -> (value, evidence, source); version-independent unless keyed by version.
EVIDENCE = {
    ("managedAppPolicy", "roleScopeTagIds"): (["0"], "behavior",
                                              "behavior.md section 13: Intune objects carry roleScopeTagIds ['0'] "
                                              "(the Default tag) unless given (IntuneCD#218, IntuneManagement#401)"),
    ("deviceCompliancePolicy", "roleScopeTagIds"): (["0"], "behavior",
                                                    "behavior.md sections 10 and 13: beta compliance policies carry "
                                                    "roleScopeTagIds ['0'] (the Default tag) unless given"),
    ("deviceEnrollmentConfiguration", "roleScopeTagIds"): (["0"], "behavior",
                                                           "behavior.md sections 11 and 13: as the compliance "
                                                           "policies (unverified for enrolment configurations)"),
    ("targetedManagedAppProtection", "isAssigned"): (False, "computed", "true once assign has a target"),
    ("targetedManagedAppConfiguration", "isAssigned"): (False, "computed", "true once assign has a target"),
    ("iosManagedAppProtection", "deployedAppCount"): (0, "computed", "the number of targeted apps"),
    ("androidManagedAppProtection", "deployedAppCount"): (0, "computed", "the number of targeted apps"),
    ("targetedManagedAppConfiguration", "deployedAppCount"): (0, "computed", "the number of targeted apps"),
}

_DEFAULT_SENTENCE = re.compile(
    r"(?:[Dd]efault(?: value)? is|[Dd]efault value of|[Dd]efaults? to)\s+(?P<value>'[^']*'|an empty string|empty list|"
    r"an empty list|null|true|false|TRUE|FALSE|-?\d+|[A-Za-z][A-Za-z0-9]*)")

_ZERO = {"Edm.Boolean": False, "Edm.Int16": 0, "Edm.Int32": 0, "Edm.Int64": 0, "Edm.Int32|Int64": 0, "Edm.Byte": 0,
         "Edm.SByte": 0, "Edm.Double": 0, "Edm.Single": 0, "Edm.Decimal": 0, "Edm.Duration": "PT0S",
         "Edm.String": "", "Edm.Guid": "00000000-0000-0000-0000-000000000000",
         "Edm.DateTimeOffset": "0001-01-01T00:00:00Z", "Edm.Date": "0001-01-01", "Edm.TimeOfDay": "00:00:00"}


def _description(pdef):
    annotations = pdef.get("annotations") or {}
    return annotations.get("Core.Description") or pdef.get("description") or ""


def _enum_zero(m, enum_name):
    members = m.enums[enum_name]["members"]
    names = list(members)
    if isinstance(members, dict):
        for name, value in members.items():
            if value == 0:
                return name
    return names[0] if names else None


def _documented(m, pdef):
    """The default a property's description states, parsed into the property's type, or a sentinel."""
    match = _DEFAULT_SENTENCE.search(_description(pdef))
    if not match:
        return _MISSING
    text = match.group("value").strip("'")
    type_name = pdef["type"]
    if text in ("an empty string",):
        return "" if type_name == "Edm.String" else _MISSING
    if text in ("empty list", "an empty list"):
        return [] if pdef.get("collection") else _MISSING
    if text == "null":
        return None if pdef.get("nullable", True) else _MISSING
    if type_name == "Edm.Boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if type_name.startswith("Edm.Int") and re.fullmatch(r"-?\d+", text):
        return int(text)
    if type_name in m.enums and text in m.enums[type_name]["members"]:
        return text
    return _MISSING


_MISSING = object()


@functools.lru_cache(maxsize=None)
def _declaring_type(version, type_name, prop):
    m = model(version)
    for name in m.chain(type_name):
        if prop in (m.types[name].get("properties") or {}):
            return name
    return type_name


def default_for(version, type_name, prop):
    """``(value, evidence, note)`` of the default of ``prop`` on ``type_name`` in ``version``."""
    m = model(version)
    pdef = m.properties(type_name)[prop]
    for owner in m.chain(type_name):
        if (owner, prop) in EVIDENCE:
            value, evidence, note = EVIDENCE[(owner, prop)]
            return _copy(value), evidence, note
    documented = _documented(m, pdef)
    if documented is not _MISSING:
        return documented, "description", _description(pdef)[:160]
    if pdef.get("collection"):
        return [], "schema", "collection: [] (OData CSDL 4.0 6.2.1)"
    if pdef.get("nullable", True) is not False:
        return None, "schema", "nullable"
    type_ref = pdef["type"]
    if type_ref in m.enums:
        return _enum_zero(m, type_ref), "inferred", "non-nullable enum: the member with value 0 (or the first)"
    if type_ref in _ZERO:
        return _ZERO[type_ref], "inferred", "non-nullable %s: its zero value" % type_ref
    if m.type(type_ref) is not None:
        return complete(version, type_ref, {}), "inferred", "non-nullable complex value: its own defaults"
    return None, "inferred", "type outside the extract"


def _copy(value):
    return list(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=None)
def _default_value(version, type_name, prop):
    """The value of :func:`default_for`, worked out once per property (a page of 1,000 devices would otherwise
    work out each of their 85 defaults 1,000 times); :func:`complete` hands out a copy of a list or object."""
    return default_for(version, type_name, prop)[0]


def _fresh(value):
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


def complete(version, type_name, value, skip=()):
    """``value`` (an object of ``type_name`` or of the derived type its ``@odata.type`` names) with every structural
    property of that type present: those missing get :func:`default_for`. Nested complex values are completed
    by their own types. Properties the version does not declare are left as they are; ``skip`` names properties
    not to add."""
    m = model(version)
    if not isinstance(value, dict):
        return value
    actual = unqualified(value.get("@odata.type")) or type_name
    if m.type(actual) is None:
        actual = type_name
    if m.type(actual) is None:
        return value
    out = dict(value)
    for prop, pdef in m.properties(actual).items():
        if prop in skip:
            continue
        if prop not in out:
            out[prop] = _fresh(_default_value(version, actual, prop))
        elif isinstance(out[prop], dict) and m.type(pdef["type"]) is not None:
            out[prop] = complete(version, pdef["type"], out[prop])
        elif isinstance(out[prop], list) and m.type(pdef["type"]) is not None:
            out[prop] = [complete(version, pdef["type"], item) for item in out[prop]]
    return out


def table(version, type_name):
    """Every structural property of ``type_name`` with its default and evidence, for the README and the CLI."""
    m = model(version)
    return [{"property": prop, "declaredOn": _declaring_type(version, type_name, prop),
             "default": default_for(version, type_name, prop)[0], "evidence": default_for(version, type_name, prop)[1]}
            for prop in sorted(m.properties(type_name))]
