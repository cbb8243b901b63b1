"""The compliance policies an earlier task of the play writes, laid over the tenant's (``planned_compliance``): a
planned policy replaces the stored one of the same id or else display name (case ignored) and is added otherwise,
the removed ones are left out; and what ``compliance_policies_planned`` / ``compliance_policies_removed`` refuse.
A property test compares the replacement with a model over generated stored and planned policies."""
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    ComplianceAssignments, planned_compliance, planned_problems)

STAFF = "22222222-0000-4000-8000-000000000002"
ALL_USERS = {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
STAFF_ONLY = {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": STAFF}}


def stored(number, name, kind="iosCompliancePolicy", *assignments):
    return {"id": "c0a11a00-0000-4000-8000-%012d" % number, "@odata.type": "#microsoft.graph.%s" % kind,
            "displayName": name, "assignments": list(assignments)}


def planned(name, kind="iosCompliancePolicy", *assignments, **extra):
    body = {"@odata.type": "#microsoft.graph.%s" % kind, "displayName": name, "assignments": list(assignments)}
    body.update(extra)
    return body


def names(policies):
    return [p["displayName"] for p in policies]


def test_a_planned_policy_replaces_the_stored_one_of_its_name_case_ignored():
    tenant = [stored(1, "Contoso iOS compliance"), stored(2, "Contoso Android", "androidWorkProfileCompliancePolicy")]
    result = planned_compliance(tenant, [planned("contoso IOS Compliance", "iosCompliancePolicy", ALL_USERS)])
    assert names(result) == ["Contoso Android", "contoso IOS Compliance"]
    assert ComplianceAssignments(result).platforms() == {"iOS"}
    assert ComplianceAssignments(tenant).platforms() == set()


def test_a_planned_policy_with_an_id_replaces_the_stored_one_of_that_id_renamed_or_not():
    tenant = [stored(1, "Old name", "iosCompliancePolicy", ALL_USERS)]
    renamed = planned("New name", "iosCompliancePolicy", id=tenant[0]["id"].upper())
    result = planned_compliance(tenant, [renamed])
    assert result == [renamed]
    # Unassigned by the earlier task: iOS is no longer covered.
    assert ComplianceAssignments(result).platforms() == set()


def test_a_new_policy_is_added_and_removed_ones_are_left_out_by_id_or_name():
    tenant = [stored(1, "Contoso iOS", "iosCompliancePolicy", ALL_USERS),
              stored(2, "Contoso Android", "androidWorkProfileCompliancePolicy", ALL_USERS),
              stored(3, "Kept", "androidDeviceOwnerCompliancePolicy", STAFF_ONLY)]
    new = planned("TG - Android work profile", "androidWorkProfileCompliancePolicy", STAFF_ONLY)
    result = planned_compliance(tenant, [new], [tenant[0]["id"].upper(), "contoso android"])
    assert names(result) == ["Kept", "TG - Android work profile"]
    assert ComplianceAssignments(result).platforms() == {"android"}
    assert planned_compliance(tenant, [], []) == tenant
    assert planned_compliance(tenant) == tenant


NAMES = st.sampled_from(["A", "a", "B", "b ", "C", "Contoso iOS", "contoso ios"])
KINDS = st.sampled_from(["iosCompliancePolicy", "androidWorkProfileCompliancePolicy", "windows10CompliancePolicy"])


@st.composite
def tenants(draw):
    count = draw(st.integers(0, 5))
    numbers = draw(st.lists(st.integers(1, 9), min_size=count, max_size=count, unique=True))
    return [stored(n, draw(NAMES), draw(KINDS)) for n in numbers]


@settings(max_examples=300, deadline=None)
@given(tenants(), st.data())
def test_the_result_is_the_model(tenant, data):
    ids = [p["id"] for p in tenant]
    plans = data.draw(st.lists(st.builds(
        lambda name, kind, known: planned(name, kind, **({"id": known} if known else {})),
        NAMES, KINDS, st.sampled_from(ids + [None]) if ids else st.none()), max_size=4))
    removed = data.draw(st.lists(st.sampled_from(ids + ["A", "b", "nothing"]), max_size=3))
    result = planned_compliance(tenant, plans, removed)

    def key(value):
        return str(value or "").strip().lower()

    gone = set(key(r) for r in removed)
    plan_ids = set(key(p.get("id")) for p in plans if p.get("id"))
    plan_names = set(key(p["displayName"]) for p in plans)
    # Every planned policy is in the result, as given, after the stored ones that stay.
    assert result[len(result) - len(plans):] == plans
    kept = result[:len(result) - len(plans)]
    for policy in tenant:
        replaced = key(policy["id"]) in plan_ids or key(policy["displayName"]) in plan_names
        removed_here = key(policy["id"]) in gone or key(policy["displayName"]) in gone
        assert (policy in kept) is (not replaced and not removed_here), (policy, plans, removed)
    assert [p for p in tenant if p in kept] == kept


def test_the_options_refuse_what_is_not_a_compliance_policy_naming_option_and_value():
    assert planned_problems(None, None) == []
    assert planned_problems([planned("TG - iOS", "iosCompliancePolicy", ALL_USERS, STAFF_ONLY)], ["old"]) == []
    problems = planned_problems([
        {"@odata.type": "#microsoft.graph.iosManagedAppProtection", "displayName": "x"},
        {"@odata.type": "#microsoft.graph.iosCompliancePolicy"},
        planned("TG", "iosCompliancePolicy", {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                                                         "groupId": "All Staff"}}),
        planned("TG", "iosCompliancePolicy", {"target": "all"}),
        dict(planned("TG"), assignments="all"),
    ], ["", "kept"])
    assert len(problems) == 6, problems
    assert problems[0].startswith("compliance_policies_planned[0].@odata.type: ") and \
        "'#microsoft.graph.iosManagedAppProtection'" in problems[0] and "iosCompliancePolicy" in problems[0]
    assert problems[1].startswith("compliance_policies_planned[1]: names no policy")
    assert problems[2].startswith("compliance_policies_planned[2].assignments[0].target.groupId: ") and \
        "'All Staff'" in problems[2]
    assert problems[3].startswith("compliance_policies_planned[3].assignments[0].target: ") and "'all'" in problems[3]
    assert problems[4].startswith("compliance_policies_planned[4].assignments: ")
    assert problems[5].startswith("compliance_policies_removed[0]: ") and "''" in problems[5]
