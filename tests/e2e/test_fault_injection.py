"""playbooks/harden_tenant.yml under injected faults, judged as scripts/fault_runs.py judges its hundred runs
(the short version for CI; ``make fault-runs`` runs the long one, docs/reliability.md).

After each run: it converged (a fault-free check run reports changed=0) or failed naming the request that
failed; no two objects share a display name; no app protection policy is left without its apps or groups
unless the failure named it; every object reported as changed was written, every write was reported, and
every failed write was retried to success or failed its task.
"""
import importlib.util
import json
import time

import pytest

from conftest import REPO

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
CA = r"^/v1\.0/identity/conditionalAccess/"
IOS_POLICY = "TG - iOS - Office apps Level 2"


def _load_fault_runs():
    spec = importlib.util.spec_from_file_location("fault_runs", REPO / "scripts" / "fault_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fault_runs = _load_fault_runs()


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


@pytest.fixture
def judged(graph_sandbox, collections_path, tmp_path):
    """Run the playbook under ``rules``; returns (run, findings, check run)."""
    graph = fault_runs.Graph(graph_sandbox)
    callbacks = tmp_path / "callbacks"
    callbacks.mkdir()
    (callbacks / "fault_run_record.py").write_text(fault_runs.RECORDER)
    variables = fault_runs.phase_vars(tmp_path)["create"]

    def run(rules, budget=60, check=True):
        since = len(graph_sandbox.requests())
        before = graph.snapshot()
        graph_sandbox.set_faults({"seed": 5, "rules": rules})
        record = tmp_path / ("record-%d.jsonl" % since)
        result = fault_runs.ansible_run(graph_sandbox, tmp_path, collections_path, variables, budget=budget,
                                        record=record)
        fired = fault_runs.fired_by_kind(graph_sandbox.get_faults())
        graph_sandbox.set_faults({"rules": []})
        time.sleep(fault_runs.max_lag(rules))
        graph.token = graph_sandbox.token()
        after = graph.snapshot()
        findings = fault_runs.judge(result, fault_runs.read_records(record), graph_sandbox.requests()[since:],
                                    before, after)
        if check:
            check = fault_runs.ansible_run(graph_sandbox, tmp_path, collections_path, variables, ["--check"])
        return result, findings, check, fired, fault_runs.read_records(record), after

    run.variables = variables
    return run


def test_dropped_creates_under_lag_throttling_and_503s_converge_without_duplicates(judged):
    rules = [
        {"kind": "lag", "seconds": 3.0, "path": CA + "policies$"},
        # The connection of the second create drops after the service made the policy, still invisible.
        {"kind": "drop_after", "method": "POST", "path": CA + "policies$", "rate": 1.0, "count": 1},
        {"kind": "drop_before", "method": "PATCH", "path": CA + "policies/", "count": 1},
        {"kind": "throttle", "path": CA, "method": "GET", "count": 2, "retry_after": None},
        {"kind": "throttle", "path": CA, "method": "POST", "count": 1, "retry_after": 1},
        {"kind": "error", "status": 503, "method": "POST", "count": 2,
         "path": r"^/beta/deviceAppManagement/.*/(targetApps|assign)$"},
    ]
    run, findings, check, fired, _records, after = judged(rules)
    assert run["rc"] == 0, run["stdout"][-4000:]
    assert findings == {"duplicates": [], "partial": [], "misreported": [], "unclear": []}, findings
    assert check["rc"] == 0 and check["changed"] == 0, check["stdout"][-3000:]
    assert fired["drop_after"] == 1 and fired["drop_before"] == 1 and fired["error 503"] == 2, fired
    names = [p["displayName"] for p in after["policy"]]
    assert names.count("TG - MFA for all users") == 1 and len(names) == len(set(names)), names


def test_a_failed_app_step_after_the_create_names_the_policy_and_the_next_run_completes_it(judged, graph_sandbox,
                                                                                           collections_path,
                                                                                           tmp_path):
    rules = [{"kind": "error", "status": 500, "method": "POST",
              "path": r"^/beta/deviceAppManagement/iosManagedAppProtections/[^/]+/targetApps$", "count": 1}]
    run, findings, _check, fired, records, after = judged(rules, check=False)
    assert run["rc"] != 0 and fired == {"error 500": 1}, run["stdout"][-4000:]
    failed = [r for r in records if r["status"] == "failed"]
    assert len(failed) == 1, failed
    message = failed[0]["msg"]
    # The failure says which request failed, what the service answered, and which policy is incomplete.
    assert "targetApps failed: Microsoft Graph answered 500" in message and IOS_POLICY in message, message
    assert findings == {"duplicates": [], "partial": [], "misreported": [], "unclear": []}, findings
    ios = [p for p in after["ios"] if p["displayName"] == IOS_POLICY]
    assert len(ios) == 1 and not ios[0].get("apps"), ios

    again = fault_runs.ansible_run(graph_sandbox, tmp_path, collections_path, judged.variables)
    assert again["rc"] == 0, again["stdout"][-4000:]
    completed = [p for p in fault_runs.Graph(graph_sandbox).snapshot()["ios"] if p["displayName"] == IOS_POLICY]
    assert len(completed) == 1 and len(completed[0]["apps"]) == 7 and completed[0]["assignments"], completed
