"""The device_compliance role against the sandbox: check -> apply -> check -> apply with compliance policies of every
platform and every level Microsoft publishes, each rollout stage, and the default enrolment restriction; the stored
state is read directly from the sandbox. A misspelled variable and an unknown rollout stage are refused before
anything is read."""

import json

import pytest
import yaml

import conftest
from conftest import settled, stored
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.compliance_levels import PRESETS

PLAY = """---
- name: Device compliance
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
%s
  roles:
    - role: tenantguard.m365.device_compliance
  post_tasks:
    - name: Save what changed
      ansible.builtin.copy:
        content: "{{ {'changes': device_compliance_changes | default([])} | to_json }}"
        dest: "{{ out_dir }}/changes.json"
        mode: "0600"
      check_mode: false
      changed_when: false
"""
STAGES = ("enforced", "report_only", "pilot", "disabled")
LEVELS = [(platform, level) for platform, levels in sorted(PRESETS.items()) for level in sorted(levels)]
OS_MINIMUM = {"ios": "17.0", "android_work_profile": "13.0", "android_fully_managed": "13.0"}


def policies():
    out = []
    for index, (platform, level) in enumerate(LEVELS):
        out.append({"display_name": "E2E role - %s - %s" % (platform, level), "platform": platform, "baseline": level,
                    "os_minimum_version": OS_MINIMUM[platform], "rollout": STAGES[index % len(STAGES)],
                    "actions": {"block_after_hours": 24},
                    "assignments": {"include_groups": ["Mobile Pilot"], "exclude_groups": ["Emergency Access"]}})
    return out


def playbook(tmp_path, **extra):
    data = {"device_compliance_pilot_groups": ["Mobile Pilot"], "device_compliance_policies": policies(),
            "device_compliance_enrollment_restrictions": [
                {"default": True, "android_device_administrator": {"platform_blocked": True},
                 "android_work_profile": {"platform_blocked": False, "personal_device_enrollment_blocked": False}}]}
    data.update(extra)
    (tmp_path / "role_vars.json").write_text(json.dumps(data), encoding="utf-8")
    path = tmp_path / "device_compliance_role.yml"
    path.write_text(PLAY % ("  vars_files:\n    - %s" % (tmp_path / "role_vars.json")), encoding="utf-8")
    return str(path)


def graph_writes(sandbox, since=0):
    return conftest.graph_writes(sandbox, since, ("method", conftest.last_segment, "status"), bulk_reads=False)


def test_check_apply_check_apply(run_playbook, graph_sandbox, tmp_path):
    path = playbook(tmp_path)
    for index, (args, changed) in enumerate([(["--check", "--diff"], True), ([], True), (["--check"], False),
                                             ([], False)]):
        since = len(settled(graph_sandbox))
        run = run_playbook(path, *args)
        assert run.rc == 0, (index, run)
        assert (run.recap["changed"] > 0) is changed, (index, run)
        writes = graph_writes(graph_sandbox, since)
        changes = run.output("changes")["changes"]
        if index != 1:
            assert writes == [], (index, writes)
        if changed:
            assert len(changes) == len(LEVELS) + 1, (index, changes)
            assert "enrolment restriction All users and all devices: updated" in changes
        else:
            assert changes == [], (index, changes)
        if index == 1:
            # One POST per policy (its block action included), one assign per assigned policy, one PATCH.
            assert len([w for w in writes if w[1] == "deviceCompliancePolicies"]) == len(LEVELS)
            assert [w for w in writes if w[0] == "PATCH"] != []
        if index == 3:
            requests = [r for r in settled(graph_sandbox)[since:] if r["service"] == "graph"]
            paths = [r["path"] for r in requests]
            assert len([p for p in paths if p.endswith("/deviceCompliancePolicies")]) == 1, paths
            assert len([p for p in paths if p.endswith("/deviceEnrollmentConfigurations")]) == 1, paths

    groups = dict((g["displayName"], g["id"]) for g in stored(graph_sandbox, "groups"))
    by_name = dict((p["displayName"], p) for p in stored(graph_sandbox, "deviceCompliancePolicies"))
    for index, (platform, level) in enumerate(LEVELS):
        policy = by_name["E2E role - %s - %s" % (platform, level)]
        for prop, value in PRESETS[platform][level].items():
            assert policy[prop] == value, (platform, level, prop)
        assert policy["osMinimumVersion"] == OS_MINIMUM[platform]
        stage = STAGES[index % len(STAGES)]
        actions = [(a["actionType"], a["gracePeriodHours"])
                   for r in policy["scheduledActionsForRule"] for a in r["scheduledActionConfigurations"]]
        assert actions == [("block", 8760 if stage == "report_only" else 24)], (stage, actions)
        targets = sorted((a["target"]["@odata.type"].rsplit(".", 1)[-1], a["target"].get("groupId"))
                         for a in policy.get("assignments") or [])
        if stage == "disabled":
            assert targets == [], targets
        else:
            assert targets == [("exclusionGroupAssignmentTarget", groups["Emergency Access"]),
                               ("groupAssignmentTarget", groups["Mobile Pilot"])], (stage, targets)
    default = next(o for o in stored(graph_sandbox, "deviceEnrollmentConfigurations")
                   if o["id"].endswith("_DefaultPlatformRestrictions"))
    assert default["androidRestriction"]["platformBlocked"] is True
    assert default["androidForWorkRestriction"]["platformBlocked"] is False


def test_an_unknown_stage_or_variable_is_refused_before_anything_is_read(run_playbook, graph_sandbox, tmp_path):
    bad = policies()[:1]
    bad[0]["rollout"] = "enforce"
    since = len(settled(graph_sandbox))
    run = run_playbook(playbook(tmp_path, device_compliance_policies=bad))
    assert run.rc != 0, run
    assert "'enforce'" in run.stdout and "report_only, pilot, enforced, disabled" in run.stdout
    run = run_playbook(playbook(tmp_path, device_compliance_pilot_group=["Mobile Pilot"]))
    assert run.rc != 0, run
    assert "device_compliance_pilot_group" in run.stdout and "device_compliance_pilot_groups" in run.stdout
    assert [r for r in settled(graph_sandbox)[since:] if r["service"] == "graph"] == []


COMPLIANT_PHONES = {
    "display_name": "TG - Pilot: compliant phones for Office 365", "rollout": "enforced",
    "conditions": {"users": {"include_groups": ["Mobile Pilot"]},
                   "applications": {"include_applications": ["Office365"]},
                   "platforms": {"include_platforms": ["iOS", "android"]}, "client_app_types": ["all"]},
    "grant_controls": {"operator": "OR", "built_in_controls": ["compliantDevice"]}}
IOS_PILOT = {"display_name": "TG - iOS enrolled - Level 2", "platform": "ios", "baseline": "level2",
             "os_minimum_version": "17.0", "rollout": "enforced",
             "assignments": {"include_groups": ["Mobile Pilot"], "exclude_groups": ["Emergency Access Accounts"]}}

ANDROID_PILOT = dict(IOS_PILOT, display_name="TG - Android work profile - Level 2", platform="android_work_profile",
                     os_minimum_version="13.0")


def contoso_vars(tmp_path, compliance):
    """The example vars with an enforced policy that requires a compliant phone, and ``compliance`` as policies."""
    tenant = yaml.safe_load((conftest.REPO / "playbooks" / "vars" / "contoso.yml").read_text(encoding="utf-8"))
    tenant["conditional_access_policies"] = tenant["conditional_access_policies"] + [COMPLIANT_PHONES]
    tenant["device_compliance_policies"] = compliance
    path = tmp_path / "tenant.yml"
    path.write_text(yaml.safe_dump(tenant), encoding="utf-8")
    return str(path)


def harden_seed():
    return json.loads((conftest.REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))


class TestHardening:
    """tenant_hardening writes the compliance policies before the conditional access policies, so that an enforced
    policy that requires a compliant phone is accepted in the same run that assigns its compliance policies."""

    @pytest.fixture
    def sandbox_seed(self):
        return harden_seed()

    def test_compliance_is_assigned_before_the_policy_that_requires_it(self, run_playbook, graph_sandbox, tmp_path):
        tenant = yaml.safe_load((conftest.REPO / "playbooks" / "vars" / "contoso.yml").read_text(encoding="utf-8"))
        harden = conftest.REPO / "playbooks" / "harden_tenant.yml"
        run = run_playbook(harden, extra_vars={"tenant_vars_file": contoso_vars(
            tmp_path, tenant["device_compliance_policies"] + [IOS_PILOT, ANDROID_PILOT])})
        assert run.rc == 0, run
        summary = run.stdout.split("Summarise what changed", 1)[1]
        assert "device compliance policy TG - iOS enrolled - Level 2: created" in summary
        assert "conditional access policy TG - Pilot: compliant phones for Office 365: created" in summary
        order = [r["path"] for r in settled(graph_sandbox) if r["service"] == "graph" and r["method"] == "POST"]
        first_compliance = min(i for i, p in enumerate(order) if p.endswith("/deviceCompliancePolicies"))
        ca_creates = [i for i, p in enumerate(order) if p.endswith("/conditionalAccess/policies")]
        assert ca_creates and first_compliance < min(ca_creates), order
        stored_ca = dict((p["displayName"], p) for p in stored(graph_sandbox, "conditionalAccessPolicies"))
        assert stored_ca[COMPLIANT_PHONES["display_name"]]["state"] == "enabled"

    def test_without_compliance_the_policy_is_refused(self, run_playbook, graph_sandbox, tmp_path):
        harden = conftest.REPO / "playbooks" / "harden_tenant.yml"
        run = run_playbook(harden, extra_vars={"tenant_vars_file": contoso_vars(tmp_path, [])})
        assert run.rc != 0, run
        assert "compliance" in run.stdout.lower() and COMPLIANT_PHONES["display_name"] in run.stdout
        stored_ca = [p["displayName"] for p in stored(graph_sandbox, "conditionalAccessPolicies")]
        assert COMPLIANT_PHONES["display_name"] not in stored_ca
        # The conditional access check counts the compliance policies the device compliance check plans (none here)
        # and refuses the policy before anything is written: no app protection, no enrolment restriction.
        assert graph_writes(graph_sandbox) == []
