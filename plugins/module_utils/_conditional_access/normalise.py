# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: compare conditional access policies without false drift, and compute what to send.

Not a public API. ``normalise_policy()`` applies ``RULES`` in order; each rule is a small function
named for what it makes equal, and each answers a known source of false drift:

* read-only and server fields (``id``, ``createdDateTime``, ``modifiedDateTime``, ``templateId``,
  ``deletedDateTime``, ``partialEnablementStrategy``, ``@odata.*``) do not count;
* an expanded ``authenticationStrength`` (Graph answers ``{"id"}`` with the whole policy) counts by id;
* enum values count without regard to case;
* flags enums (comma-separated strings that Graph re-cases and re-orders) count as sets;
* include/exclude lists count as sets (Graph may return another order: terraform-provider-azuread
  #1794, #1150), GUIDs and special values (``All``) without regard to case;
* ``operator`` counts only when there are two controls or more (Graph stores ``OR`` for one);
* session controls that enforce nothing count as null;
* null, empty and absent are the same (Microsoft365DSC #1036), which also covers the properties
  Graph drops from its answer when they are null or empty.

A desired body holds only what the user manages: ``merge_for_prediction(current, desired)`` lays
it over the current policy, and the policy has drifted when that differs from the current one
after normalisation. ``compute_patch()`` sends only the top-level properties that differ, each of
``conditions``, ``grantControls`` and ``sessionControls`` whole, as real clients send them, never a
read-only field (a PATCH with ``templateId``, even null, fails with 1118).
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    PROPERTIES,
    available,
    canonical_flags,
    canonical_member,
    canonical_special,
    check_api_version,
    discriminator_from_odata_type,
    all_enum_members,
    is_guid,
    set_odata_type,
)

READ_ONLY_FIELDS = ("id", "createdDateTime", "modifiedDateTime", "templateId", "deletedDateTime",
                    "partialEnablementStrategy")
EMPTY_VALUES = (None, "", [], {})


def _known(nodes, body):
    """(name, node, value) for the keys of ``body`` that the tree knows."""
    if not isinstance(body, dict) or not nodes:
        return []
    return [(name, nodes[name], body[name]) for name in list(body) if name in nodes]


def _is_empty(value):
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return value in EMPTY_VALUES


# ---------------------------------------------------------------------------------------------
# The rules, in the order normalise_policy applies them


def drop_read_only_and_server_fields(policy):
    """Read-only and server-managed fields, and every ``@odata.*`` annotation, are not part of
    what a user manages. A discriminated object keeps what its ``@odata.type`` said."""
    for name in READ_ONLY_FIELDS:
        policy.pop(name, None)
    _drop_annotations(PROPERTIES, policy)
    return policy


def _drop_annotations(nodes, body):
    if isinstance(body, list):
        for item in body:
            _drop_annotations(None, item)
        return
    if not isinstance(body, dict):
        return
    nodes = nodes or {}
    for name in list(body):
        node = nodes.get(name)
        value = body[name]
        if node and node.get("discriminated") and isinstance(value, dict):
            discriminator = node["discriminated"]["discriminator"]
            if value.get(discriminator) is None:
                value[discriminator] = discriminator_from_odata_type(node, value)
        if "@odata." in name or name.startswith("@"):
            del body[name]
            continue
        _drop_annotations(node.get("properties") if node else None, value)


def authentication_strength_by_id(policy):
    """Graph answers ``authenticationStrength: {"id": ...}`` with the expanded policy; only the id
    counts (lower-cased, like every GUID)."""
    grant = policy.get("grantControls")
    if isinstance(grant, dict) and "authenticationStrength" in grant:
        strength = grant["authenticationStrength"]
        strength_id = strength.get("id") if isinstance(strength, dict) else None
        grant["authenticationStrength"] = {"id": str(strength_id).strip().lower()} if strength_id else None
    return policy


def enum_case(policy):
    """Enum values in Graph's spelling (``IOS`` -> ``iOS``), single values and lists alike."""
    _enum_case(PROPERTIES, policy)
    return policy


def _enum_case(nodes, body):
    for name, node, value in _known(nodes, body):
        if node["type"] == "dict":
            _enum_case(node.get("properties"), value)
        elif "enum" in node and not node.get("flags"):
            if isinstance(value, list):
                body[name] = [canonical_member(node["enum"], v) or v for v in value]
            elif value is not None:
                body[name] = canonical_member(node["enum"], value) or value


def flags_as_sets(policy):
    """A flags enum is a set: ``"B2bCollaborationGuest, internalGuest"`` equals
    ``"internalGuest,b2bCollaborationGuest"`` (Graph re-cases and re-orders them)."""
    _flags(PROPERTIES, policy)
    return policy


def _flags(nodes, body):
    for name, node, value in _known(nodes, body):
        if node["type"] == "dict":
            _flags(node.get("properties"), value)
        elif node.get("flags") and value is not None:
            body[name] = canonical_flags(node["enum"], value)


def lists_as_sets(policy):
    """Lists are sets: order and duplicates do not count; GUIDs compare lower-cased and special
    values in Graph's spelling (``all`` -> ``All``). Enum lists sort in Graph's member order."""
    _lists(PROPERTIES, policy)
    return policy


def _lists(nodes, body):
    if not isinstance(body, dict):
        return
    nodes = nodes or {}
    for name in list(body):
        node = nodes.get(name)
        value = body[name]
        if isinstance(value, dict):
            _lists(node.get("properties") if node else None, value)
        elif isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
            body[name] = _as_set(node, value)


def _as_set(node, values):
    node = node or {}
    items = []
    for value in values:
        if isinstance(value, str) and is_guid(value):
            value = value.strip().lower()
        elif node.get("special"):
            value = canonical_special(node, value)
        if value not in items:
            items.append(value)
    if "enum" in node:
        order = all_enum_members(node["enum"])
        return sorted(items, key=lambda v: (order.index(v) if v in order else len(order), str(v).lower()))
    return sorted(items, key=lambda v: (str(v).lower(), str(v)))


def _control_count(grant):
    count = 0
    for name in ("builtInControls", "termsOfUse", "customAuthenticationFactors"):
        count += len(grant.get(name) or [])
    strength = grant.get("authenticationStrength")
    if isinstance(strength, dict) and strength.get("id"):
        count += 1
    return count


def operator_irrelevant_for_single_control(policy):
    """With one control, AND and OR mean the same and Graph stores OR (observed rewrite of
    AND -> OR for a single block, compliantDevice, or an authentication strength alone); with
    none the operator means nothing. Otherwise it counts, upper-cased."""
    grant = policy.get("grantControls")
    if not isinstance(grant, dict):
        return policy
    count = _control_count(grant)
    if count == 0:
        grant.pop("operator", None)
    elif count == 1:
        grant["operator"] = "OR"
    elif isinstance(grant.get("operator"), str):
        grant["operator"] = grant["operator"].strip().upper()
    return policy


def empty_session_controls_are_null(policy):
    """Session controls that enforce nothing (every control null or empty, resilience defaults
    not disabled) equal null: Graph answers ``sessionControls: null`` or an object of nulls."""
    controls = policy.get("sessionControls")
    if isinstance(controls, dict):
        rest = dict((k, v) for k, v in controls.items() if k != "disableResilienceDefaults")
        if _is_empty(rest) and controls.get("disableResilienceDefaults") in (None, False):
            policy["sessionControls"] = None
    return policy


def null_empty_and_absent_are_the_same(policy):
    """Null, ``[]``, ``""``, an object of nothing but those, and a missing property are the same
    (Microsoft365DSC #1036); this also covers what Graph drops from answers when null or empty."""
    _prune(policy)
    return policy


def _prune(body):
    if not isinstance(body, dict):
        return body
    for name in list(body):
        value = _prune(body[name])
        if value in EMPTY_VALUES:
            del body[name]
    return body


RULES = (
    drop_read_only_and_server_fields,
    authentication_strength_by_id,
    enum_case,
    flags_as_sets,
    lists_as_sets,
    operator_irrelevant_for_single_control,
    empty_session_controls_are_null,
    null_empty_and_absent_are_the_same,
)


def normalise_policy(policy):
    """The comparable form of a policy body (desired, predicted or as read from Graph)."""
    result = copy.deepcopy(policy or {})
    for rule in RULES:
        result = rule(result)
    return result


# ---------------------------------------------------------------------------------------------
# Prediction and patch


def merge_for_prediction(current, desired):
    """The policy as it will be once ``desired`` is applied to ``current`` (None for a new one):
    what check mode reports. Objects merge property by property; lists and values replace; an
    explicit null clears. Switching sign-in frequency to ``everyTime`` drops its type and value,
    and a new ``membershipKind`` replaces the external tenants object."""
    if not current:
        return copy.deepcopy(desired or {})
    return _merge(copy.deepcopy(current), desired or {}, PROPERTIES, ())


def _merge(base, overlay, nodes, path):
    for name, value in overlay.items():
        node = (nodes or {}).get(name)
        old = base.get(name)
        if node and node.get("navigation"):
            if not _same_id(old, value):
                base[name] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(old, dict) and not _kind_changed(node, old, value):
            _merge(old, value, node.get("properties") if node else None, path + (name,))
            if node and node.get("discriminated"):
                set_odata_type(node, old)
            if path + (name,) == ("sessionControls", "signInFrequency"):
                _every_time_has_no_period(old, value)
        else:
            base[name] = copy.deepcopy(value)
    return base


def _same_id(old, new):
    if isinstance(old, dict) and isinstance(new, dict) and old.get("id") and new.get("id"):
        return str(old["id"]).lower() == str(new["id"]).lower()
    return False


def _kind_changed(node, old, new):
    if not node or not node.get("discriminated"):
        return False
    discriminator = node["discriminated"]["discriminator"]
    old_kind = old.get(discriminator) or discriminator_from_odata_type(node, old)
    new_kind = new.get(discriminator)
    return new_kind is not None and str(new_kind).lower() != str(old_kind or "").lower()


def _every_time_has_no_period(merged, overlay):
    if str(overlay.get("frequencyInterval") or "").lower() == "everytime":
        for name in ("type", "value"):
            if name not in overlay:
                merged[name] = None


def has_drift(desired, current):
    """Whether applying ``desired`` would change ``current`` (always True for a new policy)."""
    if not current:
        return True
    return normalise_policy(merge_for_prediction(current, desired)) != normalise_policy(current)


def writable_body(body, api_version, keep_empty=True):
    """Only the writable properties of ``body`` for ``api_version``: no read-only or server field,
    no annotation, an authentication strength as ``{"id"}``, ``@odata.type`` on discriminated
    objects. With ``keep_empty`` false, nulls and empty lists are dropped too."""
    check_api_version(api_version)
    return _writable(PROPERTIES, body or {}, api_version, keep_empty)


def _writable(nodes, body, api_version, keep_empty):
    out = {}
    for name, node, value in _known(nodes, body):
        if not available(node, api_version):
            continue
        if node.get("navigation"):
            if isinstance(value, dict) and value.get("id"):
                out[name] = {"id": value["id"]}
            elif keep_empty and value is None:
                out[name] = None
        elif node["type"] == "dict" and isinstance(value, dict):
            sub = _writable(node.get("properties"), value, api_version, keep_empty)
            if node.get("discriminated") and sub:
                discriminator = node["discriminated"]["discriminator"]
                if sub.get(discriminator) is None:
                    sub[discriminator] = discriminator_from_odata_type(node, value)
                set_odata_type(node, sub)
            if sub or keep_empty:
                out[name] = sub
        elif value in EMPTY_VALUES:
            if keep_empty:
                out[name] = copy.deepcopy(value)
        else:
            out[name] = copy.deepcopy(value)
    return out


def compute_patch(desired, current, api_version="v1.0"):
    """The PATCH body that turns ``current`` into what ``desired`` asks: only the top-level
    properties whose normalised value differs, ``conditions`` / ``grantControls`` /
    ``sessionControls`` each whole (the current object with the desired one laid over it), and
    never a read-only field. Empty when nothing differs. With no ``current``, the POST body."""
    check_api_version(api_version)
    desired = desired or {}
    if not current:
        return writable_body(desired, api_version)
    before = normalise_policy(current)
    after = normalise_policy(merge_for_prediction(current, desired))
    sendable = _merge(writable_body(current, api_version, keep_empty=False),
                      writable_body(desired, api_version, keep_empty=True), PROPERTIES, ())
    patch = {}
    for name in PROPERTIES:
        if name in desired and before.get(name) != after.get(name):
            patch[name] = sendable.get(name)
    return patch
