# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: when to retry a request, and how long to wait first.

Not a public API.

Throttled (429) and briefly unavailable (503, 504, dropped connection) requests are retried.
The wait is the service's ``Retry-After`` (seconds, fractions allowed, or an HTTP date) when
given, else a jittered exponential backoff: attempt n waits a random time between half and
all of ``min(max_delay, base_delay * 2**n)``. The sum of the waits of one request is capped
(``max_total_wait``, the ``retry_max_wait`` option), and so is the number of attempts; when
the next wait would break either cap the caller gives up with the last answer.
Clock, sleep and randomness are injectable so that tests need not wait.
"""

import email.utils
import math
import random
import time

RETRY_STATUSES = frozenset([429, 503, 504])


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value, or None if absent or unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class RetryPolicy:
    """The limits of retrying; ``start()`` gives the bookkeeping of one request."""

    def __init__(self, max_total_wait=300.0, max_attempts=10, base_delay=1.0, max_delay=60.0,
                 sleep=time.sleep, rand=random.random):
        self.max_total_wait = float(max_total_wait)
        self.max_attempts = int(max_attempts)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.sleep = sleep
        self.rand = rand

    def backoff(self, retry_number):
        """The wait before retry number ``retry_number`` (0 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(retry_number, 30)))
        return ceiling / 2.0 + (ceiling / 2.0) * self.rand()

    def start(self):
        return RetryState(self)


class RetryState:
    """Attempts made and seconds waited for one request."""

    def __init__(self, policy):
        self.policy = policy
        self.attempts = 0
        self.retries = 0
        self.waited = 0.0

    def attempt(self):
        self.attempts += 1

    def delay(self, retry_after=None):
        """The wait before the next attempt: ``retry_after`` if the service gave one, else backoff."""
        if retry_after is not None:
            return retry_after
        return self.policy.backoff(self.retries)

    def refusal(self, delay):
        """Why the next retry is not allowed (a sentence), or None if it is."""
        policy = self.policy
        if self.attempts >= policy.max_attempts:
            return "%d attempts made, the most allowed" % self.attempts
        if self.waited + delay > policy.max_total_wait:
            return ("after %d attempts and %.1f s of waiting, the next wait of %.1f s would exceed the retry budget "
                    "of %.1f s (retry_max_wait)" % (self.attempts, self.waited, delay, policy.max_total_wait))
        return None

    def wait(self, delay):
        if delay > 0:
            self.policy.sleep(delay)
        self.waited += delay
        self.retries += 1
