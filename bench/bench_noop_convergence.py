"""No-op convergence: a tenant that already matches what the playbook declares.

1. The full Outlook mobile baseline: ``playbooks/harden_tenant.yml`` with ``playbooks/vars/contoso.yml``
   against the Contoso demo seed, run once to converge, then again. The second run is measured.
2. A 50-policy conditional access set (the policies of bench_conditional_access.py, already in place)
   in one ``conditional_access_policy`` task, run once to fill the token cache, then again.

For each: token requests, Graph requests by method and path, wall time, and the ratio of that wall
time to a play of as many ``ansible.builtin.command: true`` tasks as the measured run executed
(tasks that ran, from the play recap: ok + changed), measured in the same run as the baseline.
Each play runs ``--repeat`` times; the fastest run counts (request counts are the same every run).

Targets: changed=0, no token request (the cache holds the token of the first run), at most 7
requests for the baseline, at most 2 of them (``$batch`` members counted one by one) in the conditional
access throttling bucket, and 3 for the policy set (every resource type read once).
"""
import argparse
import re
import sys
import time

import harness
import bench_conditional_access as ca

HARDEN = harness.REPO / "playbooks" / "harden_tenant.yml"
SEED = harness.REPO / "sandbox" / "seeds" / "contoso.json"


# Paths (relative to the version root) in Graph's conditional access bucket, about 1 request/s per tenant.
CA_BUCKET = re.compile(r"^/?(identity/conditionalAccess/|policies/authenticationStrengthPolicies|"
                       r"identity/authenticationStrength)", re.IGNORECASE)


def relative(path):
    path = path.split("?", 1)[0].lstrip("/")
    for version in ("v1.0/", "beta/"):
        if path.startswith(version):
            return path[len(version):]
    return path


def ca_bucket(records):
    """Graph requests in the conditional access bucket, each member of a ``$batch`` counted."""
    count = 0
    for r in records:
        if r["service"] != "graph":
            continue
        if relative(r["path"]) == "$batch":
            count += sum(1 for item in (r.get("body") or {}).get("requests") or []
                         if CA_BUCKET.search(relative(item.get("url", ""))))
        elif CA_BUCKET.search(relative(r["path"])):
            count += 1
    return count


def recap(stdout, host="localhost"):
    """{ok, changed, skipped, failed} of ``host`` from the play recap."""
    for line in stdout.splitlines():
        if line.startswith(host + " ") and "ok=" in line:
            return dict((k, int(v)) for k, v in (part.split("=") for part in line.split(":", 1)[1].split()))
    raise SystemExit("no play recap for %s in:\n%s" % (host, stdout[-3000:]))


def command_play(tasks):
    body = "".join("    - name: Command task %d\n      ansible.builtin.command: \"true\"\n      changed_when: false\n" % i
                   for i in range(tasks))
    return harness.play("command", body)


def measure(sb, run, repeat):
    """Run ``run()`` (returning (seconds, completed)) once to converge/warm, then ``repeat`` times.

    Returns the figures of the last measured run with the fastest time."""
    run()
    times = []
    for _ in range(repeat):
        before = len(sb.requests())
        took, done = run()
        time.sleep(0.2)
        times.append(took)
        records = sb.requests()[before:]
    counts = harness.count_requests(records)
    counts["ca_bucket"] = ca_bucket(records)
    counts["seconds"] = round(min(times), 2)
    counts["recap"] = recap(done.stdout)
    counts["tasks"] = counts["recap"]["ok"] + counts["recap"]["changed"]
    command_times = []
    for _ in range(repeat):
        took, _done = harness.run_playbook(sb, command_play(counts["tasks"]))
        command_times.append(took)
    counts["command_seconds"] = round(min(command_times), 2)
    counts["ratio"] = round(counts["seconds"] / counts["command_seconds"], 2)
    return counts


def harden(repeat):
    with harness.sandbox(seed=str(SEED)) as sb:
        def run():
            return harness.run_playbook_file(sb, HARDEN)
        return measure(sb, run, repeat)


def ca_set(count, repeat):
    with harness.sandbox(seed=ca.seed(count)) as sb:
        text = ca.baseline_play([ca.declared_policy(i) for i in range(count)])

        def run():
            return harness.run_playbook(sb, text)
        return measure(sb, run, repeat)


def rows_of(label, figures):
    rows = [
        ("%s: changed / tasks run" % label, "%d / %d" % (figures["recap"]["changed"], figures["tasks"])),
        ("%s: token requests" % label, figures["token"]),
        ("%s: Graph requests" % label, figures["graph"]),
        ("%s: Exchange requests" % label, figures["exchange"]),
        ("%s: conditional access bucket ($batch members counted)" % label, figures["ca_bucket"]),
    ]
    for path, n in sorted(figures["by_path"].items()):
        rows.append(("%s:   %s" % (label, path), n))
    rows += [
        ("%s: seconds (best of runs)" % label, figures["seconds"]),
        ("%s: same number of command: true tasks, seconds" % label, figures["command_seconds"]),
        ("%s: ratio to command: true" % label, figures["ratio"]),
    ]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="measured runs of each play; the fastest counts")
    parser.add_argument("--policies", type=int, default=50, help="policies of the conditional access set")
    args = parser.parse_args()
    baseline = harden(args.repeat)
    policies = ca_set(args.policies, args.repeat)
    ok = (baseline["recap"]["changed"] == 0 and policies["recap"]["changed"] == 0 and baseline["token"] == 0
          and policies["token"] == 0 and baseline["graph"] + baseline["exchange"] <= 7 and baseline["ca_bucket"] <= 2
          and policies["graph"] <= 3)
    rows = rows_of("harden_tenant.yml", baseline) + rows_of("%d CA policies" % args.policies, policies)
    rows += [("load average (1 min) at the end", harness.load()["load_1min"]), ("targets met", "yes" if ok else "NO")]
    harness.report("no-op convergence", rows, {
        "harden_tenant": baseline, "ca_policies": dict(policies, policies=args.policies),
        "load_average": harness.load(), "targets_met": ok,
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
