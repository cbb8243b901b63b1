"""The compliance pre-flight's rules: which platforms a policy requires a compliant device on, and which of them
have an assigned compliance policy."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    coverage_gaps, covered_platforms, needs_compliant_device, targeted_platforms)

GROUP = {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g"}}
EXCLUDED = {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g"}}


def policy(controls, operator="AND", include=None, exclude=None, state="enabled"):
    platforms = {}
    if include is not None:
        platforms["includePlatforms"] = include
    if exclude is not None:
        platforms["excludePlatforms"] = exclude
    return {"displayName": "p", "state": state, "conditions": {"platforms": platforms},
            "grantControls": {"operator": operator, "builtInControls": controls}}


def test_only_assigned_policies_cover_a_platform():
    covered = covered_platforms([
        {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "assignments": [GROUP]},
        {"@odata.type": "#microsoft.graph.androidWorkProfileCompliancePolicy", "assignments": [EXCLUDED]},
        {"@odata.type": "#microsoft.graph.androidDeviceOwnerCompliancePolicy", "assignments": []},
    ])
    assert covered == {"iOS"}


def test_a_grant_that_can_be_met_otherwise_needs_no_compliant_device():
    assert needs_compliant_device(policy(["compliantDevice"]))
    assert needs_compliant_device(policy(["mfa", "compliantDevice"], "AND"))
    assert not needs_compliant_device(policy(["mfa", "compliantDevice"], "OR"))
    assert not needs_compliant_device(policy(["mfa"]))
    assert not needs_compliant_device(policy(["block"]))


def test_platform_conditions_narrow_the_check():
    assert targeted_platforms(policy(["compliantDevice"])) == []
    assert targeted_platforms(policy(["compliantDevice"], include=["all"])) == []
    assert targeted_platforms(policy(["compliantDevice"], include=["android", "iOS"])) == ["iOS", "android"]
    assert targeted_platforms(policy(["compliantDevice"], include=["iOS", "android"], exclude=["android"])) == ["iOS"]
    assert targeted_platforms(policy(["compliantDevice"], include=["windows"])) == []
    assert coverage_gaps(policy(["compliantDevice"], state="enabledForReportingButNotEnforced"), set()) == []


@given(include=st.lists(st.sampled_from(["all", "iOS", "android", "windows", "macOS"]), unique=True),
       exclude=st.lists(st.sampled_from(["iOS", "android", "windows"]), unique=True),
       covered=st.sets(st.sampled_from(["iOS", "android"])))
def test_gaps_are_the_targeted_platforms_without_coverage(include, exclude, covered):
    body = policy(["compliantDevice"], include=include, exclude=exclude)
    gaps = coverage_gaps(body, covered)
    assert set(gaps) == set(targeted_platforms(body)) - covered
    assert not set(gaps) & set(exclude)
