"""A play of 20 graph_request tasks against the sandbox, against the same play of 20 `command: true` tasks.

The two plays run interleaved in one run, after one unmeasured graph play that fills the token cache:
each round runs both (the order alternates from round to round, so that a drift in machine load
falls on both alike) and gives one ratio graph / command. Prints the median ratio and its spread
(lowest and highest round), the median seconds of each play, the cost per task above a command
task, the same ratio in CPU time (of ansible-playbook and every process it waited for: far less
sensitive to other work on the machine than wall time), and the token and Graph requests of the measured graph plays (target: no token request
once the cache is filled, one Graph request per task).
"""
import argparse
import resource
import statistics

import harness

TASKS = 20


def _children_cpu():
    """User and system CPU seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds of both plays (default 5)")
    parser.add_argument("--other-tree", help="another checkout of the collection (for example the code before a "
                                             "change): its graph play runs in every round too, as 'other'")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    graph_tasks = "".join(
        "    - name: Graph task %d\n      tenantguard.m365.graph_request:\n        path: /users\n        query:\n          $select: id\n" % i
        for i in range(TASKS)
    )
    command_tasks = "".join(
        "    - name: Command task %d\n      ansible.builtin.command: \"true\"\n      changed_when: false\n" % i for i in range(TASKS)
    )
    plays = {"graph": harness.play("graph", graph_tasks), "command": harness.play("command", command_tasks)}
    seed = {"users": [{"displayName": "User %d" % i, "userPrincipalName": "user%d@contoso.onmicrosoft.com" % i}
                      for i in range(50)]}
    names = ["graph", "command"]
    collections = {}
    with harness.sandbox(seed=seed) as sb:
        harness.run_playbook(sb, plays["graph"])  # fills the token cache; not measured
        first_counts = harness.count_requests(sb.requests())
        if args.other_tree:
            plays["other"] = plays["graph"]
            collections["other"] = harness.collections_path(sb.workdir, repo=args.other_tree, name="other-collections")
            names.append("other")
            harness.run_playbook(sb, plays["other"], collections=collections["other"])  # its caches; not measured
        times = dict((name, []) for name in names)
        cpu = dict((name, []) for name in names)
        before = len(sb.requests())
        loads = []
        for round_ in range(args.rounds):
            order = names if round_ % 2 == 0 else list(reversed(names))
            for name in order:
                used = _children_cpu()
                took, _ = harness.run_playbook(sb, plays[name], collections=collections.get(name))
                times[name].append(took)
                cpu[name].append(_children_cpu() - used)
            loads.append(harness.load()["load_1min"])
        measured = harness.count_requests(sb.requests()[before:])  # of every graph play (names less command)
    ratios = [g / c for g, c in zip(times["graph"], times["command"])]
    cpu_ratios = [g / c for g, c in zip(cpu["graph"], cpu["command"])]
    cpu_ratio = statistics.median(cpu_ratios)
    ratio = statistics.median(ratios)
    graph_s, command_s = statistics.median(times["graph"]), statistics.median(times["command"])
    per_task_ms = (graph_s - command_s) / TASKS * 1000
    other = {}
    if args.other_tree:
        other_ratios = [o / c for o, c in zip(times["other"], times["command"])]
        other_cpu_ratios = [o / c for o, c in zip(cpu["other"], cpu["command"])]
        other = {"other_tree": args.other_tree, "other_ratio": round(statistics.median(other_ratios), 3),
                 "other_ratios": [round(r, 3) for r in other_ratios],
                 "other_cpu_ratio": round(statistics.median(other_cpu_ratios), 3),
                 "other_cpu_ratios": [round(r, 3) for r in other_cpu_ratios],
                 "other_cpu_seconds": round(statistics.median(cpu["other"]), 3),
                 "other_seconds": round(statistics.median(times["other"]), 3)}
    harness.report(
        "graph_request play, %d tasks" % TASKS,
        [
            ("rounds (interleaved, order alternating)", args.rounds),
            ("ratio graph / command, median", "%.2f" % ratio),
            ("ratio graph / command, lowest .. highest", "%.2f .. %.2f" % (min(ratios), max(ratios))),
            ("graph_request play, seconds (median)", "%.2f" % graph_s),
            ("command: true play, seconds (median)", "%.2f" % command_s),
            ("cost per task above a command task, ms", "%.0f" % per_task_ms),
            ("CPU time ratio graph / command, median", "%.2f" % cpu_ratio),
            ("CPU time ratio, lowest .. highest", "%.2f .. %.2f" % (min(cpu_ratios), max(cpu_ratios))),
            ("CPU seconds per play, graph / command (median)", "%.2f / %.2f" % (statistics.median(cpu["graph"]),
                                                                              statistics.median(cpu["command"]))),
            ("token requests, filling run (empty cache)", first_counts["token"]),
            ("token requests, measured runs (cached)", measured["token"]),
            ("Graph requests per measured run", measured["graph"] / float(args.rounds * (len(names) - 1))),
        ] + ([
            ("other tree: ratio graph / command, median (lowest .. highest)", "%.2f (%.2f .. %.2f)" % (
                other["other_ratio"], min(other["other_ratios"]), max(other["other_ratios"]))),
            ("other tree: CPU time ratio, median (lowest .. highest)", "%.2f (%.2f .. %.2f)" % (
                other["other_cpu_ratio"], min(other["other_cpu_ratios"]), max(other["other_cpu_ratios"]))),
            ("other tree: CPU seconds per play (median)", "%.2f" % other["other_cpu_seconds"]),
        ] if other else []) + [
            ("load average (1 min) during the rounds", "%.2f .. %.2f on %d CPUs" % (min(loads), max(loads),
                                                                                  harness.load()["cpus"])),
        ],
        dict(other, **{
            "tasks": TASKS,
            "rounds": args.rounds,
            "ratio": round(ratio, 3),
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
            "ratios": [round(r, 3) for r in ratios],
            "graph_seconds": round(graph_s, 3),
            "command_seconds": round(command_s, 3),
            "per_task_ms": round(per_task_ms, 1),
            "cpu_ratio": round(cpu_ratio, 3),
            "cpu_ratios": [round(r, 3) for r in cpu_ratios],
            "graph_cpu_seconds": round(statistics.median(cpu["graph"]), 3),
            "command_cpu_seconds": round(statistics.median(cpu["command"]), 3),
            "load_1min": [min(loads), max(loads)],
            "token_requests_first_run": first_counts["token"],
            "token_requests_cached_runs": measured["token"],
            "graph_requests_per_run": measured["graph"] / float(args.rounds * (len(names) - 1)),
        }),
    )


if __name__ == "__main__":
    main()
