"""The compliance coverage: who an assigned compliance policy covers on which platform, the compliance pre-flight's
findings, and one evaluator behind the pre-flight, the coverage matrix and the what-if (a differential property
test over generated policies and compliance assignments)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    ComplianceAssignments, covered_platforms, needs_compliant_device, preflight_findings, preflight_personas,
    targeted_platforms, with_compliance)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage import (
    NO_COMPLIANCE_POLICY, coverage, default_applications)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import evaluate
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif import access

PILOT, STAFF, EMERGENCY = "11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002", \
    "33333333-0000-4000-8000-000000000003"


def target(kind, group=None):
    body = {"@odata.type": "#microsoft.graph.%s" % kind}
    if group:
        body["groupId"] = group
    return {"target": body}


GROUP = target("groupAssignmentTarget", PILOT)
EXCLUDED = target("exclusionGroupAssignmentTarget", PILOT)


def compliance(kind, *assignments, name="c"):
    return {"@odata.type": "#microsoft.graph.%s" % kind, "displayName": name, "assignments": list(assignments)}


def policy(controls, operator="AND", include=None, exclude=None, state="enabled", users=None):
    platforms = {}
    if include is not None:
        platforms["includePlatforms"] = include
    if exclude is not None:
        platforms["excludePlatforms"] = exclude
    return {"displayName": "p", "state": state,
            "conditions": {"users": users or {"includeGroups": [PILOT]}, "platforms": platforms,
                           "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": operator, "builtInControls": controls}}


def user(*groups):
    return {"id": None, "groups": list(groups), "roles": [], "user_type": "member"}


def test_only_assigned_policies_cover_a_platform():
    covered = covered_platforms([
        compliance("iosCompliancePolicy", GROUP),
        compliance("androidWorkProfileCompliancePolicy", EXCLUDED),
        compliance("androidDeviceOwnerCompliancePolicy"),
    ])
    assert covered == {"iOS"}


def test_assignments_cover_groups_all_users_all_devices_less_exclusions():
    assignments = ComplianceAssignments([
        compliance("iosCompliancePolicy", GROUP, target("exclusionGroupAssignmentTarget", STAFF), name="pilot"),
        compliance("androidWorkProfileCompliancePolicy", target("allLicensedUsersAssignmentTarget"), name="all"),
        compliance("androidDeviceOwnerCompliancePolicy", target("allDevicesAssignmentTarget"), EXCLUDED, name="dev"),
    ])
    assert assignments.policies_for("iOS", user(PILOT)) == ["pilot"]
    assert assignments.policies_for("ios", user(PILOT, STAFF)) == []
    assert assignments.policies_for("iOS", user()) == []
    assert assignments.policies_for("android", user()) == ["all", "dev"]
    assert assignments.policies_for("android", user(PILOT)) == ["all"]
    assert assignments.policies_for("windows", user(PILOT)) == []


def test_a_grant_that_names_compliant_device_may_need_one():
    assert needs_compliant_device(policy(["compliantDevice"]))
    assert needs_compliant_device(policy(["mfa", "compliantDevice"], "OR"))
    assert not needs_compliant_device(policy(["mfa"]))
    assert not needs_compliant_device(policy(["block"]))


def test_platform_conditions_and_all_platforms():
    assert targeted_platforms(policy(["compliantDevice"])) == ["iOS", "android"]
    assert targeted_platforms(policy(["compliantDevice"], include=["all"])) == ["iOS", "android"]
    assert targeted_platforms(policy(["compliantDevice"], include=["all"], exclude=["iOS"])) == ["android"]
    assert targeted_platforms(policy(["compliantDevice"], include=["windows"])) == []


def personas(assignments, policies, emergency=()):
    return preflight_personas(policies, assignments, emergency=emergency)


def test_everyone_without_a_compliance_policy_is_refused_a_partial_gap_reported():
    body = policy(["compliantDevice"], include=["iOS", "android"],
                  users={"includeUsers": ["All"], "excludeGroups": [EMERGENCY]})
    nothing = ComplianceAssignments([])
    found = preflight_findings(body, nothing, personas(nothing, [body]))
    assert set(found) == {"iOS", "android"} and all(f["refuse"] for f in found.values())
    pilot_only = ComplianceAssignments([compliance("iosCompliancePolicy", GROUP)])
    found = preflight_findings(body, pilot_only, personas(pilot_only, [body]))
    assert not found["iOS"]["refuse"] and [r["persona"] for r in found["iOS"]["gaps"]] == ["all members"]
    assert found["android"]["refuse"]
    # Report-only, an OR that MFA satisfies and a platform-less block need no compliant device.
    for other in (dict(body, state="enabledForReportingButNotEnforced"), policy(["mfa", "compliantDevice"], "OR"),
                  policy(["block"])):
        assert preflight_findings(other, nothing, personas(nothing, [other])) == {}


def test_an_or_with_a_control_the_phone_cannot_satisfy_still_needs_a_compliant_phone():
    body = policy(["compliantDevice", "domainJoinedDevice"], "OR", include=["iOS"])
    nothing = ComplianceAssignments([])
    assert preflight_findings(body, nothing, personas(nothing, [body]))["iOS"]["refuse"]


def test_a_user_named_by_id_is_a_persona_with_their_groups():
    user_id = "44444444-0000-4000-8000-000000000004"
    body = policy(["compliantDevice"], include=["iOS"], users={"includeUsers": [user_id]})
    assignments = ComplianceAssignments([compliance("iosCompliancePolicy", GROUP)])
    outside = preflight_personas([body], assignments, users={user_id: ("diego", [STAFF])})
    found = preflight_findings(body, assignments, outside)
    assert [r["persona"] for r in found["iOS"]["gaps"]] == ["diego"] and found["iOS"]["refuse"]
    inside = preflight_personas([body], assignments, users={user_id: ("adele", [PILOT])})
    assert preflight_findings(body, assignments, inside) == {}


def test_an_emergency_account_without_a_compliance_policy_is_refused():
    emergency = [{"account": "breakglass", "kind": "user", "id": "b",
                  "user": {"id": "b", "groups": [PILOT], "roles": [], "user_type": "member"}}]
    body = policy(["compliantDevice"], include=["iOS"], users={"includeUsers": ["All"]})
    assignments = ComplianceAssignments([compliance("iosCompliancePolicy", target("allLicensedUsersAssignmentTarget"),
                                                    EXCLUDED)])
    found = preflight_findings(body, assignments, personas(assignments, [body], emergency))
    assert found["iOS"]["refuse"] and "breakglass" in found["iOS"]["why"]


GROUPS = st.sampled_from([PILOT, STAFF, EMERGENCY])
TARGETS = st.one_of(
    st.builds(lambda g: target("groupAssignmentTarget", g), GROUPS),
    st.builds(lambda g: target("exclusionGroupAssignmentTarget", g), GROUPS),
    st.just(target("allLicensedUsersAssignmentTarget")), st.just(target("allDevicesAssignmentTarget")))
COMPLIANCE = st.lists(st.builds(lambda kind, targets: compliance(kind, *targets),
                                st.sampled_from(["iosCompliancePolicy", "androidWorkProfileCompliancePolicy",
                                                 "windows10CompliancePolicy"]),
                                st.lists(TARGETS, max_size=3)), max_size=3)
USERS = st.one_of(st.just({"includeUsers": ["All"]}),
                  st.builds(lambda inc, exc: {"includeGroups": inc, "excludeGroups": exc},
                            st.lists(GROUPS, min_size=1, max_size=2, unique=True),
                            st.lists(GROUPS, max_size=1)))
POLICIES = st.builds(
    lambda controls, operator, platforms, users, state: policy(controls, operator, include=platforms, users=users,
                                                               state=state),
    st.lists(st.sampled_from(["compliantDevice", "mfa", "domainJoinedDevice", "compliantApplication"]), min_size=1,
             max_size=3, unique=True),
    st.sampled_from(["AND", "OR"]), st.one_of(st.none(), st.just(["all"]), st.lists(
        st.sampled_from(["iOS", "android", "windows"]), min_size=1, max_size=2, unique=True)), USERS,
    st.sampled_from(["enabled", "enabled", "enabledForReportingButNotEnforced"]))


EMERGENCY_IDENTITIES = st.one_of(st.just(()), st.builds(
    lambda groups: ({"account": "breakglass", "kind": "user", "id": "b",
                     "user": {"id": "b", "groups": groups, "roles": [], "user_type": "member"}},),
    st.lists(GROUPS, max_size=2, unique=True)))


@settings(max_examples=60, deadline=None)
@given(body=POLICIES, raw=COMPLIANCE, platform=st.sampled_from(["iOS", "android"]),
       client=st.sampled_from(["browser", "mobileAppsAndDesktopClients"]), emergency=EMERGENCY_IDENTITIES)
def test_preflight_coverage_and_whatif_agree(body, raw, platform, client, emergency):
    """The pre-flight's gaps, the coverage matrix's no_compliance_policy cells and compliance rows and the what-if's
    verdict are the same evaluation: for every persona, a gap in one is a gap in the others; the pre-flight refuses
    exactly where an emergency-access identity has a gap or everyone the policy requires a compliant phone of does."""
    assignments = ComplianceAssignments(raw)
    people = personas(assignments, [body], emergency)
    found = preflight_findings(body, assignments, people)
    preflight_gaps = set(r["persona"] for r in (found.get(platform) or {}).get("gaps") or [])
    result = coverage([body], (), people, default_applications(), [platform], [client], compliance=assignments)
    cells = set(c["persona"] for c in result["cells"] if NO_COMPLIANCE_POLICY in c["gap_kinds"])
    rows = set(r["persona"] for r in result["compliance_gaps"])
    whatif = set()
    for persona in people:
        for application in default_applications():
            sign_in = with_compliance({"user": persona.user, "application": application.id,
                                       "device_platform": platform, "client_app_type": client}, assignments)
            evaluation = evaluate([body], sign_in)
            if evaluation.compliance_gap():
                whatif.add(persona.name)
                assert access(evaluation)[0] == "denied"
                # The same device, stated compliant, is let in.
                compliant = dict(sign_in, device={"isCompliant": True})
                assert access(evaluate([body], compliant))[0] == "granted"
    # Emergency-access personas have rows (their cells carry no gap kind, by design of the matrix).
    assert cells == whatif - {"breakglass"}
    assert rows == whatif
    matrix = coverage([body], (), people, default_applications(), [platform], ["browser", "mobileAppsAndDesktopClients"],
                      compliance=assignments)
    gaps = set(r["persona"] for r in matrix["compliance_gaps"])
    required = set(r["persona"] for r in matrix["compliance"] if r["required_by"] and not r["emergency"])
    if body["state"] != "enabled":
        assert found == {}
        return
    assert preflight_gaps == gaps
    others = gaps - {"breakglass"}
    refuse = "breakglass" in gaps or bool(others and others == required)
    assert (found.get(platform) or {}).get("refuse", False) == refuse
