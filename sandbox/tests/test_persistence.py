"""State across restarts, idempotent seeds, atomic per-collection files, env files."""

import json
import os
import shlex
import subprocess

from conftest import Client
from tenantguard_sandbox.testing import running_sandbox

NAMED = "/v1.0/identity/conditionalAccess/namedLocations"
SEED = {
    "users": [{"id": "6a1d3c57-0000-4000-8000-000000000001", "displayName": "Seeded Person",
               "userPrincipalName": "seeded@contoso.onmicrosoft.com"},
              {"displayName": "No Id Person", "userPrincipalName": "noid@contoso.onmicrosoft.com"}],
    "devices": [{"id": "6a1d3c57-0000-4000-8000-0000000000d%d" % i, "displayName": "D%d" % i} for i in range(5)],
    "conditionalAccessPolicies": [{
        "displayName": "Seeded legacy policy", "state": "disabled",
        "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["Office365"]},
                       "users": {"includeUsers": ["All"]}},
        "grantControls": {"operator": "OR", "builtInControls": ["approvedApplication", "compliantApplication"]}}],
}


def test_state_and_secret_survive_restart_and_seed_is_applied_once(tmp_path):
    state = tmp_path / "state"
    with running_sandbox(state, seed=SEED) as sb:
        client = Client(sb, sb.token())
        created = client.post(NAMED, json={"@odata.type": "#microsoft.graph.countryNamedLocation",
                                           "displayName": "kept", "countriesAndRegions": ["DE"]}).json()
        first_secret = sb.env["AZURE_CLIENT_SECRET"]
        assert len(client.get("/v1.0/users").json()["value"]) == 2
        ca = client.get("/v1.0/identity/conditionalAccess/policies").json()["value"]
        assert ca[0]["grantControls"]["builtInControls"] == ["approvedApplication", "compliantApplication"]
        with open(os.path.join(sb.ca_path), "rb") as handle:
            first_ca = handle.read()
    with running_sandbox(state, seed=SEED) as sb:
        client = Client(sb, sb.token())
        assert sb.env["AZURE_CLIENT_SECRET"] == first_secret
        assert client.get(NAMED + "/" + created["id"]).json()["displayName"] == "kept"
        users = client.get("/v1.0/users").json()["value"]
        assert sorted(u["displayName"] for u in users) == ["No Id Person", "Seeded Person"]
        assert len(client.get("/v1.0/devices").json()["value"]) == 5
        assert len(client.get("/v1.0/identity/conditionalAccess/policies").json()["value"]) == 1
        with open(sb.ca_path, "rb") as handle:
            assert handle.read() == first_ca
    os.unlink(os.path.join(state, "seeds.json"))  # even a forgotten ledger does not duplicate
    with running_sandbox(state, seed=SEED) as sb:
        client = Client(sb, sb.token())
        assert len(client.get("/v1.0/users").json()["value"]) == 2
        assert len(client.get("/v1.0/identity/conditionalAccess/policies").json()["value"]) == 1


def test_unrelated_writes_do_not_rewrite_big_collections(tmp_path):
    with running_sandbox(tmp_path / "state", seed=SEED) as sb:
        devices = os.path.join(sb.state_dir, "data", "devices.json")
        before = os.stat(devices)
        client = Client(sb, sb.token())
        assert client.post(NAMED, json={"@odata.type": "#microsoft.graph.countryNamedLocation",
                                        "displayName": "x", "countriesAndRegions": ["FR"]}).status_code == 201
        after = os.stat(devices)
        assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
        stored = json.load(open(os.path.join(sb.state_dir, "data", "namedLocations.json")))
        assert [x["displayName"] for x in stored] == ["x"]
        assert not [n for n in os.listdir(os.path.join(sb.state_dir, "data")) if n.startswith(".tmp")]


def test_env_files(tmp_path):
    with running_sandbox(tmp_path / "state") as sb:
        path = os.path.join(sb.state_dir, "env.sh")
        assert os.stat(path).st_mode & 0o777 == 0o600
        script = "set -e; . %s; printf '%%s\\n' \"$AZURE_TENANT_ID\" \"$AZURE_CLIENT_SECRET\" " \
                 "\"$TENANTGUARD_GRAPH_ENDPOINT\" \"$TENANTGUARD_CA_BUNDLE\"" % shlex.quote(path)
        out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout.split("\n")
        assert out[:4] == [sb.tenant_id, sb.env["AZURE_CLIENT_SECRET"], sb.base_url, sb.ca_path]
        assert set(sb.env) == {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                               "TENANTGUARD_LOGIN_ENDPOINT", "TENANTGUARD_GRAPH_ENDPOINT",
                               "TENANTGUARD_EXCHANGE_ENDPOINT", "TENANTGUARD_CA_BUNDLE"}
        server = json.load(open(os.path.join(sb.state_dir, "server.json")))
        assert server == {"port": sb.port, "pid": sb.process.pid, "base_url": sb.base_url,
                          "proxy_url": "http://127.0.0.1:%d" % sb.port}


def test_bad_seed_fails_with_a_message_naming_the_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"applications": [{"appId": "not-a-guid"}]}))
    result = subprocess.run([os.sys.executable, "-m", "tenantguard_sandbox", "serve", "--port", "0",
                             "--state-dir", str(tmp_path / "s"), "--seed", str(bad)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "applications[].appId" in result.stderr and "not-a-guid" in result.stderr
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"spaceships": []}))
    result = subprocess.run([os.sys.executable, "-m", "tenantguard_sandbox", "serve", "--port", "0",
                             "--state-dir", str(tmp_path / "s2"), "--seed", str(unknown)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "spaceships" in result.stderr
