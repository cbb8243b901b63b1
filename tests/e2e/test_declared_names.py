"""Nothing is written before every name is known: the conditional_access role with a new named location, a new
authentication strength and a policy that refers to them. A misspelt reference to either fails the run at once
(well under reference_timeout), naming the option, the policy, the value and the closest names, with no write
at all; spelt right, the run converges in one pass (check, apply, check, apply: changed, changed, unchanged,
unchanged)."""
import time

import pytest

PLAYBOOK = "conditional_access_declared_names.yml"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
READ_POSTS = ("/directoryObjects/getByIds", "/$batch")
# A run that waited for the misspelt name would take at least this long; one that does not takes a fraction of it
# (an ansible-playbook run on a busy machine takes 10 to 20 seconds).
REFERENCE_TIMEOUT = 120


def graph_writes(sandbox, since):
    found = []
    for row in sandbox.requests()[since:]:
        if row["service"] != "graph" or row["method"] not in WRITES:
            continue
        if row["method"] == "POST" and row["path"].endswith(READ_POSTS):
            items = (row.get("body") or {}).get("requests") or []
            if all(i.get("method") == "GET" or i.get("url", "").endswith(READ_POSTS) for i in items):
                continue
        found.append((row["method"], row["path"]))
    return found


@pytest.mark.parametrize("variable,value,option,closest", [
    ("ca_location_ref", "TG - Head ofice", "conditions.locations.exclude_locations", "TG - Head office"),
    ("ca_strength_ref", "TG - Admin signin", "grant_controls.authentication_strength", "TG - Admin sign-in"),
], ids=["named location", "authentication strength"])
def test_a_misspelt_reference_to_a_declared_object_fails_at_once_with_nothing_written(
        run_playbook, graph_sandbox, variable, value, option, closest):
    for mode in ((), ("--check",)):
        since = len(graph_sandbox.requests())
        started = time.monotonic()
        run = run_playbook(PLAYBOOK, *mode, extra_vars={
            variable: value, "conditional_access_reference_timeout": REFERENCE_TIMEOUT})
        elapsed = time.monotonic() - started
        assert run.rc != 0, run
        assert graph_writes(graph_sandbox, since) == [], run
        assert elapsed < REFERENCE_TIMEOUT / 2, (elapsed, run)
        for expected in (option, "'TG - Strong sign-in outside the head office'", repr(value), repr(closest)):
            assert expected in run.stdout, (expected, run)
        # Refused by the check before anything is written, not by the write that would have come after.
        assert "Check the conditional access policies before anything is written" in run.stdout.split("fatal:")[0]


def test_spelt_right_it_converges_in_one_run(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    check = run_playbook(PLAYBOOK, "--check")
    assert check.rc == 0 and check.recap["changed"] > 0, check
    assert graph_writes(graph_sandbox, since) == []
    assert "check mode goes on as if" not in check.stdout  # declared names resolve as "will be created"

    apply = run_playbook(PLAYBOOK)
    assert apply.rc == 0 and apply.recap["changed"] > 0, apply
    made = graph_writes(graph_sandbox, since)
    assert [m for m in made if m[0] == "POST"] == [
        ("POST", "/v1.0/identity/conditionalAccess/namedLocations"),
        ("POST", "/v1.0/policies/authenticationStrengthPolicies"),
        ("POST", "/v1.0/identity/conditionalAccess/policies")], made

    since = len(graph_sandbox.requests())
    for args in (("--check",), ()):
        again = run_playbook(PLAYBOOK, *args)
        assert again.rc == 0 and again.recap["changed"] == 0, again
    assert graph_writes(graph_sandbox, since) == []
