"""Name resolution against the sandbox: bulk look-ups, request counts, ambiguity, suggestions, lag."""
import pytest
from hypothesis import given, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import (
    NameResolver, chunks, closest, in_filter, is_guid, odata_string)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import Pacer

USERS = ["person%02d@contoso.onmicrosoft.com" % i for i in range(30)]
GROUPS = ["Team %02d" % i for i in range(30)]
OTHER_APP_ID = "7a1b2c3d-0000-4000-8000-00000000abcd"


def seed_document():
    groups = [{"displayName": name, "securityEnabled": True, "mailEnabled": False, "mailNickname": "t%d" % i}
              for i, name in enumerate(GROUPS)]
    groups += [
        {"id": "11111111-aaaa-4aaa-8aaa-000000000001", "displayName": "Shared name", "securityEnabled": True,
         "mailEnabled": False, "mailNickname": "shared1"},
        {"id": "11111111-aaaa-4aaa-8aaa-000000000002", "displayName": "Shared name", "securityEnabled": True,
         "mailEnabled": False, "mailNickname": "shared2"},
        {"displayName": "O'Brien & Partners", "securityEnabled": True, "mailEnabled": False, "mailNickname": "ob"},
        {"displayName": "Mobile Pilot", "securityEnabled": True, "mailEnabled": False, "mailNickname": "mp"},
    ]
    users = [{"displayName": "Person %02d" % i, "userPrincipalName": upn} for i, upn in enumerate(USERS)]
    users.append({"displayName": "Adele Vance", "userPrincipalName": "adele.vance@contoso.onmicrosoft.com"})
    return {
        "users": users,
        "groups": groups,
        "servicePrincipals": [
            {"id": "22222222-bbbb-4bbb-8bbb-000000000001", "appId": OTHER_APP_ID, "displayName": "Contoso Expenses"},
            {"appId": "7a1b2c3d-0000-4000-8000-00000000abce", "displayName": "Twin App"},
            {"appId": "7a1b2c3d-0000-4000-8000-00000000abcf", "displayName": "Twin App"},
        ],
    }


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("names")), seed=seed_document()) as sb:
        yield sb


@pytest.fixture
def resolver(clients):
    def make(**kwargs):
        graph = clients(pacer=Pacer(families=())).graph
        return NameResolver(graph, **kwargs)

    return make


def graph_rows(sb, since):
    return [r for r in sb.requests()[since:] if r["service"] == "graph"]


# -- helpers ---------------------------------------------------------------------------------------

def test_odata_literals_double_quotes_and_in_filters_quote_every_value():
    assert odata_string("O'Brien") == "'O''Brien'"
    assert in_filter("displayName", ["a", "b'c"]) == "displayName in ('a','b''c')"


def test_chunks_and_guids():
    assert [len(c) for c in chunks(range(31), 15)] == [15, 15, 1]
    assert is_guid("62E90394-69F5-4237-9190-012177145E10")
    assert not is_guid("62e90394-69f5-4237-9190-012177145e1")
    assert not is_guid("Team 01")


def test_closest_names_ignore_case():
    assert closest("mobile pilto", ["Mobile Pilot", "Team 01", "Marketing"]) == ["Mobile Pilot"]
    assert closest("zzz", ["Mobile Pilot"]) == []


# -- request counts --------------------------------------------------------------------------------

def test_thirty_users_and_thirty_groups_by_name_cost_one_batch(graph_sandbox, resolver):
    names = resolver()
    since = len(graph_sandbox.requests())
    found = names.resolve({"user": USERS, "group": GROUPS})
    rows = graph_rows(graph_sandbox, since)
    assert [(r["method"], r["path"]) for r in rows] == [("POST", "/v1.0/$batch")]
    # Two chunks of 15 UPNs and two of 15 group names, each an `in` filter with quoted values.
    items = rows[0]["body"]["requests"]
    assert len(items) == 4
    assert all(" in (" in item["url"].replace("%20", " ") for item in items)
    assert all(r.status == "found" for r in found.values()), [r for r in found.values() if r.status != "found"]
    assert len(set(r.id for r in found.values())) == 60
    # The same names again in the same task: nothing is read twice.
    again = len(graph_sandbox.requests())
    names.resolve({"user": USERS[:5], "group": GROUPS[:5]})
    assert graph_rows(graph_sandbox, again) == []


def test_request_count_grows_only_with_chunks(graph_sandbox, resolver):
    since = len(graph_sandbox.requests())
    resolver().resolve({"user": USERS[:3], "group": GROUPS[:3]})
    few = graph_rows(graph_sandbox, since)
    since = len(graph_sandbox.requests())
    resolver().resolve({"user": USERS, "group": GROUPS})
    many = graph_rows(graph_sandbox, since)
    assert len(few) == len(many) == 1
    assert len(few[0]["body"]["requests"]) == 2 and len(many[0]["body"]["requests"]) == 4


def test_ids_are_checked_with_one_get_by_ids(graph_sandbox, resolver):
    first = resolver().resolve({"user": USERS[:20], "group": GROUPS[:20]})
    ids_users = [first[("user", u)].id for u in USERS[:20]]
    ids_groups = [first[("group", g)].id for g in GROUPS[:20]]
    names = resolver()
    since = len(graph_sandbox.requests())
    found = names.resolve({"user": ids_users, "group": ids_groups})
    rows = graph_rows(graph_sandbox, since)
    assert [(r["method"], r["path"]) for r in rows] == [("POST", "/v1.0/directoryObjects/getByIds")]
    assert len(rows[0]["body"]["ids"]) == 40
    assert all(r.status == "found" for r in found.values())
    # Ids turn back into readable names: UPNs for users, display names for groups.
    assert names.name_of("user", ids_users[0].upper()) == USERS[0]
    assert names.name_of("group", ids_groups[3]) == GROUPS[3]
    assert names.names_by_id()["group"][ids_groups[3]] == GROUPS[3]


def test_an_id_of_the_wrong_kind_is_refused_and_an_unknown_one_is_dangling(resolver):
    group_id = resolver().resolve({"group": ["Mobile Pilot"]})[("group", "Mobile Pilot")].id
    missing = "0b0b0b0b-1111-4222-8333-444444444444"
    found = resolver().resolve({"user": [group_id, missing]})
    wrong = found[("user", group_id)]
    assert wrong.status == "wrong_kind"
    assert "group" in wrong.problem() and "Mobile Pilot" in wrong.problem() and group_id in wrong.problem()
    dangling = found[("user", missing)]
    assert dangling.status == "dangling" and dangling.usable and dangling.id == missing
    assert dangling.problem() is None and missing in dangling.warning()


# -- names -----------------------------------------------------------------------------------------

def test_ambiguous_group_lists_the_candidates_ids(resolver):
    found = resolver().resolve({"group": ["Shared name"]})[("group", "Shared name")]
    assert found.status == "ambiguous" and not found.usable
    message = found.problem()
    assert "11111111-aaaa-4aaa-8aaa-000000000001" in message and "11111111-aaaa-4aaa-8aaa-000000000002" in message
    assert "'Shared name'" in message


def test_unknown_group_suggests_the_closest_names(resolver):
    found = resolver().resolve({"group": ["Mobile Pilto"]})[("group", "Mobile Pilto")]
    assert found.status == "unknown"
    assert "Mobile Pilot" in found.problem() and "Mobile Pilto" in found.problem()


def test_unknown_user_suggests_a_close_upn(resolver):
    value = "adele.vanse@contoso.onmicrosoft.com"
    found = resolver().resolve({"user": [value]})[("user", value)]
    assert found.status == "unknown"
    assert found.suggestions[0] == "adele.vance@contoso.onmicrosoft.com"


def test_quotes_in_names_are_escaped_not_interpolated(graph_sandbox, resolver):
    since = len(graph_sandbox.requests())
    found = resolver().resolve({"group": ["O'Brien & Partners"]})[("group", "O'Brien & Partners")]
    assert found.status == "found"
    row = graph_rows(graph_sandbox, since)[0]
    assert "O''Brien" in str(row["query"])


def test_names_match_without_regard_to_case(resolver):
    found = resolver().resolve({"group": ["mobile PILOT"], "user": [USERS[1].upper()]})
    assert found[("group", "mobile PILOT")].name == "Mobile Pilot"
    assert found[("user", USERS[1].upper())].name == USERS[1]


# -- roles and applications ------------------------------------------------------------------------

def test_well_known_roles_and_apps_need_no_request(graph_sandbox, resolver):
    since = len(graph_sandbox.requests())
    found = resolver().resolve({
        "role": ["Global Administrator", "62e90394-69f5-4237-9190-012177145e10"],
        "application": ["Exchange Online", "office365", "00000003-0000-0ff1-ce00-000000000000"],
    })
    assert graph_rows(graph_sandbox, since) == []
    assert found[("role", "Global Administrator")].id == "62e90394-69f5-4237-9190-012177145e10"
    assert found[("application", "office365")].id == "Office365"
    assert found[("application", "Exchange Online")].id == "00000002-0000-0ff1-ce00-000000000000"
    assert found[("application", "00000003-0000-0ff1-ce00-000000000000")].name == "SharePoint Online"


def test_other_roles_come_from_one_list_of_templates(graph_sandbox, resolver):
    since = len(graph_sandbox.requests())
    found = resolver().resolve({"role": ["Global Reader", "Directory Readers", "Global Raeder Admin"]})
    rows = graph_rows(graph_sandbox, since)
    listed = [r for r in rows if "directoryRoleTemplates" in r["path"]]
    # One walk of the list: the first page, then only the pages its nextLink names (the sandbox
    # holds Microsoft's 123 templates, more than one page).
    assert {r["path"] for r in listed} == {"/v1.0/directoryRoleTemplates"}
    assert ["skiptoken" in str(r.get("query")).lower() for r in listed] == [False] + [True] * (len(listed) - 1)
    assert found[("role", "Global Reader")].id == "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
    assert found[("role", "Directory Readers")].status == "found"
    unknown = found[("role", "Global Raeder Admin")]
    assert unknown.status == "unknown" and "Global Reader" in unknown.problem()


def test_applications_by_display_name_app_id_and_the_object_id_mistake(resolver):
    found = resolver().resolve({"application": [
        "Contoso Expenses", OTHER_APP_ID, "22222222-bbbb-4bbb-8bbb-000000000001", "Twin App", "Contoso Expensse"]})
    assert found[("application", "Contoso Expenses")].id == OTHER_APP_ID
    assert found[("application", OTHER_APP_ID)].name == "Contoso Expenses"
    mistake = found[("application", "22222222-bbbb-4bbb-8bbb-000000000001")]
    assert mistake.status == "wrong_kind" and OTHER_APP_ID in mistake.problem()
    assert found[("application", "Twin App")].status == "ambiguous"
    assert "Contoso Expenses" in found[("application", "Contoso Expensse")].problem()


# -- named locations and authentication strengths --------------------------------------------------

def test_strengths_and_locations_from_one_list_each(graph_sandbox, resolver, clients):
    created = clients().graph.post("/identity/conditionalAccess/namedLocations", body={
        "@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "Blocked countries",
        "countriesAndRegions": ["KP"], "includeUnknownCountriesAndRegions": False})
    since = len(graph_sandbox.requests())
    found = resolver().resolve({
        "namedLocation": ["Blocked countries", "00000000-0000-0000-0000-000000000000"],
        "authenticationStrength": ["Phishing resistant MFA", "00000000-0000-0000-0000-000000000002"]})
    rows = graph_rows(graph_sandbox, since)
    assert len(rows) == 1 and rows[0]["path"] == "/v1.0/$batch" and len(rows[0]["body"]["requests"]) == 2
    assert found[("namedLocation", "Blocked countries")].id == created["id"]
    assert found[("namedLocation", "00000000-0000-0000-0000-000000000000")].status == "found"
    assert found[("authenticationStrength", "Phishing resistant MFA")].id == "00000000-0000-0000-0000-000000000004"
    assert found[("authenticationStrength", "00000000-0000-0000-0000-000000000002")].name == \
        "Multifactor authentication"


def test_a_location_not_yet_visible_is_looked_up_again(graph_sandbox, resolver, clients):
    graph_sandbox.set_faults({"rules": [{"kind": "lag", "seconds": 2.5, "path": "namedLocations"}]})
    created = clients().graph.post("/identity/conditionalAccess/namedLocations", body={
        "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Fresh office", "isTrusted": True,
        "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.0/24"}]})
    since = len(graph_sandbox.requests())
    found = resolver(reference_wait=20).resolve({"namedLocation": ["Fresh office"]})
    assert found[("namedLocation", "Fresh office")].id == created["id"]
    lists = [r for r in graph_rows(graph_sandbox, since) if r["path"].endswith("/namedLocations")]
    assert len(lists) >= 2


def test_a_missing_location_is_an_error_after_the_bounded_wait(resolver):
    sleeps = []
    now = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    names = resolver(reference_wait=3, sleep=sleep, clock=lambda: now[0])
    found = names.resolve({"namedLocation": ["Nowhere", "9d9d9d9d-1111-4222-8333-444444444444"]})
    assert found[("namedLocation", "Nowhere")].status == "unknown"
    dangling = found[("namedLocation", "9d9d9d9d-1111-4222-8333-444444444444")]
    assert dangling.status == "dangling" and "no named location has the id" in dangling.problem()
    assert sleeps == [1.0, 2.0]


# -- names an earlier task resolved ----------------------------------------------------------------

def test_names_found_by_one_task_serve_the_next_without_a_request(graph_sandbox, resolver):
    first = resolver()
    found = first.resolve({"group": GROUPS[:4] + ["mobile pilot"]})
    known = first.found_names("group")
    # Found by name: id and the name as the directory spells it, sorted by name.
    assert [k["display_name"] for k in known] == sorted(GROUPS[:4] + ["Mobile Pilot"])
    assert dict((k["display_name"], k["id"]) for k in known)["Mobile Pilot"] == found[("group", "mobile pilot")].id
    second = resolver()
    second.know("group", known)
    since = len(graph_sandbox.requests())
    again = second.resolve({"group": GROUPS[:4] + [known[0]["id"].upper()]})
    assert graph_rows(graph_sandbox, since) == []
    assert [again[("group", g)].id for g in GROUPS[:4]] == [found[("group", g)].id for g in GROUPS[:4]]
    assert again[("group", known[0]["id"].upper())].name == known[0]["display_name"]
    assert second.name_of("group", found[("group", GROUPS[2])].id) == GROUPS[2]
    # A name spelled otherwise than the known one is looked up: another group may carry that spelling.
    since = len(graph_sandbox.requests())
    assert second.resolve({"group": ["team 05"]})[("group", "team 05")].status == "found"
    assert len(graph_rows(graph_sandbox, since)) == 1


def test_a_name_known_with_two_ids_is_looked_up_and_stays_ambiguous(graph_sandbox, resolver):
    names = resolver()
    names.know("group", [{"id": "11111111-aaaa-4aaa-8aaa-000000000001", "display_name": "Shared name"},
                         {"id": "11111111-aaaa-4aaa-8aaa-000000000002", "display_name": "Shared name"}])
    since = len(graph_sandbox.requests())
    found = names.resolve({"group": ["Shared name"]})[("group", "Shared name")]
    assert len(graph_rows(graph_sandbox, since)) == 1
    assert found.status == "ambiguous"


def test_known_named_locations_spare_the_list_read_and_unknown_kinds_are_refused(graph_sandbox, resolver):
    names = resolver()
    names.know("namedLocation", [{"id": "0854951d-5fc0-4eb1-b392-9b2c9d7949c2", "display_name": "Head office"}])
    since = len(graph_sandbox.requests())
    found = names.resolve({"namedLocation": ["Head office"]})[("namedLocation", "Head office")]
    assert graph_rows(graph_sandbox, since) == []
    assert (found.status, found.id) == ("found", "0854951d-5fc0-4eb1-b392-9b2c9d7949c2")
    with pytest.raises(ValueError):
        names.know("printer", [])


@given(wanted=st.lists(st.sampled_from(GROUPS[:6] + ["Shared name", "Mobile Pilot", "mobile pilot", "Nobody"]),
                       min_size=1, max_size=8),
       seeded=st.lists(st.sampled_from(GROUPS[:6] + ["Mobile Pilot"]), max_size=6))
def test_known_names_change_no_answer_only_the_requests(graph_sandbox, resolver, wanted, seeded):
    """Whatever an earlier task found and whatever is asked: a resolver seeded with the earlier task's names gives
    the same answers as one that looks everything up, and sends a request only for names not known exactly."""
    earlier = resolver(reference_wait=0)
    earlier.resolve({"group": seeded})
    plain = resolver(reference_wait=0).resolve({"group": wanted})
    known = resolver(reference_wait=0)
    known.know("group", earlier.found_names("group"))
    since = len(graph_sandbox.requests())
    answers = known.resolve({"group": wanted})
    for value in wanted:
        assert (answers[("group", value)].status, answers[("group", value)].id) == (
            plain[("group", value)].status, plain[("group", value)].id), value
    exact = set(k["display_name"] for k in earlier.found_names("group"))
    if all(value in exact for value in wanted):
        assert graph_rows(graph_sandbox, since) == []
