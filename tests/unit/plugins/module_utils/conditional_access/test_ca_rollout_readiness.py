"""The report-only summary: counts and failures per policy from sign-in entries in Graph's shape, page by page."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.readiness import (
    RESULTS, Summary, describe_refusal, platform_of, sign_in_filter, verdict, window)

POLICY = {"id": "p1", "displayName": "Require app protection"}
# results Graph documents for appliedConditionalAccessPolicy (resources/appliedconditionalaccesspolicy)
ALL_RESULTS = RESULTS + ("success", "failure", "notApplied", "notEnabled", "unknown", "unknownFutureValue")


def entry(user, result, policy="p1", app="Office 365 Exchange Online", client="Exchange ActiveSync", os_="iOS 17.6"):
    return {"userId": user, "userPrincipalName": user + "@contoso.com", "userDisplayName": user.title(),
            "appDisplayName": app, "clientAppUsed": client, "deviceDetail": {"operatingSystem": os_},
            "createdDateTime": "2026-12-05T09:00:00Z",
            "appliedConditionalAccessPolicies": [{"id": policy, "displayName": "x", "result": result,
                                                  "enforcedGrantControls": [], "enforcedSessionControls": []}]}


def test_a_user_with_a_failure_and_an_interruption_is_a_failure_with_both_counted():
    summary = Summary([POLICY])
    summary.add_page([entry("adele", "reportOnlyInterrupted", client="Mobile Apps and Desktop clients",
                            os_="Android 15"),
                      entry("adele", "reportOnlyFailure"), entry("alex", "reportOnlySuccess"),
                      entry("diego", "failure", policy="other")])
    [adele] = summary.failures_of("p1")
    assert (adele["result"], adele["sign_ins"], adele["failed_sign_ins"], adele["interrupted_sign_ins"]) == (
        "failure", 2, 1, 1)
    assert adele["client_app_types"] == ["Exchange ActiveSync", "Mobile Apps and Desktop clients"]
    assert adele["platforms"] == ["android", "iOS"]
    assert summary.counts["p1"]["reportOnlySuccess"] == 1 and summary.sign_ins["p1"] == 3
    assert summary.seen == {"adele", "alex", "diego"} and summary.read == 4 and summary.pages == 1


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(ALL_RESULTS),
                          st.sampled_from(["p1", "p2"])), max_size=60), st.integers(1, 7))
def test_counts_and_failures_do_not_depend_on_paging(rows, page_size):
    entries = [entry(user, result, policy) for user, result, policy in rows]
    whole, paged = Summary([POLICY]), Summary([POLICY])
    whole.add_page(entries)
    for start in range(0, len(entries), page_size):
        paged.add_page(entries[start:start + page_size])
    assert whole.counts == paged.counts and whole.failures_of("p1") == paged.failures_of("p1")
    tracked = [(u, r) for u, r, p in rows if p == "p1"]
    assert whole.sign_ins["p1"] == sum(1 for user, r in tracked if r in RESULTS)
    assert {f["user_id"] for f in whole.failures_of("p1")} == {
        u for u, r in tracked if r in ("reportOnlyFailure", "reportOnlyInterrupted")}


def test_verdicts_and_refusal_names_people():
    row = {"display_name": "P", "sign_ins": 3, "failures": [], "blocking_failures": []}
    assert verdict(row) == "ready" and verdict(dict(row, sign_ins=0)) == "no_evidence"
    failure = {"user_principal_name": "adele@contoso.com", "user_id": "a", "result": "failure", "sign_ins": 2,
               "applications": ["Office 365 Exchange Online"], "client_app_types": ["Exchange ActiveSync"],
               "platforms": ["iOS"]}
    assert verdict(dict(row, failures=[failure])) == "ready_with_accepted_failures"
    held = dict(row, failures=[failure], blocking_failures=[failure])
    assert verdict(held) == "not_ready"
    assert "adele@contoso.com (failure: 2 sign-ins; Office 365 Exchange Online; Exchange ActiveSync; iOS)" in \
        describe_refusal([held])


def test_window_and_filter():
    start, end = window(7, "2026-12-06T00:00:00Z")
    assert sign_in_filter(start, end) == ("createdDateTime ge 2026-11-29T00:00:00Z and "
                                          "createdDateTime le 2026-12-06T00:00:00Z")
    for days in (0, 31):
        with pytest.raises(ConfigError, match="window_days"):
            window(days)
    with pytest.raises(ConfigError, match="window_end.*yesterday"):
        window(7, "yesterday")


@pytest.mark.parametrize("text,platform", [("iOS 17.6", "iOS"), ("Android 15", "android"), ("Windows 10", "windows"),
                                           ("MacOs", "macOS"), ("", "unknown"), ("ChromeOS 1", "ChromeOS")])
def test_platforms(text, platform):
    assert platform_of({"deviceDetail": {"operatingSystem": text}}) == platform


def test_prefetched_keeps_order_and_raises_the_fetch_error_in_place():
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.readiness import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise RuntimeError("page 2 failed")

    got = []
    with pytest.raises(RuntimeError, match="page 2 failed"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]
    # leaving early stops the fetch
    for item in prefetched(iter(range(10 ** 9))):
        break
