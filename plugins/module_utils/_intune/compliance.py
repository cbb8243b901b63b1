# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Intune device compliance policies (deviceCompliancePolicy and its derived types) as module options.

Not a public API. The settings options mirror Graph (``_intune.compliance_spec``, generated from the schema);
``baseline`` starts from Microsoft's framework level (``_intune.compliance_levels``) and explicit options
override it. The actions for non-compliance (``scheduledActionsForRule``) and the assignments are navigation
properties: the POST of a new policy carries the actions (Graph refuses a policy without exactly one block
action), an existing policy's actions change through ``scheduleActionsForRules`` and its assignments through
``assign``, each sent only when the set differs. All policies live in one collection, so set mode reads the
tenant's policies of every platform with one paged request
(``$expand=assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)``).

A policy's platform is its ``@odata.type``; Graph cannot change it, so a declaration that names an existing
policy of another platform is refused before anything is written.
"""

import copy
import re

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_levels import (
    LEVELS, OS_VERSION_PROPERTIES, SOURCE, available, baseline)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_spec import ENUMS, PROPERTIES, TYPES
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption, ResourceType, Write, option_field)

COLLECTION = "/deviceManagement/deviceCompliancePolicies"
PLATFORMS = tuple(TYPES)
PLATFORM_LABELS = {"ios": "iOS/iPadOS", "android_work_profile": "Android work profile",
                   "android_fully_managed": "Android fully managed", "android_device_administrator":
                   "Android device administrator"}
BY_TYPE = dict((type_name.lower(), platform) for platform, type_name in TYPES.items())
API_VERSIONS = ("v1.0", "beta")
RULES = "scheduledActionsForRule"
NAVIGATION_KEYS = (RULES, "assignments")
READ_ONLY = ("id", "createdDateTime", "lastModifiedDateTime", "version", "@odata.type", "@odata.context")
LIST_QUERY = {"$expand": "assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)"}
ASSIGNMENT_TYPE = "#microsoft.graph.deviceCompliancePolicyAssignment"
TARGETS = {"include": "#microsoft.graph.groupAssignmentTarget",
           "exclude": "#microsoft.graph.exclusionGroupAssignmentTarget",
           "all_users": "#microsoft.graph.allLicensedUsersAssignmentTarget",
           "all_devices": "#microsoft.graph.allDevicesAssignmentTarget"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
OPTION_TYPES = {"bool": "bool", "int": "int", "str": "str", "enum": "str", "str_list": "list", "apps": "list"}
# Ranges Intune's console enforces (the schema says Int32 only).
INT_RANGES = {
    "passcodeMinimumLength": (4, 16), "passwordMinimumLength": (4, 16),
    "passcodeExpirationDays": (1, 65535), "passwordExpirationDays": (1, 365),
    "passcodePreviousPasscodeBlockCount": (1, 24), "passwordPreviousPasswordBlockCount": (1, 24),
    "passwordPreviousPasswordCountToBlock": (1, 24),
    "passcodeMinimumCharacterSetCount": (1, 4),
}
RETIRED = ("the Android device administrator type is retired: Google ended device administrator support for "
           "devices with Google Mobile Services and Intune no longer manages them; move these devices to Android "
           "Enterprise (android_work_profile or android_fully_managed)")
MAX_GRACE_HOURS = 8760  # 365 days, the console's upper bound


def setting_options():
    """Argument spec of every setting option (all platforms, all versions)."""
    spec = {}
    for entry in PROPERTIES.values():
        option = dict(type=OPTION_TYPES[entry["kind"]])
        if "pass" in entry["option"]:
            option["no_log"] = False  # a policy setting about passcodes, not a secret
        if entry["kind"] == "str_list":
            option["elements"] = "str"
        if entry["kind"] == "apps":
            option["elements"] = "dict"
            option["options"] = dict(name=dict(type="str"), app_id=dict(type="str", required=True),
                                     publisher=dict(type="str"), app_store_url=dict(type="str"))
        spec[entry["option"]] = option
    return spec


def action_options():
    return dict(
        block_after_hours=dict(type="int", default=0),
        notifications=dict(type="list", elements="dict", options=dict(
            template_id=dict(type="str", required=True),
            after_hours=dict(type="int", default=0),
            cc_groups=dict(type="list", elements="str", default=[]),
        )),
        retire_after_days=dict(type="int"),
    )


def assignment_options():
    return dict(
        include_groups=dict(type="list", elements="str", default=[]),
        exclude_groups=dict(type="list", elements="str", default=[]),
        all_users=dict(type="bool", default=False),
        all_devices=dict(type="bool", default=False),
    )


def object_options():
    """Argument spec of one policy (without ``state``)."""
    spec = dict(
        id=dict(type="str"),
        display_name=dict(type="str"),
        description=dict(type="str"),
        platform=dict(type="str", choices=list(PLATFORMS)),
        baseline=dict(type="str", choices=list(LEVELS)),
        actions=dict(type="dict", options=action_options()),
        assignments=dict(type="dict", options=assignment_options()),
        role_scope_tag_ids=dict(type="list", elements="str"),
    )
    spec.update(setting_options())
    return spec


def group_references(params, field=""):
    """(field, value) of every group an item names (assignments and notification copies)."""
    out = []
    assignments = params.get("assignments") or {}
    for kind in ("include_groups", "exclude_groups"):
        for index, value in enumerate(assignments.get(kind) or []):
            out.append((option_field(field, "assignments.%s[%d]" % (kind, index)), value))
    for index, item in enumerate((params.get("actions") or {}).get("notifications") or []):
        for cc_index, value in enumerate(item.get("cc_groups") or []):
            out.append((option_field(field, "actions.notifications[%d].cc_groups[%d]" % (index, cc_index)), value))
    return out


def enum_member(enum, value, field):
    members = ENUMS[enum]
    for member in members:
        if str(value).lower() == member.lower():
            return member
    raise InvalidOption(field, "is not a value Graph accepts", value=value, accepted=", ".join(members))


def convert(name, entry, platform, value, field):
    kind = entry["kind"]
    if kind == "enum":
        return enum_member(entry["enum"][platform], value, field)
    if kind == "apps":
        return [{"name": a.get("name"), "appId": a["app_id"], "publisher": a.get("publisher"),
                 "appStoreUrl": a.get("app_store_url")} for a in value]
    bounds = INT_RANGES.get(name)
    if kind == "int" and bounds and not bounds[0] <= value <= bounds[1]:
        raise InvalidOption(field, "is out of range", value=value, accepted="%d to %d" % bounds)
    return copy.deepcopy(value)


def check_setting(entry, platform, api_version, field, value):
    if platform not in entry["platforms"]:
        others = ", ".join(entry["platforms"])
        raise InvalidOption(field, "is not a setting of %s compliance policies" % PLATFORM_LABELS[platform],
                            value=value, accepted="leave it out, or a policy of platform %s" % others)
    if api_version not in entry["versions"][platform]:
        raise InvalidOption(field, "exists only in Graph beta for %s; api_version is %s" % (
            PLATFORM_LABELS[platform], api_version), value=value, accepted="api_version: beta, or leave it out")


def actions_body(actions, group_id, field=""):
    """``scheduledActionsForRule`` of the ``actions`` option: one rule, always exactly one block action."""
    actions = actions or {}
    where = option_field(field, "actions")
    block = actions.get("block_after_hours")
    block = 0 if block is None else block
    if not 0 <= block <= MAX_GRACE_HOURS:
        raise InvalidOption(where + ".block_after_hours", "is out of range", value=block,
                            accepted="0 (block at once) to %d hours" % MAX_GRACE_HOURS)
    items = [{"actionType": "block", "gracePeriodHours": block, "notificationTemplateId": "",
              "notificationMessageCCList": []}]
    for index, note in enumerate(actions.get("notifications") or []):
        here = "%s.notifications[%d]" % (where, index)
        template = str(note.get("template_id") or "").strip()
        if not GUID.match(template):
            raise InvalidOption(here + ".template_id", "is not a notification message template id",
                                value=note.get("template_id"),
                                accepted="the GUID of a notification template (Intune > Tenant administration > "
                                         "Notifications)")
        hours = note.get("after_hours") or 0
        if not 0 <= hours <= MAX_GRACE_HOURS:
            raise InvalidOption(here + ".after_hours", "is out of range", value=hours,
                                accepted="0 to %d hours" % MAX_GRACE_HOURS)
        cc = [group_id("%s.cc_groups[%d]" % (here, i), value) for i, value in enumerate(note.get("cc_groups") or [])]
        items.append({"actionType": "notification", "gracePeriodHours": hours,
                      "notificationTemplateId": template.lower(), "notificationMessageCCList": cc})
    days = actions.get("retire_after_days")
    if days is not None:
        if not 1 <= days <= 365:
            raise InvalidOption(where + ".retire_after_days", "is out of range", value=days,
                                accepted="1 to 365 days")
        items.append({"actionType": "retire", "gracePeriodHours": days * 24, "notificationTemplateId": "",
                      "notificationMessageCCList": []})
    return [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": items}]


def assignments_body(assignments, group_id, field=""):
    out = []
    assignments = assignments or {}
    if assignments.get("all_users"):
        out.append({"@odata.type": ASSIGNMENT_TYPE, "target": {"@odata.type": TARGETS["all_users"]}})
    if assignments.get("all_devices"):
        out.append({"@odata.type": ASSIGNMENT_TYPE, "target": {"@odata.type": TARGETS["all_devices"]}})
    for kind, target in (("include_groups", TARGETS["include"]), ("exclude_groups", TARGETS["exclude"])):
        for index, value in enumerate(assignments.get(kind) or []):
            object_id = group_id(option_field(field, "assignments.%s[%d]" % (kind, index)), value)
            item = {"@odata.type": ASSIGNMENT_TYPE, "target": {"@odata.type": target, "groupId": object_id}}
            if item not in out:
                out.append(item)
    return out


def options_to_graph(params, resolve_group=None, field="", api_version="beta", warn=None):
    """The desired Graph body of one policy's options (``baseline`` expanded, actions and assignments included).

    ``resolve_group(field, value)`` gives a group id (None: the options are only checked)."""
    platform = params.get("platform")
    if not platform:
        raise InvalidOption(option_field(field, "platform"), "is required for a policy that is present",
                            accepted=", ".join(PLATFORMS))
    if platform == "android_fully_managed" and api_version != "beta":
        raise InvalidOption(option_field(field, "platform"), "is a Graph beta type "
                            "(androidDeviceOwnerCompliancePolicy); api_version is %s" % api_version,
                            value=platform, accepted="api_version: beta")
    group_id = resolve_group or (lambda f, v: "00000000-0000-0000-0000-000000000000")
    desired = {"@odata.type": "#microsoft.graph." + TYPES[platform]}
    explicit = set()
    for name, entry in PROPERTIES.items():
        value = params.get(entry["option"])
        if value is None:
            continue
        where = option_field(field, entry["option"])
        check_setting(entry, platform, api_version, where, value)
        desired[name] = convert(name, entry, platform, value, where)
        explicit.add(name)
    level = params.get("baseline")
    if level:
        preset = baseline(level, platform)
        if preset is None:
            levels = available(platform)
            raise InvalidOption(option_field(field, "baseline"), "is not one of Microsoft's compliance levels for %s "
                                "(%s)" % (PLATFORM_LABELS[platform], SOURCE), value=level,
                                accepted=", ".join(levels) if levels else "no baseline: Microsoft publishes none for "
                                "this platform")
        for name, value in preset.items():
            if name in explicit:
                continue
            if api_version not in PROPERTIES[name]["versions"].get(platform, ()):
                continue  # a beta-only setting of the level, left out on v1.0
            desired[name] = value
        if not any(name in explicit for name in OS_VERSION_PROPERTIES) and warn is not None:
            warn("%s: baseline %s sets no minimum OS version; set os_minimum_version to the oldest %s version "
                 "you support (Microsoft's framework files name versions that are years old)" % (
                     option_field(field, "baseline"), level, PLATFORM_LABELS[platform]))
    if params.get("display_name") is not None:
        desired["displayName"] = params["display_name"]
    if params.get("description") is not None:
        desired["description"] = params["description"]
    if params.get("role_scope_tag_ids") is not None:
        if api_version != "beta":
            raise InvalidOption(option_field(field, "role_scope_tag_ids"), "exists only in Graph beta",
                                value=params["role_scope_tag_ids"], accepted="api_version: beta, or leave it out")
        desired["roleScopeTagIds"] = [str(t) for t in params["role_scope_tag_ids"]]
    if params.get("actions") is not None:
        desired[RULES] = actions_body(params["actions"], group_id, field)
    if params.get("assignments") is not None:
        desired["assignments"] = assignments_body(params["assignments"], group_id, field)
    return desired


def platform_of(obj):
    text = str((obj or {}).get("@odata.type") or "").rsplit(".", maxsplit=1)[-1].lower()
    return BY_TYPE.get(text)


def action_set(rules):
    """The comparable set of a policy's actions: (type, hours, template, sorted cc), rule names aside."""
    out = set()
    for rule in rules or []:
        for item in rule.get("scheduledActionConfigurations") or []:
            out.add((str(item.get("actionType") or "").lower(), int(item.get("gracePeriodHours") or 0),
                     str(item.get("notificationTemplateId") or "").lower(),
                     tuple(sorted(str(g).lower() for g in item.get("notificationMessageCCList") or []))))
    return sorted(out)


def assignment_set(assignments):
    out = set()
    for item in assignments or []:
        target = item.get("target") or {}
        kind = str(target.get("@odata.type") or "").rsplit(".", maxsplit=1)[-1]
        out.add((kind, str(target.get("groupId") or "").lower()))
    return sorted(out)


def comparable(name, value):
    entry = PROPERTIES.get(name)
    if entry is None:
        return value
    if entry["kind"] == "enum" and isinstance(value, str):
        return value.lower()
    if entry["kind"] == "apps":
        return sorted((str(a.get("appId") or "").lower(), a.get("name") or "", a.get("publisher") or "",
                       a.get("appStoreUrl") or "") for a in value or [])
    if entry["kind"] == "str_list":
        return sorted(value or [])
    return value


def graph_to_options(obj, api_version="beta", group_name=None):
    """The module options that recreate ``obj`` (its ``params``)."""
    platform = platform_of(obj)
    params = {"display_name": obj.get("displayName"), "platform": platform}
    if obj.get("description"):
        params["description"] = obj["description"]
    for name, entry in PROPERTIES.items():
        if platform not in entry["platforms"] or api_version not in entry["versions"][platform]:
            continue
        value = obj.get(name)
        if value is None or value == []:
            continue
        if entry["kind"] == "apps":
            value = [{"name": a.get("name"), "app_id": a.get("appId"), "publisher": a.get("publisher"),
                      "app_store_url": a.get("appStoreUrl")} for a in value]
        bounds = INT_RANGES.get(name)
        if bounds and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
            continue
        params[entry["option"]] = copy.deepcopy(value)
    if obj.get("roleScopeTagIds") and api_version == "beta":
        params["role_scope_tag_ids"] = list(obj["roleScopeTagIds"])
    name_of = group_name or (lambda group_id: None)
    if RULES in obj:
        actions = {"block_after_hours": 0, "notifications": []}
        for kind, hours, template, cc in action_set(obj[RULES]):
            if kind == "block":
                actions["block_after_hours"] = hours
            elif kind == "notification":
                actions["notifications"].append({"template_id": template, "after_hours": hours,
                                                 "cc_groups": [name_of(g) or g for g in cc]})
            elif kind == "retire":
                actions["retire_after_days"] = hours // 24
        params["actions"] = actions
    if "assignments" in obj:
        assignments = {"include_groups": [], "exclude_groups": [], "all_users": False, "all_devices": False}
        for kind, group in assignment_set(obj["assignments"]):
            if kind == "allLicensedUsersAssignmentTarget":
                assignments["all_users"] = True
            elif kind == "allDevicesAssignmentTarget":
                assignments["all_devices"] = True
            elif kind == "exclusionGroupAssignmentTarget":
                assignments["exclude_groups"].append(name_of(group) or group)
            elif kind == "groupAssignmentTarget":
                assignments["include_groups"].append(name_of(group) or group)
        params["assignments"] = assignments
    return params


class CompliancePolicyType(ResourceType):
    noun = "device compliance policy"
    collection = COLLECTION
    result_key = "device_compliance_policy"
    list_key = "device_compliance_policies"
    read_only_fields = READ_ONLY
    list_query = LIST_QUERY

    def __init__(self, api_version="beta", group_names=None):
        self.api_version = api_version
        self.group_names = group_names or (lambda group_id: None)

    def label(self, obj):
        platform = platform_of(obj)
        text = super().label(obj)
        return "%s %s" % (PLATFORM_LABELS[platform], text) if platform else text

    def normalise(self, body):
        out = {}
        for key, value in (body or {}).items():
            if key in READ_ONLY or "@" in key:
                continue
            if key == RULES:
                out[key] = action_set(value)
            elif key == "assignments":
                out[key] = assignment_set(value)
            elif key == "roleScopeTagIds":
                out[key] = sorted(str(v) for v in value or [])
            else:
                out[key] = comparable(key, value)
        return out

    def _patch(self, current, desired):
        before = self.normalise(current)
        patch = {}
        for key, value in desired.items():
            if key in NAVIGATION_KEYS or key in READ_ONLY:
                continue
            if before.get(key) != self.normalise({key: value}).get(key):
                patch[key] = copy.deepcopy(value)
        return patch

    def _navigation_differs(self, current, desired, key):
        if key not in desired:
            return False
        return self.normalise({key: current.get(key)}).get(key) != self.normalise({key: desired[key]}).get(key)

    def differs(self, current, desired):
        if any(self._navigation_differs(current, desired, k) for k in NAVIGATION_KEYS):
            return True
        return bool(self._patch(current, desired))

    def check_update(self, current, desired, field=""):
        have, want = platform_of(current), platform_of(desired)
        if want and have != want:
            raise InvalidOption(option_field(field, "platform"), "names %s, but %s is a %s policy; Graph cannot "
                                "change a policy's platform" % (want, self.label(current), have or "another"),
                                value=want, accepted="platform: %s, or another display name" % have)

    def protected(self, obj):
        return None

    def create_body(self, desired):
        body = dict((k, copy.deepcopy(v)) for k, v in desired.items() if k != "assignments")
        if RULES not in body:
            body[RULES] = actions_body({}, None)
        return body

    def predict_created(self, body):
        return copy.deepcopy(body)

    def create_writes(self, desired):
        if desired.get("assignments"):
            return [Write("POST", {"assignments": desired["assignments"]}, suffix="/assign", idempotent=True,
                          accept=set([200, 204]))]
        return []

    def update_writes(self, current, desired):
        writes = []
        patch = self._patch(current, desired)
        if patch:
            body = {"@odata.type": current.get("@odata.type") or desired.get("@odata.type")}
            body.update(patch)
            writes.append(Write("PATCH", body))
        if self._navigation_differs(current, desired, RULES):
            writes.append(Write("POST", {"deviceComplianceScheduledActionForRules": desired[RULES]},
                                suffix="/scheduleActionsForRules", idempotent=True, accept=set([200, 204])))
        if self._navigation_differs(current, desired, "assignments"):
            writes.append(Write("POST", {"assignments": desired["assignments"]}, suffix="/assign", idempotent=True,
                                accept=set([200, 204])))
        return writes

    def apply_writes(self, current, desired, writes):
        merged = copy.deepcopy(current)
        merged.update(copy.deepcopy(desired))
        merged["@odata.type"] = current.get("@odata.type") or desired.get("@odata.type")
        return merged

    def display(self, body):
        if not body:
            return {}
        return graph_to_options(body, self.api_version, self.group_names)
