"""playbooks/harden_tenant.yml against a sandbox seeded with the Contoso demo tenant
(sandbox/seeds/contoso.json), as a user runs it: check -> apply -> check -> apply, the summary in
names, the staged rollout of one policy, and the role argument specs refusing bad variables."""
import json

import pytest
import yaml

from conftest import REPO

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
POLICIES = "/v1.0/identity/conditionalAccess/policies"
BASELINE = (
    "TG - Mobile: require app protection",
    "TG - Block legacy authentication",
    "TG - MFA for all users",
    "TG - MFA for medium or high sign-in risk",
    "TG - Password change for high user risk",
)
APP_PROTECTION = ("TG - iOS - Office apps Level 2", "TG - Android - Office apps Level 2")


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


def writes(sandbox, since):
    """(method, path) of every Graph write since ``since``; bulk reads sent as POST are left out."""
    found = []
    for row in sandbox.requests()[since:]:
        if row["service"] != "graph" or row["method"] not in ("POST", "PATCH", "PUT", "DELETE"):
            continue
        if row["method"] == "POST" and row["path"].endswith(("/directoryObjects/getByIds", "/$batch")):
            items = (row.get("body") or {}).get("requests") or []
            if all(i.get("method") == "GET" or i.get("url", "").endswith("/directoryObjects/getByIds") for i in items):
                continue
        path = row["path"]
        if path.startswith(POLICIES + "/"):
            path = POLICIES + "/{id}"
        found.append((row["method"], path))
    return found


def graph_list(sandbox, path):
    """Every object of a Graph collection, read the way a client reads it (one page is enough here)."""
    session = sandbox.session()
    response = session.get(sandbox.base_url + path, headers={"Authorization": "Bearer " + sandbox.token()})
    response.raise_for_status()
    body = response.json()
    assert "@odata.nextLink" not in body
    return body["value"]


def policies(sandbox):
    """The tenant's policies by name, as Graph stores them."""
    return {p["displayName"]: p for p in graph_list(sandbox, POLICIES)}


def summary(run):
    """The lines of the summary the play ends with."""
    text = run.stdout.split("Summarise what changed", 1)[1]
    return text.split("PLAY RECAP", 1)[0]


def test_four_steps_with_a_summary_in_names(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    check = run_playbook(HARDEN, "--check", "--diff")
    assert check.rc == 0, check
    assert check.recap["changed"] >= 1, check
    assert writes(graph_sandbox, since) == []
    lines = summary(check)
    assert "Would change (check mode)" in lines
    for name in BASELINE:
        assert "conditional access policy %s: created" % name in lines, name
    for name in APP_PROTECTION:
        assert "app protection policy %s: created" % name in lines, name
    assert "app configuration policy TG - Outlook - work or school accounts only: created" in lines
    # The diff shows names, not ids.
    assert "Emergency Access Accounts" in check.stdout
    assert "breakglass1@contoso.onmicrosoft.com" in check.stdout

    since = len(graph_sandbox.requests())
    apply = run_playbook(HARDEN)
    assert apply.rc == 0, apply
    assert apply.recap["changed"] >= 1, apply
    done = writes(graph_sandbox, since)
    assert done.count(("POST", POLICIES)) == 6, done  # the baseline's five and the tenant's own
    assert ("PATCH", POLICIES + "/{id}") in done  # the legacy approved-app policy, disabled
    for platform in ("ios", "android"):
        # Created, then its apps and its groups, each with the action Graph offers.
        made = [m for m in done if m[1].startswith("/beta/deviceAppManagement/%sManagedAppProtections" % platform)]
        assert [m[0] for m in made] == ["POST"] * 3, made
        assert made[1][1].endswith("/targetApps") and made[2][1].endswith("/assign"), made
    lines = summary(apply)
    assert "conditional access policy TG - MFA for all users: created" in lines
    assert "conditional access policy Legacy: require approved client app for mobile: updated" in lines

    stored = policies(graph_sandbox)
    for name in BASELINE:
        assert stored[name]["state"] == "enabledForReportingButNotEnforced", name
        excluded = stored[name]["conditions"]["users"]
        assert len(excluded["excludeUsers"]) == 2 and len(excluded["excludeGroups"]) == 1, name
    assert stored["Legacy: require approved client app for mobile"]["state"] == "disabled"
    protected = {p["displayName"]: p for p in graph_list(
        graph_sandbox, "/beta/deviceAppManagement/iosManagedAppProtections?$expand=apps")}
    ios = protected["TG - iOS - Office apps Level 2"]
    assert ios["dataBackupBlocked"] is True and ios["allowedOutboundDataTransferDestinations"] == "managedApps"
    bundles = sorted(a["mobileAppIdentifier"]["bundleId"] for a in ios["apps"])
    assert "com.microsoft.office.outlook" in bundles and len(bundles) == 7, bundles
    grant = stored["TG - Password change for high user risk"]["grantControls"]
    assert grant["operator"] == "AND" and sorted(grant["builtInControls"]) == ["mfa", "passwordChange"]

    since = len(graph_sandbox.requests())
    again = run_playbook(HARDEN, "--check", "--diff")
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    assert "Nothing changed." in summary(again)
    again = run_playbook(HARDEN)
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    assert "Nothing changed." in summary(again)
    assert writes(graph_sandbox, since) == []


def test_staged_rollout_report_only_pilot_enforced(run_playbook, graph_sandbox, tmp_path):
    first = run_playbook(HARDEN)
    assert first.rc == 0, first
    name = "TG - Block legacy authentication"
    stage = "outlook_mobile_rollout_block_legacy_authentication"

    since = len(graph_sandbox.requests())
    report = tmp_path / "device-report"
    # The Contoso tenant has users whose only mail client is Exchange ActiveSync: the block goes on for them knowingly.
    knowingly = {"tenant_hardening_acknowledge_eas_only_users": ["alex", "lee", "nestor"]}
    pilot = run_playbook(HARDEN, "--diff", extra_vars={stage: "pilot", "tenant_hardening_device_report_dir": str(report),
                                                       **knowingly})
    assert pilot.rc == 0, pilot
    assert sorted(writes(graph_sandbox, since)) == [("PATCH", POLICIES + "/{id}"), ("POST", POLICIES)]
    lines = summary(pilot)
    # Before the block reaches anyone, the device report names who it will cut off from mail.
    assert (report / "report.html").exists()
    eas_only = json.loads((report / "summary.json").read_text())["summary"]["eas_only_users"]
    assert eas_only
    assert "Device report" in lines
    for user in eas_only:
        assert user["user"] in lines
    assert "conditional access policy %s (pilot): created" % name in lines
    assert "conditional access policy %s: updated" % name in lines
    stored = policies(graph_sandbox)
    groups = {g["displayName"]: g["id"] for g in graph_sandbox_groups(graph_sandbox)}
    main, copy = stored[name], stored[name + " (pilot)"]
    assert main["state"] == "enabledForReportingButNotEnforced"
    assert groups["Mobile Pilot"] in main["conditions"]["users"]["excludeGroups"]
    assert copy["state"] == "enabled"
    assert copy["conditions"]["users"]["includeGroups"] == [groups["Mobile Pilot"]]
    assert not copy["conditions"]["users"].get("includeUsers")
    assert copy["conditions"]["users"]["excludeGroups"] == [groups["Emergency Access Accounts"]]
    assert copy["grantControls"]["builtInControls"] == ["block"]

    since = len(graph_sandbox.requests())
    enforced = run_playbook(HARDEN, extra_vars={stage: "enforced", "tenant_hardening_device_report": "never", **knowingly})
    assert enforced.rc == 0, enforced
    assert sorted(writes(graph_sandbox, since)) == [("DELETE", POLICIES + "/{id}"), ("PATCH", POLICIES + "/{id}")]
    assert "conditional access policy %s (pilot): deleted" % name in summary(enforced)
    stored = policies(graph_sandbox)
    assert name + " (pilot)" not in stored
    assert stored[name]["state"] == "enabled"
    assert stored[name]["conditions"]["users"]["excludeGroups"] == [groups["Emergency Access Accounts"]]
    # The other policies of the baseline stayed report-only.
    assert stored["TG - MFA for all users"]["state"] == "enabledForReportingButNotEnforced"

    since = len(graph_sandbox.requests())
    again = run_playbook(HARDEN, extra_vars={stage: "enforced", "tenant_hardening_device_report": "never", **knowingly})
    assert again.rc == 0 and again.recap["changed"] == 0, again
    assert writes(graph_sandbox, since) == []


def graph_sandbox_groups(sandbox):
    return graph_list(sandbox, "/v1.0/groups")


def test_argument_specs_refuse_missing_emergency_access_and_misspelled_variables(run_playbook, graph_sandbox,
                                                                                 tmp_path):
    since = len(graph_sandbox.requests())
    tenant = tmp_path / "tenant.yml"
    tenant.write_text("tenant_hardening_pilot_groups: [Mobile Pilot]\n")
    missing = run_playbook(HARDEN, extra_vars={"tenant_vars_file": str(tenant)})
    assert missing.rc != 0, missing
    assert "tenant_hardening_emergency_access" in missing.stdout, missing

    misspelled = run_playbook(HARDEN, extra_vars={"conditional_access_polices": []})
    assert misspelled.rc != 0, misspelled
    assert "Unknown variable(s) conditional_access_polices" in misspelled.stdout, misspelled

    wrong_key = run_playbook(HARDEN, extra_vars={"tenant_hardening_emergency_access": {"user": ["x"]}})
    assert wrong_key.rc != 0, wrong_key
    assert "user" in wrong_key.stdout and "emergency_access" in wrong_key.stdout, wrong_key
    assert writes(graph_sandbox, since) == []


def test_export_then_reapply_changes_nothing(run_playbook, graph_sandbox, tmp_path):
    hardened = run_playbook(HARDEN, extra_vars={"outlook_mobile_rollout_mfa_all_users": "pilot"})
    assert hardened.rc == 0, hardened

    exported_file = tmp_path / "exported.yml"
    since = len(graph_sandbox.requests())
    export = run_playbook(REPO / "playbooks" / "export_tenant.yml", extra_vars={"tenant_export_file": str(exported_file)})
    assert export.rc == 0, export
    assert writes(graph_sandbox, since) == []
    assert oct(exported_file.stat().st_mode & 0o777) == "0o600"
    exported = yaml.safe_load(exported_file.read_text())
    by_name = {p["display_name"]: p for p in exported["conditional_access_policies"]}
    # The pilot copy is folded back into the pilot rollout of its policy; names, not ids.
    assert by_name["TG - MFA for all users"]["rollout"] == "pilot"
    assert "TG - MFA for all users (pilot)" not in by_name
    assert exported["tenant_hardening_pilot_groups"] == ["Mobile Pilot"]
    assert by_name["Legacy: require approved client app for mobile"]["rollout"] == "disabled"
    assert by_name["TG - Block legacy authentication"]["rollout"] == "report_only"
    assert "Emergency Access Accounts" in by_name["TG - MFA for all users"]["conditions"]["users"]["exclude_groups"]
    assert [loc["display_name"] for loc in exported["conditional_access_named_locations"]] == ["Contoso headquarters"]
    assert sorted(p["display_name"] for p in exported["app_protection_policies"]) == sorted(APP_PROTECTION)
    outlook = exported["app_protection_configurations"][0]
    assert outlook["display_name"] == "TG - Outlook - work or school accounts only"
    # Intune's placeholder is written so that Ansible renders it back as it is, not as a variable of its own.
    assert outlook["custom_settings"]["IntuneMAMUPN"] == "{{ '{{' }}userprincipalname{{ '}}' }}"
    # The compliance policy as stored: rolled out report-only, it keeps the 365-day block it has; written enforced
    # (as declared), so that re-applying it changes nothing.
    [compliance] = exported["device_compliance_policies"]
    assert compliance["display_name"] == "TG - Android corporate - Level 2" and compliance["rollout"] == "enforced"
    assert compliance["platform"] == "android_fully_managed"
    assert compliance["actions"]["block_after_hours"] == 8760 and not compliance["actions"]["notifications"]
    assert compliance["assignments"]["include_groups"] == ["All Staff"]
    assert compliance["assignments"]["exclude_groups"] == ["Emergency Access Accounts"]
    [restriction] = exported["device_compliance_enrollment_restrictions"]
    assert restriction["default"] is True and restriction["android_device_administrator"]["platform_blocked"] is True

    since = len(graph_sandbox.requests())
    reapplied = run_playbook(HARDEN, "--diff", extra_vars={"tenant_vars_file": str(exported_file)})
    assert reapplied.rc == 0, reapplied
    assert reapplied.recap["changed"] == 0, reapplied
    assert "Nothing changed." in summary(reapplied)
    assert writes(graph_sandbox, since) == []


def test_purge_deletes_undeclared_policies_of_the_pattern(run_playbook, graph_sandbox, tmp_path):
    stale = {"display_name": "TG - Stale policy", "conditions": {
        "users": {"include_groups": ["Sales"]}, "applications": {"include_applications": ["Office365"]}},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]}}
    tenant = yaml.safe_load((REPO / "playbooks" / "vars" / "contoso.yml").read_text())
    tenant["conditional_access_policies"].append(stale)
    with_stale = tmp_path / "with-stale.yml"
    with_stale.write_text(yaml.safe_dump(tenant))
    first = run_playbook(HARDEN, extra_vars={"tenant_vars_file": str(with_stale)})
    assert first.rc == 0, first
    assert "TG - Stale policy" in policies(graph_sandbox)

    since = len(graph_sandbox.requests())
    second = run_playbook(HARDEN)
    assert second.rc == 0, second
    lines = summary(second)
    assert "conditional access policy TG - Stale policy: deleted" in lines
    assert sorted(writes(graph_sandbox, since)) == [("DELETE", POLICIES + "/{id}")]
    assert "TG - Stale policy" not in policies(graph_sandbox)
