"""The exchange_mobile_access role against the sandbox: its preview names exactly the devices and users that the
sandbox then quarantines or blocks; four steps (check, apply, check, apply: changed, changed, unchanged,
unchanged); the stages; the gateway commands of a first run and of a no-op counted from the request log."""

import pytest

from conftest import REPO, settled
from test_exchange_mobile_access import CONTOSO, OUTLOOK, commands, exo, writes

PLAY = "exchange_mobile_access_role.yml"


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def run_role(run_playbook, variables, check=False):
    args = ["--check", "--diff"] if check else []
    run = run_playbook(PLAY, *args, extra_vars=variables)
    assert run.rc == 0 and run.recap["failed"] == 0, run.stdout[-3000:]
    return run, run.output("role")


def access(sandbox):
    """Every partnership's access as the sandbox holds it: {device id: (state, reason, rule, mailbox)}."""
    return dict((d["DeviceId"], (d["DeviceAccessState"], d["DeviceAccessStateReason"], d.get("DeviceAccessControlRule"),
                                 d["Identity"].split("\\", 1)[0]))
                for d in exo(sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"}))


ENFORCED = {"exchange_mobile_access_rollout": "enforced",
            "exchange_mobile_access_admin_mail_recipients": ["admin@contoso.onmicrosoft.com"],
            "exchange_mobile_access_rules": [{"query_string": "SM-S918B", "characteristic": "DeviceModel",
                                              "access_level": "Block"}]}


def test_preview_names_exactly_what_the_sandbox_then_does(run_playbook, graph_sandbox):
    before = access(graph_sandbox)
    assert set(s[0] for s in before.values()) == {"Allowed"}
    _run, report = run_role(run_playbook, ENFORCED, check=True)
    preview = report["preview"]
    assert preview["counts"]["devices"] == len(before)
    # nothing was written by the check
    assert access(graph_sandbox) == before
    run_role(run_playbook, ENFORCED)
    after = access(graph_sandbox)
    quarantined = sorted(d for d, s in after.items() if s[0] == "Quarantined")
    blocked = sorted(d for d, s in after.items() if s[0] == "Blocked")
    assert quarantined and blocked
    assert sorted(d["DeviceId"] for d in preview["quarantined"]) == quarantined
    assert sorted(d["DeviceId"] for d in preview["blocked"]) == blocked
    assert preview["quarantined_users"] == sorted(set(after[d][3] for d in quarantined), key=str.lower)
    assert preview["blocked_users"] == sorted(set(after[d][3] for d in blocked), key=str.lower)
    # each device's state, reason and deciding rule as the preview planned them
    for device in preview["changes"]:
        planned = device["planned"]
        assert after[device["DeviceId"]][:3] == (planned["DeviceAccessState"], planned["DeviceAccessStateReason"],
                                                 planned["DeviceAccessControlRule"])
    assert sorted(d["DeviceId"] for d in preview["changes"]) == sorted(d for d in after if after[d][0] != "Allowed")
    # Outlook stays allowed, by its rule
    assert all(s[:3] == ("Allowed", "DeviceRule", OUTLOOK + " (DeviceModel)") for d, s in after.items()
               if s[3] in ("adele", "diego", "megan") or d == "9E427287472A543DAB4C7D7880951391")


def test_role_in_four_steps_with_commands_counted(run_playbook, graph_sandbox):
    results, sent, counts = [], [], []
    for check in (True, False, True, False):
        mark = len(settled(graph_sandbox))
        run, report = run_role(run_playbook, ENFORCED, check=check)
        results.append(run.recap["changed"] > 0)
        sent.append(writes(graph_sandbox, mark))
        counts.append(len(commands(graph_sandbox, mark)))
    assert results == [True, True, False, False]
    assert [len(s) for s in sent] == [0, 3, 0, 0]
    # rules before the default access level
    assert [c[0] for c in sent[1]] == ["New-ActiveSyncDeviceAccessRule", "New-ActiveSyncDeviceAccessRule",
                                       "Set-ActiveSyncOrganizationSettings"]
    assert all(status == 200 for _cmdlet, status in sent[1])
    stored = exo(graph_sandbox, "Get-ActiveSyncOrganizationSettings")[0]
    assert stored["DefaultAccessLevel"] == "Quarantine"
    assert stored["AdminMailRecipients"] == ["admin@contoso.onmicrosoft.com"]
    rules = dict((r["Identity"], r["AccessLevel"]) for r in exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule"))
    assert rules == {OUTLOOK + " (DeviceModel)": "Allow", "SM-S918B (DeviceModel)": "Block"}
    # the no-op: the two checks' reads, nothing else
    assert counts[3] <= 4 and counts[2] <= 4
    print("exchange_mobile_access commands: check %d, first run %d, check again %d, no-op %d" % tuple(counts))


@pytest.mark.parametrize("stage", ["report_only", "pilot"])
def test_stages_before_enforcement(run_playbook, graph_sandbox, stage):
    before = access(graph_sandbox)
    mark = len(settled(graph_sandbox))
    run, report = run_role(run_playbook, dict(ENFORCED, exchange_mobile_access_rollout=stage))
    sent = writes(graph_sandbox, mark)
    assert report["preview"]["counts"]["quarantined"] > 0
    settings = exo(graph_sandbox, "Get-ActiveSyncOrganizationSettings")[0]
    assert settings["DefaultAccessLevel"] == "Allow"
    rules = dict((r["Identity"], r["AccessLevel"]) for r in exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule"))
    if stage == "report_only":
        assert sent == [] and rules == {} and run.recap["changed"] == 0
        assert settings["AdminMailRecipients"] == []
    else:
        # the allow rule and the notification; no block rule, the default untouched
        assert [c[0] for c in sent] == ["New-ActiveSyncDeviceAccessRule", "Set-ActiveSyncOrganizationSettings"]
        assert rules == {OUTLOOK + " (DeviceModel)": "Allow"}
        assert settings["AdminMailRecipients"] == ["admin@contoso.onmicrosoft.com"]
    # no device changed state: the allow rule only re-labels Outlook (allowed by the rule, not the default)
    assert set(s[0] for s in access(graph_sandbox).values()) == set(s[0] for s in before.values())


def test_disabled_reads_nothing(run_playbook, graph_sandbox):
    mark = len(settled(graph_sandbox))
    run_role(run_playbook, dict(ENFORCED, exchange_mobile_access_rollout="disabled"))
    assert commands(graph_sandbox, mark) == []


HARDEN = REPO / "playbooks" / "harden_tenant.yml"


def test_harden_without_entra_id_p1_converges_exchange_in_few_commands(run_playbook, graph_sandbox):
    """tenant_hardening for a tenant without Entra ID P1: no conditional access read or written, the Exchange
    layer enforced; the Exchange commands of each run counted (first run, then the no-op)."""
    variables = {"tenant_hardening_conditional_access": False, "exchange_mobile_access_rollout": "enforced"}
    counts, changed, runs = [], [], []
    for check in (True, False, True, False):
        mark = len(settled(graph_sandbox))
        run = run_playbook(HARDEN, *(["--check"] if check else []), extra_vars=variables)
        assert run.rc == 0 and run.recap["failed"] == 0, run.stdout[-3000:]
        runs.append(run)
        counts.append(len(commands(graph_sandbox, mark)))
        changed.append([c for c in commands(graph_sandbox, mark) if not c[0].startswith("Get-")])
        ca = [r for r in settled(graph_sandbox)[mark:] if "/identity/conditionalAccess/" in r.get("path", "")]
        assert ca == [], ca
    assert [len(c) for c in changed] == [0, 2, 0, 0]
    # the summary names what changed in Exchange, in check mode and when applied
    for run in runs[:2]:
        assert "Exchange: New-ActiveSyncDeviceAccessRule Outlook for iOS and Android" in run.stdout, run.stdout[-3000:]
        assert "Exchange: Set-ActiveSyncOrganizationSettings" in run.stdout
    assert "Nothing changed." in runs[3].stdout
    assert counts[3] <= 4
    print("harden, Exchange layer commands: check %d, first run %d, check again %d, no-op %d" % tuple(counts))
    assert exo(graph_sandbox, "Get-ActiveSyncOrganizationSettings")[0]["DefaultAccessLevel"] == "Quarantine"


def test_device_report_names_who_a_change_would_cut_off_and_the_sandbox_agrees(run_playbook, graph_sandbox, tmp_path):
    """The device report's Exchange section: each device's access and what decides it; with a what-if (default
    Quarantine, only Outlook allowed) the users it names as cut off are exactly those who, once the change is made in
    the sandbox, have no allowed device left."""
    import json as _json
    report = tmp_path / "report"
    whatif = {"default_access_level": "Quarantine",
              "rules": [{"query_string": OUTLOOK, "characteristic": "DeviceModel", "access_level": "Allow"}]}
    run = run_playbook(REPO / "playbooks" / "audit_devices.yml", extra_vars={
        "device_report_dir": str(report), "device_report_exchange_access": True,
        "device_report_exchange_whatif": whatif})
    assert run.rc == 0, run.stdout[-3000:]
    summary = _json.loads((report / "summary.json").read_text())["exchange_access"]
    html = (report / "report.html").read_text()
    assert 'id="exchange-access"' in html and "Who the change would cut off" in html
    before = access(graph_sandbox)
    assert summary["counts"]["devices"] == len(before)
    # nothing was written by the report
    assert set(s[0] for s in before.values()) == {"Allowed"}
    exo(graph_sandbox, "New-ActiveSyncDeviceAccessRule",
        {"QueryString": OUTLOOK, "Characteristic": "DeviceModel", "AccessLevel": "Allow"})
    exo(graph_sandbox, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": "Quarantine"})
    after = access(graph_sandbox)
    mailboxes = set(s[3] for s in after.values())
    cut_off = sorted(m for m in mailboxes if not any(s[0] == "Allowed" for s in after.values() if s[3] == m))
    assert cut_off and sorted(u["mailbox"] for u in summary["cut_off_users"]) == cut_off
    for user in summary["cut_off_users"]:
        assert user["mailbox"] in html
    assert sorted(d["DeviceId"] for d in summary["changes"]) == sorted(d for d, s in after.items() if s[0] != "Allowed")


def test_exchange_values_in_any_case_are_stored_and_reported_in_exchanges_spelling(run_playbook, graph_sandbox):
    """Exchange takes its enum values in any case: so do the modules, and they report Exchange's spelling; the same
    values in another case again change nothing."""
    def steps(characteristic, level, default):
        run = run_playbook("exchange_mobile_access.yml", extra_vars={"steps": [
            {"module": "rule", "args": {"query_string": OUTLOOK, "characteristic": characteristic,
                                        "access_level": level}},
            {"module": "settings", "args": {"default_access_level": default}}]})
        assert run.rc == 0, run.stdout[-3000:]
        return run.output("exchange")

    first = steps("devicemodel", "allow", "quarantine")
    rule, settings = first["rule"][0], first["settings"][0]
    assert not rule.get("failed") and not settings.get("failed"), (rule, settings)
    assert rule["changed"] and settings["changed"]
    assert [(r["Characteristic"], r["AccessLevel"]) for r in rule["rules"]] == [("DeviceModel", "Allow")]
    assert settings["settings"]["DefaultAccessLevel"] == "Quarantine"
    assert exo(graph_sandbox, "Get-ActiveSyncOrganizationSettings")[0]["DefaultAccessLevel"] == "Quarantine"
    again = steps("DEVICEMODEL", "ALLOW", "QUARANTINE")
    assert not again["rule"][0]["changed"] and not again["settings"][0]["changed"], again
