"""Directory reads with Entra ID's query rules: paging, $filter, $select, $count, $search, getByIds."""

from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import USER_COUNT, assert_graph_error, uid

EVENTUAL = {"ConsistencyLevel": "eventual"}
ALL_USERS = USER_COUNT + 1


def collect(graph, path, headers=None):
    """Follow @odata.nextLink to the end; returns (items, pages)."""
    items, pages, url = [], [], path
    while url:
        response = graph.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        items.extend(body["value"])
        url = body.get("@odata.nextLink")
    return items, pages


def test_paging_over_several_pages_returns_every_user_once(graph):
    items, pages = collect(graph, "/v1.0/users?$top=60&$select=id,displayName")
    assert len(pages) == 5
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids)) == ALL_USERS
    link = urlsplit(pages[0]["@odata.nextLink"])
    assert link.scheme == "https" and link.netloc == urlsplit(graph.sb.base_url).netloc
    options = parse_qs(link.query)
    assert options["$top"] == ["60"] and options["$select"] == ["id,displayName"] and options["$skiptoken"]
    assert set(items[0]) == {"id", "displayName"}
    assert pages[0]["@odata.context"].endswith("$metadata#users(id,displayName)")


def test_default_page_size_is_100(graph):
    body = graph.get("/v1.0/users").json()
    assert len(body["value"]) == 100 and "@odata.nextLink" in body
    assert set(body["value"][0]) == {"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                                     "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}


def test_paging_is_stable_while_objects_are_added(graph):
    first = graph.get("/v1.0/groups?$top=1").json()
    graph.sb.seed({"groups": [{"id": uid("group", "late"), "displayName": "Late Group", "mailNickname": "late",
                               "mailEnabled": False, "securityEnabled": True}]})
    rest, _ = collect(graph, first["@odata.nextLink"])
    names = [g["displayName"] for g in first["value"] + rest]
    assert len(names) == len(set(names)) and "Late Group" in names


@pytest.mark.parametrize("top", ["0", "1000", "abc", "-1"])
def test_top_out_of_range_is_400(graph, top):
    assert_graph_error(graph.get("/v1.0/users?$top=" + top), 400, "Request_BadRequest")


def test_bad_skiptoken_is_400(graph):
    assert_graph_error(graph.get("/v1.0/users?$skiptoken=garbage"), 400, "Request_BadRequest")


def test_skip_is_not_supported_on_users(graph):
    assert_graph_error(graph.get("/v1.0/users?$skip=5"), 400, "Request_BadRequest")


@pytest.mark.parametrize("expression, expected", [
    ("userPrincipalName eq 'user007@contoso.onmicrosoft.com'", 1),
    ("startswith(displayName,'User 01')", 10),
    ("displayName in ('User 001', 'User 002', 'Nobody')", 2),
    ("department eq 'Sales' and accountEnabled eq false", 9),
    ("(department eq 'Legal' or userType eq 'Guest') and startsWith(mail,'user')", 5),
    ("surname eq 'O''Brien'", 1),
    ("displayName eq 'user 003'", 1),
    ("id eq '%s'" % uid("user", 9), 1),
])
def test_filter(graph, expression, expected):
    items, _ = collect(graph, "/v1.0/users?$top=999&$filter=" + expression)
    assert len(items) == expected, expression


def test_filter_values_are_literals_not_code(graph):
    response = graph.get("/v1.0/users?$filter=displayName eq '__import__(\"os\")'")
    assert response.status_code == 200 and response.json()["value"] == []
    assert_graph_error(graph.get("/v1.0/users?$filter=displayName eq 'unterminated"), 400, "Request_BadRequest")
    assert_graph_error(graph.get("/v1.0/users?$filter=displayName eq __import__('os')"), 400, "Request_BadRequest")


def test_group_types_lambda(graph):
    items, _ = collect(graph, "/v1.0/groups?$filter=groupTypes/any(c:c eq 'Unified')")
    assert [g["displayName"] for g in items] == ["All Staff"]


@pytest.mark.parametrize("expression", [
    "endsWith(mail,'@contoso.com')",
    "department ne 'Sales'",
    "not(department eq 'Sales')",
    "jobTitle eq null",
])
def test_advanced_filters_need_consistency_level_and_count(graph, expression):
    assert_graph_error(graph.get("/v1.0/users?$filter=" + expression), 400, "Request_UnsupportedQuery",
                       "Unsupported Query.")
    assert_graph_error(graph.get("/v1.0/users?$filter=" + expression, headers=EVENTUAL), 400,
                       "Request_UnsupportedQuery")
    response = graph.get("/v1.0/users?$count=true&$filter=" + expression, headers=EVENTUAL)
    assert response.status_code == 200, response.text
    assert response.json()["@odata.count"] >= 1


def test_ends_with_result(graph):
    body = graph.get("/v1.0/users?$count=true&$filter=endsWith(mail,'@fabrikam.com')", headers=EVENTUAL).json()
    assert body["@odata.count"] == 1 and body["value"][0]["displayName"] == "Ciarán O'Brien"


def test_unknown_and_unindexed_filter_properties(graph):
    error = assert_graph_error(graph.get("/v1.0/users?$filter=shoeSize eq 42"), 400, "Request_BadRequest")
    assert "shoeSize" in error["message"]
    for headers, query in ((None, ""), (EVENTUAL, "&$count=true")):
        assert_graph_error(graph.get("/v1.0/users?$filter=aboutMe eq 'x'" + query, headers=headers), 400,
                           "Request_UnsupportedQuery", "The request uses a filter property that is not indexed")


def test_select_unknown_property_is_400(graph):
    error = assert_graph_error(graph.get("/v1.0/users?$select=displayName,shoeSize"), 400, "Request_BadRequest")
    assert error["message"] == "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."


def test_select_on_single_entity(graph):
    body = graph.get("/v1.0/users/%s?$select=department,accountEnabled" % uid("user", 4)).json()
    assert body["department"] == "Finance" and body["accountEnabled"] is True
    assert set(body) == {"@odata.context", "department", "accountEnabled"}


def test_count_true_needs_consistency_level(graph):
    assert "@odata.count" not in graph.get("/v1.0/users?$count=true&$top=1").json()
    pages = collect(graph, "/v1.0/users?$count=true&$top=100", headers=EVENTUAL)[1]
    assert pages[0]["@odata.count"] == ALL_USERS
    assert all("@odata.count" not in page for page in pages[1:])


def test_count_segment(graph):
    assert_graph_error(graph.get("/v1.0/users/$count"), 400, "Request_BadRequest", "$count is not currently supported.")
    response = graph.get("/v1.0/users/$count", headers=EVENTUAL)
    assert response.status_code == 200 and response.text == str(ALL_USERS)
    assert response.headers["Content-Type"].startswith("text/plain")
    filtered = graph.get("/v1.0/users/$count?$filter=department eq 'Legal'", headers=EVENTUAL)
    assert filtered.text == "1"


def test_search_needs_consistency_level(graph):
    assert_graph_error(graph.get('/v1.0/users?$search="displayName:Brien"'), 400, "Request_UnsupportedQuery",
                       "Request with $search query parameter only works through MSGraph with a special request "
                       "header: 'ConsistencyLevel: eventual'")
    body = graph.get('/v1.0/users?$search="displayName:Brien"', headers=EVENTUAL).json()
    assert [u["displayName"] for u in body["value"]] == ["Ciarán O'Brien"]
    assert_graph_error(graph.get("/v1.0/users?$search=Brien", headers=EVENTUAL), 400, "Request_UnsupportedQuery")


def test_orderby(graph):
    body = graph.get("/v1.0/users?$orderby=displayName desc&$top=2").json()
    assert [u["displayName"] for u in body["value"]] == ["User 249", "User 248"]
    assert_graph_error(graph.get("/v1.0/users?$orderby=displayName&$filter=department eq 'Sales'"), 400,
                       "Request_UnsupportedQuery")


def test_get_by_id_and_by_user_principal_name(graph):
    by_id = graph.get("/v1.0/users/" + uid("user", 7)).json()
    by_upn = graph.get("/v1.0/users/user007@contoso.onmicrosoft.com").json()
    assert by_id["id"] == by_upn["id"] == uid("user", 7)
    assert by_id["@odata.context"].endswith("$metadata#users/$entity")


def test_unknown_object_is_404(graph):
    error = assert_graph_error(graph.get("/v1.0/groups/00000000-1111-2222-3333-444444444444"), 404,
                               "Request_ResourceNotFound")
    assert error["message"] == ("Resource '00000000-1111-2222-3333-444444444444' does not exist or one of its "
                                "queried reference-property objects are not present.")


def test_me_needs_a_delegated_token(graph):
    assert_graph_error(graph.get("/v1.0/me"), 400, "BadRequest",
                       "/me request is only valid with delegated authentication flow.")


def test_unknown_segment_is_400(graph):
    assert_graph_error(graph.get("/v1.0/usersx"), 400, "BadRequest", "Resource not found for the segment 'usersx'.")
    assert_graph_error(graph.get("/v1.0/users/%s/shoes" % uid("user", 1)), 400, "BadRequest",
                       "Resource not found for the segment 'shoes'.")


def test_members_member_of_and_transitive(graph):
    staff = graph.get("/v1.0/groups/%s/members?$select=id" % uid("group", "staff")).json()
    assert len(staff["value"]) == 11
    types = {m["@odata.type"] for m in staff["value"]}
    assert types == {"#microsoft.graph.user", "#microsoft.graph.group"}
    transitive = graph.get("/v1.0/groups/%s/transitiveMembers" % uid("group", "staff")).json()["value"]
    assert uid("user", 3) in {m["id"] for m in transitive}
    direct = graph.get("/v1.0/users/%s/memberOf" % uid("user", 3)).json()["value"]
    assert [g["displayName"] for g in direct] == ["Nested Team"]
    indirect = graph.get("/v1.0/users/%s/transitiveMemberOf" % uid("user", 3)).json()["value"]
    assert {g["displayName"] for g in indirect} == {"Nested Team", "All Staff"}
    count = graph.get("/v1.0/groups/%s/members/$count" % uid("group", "breakglass"), headers=EVENTUAL)
    assert count.text == "2"
    roles = graph.get("/v1.0/users/%s/memberOf" % uid("user", 5)).json()["value"]
    assert roles[0]["@odata.type"] == "#microsoft.graph.directoryRole"


def test_get_by_ids(graph):
    response = graph.post("/v1.0/directoryObjects/getByIds", json={
        "ids": [uid("user", 1), uid("group", "staff"), uid("device", 2), "00000000-0000-0000-0000-00000000dead"]})
    assert response.status_code == 200
    assert [o["@odata.type"] for o in response.json()["value"]] == [
        "#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.device"]
    only_groups = graph.post("/v1.0/directoryObjects/getByIds", json={
        "ids": [uid("user", 1), uid("group", "staff")], "types": ["group"]}).json()["value"]
    assert [o["id"] for o in only_groups] == [uid("group", "staff")]
    assert_graph_error(graph.post("/v1.0/directoryObjects/getByIds", json={"ids": ["x"], "types": ["spaceship"]}),
                       400, "Request_BadRequest")
    assert_graph_error(graph.post("/v1.0/directoryObjects/getByIds", json={"ids": "x"}), 400, "Request_BadRequest")


def test_builtin_tenant_contents(graph):
    templates = graph.get("/v1.0/directoryRoleTemplates?$top=999").json()["value"]
    by_name = {t["displayName"]: t["id"] for t in templates}
    assert by_name["Global Administrator"] == "62e90394-69f5-4237-9190-012177145e10"
    assert by_name["Exchange Administrator"] == "29232cdf-9323-42fd-ade2-1d097af3e4de"
    exo = graph.get("/v1.0/servicePrincipals(appId='00000002-0000-0ff1-ce00-000000000000')").json()
    assert exo["displayName"] == "Office 365 Exchange Online"
    azure = graph.get("/v1.0/servicePrincipals?$filter=appId eq '797f4846-ba00-4fd7-ba43-dac1f8f63013'").json()
    assert azure["value"][0]["displayName"] == "Windows Azure Service Management API"
    apps = graph.get("/v1.0/applications?$filter=displayName eq 'TenantGuard Sandbox Automation'").json()["value"]
    assert apps[0]["appId"] == graph.sb.client_id
    assert apps[0]["passwordCredentials"][0]["secretText"] is None
    role = graph.get("/v1.0/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')").json()
    assert role["displayName"] == "Global Administrator"
    org = graph.get("/v1.0/organization").json()["value"][0]
    assert org["id"] == graph.sb.tenant_id


def test_beta_serves_the_same_directory(graph):
    body = graph.get("/beta/users?$filter=userPrincipalName eq 'user001@contoso.onmicrosoft.com'").json()
    assert body["value"][0]["department"] == "Finance"
    assert body["@odata.context"].endswith("/beta/$metadata#users")
