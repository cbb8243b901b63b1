"""Name resolution in bulk: conditional access policies that name 500 groups (by display name) and
500 users (by user principal name), in one conditional_access_policy task.

Ten policies, each including 50 groups and excluding 50 users, all already in place, so the run
is a no-op and its requests are the look-ups (plus the one list of the policies). Graph allows
15 values in one ``in (...)`` filter and 20 requests in one ``$batch``, so 1,000 names are
ceil(500/15) + ceil(500/15) = 68 look-ups in ceil(68/20) = 4 HTTP requests.

Prints the HTTP requests by path, the look-ups carried in the batches, and what one request per
name would have cost (target: bulk, far below 1,000).
"""
import argparse
import json
import math
import sys
import time

import harness

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"


def ids(prefix, count):
    return ["%s-0000-4000-8000-%012d" % (prefix, i) for i in range(count)]


def seed(groups, users, policies):
    group_ids, user_ids = ids("9d000000", groups), ids("9e000000", users)
    per_policy_groups, per_policy_users = groups // policies, users // policies
    document = {
        "groups": [{"id": gid, "displayName": "Names group %04d" % i, "securityEnabled": True, "mailEnabled": False,
                    "mailNickname": "names%04d" % i} for i, gid in enumerate(group_ids)],
        "users": [{"id": uid, "displayName": "Names user %04d" % i,
                   "userPrincipalName": "names%04d@contoso.onmicrosoft.com" % i} for i, uid in enumerate(user_ids)],
        "conditionalAccessPolicies": [],
    }
    declared = []
    for p in range(policies):
        g = range(p * per_policy_groups, (p + 1) * per_policy_groups)
        u = range(p * per_policy_users, (p + 1) * per_policy_users)
        document["conditionalAccessPolicies"].append({
            "id": "9f000000-0000-4000-8000-%012d" % p,
            "displayName": "Names policy %02d" % p,
            "state": "enabledForReportingButNotEnforced",
            "conditions": {
                "users": {"includeGroups": [group_ids[i] for i in g], "excludeUsers": [user_ids[i] for i in u]},
                "applications": {"includeApplications": [EXCHANGE]},
                "clientAppTypes": ["all"],
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        })
        declared.append({
            "display_name": "Names policy %02d" % p,
            "policy_state": "enabledForReportingButNotEnforced",
            "conditions": {
                "users": {"include_groups": ["Names group %04d" % i for i in g],
                          "exclude_users": ["names%04d@contoso.onmicrosoft.com" % i for i in u]},
                "applications": {"include_applications": ["Exchange Online"]},
                "client_app_types": ["all"],
            },
            "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
        })
    return document, declared


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--policies", type=int, default=10)
    args = parser.parse_args()
    document, declared = seed(args.groups, args.users, args.policies)
    text = harness.play("names", "    - name: Policies naming groups and users\n"
                                 "      tenantguard.m365.conditional_access_policy:\n"
                                 "        conditional_access_policies: %s\n" % json.dumps(declared))
    with harness.sandbox(seed=document) as sb:
        harness.run_playbook(sb, text)  # signs in: the token cache is warm for the measured run
        before = len(sb.requests())
        took, done = harness.run_playbook(sb, text)
        time.sleep(0.2)
        rows = [r for r in sb.requests()[before:] if r["service"] == "graph"]
    counts = harness.count_requests(rows)
    batches = [r for r in rows if r["path"].endswith("$batch")]
    items = [item for r in batches for item in ((r.get("body") or {}).get("requests") or [])]
    lookups = {}
    for item in items:
        key = "%s %s" % (item.get("method"), item.get("url", "").split("?", 1)[0])
        lookups[key] = lookups.get(key, 0) + 1
    names = args.groups + args.users
    expected_lookups = math.ceil(args.groups / 15.0) + math.ceil(args.users / 15.0)
    changed = "changed=0" in done.stdout
    ok = changed and counts["graph"] <= math.ceil(expected_lookups / 20.0) + 1
    rows_out = [
        ("names resolved (groups + users)", "%d + %d" % (args.groups, args.users)),
        ("policies (no-op run)", "%d (%s)" % (args.policies, "unchanged" if changed else "CHANGED")),
        ("Graph HTTP requests", counts["graph"]),
    ]
    rows_out += [("  %s" % path, n) for path, n in sorted(counts["by_path"].items())]
    rows_out += [("look-ups inside the $batch requests", len(items))]
    rows_out += [("  %s" % path, n) for path, n in sorted(lookups.items())]
    rows_out += [
        ("look-ups expected (15 names a filter)", expected_lookups),
        ("one request per name would be", names),
        ("seconds", "%.2f" % took),
        ("load average (1 min) at the end", harness.load()["load_1min"]),
        ("targets met (lookups in $batch of 20, one list)", "yes" if ok else "NO"),
    ]
    harness.report("name resolution", rows_out, {
        "groups": args.groups, "users": args.users, "policies": args.policies, "graph_requests": counts["graph"],
        "by_path": counts["by_path"], "batch_items": len(items), "lookups_by_path": lookups,
        "expected_lookups": expected_lookups, "unchanged": changed, "seconds": round(took, 2),
        "load_average": harness.load(), "targets_met": ok,
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
