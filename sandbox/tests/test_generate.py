"""The seed generator and a tenant with 100,000 devices."""

import json
import subprocess
import sys
import time

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
                                                    "exchangeMobileDevices": 12}
    user_ids = {u["id"] for u in seed["users"]}
    assert all(len(g["members"]) == 5 and set(g["members"]) <= user_ids for g in seed["groups"])


def test_hundred_thousand_devices_load_in_seconds(tmp_path):
    seed = tmp_path / "big.json"
    subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "generate", "--users", "200", "--devices", "100000",
                    "-o", str(seed)], check=True, capture_output=True)
    started = time.monotonic()
    with running_sandbox(tmp_path / "state", seed=str(seed), timeout=60) as sb:
        first_start = time.monotonic() - started
        client = Client(sb, sb.token())
        count = client.get("/v1.0/devices/$count", headers={"ConsistencyLevel": "eventual"})
        assert count.text == "100000"
        page = client.get("/v1.0/devices?$top=999&$filter=operatingSystem eq 'iOS'").json()
        assert len(page["value"]) == 999 and "@odata.nextLink" in page
        last = client.get("/v1.0/devices?$top=1&$skiptoken=" + page["@odata.nextLink"].split("$skiptoken=")[1])
        assert last.status_code == 200
    assert first_start < 15, first_start
    started = time.monotonic()
    with running_sandbox(tmp_path / "state", seed=str(seed), timeout=60) as sb:
        assert time.monotonic() - started < 1.5  # the big collection is loaded lazily, the seed not re-applied
        client = Client(sb, sb.token())
        assert client.get("/v1.0/devices/$count", headers={"ConsistencyLevel": "eventual"}).text == "100000"
