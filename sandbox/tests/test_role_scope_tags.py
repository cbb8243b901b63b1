"""Intune role scope tags (beta): the built-in Default tag ("0"), custom tags, assignments."""

import json
import os

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

TAGS = "/beta/deviceManagement/roleScopeTags"


def stored_collection(sb, name):
    """What the sandbox stores, read directly from its state directory."""
    with open(os.path.join(sb.state_dir, "data", name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("scope-tags")) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def test_every_tenant_has_the_default_tag(graph):
    listed = graph.get(TAGS)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["@odata.context"].endswith("/beta/$metadata#deviceManagement/roleScopeTags")
    default = [t for t in body["value"] if t["id"] == "0"]
    assert default == [{"@odata.type": "#microsoft.graph.roleScopeTag", "id": "0", "displayName": "Default",
                        "description": "", "isBuiltIn": True}]
    assert graph.get(TAGS + "/0").json()["displayName"] == "Default"


def test_v1_has_no_role_scope_tags(graph):
    assert_graph_error(graph.get("/v1.0/deviceManagement/roleScopeTags"), 400, "BadRequest",
                       "Resource not found for the segment 'roleScopeTags'.")


def test_create_update_assign_delete_read_back_from_the_store(sb, graph):
    created = graph.post(TAGS, json={"@odata.type": "#microsoft.graph.roleScopeTag", "displayName": "Belgium",
                                     "description": "BE staff", "isBuiltIn": False})
    assert created.status_code == 201, created.text
    tag = created.json()
    assert tag["id"].isdigit() and tag["id"] != "0" and tag["isBuiltIn"] is False
    second = graph.post(TAGS, json={"displayName": "France"}).json()
    assert int(second["id"]) == int(tag["id"]) + 1 and second["description"] is None
    patched = graph.patch(TAGS + "/" + tag["id"], json={"description": "Belgian staff", "isBuiltIn": False})
    assert patched.status_code == 200 and patched.json()["description"] == "Belgian staff"
    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
              "groupId": "0f0e0d0c-0b0a-4909-8807-060504030201"}
    assigned = graph.post(TAGS + "/" + tag["id"] + "/assign", json={"assignments": [{"target": target}]})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["value"][0]["target"]["groupId"] == target["groupId"]
    listed = graph.get(TAGS + "/" + tag["id"] + "/assignments").json()["value"]
    assert [a["target"]["groupId"] for a in listed] == [target["groupId"]]
    stored = {t["id"]: t for t in stored_collection(sb, "roleScopeTags")}
    assert stored[tag["id"]]["description"] == "Belgian staff" and stored[tag["id"]]["isBuiltIn"] is False
    assert [a["target"]["groupId"] for a in stored[tag["id"]]["assignments"]] == [target["groupId"]]
    assert stored["0"]["isBuiltIn"] is True
    assert graph.delete(TAGS + "/" + second["id"]).status_code == 204
    assert graph.get(TAGS + "/" + second["id"]).status_code == 404


def test_the_builtin_tag_cannot_be_changed_or_deleted(graph):
    assert graph.patch(TAGS + "/0", json={"displayName": "Renamed"}).status_code == 400
    assert graph.delete(TAGS + "/0").status_code == 400
    assert graph.get(TAGS + "/0").json()["displayName"] == "Default"


def test_bad_bodies_get_intunes_answer(graph):
    assert_graph_error(graph.post(TAGS, json={"displayName": "x", "colour": "red"}), 400, "BadRequest",
                       "Property colour in payload has a value that does not match schema.")


def test_reading_needs_an_rbac_permission(sb):
    app = sb.seed_app(permissions=["DeviceManagementApps.Read.All"])
    client = Client(sb, sb.token(client_id=app["appId"], secret=app["secret"]))
    assert client.get(TAGS).status_code == 403
    reader = sb.seed_app(permissions=["DeviceManagementRBAC.Read.All"])
    client = Client(sb, sb.token(client_id=reader["appId"], secret=reader["secret"]))
    assert client.get(TAGS).status_code == 200
    assert client.post(TAGS, json={"displayName": "no"}).status_code == 403
