"""The Exchange admin API client against the sandbox: regional redirect, paging, retries, errors."""
import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ExchangeError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.exchange_client import ExchangeClient
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy


def exchange_log(sb, since=0):
    return [r for r in sb.requests()[since:] if r["service"] == "exchange"]


def small_pages(built, size=2):
    client = built.exchange
    client.page_size = size
    return client


def test_redirect_is_followed_with_the_token_and_pages_are_reposted(graph_sandbox, clients, seeded):
    exchange = small_pages(clients())
    since = len(graph_sandbox.requests())
    rows = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}))
    assert len(rows) == seeded["mobile_devices"]
    assert sorted(r["DeviceId"] for r in rows) == ["DEVICE%04d" % i for i in range(seeded["mobile_devices"])]
    log = exchange_log(graph_sandbox, since)
    # 5 devices, 2 a page: the front door sends the first POST to the regional host, where it is
    # re-POSTed; the next-page links point there already.
    assert [r["status"] for r in log] == [302, 200, 200, 200]
    assert all(r["method"] == "POST" for r in log)
    assert all("$skiptoken" in r["query"] for r in log[2:])
    assert all(r["body"]["CmdletInput"]["CmdletName"] == "Get-MobileDevice" for r in log if r["status"] == 200)


def test_later_commands_go_straight_to_the_regional_host(graph_sandbox, clients, seeded):
    exchange = clients().exchange
    since = len(graph_sandbox.requests())
    first = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}))
    second = list(exchange.invoke("Get-MobileDevice", {"ResultSize": "Unlimited"}))
    assert len(first) == len(second) == seeded["mobile_devices"]
    # One redirect for the client's first command; the second is posted to the regional host at once.
    assert [r["status"] for r in exchange_log(graph_sandbox, since)] == [302, 200, 200]


def test_select_and_filter(graph_sandbox, clients):
    exchange = clients().exchange
    rows = list(exchange.invoke("Get-MobileDevice", {"Filter": "DeviceId -eq 'DEVICE0003'"},
                                select=["DeviceId", "FriendlyName"]))
    assert rows == [{"DeviceId": "DEVICE0003", "FriendlyName": "Phone 3"}]


def test_result_size_warning_is_collected(graph_sandbox, clients):
    exchange = clients().exchange
    rows = list(exchange.invoke("Get-MobileDevice", {"ResultSize": 2}))
    assert len(rows) == 2
    rows = list(exchange.invoke("Get-MobileDevice"))
    assert exchange.warnings == [] or all(isinstance(w, str) for w in exchange.warnings)


def test_unknown_parameter_reads_as_exchange_says(graph_sandbox, clients):
    with pytest.raises(ExchangeError) as caught:
        list(clients().exchange.invoke("Get-MobileDevice", {"Colour": "blue"}))
    error = caught.value
    assert error.status == 400
    assert "A parameter cannot be found that matches parameter name 'Colour'" in error.message
    assert not error.message.startswith("|")
    assert "Invalid Operation" not in error.message


def test_missing_object_is_a_404_with_the_internal_message(graph_sandbox, clients):
    with pytest.raises(ExchangeError) as caught:
        list(clients().exchange.invoke("Get-MobileDevice", {"Identity": "nobody"}))
    assert caught.value.status == 404
    assert "couldn't be found" in caught.value.message


def test_throttled_read_is_retried(graph_sandbox, clients):
    sleeps = []
    exchange = clients(retry=RetryPolicy(sleep=sleeps.append)).exchange
    graph_sandbox.set_faults({"rules": [{"kind": "throttle", "path": "/InvokeCommand", "count": 1, "retry_after": 1}]})
    rows = list(exchange.invoke("Get-MobileDevice"))
    assert rows and sleeps == [1.0]


def test_token_is_not_sent_to_a_foreign_host(graph_sandbox, clients):
    exchange = clients().exchange
    assert exchange._allowed_host("https://eur03.outlook.office365.com/x") is False
    regional = ExchangeClient(None, None, "https://outlook.office365.com", "s", "t")
    assert regional._allowed_host("https://eur03.outlook.office365.com:446/adminapi/beta/t/InvokeCommand")
    assert not regional._allowed_host("https://outlook.office365.com.evil.example/x")
    assert not regional._allowed_host("http://eur03.outlook.office365.com/x")
    assert exchange._allowed_host(graph_sandbox.base_url.replace("127.0.0.1", "localhost") + "/x")


def test_anchor_mailbox_and_headers(clients, graph_sandbox):
    exchange = clients().exchange
    headers = exchange._headers("Get-MobileDevice", "tok", "crid")
    assert headers["X-AnchorMailbox"] == ("APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"
                                          + exchange.tenant)
    assert headers["Prefer"] == "odata.maxpagesize=1000"
    assert headers["X-ResponseFormat"] == "json" and headers["X-CmdletName"] == "Get-MobileDevice"
