"""How long the Graph sandbox takes to start: first with a 100,000-device seed (applied and written), then
again on the same state (seed not applied again, the big collection read only when first asked for), then
the first request that reads the big collection.

Targets: first start under 15 s, second start under 1.5 s, on 2 cores. The sandbox tests assert the
mechanisms (seed applied once, lazy loading); this prints the times.
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness


def main():
    from tenantguard_sandbox.testing import running_sandbox

    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as tmp:
        seed = Path(tmp) / "big.json"
        subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "generate", "--users", "200",
                        "--devices", "100000", "-o", str(seed)], check=True, capture_output=True)
        state = Path(tmp) / "state"
        started = time.monotonic()
        with running_sandbox(state, seed=str(seed), timeout=300):
            first = time.monotonic() - started
        started = time.monotonic()
        with running_sandbox(state, seed=str(seed), timeout=300) as sb:
            second = time.monotonic() - started
            token = sb.token()
            started = time.monotonic()
            response = sb.session().get(sb.base_url + "/v1.0/devices/$count", timeout=300, headers={
                "Authorization": "Bearer " + token, "ConsistencyLevel": "eventual"})
            first_read = time.monotonic() - started
            assert response.text == "100000", response.text
    ok = first < 15 and second < 1.5
    harness.report("sandbox start-up", [
        ("first start, 100,000-device seed applied (s)", "%.2f" % first),
        ("second start, same state (s)", "%.2f" % second),
        ("first read of the device collection (s)", "%.2f" % first_read),
        ("load average (1 min) at the end", harness.load()["load_1min"]),
        ("targets met (first < 15 s, second < 1.5 s)", "yes" if ok else "NO"),
    ], {"first_start_s": round(first, 2), "second_start_s": round(second, 2),
        "first_read_s": round(first_read, 2), "load_average": harness.load(), "targets_met": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
