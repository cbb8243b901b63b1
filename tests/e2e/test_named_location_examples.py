"""Every v1.0 named location example of the Graph documentation, applied through the named_location
module: created, read back equal after normalisation, a second run unchanged; the documented updates
applied to the created locations the same way."""
import glob
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "tests" / "unit" / "plugins" / "module_utils" / "fixtures" / "named_locations"


def graph_json(item):
    """An item of named_location_info without the params it adds."""
    return dict((k, v) for k, v in item.items() if k != "params")


def examples():
    """(created, listed, updates): request bodies of the POST examples, the locations of the list
    examples, and (POST body it updates, PATCH body) pairs."""
    created, listed, updates = [], [], []
    by_id = {}
    for path in sorted(glob.glob(str(EXAMPLES / "v10__*.json"))):
        with open(path) as handle:
            example = json.load(handle)
        request, response = example["request"], example["response"]
        if request["method"] == "POST":
            created.append(request["body"])
            by_id[response["body"]["id"]] = request["body"]
        for item in (response.get("body") or {}).get("value") or []:
            if item["displayName"] not in [x["displayName"] for x in listed]:
                listed.append(item)
    for path in sorted(glob.glob(str(EXAMPLES / "v10__*-update__*.json"))):
        with open(path) as handle:
            request = json.load(handle)["request"]
        updates.append((by_id[request["url"].rsplit("/", 1)[1]], request["body"]))
    return created, listed, updates


def test_every_v1_example_applies_reads_back_equal_and_reruns_unchanged(run_playbook, graph_sandbox):
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
        graph_to_options, normalise)

    created, listed, updates = examples()
    assert len(created) == 2 and len(listed) == 3 and len(updates) == 2
    declared = created + listed
    items = [graph_to_options(body) for body in declared]

    first = run_playbook("named_location_set.yml", extra_vars={"locations": items})
    assert first.rc == 0 and first.recap["changed"] == 1, first
    seen = first.output("set")
    assert [a["action"] for a in seen["converged"]["actions"]] == ["created"] * 5
    stored = dict((x["displayName"], graph_json(x)) for x in seen["listed"]["named_locations"])
    for body in declared:
        assert normalise(stored[body["displayName"]]) == normalise(body), body["displayName"]
    # Graph keeps what was sent, host bits and IPv6 spelling included.
    assert "12.34.221.11/22" in json.dumps(stored["Untrusted IP named location"])

    second = run_playbook("named_location_set.yml", extra_vars={"locations": items})
    assert second.rc == 0 and second.recap["changed"] == 0, second

    # The documented PATCH bodies, applied to the locations the POST examples created (found by id).
    ids = dict((x["displayName"], x["id"]) for x in seen["listed"]["named_locations"])
    changed_items = []
    for original, patch in updates:
        item = graph_to_options(dict(original, **patch))
        item["id"] = ids[original["displayName"]]
        changed_items.append(item)
    third = run_playbook("named_location_set.yml", extra_vars={"locations": changed_items + items[2:]})
    assert third.rc == 0 and third.recap["changed"] == 1, third
    seen = third.output("set")
    assert sorted(a["action"] for a in seen["converged"]["actions"]) == ["updated", "updated"]
    stored = dict((x["id"], graph_json(x)) for x in seen["listed"]["named_locations"])
    for original, patch in updates:
        assert normalise(stored[ids[original["displayName"]]]) == normalise(dict(original, **patch))
    fourth = run_playbook("named_location_set.yml", extra_vars={"locations": changed_items + items[2:]})
    assert fourth.rc == 0 and fourth.recap["changed"] == 0, fourth
    patches = [r for r in graph_sandbox.requests() if r["method"] == "PATCH"]
    assert len(patches) == 2 and all(p["status"] == 204 for p in patches)
