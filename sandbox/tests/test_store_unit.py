"""The store and the fault engine without a server."""

import json
import os
import time

import pytest

from tenantguard_sandbox.faults import FaultEngine, FaultSpecError
from tenantguard_sandbox.messages import Request
from tenantguard_sandbox.store import Store


def test_collection_keeps_order_pages_by_sequence_and_persists(tmp_path):
    store = Store(str(tmp_path))
    coll = store["things"]
    for index in range(5):
        coll.put({"id": "t%d" % index, "n": index})
    coll.put({"id": "t1", "n": 10})  # a replaced object keeps its place
    coll.delete("t2")
    assert [o["n"] for o in coll.values()] == [0, 10, 3, 4]
    seq_of_t1 = coll.seq_of("t1")
    assert [o["id"] for _, o in coll.iter_after(seq_of_t1)] == ["t3", "t4"]
    store.flush()
    with open(os.path.join(str(tmp_path), "data", "things.json")) as handle:
        assert [o["id"] for o in json.load(handle)] == ["t0", "t1", "t3", "t4"]
    again = Store(str(tmp_path))["things"]
    assert [o["n"] for o in again.values()] == [0, 10, 3, 4]


def test_hidden_objects_reappear(tmp_path):
    coll = Store(str(tmp_path))["things"]
    coll.put({"id": "a"})
    coll.hide("a", 0.2)
    assert coll.get("a") is None and coll.values() == [] and list(coll.iter_after(0)) == []
    assert coll.get("a", include_hidden=True) == {"id": "a"}
    time.sleep(0.25)
    assert coll.get("a") == {"id": "a"}


def test_many_deletes_compact_the_order(tmp_path):
    coll = Store(str(tmp_path))["things"]
    for index in range(500):
        coll.put({"id": str(index)})
    for index in range(0, 500, 2):
        coll.delete(str(index))
    assert [o["id"] for _, o in coll.iter_after(0)] == [str(i) for i in range(1, 500, 2)]


def request(path="/v1.0/users", method="GET"):
    return Request(method, path, {}, {}, b"", "https://127.0.0.1:1")


def test_fault_engine_counts_rates_and_seed():
    spec = {"seed": 3, "rules": [{"kind": "error", "rate": 0.5, "status": 500},
                                 {"kind": "latency", "seconds": 0.01, "path": "^/v1\\.0/users$"}]}
    first = FaultEngine(spec)
    second = FaultEngine(spec)
    draws = [(first.decide(request(), "t").kind, second.decide(request(), "t").kind) for _ in range(20)]
    assert all(a == b for a, b in draws)
    assert {a for a, _ in draws} == {"error", "latency"}
    counted = FaultEngine({"rules": [{"kind": "throttle", "count": 1, "method": "GET"}]})
    assert counted.decide(request(), "t").terminal is not None
    assert counted.decide(request(), "t").terminal is None
    assert counted.decide(request(method="POST"), "t").terminal is None
    assert counted.describe()["rules"][0]["fired"] == 1


@pytest.mark.parametrize("spec, field", [
    ({"rules": [{"kind": "throttle", "count": -1}]}, "count"),
    ({"rules": [{"kind": "error", "status": 200}]}, "status"),
    ({"rules": [{"kind": "rate_limit"}]}, "per_second"),
    ({"rules": [{"kind": "lag"}]}, "seconds"),
    ({"seed": "x", "rules": []}, "seed"),
    ({"rules": [], "extra": 1}, "extra"),
])
def test_fault_spec_errors_name_the_field(spec, field):
    with pytest.raises(FaultSpecError, match=field):
        FaultEngine(spec)
