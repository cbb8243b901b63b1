"""JSON batching: item dispatch with the same checks, dependsOn, limits."""

from conftest import Client, assert_graph_error, uid


def batch(client, requests, version="v1.0"):
    response = client.post("/%s/$batch" % version, json={"requests": requests})
    return response


def test_items_are_dispatched_with_their_own_status(graph):
    response = batch(graph, [
        {"id": "1", "method": "GET", "url": "/users/" + uid("user", 1) + "?$select=displayName"},
        {"id": "2", "method": "GET", "url": "/groups/00000000-1111-2222-3333-444444444444"},
        {"id": "3", "method": "GET", "url": "/users?$filter=endsWith(mail,'x')"},
        {"id": "4", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
    ])
    assert response.status_code == 200
    items = {r["id"]: r for r in response.json()["responses"]}
    assert items["1"]["status"] == 200 and items["1"]["body"]["displayName"] == "User 001"
    assert items["2"]["status"] == 404 and items["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["3"]["status"] == 400 and items["3"]["body"]["error"]["code"] == "Request_UnsupportedQuery"
    assert items["4"]["status"] == 200 and int(items["4"]["body"]) > 200


def test_items_meet_the_permission_checks(client_for):
    users_only = client_for(["User.Read.All"])
    response = batch(users_only, [{"id": "u", "method": "GET", "url": "/users?$top=1"},
                                  {"id": "g", "method": "GET", "url": "/groups"}])
    items = {r["id"]: r for r in response.json()["responses"]}
    assert items["u"]["status"] == 200
    assert items["g"]["status"] == 403 and items["g"]["body"]["error"]["code"] == "Authorization_RequestDenied"


def test_depends_on_runs_in_order_and_fails_dependents(graph):
    location = {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "batch location",
                "countriesAndRegions": ["BE"]}
    response = batch(graph, [
        {"id": "list", "method": "GET", "url": "/identity/conditionalAccess/namedLocations", "dependsOn": ["create"]},
        {"id": "create", "method": "POST", "url": "/identity/conditionalAccess/namedLocations", "body": location,
         "headers": {"Content-Type": "application/json"}},
        {"id": "bad", "method": "GET", "url": "/nothing"},
        {"id": "after-bad", "method": "GET", "url": "/users", "dependsOn": ["bad"]},
    ], version="beta")
    items = {r["id"]: r for r in response.json()["responses"]}
    assert items["create"]["status"] == 201
    assert "batch location" in [x["displayName"] for x in items["list"]["body"]["value"]]
    assert items["bad"]["status"] == 400
    assert items["after-bad"]["status"] == 424
    graph.delete("/v1.0/identity/conditionalAccess/namedLocations/" + items["create"]["body"]["id"])


def test_limits_and_malformed_batches(graph):
    too_many = [{"id": str(i), "method": "GET", "url": "/users?$top=1"} for i in range(21)]
    assert_graph_error(batch(graph, too_many), 400, "BadRequest")
    assert batch(graph, too_many[:20]).status_code == 200
    assert_graph_error(batch(graph, [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]),
                       400, "BadRequest")
    assert_graph_error(batch(graph, [{"id": "1", "method": "GET", "url": "/users"},
                                     {"id": "1", "method": "GET", "url": "/groups"}]), 400, "BadRequest")
    assert_graph_error(batch(graph, [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]),
                       400, "BadRequest")
    assert_graph_error(batch(graph, [{"id": "1", "method": "POST", "url": "/directoryObjects/getByIds",
                                      "body": {"ids": ["x"]}}]), 400, "BadRequest")
    nested = batch(graph, [{"id": "1", "method": "POST", "url": "/$batch", "body": {"requests": []},
                            "headers": {"Content-Type": "application/json"}}])
    assert nested.json()["responses"][0]["status"] == 400


def test_batch_needs_a_token(sandbox):
    response = Client(sandbox, None).post("/v1.0/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": "/users"}]})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_numeric_ids_are_accepted_and_echoed_as_strings(graph):
    """IntuneCD sends ``"id": 1`` (a JSON number) to real Graph and reads answers back with ``int(resp["id"])``."""
    response = batch(graph, [
        {"id": 1, "method": "GET", "url": "/users?$top=1"},
        {"id": 2, "method": "GET", "url": "/groups?$top=1", "dependsOn": [1]},
        {"id": "3", "method": "GET", "url": "/nothing"},
        {"id": 4, "method": "GET", "url": "/users?$top=1", "dependsOn": ["3"]},
    ], version="beta")
    assert response.status_code == 200
    items = {r["id"]: r for r in response.json()["responses"]}
    assert set(items) == {"1", "2", "3", "4"}
    assert all(isinstance(r["id"], str) for r in response.json()["responses"])
    assert items["1"]["status"] == 200 and items["2"]["status"] == 200
    assert items["3"]["status"] == 400 and items["4"]["status"] == 424
    # the same id as a number and as a string is one id
    duplicate = batch(graph, [{"id": 1, "method": "GET", "url": "/users"}, {"id": "1", "method": "GET", "url": "/users"}])
    assert_graph_error(duplicate, 400, "BadRequest")
    assert duplicate.json()["error"]["message"] == "Request Id 1 has to be unique in a batch."


def test_ids_are_unique_case_insensitively(graph):
    response = batch(graph, [{"id": "a", "method": "GET", "url": "/users"}, {"id": "A", "method": "GET", "url": "/users"}])
    assert_graph_error(response, 400, "BadRequest")
    assert response.json()["error"]["message"] == "Request Id A has to be unique in a batch."


def test_ids_that_are_neither_strings_nor_whole_numbers_are_refused(graph):
    for bad in (None, "", True, 1.5, [1], {"x": 1}):
        response = batch(graph, [{"id": bad, "method": "GET", "url": "/users"}])
        assert_graph_error(response, 400, "BadRequest")
