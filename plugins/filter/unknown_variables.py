# -*- coding: utf-8 -*-
# Copyright: TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: unknown_variables
short_description: The variables of a role's namespace that the role does not know, each with the closest known name
version_added: 1.0.0
author:
  - TenantGuard contributors (@tenantguard)
description:
  - Takes a list of variable names (usually C(query('ansible.builtin.varnames', '.+'))) and returns those that
    start with the namespace of one of O(roles) (the role's name followed by C(_)) but that the role does not
    know, sorted by name.
  - A role knows the options of its C(meta/argument_specs.yml) and the names its own tasks set. Names outside
    the namespaces are left alone.
  - The closest known name of the same role is the one fewest edits away (a letter dropped, added, changed or
    two letters swapped), ties broken by similarity; none when nothing known is close.
  - Every role of the collection runs this check as its first task and fails naming each unknown variable.
options:
  _input:
    description: The variable names to check.
    type: list
    elements: str
    required: true
  roles:
    description: The roles whose namespaces are checked (C(app_protection), C(conditional_access), C(device_report),
      C(outlook_mobile), C(posture_report), C(rollout_readiness), C(tenant_export), C(tenant_hardening)).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Refuse outlook_mobile variables the role does not know
  ansible.builtin.assert:
    that: unknown | length == 0
    fail_msg: "Unknown variable(s) {{ unknown | map(attribute='message') | join('; ') }}."
    quiet: true
  vars:
    unknown: "{{ query('ansible.builtin.varnames', '^outlook_mobile_') | tenantguard.m365.unknown_variables(['outlook_mobile']) }}"

# outlook_mobile_rollout_mfa_all_user set by mistake gives
# [{"name": "outlook_mobile_rollout_mfa_all_user", "role": "outlook_mobile",
#   "suggestion": "outlook_mobile_rollout_mfa_all_users",
#   "message": "outlook_mobile_rollout_mfa_all_user (did you mean outlook_mobile_rollout_mfa_all_users?)"}]
'''

RETURN = r'''
_value:
  description: One entry per unknown variable, sorted by name.
  type: list
  elements: dict
  contains:
    name:
      description: The unknown variable.
      type: str
    role:
      description: The role whose namespace the variable is in.
      type: str
    suggestion:
      description: The closest name the role knows, or none.
      type: str
    message:
      description: "The variable and its suggestion, such as C(x (did you mean y?))."
      type: str
'''

import difflib

from ansible.errors import AnsibleFilterError

from ansible_collections.tenantguard.m365.plugins.plugin_utils._role_variables import (
    ROLE_VARIABLES, known_variables, namespace)


def edit_distance(left, right):
    """Letters dropped, added or changed, and two neighbours swapped, each one edit."""
    previous2 = None
    previous = list(range(len(right) + 1))
    for i in range(1, len(left) + 1):
        current = [i] + [0] * len(right)
        for j in range(1, len(right) + 1):
            cost = 0 if left[i - 1] == right[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (previous2 is not None and i > 1 and j > 1 and left[i - 1] == right[j - 2]
                    and left[i - 2] == right[j - 1]):
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(right)]


def within_one_edit(left, right):
    """Whether ``left`` is at most one edit away from ``right`` (a quick test before the full count)."""
    if left == right:
        return True
    if abs(len(left) - len(right)) > 1:
        return False
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    if len(left) == len(right):
        return (left[start + 1:] == right[start + 1:]
                or (left[start + 2:] == right[start + 2:] and left[start:start + 2] == right[start:start + 2][::-1]))
    if len(left) > len(right):
        return left[start + 1:] == right[start:]
    return left[start:] == right[start + 1:]


def closest(name, role):
    """The known name of ``role`` closest to ``name``, or None when none is close. Documented options
    come before the role's internal names at the same distance."""
    entry = ROLE_VARIABLES[role]
    ranked = [(rank, candidate) for rank, candidates in enumerate((entry["options"], entry["internal"]))
              for candidate in candidates]
    near = [(1, rank, candidate) for rank, candidate in ranked if within_one_edit(name, candidate)]
    if not near:
        limit = max(2, len(name[len(namespace(role)):]) // 3)
        near = [(distance, rank, candidate) for distance, rank, candidate
                in ((edit_distance(name, candidate), rank, candidate) for rank, candidate in ranked)
                if distance <= limit or difflib.SequenceMatcher(None, name, candidate).ratio() >= 0.8]
    if not near:
        return None
    return min(near, key=lambda found: (found[0], found[1], -difflib.SequenceMatcher(None, name, found[2]).ratio(),
                                        found[2]))[2]


def unknown_variables(names, roles):
    if isinstance(roles, str):
        roles = [roles]
    unknown_roles = [r for r in roles if r not in ROLE_VARIABLES]
    if unknown_roles:
        raise AnsibleFilterError("unknown_variables: roles %s are not roles of this collection; accepted: %s." % (
            ", ".join(unknown_roles), ", ".join(sorted(ROLE_VARIABLES))))
    found = []
    for name in sorted(set(str(n) for n in names)):
        # The longest namespace wins, should one role's name start with another's.
        owners = sorted((r for r in roles if name.startswith(namespace(r))), key=len, reverse=True)
        if not owners or name in known_variables(owners[0]):
            continue
        role = owners[0]
        suggestion = closest(name, role)
        found.append({
            "name": name,
            "role": role,
            "suggestion": suggestion,
            "message": "%s (did you mean %s?)" % (name, suggestion) if suggestion
            else "%s (the %s role has no variable of that name)" % (name, role),
        })
    return found


class FilterModule:
    def filters(self):
        return {"unknown_variables": unknown_variables}
