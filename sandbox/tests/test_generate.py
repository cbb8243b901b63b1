"""The seed generator and a tenant with 100,000 devices."""

import json
import subprocess
import sys

from conftest import Client
from tenantguard_sandbox.testing import running_sandbox


def test_generated_seed_is_deterministic_json(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "generate", "--users", "40", "--groups", "4",
                        "--members-per-group", "5", "--devices", "10", "--managed-devices", "8",
                        "--exchange-devices", "12", "-o", str(path)], check=True, capture_output=True)
    assert first.read_bytes() == second.read_bytes()
    seed = json.loads(first.read_text())
    assert {k: len(v) for k, v in seed.items()} == {"users": 40, "groups": 4, "devices": 10, "managedDevices": 8,
                                                    "exchangeMobileDevices": 12, "subscribedSkus": 6,
                                                    "deviceCompliancePolicies": 3}
    policies = {p["id"] for p in seed["deviceCompliancePolicies"]}
    for device in seed["managedDevices"]:
        for state in device.get("deviceCompliancePolicyStates", []):
            assert state["id"] in policies
            failing = [s for s in state["settingStates"] if s["state"] == "nonCompliant"]
            # a failing phone names at least one failing setting; a compliant one none
            assert bool(failing) == (device["complianceState"] in ("noncompliant", "inGracePeriod")), device
    user_ids = {u["id"] for u in seed["users"]}
    # every assigned licence is of a subscribed SKU, and the mix has users without Office apps or without P1
    subscribed = {s["skuId"] for s in seed["subscribedSkus"]}
    assigned = [a["skuId"] for u in seed["users"] for a in u["assignedLicenses"]]
    assert assigned and set(assigned) <= subscribed and len(set(assigned)) >= 4
    assert all(len(g["members"]) == 5 and set(g["members"]) <= user_ids for g in seed["groups"])


def _health(sb):
    return sb.session().get(sb.base_url + "/_sandbox/health", timeout=30).json()


def test_hundred_thousand_devices_served_and_loaded_lazily(tmp_path):
    """A 100,000-device tenant is served with paging, and a restart neither applies the seed again nor reads
    the big collection before a request needs it. How long either start takes is a figure of
    bench/bench_sandbox_startup.py, not an assertion here."""
    seed = tmp_path / "big.json"
    subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "generate", "--users", "200", "--devices", "100000",
                    "-o", str(seed)], check=True, capture_output=True)
    with running_sandbox(tmp_path / "state", seed=str(seed), timeout=120) as sb:
        assert _health(sb)["seedApplied"] is True
        client = Client(sb, sb.token())
        count = client.get("/v1.0/devices/$count", headers={"ConsistencyLevel": "eventual"})
        assert count.text == "100000"
        page = client.get("/v1.0/devices?$top=999&$filter=operatingSystem eq 'iOS'").json()
        assert len(page["value"]) == 999 and "@odata.nextLink" in page
        last = client.get("/v1.0/devices?$top=1&$skiptoken=" + page["@odata.nextLink"].split("$skiptoken=")[1])
        assert last.status_code == 200
    with running_sandbox(tmp_path / "state", seed=str(seed), timeout=120) as sb:
        health = _health(sb)
        assert health["seedApplied"] is False  # the same seed file is not applied twice
        assert "devices" not in health["loadedCollections"], health  # read when first asked for, not at start
        client = Client(sb, sb.token())
        assert client.get("/v1.0/devices/$count", headers={"ConsistencyLevel": "eventual"}).text == "100000"
        assert "devices" in _health(sb)["loadedCollections"]
