"""ansible-playbook runs cas_mailbox_mobile against the sandbox: a group's mailboxes in four steps (check, apply,
check, apply: changed, changed, unchanged, unchanged; commands 0, one per mailbox, 0, 0), unknown names refused
before any change, and 1,000 mailboxes measured: one paged read, one Set-CASMailbox per mailbox that differs."""

import copy
import json
import time
from pathlib import Path

import pytest

from conftest import settled
from test_exchange_mobile_access import commands, exo, writes

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
MANY = 1000


@pytest.fixture
def sandbox_seed():
    seed = copy.deepcopy(CONTOSO)
    seed["users"] += [{"id": "00000000-0000-4000-8000-%012d" % i, "displayName": "Bulk user %d" % i,
                       "userPrincipalName": "bulk%04d@contoso.onmicrosoft.com" % i,
                       "mail": "bulk%04d@contoso.onmicrosoft.com" % i, "mailNickname": "bulk%04d" % i,
                       "accountEnabled": True, "userType": "Member"} for i in range(MANY)]
    return seed


def run_steps(run_playbook, steps):
    run = run_playbook("cas_mailbox_mobile.yml", extra_vars={"steps": steps})
    assert run.rc == 0, run
    return run.output("cas")["steps"]


def test_a_groups_mailboxes_in_four_steps(run_playbook, graph_sandbox):
    args = {"groups": ["Sales"], "mailboxes": ["lee@contoso.onmicrosoft.com"], "active_sync_enabled": False,
            "owa_for_devices_enabled": False}
    results, sent = [], []
    for check in (True, False, True, False):
        mark = len(settled(graph_sandbox))
        results += run_steps(run_playbook, [{"args": args, "check": check}])
        sent.append(writes(graph_sandbox, mark))
    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert [len(s) for s in sent] == [0, 4, 0, 0]
    assert {s[0] for s in sent[1]} == {"Set-CASMailbox"}
    assert sorted(m["PrimarySmtpAddress"] for m in results[0]["mailboxes"]) == sorted(results[0]["diff"]["after"])
    stored = {m["PrimarySmtpAddress"]: m for m in exo(graph_sandbox, "Get-CASMailbox", {"ResultSize": "Unlimited"})}
    off = sorted(a for a, m in stored.items() if not m["ActiveSyncEnabled"])
    assert off == sorted(results[1]["diff"]["after"]) and len(off) == 4
    assert all(not stored[a]["OWAforDevicesEnabled"] and stored[a]["OutlookMobileEnabled"] for a in off)
    assert "lee@contoso.onmicrosoft.com" in off and "bulk0000@contoso.onmicrosoft.com" not in off


def test_unknown_names_are_refused_before_any_change(run_playbook, graph_sandbox):
    mark = len(settled(graph_sandbox))
    steps = run_steps(run_playbook, [
        {"args": {"mailboxes": ["alex@contoso.onmicrosoft.com", "nobody@contoso.onmicrosoft.com"],
                  "active_sync_enabled": False}},
        {"args": {"groups": ["No Such Group"], "active_sync_enabled": False}},
        {"args": {"mailboxes": ["alex"], "active_sync_mailbox_policy": "Nope"}},
        {"args": {"mailboxes": ["*"], "active_sync_enabled": False}}])
    assert all(s["failed"] for s in steps)
    assert "nobody@contoso.onmicrosoft.com" in steps[0]["msg"] and "No Such Group" in steps[1]["msg"]
    assert "Nope" in steps[2]["msg"] and "Default" in steps[2]["msg"] and "mailboxes[0]" in steps[3]["msg"]
    assert writes(graph_sandbox, mark) == []


def test_one_thousand_mailboxes(run_playbook, graph_sandbox):
    args = {"mailboxes": ["bulk%04d@contoso.onmicrosoft.com" % i for i in range(MANY)],
            "owa_for_devices_enabled": False}
    timings = {}
    for name, check in (("first", False), ("no-op", False)):
        mark = len(settled(graph_sandbox))
        started = time.monotonic()
        step = run_steps(run_playbook, [{"args": args, "check": check}])[0]
        timings[name] = (time.monotonic() - started, commands(graph_sandbox, mark))
        assert not step.get("failed"), step
    first_time, first = timings["first"]
    again_time, again = timings["no-op"]
    print("\n%d mailboxes: first run %d commands (%d Set-CASMailbox) in %.1f s; no-op %d commands in %.1f s" % (
        MANY, len(first), len([c for c in first if c[0] == "Set-CASMailbox"]), first_time, len(again), again_time))
    assert len([c for c in first if c[0] == "Set-CASMailbox"]) == MANY
    assert [c[0] for c in again] == ["Get-CASMailbox", "Get-CASMailbox"]  # 1,017 mailboxes: two pages of 1,000
    stored = exo(graph_sandbox, "Get-CASMailbox", {"ResultSize": "Unlimited"})
    assert len([m for m in stored if m["OWAforDevicesEnabled"] is False]) == MANY
