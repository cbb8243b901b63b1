"""ansible-playbook runs device_compliance_policy and device_compliance_policy_info against the sandbox: check ->
apply -> check -> apply for every compliance type and every level Microsoft publishes, with stored state read
directly from the sandbox; an action changed; the export applied back without change."""

import json
import os

import conftest
from conftest import settled

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_levels import PRESETS

NAMES = {"E2E - iOS - Level 2": ("ios", "level2"), "E2E - iOS - Level 3": ("ios", "level3"),
         "E2E - Work profile - Level 2": ("android_work_profile", "level2"),
         "E2E - Work profile - Level 3": ("android_work_profile", "level3"),
         "E2E - Fully managed - Level 1": ("android_fully_managed", "level1"),
         "E2E - Fully managed - Level 2": ("android_fully_managed", "level2"),
         "E2E - Fully managed - Level 3": ("android_fully_managed", "level3")}
TYPES = {"ios": "iosCompliancePolicy", "android_work_profile": "androidWorkProfileCompliancePolicy",
         "android_fully_managed": "androidDeviceOwnerCompliancePolicy"}


def graph_writes(sandbox, since=0):
    return conftest.graph_writes(sandbox, since, ("method", conftest.last_segment, "status"), bulk_reads=False)


def stored_policies(sandbox):
    """The compliance policies as the sandbox stores them (its state directory), by display name."""
    with open(os.path.join(sandbox.state_dir, "data", "deviceCompliancePolicies.json"), encoding="utf-8") as handle:
        stored = json.load(handle)
    items = stored.values() if isinstance(stored, dict) else stored
    return dict((o["displayName"], o) for o in items if isinstance(o, dict) and "displayName" in o)


def graph_requests(sandbox, since):
    return [r for r in settled(sandbox)[since:] if r["service"] == "graph"]


def test_four_steps_every_type_and_level_round_trips(run_playbook, graph_sandbox):
    steps = [(["--check", "--diff"], {}, 2, 0), ([], {}, 2, 12), (["--check"], {}, 0, 0), ([], {}, 0, 0)]
    for index, (args, variables, changed, write_count) in enumerate(steps):
        since = len(settled(graph_sandbox))
        run = run_playbook("device_compliance_policy.yml", *args, extra_vars=variables)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        writes = graph_writes(graph_sandbox, since)
        assert len(writes) == write_count, (index, writes)
        if index == 0:
            assert "Mobile Pilot" in run.stdout and "sets no minimum OS version" not in run.stdout
            assert "device administrator type is retired" in run.stdout + run.stderr
        if index == 1:
            assert sorted(w[0] for w in writes) == ["POST"] * 12
            assert sum(1 for w in writes if w[1] == "assign" and w[2] == 200) == 2
        if index == 3:
            requests = graph_requests(graph_sandbox, since)
            print("no-op run of 10 compliance policies in 2 tasks: %d Graph requests: %s" % (
                len(requests), [(r["method"], r["path"]) for r in requests]))
            assert len(requests) <= 4, requests

    stored = stored_policies(graph_sandbox)
    assert len(stored) == 10
    for name, (platform, level) in NAMES.items():
        policy = stored[name]
        assert policy["@odata.type"] == "#microsoft.graph." + TYPES[platform]
        for prop, value in PRESETS[platform][level].items():
            assert policy[prop] == value, (name, prop, policy[prop], value)
        assert policy["osMinimumVersion"] in ("17.0", "13.0")
        actions = [a for r in policy["scheduledActionsForRule"] for a in r["scheduledActionConfigurations"]]
        assert [(a["actionType"], a["gracePeriodHours"]) for a in actions] == [("block", 0)]
    custom = stored["E2E - iOS - Custom"]
    actions = sorted((a["actionType"], a["gracePeriodHours"])
                     for r in custom["scheduledActionsForRule"] for a in r["scheduledActionConfigurations"])
    assert actions == [("block", 24), ("notification", 0), ("retire", 720)]
    targets = sorted(a["target"]["@odata.type"] for a in custom["assignments"])
    assert targets == ["#microsoft.graph.exclusionGroupAssignmentTarget", "#microsoft.graph.groupAssignmentTarget"]
    everyone = stored["E2E - Work profile - All users"]
    assert sorted(a["target"]["@odata.type"] for a in everyone["assignments"]) == [
        "#microsoft.graph.allLicensedUsersAssignmentTarget", "#microsoft.graph.exclusionGroupAssignmentTarget"]
    assert custom["passcodeRequiredType"] == "numeric"

    since = len(settled(graph_sandbox))
    run = run_playbook("device_compliance_policy.yml", extra_vars={"block_after_hours": 48})
    assert run.rc == 0 and run.recap["changed"] == 1, run
    assert graph_writes(graph_sandbox, since) == [("POST", "scheduleActionsForRules", 204)]

    since = len(settled(graph_sandbox))
    run = run_playbook("device_compliance_policy.yml", extra_vars={"block_after_hours": 48, "export": True})
    assert run.rc == 0 and run.recap["changed"] == 0, run
    assert graph_writes(graph_sandbox, since) == []


PURGE = """---
- name: Compliance policies converged as a set
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: The set
      tenantguard.m365.device_compliance_policy:
        device_compliance_policies: %s
        purge: %s
        purge_name_pattern: "TG - .*"
"""


def test_purge_deletes_only_undeclared_policies_within_the_pattern(run_playbook, graph_sandbox, tmp_path):
    three = ('[{display_name: TG - A, platform: ios}, {display_name: TG - B, platform: android_work_profile}, '
             '{display_name: Other, platform: ios}]')
    one = '[{display_name: TG - A, platform: ios}]'
    for name, items, purge, changed, wanted in (("create", three, "false", 1, 3), ("purge", one, "true", 1, 2),
                                                ("again", one, "true", 0, 2)):
        path = tmp_path / (name + ".yml")
        path.write_text(PURGE % (items, purge))
        since = len(settled(graph_sandbox))
        run = run_playbook(str(path))
        assert run.rc == 0 and run.recap["changed"] == changed, (name, run)
        writes = graph_writes(graph_sandbox, since)
        if name == "purge":
            assert [w[0] for w in writes] == ["DELETE"], writes
        assert sorted(stored_policies(graph_sandbox)) == sorted(["TG - A", "TG - B", "Other"][:wanted]
                                                                if wanted == 3 else ["TG - A", "Other"])
