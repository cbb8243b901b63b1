"""Report-only evidence at scale: conditional_access_rollout_readiness summarising 1,000,000 sign-in log entries.

How it measures (as bench_device_inventory.py does):

* The sandbox serves a generated sign-in log (``generate --sign-ins N``): the entries are made on demand from
  their index, page by page, so the sandbox never holds them all; every entry names the generated report-only
  policy with a result (about 2 % reportOnlyFailure, 1 % reportOnlyInterrupted, 30 % reportOnlyNotApplied).
* The module runs as Ansible runs it: its file executed by the virtualenv's Python in a child process with its
  arguments in a JSON file. Wall time is that child's life; CPU time is its user + system time; peak memory is its
  maximum resident set size (``getrusage(RUSAGE_CHILDREN)``, the sandbox being no child of this process).
* Requests are counted from the sandbox's requests.jsonl: sign-in requests must equal the pages (1,000 a page,
  Graph's maximum and default page size).

Targets: at most 60 s, at most 300 MB, requests = pages.
"""
import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import harness

TARGET_SECONDS = 60.0
TARGET_MB = 300.0


def process_cpu(pid):
    """User + system CPU seconds of a running process (Linux /proc), or None."""
    try:
        with open("/proc/%d/stat" % pid) as stream:
            fields = stream.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=1000000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=TARGET_SECONDS, help="the wall time target")
    args = parser.parse_args()

    from tenantguard_sandbox.generate import SIGN_IN_POLICY, generate_seed, sign_in_interval

    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-seed-") as tmp:
        seed = os.path.join(tmp, "seed.json")
        generate_seed(seed, users=args.users, sign_ins=args.sign_ins, sign_ins_newest="2026-12-06T00:00:00Z")
        # the window that holds them all (the generator spreads them over at most 28 days)
        days = max(1, math.ceil(args.sign_ins * sign_in_interval(args.sign_ins) / 86400.0))
        with harness.sandbox(seed=seed, timeout=60.0) as sb:
            skip = len(sb.requests())
            load = os.getloadavg()[0]
            sandbox_before = process_cpu(sb.process.pid)
            took, cpu, peak_mb, result = harness.run_module(sb, "conditional_access_rollout_readiness", {
                "policies": [SIGN_IN_POLICY["displayName"]], "window_end": "2026-12-06T00:00:00Z",
                "window_days": days, "max_users_listed": 50})
            sandbox_after = process_cpu(sb.process.pid)
            log = sb.requests()[skip:]
    sandbox_cpu = (sandbox_after - sandbox_before) if None not in (sandbox_before, sandbox_after) else -1.0
    sign_in_requests = sum(1 for r in log if r["path"] == "/v1.0/auditLogs/signIns")
    pages = max(1, math.ceil(args.sign_ins / 1000.0))
    [row] = result["policies"]
    ok = (result["sign_ins_read"] == args.sign_ins and took <= args.seconds and peak_mb <= TARGET_MB
          and sign_in_requests == pages == result["pages"])
    rows = [
        ("sign-ins in the log", "%d (window %s .. %s)" % (args.sign_ins, result["window"]["start"],
                                                          result["window"]["end"])),
        ("sign-ins read", "%d" % result["sign_ins_read"]),
        ("result counts", json.dumps(row["result_counts"], sort_keys=True)),
        ("users with failures", "%d (%d not seen)" % (len(row["failures"]), row["users_not_seen_count"])),
        ("module wall time", "%.1f s (target <= %.0f s)" % (took, args.seconds)),
        ("module CPU time (user+sys)", "%.1f s" % cpu),
        ("sandbox CPU time serving it", "%.1f s (the module fetches the next page while it summarises one)"
         % sandbox_cpu),
        ("load average before the run", "%.1f on %d CPUs (wall time includes waiting for the sandbox)"
         % (load, os.cpu_count() or 1)),
        ("module peak RSS", "%.0f MB (target <= %.0f MB)" % (peak_mb, TARGET_MB)),
        ("sign-in requests", "%d (pages expected %d)" % (sign_in_requests, pages)),
        ("targets met", "yes" if ok else "NO"),
    ]
    harness.report("report-only sign-in summary", rows, {
        "sign_ins": args.sign_ins, "seconds": round(took, 2), "cpu_seconds": round(cpu, 2),
        "sandbox_cpu_seconds": round(sandbox_cpu, 2), "load_average": round(load, 2), "peak_rss_mb": round(peak_mb, 1), "sign_in_requests": sign_in_requests,
        "expected_pages": pages, "targets_met": ok,
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
