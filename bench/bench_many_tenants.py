"""Many tenants in one run: playbooks/harden_tenant.yml over an inventory of N tenants (default 100),
each its own sandbox (one tenant per server, each with its own tenant id, application secret,
signing key and endpoints), converged with ``--forks``.

The first run converges every tenant from the Contoso demo seed; the second, measured, is a no-op.
Prints the total wall time of each run, the seconds per tenant, and the requests each tenant's
sandbox logged during the no-op run (token, Graph by path): the lowest, highest and mean over the
tenants (target: at most 7 requests per tenant).

All tenants share one controller: one token cache and one pacing state, keyed by tenant, as a
real run from one machine would.
"""
import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness

HARDEN = harness.REPO / "playbooks" / "harden_tenant.yml"
SEED = harness.REPO / "sandbox" / "seeds" / "contoso.json"
TARGET_REQUESTS = 7


def tenant_settings(index):
    """The sandbox's tenant.json for tenant ``index``: its own tenant id and secrets."""
    return {
        "tenantId": "7d0b5c3e-4a7f-4f6e-9c1d-%012d" % index,
        "defaultDomain": "contoso.onmicrosoft.com",
        "displayName": "Bench tenant %03d" % index,
        "cloud": "public",
        "automationSecret": "tgS~" + secrets.token_urlsafe(30),
        "identityHeader": secrets.token_hex(16),
    }


def start(workdir, index):
    from tenantguard_sandbox.testing import running_sandbox

    state = Path(workdir) / ("tenant%03d" % index)
    state.mkdir(mode=0o700)
    settings = state / "tenant.json"
    fd = os.open(str(settings), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        json.dump(tenant_settings(index), stream)
    manager = running_sandbox(state, seed=str(SEED), timeout=120.0)
    sandbox = manager.__enter__()
    sandbox.workdir = Path(workdir)
    return manager, sandbox


def inventory(workdir, sandboxes):
    hosts = {}
    for index, sb in enumerate(sandboxes):
        env = sb.env
        hosts["tenant%03d" % index] = {
            "ansible_connection": "local",
            "tenantguard_tenant_id": env["AZURE_TENANT_ID"],
            "tenantguard_client_id": env["AZURE_CLIENT_ID"],
            "tenantguard_client_secret": env["AZURE_CLIENT_SECRET"],
            "tenantguard_login_endpoint": env["TENANTGUARD_LOGIN_ENDPOINT"],
            "tenantguard_graph_endpoint": env["TENANTGUARD_GRAPH_ENDPOINT"],
            "tenantguard_exchange_endpoint": env["TENANTGUARD_EXCHANGE_ENDPOINT"],
            "tenantguard_ca_bundle": env["TENANTGUARD_CA_BUNDLE"],
        }
    path = Path(workdir) / "tenants.json"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        json.dump({"all": {"hosts": hosts}}, stream)
    return path


def run(workdir, sb, inventory_path, forks):
    env = sb.ansible_environment(workdir, harness.collections_path(workdir))
    for key in list(env):  # every tenant's credentials come from the inventory
        if key.startswith("AZURE_") or (key.startswith("TENANTGUARD_") and key != "TENANTGUARD_TOKEN_CACHE"):
            del env[key]
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory_path),
           "-f", str(forks), str(HARDEN)]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=str(workdir), capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit("the run failed:\n%s\n%s" % (done.stdout[-6000:], done.stderr[-3000:]))
    return took, done


def changed_hosts(stdout):
    changed = 0
    for line in stdout.splitlines():
        if line.startswith("tenant") and "changed=" in line:
            changed += int(line.split("changed=")[1].split()[0]) > 0
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--forks", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-tenants-") as workdir:
        started = time.perf_counter()
        managers = []
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                for manager, sb in pool.map(lambda i: start(workdir, i), range(args.tenants)):
                    managers.append((manager, sb))
            sandboxes = [sb for _m, sb in managers]
            startup = time.perf_counter() - started
            inventory_path = inventory(workdir, sandboxes)
            converge_s, converge = run(workdir, sandboxes[0], inventory_path, args.forks)
            marks = [len(sb.requests()) for sb in sandboxes]
            load_before = harness.load()
            noop_s, noop = run(workdir, sandboxes[0], inventory_path, args.forks)
            time.sleep(0.3)
            per_tenant = [harness.count_requests(sb.requests()[mark:]) for sb, mark in zip(sandboxes, marks)]
        finally:
            for manager, _sb in reversed(managers):
                manager.__exit__(None, None, None)
    totals = [c["token"] + c["graph"] + c["exchange"] for c in per_tenant]
    graph = [c["graph"] for c in per_tenant]
    tokens = [c["token"] for c in per_tenant]
    paths = {}
    for counts in per_tenant:
        for path, n in counts["by_path"].items():
            paths.setdefault(path, []).append(n)
    ok = max(totals) <= TARGET_REQUESTS and changed_hosts(noop.stdout) == 0
    rows = [
        ("tenants (sandboxes) / forks", "%d / %d" % (args.tenants, args.forks)),
        ("sandboxes started in", "%.1f s" % startup),
        ("first run (converging every tenant)", "%.1f s, %d tenants changed" % (converge_s, changed_hosts(converge.stdout))),
        ("no-op run: wall time", "%.1f s (%.2f s per tenant), %d tenants changed"
         % (noop_s, noop_s / args.tenants, changed_hosts(noop.stdout))),
        ("no-op run: requests per tenant (min / max / mean)", "%d / %d / %.1f (target <= %d)"
         % (min(totals), max(totals), sum(totals) / float(len(totals)), TARGET_REQUESTS)),
        ("no-op run: Graph requests per tenant (min / max)", "%d / %d" % (min(graph), max(graph))),
        ("no-op run: token requests per tenant (min / max)", "%d / %d" % (min(tokens), max(tokens))),
    ]
    for path, ns in sorted(paths.items()):
        rows.append(("  %s (per tenant, min / max)" % path, "%d / %d" % (min(ns), max(ns))))
    rows += [("load average before the no-op run", "%.1f on %d CPUs" % (load_before["load_1min"], load_before["cpus"])),
             ("targets met", "yes" if ok else "NO")]
    harness.report("many tenants, harden_tenant.yml", rows, {
        "tenants": args.tenants, "forks": args.forks, "startup_seconds": round(startup, 1),
        "converge_seconds": round(converge_s, 1), "noop_seconds": round(noop_s, 1),
        "noop_seconds_per_tenant": round(noop_s / args.tenants, 3),
        "requests_per_tenant": {"min": min(totals), "max": max(totals), "mean": round(sum(totals) / float(len(totals)), 2)},
        "graph_per_tenant_max": max(graph), "token_per_tenant_max": max(tokens),
        "by_path_max": dict((p, max(ns)) for p, ns in paths.items()), "changed_tenants": changed_hosts(noop.stdout),
        "load_average": load_before, "targets_met": ok,
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
