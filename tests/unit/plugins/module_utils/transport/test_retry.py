"""Backoff arithmetic and Retry-After parsing, with an injected clock, sleep and randomness."""
import email.utils

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize("value, expected", [
    ("2.128", 2.128), ("10", 10.0), ("0", 0.0), (" 1.5 ", 1.5), ("-3", 0.0), (None, None), ("", None),
    ("soon", None), ("nan", None), ("inf", None),
])
def test_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date():
    now = 1_800_000_000.0
    value = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(value, now=now) == pytest.approx(7.0)
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0


def test_backoff_doubles_and_is_jittered_within_half_to_full():
    low = RetryPolicy(base_delay=1.0, max_delay=60.0, rand=lambda: 0.0)
    high = RetryPolicy(base_delay=1.0, max_delay=60.0, rand=lambda: 1.0)
    assert [low.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert [high.backoff(n) for n in range(5)] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert high.backoff(10) == 60.0 and low.backoff(10) == 30.0
    assert high.backoff(10_000) == 60.0


def test_backoff_jitter_spreads_the_waits():
    import random
    rng = random.Random(7)
    policy = RetryPolicy(base_delay=2.0, rand=rng.random)
    waits = [policy.backoff(2) for dummy in range(200)]
    assert min(waits) >= 4.0 and max(waits) <= 8.0
    assert len(set(round(w, 6) for w in waits)) > 150


def test_state_prefers_retry_after_and_counts_waits():
    slept = []
    policy = RetryPolicy(max_total_wait=10.0, sleep=slept.append, rand=lambda: 1.0)
    state = policy.start()
    state.attempt()
    assert state.delay(2.5) == 2.5
    assert state.delay(None) == 1.0
    state.wait(2.5)
    state.attempt()
    assert state.delay(None) == 2.0  # second retry: backoff grew
    assert slept == [2.5] and state.waited == 2.5 and state.retries == 1


def test_cap_on_total_wait_refuses_the_wait_that_would_exceed_it():
    policy = RetryPolicy(max_total_wait=5.0, sleep=lambda s: None)
    state = policy.start()
    state.attempt()
    assert state.refusal(5.0) is None
    state.wait(4.0)
    state.attempt()
    reason = state.refusal(1.5)
    assert "retry budget of 5.0 s" in reason and "retry_max_wait" in reason


def test_cap_on_attempts():
    policy = RetryPolicy(max_attempts=3, sleep=lambda s: None)
    state = policy.start()
    for dummy in range(3):
        state.attempt()
    assert state.refusal(0.0) == "3 attempts made, the most allowed"
