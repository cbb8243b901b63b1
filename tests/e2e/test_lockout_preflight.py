"""The lockout pre-flight end to end: conditional_access_policy refuses, with nothing written, a change after which an
emergency-access account could no longer reach the Azure portal or Microsoft Graph from an unmanaged device (in single
and set mode, in check mode too), lets a safe change through, and warns about an existing policy that already locks
an account out until a task fixes it."""
import pytest

ADELE = "54e9ff14-c1f7-5e90-b968-ac958fdf83b5"
BREAKGLASS1 = "5084ff0d-2b80-592d-8bc2-08ba1ba24e8a"
BREAKGLASS2 = "8d4a5857-d85b-5728-b0b7-55ca88cb5988"
EMERGENCY = "947f6ec5-a3eb-5fa1-971d-3c5379fccdce"
ALL_STAFF = "2cae6e5f-1d39-5907-8aaa-fc6e189a42f9"
EXISTING = "e0000000-0000-4000-8000-000000000001"
POLICIES = "/v1.0/identity/conditionalAccess/policies"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def sandbox_seed():
    """breakglass1 is in All Staff but not in the emergency group (excluded by name); an existing enforced policy
    requires a compliant device for the admin portals for All Staff and excludes only the group."""
    return {
        "users": [
            {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com"},
            {"id": BREAKGLASS1, "displayName": "Break Glass 1", "userPrincipalName": "breakglass1@contoso.onmicrosoft.com"},
            {"id": BREAKGLASS2, "displayName": "Break Glass 2", "userPrincipalName": "breakglass2@contoso.onmicrosoft.com"},
        ],
        "groups": [
            {"id": EMERGENCY, "displayName": "Emergency Access", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "emergency", "members": [BREAKGLASS2]},
            {"id": ALL_STAFF, "displayName": "All Staff", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "staff", "members": [ADELE, BREAKGLASS1]},
        ],
        "conditionalAccessPolicies": [{
            "id": EXISTING, "displayName": "Existing - Admin portals from compliant devices", "state": "enabled",
            "conditions": {"users": {"includeGroups": [ALL_STAFF], "excludeGroups": [EMERGENCY]},
                           "applications": {"includeApplications": ["MicrosoftAdminPortals"]},
                           "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": ["compliantDevice"]},
        }],
    }


def graph_writes(sandbox, since):
    found = []
    for row in sandbox.requests()[since:]:
        if row["service"] != "graph" or row["method"] not in WRITES:
            continue
        if row["method"] == "POST" and row["path"].endswith(("/$batch", "/getByIds")):
            continue
        path = POLICIES + "/{id}" if row["path"].startswith(POLICIES + "/") else row["path"]
        found.append((row["method"], path))
    return found


def test_lockouts_are_refused_with_nothing_written_and_safe_changes_go_through(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    run = run_playbook("lockout_preflight.yml")
    assert run.rc == 0, run
    seen = run.output("lockout")

    # Single mode: refused, naming the account, the application and the policy; check mode refuses the same.
    for key in ("portal", "portal_check"):
        result = seen[key]  # failed_when: false keeps the play going; the module failed with this message
        assert result["changed"] is False and result["error"]["problems"], result
        message = result["msg"]
        for expected in ("Lockout pre-flight", "breakglass1@contoso.onmicrosoft.com", "Azure portal",
                         "'TG - Azure portal from compliant devices'", "a compliant device", "nothing was changed"):
            assert expected in message, (expected, message)
        assert "Microsoft Graph" not in message

    # Set mode: the whole task is refused, the safe item included.
    baseline = seen["baseline"]
    assert baseline["changed"] is False and len(baseline["error"]["problems"]) == 1, baseline
    assert "'TG - Block Graph for staff'" in baseline["msg"] and "Microsoft Graph" in baseline["msg"]
    assert "TG - MFA for everyone" not in baseline["msg"]

    # The safe change goes through, with a warning about the existing policy that already locks breakglass1 out.
    safe = seen["safe"]
    assert safe["changed"] is True and safe["action"] == "created"
    warnings = " ".join(safe.get("warnings") or []) + run.stdout
    assert "'Existing - Admin portals from compliant devices'" in warnings
    assert "this task does not change it" in warnings

    # Changing the existing policy so that it excludes the account is allowed.
    assert seen["fixed"]["changed"] is True and seen["fixed"]["action"] == "updated"

    # Only the two changes that passed were written.
    assert graph_writes(graph_sandbox, since) == [("POST", POLICIES), ("PATCH", POLICIES + "/{id}")]
