"""The app_configuration_policy module in-process against the sandbox: Outlook keys by friendly name,
case-sensitive custom settings, apps on both platforms or one, assignments, check mode, export
round-trip and bad input that writes nothing."""
import pytest

from ansible_collections.tenantguard.m365.plugins.modules import app_configuration_policy, app_configuration_policy_info
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import (
    graph_rows, module_runner, unique)

GROUPS = ["AC Pilot", "AC Sales"]
UPN = "{{userprincipalname}}"


@pytest.fixture(scope="module")
def groups(sandbox):
    sandbox.seed({"groups": [{"displayName": n, "securityEnabled": True, "mailEnabled": False,
                              "mailNickname": n.replace(" ", "").lower()} for n in GROUPS]})
    return GROUPS


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys, groups):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


def write_rows(sb, since):
    return [r for r in graph_rows(sb, since) if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
            and not r["path"].endswith(("/$batch", "/getByIds"))]


def test_outlook_work_accounts_only_created_then_unchanged(run_module, graph_sandbox):
    args = {"display_name": unique("AC Outlook"), "apps": ["outlook"],
            "outlook": {"work_or_school_accounts_only": True, "block_external_images": True},
            "assignments": {"include_groups": [GROUPS[0]]}}
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, args)
    assert code == 0 and result["action"] == "created", result
    rows = write_rows(graph_sandbox, since)
    assert [r["path"].rsplit("/", 1)[-1] for r in rows] == ["targetedManagedAppConfigurations", "targetApps", "assign"]
    settings = dict((p["name"], p["value"]) for p in rows[0]["body"]["customSettings"])
    assert settings == {"IntuneMAMAllowedAccountsOnly": "Enabled", "IntuneMAMUPN": UPN,
                        "com.microsoft.intune.mam.AllowedAccountUPNs": UPN,
                        "com.microsoft.outlook.Mail.BlockExternalImagesEnabled": "true"}
    assert sorted(a["mobileAppIdentifier"]["@odata.type"] for a in rows[1]["body"]["apps"]) == [
        "#microsoft.graph.androidMobileAppIdentifier", "#microsoft.graph.iosMobileAppIdentifier"]
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, dict(args, apps=["OUTLOOK"]))
    assert code == 0 and not result["changed"], result
    assert write_rows(graph_sandbox, since) == []
    # The same keys given raw: nothing to do.
    raw = dict(args, outlook=None, custom_settings={
        "IntuneMAMAllowedAccountsOnly": "Enabled", "IntuneMAMUPN": UPN,
        "com.microsoft.intune.mam.AllowedAccountUPNs": UPN,
        "com.microsoft.outlook.Mail.BlockExternalImagesEnabled": True})
    result, code = run_module(app_configuration_policy.main, raw)
    assert code == 0 and not result["changed"], result


def test_keys_are_case_sensitive_and_outlook_alone_merges(run_module, graph_sandbox):
    name = unique("AC keys")
    assert run_module(app_configuration_policy.main, {"display_name": name,
                                                      "custom_settings": {"Contoso.Key": "a"}})[1] == 0
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, {"display_name": name,
                                                              "custom_settings": {"contoso.key": "a"}})
    assert code == 0 and result["changed"], result
    rows = write_rows(graph_sandbox, since)
    assert [r["method"] for r in rows] == ["PATCH"]
    assert rows[0]["body"]["customSettings"] == [{"name": "contoso.key", "value": "a"}]
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, {"display_name": name,
                                                              "outlook": {"focused_inbox": False}})
    assert code == 0 and result["changed"]
    rows = write_rows(graph_sandbox, since)
    assert rows[0]["body"]["customSettings"] == [{"name": "contoso.key", "value": "a"},
                                                 {"name": "com.microsoft.outlook.Mail.FocusedInbox", "value": "false"}]
    result, code = run_module(app_configuration_policy.main, {"display_name": name,
                                                              "outlook": {"focused_inbox": False}})
    assert code == 0 and not result["changed"]


def test_one_platform_apps_check_mode_and_export_round_trip(run_module, graph_sandbox):
    name = unique("AC export")
    args = {"display_name": name, "apps": ["ios:outlook", "teams", "android:com.contoso.app"],
            "custom_settings": {"com.microsoft.outlook.Mail.FocusedInbox": "true"},
            "assignments": {"include_groups": [GROUPS[1]], "exclude_groups": [GROUPS[0]]}}
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, args, check=True, diff=True)
    assert code == 0 and result["changed"] and write_rows(graph_sandbox, since) == []
    assert result["diff"]["after"]["assignments"] == {"include_groups": [GROUPS[1]], "exclude_groups": [GROUPS[0]]}
    assert run_module(app_configuration_policy.main, args)[1] == 0
    result, code = run_module(app_configuration_policy_info.main, {"display_name": name})
    assert code == 0
    params = result["app_configuration_policies"][0]["params"]
    assert sorted(params["apps"]) == ["android:com.contoso.app", "ios:outlook", "teams"]
    since = len(graph_sandbox.requests())
    again, code = run_module(app_configuration_policy.main, params)
    assert code == 0 and not again["changed"], (params, again)
    assert write_rows(graph_sandbox, since) == []


@pytest.mark.parametrize("args,words", [
    ({"display_name": "x", "apps": ["windows:outlook"]}, ["apps[0]", "'windows:outlook'", "ios:<app>"]),
    ({"display_name": "x", "apps": ["outlok"]}, ["apps[0]", "'outlok'"]),
    ({"display_name": "x", "custom_settings": {"com.microsoft.outlook.Mail.FocusedInbox": "true"},
      "outlook": {"focused_inbox": False}}, ["custom_settings", "com.microsoft.outlook.Mail.FocusedInbox", "'false'"]),
    ({"display_name": "x", "targeted_app_management_levels": "unmanaged"},
     ["targeted_app_management_levels", "only in Graph beta"]),
    ({"display_name": "x", "api_version": "beta", "targeted_app_management_levels": "byod"},
     ["targeted_app_management_levels", "'byod'", "unmanaged"]),
    ({"display_name": "x", "app_group_type": "allApps", "apps": ["outlook"]}, ["app_group_type", "apps cannot"]),
])
def test_bad_input_fails_before_any_request(run_module, graph_sandbox, args, words):
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, args)
    assert code == 1
    for word in words:
        assert word in result["msg"], result["msg"]
    assert graph_rows(graph_sandbox, since) == []


def configuration_examples():
    import json
    from pathlib import Path
    folder = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "targeted_managed_app_configuration"
    out = []
    for path in sorted(folder.glob("v10__*.json")):
        body = (json.loads(path.read_text()).get("request") or {}).get("body")
        if isinstance(body, dict) and body.get("displayName"):
            out.append(pytest.param(body, id=path.stem))
    assert out, "no documented examples found in %s" % folder
    return out


@pytest.mark.parametrize("body", configuration_examples())
def test_documented_examples_apply_read_back_equal_and_converge(run_module, graph_sandbox, body):
    from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_configuration import graph_to_options

    body = dict(body, displayName=unique("AC example"))
    params = graph_to_options(body, "v1.0")
    result, code = run_module(app_configuration_policy.main, params)
    assert code == 0 and result["action"] == "created", result
    stored = graph_sandbox.session().get(
        "%s/v1.0/deviceAppManagement/targetedManagedAppConfigurations/%s" % (
            graph_sandbox.base_url, result["app_configuration_policy"]["id"]),
        headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()
    assert stored["displayName"] == body["displayName"] and stored["description"] == body["description"]
    assert [(p["name"], p["value"]) for p in stored["customSettings"]] == [
        (p["name"], p["value"]) for p in body["customSettings"]]
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, params)
    assert code == 0 and not result["changed"], result
    assert write_rows(graph_sandbox, since) == []


def test_groups_found_by_an_app_protection_task_are_not_looked_up_again(run_module, graph_sandbox):
    from ansible_collections.tenantguard.m365.plugins.modules import app_protection_policy

    protection, code = run_module(app_protection_policy.main, {
        "display_name": unique("AC known groups"), "platform": "ios", "apps": ["outlook"],
        "assignments": {"include_groups": [GROUPS[0]], "exclude_groups": [GROUPS[1]]}})
    assert code == 0, protection
    assert [g["display_name"] for g in protection["groups"]] == sorted(GROUPS)
    ids = dict((g["display_name"], g["id"]) for g in protection["groups"])
    args = {"display_name": unique("AC known groups"), "apps": ["outlook"], "outlook": {"focused_inbox": True},
            "assignments": {"include_groups": [GROUPS[0]], "exclude_groups": [ids[GROUPS[1]].upper()]},
            "known_groups": protection["groups"]}
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, args)
    assert code == 0 and result["action"] == "created", result
    rows = graph_rows(graph_sandbox, since)
    assert [r["path"] for r in rows if r["path"].endswith(("/groups", "/$batch", "/getByIds"))] == []
    assign = [r for r in rows if r["path"].endswith("/assign")][0]["body"]["assignments"]
    targets = sorted((a["target"]["@odata.type"], a["target"]["groupId"]) for a in assign)
    assert targets == sorted([("#microsoft.graph.groupAssignmentTarget", ids[GROUPS[0]]),
                              ("#microsoft.graph.exclusionGroupAssignmentTarget", ids[GROUPS[1]])])
    # The same task again, in check mode with a diff: unchanged, groups by name, still no look-up.
    since = len(graph_sandbox.requests())
    again, code = run_module(app_configuration_policy.main, args, check=True, diff=True)
    assert code == 0 and not again["changed"], again
    assert [r["path"] for r in graph_rows(graph_sandbox, since)
            if r["path"].endswith(("/groups", "/$batch", "/getByIds"))] == []


@pytest.mark.parametrize("known,words", [
    ([{"id": "AC Pilot", "display_name": "AC Pilot"}], ["known_groups[0].id", "'AC Pilot'", "GUID"]),
    ([{"id": "0f4a3b1c-2d5e-4f60-8a7b-9c0d1e2f3a4b", "display_name": " "}], ["known_groups[0].display_name", "empty"]),
])
def test_bad_known_groups_fail_before_any_request(run_module, graph_sandbox, known, words):
    since = len(graph_sandbox.requests())
    result, code = run_module(app_configuration_policy.main, {
        "display_name": "x", "apps": ["outlook"], "assignments": {"include_groups": [GROUPS[0]]}, "known_groups": known})
    assert code == 1
    for word in words:
        assert word in result["msg"], result["msg"]
    assert graph_rows(graph_sandbox, since) == []
