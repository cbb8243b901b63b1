"""The Graph client against the sandbox: paging, retries, the retry budget, pacing, safe POST retries, $batch, errors."""
import time
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import Pacer
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy

USERS = "^/v1\\.0/users$"
LOCATIONS = "/identity/conditionalAccess/namedLocations"


class SleepRecorder:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def graph_log(sb, since=0, path=None, method=None):
    rows = [r for r in sb.requests()[since:] if r["service"] == "graph"]
    if path:
        rows = [r for r in rows if r["path"] == path]
    if method:
        rows = [r for r in rows if r["method"] == method]
    return rows


def location_body(name):
    return {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": name, "isTrusted": False,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"}]}


def unique(prefix):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def no_pacing():
    return Pacer(families=())


def test_list_follows_next_links_over_three_pages_and_resends_headers(graph_sandbox, clients):
    graph = clients().graph
    since = len(graph_sandbox.requests())
    # $search works only with ConsistencyLevel on every page: a page without the header would fail.
    users = list(graph.list("/users", query={"$search": '"displayName:Unit User"', "$top": 3, "$count": "true",
                                             "$select": ["id", "displayName"]},
                            headers={"ConsistencyLevel": "eventual"}))
    assert sorted(u["displayName"] for u in users) == ["Unit User %02d" % i for i in range(7)]
    pages = graph_log(graph_sandbox, since, path="/v1.0/users")
    assert len(pages) == 3
    assert all(p["status"] == 200 for p in pages)
    assert "$skiptoken" in pages[1]["query"] and "$skiptoken" in pages[2]["query"]


def test_pages_yield_each_page(graph_sandbox, clients):
    pages = list(clients().graph.pages("/users", query={"$top": 2}))
    assert len(pages) >= 4
    assert all(isinstance(p.json["value"], list) for p in pages)
    assert "@odata.nextLink" not in pages[-1].json


def test_every_request_has_a_fresh_client_request_id(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder()))
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": USERS, "count": 2, "retry_after": 0}]})
    since = len(graph_sandbox.requests())
    graph.graph.get("/users")
    ids = [r["client_request_id"] for r in graph_log(graph_sandbox, since, path="/v1.0/users")]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(uuid.UUID(i) for i in ids)


def test_retry_after_is_honoured(graph_sandbox, clients):
    graph = clients().graph
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": USERS, "count": 2, "retry_after": 0.4}]})
    since = len(graph_sandbox.requests())
    started = time.monotonic()
    body = graph.get("/users")
    elapsed = time.monotonic() - started
    assert len(body["value"]) >= 7
    statuses = [(r["status"], r["fault"]) for r in graph_log(graph_sandbox, since, path="/v1.0/users")]
    assert statuses == [(429, "throttle"), (429, "throttle"), (200, None)]
    assert elapsed >= 0.8
    assert graph.stats["retries"] == 2 and graph.stats["waited"] == pytest.approx(0.8)


def test_backoff_without_retry_after(graph_sandbox, clients):
    sleep = SleepRecorder()
    policy = RetryPolicy(base_delay=0.5, rand=lambda: 0.5, sleep=sleep)
    graph = clients(retry=policy).graph
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": USERS, "count": 3, "retry_after": None}]})
    graph.get("/users")
    # 0.5 * 2**n, jittered to three quarters of it with rand() = 0.5.
    assert sleep.calls == [pytest.approx(0.375), pytest.approx(0.75), pytest.approx(1.5)]


@pytest.mark.parametrize("status", [503, 504])
def test_unavailable_is_retried(graph_sandbox, clients, status):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": status, "path": USERS, "count": 1}]})
    assert graph.get("/users")["value"]
    assert graph.stats["retries"] == 1


def test_dropped_connection_on_a_read_is_retried(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    graph_sandbox.set_faults({"rules": [{"kind": "drop_before", "path": USERS, "count": 1}]})
    assert graph.get("/users")["value"]
    assert graph.stats["retries"] == 1


def test_gives_up_when_the_next_wait_would_exceed_the_cap(graph_sandbox, clients):
    sleep = SleepRecorder()
    graph = clients(retry=RetryPolicy(max_total_wait=5.0, sleep=sleep)).graph
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": USERS, "retry_after": 2}]})
    since = len(graph_sandbox.requests())
    with pytest.raises(GraphError) as caught:
        graph.get("/users")
    error = caught.value
    assert sleep.calls == [2.0, 2.0]
    assert error.status == 429 and error.code == "TooManyRequests" and error.attempts == 3
    assert "retry budget of 5.0 s" in error.describe() and "retry_max_wait" in error.describe()
    assert len(graph_log(graph_sandbox, since, path="/v1.0/users")) == 3


def test_gives_up_at_once_when_retry_after_exceeds_the_cap(graph_sandbox, clients):
    sleep = SleepRecorder()
    graph = clients(retry=RetryPolicy(max_total_wait=1.0, sleep=sleep)).graph
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": USERS, "retry_after": 30}]})
    with pytest.raises(GraphError) as caught:
        graph.get("/users")
    assert sleep.calls == [] and caught.value.attempts == 1


def test_conditional_access_is_paced_to_the_tenant_limit(graph_sandbox, clients):
    graph = clients().graph
    graph_sandbox.set_faults({"rules": [{"kind": "rate_limit", "path": "^/(v1\\.0|beta)/identity/conditionalAccess/",
                                         "per_second": 1.0, "retry_after": None}]})
    since = len(graph_sandbox.requests())
    started = time.monotonic()
    for dummy in range(4):
        graph.get("/identity/conditionalAccess/namedLocations")
    elapsed = time.monotonic() - started
    rows = graph_log(graph_sandbox, since, path="/v1.0" + LOCATIONS)
    assert [r["status"] for r in rows] == [200] * 4  # never throttled
    assert elapsed >= 3 * 1.0
    assert graph.stats["retries"] == 0
    assert 4 / elapsed <= 1.35  # about one request per second (the first one goes at once)


def test_without_pacing_the_same_calls_get_throttled(graph_sandbox, clients):
    graph = clients(pacer=no_pacing(), retry=RetryPolicy(base_delay=0.3)).graph
    graph_sandbox.set_faults({"rules": [{"kind": "rate_limit", "path": "^/(v1\\.0|beta)/identity/conditionalAccess/",
                                         "per_second": 1.0, "retry_after": None}]})
    since = len(graph_sandbox.requests())
    for dummy in range(3):
        graph.get("/identity/conditionalAccess/namedLocations")
    statuses = [r["status"] for r in graph_log(graph_sandbox, since, path="/v1.0" + LOCATIONS)]
    assert 429 in statuses and statuses.count(200) == 3


def count_locations(graph, name):
    return len([x for x in graph.list(LOCATIONS) if x["displayName"] == name])


def test_post_is_not_duplicated_when_the_connection_drops_after_the_write(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    name = unique("Dropped office")
    graph_sandbox.set_faults({"rules": [{"kind": "drop_after", "method": "POST", "path": LOCATIONS, "count": 1}]})
    since = len(graph_sandbox.requests())
    created = graph.request("POST", LOCATIONS, body=location_body(name),
                            existing_filter="displayName eq '%s'" % name)
    assert created.recovered and created.json["displayName"] == name
    assert len(graph_log(graph_sandbox, since, method="POST")) == 1
    assert count_locations(graph, name) == 1


def test_post_retried_with_find_existing_when_nothing_was_created(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    name = unique("Retried office")
    checks = []

    def find_existing():
        checks.append(1)
        found = [x for x in graph.list(LOCATIONS) if x["displayName"] == name]
        return found[0] if found else None

    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 503, "method": "POST", "path": LOCATIONS,
                                         "count": 1}]})
    since = len(graph_sandbox.requests())
    created = graph.request("POST", LOCATIONS, body=location_body(name), find_existing=find_existing)
    assert created.status == 201 and not created.recovered
    assert checks == [1]
    assert [r["status"] for r in graph_log(graph_sandbox, since, method="POST")] == [503, 201]
    assert count_locations(graph, name) == 1


def test_post_without_a_way_to_check_is_not_sent_twice(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    name = unique("Unchecked office")
    graph_sandbox.set_faults({"rules": [{"kind": "drop_after", "method": "POST", "path": LOCATIONS, "count": 1}]})
    since = len(graph_sandbox.requests())
    with pytest.raises(GraphError) as caught:
        graph.post(LOCATIONS, location_body(name))
    assert caught.value.status is None
    assert "not sent again" in caught.value.describe()
    assert len(graph_log(graph_sandbox, since, method="POST")) == 1
    assert count_locations(graph, name) == 1


def test_post_throttled_is_retried_without_a_check(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    name = unique("Throttled office")
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "method": "POST", "path": LOCATIONS, "count": 1,
                                         "retry_after": 0}]})
    created = graph.post(LOCATIONS, location_body(name))
    assert created["displayName"] == name
    assert count_locations(graph, name) == 1


def test_delete_whose_answer_was_lost_counts_as_done(graph_sandbox, clients):
    graph = clients(retry=RetryPolicy(sleep=SleepRecorder())).graph
    created = graph.post(LOCATIONS, location_body(unique("Deleted office")))
    graph_sandbox.set_faults({"rules": [{"kind": "drop_after", "method": "DELETE", "path": LOCATIONS, "count": 1}]})
    response = graph.request("DELETE", "%s/%s" % (LOCATIONS, created["id"]))
    assert response.status == 204 and response.recovered


def test_error_carries_what_graph_said(graph_sandbox, clients):
    graph = clients().graph
    missing = "00000000-0000-4000-8000-000000000000"
    since = len(graph_sandbox.requests())
    with pytest.raises(GraphError) as caught:
        graph.get("/identity/conditionalAccess/policies/" + missing)
    error = caught.value
    logged = graph_log(graph_sandbox, since)[-1]
    assert error.status == 404 and error.method == "GET"
    assert error.url.endswith("/v1.0/identity/conditionalAccess/policies/" + missing)
    assert error.code and error.message and error.request_id and error.date
    assert error.client_request_id == logged["client_request_id"]
    text = error.describe()
    assert "404" in text and error.request_id in text and "What to do:" in text


def test_missing_permission_is_a_403_with_advice(graph_sandbox, clients, seeded):
    graph = clients(client_id=seeded["limited_app_id"], client_secret=seeded["limited_secret"]).graph
    with pytest.raises(GraphError) as caught:
        graph.get("/identity/conditionalAccess/policies")
    assert caught.value.status == 403
    assert "permission" in caught.value.describe()


def test_schema_error_on_write(graph_sandbox, clients):
    graph = clients().graph
    with pytest.raises(GraphError) as caught:
        graph.post("/identity/conditionalAccess/policies", {"displayName": "x", "state": "enabled", "bogus": 1})
    assert caught.value.status == 400 and caught.value.code == "BadRequest"


def test_accepted_statuses_are_returned_not_raised(graph_sandbox, clients):
    response = clients().graph.request("GET", "/identity/conditionalAccess/policies/" + str(uuid.uuid4()),
                                       accept=(200, 404))
    assert response.status == 404 and response.json["error"]["code"]


def test_absolute_url_on_the_endpoint_and_outside_it(graph_sandbox, clients):
    graph = clients().graph
    url = graph_sandbox.base_url + "/v1.0/users?$top=1"
    assert len(graph.get(url)["value"]) == 1
    with pytest.raises(ConfigError, match="outside the configured Graph endpoint"):
        graph.get("https://graph.example.com/v1.0/users")
    with pytest.raises(ConfigError, match="starts with the API version"):
        graph.get("/v1.0/users")


def test_batch_in_chunks_of_twenty_with_throttled_items_sent_again(graph_sandbox, clients):
    sleep = SleepRecorder()
    graph = clients(retry=RetryPolicy(sleep=sleep)).graph
    users = list(graph.list("/users", query={"$select": "id"}))
    requests_ = [{"method": "GET", "url": "/users/%s?$select=id" % users[i % len(users)]["id"]} for i in range(25)]
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": "^/v1\\.0/users/", "count": 3,
                                         "retry_after": 0.2}]})
    since = len(graph_sandbox.requests())
    answers = graph.batch(requests_)
    assert [a["status"] for a in answers] == [200] * 25
    assert [a["body"]["id"] for a in answers] == [users[i % len(users)]["id"] for i in range(25)]
    batches = graph_log(graph_sandbox, since, path="/v1.0/$batch")
    assert len(batches) == 3  # 20 + 5, then the three throttled items again
    assert sleep.calls == [pytest.approx(0.2)]


def test_batch_rejects_dependencies_across_chunks():
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import GraphClient
    items = [{"method": "GET", "url": "/users"} for dummy in range(21)]
    items[20]["dependsOn"] = ["1"]
    with pytest.raises(ConfigError, match="another group of 20"):
        GraphClient._batch_items(items)
