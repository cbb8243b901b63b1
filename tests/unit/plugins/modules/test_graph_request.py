"""graph_request run in-process against the sandbox: reads, writes, check mode, diff mode, failures."""
import json
import os
import uuid

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.tenantguard.m365.plugins.modules import graph_request

LOCATIONS = "/identity/conditionalAccess/namedLocations"


@pytest.fixture
def run(graph_sandbox, clean_environment, tmp_path, capsys):
    """Run the module with ``args`` in the sandbox's environment; return (result, exit code)."""
    for name, value in graph_sandbox.env.items():
        clean_environment.setenv(name, value)
    clean_environment.setenv("TENANTGUARD_TOKEN_CACHE", str(tmp_path / "tokens.json"))

    def execute(args, check=False, diff=False, env=None):
        saved = dict((name, os.environ.get(name)) for name in (env or {}))
        try:
            for name, value in (env or {}).items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
            with patch_module_args(args):
                with pytest.raises(SystemExit) as exit_info:
                    graph_request.main()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return json.loads(capsys.readouterr().out), exit_info.value.code

    return execute


def location(name):
    return {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": name, "isTrusted": False,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.0/24"}]}


def writes(sb, since):
    return [(r["method"], r["status"]) for r in sb.requests()[since:]
            if r["service"] == "graph" and r["method"] != "GET"]


def test_get_all_pages(run, graph_sandbox, seeded):
    since = len(graph_sandbox.requests())
    result, code = run({"path": "/users", "query": {"$top": 3, "$select": "id,displayName"}, "all_pages": True})
    assert code == 0, result
    assert result["changed"] is False and result["status"] == 200
    assert result["pages"] >= 3
    names = [u["displayName"] for u in result["items"]]
    assert ["Unit User %02d" % i for i in range(seeded["users"])] == [n for n in names if n.startswith("Unit User")]
    assert "value" not in result["json"] and "@odata.context" in result["json"]
    pages = [r for r in graph_sandbox.requests()[since:] if r["path"] == "/v1.0/users"]
    assert len(pages) == result["pages"]


def test_single_get_returns_status_json_and_safe_headers(run):
    result, code = run({"path": "/organization"})
    assert code == 0, result
    assert result["status"] == 200 and result["json"]["value"]
    assert result["request_id"] == result["headers"]["request-id"]
    assert all(name == name.lower() for name in result["headers"])
    assert "set-cookie" not in result["headers"] and "authorization" not in result["headers"]
    assert result["url"].endswith("/v1.0/organization")


def test_create_update_delete(run, graph_sandbox):
    name = "Module office %s" % uuid.uuid4().hex[:8]
    since = len(graph_sandbox.requests())
    created, code = run({"method": "POST", "path": LOCATIONS, "body": location(name)})
    assert code == 0, created
    assert created["changed"] is True and created["status"] == 201 and created["json"]["displayName"] == name
    path = "%s/%s" % (LOCATIONS, created["json"]["id"])
    patched, code = run({"method": "PATCH", "path": path, "body": json.dumps(
        {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": name + " renamed"})})
    assert code == 0 and patched["changed"] is True and patched["status"] == 204 and patched["json"] is None
    fetched, code = run({"path": path})
    assert fetched["json"]["displayName"] == name + " renamed" and fetched["changed"] is False
    deleted, code = run({"method": "DELETE", "path": path})
    assert code == 0 and deleted["changed"] is True and deleted["status"] == 204
    assert writes(graph_sandbox, since) == [("POST", 201), ("PATCH", 204), ("DELETE", 204)]


def test_check_mode_sends_reads_only(run, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run({"method": "POST", "path": LOCATIONS, "body": location("Never created")}, check=True)
    assert code == 0 and result["changed"] is True
    assert result["msg"] == "Check mode: the POST request was not sent."
    assert "status" not in result
    read, code = run({"path": LOCATIONS}, check=True)
    assert code == 0 and read["status"] == 200 and read["changed"] is False
    assert writes(graph_sandbox, since) == []
    assert not [x for x in read["json"]["value"] if x["displayName"] == "Never created"]


def test_diff_shows_current_and_sent_body(run, graph_sandbox):
    name = "Diff office %s" % uuid.uuid4().hex[:8]
    created, code = run({"method": "POST", "path": LOCATIONS, "body": location(name)}, check=False, diff=True)
    assert created["diff"]["before"] == {} and created["diff"]["after"]["displayName"] == name
    path = "%s/%s" % (LOCATIONS, created["json"]["id"])
    since = len(graph_sandbox.requests())
    change = {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": name + " v2"}
    result, code = run({"method": "PATCH", "path": path, "body": change}, check=True, diff=True)
    assert code == 0 and result["changed"] is True
    assert result["diff"]["before"]["displayName"] == name
    assert result["diff"]["after"]["displayName"] == name + " v2"
    assert result["diff"]["after"]["ipRanges"] == result["diff"]["before"]["ipRanges"]
    assert writes(graph_sandbox, since) == []
    removed, code = run({"method": "DELETE", "path": path}, diff=True)
    assert removed["diff"]["before"]["displayName"] == name and removed["diff"]["after"] == {}


def test_graph_error_is_one_clear_failure(run):
    missing = "/identity/conditionalAccess/policies/" + str(uuid.uuid4())
    result, code = run({"path": missing})
    assert code == 1 and result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("GET https://") and missing in msg
    assert "answered 404" in msg and "request-id" in msg and "What to do:" in msg
    assert result["error"]["status"] == 404 and result["error"]["request_id"]
    assert "exception" not in result


def test_accepted_status_codes(run):
    result, code = run({"path": "/identity/conditionalAccess/policies/" + str(uuid.uuid4()), "status_code": [200, 404]})
    assert code == 0 and result["status"] == 404 and result["changed"] is False


@pytest.mark.parametrize("args, words", [
    ({"method": "POST", "path": LOCATIONS, "all_pages": True}, ["all_pages", "GET"]),
    ({"path": "/users", "all_pages": True, "status_code": [200]}, ["status_code", "all_pages"]),
    ({"path": "/users", "body": {"a": 1}}, ["body", "GET"]),
    ({"method": "POST", "path": LOCATIONS, "body": "{not json"}, ["body", "not JSON"]),
    ({"path": "/users", "headers": {"Authorization": "Bearer x"}}, ["headers", "Authorization"]),
    ({"path": "https://graph.example.com/v1.0/users"}, ["path", "outside the configured Graph endpoint"]),
    ({"path": "/v1.0/users"}, ["path", "api_version"]),
])
def test_bad_module_input_fails_before_sending(run, graph_sandbox, args, words):
    since = len(graph_sandbox.requests())
    result, code = run(args)
    assert code == 1, result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"] == []


def test_bad_connection_input_fails_before_any_network_call(run, graph_sandbox, tmp_path):
    not_a_cert = tmp_path / "nothing.pem"
    cases = [
        ({"tenant_id": "not a tenant"}, {}, "tenant_id"),
        ({"graph_endpoint": graph_sandbox.base_url.replace("https", "http")}, {}, "graph_endpoint"),
        ({"login_endpoint": "ftp://127.0.0.1"}, {}, "login_endpoint"),
        ({"client_certificate_path": str(not_a_cert)}, {}, "auth_method"),
        ({"client_certificate_path": str(not_a_cert), "auth_method": "client_certificate"}, {},
         "client_certificate_path"),
        ({}, {"AZURE_CLIENT_SECRET": None}, "client_secret"),
        ({}, {"AZURE_TENANT_ID": None}, "tenant_id"),
        ({"client_id": "not-a-guid"}, {}, "client_id"),
        ({"cloud": "mars"}, {}, "cloud"),
        ({}, {"TENANTGUARD_CLOUD": "mars"}, "cloud"),
        ({"ca_bundle": str(not_a_cert)}, {}, "ca_bundle"),
    ]
    before = len(graph_sandbox.requests())
    for connection, env, option in cases:
        result, code = run(dict({"path": "/users"}, **connection), env=env)
        assert code == 1, (connection, result)
        assert option in result["msg"], (option, result["msg"])
        assert "exception" not in result
        assert graph_sandbox.env["AZURE_CLIENT_SECRET"] not in json.dumps(result)
    assert len(graph_sandbox.requests()) == before


def test_sign_in_failure_is_one_clear_failure(run, graph_sandbox):
    result, code = run({"path": "/users", "client_secret": "wrong-secret-for-the-module"})
    assert code == 1
    assert "AADSTS7000215" in result["msg"] and "What to do:" in result["msg"]
    assert "wrong-secret-for-the-module" not in json.dumps(result)
    assert result["error"]["aadsts"] == 7000215


def test_argument_spec_does_not_redefine_connection_options():
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import OPTION_NAMES
    assert not set(graph_request.argument_spec()) & set(OPTION_NAMES)


def test_tenantguard_module_refuses_to_redefine_a_connection_option():
    from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
    with pytest.raises(ValueError, match="connection option"):
        TenantGuardModule(argument_spec={"tenant_id": {"type": "str"}})
