"""One harden_tenant.yml run converges three tenants, an inventory host each, with forks: each tenant with its
own credentials and endpoints from host variables (none from the environment), none touching another."""
import contextlib
import json
import os
import subprocess
import sys

import yaml

from conftest import REPO, PlaybookRun

from tenantguard_sandbox.testing import running_sandbox

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
POLICIES = "/v1.0/identity/conditionalAccess/policies"


def test_three_tenants_in_one_run(tmp_path, collections_path):
    seed = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())
    with contextlib.ExitStack() as stack:
        tenants = {}
        for name in ("contoso", "fabrikam", "northwind"):
            tenants[name] = stack.enter_context(running_sandbox(tmp_path / name, seed=seed))
        hosts = {}
        for name, sandbox in tenants.items():
            env = sandbox.env
            hosts[name] = {
                "ansible_connection": "local",
                "tenantguard_tenant_id": env["AZURE_TENANT_ID"],
                "tenantguard_client_id": env["AZURE_CLIENT_ID"],
                "tenantguard_client_secret": env["AZURE_CLIENT_SECRET"],
                "tenantguard_login_endpoint": env["TENANTGUARD_LOGIN_ENDPOINT"],
                "tenantguard_graph_endpoint": env["TENANTGUARD_GRAPH_ENDPOINT"],
                "tenantguard_exchange_endpoint": env["TENANTGUARD_EXCHANGE_ENDPOINT"],
                "tenantguard_ca_bundle": env["TENANTGUARD_CA_BUNDLE"],
            }
        # Each tenant has its own vars file; northwind's declares none of the tenant's own policies.
        northwind = yaml.safe_load((REPO / "playbooks" / "vars" / "contoso.yml").read_text())
        northwind["conditional_access_policies"] = []
        (tmp_path / "northwind.yml").write_text(yaml.safe_dump(northwind))
        hosts["northwind"]["tenant_vars_file"] = str(tmp_path / "northwind.yml")
        inventory = tmp_path / "tenants.json"
        inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
        inventory.chmod(0o600)

        # The environment names no tenant: everything comes from the inventory.
        env = tenants["contoso"].ansible_environment(tmp_path, collections_path)
        for key in list(env):
            if key.startswith("AZURE_") or (key.startswith("TENANTGUARD_") and key not in ("TENANTGUARD_TOKEN_CACHE", "TENANTGUARD_BACKUP_DIR")):
                del env[key]
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), "-f", "3",
               str(HARDEN)]
        completed = subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600,
                                   check=False)
        run = PlaybookRun(completed, tmp_path)
        assert run.rc == 0, run
        for name, sandbox in tenants.items():
            rows = [r for r in sandbox.requests() if r["service"] == "graph"]
            assert rows, name
            # Only this tenant's application called this tenant's Graph.
            assert {r["app_id"] for r in rows} == {sandbox.env["AZURE_CLIENT_ID"]}, name
            created = [r for r in rows if r["method"] == "POST" and r["path"] == POLICIES]
            assert len(created) == (5 if name == "northwind" else 6), (name, created)
            recap = [line for line in run.stdout.splitlines() if line.startswith(name + " ")]
            assert recap and "failed=0" in recap[0] and "changed=" in recap[0], (name, run.stdout[-2000:])
