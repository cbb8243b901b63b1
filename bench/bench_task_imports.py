"""One graph_request task served by a cached token, in a fresh Python process: CPU time and what it imports.

Each run calls the module's ``main()`` in a new interpreter (as Ansible runs a module, but from files on
disk with their compiled caches rather than from the AnsiballZ zip) under ``python -X importtime``, after
one unmeasured run that fills the token cache. Prints the median over ``--runs`` processes of: the
process's CPU time (user + system), and the cumulative import time of the libraries that matter (msal,
cryptography, requests, urllib3, charset_normalizer, idna, ssl, http.client) and of the collection's own
module_utils; and which of the heavy ones were imported at all. The same process with only
``ansible.module_utils.basic`` imported is the baseline (what a ``command`` task's module pays too).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

import harness

WATCHED = ("msal", "cryptography", "requests", "urllib3", "charset_normalizer", "idna", "ssl", "http.client",
           "ansible.module_utils.basic")
COLLECTION = "ansible_collections.tenantguard.m365"  # its modules' own import time, summed
HEAVY = ("msal", "cryptography", "requests", "urllib3", "charset_normalizer", "idna")

TASK = """
import json, sys
from ansible.module_utils.testing import patch_module_args
from ansible_collections.tenantguard.m365.plugins.modules import graph_request
with patch_module_args(json.loads(sys.argv[1])):
    try:
        graph_request.main()
    except SystemExit:
        pass
sys.stderr.write("\\nLOADED " + json.dumps([m for m in %r if m in sys.modules]) + "\\n")
""" % (HEAVY,)
BASELINE = """
import ansible.module_utils.basic
"""


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(code, args, env):
    before = _children_cpu()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code] + args, env=env, capture_output=True,
                          text=True, check=False, timeout=120)
    cpu = _children_cpu() - before
    imports = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = [part.strip() for part in line[len("import time:"):].split("|")]
        name = name.strip()
        for watched in WATCHED:
            if name == watched and watched not in imports:
                imports[watched] = int(cumulative) / 1000.0
        if name.startswith(COLLECTION):
            imports[COLLECTION] = imports.get(COLLECTION, 0.0) + int(_self) / 1000.0
    loaded = [json.loads(line[len("LOADED "):]) for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    return cpu, imports, (loaded[-1] if loaded else None), done


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="processes measured (default 10)")
    args = parser.parse_args()
    seed = {"users": [{"displayName": "User %d" % i, "userPrincipalName": "user%d@contoso.onmicrosoft.com" % i}
                      for i in range(50)]}
    task_args = [json.dumps({"path": "/users", "query": {"$select": "id"}})]
    with harness.sandbox(seed=seed) as sb:
        env = sb.ansible_environment(sb.workdir)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (harness.collections_path(sb.workdir),
                                                         os.environ.get("PYTHONPATH")) if p)
        _cpu, _imports, loaded, done = run(TASK, task_args, env)  # fills the token cache
        if loaded is None or json.loads(done.stdout or "{}").get("status") != 200:
            raise SystemExit("the task failed:\n%s\n%s" % (done.stdout, done.stderr[-3000:]))
        task = {"cpu": [], "imports": dict((w, []) for w in WATCHED + (COLLECTION,))}
        base = {"cpu": [], "imports": dict((w, []) for w in WATCHED + (COLLECTION,))}
        heavy = None
        for _ in range(args.runs):
            cpu, imports, loaded, done = run(TASK, task_args, env)
            if json.loads(done.stdout or "{}").get("status") != 200:
                raise SystemExit("the task failed:\n%s" % done.stdout)
            task["cpu"].append(cpu)
            heavy = loaded
            for name in WATCHED + (COLLECTION,):
                task["imports"][name].append(imports.get(name, 0.0))
            cpu, imports, _loaded, _done = run(BASELINE, [], env)
            base["cpu"].append(cpu)
            for name in WATCHED + (COLLECTION,):
                base["imports"][name].append(imports.get(name, 0.0))
        load = harness.load()
    rows = [("process CPU ms, graph_request task (median)", "%.0f" % (statistics.median(task["cpu"]) * 1000)),
            ("process CPU ms, importing ansible's basic only", "%.0f" % (statistics.median(base["cpu"]) * 1000)),
            ("heavy libraries imported by the task", ", ".join(heavy) or "none")]
    figures = {"runs": args.runs, "task_cpu_ms": round(statistics.median(task["cpu"]) * 1000, 1),
               "baseline_cpu_ms": round(statistics.median(base["cpu"]) * 1000, 1), "heavy_loaded": heavy,
               "import_ms": {}, "load": load}
    for name in WATCHED + (COLLECTION,):
        ms = statistics.median(task["imports"][name])
        figures["import_ms"][name] = round(ms, 1)
        rows.append(("import %s, ms (median)" % name, "%.1f" % ms))
    rows.append(("load average (1 min)", "%.2f on %d CPUs" % (load["load_1min"], load["cpus"])))
    harness.report("graph_request task, cached token, one process", rows, figures)


if __name__ == "__main__":
    main()
