# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Intune enrolment platform restrictions (deviceEnrollmentPlatformRestrictionsConfiguration) as options.

Not a public API. One configuration holds a restriction per platform; the module manages the mobile ones:
``ios`` (``iosRestriction``), ``android_device_administrator`` (``androidRestriction``: Android device
administrator enrolment) and ``android_work_profile`` (``androidForWorkRestriction``, beta only: Android
Enterprise personally-owned work profile). Each restriction is a complex value that a PATCH replaces whole, so
the module merges what a task declares into what the tenant holds and sends the whole restriction, only for the
platforms that differ.

Every tenant has a default configuration (priority 0, "All users and all devices"); ``default: true`` designates
it. It is read and updated in place, never deleted, re-prioritised or assigned (it applies to everyone). Custom
configurations get their priority through ``setPriority`` and their groups through ``assign``, each sent only
when it differs. Only platform restriction configurations are read: the tenant's limit configurations, whose
default carries the same display name, are left out.
"""

import copy
import re

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import CreateThenWriteEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption, ResourceType, Write, option_field)

COLLECTION = "/deviceManagement/deviceEnrollmentConfigurations"
ODATA_TYPE = "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
ASSIGNMENT_TYPE = "#microsoft.graph.enrollmentConfigurationAssignment"
GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget"
RESTRICTIONS = {"ios": "iosRestriction", "android_device_administrator": "androidRestriction",
                "android_work_profile": "androidForWorkRestriction"}
BETA_ONLY = ("android_work_profile",)
FIELDS = {"platform_blocked": "platformBlocked", "personal_device_enrollment_blocked": "personalDeviceEnrollmentBlocked",
          "os_minimum_version": "osMinimumVersion", "os_maximum_version": "osMaximumVersion"}
EMPTY_RESTRICTION = {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False, "osMinimumVersion": None,
                     "osMaximumVersion": None}
READ_ONLY = ("id", "createdDateTime", "lastModifiedDateTime", "version", "@odata.type", "@odata.context",
             "deviceEnrollmentConfigurationType", "roleScopeTagIds")
VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
DEFAULT_ID = "<default>"


def restriction_options():
    return dict(
        platform_blocked=dict(type="bool"),
        personal_device_enrollment_blocked=dict(type="bool"),
        os_minimum_version=dict(type="str"),
        os_maximum_version=dict(type="str"),
    )


def object_options():
    spec = dict(
        id=dict(type="str"),
        display_name=dict(type="str"),
        default=dict(type="bool", default=False),
        description=dict(type="str"),
        priority=dict(type="int"),
        assignments=dict(type="dict", options=dict(include_groups=dict(type="list", elements="str", default=[]))),
    )
    for platform in RESTRICTIONS:
        spec[platform] = dict(type="dict", options=restriction_options())
    return spec


def is_default(obj):
    obj = obj or {}
    return obj.get("priority") == 0 or str(obj.get("id", "")).endswith("_DefaultPlatformRestrictions")


def version_key(text):
    return tuple(int(p) for p in str(text).split("."))


def restriction_body(options, field):
    out = {}
    for option, name in FIELDS.items():
        value = (options or {}).get(option)
        if value is None:
            continue
        if option.startswith("os_"):
            value = str(value).strip()
            if not VERSION.match(value):
                raise InvalidOption(option_field(field, option), "is not an OS version", value=options[option],
                                    accepted="numbers separated by dots, such as 17.0 or 13")
        out[name] = value
    low, high = out.get("osMinimumVersion"), out.get("osMaximumVersion")
    if low and high and version_key(low) > version_key(high):
        raise InvalidOption(option_field(field, "os_maximum_version"), "is below os_minimum_version %s, which "
                            "leaves no version allowed" % low, value=high, accepted="a version at or above %s" % low)
    return out


def options_to_graph(params, resolve_group=None, field="", api_version="beta"):
    """The desired Graph body of one configuration; ``resolve_group(field, value)`` gives a group id."""
    desired = {}
    default = params.get("default")
    if default:
        for option in ("display_name", "id", "priority", "assignments"):
            if params.get(option) not in (None, [], {}):
                raise InvalidOption(option_field(field, option), "cannot be set on the default enrolment restriction "
                                    "(priority 0, applied to all users and all devices, named by Intune)",
                                    value=params[option], accepted="leave it out with default: true")
    elif params.get("display_name") is not None:
        desired["displayName"] = params["display_name"]
    if params.get("description") is not None:
        desired["description"] = params["description"]
    for platform, name in RESTRICTIONS.items():
        if params.get(platform) is None:
            continue
        where = option_field(field, platform)
        if platform in BETA_ONLY and api_version != "beta":
            raise InvalidOption(where, "exists only in Graph beta (androidForWorkRestriction); api_version is %s"
                                % api_version, value=params[platform], accepted="api_version: beta")
        body = restriction_body(params[platform], where)
        if body:
            desired[name] = body
    if params.get("priority") is not None:
        if params["priority"] < 1:
            raise InvalidOption(option_field(field, "priority"), "is reserved for the default configuration",
                                value=params["priority"], accepted="1 or more (1 is applied first)")
        desired["priority"] = params["priority"]
    if params.get("assignments") is not None:
        group_id = resolve_group or (lambda f, v: "00000000-0000-0000-0000-000000000000")
        targets = []
        for index, value in enumerate(params["assignments"].get("include_groups") or []):
            object_id = group_id(option_field(field, "assignments.include_groups[%d]" % index), value)
            item = {"@odata.type": ASSIGNMENT_TYPE, "target": {"@odata.type": GROUP_TARGET, "groupId": object_id}}
            if item not in targets:
                targets.append(item)
        desired["assignments"] = targets
    return desired


def group_set(assignments):
    return sorted(set(str((a.get("target") or {}).get("groupId") or "").lower() for a in assignments or []))


def graph_to_options(obj, group_name=None):
    params = {}
    if is_default(obj):
        params["default"] = True
    else:
        params["display_name"] = obj.get("displayName")
        params["priority"] = obj.get("priority")
    if obj.get("description"):
        params["description"] = obj["description"]
    for platform, name in RESTRICTIONS.items():
        restriction = obj.get(name)
        if restriction:
            params[platform] = dict((option, restriction.get(graph)) for option, graph in FIELDS.items())
    if "assignments" in obj and not is_default(obj):
        name_of = group_name or (lambda group_id: None)
        params["assignments"] = {"include_groups": [name_of(g) or g for g in group_set(obj["assignments"])]}
    return params


class EnrollmentRestrictionType(ResourceType):
    noun = "enrolment restriction"
    collection = COLLECTION
    result_key = "enrollment_restriction"
    list_key = "enrollment_restrictions"
    read_only_fields = READ_ONLY
    list_query = {"$expand": "assignments"}

    def __init__(self, api_version="beta", group_names=None):
        self.api_version = api_version
        self.group_names = group_names or (lambda group_id: None)

    def _patch(self, current, desired):
        patch = {}
        for key, value in desired.items():
            if key in ("priority", "assignments") or key in READ_ONLY:
                continue
            if key in RESTRICTIONS.values():
                have = dict(EMPTY_RESTRICTION, **(current.get(key) or {}))
                if any(have.get(k) != v for k, v in value.items()):
                    patch[key] = dict(have, **value)
            elif current.get(key) != value:
                patch[key] = copy.deepcopy(value)
        return patch

    def differs(self, current, desired):
        return bool(self.update_writes(current, desired))

    def check_update(self, current, desired, field=""):
        for key in RESTRICTIONS.values():
            if key in desired:
                merged = dict(EMPTY_RESTRICTION, **(current.get(key) or {}))
                merged.update(desired[key])
                low, high = merged.get("osMinimumVersion"), merged.get("osMaximumVersion")
                if low and high and VERSION.match(str(low)) and VERSION.match(str(high)) and \
                        version_key(low) > version_key(high):
                    raise InvalidOption(field or "os_maximum_version", "leaves no OS version allowed: the minimum %s "
                                        "is above the maximum %s" % (low, high), value=high,
                                        accepted="a maximum at or above the minimum")

    def check_create(self, desired, field=""):
        super().check_create(desired, field)

    def create_body(self, desired):
        body = {"@odata.type": ODATA_TYPE}
        for key, value in desired.items():
            if key in ("priority", "assignments"):
                continue
            body[key] = dict(EMPTY_RESTRICTION, **value) if key in RESTRICTIONS.values() else copy.deepcopy(value)
        return body

    def predict_created(self, body):
        return copy.deepcopy(body)

    def create_writes(self, desired):
        writes = []
        if desired.get("priority") is not None:
            writes.append(Write("POST", {"priority": desired["priority"]}, suffix="/setPriority", idempotent=True,
                                accept=set([200, 204])))
        if desired.get("assignments"):
            writes.append(Write("POST", {"enrollmentConfigurationAssignments": desired["assignments"]},
                                suffix="/assign", idempotent=True, accept=set([200, 204])))
        return writes

    def update_writes(self, current, desired):
        writes = []
        patch = self._patch(current, desired)
        if patch:
            writes.append(Write("PATCH", dict({"@odata.type": ODATA_TYPE}, **patch)))
        if desired.get("priority") is not None and current.get("priority") != desired["priority"]:
            writes.append(Write("POST", {"priority": desired["priority"]}, suffix="/setPriority", idempotent=True,
                                accept=set([200, 204])))
        if "assignments" in desired and group_set(current.get("assignments")) != group_set(desired["assignments"]):
            writes.append(Write("POST", {"enrollmentConfigurationAssignments": desired["assignments"]},
                                suffix="/assign", idempotent=True, accept=set([200, 204])))
        return writes

    def apply_writes(self, current, desired, writes):
        merged = copy.deepcopy(current)
        for key, value in desired.items():
            if key in RESTRICTIONS.values():
                merged[key] = dict(EMPTY_RESTRICTION, **(current.get(key) or {}))
                merged[key].update(value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged

    def display(self, body):
        if not body:
            return {}
        return graph_to_options(body, self.group_names)


class EnrollmentRestrictionEngine(CreateThenWriteEngine):
    """Platform restriction configurations only; the default found by ``default: true``, never deleted."""

    def _complete(self, objects, single=False):
        return [o for o in objects if str(o.get("@odata.type", "")).lower() == ODATA_TYPE.lower()
                or (single and "@odata.type" not in o)]

    def find(self, declared):
        if declared.id == DEFAULT_ID:
            found = [o for o in self.objects() if is_default(o)]
            if not found:
                raise InvalidOption(option_field(declared.field, "default"), "designates the default enrolment "
                                    "restriction, but the tenant returned none", value=True,
                                    accepted="default: false with a display_name")
            return found[0]
        return super().find(declared)

    def plan(self, declared):
        if declared.state == "absent":
            current = self.find(declared)
            if current is not None and is_default(current):
                raise InvalidOption(option_field(declared.field, "state"), "would delete %s, the default enrolment "
                                    "restriction, which Intune keeps: it is updated in place, never deleted"
                                    % self.resource.label(current), value="absent", accepted="state: present")
        change = super().plan(declared)
        if change.action == "create":
            change.predicted.update(dict((k, copy.deepcopy(v)) for k, v in declared.desired.items()
                                         if k in ("priority", "assignments")))
        return change

    def plan_set(self, items, **kwargs):
        changes = super().plan_set(items, **kwargs)
        return [c for c in changes if not (c.purged and is_default(c.current))]
