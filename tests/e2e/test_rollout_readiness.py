"""playbooks/rollout_readiness.yml (role rollout_readiness) against the Contoso tenant: per policy, the licence gaps
(license_readiness_info), the Outlook users in scope without an applied app protection policy (mobile_device_info
source mam) and the report-only evidence, with a verdict, in readiness.json and readiness.html; the page renders in
headless Chromium.

The report-only evidence is written by hand in the shape conditional_access_rollout_readiness returns, from
Microsoft's documented sign-in results (reportOnlySuccess, reportOnlyFailure, reportOnlyInterrupted,
reportOnlyNotApplied); the expected verdicts are worked out by hand from the seed."""
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
ARTEFACTS = REPO / "tests" / "output" / "artefacts"
LEGACY = "1a1ffd81-f3d2-576e-94e7-f6497aef62ec"  # the seed's report-only approvedApplication policy, all users
PILOT_MFA = "c0000000-0000-4000-8000-000000000001"
SALES_BLOCK = "c0000000-0000-4000-8000-000000000002"
PILOT = "0f10de81-ea78-5c1f-b2d7-5e1c4b680954"
SALES = "c9a97bf4-a45e-5316-b3e1-d895087f5d9e"
WRITES = ("POST", "PATCH", "PUT", "DELETE")

EVIDENCE = {"changed": False, "policies": [
    {"id": LEGACY, "display_name": "Legacy: require approved client app for mobile",
     "state": "enabledForReportingButNotEnforced", "sign_ins": 41,
     "result_counts": {"reportOnlySuccess": 30, "reportOnlyFailure": 6, "reportOnlyInterrupted": 1,
                       "reportOnlyNotApplied": 4},
     "failures": [
         {"user_id": "36534c6b-eb9d-50f5-8869-29f200593b4d", "user_principal_name": "lynne@contoso.onmicrosoft.com",
          "user_display_name": "Lynne Robbins", "result": "failure", "sign_ins": 6,
          "applications": ["Office 365 Exchange Online"], "client_app_types": ["mobileAppsAndDesktopClients"],
          "platforms": ["iOS"]},
         {"user_id": "5db961c1-8616-5d94-9e7f-b3726d898eef", "user_principal_name": "lidia@contoso.onmicrosoft.com",
          "user_display_name": "Lidia Holloway", "result": "interrupted", "sign_ins": 1,
          "applications": ["Office 365 SharePoint Online"], "client_app_types": ["browser"], "platforms": ["Android"]}],
     "users_not_seen": [{"id": "c6f92407-083a-5876-881d-0fdace9a801a",
                         "user_principal_name": "pradeep@contoso.onmicrosoft.com", "display_name": "Pradeep Gupta"}],
     "verdict": "failures"},
    {"id": PILOT_MFA, "display_name": "Pilot: MFA", "state": "enabledForReportingButNotEnforced", "sign_ins": 12,
     "result_counts": {"reportOnlySuccess": 12, "reportOnlyFailure": 0, "reportOnlyInterrupted": 0,
                       "reportOnlyNotApplied": 0},
     "failures": [], "users_not_seen": [], "verdict": "ready"},
]}


@pytest.fixture
def sandbox_seed():
    seed = dict(CONTOSO)
    report_only = "enabledForReportingButNotEnforced"
    seed["conditionalAccessPolicies"] = CONTOSO["conditionalAccessPolicies"] + [
        {"id": PILOT_MFA, "displayName": "Pilot: MFA", "state": report_only,
         "conditions": {"users": {"includeGroups": [PILOT]}, "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["all"]},
         "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
        {"id": SALES_BLOCK, "displayName": "Sales: block risky sign-ins", "state": report_only,
         "conditions": {"users": {"includeGroups": [SALES]}, "applications": {"includeApplications": ["All"]},
                        "clientAppTypes": ["all"], "signInRiskLevels": ["high"]},
         "grantControls": {"operator": "OR", "builtInControls": ["block"]}},
    ]
    return seed


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _run(run_playbook, tmp_path, evidence="default", *args):
    report = tmp_path / "readiness"
    extra = {"rollout_readiness_dir": str(report), "rollout_readiness_title": "Contoso <rollout>"}
    evidence = EVIDENCE if evidence == "default" else evidence
    if evidence is not None:
        path = tmp_path / "evidence.json"
        path.write_text(json.dumps(evidence))
        extra["evidence_file"] = str(path)
    return report, run_playbook(REPO / "playbooks" / "rollout_readiness.yml", *args, extra_vars=extra)


def upns(users, key="user_principal_name"):
    return sorted(u[key].split("@")[0] for u in users)


def test_readiness_page_per_policy(run_playbook, graph_sandbox, tmp_path):
    since = len(graph_sandbox.requests())
    report, run = _run(run_playbook, tmp_path)
    assert run.rc == 0 and run.recap["failed"] == 0 and run.recap["changed"] <= 1, run  # the directory, created
    rows = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert [r for r in rows if r["method"] in WRITES and not r["path"].endswith(("/$batch", "/getByIds"))] == []
    assert stat.S_IMODE((report / "readiness.json").stat().st_mode) == 0o600
    data = json.loads((report / "readiness.json").read_text())
    assert all(s["collected"] for s in data["sections"].values())
    by_id = {p["id"]: p for p in data["policies"]}
    assert set(by_id) == {LEGACY, PILOT_MFA, SALES_BLOCK}

    legacy = by_id[LEGACY]
    assert legacy["verdict"] == "not_ready" and legacy["rollout"] == "report-only"
    assert upns(legacy["licences"]["users_lacking"]) == ["lee", "miriam", "nestor", "patti", "pradeep"]
    # Megan's Outlook has its policy intended but not applied, Patti's none (the seed's app registrations)
    assert sorted(u["display_name"] for u in legacy["unprotected_outlook_users"]) == ["Megan Bowen", "Patti Fernandez"]
    assert [f["user_principal_name"] for f in legacy["report_only"]["failures"]] == [
        "lynne@contoso.onmicrosoft.com", "lidia@contoso.onmicrosoft.com"]
    assert len(legacy["reasons"]) == 3

    pilot = by_id[PILOT_MFA]
    # Adele (E5), Grady (E3) and Megan (Business Premium) hold Entra ID P1; MFA needs no app protection
    assert pilot["licences"]["users_lacking"] == [] and pilot["unprotected_outlook_users"] is None
    assert pilot["reasons"] == [] and pilot["verdict"] == "ready"

    sales = by_id[SALES_BLOCK]
    # Isaiah's E3 has no P2, Miriam's Office 365 E3 neither P1 nor P2; no evidence was given for it
    assert upns(sales["licences"]["users_lacking"]) == ["isaiah", "miriam"]
    assert sales["report_only"] is None and sales["verdict"] == "not_ready"
    assert data["counts"] == {"policies": 3, "ready": 1, "not_ready": 2, "no_evidence": 0, "incomplete": 0,
                              "users_lacking_licences": 6, "outlook_unprotected_users": 2}
    assert [(r["user_principal_name"], r["service_plan_name"]) for r in data["disabled_plans"]] == [
        ("lee@contoso.onmicrosoft.com", "OFFICESUBSCRIPTION")]

    page = (report / "readiness.html").read_text()
    assert "Contoso &lt;rollout&gt;" in page and "<script" not in page.lower()
    assert "Lynne Robbins" in page and "Patti Fernandez" in page and "Pradeep Gupta" in page


def test_without_sign_ins_no_policy_is_ready_and_check_mode_writes_nothing(run_playbook, tmp_path):
    """No evidence given: the role reads the sign-in logs, where the demo tenant has none."""
    report, run = _run(run_playbook, tmp_path, None)
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    assert data["sections"]["report_only"]["collected"] is True
    assert data["sections"]["report_only"]["source"] == "the sign-in logs"
    assert all(p["report_only"]["verdict"] == "no_evidence" for p in data["policies"])
    assert {p["id"]: p["verdict"] for p in data["policies"]} == {
        LEGACY: "not_ready", PILOT_MFA: "no_evidence", SALES_BLOCK: "not_ready"}
    checked, run = _run(run_playbook, tmp_path / "check", None, "--check")
    assert run.rc == 0 and not checked.exists(), run


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (Debian package 'chromium')")
def test_readiness_page_renders_in_headless_chromium(run_playbook, tmp_path):
    report, run = _run(run_playbook, tmp_path)
    assert run.rc == 0, run
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "rollout_readiness.png"
    if shot.exists():
        shot.unlink()
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=%s" % (tmp_path / "chromium")]
    url = (report / "readiness.html").as_uri()
    done = subprocess.run(base + ["--screenshot=%s" % shot, "--window-size=1280,2400", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and shot.is_file() and shot.stat().st_size > 10000, done.stderr[-2000:]
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'class="policy not_ready"' in dom.stdout and 'class="policy ready"' in dom.stdout
    assert "Lynne Robbins" in dom.stdout and "Office apps (Outlook mobile) (not assigned)" in dom.stdout
    assert 'class="unprotected"' in dom.stdout and 'id="disabled-plans"' in dom.stdout


@pytest.mark.parametrize("sandbox_seed", [CONTOSO])  # the demo tenant as shipped
def test_the_demo_baseline_once_applied(run_playbook, tmp_path, sandbox_seed):
    """The Outlook mobile baseline applied to the demo tenant report-only: its app protection policy is not ready,
    naming the Exchange-only users, Lee (Office apps disabled) and the Outlook users without applied protection."""
    home = tmp_path / "home"
    home.mkdir()
    applied = run_playbook(REPO / "playbooks" / "harden_tenant.yml", env={"HOME": str(home)})
    assert applied.rc == 0, applied
    report, run = _run(run_playbook, tmp_path, None)
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    app = [p for p in data["policies"] if p["display_name"] == "TG - Mobile: require app protection"][0]
    assert app["verdict"] == "not_ready" and app["rollout"] == "report-only"
    office = [g for g in app["licences"]["gaps"] if g["requirement"] == "office_apps"][0]
    assert {u["user_principal_name"].split("@")[0]: u["reason"] for u in office["users"]} == {
        "lee": "disabled_plan", "patti": "not_assigned", "pradeep": "not_assigned"}
    assert sorted(u["display_name"] for u in app["unprotected_outlook_users"]) == ["Megan Bowen", "Patti Fernandez"]


def test_declared_policies_and_a_list_of_evidence(run_playbook, graph_sandbox, tmp_path):
    """rollout_readiness_policies checks a declared policy instead of the tenant's; the evidence may be the policies
    list alone; the app protection section is left out when asked."""
    report = tmp_path / "declared"
    run = run_playbook(REPO / "playbooks" / "rollout_readiness.yml", extra_vars={
        "rollout_readiness_dir": str(report), "rollout_readiness_sections": ["licences", "report_only"],
        "rollout_readiness_policies": [{
            "display_name": "Declared: Sales need app protection",
            "conditions": {"users": {"include_groups": ["Sales"]}, "applications": {"include_applications": ["Office365"]},
                           "client_app_types": ["mobileAppsAndDesktopClients"]},
            "grant_controls": {"operator": "OR", "built_in_controls": ["compliantApplication"]}}],
        "rollout_readiness_evidence": [{"id": "not-this-one", "display_name": "Another policy", "state": "enabled",
                                        "sign_ins": 0, "result_counts": {}, "failures": [], "users_not_seen": [],
                                        "verdict": "ready"}]})
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    assert data["sections"]["app_protection"] == {"collected": False,
                                                  "reason": "left out of rollout_readiness_sections"}
    declared = [p for p in data["policies"] if p["display_name"] == "Declared: Sales need app protection"]
    assert len(declared) == 1 and declared[0]["unprotected_outlook_users"] is None
    # Sales: Adele (E5), Isaiah (E3), Miriam (Office 365 E3: no P1, no Intune)
    assert upns(declared[0]["licences"]["users_lacking"]) == ["miriam"]
    assert declared[0]["verdict"] == "not_ready" and declared[0]["report_only"] is None
    # evidence for a policy the licence check did not see is listed apart, not judged
    assert [p["display_name"] for p in data["policies"]] == ["Declared: Sales need app protection"]
    assert data["unmatched_evidence"] == ["Another policy"]
    assert 'id="unmatched"' in (report / "readiness.html").read_text()


def test_a_read_that_is_refused_is_said_on_the_page(run_playbook, graph_sandbox, tmp_path):
    """An application without Organization.Read.All (nor Directory.Read.All) cannot read the subscribed SKUs: the
    licence section says why, the page is still written with the other sections, and no policy is ready."""
    app = graph_sandbox.seed_app(permissions=["Policy.Read.All", "User.Read.All", "Group.Read.All",
                                              "DeviceManagementApps.Read.All"])
    report = tmp_path / "refused"
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(EVIDENCE))
    run = run_playbook(REPO / "playbooks" / "rollout_readiness.yml",
                       env={"AZURE_CLIENT_ID": app["appId"], "AZURE_CLIENT_SECRET": app["secret"]},
                       extra_vars={"rollout_readiness_dir": str(report), "evidence_file": str(path)})
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    licences = data["sections"]["licences"]
    assert licences["collected"] is False and licences["reason"].startswith("the read failed: ")
    assert "403" in licences["reason"] or "Insufficient privileges" in licences["reason"], licences
    assert data["sections"]["app_protection"]["collected"] is True
    # the evidence alone: the legacy policy has failures; the pilot has none, but its licences could not be checked
    verdicts = {p["id"]: p["verdict"] for p in data["policies"]}
    assert verdicts == {LEGACY: "not_ready", PILOT_MFA: "incomplete"}
    assert "Not collected: the read failed" in (report / "readiness.html").read_text()


SIGN_INS = json.loads((REPO / "sandbox" / "tests" / "data" / "sign_ins_report_only.json").read_text(encoding="utf-8"))


def test_the_whole_page_from_the_sign_in_logs(run_playbook, graph_sandbox, tmp_path):
    """The role reads the sign-in logs itself: Microsoft's documented List signIns shape, written by hand
    (sandbox/tests/data/sign_ins_report_only.json), naming the seed's report-only legacy policy. In the window
    (2026-11-28 to 2026-12-06) Adele's two Exchange ActiveSync sign-ins would have failed and Alex's one been
    interrupted; Alex is accepted, so only Adele holds the policy back."""
    text = json.dumps(SIGN_INS["signIns"]).replace('"POLICY_NAME"', json.dumps(
        "Legacy: require approved client app for mobile")).replace('"POLICY"', json.dumps(LEGACY))
    graph_sandbox.seed({"signIns": json.loads(text)})
    report = tmp_path / "signins"
    run = run_playbook(REPO / "playbooks" / "rollout_readiness.yml", extra_vars={
        "rollout_readiness_dir": str(report), "rollout_readiness_window_end": "2026-12-06T00:00:00Z",
        "rollout_readiness_window_days": 8, "rollout_readiness_accepted_users": ["alex@contoso.onmicrosoft.com"]})
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    section = data["sections"]["report_only"]
    assert section["source"] == "the sign-in logs"
    assert section["window"] == {"start": "2026-11-28T00:00:00Z", "end": "2026-12-06T00:00:00Z"}
    legacy = {p["id"]: p for p in data["policies"]}[LEGACY]
    evidence = legacy["report_only"]
    assert evidence["sign_ins"] == 7
    assert evidence["result_counts"] == {"reportOnlySuccess": 2, "reportOnlyFailure": 2, "reportOnlyInterrupted": 1,
                                         "reportOnlyNotApplied": 2}
    assert [(f["user_principal_name"], f["result"], f["sign_ins"]) for f in evidence["failures"]] == [
        ("adele@contoso.onmicrosoft.com", "failure", 2), ("alex@contoso.onmicrosoft.com", "interrupted", 1)]
    assert [f["user_principal_name"] for f in evidence["blocking_failures"]] == ["adele@contoso.onmicrosoft.com"]
    assert "1 user(s) had sign-ins report-only would have failed or interrupted" in legacy["reasons"]
    assert legacy["verdict"] == "not_ready"
    # the other report-only policies: no sign-in recorded a result for them
    assert {p["id"]: p["verdict"] for p in data["policies"] if p["id"] != LEGACY} == {
        PILOT_MFA: "no_evidence", SALES_BLOCK: "not_ready"}
    page = (report / "readiness.html").read_text()
    assert "Adele Vance" in page and "interrupted (accepted)" in page and "the sign-in logs, 2026-11-28" in page
