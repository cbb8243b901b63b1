"""Each role refuses a misspelt variable of its namespace as its first task: one message naming the
variable and the documented name it resembles, and not one request to the sandbox (not even a token)."""
import pytest

from conftest import REPO

EMERGENCY = {"users": ["breakglass1@contoso.onmicrosoft.com"], "groups": ["Emergency Access"]}

# role -> (playbook, the variables it needs to get past its argument specs, misspelt -> meant)
CASES = {
    "app_protection": ("role_variables.yml", {}, {"app_protection_policy": "app_protection_policies"}),
    "conditional_access": ("role_variables.yml", {"conditional_access_emergency_access": EMERGENCY},
                           {"conditional_access_polices": "conditional_access_policies"}),
    "device_report": (REPO / "playbooks" / "audit_devices.yml", {"device_report_dir": "{{ out_dir }}/devices"},
                      {"device_report_tilte": "device_report_title"}),
    "outlook_mobile": ("role_variables.yml", {"outlook_mobile_emergency_access": EMERGENCY},
                       {"outlook_mobile_rollout_mfa_all_user": "outlook_mobile_rollout_mfa_all_users",
                        "conditional_access_purge_name_patern": "conditional_access_purge_name_pattern"}),
    "posture_report": (REPO / "playbooks" / "posture_report.yml", {"posture_report_dir": "{{ out_dir }}/posture"},
                       {"posture_report_sectons": "posture_report_sections"}),
    "rollout_readiness": (REPO / "playbooks" / "rollout_readiness.yml",
                          {"rollout_readiness_dir": "{{ out_dir }}/readiness"},
                          {"rollout_readiness_evidense": "rollout_readiness_evidence"}),
    "tenant_export": (REPO / "playbooks" / "export_tenant.yml", {"tenant_export_file": "{{ out_dir }}/tenant.yml"},
                      {"tenant_export_app_protecton": "tenant_export_app_protection"}),
    # The issue's own examples: every namespace tenant_hardening drives is checked before its first read.
    "tenant_hardening": (REPO / "playbooks" / "harden_tenant.yml", {}, {
        "tenant_hardening_sumary": "tenant_hardening_summary",
        "tenant_hardening_pilot_group": "tenant_hardening_pilot_groups",
        "outlook_mobile_rollout_mfa_all_user": "outlook_mobile_rollout_mfa_all_users",
        "outlook_mobile_app_protection_levle": "outlook_mobile_app_protection_level",
        "app_protection_policy": "app_protection_policies",
        "device_report_statistic": "device_report_statistics",
    }),
}


@pytest.mark.parametrize("role", sorted(CASES))
def test_a_misspelt_variable_is_refused_before_any_request(role, run_playbook, graph_sandbox):
    playbook, needed, misspelt = CASES[role]
    extra = {"role_under_test": role}
    extra.update(needed)
    extra.update((name, "enforced") for name in misspelt)
    since = len(graph_sandbox.requests())
    run = run_playbook(playbook, extra_vars=extra)
    assert run.rc != 0, run
    assert run.recap["failed"] == 1, run
    expected = "Unknown variable(s) " + "; ".join(
        "%s (did you mean %s?)" % (name, misspelt[name]) for name in sorted(misspelt)) + ". Nothing was read or written."
    assert expected in run.stdout, run
    # Printed once, and without the list of every variable the role takes.
    # One failed task, each name once in it, without the list of every variable the role takes.
    fatal = [line for line in run.stdout.splitlines() if line.startswith("fatal:")]
    assert len(fatal) == 1 and expected in fatal[0], run
    for name in misspelt:
        assert fatal[0].count(name + " ") == 1, run
    assert "argument_spec" not in run.stdout, run
    assert graph_sandbox.requests()[since:] == [], run
