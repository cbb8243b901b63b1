"""The lockout pre-flight: on the policies as they will be, each emergency-access account must still sign in to the
Azure portal and Microsoft Graph from an unmanaged Windows device, with MFA but no device or app requirement."""

import copy

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    GLOBAL_ADMINISTRATOR,
    LOCKOUT_CONTROLS,
    emergency_identity,
    emergency_lockouts,
    grant_passes,
    lockout_problems,
    outside_every_location,
    preflight_problems,
    EMERGENCY_SATISFIABLE,
)

BREAK_GLASS = "6a4e1e3c-2f0b-4a57-9d0e-7f1d2c3b4a50"
EMERGENCY_GROUP = "11111111-2222-3333-4444-555555555555"
OTHER_GROUP = "11111111-2222-3333-4444-666666666666"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
OFFICE_LOCATION = "aaaaaaaa-0000-4000-8000-000000000001"
NAMED_LOCATIONS = [{"@odata.type": "#microsoft.graph.ipNamedLocation", "id": OFFICE_LOCATION,
                    "displayName": "Head office", "isTrusted": True, "ipRanges": [{"cidrAddress": "203.0.113.0/24"}]}]


def policy(name="TG - policy", controls=("block",), operator="OR", users=None, apps=("All",), state="enabled",
           **conditions):
    body = {
        "id": None, "displayName": name, "state": state,
        "conditions": {"users": users or {"includeUsers": ["All"]},
                       "applications": {"includeApplications": list(apps)}, "clientAppTypes": ["all"]},
        "grantControls": {"operator": operator, "builtInControls": list(controls)},
    }
    body["conditions"].update(conditions)
    return body


def member_of_emergency_group():
    """A break-glass user who is excluded only through the emergency group he belongs to."""
    return emergency_identity("breakglass1@contoso.onmicrosoft.com", "user", BREAK_GLASS, groups=[EMERGENCY_GROUP])


def not_in_any_group():
    return emergency_identity("breakglass2@contoso.onmicrosoft.com", "user", BREAK_GLASS, groups=[])


def as_group():
    return emergency_identity("Emergency Access", "group", EMERGENCY_GROUP)


def test_a_block_for_all_users_excluding_the_group_of_the_account_passes():
    block = policy(users={"includeUsers": ["All"], "excludeGroups": [EMERGENCY_GROUP]})
    assert emergency_lockouts([block], [member_of_emergency_group(), as_group()]) == []


def test_a_block_that_misses_the_account_is_refused_naming_account_application_and_policy():
    block = policy("TG - Block everything", users={"includeUsers": ["All"], "excludeGroups": [EMERGENCY_GROUP]})
    problems, warnings = preflight_problems([block], [not_in_any_group()], changed={"TG - Block everything"})
    assert warnings == []
    assert len(problems) == 1
    text = problems[0]
    for expected in ("breakglass2@contoso.onmicrosoft.com", "Azure portal", "Microsoft Graph",
                     "'TG - Block everything'", "blocks access", "nothing was changed"):
        assert expected in text, (expected, text)


def test_a_compliant_device_for_the_azure_portal_is_refused_even_with_the_static_guard_satisfied():
    # Targets an application, not all users or a role, so the exclusion guard has nothing to say; an unmanaged
    # device cannot be compliant, so the pre-flight does.
    portal = policy("TG - Portal from compliant devices", controls=("compliantDevice",), apps=(AZURE_PORTAL,),
                    users={"includeGroups": [EMERGENCY_GROUP]})
    assert lockout_problems(portal, {"users": [BREAK_GLASS]}) == []
    problems, _warnings = preflight_problems([portal], [member_of_emergency_group()], changed={"TG - Portal from compliant devices"})
    assert len(problems) == 1
    assert "Azure portal (browser, desktop client)" in problems[0] and "Microsoft Graph" not in problems[0]
    assert "a compliant device" in problems[0]


@pytest.mark.parametrize("controls, operator, locked", [
    (("mfa",), "OR", False),
    (("mfa", "passwordChange"), "AND", False),
    (("compliantDevice", "mfa"), "OR", False),
    (("compliantDevice", "mfa"), "AND", True),
    (("compliantDevice", "domainJoinedDevice"), "OR", True),
    (("compliantApplication",), "OR", True),
    (("approvedApplication",), "OR", True),
    (("block",), "OR", True),
])
def test_mfa_counts_as_satisfiable_device_and_app_controls_do_not(controls, operator, locked):
    found = emergency_lockouts([policy(controls=controls, operator=operator)], [not_in_any_group()])
    assert bool(found) is locked
    if locked:
        # Both applications, both client types.
        assert sorted(set((f["application"], f["client_app_type"]) for f in found)) == [
            ("Azure portal", "browser"), ("Azure portal", "mobileAppsAndDesktopClients"),
            ("Microsoft Graph", "browser"), ("Microsoft Graph", "mobileAppsAndDesktopClients")]


def test_an_authentication_strength_counts_as_satisfiable():
    strong = policy(controls=())
    strong["grantControls"] = {"operator": "OR", "builtInControls": [],
                               "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"}}
    assert emergency_lockouts([strong], [not_in_any_group()]) == []


def test_a_policy_for_administrators_reaches_the_account_as_global_administrator():
    admins = policy("TG - Admins on compliant devices", controls=("compliantDevice",),
                    users={"includeRoles": [GLOBAL_ADMINISTRATOR]})
    assert [f["policy"] for f in emergency_lockouts([admins], [as_group()])][:1] == ["TG - Admins on compliant devices"]
    excluded = copy.deepcopy(admins)
    excluded["conditions"]["users"]["excludeGroups"] = [EMERGENCY_GROUP]
    assert emergency_lockouts([excluded], [as_group(), member_of_emergency_group()]) == []


def test_a_block_outside_trusted_locations_is_refused_the_account_may_be_anywhere():
    outside = policy("TG - Block outside the office", locations={"includeLocations": ["All"],
                                                                 "excludeLocations": ["AllTrusted"]})
    found = emergency_lockouts([outside], [not_in_any_group()], NAMED_LOCATIONS)
    assert found and found[0]["policy"] == "TG - Block outside the office"
    # The sign-in the pre-flight uses is in none of the named locations.
    location = outside_every_location(NAMED_LOCATIONS)
    assert not location["ip_address"].startswith("203.0.113.")


def test_report_only_disabled_and_other_platform_policies_do_not_count():
    policies = [policy(state="enabledForReportingButNotEnforced"), policy(state="disabled"),
                policy(platforms={"includePlatforms": ["iOS", "android"]})]
    assert emergency_lockouts(policies, [not_in_any_group()]) == []


def test_a_lockout_a_policy_the_task_leaves_alone_causes_is_a_warning_not_a_refusal():
    existing = policy("Existing block", users={"includeUsers": ["All"]})
    existing["id"] = "0f0f0f0f-0000-4000-8000-000000000001"
    safe = policy("TG - New MFA", controls=("mfa",))
    problems, warnings = preflight_problems([existing, safe], [not_in_any_group()], changed={"TG - New MFA"})
    assert problems == []
    assert len(warnings) == 1 and "'Existing block'" in warnings[0] and "does not change it" in warnings[0]
    # Changing that policy while it still locks the account out is refused.
    problems, _warnings = preflight_problems([existing], [not_in_any_group()], changed={existing["id"]})
    assert len(problems) == 1


def test_consistent_with_the_exclusion_guard():
    """Every control the exclusion guard counts as locking out is either satisfiable from an unmanaged device or
    locks the account out in the pre-flight; an excluded account passes both."""
    for control in LOCKOUT_CONTROLS:
        body = policy(controls=(control,))
        assert lockout_problems(body, {"users": [BREAK_GLASS]}), control
        locked = bool(emergency_lockouts([body], [not_in_any_group()]))
        assert locked is (not grant_passes(body["grantControls"], EMERGENCY_SATISFIABLE)), control
        body["conditions"]["users"]["excludeUsers"] = [BREAK_GLASS]
        assert lockout_problems(body, {"users": [BREAK_GLASS]}) == []
        assert emergency_lockouts([body], [not_in_any_group()]) == [], control


def test_the_predicted_tenant_is_the_live_policies_with_the_changes_applied():
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import predicted_policies
    from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Change

    kept = dict(policy("Kept"), id="00000000-0000-4000-8000-0000000000a1")
    changed = dict(policy("Changed", state="disabled"), id="00000000-0000-4000-8000-0000000000a2")
    deleted = dict(policy("Deleted"), id="00000000-0000-4000-8000-0000000000a3")
    new = policy("New")
    changes = [Change("update", current=changed, predicted=dict(changed, state="enabled")),
               Change("delete", current=deleted), Change("create", body=new, predicted=new),
               Change("none", current=kept, predicted=kept)]
    predicted = predicted_policies([kept, changed, deleted], changes)
    expected = [("Kept", "enabled"), ("Changed", "enabled"), ("New", "enabled")]
    assert [(p["displayName"], p["state"]) for p in predicted] == expected
    # What the pre-flight then finds: the change is refused, the untouched block is a warning.
    problems, warnings = preflight_problems(predicted, [not_in_any_group()], changed={"Changed", changed["id"], "New"})
    assert len(problems) == 2 and len(warnings) == 1 and "'Kept'" in warnings[0]


def test_the_exclusion_guard_counts_a_user_excluded_through_a_group_it_belongs_to_as_the_pre_flight_does():
    block = policy(users={"includeUsers": ["All"], "excludeGroups": [EMERGENCY_GROUP]})
    emergency = {"users": [BREAK_GLASS]}
    # Without memberships the guard cannot know, and asks for the user by name.
    assert "does not exclude the emergency-access user" in lockout_problems(block, emergency)[0]
    member = {BREAK_GLASS: [EMERGENCY_GROUP]}
    assert lockout_problems(block, emergency, groups_of=lambda user: member.get(user, [])) == []
    assert emergency_lockouts([block], [member_of_emergency_group()]) == []
    # A user in another group is still missing, for both checks.
    other = {BREAK_GLASS: [OTHER_GROUP]}
    assert lockout_problems(block, emergency, groups_of=lambda user: other.get(user, []))
    assert emergency_lockouts([block], [emergency_identity("bg", "user", BREAK_GLASS, groups=[OTHER_GROUP])])
