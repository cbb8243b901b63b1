"""conditional_access_coverage_info against the sandbox: the outlook_mobile baseline declared (complete: no gap;
without its app protection policy: the mobile Office 365 cells), and the tenant's own policies (a gap, a policy that
applies to no cell, an emergency-access account a policy locks out). Nothing is written."""
import pytest

BREAKGLASS1 = "5084ff0d-2b80-592d-8bc2-08ba1ba24e8a"
BREAKGLASS2 = "8d4a5857-d85b-5728-b0b7-55ca88cb5988"
ADELE = "54e9ff14-c1f7-5e90-b968-ac958fdf83b5"
EMERGENCY = "947f6ec5-a3eb-5fa1-971d-3c5379fccdce"
ALL_STAFF = "2cae6e5f-1d39-5907-8aaa-fc6e189a42f9"
PILOT = "0f10de81-ea78-5c1f-b2d7-5e1c4b680954"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
MOBILE_O365 = {"Office 365", "Exchange Online", "SharePoint Online", "Microsoft Teams"}


def live_policy(policy_id, name, users, grant, state="enabled", **conditions):
    body = {"id": policy_id, "displayName": name, "state": state,
            "conditions": {"users": users, "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": grant}}
    body["conditions"].update(conditions)
    return body


@pytest.fixture
def sandbox_seed():
    """Two break-glass accounts (one in the emergency group, one excluded by name only and also in All Staff), and
    policies: legacy blocked and MFA for all, the Azure portal from compliant devices for All Staff (which locks out
    the second account), a Windows Phone policy (applies to no cell), a report-only app protection policy."""
    everyone = {"includeUsers": ["All"], "excludeGroups": [EMERGENCY], "excludeUsers": [BREAKGLASS1]}
    return {
        "users": [
            {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com"},
            {"id": BREAKGLASS1, "displayName": "Break Glass 1", "userPrincipalName": "breakglass1@contoso.onmicrosoft.com"},
            {"id": BREAKGLASS2, "displayName": "Break Glass 2", "userPrincipalName": "breakglass2@contoso.onmicrosoft.com"},
        ],
        "groups": [
            {"id": EMERGENCY, "displayName": "Emergency Access Accounts", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "emergency", "members": [BREAKGLASS2]},
            {"id": ALL_STAFF, "displayName": "All Staff", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "staff", "members": [ADELE, BREAKGLASS1]},
            {"id": PILOT, "displayName": "Mobile Pilot", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "pilot", "members": [ADELE]},
        ],
        "conditionalAccessPolicies": [
            live_policy("a0000000-0000-4000-8000-000000000001", "Live: block legacy authentication", everyone, ["block"],
                        clientAppTypes=["exchangeActiveSync", "other"]),
            live_policy("a0000000-0000-4000-8000-000000000002", "Live: MFA for all users", everyone, ["mfa"]),
            live_policy("a0000000-0000-4000-8000-000000000003", "Live: Azure portal from compliant devices",
                        {"includeGroups": [ALL_STAFF], "excludeGroups": [EMERGENCY]}, ["compliantDevice"],
                        applications={"includeApplications": [AZURE_PORTAL]}),
            live_policy("a0000000-0000-4000-8000-000000000004", "Live: Windows Phone", everyone, ["block"],
                        platforms={"includePlatforms": ["windowsPhone"]}),
            live_policy("a0000000-0000-4000-8000-000000000005", "Live: pilot app protection (report-only)",
                        {"includeGroups": [PILOT]}, ["compliantApplication"], state="enabledForReportingButNotEnforced",
                        applications={"includeApplications": ["Office365"]},
                        platforms={"includePlatforms": ["iOS", "android"]}),
        ],
    }


# The emergency-access group as each user it holds.
EMERGENCY_MEMBER = "breakglass2@contoso.onmicrosoft.com (member of Emergency Access Accounts)"


def test_coverage_of_the_baseline_declared_and_of_the_tenant(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    run = run_playbook("conditional_access_coverage.yml")
    assert run.rc == 0, run
    assert run.recap["changed"] == 0, run
    rows = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert [r for r in rows if r["method"] in WRITES and not r["path"].endswith(("/$batch", "/getByIds"))] == []
    seen = run.output("coverage")

    complete = seen["declared"]["coverage"]
    # The emergency-access group is a persona as any member of it and as each user it holds.
    assert complete["counts"]["cells"] == len(complete["cells"]) == 5 * 7 * 5 * 4
    assert [p["name"] for p in complete["dimensions"]["personas"]] == [
        "all members", "guests", "breakglass1@contoso.onmicrosoft.com", "Emergency Access Accounts", EMERGENCY_MEMBER]
    assert complete["gaps"] == [] and complete["unused_policies"] == [] and complete["emergency_blocked"] == []
    assert len(complete["policies"]) == 5 and all(p["id"] is None for p in complete["policies"])

    planted = seen["planted"]["coverage"]
    gaps = planted["gaps"]
    assert planted["counts"]["gaps"] == len(gaps) == 4 * 2 * 2 * 2
    assert set(g["gap"] for g in gaps) == {"no_app_protection"}
    assert set(g["application"] for g in gaps) == MOBILE_O365
    assert set(g["persona"] for g in gaps) == {"all members", "guests"}

    live = seen["live"]["coverage"]
    personas = [p["name"] for p in live["dimensions"]["personas"]]
    assert personas == ["member of All Staff", "member of Mobile Pilot", "all members", "guests",
                        "breakglass1@contoso.onmicrosoft.com", "Emergency Access Accounts", EMERGENCY_MEMBER]
    assert [(b["account"], b["policy"]) for b in live["emergency_blocked"]] == [
        ("breakglass1@contoso.onmicrosoft.com", "Live: Azure portal from compliant devices")]
    unused = [(u["display_name"], u["reason"]) for u in live["unused_policies"]]
    assert unused == [("Live: Windows Phone", "devicePlatform")]
    assert set(g["gap"] for g in live["gaps"]) == {"no_app_protection", "no_compliance_policy"}
    assert live["counts"]["no_app_protection"] == 4 * 2 * 2 * 4
    # No compliance policy is assigned in the tenant: the Azure portal from compliant devices is a compliance gap for
    # All Staff on both phones (browser and modern clients; legacy clients are blocked anyway), and for breakglass1,
    # an emergency-access account the policy does not exclude.
    assert live["compliance_known"] is True
    assert sorted((c["persona"], c["platform"], c["client_app_type"]) for c in live["gaps"]
                  if c["gap"] == "no_compliance_policy") == sorted(
        ("member of All Staff", p, c) for p in ("iOS", "android") for c in ("browser", "mobileAppsAndDesktopClients"))
    assert live["counts"]["no_compliance_policy"] == 4
    assert sorted((r["persona"], r["platform"], r["emergency"]) for r in live["compliance_gaps"]) == sorted(
        (persona, p, emergency)
        for persona, emergency in (("member of All Staff", False), ("breakglass1@contoso.onmicrosoft.com", True))
        for p in ("iOS", "android"))
    assert all(r["required_by"] == ["Live: Azure portal from compliant devices"] and r["compliance_policies"] == []
               for r in live["compliance_gaps"])
    assert not any(r["gap"] for r in live["compliance"] if r["persona"] in ("all members", "guests"))
    pilot = next(c for c in live["cells"] if c["persona"] == "member of Mobile Pilot"
                 and c["application"] == "Exchange Online" and c["platform"] == "iOS"
                 and c["client_app_type"] == "browser")
    assert pilot["report_only"] == ["Live: pilot app protection (report-only)"] and pilot["gap"] == "no_app_protection"

    chosen = seen["personas"]["coverage"]
    assert [p["name"] for p in chosen["dimensions"]["personas"]] == [
        "Staff", "Adele", "Partner", "breakglass1@contoso.onmicrosoft.com", "Emergency Access Accounts", EMERGENCY_MEMBER]
    assert [a["name"] for a in chosen["dimensions"]["applications"]] == ["Exchange Online", "Azure portal"]
    assert chosen["counts"]["cells"] == 6 * 2 * 2 * 1
    cell = dict(((c["persona"], c["application"], c["platform"]), c) for c in chosen["cells"])
    # Adele's groups are read from the directory: in Mobile Pilot, the report-only policy applies to her.
    assert cell[("Adele", "Exchange Online", "iOS")]["report_only"] == ["Live: pilot app protection (report-only)"]
    assert cell[("Staff", "Exchange Online", "iOS")]["report_only"] == []
    # Staff (and Adele, a member) meet the compliant-device policy on the Azure portal; the guest does not.
    assert "Live: Azure portal from compliant devices" in cell[("Adele", "Azure portal", "windows")]["enforced"]
    assert "Live: Azure portal from compliant devices" not in cell[("Partner", "Azure portal", "windows")]["enforced"]
