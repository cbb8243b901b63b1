"""The write lock of a tenant's collection: one writer at a time among processes, owner-only files,
re-entrant within a process, a clear failure when another process keeps it too long (the engine's use
of it: tests/e2e/test_concurrency.py)."""
import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.write_lock import (
    WriteLock, WriteLockTimeout, collection_key, lock_for)

TENANT = "7d0b5c3e-4a7f-4f6e-9c1d-2b8e5a9f3c61"
POLICIES = "/identity/conditionalAccess/policies"

HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def hold_in_another_process(path, seconds):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, path, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_the_collection_key_ignores_version_query_and_case():
    assert collection_key("/v1.0/identity/conditionalAccess/policies?$top=5") == "identity/conditionalaccess/policies"
    assert collection_key("beta/identity/conditionalAccess/policies") == collection_key(POLICIES)
    first = WriteLock("/tmp/x", TENANT, "/v1.0" + POLICIES)
    assert first.path == WriteLock("/tmp/x", TENANT.upper(), "/beta" + POLICIES).path
    assert first.path != WriteLock("/tmp/x", TENANT, "/identity/conditionalAccess/namedLocations").path
    assert first.path != WriteLock("/tmp/x", "00000000-0000-0000-0000-000000000001", POLICIES).path


def test_lock_files_are_owner_only(tmp_path):
    lock = WriteLock(str(tmp_path / "state"), TENANT, POLICIES)
    assert lock.acquire()
    try:
        assert stat.S_IMODE(os.stat(lock.directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(lock.path + ".lock").st_mode) == 0o600
    finally:
        lock.release()


def test_a_second_process_waits_until_the_first_releases(tmp_path):
    lock = WriteLock(str(tmp_path), TENANT, POLICIES, timeout=30)
    os.makedirs(lock.directory, mode=0o700)
    holder = hold_in_another_process(lock.path + ".lock", 1.5)
    started = time.monotonic()
    assert lock.acquire()
    waited = time.monotonic() - started
    lock.release()
    holder.wait(10)
    assert waited >= 1.0, waited


def test_a_lock_kept_too_long_fails_naming_tenant_collection_and_file(tmp_path):
    lock = WriteLock(str(tmp_path), TENANT, "/v1.0" + POLICIES, timeout=0.5)
    os.makedirs(lock.directory, mode=0o700)
    holder = hold_in_another_process(lock.path + ".lock", 5)
    try:
        with pytest.raises(WriteLockTimeout) as raised:
            lock.acquire()
    finally:
        holder.kill()
        holder.wait(10)
    message = raised.value.describe()
    assert TENANT in message and "/identity/conditionalaccess/policies" in message and lock.path in message
    assert "wrote nothing" in message
    assert not lock.held


def test_re_entrant_within_a_process(tmp_path):
    first = WriteLock(str(tmp_path), TENANT, POLICIES, timeout=0.5)
    second = WriteLock(str(tmp_path), TENANT, POLICIES, timeout=0.5)
    assert first.acquire() and second.acquire()
    first.release()
    # Still held by ``second``: another process cannot take it.
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import fcntl, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            print("free")
        except OSError:
            print("held")
    """), first.path + ".lock"], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "held"
    second.release()
    probe = subprocess.run([sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
                            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')", first.path + ".lock"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "free"


class _Pacer:
    def __init__(self, state_path):
        self.state_path = state_path


class _Graph:
    def __init__(self, state_path, tenant=TENANT):
        self.pacer = _Pacer(state_path)
        self.tenant = tenant


def test_no_lock_without_a_state_directory(tmp_path):
    assert lock_for(_Graph(None), POLICIES) is None
    lock = lock_for(_Graph(str(tmp_path / "pacing.json")), POLICIES)
    assert lock is not None and lock.directory == str(tmp_path / "locks")
