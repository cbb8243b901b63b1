# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: app configuration policies for managed apps (targetedManagedAppConfiguration) as module options.

Not a public API. Custom settings are key/value pairs (Graph ``customSettings``, a list of
``keyValuePair``); keys are case-sensitive, as the apps read them. ``outlook`` offers Outlook's
documented keys under friendly names and merges them into the settings. The policy is not tied to a
platform: an app name targets the app on iOS and Android, ``ios:<name or id>`` or
``android:<name or id>`` on one platform.

With ``custom_settings`` the list is replaced by what the task gives (plus ``outlook``'s keys);
with ``outlook`` alone its keys are set and the policy's other settings stay as they are.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import (
    AppProtectionType, check_setting, convert)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_spec import CONFIGURATION_PROPERTIES
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import (
    app_set, assignments_body, check_targets, readable_targets, target_options)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import (
    APPS, PLATFORMS, app_id, app_name, managed_mobile_app)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption, option_field

COLLECTION = "/deviceAppManagement/targetedManagedAppConfigurations"
ODATA_TYPE = "#microsoft.graph.targetedManagedAppConfiguration"
UPN = "{{userprincipalname}}"
MERGE_KEY = "customSettings+"

# Friendly option: (key, kind). Kind "bool" sends "true" / "false".
OUTLOOK_KEYS = {
    "focused_inbox": "com.microsoft.outlook.Mail.FocusedInbox",
    "block_external_images": "com.microsoft.outlook.Mail.BlockExternalImagesEnabled",
    "save_contacts": "com.microsoft.outlook.Contacts.LocalSyncEnabled",
    "require_biometrics": "com.microsoft.outlook.Auth.Biometric",
    "external_recipients_tooltip": "com.microsoft.outlook.Mail.ExternalRecipientsToolTipEnabled",
    "default_signature": "com.microsoft.outlook.Mail.DefaultSignatureEnabled",
    "suggested_replies": "com.microsoft.outlook.Mail.SuggestedRepliesEnabled",
    "organize_by_thread": "com.microsoft.outlook.Mail.OrganizeByThreadEnabled",
    "play_my_emails": "com.microsoft.outlook.Mail.PlayMyEmailsEnabled",
    "text_predictions": "com.microsoft.outlook.Mail.TextPredictionsEnabled",
    "mail_notifications": "com.microsoft.outlook.Mail.NotificationsEnabled",
    "calendar_notifications": "com.microsoft.outlook.Calendar.NotificationsEnabled",
    "wearables_allowed": "com.microsoft.intune.mam.areWearablesAllowed",
}
ACCOUNTS_ONLY_KEYS = {
    True: {"IntuneMAMAllowedAccountsOnly": "Enabled", "IntuneMAMUPN": UPN,
           "com.microsoft.intune.mam.AllowedAccountUPNs": UPN},
    False: {"IntuneMAMAllowedAccountsOnly": "Disabled"},
}


def outlook_options():
    spec = dict((name, dict(type="bool")) for name in OUTLOOK_KEYS)
    spec["work_or_school_accounts_only"] = dict(type="bool")
    return spec


def object_options():
    spec = dict(
        id=dict(type="str"),
        display_name=dict(type="str"),
        description=dict(type="str"),
        api_version=dict(type="str", choices=["v1.0", "beta"], default="v1.0"),
        custom_settings=dict(type="dict"),
        outlook=dict(type="dict", options=outlook_options()),
        targeted_app_management_levels=dict(type="str"),
        role_scope_tag_ids=dict(type="list", elements="str"),
    )
    spec.update(target_options())
    return spec


def setting_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def outlook_settings(outlook, field):
    settings = {}
    for name, value in (outlook or {}).items():
        if value is None:
            continue
        if name == "work_or_school_accounts_only":
            settings.update(ACCOUNTS_ONLY_KEYS[bool(value)])
        else:
            settings[OUTLOOK_KEYS[name]] = setting_text(value)
    return settings


def apps_body(apps, field):
    out = []
    for index, value in enumerate(apps or []):
        where = "%s[%d]" % (field, index)
        text = str(value).strip()
        platforms = PLATFORMS
        if ":" in text:
            prefix, text = text.split(":", 1)
            if prefix.lower() not in PLATFORMS:
                raise InvalidOption(where, "names the platform %r" % prefix, value=value,
                                    accepted="ios:<app>, android:<app>, or an app without a platform (both)")
            platforms = (prefix.lower(),)
            if not text.strip():
                raise InvalidOption(where, "names no app after the platform %r" % prefix, value=value,
                                    accepted="ios:<app> or android:<app>, such as ios:outlook")
        for platform in platforms:
            if len(platforms) > 1 and text.lower() in APPS and APPS[text.lower()][PLATFORMS.index(platform)] is None:
                continue
            body = managed_mobile_app(app_id(text, platform, where), platform)
            if body not in out:
                out.append(body)
    return out


def readable_apps(apps):
    """``apps`` values that recreate a managedMobileApp list: a name for both platforms, else prefixed."""
    pairs = app_set(apps)
    by_name = {}
    for platform, identifier in pairs:
        by_name.setdefault(app_name(identifier, platform), set()).add(platform)
    out = []
    for name, platforms in sorted(by_name.items()):
        both = set(PLATFORMS)
        if name in APPS:
            both = set(p for p in PLATFORMS if APPS[name][PLATFORMS.index(p)] is not None)
        if platforms == both:
            out.append(name)
        else:
            out.extend("%s:%s" % (p, name) for p in sorted(platforms))
    return out


def options_to_graph(params, resolve_group=None, field=""):
    api_version = params.get("api_version") or "v1.0"
    desired = {}
    for name, entry in CONFIGURATION_PROPERTIES.items():
        value = params.get(entry["option"])
        if value is None:
            continue
        where = option_field(field, entry["option"])
        check_setting(name, entry, "any", api_version, where, value)
        desired[name] = convert(entry, value, where)
    for option, name in (("display_name", "displayName"), ("description", "description")):
        if params.get(option) is not None:
            desired[name] = params[option]
    outlook = outlook_settings(params.get("outlook"), option_field(field, "outlook"))
    if params.get("custom_settings") is not None:
        for key, value in params["custom_settings"].items():
            if isinstance(value, (dict, list)):
                raise InvalidOption("%s.%s" % (option_field(field, "custom_settings"), key),
                                    "is a %s; a custom setting holds one text value" % type(value).__name__,
                                    value=value, accepted="a string, number or boolean, such as 'true' or '30'")
        settings = dict((str(k), setting_text(v)) for k, v in params["custom_settings"].items())
        for key, value in outlook.items():
            if key in settings and settings[key] != value:
                raise InvalidOption(option_field(field, "custom_settings"), "sets %s to %r, but the outlook option "
                                    "sets it to %r" % (key, settings[key], value), value=settings[key],
                                    accepted="one of the two, or the same value")
        settings.update(outlook)
        desired["customSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    elif outlook:
        desired[MERGE_KEY] = [{"name": k, "value": v} for k, v in outlook.items()]
    if params.get("apps") is not None:
        desired["apps"] = apps_body(params["apps"], option_field(field, "apps"))
        desired.setdefault("appGroupType", "selectedPublicApps")
    if params.get("app_group_type"):
        desired["appGroupType"] = params["app_group_type"]
    if params.get("assignments") is not None and resolve_group is not None:
        desired["assignments"] = assignments_body(
            params["assignments"], lambda f, v: resolve_group(option_field(field, f), v))
    check_targets(desired, field)
    return desired


def graph_to_options(obj, api_version, group_name=None):
    params = {"display_name": obj.get("displayName"), "api_version": api_version}
    if obj.get("description"):
        params["description"] = obj["description"]
    params["custom_settings"] = dict((p.get("name"), p.get("value")) for p in obj.get("customSettings") or [])
    for name, entry in CONFIGURATION_PROPERTIES.items():
        if obj.get(name) not in (None, []) and api_version in entry["versions"]:
            params[entry["option"]] = copy.deepcopy(obj[name])
    params.update(readable_targets(obj, group_name, readable_apps))
    return params


def merged_settings(current, desired):
    """``desired`` with ``outlook``-only keys merged into the current settings."""
    if MERGE_KEY not in desired:
        return desired
    out = dict((k, v) for k, v in desired.items() if k != MERGE_KEY)
    settings = [dict(p) for p in (current or {}).get("customSettings") or []]
    for pair in desired[MERGE_KEY]:
        for existing in settings:
            if existing.get("name") == pair["name"]:
                existing["value"] = pair["value"]
                break
        else:
            settings.append(dict(pair))
    out["customSettings"] = settings
    return out


class AppConfigurationType(AppProtectionType):
    noun = "app configuration policy"
    result_key = "app_configuration_policy"
    list_key = "app_configuration_policies"
    properties = CONFIGURATION_PROPERTIES

    def __init__(self, api_version="v1.0", group_names=None):
        super().__init__("any", api_version, group_names)
        self.collection = COLLECTION
        self.odata_type = ODATA_TYPE

    def label(self, obj):
        return super(AppProtectionType, self).label(obj)

    def normalise(self, body):
        out = super().normalise(dict((k, v) for k, v in (body or {}).items() if k != "customSettings"))
        settings = (body or {}).get("customSettings")
        if settings:
            out["customSettings"] = sorted((str(p.get("name")), setting_text(p.get("value"))) for p in settings)
        return out

    def differs(self, current, desired):
        return super().differs(current, merged_settings(current, desired))

    def _patch(self, current, desired):
        return super()._patch(current, merged_settings(current, desired))

    def check_update(self, current, desired, field=""):
        return None

    def create_body(self, desired):
        return super().create_body(merged_settings({}, desired))

    def update_writes(self, current, desired):
        return super().update_writes(current, merged_settings(current, desired))

    def apply_writes(self, current, desired, writes):
        return super().apply_writes(current, merged_settings(current, desired), writes)

    def display(self, body):
        if not body:
            return {}
        return graph_to_options(body, "beta", self.group_names)
