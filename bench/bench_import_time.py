"""Import time of every module of the collection, each in a fresh Python process, against ansible's own basic.

What each module's import loads before its task does anything: the median over ``--runs``
processes (interleaved, so that a change in machine load falls on all alike), the part above
``ansible.module_utils.basic`` (which every module, ``command`` included, imports), and which of the
heavy third-party libraries it pulls in (msal, cryptography, requests). Files are imported from disk
with their compiled caches; Ansible ships modules in a zip and compiles them each run, which adds
the same compile time to every module.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import harness

HEAVY = ("msal", "cryptography", "requests", "urllib3")
BASELINE = "ansible.module_utils.basic"
PROBE = """
import sys, time, json, importlib
start = time.perf_counter()
importlib.import_module(sys.argv[1])
took = time.perf_counter() - start
print(json.dumps({"ms": took * 1000, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def modules():
    folder = harness.REPO / "plugins" / "modules"
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def probe(name, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    done = subprocess.run([sys.executable, "-c", PROBE, name], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="processes per module (default 5)")
    args = parser.parse_args()
    names = [BASELINE] + ["ansible_collections.tenantguard.m365.plugins.modules.%s" % m for m in modules()]
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as tmp:
        pythonpath = os.pathsep.join(p for p in (harness.collections_path(tmp), os.environ.get("PYTHONPATH")) if p)
        for name in names:  # compile caches first, so that no run pays for them
            probe(name, pythonpath)
        times = dict((name, []) for name in names)
        heavy = {}
        for _ in range(args.runs):
            for name in names:
                result = probe(name, pythonpath)
                times[name].append(result["ms"])
                heavy[name] = result["heavy"]
    base = statistics.median(times[BASELINE])
    rows = [("%s (baseline)" % BASELINE, "%.0f ms" % base)]
    figures = {"runs": args.runs, "baseline_ms": round(base, 1), "modules": {}, "load": harness.load()}
    for name in names[1:]:
        short = name.rsplit(".", 1)[1]
        median = statistics.median(times[name])
        rows.append((short, "%.0f ms (+%.0f over basic); loads %s" % (median, median - base,
                                                                     ", ".join(heavy[name]) or "none of them")))
        figures["modules"][short] = {"ms": round(median, 1), "above_basic_ms": round(median - base, 1),
                                     "heavy": heavy[name]}
    harness.report("import time per module (median of %d processes)" % args.runs, rows, figures)


if __name__ == "__main__":
    main()
