"""IntuneCD 2.6.0, unmodified, against the sandbox in intercept mode (its Microsoft host names are hard-coded:
``login.microsoftonline.com`` through MSAL, ``graph.microsoft.com/beta`` through requests; app authentication
from ``TENANT_NAME``, ``CLIENT_ID``, ``CLIENT_SECRET``).

A backup of Conditional Access, app protection and app configuration with assignments; an update from that
backup changes nothing; an update from a backup with one policy changed changes exactly that policy, and the
sandbox stores it; IntuneCD's default full backup completes (``--unmodelled empty`` answers the collections the
sandbox does not model).
"""

import json

import pytest

from conftest import graph_get, run_referee
from tenantguard_sandbox.testing import running_sandbox

GROUP = "2b1c3d4e-0000-4000-8000-000000000001"
BREAK_GLASS = "2b1c3d4e-0000-4000-8000-000000000002"
OUTLOOK_IOS = {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.office.outlook"}
OUTLOOK_ANDROID = {"@odata.type": "#microsoft.graph.androidMobileAppIdentifier",
                   "packageId": "com.microsoft.office.outlook"}
TO_GROUP = [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}}]
SEED = {
    "users": [{"id": "1a0b2c3d-0000-4000-8000-000000000001", "displayName": "Adele Vance",
               "userPrincipalName": "adele@contoso.onmicrosoft.com"}],
    "groups": [{"id": GROUP, "displayName": "Mobile Users", "securityEnabled": True, "mailEnabled": False,
                "mailNickname": "mobileusers", "groupTypes": [], "members": ["1a0b2c3d-0000-4000-8000-000000000001"]},
               {"id": BREAK_GLASS, "displayName": "Emergency Access", "securityEnabled": True, "mailEnabled": False,
                "mailNickname": "emergency", "groupTypes": []}],
    "conditionalAccessPolicies": [
        {"displayName": "Require app protection on mobile", "state": "enabledForReportingButNotEnforced",
         "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["Office365"]},
                        "users": {"includeGroups": [GROUP], "excludeGroups": [BREAK_GLASS]},
                        "platforms": {"includePlatforms": ["iOS", "android"]}},
         "grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]}},
        {"displayName": "Block legacy authentication", "state": "enabledForReportingButNotEnforced",
         "conditions": {"clientAppTypes": ["exchangeActiveSync", "other"],
                        "applications": {"includeApplications": ["All"]},
                        "users": {"includeUsers": ["All"], "excludeGroups": [BREAK_GLASS]}},
         "grantControls": {"operator": "OR", "builtInControls": ["block"]}}],
    "iosManagedAppProtections": [
        {"displayName": "iOS Outlook protection", "description": "Level 2", "pinRequired": True,
         "minimumRequiredOsVersion": "16.0", "apps": [{"mobileAppIdentifier": OUTLOOK_IOS}], "assignments": TO_GROUP}],
    "androidManagedAppProtections": [
        {"displayName": "Android Outlook protection", "description": "Level 2", "pinRequired": True,
         "apps": [{"mobileAppIdentifier": OUTLOOK_ANDROID}], "assignments": TO_GROUP}],
    "targetedManagedAppConfigurations": [
        {"displayName": "Outlook work accounts only", "description": "",
         "customSettings": [{"name": "IntuneMAMAllowedAccountsOnly", "value": "Enabled"}],
         "apps": [{"mobileAppIdentifier": OUTLOOK_IOS}], "assignments": TO_GROUP}],
}
# Everything IntuneCD backs up or updates besides Conditional Access, app protection (with the targeted app
# configurations), app configuration and assignments.
BACKUP_EXCLUDES = (
    "Applications Compliance NotificationTemplate Profiles GPOConfigurations AppleEnrollmentProfile "
    "WindowsEnrollmentProfile EnrollmentStatusPage Filters ManagedGooglePlay Intents CompliancePartner "
    "ManagementPartner RemoteAssistancePartner ProactiveRemediation PowershellScripts ShellScripts "
    "ConfigurationPolicies EnrollmentConfigurations DeviceManagementSettings CustomAttributes DeviceCategories "
    "windowsDriverUpdates windowsFeatureUpdates windowsQualityUpdates Roles ScopeTags VPPusedLicenseCount "
    "GPlaySyncTime CompliancePartnerHeartbeat DeviceCompliancePolicies ComplianceScripts ReusablePolicySettings "
    "SettingsCatalog APNs VPP").split()
UPDATE_EXCLUDES = (
    "Compliance NotificationTemplate Profiles GPOConfigurations AppleEnrollmentProfile WindowsEnrollmentProfile "
    "EnrollmentStatusPage Filters Intents ProactiveRemediation PowershellScripts ShellScripts ConfigurationPolicies "
    "EnrollmentConfigurations DeviceManagementSettings CustomAttributes DeviceCategories Roles ScopeTags "
    "DeviceCompliancePolicies ComplianceScripts ReusablePolicySettings").split()
# Singletons of the full run that the sandbox does not model: IntuneCD logs the error and goes on.
UNMODELLED_SINGLETONS = {"/beta/deviceManagement/applePushNotificationCertificate", "/beta/deviceManagement/settings"}
CA = "/beta/identity/conditionalAccess/policies"
IOS = "/beta/deviceAppManagement/iosManagedAppProtections"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("intunecd-sandbox"), seed=SEED,
                         extra_args=["--unmodelled", "empty"]) as running:
        yield running


@pytest.fixture(scope="module")
def intunecd(sandbox, referee_bin, tmp_path_factory):
    """``intunecd(command, path, *args)`` runs IntuneCD-start<command> and returns (process, requests made)."""
    workdir = tmp_path_factory.mktemp("intunecd")
    credentials = {"TENANT_NAME": "contoso.onmicrosoft.com", "CLIENT_ID": sandbox.client_id,
                   "CLIENT_SECRET": sandbox.env["AZURE_CLIENT_SECRET"]}

    def run(command, path, *args):
        since = len(sandbox.requests())
        program = referee_bin("intunecd", "IntuneCD-start" + command)
        options = ["-m", "1", "-p", str(path)] + (["-o", "json"] if command == "backup" else [])
        completed = run_referee([program] + options + list(args), sandbox, workdir, credentials)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        return completed, sandbox.requests()[since:]

    return run


def graph_writes(rows):
    """Writes to Graph, $batch items included (IntuneCD reads through $batch)."""
    writes = [(r["method"], r["path"], r["status"]) for r in rows
              if r["service"] == "graph" and r["method"] in WRITES and not r["path"].endswith("/$batch")]
    for row in rows:
        if row["service"] == "graph" and row["path"].endswith("/$batch"):
            writes += [(item["method"], item["url"], None) for item in row["body"]["requests"]
                       if item["method"].upper() in WRITES]
    return writes


def stored(sandbox, path):
    return {p["displayName"]: p for p in graph_get(sandbox, path).json()["value"]}


def without_timestamps(policies):
    return {name: {k: v for k, v in p.items() if k not in ("modifiedDateTime", "lastModifiedDateTime", "version")}
            for name, p in policies.items()}


@pytest.fixture(scope="module")
def backup(intunecd, tmp_path_factory):
    path = tmp_path_factory.mktemp("backup")
    completed, rows = intunecd("backup", path, "-e", *BACKUP_EXCLUDES)
    return path, completed, rows


def test_backup_holds_every_policy_with_its_assignments(backup, sandbox):
    path, _, rows = backup
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*.json"))
    assert "Conditional Access/Require app protection on mobile.json" in files
    assert "Conditional Access/Block legacy authentication.json" in files
    assert "App Protection/iOS Outlook protection_iosManagedAppProtection.json" in files
    assert "App Protection/Android Outlook protection_androidManagedAppProtection.json" in files
    assert "App Protection/Outlook work accounts only_targetedManagedAppConfiguration.json" in files
    ios = json.loads((path / "App Protection/iOS Outlook protection_iosManagedAppProtection.json").read_text())
    assert ios["minimumRequiredOsVersion"] == "16.0" and ios["pinRequired"] is True
    assert [a["target"]["groupName"] for a in ios["assignments"]] == ["Mobile Users"]
    ca = json.loads((path / "Conditional Access/Block legacy authentication.json").read_text())
    assert ca["state"] == "enabledForReportingButNotEnforced"
    assert ca["grantControls"]["builtInControls"] == ["block"]
    assert [r for r in rows if r["service"] == "graph" and r["status"] >= 400] == []
    assert graph_writes(rows) == []
    tunnels = {(r["path"], r["status"]) for r in rows if r["service"] == "proxy"}
    assert tunnels <= {("login.microsoftonline.com:443", 200), ("graph.microsoft.com:443", 200)}, tunnels


def test_update_from_the_backup_changes_nothing(backup, intunecd, sandbox):
    path, _, _ = backup
    before = without_timestamps(stored(sandbox, CA)), without_timestamps(stored(sandbox, IOS))
    completed, rows = intunecd("update", path, "-u", "-e", *UPDATE_EXCLUDES)
    assert graph_writes(rows) == []
    assert completed.stdout.count("No changes found") == 5, completed.stdout[-3000:]
    assert (without_timestamps(stored(sandbox, CA)), without_timestamps(stored(sandbox, IOS))) == before


@pytest.mark.parametrize("relative, collection, change", [
    ("Conditional Access/Block legacy authentication.json", CA, {"state": "disabled"}),
    ("App Protection/iOS Outlook protection_iosManagedAppProtection.json", IOS, {"minimumRequiredOsVersion": "17.0"}),
])
def test_update_with_one_policy_changed_changes_exactly_that(intunecd, sandbox, tmp_path, relative, collection,
                                                            change):
    path = tmp_path / "changed"
    intunecd("backup", path, "-e", *BACKUP_EXCLUDES)  # the tenant as it is now
    document = json.loads((path / relative).read_text())
    document.update(change)
    (path / relative).write_text(json.dumps(document, indent=4))
    name = document["displayName"]
    others = {c: {k: v for k, v in without_timestamps(stored(sandbox, c)).items() if k != name} for c in (CA, IOS)}
    target = stored(sandbox, collection)[name]
    completed, rows = intunecd("update", path, "-u", "-e", *UPDATE_EXCLUDES)
    assert graph_writes(rows) == [("PATCH", "%s/%s" % (collection, target["id"]), 204)], completed.stdout[-3000:]
    after = stored(sandbox, collection)[name]
    for key, value in change.items():
        assert after[key] == value
    assert {c: {k: v for k, v in without_timestamps(stored(sandbox, c)).items() if k != name}
            for c in (CA, IOS)} == others
    assert {k: v for k, v in after.items() if k not in change and k not in ("modifiedDateTime", "lastModifiedDateTime",
                                                                            "version")} == \
        {k: v for k, v in target.items() if k not in change and k not in ("modifiedDateTime", "lastModifiedDateTime",
                                                                         "version")}


def test_default_full_run_completes(intunecd, sandbox, tmp_path):
    path = tmp_path / "full"
    completed, rows = intunecd("backup", path)
    graph = [r for r in rows if r["service"] == "graph"]
    assert [r for r in graph if r["status"] >= 500] == []
    refused = {r["path"] for r in graph if r["status"] >= 400}
    assert refused <= UNMODELLED_SINGLETONS, refused
    assert (path / "Conditional Access" / "Require app protection on mobile.json").exists()
    assert (path / "App Protection" / "iOS Outlook protection_iosManagedAppProtection.json").exists()
    assert (path / "Scope Tags" / "Default_roleScopeTag.json").exists()
    assert [r for r in graph if r.get("unmodelled")], "the sweep reached no unmodelled collection"
    assert graph_writes(rows) == []
    print("IntuneCD full run: %d Graph requests, %d answered as unmodelled empty pages, %d refused"
          % (len(graph), len([r for r in graph if r.get("unmodelled")]), len(refused)))
