"""Seeds: Graph-shaped objects to start a tenant from, keyed by collection (format in README.md).

A seed file is applied once: its SHA-256 is remembered in ``DIR/seeds.json`` and serving again with
the same file changes nothing. Objects are upserted by ``id`` (objects without one get an id derived
from their content), so even a re-applied seed never duplicates anything. Conditional access
objects pass through the same validation as a POST (with the clock set before the retirement of
``approvedApplication``, so that legacy policies can be seeded as they exist in real tenants).
"""

import copy
import datetime
import hashlib
import json
import os

from . import defaults, validation
from .apps import SeedError, register_application, stable_id
from .exchange_activesync import admit
from .fsutil import read_json, write_json
from .tenant import save_settings
from .wellknown import CLOUD_RESOURCES, ROLE_TEMPLATES

SEEDS_FILE = "seeds.json"
DIRECTORY = ("users", "groups", "servicePrincipals", "devices", "directoryRoleTemplates")
INTUNE = ("iosManagedAppProtections", "androidManagedAppProtections", "targetedManagedAppConfigurations",
          "managedDevices")
CONDITIONAL_ACCESS = ("namedLocations", "authenticationStrengthPolicies", "conditionalAccessPolicies",
                      "authenticationContextClassReferences")
KNOWN = set(DIRECTORY) | set(INTUNE) | set(CONDITIONAL_ACCESS) | {
    "applications", "directoryRoles", "exchangeMobileDevices", "tenant"} | {
    "managedAppRegistrations", "managedAppStatuses", "deviceCompliancePolicies", "subscribedSkus"}
SERVER_FIELDS = ("id", "createdDateTime", "modifiedDateTime", "deletedDateTime", "templateId",
                 "partialEnablementStrategy")
_POLICY_TYPES = {"iosManagedAppProtections": "iosManagedAppProtection",
                 "androidManagedAppProtections": "androidManagedAppProtection",
                 "targetedManagedAppConfigurations": "targetedManagedAppConfiguration"}
SEED_CLOCK = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

__all__ = ["SeedError", "apply_seed", "apply_seed_file"]


def apply_seed_file(sandbox, path):
    """Apply the seed in ``path`` unless this exact file content was applied before."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise SeedError("cannot read seed %s: %s" % (path, exc)) from None
    digest = hashlib.sha256(raw).hexdigest()
    ledger_path = os.path.join(sandbox.state_dir, SEEDS_FILE)
    ledger = read_json(ledger_path, default={"applied": []})
    if digest in ledger["applied"]:
        return {}
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise SeedError("seed %s is not JSON: %s" % (path, exc)) from None
    counts = apply_seed(sandbox, document, source=path)
    ledger["applied"].append(digest)
    write_json(ledger_path, ledger, indent=1)
    return counts


def _objects(document, name):
    items = document.get(name, [])
    if not isinstance(items, list):
        raise SeedError("%s: expected a list of objects, got %s" % (name, type(items).__name__))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SeedError("%s[%d]: expected an object, got %s" % (name, index, type(item).__name__))
    return items


def _with_id(name, index, obj):
    if obj.get("id"):
        return obj
    obj = dict(obj)
    obj["id"] = stable_id("seed", name, json.dumps(obj, sort_keys=True))
    return obj


def _graph_object(obj):
    if "@odata.context" not in obj:
        return obj
    return {k: v for k, v in obj.items() if k != "@odata.context"}


def apply_seed(sandbox, document, source="seed"):
    """Upsert every object of ``document`` into the store; returns ``{collection: count}``."""
    if not isinstance(document, dict):
        raise SeedError("%s: a seed is a JSON object keyed by collection name" % source)
    unknown = set(document) - KNOWN
    if unknown:
        raise SeedError("%s: unknown collection(s) %s; known: %s"
                        % (source, ", ".join(sorted(unknown)), ", ".join(sorted(KNOWN))))
    store, tenant = sandbox.store, sandbox.tenant
    counts = {}
    with store.lock:
        if "tenant" in document:
            _apply_tenant(sandbox, document["tenant"])
        for name in DIRECTORY:
            coll = store[name]
            items = _objects(document, name)
            for index, obj in enumerate(items):
                if name == "groups":
                    # members are links, not a property: the id of a group seeded without one is made from the
                    # group alone, as _apply_members makes it, so that its members land on the same group
                    obj = {k: v for k, v in obj.items() if k != "members"}
                obj = _graph_object(_with_id(name, index, obj))
                obj.setdefault("deletedDateTime", None)
                coll.put(obj)
            counts[name] = len(items)
        _apply_members(store, _objects(document, "groups"), "groups", "groupMembers")
        counts["directoryRoles"] = _apply_roles(store, tenant, _objects(document, "directoryRoles"))
        for index, spec in enumerate(_objects(document, "applications")):
            register_application(store, tenant, spec)
        counts["applications"] = len(document.get("applications", []))
        for name in INTUNE:
            coll = store[name]
            items = _objects(document, name)
            for index, obj in enumerate(items):
                obj = _graph_object(obj)
                if not obj.get("id"):
                    obj["id"] = ("T_" if name != "managedDevices" else "") + stable_id(
                        "seed", name, json.dumps(obj, sort_keys=True))
                if name != "managedDevices":
                    # stored as a tenant holds it: every property, Graph's defaults where the seed is silent
                    # (beta, the larger model; each version's reads project it). Managed devices, which seeds hold
                    # by the hundred thousand, are completed when read.
                    obj = defaults.complete("beta", _POLICY_TYPES[name], obj)
                    obj.pop("@odata.type", None)
                    obj.setdefault("apps", [])
                    obj.setdefault("assignments", [])
                coll.put(obj)
            counts[name] = len(items)
        coll = store["exchangeMobileDevices"]
        items = _objects(document, "exchangeMobileDevices")
        for obj in items:
            obj = dict(obj)
            key = obj.get("Guid") or stable_id("seed", "exchangeMobileDevices", json.dumps(obj, sort_keys=True))
            obj.setdefault("Guid", key)
            obj["id"] = key
            if not obj.get("DeviceAccessState"):
                # a new partnership: Exchange decides its access when it first syncs (exchange_activesync.admit)
                obj = admit(_SeedSandbox(store), obj)
            coll.put(obj)
        counts["exchangeMobileDevices"] = len(items)
        for name in ("managedAppRegistrations", "managedAppStatuses"):
            # as Graph returns them (@odata.type kept); registrations may carry appliedPolicies,
            # intendedPolicies (policy objects or {"id"} of a stored policy) and operations
            items = _objects(document, name)
            for obj in items:
                store[name].put(_with_id(name, 0, _graph_object(obj)))
            counts[name] = len(items)
        counts["deviceCompliancePolicies"] = _apply_compliance(store, _objects(document, "deviceCompliancePolicies"))
        # the tenant's subscribed SKUs (endpoints/licensing.py): id <tenant id>_<skuId> as Graph makes it
        items = _objects(document, "subscribedSkus")
        for obj in items:
            obj = _graph_object(dict(obj))
            obj.setdefault("id", "%s_%s" % (tenant.id, obj.get("skuId")))
            store["subscribedSkus"].put(obj)
        counts["subscribedSkus"] = len(items)
        _apply_conditional_access(store, document, counts)
    return counts


def _apply_compliance(store, items):
    """Device compliance policies as the compliance endpoint stores a POST followed by ``assign``: every property
    of the type (beta defaults where the seed is silent), ``scheduledActionsForRule`` (a block at once when the
    seed gives none, as Graph requires one on create) and ``assignments`` with ids ``<policy id>_<group id>``."""
    for obj in items:
        obj = _graph_object(obj)
        type_name = str(obj.get("@odata.type") or "").rsplit(".", 1)[-1]
        if not type_name:
            raise SeedError("deviceCompliancePolicies: each policy needs its @odata.type "
                            "(#microsoft.graph.iosCompliancePolicy, ...)")
        if not obj.get("id"):
            obj["id"] = stable_id("seed", "deviceCompliancePolicies", json.dumps(obj, sort_keys=True))
        from .endpoints.intune_compliance import checked_rules  # the endpoints import the store, not the seed
        rules = checked_rules("beta", obj.pop("scheduledActionsForRule", None) or [{
            "ruleName": "PasswordRequired", "scheduledActionConfigurations": [
                {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": ""}]}],
            "scheduledActionsForRule")
        assignments = obj.pop("assignments", None) or []
        obj.setdefault("createdDateTime", "2026-01-01T00:00:00Z")
        obj.setdefault("lastModifiedDateTime", obj["createdDateTime"])
        obj.setdefault("version", 1)
        stored = defaults.complete("beta", type_name, {k: v for k, v in obj.items() if k != "@odata.type"})
        stored["@odata.type"] = "#microsoft.graph." + type_name
        stored["scheduledActionsForRule"] = rules
        stored["assignments"] = [dict(a, id=a.get("id") or "%s_%s" % (
            obj["id"], (a.get("target") or {}).get("groupId") or stable_id("seed", obj["id"], str(index))))
            for index, a in enumerate(assignments)]
        store["deviceCompliancePolicies"].put(stored)
    return len(items)


def _apply_tenant(sandbox, spec):
    if not isinstance(spec, dict):
        raise SeedError("tenant: expected an object with cloud, displayName and/or domains")
    unknown = set(spec) - {"cloud", "displayName", "domains"}
    if unknown:
        raise SeedError("tenant: unknown field(s) %s; accepted: cloud, displayName, domains" % ", ".join(sorted(unknown)))
    if "cloud" in spec and spec["cloud"] not in CLOUD_RESOURCES:
        raise SeedError("tenant.cloud: '%s' is not one of %s" % (spec["cloud"], ", ".join(CLOUD_RESOURCES)))
    settings = sandbox.settings
    if "cloud" in spec:
        settings["cloud"] = spec["cloud"]
        sandbox.tenant.cloud = spec["cloud"]
    if "displayName" in spec:
        settings["displayName"] = sandbox.tenant.display_name = str(spec["displayName"])
    if "domains" in spec:
        domains = [str(d).lower() for d in spec["domains"]]
        settings["extraDomains"] = domains
        sandbox.tenant.domains |= set(domains)
    save_settings(sandbox.state_dir, settings)


def _apply_members(store, groups, name, members_collection):
    users = None
    coll = store[members_collection]
    for index, group in enumerate(groups):
        if "members" not in group:
            continue
        members = group["members"]
        if not isinstance(members, list):
            raise SeedError("%s[%d].members: expected a list of object ids or user principal names" % (name, index))
        resolved = []
        for member in members:
            if isinstance(member, str) and "@" in member:
                if users is None:
                    users = {str(u.get("userPrincipalName", "")).lower(): u["id"] for u in store["users"].values(True)}
                if member.lower() not in users:
                    raise SeedError("%s[%d].members: no seeded user has userPrincipalName '%s'" % (name, index, member))
                member = users[member.lower()]
            elif not isinstance(member, str):
                raise SeedError("%s[%d].members: %r is not an object id" % (name, index, member))
            resolved.append(member)
        group_id = _with_id(name, index, {k: v for k, v in group.items() if k != "members"})["id"]
        coll.put({"id": group_id, "members": list(dict.fromkeys(resolved))})


def _apply_roles(store, tenant, roles):
    # Microsoft's templates and those the seed added (a seed may add templates and activate them).
    known = [(t["id"], t.get("displayName") or "", t.get("description")) for t in
             store["directoryRoleTemplates"].values(True)] or list(ROLE_TEMPLATES)
    names = {t[1].lower(): t for t in known}
    ids = {t[0]: t for t in known}
    coll = store["directoryRoles"]
    existing = {r.get("roleTemplateId"): r for r in coll.values(True)}
    normalised = []
    for index, role in enumerate(roles):
        template = ids.get(role.get("roleTemplateId")) or names.get(str(role.get("displayName", "")).lower())
        if template is None:
            raise SeedError("directoryRoles[%d]: give roleTemplateId or displayName of a directory role template"
                            % index)
        current = existing.get(template[0])
        obj = {"id": role.get("id") or (current or {}).get("id") or stable_id("directoryRole", tenant.id, template[0]),
               "deletedDateTime": None, "displayName": template[1], "description": template[2],
               "roleTemplateId": template[0]}
        coll.put(obj)
        normalised.append(dict(role, id=obj["id"]))
    _apply_members(store, normalised, "directoryRoles", "roleMembers")
    return len(roles)


def _strip(obj):
    body = {k: v for k, v in obj.items() if k not in SERVER_FIELDS and not k.startswith("@odata.context")
            and not k.endswith("@odata.context")}
    return copy.deepcopy(body)


def _first_version(create, body):
    errors = []
    for version in ("v1.0", "beta"):
        try:
            return create(version, copy.deepcopy(body))
        except Exception as exc:  # validation answers with GraphHTTPError; keep the first for the message
            errors.append(getattr(exc, "detail", None) or str(exc))
    raise SeedError(errors[0])


def _apply_conditional_access(store, document, counts):
    for index, obj in enumerate(_objects(document, "namedLocations")):
        body = _strip(obj)
        key = obj.get("id") or stable_id("seed", "namedLocations", json.dumps(obj, sort_keys=True))
        try:
            stored = _first_version(lambda v, b: validation.create_named_location(v, b, new_id=key), body)
        except SeedError as exc:
            raise SeedError("namedLocations[%d]: %s" % (index, exc)) from None
        _keep_times(obj, stored)
        store["namedLocations"].put(stored)
    counts["namedLocations"] = len(document.get("namedLocations", []))
    for index, obj in enumerate(_objects(document, "authenticationStrengthPolicies")):
        body = {k: v for k, v in _strip(obj).items()
                if k not in ("policyType", "requirementsSatisfied", "combinationConfigurations")}
        key = obj.get("id") or stable_id("seed", "authenticationStrengthPolicies", json.dumps(obj, sort_keys=True))
        try:
            stored = _first_version(lambda v, b: validation.create_authentication_strength(v, b, new_id=key), body)
        except SeedError as exc:
            raise SeedError("authenticationStrengthPolicies[%d]: %s" % (index, exc)) from None
        _keep_times(obj, stored)
        store["authenticationStrengthPolicies"].put(stored)
    counts["authenticationStrengthPolicies"] = len(document.get("authenticationStrengthPolicies", []))
    builtin = {s["id"] for s in validation.builtin_authentication_strengths()}
    for index, obj in enumerate(_objects(document, "conditionalAccessPolicies")):
        body = _strip(obj)
        grant = body.get("grantControls")
        if isinstance(grant, dict) and isinstance(grant.get("authenticationStrength"), dict):
            grant["authenticationStrength"] = {"id": grant["authenticationStrength"].get("id")}
        key = obj.get("id") or stable_id("seed", "conditionalAccessPolicies", json.dumps(obj, sort_keys=True))

        def location_exists(i):
            return store["namedLocations"].get(i, True) is not None

        def strength_exists(i):
            return i in builtin or store["authenticationStrengthPolicies"].get(i, True) is not None

        def create(version, b, key=key):
            return validation.create_policy(version, b, new_id=key, now=SEED_CLOCK,
                                            named_location_exists=location_exists,
                                            authentication_strength_exists=strength_exists)

        try:
            stored = _first_version(create, body)
        except SeedError as exc:
            raise SeedError("conditionalAccessPolicies[%d]: %s" % (index, exc)) from None
        _keep_times(obj, stored)
        if obj.get("templateId"):
            stored["templateId"] = obj["templateId"]
        store["conditionalAccessPolicies"].put(stored)
    counts["conditionalAccessPolicies"] = len(document.get("conditionalAccessPolicies", []))
    for index, obj in enumerate(_objects(document, "authenticationContextClassReferences")):
        if not obj.get("id"):
            raise SeedError("authenticationContextClassReferences[%d].id: 'c1' to 'c99' is required" % index)
        store["authenticationContextClassReferences"].put({
            "id": obj["id"], "displayName": obj.get("displayName"), "description": obj.get("description"),
            "isAvailable": bool(obj.get("isAvailable", False))})
    counts["authenticationContextClassReferences"] = len(document.get("authenticationContextClassReferences", []))


def _keep_times(original, stored):
    for key in ("createdDateTime", "modifiedDateTime"):
        if original.get(key):
            stored[key] = original[key]
    if not original.get("createdDateTime"):
        stored["createdDateTime"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


class _SeedSandbox:
    """What the Exchange access rules read of a sandbox: its store."""

    def __init__(self, store):
        self.store = store

