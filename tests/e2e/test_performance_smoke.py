"""The request counts that docs/performance.md promises, in short: a no-op conditional_access_policy task
costs the same few Graph requests whether it declares 1, 10 or 50 policies, and names are looked up in
bulk (one $batch, 15 names a filter), not once per policy or per name. The full benchmarks are
`make bench` (bench/)."""
import json

import pytest

GROUPS = ["Smoke group %02d" % i for i in range(30)]
USERS = ["smoke%02d@contoso.onmicrosoft.com" % i for i in range(30)]
GROUP_IDS = ["8a000000-0000-4000-8000-0000000000%02d" % i for i in range(30)]
USER_IDS = ["8b000000-0000-4000-8000-0000000000%02d" % i for i in range(30)]
EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
POLICIES = 50


def _refs(index):
    return [(index * 3 + k) % 30 for k in range(3)], [(index * 2 + k) % 30 for k in range(2)]


def _graph_policy(index):
    groups, users = _refs(index)
    return {
        "id": "8c000000-0000-4000-8000-%012d" % index,
        "displayName": "Smoke policy %02d" % index,
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": {"includeGroups": [GROUP_IDS[g] for g in groups], "excludeUsers": [USER_IDS[u] for u in users]},
            "applications": {"includeApplications": [EXCHANGE]},
            "clientAppTypes": ["all"],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["compliantApplication"]},
    }


def _declared(index):
    groups, users = _refs(index)
    return {
        "display_name": "Smoke policy %02d" % index,
        "policy_state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": {"include_groups": [GROUPS[g] for g in groups], "exclude_users": [USERS[u] for u in users]},
            "applications": {"include_applications": ["Exchange Online"]},
            "client_app_types": ["all"],
        },
        "grant_controls": {"operator": "OR", "built_in_controls": ["compliantApplication"]},
    }


@pytest.fixture
def sandbox_seed():
    return {
        "groups": [{"id": gid, "displayName": name, "securityEnabled": True, "mailEnabled": False,
                    "mailNickname": "smoke%02d" % i} for i, (gid, name) in enumerate(zip(GROUP_IDS, GROUPS))],
        "users": [{"id": uid, "displayName": "Smoke user %02d" % i, "userPrincipalName": upn}
                  for i, (uid, upn) in enumerate(zip(USER_IDS, USERS))],
        "conditionalAccessPolicies": [_graph_policy(i) for i in range(POLICIES)],
    }


def _play(tmp_path, count):
    path = tmp_path / ("noop-%d.yml" % count)
    path.write_text(
        "- name: No-op conditional access\n  hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  tasks:\n"
        "    - name: Policies already in place\n      tenantguard.m365.conditional_access_policy:\n"
        "        conditional_access_policies: %s\n" % json.dumps([_declared(i) for i in range(count)]))
    return path


def test_no_op_requests_do_not_grow_with_the_number_of_policies(graph_sandbox, run_playbook, tmp_path):
    first = run_playbook(_play(tmp_path, 1))  # signs in; the later runs take the token from the cache
    assert first.rc == 0, first
    seen = {}
    for count in (1, 10, POLICIES):
        before = len(graph_sandbox.requests())
        run = run_playbook(_play(tmp_path, count))
        assert run.rc == 0 and run.recap["changed"] == 0, run
        rows = graph_sandbox.requests()[before:]
        graph = ["%s %s" % (r["method"], r["path"]) for r in rows if r["service"] == "graph"]
        seen[count] = sorted(graph)
        assert not [r for r in rows if r["service"] == "login" and r["path"].endswith("/token")], (count, rows)
        # 10 and 50 policies name all 30 groups and 30 users: 2 + 2 filters of 15 names, in one $batch.
        batches = [r for r in rows if r["path"].endswith("$batch")]
        assert len(batches) == 1, (count, graph)
        items = (batches[0].get("body") or {}).get("requests") or []
        assert len(items) <= 4, (count, items)
    assert seen[1] == seen[10] == seen[POLICIES] == sorted(
        ["GET /v1.0/identity/conditionalAccess/policies", "POST /v1.0/$batch"]), seen
