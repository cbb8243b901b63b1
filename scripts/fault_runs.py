#!/usr/bin/env python
"""Run playbooks/harden_tenant.yml again and again under injected faults and check the tenant after each run.

Each trial starts a fresh Graph sandbox seeded with the Contoso demo tenant (sandbox/seeds/contoso.json)
and runs the hardening playbook in up to two phases, each one a run under its own fault mix:

* ``create``: the first hardening of the tenant (creates, one update);
* ``update``: the tenant changed its mind (a pilot rollout, an enforced policy, another app protection
  group, a changed named location and app configuration, a purged policy): updates, actions, a delete.

After every run the faults are switched off and the run is judged against the sandbox:

* outcome: the run converged (a fault-free ``--check`` run afterwards reports ``changed=0``) or failed
  with a clear error (the failed task's message names the request, its method and URL, and what the
  service answered or that it could not be reached); after a failure a fault-free run must converge;
* duplicates: no two conditional access policies, named locations, authentication strengths, app
  protection or app configuration policies share a display name (compared without regard to case);
* partial objects: every app protection and app configuration policy of the baseline has its apps and
  its assignments, unless the run failed with a message that names the policy;
* misreported: every object a task reported as changed has a committed write in the sandbox's request
  log; every committed write belongs to an object reported as changed or to a task that failed; every
  write that failed (5xx, 429, dropped connection) was retried to success or its task failed.

Usage::

    .venv/bin/python scripts/fault_runs.py                     # 100 runs, 3 at a time
    .venv/bin/python scripts/fault_runs.py --runs 20 --jobs 2 --seed 7 --max-minutes 20
    .venv/bin/python scripts/fault_runs.py --mix drop_after_lag --runs 4 --keep /tmp/fault-runs

The figures are printed at the end (``--json FILE`` writes them too); the exit status is 0 only when no
invariant was broken.
"""

import argparse
import collections
import concurrent.futures
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# The checkout under test (--checkout): its collection, playbook, variables and seed.
CHECKOUT = {"root": REPO}


def checkout_path(*parts):
    return CHECKOUT["root"].joinpath(*parts)


GRAPH = r"^/(v1\.0|beta)/"
CA = r"^/(v1\.0|beta)/identity/conditionalAccess/"
MAM = r"^/(v1\.0|beta)/deviceAppManagement/"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
STALE_POLICY = "TG - Stale policy"

# Collections whose display names must stay unique, with the query that reads them whole.
COLLECTIONS = {
    "policy": ("/v1.0/identity/conditionalAccess/policies", None),
    "named_location": ("/v1.0/identity/conditionalAccess/namedLocations", None),
    "strength": ("/v1.0/identity/conditionalAccess/authenticationStrength/policies", None),
    "ios": ("/beta/deviceAppManagement/iosManagedAppProtections", "$expand=apps,assignments"),
    "android": ("/beta/deviceAppManagement/androidManagedAppProtections", "$expand=apps,assignments"),
    "app_configuration": ("/beta/deviceAppManagement/targetedManagedAppConfigurations",
                          "$expand=apps,assignments"),
}
# The family of a write, from its path (below the version): (family, collection regex).
FAMILY_PATHS = (
    ("policy", r"^identity/conditionalAccess/policies"),
    ("named_location", r"^identity/conditionalAccess/namedLocations"),
    ("strength", r"^(identity/conditionalAccess/authenticationStrengths?/policies|"
                 r"policies/authenticationStrengthPolicies)"),
    ("mam", r"^deviceAppManagement/(ios|android)ManagedAppProtections"),
    ("app_configuration", r"^deviceAppManagement/targetedManagedAppConfigurations"),
)
# The family a module's results speak of.
MODULE_FAMILY = {
    "tenantguard.m365.conditional_access_policy": "policy",
    "tenantguard.m365.named_location": "named_location",
    "tenantguard.m365.authentication_strength_policy": "strength",
    "tenantguard.m365.app_protection_policy": "mam",
    "tenantguard.m365.app_configuration_policy": "app_configuration",
}
MAM_POLICIES = ("TG - iOS - Office apps Level 2", "TG - Android - Office apps Level 2",
                "TG - Outlook - work or school accounts only")
CLEAR_FAILURE = re.compile(r"\b(GET|POST|PATCH|PUT|DELETE) https://\S+ failed: .*(answered \d{3}|could not be reached)")

# Records every result of the collection's modules, one JSON line each, in $FAULT_RUN_RECORD.
RECORDER = textwrap.dedent('''
    import json, os
    from ansible.plugins.callback import CallbackBase

    KEEP = ("changed", "failed", "msg", "action", "actions", "warnings", "item", "skipped")

    class CallbackModule(CallbackBase):
        CALLBACK_VERSION = 2.0
        CALLBACK_TYPE = "aggregate"
        CALLBACK_NAME = "fault_run_record"
        CALLBACK_NEEDS_ENABLED = True

        def _record(self, result, status):
            action = result._task.action
            if not action.startswith("tenantguard.m365."):
                return
            data = result._result
            if "results" in data:
                return  # a loop: its items are recorded one by one
            row = dict((k, data[k]) for k in KEEP if k in data)
            row.update(module=action, status=status, task=result._task.get_name(),
                       check_mode=bool(result._task.check_mode))
            for key in ("app_configuration_policy", "app_protection_policy", "policy", "named_location"):
                if isinstance(data.get(key), dict):
                    row["object_name"] = data[key].get("displayName")
            with open(os.environ["FAULT_RUN_RECORD"], "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, default=str) + "\\n")

        def v2_runner_on_ok(self, result):
            self._record(result, "ok")

        def v2_runner_on_failed(self, result, ignore_errors=False):
            self._record(result, "failed")

        def v2_runner_item_on_ok(self, result):
            self._record(result, "ok")

        def v2_runner_item_on_failed(self, result):
            self._record(result, "failed")
''')


# -- fault mixes ----------------------------------------------------------------------------------
def _status(rng):
    return rng.choice([500, 502, 503, 504])


def mix_throttle_retry_after(rng):
    return [{"kind": "throttle", "path": rng.choice([CA, MAM, GRAPH]), "rate": 0.3,
             "retry_after": round(rng.uniform(0.2, 1.5), 1)}]


def mix_throttle_no_retry_after(rng):
    return [{"kind": "throttle", "path": rng.choice([CA, MAM, GRAPH]), "rate": 0.2, "count": 8,
             "retry_after": None}]


def mix_storm_429(rng):
    # Every request of a family refused for a while, then the storm passes.
    return [{"kind": "throttle", "path": rng.choice([CA, MAM]), "rate": 1.0, "count": rng.randint(3, 6),
             "retry_after": rng.choice([None, 1])}]


def mix_endless_storm(rng):
    # A storm longer than the retry budget: the run must fail and say that it gave up.
    return [{"kind": "throttle", "path": CA + "policies", "method": rng.choice(["GET", "POST", None]),
             "rate": 1.0, "retry_after": 2}]


def mix_server_errors(rng):
    return [{"kind": "error", "path": GRAPH, "status": _status(rng), "rate": 0.15, "count": 4}
            for _rule in range(2)]


def mix_unavailable(rng):
    return [{"kind": "error", "path": rng.choice([CA, MAM, GRAPH]), "status": rng.choice([503, 504]),
             "rate": 0.3, "count": 6, "retry_after": rng.choice([None, 1])}]


def mix_app_actions(rng):
    # The steps after the create of an app protection or configuration policy: its apps, its groups.
    kind = rng.choice(["error", "error", "drop_before", "drop_after"])
    rule = {"kind": kind, "path": MAM + ".*/(targetApps|assign)$", "method": "POST", "count": rng.randint(1, 2)}
    if kind == "error":
        rule["status"] = rng.choice([500, 502, 503])
    return [rule]


def mix_latency(rng):
    return [{"kind": "latency", "path": GRAPH, "rate": 0.5, "seconds": round(rng.uniform(0.2, 0.8), 1)}]


def mix_drop_before(rng):
    return [{"kind": "drop_before", "path": rng.choice([CA, MAM]), "method": method, "rate": 0.5, "count": 2}
            for method in ("POST", "PATCH")]


def mix_drop_after(rng):
    return [{"kind": "drop_after", "path": rng.choice([CA, MAM]), "method": method, "rate": 0.5, "count": 2}
            for method in ("POST", "PATCH")]


def mix_lag(rng):
    return [{"kind": "lag", "path": GRAPH, "seconds": round(rng.uniform(3.0, 6.0), 1)}]


def mix_drop_after_lag(rng):
    # The connection drops after the create committed, and the new object is not yet readable.
    return [{"kind": "lag", "path": GRAPH, "seconds": round(rng.uniform(3.0, 5.0), 1)},
            {"kind": "drop_after", "path": rng.choice([CA, MAM, GRAPH]), "method": "POST", "rate": 0.5, "count": 2}]


def mix_rate_limit(rng):
    return [{"kind": "rate_limit", "path": CA, "per_second": rng.choice([0.5, 1.0]),
             "retry_after": rng.choice([None, 1])}]


def mix_random(rng):
    """A random mixture of everything above, with random parameters."""
    kinds = rng.sample([mix_throttle_retry_after, mix_throttle_no_retry_after, mix_storm_429, mix_server_errors,
                        mix_unavailable, mix_app_actions, mix_latency, mix_drop_before, mix_drop_after, mix_lag,
                        mix_rate_limit],
                       rng.randint(2, 4))
    rules = []
    for kind in kinds:
        rules.extend(kind(rng))
    return rules


MIXES = collections.OrderedDict((fn.__name__[len("mix_"):], fn) for fn in (
    mix_throttle_retry_after, mix_throttle_no_retry_after, mix_storm_429, mix_endless_storm, mix_server_errors,
    mix_unavailable, mix_app_actions, mix_latency, mix_drop_before, mix_drop_after, mix_lag, mix_drop_after_lag,
    mix_rate_limit, mix_random))
# A retry budget (retry_max_wait) per mix: short where the point is to give up.
RETRY_BUDGET = {"endless_storm": 8}
DEFAULT_RETRY_BUDGET = 60


# -- the tenant's variables for each phase ---------------------------------------------------------
def phase_vars(workdir):
    """(vars file, extra vars) of the two phases."""
    tenant = yaml.safe_load(checkout_path("playbooks", "vars", "contoso.yml").read_text())
    first = copy.deepcopy(tenant)
    first["conditional_access_policies"].append({
        "display_name": STALE_POLICY, "rollout": "report_only",
        "conditions": {"users": {"include_groups": ["Sales"]}, "applications": {"include_applications": ["Office365"]}},
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]}})
    second = copy.deepcopy(tenant)
    second["conditional_access_named_locations"][0]["ip_ranges"] = ["198.51.100.0/24", "203.0.113.0/25"]
    paths = []
    for name, content in (("create.yml", first), ("update.yml", second)):
        path = Path(workdir) / name
        path.write_text(yaml.safe_dump(content))
        paths.append(path)
    return {
        "create": {"tenant_vars_file": str(paths[0]), "tenant_hardening_device_report": "never"},
        "update": {"tenant_vars_file": str(paths[1]), "tenant_hardening_device_report": "never",
                   "outlook_mobile_rollout_block_legacy_authentication": "pilot",
                   "outlook_mobile_rollout_mfa_all_users": "enforced",
                   "outlook_mobile_app_protection_groups": ["All Staff", "Mobile Pilot"],
                   "outlook_mobile_work_accounts_only": False},
    }


# -- one trial --------------------------------------------------------------------------------------
class Graph:
    """A plain requests client on the sandbox (its own token), to read what the tenant holds."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.session = sandbox.session()
        self.token = sandbox.token()

    def list(self, path, query=None):
        url = self.sandbox.base_url + path + ("?" + query if query else "")
        items = []
        while url:
            response = self.session.get(url, headers={"Authorization": "Bearer " + self.token}, timeout=30)
            response.raise_for_status()
            body = response.json()
            items.extend(body["value"])
            url = body.get("@odata.nextLink")
        return items

    def snapshot(self):
        return dict((family, self.list(path, query)) for family, (path, query) in COLLECTIONS.items())


def fold(name):
    return str(name or "").casefold()


def family_of(path):
    """(family, id or None, suffix) of a Graph write path, or None when it is not one of ours."""
    relative = re.sub(r"^/(v1\.0|beta)/", "", path)
    for family, pattern in FAMILY_PATHS:
        match = re.match(pattern + r"(/([^/]+))?(/(.*))?$", relative)
        if match:
            groups = match.groups()
            return family, groups[-3], groups[-1] or ""
    return None


def ansible_run(sandbox, workdir, collections, extra_vars, args=(), budget=DEFAULT_RETRY_BUDGET, record=None):
    env = sandbox.ansible_environment(workdir, collections)
    env["TENANTGUARD_RETRY_MAX_WAIT"] = str(budget)
    if record:
        env["FAULT_RUN_RECORD"] = str(record)
        env["ANSIBLE_CALLBACK_PLUGINS"] = str(Path(workdir) / "callbacks")
        env["ANSIBLE_CALLBACKS_ENABLED"] = "fault_run_record"
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-e", json.dumps(extra_vars), str(checkout_path("playbooks", "harden_tenant.yml"))] + list(args)
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, cwd=str(workdir), capture_output=True, text=True, timeout=900,
                              check=False)
        rc, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = -1, str(exc.stdout or ""), "timed out after 900 s"
    recap = re.search(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", out, re.M)
    return {"rc": rc, "stdout": out, "stderr": err, "seconds": time.monotonic() - started,
            "changed": int(recap.group(2)) if recap else None, "failed": int(recap.group(3)) if recap else None}


def read_records(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def names_by_id(*snapshots):
    out = {}
    for snapshot in snapshots:
        for family, items in snapshot.items():
            family = "mam" if family in ("ios", "android") else family
            for item in items:
                out[(family, str(item.get("id")).lower())] = fold(item.get("displayName"))
    return out


def judge(run, records, rows, before, after):
    """The invariants of one run: a dict of findings (lists of sentences, empty when fine)."""
    findings = {"duplicates": [], "partial": [], "misreported": [], "unclear": []}
    ids = names_by_id(before, after)

    # Duplicates.
    for family, items in after.items():
        seen = collections.Counter(fold(i.get("displayName")) for i in items)
        for name, count in seen.items():
            if count > 1:
                findings["duplicates"].append("%d %s objects named %r" % (count, family, name))

    # What the tasks said.
    failed_tasks = [r for r in records if r["status"] == "failed"]
    failed_families = set(MODULE_FAMILY.get(r["module"]) for r in failed_tasks)
    failed_text = " ".join(str(r.get("msg", "")) for r in failed_tasks)
    reported = set()
    for record in records:
        family = MODULE_FAMILY.get(record["module"])
        if family is None or record.get("check_mode"):
            continue  # a check before anything is written predicts changes, it makes none
        for action in record.get("actions") or []:
            if action.get("action") != "unchanged":
                reported.add((family, fold(action.get("display_name"))))
        if record.get("action") not in (None, "unchanged") and record.get("changed"):
            name = record.get("object_name") or (record.get("item") or {}).get("display_name")
            reported.add((family, fold(name)))
    for record in failed_tasks:
        message = str(record.get("msg") or "")
        if not CLEAR_FAILURE.search(message):
            findings["unclear"].append("%s: %s" % (record["task"], message[:300] or "(no message)"))
    if run["rc"] != 0 and not failed_tasks:
        findings["unclear"].append("the run failed (rc %s) without a failed task: %s" % (
            run["rc"], (run["stderr"] or run["stdout"])[-300:]))

    # The writes the service saw, by object.
    committed = set()
    attempts = []
    for index, row in enumerate(rows):
        if row.get("service") != "graph" or row.get("method") not in WRITES:
            continue
        where = family_of(row["path"])
        if where is None:
            continue
        family, object_id, suffix = where
        family = "mam" if family in ("ios", "android") else family
        if object_id is None:
            name = fold((row.get("body") or {}).get("displayName"))
        else:
            name = ids.get((family, object_id.lower()), "id:" + object_id.lower())
        key = (family, name)
        ok = row.get("fault") in (None, "lag", "latency") and 200 <= int(row.get("status") or 0) < 300
        if ok or row.get("fault") == "drop_after":
            committed.add(key)
        attempts.append((index, row["method"], key, suffix, ok, row.get("fault"), row.get("status")))

    for key in sorted(reported - committed):
        findings["misreported"].append("%s %r reported as changed, but no write of it was carried out" % key)
    for key in sorted(committed - reported):
        if key[0] not in failed_families:
            findings["misreported"].append("%s %r was written, but no task reported it as changed" % key)
    for index, method, key, suffix, ok, fault, status in attempts:
        if ok or fault == "drop_after":
            continue
        later = any(i > index and m == method and k == key and s == suffix and (good or f == "drop_after")
                    for i, m, k, s, good, f, _status in attempts)
        if not later and key[0] not in failed_families:
            findings["misreported"].append("%s %s of %s %r failed (%s %s) and was not carried out later, yet no "
                                           "task failed" % (method, suffix or "", key[0], key[1], status, fault))

    # Half-written app protection and app configuration policies.
    for family in ("ios", "android", "app_configuration"):
        for item in after[family]:
            if item.get("displayName") not in MAM_POLICIES:
                continue
            missing = [k for k in ("apps", "assignments") if not item.get(k)]
            if not missing:
                continue
            if run["rc"] == 0 or item["displayName"] not in failed_text:
                findings["partial"].append("%s %r has no %s after a run that %s" % (
                    family, item["displayName"], " and no ".join(missing),
                    "succeeded" if run["rc"] == 0 else "failed without naming it"))
    return findings


def count_faults(rows):
    return collections.Counter(row["fault"] for row in rows if row.get("fault"))


def fired_by_kind(described):
    """How often the sandbox's rules fired, by kind (errors by status, 429s with or without Retry-After)."""
    out = collections.Counter()
    for rule in (described or {}).get("rules") or []:
        fired = rule.get("fired") or 0
        if not fired:
            continue
        kind = rule["kind"]
        if kind == "error":
            kind = "error %s" % rule.get("status", 503)
        elif kind in ("throttle", "rate_limit"):
            kind += " with Retry-After" if rule.get("retry_after") is not None else " without Retry-After"
        out[kind] += fired
    return out


def max_lag(rules):
    return max([r.get("seconds", 0) for r in rules if r["kind"] == "lag"] or [0])


def run_trial(trial, mixes, args, collections_path, log):
    """One fresh tenant, one or two phases; returns the result of each phase."""
    from tenantguard_sandbox.testing import running_sandbox

    workdir = Path(tempfile.mkdtemp(prefix="trial-%03d-" % trial, dir=args.workdir))
    (workdir / "callbacks").mkdir()
    (workdir / "callbacks" / "fault_run_record.py").write_text(RECORDER)
    variables = phase_vars(workdir)
    seed = json.loads(checkout_path("sandbox", "seeds", "contoso.json").read_text())
    results = []
    with running_sandbox(workdir / "sandbox", seed=seed) as sandbox:
        graph = Graph(sandbox)
        for phase, mix in zip(("create", "update"), mixes):
            rng = random.Random("%s-%d-%s" % (args.seed, trial, phase))
            rules = MIXES[mix](rng)
            since = len(sandbox.requests())
            before = graph.snapshot()
            sandbox.set_faults({"seed": rng.randint(0, 10 ** 6), "rules": rules})
            record = workdir / ("record-%s.jsonl" % phase)
            run = ansible_run(sandbox, workdir, collections_path, variables[phase],
                              budget=RETRY_BUDGET.get(mix, DEFAULT_RETRY_BUDGET), record=record)
            fired = fired_by_kind(sandbox.get_faults())
            sandbox.set_faults({"rules": []})
            rows = sandbox.requests()[since:]
            time.sleep(max_lag(rules))  # what the last create hid becomes readable
            graph.token = sandbox.token()
            after = graph.snapshot()
            records = read_records(record)
            findings = judge(run, records, rows, before, after)
            check = ansible_run(sandbox, workdir, collections_path, variables[phase], ["--check"])
            outcome = {"trial": trial, "phase": phase, "mix": mix, "rules": rules, "rc": run["rc"],
                       "seconds": round(run["seconds"], 1), "faults": dict(count_faults(rows)),
                       "fired": dict(fired),
                       "findings": findings, "failure": None, "recovered": None}
            if run["rc"] == 0:
                outcome["converged"] = check["rc"] == 0 and check["changed"] == 0
                if not outcome["converged"]:
                    findings["misreported"].append("the run succeeded but a fault-free check run afterwards "
                                                   "reports changed=%s (rc %s)" % (check["changed"], check["rc"]))
            else:
                outcome["converged"] = False
                outcome["failure"] = "; ".join(str(r.get("msg", ""))[:400] for r in records
                                               if r["status"] == "failed") or run["stdout"][-400:]
                # The next fault-free run must converge what the failed one left.
                retry = ansible_run(sandbox, workdir, collections_path, variables[phase])
                again = graph.snapshot()
                recheck = ansible_run(sandbox, workdir, collections_path, variables[phase], ["--check"])
                outcome["recovered"] = retry["rc"] == 0 and recheck["rc"] == 0 and recheck["changed"] == 0
                if not outcome["recovered"]:
                    findings["unclear"].append("a fault-free run after the failure did not converge: rc %s, then "
                                               "check changed=%s: %s" % (
                                                   retry["rc"], recheck["changed"], retry["stdout"][-600:]))
                for family, items in again.items():
                    names = collections.Counter(fold(i.get("displayName")) for i in items)
                    findings["duplicates"].extend("%d %s objects named %r after the recovery run" % (c, family, n)
                                                  for n, c in names.items() if c > 1)
            results.append(outcome)
            log(outcome)
            if args.keep_failed and any(findings.values()):
                (workdir / ("stdout-%s.txt" % phase)).write_text(run["stdout"] + "\n--- stderr\n" + run["stderr"])
    if not args.keep and not (args.keep_failed and any(any(r["findings"].values()) for r in results)):
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def plan(args):
    """(trial number, [mix of each phase]) until ``args.runs`` runs are planned; mixes cycle."""
    names = [args.mix] if args.mix else list(MIXES)
    rng = random.Random(args.seed)
    order = []
    while len(order) < args.runs:
        batch = names[:]
        rng.shuffle(batch)
        order.extend(batch)
    order = order[:args.runs]
    trials = []
    for start in range(0, len(order), 2):
        trials.append((len(trials) + 1, order[start:start + 2]))
    return trials


def make_collections(root):
    namespace = Path(root) / "collections" / "ansible_collections" / "tenantguard"
    namespace.mkdir(parents=True, exist_ok=True)
    link = namespace / "m365"
    if not link.exists():
        link.symlink_to(CHECKOUT["root"], target_is_directory=True)
    return Path(root) / "collections"


def summarise(results, seconds):
    faults = collections.Counter()
    fired = collections.Counter()
    by_mix = collections.defaultdict(collections.Counter)
    findings = collections.defaultdict(list)
    for result in results:
        faults.update(result["faults"])
        fired.update(result["fired"])
        mix = by_mix[result["mix"]]
        mix["runs"] += 1
        mix["converged" if result["converged"] else "failed"] += 1
        for kind, items in result["findings"].items():
            findings[kind].extend("trial %s %s (%s): %s" % (result["trial"], result["phase"], result["mix"], item)
                                  for item in items)
    failed = [r for r in results if r["rc"] != 0]
    return {
        "runs": len(results),
        "faults_injected": dict(sorted(fired.items())),
        "faults_total": sum(fired.values()),
        "faults_logged": dict(sorted(faults.items())),
        "converged": sum(1 for r in results if r["converged"]),
        "failed_clearly": sum(1 for r in failed if not r["findings"]["unclear"]),
        "failed_unclearly": sum(1 for r in failed if r["findings"]["unclear"]),
        "recovered_after_failure": sum(1 for r in failed if r["recovered"]),
        "duplicates": len(findings["duplicates"]),
        "partial_objects": len(findings["partial"]),
        "misreported": len(findings["misreported"]),
        "by_mix": dict((k, dict(v)) for k, v in sorted(by_mix.items())),
        "findings": dict(findings),
        "seconds": round(seconds, 1),
    }


def print_summary(summary, out=sys.stdout):
    write = out.write
    write("\nruns: %d (%.1f min of runs)\n" % (summary["runs"], summary["seconds"] / 60.0))
    write("faults injected: %d\n" % summary["faults_total"])
    for kind, count in summary["faults_injected"].items():
        write("  %-32s %d\n" % (kind, count))
    write("requests.jsonl rows by fault: %s\n" % ", ".join("%s %d" % i for i in summary["faults_logged"].items()))
    write("converged: %d\nfailed clearly: %d\nfailed unclearly: %d\nrecovered by the next fault-free run: %d\n" % (
        summary["converged"], summary["failed_clearly"], summary["failed_unclearly"],
        summary["recovered_after_failure"]))
    write("duplicates: %d\npartial objects: %d\nmisreported: %d\n" % (
        summary["duplicates"], summary["partial_objects"], summary["misreported"]))
    write("by mix:\n")
    for mix, counts in summary["by_mix"].items():
        write("  %-24s runs %d, converged %d, failed %d\n" % (
            mix, counts.get("runs", 0), counts.get("converged", 0), counts.get("failed", 0)))
    for kind, items in summary["findings"].items():
        for item in items:
            write("%s: %s\n" % (kind.upper(), item))
    write("total time: %.1f s\n" % summary["seconds"])


def broken(summary):
    return bool(summary["duplicates"] or summary["partial_objects"] or summary["misreported"]
                or summary["failed_unclearly"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=100, help="runs in total (two per fresh tenant)")
    parser.add_argument("--jobs", type=int, default=3, help="tenants converged at the same time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault mixes' random choices")
    parser.add_argument("--mix", choices=list(MIXES), help="only this fault mix")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="start no new tenant after this")
    parser.add_argument("--workdir", default=None, help="where the trials' files go (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep every trial's files")
    parser.add_argument("--keep-failed", action="store_true", help="keep the files of trials that broke a rule")
    parser.add_argument("--json", help="also write the figures and every run's outcome to this file")
    parser.add_argument("--quiet", action="store_true", help="no line per run")
    parser.add_argument("--checkout", default=str(REPO), help="the collection checkout to run (default: this one)")
    parser.add_argument("--summarise", nargs="+", metavar="JSON",
                        help="run nothing: print the figures of earlier --json files together")
    args = parser.parse_args(argv)
    if args.summarise:
        results, seconds = [], 0.0
        for index, path in enumerate(args.summarise):
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
            for result in document["runs"]:
                result["trial"] = "%d.%s" % (index + 1, result["trial"])
                results.append(result)
            seconds += document["summary"]["seconds"]
        summary = summarise(results, seconds)
        print_summary(summary)
        return 1 if broken(summary) else 0
    CHECKOUT["root"] = Path(args.checkout).resolve()

    own_workdir = args.workdir is None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="fault-runs-")
    os.makedirs(args.workdir, exist_ok=True)
    collections_path = make_collections(args.workdir)
    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    lock = threading.Lock()
    results = []

    def log(outcome):
        with lock:
            if args.quiet:
                return
            problems = sum(len(v) for v in outcome["findings"].values())
            sys.stdout.write("trial %3d %-6s %-24s rc=%s %5.1fs faults=%s %s%s%s\n" % (
                outcome["trial"], outcome["phase"], outcome["mix"], outcome["rc"], outcome["seconds"],
                sum(outcome["fired"].values()),
                "converged" if outcome["converged"] else "failed" + (
                    " (recovered)" if outcome["recovered"] else ""),
                (" PROBLEMS %d" % problems) if problems else "",
                (" [%s]" % outcome["failure"][:160]) if outcome["failure"] else ""))
            sys.stdout.flush()

    def guarded(trial, mixes):
        if time.monotonic() > deadline:
            return []
        return run_trial(trial, mixes, args, collections_path, log)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for done in [pool.submit(guarded, trial, mixes) for trial, mixes in plan(args)]:
            results.extend(done.result())
    results.sort(key=lambda r: (r["trial"], r["phase"] != "create"))
    summary = summarise(results, time.monotonic() - started)
    print_summary(summary)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"summary": summary, "runs": results}, handle, indent=1, default=str)
    if own_workdir and not (args.keep or args.keep_failed):
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 1 if broken(summary) or not results else 0


if __name__ == "__main__":
    sys.exit(main())
