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

Two times are kept per tenant and family: the next free slot (what the next request reserves)
and the earliest moment the next request may actually leave, set from the moment the last one
really left. A process that wakes late (a busy machine) moves the second forward, and a process
that wakes up before it sleeps again, so the gap between two requests as they are sent never
falls below the interval: waking-up jitter cannot bunch two requests together.

The conditional access interval is the documented limit, one second, plus a small margin. A 429 from a paced
family pushes the family's next slot back by the wait the service asked for (one interval when it
gave none), so that other processes do not run into the same wall, and widens the family's
interval for that tenant by ``BACKOFF_STEP`` (at most ``MAX_EXTRA``) for ``BACKOFF_MEMORY``
seconds: the pace adapts to a service that counts more strictly than documented and otherwise
stays at the full budget.
"""

import json
import os
import re
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    FileLock, PrivateFileError, ensure_private_dir, read_private_file, write_private_file)

# A reserved slot further ahead than this is treated as a clock jump and ignored.
MAX_AHEAD = 600.0
# One request per second per tenant (Graph's documented limit), plus 50 ms for the jitter between
# a request leaving and the service counting it, which no client-side clock can absorb. Jitter
# between waking up and sending is absorbed by the send-time check. Measured against a 1 request/s
# token bucket on a loaded machine: 1.0 s gave about one 429 per 20 writes, 1.02 s two in 60,
# 1.05 s none in 60 (docs/performance.md).
CA_INTERVAL = 1.05
# A 429 on a paced family widens its interval for the tenant by this much, up to MAX_EXTRA, and
# the widening is remembered for BACKOFF_MEMORY seconds after the last 429.
BACKOFF_STEP = 0.05
MAX_EXTRA = 1.0
BACKOFF_MEMORY = 600.0
# Entries of the state file that are plain times are dropped once this far in the past.
KEEP_PAST = 60.0


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
            wait = max(wait, self._reserve(self._key(tenant, family), family, count, now))
        slept = 0.0
        if wait > 0:
            self._sleep(wait)
            slept += wait
        # The moment of sending: not before the last request of each family left plus its interval.
        paced = [(self._key(tenant, family), family, count) for family, count in needed.values()]
        while True:
            now = self._clock()
            late = self._depart(paced, now)
            if late <= 0:
                break
            self._sleep(late)
            slept += late
        self.last_slot = now
        self.waited += slept
        return slept

    def penalise(self, tenant, method, path, seconds):
        """After a 429: move the family's next slot to at least ``seconds`` from now (one interval when
        the service gave no wait) and widen the family's interval for the tenant."""
        family = self.family(method, path)
        if family is None:
            return
        key = self._key(tenant, family)
        now = self._clock()

        def push(state):
            extra = min(MAX_EXTRA, self._extra(state, key, now) + BACKOFF_STEP)
            state[key + "|extra"] = [extra, now + BACKOFF_MEMORY]
            wait = seconds if seconds and seconds > 0 else family.interval + extra
            for suffix in ("", "|depart"):
                if _time(state.get(key + suffix)) < now + wait:
                    state[key + suffix] = now + wait
            return None

        self._update(push)

    def interval(self, tenant, family):
        """The family's current interval for the tenant (its own, widened after 429s)."""
        key = self._key(tenant, family)
        return self._update(lambda state: family.interval + self._extra(state, key, self._clock()))

    @staticmethod
    def _key(tenant, family):
        return "%s|%s" % (tenant.lower(), family.name)

    @staticmethod
    def _extra(state, key, now):
        entry = state.get(key + "|extra")
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(v, (int, float)) for v in entry) \
                and entry[1] > now:
            return max(0.0, min(MAX_EXTRA, float(entry[0])))
        return 0.0

    def _reserve(self, key, family, count, now):
        def reserve(state):
            slot = _time(state.get(key))
            if slot - now > MAX_AHEAD:
                slot = now
            slot = max(now, slot)
            state[key] = slot + (family.interval + self._extra(state, key, now)) * count
            return slot - now

        return self._update(reserve)

    def _depart(self, paced, now):
        """0, with the departure recorded for every family, when the request may leave now; else the
        seconds still to wait (nothing recorded)."""
        def depart(state):
            late = 0.0
            for key, _family, _count in paced:
                earliest = _time(state.get(key + "|depart"))
                if earliest - now <= MAX_AHEAD:
                    late = max(late, earliest - now)
            if late > 0:
                return late
            for key, family, count in paced:
                after = now + (family.interval + self._extra(state, key, now)) * count
                state[key + "|depart"] = after
                if _time(state.get(key)) < after:
                    state[key] = after
            return 0.0

        return self._update(depart)

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
                state = dict((k, v) for k, v in state.items() if _keep(v, now))
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


def _time(value):
    """A time kept in the state, or 0 for anything else."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _keep(value, now):
    """Whether a state entry is still of use: a time less than KEEP_PAST ago, or [value, expiry] not expired."""
    if isinstance(value, list):
        return len(value) == 2 and isinstance(value[1], (int, float)) and value[1] > now
    return isinstance(value, (int, float)) and value > now - KEEP_PAST
