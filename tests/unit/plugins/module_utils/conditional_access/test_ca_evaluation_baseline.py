"""The seed's scenarios against the outlook_mobile baseline, evaluated offline.

The policies come from the role itself: ``roles/outlook_mobile/vars/main.yml`` rendered with the
role's defaults (with Jinja's native types, as Ansible renders them), then planned as the conditional_access role plans them (the rollout stage sets
the state, the emergency-access accounts join every policy's exclusions) and turned into Graph
bodies by ``options_to_graph``. Names are replaced by ids here, as the module resolves them.
"""

import copy
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    AZURE_PORTAL_APP_ID,
    EXCHANGE_ONLINE_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    UNMANAGED_DEVICE,
    evaluate,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    argument_spec,
    options_to_graph,
)

ROOT = Path(__file__).resolve().parents[5]
LEARN = "https://learn.microsoft.com/entra/identity/conditional-access/"
BLOCK_LEGACY = ("Block legacy authentication with Conditional Access", LEARN + "block-legacy-authentication")
APP_PROTECTION = ("Conditional Access: Grant (Require app protection policy)", LEARN + "concept-conditional-access-grant")
SIGN_IN_RISK = ("Conditional Access: Conditions (Sign-in risk)", LEARN + "concept-conditional-access-conditions")
EXCLUSIONS = ("Conditional Access: Users, groups, and workload identities (Exclude users)",
              LEARN + "concept-conditional-access-users-groups")
REPORT_ONLY = ("Analyze Conditional Access policy impact (report-only mode)",
               LEARN + "concept-conditional-access-report-only")

ALICE = "a1111111-0000-4000-8000-000000000001"
BREAK_GLASS = "6a4e1e3c-2f0b-4a57-9d0e-7f1d2c3b4a50"
BREAK_GLASS_GROUP = "11111111-2222-3333-4444-555555555555"
GUARDIAN = "6a4e1e3c-2f0b-4a57-9d0e-7f1d2c3b4a52"
PREFIX = "TG - "
APP_PROTECTION_POLICY = PREFIX + "Mobile: require app protection"
LEGACY_POLICY = PREFIX + "Block legacy authentication"
MFA_POLICY = PREFIX + "MFA for all users"
SIGN_IN_RISK_POLICY = PREFIX + "MFA for medium or high sign-in risk"
USER_RISK_POLICY = PREFIX + "Password change for high user risk"


def _render(value, variables):
    if isinstance(value, str) and "{{" in value:
        return NativeEnvironment().from_string(value).render(**variables)
    if isinstance(value, list):
        return [_render(item, variables) for item in value]
    if isinstance(value, dict):
        return dict((key, _render(item, variables)) for key, item in value.items())
    return value


def _load(path):
    with open(str(ROOT / path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def baseline(rollout=None, emergency_users=(BREAK_GLASS,), emergency_groups=(BREAK_GLASS_GROUP,)):
    """The baseline's Graph policies, with every policy at ``rollout`` (None: the role's defaults)."""
    variables = dict(_load("roles/outlook_mobile/defaults/main.yml"))
    role_vars = _load("roles/outlook_mobile/vars/main.yml")
    if rollout is not None:
        for name in list(variables):
            if name.startswith("outlook_mobile_rollout_"):
                variables[name] = rollout
    variables["outlook_mobile_emergency_access"] = {"users": list(emergency_users), "groups": list(emergency_groups)}
    variables["outlook_mobile_users"] = _render(role_vars["outlook_mobile_users"], variables)
    planned = _render(role_vars["outlook_mobile_baseline_policies"], variables)
    states = _load("roles/conditional_access/vars/main.yml")["conditional_access_states"]
    policies = []
    for number, item in enumerate(planned):
        options = copy.deepcopy(dict((key, value) for key, value in item.items() if key != "rollout"))
        options["policy_state"] = states[item["rollout"]]
        users = options["conditions"]["users"]
        for option, accounts in (("exclude_users", emergency_users), ("exclude_groups", emergency_groups)):
            users[option] = list(users.get(option) or []) + [a for a in accounts if a not in (users.get(option) or [])]
        checked = ArgumentSpecValidator(argument_spec()).validate(options)
        assert not checked.error_messages, checked.error_messages
        body = options_to_graph(checked.validated_parameters, "v1.0")
        body["id"] = "00000000-0000-4000-8000-%012d" % number
        policies.append(body)
    return policies


def phone(**changes):
    """A member on an unregistered iPhone reaching Exchange Online from the internet."""
    result = {"user": {"id": ALICE, "groups": [], "roles": [], "user_type": "member", "external_user_types": []},
              "application": EXCHANGE_ONLINE_APP_ID, "device_platform": "iOS",
              "client_app_type": "mobileAppsAndDesktopClients", "ip_address": "203.0.113.7", "country": "FR",
              "device": UNMANAGED_DEVICE, "sign_in_risk": "none", "user_risk": "none", "authentication_flow": "none"}
    result.update(changes)
    return result


def requirement_of(result, policy_name):
    return next(r for r in result.requirements if r["policy"] == policy_name)


@pytest.fixture(scope="module")
def enforced():
    return baseline("enforced")


def test_the_baseline_is_what_the_role_declares(enforced):
    assert [p["displayName"] for p in enforced] == [APP_PROTECTION_POLICY, LEGACY_POLICY, MFA_POLICY,
                                                    SIGN_IN_RISK_POLICY, USER_RISK_POLICY]
    assert all(p["state"] == "enabled" for p in enforced)
    assert all(p["conditions"]["users"]["excludeUsers"] == [BREAK_GLASS] for p in enforced)


def test_native_ios_mail_over_exchange_activesync_is_blocked(enforced):
    """Cites BLOCK_LEGACY: Exchange ActiveSync is legacy authentication, blocked by the baseline."""
    assert BLOCK_LEGACY[1].startswith("https://learn.microsoft.com/")
    result = evaluate(enforced, phone(client_app_type="exchangeActiveSync"))
    assert result.outcome == "block"
    assert [r.display_name for r in result.blocked_by] == [LEGACY_POLICY]
    assert result.satisfied_by({"mfa", "compliantApplication"}) is False


def test_native_ios_mail_with_modern_authentication_cannot_meet_app_protection(enforced):
    """Cites APP_PROTECTION: only apps under an app protection policy satisfy compliantApplication; the
    native Mail app can perform MFA but not that, so it stays out."""
    result = evaluate(enforced, phone())
    assert result.outcome == "grant"
    assert requirement_of(result, APP_PROTECTION_POLICY)["controls"] == ["compliantApplication"]
    assert result.satisfied_by({"mfa"}) is False


def test_outlook_mobile_with_app_protection_is_granted(enforced):
    """Cites APP_PROTECTION: Outlook mobile under an app protection policy satisfies compliantApplication."""
    result = evaluate(enforced, phone())
    assert sorted(r.display_name for r in result.enforced) == sorted([APP_PROTECTION_POLICY, MFA_POLICY])
    assert [r["controls"] for r in result.requirements] == [["compliantApplication"], ["mfa"]]
    assert result.satisfied_by({"compliantApplication", "mfa"}) is True
    assert result.satisfied_by({"compliantApplication"}) is False
    not_applied = dict((r.display_name, r.reason) for r in result.not_applied)
    assert not_applied == {LEGACY_POLICY: "clientApps", SIGN_IN_RISK_POLICY: "signInRisk",
                           USER_RISK_POLICY: "userRisk"}


def test_a_high_risk_sign_in_requires_mfa(enforced):
    """Cites SIGN_IN_RISK: the sign-in risk policy applies when the risk is one of its levels."""
    laptop = phone(device_platform="windows", client_app_type="browser", sign_in_risk="high")
    result = evaluate(enforced, laptop)
    assert result.outcome == "grant"
    assert requirement_of(result, SIGN_IN_RISK_POLICY)["controls"] == ["mfa"]
    assert result.satisfied_by({"mfa"}) is True
    assert result.satisfied_by(set()) is False
    quiet = evaluate(enforced, dict(laptop, sign_in_risk="low"))
    assert SIGN_IN_RISK_POLICY not in [r.display_name for r in quiet.enforced]


def test_a_high_risk_user_must_change_the_password_after_mfa(enforced):
    """Cites SIGN_IN_RISK (user risk) and the grant rule that password change comes with MFA (AND)."""
    result = evaluate(enforced, phone(device_platform="windows", client_app_type="browser", user_risk="high"))
    assert requirement_of(result, USER_RISK_POLICY)["operator"] == "AND"
    assert result.satisfied_by({"mfa"}) is False
    assert result.satisfied_by({"mfa", "passwordChange"}) is True


@pytest.mark.parametrize("client", ["other", "exchangeActiveSync"])
def test_legacy_authentication_is_blocked_on_any_platform(enforced, client):
    """Cites BLOCK_LEGACY."""
    for platform in ("windows", "macOS", "android"):
        result = evaluate(enforced, phone(device_platform=platform, client_app_type=client))
        assert result.outcome == "block"
        assert [r.display_name for r in result.blocked_by] == [LEGACY_POLICY]


@pytest.mark.parametrize("identity", [
    {"id": BREAK_GLASS, "groups": [], "roles": []},
    {"id": GUARDIAN, "groups": [BREAK_GLASS_GROUP], "roles": []},
])
@pytest.mark.parametrize("application", [AZURE_PORTAL_APP_ID, MICROSOFT_GRAPH_APP_ID, EXCHANGE_ONLINE_APP_ID])
def test_an_emergency_access_account_is_never_blocked(enforced, identity, application):
    """Cites EXCLUSIONS: the exclude action overrides the include action, for the accounts themselves and the
    members of the emergency-access group, from an unmanaged device, whatever the client and the risk."""
    for client in ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"):
        result = evaluate(enforced, phone(user=dict(identity, user_type="member", external_user_types=[]),
                                          application=application, device_platform="windows",
                                          client_app_type=client, sign_in_risk="high", user_risk="high"))
        assert result.outcome == "allow", result.as_dict()
        assert set(r.reason for r in result.not_applied) == {"users"}


def test_the_role_defaults_report_only_until_enforced():
    """Cites REPORT_ONLY: report-only policies are evaluated but not enforced."""
    result = evaluate(baseline(), phone(client_app_type="exchangeActiveSync"))
    assert result.outcome == "allow"
    assert [r.display_name for r in result.report_only] == [LEGACY_POLICY, MFA_POLICY]
    later = evaluate(baseline(), phone(client_app_type="exchangeActiveSync"), report_only_as_enabled=True)
    assert later.outcome == "block"


def test_without_emergency_exclusions_the_break_glass_account_would_be_blocked():
    """The counter-check: the exclusions, not something else, keep the account out."""
    result = evaluate(baseline("enforced", emergency_users=(), emergency_groups=()),
                      phone(user={"id": BREAK_GLASS, "groups": [], "roles": []}, client_app_type="other"))
    assert result.outcome == "block"
