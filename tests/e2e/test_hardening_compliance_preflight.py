"""The compliance pre-flight in tenant_hardening, before any write: the device compliance check runs first and the
conditional access check counts the compliance policies it plans (compliance_policies_planned), so that an enforced
policy that requires a compliant phone nobody's compliance policy backs fails the run with nothing written (no Graph
write, no Exchange command other than Get-), in check mode as when applied; and a policy whose compliance policies
are declared in the same vars goes through check, apply and a second apply (unchanged), the compliance policies
written before the conditional access policy. Through the module: check mode refuses a gap of an emergency-access
account once it is told what the earlier task plans, where it only warned before."""

import json

import pytest
import yaml

import conftest
from conftest import SEED, settled, stored, with_pilot_members

HARDEN = conftest.REPO / "playbooks" / "harden_tenant.yml"
EVERYONE_COMPLIANT = {
    "display_name": "TG - Everyone: compliant phones for Office 365", "rollout": "enforced",
    "conditions": {"users": {"include_users": ["All"]},
                   "applications": {"include_applications": ["Office365"]},
                   "platforms": {"include_platforms": ["iOS", "android"]}, "client_app_types": ["all"]},
    "grant_controls": {"operator": "OR", "built_in_controls": ["compliantDevice"]}}
IOS_STAFF = {"display_name": "TG - iOS - Level 2", "platform": "ios", "baseline": "level2",
             "os_minimum_version": "17.0", "rollout": "enforced",
             "assignments": {"include_groups": ["All Staff"]}}
IOS_EVERYONE = dict(IOS_STAFF, assignments={"all_users": True})
ANDROID_EVERYONE = {"display_name": "TG - Android work profile - Level 2", "platform": "android_work_profile",
                    "baseline": "level2", "os_minimum_version": "13.0", "rollout": "enforced",
                    "assignments": {"all_users": True}}


def tenant_vars(tmp_path, compliance, name="tenant.yml", **extra):
    """The example vars with the enforced compliant-phone policy for everyone, and ``compliance`` as the device
    compliance policies (the example's own one replaced)."""
    tenant = yaml.safe_load((conftest.REPO / "playbooks" / "vars" / "contoso.yml").read_text(encoding="utf-8"))
    tenant.update(extra)
    tenant["conditional_access_policies"] = tenant["conditional_access_policies"] + [EVERYONE_COMPLIANT]
    tenant["device_compliance_policies"] = compliance
    path = tmp_path / name
    path.write_text(yaml.safe_dump(tenant), encoding="utf-8")
    return {"tenant_vars_file": str(path)}


def cmdlet(row):
    return (((row.get("body") or {}).get("CmdletInput") or {}).get("CmdletName") or "")


def writes(rows):
    """Every write of ``rows``: a Graph POST/PATCH/PUT/DELETE other than the POSTs that only read ($batch of GETs,
    getByIds; a write inside a $batch counts), an Exchange cmdlet other than Get-*."""
    found = []
    for row in rows:
        if row["service"] == "graph" and row["method"] in conftest.WRITES:
            if not row["path"].endswith(conftest.READ_POSTS):
                found.append((row["method"], row["path"]))
            elif row["path"].endswith("/$batch"):
                found.extend((sub.get("method"), sub.get("url")) for sub in (row.get("body") or {}).get("requests") or []
                             if str(sub.get("method", "GET")).upper() != "GET")
        elif row["service"] == "exchange" and not cmdlet(row).lower().startswith("get-"):
            found.append(("cmdlet", cmdlet(row)))
    return found


def counts(rows):
    graph = [r for r in rows if r["service"] == "graph"]
    return {"graph": len(graph), "graph_get": len([r for r in graph if r["method"] == "GET"]),
            "exchange": len([r for r in rows if r["service"] == "exchange"]), "writes": len(writes(rows))}


def harden(run_playbook, sandbox, extra_vars, *args):
    since = len(settled(sandbox))
    run = run_playbook(HARDEN, *args, extra_vars=extra_vars)
    return run, settled(sandbox)[since:]


def harden_seed():
    return json.loads((conftest.REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))


class TestHardening:

    @pytest.fixture
    def sandbox_seed(self):
        return harden_seed()

    def test_an_unbacked_requirement_is_refused_before_any_write_in_apply_and_check_mode(
            self, run_playbook, graph_sandbox, tmp_path):
        extra = tenant_vars(tmp_path, [IOS_STAFF])
        for args in ([], ["--check", "--diff"]):
            run, rows = harden(run_playbook, graph_sandbox, extra, *args)
            assert run.rc != 0, (args, run)
            message = run.stdout.split("fatal:", 1)[1].strip().splitlines()[0]
            print("\n%s refused run: %s\n%s" % (" ".join(args) or "apply", counts(rows), message))
            assert writes(rows) == [], (args, writes(rows))
            # The run stopped at the conditional access check, in check mode, before app protection.
            failed = run.stdout.split("fatal:", 1)[1]
            assert "Compliance pre-flight" in failed, (args, failed)
            assert EVERYONE_COMPLIANT["display_name"] in failed
            assert "counting the compliance policies the play writes before it" in failed
            assert "on android for" in failed and "everyone it applies to there would be blocked" in failed
            # Named as the user wrote it: the variable and item, and the group the compliance policy assigns by name.
            assert "conditional_access_policies[1] ('%s'): Compliance pre-flight" % EVERYONE_COMPLIANT["display_name"] \
                in failed, failed
            assert "on iOS for all members (those users would be blocked there)" in failed
            assert "member of All Staff" in failed
            assert "nothing was changed" in failed
            assert "TASK [Converge the app protection policies]" not in run.stdout, args
            assert "TASK [tenantguard.m365.app_protection" not in run.stdout, args
        assert EVERYONE_COMPLIANT["display_name"] not in [p["displayName"] for p in
                                                          stored(graph_sandbox, "conditionalAccessPolicies")]
        assert IOS_STAFF["display_name"] not in [p["displayName"] for p in
                                                 stored(graph_sandbox, "deviceCompliancePolicies")]

    def test_without_entra_id_p1_no_conditional_access_is_checked_and_compliance_is_written(
            self, run_playbook, graph_sandbox, tmp_path):
        extra = tenant_vars(tmp_path, [IOS_STAFF], tenant_hardening_conditional_access=False)
        run, rows = harden(run_playbook, graph_sandbox, extra)
        assert run.rc == 0, run
        assert not [r for r in rows if r["service"] == "graph" and "conditionalAccess" in r["path"]]
        assert ("POST", "/beta/deviceManagement/deviceCompliancePolicies") in writes(rows), writes(rows)
        assert "Compliance pre-flight" not in run.stdout + run.stderr

    def test_declared_compliance_for_both_platforms_passes_check_apply_and_a_second_apply(
            self, run_playbook, graph_sandbox, tmp_path):
        extra = tenant_vars(tmp_path, [IOS_EVERYONE, ANDROID_EVERYONE])
        assert not [p for p in stored(graph_sandbox, "deviceCompliancePolicies") if p.get("assignments")]

        checked, rows = harden(run_playbook, graph_sandbox, extra, "--check")
        assert checked.rc == 0, checked
        assert writes(rows) == []
        # Counted as planned, the compliance policies leave no gap: no warning that the real run may refuse.
        assert "Compliance pre-flight" not in checked.stdout + checked.stderr, checked
        summary = checked.stdout.split("Summarise what changed", 1)[1]
        assert "conditional access policy %s: created" % EVERYONE_COMPLIANT["display_name"] in summary

        applied, rows = harden(run_playbook, graph_sandbox, extra)
        assert applied.rc == 0, applied
        assert "Compliance pre-flight" not in applied.stdout + applied.stderr
        posts = [r["path"] for r in rows if r["service"] == "graph" and r["method"] == "POST"]
        compliance = [i for i, p in enumerate(posts) if p.endswith("/deviceCompliancePolicies")]
        ca = [i for i, p in enumerate(posts) if p.endswith("/conditionalAccess/policies")]
        assert len(compliance) == 2 and ca and max(compliance) < min(ca), posts

        again, rows = harden(run_playbook, graph_sandbox, extra)
        assert again.rc == 0 and again.recap["changed"] == 0, again
        assert writes(rows) == [], writes(rows)

        policies = dict((p["displayName"], p) for p in stored(graph_sandbox, "conditionalAccessPolicies"))
        assert policies[EVERYONE_COMPLIANT["display_name"]]["state"] == "enabled"
        compliance = dict((p["displayName"], p) for p in stored(graph_sandbox, "deviceCompliancePolicies"))
        for declared in (IOS_EVERYONE, ANDROID_EVERYONE):
            targets = [a["target"]["@odata.type"] for a in compliance[declared["display_name"]]["assignments"]]
            assert targets == ["#microsoft.graph.allLicensedUsersAssignmentTarget"], targets


PLAY = """---
- name: Compliant phones for the emergency accounts
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Plan the compliance policies
      tenantguard.m365.device_compliance_policy:
        device_compliance_policies:
          - {display_name: E2E iOS, platform: ios, baseline: level2, os_minimum_version: "17.0",
             assignments: %(assignments)s}
      register: compliance
    - name: Compliant phones for the emergency accounts
      tenantguard.m365.conditional_access_policy:
        display_name: E2E emergency phones
        policy_state: enabled
        emergency_access: {groups: [Emergency Access]}
        conditions:
          users: {include_groups: [Emergency Access], exclude_groups: [Mobile Pilot]}
          applications: {include_applications: [Office365]}
          platforms: {include_platforms: [iOS]}
          client_app_types: [all]
        grant_controls: {built_in_controls: [compliantDevice]}
%(planned)s
"""
PLANNED = """        compliance_policies_planned: "{{ compliance.device_compliance_policies }}"
        compliance_policies_removed: >-
          {{ compliance.actions | selectattr('action', 'eq', 'deleted') | map(attribute='id') | list }}
"""


@pytest.fixture
def sandbox_seed():
    return with_pilot_members(SEED)


def module_run(run_playbook, sandbox, tmp_path, name, assignments, planned):
    path = tmp_path / (name + ".yml")
    path.write_text(PLAY % {"assignments": assignments, "planned": PLANNED if planned else ""}, encoding="utf-8")
    since = len(settled(sandbox))
    run = run_playbook(str(path), "--check")
    return run, settled(sandbox)[since:]


def test_check_mode_refuses_an_emergency_account_gap_once_told_what_the_earlier_task_plans(
        run_playbook, graph_sandbox, tmp_path):
    pilot_only = "{include_groups: [Mobile Pilot]}"
    # Not told: check mode cannot know what the earlier task assigns, so it warns and goes on.
    warned, rows = module_run(run_playbook, graph_sandbox, tmp_path, "untold", pilot_only, planned=False)
    assert warned.rc == 0 and writes(rows) == [], warned
    assert "unless an earlier task assigns one" in warned.stdout + warned.stderr

    # Told: the planned iOS policy covers the pilot only, so the emergency accounts have no compliance policy on iOS.
    refused, rows = module_run(run_playbook, graph_sandbox, tmp_path, "told", pilot_only, planned=True)
    assert refused.rc != 0 and writes(rows) == [], refused
    failed = refused.stdout.split("fatal:", 1)[1]
    assert "Compliance pre-flight" in failed and "E2E emergency phones" in failed
    assert "emergency-access account" in failed and "breakglass1@contoso.onmicrosoft.com" in failed
    assert "counting the compliance policies the play writes before it" in failed

    # Told, and the planned policy is assigned to all users: nothing to refuse or warn about.
    passed, rows = module_run(run_playbook, graph_sandbox, tmp_path, "covered", "{all_users: true}", planned=True)
    assert passed.rc == 0 and writes(rows) == [], passed
    assert "Compliance pre-flight" not in passed.stdout + passed.stderr
