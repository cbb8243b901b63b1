"""conditional_access_whatif end to end: the seed's scenarios against the Outlook mobile baseline, declared
(playbooks/whatif.yml as shipped) and live, the difference a declared change makes, Graph's evaluate agreeing
and a disagreement planted in the sandbox, bad scenarios refused by field and value, and never a write."""

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WHATIF_PLAYBOOK = REPO / "playbooks" / "whatif.yml"
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())
SCENARIOS = ["Native iOS Mail", "Outlook mobile under app protection", "Outlook mobile without app protection",
             "High-risk sign-in",
             "Legacy authentication", "Emergency-access account"]


def _ids():
    users = dict((u["userPrincipalName"], u["id"]) for u in CONTOSO["users"])
    groups = dict((g["displayName"], g["id"]) for g in CONTOSO["groups"])
    return users, groups


def baseline_policies():
    """The Outlook mobile baseline as the conditional_access role stores it once enforced."""
    users, groups = _ids()
    scope = {"includeUsers": ["All"],
             "excludeUsers": [users["breakglass1@contoso.onmicrosoft.com"], users["breakglass2@contoso.onmicrosoft.com"]],
             "excludeGroups": [groups["Emergency Access Accounts"]]}

    def policy(name, conditions, controls, operator="OR"):
        conditions = dict(conditions, users=scope)
        return {"displayName": "TG - " + name, "state": "enabled", "conditions": conditions,
                "grantControls": {"operator": operator, "builtInControls": controls}}

    return [
        policy("Mobile: require app protection",
               {"applications": {"includeApplications": ["Office365"]},
                "platforms": {"includePlatforms": ["iOS", "android"]},
                "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"]}, ["compliantApplication"]),
        policy("Block legacy authentication", {"applications": {"includeApplications": ["All"]},
                                               "clientAppTypes": ["exchangeActiveSync", "other"]}, ["block"]),
        policy("MFA for all users", {"applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
               ["mfa"]),
        policy("MFA for medium or high sign-in risk",
               {"applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"],
                "signInRiskLevels": ["medium", "high"]}, ["mfa"]),
        policy("Password change for high user risk",
               {"applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"],
                "userRiskLevels": ["high"]}, ["mfa", "passwordChange"], operator="AND"),
    ]


@pytest.fixture
def sandbox_seed():
    seed = json.loads(json.dumps(CONTOSO))
    seed["conditionalAccessPolicies"] = seed["conditionalAccessPolicies"] + baseline_policies()
    return seed


def graph_requests(sandbox):
    return [r for r in sandbox.requests() if r["service"] == "graph"]


def assert_no_writes(sandbox):
    """Only reads: GETs, $batch of GETs, and Graph's evaluate (an action that reads)."""
    for row in graph_requests(sandbox):
        if row["method"] == "GET":
            continue
        assert row["method"] == "POST", row
        if row["path"].endswith("/$batch"):
            for item in (row.get("body") or {}).get("requests") or []:
                assert item["method"] == "GET" or item["url"].startswith("/identity/conditionalAccess/evaluate"), item
        else:
            assert row["path"].endswith("/identity/conditionalAccess/evaluate"), row


def by_name(results):
    return dict((r["name"], r) for r in results)


def assert_seed_outcomes(results):
    found = by_name(results)
    assert list(found) == SCENARIOS
    for result in results:
        assert result["matches_expected"] is True, result
    assert found["Native iOS Mail"]["outcome"] == "block"
    assert "TG - Block legacy authentication" in found["Native iOS Mail"]["enforced"]
    app = found["Outlook mobile under app protection"]
    assert app["outcome"] == "grant" and app["access_granted"] is True
    mobile = next(r for r in app["requirements"] if r["policy"] == "TG - Mobile: require app protection")
    assert mobile["controls"] == ["compliantApplication"]
    denied = found["Outlook mobile without app protection"]
    assert denied["outcome"] == "grant" and denied["access"] == "denied" and denied["access_granted"] is False
    assert "compliantApplication" in denied["access_detail"]
    assert app["access"] == "granted"
    risky = found["High-risk sign-in"]
    assert "TG - MFA for medium or high sign-in risk" in risky["enforced"]
    assert all(r["controls"] == ["mfa"] for r in risky["requirements"])
    assert found["Legacy authentication"]["outcome"] == "block"
    emergency = found["Emergency-access account"]
    assert emergency["outcome"] == "allow" and emergency["enforced"] == []
    assert all(n["reason"] in ("users", "policyNotEnabled") for n in emergency["not_applied"]), emergency


def test_shipped_scenarios_against_the_declared_baseline(run_playbook, graph_sandbox, tmp_path):
    output = tmp_path / "whatif.json"
    run = run_playbook(WHATIF_PLAYBOOK, extra_vars={"whatif_output": str(output)})
    assert run.rc == 0, run
    assert "6 scenarios, all as expected" in run.stdout
    # The console says when a sign-in cannot get in, not only the JSON.
    assert re.search(r"Outlook mobile without app protection: grant \([^)]*compliantApplication[^)]*\), access denied "
                     r"\(cannot satisfy [^\n]*compliantApplication[^\n]* with mfa", run.stdout), run.stdout
    results = json.loads(output.read_text())
    assert_seed_outcomes(results)
    # The declared policies were report-only; evaluated as if enforced, they are in `enforced`.
    assert "TG - MFA for all users" in by_name(results)["High-risk sign-in"]["enforced"]
    assert_no_writes(graph_sandbox)
    # The names of the declared policies in one $batch, the named locations, the four users in one $batch.
    graph = graph_requests(graph_sandbox)
    assert len(graph) == 3, [(r["method"], r["path"]) for r in graph]


def test_live_policies_with_graph_agreeing(run_playbook, graph_sandbox, tmp_path):
    output = tmp_path / "whatif.json"
    run = run_playbook(WHATIF_PLAYBOOK, extra_vars={"whatif_output": str(output), "whatif_source": "live",
                                                    "whatif_use_graph": True,
                                                    "whatif_report_only_as_enforced": False})
    assert run.rc == 0, run
    results = json.loads(output.read_text())
    assert_seed_outcomes(results)
    for result in results:
        assert result["disagreement"] == [], result
        assert sorted(result["graph"]["applies"]) == sorted(result["enforced"] + result["report_only"])
    # The seeded legacy policy is report-only: listed, never enforced.
    assert "Legacy: require approved client app for mobile" in by_name(results)[
        "Outlook mobile under app protection"]["report_only"]
    evaluated = [i for r in graph_requests(graph_sandbox) if r["path"].endswith("/$batch")
                 for i in (r.get("body") or {}).get("requests") or [] if "evaluate" in i["url"]]
    assert len(evaluated) == 6
    assert evaluated[0]["body"]["signInIdentity"]["@odata.type"] == "#microsoft.graph.userSignIn"
    assert_no_writes(graph_sandbox)


def test_planted_disagreement_is_reported(run_playbook, graph_sandbox, tmp_path):
    status, _shown = graph_sandbox.control("PUT", "/_sandbox/evaluate",
                                           {"invert": ["TG - Block legacy authentication"], "reason": "users"})
    assert status == 200
    output = tmp_path / "whatif.json"
    run = run_playbook(WHATIF_PLAYBOOK, extra_vars={"whatif_output": str(output), "whatif_source": "live",
                                                    "whatif_use_graph": True,
                                                    "whatif_report_only_as_enforced": False})
    assert run.rc == 0, run
    results = by_name(json.loads(output.read_text()))
    legacy = results["Legacy authentication"]["disagreement"]
    assert [(d["display_name"], d["graph_applies"], d["offline_applies"]) for d in legacy] == [
        ("TG - Block legacy authentication", False, True)]
    assert legacy[0]["graph_reasons"] == ["users"]
    browser = results["High-risk sign-in"]["disagreement"]
    assert [(d["display_name"], d["graph_applies"], d["offline_applies"], d["offline_reason"]) for d in browser] == [
        ("TG - Block legacy authentication", True, False, "clientApps")]


def test_both_shows_what_a_declared_change_changes(run_playbook, graph_sandbox, tmp_path):
    playbook = tmp_path / "both.yml"
    playbook.write_text(json.dumps([{
        "name": "What disabling the legacy block would change",
        "hosts": "all", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "Evaluate", "tenantguard.m365.conditional_access_whatif": {
                "source": "both",
                "conditional_access_policies": [
                    {"display_name": "TG - Block legacy authentication", "policy_state": "disabled"},
                    {"display_name": "TG - Mobile Pilot: block Android", "rollout": "enforced",
                     "conditions": {"users": {"include_groups": ["Mobile Pilot"]},
                                    "applications": {"include_applications": ["All"]},
                                    "platforms": {"include_platforms": ["android"]}},
                     "grant_controls": {"operator": "OR", "built_in_controls": ["block"]}}],
                "emergency_access": {"groups": ["Emergency Access Accounts"]},
                # Purged as the module purges: the undeclared live policy whose whole name matches goes.
                "purge": True, "purge_name_pattern": "TG - Password change.*",
                "scenarios": [
                    {"name": "Native iOS Mail", "user": "adele@contoso.onmicrosoft.com", "application": "Exchange",
                     "platform": "ios", "client_app": "exchangeActiveSync"},
                    {"name": "Android browser", "user": "Adele Vance", "application": "SharePoint",
                     "platform": "Android", "client_app": "browser"},
                    {"name": "Windows browser", "user": "alex@contoso.onmicrosoft.com", "application": "Teams",
                     "platform": "windows", "client_app": "browser"}]},
             "register": "result"},
            {"name": "Save", "ansible.builtin.copy": {"content": "{{ result | to_json }}",
                                                      "dest": str(tmp_path / "both.json"), "mode": "0600"}}]}]))
    run = run_playbook(playbook)
    assert run.rc == 0, run
    result = json.loads((tmp_path / "both.json").read_text())
    assert result["changed"] is False
    found = by_name(result["scenarios"])
    mail = found["Native iOS Mail"]
    assert (mail["live"]["outcome"], mail["declared"]["outcome"], mail["changed_outcome"]) == ("block", "grant", True)
    assert "TG - Block legacy authentication" in mail["live"]["enforced"]
    assert {"display_name": "TG - Block legacy authentication", "reason": "policyNotEnabled"}.items() <= next(
        n for n in mail["declared"]["not_applied"] if n["display_name"] == "TG - Block legacy authentication").items()
    android = found["Android browser"]  # Adele is in Mobile Pilot, found by display name
    assert (android["live"]["outcome"], android["declared"]["outcome"]) == ("grant", "block")
    assert android["declared"]["enforced"] == sorted(android["declared"]["enforced"], key=android["declared"][
        "enforced"].index) and "TG - Mobile Pilot: block Android" in android["declared"]["enforced"]
    assert found["Windows browser"]["changed_outcome"] is False
    assert result["summary"]["changed_outcome"] == ["Native iOS Mail", "Android browser"]
    assert result["summary"]["policies"] == {"live": 6, "declared": 6}
    assert all("TG - Password change for high user risk" not in [n["display_name"] for n in r["declared"]["not_applied"]]
               and "TG - Password change for high user risk" in [n["display_name"] for n in r["live"]["not_applied"]]
               for r in result["scenarios"])
    assert_no_writes(graph_sandbox)


def test_bad_scenarios_are_refused_by_field_and_value(run_playbook, graph_sandbox, tmp_path):
    playbook = tmp_path / "bad.yml"
    playbook.write_text(json.dumps([{
        "name": "Bad scenarios", "hosts": "all", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"name": "Evaluate", "tenantguard.m365.conditional_access_whatif": {"scenarios": [
            {"name": "Nobody", "user": "nobody@contoso.onmicrosoft.com", "application": "Exchange Online"},
            {"name": "Amiga", "user": "adele@contoso.onmicrosoft.com", "platform": "amiga"}]}}]}]))
    run = run_playbook(playbook)
    assert run.rc != 0
    assert "scenarios[1].platform (scenario 'Amiga'): is not a device platform (got 'amiga'). Accepted: android, " \
           "iOS, windows, windowsPhone, macOS, linux." in run.stdout
    assert graph_requests(graph_sandbox) == []  # input problems are found before any request
    # The unknown user after one look-up, by field and value.
    playbook.write_text(playbook.read_text().replace('"platform": "amiga"', '"platform": "iOS"'))
    run = run_playbook(playbook)
    assert run.rc != 0
    assert "scenarios[0].user (scenario 'Nobody'): no user of the tenant has this user principal name, display " \
           "name or id (got 'nobody@contoso.onmicrosoft.com')" in run.stdout
    assert_no_writes(graph_sandbox)


KIND_POLICIES = [
    {"display_name": "Guests: MFA", "rollout": "enforced",
     "conditions": {"users": {"include_guests_or_external_users": {
         "guest_or_external_user_types": "b2bCollaborationGuest",
         "external_tenants": {"membership_kind": "all"}}},
         "applications": {"include_applications": ["All"]}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]}},
    {"display_name": "Admins: block outside headquarters", "rollout": "enforced",
     "conditions": {"users": {"include_roles": ["Global Administrator"]},
                    "applications": {"include_applications": ["All"]},
                    "locations": {"include_locations": ["All"], "exclude_locations": ["Contoso headquarters"]}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["block"]}},
    {"display_name": "Sales: block Android", "rollout": "pilot",
     "conditions": {"users": {"include_groups": ["Sales"]}, "applications": {"include_applications": ["All"]},
                    "platforms": {"include_platforms": ["android"]}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["block"]}},
    {"display_name": "Windows: compliant devices only", "rollout": "enforced",
     "conditions": {"users": {"include_users": ["All"]}, "applications": {"include_applications": ["Office365"]},
                    "platforms": {"include_platforms": ["windows"]},
                    "devices": {"device_filter": {"mode": "exclude", "rule": "device.isCompliant -eq True"}}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["block"]}},
    {"display_name": "Security info: MFA", "rollout": "enforced",
     "conditions": {"users": {"include_users": ["All"]},
                    "applications": {"include_user_actions": ["urn:user:registersecurityinfo"]}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]}},
    {"display_name": "Sensitive files: compliant device", "rollout": "enforced",
     "conditions": {"users": {"include_users": ["All"]},
                    "applications": {"include_authentication_context_class_references": ["c1"]}},
     "grant_controls": {"operator": "OR", "built_in_controls": ["compliantDevice"]}},
    {"template": "Require multifactor authentication for risky sign-ins", "rollout": "enforced"},
]

KIND_SCENARIOS = [
    {"name": "Guest", "user": "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "application": "Teams",
     "expected": "grant", "expected_controls": ["mfa"]},
    {"name": "Admin away", "user_roles": ["Global Administrator"], "application": "Azure portal",
     "ip_address": "203.0.113.9", "expected": "block"},
    {"name": "Admin at headquarters", "user_roles": ["62e90394-69f5-4237-9190-012177145e10"],
     "application": "Azure portal", "named_location": "contoso HEADQUARTERS", "expected": "allow"},
    {"name": "Pilot member on Android", "user": "Adele Vance", "application": "SharePoint", "platform": "android",
     "client_app": "browser", "expected": "block"},
    {"name": "Sales outside the pilot on Android", "user": "isaiah@contoso.onmicrosoft.com",
     "application": "SharePoint", "platform": "android", "client_app": "browser", "expected": "allow"},
    {"name": "Compliant PC", "user": "alex@contoso.onmicrosoft.com", "application": "Office365",
     "platform": "windows", "device": {"is_compliant": True, "trustType": "AzureAD"}, "expected": "allow"},
    {"name": "Unmanaged PC", "user": "alex@contoso.onmicrosoft.com", "application": "Office365",
     "platform": "windows", "device": "unmanaged", "expected": "block"},
    {"name": "Registering security info", "user": "alex@contoso.onmicrosoft.com",
     "user_action": "register_security_info", "expected": "grant", "expected_controls": ["mfa"],
     "satisfied_controls": ["mfa"]},
    {"name": "Sensitive file", "user_groups": ["All Staff"], "authentication_context": "C1",
     "platform": "iOS", "satisfied_controls": ["mfa"], "expected": "grant"},
    {"name": "Automation", "service_principal": "TenantGuard Sandbox Automation", "application": "Microsoft Graph",
     "expected": "allow"},
    {"name": "Risky sign-in", "user": "alex@contoso.onmicrosoft.com", "application": "Exchange Online",
     "sign_in_risk": "High", "expected": "grant", "expected_controls": ["mfa"]},
]


def test_every_kind_of_scenario_against_declared_policies(run_playbook, graph_sandbox, tmp_path):
    playbook = tmp_path / "kinds.yml"
    playbook.write_text(json.dumps([{
        "name": "Scenario kinds", "hosts": "all", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "Evaluate", "tenantguard.m365.conditional_access_whatif": {
                "source": "declared", "conditional_access_policies": KIND_POLICIES,
                "emergency_access": {"users": ["breakglass1@contoso.onmicrosoft.com"]},
                "pilot_groups": ["Mobile Pilot"], "scenarios": KIND_SCENARIOS},
             "register": "result", "check_mode": True},
            {"name": "Save", "ansible.builtin.copy": {"content": "{{ result | to_json }}",
                                                      "dest": str(tmp_path / "kinds.json"), "mode": "0600"}}]}]))
    run = run_playbook(playbook)
    assert run.rc == 0, run
    result = json.loads((tmp_path / "kinds.json").read_text())
    found = by_name(result["scenarios"])
    for scenario in KIND_SCENARIOS:
        assert found[scenario["name"]]["matches_expected"] is True, found[scenario["name"]]
    users, groups = _ids()
    assert found["Guest"]["sign_in"]["user"]["user_type"] == "guest"
    assert found["Admin away"]["sign_in"]["user"] == {"id": None, "groups": [],
                                                      "roles": ["62e90394-69f5-4237-9190-012177145e10"],
                                                      "user_type": "member"}
    assert found["Admin away"]["enforced"] == ["Admins: block outside headquarters"]
    at_hq = next(n for n in found["Admin at headquarters"]["not_applied"]
                 if n["display_name"] == "Admins: block outside headquarters")
    assert at_hq["reason"] == "location"
    # The pilot copy is enforced for the pilot groups; the policy itself stays report-only for everyone else.
    assert found["Pilot member on Android"]["enforced"] == ["Sales: block Android (pilot)"]
    assert found["Pilot member on Android"]["sign_in"]["user"]["id"] == users["adele@contoso.onmicrosoft.com"]
    assert groups["Sales"] in found["Pilot member on Android"]["sign_in"]["user"]["groups"]
    assert found["Sales outside the pilot on Android"]["report_only"] == ["Sales: block Android"]
    assert found["Compliant PC"]["sign_in"]["device"] == {"isCompliant": True, "trustType": "AzureAD"}
    assert found["Registering security info"]["access_granted"] is True
    assert found["Sensitive file"]["access_granted"] is False  # asks for a compliant device, not MFA
    assert found["Sensitive file"]["sign_in"]["authentication_context"] == "c1"
    assert found["Automation"]["sign_in"]["service_principal"]["app_id"] == "3f6a2d8e-1b4c-4e7a-9d2f-6c8b0a5e7f13"
    # A policy laid over Microsoft's template, named after it, the placeholder replaced by the emergency account.
    assert found["Risky sign-in"]["enforced"] == ["Require multifactor authentication for risky sign-ins"]
    assert result["summary"]["policies"] == {"declared": 8}
    assert_no_writes(graph_sandbox)
