"""What every tenant holds (role templates), what a seed may add, and how unserved paths are answered."""

import json
import re
from importlib import resources

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _published_templates():
    source = resources.files("tenantguard_sandbox").joinpath("data", "directory_role_templates.json")
    with source.open("r", encoding="utf-8") as handle:
        return json.load(handle)["templates"]


def test_every_builtin_role_template_is_served_with_microsofts_id(graph):
    published = _published_templates()
    assert len(published) >= 120
    served = graph.get("/v1.0/directoryRoleTemplates?$top=999").json()["value"]
    by_id = {t["id"]: t for t in served}
    for template in published:
        assert GUID.match(template["id"]), template
        got = by_id[template["id"]]
        assert got["displayName"] == template["displayName"]
        assert got["description"] == template["description"]
        assert got["deletedDateTime"] is None
    # names are unique, as in a real tenant
    assert len({t["displayName"] for t in published}) == len(published)
    intune = graph.get("/beta/directoryRoleTemplates/3a2c62db-5318-420d-8d74-23affee5d9d5").json()
    assert intune["displayName"] == "Intune Administrator"


def test_a_seed_adds_a_role_template_and_uses_it(tmp_path):
    template_id = "5a7c1b2e-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
    seed = {"directoryRoleTemplates": [{"id": template_id, "displayName": "Contoso Device Auditor",
                                        "description": "Reads device inventory."}],
            "users": [{"id": "6b8d2c3f-4e5a-4b6c-9d7e-8f9a0b1c2d3e", "displayName": "Auditor",
                       "userPrincipalName": "auditor@contoso.onmicrosoft.com", "accountEnabled": True}],
            "directoryRoles": [{"roleTemplateId": template_id, "members": ["auditor@contoso.onmicrosoft.com"]}],
            "conditionalAccessPolicies": [{
                "displayName": "Auditors need MFA", "state": "disabled",
                "conditions": {"users": {"includeRoles": [template_id]},
                               "applications": {"includeApplications": ["All"]}},
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}]}
    with running_sandbox(tmp_path / "sb", seed=seed) as sb:
        graph = Client(sb, sb.token())
        role = graph.get("/v1.0/directoryRoles(roleTemplateId='%s')" % template_id).json()
        assert role["displayName"] == "Contoso Device Auditor" and role["roleTemplateId"] == template_id
        members = graph.get("/v1.0/directoryRoles/%s/members" % role["id"]).json()["value"]
        assert [m["userPrincipalName"] for m in members] == ["auditor@contoso.onmicrosoft.com"]
        policies = graph.get("/v1.0/identity/conditionalAccess/policies").json()["value"]
        assert policies[0]["conditions"]["users"]["includeRoles"] == [template_id]
        # and a policy naming it can be created through Graph
        created = graph.post("/v1.0/identity/conditionalAccess/policies", json={
            "displayName": "Auditors on compliant devices", "state": "disabled",
            "conditions": {"users": {"includeRoles": [template_id]}, "applications": {"includeApplications": ["All"]}},
            "grantControls": {"operator": "OR", "builtInControls": ["compliantDevice"]}})
        assert created.status_code == 201, created.text
        # the built-in templates are still all there
        served = graph.get("/v1.0/directoryRoleTemplates?$top=999").json()["value"]
        assert len(served) == len(_published_templates()) + 1


@pytest.mark.parametrize("path, segment", [
    ("/v1.0/deviceManagement/xyzPolicies", "xyzPolicies"),
    ("/beta/deviceAppManagement/iosManagedAppProtections/T_1/notANavigation", "notANavigation"),
    ("/v1.0/identity/conditionalAccess/policies/0f0e0d0c-0b0a-4909-8807-060504030201/oops", "oops"),
    ("/v1.0/spaceships", "spaceships"),
    ("/v1.0/deviceManagement", "deviceManagement"),
    ("/v1.0/users/0f0e0d0c-0b0a-4909-8807-060504030201/ownedDevices", "ownedDevices"),
])
def test_unserved_paths_name_the_first_unknown_segment(graph, path, segment):
    """Graph: 400 BadRequest "Resource not found for the segment '<name>'." (microsoft-graph-docs#2144)."""
    assert_graph_error(graph.get(path), 400, "BadRequest", "Resource not found for the segment '%s'." % segment)


@pytest.fixture(scope="module")
def sweeping(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("unmodelled"), extra_args=("--unmodelled", "empty")) as sb:
        yield sb


@pytest.mark.parametrize("path, context", [
    ("/beta/deviceManagement/deviceConfigurations", "deviceManagement/deviceConfigurations"),
    ("/v1.0/deviceManagement/deviceManagementScripts", None),
    ("/beta/deviceManagement/deviceManagementScripts", "deviceManagement/deviceManagementScripts"),
    ("/v1.0/deviceAppManagement/mobileAppConfigurations", "deviceAppManagement/mobileAppConfigurations"),
    ("/beta/deviceManagement/deviceConfigurations/abc/assignments",
     "deviceManagement/deviceConfigurations('abc')/assignments"),
    ("/v1.0/domains", "domains"),
    ("/v1.0/directory/administrativeUnits", "directory/administrativeUnits"),
    ("/v1.0/users/0f0e0d0c-0b0a-4909-8807-060504030201/ownedDevices",
     "users('0f0e0d0c-0b0a-4909-8807-060504030201')/ownedDevices"),
])
def test_unmodelled_collections_answer_an_empty_page_when_asked(sweeping, path, context):
    graph = Client(sweeping, sweeping.token())
    response = graph.get(path)
    if context is None:  # deviceManagementScripts is a beta-only navigation: v1.0 still refuses it
        assert_graph_error(response, 400, "BadRequest", "Resource not found for the segment 'deviceManagementScripts'.")
        return
    assert response.status_code == 200, response.text
    version = path.split("/")[1]
    assert response.json() == {"@odata.context": "%s/%s/$metadata#%s" % (sweeping.base_url, version, context),
                               "value": []}
    lines = [r for r in sweeping.requests() if r["path"] == path]
    assert lines and lines[-1]["unmodelled"] is True and lines[-1]["status"] == 200


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1.0/deviceManagement/notAThing"),  # not a navigation of deviceManagement
    ("GET", "/v1.0/deviceManagement/deviceConfigurations/abc"),  # one entity, not a collection
    ("GET", "/v1.0/deviceManagement/virtualEndpoint"),  # single-valued navigation
    ("POST", "/v1.0/deviceManagement/deviceConfigurations"),  # a write
    ("GET", "/v1.0/spaceships"),
])
def test_unmodelled_mode_still_refuses_what_is_not_a_collection_read(sweeping, method, path):
    graph = Client(sweeping, sweeping.token())
    response = graph.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("Resource not found for the segment")
    assert "unmodelled" not in [r for r in sweeping.requests() if r["path"] == path][-1]


def test_modelled_paths_and_tokens_are_unchanged_in_unmodelled_mode(sweeping):
    assert Client(sweeping, None).get("/beta/deviceManagement/deviceConfigurations").status_code == 401
    graph = Client(sweeping, sweeping.token())
    assert graph.get("/v1.0/deviceManagement/managedDevices").json()["value"] == []
    assert graph.get("/v1.0/users").status_code == 200


def test_a_group_seeded_without_an_id_keeps_its_members(tmp_path):
    """A seed may leave a group's id out; its members are those listed, on the group Graph serves."""
    seed = {"users": [{"displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com"}],
            "groups": [{"displayName": "Mobile Pilot", "securityEnabled": True, "mailEnabled": False,
                        "mailNickname": "mobilepilot", "members": ["adele@contoso.onmicrosoft.com"]}]}
    with running_sandbox(tmp_path / "sb", seed=seed) as sb:
        graph = Client(sb, sb.token())
        groups = graph.get("/v1.0/groups?$filter=displayName eq 'Mobile Pilot'").json()["value"]
        assert len(groups) == 1
        members = graph.get("/v1.0/groups/%s/members" % groups[0]["id"]).json()["value"]
        assert [m["userPrincipalName"] for m in members] == ["adele@contoso.onmicrosoft.com"]
