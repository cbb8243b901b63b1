"""license_readiness_info against the Contoso tenant (sandbox/seeds/contoso.json: Microsoft 365 E5 and E3, Business
Premium, Office 365 E3 without Entra ID P1, Exchange Online Plan 1 only; Lee's E3 has the Office apps plan disabled).

The expected users are worked out by hand from the seed's licences and Microsoft's licensing requirements, not by the
module: a conditional access policy needs Entra ID P1, a risk condition P2, an app protection requirement the Office
apps and Intune. Reads are in bulk (the users in pages, a group's members in one read) and nothing is written."""
import json
from pathlib import Path

import pytest

CONTOSO = json.loads((Path(__file__).resolve().parents[2] / "sandbox" / "seeds" / "contoso.json").read_text())
SALES = "c9a97bf4-a45e-5316-b3e1-d895087f5d9e"
PILOT = "0f10de81-ea78-5c1f-b2d7-5e1c4b680954"
EMERGENCY = "947f6ec5-a3eb-5fa1-971d-3c5379fccdce"
PATTI = "3ef3cb2e-290a-529a-8529-ff932e60ae70"
MEGAN = "2a974f7e-a785-58f8-9c57-4ccfe79e4e04"
LEE = "dc6eb228-4054-58da-9a13-629d9c59eb5e"
LEGACY = "1a1ffd81-f3d2-576e-94e7-f6497aef62ec"  # the seed's report-only approvedApplication policy, all users
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def policy(policy_id, name, users, grant, state="enabled", **conditions):
    body = {"id": policy_id, "displayName": name, "state": state,
            "conditions": {"users": users, "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": grant}}
    body["conditions"].update(conditions)
    return body


@pytest.fixture
def sandbox_seed():
    seed = dict(CONTOSO)
    seed["conditionalAccessPolicies"] = CONTOSO["conditionalAccessPolicies"] + [
        policy("b0000000-0000-4000-8000-000000000001", "Pilot: app protection", {
            "includeGroups": [PILOT], "includeUsers": [PATTI, LEE]}, ["compliantApplication"],
            state="enabledForReportingButNotEnforced"),
        policy("b0000000-0000-4000-8000-000000000002", "Sales: MFA on risky sign-ins", {"includeGroups": [SALES]},
               ["mfa"], signInRiskLevels=["high", "medium"]),
        policy("b0000000-0000-4000-8000-000000000003", "Off: block all", {"includeUsers": ["All"]}, ["block"],
               state="disabled"),
    ]
    return seed


def upns(users):
    return sorted(u["user_principal_name"].split("@")[0] for u in users)


def test_license_gaps_per_policy_read_in_bulk(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    run = run_playbook("license_readiness.yml")
    assert run.rc == 0, run
    assert run.recap["changed"] == 0, run
    rows = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert [r for r in rows if r["method"] in WRITES and not r["path"].endswith(("/$batch", "/getByIds"))] == []
    seen = run.output("readiness")
    live = seen["live"]["readiness"]
    assert seen["checked"]["readiness"] == live  # check mode reads the same
    by_name = {p["display_name"]: p for p in live["policies"]}
    assert set(by_name) == {"Legacy: require approved client app for mobile", "Pilot: app protection",
                            "Sales: MFA on risky sign-ins"}  # the disabled policy is left out

    legacy = by_name["Legacy: require approved client app for mobile"]
    assert legacy["needs"] == ["entra_id_p1", "office_apps", "intune"]
    # all users but the two emergency accounts (excluded by group); the guest is counted, not checked
    assert legacy["users_in_scope"] == 15 and legacy["users_checked"] == 14 and legacy["guests_not_checked"] == 1
    gaps = {g["requirement"]: g for g in legacy["gaps"]}
    # Office 365 E3 (miriam, nestor) and Exchange Online Plan 1 (patti, pradeep) carry no Entra ID P1
    assert upns(gaps["entra_id_p1"]["users"]) == ["miriam", "nestor", "patti", "pradeep"]
    # Exchange-only users have no Office apps; Lee's E3 has them disabled
    office = {u["user_principal_name"].split("@")[0]: u["reason"] for u in gaps["office_apps"]["users"]}
    assert office == {"lee": "disabled_plan", "patti": "not_assigned", "pradeep": "not_assigned"}
    assert upns(gaps["intune"]["users"]) == ["miriam", "nestor", "patti", "pradeep"]
    assert upns(legacy["users_lacking"]) == ["lee", "miriam", "nestor", "patti", "pradeep"]
    assert legacy["verdict"] == "licence_gaps"
    # Megan (given in upper case) and Patti are in the scope of the all-users policy and of the pilot, not of Sales
    assert legacy["located_users"] == [MEGAN, PATTI]

    pilot = by_name["Pilot: app protection"]
    # Mobile Pilot is Adele (E5), Grady (E3) and Megan (Business Premium: Microsoft 365 Apps for business)
    assert pilot["users_in_scope"] == 5
    lacking = {u["user_principal_name"].split("@")[0]: u["missing"] for u in pilot["users_lacking"]}
    assert lacking == {
        "lee": [{"requirement": "office_apps", "reason": "disabled_plan"}],
        "patti": [{"requirement": "entra_id_p1", "reason": "not_assigned"},
                  {"requirement": "office_apps", "reason": "not_assigned"},
                  {"requirement": "intune", "reason": "not_assigned"}]}

    assert pilot["located_users"] == [MEGAN, PATTI]
    sales = by_name["Sales: MFA on risky sign-ins"]
    assert sales["located_users"] == []
    assert sales["needs"] == ["entra_id_p1", "entra_id_p2"]
    # Sales is Adele (E5: P2), Isaiah (E3: P1 only) and Miriam (Office 365 E3: neither)
    assert {g["requirement"]: upns(g["users"]) for g in sales["gaps"]} == {
        "entra_id_p1": ["miriam"], "entra_id_p2": ["isaiah", "miriam"]}

    assert [(d["user_principal_name"], d["sku_part_number"], d["service_plan_name"]) for d in live["disabled_plans"]] == [
        ("lee@contoso.onmicrosoft.com", "SPE_E3", "OFFICESUBSCRIPTION")]
    skus = {s["sku_part_number"]: s for s in live["skus"]}
    assert skus["SPB"]["consumed_units"] == 3 and skus["SPB"]["provides"] == ["entra_id_p1", "office_apps", "intune"]
    assert skus["EXCHANGESTANDARD"]["provides"] == []
    assert live["counts"]["users_lacking"] == 6 and live["counts"]["policies_with_gaps"] == 3

    # Bulk: SKUs once per task, all users in one page, one read per group, none per user
    paths = [r["path"] for r in rows]
    assert sum(1 for p in paths if p.endswith("/subscribedSkus")) == 3
    assert not [p for p in paths if p.endswith("/licenseDetails")]
    per_user = [r for r in rows if r["path"].startswith("/v1.0/users/")]
    assert per_user == []

    declared = seen["declared"]["readiness"]
    [sales_declared] = declared["policies"]
    assert sales_declared["state"] == "enabledForReportingButNotEnforced"  # a new policy is report-only
    assert sales_declared["needs"] == ["entra_id_p1", "office_apps"]
    assert {g["requirement"]: upns(g["users"]) for g in sales_declared["gaps"]} == {"entra_id_p1": ["miriam"]}
