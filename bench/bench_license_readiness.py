"""Licence readiness in bulk: license_readiness_info over a generated tenant of N users (default 20,000) with a
licence mix, one report-only policy for all users except a 300-member group.

The users' licences are read in pages of 999 with $select, the group's members in one paged read, the subscribed
SKUs once: ceil(N/999) + 3 Graph requests (with the policy list), never one per user. Prints the requests by path and
the seconds of the play; the module's peak memory is not measured here (it keeps the selected fields of each user).
"""
import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import harness

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
from tenantguard_sandbox.generate import generate_seed  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.json"
        generate_seed(str(path), users=args.users, groups=2, members_per_group=300)
        document = json.loads(path.read_text())
    document["conditionalAccessPolicies"] = [{
        "displayName": "MFA for all users", "state": "enabledForReportingButNotEnforced",
        "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [document["groups"][0]["id"]]},
                       "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}]
    text = harness.play("licences", "    - name: Licence readiness of the tenant's policies\n"
                                    "      tenantguard.m365.license_readiness_info:\n"
                                    "      register: readiness\n"
                                    "    - name: Counts\n"
                                    "      ansible.builtin.debug:\n"
                                    "        msg: \"{{ readiness.readiness.counts | to_json }}\"\n")
    with harness.sandbox(seed=document, timeout=120) as sb:
        harness.run_playbook(sb, text)  # signs in: the token cache is warm for the measured run
        before = len(sb.requests())
        took, done = harness.run_playbook(sb, text)
        rows = [r for r in sb.requests()[before:] if r["service"] == "graph"]
    counts = harness.count_requests(rows)
    expected = math.ceil(args.users / 999.0) + 3
    ok = counts["graph"] <= expected and counts["by_path"].get("GET /v1.0/subscribedSkus") == 1
    rows_out = [("users", args.users), ("Graph HTTP requests", counts["graph"])]
    rows_out += [("  %s" % p, n) for p, n in sorted(counts["by_path"].items())]
    rows_out += [
        ("requests expected (pages of 999 + group + SKUs + policies)", expected),
        ("one request per user would be", args.users),
        ("seconds (the play)", "%.2f" % took),
        ("load average (1 min) at the end", harness.load()["load_1min"]),
        ("targets met (requests = pages)", "yes" if ok else "NO"),
    ]
    harness.report("licence readiness", rows_out, {
        "users": args.users, "graph_requests": counts["graph"], "by_path": counts["by_path"],
        "expected_requests": expected, "seconds": round(took, 2), "load_average": harness.load(), "targets_met": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
