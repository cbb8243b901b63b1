"""The compliance pre-flight of conditional_access_policy, end to end: an enforced policy that requires a compliant
device on iOS and Android is refused while no compliance policy is assigned for them (0 writes), goes through with
a warning when acknowledged, and without one once device_compliance_policy has assigned policies; the lockout
pre-flight refuses a compliant-device requirement that would lock out an emergency-access account even then."""


import pytest

import conftest
from conftest import SEED, settled, with_pilot_members

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
    return with_pilot_members(SEED)


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


def test_groups_side_all_platforms_existing_gaps_and_emergency_accounts(run_playbook, graph_sandbox, tmp_path):
    """Groups, not only platforms: a policy for all platforms is checked on iOS and Android; a gap the policy already
    has while enforced is a warning; a gap for some of its users only is reported and written; a gap that blocks an
    emergency-access account on a phone is refused even when other users have a compliance policy."""
    acknowledged, writes = run(run_playbook, graph_sandbox, tmp_path, "all_platforms",
                               ca("E2E pilot phones", ack="true", platforms="[all]"))
    assert acknowledged.rc == 0 and [w[0] for w in writes] == ["POST"], (writes, acknowledged)
    output = acknowledged.stdout + acknowledged.stderr
    assert "Compliance pre-flight" in output and "iOS and android" in output and "member of Mobile Pilot" in output

    # The same policy changed, not acknowledged: the gap is the one it already has, so the change goes through.
    existing, writes = run(run_playbook, graph_sandbox, tmp_path, "existing",
                           ca("E2E pilot phones", platforms="[all]", apps="All"))
    assert existing.rc == 0 and [w[0] for w in writes] == ["PATCH"], (writes, existing)
    assert "this task does not change it" in existing.stdout + existing.stderr

    assert run(run_playbook, graph_sandbox, tmp_path, "compliance", COMPLIANCE)[0].rc == 0
    # Everyone but the pilot has no compliance policy: reported, written (the pilot's phones are covered).
    partial, writes = run(run_playbook, graph_sandbox, tmp_path, "partial", """
    - name: Compliant phones for everyone
      tenantguard.m365.conditional_access_policy:
        display_name: E2E everyone on compliant phones
        policy_state: enabled
        conditions:
          users: {include_users: [All], exclude_groups: [Emergency Access]}
          applications: {include_applications: [Office365]}
          platforms: {include_platforms: [iOS, android]}
          client_app_types: [all]
        grant_controls: {built_in_controls: [compliantDevice]}
""")
    assert partial.rc == 0 and [w[0] for w in writes] == ["POST"], (writes, partial)
    output = partial.stdout + partial.stderr
    assert "Compliance pre-flight" in output and "all members" in output and "member of Mobile Pilot" not in output

    # The emergency-access accounts on an iPhone: the lockout pre-flight (an unmanaged Windows device) lets it
    # through, the compliance pre-flight refuses it: no compliance policy is assigned to them.
    refused, writes = run(run_playbook, graph_sandbox, tmp_path, "emergency",
                          ca("E2E emergency phones", group="Emergency Access", excluded="Mobile Pilot",
                             platforms="[iOS]"))
    assert refused.rc != 0 and writes == [], (writes, refused)
    assert "Compliance pre-flight" in refused.stdout and "emergency-access account" in refused.stdout
    assert "breakglass1@contoso.onmicrosoft.com" in refused.stdout
