"""Managed app registrations as Graph serves them: typed items, beta-only device fields, $expand kept on
every page, the user's navigation, the permission, and the selective wipe by device tag."""
import json
from pathlib import Path

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

CONTOSO = json.loads((Path(__file__).resolve().parents[1] / "seeds" / "contoso.json").read_text())
REGS = "/deviceAppManagement/managedAppRegistrations"
MEGAN = "2a974f7e-a785-58f8-9c57-4ccfe79e4e04"
ADELE = "54e9ff14-c1f7-5e90-b968-ac958fdf83b5"


def many(count):
    out = []
    for index in range(count):
        out.append({"@odata.type": "#microsoft.graph.androidManagedAppRegistration", "id": "reg-%05d" % index,
                    "userId": ADELE, "deviceTag": "tag-%d" % index, "lastSyncDateTime": "2026-11-01T00:00:00Z",
                    "appIdentifier": {"@odata.type": "#microsoft.graph.androidMobileAppIdentifier",
                                      "packageId": "com.microsoft.office.outlook"},
                    "appliedPolicies": [{"@odata.type": "#microsoft.graph.androidManagedAppProtection",
                                         "id": "T_p", "displayName": "P"}]})
    return out


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    seed = dict(CONTOSO)
    seed["managedAppRegistrations"] = CONTOSO["managedAppRegistrations"] + many(2105)
    with running_sandbox(tmp_path_factory.mktemp("mam"), seed=seed) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def test_list_is_typed_with_beta_device_fields_and_graphs_defaults(graph):
    page = graph.get("/beta" + REGS + "?$top=10").json()
    first = {r["id"]: r for r in page["value"]}["a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a51"]
    assert first["@odata.type"] == "#microsoft.graph.iosManagedAppRegistration"
    assert first["managedDeviceId"] == "050a4d05-5ee6-5c35-8161-7cecc66be035"
    assert first["appIdentifier"]["bundleId"] == "com.microsoft.Office.Outlook"
    assert "appliedPolicies" not in first and "operations" not in first
    v1 = {r["id"]: r for r in graph.get("/v1.0" + REGS + "?$top=10").json()["value"]}
    assert "managedDeviceId" not in v1[first["id"]] and "azureADDeviceId" not in v1[first["id"]]
    patti = {r["id"]: r for r in page["value"]}["a1b2c3d4-0006-4e5f-8a9b-0c1d2e3f4a56"]
    assert patti["flaggedReasons"] == ["rootedDevice"] and patti["managedDeviceId"] is None


def test_expand_is_kept_on_next_pages(graph):
    url = "/beta" + REGS + "?$expand=appliedPolicies,intendedPolicies,operations"
    seen, pages = 0, 0
    while url:
        body = graph.get(url).json()
        pages += 1
        for item in body["value"]:
            assert {"appliedPolicies", "intendedPolicies", "operations"} <= set(item), item["id"]
            seen += 1
        url = body.get("@odata.nextLink")
        if url:
            assert "$expand=appliedPolicies,intendedPolicies,operations" in url
    assert seen == 2111 and pages == 3  # 1,000 a page
    megan = graph.get("/beta" + REGS + "/a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54?$expand=appliedPolicies,intendedPolicies"
                      ).json()
    assert megan["appliedPolicies"] == []
    assert megan["intendedPolicies"][0]["displayName"] == "Outlook and Teams protection (iOS)"
    assert megan["intendedPolicies"][0]["@odata.type"] == "#microsoft.graph.iosManagedAppProtection"
    assert_graph_error(graph.get("/beta" + REGS + "?$expand=owners"), 400, "BadRequest")


def test_user_navigation_and_unknown_user(graph):
    mine = graph.get("/v1.0/users/megan@contoso.onmicrosoft.com/managedAppRegistrations").json()["value"]
    assert [r["id"] for r in mine] == ["a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54"]
    assert graph.get("/v1.0/users/nobody@contoso.onmicrosoft.com/managedAppRegistrations").status_code == 404


def test_permission_is_device_management_apps(sb):
    def client(perms):
        app = sb.seed_app(permissions=perms)
        return Client(sb, sb.token(client_id=app["appId"], secret=app["secret"]))
    assert client(["DeviceManagementApps.Read.All"]).get("/beta" + REGS).status_code == 200
    assert client(["DeviceManagementManagedDevices.Read.All"]).get("/beta" + REGS).status_code == 403
    reader = client(["DeviceManagementApps.Read.All"])
    assert reader.post("/v1.0/users/%s/wipeManagedAppRegistrationsByDeviceTag" % MEGAN,
                       json={"deviceTag": "1D7B44E0-MEGAN-IPHONE"}).status_code == 403


def test_wipe_by_device_tag_marks_the_users_registrations_with_that_tag(graph):
    path = "/v1.0/users/%s/wipeManagedAppRegistrationsByDeviceTag" % MEGAN
    assert_graph_error(graph.post(path, json={"tag": "x"}), 400, "BadRequest")
    response = graph.post(path, json={"deviceTag": "1D7B44E0-MEGAN-IPHONE"})
    assert response.status_code == 204 and response.content == b""
    item = graph.get("/beta" + REGS + "/a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54?$expand=operations").json()
    assert [(o["displayName"], o["state"]) for o in item["operations"]] == [("Wipe", "pending")]
    # another user's tag is not touched; the beta-only singular form is refused on v1.0
    assert graph.post(path, json={"deviceTag": "9F3A62C1-ADELE-IPHONE"}).status_code == 204
    adele = graph.get("/beta" + REGS + "/a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a51?$expand=operations").json()
    assert adele["operations"] == []
    assert graph.post("/v1.0/users/%s/wipeManagedAppRegistrationByDeviceTag" % MEGAN,
                      json={"deviceTag": "x"}).status_code == 400
    assert graph.post("/beta/users/%s/wipeManagedAppRegistrationByDeviceTag" % MEGAN,
                      json={"deviceTag": "x"}).status_code == 204


def test_statuses_list(graph):
    body = graph.get("/v1.0/deviceAppManagement/managedAppStatuses").json()
    assert body["value"] == []


def test_generator_links_registrations_to_enrolled_phones(tmp_path):
    from tenantguard_sandbox.generate import generate_seed
    path = tmp_path / "seed.json"
    counts = generate_seed(str(path), users=50, managed_devices=400, exchange_devices=100, app_registrations=300)
    assert counts["managedAppRegistrations"] == 300 and counts["managedDevices"] == 400
    document = json.loads(path.read_text())
    managed = {m["id"]: m for m in document["managedDevices"]}
    regs = document["managedAppRegistrations"]
    linked = [r for r in regs if r["managedDeviceId"]]
    assert linked and len(linked) < len(regs)
    for reg in linked:
        phone = managed[reg["managedDeviceId"]]
        assert (phone["userId"], phone["azureADDeviceId"]) == (reg["userId"], reg["azureADDeviceId"])
        assert reg["@odata.type"].startswith("#microsoft.graph.ios" if phone["operatingSystem"] == "iOS"
                                             else "#microsoft.graph.android")
    users = {u["id"] for u in document["users"]}
    assert all(r["userId"] in users for r in regs)
    assert any(not r["appliedPolicies"] for r in regs) and any(r["appliedPolicies"] for r in regs)
    # the other collections are what they were without registrations
    plain = tmp_path / "plain.json"
    generate_seed(str(plain), users=50, managed_devices=400, exchange_devices=100)
    assert json.loads(plain.read_text())["managedDevices"] == document["managedDevices"]
