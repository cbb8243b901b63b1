"""Licences as Graph serves them: the subscribed SKUs (ids, consumed units counted from the users, $select only,
the permission), a user's licence details with disabled plans, and users' assignedLicenses on $select and in a
lambda $filter, as the user-list reference's example reads them.

Expected values are Microsoft's: SKU and service plan ids from "Product names and service plan identifiers for
licensing", shapes from the subscribedsku-list and user-list-licensedetails examples."""
import json
from pathlib import Path

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

CONTOSO = json.loads((Path(__file__).resolve().parents[1] / "seeds" / "contoso.json").read_text())
SPB = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"  # Microsoft 365 Business Premium
SPE_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
EXCHANGESTANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
OFFICESUBSCRIPTION = "43de0ff5-c92c-492b-9116-175376d08c38"
LEE = "dc6eb228-4054-58da-9a13-629d9c59eb5e"
PATTI = "3ef3cb2e-290a-529a-8529-ff932e60ae70"


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("lic"), seed=CONTOSO) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def test_subscribed_skus_have_graph_ids_and_counted_units(graph, sb):
    body = graph.get("/v1.0/subscribedSkus").json()
    assert body["@odata.context"].endswith("$metadata#subscribedSkus")
    assert "@odata.nextLink" not in body
    by_part = {s["skuPartNumber"]: s for s in body["value"]}
    assert set(by_part) == {"SPE_E5", "SPE_E3", "SPB", "ENTERPRISEPACK", "EXCHANGESTANDARD", "AAD_PREMIUM_P2"}
    spb = by_part["SPB"]
    assert spb["skuId"] == SPB and spb["id"] == "%s_%s" % (sb.tenant_id, SPB)
    assert spb["consumedUnits"] == 3  # lidia, lynne, megan
    assert spb["prepaidUnits"]["enabled"] == 5 and spb["capabilityStatus"] == "Enabled"
    assert spb["appliesTo"] == "User"
    plans = {p["servicePlanName"]: p for p in spb["servicePlans"]}
    assert plans["AAD_PREMIUM"]["servicePlanId"] == "41781fb2-bc02-4b7c-bd55-b576c07bb09d"
    assert plans["INTUNE_A"]["provisioningStatus"] == "Success"
    assert "OFFICESUBSCRIPTION" not in plans and "OFFICE_BUSINESS" in plans
    assert by_part["SPE_E3"]["consumedUnits"] == 5
    one = graph.get("/v1.0/subscribedSkus/%s_%s?$select=skuPartNumber,consumedUnits" % (sb.tenant_id, SPE_E3))
    assert one.status_code == 200
    assert {k: v for k, v in one.json().items() if not k.startswith("@")} == {"skuPartNumber": "SPE_E3",
                                                                              "consumedUnits": 5}
    assert_graph_error(graph.get("/v1.0/subscribedSkus/%s_nope" % sb.tenant_id), 404, "Request_ResourceNotFound")


def test_subscribed_skus_take_select_only(graph):
    body = graph.get("/v1.0/subscribedSkus?$select=skuId,skuPartNumber").json()
    assert all(set(k for k in s if not k.startswith("@")) == {"skuId", "skuPartNumber"} for s in body["value"])
    assert graph.get("/v1.0/subscribedSkus?$filter=skuPartNumber eq 'SPB'").status_code == 400


def test_license_details_show_disabled_plans(graph):
    body = graph.get("/v1.0/users/lee@contoso.onmicrosoft.com/licenseDetails").json()
    [detail] = body["value"]
    assert detail["skuId"] == SPE_E3 and detail["skuPartNumber"] == "SPE_E3" and detail["id"]
    status = {p["servicePlanName"]: p["provisioningStatus"] for p in detail["servicePlans"]}
    assert status["OFFICESUBSCRIPTION"] == "Disabled" and status["EXCHANGE_S_ENTERPRISE"] == "Success"
    patti = graph.get("/v1.0/users/%s/licenseDetails" % PATTI).json()["value"]
    assert [d["skuPartNumber"] for d in patti] == ["EXCHANGESTANDARD"]
    guest = graph.get("/v1.0/users/a734307d-7854-5e71-b40d-f9fdbd425d0c/licenseDetails").json()
    assert guest["value"] == []
    assert_graph_error(graph.get("/v1.0/users/nobody@contoso.onmicrosoft.com/licenseDetails"), 404,
                       "Request_ResourceNotFound")


def test_assigned_licenses_on_select_and_in_a_lambda_filter(graph):
    plain = graph.get("/v1.0/users/%s" % LEE).json()
    assert "assignedLicenses" not in plain  # v1.0 returns it on $select only
    chosen = graph.get("/v1.0/users/%s?$select=id,assignedLicenses" % LEE).json()
    assert chosen["assignedLicenses"] == [{"skuId": SPE_E3, "disabledPlans": [OFFICESUBSCRIPTION]}]
    # the user-list reference's example, without ConsistencyLevel
    url = "/v1.0/users?$select=id,mail,assignedLicenses&$filter=assignedLicenses/any(u:u/skuId eq %s)" % SPB
    body = graph.get(url).json()
    assert sorted(u["mail"].split("@")[0] for u in body["value"]) == ["lidia", "lynne", "megan"]
    exchange_only = graph.get("/v1.0/users?$select=id&$filter=assignedLicenses/any(u:u/skuId eq %s)"
                              % EXCHANGESTANDARD).json()["value"]
    assert {u["id"] for u in exchange_only} == {PATTI, "c6f92407-083a-5876-881d-0fdace9a801a"}


@pytest.mark.parametrize("permission,skus,details", [
    ("Organization.Read.All", 200, 403),
    ("LicenseAssignment.Read.All", 200, 200),
    ("User.Read.All", 403, 200),
    ("Directory.Read.All", 200, 200),
    ("DeviceManagementApps.Read.All", 403, 403),
])
def test_permissions(sb, permission, skus, details):
    app = sb.seed_app(permissions=[permission])
    client = Client(sb, sb.token(client_id=app["appId"], secret=app["secret"]))
    assert client.get("/v1.0/subscribedSkus").status_code == skus
    assert client.get("/v1.0/users/%s/licenseDetails" % LEE).status_code == details
