"""The app_protection_policy module in-process against the sandbox: create and converge, apps and
assignments as sets written only through their actions, durations and enums without false drift,
check and diff modes, delete, the documented examples, export round-trip and bad input that writes
nothing."""
import json
from pathlib import Path

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import app_protection_policy, app_protection_policy_info
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import (
    graph_rows, module_runner, unique)

GROUPS = ["AP Pilot", "AP Sales", "AP Break Glass"]
EXAMPLES = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures"


@pytest.fixture(scope="module")
def groups(sandbox):
    sandbox.seed({"groups": [{"displayName": n, "securityEnabled": True, "mailEnabled": False,
                              "mailNickname": n.replace(" ", "").lower()} for n in GROUPS]})
    return GROUPS


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys, groups):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


def write_rows(sb, since):
    """Graph writes since ``since`` (a ``$batch`` of reads and a getByIds look-up are POSTs that write nothing)."""
    return [r for r in graph_rows(sb, since) if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
            and not r["path"].endswith(("/$batch", "/getByIds"))]


def writes(sb, since):
    return [(r["method"], r["path"], r["status"]) for r in write_rows(sb, since)]


def ios(name, **options):
    args = {"display_name": name, "platform": "ios"}
    args.update(options)
    return args


def test_create_then_unchanged_whatever_the_order_and_case(run_module, graph_sandbox):
    args = ios(unique("AP iOS"), api_version="beta", baseline="level2", apps=["outlook", "teams"],
               assignments={"include_groups": [GROUPS[0]], "exclude_groups": [GROUPS[2]]},
               minimum_required_os_version="17.0")
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0, result
    assert result["changed"] and result["action"] == "created"
    policy = result["app_protection_policy"]
    assert policy["id"].startswith("T_")
    rows = write_rows(graph_sandbox, since)
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in rows] == [
        ("POST", "iosManagedAppProtections"), ("POST", "targetApps"), ("POST", "assign")]
    assert "apps" not in rows[0]["body"] and rows[0]["body"]["minimumRequiredOsVersion"] == "17.0"
    assert sorted(a["mobileAppIdentifier"]["bundleId"] for a in rows[1]["body"]["apps"]) == [
        "com.microsoft.office.outlook", "com.microsoft.skype.teams"]
    targets = sorted(a["target"]["@odata.type"] for a in rows[2]["body"]["assignments"])
    assert targets == ["#microsoft.graph.exclusionGroupAssignmentTarget", "#microsoft.graph.groupAssignmentTarget"]
    since = len(graph_sandbox.requests())
    again = dict(args, apps=["Teams", "com.microsoft.Office.Outlook"],
                 assignments={"include_groups": [GROUPS[0].upper()], "exclude_groups": [GROUPS[2]]})
    result, code = run_module(app_protection_policy.main, again)
    assert code == 0 and not result["changed"] and result["action"] == "unchanged", result
    assert writes(graph_sandbox, since) == []


def test_one_more_app_or_group_or_setting_writes_only_that(run_module, graph_sandbox):
    args = ios(unique("AP parts"), apps=["outlook"], assignments={"include_groups": [GROUPS[0]]},
               minimum_pin_length=4)
    assert run_module(app_protection_policy.main, args)[1] == 0
    steps = [
        (dict(args, apps=["outlook", "word"]), "targetApps"),
        (dict(args, apps=["word", "outlook"], assignments={"include_groups": [GROUPS[0], GROUPS[1]]}), "assign"),
        (dict(args, apps=["word", "outlook"], assignments={"include_groups": [GROUPS[1], GROUPS[0]]},
              minimum_pin_length=6), "PATCH"),
    ]
    for step_args, expected in steps:
        since = len(graph_sandbox.requests())
        result, code = run_module(app_protection_policy.main, step_args)
        assert code == 0 and result["changed"], result
        rows = write_rows(graph_sandbox, since)
        assert len(rows) == 1, rows
        assert rows[0]["path"].endswith("/" + expected) or rows[0]["method"] == expected
        if expected == "PATCH":
            assert rows[0]["body"] == {"@odata.type": "#microsoft.graph.iosManagedAppProtection",
                                       "minimumPinLength": 6}
        if expected == "targetApps":
            assert len(rows[0]["body"]["apps"]) == 2
        if expected == "assign":
            assert len(rows[0]["body"]["assignments"]) == 2
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, steps[-1][0])
    assert code == 0 and not result["changed"]
    assert writes(graph_sandbox, since) == []


def test_durations_and_enums_compare_by_meaning(run_module, graph_sandbox):
    args = ios(unique("AP durations"), period_offline_before_wipe_is_enforced="P90D",
               period_online_before_access_check="PT30M", allowed_outbound_data_transfer_destinations="managedApps",
               managed_browser="microsoftEdge")
    assert run_module(app_protection_policy.main, args)[1] == 0
    since = len(graph_sandbox.requests())
    same = dict(args, period_offline_before_wipe_is_enforced="PT2160H", period_online_before_access_check="PT1800S",
                allowed_outbound_data_transfer_destinations="MANAGEDAPPS", managed_browser="MicrosoftEdge")
    result, code = run_module(app_protection_policy.main, same)
    assert code == 0 and not result["changed"], result
    assert writes(graph_sandbox, since) == []


def test_check_mode_writes_nothing_and_diff_names_groups(run_module, graph_sandbox):
    name = unique("AP check")
    args = ios(name, apps=["outlook"], assignments={"include_groups": [GROUPS[1]]}, print_blocked=True)
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, args, check=True, diff=True)
    assert code == 0 and result["changed"] and result["action"] == "created"
    assert "id" not in result["app_protection_policy"]
    assert result["diff"]["after"]["assignments"]["include_groups"] == [GROUPS[1]]
    assert result["diff"]["after"]["apps"] == ["outlook"]
    assert writes(graph_sandbox, since) == []
    assert run_module(app_protection_policy.main, args)[1] == 0
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, dict(args, print_blocked=False), check=True, diff=True)
    assert code == 0 and result["changed"] and result["action"] == "updated"
    assert result["diff"]["before"]["print_blocked"] is True and result["diff"]["after"]["print_blocked"] is False
    assert writes(graph_sandbox, since) == []


def test_delete_then_absent_is_unchanged(run_module, graph_sandbox):
    name = unique("AP delete")
    assert run_module(app_protection_policy.main, ios(name, pin_required=True))[1] == 0
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, ios(name, state="absent"))
    assert code == 0 and result["changed"] and result["action"] == "deleted"
    assert [w[0] for w in writes(graph_sandbox, since)] == ["DELETE"]
    result, code = run_module(app_protection_policy.main, ios(name, state="absent"))
    assert code == 0 and not result["changed"]


def example_bodies():
    out = []
    for platform in ("ios", "android"):
        folder = EXAMPLES / ("%s_managed_app_protection" % platform)
        for path in sorted(folder.glob("v10__*.json")):
            example = json.loads(path.read_text())
            body = (example.get("request") or {}).get("body")
            if isinstance(body, dict) and body.get("displayName"):
                out.append(pytest.param(platform, body, id=path.stem))
    assert len(out) >= 2, "documented examples missing from %s" % EXAMPLES
    return out


@pytest.mark.parametrize("platform,body", example_bodies())
def test_documented_examples_apply_read_back_equal_and_converge(run_module, graph_sandbox, platform, body):
    from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import graph_to_options

    body = dict(body, displayName=unique("AP example"))
    # The generated examples put 0 in minimumPinLength, below the 4 Intune accepts, and negative durations
    # (-PT17.1357909S), which the module refuses (their length is kept); the rest is taken as it is.
    if body.get("minimumPinLength") == 0:
        body["minimumPinLength"] = 4
    body = dict((k, v[1:] if k.startswith("period") and isinstance(v, str) and v.startswith("-") else v)
                for k, v in body.items())
    params = graph_to_options(body, platform, "v1.0")
    result, code = run_module(app_protection_policy.main, params)
    assert code == 0 and result["action"] == "created", result
    stored = graph_sandbox.session().get(
        "%s/v1.0/deviceAppManagement/%sManagedAppProtections/%s" % (
            graph_sandbox.base_url, platform, result["app_protection_policy"]["id"]),
        headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()
    for key, value in body.items():
        if key in ("@odata.type", "version", "isAssigned", "deployedAppCount"):
            continue
        assert stored[key] == value, key
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, params)
    assert code == 0 and not result["changed"], result
    assert writes(graph_sandbox, since) == []


def test_export_params_round_trip(run_module, graph_sandbox):
    run_module(app_protection_policy.main, ios(unique("AP export"), api_version="beta", baseline="level3",
                                               apps=["outlook", "edge", "com.contoso.app"],
                                               assignments={"include_groups": [GROUPS[0]],
                                                            "exclude_groups": [GROUPS[2]]}))
    run_module(app_protection_policy.main, {"display_name": unique("AP export"), "platform": "android",
                                            "api_version": "beta", "baseline": "level1", "apps": ["teams"]})
    result, code = run_module(app_protection_policy_info.main, {"api_version": "beta"})
    assert code == 0 and len(result["app_protection_policies"]) >= 2
    exported = [p for p in result["app_protection_policies"] if p["displayName"].startswith("AP export")]
    assert {p["platform"] for p in exported} == {"ios", "android"}
    ios_params = next(p["params"] for p in exported if p["platform"] == "ios")
    assert ios_params["assignments"] == {"include_groups": [GROUPS[0]], "exclude_groups": [GROUPS[2]]}
    assert sorted(ios_params["apps"]) == ["com.contoso.app", "edge", "outlook"]
    since = len(graph_sandbox.requests())
    for item in result["app_protection_policies"]:
        again, code = run_module(app_protection_policy.main, item["params"])
        assert code == 0 and not again["changed"], (item["params"], again)
    assert writes(graph_sandbox, since) == []


BAD_INPUTS = [
    (ios("x", screen_capture_blocked=True), ["screen_capture_blocked", "is an Android setting", "platform is ios"]),
    ({"display_name": "x", "platform": "android", "face_id_blocked": True},
     ["face_id_blocked", "is an iOS setting", "platform is android"]),
    (ios("x", notification_restriction="block"), ["notification_restriction", "only in Graph beta", "api_version"]),
    (ios("x", baseline="level2"), ["baseline", "'level2'", "api_version: beta"]),
    (ios("x", period_offline_before_access_check="30 minutes"),
     ["period_offline_before_access_check", "'30 minutes'", "not an ISO 8601 duration", "PT30M"]),
    (ios("x", period_before_pin_reset="PT"), ["period_before_pin_reset", "'PT'", "not an ISO 8601 duration"]),
    (ios("x", period_online_before_access_check="P1M"), ["period_online_before_access_check", "'P1M'"]),
    (ios("x", apps=["outlook", "outlok"]), ["apps[1]", "'outlok'", "neither a known app name", "outlook"]),
    ({"display_name": "x", "platform": "android", "apps": ["todo"]}, ["apps[0]", "'todo'", "no known android id"]),
    (ios("x", minimum_pin_length=3), ["minimum_pin_length", "(got 3)", "out of range", "4 to 14"]),
    (ios("x", minimum_pin_length=20), ["minimum_pin_length", "(got 20)", "4 to 14"]),
    (ios("x", maximum_pin_retries=0), ["maximum_pin_retries", "(got 0)", "out of range"]),
    (ios("x", allowed_outbound_data_transfer_destinations="everyone"),
     ["allowed_outbound_data_transfer_destinations", "'everyone'", "allApps, managedApps, none"]),
    (ios("x", allowed_data_storage_locations=["oneDriveForBusiness", "dropbox"]),
     ["allowed_data_storage_locations[1]", "'dropbox'", "sharePoint"]),
    (ios("x", allowed_outbound_clipboard_sharing_level="allApps", api_version="beta",
         allowed_outbound_clipboard_sharing_exception_length=20),
     ["allowed_outbound_clipboard_sharing_exception_length", "(got 20)", "allApps"]),
    (ios("x", custom_browser_protocol="googlechrome", managed_browser_to_open_links_required=False),
     ["custom_browser_protocol", "'googlechrome'", "managed_browser_to_open_links_required"]),
    (ios("x", api_version="beta", dialer_restriction_level="customApp"),
     ["dialer_restriction_level", "custom dialer", "custom_dialer_app_protocol"]),
    ({"display_name": "x", "platform": "android", "encrypt_app_data": False,
      "disable_app_encryption_if_device_encryption_is_enabled": True},
     ["disable_app_encryption_if_device_encryption_is_enabled", "encrypt_app_data is false"]),
    ({"display_name": "x", "platform": "android", "api_version": "beta", "keyboards_restricted": True},
     ["keyboards_restricted", "approves none", "approved_keyboards"]),
    (ios("x", api_version="beta", minimum_required_os_version="17.2", maximum_required_os_version="16.0"),
     ["maximum_required_os_version", "'16.0'", "no OS version allowed", "17.2"]),
    (ios("x", app_group_type="allCoreMicrosoftApps", apps=["outlook"]),
     ["app_group_type", "'allCoreMicrosoftApps'", "apps cannot be listed"]),
    (ios("x", pin_character_set="emoji"), ["pin_character_set", "'emoji'", "numeric, alphanumericAndSymbol"]),
]


@pytest.mark.parametrize("args,words", BAD_INPUTS, ids=["%02d-%s" % (i, w[0]) for i, (_a, w) in enumerate(BAD_INPUTS)])
def test_bad_input_fails_naming_the_field_before_any_request(run_module, graph_sandbox, args, words):
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, args)
    assert code == 1 and result["failed"] is True
    for word in words:
        assert word in result["msg"], result["msg"]
    assert graph_rows(graph_sandbox, since) == []


def test_unknown_group_fails_with_suggestion_and_writes_nothing(run_module, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, ios(unique("AP groups"), apps=["outlook"], assignments={
        "include_groups": [GROUPS[0], "AP Pilots"]}))
    assert code == 1
    assert "assignments.include_groups[1]" in result["msg"] and "'AP Pilots'" in result["msg"]
    assert "AP Pilot" in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_coverage_reports_what_conditional_access_sends_to_app_protection_but_nothing_protects(
        run_module, graph_sandbox):
    group_ids = dict((g["displayName"], g["id"]) for g in graph_sandbox.session().get(
        graph_sandbox.base_url + "/v1.0/groups", headers={"Authorization": "Bearer " + graph_sandbox.token()}
    ).json()["value"])
    ca_name = unique("AP coverage CA")
    graph_sandbox.seed({"conditionalAccessPolicies": [{
        "id": "0e5c6f1a-7f35-4d2c-9d17-%012d" % (len(graph_sandbox.requests()) % 10 ** 12),
        "displayName": ca_name, "state": "enabledForReportingButNotEnforced",
        "conditions": {"users": {"includeGroups": [group_ids[GROUPS[1]]], "includeUsers": []},
                       "applications": {"includeApplications": ["00000002-0000-0ff1-ce00-000000000000"]},
                       "platforms": {"includePlatforms": ["iOS", "android"]},
                       "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]}}]})
    args = ios(unique("AP coverage"), apps=["outlook"], assignments={"include_groups": [GROUPS[1]]})
    assert run_module(app_protection_policy.main, args)[1] == 0
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy_info.main, {"coverage_for": [ca_name]})
    assert code == 0, result
    assert writes(graph_sandbox, since) == []
    (entry,) = result["coverage"]
    assert entry["conditional_access_policy"] == ca_name and entry["apps"] == ["outlook"]
    assert entry["covered"] is False
    assert entry["gaps"] == [{"platform": "android", "app": "outlook", "group": GROUPS[1],
                              "group_id": group_ids[GROUPS[1]]}]
    android = {"display_name": unique("AP coverage"), "platform": "android", "apps": ["outlook"],
               "assignments": {"include_groups": [GROUPS[1]]}}
    assert run_module(app_protection_policy.main, android)[1] == 0
    result, code = run_module(app_protection_policy_info.main, {"coverage_for": [ca_name], "platform": "ios"})
    assert code == 0 and result["coverage"][0]["covered"] is True and result["coverage"][0]["gaps"] == []
    result, code = run_module(app_protection_policy_info.main, {"coverage_for": ["No such CA policy"]})
    assert code == 1 and "coverage_for[0]" in result["msg"] and "'No such CA policy'" in result["msg"]


def test_set_mode_converges_both_platforms_with_one_list_each_and_purges_by_pattern(run_module, graph_sandbox):
    prefix = unique("AP set")
    items = [
        {"display_name": prefix + " ios", "platform": "ios", "api_version": "beta", "baseline": "level1",
         "apps": ["outlook"], "assignments": {"include_groups": [GROUPS[0]]}},
        {"display_name": prefix + " android", "platform": "android", "apps": ["outlook"], "pin_required": True},
        {"display_name": prefix + " old", "platform": "android", "state": "absent"},
    ]
    assert run_module(app_protection_policy.main, {"display_name": prefix + " stray", "platform": "ios"})[1] == 0
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, {"app_protection_policies": items}, check=True, diff=True)
    assert code == 0 and result["changed"] and writes(graph_sandbox, since) == []
    assert sorted(a["action"] for a in result["actions"]) == ["created", "created"]
    reads = [r for r in graph_rows(graph_sandbox, since) if r["method"] == "GET" and "ManagedAppProtections" in r["path"]]
    # v1.0 does not return appGroupType: the Android policies (v1.0) are completed by one beta read of it.
    group_types = [r for r in reads if (r.get("query") or {}).get("$select") == "id,appGroupType"]
    assert [r["path"] for r in group_types] in ([], ["/beta/deviceAppManagement/androidManagedAppProtections"])
    lists = sorted(r["path"].rsplit("/", 1)[-1] for r in reads if r not in group_types)
    assert lists == ["androidManagedAppProtections", "iosManagedAppProtections"]
    args = {"app_protection_policies": items, "purge": True, "purge_name_pattern": prefix + " .*"}
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0, result
    actions = sorted((a["platform"], a["action"], a["purged"]) for a in result["actions"])
    assert actions == [("android", "created", False), ("ios", "created", False), ("ios", "deleted", True)]
    assert [p["displayName"] for p in result["app_protection_policies"]] == [prefix + " ios", prefix + " android"]
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0 and not result["changed"] and result["actions"] == []
    assert writes(graph_sandbox, since) == []


def test_set_mode_checks_every_item_before_writing(run_module, graph_sandbox):
    items = [{"display_name": unique("AP set ok"), "platform": "ios", "pin_required": True},
             {"display_name": unique("AP set bad"), "platform": "android", "face_id_blocked": True}]
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, {"app_protection_policies": items})
    assert code == 1 and "app_protection_policies[1].face_id_blocked" in result["msg"]
    assert graph_rows(graph_sandbox, since) == []
    result, code = run_module(app_protection_policy.main, {"app_protection_policies": items[:1], "platform": "ios"})
    assert code == 1 and "mutually exclusive" in result["msg"]


def test_two_policies_with_the_name_fail_listing_both_ids_and_write_nothing(run_module, graph_sandbox):
    name = unique("AP twin")
    twins = ["T_%s-0000-4000-8000-00000000000%d" % (name[-8:], i) for i in (1, 2)]
    graph_sandbox.seed({"iosManagedAppProtections": [{"id": twins[0], "displayName": name},
                                                     {"id": twins[1], "displayName": name}]})
    listed = graph_sandbox.session().get(
        graph_sandbox.base_url + "/v1.0/deviceAppManagement/iosManagedAppProtections",
        headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()["value"]
    ids = [p["id"] for p in listed if p["displayName"] == name]
    assert sorted(ids) == twins
    since = len(graph_sandbox.requests())
    result, code = run_module(app_protection_policy.main, ios(name, print_blocked=True))
    assert code == 1 and "display_name" in result["msg"] and "matches 2" in result["msg"]
    assert ids[0] in result["msg"] and ids[1] in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_replication_lag_does_not_lead_to_a_duplicate(run_module, graph_sandbox):
    name = unique("AP lag")
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 2.0,
                                         "path": "^/v1\\.0/deviceAppManagement/androidManagedAppProtections$"}]})
    args = {"display_name": name, "platform": "android", "pin_required": True, "apps": ["outlook"]}
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0 and result["action"] == "created", result
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0 and not result["changed"], result
    listed = graph_sandbox.session().get(
        graph_sandbox.base_url + "/v1.0/deviceAppManagement/androidManagedAppProtections",
        headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()["value"]
    assert [p["displayName"] for p in listed].count(name) == 1


def test_an_app_group_that_intune_fills_exports_without_its_app_list(run_module, graph_sandbox):
    name = unique("AP core apps")
    result, code = run_module(app_protection_policy.main, ios(name, app_group_type="allCoreMicrosoftApps"))
    assert code == 0 and result["action"] == "created", result
    policy_id = result["app_protection_policy"]["id"]
    # Intune lists the group's apps on the policy itself; the export must not turn them into selected apps.
    graph_sandbox.session().post(
        graph_sandbox.base_url + "/v1.0/deviceAppManagement/iosManagedAppProtections/%s/targetApps" % policy_id,
        headers={"Authorization": "Bearer " + graph_sandbox.token()},
        json={"apps": [{"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
                                                "bundleId": "com.microsoft.office.outlook"}}],
              "appGroupType": "allCoreMicrosoftApps"}).raise_for_status()
    result, code = run_module(app_protection_policy_info.main, {"display_name": name, "platform": "ios"})
    params = result["app_protection_policies"][0]["params"]
    assert params["app_group_type"] == "allCoreMicrosoftApps" and "apps" not in params
    since = len(graph_sandbox.requests())
    again, code = run_module(app_protection_policy.main, params)
    assert code == 0 and not again["changed"], again
    assert writes(graph_sandbox, since) == []
