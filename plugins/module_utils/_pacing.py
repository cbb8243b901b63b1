# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: spacing requests to endpoint families that Graph throttles per tenant.

Not a public API.

Conditional access policies, named locations and authentication strengths are limited to
about one request per second per tenant, for all applications together, and their 429s may
come without ``Retry-After``. Rather than run into that limit, requests to such a family are
spaced by the family's interval. Intune app protection writes are spaced more lightly.

The spacing is shared by every process of the same user for the same tenant (Ansible runs
each task in a process of its own, several at once with forks): the next free time slot of
each tenant and family is kept in a small owner-only JSON file next to the token cache,
read and advanced under an exclusive ``fcntl`` lock, and each process sleeps until the slot
it reserved. The lock is held only to reserve, never while sleeping. When the token cache is
off (``token_cache: none``) there is no state directory and pacing is per process.

A 429 from a paced family also pushes the family's next slot back by the wait the service
asked for, so that other processes do not run into the same wall.
"""

import json
import os
import re
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._private_files import (
    FileLock, PrivateFileError, ensure_private_dir, read_private_file, write_private_file)

# A reserved slot further ahead than this is treated as a clock jump and ignored.
MAX_AHEAD = 600.0
# One request per second per tenant, with a tenth of a second to spare for the jitter between
# waking up and the request reaching the service.
CA_INTERVAL = 1.1


class Family:
    """Requests whose path (relative to the version root) matches ``pattern`` and whose method is
    in ``methods`` (None: all) are spaced ``interval`` seconds apart per tenant."""

    def __init__(self, name, pattern, interval, methods=None):
        self.name = name
        self.pattern = re.compile(pattern, re.IGNORECASE)
        self.interval = float(interval)
        self.methods = frozenset(m.upper() for m in methods) if methods else None

    def matches(self, method, path):
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return bool(self.pattern.search(path))

    def __repr__(self):
        return "Family(%r, %.2fs)" % (self.name, self.interval)


DEFAULT_FAMILIES = (
    # 1 request per second per tenant (Graph throttling limits, identity protection and CA).
    Family("conditional_access",
           r"^/?(identity/conditionalAccess(/|$|\?)|policies/authenticationStrengthPolicies|"
           r"identity/authenticationStrength)", CA_INTERVAL),
    # Intune managed app writes: 100 per 20 s per app and tenant.
    Family("intune_app_writes", r"^/?deviceAppManagement/", 0.2, methods=("POST", "PATCH", "PUT", "DELETE")),
)


def version_relative_path(path):
    """'/v1.0/identity/x?y' or 'https://host/beta/identity/x' -> 'identity/x'."""
    if "://" in path:
        path = path.split("://", 1)[1]
        path = path[path.find("/"):] if "/" in path else "/"
    path = path.split("?", 1)[0].lstrip("/")
    for version in ("v1.0/", "beta/"):
        if path.startswith(version):
            return path[len(version):]
    return path


class Pacer:
    """Reserves time slots per tenant and family; sleeps until the reserved slot."""

    def __init__(self, state_path=None, families=DEFAULT_FAMILIES, clock=time.time, sleep=time.sleep,
                 lock_timeout=30.0):
        self.state_path = state_path
        self.families = tuple(families)
        self._clock = clock
        self._sleep = sleep
        self._lock_timeout = lock_timeout
        self._memory = {}
        self.waited = 0.0
        self.last_slot = None  # when the last paced request was scheduled to go (clock time)
        self.shared = bool(state_path)

    def family(self, method, path):
        relative = version_relative_path(path)
        for family in self.families:
            if family.matches(method, relative):
                return family
        return None

    def before_request(self, tenant, requests):
        """Wait for the slot of each paced family among ``requests`` ((method, path) pairs).

        Returns the seconds slept.
        """
        needed = {}
        for method, path in requests:
            family = self.family(method, path)
            if family is not None:
                needed[family.name] = (family, needed.get(family.name, (family, 0))[1] + 1)
        if not needed:
            return 0.0
        now = self._clock()
        wait = 0.0
        for family, count in needed.values():
            key = "%s|%s" % (tenant.lower(), family.name)
            wait = max(wait, self._reserve(key, family.interval * count, now))
        self.last_slot = now + wait
        if wait > 0:
            self._sleep(wait)
            self.waited += wait
        return wait

    def penalise(self, tenant, method, path, seconds):
        """Move the family's next slot to at least ``seconds`` from now (after a 429)."""
        family = self.family(method, path)
        if family is None or not seconds or seconds <= 0:
            return
        key = "%s|%s" % (tenant.lower(), family.name)
        until = self._clock() + seconds

        def push(state):
            if state.get(key, 0.0) < until:
                state[key] = until
            return None

        self._update(push)

    def _reserve(self, key, span, now):
        def reserve(state):
            slot = state.get(key, 0.0)
            if not isinstance(slot, (int, float)) or slot - now > MAX_AHEAD:
                slot = now
            slot = max(now, slot)
            state[key] = slot + span
            return slot - now

        return self._update(reserve)

    def _update(self, change):
        if not self.state_path:
            return change(self._memory)
        try:
            ensure_private_dir(os.path.dirname(self.state_path))
            with FileLock(self.state_path, timeout=self._lock_timeout) as lock:
                if not lock.locked:
                    return change(self._memory)
                state = self._read()
                result = change(state)
                now = self._clock()
                state = dict((k, v) for k, v in state.items() if isinstance(v, (int, float)) and v > now - 60)
                write_private_file(self.state_path, json.dumps(state, sort_keys=True).encode("utf-8"))
                return result
        except (PrivateFileError, OSError):
            self.shared = False
            return change(self._memory)

    def _read(self):
        raw = read_private_file(self.state_path)
        if not raw:
            return {}
        try:
            state = json.loads(raw.decode("utf-8"))
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}
