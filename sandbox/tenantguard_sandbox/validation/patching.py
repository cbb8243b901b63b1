"""PATCH semantics for the objects the sandbox stores.

Properties left out of a PATCH body keep their value. A property sent with a value replaces the stored one,
except a complex (object) value sent onto a stored complex value of the same type: that one is merged property
by property, recursively. Collections, nulls, primitive values and navigation references replace whole.

Why merge complex values: OData 4.01 applies PATCH to nested complex values, and the documented conditional
access update example (``conditionalaccesspolicy-update``, v1.0 and beta) sends only
``{"conditions": {"signInRiskLevels": [...]}}`` to change the risk levels; replacing ``conditions`` whole
would drop the policy's required ``users`` and ``applications``. A client that sends whole objects (Terraform
azuread, Microsoft365DSC) gets the same result either way.
"""

import copy


def merge_patch(stored, patch, replace=()):
    """The stored object with ``patch`` applied. ``replace`` names paths ("a.b") that replace whole."""
    return _merge(stored, patch, "", frozenset(replace))


def _merge(stored, patch, prefix, replace):
    result = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    for key, value in patch.items():
        path = prefix + key
        current = result.get(key)
        if (isinstance(value, dict) and isinstance(current, dict) and path not in replace
                and value.get("@odata.type", current.get("@odata.type")) == current.get("@odata.type")):
            result[key] = _merge(current, value, path + ".", replace)
        else:
            result[key] = copy.deepcopy(value)
    return result
