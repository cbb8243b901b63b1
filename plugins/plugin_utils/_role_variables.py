# -*- coding: utf-8 -*-
# Copyright: TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables each role of the collection knows, by role.

``options``: the options of the role's ``meta/argument_specs.yml`` (every entry point). ``internal``: the
names of the role's namespace that its own tasks and vars set (set_fact, register, task and role vars,
loop variables). A unit test (tests/unit/plugins/filter/test_unknown_variables.py) reads the roles and
asserts that these lists are exactly that, so that they cannot drift from the roles.
"""

from __future__ import annotations

ROLE_VARIABLES = {
    "app_protection": {
        "options": (
            "app_protection_api_version",
            "app_protection_configurations",
            "app_protection_policies",
        ),
        "internal": (
            "app_protection_changes",
            "app_protection_configuration_result",
            "app_protection_result",
        ),
    },
    "conditional_access": {
        "options": (
            "conditional_access_acknowledge_empty_groups",
            "conditional_access_acknowledge_policy_limit",
            "conditional_access_acknowledge_purge_risk",
            "conditional_access_acknowledge_unusable_emergency_access",
            "conditional_access_authentication_strengths",
            "conditional_access_default_rollout",
            "conditional_access_emergency_access",
            "conditional_access_named_locations",
            "conditional_access_pilot_groups",
            "conditional_access_pilot_suffix",
            "conditional_access_policies",
            "conditional_access_policy_limit",
            "conditional_access_policy_origins",
            "conditional_access_preflight",
            "conditional_access_purge",
            "conditional_access_purge_name_pattern",
            "conditional_access_reference_timeout",
        ),
        "internal": (
            "conditional_access_absent",
            "conditional_access_changes",
            "conditional_access_declared_named_locations",
            "conditional_access_declared_strengths",
            "conditional_access_excluded",
            "conditional_access_index",
            "conditional_access_known_locations",
            "conditional_access_label",
            "conditional_access_module_item",
            "conditional_access_named_locations_result",
            "conditional_access_pilot_copy",
            "conditional_access_pilot_users",
            "conditional_access_piloted",
            "conditional_access_planned",
            "conditional_access_policies_result",
            "conditional_access_policy_items",
            "conditional_access_policy_labels",
            "conditional_access_stage",
            "conditional_access_stage_excluded",
            "conditional_access_states",
            "conditional_access_strengths_result",
            "conditional_access_users",
        ),
    },
    "device_report": {
        "options": (
            "device_report_dir",
            "device_report_eas_only_rows",
            "device_report_exchange_access",
            "device_report_exchange_whatif",
            "device_report_filters",
            "device_report_phone_rows",
            "device_report_source",
            "device_report_statistics",
            "device_report_tenant_name",
            "device_report_title",
            "device_report_write_in_check_mode",
        ),
        "internal": (
            "device_report_directory",
            "device_report_exchange",
            "device_report_files",
            "device_report_inventory",
            "device_report_write",
        ),
    },
    "exchange_mobile_access": {
        "options": (
            "exchange_mobile_access_admin_mail_recipients",
            "exchange_mobile_access_default_access_level",
            "exchange_mobile_access_preview_rows",
            "exchange_mobile_access_purge_rules",
            "exchange_mobile_access_rollout",
            "exchange_mobile_access_rules",
            "exchange_mobile_access_user_mail_insert",
        ),
        "internal": (
            "exchange_mobile_access_changes",
            "exchange_mobile_access_declared_rules",
            "exchange_mobile_access_enforced",
            "exchange_mobile_access_index",
            "exchange_mobile_access_preview",
            "exchange_mobile_access_rule",
            "exchange_mobile_access_rules_check",
            "exchange_mobile_access_rules_result",
            "exchange_mobile_access_sent",
            "exchange_mobile_access_settings_check",
            "exchange_mobile_access_settings_result",
            "exchange_mobile_access_writes",
        ),
    },
    "outlook_mobile": {
        "options": (
            "outlook_mobile_app_protection",
            "outlook_mobile_app_protection_apps",
            "outlook_mobile_app_protection_groups",
            "outlook_mobile_app_protection_level",
            "outlook_mobile_emergency_access",
            "outlook_mobile_include_groups",
            "outlook_mobile_name_prefix",
            "outlook_mobile_pilot_groups",
            "outlook_mobile_purge",
            "outlook_mobile_retire_policies",
            "outlook_mobile_rollout_app_protection",
            "outlook_mobile_rollout_block_legacy_authentication",
            "outlook_mobile_rollout_mfa_all_users",
            "outlook_mobile_rollout_sign_in_risk",
            "outlook_mobile_rollout_user_risk",
            "outlook_mobile_work_accounts_only",
        ),
        "internal": (
            "outlook_mobile_app_configurations",
            "outlook_mobile_app_protection_assignments",
            "outlook_mobile_app_protection_policies",
            "outlook_mobile_baseline_app_configuration",
            "outlook_mobile_baseline_app_protection",
            "outlook_mobile_baseline_origins",
            "outlook_mobile_baseline_policies",
            "outlook_mobile_ca_checked",
            "outlook_mobile_ca_origins",
            "outlook_mobile_ca_planned",
            "outlook_mobile_ca_policies",
            "outlook_mobile_retired_policies",
            "outlook_mobile_users",
        ),
    },
    "posture_report": {
        "options": (
            "posture_report_app_protection_for",
            "posture_report_continue_on_error",
            "posture_report_device_source",
            "posture_report_dir",
            "posture_report_emergency_access",
            "posture_report_personas",
            "posture_report_report_only_as_enforced",
            "posture_report_scenarios",
            "posture_report_sections",
            "posture_report_title",
            "posture_report_write_in_check_mode",
        ),
        "internal": (
            "posture_report_app_protection",
            "posture_report_coverage",
            "posture_report_data",
            "posture_report_devices",
            "posture_report_directory",
            "posture_report_policies",
            "posture_report_whatif",
            "posture_report_write",
        ),
    },
    "rollout_readiness": {
        "options": (
            "rollout_readiness_continue_on_error",
            "rollout_readiness_dir",
            "rollout_readiness_emergency_access",
            "rollout_readiness_evidence",
            "rollout_readiness_policies",
            "rollout_readiness_sections",
            "rollout_readiness_title",
            "rollout_readiness_write_in_check_mode",
        ),
        "internal": (
            "rollout_readiness_data",
            "rollout_readiness_devices",
            "rollout_readiness_directory",
            "rollout_readiness_licences",
            "rollout_readiness_write",
        ),
    },
    "tenant_export": {
        "options": (
            "tenant_export_app_protection",
            "tenant_export_emergency_access",
            "tenant_export_file",
            "tenant_export_pilot_suffix",
        ),
        "internal": (
            "tenant_export_all",
            "tenant_export_app_configurations",
            "tenant_export_app_protection_policies",
            "tenant_export_copies",
            "tenant_export_locations",
            "tenant_export_pilot_groups",
            "tenant_export_piloted",
            "tenant_export_placeholder",
            "tenant_export_placeholder_escaped",
            "tenant_export_policies",
            "tenant_export_strengths",
        ),
    },
    "tenant_hardening": {
        "options": (
            "tenant_hardening_acknowledge_eas_only_users",
            "tenant_hardening_baselines",
            "tenant_hardening_conditional_access",
            "tenant_hardening_device_report",
            "tenant_hardening_device_report_dir",
            "tenant_hardening_device_report_write_in_check_mode",
            "tenant_hardening_emergency_access",
            "tenant_hardening_pilot_groups",
            "tenant_hardening_summary",
        ),
        "internal": (
            "tenant_hardening_app_configurations",
            "tenant_hardening_app_protection",
            "tenant_hardening_blocking_eas",
            "tenant_hardening_ca_checked",
            "tenant_hardening_ca_planned",
            "tenant_hardening_changes",
            "tenant_hardening_device_lines",
            "tenant_hardening_device_report_wanted",
            "tenant_hardening_eas_found",
            "tenant_hardening_eas_guard",
            "tenant_hardening_eas_inventory",
            "tenant_hardening_eas_only",
            "tenant_hardening_eas_problem",
            "tenant_hardening_eas_refused",
            "tenant_hardening_origins",
            "tenant_hardening_policies",
            "tenant_hardening_report_html",
        ),
    },
}


def namespace(role):
    """The prefix of the variables of ``role``."""
    return role + "_"


def known_variables(role):
    """Every name of ``role``'s namespace that the role knows."""
    entry = ROLE_VARIABLES[role]
    return frozenset(entry["options"]) | frozenset(entry["internal"])
