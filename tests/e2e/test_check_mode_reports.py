"""Check mode and the device report of playbooks/harden_tenant.yml, and the Exchange ActiveSync guard, against
the Contoso demo tenant (sandbox/seeds/contoso.json: alex, lee and nestor reach mail only through a native
Exchange ActiveSync app).

- ``--check --diff`` while "Block legacy authentication" moves to pilot succeeds, writes no file and names none;
- check, apply, check, apply: files only when applying, outside the checkout (under the user's home), owner-only;
- the policy is not put in the pilot or enforced stage while the inventory shows EAS-only users, unless they are
  acknowledged; nothing is written before the refusal, in check mode too.
"""
import copy
import json
import os
import stat

import pytest

from conftest import REPO
from test_harden_tenant import HARDEN, POLICIES, policies, summary, writes

LEGACY = "TG - Block legacy authentication"
STAGE = "outlook_mobile_rollout_block_legacy_authentication"
EAS_ONLY = ["alex", "lee", "nestor"]
ACKNOWLEDGED = {"tenant_hardening_acknowledge_eas_only_users": EAS_ONLY}
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def refusal(run):
    """The message of the task that failed."""
    line = next(x for x in run.stdout.splitlines() if x.startswith("fatal: [localhost]: FAILED! => "))
    return json.loads(line.split(" => ", 1)[1])["msg"]


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) if path.exists() else []


def test_check_mode_pilot_move_writes_no_report_and_names_none_then_apply_writes_it_owner_only(
        run_playbook, graph_sandbox, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    reports = home / ".ansible" / "tenantguard" / "reports"
    first = run_playbook(HARDEN, env=env)
    assert first.rc == 0, first
    assert not reports.exists()  # report-only everywhere: no report wanted

    # 1. check: the inventory is read (the summary names the users) but nothing is written and no file is claimed.
    since = len(graph_sandbox.requests())
    check = run_playbook(HARDEN, "--check", "--diff", env=env, extra_vars={STAGE: "pilot", **ACKNOWLEDGED})
    assert check.rc == 0, check
    assert check.recap["changed"] >= 1, check
    assert writes(graph_sandbox, since) == []
    assert files_under(home / ".ansible" / "tenantguard") == [], check
    lines = summary(check)
    assert "conditional access policy %s (pilot): created" % LEGACY in lines
    assert "%d user(s) whose only mobile mail client" % len(EAS_ONLY) in lines and ", ".join(EAS_ONLY) in lines
    assert "check mode: no report file written" in lines
    assert "report.html" not in lines and "devices.json" not in lines
    assert "no report file was written" in check.stdout  # said by the device report itself

    # 2. apply: the report is written outside the checkout, owner-only, and the summary names the page it wrote.
    apply = run_playbook(HARDEN, env=env, extra_vars={STAGE: "pilot", **ACKNOWLEDGED})
    assert apply.rc == 0, apply.stdout[-3000:]
    target = reports / "localhost" / "devices"
    assert files_under(target) == ["devices.csv", "devices.json", "report.html", "summary.json"], apply
    for directory in (home / ".ansible" / "tenantguard", reports, reports / "localhost", target):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
    for name in files_under(target):
        assert stat.S_IMODE(os.stat(target / name).st_mode) == 0o600, name
    assert "see %s/report.html" % target in summary(apply)
    stored = policies(graph_sandbox)
    assert stored[LEGACY + " (pilot)"]["state"] == "enabled"
    # The default is not the playbook's directory (nor anywhere in the checkout).
    assert not list((REPO / "playbooks").glob("device-report-*"))
    written = {name: (target / name).stat().st_mtime_ns for name in files_under(target)}

    # 3. check again: nothing to change, nothing written, the files of step 2 untouched.
    since = len(graph_sandbox.requests())
    again = run_playbook(HARDEN, "--check", "--diff", env=env, extra_vars={STAGE: "pilot", **ACKNOWLEDGED})
    assert again.rc == 0 and again.recap["changed"] == 0, again
    assert writes(graph_sandbox, since) == []
    assert {name: (target / name).stat().st_mtime_ns for name in files_under(target)} == written
    assert "check mode: no report file written" in summary(again)

    # 4. apply again: no change to the tenant; the report is written again.
    again = run_playbook(HARDEN, env=env, extra_vars={STAGE: "pilot", **ACKNOWLEDGED})
    assert again.rc == 0 and again.recap["changed"] == 0, again
    assert writes(graph_sandbox, since) == []
    assert files_under(target) == sorted(written)

    # Asked for, check mode writes the files too (and only then names them).
    asked = tmp_path / "asked" / "devices"
    check = run_playbook(HARDEN, "--check", env=env, extra_vars={
        STAGE: "pilot", **ACKNOWLEDGED, "tenant_hardening_device_report_dir": str(asked),
        "tenant_hardening_device_report_write_in_check_mode": True})
    assert check.rc == 0, check
    assert files_under(asked) == ["devices.csv", "devices.json", "report.html", "summary.json"]
    assert "see %s/report.html" % asked in summary(check)


def test_eas_only_users_stop_the_block_before_anything_is_written(run_playbook, graph_sandbox, tmp_path):
    env = {"HOME": str(tmp_path / "home")}  # the report of the accepted run goes there
    since = len(graph_sandbox.requests())
    for args in (("--check", "--diff"), ()):
        refused = run_playbook(HARDEN, *args, env=env, extra_vars={STAGE: "pilot"})
        assert refused.rc != 0, refused
        message = refusal(refused)
        assert message.count(", ".join(EAS_ONLY)) == 1 and message.count("alex") == 1, message  # named, once
        assert LEGACY in message and "tenant_hardening_acknowledge_eas_only_users" in message
        assert message.endswith("Nothing was written."), message
    assert writes(graph_sandbox, since) == []

    # A user left out of the acknowledgement still stops the run, and is the only one named.
    partly = run_playbook(HARDEN, env=env, extra_vars={
        STAGE: "enforced", "tenant_hardening_device_report": "never",
        "tenant_hardening_acknowledge_eas_only_users": ["ALEX", "lee"]})
    assert partly.rc != 0, partly
    assert "1 user(s)" in refusal(partly) and "lose mail: nestor." in refusal(partly), partly
    assert writes(graph_sandbox, since) == []

    accepted = run_playbook(HARDEN, env=env, extra_vars={STAGE: "pilot", **ACKNOWLEDGED})
    assert accepted.rc == 0, accepted
    assert ("POST", POLICIES) in writes(graph_sandbox, since)
    assert policies(graph_sandbox)[LEGACY + " (pilot)"]["state"] == "enabled"
    assert files_under(tmp_path / "home" / ".ansible" / "tenantguard" / "reports" / "localhost" / "devices")


class TestWithoutEasOnlyUsers:
    @pytest.fixture
    def sandbox_seed(self):
        """Contoso, without the native EAS partnerships of the EAS-only users."""
        seed = copy.deepcopy(CONTOSO)
        seed["exchangeMobileDevices"] = [d for d in seed["exchangeMobileDevices"]
                                         if str(d.get("Identity", "")).split("\\", 1)[0] not in EAS_ONLY]
        return seed

    def test_the_block_goes_on(self, run_playbook, graph_sandbox, tmp_path):
        since = len(graph_sandbox.requests())
        report = tmp_path / "report"
        run = run_playbook(HARDEN, extra_vars={STAGE: "pilot", "tenant_hardening_device_report_dir": str(report)})
        assert run.rc == 0, run
        assert json.loads((report / "summary.json").read_text())["summary"]["eas_only_users"] == []
        assert policies(graph_sandbox)[LEGACY + " (pilot)"]["state"] == "enabled"
        assert ("POST", POLICIES) in writes(graph_sandbox, since)


def test_posture_report_in_check_mode_reads_and_writes_nothing(run_playbook, tmp_path):
    report = tmp_path / "posture"
    variables = {"posture_report_dir": str(report), "posture_report_continue_on_error": False}
    check = run_playbook(REPO / "playbooks" / "posture_report.yml", "--check", extra_vars=variables)
    assert check.rc == 0 and check.recap["failed"] == 0, check.stdout[-3000:]
    assert not report.exists()
    assert "no report file was written" in check.stdout

    asked = run_playbook(REPO / "playbooks" / "posture_report.yml", "--check",
                         extra_vars=dict(variables, posture_report_write_in_check_mode=True))
    assert asked.rc == 0, asked.stdout[-3000:]
    assert files_under(report) == ["devices.json", "posture.html", "posture.json"]
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(report / name).st_mode) == 0o600 for name in files_under(report))
