"""backup_restore puts back what the Exchange modules changed, from their backup files, against the sandbox.

* The exchange_mobile_access role (enforced: an allow rule, a block rule, the default access level Quarantine, the
  administrators notified) is undone in four steps (check, apply, check, apply: changed, changed, unchanged,
  unchanged); the stored Exchange state, read directly from the sandbox, is the state before the role again, every
  device's access included. The default goes back to Allow before the allow rule is removed. The restore's own
  backup file puts the role's state back (a restore can be undone).
* A mixed change set, Graph and Exchange in one play (a named location created; a device access rule removed; a
  mailbox policy created and assigned to a mailbox; the default policy and the organisation settings updated), is
  restored by ONE backup_restore task from all its backup files: the rule created again, the mailbox set back
  before the policy it used is removed, the named location deleted.
* What Exchange would refuse is refused before any command that writes: a created policy that is now the default.
"""

import json
import os

import pytest

import conftest
from conftest import settled
from test_exchange_mobile_access import CONTOSO, OUTLOOK, commands, exo, writes

ENFORCED = {"exchange_mobile_access_rollout": "enforced",
            "exchange_mobile_access_admin_mail_recipients": ["admin@contoso.onmicrosoft.com"],
            "exchange_mobile_access_rules": [{"query_string": "SM-S918B", "characteristic": "DeviceModel",
                                              "access_level": "Block"}]}
PLAY = """---
- name: Exchange restore test play
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
%s
"""
RESTORE = """
    - name: Restore
      tenantguard.m365.backup_restore:
        backup_file: "{{ backup_files }}"
      diff: true
      register: restored

    - name: Save the result
      ansible.builtin.copy:
        content: "{{ restored | to_json }}"
        dest: "{{ out_dir }}/restore.json"
        mode: "0600"
      check_mode: false
      changed_when: false
"""
# Server-kept fields that say when, not what.
TIMES = ("WhenChanged", "WhenCreated", "WhenChangedUTC", "WhenCreatedUTC")


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def play(tmp_path, name, tasks):
    path = tmp_path / name
    path.write_text(PLAY % tasks)
    return str(path)


def without_times(row):
    return dict((k, v) for k, v in row.items() if k not in TIMES)


def state(sandbox):
    """Everything of the Exchange mobile layer that the modules set, read directly from the sandbox."""
    return {
        "settings": without_times(exo(sandbox, "Get-ActiveSyncOrganizationSettings")[0]),
        "rules": dict((r["Identity"], without_times(r)) for r in exo(sandbox, "Get-ActiveSyncDeviceAccessRule")),
        "policies": dict((p["Name"], without_times(p)) for p in exo(sandbox, "Get-MobileDeviceMailboxPolicy")),
        "mailboxes": dict((m["Identity"], without_times(m))
                          for m in exo(sandbox, "Get-CASMailbox", {"ResultSize": "Unlimited"})),
        "devices": dict((d["DeviceId"], (d["DeviceAccessState"], d["DeviceAccessStateReason"],
                                         d.get("DeviceAccessControlRule")))
                        for d in exo(sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"})),
    }


def differences(before, after):
    out = {}
    for part in before:
        for name in set(before[part]) | set(after[part]):
            if before[part].get(name) != after[part].get(name):
                out["%s %s" % (part, name)] = (before[part].get(name), after[part].get(name))
    return out


def backup_files(sandbox, tmp_path):
    folder = tmp_path / "backups" / sandbox.tenant_id
    return sorted(str(folder / n) for n in os.listdir(folder)) if folder.is_dir() else []


FOUR_STEPS = ((True, True), (False, True), (True, False), (False, False))


def restore_steps(run_playbook, sandbox, path, files):
    """Check, apply, check, apply (changed, changed, unchanged, unchanged): each step's result, the writes and the
    commands it sent."""
    out = []
    for check, changed in FOUR_STEPS:
        mark = len(settled(sandbox))
        run = run_playbook(path, *(["--check"] if check else []), extra_vars={"backup_files": files})
        assert run.rc == 0 and run.recap["failed"] == 0, run.stdout[-3000:]
        result = run.output("restore")
        assert result["changed"] is changed, (check, result)
        out.append((result, writes(sandbox, mark), commands(sandbox, mark)))
    return out


def test_role_run_restored_in_four_steps_and_the_restore_undone(run_playbook, graph_sandbox, tmp_path):
    before = state(graph_sandbox)
    role = run_playbook("exchange_mobile_access_role.yml", extra_vars=ENFORCED)
    assert role.rc == 0 and role.recap["failed"] == 0, role.stdout[-3000:]
    enforced = state(graph_sandbox)
    assert enforced["settings"]["DefaultAccessLevel"] == "Quarantine"
    assert set(enforced["rules"]) == {OUTLOOK + " (DeviceModel)", "SM-S918B (DeviceModel)"}
    files = backup_files(graph_sandbox, tmp_path)
    report = role.output("role")
    assert sorted(files) == sorted(set(r["backup_file"] for r in (report["rules"], report["settings"])))
    entries = [e for f in files for e in json.loads(open(f, encoding="utf-8").read())["entries"]]
    assert sorted((e["collection"], e["action"], e["display_name"]) for e in entries) == [
        ("exchange:ActiveSyncDeviceAccessRule", "create", OUTLOOK + " (DeviceModel)"),
        ("exchange:ActiveSyncDeviceAccessRule", "create", "SM-S918B (DeviceModel)"),
        ("exchange:ActiveSyncOrganizationSettings", "update", "Mobile Mailbox Settings")]

    path = play(tmp_path, "restore.yml", RESTORE)
    steps = restore_steps(run_playbook, graph_sandbox, path, files)
    (check, check_writes, check_commands), (apply, apply_writes, apply_commands) = steps[0], steps[1]
    # check mode: the two reads, nothing written; the plan and the diff in names
    assert check_writes == [] and len(check_commands) == 2
    assert sorted((a["noun"], a["display_name"], a["action"], a["backed_up_action"]) for a in check["actions"]) == [
        ("ActiveSyncDeviceAccessRule", OUTLOOK + " (DeviceModel)", "deleted", "create"),
        ("ActiveSyncDeviceAccessRule", "SM-S918B (DeviceModel)", "deleted", "create"),
        ("ActiveSyncOrganizationSettings", "Mobile Mailbox Settings", "updated", "update")]
    assert check["diff"]["before"]["ActiveSyncOrganizationSettings Mobile Mailbox Settings"]["DefaultAccessLevel"] \
        == "Quarantine"
    assert check["diff"]["after"]["ActiveSyncOrganizationSettings Mobile Mailbox Settings"]["DefaultAccessLevel"] \
        == "Allow"
    # apply: the block rule removed (gives access), the default back to Allow, then the allow rule removed
    assert apply_writes == [("Remove-ActiveSyncDeviceAccessRule", 200), ("Set-ActiveSyncOrganizationSettings", 200),
                            ("Remove-ActiveSyncDeviceAccessRule", 200)]
    removed = [r["body"]["CmdletInput"]["Parameters"].get("Identity") for r in settled(graph_sandbox)
               if r["service"] == "exchange" and isinstance(r.get("body"), dict) and "CmdletInput" in r["body"]
               and r["body"]["CmdletInput"]["CmdletName"] == "Remove-ActiveSyncDeviceAccessRule"
               and r["status"] == 200]
    assert removed == ["SM-S918B (DeviceModel)", OUTLOOK + " (DeviceModel)"]
    after = state(graph_sandbox)
    assert after == before, differences(before, after)
    # again: read only, nothing written
    assert steps[2][1] == [] and steps[3][1] == [] and len(steps[3][2]) == 2
    print("restore of the role's run: check %d commands, apply %d (%d writes), check %d, again %d"
          % (len(check_commands), len(apply_commands), len(apply_writes), len(steps[2][2]), len(steps[3][2])))

    # The restore kept its own backup file: restoring it puts the role's state back.
    undo = apply["backup_file"]
    assert undo not in files and os.path.exists(undo)
    run = run_playbook(path, extra_vars={"backup_files": [undo]})
    assert run.rc == 0 and run.output("restore")["changed"] is True, run.stdout[-3000:]
    again = state(graph_sandbox)
    assert again == enforced, differences(enforced, again)


BEFORE = """
    - name: A rule the change set removes
      tenantguard.m365.activesync_device_access_rule:
        query_string: Pixel 8
        characteristic: DeviceModel
        access_level: Quarantine
"""
CHANGES = """
    - name: A named location created
      tenantguard.m365.named_location:
        display_name: E2E restore office
        ip_ranges: [203.0.113.0/24]
      register: location

    - name: The rule removed
      tenantguard.m365.activesync_device_access_rule:
        query_string: Pixel 8
        characteristic: DeviceModel
        state: absent
      register: rule

    - name: A mailbox policy created
      tenantguard.m365.mobile_device_mailbox_policy:
        name: E2E restricted
        password_enabled: true
        min_password_length: 8
        allow_bluetooth: Disable
      register: created_policy

    - name: The default policy changed
      tenantguard.m365.mobile_device_mailbox_policy:
        name: Default
        allow_camera: false
        max_email_age_filter: OneMonth
      register: default_policy

    - name: A mailbox switched off and given the new policy
      tenantguard.m365.cas_mailbox_mobile:
        mailboxes: [lee@contoso.onmicrosoft.com]
        active_sync_enabled: false
        active_sync_mailbox_policy: E2E restricted
      register: mailbox

    - name: The organisation settings changed
      tenantguard.m365.activesync_organization_settings:
        default_access_level: Block
        user_mail_insert: Use Outlook for iOS and Android.
      register: settings

    - name: Save the backup files
      ansible.builtin.copy:
        content: "{{ [location, rule, created_policy, default_policy, mailbox, settings]
                     | map(attribute='backup_file') | list | to_json }}"
        dest: "{{ out_dir }}/backups.json"
        mode: "0600"
      check_mode: false
      changed_when: false
"""


def named_locations(sandbox):
    session = sandbox.session()
    response = session.get(sandbox.base_url + "/v1.0/identity/conditionalAccess/namedLocations",
                           headers={"Authorization": "Bearer " + sandbox.token()})
    assert response.status_code == 200, response.text
    return sorted(o["displayName"] for o in response.json()["value"])


def test_mixed_change_set_restored_by_one_task(run_playbook, graph_sandbox, tmp_path):
    assert run_playbook(play(tmp_path, "before.yml", BEFORE)).rc == 0
    before, locations = state(graph_sandbox), named_locations(graph_sandbox)
    changes = run_playbook(play(tmp_path, "changes.yml", CHANGES))
    assert changes.rc == 0 and changes.recap["changed"] == 6, changes.stdout[-3000:]
    files = changes.output("backups")
    assert len(set(files)) == 6
    changed = state(graph_sandbox)
    assert "E2E restricted" in changed["policies"] and "Pixel 8 (DeviceModel)" not in changed["rules"]
    assert "E2E restore office" in named_locations(graph_sandbox)

    path = play(tmp_path, "restore.yml", RESTORE)
    steps = restore_steps(run_playbook, graph_sandbox, path, files)
    assert steps[0][1] == []
    apply_writes = steps[1][1]
    # the Exchange writes in Exchange's order: the default policy set back, the mailbox set back, the default access
    # level back to Allow, then the Quarantine rule created again (it takes access away, so after the default), and
    # the created policy removed last (the mailbox no longer uses it)
    assert apply_writes == [("Set-MobileDeviceMailboxPolicy", 200), ("Set-CASMailbox", 200),
                            ("Set-ActiveSyncOrganizationSettings", 200), ("New-ActiveSyncDeviceAccessRule", 200),
                            ("Remove-MobileDeviceMailboxPolicy", 200)]
    graph = conftest.graph_writes(graph_sandbox, 0, ("method", "status"))
    assert graph[-1] == ("DELETE", 204)
    assert named_locations(graph_sandbox) == locations
    after = state(graph_sandbox)
    # lee followed the default policy; Exchange documents no way to take an assignment off, so the restore names
    # the policy that was the default (and says so): the same policy, assigned explicitly
    assert before["mailboxes"]["lee"]["ActiveSyncMailboxPolicyIsDefaulted"] is True
    assert after["mailboxes"]["lee"]["ActiveSyncMailboxPolicyIsDefaulted"] is False
    assert after["mailboxes"]["lee"]["ActiveSyncMailboxPolicy"] == "Default"
    assert "had no mobile device mailbox policy of its own" in steps[1][0]["warnings"][0]
    after["mailboxes"]["lee"]["ActiveSyncMailboxPolicyIsDefaulted"] = True
    assert after == before, differences(before, after)
    assert steps[2][1] == [] and steps[3][1] == []
    print("restore of the mixed change set, Exchange commands: check %d, apply %d (%d writes), check %d, again %d"
          % (len(steps[0][2]), len(steps[1][2]), len(apply_writes), len(steps[2][2]), len(steps[3][2])))
    actions = sorted((a["noun"], a["display_name"], a["action"]) for a in steps[1][0]["actions"])
    assert ("ActiveSyncDeviceAccessRule", "Pixel 8 (DeviceModel)", "created") in actions
    assert ("MobileDeviceMailboxPolicy", "E2E restricted", "deleted") in actions


REFUSED = """
    - name: A policy created as the default
      tenantguard.m365.mobile_device_mailbox_policy:
        name: E2E new default
        is_default: true
      register: created_policy

    - name: Save the backup file
      ansible.builtin.copy:
        content: "{{ [created_policy.backup_file] | to_json }}"
        dest: "{{ out_dir }}/backups.json"
        mode: "0600"
      check_mode: false
      changed_when: false
"""


def test_what_exchange_refuses_is_refused_before_any_write(run_playbook, graph_sandbox, tmp_path):
    changes = run_playbook(play(tmp_path, "refused.yml", REFUSED))
    assert changes.rc == 0, changes.stdout[-3000:]
    files = changes.output("backups")
    current = state(graph_sandbox)
    mark = len(settled(graph_sandbox))
    run = run_playbook(play(tmp_path, "restore.yml", RESTORE), extra_vars={"backup_files": files})
    assert run.rc != 0
    assert writes(graph_sandbox, mark) == []
    assert "E2E new default" in run.stdout and "default" in run.stdout and "entry 1" in run.stdout
    assert state(graph_sandbox) == current


def test_quarantine_approval_restored(run_playbook, graph_sandbox, tmp_path):
    role = run_playbook("exchange_mobile_access_role.yml", extra_vars=ENFORCED)
    assert role.rc == 0 and role.recap["failed"] == 0, role.stdout[-3000:]
    quarantined = state(graph_sandbox)
    device = sorted(d for d, s in quarantined["devices"].items() if s[0] == "Quarantined")[0]
    run = run_playbook("exchange_mobile_access.yml", extra_vars={
        "steps": [{"module": "quarantine", "args": {"approve": [device]}}]})
    assert run.rc == 0, run.stdout[-3000:]
    approval = run.output("exchange")["quarantine"][0]
    assert approval["changed"] is True and state(graph_sandbox)["devices"][device][0] == "Allowed"
    entries = json.loads(open(approval["backup_file"], encoding="utf-8").read())["entries"]
    assert [(e["collection"], e["action"], e["before"]["ActiveSyncAllowedDeviceIDs"]) for e in entries] == [
        ("exchange:CASMailbox", "update", [])]

    steps = restore_steps(run_playbook, graph_sandbox, play(tmp_path, "restore.yml", RESTORE),
                          [approval["backup_file"]])
    assert [len(s[1]) for s in steps] == [0, 1, 0, 0]
    assert steps[1][1] == [("Set-CASMailbox", 200)]
    after = state(graph_sandbox)
    assert after["devices"][device][0] == "Quarantined"
    assert after == quarantined, differences(quarantined, after)
