"""The Exchange admin API gateway: regional 302, paging by re-POSTing, cmdlet errors."""

import pytest

from conftest import EXCHANGE_DEVICE_COUNT, Client


@pytest.fixture(scope="module")
def exo(sandbox):
    return Client(sandbox, sandbox.token(scope="https://outlook.office365.com/.default"))


def invoke(exo, parameters, cmdlet="Get-MobileDevice", url=None, headers=None, follow=True):
    """POST like a careful client: no automatic redirects; re-POST to Location with the same headers."""
    url = url or "%s/adminapi/beta/%s/InvokeCommand" % (exo.sb.base_url, exo.sb.tenant_id)
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}
    response = exo.post(url, json=body, headers=headers, allow_redirects=False)
    if follow and response.status_code == 302:
        response = exo.post(response.headers["Location"], json=body, headers=headers, allow_redirects=False)
    return response


def all_pages(exo, parameters, headers=None):
    response = invoke(exo, parameters, headers=headers)
    pages = [response]
    while response.status_code == 200 and response.json().get("@odata.nextLink"):
        response = invoke(exo, parameters, url=response.json()["@odata.nextLink"], headers=headers)
        pages.append(response)
    return pages


def test_redirect_to_the_regional_host(exo):
    first = invoke(exo, {"ResultSize": 1}, follow=False)
    assert first.status_code == 302
    assert first.headers["Location"] == "https://localhost:%d/adminapi/beta/%s/InvokeCommand" % (
        exo.sb.port, exo.sb.tenant_id)
    again = exo.post(first.headers["Location"], json={"CmdletInput": {"CmdletName": "Get-MobileDevice",
                                                                       "Parameters": {"ResultSize": 1}}})
    assert again.status_code == 200 and len(again.json()["value"]) == 1


def test_paging_with_prefer_max_page_size(exo):
    pages = all_pages(exo, {"ResultSize": "Unlimited"}, headers={"Prefer": "odata.maxpagesize=500"})
    assert [len(p.json()["value"]) for p in pages] == [500, 500, EXCHANGE_DEVICE_COUNT - 1000]
    guids = [d["Guid"] for p in pages for d in p.json()["value"]]
    assert len(set(guids)) == EXCHANGE_DEVICE_COUNT
    assert all(p.json()["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)") for p in pages)


def test_default_result_size_is_1000_with_a_warning(exo):
    pages = all_pages(exo, {})
    assert sum(len(p.json()["value"]) for p in pages) == 1000
    assert "ResultSize" in pages[0].json()["adminapi.warnings"][0]


def test_filter_and_switches(exo):
    outlook = all_pages(exo, {"ResultSize": "Unlimited", "Filter": "DeviceModel -eq 'Outlook for iOS and Android'"})
    rows = [d for p in outlook for d in p.json()["value"]]
    assert len(rows) == EXCHANGE_DEVICE_COUNT * 2 // 3 and {d["ClientType"] for d in rows} == {"Outlook"}
    eas = all_pages(exo, {"ResultSize": "Unlimited", "ActiveSync": True})
    assert {d["ClientType"] for p in eas for d in p.json()["value"]} == {"EAS"}
    like = invoke(exo, {"Filter": "FriendlyName -like 'Phone 11*' -and -not (ClientType -eq 'EAS')", "ResultSize": 50})
    assert like.status_code == 200
    assert all(d["FriendlyName"].startswith("Phone 11") and d["ClientType"] != "EAS" for d in like.json()["value"])


def test_select_projects_properties(exo):
    url = "%s/adminapi/beta/%s/InvokeCommand?$select=DeviceId,ClientType" % (exo.sb.base_url, exo.sb.tenant_id)
    response = invoke(exo, {"ResultSize": 2}, url=url)
    assert [set(d) for d in response.json()["value"]] == [{"DeviceId", "ClientType"}] * 2


@pytest.mark.parametrize("cmdlet, parameters, text", [
    ("Get-Spaceship", {}, "is not recognized"),
    ("Get-MobileDevice", {"Colour": "red"}, "A parameter cannot be found that matches parameter name 'Colour'."),
    ("Get-MobileDevice", {"Filter": "Shoe -eq 1"}, "not a filterable property"),
    ("Get-MobileDevice", {"ResultSize": "lots"}, "ResultSize"),
])
def test_errors_in_exchange_shape(exo, cmdlet, parameters, text):
    response = invoke(exo, parameters, cmdlet=cmdlet)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Invalid Operation"
    assert text in error["innererror"]["internalexception"]["message"]
    assert text in error["details"][0]["message"]


def test_no_redirect_when_switched_off(tmp_path):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "s", extra_args=["--no-regional-redirect"]) as sb:
        client = Client(sb, sb.token(scope="https://outlook.office365.com/.default"))
        response = invoke(client, {}, follow=False)
        assert response.status_code == 200 and response.json()["value"] == []
