"""playbooks/harden_tenant.yml names a rollout change that lowers a policy as a downgrade: an enforced
policy moved back to report-only, and a pilot moved back to report-only (its enforced copy deleted), in
the summary, in a warning and in the diff header, in check mode and when applied."""
import json

import pytest

from conftest import REPO

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
BLOCK = "TG - Block legacy authentication"
MFA = "TG - MFA for all users"
# The Contoso tenant has users whose only mail client is Exchange ActiveSync: the block goes on for them knowingly.
QUIET = {"tenant_hardening_device_report": "never",
         "tenant_hardening_acknowledge_eas_only_users": ["alex", "lee", "nestor"]}


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


def summary(run):
    return run.stdout.split("Summarise what changed", 1)[1].split("PLAY RECAP", 1)[0]


def flat(run):
    """What the run printed, with the line breaks Ansible puts into long warnings taken out."""
    return " ".join((run.stdout + run.stderr).split())


def test_lowering_a_policy_is_named_a_downgrade_in_check_mode_and_when_applied(run_playbook):
    raised = dict(QUIET, outlook_mobile_rollout_block_legacy_authentication="enforced",
                  outlook_mobile_rollout_mfa_all_users="pilot")
    first = run_playbook(HARDEN, extra_vars=raised)
    assert first.rc == 0, first
    assert "downgrade" not in summary(first), first

    lowered = dict(QUIET, outlook_mobile_rollout_block_legacy_authentication="report_only",
                   outlook_mobile_rollout_mfa_all_users="report_only")
    expected = [
        "conditional access policy %s: updated (downgrade: enforced to report-only)" % BLOCK,
        "conditional access policy %s (pilot): deleted (downgrade: enforced to deleted)" % MFA,
    ]
    check = run_playbook(HARDEN, "--check", "--diff", extra_vars=lowered)
    assert check.rc == 0, check
    lines = summary(check)
    assert "Would change (check mode)" in lines
    for line in expected:
        assert lines.count(line) == 1, (line, check)
    # Raising nothing here: the MFA policy itself stays report-only and is not named.
    assert "%s: updated (downgrade" % MFA not in lines
    assert "Downgrade: conditional access policy %r is enforced and would be report-only." % BLOCK in flat(check)
    assert "Downgrade: conditional access policy %r is enforced and would be deleted." % (MFA + " (pilot)") in flat(check)
    # The diff header names the downgrade, and the diff of the policies shows once (the check-mode
    # passes before the converge show none).
    assert check.stdout.count("%r downgrade: enforced to report-only" % BLOCK) == 1, check
    assert check.stdout.count("+++ after: conditional access policies after") == 1, check
    assert "conditional access policys" not in check.stdout

    applied = run_playbook(HARDEN, extra_vars=lowered)
    assert applied.rc == 0, applied
    lines = summary(applied)
    assert "Changed" in lines
    for line in expected:
        assert lines.count(line) == 1, (line, applied)
    assert "Downgrade: conditional access policy %r was enforced and is now report-only." % BLOCK in flat(applied)
