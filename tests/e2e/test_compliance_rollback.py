"""Backups and rollback of compliance policies and enrolment restrictions: a change set (a policy's settings,
actions and assignments changed, another deleted, the default enrolment restriction changed) is restored with
backup_restore from the task's backup files; the stored state, read directly from the sandbox, is the state before
the change set again (the deleted policy created again), and restoring again changes nothing."""


import conftest
from conftest import settled, stored

PLAY = """---
- name: Compliance change set
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
%s
"""
BEFORE = """
    - name: Two policies
      tenantguard.m365.device_compliance_policy:
        device_compliance_policies:
          - display_name: E2E kept
            platform: ios
            baseline: level2
            os_minimum_version: "17.0"
            actions: {block_after_hours: 24}
            assignments: {include_groups: [Mobile Pilot]}
          - display_name: E2E deleted
            platform: android_work_profile
            password_required: true
            assignments: {all_users: true}
"""
CHANGES = """
    - name: Change one policy and delete the other
      tenantguard.m365.device_compliance_policy:
        device_compliance_policies:
          - display_name: E2E kept
            platform: ios
            baseline: level3
            os_minimum_version: "18.0"
            actions: {block_after_hours: 0, retire_after_days: 10}
            assignments: {all_devices: true}
          - display_name: E2E deleted
            state: absent
      register: compliance
    - name: Change the default enrolment restriction
      tenantguard.m365.enrollment_restriction:
        default: true
        android_device_administrator: {platform_blocked: true}
      register: restriction
    - name: Save the backup files
      ansible.builtin.copy:
        content: "{{ [compliance.backup_file, restriction.backup_file] | to_json }}"
        dest: "{{ out_dir }}/backups.json"
        mode: "0600"
      check_mode: false
      changed_when: false
"""
RESTORE = """
    - name: Restore
      tenantguard.m365.backup_restore:
        backup_file: "{{ backup_files }}"
"""
KEPT = ("@odata.type", "description", "passcodeExpirationDays", "osMinimumVersion", "deviceThreatProtectionEnabled",
        "deviceThreatProtectionRequiredSecurityLevel", "passwordRequired")


def snapshot(sandbox):
    """What matters of the stored objects, without ids and times."""
    policies = {}
    for policy in stored(sandbox, "deviceCompliancePolicies"):
        policies[policy["displayName"]] = (
            dict((k, policy.get(k)) for k in KEPT),
            sorted((a["actionType"], a["gracePeriodHours"])
                   for r in policy["scheduledActionsForRule"] for a in r["scheduledActionConfigurations"]),
            sorted((a["target"]["@odata.type"], a["target"].get("groupId")) for a in policy["assignments"]))
    default = next(o for o in stored(sandbox, "deviceEnrollmentConfigurations")
                   if o["id"].endswith("_DefaultPlatformRestrictions"))
    return policies, default["androidRestriction"]


def write(tmp_path, name, tasks):
    path = tmp_path / name
    path.write_text(PLAY % tasks)
    return str(path)


def test_compliance_change_set_is_rolled_back(run_playbook, graph_sandbox, tmp_path):
    assert run_playbook(write(tmp_path, "before.yml", BEFORE)).rc == 0
    before = snapshot(graph_sandbox)
    assert set(before[0]) == {"E2E kept", "E2E deleted"}
    changed = run_playbook(write(tmp_path, "changes.yml", CHANGES))
    assert changed.rc == 0 and changed.recap["changed"] == 2, changed
    assert snapshot(graph_sandbox) != before
    files = changed.output("backups")
    restore = write(tmp_path, "restore.yml", RESTORE)
    for args, wanted_changed, writes_expected in ((["--check"], 1, False), ([], 1, True), ([], 0, False)):
        since = len(settled(graph_sandbox))
        run = run_playbook(restore, *args, extra_vars={"backup_files": files})
        assert run.rc == 0 and run.recap["changed"] == wanted_changed, (args, run)
        writes = conftest.graph_writes(graph_sandbox, since, ("method", conftest.last_segment, "status"),
                                       bulk_reads=False)
        assert bool(writes) == writes_expected, (args, writes)
    assert snapshot(graph_sandbox) == before
