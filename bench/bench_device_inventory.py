"""Mobile device inventory at scale: mobile_device_info with source all over 100,000 Exchange mobile
devices and 100,000 Intune managed devices (plus Entra devices and managed app registrations, 0 by default;
``--exchange 500000 --intune 500000 --mam 500000`` is the four-source run).

How it measures:

* The module runs as Ansible runs it on the controller: its file executed by the virtualenv's Python
  in a child process, with its arguments in a JSON file (``{"ANSIBLE_MODULE_ARGS": ...}``) and the
  collection on PYTHONPATH. Wall time is that child's life, from start to its JSON answer.
* CPU time (user + system) of the module comes from the same call; on a busy machine it is the steadier
  figure, since the wall time also waits for the sandbox, which serves the pages in another process.
* Peak memory is the child's maximum resident set size, read with
  ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it has been waited for (the sandbox runs
  in another process tree that is not a child of this one at that moment: it was started before and
  is not waited for, so only the module counts).
* Requests are counted from the sandbox's requests.jsonl and compared with the number of pages
  (Exchange: 1,000 rows a page, plus the one 302 of the front door; Intune: 1,000 a page; Entra: 999; app
  registrations: 1,000 a page, the sandbox's page size).

The module writes the inventory to a file (``dest``) as a playbook at this scale would: returning
200,000 records through Ansible's result would hold them as objects (and Ansible copies the result
to strip secrets), which alone exceeds the memory target.

Targets: at most 30 s, at most 300 MB, requests = pages.
"""
import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import harness

TARGET_SECONDS = 30.0
TARGET_MB = 300.0



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchange", type=int, default=100000)
    parser.add_argument("--intune", type=int, default=100000)
    parser.add_argument("--entra", type=int, default=0)
    parser.add_argument("--mam", type=int, default=0, help="managed app registrations")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=TARGET_SECONDS, help="the wall time target")
    args = parser.parse_args()

    from tenantguard_sandbox.generate import generate_seed

    import tempfile
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-seed-") as tmp:
        seed = os.path.join(tmp, "seed.json")
        started = time.perf_counter()
        generate_seed(seed, users=args.users, groups=0, devices=args.entra, managed_devices=args.intune,
                      exchange_devices=args.exchange, app_registrations=args.mam)
        generated = time.perf_counter() - started
        # loading the seed takes about a second per 50,000 objects on an idle machine
        objects = args.exchange + args.intune + args.entra + args.mam + args.users
        with harness.sandbox(seed=seed, timeout=max(20.0, objects / 5000.0)) as sb:
            skip = len(sb.requests())
            dest = str(Path(sb.workdir) / "devices.json")
            load = os.getloadavg()[0]
            took, cpu, peak_mb, result = harness.run_module(sb, "mobile_device_info", {"source": "all", "dest": dest})
            with open(dest, encoding="utf-8") as stream:
                written = sum(1 for line in stream if line.startswith("{"))
            log = sb.requests()[skip:]
    counts = harness.count_requests(log)
    pages = {
        "exchange": max(1, math.ceil(args.exchange / 1000.0)),
        "intune": max(1, math.ceil(args.intune / 1000.0)),
        "entra": max(1, math.ceil(args.entra / 999.0)),
        "mam": max(1, math.ceil(args.mam / 1000.0)),
    }
    exchange_posts = [r for r in log if r["service"] == "exchange"]
    redirects = sum(1 for r in exchange_posts if r["status"] == 302)
    intune = sum(1 for r in log if r["path"] == "/beta/deviceManagement/managedDevices")
    # compliance: the policies, each one's device statuses, the setting summaries, each failing setting's devices
    compliance = [r for r in log if "/deviceCompliancePolic" in r["path"]]
    status_pages = sum(1 for r in compliance if r["path"].endswith("/deviceStatuses"))
    setting_pages = sum(1 for r in compliance if r["path"].endswith("/deviceComplianceSettingStates"))
    entra = sum(1 for r in log if r["path"] == "/v1.0/devices")
    mam = sum(1 for r in log if r["path"] == "/beta/deviceAppManagement/managedAppRegistrations")
    exchange_pages = len(exchange_posts) - redirects
    summary = result["summary"]
    ok = (written == result["count"] and took <= args.seconds and peak_mb <= TARGET_MB
          and exchange_pages == pages["exchange"] and intune == pages["intune"] and entra == pages["entra"]
          and mam == pages["mam"])
    rows = [
        ("devices (Exchange / Intune / Entra / app registrations)",
         "%d / %d / %d / %d" % (args.exchange, args.intune, args.entra, args.mam)),
        ("records written (dest)", "%d (count %d)" % (written, result["count"])),
        ("records by source", json.dumps(summary["by_source"], sort_keys=True)),
        ("EAS-only users", "%d" % len(summary["eas_only_users"])),
        ("module wall time", "%.1f s (target <= %.0f s)" % (took, args.seconds)),
        ("module CPU time (user+sys)", "%.1f s" % cpu),
        ("load average before the run", "%.1f on %d CPUs (wall time includes waiting for the sandbox)"
         % (load, os.cpu_count() or 1)),
        ("module peak RSS", "%.0f MB (target <= %.0f MB)" % (peak_mb, TARGET_MB)),
        ("Exchange requests", "%d pages (expected %d) + %d front-door 302" % (exchange_pages, pages["exchange"],
                                                                            redirects)),
        ("Intune requests", "%d (pages expected %d)" % (intune, pages["intune"])),
        ("Entra requests", "%d (pages expected %d)" % (entra, pages["entra"])),
        ("app registration requests", "%d (pages expected %d)" % (mam, pages["mam"])),
        ("compliance requests", "%d: %d pages of device statuses, %d pages of failing settings' device states, "
         "2 lists (policies, setting summaries)" % (len(compliance), status_pages, setting_pages)),
        ("token requests", "%d" % counts["token"]),
        ("seed generation", "%.1f s" % generated),
        ("targets met", "yes" if ok else "NO"),
    ]
    harness.report("device inventory, source all", rows, {
        "exchange_devices": args.exchange, "intune_devices": args.intune, "entra_devices": args.entra,
        "app_registrations": args.mam, "mam_requests": mam, "compliance_requests": len(compliance),
        "compliance_status_pages": status_pages, "compliance_setting_pages": setting_pages,
        "seconds": round(took, 2), "cpu_seconds": round(cpu, 2), "load_average": round(load, 2), "peak_rss_mb": round(peak_mb, 1), "exchange_pages": exchange_pages,
        "exchange_redirects": redirects, "intune_requests": intune, "entra_requests": entra,
        "expected_pages": pages, "records": written, "targets_met": ok,
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
