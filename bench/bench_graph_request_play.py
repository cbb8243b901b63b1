"""A play of 20 graph_request tasks against the sandbox, against the same play of 20 `command: true` tasks.

Prints the wall time of each, their ratio, and the token and Graph requests the Graph play made
(target: one token request for the whole play, one Graph request per task).
"""
import argparse

import harness

TASKS = 20


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each play; the fastest counts")
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2: the first run fills the token cache, later runs show its effect")

    graph_tasks = "".join(
        "    - name: Graph task %d\n      tenantguard.m365.graph_request:\n        path: /users\n        query:\n          $select: id\n" % i
        for i in range(TASKS)
    )
    command_tasks = "".join(
        "    - name: Command task %d\n      ansible.builtin.command: \"true\"\n      changed_when: false\n" % i for i in range(TASKS)
    )
    with harness.sandbox(seed={"users": [{"displayName": "User %d" % i, "userPrincipalName": "user%d@contoso.onmicrosoft.com" % i} for i in range(50)]}) as sb:
        graph_times, command_times = [], []
        first_counts = None
        for attempt in range(args.repeat):
            before = len(sb.requests())
            took, _ = harness.run_playbook(sb, harness.play("graph", graph_tasks))
            graph_times.append(took)
            counts = harness.count_requests(sb.requests()[before:])
            if first_counts is None:
                first_counts = counts
            took, _ = harness.run_playbook(sb, harness.play("command", command_tasks))
            command_times.append(took)
        later_counts = counts
    graph_s, command_s = min(graph_times), min(command_times)
    ratio = graph_s / command_s
    harness.report(
        "graph_request play, %d tasks" % TASKS,
        [
            ("graph_request play, seconds (best of %d)" % args.repeat, "%.2f" % graph_s),
            ("command: true play, seconds (best of %d)" % args.repeat, "%.2f" % command_s),
            ("ratio graph / command", "%.2f" % ratio),
            ("token requests, first run (empty cache)", first_counts["token"]),
            ("token requests, later runs (cached)", later_counts["token"]),
            ("Graph requests per run", first_counts["graph"]),
        ],
        {
            "tasks": TASKS,
            "graph_seconds": round(graph_s, 3),
            "command_seconds": round(command_s, 3),
            "ratio": round(ratio, 3),
            "token_requests_first_run": first_counts["token"],
            "token_requests_cached_run": later_counts["token"],
            "graph_requests": first_counts["graph"],
        },
    )


if __name__ == "__main__":
    main()
