# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the apps and the assignments of Intune MAM policies (app protection and app configuration).

Not a public API. Both are changed only through actions that replace the whole set:
``targetApps`` (``{"apps": [...], "appGroupType": ...}``) and ``assign``
(``{"assignments": [...]}``). This file turns the options into those bodies, compares sets without
regard to order or case, and writes the action only when the set differs.

``appGroupType`` too is set only through ``targetApps``: a new policy whose declaration names a
group type or apps gets its ``targetApps`` right after the POST, whatever the type. Graph keeps the
type as a non-nullable property (``targetedManagedAppGroupType``) that only beta returns; a policy
read without it has the type every new policy starts with, ``selectedPublicApps`` (the enum's
first member; the engine reads it through beta where v1.0 leaves it out, see
``_intune.engine``).
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import (
    app_id, app_name, identifier_of, managed_mobile_app)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption, Write

APP_GROUP_TYPES = ("selectedPublicApps", "allCoreMicrosoftApps", "allMicrosoftApps", "allApps")
ASSIGNMENT_TYPE = "#microsoft.graph.targetedManagedAppPolicyAssignment"
INCLUDE_TARGET = "#microsoft.graph.groupAssignmentTarget"
EXCLUDE_TARGET = "#microsoft.graph.exclusionGroupAssignmentTarget"
ACTION_KEYS = ("apps", "appGroupType", "assignments")
DEFAULT_APP_GROUP_TYPE = "selectedPublicApps"


def target_options():
    """Argument spec of ``apps``, ``app_group_type`` and ``assignments``."""
    return dict(
        apps=dict(type="list", elements="str"),
        app_group_type=dict(type="str", choices=list(APP_GROUP_TYPES)),
        assignments=dict(type="dict", options=dict(
            include_groups=dict(type="list", elements="str", default=[]),
            exclude_groups=dict(type="list", elements="str", default=[]),
        )),
    )


def apps_body(apps, platforms, field="apps"):
    """managedMobileApp bodies of ``apps`` (names or raw ids) for every platform in ``platforms``."""
    out = []
    seen = set()
    for index, value in enumerate(apps or []):
        for platform in platforms:
            try:
                identifier = app_id(value, platform, "%s[%d]" % (field, index))
            except InvalidOption:
                if len(platforms) > 1 and str(value).lower() in ("todo", "to-do", "to_do") and platform == "android":
                    continue
                raise
            if (platform, identifier) not in seen:
                seen.add((platform, identifier))
                out.append(managed_mobile_app(identifier, platform))
    return out


def group_references(assignments):
    """Every group name or id that ``assignments`` (the option) mentions."""
    if not assignments:
        return []
    return list(assignments.get("include_groups") or []) + list(assignments.get("exclude_groups") or [])


def assignments_body(assignments, group_id):
    """targetedManagedAppPolicyAssignment bodies; ``group_id(kind, value)`` gives the id of a group."""
    out = []
    for kind, target in (("include_groups", INCLUDE_TARGET), ("exclude_groups", EXCLUDE_TARGET)):
        for index, value in enumerate(assignments.get(kind) or []):
            object_id = group_id("assignments.%s[%d]" % (kind, index), value)
            item = {"@odata.type": ASSIGNMENT_TYPE, "target": {"@odata.type": target, "groupId": object_id}}
            if item not in out:
                out.append(item)
    return out


def app_set(apps):
    """The comparable set of a managedMobileApp list: sorted (platform, lowercase id)."""
    out = set()
    for app in apps or []:
        platform, identifier = identifier_of(app)
        if identifier is None and app.get("id"):
            text = str(app["id"]).lower()
            for suffix, name in ((".ios", "ios"), (".android", "android")):
                if text.endswith(suffix):
                    platform, identifier = name, text[:-len(suffix)]
        if identifier is not None:
            out.add((platform, identifier))
    return sorted(out)


def assignment_set(assignments):
    out = set()
    for item in assignments or []:
        target = item.get("target") or {}
        kind = "exclude" if "exclusion" in str(target.get("@odata.type", "")).lower() else "include"
        out.add((kind, str(target.get("groupId", "")).lower()))
    return sorted(out)


def actions_differ(current, desired, key):
    if key not in desired:
        return False
    if key == "apps":
        return app_set(current.get("apps")) != app_set(desired.get("apps"))
    if key == "assignments":
        return assignment_set(current.get("assignments")) != assignment_set(desired.get("assignments"))
    if key == "appGroupType":
        return group_type_of(current).lower() != str(desired["appGroupType"]).lower()
    return False


def group_type_of(obj):
    """The app group type of a policy as read: ``selectedPublicApps`` when Graph did not return one."""
    return str((obj or {}).get("appGroupType") or DEFAULT_APP_GROUP_TYPE)


def action_writes(current, desired):
    """The targetApps and assign writes that turn ``current`` into ``desired`` (only where they differ)."""
    writes = []
    if actions_differ(current, desired, "apps") or actions_differ(current, desired, "appGroupType"):
        apps = desired.get("apps", current.get("apps") or [])
        group_type = desired.get("appGroupType") or group_type_of(current)
        if group_type != DEFAULT_APP_GROUP_TYPE:
            apps = []  # Intune chooses the apps of the group
        writes.append(Write("POST", {"apps": [strip_app(a) for a in apps], "appGroupType": group_type},
                            suffix="/targetApps", idempotent=True, accept=set([200, 204])))
    if actions_differ(current, desired, "assignments"):
        writes.append(Write("POST", {"assignments": desired["assignments"]}, suffix="/assign", idempotent=True,
                            accept=set([200, 204])))
    return writes


def create_writes(desired):
    """The action writes that follow the POST of a new policy (which cannot carry apps, a group type or
    assignments): ``targetApps`` when apps or a group type are declared (even the type a new policy
    starts with, so that the tenant holds what was declared rather than a default), ``assign`` when
    groups are."""
    writes = []
    group_type = desired.get("appGroupType") or DEFAULT_APP_GROUP_TYPE
    if desired.get("appGroupType") or desired.get("apps"):
        apps = (desired.get("apps") or []) if group_type == DEFAULT_APP_GROUP_TYPE else []
        writes.append(Write("POST", {"apps": [strip_app(a) for a in apps], "appGroupType": group_type},
                            suffix="/targetApps", idempotent=True, accept=set([200, 204])))
    if desired.get("assignments"):
        writes.append(Write("POST", {"assignments": desired["assignments"]}, suffix="/assign", idempotent=True,
                            accept=set([200, 204])))
    return writes


def strip_app(app):
    """A managedMobileApp as targetApps takes it: the identifier only."""
    ident = dict((k, v) for k, v in (app.get("mobileAppIdentifier") or {}).items())
    return {"mobileAppIdentifier": ident}


def check_targets(desired, field=""):
    group_type = desired.get("appGroupType")
    if group_type and group_type != "selectedPublicApps" and desired.get("apps"):
        raise InvalidOption((field + "." if field else "") + "app_group_type",
                            "targets a group of apps Intune chooses, so apps cannot be listed too", value=group_type,
                            accepted="app_group_type selectedPublicApps with apps, or %s without apps" % group_type)


def readable_apps(apps):
    """``apps`` option values of a managedMobileApp list: friendly names where the table has them."""
    names = []
    for platform, identifier in app_set(apps):
        name = app_name(identifier, platform)
        if name not in names:
            names.append(name)
    return names


def readable_targets(obj, group_name, readable=readable_apps):
    """The ``apps``, ``app_group_type`` and ``assignments`` options of a policy read from Graph;
    ``readable`` turns its managedMobileApp list into option values, ``group_name`` (or None) a
    group id into its name."""
    params = {}
    group_type = obj.get("appGroupType")
    if "apps" in obj and (not group_type or group_type == "selectedPublicApps"):
        params["apps"] = readable(obj["apps"])  # other group types: Intune fills the list itself
    if group_type:
        params["app_group_type"] = group_type
    if "assignments" in obj:
        include, exclude = [], []
        for kind, group in assignment_set(obj["assignments"]):
            name = group_name(group) if group_name else None
            (include if kind == "include" else exclude).append(name or group)
        params["assignments"] = {"include_groups": include, "exclude_groups": exclude}
    return params
