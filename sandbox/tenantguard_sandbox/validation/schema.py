"""Microsoft Graph's published schema, loaded once, and the check of request bodies against it.

``data/graph_schema.json`` is the project's extract of the Graph CSDL (see ``data/README.md``). This module
reads a JSON request body the way Graph's OData deserialiser does: every property must exist on the declared
type (or on the derived type named by ``@odata.type``), every value must have the declared JSON shape,
primitive kind and enum member, nulls only where the property is nullable, no read-only property, no abstract
type without a concrete ``@odata.type``. It returns a normalised copy (enum members re-cased, flags enums
re-ordered to member order, ``@odata.type`` fully qualified, instance annotations dropped).

How a failure is answered depends on the service behind the type: see ``workloads.py``.
"""

import base64
import binascii
import functools
import json
import re
from datetime import datetime
from importlib import resources
from typing import NamedTuple

VERSIONS = ("v1.0", "beta")

_NAMESPACE = "microsoft.graph."
_ALIAS = "graph."

# Entity types whose key is chosen by the client (POST carries "id").
_CLIENT_KEYED_TYPES = frozenset({"authenticationContextClassReference"})
# Properties the services set themselves even where the extract carries no read-only hint.
_SERVER_SET = frozenset({"deletedDateTime"})

_INT_RANGES = {
    "Edm.Byte": (0, 255),
    "Edm.SByte": (-128, 127),
    "Edm.Int16": (-(2 ** 15), 2 ** 15 - 1),
    "Edm.Int32": (-(2 ** 31), 2 ** 31 - 1),
    "Edm.Int64": (-(2 ** 63), 2 ** 63 - 1),
    "Edm.Int32|Int64": (-(2 ** 63), 2 ** 63 - 1),
}
_FLOAT_TYPES = frozenset({"Edm.Double", "Edm.Single", "Edm.Decimal"})
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,12})?)?$")
_DURATION_RE = re.compile(
    r"^-?P(?=\d|T\d)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@functools.lru_cache(maxsize=None)
def load_schema():
    """The whole schema document (both versions and ``about``), parsed once per process."""
    source = resources.files("tenantguard_sandbox").joinpath("data", "graph_schema.json")
    with source.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def unqualified(type_name):
    """``#microsoft.graph.x`` / ``microsoft.graph.x`` / ``graph.x`` -> ``x``; None if not in Graph's namespace."""
    if not isinstance(type_name, str):
        return None
    name = type_name[1:] if type_name.startswith("#") else type_name
    for prefix in (_NAMESPACE, _ALIAS):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return None


def qualified(type_name):
    """``x`` -> ``#microsoft.graph.x``, the form Graph writes in responses."""
    return "#" + _NAMESPACE + type_name


class Model:
    """One version of the schema, indexed for look-ups."""

    def __init__(self, version, section):
        self.version = version
        self.types = section["types"]
        self.enums = section["enums"]
        self.paths = section.get("paths", {})

    def type(self, name):
        return self.types.get(name)

    def chain(self, name):
        """The type and its bases, most-derived first."""
        tdef = self.types.get(name)
        if tdef is None:
            return []
        return [name] + [b for b in tdef.get("baseChain", []) if b in self.types]

    @functools.lru_cache(maxsize=None)
    def properties(self, name):
        merged = {}
        for type_name in reversed(self.chain(name)):
            merged.update(self.types[type_name].get("properties", {}))
        return merged

    @functools.lru_cache(maxsize=None)
    def navigation(self, name):
        merged = {}
        for type_name in reversed(self.chain(name)):
            merged.update(self.types[type_name].get("navigationProperties", {}))
        return merged

    def is_a(self, candidate, base):
        return base in self.chain(candidate)

    def is_open(self, name):
        return any(self.types[t].get("openType") for t in self.chain(name))

    def partial_names(self, name):
        """Every structural/navigation name of a type the extract keeps only in part, else None."""
        tdef = self.types.get(name) or {}
        if not tdef.get("partial"):
            return None
        return set(tdef.get("allPropertyNames", [])) | set(tdef.get("allNavigationPropertyNames", []))

    def is_read_only(self, type_name, prop, pdef):
        if prop == "id":
            return self.types[type_name].get("kind") == "entity" and not any(
                t in _CLIENT_KEYED_TYPES for t in self.chain(type_name))
        if prop in _SERVER_SET:
            return True
        annotations = pdef.get("annotations") or {}
        return bool(pdef.get("readOnly") or pdef.get("readOnlyPerDescription") or annotations.get("Core.Computed"))


@functools.lru_cache(maxsize=None)
def model(version):
    """The indexed schema of ``version`` ('v1.0' or 'beta')."""
    if version not in VERSIONS:
        raise ValueError("unknown Graph version %r; expected one of %s" % (version, ", ".join(VERSIONS)))
    return Model(version, load_schema()[version])


class SchemaViolation(Exception):
    """A request body that Graph's deserialiser would not read.

    ``kind`` is one of: unknown_property, wrong_node, wrong_literal, bad_enum, null_not_allowed, read_only,
    unresolved_type, not_assignable, abstract_type, undeclared_value, invalid_value. ``path`` is the list of
    property names and list indexes from the body's root to the offending value.
    """

    def __init__(self, kind, path, type_name, prop, value=None, expected=None, detail=None):
        self.kind = kind
        self.path = list(path)
        self.type_name = type_name
        self.prop = prop
        self.value = value
        self.expected = expected
        self.detail = detail or self._default_detail()
        super().__init__(self.detail)

    def path_text(self):
        text = ""
        for segment in self.path:
            if isinstance(segment, int):
                text += "[%d]" % segment
            else:
                text += ("." if text else "") + segment
        return text or "(body)"

    def _default_detail(self):
        where = self.path_text()
        shown = json.dumps(self.value, default=str) if self.value is not None else "null"
        if len(shown) > 120:
            shown = shown[:117] + "..."
        if self.kind == "unknown_property":
            return "%s: property '%s' does not exist on type microsoft.graph.%s" % (where, self.prop, self.type_name)
        if self.kind == "read_only":
            return "%s: property '%s' of microsoft.graph.%s is read-only and cannot be sent" % (
                where, self.prop, self.type_name)
        if self.kind == "null_not_allowed":
            return "%s: null is not allowed; expected %s" % (where, self.expected)
        if self.kind == "bad_enum":
            return "%s: %s is not a member of %s" % (where, shown, self.expected)
        if self.kind in ("unresolved_type", "not_assignable", "abstract_type"):
            return "%s: @odata.type %s: expected %s" % (where, shown, self.expected)
        return "%s: got %s; expected %s" % (where, shown, self.expected)


def _json_node(value):
    if isinstance(value, dict):
        return "StartObject"
    if isinstance(value, list):
        return "StartArray"
    return "PrimitiveValue"


def enum_members(version, enum_name):
    return list(model(version).enums[enum_name]["members"])


def normalise_enum(version, enum_name, value):
    """Parse an enum string as Graph does (case-insensitive; flags enums as comma lists).

    Returns the canonical string (member spelling, flags in member order, no spaces) or raises ValueError.
    """
    edef = model(version).enums[enum_name]
    members = list(edef["members"])
    by_lower = {m.lower(): m for m in members}
    if not isinstance(value, str):
        raise ValueError("not a string")
    if edef.get("isFlags"):
        tokens = [token.strip() for token in value.split(",")]
        if any(not token for token in tokens):
            raise ValueError("empty member in flags value")
        found = set()
        for token in tokens:
            member = by_lower.get(token.lower())
            if member is None:
                raise ValueError(token)
            found.add(member)
        return ",".join(m for m in members if m in found)
    member = by_lower.get(value.strip().lower()) if value == value.strip() else None
    if member is None:
        raise ValueError(value)
    return member


class BodyReader:
    """Reads one request body against one version of the schema.

    ``op`` is 'create' (POST), 'update' (PATCH) or 'reference' (an embedded copy of an existing object, read
    for its shape only: read-only properties allowed). ``tolerated`` maps a type name to properties the live
    service accepts although the schema does not declare them, but only with a null or empty value; they are
    dropped from the result. ``navigation`` may override how navigation properties are read:
    ``navigation(reader, owner_type, name, navdef, value, path) -> value``.
    """

    def __init__(self, version, op, tolerated=None, navigation=None):
        if op not in ("create", "update", "reference"):
            raise ValueError("op must be 'create', 'update' or 'reference', not %r" % (op,))
        self.model = model(version)
        self.version = version
        self.op = op
        self.tolerated = tolerated or {}
        self.navigation_hook = navigation

    # -- structured values -------------------------------------------------------------------------------
    def read_structured(self, declared, value, path=(), owner=None, prop=None):
        """Read an object of ``declared`` type (or a derived type it names); returns (copy, actual type)."""
        path = list(path)
        if not isinstance(value, dict):
            raise SchemaViolation("wrong_node", path, owner or declared, prop, value,
                                  "a JSON object of type microsoft.graph.%s" % declared)
        actual = declared
        if "@odata.type" in value:
            named = value["@odata.type"]
            name = unqualified(named)
            if name is None or self.model.type(name) is None:
                raise SchemaViolation("unresolved_type", path + ["@odata.type"], declared, "@odata.type", named,
                                      "#microsoft.graph.%s or a type derived from it" % declared)
            if not self.model.is_a(name, declared):
                raise SchemaViolation("not_assignable", path + ["@odata.type"], declared, "@odata.type", named,
                                      "#microsoft.graph.%s or a type derived from it" % declared)
            actual = name
        tdef = self.model.type(actual)
        if tdef.get("abstract"):
            concrete = ", ".join("#microsoft.graph.%s" % d for d in tdef.get("derivedTypes", []))
            raise SchemaViolation("abstract_type", path + ["@odata.type"], actual, "@odata.type",
                                  value.get("@odata.type"), "a concrete type: %s" % (concrete or "none known"))
        props = self.model.properties(actual)
        navs = self.model.navigation(actual)
        tolerated = set()
        for type_name in self.model.chain(actual):
            tolerated |= set(self.tolerated.get(type_name, ()))
        partial = self.model.partial_names(actual)
        out = {}
        if "@odata.type" in value:
            out["@odata.type"] = qualified(actual)
        for key, item in value.items():
            if key == "@odata.type":
                continue
            if "@" in key:
                # Instance and property annotations (@odata.context, x@odata.context, ...) carry no data;
                # binding annotations are relationships and are kept for the caller.
                if key.endswith("@odata.bind"):
                    out[key] = item
                continue
            if key in props:
                pdef = props[key]
                if self.op != "reference" and self.model.is_read_only(actual, key, pdef):
                    raise SchemaViolation("read_only", path + [key], actual, key, item, "the property left out")
                out[key] = self.read_property(actual, key, pdef, item, path + [key])
            elif key in navs:
                if self.navigation_hook is not None:
                    out[key] = self.navigation_hook(self, actual, key, navs[key], item, path + [key])
                else:
                    out[key] = self.read_navigation(actual, key, navs[key], item, path + [key])
            elif key in tolerated:
                if item not in (None, [], "", {}):
                    raise SchemaViolation("undeclared_value", path + [key], actual, key, item,
                                          "null or empty (the property is not in the published schema)")
            elif partial is not None and key in partial:
                out[key] = item
            elif self.model.is_open(actual):
                out[key] = item
            else:
                raise SchemaViolation("unknown_property", path + [key], actual, key, item,
                                      "one of: %s" % ", ".join(sorted(set(props) | set(navs))))
        return out, actual

    def read_property(self, owner, prop, pdef, value, path):
        nullable = pdef.get("nullable")
        nullable = True if nullable is None else nullable
        type_name = pdef["type"]
        if pdef.get("collection"):
            shown = "Collection(%s)" % self._display_type(type_name)
            if value is None:
                raise SchemaViolation("null_not_allowed", path, owner, prop, value, "%s[Nullable=False]" % shown)
            if not isinstance(value, list):
                raise SchemaViolation("wrong_node", path, owner, prop, value, "a JSON array (%s)" % shown)
            return [self.read_value(owner, prop, type_name, nullable, item, path + [i])
                    for i, item in enumerate(value)]
        return self.read_value(owner, prop, type_name, nullable, value, path)

    def read_navigation(self, owner, prop, navdef, value, path):
        target = navdef["type"]
        if navdef.get("collection"):
            if not isinstance(value, list):
                raise SchemaViolation("wrong_node", path, owner, prop, value,
                                      "a JSON array of microsoft.graph.%s" % target)
            return [self._read_nested_entity(target, item, path + [i], owner, prop) for i, item in enumerate(value)]
        if value is None:
            return None
        return self._read_nested_entity(target, value, path, owner, prop)

    def _read_nested_entity(self, target, value, path, owner, prop):
        if self.model.type(target) is None:
            return value
        return self.read_structured(target, value, path, owner, prop)[0]

    def read_value(self, owner, prop, type_name, nullable, value, path):
        if value is None:
            if not nullable:
                raise SchemaViolation("null_not_allowed", path, owner, prop, value,
                                      "%s[Nullable=False]" % self._display_type(type_name))
            return None
        if type_name.startswith("Edm."):
            return self._read_primitive(owner, prop, type_name, value, path)
        if type_name in self.model.enums:
            if not isinstance(value, str):
                raise SchemaViolation("wrong_node" if isinstance(value, (dict, list)) else "bad_enum", path, owner,
                                      prop, value, self._enum_expectation(type_name))
            try:
                return normalise_enum(self.version, type_name, value)
            except ValueError:
                raise SchemaViolation("bad_enum", path, owner, prop, value, self._enum_expectation(type_name))
        if self.model.type(type_name) is not None:
            return self.read_structured(type_name, value, path, owner, prop)[0]
        return value  # a type outside the extract: nothing to check it against

    def _enum_expectation(self, enum_name):
        edef = self.model.enums[enum_name]
        members = ", ".join(edef["members"])
        if edef.get("isFlags"):
            return "microsoft.graph.%s, a comma-separated list of: %s" % (enum_name, members)
        return "microsoft.graph.%s, one of: %s" % (enum_name, members)

    @staticmethod
    def _display_type(type_name):
        if type_name.startswith("Edm."):
            return "Edm.Int64" if type_name == "Edm.Int32|Int64" else type_name
        return _NAMESPACE + type_name

    def _read_primitive(self, owner, prop, type_name, value, path):
        shown = self._display_type(type_name)
        if isinstance(value, (dict, list)):
            raise SchemaViolation("wrong_node", path, owner, prop, value, "a JSON primitive value (%s)" % shown)

        def bad(expected=None):
            return SchemaViolation("wrong_literal", path, owner, prop, value, expected or shown)

        if type_name == "Edm.Boolean":
            if not isinstance(value, bool):
                raise bad("Edm.Boolean (true or false)")
            return value
        if type_name in _INT_RANGES:
            low, high = _INT_RANGES[type_name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad("%s (a whole number)" % shown)
            if not low <= value <= high:
                raise bad("%s (between %d and %d)" % (shown, low, high))
            return value
        if type_name in _FLOAT_TYPES:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad("%s (a number)" % shown)
            return value
        if not isinstance(value, str):
            raise bad("%s (a JSON string)" % shown)
        if type_name == "Edm.Guid" and not _GUID_RE.match(value):
            raise bad("Edm.Guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
        if type_name == "Edm.DateTimeOffset" and not is_datetime_offset(value):
            raise bad("Edm.DateTimeOffset (ISO 8601 with offset, e.g. 2024-01-31T12:00:00Z)")
        if type_name == "Edm.Date" and not _valid_date(value):
            raise bad("Edm.Date (YYYY-MM-DD)")
        if type_name == "Edm.TimeOfDay" and not _TIME_RE.match(value):
            raise bad("Edm.TimeOfDay (hh:mm:ss)")
        if type_name == "Edm.Duration" and not _DURATION_RE.match(value):
            raise bad("Edm.Duration (ISO 8601, e.g. PT1H30M)")
        if type_name == "Edm.Binary" and not _valid_base64(value):
            raise bad("Edm.Binary (base64)")
        return value


def is_datetime_offset(value):
    match = _DATETIME_RE.match(value) if isinstance(value, str) else None
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    offset = match.group(8)
    return offset == "Z" or (int(offset[1:3]) <= 14 and int(offset[4:6]) < 60)


def is_guid(value):
    return isinstance(value, str) and bool(_GUID_RE.match(value))


def _valid_date(value):
    if not _DATE_RE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _valid_base64(value):
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def read_body(version, type_name, body, op, tolerated=None, navigation=None):
    """Read ``body`` as a ``type_name`` (or the derived type its ``@odata.type`` names).

    Returns ``(normalised copy, actual type name)``; raises ``SchemaViolation``. Workload-neutral: the
    callers in this package turn a violation into the answer of the service concerned.
    """
    if model(version).type(type_name) is None:
        raise ValueError("type %r is not in the %s schema" % (type_name, version))
    reader = BodyReader(version, op, tolerated=tolerated, navigation=navigation)
    return reader.read_structured(type_name, body)


def validate_entity(version, type_name, body, op, workload=None):
    """Check a request body against the published schema, answering as the service behind the type would.

    ``op`` is 'create' or 'update'. Returns the normalised body (enum members re-cased, flags enums in member
    order, ``@odata.type`` fully qualified, annotations other than ``@odata.bind`` dropped). Raises
    ``tenantguard_sandbox.errors.GraphHTTPError`` with the status, code and message of that service (see
    ``workloads.schema_error``); ``workload`` overrides the service inferred from the type.
    """
    from tenantguard_sandbox.validation import workloads

    if op not in ("create", "update"):
        raise ValueError("op must be 'create' or 'update', not %r" % (op,))
    service = workload or workloads.workload_of(version, type_name)
    try:
        normalised, _actual = read_body(version, type_name, body, op,
                                        tolerated=workloads.tolerated_properties(service, version))
    except SchemaViolation as violation:
        raise workloads.schema_error(service, version, type_name, violation) from None
    return normalised


@functools.lru_cache(maxsize=None)
def _select_names(version, type_name):
    m = model(version)
    if m.type(type_name) is None:
        raise ValueError("type %r is not in the %s schema" % (type_name, version))
    names = set(m.properties(type_name)) | set(m.navigation(type_name))
    partial = m.partial_names(type_name)
    if partial:
        names |= partial
    return frozenset(names)


def select_properties(version, type_name):
    """Names a ``$select`` on ``type_name`` may use: its structural and navigation properties, inherited ones
    included (for the directory types the extract keeps in part, every name the full schema has)."""
    return set(_select_names(version, type_name))


class PathTarget(NamedTuple):
    """What a Graph URL path addresses: the entity type, and whether it is the collection or one item."""

    type_name: str
    collection: bool


_KEY_SEGMENT = re.compile(r"^([^(]+)\((.+)\)$")


def _path_segments(path):
    path = path.split("?", 1)[0]
    path = re.sub(r"^https?://[^/]+", "", path)
    segments = [s for s in path.split("/") if s]
    if segments and segments[0] in VERSIONS:
        segments = segments[1:]
    out = []
    for segment in segments:
        match = _KEY_SEGMENT.match(segment)
        if match:
            out.extend([match.group(1), "{id}"])
        else:
            out.append(segment)
    return out


def entity_type_for_path(version, path):
    """The entity type a URL path addresses, from the schema's resolved ``paths``.

    Accepts ``/v1.0/identity/conditionalAccess/policies``, ``.../policies/{id}``, ``.../policies('{id}')``,
    a trailing type-cast segment (``.../namedLocations/microsoft.graph.ipNamedLocation``) and a query string.
    Returns a ``PathTarget`` or None for a path the extract does not resolve.
    """
    m = model(version)
    segments = _path_segments(path)
    cast = None
    if segments and unqualified(segments[-1]) is not None:
        cast = unqualified(segments[-1])
        segments = segments[:-1]
    for template, info in m.paths.items():
        if not info.get("type"):
            continue
        tsegs = [s for s in template.split("/") if s]
        if len(segments) not in (len(tsegs), len(tsegs) + 1):
            continue
        if not all(t == "{id}" or t == s for t, s in zip(tsegs, segments)):
            continue
        collection = bool(info.get("collection"))
        if len(segments) == len(tsegs) + 1:
            if not collection:
                continue
            collection = False
        type_name = info["type"]
        if cast is not None:
            if m.type(cast) is None or not m.is_a(cast, type_name):
                return None
            type_name = cast
        return PathTarget(type_name, collection)
    return None
