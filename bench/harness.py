"""Shared pieces of the benchmarks: a sandbox, ansible-playbook runs, and figures printed two ways.

Every benchmark prints a table for people and one JSON line (prefixed ``BENCH``) for tools.
Request counts come from the sandbox's requests.jsonl, so they do not depend on machine noise;
wall times are given with a baseline measured in the same run where one exists.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def sandbox(seed=None, faults=None, timeout=20.0):
    """A fresh sandbox in a temporary state directory (``timeout``: seconds it may take to start)."""
    from tenantguard_sandbox.testing import running_sandbox

    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as tmp:
        with running_sandbox(Path(tmp) / "sandbox", seed=seed, faults=faults, timeout=timeout) as sb:
            sb.workdir = Path(tmp)
            yield sb


def collections_path(workdir, repo=None, name="collections"):
    """A collections path in which this checkout (or the tree ``repo``) is tenantguard.m365."""
    ns = Path(workdir) / name / "ansible_collections" / "tenantguard"
    ns.mkdir(parents=True, exist_ok=True)
    link = ns / "m365"
    if not link.exists():
        link.symlink_to(Path(repo) if repo else REPO, target_is_directory=True)
    return str(Path(workdir) / name)


def play(name, tasks):
    """The text of a localhost play with the given task YAML (indented four spaces)."""
    return (
        "- name: %s\n  hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  tasks:\n%s" % (name, tasks)
    )


def run_playbook(sb, text, *args, env=None, collections=None):
    """Run a playbook text against the sandbox; return (seconds, completed process)."""
    path = Path(sb.workdir) / ("play-%d.yml" % time.monotonic_ns())
    path.write_text(text)
    return run_playbook_file(sb, path, *args, env=env, collections=collections)


def run_playbook_file(sb, path, *args, env=None, inventory="localhost,", collections=None):
    """Run the playbook at ``path`` against the sandbox; return (seconds, completed process).
    ``collections``: another collections path (default: this checkout's)."""
    workdir = Path(sb.workdir)
    full_env = sb.ansible_environment(workdir, collections or collections_path(workdir))
    full_env.update(env or {})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, str(path)] + list(args)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=full_env, capture_output=True, text=True, check=False, cwd=str(workdir))
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit("benchmark play failed:\n%s\n%s" % (done.stdout, done.stderr))
    return took, done


def count_requests(records):
    """Requests by service and by method and path, from requests.jsonl records."""
    counts = {"token": 0, "graph": 0, "exchange": 0, "by_path": {}}
    for r in records:
        if r["service"] == "login" and r["path"].endswith("/token"):
            counts["token"] += 1
        elif r["service"] in ("graph", "exchange"):
            counts[r["service"]] += 1
            key = "%s %s" % (r["method"], r["path"])
            counts["by_path"][key] = counts["by_path"].get(key, 0) + 1
    return counts


def report(name, rows, figures):
    """Print a two-column table and a BENCH JSON line."""
    width = max(len(label) for label, _ in rows)
    print("%s" % name)
    print("-" * (width + 24))
    for label, value in rows:
        print("%-*s  %s" % (width, label, value))
    print("BENCH " + json.dumps(dict(figures, benchmark=name), sort_keys=True))


def load():
    """The one-minute load average and the CPU count, to print beside wall times."""
    return {"load_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count() or 1}


def run_module(sb, name, arguments):
    """Run module ``name`` once as Ansible would, against ``sb``: (wall s, CPU s, peak RSS MB, its result)."""
    workdir = Path(sb.workdir)
    args_path = workdir / "args.json"
    args_path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    env = sb.ansible_environment(workdir, collections_path(workdir))
    env["PYTHONPATH"] = collections_path(workdir)
    module = REPO / "plugins" / "modules" / ("%s.py" % name)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(module), str(args_path)], env=env, capture_output=True, text=True,
                          cwd=str(workdir), check=False)
    took = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    if done.returncode != 0:
        raise SystemExit("module failed:\n%s\n%s" % (done.stdout[-4000:], done.stderr[-4000:]))
    if peak_kb <= before:
        raise SystemExit("the module's peak RSS could not be told apart from an earlier child's (%d KiB)" % before)
    return took, cpu, peak_kb / 1024.0, json.loads(done.stdout)
