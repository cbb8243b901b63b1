"""conditional_access_rollout_readiness and the rollout gate of the conditional_access role, against the sandbox's
sign-in logs. The evidence is hand-written in the shape of Microsoft's documented List signIns response
(sandbox/tests/data/sign_ins_report_only.json): what each test expects is read off that file, not computed by the
collection."""

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
EVIDENCE = json.loads((REPO / "sandbox" / "tests" / "data" / "sign_ins_report_only.json").read_text(encoding="utf-8"))
NAME = "Require app protection for mobile mail"
WINDOW = {"window_end": "2026-12-06T00:00:00Z", "window_days": 8}
ROLE_WINDOW = {"conditional_access_evidence_window_end": "2026-12-06T00:00:00Z",
               "conditional_access_evidence_window_days": 8}
ADELE, ALEX = "adele@contoso.onmicrosoft.com", "alex@contoso.onmicrosoft.com"
EMERGENCY_GROUP = [g["id"] for g in CONTOSO["groups"] if g["displayName"] == "Emergency Access Accounts"][0]


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def _policies(sandbox):
    response = sandbox.session().get(sandbox.base_url + "/v1.0/identity/conditionalAccess/policies",
                                     headers={"Authorization": "Bearer " + sandbox.token()}, timeout=30)
    assert response.status_code == 200, response.text
    return {p["displayName"]: p for p in response.json()["value"]}


def _seed_evidence(sandbox, policy, rows=None):
    text = json.dumps(rows if rows is not None else EVIDENCE["signIns"])
    text = text.replace('"POLICY_NAME"', json.dumps(policy["displayName"])).replace('"POLICY"', json.dumps(policy["id"]))
    sandbox.seed({"signIns": json.loads(text)})


def _sign_in_reads(sandbox):
    return [r for r in sandbox.requests() if r.get("path", "").endswith("/auditLogs/signIns")]


def _created(run_playbook, graph_sandbox):
    run = run_playbook("signin_readiness.yml", extra_vars={"policy_rollout": "report_only"})
    assert run.rc == 0, run
    policy = _policies(graph_sandbox)[NAME]
    assert policy["state"] == "enabledForReportingButNotEnforced"
    return policy


def test_summary_per_policy_from_the_documented_shape(run_playbook, graph_sandbox):
    policy = _created(run_playbook, graph_sandbox)
    _seed_evidence(graph_sandbox, policy)
    since = len(graph_sandbox.requests())
    run = run_playbook("signin_readiness.yml", extra_vars={"readiness_args": dict(WINDOW, accepted_users=[ALEX])})
    assert run.rc == 0, run
    # the policies, one page of sign-ins, and the directory once for both policies (each includes all users, less
    # the emergency-access group): 4 requests
    paths = [r["path"] for r in graph_sandbox.requests()[since:]]
    assert sorted(paths) == sorted(["/v1.0/identity/conditionalAccess/policies", "/v1.0/auditLogs/signIns",
                                    "/v1.0/users", "/v1.0/groups/%s/transitiveMembers" % EMERGENCY_GROUP]), paths
    result = run.output("readiness")
    assert result["sign_ins_read"] == 7 and result["pages"] == 1  # Megan's of 2026-11-20 is outside the window
    assert result["window"] == {"start": "2026-11-28T00:00:00Z", "end": "2026-12-06T00:00:00Z"}
    # every report-only policy of the tenant: the seed's legacy one too, which no sign-in names
    rows = {r["display_name"]: r for r in result["policies"]}
    assert set(rows) == {NAME, "Legacy: require approved client app for mobile"}
    legacy = rows["Legacy: require approved client app for mobile"]
    assert (legacy["sign_ins"], legacy["failures"], legacy["verdict"]) == (0, [], "no_evidence")
    row = rows[NAME]
    assert row["id"] == policy["id"] and row["display_name"] == NAME
    assert row["result_counts"] == {"reportOnlySuccess": 2, "reportOnlyFailure": 2, "reportOnlyInterrupted": 1,
                                    "reportOnlyNotApplied": 2}
    assert row["sign_ins"] == 7
    adele, alex = row["failures"]
    assert (adele["user_principal_name"], adele["result"], adele["sign_ins"]) == (ADELE, "failure", 2)
    assert adele["applications"] == ["Office 365 Exchange Online"]
    assert adele["client_app_types"] == ["Exchange ActiveSync"] and adele["platforms"] == ["iOS"]
    assert adele["user_display_name"] == "Adele Vance" and not adele["accepted"]
    assert (alex["user_principal_name"], alex["result"], alex["platforms"], alex["accepted"]) == (
        ALEX, "interrupted", ["android"], True)
    assert [f["user_principal_name"] for f in row["blocking_failures"]] == [ADELE]
    assert row["verdict"] == "not_ready"
    # in scope (All users, less the emergency-access group), not seen: everyone but Adele, Alex and Diego
    not_seen = {u["user_principal_name"] for u in row["users_not_seen"]}
    assert ADELE not in not_seen and "diego@contoso.onmicrosoft.com" not in not_seen
    assert "megan@contoso.onmicrosoft.com" in not_seen and "breakglass1@contoso.onmicrosoft.com" not in not_seen
    assert row["users_not_seen_count"] == len(row["users_not_seen"]) == 17 - 3 - 2


def test_a_rollout_with_failures_is_refused_naming_the_people_until_accepted(run_playbook, graph_sandbox):
    policy = _created(run_playbook, graph_sandbox)
    assert _sign_in_reads(graph_sandbox) == []  # no move, no evidence read
    _seed_evidence(graph_sandbox, policy)
    # the move to enforced is refused, naming Adele and Alex, and nothing is written
    for stage in ("enforced", "pilot"):
        run = run_playbook("signin_readiness.yml", extra_vars=dict(ROLE_WINDOW, policy_rollout=stage))
        assert run.rc != 0
        assert ADELE in run.stdout and ALEX in run.stdout and "Exchange ActiveSync" in run.stdout, run.stdout
        assert _policies(graph_sandbox)[NAME]["state"] == "enabledForReportingButNotEnforced"
        assert NAME + " (pilot)" not in _policies(graph_sandbox)
    # --check --diff shows the evidence
    run = run_playbook("signin_readiness.yml", "--check", "--diff",
                       extra_vars=dict(ROLE_WINDOW, policy_rollout="enforced",
                                       conditional_access_evidence_accepted_users=[ADELE, ALEX]))
    assert run.rc == 0, run
    assert "failure %s: Adele Vance, 2 sign-in(s)" % ADELE in run.stdout, run.stdout
    assert _policies(graph_sandbox)[NAME]["state"] == "enabledForReportingButNotEnforced"
    # accepted: the move goes through
    run = run_playbook("signin_readiness.yml", extra_vars=dict(
        ROLE_WINDOW, policy_rollout="enforced", conditional_access_evidence_accepted_users=[ADELE, ALEX.upper()]))
    assert run.rc == 0, run
    assert _policies(graph_sandbox)[NAME]["state"] == "enabled"
    # enforced now: no move, no further read of the sign-in logs
    reads = len(_sign_in_reads(graph_sandbox))
    run = run_playbook("signin_readiness.yml", extra_vars=dict(ROLE_WINDOW, policy_rollout="enforced"))
    assert run.rc == 0, run
    assert len(_sign_in_reads(graph_sandbox)) == reads


def test_a_rollout_goes_through_once_the_failures_stop(run_playbook, graph_sandbox):
    policy = _created(run_playbook, graph_sandbox)
    _seed_evidence(graph_sandbox, policy)
    # a later week in which Adele and Alex sign in through Outlook under app protection: success
    later = []
    for number, (row, day) in enumerate(((EVIDENCE["signIns"][0], "2026-12-15"), (EVIDENCE["signIns"][2], "2026-12-16"))):
        row = json.loads(json.dumps(row))
        row["id"] = "5f3c1a90-6b7e-4c1d-9a2b-1000000000%02d" % number
        row["createdDateTime"] = day + "T09:00:00Z"
        row["clientAppUsed"] = "Mobile Apps and Desktop clients"
        row["appliedConditionalAccessPolicies"] = [{"id": "POLICY", "displayName": "POLICY_NAME",
                                                    "enforcedGrantControls": [], "enforcedSessionControls": [],
                                                    "result": "reportOnlySuccess"}]
        later.append(row)
    _seed_evidence(graph_sandbox, policy, later)
    run = run_playbook("signin_readiness.yml", extra_vars={
        "policy_rollout": "pilot", "conditional_access_evidence_window_end": "2026-12-20T00:00:00Z",
        "conditional_access_evidence_window_days": 7})
    assert run.rc == 0, run
    policies = _policies(graph_sandbox)
    assert policies[NAME]["state"] == "enabledForReportingButNotEnforced"
    assert policies[NAME + " (pilot)"]["state"] == "enabled"
