"""The shell snippets of README.md and docs/sandbox.md that start the Graph sandbox and use it work as written in a
new shell: ``make sandbox`` (its recipe, with a free port and a temporary state directory) in one, the rest of the
snippet, unchanged, in a fresh ``bash -c`` that inherits nothing but a PATH without the virtualenv and a HOME."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def sandbox_snippets():
    """(source, snippet) for every shell block that starts with ``make sandbox`` and sources ``.sandbox/env.sh``."""
    found = []
    for name in ("README.md", "docs/sandbox.md", "docs/getting_started.md"):
        for block in BLOCK.findall((REPO / name).read_text(encoding="utf-8")):
            if block.startswith("make sandbox") and ". .sandbox/env.sh" in block:
                found.append((name, block))
    return found


def test_the_docs_have_the_snippets():
    assert [snippet[0] for snippet in sandbox_snippets()] == ["README.md", "docs/sandbox.md"]


@pytest.fixture
def checkout(tmp_path):
    """A checkout as ``make`` leaves it: the playbooks, .venv and .build/collections (this repository as
    tenantguard.m365); the sandbox's state directory is the checkout's own .sandbox/, new."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "playbooks").symlink_to(REPO / "playbooks", target_is_directory=True)
    (root / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    namespace = root / ".build" / "collections" / "ansible_collections" / "tenantguard"
    namespace.mkdir(parents=True)
    (namespace / "m365").symlink_to(REPO, target_is_directory=True)
    return root


def serve(checkout):
    """``make sandbox``'s own command (printed by ``make -n``, not run by make, which would set the venv up)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    printed = subprocess.run([make, "--no-print-directory", "-n", "-C", str(REPO), "sandbox", "SANDBOX_PORT=0",
                              "SANDBOX_DIR=%s" % (checkout / ".sandbox"), "VENV=%s" % (checkout / ".venv")],
                             capture_output=True, text=True, check=True).stdout
    command = [line for line in printed.splitlines() if "tenantguard_sandbox serve" in line]
    assert len(command) == 1, printed
    env = {"PATH": os.environ["PATH"], "HOME": str(checkout.parent), "PYTHONPATH": str(REPO / "sandbox")}
    return subprocess.Popen(["bash", "-c", "exec " + command[0]], cwd=str(REPO), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("source", ["README.md", "docs/sandbox.md"])
def test_snippet_works_in_a_new_shell(source, checkout):
    snippet = dict(sandbox_snippets())[source]
    lines = snippet.splitlines()
    assert lines[0].startswith("make sandbox")
    server = serve(checkout)
    try:
        deadline = time.time() + 120
        while not (checkout / ".sandbox" / "env.sh").exists():
            assert server.poll() is None, server.stderr.read()
            assert time.time() < deadline, "the sandbox did not start"
            time.sleep(0.5)
        time.sleep(1)
        # A new shell: no virtualenv on PATH, no ANSIBLE_* or AZURE_* variables, nothing of this process.
        system_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                      if not p.startswith(str(Path(sys.executable).parent.parent)))
        done = subprocess.run(["bash", "-c", "set -e\n" + "\n".join(lines[1:])], cwd=str(checkout),
                              env={"PATH": system_path, "HOME": str(checkout.parent)},
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Show the overview" in done.stdout and "failed=0" in done.stdout
