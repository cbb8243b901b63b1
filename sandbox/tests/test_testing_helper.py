"""The test helper never leaves a sandbox running, even when the process that started it ends without teardown."""
import os
import time

from tenantguard_sandbox.testing import running_sandbox


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as handle:  # a zombie is not running
        return handle.read().split()[2] != "Z"


def test_sandbox_stops_when_its_starter_ends_without_teardown(tmp_path):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        os.close(read_end)
        context = running_sandbox(tmp_path / "sandbox")
        sandbox = context.__enter__()
        os.write(write_end, str(sandbox.process.pid).encode())
        os._exit(0)  # what a per-test forking runner does: no fixture teardown
    os.close(write_end)
    server_pid = int(os.read(read_end, 32).decode())
    os.close(read_end)
    os.waitpid(child, 0)
    deadline = time.monotonic() + 10
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(server_pid)
