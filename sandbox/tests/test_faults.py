"""Each kind of injected fault, the faults file and the control endpoint."""

import time

import pytest
import requests

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

CA_LIST = "/v1.0/identity/conditionalAccess/policies"
NAMED = "/v1.0/identity/conditionalAccess/namedLocations"


def location(name):
    return {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": name,
            "countriesAndRegions": ["NL"], "includeUnknownCountriesAndRegions": False}


@pytest.fixture
def fresh(graph_sandbox):
    return Client(graph_sandbox, graph_sandbox.token())


def test_throttle_with_fractional_retry_after_and_count(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "throttle", "path": "^/v1\\.0/identity/conditionalAccess/",
                                    "method": "GET", "count": 2, "retry_after": 1.5}]})
    for _ in range(2):
        response = fresh.get(CA_LIST)
        assert_graph_error(response, 429, "TooManyRequests", "Too many requests.")
        assert response.headers["Retry-After"] == "1.5"
    assert fresh.get(CA_LIST).status_code == 200
    assert fresh.get("/v1.0/users").status_code == 200
    assert fresh.sb.get_faults()["rules"][0]["fired"] == 2


def test_throttle_without_retry_after_in_the_documented_shape(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "throttle", "path": "^/v1\\.0/users", "retry_after": None}]})
    response = fresh.get("/v1.0/users")
    error = assert_graph_error(response, 429, "TooManyRequests", "Please retry again later.")
    assert "Retry-After" not in response.headers
    assert error["innerError"]["status"] == "429"


def test_error_by_rate_is_deterministic_with_a_seed(fresh):
    spec = {"seed": 7, "rules": [{"kind": "error", "status": 503, "rate": 0.5, "path": "^/v1\\.0/users"}]}

    def run():
        fresh.sb.set_faults(spec)
        return [fresh.get("/v1.0/users?$top=1").status_code for _ in range(16)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 503}
    fresh.sb.set_faults({"rules": [{"kind": "error", "status": 500}]})
    assert_graph_error(fresh.get("/v1.0/users"), 500, "InternalServerError")


def test_latency(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "latency", "seconds": 0.4, "path": "^/v1\\.0/groups"}]})
    started = time.monotonic()
    assert fresh.get("/v1.0/groups").status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert fresh.get("/v1.0/users").status_code == 200
    assert time.monotonic() - started < 0.4


def test_drop_before_does_not_handle_the_request(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "drop_before", "method": "POST", "path": "namedLocations", "count": 1}]})
    with pytest.raises(requests.ConnectionError):
        fresh.post(NAMED, json=location("dropped before"))
    names = [x["displayName"] for x in fresh.get(NAMED).json()["value"]]
    assert "dropped before" not in names
    assert fresh.post(NAMED, json=location("second try")).status_code == 201


def test_drop_after_commits_the_write(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "drop_after", "method": "POST", "path": "namedLocations", "count": 1}]})
    with pytest.raises(requests.ConnectionError):
        fresh.post(NAMED, json=location("dropped after"))
    names = [x["displayName"] for x in fresh.get(NAMED).json()["value"]]
    assert names == ["dropped after"]
    log = [r for r in fresh.sb.requests() if r["path"] == NAMED and r["method"] == "POST"]
    assert log[-1]["fault"] == "drop_after" and log[-1]["status"] == 201


def test_lag_hides_new_objects_from_reads(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "lag", "seconds": 1.0, "path": "namedLocations"}]})
    created = fresh.post(NAMED, json=location("lagging")).json()
    assert fresh.get(NAMED + "/" + created["id"]).status_code == 404
    assert fresh.get(NAMED).json()["value"] == []
    time.sleep(1.1)
    assert fresh.get(NAMED + "/" + created["id"]).status_code == 200
    assert len(fresh.get(NAMED).json()["value"]) == 1


def test_rate_limit_per_tenant(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "rate_limit", "path": "^/(v1\\.0|beta)/identity/conditionalAccess/",
                                    "per_second": 1.0}]})
    assert fresh.get(CA_LIST).status_code == 200
    limited = fresh.get("/beta/identity/conditionalAccess/namedLocations")
    assert_graph_error(limited, 429, "TooManyRequests")
    assert "Retry-After" not in limited.headers
    assert fresh.get("/v1.0/users").status_code == 200
    time.sleep(1.05)
    assert fresh.get(CA_LIST).status_code == 200


def test_faults_apply_per_batch_item(fresh):
    fresh.sb.set_faults({"rules": [{"kind": "throttle", "path": "^/v1\\.0/groups", "retry_after": 2}]})
    body = fresh.post("/v1.0/$batch", json={"requests": [
        {"id": "a", "method": "GET", "url": "/groups"}, {"id": "b", "method": "GET", "url": "/users"}]})
    assert body.status_code == 200
    items = {r["id"]: r for r in body.json()["responses"]}
    assert items["a"]["status"] == 429 and items["a"]["headers"]["Retry-After"] == "2"
    assert items["b"]["status"] == 200


def test_invalid_fault_documents_are_refused(fresh):
    for spec in ({"rules": [{"kind": "meteor"}]}, {"rules": [{"kind": "throttle", "rate": 2}]},
                 {"rules": [{"kind": "latency", "seconds": 1, "colour": "red"}]}, {"rules": "x"},
                 {"rules": [{"kind": "error", "path": "("}]}):
        status, body = fresh.sb.control("PUT", "/_sandbox/faults", spec)
        assert status == 400, spec
        assert "rules" in body["error"]["message"]
    assert fresh.sb.get_faults()["rules"] == []


def test_faults_file_at_start(tmp_path):
    faults = {"seed": 1, "rules": [{"kind": "error", "status": 502, "path": "^/v1\\.0/devices", "count": 1}]}
    with running_sandbox(tmp_path / "sb", faults=faults) as sb:
        client = Client(sb, sb.token())
        assert_graph_error(client.get("/v1.0/devices"), 502, "BadGateway")
        assert client.get("/v1.0/devices").status_code == 200
