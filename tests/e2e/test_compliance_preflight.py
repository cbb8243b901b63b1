"""The compliance pre-flight of conditional_access_policy, end to end: an enforced policy that requires a compliant
device on iOS and Android is refused while no compliance policy is assigned for them (0 writes), goes through with
a warning when acknowledged, and without one once device_compliance_policy has assigned policies; the lockout
pre-flight refuses a compliant-device requirement that would lock out an emergency-access account even then."""

import copy

import pytest

import conftest
from conftest import SEED, settled

PLAY = """---
- name: Compliant device requirements
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    tenantguard.m365.conditional_access_policy:
      emergency_access:
        groups: [Emergency Access]
  tasks:
%s
"""
CA = """
    - name: Compliant phones for the pilot
      tenantguard.m365.conditional_access_policy:
        display_name: %(name)s
        policy_state: enabled
        acknowledge_lockout_risk: %(ack)s
        conditions:
          users: {include_groups: [%(group)s], exclude_groups: [%(excluded)s]}
          applications: {include_applications: [%(apps)s]}
          platforms: {include_platforms: %(platforms)s}
          client_app_types: [all]
        grant_controls: {built_in_controls: [compliantDevice]}
"""
COMPLIANCE = """
    - name: Compliance policies for both platforms
      tenantguard.m365.device_compliance_policy:
        device_compliance_policies:
          - {display_name: E2E iOS, platform: ios, baseline: level2, os_minimum_version: "17.0",
             assignments: {include_groups: [Mobile Pilot]}}
          - {display_name: E2E Android, platform: android_work_profile, baseline: level2, os_minimum_version: "13.0",
             assignments: {include_groups: [Mobile Pilot]}}
"""


@pytest.fixture
def sandbox_seed():
    """The e2e tenant with members in the pilot group (an enforced policy for an empty group is refused)."""
    seed = copy.deepcopy(SEED)
    for group in seed["groups"]:
        if group["displayName"] == "Mobile Pilot":
            group["members"] = ["adele@contoso.onmicrosoft.com", "alex@contoso.onmicrosoft.com"]
    return seed


def ca(name, ack="false", group="Mobile Pilot", excluded="Emergency Access", platforms="[iOS, android]",
       apps="Office365"):
    return CA % {"name": name, "ack": ack, "group": group, "excluded": excluded, "platforms": platforms,
                 "apps": apps}


def run(run_playbook, sandbox, tmp_path, name, tasks):
    path = tmp_path / (name + ".yml")
    path.write_text(PLAY % tasks)
    since = len(settled(sandbox))
    result = run_playbook(str(path))
    return result, conftest.graph_writes(sandbox, since, ("method", conftest.last_segment, "status"),
                                         bulk_reads=False)


def test_compliant_device_needs_an_assigned_compliance_policy(run_playbook, graph_sandbox, tmp_path):
    path = tmp_path / "both.yml"
    path.write_text(PLAY % (COMPLIANCE + ca("E2E compliant phones")))
    since = len(settled(graph_sandbox))
    checked = run_playbook(str(path), "--check")
    assert checked.rc == 0 and "Compliance pre-flight" in checked.stdout + checked.stderr, checked
    assert conftest.graph_writes(graph_sandbox, since) == []

    refused, writes = run(run_playbook, graph_sandbox, tmp_path, "refused", ca("E2E compliant phones"))
    assert refused.rc != 0 and writes == [], (writes, refused)
    assert "Compliance pre-flight" in refused.stdout and "iOS and android" in refused.stdout

    acknowledged, writes = run(run_playbook, graph_sandbox, tmp_path, "acknowledged",
                               ca("E2E acknowledged", ack="true"))
    assert acknowledged.rc == 0 and [w[0] for w in writes] == ["POST"], (writes, acknowledged)
    assert "Compliance pre-flight" in acknowledged.stdout + acknowledged.stderr

    covered, writes = run(run_playbook, graph_sandbox, tmp_path, "covered", COMPLIANCE + ca("E2E compliant phones"))
    assert covered.rc == 0 and covered.recap["changed"] == 2, covered
    assert "Compliance pre-flight" not in covered.stdout + covered.stderr


def test_a_compliant_device_requirement_that_locks_out_an_emergency_account_is_refused(
        run_playbook, graph_sandbox, tmp_path):
    assert run(run_playbook, graph_sandbox, tmp_path, "compliance", COMPLIANCE)[0].rc == 0
    refused, writes = run(run_playbook, graph_sandbox, tmp_path, "lockout",
                          ca("E2E emergency locked out", group="Emergency Access", excluded="Mobile Pilot",
                             platforms="[all]", apps="All"))
    assert refused.rc != 0 and writes == [], (writes, refused)
    assert "Lockout pre-flight" in refused.stdout and "Emergency Access" in refused.stdout
