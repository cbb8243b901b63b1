"""ansible-playbook through the sandbox's intercept mode: no endpoint override, only the AZURE_* credentials,
HTTPS_PROXY and TENANTGUARD_CA_BUNDLE. The modules reach login.microsoftonline.com, graph.microsoft.com and
outlook.office365.com by their real names; the sandbox answers as their HTTPS proxy and refuses every other
destination, so a run proves both that the collection honours the proxy and that nothing leaves the machine.
"""
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import PLAYBOOKS, SEED, PlaybookRun, settled

LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")


@pytest.fixture
def sandbox_seed():
    devices = [{"Guid": "0d6c4b1e-5f3a-4e2d-9c8b-%012d" % i, "Identity": "adele\\ExchangeActiveSyncDevices\\iPhone%d" % i,
                "DeviceId": "DEV%04d" % i, "FriendlyName": "Phone %d" % i, "DeviceModel": "iPhone",
                "DeviceOS": "iOS 17.4", "DeviceType": "iPhone", "ClientType": "EAS", "DeviceAccessState": "Allowed",
                "UserDisplayName": "Adele Vance"} for i in range(3)]
    return dict(SEED, exchangeMobileDevices=devices)


@pytest.fixture
def run_intercepted(graph_sandbox, collections_path, tmp_path):
    """ansible-playbook with the sandbox as HTTPS proxy: the caller's proxy and CA variables are removed and
    only the credentials, HTTPS_PROXY and TENANTGUARD_CA_BUNDLE are given."""

    def run(playbook, *args, extra_vars=None, env=None):
        out_dir = tmp_path / "out"
        out_dir.mkdir(exist_ok=True)
        full_env = graph_sandbox.ansible_environment(tmp_path, collections_path)
        for name in [k for k in full_env if k.startswith("TENANTGUARD_") and k.endswith("_ENDPOINT")]:
            del full_env[name]
        for name in CA_VARIABLES + PROXY_VARIABLES:
            full_env.pop(name, None)
        full_env["HTTPS_PROXY"] = graph_sandbox.proxy_url
        full_env.update(env or {})
        variables = {"out_dir": str(out_dir)}
        variables.update(extra_vars or {})
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-e", json.dumps(variables), str(PLAYBOOKS / playbook)] + list(args)
        completed = subprocess.run(cmd, env=full_env, cwd=str(tmp_path), capture_output=True, text=True,
                                   timeout=600, check=False)
        return PlaybookRun(completed, out_dir)

    return run


def tunnels(rows):
    return [(r["path"], r["status"]) for r in rows if r["service"] == "proxy"]


def test_named_location_check_apply_check_apply_through_the_proxy(run_intercepted, graph_sandbox):
    office = {"location_name": "Intercepted office", "location_type": "ip", "is_trusted": True,
              "ip_ranges": ["203.0.113.0/24"]}
    expected = [(["--check"], 1, []), ([], 1, [("POST", 201)]), (["--check"], 0, []), ([], 0, [])]
    for index, (args, changed, writes) in enumerate(expected):
        since = len(settled(graph_sandbox))
        run = run_intercepted("named_location.yml", *args, extra_vars=office)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        rows = settled(graph_sandbox)[since:]
        assert [(r["method"], r["status"]) for r in rows
                if r["service"] == "graph" and r["method"] in WRITES] == writes, index
        hosts = {path for path, status in tunnels(rows)}
        assert hosts <= {"login.microsoftonline.com:443", "graph.microsoft.com:443"}, hosts
        assert "graph.microsoft.com:443" in hosts, index
        assert all(status == 200 for path, status in tunnels(rows)), tunnels(rows)
    session = graph_sandbox.session()
    stored = session.get(graph_sandbox.base_url + LOCATIONS, timeout=30,
                         headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()["value"]
    mine = [x for x in stored if x["displayName"] == "Intercepted office"]
    assert len(mine) == 1
    assert mine[0]["isTrusted"] is True
    assert [r["cidrAddress"] for r in mine[0]["ipRanges"]] == ["203.0.113.0/24"]
    # The token came from the real sign-in host name, for the real Graph resource.
    logins = [r for r in settled(graph_sandbox) if r["service"] == "login" and r["method"] == "POST"]
    assert logins and all(r["status"] == 200 for r in logins)


def test_exchange_inventory_through_the_proxy_follows_the_regional_redirect(run_intercepted, graph_sandbox):
    since = len(settled(graph_sandbox))
    run = run_intercepted("mobile_device_info.yml", extra_vars={"queries": [{"source": "exchange"}]})
    assert run.rc == 0, run
    answers = run.output("devices")
    assert not answers[0].get("failed"), answers[0]
    assert sorted(d["DeviceId"] for d in answers[0]["devices"]) == [
        "DEV0000", "DEV0001", "DEV0002"], answers[0]["devices"]
    rows = settled(graph_sandbox)[since:]
    hosts = {path for path, status in tunnels(rows) if status == 200}
    assert {"outlook.office365.com:443", "eur03b.outlook.office365.com:443"} <= hosts, hosts
    exchange = [(r["status"]) for r in rows if r["service"] == "exchange"]
    assert exchange[0] == 302 and 200 in exchange, exchange


def test_an_endpoint_elsewhere_is_refused_by_the_proxy_and_nothing_is_sent(run_intercepted, graph_sandbox):
    since = len(settled(graph_sandbox))
    run = run_intercepted("named_location.yml", extra_vars={"location_name": "Never written", "location_type": "ip",
                                                            "ip_ranges": ["198.51.100.0/24"]},
                          env={"TENANTGUARD_GRAPH_ENDPOINT": "https://graph.example.net"})
    assert run.rc != 0, run
    assert "graph.example.net" in run.stdout, run
    rows = settled(graph_sandbox)[since:]
    assert ("graph.example.net:443", 403) in tunnels(rows), tunnels(rows)
    assert not [r for r in rows if r["service"] == "graph"], "a Graph request reached the sandbox"


def test_proxy_credentials_never_appear_in_output(run_intercepted, graph_sandbox):
    """A proxy URL with credentials: through the sandbox the run succeeds; through a proxy that cannot be
    reached it fails clearly; in neither case does the proxy password appear in what ansible prints."""
    password = "pr0xy-s3cret-%s" % graph_sandbox.port
    good = run_intercepted("named_location.yml", "--check", extra_vars={
        "location_name": "Via authenticated proxy", "location_type": "ip", "ip_ranges": ["192.0.2.0/24"]},
        env={"HTTPS_PROXY": "http://tenantguard:%s@127.0.0.1:%d" % (password, graph_sandbox.port)})
    assert good.rc == 0, good
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    bad = run_intercepted("named_location.yml", "--check", extra_vars={
        "location_name": "Via unreachable proxy", "location_type": "ip", "ip_ranges": ["192.0.2.0/24"]},
        env={"HTTPS_PROXY": "http://tenantguard:%s@127.0.0.1:%d" % (password, port), "TENANTGUARD_RETRY_MAX_WAIT": "1"})
    assert bad.rc != 0, bad
    for run in (good, bad):
        assert password not in run.stdout + run.stderr
