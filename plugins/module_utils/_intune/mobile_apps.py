# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the apps an Intune app protection or app configuration policy targets, by name.

Not a public API. One table maps a friendly name to the iOS bundle id and the Android package id
as Intune stores them (lowercase; Teams, Edge, OneNote and the Microsoft 365 app differ between
the platforms). Any other value is taken as a raw bundle or package id. Ids compare without regard
to case: Apple's display casing (``com.microsoft.Office.Outlook``) is the same app.
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

# name: (iOS bundle id, Android package id); None where the app has no id on that platform here.
APPS = {
    "outlook": ("com.microsoft.office.outlook", "com.microsoft.office.outlook"),
    "teams": ("com.microsoft.skype.teams", "com.microsoft.teams"),
    "onedrive": ("com.microsoft.skydrive", "com.microsoft.skydrive"),
    "word": ("com.microsoft.office.word", "com.microsoft.office.word"),
    "excel": ("com.microsoft.office.excel", "com.microsoft.office.excel"),
    "powerpoint": ("com.microsoft.office.powerpoint", "com.microsoft.office.powerpoint"),
    "edge": ("com.microsoft.msedge", "com.microsoft.emmx"),
    "sharepoint": ("com.microsoft.sharepoint", "com.microsoft.sharepoint"),
    "onenote": ("com.microsoft.onenote", "com.microsoft.office.onenote"),
    "office": ("com.microsoft.officemobile", "com.microsoft.office.officehubrow"),
    "todo": ("com.microsoft.to-do", None),
}
ALIASES = {"microsoft365": "office", "m365": "office", "to-do": "todo", "to_do": "todo", "msedge": "edge"}
PLATFORMS = ("ios", "android")
IDENTIFIER_TYPES = {"ios": ("#microsoft.graph.iosMobileAppIdentifier", "bundleId"),
                    "android": ("#microsoft.graph.androidMobileAppIdentifier", "packageId")}
# A bundle or package id: dot-separated segments of letters, digits, '-' and '_'.
RAW_ID = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$")


def app_id(value, platform, field):
    """The lowercase bundle (iOS) or package (Android) id of ``value``: a name from the table or a raw id."""
    text = str(value).strip()
    key = ALIASES.get(text.lower(), text.lower())
    if key in APPS:
        found = APPS[key][PLATFORMS.index(platform)]
        if found is None:
            raise InvalidOption(field, "has no known %s id for the app %r" % (platform, text), value=text,
                                accepted="the app's raw %s id" % ("bundle" if platform == "ios" else "package"))
        return found
    if RAW_ID.match(text):
        return text.lower()
    raise InvalidOption(field, "is neither a known app name nor a %s id" % (
        "bundle" if platform == "ios" else "package"), value=text,
        accepted="one of %s, or a raw id such as com.contoso.app" % ", ".join(sorted(APPS)))


def app_name(identifier, platform):
    """The friendly name of an id, or the id itself."""
    lowered = str(identifier).lower()
    for name, ids in APPS.items():
        if ids[PLATFORMS.index(platform)] == lowered:
            return name
    return lowered


def identifier_of(app):
    """The (platform, lowercase id) of a Graph managedMobileApp, or (None, None)."""
    ident = (app or {}).get("mobileAppIdentifier") or {}
    odata = str(ident.get("@odata.type", "")).lstrip("#").lower()
    for platform, (type_name, field) in IDENTIFIER_TYPES.items():
        if odata == type_name.lstrip("#").lower() or (not odata and ident.get(field)):
            if ident.get(field):
                return platform, str(ident[field]).lower()
    return None, None


def managed_mobile_app(identifier, platform):
    """The Graph managedMobileApp body of a targetApps request."""
    type_name, field = IDENTIFIER_TYPES[platform]
    return {"mobileAppIdentifier": {"@odata.type": type_name, field: identifier}}
