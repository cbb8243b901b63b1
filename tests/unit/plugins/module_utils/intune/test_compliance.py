"""Device compliance policies and enrolment restrictions: options to Graph and back, Microsoft's levels, actions
and assignments compared as sets, the writes an update needs, and the generated table against the schema."""
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance import (
    RULES, CompliancePolicyType, actions_body, graph_to_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_levels import (
    OS_VERSION_PROPERTIES, PRESETS, available, baseline)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_spec import PROPERTIES, TYPES
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.enrollment import (
    EnrollmentRestrictionType, options_to_graph as restriction_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

GROUPS = {"Mobile Pilot": "11111111-1111-4111-8111-111111111111", "Emergency Access":
          "22222222-2222-4222-8222-222222222222"}
TEMPLATE = "5a6f2b3c-1d2e-4f50-8a9b-0c1d2e3f4a5b"


def group_id(field, value):
    return GROUPS[value]


def group_name(object_id):
    return dict((v, k) for k, v in GROUPS.items()).get(object_id)


def stored(desired, **extra):
    """``desired`` as Graph would return it: ids added, enum members as Graph spells them."""
    out = json.loads(json.dumps(desired))
    out.update({"id": "0b1e6a43-5c3f-4f67-8d3e-7a1c2b9d0e11", "version": 2}, **extra)
    for rule in out.get(RULES, []):
        rule["id"] = "r1"
        for index, action in enumerate(rule["scheduledActionConfigurations"]):
            action["id"] = "a%d" % index
    return out


def test_levels_exist_where_microsoft_publishes_them_and_set_no_os_version():
    assert available("ios") == ("level2", "level3")
    assert available("android_work_profile") == ("level2", "level3")
    assert available("android_fully_managed") == ("level1", "level2", "level3")
    assert available("android_device_administrator") == ()
    for platform, levels in PRESETS.items():
        for level, preset in levels.items():
            assert not set(preset) & set(OS_VERSION_PROPERTIES), (platform, level)
            for name in preset:
                assert platform in PROPERTIES[name]["platforms"], (platform, level, name)


def test_a_missing_level_is_refused_naming_those_that_exist():
    with pytest.raises(InvalidOption) as caught:
        options_to_graph({"platform": "ios", "baseline": "level1", "display_name": "x"})
    message = str(caught.value)
    assert "baseline" in message and "level1" in message and "level2, level3" in message


def test_a_level_warns_without_a_minimum_os_and_explicit_options_win():
    warnings = []
    desired = options_to_graph({"platform": "android_work_profile", "baseline": "level3", "display_name": "x",
                                "password_minimum_length": 8}, warn=warnings.append)
    assert desired["passwordMinimumLength"] == 8
    assert desired["securityRequiredAndroidSafetyNetEvaluationType"] == "basic"
    assert desired["@odata.type"] == "#microsoft.graph.androidWorkProfileCompliancePolicy"
    assert len(warnings) == 1 and "os_minimum_version" in warnings[0]
    quiet = []
    options_to_graph({"platform": "ios", "baseline": "level2", "display_name": "x", "os_minimum_version": "17.0"},
                     warn=quiet.append)
    assert quiet == []


@pytest.mark.parametrize("platform,level", [(p, lv) for p, levels in PRESETS.items() for lv in levels])
def test_every_level_round_trips_through_graph_and_back(platform, level):
    params = {"platform": platform, "baseline": level, "display_name": "TG %s %s" % (platform, level),
              "os_minimum_version": "13.0"}
    desired = options_to_graph(params, group_id)
    resource = CompliancePolicyType("beta", group_name)
    current = stored(resource.create_body(desired))
    assert not resource.differs(current, desired)
    again = options_to_graph(dict(graph_to_options(current, "beta", group_name), display_name=params["display_name"]),
                             group_id)
    assert not resource.differs(current, again)
    for name, value in baseline(level, platform).items():
        assert current[name] == value


def test_the_block_action_is_always_there_and_only_once():
    rules = actions_body({"block_after_hours": 24, "retire_after_days": 30,
                          "notifications": [{"template_id": TEMPLATE.upper(), "after_hours": 0,
                                             "cc_groups": ["Mobile Pilot"]}]}, group_id)
    actions = rules[0]["scheduledActionConfigurations"]
    assert [a["actionType"] for a in actions] == ["block", "notification", "retire"]
    assert actions[0]["gracePeriodHours"] == 24 and actions[2]["gracePeriodHours"] == 720
    assert actions[1]["notificationTemplateId"] == TEMPLATE
    assert actions[1]["notificationMessageCCList"] == [GROUPS["Mobile Pilot"]]
    assert [a["actionType"] for a in actions_body({}, None)[0]["scheduledActionConfigurations"]] == ["block"]


@settings(max_examples=60, deadline=None)
@given(block=st.integers(0, 8760), retire=st.one_of(st.none(), st.integers(1, 365)),
       notes=st.lists(st.integers(0, 8760), max_size=3), order=st.randoms())
def test_actions_compare_as_a_set_and_only_a_difference_writes(block, retire, notes, order):
    actions = {"block_after_hours": block, "retire_after_days": retire,
               "notifications": [{"template_id": TEMPLATE, "after_hours": h, "cc_groups": []} for h in notes]}
    desired = options_to_graph({"platform": "ios", "display_name": "x", "actions": actions})
    resource = CompliancePolicyType()
    current = stored(desired)
    shuffled = current[RULES][0]["scheduledActionConfigurations"]
    order.shuffle(shuffled)
    assert resource.update_writes(current, desired) == []
    changed = options_to_graph({"platform": "ios", "display_name": "x",
                                "actions": dict(actions, block_after_hours=(block + 1) % 8761)})
    writes = resource.update_writes(current, changed)
    assert [(w.method, w.suffix) for w in writes] == [("POST", "/scheduleActionsForRules")]
    assert writes[0].body["deviceComplianceScheduledActionForRules"] == changed[RULES]


def test_a_setting_and_an_assignment_change_write_a_patch_and_an_assign():
    desired = options_to_graph({"platform": "ios", "display_name": "x", "passcode_required": True,
                                "assignments": {"include_groups": ["Mobile Pilot"], "all_users": False}}, group_id)
    resource = CompliancePolicyType()
    current = stored(desired, passcodeRequired=False, assignments=[])
    writes = resource.update_writes(current, desired)
    assert [(w.method, w.suffix) for w in writes] == [("PATCH", ""), ("POST", "/assign")]
    assert writes[0].body == {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "passcodeRequired": True}


def test_enum_values_are_matched_without_regard_to_case_and_compared_so():
    desired = options_to_graph({"platform": "ios", "display_name": "x", "passcode_required_type": "NUMERIC"})
    assert desired["passcodeRequiredType"] == "numeric"
    fully = options_to_graph({"platform": "android_fully_managed", "display_name": "x",
                              "password_required_type": "customPassword"})
    assert fully["passwordRequiredType"] == "customPassword"
    with pytest.raises(InvalidOption):
        options_to_graph({"platform": "android_work_profile", "display_name": "x",
                          "password_required_type": "customPassword"})


def test_the_platform_of_an_existing_policy_cannot_change():
    resource = CompliancePolicyType()
    current = stored({"@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "x"})
    desired = options_to_graph({"platform": "android_work_profile", "display_name": "x"})
    with pytest.raises(InvalidOption) as caught:
        resource.check_update(current, desired)
    assert "platform" in str(caught.value)


def schema_path():
    try:
        import tenantguard_sandbox
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(tenantguard_sandbox.__file__), "data", "graph_schema.json")
    return path if os.path.exists(path) else None


@pytest.mark.skipif(schema_path() is None, reason="the sandbox package and its schema copy are not installed")
def test_every_writable_schema_property_is_an_option():
    schema = json.load(open(schema_path(), encoding="utf-8"))
    for version in ("v1.0", "beta"):
        types = schema[version]["types"]
        for platform, type_name in TYPES.items():
            if type_name not in types:
                continue
            for name in types[type_name]["properties"]:
                if name in ("id", "createdDateTime", "lastModifiedDateTime", "version", "displayName",
                            "description", "roleScopeTagIds"):
                    continue
                assert version in PROPERTIES[name]["versions"][platform], (version, platform, name)


@settings(max_examples=60, deadline=None)
@given(minimum=st.tuples(st.integers(1, 30), st.integers(0, 9)),
       maximum=st.tuples(st.integers(1, 30), st.integers(0, 9)))
def test_restriction_versions_are_refused_only_when_they_leave_nothing(minimum, maximum):
    low, high = "%d.%d" % minimum, "%d.%d" % maximum
    params = {"display_name": "x", "ios": {"os_minimum_version": low, "os_maximum_version": high}}
    if minimum > maximum:
        with pytest.raises(InvalidOption) as caught:
            restriction_to_graph(params)
        assert "ios.os_maximum_version" in str(caught.value) and high in str(caught.value)
    else:
        assert restriction_to_graph(params)["iosRestriction"] == {"osMinimumVersion": low, "osMaximumVersion": high}


def test_a_restriction_patch_carries_the_whole_platform_restriction_merged():
    resource = EnrollmentRestrictionType()
    current = {"id": "c_DefaultPlatformRestrictions", "priority": 0,
               "androidRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": True,
                                      "osMinimumVersion": "10.0", "osMaximumVersion": None},
               "iosRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False,
                                  "osMinimumVersion": None, "osMaximumVersion": None}}
    desired = restriction_to_graph({"default": True, "android_device_administrator": {"platform_blocked": True},
                                    "ios": {"platform_blocked": False}})
    writes = resource.update_writes(current, desired)
    assert len(writes) == 1 and writes[0].method == "PATCH"
    assert writes[0].body["androidRestriction"] == {"platformBlocked": True, "personalDeviceEnrollmentBlocked": True,
                                                    "osMinimumVersion": "10.0", "osMaximumVersion": None}
    assert "iosRestriction" not in writes[0].body
    with pytest.raises(InvalidOption):
        restriction_to_graph({"default": True, "priority": 2})
