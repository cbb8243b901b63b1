"""Pacing of throttled endpoint families, per tenant, in memory and shared across processes."""
import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import (
    BACKOFF_MEMORY, BACKOFF_STEP, CA_INTERVAL, DEFAULT_FAMILIES, MAX_EXTRA, Family, Pacer, version_relative_path)

TENANT = "7d0b5c3e-4a7f-4f6e-9c1d-2b8e5a9f3c61"
CA = "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies"


class FakeClock:
    def __init__(self, start=1_000_000.0):
        self.now = start
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("path, family", [
    ("/identity/conditionalAccess/policies", "conditional_access"),
    ("https://graph.microsoft.com/beta/identity/conditionalAccess/namedLocations/1", "conditional_access"),
    ("/v1.0/identity/conditionalAccess/authenticationStrength/policies", "conditional_access"),
    ("/policies/authenticationStrengthPolicies", "conditional_access"),
    ("identity/conditionalAccess/templates?$filter=x", "conditional_access"),
    ("/users", None),
    ("/identity/conditionalAccessX", None),
])
def test_families(path, family):
    found = Pacer().family("GET", path)
    assert (found.name if found else None) == family


def test_intune_app_writes_are_paced_but_reads_are_not():
    pacer = Pacer()
    assert pacer.family("PATCH", "/deviceAppManagement/iosManagedAppProtections/T_1").name == "intune_app_writes"
    assert pacer.family("GET", "/deviceAppManagement/iosManagedAppProtections") is None


def test_version_relative_path():
    assert version_relative_path("https://h:8443/v1.0/users?$top=2") == "users"
    assert version_relative_path("/beta/identity/x") == "identity/x"
    assert version_relative_path("users") == "users"


def test_conditional_access_requests_are_spaced_one_second_apart():
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    sent = []
    for dummy in range(6):
        pacer.before_request(TENANT, [("GET", CA)])
        sent.append(clock.now)
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert all(gap == pytest.approx(CA_INTERVAL) for gap in gaps)
    assert 1.0 < CA_INTERVAL <= 1.2
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    assert 0.9 < rate <= 1.0
    # Another family and other paths are not held back.
    before = clock.now
    pacer.before_request(TENANT, [("GET", "/users")])
    assert clock.now == before


def test_pacing_is_per_tenant():
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.before_request("tenant-a", [("GET", CA)])
    pacer.before_request("tenant-b", [("GET", CA)])
    assert clock.sleeps == []


def test_a_batch_reserves_one_slot_per_paced_item():
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.before_request(TENANT, [("GET", "/identity/conditionalAccess/policies/%d" % i) for i in range(3)]
                         + [("GET", "/users")])
    pacer.before_request(TENANT, [("GET", CA)])
    assert clock.sleeps == [pytest.approx(3 * CA_INTERVAL)]


def test_a_429_pushes_the_next_slot_back():
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.before_request(TENANT, [("GET", CA)])
    pacer.penalise(TENANT, "GET", CA, 5.0)
    pacer.before_request(TENANT, [("GET", CA)])
    assert clock.sleeps == [pytest.approx(5.0)]


def test_shared_state_file_spaces_two_pacers_and_is_owner_only(tmp_path):
    clock = FakeClock()
    state = str(tmp_path / "state" / "pacing.json")
    first = Pacer(state_path=state, clock=clock, sleep=clock.sleep)
    second = Pacer(state_path=state, clock=clock, sleep=clock.sleep)
    first.before_request(TENANT, [("GET", CA)])
    second.before_request(TENANT, [("GET", CA)])
    assert clock.sleeps == [pytest.approx(CA_INTERVAL)]
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(state)).st_mode) == 0o700


def test_a_slot_far_in_the_future_is_taken_for_a_clock_jump(tmp_path):
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.before_request(TENANT, [("GET", CA)])
    clock.now -= 3600  # the wall clock went back an hour
    pacer.before_request(TENANT, [("GET", CA)])
    assert clock.sleeps == []


FAST = (Family("fast", r"^/?paced/", 0.2),)


def _paced_worker(state, count, queue):
    pacer = Pacer(state_path=state, families=FAST)
    for dummy in range(count):
        pacer.before_request(TENANT, [("GET", "/paced/thing")])
        queue.put((pacer.last_slot, time.time()))


def test_processes_sharing_the_state_file_respect_the_interval_together(tmp_path):
    state = str(tmp_path / "pacing.json")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_paced_worker, args=(state, 4, queue)) for dummy in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    results = [queue.get(timeout=5) for dummy in range(12)]
    slots = sorted(slot for slot, dummy in results)
    woke = sorted(when for dummy, when in results)
    # Twelve requests from three processes were given slots 0.2 s apart (at most 5 a second, all together);
    # unpaced, the three processes would fire at once. Each process slept until its slot.
    gaps = [b - a for a, b in zip(slots, slots[1:])]
    assert min(gaps) >= 0.2 - 1e-6, gaps
    assert all(when >= slot - 0.001 for slot, when in results)
    assert woke[-1] - woke[0] >= 11 * 0.2 - 0.05


def test_default_families_include_conditional_access():
    assert [f.name for f in DEFAULT_FAMILIES][0] == "conditional_access"


def test_a_late_wake_up_does_not_bunch_the_next_request():
    class LateClock(FakeClock):
        late = 0.0

        def sleep(self, seconds):
            super().sleep(seconds + self.late)

    clock = LateClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    sent = []
    for late in (0.0, 0.3, 0.0, 0.0):
        clock.late = late
        pacer.before_request(TENANT, [("PATCH", CA)])
        sent.append(clock.now)
    # The second request woke 0.3 s late; the third still leaves a full interval after it, not 0.7 s.
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert min(gaps) >= CA_INTERVAL - 1e-9, gaps
    assert gaps[1] == pytest.approx(CA_INTERVAL)


def test_a_429_widens_the_interval_for_that_tenant_and_the_file_remembers_it(tmp_path):
    clock = FakeClock()
    state = str(tmp_path / "pacing.json")
    first = Pacer(state_path=state, clock=clock, sleep=clock.sleep)
    family = first.family("GET", CA)
    assert first.interval(TENANT, family) == pytest.approx(CA_INTERVAL)
    first.before_request(TENANT, [("GET", CA)])
    first.penalise(TENANT, "GET", CA, None)  # no Retry-After: one (widened) interval
    widened = first.interval(TENANT, family)
    assert widened == pytest.approx(CA_INTERVAL + BACKOFF_STEP)
    # Another process (another task) paces with the widened interval; another tenant does not.
    second = Pacer(state_path=state, clock=clock, sleep=clock.sleep)
    assert second.interval(TENANT, family) == pytest.approx(widened)
    assert second.interval("another-tenant", family) == pytest.approx(CA_INTERVAL)
    sent = []
    for dummy in range(3):
        second.before_request(TENANT, [("GET", CA)])
        sent.append(clock.now)
    assert clock.sleeps[0] == pytest.approx(widened)
    assert [b - a for a, b in zip(sent, sent[1:])] == [pytest.approx(widened)] * 2
    # Each further 429 widens it again, up to the cap; it is forgotten once no 429 came for a while.
    for dummy in range(100):
        second.penalise(TENANT, "GET", CA, 0.5)
    assert second.interval(TENANT, family) == pytest.approx(CA_INTERVAL + MAX_EXTRA)
    clock.now += BACKOFF_MEMORY + 1
    assert second.interval(TENANT, family) == pytest.approx(CA_INTERVAL)


def test_a_request_of_two_families_waits_once_for_the_later_one():
    families = (Family("slow", r"^/?slow/", 1.0), Family("fast", r"^/?fast/", 0.2))
    clock = FakeClock()
    pacer = Pacer(families=families, clock=clock, sleep=clock.sleep)
    pacer.before_request(TENANT, [("GET", "/slow/a")])
    pacer.before_request(TENANT, [("GET", "/fast/a")])
    start = clock.now
    # A batch with one item of each family: it leaves when the slow family allows, once.
    pacer.before_request(TENANT, [("GET", "/slow/b"), ("GET", "/fast/b")])
    assert clock.now - start == pytest.approx(1.0)
    pacer.before_request(TENANT, [("GET", "/fast/c")])
    assert clock.now - start == pytest.approx(1.2)
