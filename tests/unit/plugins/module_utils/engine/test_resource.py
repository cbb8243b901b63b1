"""The resource engine against the sandbox: identity, planning, writes, replication lag, dropped
connections, set mode and purge. Named locations serve as the resource throughout."""
import time
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
    NamedLocationType, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import Pacer
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import (
    ConcurrentCreateError, Declared, InvalidOption, Part, PartialChangeError, ResourceEngine, converge_parts)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.stored_state import stored_objects

LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"


@pytest.fixture
def graph(clients):
    """A Graph client on the sandbox without pacing (the sandbox does not throttle unless told)."""
    return clients(pacer=Pacer(families=()), retry=RetryPolicy(max_total_wait=20, base_delay=0.1)).graph


@pytest.fixture
def engine(graph):
    def make(check_mode=False, diff_mode=False, resource=None, **kwargs):
        return ResourceEngine(graph, resource or NamedLocationType(), check_mode=check_mode, diff_mode=diff_mode,
                              **kwargs)
    return make


def unique(prefix="Engine"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def ip_location(name, ranges=("203.0.113.0/24",), **options):
    return options_to_graph(dict(display_name=name, ip_ranges=list(ranges), **options))


def rows(sb, since):
    return [r for r in sb.requests()[since:] if r["service"] == "graph"]


def writes(sb, since):
    return [(r["method"], r["status"]) for r in rows(sb, since) if r["method"] != "GET"]


def seed_locations(sb, *names):
    """Locations created by the seed, with ids of their own; returns the ids."""
    ids = [str(uuid.uuid4()) for _name in names]
    sb.seed({"namedLocations": [dict(ip_location(name), id=object_id) for name, object_id in zip(names, ids)]})
    return ids


# -- create, update, delete ---------------------------------------------------------------------

def test_create_waits_until_readable_and_a_second_run_changes_nothing(engine, graph_sandbox):
    name = unique()
    since = len(graph_sandbox.requests())
    result = engine().converge(Declared(ip_location(name)))
    assert result["changed"] is True and result["action"] == "created"
    stored = result["named_location"]
    assert stored["displayName"] == name and stored["id"] and stored["createdDateTime"]
    seen = [(r["method"], r["path"], r["status"]) for r in rows(graph_sandbox, since)]
    # The plan's read, the look for a copy made since (another controller), the create, the read
    # back, and the look for a copy made at the same time.
    assert seen == [("GET", LOCATIONS, 200), ("GET", LOCATIONS, 200), ("POST", LOCATIONS, 201),
                    ("GET", "%s/%s" % (LOCATIONS, stored["id"]), 200), ("GET", LOCATIONS, 200)]
    since = len(graph_sandbox.requests())
    again = engine().converge(Declared(ip_location(name)))
    assert again["changed"] is False and again["action"] == "unchanged"
    assert again["named_location"]["id"] == stored["id"]
    assert [(r["method"], r["path"]) for r in rows(graph_sandbox, since)] == [("GET", LOCATIONS)]


def test_check_mode_predicts_and_writes_nothing(engine, graph_sandbox):
    name = unique()
    since = len(graph_sandbox.requests())
    result = engine(check_mode=True, diff_mode=True).converge(Declared(ip_location(name)))
    assert result["changed"] is True and result["action"] == "created"
    assert "id" not in result["named_location"] and result["named_location"]["isTrusted"] is False
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"display_name": name, "type": "ip", "ip_ranges": ["203.0.113.0/24"],
                                       "is_trusted": False}
    assert writes(graph_sandbox, since) == []


def test_update_sends_only_the_difference_and_options_left_out_stay(engine, graph_sandbox):
    name = unique()
    created = engine().converge(Declared(ip_location(name, ranges=["198.51.100.0/24", "203.0.113.0/24"])))
    since = len(graph_sandbox.requests())
    result = engine(diff_mode=True).converge(Declared(options_to_graph({"display_name": name, "is_trusted": True})))
    assert result["action"] == "updated"
    patch = [r for r in rows(graph_sandbox, since) if r["method"] == "PATCH"]
    assert len(patch) == 1 and patch[0]["status"] == 204
    assert patch[0]["path"] == "%s/%s" % (LOCATIONS, created["named_location"]["id"])
    assert patch[0]["body"] == {"@odata.type": "#microsoft.graph.ipNamedLocation", "isTrusted": True}
    assert result["named_location"]["ipRanges"] == created["named_location"]["ipRanges"]
    assert result["diff"]["before"]["is_trusted"] is False and result["diff"]["after"]["is_trusted"] is True
    again = engine().converge(Declared(ip_location(name, ranges=["203.0.113.0/24", "198.51.100.0/24"],
                                                   is_trusted=True)))
    assert again["changed"] is False


def test_delete_then_delete_again(engine, graph_sandbox):
    name = unique()
    created = engine().converge(Declared(ip_location(name)))
    since = len(graph_sandbox.requests())
    result = engine(diff_mode=True).converge(Declared({"displayName": name}, state="absent"))
    assert result["changed"] is True and result["action"] == "deleted" and result["named_location"] is None
    assert result["diff"]["after"] == {} and result["diff"]["before"]["display_name"] == name
    assert writes(graph_sandbox, since) == [("DELETE", 204)]
    again = engine().converge(Declared({"displayName": name}, state="absent"))
    assert again["changed"] is False and again["action"] == "unchanged"
    by_id = engine().converge(Declared({}, state="absent", id=created["named_location"]["id"]))
    assert by_id["changed"] is False
    assert writes(graph_sandbox, since) == [("DELETE", 204)]


def test_object_deleted_by_someone_else_after_the_read_is_no_change(engine, graph, graph_sandbox):
    name = unique()
    created = engine().converge(Declared(ip_location(name)))["named_location"]
    worker = engine()
    change = worker.plan(Declared({"displayName": name}, state="absent"))
    graph.delete("/identity/conditionalAccess/namedLocations/%s" % created["id"])
    worker.apply([change])
    assert change.action == "none" and change.changed is False


# -- identity -----------------------------------------------------------------------------------

def test_two_objects_with_the_name_are_refused_listing_both_ids(engine, graph_sandbox):
    name = unique("Twin")
    ids = seed_locations(graph_sandbox, name, name)
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption) as info:
        engine().converge(Declared(ip_location(name, is_trusted=True)))
    text = info.value.describe()
    assert text.startswith("Option display_name: matches 2 named locations")
    assert ids[0] in text and ids[1] in text and repr(name) in text
    assert writes(graph_sandbox, since) == []
    # The id settles which one is meant.
    result = engine().converge(Declared(ip_location(name, is_trusted=True), id=ids[1]))
    assert result["action"] == "updated" and result["named_location"]["id"] == ids[1]


def test_id_and_display_name_of_different_objects_are_refused(engine, graph_sandbox):
    first, second = unique("First"), unique("Second")
    ids = seed_locations(graph_sandbox, first, second)
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption) as info:
        engine().converge(Declared(ip_location(second), id=ids[0]))
    text = info.value.describe()
    assert text.startswith("Option id: designates named location %r (id %s)" % (first, ids[0]))
    assert ids[1] in text and repr(second) in text
    assert writes(graph_sandbox, since) == []


def test_id_with_a_new_name_renames(engine, graph_sandbox):
    old = unique("Old")
    object_id = seed_locations(graph_sandbox, old)[0]
    new = unique("New")
    result = engine().converge(Declared({"displayName": new}, id=object_id.upper()))
    assert result["action"] == "updated" and result["named_location"]["displayName"] == new


def test_unknown_id_cannot_be_created(engine, graph_sandbox):
    since = len(graph_sandbox.requests())
    missing = str(uuid.uuid4())
    with pytest.raises(InvalidOption, match=r"^Option id: matches no existing named location.*%s" % missing):
        engine().converge(Declared(ip_location(unique()), id=missing))
    assert writes(graph_sandbox, since) == []


def test_name_matches_without_regard_to_case_when_no_exact_match(engine, graph_sandbox):
    name = unique("Case Test")
    object_id = seed_locations(graph_sandbox, name)[0]
    result = engine().converge(Declared(ip_location(name.upper())))
    assert result["action"] == "updated" and result["named_location"]["id"] == object_id
    assert result["named_location"]["displayName"] == name.upper()


def test_exact_name_wins_over_a_case_variant(engine, graph_sandbox):
    name = unique("Exact")
    ids = seed_locations(graph_sandbox, name, name.lower())
    result = engine().converge(Declared(ip_location(name.lower())))
    assert result["changed"] is False and result["named_location"]["id"] == ids[1]


def test_type_change_is_refused_before_any_write(engine, graph_sandbox):
    name = unique()
    engine().converge(Declared(ip_location(name)))
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption, match="cannot change the type of a named location"):
        engine().converge(Declared(options_to_graph({"display_name": name, "countries_and_regions": ["US"]})))
    assert writes(graph_sandbox, since) == []


# -- replication lag and dropped connections ----------------------------------------------------

def test_replication_lag_is_waited_out_so_an_immediate_rerun_creates_no_duplicate(engine, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 1.5, "method": "POST",
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    name = unique("Lagging")
    since = len(graph_sandbox.requests())
    result = engine().converge(Declared(ip_location(name)))
    object_id = result["named_location"]["id"]
    polls = [r["status"] for r in rows(graph_sandbox, since) if r["path"].endswith(object_id)]
    assert polls[0] == 404 and polls[-1] == 200, polls
    assert result["named_location"]["createdDateTime"]
    again = engine().converge(Declared(ip_location(name)))
    assert again["changed"] is False and again["named_location"]["id"] == object_id
    assert [w for w in writes(graph_sandbox, since) if w[0] == "POST"] == [("POST", 201)]


def test_settle_timeout_warns_and_keeps_the_answer_of_the_post(engine, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 5, "method": "POST",
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    worker = engine(settle_timeout=0.3)
    result = worker.converge(Declared(ip_location(unique("Slow"))))
    assert result["named_location"]["id"]
    assert len(worker.warnings) == 1 and "not readable after" in worker.warnings[0]


def test_post_whose_connection_dropped_is_not_sent_again_when_it_landed(engine, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "drop_after", "method": "POST", "count": 1,
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    name = unique("Dropped")
    since = len(graph_sandbox.requests())
    result = engine().converge(Declared(ip_location(name)))
    assert result["action"] == "created" and result["named_location"]["displayName"] == name
    posts = [r for r in rows(graph_sandbox, since) if r["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["fault"] == "drop_after"
    # After the drop, the collection was listed again to look for the new location before any retry.
    after_post = [(r["method"], r["path"]) for r in rows(graph_sandbox, since)][3:5]
    assert after_post[0] == ("GET", LOCATIONS), after_post
    listed = [o for o in engine().objects() if o["displayName"] == name]
    assert len(listed) == 1 and listed[0]["id"] == result["named_location"]["id"]


def test_post_whose_connection_dropped_before_it_landed_is_sent_again(engine, graph_sandbox):
    graph_sandbox.set_faults({"rules": [{"kind": "drop_before", "method": "POST", "count": 1,
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    name = unique("Retried")
    since = len(graph_sandbox.requests())
    # Before sending it again, the engine looks for the location until the settle timeout has passed.
    result = engine(settle_timeout=2).converge(Declared(ip_location(name)))
    assert result["action"] == "created"
    assert [o["id"] for o in engine().objects() if o["displayName"] == name] == [result["named_location"]["id"]]
    assert len([r for r in rows(graph_sandbox, since) if r["method"] == "POST" and r["status"] == 201]) == 1


def test_post_dropped_after_it_landed_and_unseen_under_lag_is_not_sent_again(engine, graph_sandbox):
    graph_sandbox.set_faults({"rules": [
        {"kind": "lag", "seconds": 2.5, "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"},
        {"kind": "drop_after", "method": "POST", "count": 1,
         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    name = unique("Dropped unseen")
    since = len(graph_sandbox.requests())
    result = engine(settle_timeout=30).converge(Declared(ip_location(name)))
    assert result["action"] == "created"
    posts = [r for r in rows(graph_sandbox, since) if r["method"] == "POST"]
    assert len(posts) == 1, posts
    graph_sandbox.set_faults({"rules": []})
    assert [o["id"] for o in engine().objects() if o["displayName"] == name] == [result["named_location"]["id"]]


# -- set mode -----------------------------------------------------------------------------------

def test_set_mode_reads_the_collection_once(engine, graph_sandbox):
    names = [unique("Set") for _i in range(3)]
    since = len(graph_sandbox.requests())
    items = [Declared(ip_location(n), field="named_locations[%d]" % i) for i, n in enumerate(names)]
    result = engine().converge_set(items)
    assert result["changed"] is True
    assert [a["action"] for a in result["actions"]] == ["created"] * 3
    assert [o["displayName"] for o in result["named_locations"]] == names
    assert all(o.get("createdDateTime") for o in result["named_locations"])
    lists = [r for r in rows(graph_sandbox, since) if r["method"] == "GET" and r["path"] == LOCATIONS]
    # The read, the look for copies made since (another controller), and one read that finds the three
    # new locations readable and no copy of them.
    assert len(lists) == 3
    since = len(graph_sandbox.requests())
    again = engine().converge_set(items)
    assert again["changed"] is False and again["actions"] == []
    assert [(r["method"], r["path"]) for r in rows(graph_sandbox, since)] == [("GET", LOCATIONS)]


def test_purge_deletes_only_undeclared_objects_matching_the_pattern(engine, graph_sandbox):
    tag = uuid.uuid4().hex[:6]
    keep, old, outside = "TG-%s keep" % tag, "TG-%s old" % tag, "Other %s" % tag
    ids = seed_locations(graph_sandbox, keep, old, outside)
    since = len(graph_sandbox.requests())
    items = [Declared(ip_location(keep), field="named_locations[0]")]
    pattern = "tg-%s .*" % tag
    predicted = engine(check_mode=True, diff_mode=True).converge_set(items, purge=True, purge_name_pattern=pattern)
    assert predicted["actions"] == [{"display_name": old, "id": ids[1], "action": "deleted", "purged": True}]
    assert list(predicted["diff"]["before"]) == [old] and predicted["diff"]["after"] == {}
    assert writes(graph_sandbox, since) == []
    result = engine().converge_set(items, purge=True, purge_name_pattern=pattern)
    assert result["actions"] == predicted["actions"]
    assert writes(graph_sandbox, since) == [("DELETE", 204)]
    left = set(o["id"] for o in engine().objects())
    assert ids[0] in left and ids[2] in left and ids[1] not in left


def test_purge_pattern_matches_the_whole_name(engine, graph_sandbox):
    tag = uuid.uuid4().hex[:6]
    ids = seed_locations(graph_sandbox, "Prefix %s" % tag, "Prefix %s and more" % tag)
    result = engine(check_mode=True).converge_set([], purge=True, purge_name_pattern="prefix %s" % tag)
    assert [a["id"] for a in result["actions"]] == [ids[0]]


def test_purge_without_a_pattern_is_refused_before_any_request(engine, graph_sandbox):
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption) as info:
        engine().converge_set([Declared(ip_location(unique()))], purge=True)
    assert info.value.describe().startswith("Option purge: is true but purge_name_pattern is not set")
    with pytest.raises(InvalidOption, match=r"^Option purge_name_pattern: is not a valid regular expression"):
        engine().converge_set([], purge=True, purge_name_pattern="TG - (")
    assert rows(graph_sandbox, since) == []


def test_one_object_declared_twice_is_refused(engine, graph_sandbox):
    name = unique("Twice")
    object_id = seed_locations(graph_sandbox, name)[0]
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption, match=r"^Option named_locations\[1\]\.display_name: is also the name of "
                                            r"named_locations\[0\]"):
        engine().converge_set([Declared(ip_location(name), field="named_locations[0]"),
                               Declared(ip_location(name.upper()), field="named_locations[1]")])
    with pytest.raises(InvalidOption, match=r"^Option named_locations\[1\]: designates .* which named_locations\[0\]"):
        engine().converge_set([Declared(ip_location(name), field="named_locations[0]"),
                               Declared({}, id=object_id, field="named_locations[1]")])
    assert writes(graph_sandbox, since) == []


def test_errors_of_any_item_come_before_any_write(engine, graph_sandbox):
    since = len(graph_sandbox.requests())
    with pytest.raises(InvalidOption, match=r"^Option named_locations\[1\]\.type: is required to create"):
        engine().converge_set([Declared(ip_location(unique()), field="named_locations[0]"),
                               Declared({"displayName": unique()}, field="named_locations[1]")])
    assert writes(graph_sandbox, since) == []


def test_a_failure_after_a_write_reports_what_was_done(engine, graph_sandbox):
    first, second = unique("Done"), unique("Failing")
    ids = seed_locations(graph_sandbox, first, second)
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 500, "method": "PATCH", "path": ids[1]}]})
    items = [Declared(ip_location(first, is_trusted=True), field="named_locations[0]"),
             Declared(ip_location(second, is_trusted=True), field="named_locations[1]")]
    with pytest.raises(PartialChangeError) as info:
        engine().converge_set(items)
    assert info.value.actions == [{"display_name": first, "id": ids[0], "action": "updated", "purged": False}]
    assert "500" in info.value.describe() and "Already done before this failure: updated %r" % first in (
        info.value.describe())


def test_a_resource_may_retry_a_passing_failure(engine, graph_sandbox):
    class Patient(NamedLocationType):
        def retry_write(self, error):
            return isinstance(error, GraphError) and error.status == 500

    name = unique("Patient")
    object_id = seed_locations(graph_sandbox, name)[0]
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 500, "method": "PATCH", "path": object_id,
                                         "count": 1}]})
    waits = []
    worker = engine(resource=Patient(), sleep=waits.append)
    result = worker.converge(Declared(ip_location(name, is_trusted=True)))
    assert result["action"] == "updated" and waits == [1.0]


# -- two controllers that share no lock -----------------------------------------------------------
# A second Graph client plays the other controller (another AWX node): it shares nothing with the
# engine but the tenant. The engine's clients here keep no state on disk, so no write lock is taken.

@pytest.fixture
def other_controller(clients):
    return clients(pacer=Pacer(families=()), retry=RetryPolicy(max_total_wait=20, base_delay=0.1)).graph


def create_elsewhere(graph, name):
    return graph.request("POST", "/identity/conditionalAccess/namedLocations", body=ip_location(name)).json["id"]


def located(sb, name):
    return [o for o in stored_objects(sb, "named_location") if o["displayName"] == name]


def test_an_object_another_controller_created_since_the_plan_stops_the_create(engine, graph_sandbox,
                                                                              other_controller):
    name = unique("Raced")
    worker = engine()
    changes = worker.plan_set([Declared(ip_location(name), field="named_locations[0]")])
    assert [c.action for c in changes] == ["create"]
    other_id = create_elsewhere(other_controller, name)
    since = len(graph_sandbox.requests())
    with pytest.raises(ConcurrentCreateError) as error:
        worker.apply(changes)
    assert other_id in str(error.value) and "created nothing" in str(error.value)
    assert writes(graph_sandbox, since) == []
    assert [o["id"] for o in located(graph_sandbox, name)] == [other_id]


def test_the_later_of_two_copies_created_at_once_gives_way(engine, graph_sandbox, other_controller):
    """The other controller's copy is created first but hidden by replication lag when this task
    looks before creating; once both are readable this task sees two, and its own is the later."""
    name = unique("Twice")
    worker = engine()
    changes = worker.plan_set([Declared(ip_location(name), field="named_locations[0]")])
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 1.5, "method": "POST",
                                         "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
    other_id = create_elsewhere(other_controller, name)
    with pytest.raises(ConcurrentCreateError) as error:
        worker.apply(changes)
    text = str(error.value)
    kept = located(graph_sandbox, name)
    assert [o["id"] for o in kept] == [other_id], kept
    race = error.value.details()["concurrent_creates"][0]
    own = race["id"]
    assert race["other_ids"] == [other_id] and own != other_id
    assert other_id in text and "deleted its copy" in text and own in text
    assert [r["method"] for r in rows(graph_sandbox, 0) if r["path"].endswith(own)][-1] == "DELETE"


def test_the_earlier_copy_is_kept_and_waits_for_the_later_one_to_go(engine, graph_sandbox, other_controller):
    """This task's copy is the earlier one: it waits for the other controller to delete its later copy
    and then succeeds; a later copy that stays makes it fail naming both ids."""
    for other_gives_way in (True, False):
        name = unique("Earlier")
        made = []

        def sleep(seconds):
            # Called while the engine waits: the other controller creates its copy at the first wait
            # (after this task's POST), and gives way at the next one when it does.
            if not made:
                made.append(create_elsewhere(other_controller, name))
            elif other_gives_way and len(made) == 1:
                other_controller.request("DELETE", "/identity/conditionalAccess/namedLocations/%s" % made[0],
                                         accept=set([204, 404]))
                made.append("deleted")
            time.sleep(min(seconds, 0.2))

        graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 0.5, "method": "POST", "count": 1,
                                             "path": "^/v1\\.0/identity/conditionalAccess/namedLocations$"}]})
        worker = engine(sleep=sleep, settle_timeout=3)
        if other_gives_way:
            result = worker.converge(Declared(ip_location(name)))
            assert result["action"] == "created"
            assert [o["id"] for o in located(graph_sandbox, name)] == [result["named_location"]["id"]]
        else:
            with pytest.raises(PartialChangeError) as error:
                worker.converge(Declared(ip_location(name)))
            assert isinstance(error.value.error, ConcurrentCreateError) and made[0] in str(error.value)
            ids = sorted(o["id"] for o in located(graph_sandbox, name))
            assert len(ids) == 2 and all(i in str(error.value) for i in ids)
        graph_sandbox.set_faults({"rules": []})


# -- a set over several collections (Parts) -------------------------------------------------------

def test_every_part_is_planned_before_any_part_is_written(engine, graph_sandbox):
    since = len(graph_sandbox.requests())
    parts = [Part(engine(), [Declared(ip_location(unique()), field="items[0]")], tag={"platform": "a"}),
             Part(engine(), [Declared({"displayName": unique()}, field="items[1]")], tag={"platform": "b"})]
    with pytest.raises(InvalidOption, match=r"^Option items\[1\]\.type: is required to create"):
        converge_parts(parts, "named_locations", "named location", False)
    assert writes(graph_sandbox, since) == []


def test_parts_report_in_the_order_of_the_items_with_their_tags(engine, graph_sandbox):
    first, second, third = unique("First"), unique("Second"), unique("Third")
    items = [Declared(ip_location(name), field="items[%d]" % index)
             for index, name in enumerate((first, second, third))]
    since = len(graph_sandbox.requests())
    parts = [Part(engine(check_mode=True, diff_mode=True), [items[1]], tag={"platform": "b"}),
             Part(engine(check_mode=True, diff_mode=True), [items[0], items[2]], tag={"platform": "a"})]
    result = converge_parts(parts, "named_locations", "named location", True, items=items)
    assert [o["displayName"] for o in result["named_locations"]] == [first, second, third]
    assert [(a["display_name"], a["action"], a["platform"]) for a in result["actions"]] == [
        (second, "created", "b"), (first, "created", "a"), (third, "created", "a")]
    assert sorted(result["diff"]["after"]) == sorted(["a: " + first, "b: " + second, "a: " + third])
    assert result["diff"]["after_header"] == "named locations after" and result["changed"] is True
    assert writes(graph_sandbox, since) == []


def test_a_failure_in_a_later_part_reports_what_the_earlier_parts_did(engine, graph_sandbox):
    first, second = unique("Done"), unique("Failing")
    ids = seed_locations(graph_sandbox, first, second)
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 500, "method": "PATCH", "path": ids[1]}]})
    parts = [Part(engine(), [Declared(ip_location(first, is_trusted=True), field="items[0]")], tag={"platform": "a"}),
             Part(engine(), [Declared(ip_location(second, is_trusted=True), field="items[1]")],
                  tag={"platform": "b"})]
    with pytest.raises(PartialChangeError) as info:
        converge_parts(parts, "named_locations", "named location", False)
    assert info.value.actions == [{"display_name": first, "id": ids[0], "action": "updated", "purged": False,
                                   "platform": "a"}]
    assert "Already done before this failure: updated %r" % first in info.value.describe()
