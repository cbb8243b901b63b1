"""conditional_access_policy refuses, before any write: bad input (each message names the option and the
value), lockout risks without emergency-access exclusions, and the retired approvedApplication grant."""
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    BREAKGLASS_ID,
    EMERGENCY_GROUP_ID,
    PILOT_GROUP_ID,
    TWIN_GROUP_IDS,
    module_runner,
    tenant_seed,
    writes,
)

SP_OBJECT_ID = "5e5e5e5e-0000-4000-8000-000000000001"


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    seed = tenant_seed()
    seed["servicePrincipals"].append({"id": SP_OBJECT_ID, "appId": "5e5e5e5e-0000-4000-8000-0000000000aa",
                                      "displayName": "Contoso Travel"})
    with running_sandbox(str(tmp_path_factory.mktemp("ca-guards")), seed=seed) as sb:
        yield sb


@pytest.fixture
def run(run_module):
    def execute(args, check=False, diff=False):
        return run_module(conditional_access_policy.main, args, check=check, diff=diff)
    return execute


def unique(prefix="TG guard"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def policy(**overrides):
    """A valid policy for a pilot group; ``overrides`` are dotted option paths."""
    args = {
        "display_name": unique(),
        "conditions": {
            "users": {"include_groups": ["Mobile Pilot"]},
            "applications": {"include_applications": ["Office365"]},
            "client_app_types": ["all"],
        },
        "grant_controls": {"operator": "OR", "built_in_controls": ["mfa"]},
    }
    for path, value in overrides.items():
        node = args
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return args


BAD_INPUTS = [
    ("unknown group", policy(**{"conditions.users.include_groups": ["Mobile Pilto"]}),
     "conditions.users.include_groups", "Mobile Pilto", "Mobile Pilot"),
    ("ambiguous group", policy(**{"conditions.users.include_groups": ["Sales"]}),
     "conditions.users.include_groups", "Sales", TWIN_GROUP_IDS[1]),
    ("unknown user", policy(**{"conditions.users.include_users": ["nobody@contoso.onmicrosoft.com"]}),
     "conditions.users.include_users", "nobody@contoso.onmicrosoft.com", None),
    ("unknown excluded user", policy(**{"conditions.users.exclude_users": ["breakglas1@contoso.onmicrosoft.com"]}),
     "conditions.users.exclude_users", "breakglas1@contoso.onmicrosoft.com", "breakglass1@contoso.onmicrosoft.com"),
    ("group id among users", policy(**{"conditions.users.include_users": [PILOT_GROUP_ID]}),
     "conditions.users.include_users", PILOT_GROUP_ID, "group"),
    ("unknown role", policy(**{"conditions.users.include_roles": ["Global Admin"]}),
     "conditions.users.include_roles", "Global Admin", "Global Administrator"),
    ("unknown application", policy(**{"conditions.applications.include_applications": ["Exchange Onlin"]}),
     "conditions.applications.include_applications", "Exchange Onlin", "Exchange Online"),
    ("service principal object id as app id", policy(**{"conditions.applications.include_applications": [SP_OBJECT_ID]}),
     "conditions.applications.include_applications", SP_OBJECT_ID, "5e5e5e5e-0000-4000-8000-0000000000aa"),
    ("unknown named location", dict(policy(**{"conditions.locations.include_locations": ["Nowhere office"]}),
                                    reference_timeout=0),
     "conditions.locations.include_locations", "Nowhere office", None),
    ("unknown authentication strength", dict(policy(**{"grant_controls.authentication_strength": "Phishing resistant"}),
                                             reference_timeout=0),
     "grant_controls.authentication_strength", "Phishing resistant", "Phishing resistant MFA"),
    ("bad client app type", policy(**{"conditions.client_app_types": ["outlook"]}),
     "conditions.client_app_types", "outlook", "mobileAppsAndDesktopClients"),
    ("bad platform", policy(**{"conditions.platforms.include_platforms": ["blackberry"]}),
     "conditions.platforms.include_platforms", "blackberry", "iOS"),
    ("bad policy state", policy(policy_state="on"), "policy_state", "on", "enabledForReportingButNotEnforced"),
    ("bad operator", policy(**{"grant_controls.operator": "XOR"}), "grant_controls.operator", "XOR", "AND"),
    ("bad grant control", policy(**{"grant_controls.built_in_controls": ["mfa", "faceScan"]}),
     "grant_controls.built_in_controls", "faceScan", "compliantApplication"),
    ("approvedApplication", policy(**{"grant_controls.built_in_controls": ["approvedApplication"]}),
     "grant_controls.built_in_controls", "approvedApplication", "compliantApplication"),
    ("bad sign-in risk level", policy(**{"conditions.sign_in_risk_levels": ["severe"]}),
     "conditions.sign_in_risk_levels", "severe", "medium"),
    ("bad insider risk flag", policy(**{"conditions.insider_risk_levels": "elevated,extreme"}),
     "conditions.insider_risk_levels", "extreme", "elevated"),
    ("beta-only option with v1.0", policy(**{"conditions.agent_id_risk_levels": "high"}),
     "conditions.agent_id_risk_levels", "high", "api_version beta"),
    ("sign-in frequency without type", policy(**{"session_controls.sign_in_frequency": {"value": 4, "is_enabled": True}}),
     "session_controls.sign_in_frequency.type", "value", "days or hours"),
    ("sign-in frequency of zero hours", policy(**{"session_controls.sign_in_frequency": {
        "value": 0, "type": "hours", "is_enabled": True}}), "session_controls.sign_in_frequency.value", "0", "from 1"),
    ("sign-in frequency every time with a value", policy(**{"session_controls.sign_in_frequency": {
        "frequency_interval": "everyTime", "value": 4, "type": "hours", "is_enabled": True}}),
     "session_controls.sign_in_frequency.value", "4", "no value"),
    ("bad sign-in frequency unit", policy(**{"session_controls.sign_in_frequency": {
        "value": 4, "type": "weeks", "is_enabled": True}}), "session_controls.sign_in_frequency.type", "weeks", "days"),
    ("bad persistent browser mode", policy(**{"session_controls.persistent_browser": {
        "mode": "sometimes", "is_enabled": True}}),
     "session_controls.persistent_browser.mode", "sometimes", "never"),
    ("bad authentication context", policy(**{"conditions.applications": {
        "include_authentication_context_class_references": ["context1"]}}),
     "conditions.applications.include_authentication_context_class_references", "context1", "c1"),
    ("bad user action", policy(**{"conditions.applications": {"include_user_actions": ["register"]}}),
     "conditions.applications.include_user_actions", "register", "urn:user:registersecurityinfo"),
    ("terms of use by name", policy(**{"grant_controls.terms_of_use": ["Our terms"]}),
     "grant_controls.terms_of_use", "Our terms", "GUID"),
    ("password change without mfa", policy(**{"grant_controls.built_in_controls": ["passwordChange"],
                                              "grant_controls.operator": "AND",
                                              "conditions.user_risk_levels": ["high"],
                                              "conditions.applications.include_applications": ["All"]}),
     "grant_controls.built_in_controls", "passwordChange", "mfa"),
    ("applications and user actions together", policy(**{
        "conditions.applications.include_user_actions": ["urn:user:registersecurityinfo"]}),
     "conditions.applications", "include_user_actions", "1012"),
    ("device filter without rule", policy(**{"conditions.devices": {"device_filter": {"mode": "include"}}}),
     "conditions.devices.device_filter.rule", "rule", "device.isCompliant"),
    ("external tenants without members", policy(**{"conditions.users.include_guests_or_external_users": {
        "guest_or_external_user_types": "b2bCollaborationGuest",
        "external_tenants": {"membership_kind": "enumerated"}}}),
     "conditions.users.include_guests_or_external_users.external_tenants.members", "enumerated", "tenant ids"),
    ("policy id that is no GUID", dict(policy(), id="my-policy"), "id", "my-policy", "GUID"),
    ("unknown template", {"template": "Block legacy auth", "display_name": unique()}, "template",
     "Block legacy auth", "Block legacy authentication"),
    ("unknown emergency-access user", dict(policy(), emergency_access={"users": ["nobody@contoso.onmicrosoft.com"]}),
     "emergency_access.users", "nobody@contoso.onmicrosoft.com", None),
    ("dangling emergency-access group", dict(policy(), emergency_access={"groups": ["0d0d0d0d-0000-4000-8000-000000000000"]}),
     "emergency_access.groups", "0d0d0d0d-0000-4000-8000-000000000000", "must exist"),
    ("policy without applications", {"display_name": unique(), "conditions": {"users": {"include_users": ["All"]}},
                                     "grant_controls": {"built_in_controls": ["mfa"]}},
     "conditions.applications", "required", "include_applications"),
    ("set mode item with an unknown option", {"conditional_access_policies": [dict(policy(), colour="blue")]},
     "conditional_access_policies[0]", "colour", None),
    ("set mode item with an unknown group", {"conditional_access_policies": [
        policy(), policy(**{"conditions.users.exclude_groups": ["Nobody group"]})]},
     "conditional_access_policies[1].conditions.users.exclude_groups", "Nobody group", None),
]


@pytest.mark.parametrize("args,field,value,hint", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_naming_field_and_value_and_writes_nothing(run, graph_sandbox, args, field, value, hint):
    since = len(graph_sandbox.requests())
    result, code = run(args)
    assert code == 1, result
    message = result["msg"]
    assert field in message, message
    assert value in message, message
    if hint:
        assert hint in message, message
    assert writes(graph_sandbox, since) == []


def test_there_are_at_least_25_bad_inputs():
    assert len(BAD_INPUTS) >= 25


def test_id_and_display_name_of_two_different_policies(run, graph_sandbox):
    first, code = run(policy())
    assert code == 0, first
    second, code = run(policy())
    assert code == 0, second
    since = len(graph_sandbox.requests())
    result, code = run(policy(id=first["conditional_access_policy"]["id"],
                              display_name=second["conditional_access_policy"]["displayName"]))
    assert code == 1
    assert "id" in result["msg"] and first["conditional_access_policy"]["id"] in result["msg"]
    assert second["conditional_access_policy"]["id"] in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_two_policies_with_the_name_are_an_error_listing_both(run, graph_sandbox):
    name = unique()
    client = graph_sandbox.session()
    token = graph_sandbox.token()
    ids = []
    for _index in range(2):
        body = {"displayName": name, "state": "disabled", "conditions": {
            "users": {"includeGroups": [PILOT_GROUP_ID]}, "applications": {"includeApplications": ["All"]}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}
        ids.append(client.post(graph_sandbox.base_url + "/v1.0/identity/conditionalAccess/policies", json=body,
                               headers={"Authorization": "Bearer " + token}).json()["id"])
    since = len(graph_sandbox.requests())
    result, code = run(policy(display_name=name))
    assert code == 1
    assert ids[0] in result["msg"] and ids[1] in result["msg"] and "display_name" in result["msg"]
    assert writes(graph_sandbox, since) == []


# -- lockout guard -----------------------------------------------------------------------------------

def block_all(**extra):
    args = policy(**{"conditions.users": {"include_users": ["All"]},
                     "grant_controls": {"built_in_controls": ["block"]}})
    args["policy_state"] = "enabled"
    args.update(extra)
    return args


def test_enforced_block_for_all_users_without_emergency_access_is_refused(run, graph_sandbox):
    since = len(graph_sandbox.requests())
    args = block_all()
    result, code = run(args)
    assert code == 1
    assert args["display_name"] in result["msg"]
    assert "all users" in result["msg"] and "emergency_access" in result["msg"]
    assert "acknowledge_lockout_risk" in result["msg"] and "enabledForReportingButNotEnforced" in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_emergency_access_must_be_excluded(run, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run(block_all(emergency_access={"groups": ["Emergency Access"],
                                                   "users": ["breakglass1@contoso.onmicrosoft.com"]}))
    assert code == 1
    assert "does not exclude" in result["msg"]
    assert "Emergency Access" in result["msg"] and "breakglass1@contoso.onmicrosoft.com" in result["msg"]
    assert writes(graph_sandbox, since) == []

    args = block_all(emergency_access={"groups": ["Emergency Access"], "users": [BREAKGLASS_ID]})
    args["conditions"]["users"]["exclude_groups"] = [EMERGENCY_GROUP_ID]
    args["conditions"]["users"]["exclude_users"] = ["breakglass1@contoso.onmicrosoft.com"]
    result, code = run(args)
    assert code == 0, result
    assert result["conditional_access_policy"]["state"] == "enabled"


def test_role_targeted_mfa_is_guarded_too(run, graph_sandbox):
    args = policy(**{"conditions.users": {"include_roles": ["Global Administrator", "Exchange Administrator"]}})
    args["policy_state"] = "enabled"
    since = len(graph_sandbox.requests())
    result, code = run(args)
    assert code == 1
    assert "directory roles" in result["msg"] and "Global Administrator" in result["msg"]
    assert writes(graph_sandbox, since) == []

    args["emergency_access"] = {"users": ["breakglass1@contoso.onmicrosoft.com"]}
    result, code = run(args)
    assert code == 1 and "does not exclude" in result["msg"]
    assert writes(graph_sandbox, since) == []

    args["conditions"]["users"]["exclude_users"] = ["breakglass1@contoso.onmicrosoft.com"]
    result, code = run(args)
    assert code == 0, result


def test_report_only_and_acknowledged_policies_pass(run):
    args = block_all()
    args["policy_state"] = "enabledForReportingButNotEnforced"
    result, code = run(args)
    assert code == 0, result
    result, code = run(block_all(acknowledge_lockout_risk=True))
    assert code == 0, result
    assert result["conditional_access_policy"]["state"] == "enabled"


def test_enabling_an_existing_policy_is_guarded_before_the_patch(run, graph_sandbox):
    args = block_all()
    args["policy_state"] = "enabledForReportingButNotEnforced"
    result, code = run(args)
    assert code == 0, result
    since = len(graph_sandbox.requests())
    result, code = run({"display_name": args["display_name"], "policy_state": "enabled"})
    assert code == 1 and "emergency_access" in result["msg"]
    assert writes(graph_sandbox, since) == []


def test_set_mode_refuses_everything_before_writing_anything(run, graph_sandbox):
    since = len(graph_sandbox.requests())
    result, code = run({"conditional_access_policies": [policy(), block_all()]})
    assert code == 1 and "conditional_access_policies[1]" in result["msg"]
    assert writes(graph_sandbox, since) == []


# -- the retired grant --------------------------------------------------------------------------------

def legacy_policy(graph_sandbox, name):
    """A policy that still requires the approved client app, as tenants have them since before 2026-06-30."""
    policy_id = str(uuid.uuid4())
    graph_sandbox.seed({"conditionalAccessPolicies": [{
        "id": policy_id, "displayName": name, "state": "enabled",
        "conditions": {"users": {"includeGroups": [PILOT_GROUP_ID], "excludeUsers": [BREAKGLASS_ID]},
                       "applications": {"includeApplications": ["Office365"]},
                       "platforms": {"includePlatforms": ["android", "iOS"]}, "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["approvedApplication", "compliantApplication"]}}]})
    return policy_id


def test_changing_a_policy_with_the_retired_grant_is_refused_but_disabling_is_not(run, graph_sandbox):
    name = unique("Legacy")
    legacy_policy(graph_sandbox, name)
    since = len(graph_sandbox.requests())
    result, code = run({"display_name": name, "conditions": {"users": {"include_groups": ["Mobile Pilot", "Sales"]}}})
    assert code == 1
    # "Sales" is ambiguous; with an id it is not, and then the retired grant is what stops the change.
    result, code = run({"display_name": name, "conditions": {"users": {"include_groups": ["Mobile Pilot",
                                                                                          TWIN_GROUP_IDS[0]]}}})
    assert code == 1
    assert "read-only" in result["msg"] and "compliantApplication" in result["msg"]
    assert "migrate-approved-client-app" in result["msg"]
    assert writes(graph_sandbox, since) == []
    # Left as it is, it is not refused (nothing is written) but the task warns.
    result, code = run({"display_name": name})
    assert code == 0 and result["changed"] is False
    assert any("approvedApplication" in w for w in result.get("warnings", []))
    result, code = run({"display_name": name, "policy_state": "disabled"})
    assert code == 0, result
    assert [w[0] for w in writes(graph_sandbox, since)] == ["PATCH"]


def test_migration_check_mode_then_apply_then_unchanged(run, graph_sandbox):
    name = unique("Legacy")
    old_id = legacy_policy(graph_sandbox, name)
    args = {"display_name": name, "migrate_approved_application": {}}
    since = len(graph_sandbox.requests())
    preview, code = run(args, check=True, diff=True)
    assert code == 0, preview
    assert preview["changed"] is True
    assert [(a["action"], a["display_name"]) for a in preview["actions"]] == [
        ("created", name + " (app protection)"), ("updated", name)]
    assert preview["replacement"]["grantControls"]["builtInControls"] == ["compliantApplication"]
    assert preview["replacement"]["state"] == "enabledForReportingButNotEnforced"
    assert preview["diff"]["after"][name]["state"] == "disabled"
    assert writes(graph_sandbox, since) == []

    done, code = run(args)
    assert code == 0, done
    assert [w[:1] for w in writes(graph_sandbox, since)] == [("POST",), ("PATCH",)]
    assert done["conditional_access_policy"]["id"] == old_id and done["conditional_access_policy"]["state"] == "disabled"
    replacement = done["replacement"]
    assert replacement["id"] and replacement["conditions"]["users"]["includeGroups"] == [PILOT_GROUP_ID]
    assert any("report-only" in str(w) for w in done.get("warnings", [])), done

    since = len(graph_sandbox.requests())
    again, code = run(args)
    assert code == 0 and again["changed"] is False
    assert writes(graph_sandbox, since) == []


def test_migration_can_leave_the_old_policy_enforcing(run, graph_sandbox):
    name = unique("Legacy")
    legacy_policy(graph_sandbox, name)
    since = len(graph_sandbox.requests())
    done, code = run({"display_name": name, "migrate_approved_application": {
        "replacement_display_name": name + " v2", "old_policy_state": "unchanged"}})
    assert code == 0, done
    assert [w[0] for w in writes(graph_sandbox, since)] == ["POST"]
    assert done["conditional_access_policy"]["state"] == "enabled"
    assert done["replacement"]["displayName"] == name + " v2"
