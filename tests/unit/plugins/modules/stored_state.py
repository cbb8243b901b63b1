"""What the sandbox holds, read from its state files rather than through Graph or a module.

The sandbox keeps each collection in ``<state dir>/data/<collection>.json`` and rewrites the file at
the end of the request that changed it (``tenantguard_sandbox.store``), so once a module has
returned, the file is what the tenant stores: the object exactly as kept, before any rendering
of a GET answer (defaults, ``$select``, API version).
"""
import json
import os

COLLECTIONS = {
    "named_location": "namedLocations",
    "authentication_strength": "authenticationStrengthPolicies",
    "conditional_access_policy": "conditionalAccessPolicies",
    "ios": "iosManagedAppProtections",
    "android": "androidManagedAppProtections",
    "app_configuration": "targetedManagedAppConfigurations",
}


def stored_objects(sandbox, kind):
    """Every object of ``kind`` (a key of COLLECTIONS, or a collection name) as the sandbox stores it."""
    path = os.path.join(sandbox.state_dir, "data", COLLECTIONS.get(kind, kind) + ".json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def stored_object(sandbox, kind, object_id):
    """The stored object with ``object_id`` (compared without regard to case), or None."""
    for obj in stored_objects(sandbox, kind):
        if str(obj.get("id")).lower() == str(object_id).lower():
            return obj
    return None


def stored_named(sandbox, kind, name):
    """The stored objects whose display name is ``name`` (without regard to case)."""
    return [o for o in stored_objects(sandbox, kind) if str(o.get("displayName", "")).casefold() == name.casefold()]
