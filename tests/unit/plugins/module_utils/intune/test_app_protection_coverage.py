"""App protection coverage: a conditional access policy that sends phones to app protection is covered
only when every app it reaches, on every platform, is covered for everyone it targets."""
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_coverage import coverage
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import managed_mobile_app

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT = "00000003-0000-0ff1-ce00-000000000000"
SALES = "5a1e5000-0000-4000-8000-000000000001"
FIELD = "5a1e5000-0000-4000-8000-000000000002"
CONTRACTORS = "5a1e5000-0000-4000-8000-000000000003"
NAMES = {SALES: "Sales", FIELD: "Field staff", CONTRACTORS: "Contractors"}
CORE_APPS = ("outlook", "onedrive", "sharepoint", "word", "excel", "powerpoint", "onenote")


def ca_policy(users, applications=(EXCHANGE, SHAREPOINT), platforms=("iOS", "android")):
    return {"id": "ca-1", "displayName": "Require app protection", "state": "enabled",
            "conditions": {"users": users, "applications": {"includeApplications": list(applications)},
                           "platforms": {"includePlatforms": list(platforms)}},
            "grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]}}


def protection(platform, apps=(), group_type="selectedPublicApps", include=(), exclude=(), all_users=False):
    from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import APPS, PLATFORMS

    assignments = [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}} for g in include]
    assignments += [{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": g}}
                    for g in exclude]
    if all_users:
        assignments.append({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}})
    return {"appGroupType": group_type, "assignments": assignments,
            "apps": [managed_mobile_app(APPS[a][PLATFORMS.index(platform)], platform) for a in apps]}


def run(ca, protections):
    (entry,) = coverage([ca], protections, NAMES.get)
    return entry


def gap_set(entry):
    return set((g["platform"], g["app"], g["group"]) for g in entry["gaps"])


def test_covered_for_some_apps_and_groups_and_not_others():
    # iOS: Outlook and Word for Sales only; Android: Microsoft's core apps for Sales and Field staff, with
    # Field staff excluded again. Everything else the policy reaches is a gap.
    entry = run(ca_policy({"includeGroups": [SALES, FIELD]}), {
        "ios": [protection("ios", apps=("outlook", "word"), include=(SALES,))],
        "android": [protection("android", group_type="allCoreMicrosoftApps", include=(SALES, FIELD), exclude=(FIELD,))],
    })
    expected = set(("ios", app, "Sales") for app in CORE_APPS if app not in ("outlook", "word"))
    expected |= set(("ios", app, "Field staff") for app in CORE_APPS)
    expected |= set(("android", app, "Field staff") for app in CORE_APPS)
    assert gap_set(entry) == expected
    assert entry["covered"] is False and entry["unverified"] == []


def test_covered_only_when_every_app_platform_and_group_is():
    protections = {"ios": [protection("ios", group_type="allCoreMicrosoftApps", include=(SALES, FIELD))],
                   "android": [protection("android", apps=CORE_APPS, include=(SALES,)),
                               protection("android", apps=CORE_APPS, include=(FIELD,))]}
    entry = run(ca_policy({"includeGroups": [SALES, FIELD], "excludeGroups": [CONTRACTORS]}), protections)
    assert entry["gaps"] == [] and entry["unverified"] == [] and entry["covered"] is True
    # One app missing on one platform for one group is enough to be uncovered.
    protections["android"][1] = protection("android", apps=[a for a in CORE_APPS if a != "onenote"], include=(FIELD,))
    entry = run(ca_policy({"includeGroups": [SALES, FIELD]}), protections)
    assert gap_set(entry) == {("android", "onenote", "Field staff")} and entry["covered"] is False


def test_users_outside_groups_are_covered_only_by_an_assignment_to_all_users():
    users = {"includeUsers": ["All"], "excludeGroups": [CONTRACTORS]}
    by_group = {"ios": [protection("ios", group_type="allCoreMicrosoftApps", include=(SALES,))],
                "android": [protection("android", group_type="allCoreMicrosoftApps", include=(SALES,))]}
    entry = run(ca_policy(users, applications=(EXCHANGE,)), by_group)
    assert gap_set(entry) == {("ios", "outlook", "all users"), ("android", "outlook", "all users")}
    assert entry["covered"] is False and entry["users_not_in_groups"] == ["All"]
    everyone = {"ios": [protection("ios", group_type="allCoreMicrosoftApps", all_users=True)],
                "android": [protection("android", apps=("outlook",), all_users=True)]}
    entry = run(ca_policy(dict(users, includeRoles=["62e90394-69f5-4237-9190-012177145e10"]), applications=(EXCHANGE,)),
                everyone)
    assert entry["gaps"] == [] and entry["covered"] is True


def test_what_cannot_be_checked_is_never_called_covered():
    protections = {"ios": [protection("ios", group_type="allApps", all_users=True)],
                   "android": [protection("android", group_type="allApps", all_users=True)]}
    custom_app = "6f1b0f5c-0d5e-4b8a-9a51-2d1c6f7a8b90"
    entry = run(ca_policy({"includeGroups": [SALES]}, applications=(custom_app,)), protections)
    assert entry["gaps"] == [] and entry["covered"] is False
    assert entry["unmapped_applications"] == [custom_app] and custom_app in entry["unverified"][0]
    entry = run(ca_policy({"includeUsers": ["None"]}), protections)
    assert entry["covered"] is False and entry["unverified"] == ["the policy includes no users, groups or roles"]
