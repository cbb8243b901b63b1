# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: which users, apps and platforms that conditional access sends to app protection are not protected.

Not a public API. A conditional access policy that grants on ``compliantApplication`` lets a user
in on a phone only from an app that an app protection policy covers for that user. For each such
CA policy this file lists the (platform, app, group) combinations it targets and reports those
that no app protection policy covers: a policy of that platform whose apps include the app (or
whose app group covers Microsoft's apps) and which is assigned to the group without excluding it.

What the CA policy targets: platforms from ``conditions.platforms`` (iOS and Android when it
names none or ``all``); mobile apps from ``conditions.applications.includeApplications`` through
the table below (``All`` and ``Office365`` mean the core Microsoft apps); groups from
``conditions.users.includeGroups`` (less those it excludes). Users targeted directly, as ``All``,
as guests or through directory roles cannot be matched to a group assignment: only an app
protection policy assigned to all users (``allLicensedUsersAssignmentTarget``) covers them, and
each that is not so covered is a gap of its own.

A CA policy is ``covered`` only when every (platform, app, target) it sends to app protection is
covered. Anything that cannot be checked keeps it from being covered and is listed under
``unverified``: an application the table does not map to mobile apps, or no target at all.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import app_set, assignment_set
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import APPS, PLATFORMS

CORE = ("outlook", "teams", "onedrive", "sharepoint", "word", "excel", "powerpoint", "onenote", "edge", "office",
        "todo")
# CA application (id or special value, lower case) -> the mobile apps through which users reach it.
CA_APPLICATIONS = {
    "all": CORE,
    "office365": CORE,
    "00000002-0000-0ff1-ce00-000000000000": ("outlook",),                       # Exchange Online
    "00000003-0000-0ff1-ce00-000000000000": ("onedrive", "sharepoint", "word", "excel", "powerpoint", "onenote"),
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe": ("teams",),                         # Microsoft Teams Services
}
GROUP_TYPES_COVERING_CORE = ("allcoremicrosoftapps", "allmicrosoftapps", "allapps")
CA_PLATFORMS = {"ios": "ios", "android": "android"}


def grants_on_app_protection(ca_policy):
    controls = ((ca_policy.get("grantControls") or {}).get("builtInControls")) or []
    return any(str(c).lower() == "compliantapplication" for c in controls)


def targeted_platforms(ca_policy):
    platforms = ((ca_policy.get("conditions") or {}).get("platforms")) or {}
    include = [str(p).lower() for p in platforms.get("includePlatforms") or []]
    exclude = [str(p).lower() for p in platforms.get("excludePlatforms") or []]
    chosen = list(PLATFORMS) if not include or "all" in include else [p for p in PLATFORMS if p in include]
    return [p for p in chosen if p not in exclude]


def targeted_apps(ca_policy):
    """(apps, unmapped application values) that the CA policy targets."""
    applications = ((ca_policy.get("conditions") or {}).get("applications")) or {}
    apps, unmapped = [], []
    for value in applications.get("includeApplications") or []:
        found = CA_APPLICATIONS.get(str(value).lower())
        if found is None:
            unmapped.append(value)
            continue
        apps.extend(a for a in found if a not in apps)
    return apps, unmapped


ALL_USERS_TARGET = "#microsoft.graph.alllicensedusersassignmenttarget"


def has_app(protection, platform, app):
    """Whether one app protection policy (Graph JSON) holds the app on that platform."""
    identifier = APPS[app][PLATFORMS.index(platform)]
    group_type = str(protection.get("appGroupType") or "").lower()
    return group_type in GROUP_TYPES_COVERING_CORE or (platform, identifier) in app_set(protection.get("apps"))


def assigned_to_all_users(protection):
    return any(str(((a or {}).get("target") or {}).get("@odata.type", "")).lower() == ALL_USERS_TARGET
               for a in protection.get("assignments") or [])


def covers(protection, platform, app, group):
    """Whether one app protection policy (Graph JSON with apps and assignments) covers the combination:
    ``group`` is a group id, or None for users not targeted through a group (all users, guests, users
    named directly, role holders), whom only an assignment to all users reaches."""
    if APPS[app][PLATFORMS.index(platform)] is None:
        return True  # the app does not exist on that platform
    if not has_app(protection, platform, app):
        return False
    assignments = assignment_set(protection.get("assignments"))
    if group is None:
        return assigned_to_all_users(protection)
    if ("exclude", group.lower()) in assignments:
        return False
    return ("include", group.lower()) in assignments or assigned_to_all_users(protection)


def _targets(users, group_name):
    """``(group id or None, label)`` of everyone the CA policy's users condition includes."""
    excluded = set(str(g).lower() for g in users.get("excludeGroups") or [])
    targets = [(group, group_name(group) or group) for group in users.get("includeGroups") or []
               if str(group).lower() not in excluded]
    for value in users.get("includeUsers") or []:
        text = str(value)
        if text.lower() == "none":
            continue
        special = {"all": "all users", "guestsorexternalusers": "guests and external users"}
        label = special.get(text.lower(), "user %s" % text)
        targets.append((None, label))
    if users.get("includeGuestsOrExternalUsers"):
        targets.append((None, "guests and external users"))
    for role in users.get("includeRoles") or []:
        targets.append((None, "holders of role %s" % role))
    return targets


def coverage(ca_policies, protections, group_name):
    """One entry per CA policy that grants on compliantApplication, with the combinations nothing covers.

    ``protections`` maps a platform to its app protection policies; ``group_name(id)`` gives a name."""
    report = []
    for ca_policy in ca_policies:
        if not grants_on_app_protection(ca_policy):
            continue
        users = ((ca_policy.get("conditions") or {}).get("users")) or {}
        platforms = targeted_platforms(ca_policy)
        apps, unmapped = targeted_apps(ca_policy)
        targets = _targets(users, group_name)
        gaps = []
        for group, label in targets:
            for platform in platforms:
                for app in apps:
                    if not any(covers(p, platform, app, group) for p in protections.get(platform, [])):
                        gaps.append({"platform": platform, "app": app, "group_id": group, "group": label})
        unverified = ["application %s: which mobile apps reach it is not known, so its coverage cannot be checked"
                      % value for value in unmapped]
        if not targets:
            unverified.append("the policy includes no users, groups or roles")
        report.append({
            "conditional_access_policy": ca_policy.get("displayName"),
            "id": ca_policy.get("id"),
            "platforms": platforms,
            "apps": apps,
            "unmapped_applications": unmapped,
            "users_not_in_groups": list(users.get("includeUsers") or []),
            "gaps": gaps,
            "unverified": unverified,
            "covered": not gaps and not unverified,
        })
    return report
