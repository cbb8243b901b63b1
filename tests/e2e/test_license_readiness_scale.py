"""license_readiness_info over a generated tenant of 2,500 users: the licences are read in pages of 999 (three
requests), each group's members in one paged read, the subscribed SKUs once, and never one request per user.

The expected gaps are counted from the seed file itself: a user lacks Entra ID P1 when none of its licences is a
product that carries it (Microsoft 365 E3, E5, F3, Business Premium; not Office 365 E3 nor Exchange Online Plan 1)."""
import json
import math

import pytest

from tenantguard_sandbox.generate import generate_seed

USERS = 2500
P1_PRODUCTS = {"05e9a617-0261-4cee-bb44-138d3ef5d965", "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
               "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "66b55226-6b4f-492c-910c-a3b7a3c9d993"}
PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - tenantguard.m365.license_readiness_info:
        checks: [entra_id_p1]
      register: readiness
    - ansible.builtin.copy:
        content: "{{ readiness | to_json }}"
        dest: "{{ out_dir }}/readiness.json"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "seed.json"
    generate_seed(str(path), users=USERS, groups=2, members_per_group=300)
    seed = json.loads(path.read_text())
    everyone = {"includeUsers": ["All"], "excludeGroups": [seed["groups"][0]["id"]]}
    seed["conditionalAccessPolicies"] = [
        {"displayName": "MFA for all users", "state": "enabledForReportingButNotEnforced",
         "conditions": {"users": everyone, "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
         "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}]
    return seed


@pytest.fixture
def sandbox_seed(generated):
    return generated


def test_requests_are_pages_not_users(run_playbook, graph_sandbox, generated, tmp_path):
    playbook = tmp_path / "readiness.yml"
    playbook.write_text(PLAYBOOK)
    since = len(graph_sandbox.requests())
    run = run_playbook(str(playbook))
    assert run.rc == 0, run
    rows = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    paths = [r["path"] for r in rows]
    assert paths.count("/v1.0/users") == math.ceil(USERS / 999) == 3
    assert paths.count("/v1.0/subscribedSkus") == 1
    assert paths.count("/v1.0/groups/%s/transitiveMembers" % generated["groups"][0]["id"]) == 1
    assert not [p for p in paths if p.startswith("/v1.0/users/")]
    result = run.output("readiness")["readiness"]
    excluded = set(generated["groups"][0]["members"])
    in_scope = [u for u in generated["users"] if u["id"] not in excluded]
    checked = [u for u in in_scope if u["accountEnabled"]]
    without_p1 = [u for u in checked if not {a["skuId"] for a in u["assignedLicenses"]} & P1_PRODUCTS]
    [only] = result["policies"]
    assert only["users_in_scope"] == len(in_scope) == USERS - 300
    assert only["users_checked"] == len(checked)
    assert len(only["users_lacking"]) == len(without_p1) > 0
    assert result["counts"]["users_read"] == USERS
    print("\n%d users, %d requests (%s), %d lacking Entra ID P1" % (USERS, len(rows), ", ".join(sorted(set(paths))),
                                                                    len(without_p1)))
