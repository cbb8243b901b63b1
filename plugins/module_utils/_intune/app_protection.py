# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: app protection policies (iosManagedAppProtection, androidManagedAppProtection) as module options.

Not a public API. The options mirror Graph (``_intune.app_protection_spec``, generated from the schema);
``baseline`` starts from Microsoft's framework level (``_intune.app_protection_levels``) and explicit
options override it. This file turns options into the desired Graph body (checking platform, API
version, values and combinations that contradict each other), and a Graph object back into
options (``params`` that recreate it). ``AppProtectionType`` tells the resource engine how to
compare and write: a PATCH of the properties that differ, then ``targetApps`` and ``assign`` only
when the app or group set differs.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_levels import LEVELS, baseline
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_spec import BY_OPTION, PROPERTIES
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import (
    ACTION_KEYS, action_writes, actions_differ, app_set, apps_body, assignment_set, assignments_body, check_targets,
    create_writes, readable_apps, readable_targets, target_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_values import (
    check_duration, comparable, enum_value, flags_value, version_key)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption, ResourceType, Write, option_field, prune)

PLATFORMS = ("ios", "android")
API_VERSIONS = ("v1.0", "beta")
COLLECTIONS = {"ios": "/deviceAppManagement/iosManagedAppProtections",
               "android": "/deviceAppManagement/androidManagedAppProtections"}
ODATA_TYPES = {"ios": "#microsoft.graph.iosManagedAppProtection",
               "android": "#microsoft.graph.androidManagedAppProtection"}
PLATFORM_LABELS = {"ios": "iOS", "android": "Android"}
READ_ONLY = ("id", "createdDateTime", "lastModifiedDateTime", "version", "isAssigned", "deployedAppCount",
             "@odata.type", "@odata.context", "deploymentSummary")
OPTION_TYPES = {"bool": "bool", "int": "int", "str": "str", "duration": "str", "enum": "str", "flags": "str",
                "str_list": "list", "enum_list": "list", "pairs": "list"}
# Ranges Intune's console enforces.
INT_RANGES = {
    "minimumPinLength": (4, 14),
    "maximumPinRetries": (1, 65535),
    "previousPinBlockCount": (0, 24),
    "allowedOutboundClipboardSharingExceptionLength": (0, 65535),
}


def setting_options():
    """Argument spec of every setting option (all platforms, all versions)."""
    spec = {}
    for entry in PROPERTIES.values():
        option = dict(type=OPTION_TYPES[entry["kind"]])
        if "passcode" in entry["option"] or "password" in entry["option"]:
            option["no_log"] = False  # a policy setting about passcodes, not a secret
        if entry["kind"] in ("str_list", "enum_list"):
            option["elements"] = "str"
        if entry["kind"] == "pairs":
            option["elements"] = "dict"
            option["options"] = dict(name=dict(type="str", required=True), value=dict(type="str"))
        spec[entry["option"]] = option
    return spec


def object_options():
    """Argument spec of one policy (without ``state``)."""
    spec = dict(
        id=dict(type="str"),
        display_name=dict(type="str"),
        description=dict(type="str"),
        platform=dict(type="str", choices=list(PLATFORMS), required=True),
        api_version=dict(type="str", choices=list(API_VERSIONS), default="v1.0"),
        baseline=dict(type="str", choices=list(LEVELS)),
    )
    spec.update(target_options())
    spec.update(setting_options())
    return spec


def convert(entry, value, field):
    kind = entry["kind"]
    if kind == "duration":
        return check_duration(value, field)
    if kind == "enum":
        return enum_value(entry["enum"], value, field)
    if kind == "flags":
        return flags_value(entry["enum"], value, field)
    if kind == "enum_list":
        return [enum_value(entry["enum"], v, "%s[%d]" % (field, i)) for i, v in enumerate(value)]
    if kind == "pairs":
        return [{"name": p["name"], "value": p.get("value")} for p in value]
    return copy.deepcopy(value)


def check_setting(name, entry, platform, api_version, field, value):
    if platform not in entry["platforms"]:
        other = [PLATFORM_LABELS[p] for p in entry["platforms"]]
        raise InvalidOption(field, "is an %s setting; this policy's platform is %s" % (
            " and ".join(other), platform), value=value,
            accepted="leave it out, or set platform: %s" % entry["platforms"][0])
    if api_version not in entry["versions"]:
        raise InvalidOption(field, "exists only in Graph beta (%s); api_version is %s" % (name, api_version),
                            value=value, accepted="api_version: beta, or leave the option out")
    bounds = INT_RANGES.get(name)
    if bounds and not bounds[0] <= value <= bounds[1]:
        raise InvalidOption(field, "is out of range", value=value, accepted="%d to %d" % bounds)


def options_to_graph(params, resolve_group=None, field=""):
    """The desired Graph body of one policy's options (what the user manages; ``baseline`` expanded).

    ``resolve_group(field, value)`` gives a group id; apps and assignments go under ``apps``,
    ``appGroupType`` and ``assignments`` for the actions."""
    platform = params["platform"]
    api_version = params.get("api_version") or "v1.0"
    desired = {}
    explicit = set()
    for option, (name, entry) in BY_OPTION.items():
        value = params.get(option)
        if value is None:
            continue
        where = option_field(field, option)
        check_setting(name, entry, platform, api_version, where, value)
        desired[name] = convert(entry, value, where)
        explicit.add(name)
    level = params.get("baseline")
    if level:
        if api_version != "beta":
            raise InvalidOption(option_field(field, "baseline"), "sets framework settings that exist only in Graph "
                                "beta (notificationRestriction, appActionIf..., allowedDataIngestionLocations)",
                                value=level, accepted="api_version: beta together with baseline")
        for name, value in baseline(level, platform, desired.get("customDialerAppProtocol")).items():
            if name not in explicit:
                desired[name] = value
    for option, name in (("display_name", "displayName"), ("description", "description")):
        if params.get(option) is not None:
            desired[name] = params[option]
    if params.get("apps") is not None:
        desired["apps"] = apps_body(params["apps"], (platform,), option_field(field, "apps"))
        desired.setdefault("appGroupType", "selectedPublicApps")
    if params.get("app_group_type"):
        desired["appGroupType"] = params["app_group_type"]
    if params.get("assignments") is not None and resolve_group is not None:
        desired["assignments"] = assignments_body(
            params["assignments"], lambda f, v: resolve_group(option_field(field, f), v))
    check_targets(desired, field)
    check_combinations(desired, {}, field)
    return desired


def _first_given(desired, *names):
    return next((n for n in names if n in desired), None)


def check_combinations(desired, current, field=""):
    """Settings that contradict each other (checked where ``desired`` touches one of them)."""
    merged = dict(current or {})
    merged.update(desired)

    def option(name):
        return option_field(field, PROPERTIES[name]["option"])

    if "customBrowserProtocol" in desired or "customBrowserPackageId" in desired:
        name = _first_given(desired, "customBrowserProtocol", "customBrowserPackageId")
        if desired[name] and merged.get("managedBrowserToOpenLinksRequired") is False:
            raise InvalidOption(option(name), "opens web links in a custom browser, but "
                                "managed_browser_to_open_links_required is false", value=desired[name],
                                accepted="managed_browser_to_open_links_required: true, or no custom browser")
    if "dialerRestrictionLevel" in desired and merged.get("dialerRestrictionLevel") == "customApp":
        if not (merged.get("customDialerAppProtocol") or merged.get("customDialerAppPackageId")):
            raise InvalidOption(option("dialerRestrictionLevel"), "sends phone numbers to one custom dialer app, "
                                "but no app is named", value="customApp",
                                accepted="custom_dialer_app_protocol (iOS) or custom_dialer_app_package_id (Android) "
                                         "with customApp, or another level")
    if "allowedOutboundClipboardSharingExceptionLength" in desired:
        length = desired["allowedOutboundClipboardSharingExceptionLength"]
        if length and str(merged.get("allowedOutboundClipboardSharingLevel", "")).lower() == "allapps":
            raise InvalidOption(option("allowedOutboundClipboardSharingExceptionLength"),
                                "allows an exception to a clipboard restriction, but "
                                "allowed_outbound_clipboard_sharing_level is allApps (no restriction)", value=length,
                                accepted="0, or a restricted allowed_outbound_clipboard_sharing_level")
    if "disableAppEncryptionIfDeviceEncryptionIsEnabled" in desired or "encryptAppData" in desired:
        if merged.get("disableAppEncryptionIfDeviceEncryptionIsEnabled") and merged.get("encryptAppData") is False:
            raise InvalidOption(option("disableAppEncryptionIfDeviceEncryptionIsEnabled"),
                                "relaxes app encryption, but encrypt_app_data is false", value=True,
                                accepted="encrypt_app_data: true, or false here")
    if "keyboardsRestricted" in desired or "approvedKeyboards" in desired:
        if merged.get("keyboardsRestricted") and not merged.get("approvedKeyboards"):
            raise InvalidOption(option("keyboardsRestricted"), "restricts keyboards but approves none", value=True,
                                accepted="approved_keyboards with at least one keyboard")
    for low, high in (("minimumRequiredOsVersion", "maximumRequiredOsVersion"),
                      ("minimumWarningOsVersion", "maximumWarningOsVersion"),
                      ("minimumWipeOsVersion", "maximumWipeOsVersion")):
        if low in desired or high in desired:
            lo, hi = version_key(merged.get(low)), version_key(merged.get(high))
            if lo and hi and lo > hi:
                name = high if high in desired else low
                raise InvalidOption(option(name), "leaves no OS version allowed: %s %s is above %s %s" % (
                    PROPERTIES[low]["option"], merged[low], PROPERTIES[high]["option"], merged[high]),
                    value=desired[name], accepted="a maximum at or above the minimum")


def graph_to_options(obj, platform, api_version, group_name=None):
    """The module options that recreate ``obj`` (its ``params``)."""
    params = {"display_name": obj.get("displayName"), "platform": platform, "api_version": api_version}
    if obj.get("description"):
        params["description"] = obj["description"]
    for name, entry in PROPERTIES.items():
        if name not in obj or obj[name] is None:
            continue
        if platform not in entry["platforms"] or api_version not in entry["versions"]:
            continue
        value = copy.deepcopy(obj[name])
        if entry["kind"] == "pairs":
            value = [{"name": p.get("name"), "value": p.get("value")} for p in value]
        if name in INT_RANGES and not INT_RANGES[name][0] <= value <= INT_RANGES[name][1]:
            continue
        params[entry["option"]] = value
    params.update(readable_targets(obj, group_name, readable_apps))
    return params


class AppProtectionType(ResourceType):
    noun = "app protection policy"
    result_key = "app_protection_policy"
    list_key = "app_protection_policies"
    read_only_fields = READ_ONLY
    list_query = {"$expand": "apps,assignments"}
    properties = PROPERTIES

    def __init__(self, platform, api_version="v1.0", group_names=None):
        self.platform = platform
        self.api_version = api_version
        self.collection = COLLECTIONS.get(platform)
        self.odata_type = ODATA_TYPES.get(platform)
        self.group_names = group_names or (lambda group_id: None)

    def label(self, obj):
        return "%s %s" % (PLATFORM_LABELS[self.platform], super().label(obj))

    def normalise(self, body):
        out = {}
        for key, value in (body or {}).items():
            if key in READ_ONLY or "@" in key or value is None:
                continue
            if key == "apps":
                out[key] = ["%s:%s" % pair for pair in app_set(value)]
            elif key == "assignments":
                out[key] = ["%s:%s" % pair for pair in assignment_set(value)]
            elif key == "appGroupType":
                out[key] = str(value).lower()
            elif key in self.properties:
                out[key] = comparable(self.properties[key]["kind"], value)
            else:
                out[key] = value
        return prune(out)

    def differs(self, current, desired):
        if any(self._action_differs(current, desired, k) for k in ACTION_KEYS):
            return True
        return bool(self._patch(current, desired))

    @staticmethod
    def _action_differs(current, desired, key):
        return actions_differ(current, desired, key)

    def _patch(self, current, desired):
        before = self.normalise(current)
        patch = {}
        for key, value in desired.items():
            if key in ACTION_KEYS or key in READ_ONLY:
                continue
            after = self.normalise({key: value}).get(key)
            if before.get(key) != after:
                patch[key] = copy.deepcopy(value)
        return patch

    def check_update(self, current, desired, field=""):
        check_combinations(desired, current, field)

    def create_body(self, desired):
        body = {"@odata.type": self.odata_type}
        body.update((k, copy.deepcopy(v)) for k, v in desired.items() if k not in ACTION_KEYS)
        return body

    def predict_created(self, body):
        return copy.deepcopy(body)

    def create_writes(self, desired):
        return create_writes(desired)

    def update_writes(self, current, desired):
        writes = []
        patch = self._patch(current, desired)
        if patch:
            body = {"@odata.type": self.odata_type}
            body.update(patch)
            writes.append(Write("PATCH", body))
        return writes + action_writes(current, desired)

    def apply_writes(self, current, desired, writes):
        merged = copy.deepcopy(current)
        merged.update(copy.deepcopy(desired))
        if "apps" in desired and "appGroupType" not in current:
            merged.pop("appGroupType", None)
        return merged

    def display(self, body):
        if not body:
            return {}
        return graph_to_options(body, self.platform, "beta", self.group_names)
