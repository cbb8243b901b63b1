"""Fixtures for the end-to-end tests: real ansible-playbook runs against a real Graph sandbox.

Each test gets a fresh sandbox (its own state directory, CA and credentials) and a fresh token
cache, and runs ``ansible-playbook`` as a user would: the collection is found through a
collections path that points at this checkout, and the connection settings come from the
environment that the sandbox writes to ``env.sh``.
"""
import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
RECAP = re.compile(
    r"^localhost\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)",
    re.MULTILINE,
)

SEED = {
    "users": [
        {"displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com"},
        {"displayName": "Alex Wilber", "userPrincipalName": "alex@contoso.onmicrosoft.com"},
        {"displayName": "Diego Siciliani", "userPrincipalName": "diego@contoso.onmicrosoft.com"},
        {"displayName": "Break Glass 1", "userPrincipalName": "breakglass1@contoso.onmicrosoft.com"},
        {"displayName": "Break Glass 2", "userPrincipalName": "breakglass2@contoso.onmicrosoft.com"},
    ],
    "groups": [
        # The break-glass accounts are in the emergency group, as in a real tenant: an emergency group without an
        # enabled member is refused (acknowledge_unusable_emergency_access). The id is the one the sandbox gives
        # this group when a seed leaves it out, written here because tests name it.
        {"id": "7de87352-5e8b-5821-bee7-5e4d8f642ac9", "displayName": "Emergency Access", "securityEnabled": True,
         "mailEnabled": False, "mailNickname": "emergency",
         "members": ["breakglass1@contoso.onmicrosoft.com", "breakglass2@contoso.onmicrosoft.com"]},
        {"displayName": "Mobile Pilot", "securityEnabled": True, "mailEnabled": False, "mailNickname": "mobilepilot"},
    ],
}


# What the sandbox's request log calls a write, and the POSTs that only read (a $batch of GETs, getByIds).
WRITES = ("POST", "PATCH", "PUT", "DELETE")
READ_POSTS = ("/$batch", "/getByIds")


def settled(sandbox):
    """The sandbox's request log once it has stopped growing (a line is written after its answer is sent)."""
    rows = sandbox.requests()
    while True:
        time.sleep(0.05)
        again = sandbox.requests()
        if len(again) == len(rows):
            return again
        rows = again


def stored(sandbox, name):
    """A collection as the sandbox stores it (its state directory), read directly, not through Graph."""
    with open(os.path.join(sandbox.state_dir, "data", name + ".json"), encoding="utf-8") as handle:
        data = json.load(handle)
    items = data.values() if isinstance(data, dict) else data
    return [o for o in items if isinstance(o, dict) and "id" in o]


def with_pilot_members(seed):
    """A copy of ``seed`` with members in the Mobile Pilot group (an enforced policy for an empty group is
    refused)."""
    seed = copy.deepcopy(seed)
    for group in seed["groups"]:
        if group["displayName"] == "Mobile Pilot":
            group["members"] = ["adele@contoso.onmicrosoft.com", "alex@contoso.onmicrosoft.com"]
    return seed


def graph_writes(sandbox, since=0, fields=("method", "status"), bulk_reads=True):
    """The Graph writes of the settled log from row ``since`` on, each as the tuple of ``fields`` (a row key, or
    a function of the row); ``bulk_reads=False`` leaves out the POSTs that only read."""
    rows = [r for r in settled(sandbox)[since:] if r["service"] == "graph" and r["method"] in WRITES
            and (bulk_reads or not r["path"].endswith(READ_POSTS))]
    return [tuple(field(r) if callable(field) else r[field] for field in fields) for r in rows]


def last_segment(row):
    """The last segment of a request's path (the id or the collection written to)."""
    return row["path"].rsplit("/", 1)[-1]


class PlaybookRun:
    """What one ansible-playbook run printed, with its recap parsed."""

    def __init__(self, completed, out_dir):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.out_dir = out_dir
        match = RECAP.search(completed.stdout)
        self.recap = {k: int(v) for k, v in match.groupdict().items()} if match else None

    def output(self, name):
        """A JSON document that the play wrote with the ``save`` pattern (see playbooks/)."""
        return json.loads((self.out_dir / (name + ".json")).read_text())

    def __repr__(self):
        return "PlaybookRun(rc=%s, recap=%s)\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.recap, self.stdout, self.stderr)


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A collections path in which this checkout is tenantguard.m365."""
    root = tmp_path_factory.mktemp("collections")
    ns = root / "ansible_collections" / "tenantguard"
    ns.mkdir(parents=True)
    (ns / "m365").symlink_to(REPO, target_is_directory=True)
    return root


@pytest.fixture
def sandbox_seed():
    """The seed of the test's sandbox; override in a test module for another tenant."""
    return SEED


@pytest.fixture
def graph_sandbox(tmp_path, sandbox_seed):
    """A Graph sandbox of this test's own, serving the seed."""
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "sandbox", seed=sandbox_seed) as sandbox:
        yield sandbox


@pytest.fixture
def run_playbook(graph_sandbox, collections_path, tmp_path):
    """Run a playbook from tests/e2e/playbooks (or a path) against the sandbox of this test."""

    def run(playbook, *args, extra_vars=None, env=None):
        out_dir = tmp_path / "out"
        out_dir.mkdir(exist_ok=True)
        path = Path(playbook) if os.path.isabs(str(playbook)) else PLAYBOOKS / playbook
        full_env = graph_sandbox.ansible_environment(tmp_path, collections_path)
        full_env.update(env or {})
        variables = {"out_dir": str(out_dir)}
        variables.update(extra_vars or {})
        cmd = [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i", "localhost,",
            "-e", json.dumps(variables),
            str(path),
        ] + list(args)
        completed = subprocess.run(cmd, env=full_env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
        return PlaybookRun(completed, out_dir)

    return run


def _register_hypothesis_profiles():
    """Hypothesis settings profiles shared by the property tests: ``ci`` (the default: few examples,
    a fixed seed, no example database, so every run tries the same inputs) and ``long`` (many
    examples, random; ``make test-properties``). ``HYPOTHESIS_PROFILE`` picks one. A failure prints
    the shrunk example and the blob that reproduces it."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return
    # Examples run modules against a sandbox shared by the tests of a file (function-scoped fixtures
    # are safe: every example names its own objects), and one example takes a second or more.
    common = dict(deadline=None, print_blob=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large])
    settings.register_profile("ci", max_examples=8, derandomize=True, database=None, **common)
    settings.register_profile("long", max_examples=200, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_register_hypothesis_profiles()
