# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one writer at a time per tenant and collection, among the processes of this user.

Not a public API.

An idempotent task reads the collection, plans, creates what is missing and waits until the new
objects are readable. Two runs against the same tenant at once (two operators, a scheduled job
meeting a manual run) would both read before either creates, and both create: duplicates. So
a task that may write holds an exclusive ``fcntl`` lock on a file named for the tenant and the
collection from the read of its plan to the end of its writes (``ResourceEngine``); the second
run's task waits, then reads what the first one made.

The lock files live in ``locks/`` of the state directory (next to the token cache and the
pacing state: the same user on the same machine shares them), owner-only. Without a state
directory (``token_cache: none``) there is no lock. Processes of other users or machines are
not covered by it; the resource engine's look for a copy right before and right after its creates
is what keeps them from leaving a duplicate (``_engine.resource``, docs/reliability.md). A lock not obtained within ``timeout`` seconds fails the
task before it writes anything; a process that ends releases its locks (the kernel does).
Locks are re-entrant within a process: several engines of one task on the same collection share it.
"""

import hashlib
import os
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import TenantGuardError
from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    FileLock, PrivateFileError, ensure_private_dir)

DEFAULT_TIMEOUT = 900.0
_HELD = {}  # lock file -> [FileLock, count]: held by this process


class WriteLockTimeout(TenantGuardError):
    """Another process kept the collection's write lock for longer than the timeout."""

    def __init__(self, tenant, collection, path, timeout):
        self.tenant = tenant
        self.collection = collection
        self.path = path
        self.timeout = timeout
        super().__init__(self.describe())

    def describe(self):
        return ("Another run against tenant %s has been writing %s for more than %.0f s (it holds the lock %s); "
                "this task wrote nothing. Run it again when the other run has finished." % (
                    self.tenant, self.collection, self.timeout, self.path))

    def details(self):
        return {"tenant": self.tenant, "collection": self.collection, "lock": self.path}


def collection_key(collection):
    """The collection without its API version, query or case: v1.0 and beta share the objects."""
    path = str(collection or "").split("?", 1)[0].strip("/").lower()
    for version in ("v1.0/", "beta/"):
        if path.startswith(version):
            path = path[len(version):]
    return path


class WriteLock:
    """The write lock of one collection of one tenant."""

    def __init__(self, state_dir, tenant, collection, timeout=DEFAULT_TIMEOUT, clock=time.monotonic,
                 sleep=time.sleep):
        self.tenant = str(tenant)
        self.collection = collection_key(collection)
        digest = hashlib.sha256(("%s\x1f%s" % (self.tenant.lower(), self.collection)).encode("utf-8")).hexdigest()
        self.directory = os.path.join(state_dir, "locks")
        self.path = os.path.join(self.directory, digest[:32])
        self.timeout = float(timeout)
        self._clock = clock
        self._sleep = sleep
        self.held = False

    def acquire(self):
        """Wait for the lock; raise WriteLockTimeout after ``timeout`` seconds. False when locking is
        not possible here (no ``fcntl``, an unusable directory): the task goes on without it."""
        if self.held:
            return True
        entry = _HELD.get(self.path)
        if entry is not None:
            entry[1] += 1
            self.held = True
            return True
        try:
            ensure_private_dir(self.directory)
            lock = FileLock(self.path, timeout=self.timeout, poll=0.1, clock=self._clock, sleep=self._sleep)
            locked = lock.acquire()
        except (PrivateFileError, OSError):
            return False
        if not locked:
            if not os.path.exists(lock.path):
                return False  # no fcntl on this platform
            raise WriteLockTimeout(self.tenant, "/" + self.collection, lock.path, self.timeout)
        _HELD[self.path] = [lock, 1]
        self.held = True
        return True

    def release(self):
        if not self.held:
            return
        self.held = False
        entry = _HELD.get(self.path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _HELD[self.path]
            entry[0].release()


def lock_for(graph, collection, timeout=DEFAULT_TIMEOUT):
    """The write lock of ``collection`` for the tenant of ``graph`` (a GraphClient), in the directory
    of its pacing state; None when the client keeps no state on disk."""
    pacer = getattr(graph, "pacer", None)
    state_path = getattr(pacer, "state_path", None)
    tenant = getattr(graph, "tenant", None)
    if not state_path or not tenant or not collection:
        return None
    return WriteLock(os.path.dirname(state_path), tenant, collection, timeout=timeout)
