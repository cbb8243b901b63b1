"""Coverage: the matrix of personas, applications, platforms and client app types over the outlook_mobile baseline
(read from the role), with gaps planted on purpose, unused policies and locked-out emergency accounts."""

import copy
from pathlib import Path

import yaml

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access import coverage as coverage_module
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage import (
    NO_APP_PROTECTION,
    NO_MFA_OR_BLOCK,
    Persona,
    coverage,
    default_personas,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import emergency_identity
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import options_to_graph

BASELINE = Path(__file__).resolve().parents[5] / "roles" / "outlook_mobile" / "vars" / "main.yml"
EMERGENCY_GROUP = "947f6ec5-a3eb-5fa1-971d-3c5379fccdce"
SALES = "c9a97bf4-a45e-5316-b3e1-d895087f5d9e"
PREFIX = "{{ outlook_mobile_name_prefix }}"
APP_PROTECTION = "TG - Mobile: require app protection"
LEGACY = "TG - Block legacy authentication"
MFA = "TG - MFA for all users"
MOBILE_O365_APPS = {"Office 365", "Exchange Online", "SharePoint Online", "Microsoft Teams"}


def baseline(state="enabled"):
    """The baseline's policies as the conditional_access role writes them for all users: the role's own items,
    the emergency-access group excluded, every policy in ``state``, converted to Graph bodies."""
    document = yaml.safe_load(BASELINE.read_text())
    policies = []
    for item in document["outlook_mobile_baseline_policies"]:
        item = copy.deepcopy(item)
        assert item["conditions"]["users"] == "{{ outlook_mobile_users }}"
        item.pop("rollout")
        item["display_name"] = item["display_name"].replace(PREFIX, "TG - ")
        item["conditions"]["users"] = {"include_users": ["All"], "exclude_groups": [EMERGENCY_GROUP]}
        item["policy_state"] = state
        body = options_to_graph(item, "v1.0")
        body["id"] = None
        policies.append(body)
    assert {APP_PROTECTION, LEGACY, MFA} <= set(p["displayName"] for p in policies)
    return policies


def without(policies, name):
    kept = [p for p in policies if p["displayName"] != name]
    assert len(kept) == len(policies) - 1
    return kept


EMERGENCY = [emergency_identity("Emergency Access Accounts", "group", EMERGENCY_GROUP)]


def run(policies, **kwargs):
    personas = kwargs.pop("personas", None)
    if personas is None:
        personas = default_personas(policies, {EMERGENCY_GROUP: "Emergency Access Accounts"}, emergency=EMERGENCY)
    return coverage(policies, (), personas, emergency=EMERGENCY, **kwargs)


def test_the_complete_baseline_has_no_gap_no_unused_policy_and_no_locked_out_account():
    result = run(baseline())
    personas = [p["name"] for p in result["dimensions"]["personas"]]
    assert personas == ["all members", "guests", "Emergency Access Accounts"]
    assert result["counts"]["cells"] == 3 * 7 * 5 * 4 == len(result["cells"])
    assert result["gaps"] == []
    assert result["unused_policies"] == []
    assert result["emergency_blocked"] == []
    # What closes them: legacy clients are blocked, mobile Office 365 needs app protection and MFA.
    cell = next(c for c in result["cells"] if c["persona"] == "guests" and c["application"] == "Exchange Online"
                and c["platform"] == "iOS" and c["client_app_type"] == "mobileAppsAndDesktopClients")
    assert cell["outcome"] == "grant"
    assert sorted(c for r in cell["requirements"] for c in r["controls"]) == ["compliantApplication", "mfa"]
    legacy = [c for c in result["cells"] if c["client_app_type"] in ("exchangeActiveSync", "other")
              and not c["emergency"]]
    assert legacy and all(c["outcome"] == "block" for c in legacy)
    # The emergency-access group is excluded everywhere: allowed, and never a gap.
    assert all(c["outcome"] == "allow" and c["gap"] is None for c in result["cells"] if c["emergency"])


def test_without_the_app_protection_policy_mobile_office_cells_are_gaps():
    result = run(without(baseline(), APP_PROTECTION))
    gaps = result["gaps"]
    assert set(c["gap"] for c in gaps) == {NO_APP_PROTECTION}
    assert set(c["application"] for c in gaps) == MOBILE_O365_APPS
    assert set(c["platform"] for c in gaps) == {"iOS", "android"}
    assert set(c["client_app_type"] for c in gaps) == {"browser", "mobileAppsAndDesktopClients"}
    assert set(c["persona"] for c in gaps) == {"all members", "guests"}
    assert result["counts"][NO_APP_PROTECTION] == len(gaps) == 4 * 2 * 2 * 2


def test_without_mfa_for_all_users_every_modern_sign_in_is_a_gap():
    result = run(without(baseline(), MFA))
    kinds = set((c["client_app_type"], c["gap"]) for c in result["cells"] if not c["emergency"])
    assert ("exchangeActiveSync", None) in kinds and ("other", None) in kinds  # still blocked
    assert all(c["gap"] == NO_MFA_OR_BLOCK for c in result["cells"]
               if not c["emergency"] and c["client_app_type"] in ("browser", "mobileAppsAndDesktopClients"))
    # App protection alone on a phone is no MFA.
    phone = next(c for c in result["cells"] if c["application"] == "Exchange Online" and c["platform"] == "iOS"
                 and c["client_app_type"] == "browser" and c["persona"] == "all members")
    assert phone["requirements"][0]["controls"] == ["compliantApplication"] and phone["gap"] == NO_MFA_OR_BLOCK


def test_without_the_legacy_block_legacy_clients_still_meet_mfa_which_they_cannot_do():
    result = run(without(baseline(), LEGACY))
    legacy = [c for c in result["cells"] if c["client_app_type"] == "exchangeActiveSync" and not c["emergency"]]
    assert all(c["outcome"] == "grant" and c["gap"] is None for c in legacy)


def test_mfa_or_a_weaker_control_is_a_gap():
    policies = baseline()
    mfa = next(p for p in policies if p["displayName"] == MFA)
    mfa["grantControls"] = {"operator": "OR", "builtInControls": ["mfa", "compliantApplication"]}
    result = run(policies)
    gaps = result["gaps"]
    assert gaps and all(c["gap"] == NO_MFA_OR_BLOCK for c in gaps)
    assert all(c["platform"] in ("iOS", "android") or c["client_app_type"] in ("browser", "mobileAppsAndDesktopClients")
               for c in gaps)


def test_report_only_changes_nothing_unless_counted_as_enforced():
    staged = baseline("enabledForReportingButNotEnforced")
    today = run(staged)
    regular = [c for c in today["cells"] if not c["emergency"]]
    assert all(c["outcome"] == "allow" and c["gap"] == NO_MFA_OR_BLOCK for c in regular)
    assert all(c["report_only"] for c in regular)
    assert today["unused_policies"] == []
    enforced = run(staged, report_only_as_enforced=True)
    assert enforced["gaps"] == [] and enforced["report_only_as_enforced"] is True


def test_policies_that_apply_to_no_cell_are_listed_with_the_reason():
    policies = baseline()
    phone = copy.deepcopy(policies[0])
    phone["displayName"] = "Windows Phone only"
    phone["conditions"]["platforms"] = {"includePlatforms": ["windowsPhone"]}
    nobody = copy.deepcopy(policies[2])
    nobody["displayName"] = "Sales only"
    nobody["conditions"]["users"] = {"includeGroups": [SALES]}
    off = copy.deepcopy(policies[2])
    off["displayName"] = "Off"
    off["state"] = "disabled"
    personas = [Persona("all members", {"id": None, "groups": [], "roles": [], "user_type": "member"})]
    result = run(policies + [phone, nobody, off], personas=personas)
    unused = dict((u["display_name"], u) for u in result["unused_policies"])
    assert sorted(unused) == ["Sales only", "Windows Phone only"]
    assert unused["Windows Phone only"]["reason"] == "devicePlatform"
    assert unused["Sales only"]["reason"] == "users"
    assert unused["Sales only"]["detail"]
    # The risk policies apply to no risk-free cell, but are not unused: they apply once the risk is there.
    assert not any("risk" in name for name in unused)
    # By default, a member of each group the policies name is a persona: then the Sales policy applies.
    result = run(policies + [nobody])
    assert "member of %s" % SALES in [p["name"] for p in result["dimensions"]["personas"]]
    assert result["unused_policies"] == []


def test_an_emergency_account_the_policies_lock_out_is_listed():
    policies = baseline()
    compliant = copy.deepcopy(next(p for p in policies if p["displayName"] == MFA))
    compliant["displayName"] = "Compliant devices everywhere"
    compliant["conditions"]["users"] = {"includeUsers": ["All"]}
    compliant["grantControls"] = {"operator": "OR", "builtInControls": ["compliantDevice"]}
    result = run(policies + [compliant])
    blocked = result["emergency_blocked"]
    assert [(b["account"], b["policy"]) for b in blocked] == [("Emergency Access Accounts", "Compliant devices everywhere")]
    assert "a compliant device" in blocked[0]["detail"]
    # Emergency cells still carry no gap: the check for them is emergency_blocked.
    assert all(c["gap"] is None for c in result["cells"] if c["emergency"])


def test_a_persona_of_a_real_user_and_a_guest():
    policies = baseline()
    guest_block = copy.deepcopy(policies[2])
    guest_block["displayName"] = "Block guests from the Azure portal"
    guest_block["conditions"]["users"] = {"includeUsers": ["GuestsOrExternalUsers"]}
    guest_block["conditions"]["applications"] = {"includeApplications": [coverage_module.AZURE_PORTAL_APP_ID]}
    guest_block["grantControls"] = {"operator": "OR", "builtInControls": ["block"]}
    result = run(policies + [guest_block])
    portal = [c for c in result["cells"] if c["application"] == "Azure portal" and not c["emergency"]]
    assert all((c["outcome"] == "block") == (c["persona"] == "guests" or c["client_app_type"] in
                                             ("exchangeActiveSync", "other")) for c in portal)


def test_a_persona_per_group_each_reached_by_its_own_policy():
    """Ten group-scoped policies: every group is a persona, and each persona meets its group's policy alone."""
    policies = baseline()
    template = next(p for p in policies if p["displayName"] == MFA)
    groups = ["0000%04d-0000-4000-8000-000000000000" % index for index in range(10)]
    for index, group in enumerate(groups):
        extra = copy.deepcopy(template)
        extra["displayName"] = "Group policy %02d" % index
        extra["conditions"]["users"] = {"includeGroups": [group]}
        extra["grantControls"] = {"operator": "OR", "builtInControls": ["compliantDevice"]}
        policies.append(extra)
    result = run(policies)
    assert result["counts"]["cells"] == (len(groups) + 3) * 7 * 5 * 4
    assert result["gaps"] == [] and result["unused_policies"] == []
    for index, group in enumerate(groups):
        cells = [c for c in result["cells"] if c["persona"] == "member of %s" % group
                 and c["client_app_type"] == "browser"]
        assert cells and all("Group policy %02d" % index in c["enforced"] for c in cells)
        assert not any("Group policy %02d" % other in c["enforced"] for c in cells for other in range(10)
                       if other != index)
