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


def _run(run_playbook, tmp_path, evidence=EVIDENCE, *args):
    report = tmp_path / "readiness"
    extra = {"rollout_readiness_dir": str(report), "rollout_readiness_title": "Contoso <rollout>"}
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
    assert data["counts"] == {"policies": 3, "ready": 1, "not_ready": 2, "no_evidence": 0,
                              "users_lacking_licences": 6, "outlook_unprotected_users": 2}
    assert [(r["user_principal_name"], r["service_plan_name"]) for r in data["disabled_plans"]] == [
        ("lee@contoso.onmicrosoft.com", "OFFICESUBSCRIPTION")]

    page = (report / "readiness.html").read_text()
    assert "Contoso &lt;rollout&gt;" in page and "<script" not in page.lower()
    assert "Lynne Robbins" in page and "Patti Fernandez" in page and "Pradeep Gupta" in page


def test_without_evidence_no_policy_is_ready_and_check_mode_writes_nothing(run_playbook, tmp_path):
    report, run = _run(run_playbook, tmp_path, None)
    assert run.rc == 0, run
    data = json.loads((report / "readiness.json").read_text())
    assert data["sections"]["report_only"] == {"collected": False,
                                               "reason": "no evidence was given (rollout_readiness_evidence)"}
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
