"""Two runs of playbooks/harden_tenant.yml against the same fresh tenant at once (docs/reliability.md).

Both ansible-playbook processes start together, as two operators (or two scheduled jobs) of the same machine
would start them: same user, same token cache and pacing state. Afterwards the tenant holds every declared
object exactly once, each run either converged or failed naming what failed, and a fault-free check run
reports nothing left to change.

Then the same with two controllers that share nothing but the tenant, as two AWX execution nodes or two
administrators on their own machines: each has its own home, temporary directory, token cache and so its
own write locks, so the locks cannot keep them apart; the look for a copy before and after each create
does. The tenant, read from the sandbox's state files, holds each object once.
"""
import collections
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

HARDEN = REPO / "playbooks" / "harden_tenant.yml"


def _load_fault_runs():
    spec = importlib.util.spec_from_file_location("fault_runs", REPO / "scripts" / "fault_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fault_runs = _load_fault_runs()


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


def test_two_runs_at_once_create_nothing_twice(graph_sandbox, collections_path, tmp_path):
    variables = fault_runs.phase_vars(tmp_path)["create"]
    env = graph_sandbox.ansible_environment(tmp_path, collections_path)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-e", json.dumps(variables), str(HARDEN)]
    processes = []
    for name in ("first", "second"):
        out = open(tmp_path / ("%s.out" % name), "w")
        processes.append((name, out, subprocess.Popen(command, env=env, cwd=str(tmp_path), stdout=out,
                                                      stderr=subprocess.STDOUT, text=True)))
    outcomes = {}
    for name, out, process in processes:
        outcomes[name] = process.wait(timeout=600)
        out.close()
    texts = dict((name, (tmp_path / ("%s.out" % name)).read_text()) for name in outcomes)

    after = fault_runs.Graph(graph_sandbox).snapshot()
    for family, items in after.items():
        names = collections.Counter(item["displayName"].casefold() for item in items)
        assert [n for n, c in names.items() if c > 1] == [], (family, texts)
    assert len([p for p in after["policy"] if p["displayName"].startswith("TG - ")]) == 7, after["policy"]
    assert len(after["ios"]) == 1 and len(after["android"]) == 1 and len(after["app_configuration"]) == 1

    for name, rc in outcomes.items():
        if rc != 0:
            assert fault_runs.CLEAR_FAILURE.search(texts[name]) or "matches 2" in texts[name], texts[name][-3000:]
    assert 0 in outcomes.values(), texts
    check = fault_runs.ansible_run(graph_sandbox, tmp_path, collections_path, variables, ["--check"])
    assert check["rc"] == 0 and check["changed"] == 0, check["stdout"][-3000:]


STATE_COLLECTIONS = ("conditionalAccessPolicies", "namedLocations", "authenticationStrengthPolicies",
                     "iosManagedAppProtections", "androidManagedAppProtections", "targetedManagedAppConfigurations")
RACE_FAILURE = re.compile(r"at the same time as this task|after this task read the tenant|was created twice")


def stored_duplicates(sandbox):
    """Names held more than once in any collection, read from the sandbox's state files."""
    doubled = {}
    for name in STATE_COLLECTIONS:
        path = os.path.join(sandbox.state_dir, "data", name + ".json")
        items = json.loads(open(path, encoding="utf-8").read()) if os.path.exists(path) else []
        counts = collections.Counter(str(o.get("displayName", "")).casefold() for o in items)
        doubled.update(("%s: %s" % (name, n), c) for n, c in counts.items() if c > 1)
    return doubled


@pytest.mark.parametrize("attempt", range(2))
def test_two_controllers_that_share_no_lock_create_nothing_twice(graph_sandbox, collections_path, tmp_path,
                                                                 attempt):
    variables = fault_runs.phase_vars(tmp_path)["create"]
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-e", json.dumps(variables), str(HARDEN)]
    processes = []
    for name in ("node-a", "node-b"):
        home = tmp_path / name
        (home / "tmp").mkdir(parents=True)
        env = graph_sandbox.ansible_environment(home, collections_path)
        env.update(HOME=str(home), TMPDIR=str(home / "tmp"))
        # The token cache's directory holds the write locks (and the pacing state): one per node.
        assert env["TENANTGUARD_TOKEN_CACHE"].startswith(str(home) + os.sep)
        out = open(tmp_path / ("%s.out" % name), "w")
        processes.append((name, out, subprocess.Popen(command, env=env, cwd=str(home), stdout=out,
                                                      stderr=subprocess.STDOUT, text=True)))
    outcomes = {}
    for name, out, process in processes:
        outcomes[name] = process.wait(timeout=900)
        out.close()
    texts = dict((name, (tmp_path / ("%s.out" % name)).read_text()) for name in outcomes)

    assert stored_duplicates(graph_sandbox) == {}, texts
    for name, rc in outcomes.items():
        if rc != 0:
            assert RACE_FAILURE.search(texts[name]) or fault_runs.CLEAR_FAILURE.search(texts[name]), \
                texts[name][-3000:]
    print("outcomes: %s; failures: %s" % (outcomes, dict(
        (n, (RACE_FAILURE.search(t) or fault_runs.CLEAR_FAILURE.search(t)).group(0)) for n, t in texts.items()
        if outcomes[n] != 0)))
    if any(outcomes.values()):
        # Whatever a run that gave way left undone, one more run converges it, and nothing is doubled.
        again = fault_runs.ansible_run(graph_sandbox, tmp_path / "node-a", collections_path, variables)
        assert again["rc"] == 0, again["stdout"][-3000:]
    after = fault_runs.Graph(graph_sandbox).snapshot()
    assert len([p for p in after["policy"] if p["displayName"].startswith("TG - ")]) == 7, after["policy"]
    assert len(after["ios"]) == 1 and len(after["android"]) == 1 and len(after["app_configuration"]) == 1
    assert stored_duplicates(graph_sandbox) == {}
    check = fault_runs.ansible_run(graph_sandbox, tmp_path / "node-b", collections_path, variables, ["--check"])
    assert check["rc"] == 0 and check["changed"] == 0, check["stdout"][-3000:]
