"""Every role refuses the variables of its namespace that it does not know, naming the closest known one.

The known lists (plugins/plugin_utils/_role_variables.py) are read back from the roles here, so that they
cannot drift: each role's options are those of its meta/argument_specs.yml, its internal names those its
own tasks and vars set. Then every documented variable is misspelt (a letter dropped, doubled, changed or
two neighbours swapped) and each variant must be refused with the documented name as the suggestion.
"""
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.tenantguard.m365.plugins.filter.unknown_variables import (
    FilterModule, edit_distance, unknown_variables)
from ansible_collections.tenantguard.m365.plugins.plugin_utils._role_variables import (
    ROLE_VARIABLES, known_variables)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(os.listdir(ROLES_DIR))
# The roles whose namespaces each role checks in its first task: its own and those it drives.
CHECKED = {
    "tenant_hardening": ["tenant_hardening", "conditional_access", "outlook_mobile", "app_protection", "device_report",
                         "device_compliance", "exchange_mobile_access"],
    "outlook_mobile": ["outlook_mobile", "conditional_access", "app_protection"],
}


class _Loader(yaml.SafeLoader):
    """YAML as the roles write it (``!unsafe`` strings included)."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def role_files(role, folder):
    path = os.path.join(ROLES_DIR, role, folder)
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".yml", ".yaml")))


def set_names(node, found):
    """The variable names a task list sets: set_fact keys, register, task vars, loop and index variables."""
    if isinstance(node, list):
        for task in node:
            set_names(task, found)
        return
    if not isinstance(node, dict):
        return
    for key in ("block", "rescue", "always"):
        set_names(node.get(key), found)
    for key in ("ansible.builtin.set_fact", "set_fact"):
        if isinstance(node.get(key), dict):
            found.update(name for name in node[key] if name != "cacheable")
    if node.get("register"):
        found.add(node["register"])
    if isinstance(node.get("vars"), dict):
        found.update(node["vars"])
    for key in ("loop_var", "index_var"):
        name = (node.get("loop_control") or {}).get(key)
        if name:
            found.add(name)


def options(role):
    specs = load(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml"))["argument_specs"]
    found = set()
    for entry_point in specs.values():
        found.update(entry_point.get("options") or {})
    return found


def names_set_by(role):
    found = set()
    for path in role_files(role, "tasks"):
        set_names(load(path), found)
    for path in role_files(role, "vars"):
        found.update(load(path) or {})
    return found


def test_every_role_has_a_known_list():
    assert sorted(ROLE_VARIABLES) == ROLES


@pytest.mark.parametrize("role", ROLES)
def test_known_list_is_exactly_the_options_and_the_internal_names(role):
    documented = options(role)
    internal = set(n for n in names_set_by(role) if n.startswith(role + "_")) - documented
    assert set(ROLE_VARIABLES[role]["options"]) == documented
    assert set(ROLE_VARIABLES[role]["internal"]) == internal
    # Every default is a documented option.
    for path in role_files(role, "defaults"):
        assert set(load(path) or {}) <= documented, path


@pytest.mark.parametrize("role", ROLES)
def test_names_a_role_sets_in_another_namespace_are_known_there(role):
    """tenant_hardening passes conditional_access_policies to conditional_access, and so on: each of those
    names must be one the other role knows, or the other role's own check would refuse it."""
    for name in names_set_by(role):
        for other in ROLES:
            if other != role and name.startswith(other + "_"):
                assert name in known_variables(other), (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_checks_its_namespaces_in_its_first_task(role):
    entry = "policies.yml" if role == "outlook_mobile" else ("validate.yml" if role == "conditional_access" else "main.yml")
    first = load(os.path.join(ROLES_DIR, role, "tasks", entry))[0]
    assert first["ansible.builtin.assert"]["that"] == "unknown_role_variables | length == 0"
    assert first["vars"]["checked_roles"] == CHECKED.get(role, [role])
    assert first["tags"] == ["always"]
    if entry != "main.yml":
        main = load(os.path.join(ROLES_DIR, role, "tasks", "main.yml"))[0]
        assert main["ansible.builtin.include_tasks"] == entry


def misspellings(name, prefix):
    """Every variant of ``name`` one edit away that keeps the namespace: a letter dropped, doubled,
    replaced by the next letter of the alphabet, or swapped with its neighbour."""
    variants = set()
    for index in range(len(prefix), len(name)):
        variants.add(name[:index] + name[index + 1:])
        variants.add(name[:index] + name[index] + name[index:])
        if name[index].isalpha():
            variants.add(name[:index] + chr((ord(name[index]) - ord("a") + 1) % 26 + ord("a")) + name[index + 1:])
        if index + 1 < len(name) and name[index] != name[index + 1]:
            variants.add(name[:index] + name[index + 1] + name[index] + name[index + 2:])
    variants.discard(name)
    return variants


def generated_cases():
    cases = []
    for role in ROLES:
        prefix = role + "_"
        known = known_variables(role)
        for option in sorted(ROLE_VARIABLES[role]["options"]):
            for variant in sorted(misspellings(option, prefix)):
                if variant in known or not variant.startswith(prefix) or variant == prefix:
                    continue
                cases.append((role, option, variant))
    return cases


CASES = generated_cases()


def test_the_generated_cases_cover_every_documented_variable():
    documented = set((role, name) for role in ROLES for name in ROLE_VARIABLES[role]["options"])
    assert set((role, option) for role, option, _variant in CASES) == documented
    # 57 variables and 2850-odd variants when this was written, 62 since the guards of conditional_access, 66 since
    # the check-mode report switches and the Exchange ActiveSync acknowledgement, 68 since the device report's phone
    # rows and tenant name, 76 with the rollout readiness page, 86 with the device_compliance role,
    # app_protection_known_groups and the export of compliance, 91 with the report-only evidence gate of
    # conditional_access, 92 after the next merge of main; at least 40 variants per
    # variable.
    assert len(documented) == 105
    assert len(CASES) >= 40 * len(documented)


def test_every_misspelling_of_every_documented_variable_is_refused_with_the_documented_name():
    wrong = []
    for role, option, variant in CASES:
        everything = sorted(known_variables(role)) + [variant]
        for checked in sorted(set([role]) | set(r for r, rs in CHECKED.items() if role in rs)):
            roles = CHECKED.get(checked, [checked])
            found = unknown_variables(everything, roles)
            if [(f["name"], f["role"], f["suggestion"]) for f in found] != [(variant, role, option)]:
                wrong.append((checked, option, variant, found))
            elif found[0]["message"] != "%s (did you mean %s?)" % (variant, option):
                wrong.append((checked, option, variant, found))
    assert wrong == [], "%d of %d variants: %r" % (len(wrong), len(CASES), wrong[:10])


def test_the_issue_s_misspellings():
    names = ["outlook_mobile_rollout_mfa_all_user", "tenant_hardening_pilot_group", "tenant_hardening_sumary",
             "app_protection_policy", "outlook_mobile_app_protection_levle", "tenant_hardening_summary",
             "unrelated_variable", "conditional_access_policies"]
    found = unknown_variables(names, CHECKED["tenant_hardening"])
    assert [(f["name"], f["suggestion"]) for f in found] == [
        ("app_protection_policy", "app_protection_policies"),
        ("outlook_mobile_app_protection_levle", "outlook_mobile_app_protection_level"),
        ("outlook_mobile_rollout_mfa_all_user", "outlook_mobile_rollout_mfa_all_users"),
        ("tenant_hardening_pilot_group", "tenant_hardening_pilot_groups"),
        ("tenant_hardening_sumary", "tenant_hardening_summary"),
    ]


def test_names_outside_the_namespaces_and_known_names_pass():
    assert unknown_variables(["posture_report_dir", "tenant_export_file", "tenantguard_client_id"],
                             ["posture_report", "tenant_export"]) == []
    # Another role's namespace is not checked unless asked for.
    assert unknown_variables(["conditional_access_polices"], ["tenant_export"]) == []


def test_a_name_far_from_every_known_one_gets_no_suggestion():
    found = unknown_variables(["device_report_something_else_entirely"], "device_report")
    assert found == [{
        "name": "device_report_something_else_entirely", "role": "device_report", "suggestion": None,
        "message": "device_report_something_else_entirely (the device_report role has no variable of that name)",
    }]


def test_an_unknown_role_is_refused_naming_the_accepted_ones():
    with pytest.raises(AnsibleFilterError, match="nonexistent are not roles of this collection; accepted: app_protection"):
        unknown_variables(["x"], ["nonexistent"])


def test_edit_distance_counts_a_swap_as_one_edit():
    assert edit_distance("abcd", "abdc") == 1
    assert edit_distance("abcd", "abd") == 1
    assert edit_distance("abcd", "abxcd") == 1
    assert edit_distance("", "ab") == 2


def test_the_filter_is_registered():
    assert FilterModule().filters()["unknown_variables"] is unknown_variables
