"""One evaluation, many consumers: the lockout pre-flight, the coverage matrix and the what-if agree
with the evaluation engine (``_conditional_access.evaluation.evaluate``) for every generated tenant and policy set.

Each property runs a module's ``main()`` (argument checking included) with a Graph client over a
generated tenant (``ca_fake_graph``): paged reads are one-shot generators, memberships come as
``transitiveMemberOf`` gives them. The expected answer is computed here from the generated tenant
alone (who belongs to which group, nested; who holds which role; which addresses and countries lie
outside every named location) and the engine, never from what the module read or built.

The number of examples is set by the Hypothesis profile (``ca_strategies``): ``ci`` by default,
``HYPOTHESIS_PROFILE=long`` for a long run (``make test-properties``). A failure prints the
shrunk case.
"""
import ipaddress
import re

from hypothesis import event, given, note, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import UNMANAGED_DEVICE, evaluate
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import role_name
from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_coverage_info
from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_whatif
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils import ca_strategies as strategies
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils.ca_fake_graph import FakeGraph, Tenant
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils.ca_module_runner import run_module

# What an emergency-access account can satisfy from an unmanaged PC: MFA (any authentication
# strength), terms of use, a password change, risk remediation; no device or app requirement.
EMERGENCY_CAN = ("mfa", "authenticationStrength", "termsOfUse", "passwordChange", "riskRemediation")
EMERGENCY_APPS = (strategies.AZURE_PORTAL, strategies.MICROSOFT_GRAPH)
EMERGENCY_CLIENTS = ("browser", "mobileAppsAndDesktopClients")
# Addresses and countries, one of which lies outside every generated named location.
ADDRESS_CANDIDATES = ("8.8.4.4", "203.0.113.77", "2a00:1450::1")
COUNTRY_CANDIDATES = ("JP", "BR", "CA")
LOCKOUT_PATTERN = r"conditional access policy '([^']+)' .*?the emergency-access (?:user|group) (.+?) (?:could|cannot) "


# ---------------------------------------------------------------------------------------------
# The expected answers, from the generated tenant


def outside(case):
    ranges = [ipaddress.ip_network(r["cidrAddress"]) for loc in case.named_locations for r in loc.get("ipRanges") or ()]
    countries = set(c for loc in case.named_locations for c in loc.get("countriesAndRegions") or ())
    address = next(a for a in ADDRESS_CANDIDATES
                   if not any(ipaddress.ip_address(a) in r for r in ranges if r.version == ipaddress.ip_address(a).version))
    return {"ip_address": address, "country": next(c for c in COUNTRY_CANDIDATES if c not in countries)}


def user_of(tenant, object_id, guest=None):
    """The engine's sign-in user for a tenant user, from the tenant: transitive groups, roles."""
    groups = tenant.parents(object_id)
    record = tenant.user(object_id)
    guest = (record or {}).get("userType") == "Guest" if guest is None else guest
    user = {"id": object_id, "groups": [g.lower() for g in groups], "roles": tenant.roles_of(object_id, groups),
            "user_type": "guest" if guest else "member"}
    if guest:
        user["external_user_types"] = ["b2bCollaborationGuest"]
    return user


def emergency_accounts(case, tenant):
    """``{label: sign-in user}`` of every emergency-access account: each user given; each group as any
    member of it (a member no policy names by id) and as each of its user members, nested included.
    Every one holds Global Administrator, as such accounts do."""
    accounts = {}

    def admin(user):
        user = dict(user, user_type="member")
        user.pop("external_user_types", None)
        if strategies.GLOBAL_ADMINISTRATOR not in user["roles"]:
            user["roles"] = list(user["roles"]) + [strategies.GLOBAL_ADMINISTRATOR]
        return user

    seen = set(case.emergency["users"])
    for object_id in case.emergency["users"]:
        accounts[tenant.user(object_id)["userPrincipalName"]] = admin(user_of(tenant, object_id))
    for group in case.emergency["groups"]:
        name = tenant.group(group)["displayName"]
        accounts[name] = admin({"id": None, "groups": [group] + tenant.parents(group), "roles": []})
        for member in members_of(tenant, group):
            if member in seen:
                continue  # given as a user, or a member of a group named earlier
            seen.add(member)
            label = "%s (member of %s)" % (tenant.user(member)["userPrincipalName"], name)
            accounts[label] = admin(user_of(tenant, member))
    return accounts


def members_of(tenant, group):
    found, pending = [], [group]
    while pending:
        current = tenant.group(pending.pop())
        for member in current.get("members", ()):
            if tenant.group(member) is not None:
                pending.append(member)
            elif member not in found:
                found.append(member)
    return found


def expected_lockouts(policies, accounts, case):
    """``{(policy name, account label)}``: an enforced policy that blocks the account, or asks what
    it cannot satisfy, on the Azure portal or Microsoft Graph from an unmanaged Windows PC outside
    every named location."""
    found = set()
    location = outside(case)
    for label, user in accounts.items():
        for application in EMERGENCY_APPS:
            for client in EMERGENCY_CLIENTS:
                sign_in = dict(location, user=user, application=application, device_platform="windows",
                               client_app_type=client, device=dict(UNMANAGED_DEVICE))
                for policy in policies:
                    if policy.get("state") != "enabled":
                        continue
                    evaluation = evaluate([policy], sign_in, case.named_locations)
                    if evaluation.enforced and not evaluation.satisfied_by(EMERGENCY_CAN):
                        found.add((policy["displayName"], label))
    return found


def found_lockouts(messages):
    return set(m.groups() for text in messages for m in [re.search(LOCKOUT_PATTERN, text)] if m)


def describe(case):
    note(repr(case))


# ---------------------------------------------------------------------------------------------
# The lockout pre-flight


@strategies.examples(80)
@given(strategies.cases())
def test_preflight_refuses_exactly_the_lockouts_the_engine_finds(case):
    """conditional_access_policy in check mode: the pre-flight names each (declared enforced policy,
    emergency account) the engine finds locked out, warns about each caused by a policy the tenant
    already has, and passes otherwise."""
    describe(case)
    tenant = Tenant(**case.tenant_kwargs())
    graph = FakeGraph(tenant)
    items = [dict(item, state="present") for item in case.declared]
    result, code = run_module(conditional_access_policy.main, {
        "conditional_access_policies": items, "emergency_access": case.emergency,
        # The property is the lockout pre-flight: the guards on emergency accounts without enabled members and on
        # enforced policies for empty groups (generated tenants have both) are tested on their own.
        "acknowledge_unusable_emergency_access": True, "acknowledge_empty_groups": True}, graph, check=True)
    assert graph.writes == []
    accounts = emergency_accounts(case, tenant)
    declared = case.declared_bodies()
    refused = expected_lockouts(declared, accounts, case)
    warned = expected_lockouts(case.live, accounts, case)
    problems = (result.get("error") or {}).get("problems") or ([result["msg"]] if code else [])
    guard = [p for p in problems if "does not exclude the emergency-access" in p]
    preflight = [p for p in problems if p.startswith("Lockout pre-flight")]
    assert len(guard) + len(preflight) == len(problems), problems
    if guard:
        # The per-policy lockout guard refused first (an enforced policy for all users or roles that
        # does not exclude an emergency account): the pre-flight was not reached.
        event("refused by the exclusion guard")
        assert code == 1
        return
    event("pre-flight refused" if refused else "pre-flight passed")
    assert found_lockouts(preflight) == refused
    assert (code == 1) == bool(refused), result.get("msg")
    if not refused and any(item.get("policy_state") == "enabled" for item in items):
        # The pre-flight runs when the task creates or changes an enforced policy; a lockout that a
        # policy the task leaves alone causes is a warning.
        assert found_lockouts(w for w in result["warnings"] if w.startswith("Lockout pre-flight")) == warned


# ---------------------------------------------------------------------------------------------
# The coverage matrix


def personas_of(case, tenant):
    """``{persona name: sign-in user}`` of the default personas, from the tenant: a member of each
    group (and so of every group that holds it), a holder of each role, a member of nothing, a guest
    and the emergency-access accounts."""
    personas = {}
    for group in tenant.groups:
        personas["member of %s" % group["displayName"]] = {
            "id": None, "groups": [group["id"]] + tenant.parents(group["id"]), "roles": [], "user_type": "member"}
    for role in strategies.ROLES:
        personas["holder of %s" % role_name(role)] = {"id": None, "groups": [], "roles": [role], "user_type": "member"}
    personas["all members"] = {"id": None, "groups": [], "roles": [], "user_type": "member"}
    personas["guests"] = {"id": None, "groups": [], "roles": [], "user_type": "guest",
                          "external_user_types": ["b2bCollaborationGuest"]}
    personas.update(emergency_accounts(case, tenant))
    return personas


def enforced_as(policies, report_only_as_enforced):
    out = []
    for policy in policies:
        policy = dict(policy)
        if report_only_as_enforced and policy.get("state") == "enabledForReportingButNotEnforced":
            policy["state"] = "enabled"
        out.append(policy)
    return out


@strategies.examples(30)
@given(strategies.cases(max_declared=0), st.booleans(), strategies.subset(strategies.PLATFORMS, 1, 2),
       strategies.subset(strategies.CLIENT_APP_TYPES, 1, 3))
def test_coverage_matrix_agrees_with_the_engine_cell_by_cell(case, report_only_as_enforced, platforms, clients):
    """conditional_access_coverage_info over the tenant's policies: every cell (persona, application,
    platform, client) has the outcome, requirements and applying policies the engine gives for that
    sign-in from outside every named location, and emergency_blocked lists exactly the lockouts."""
    describe(case)
    tenant = Tenant(**case.tenant_kwargs())
    result, code = run_module(conditional_access_coverage_info.main, {
        "emergency_access": case.emergency, "report_only_as_enforced": report_only_as_enforced,
        "platforms": platforms, "client_app_types": clients}, FakeGraph(tenant))
    assert code == 0, result.get("msg")
    matrix = result["coverage"]
    personas = personas_of(case, tenant)
    applications = dict((a["name"], a["id"]) for a in matrix["dimensions"]["applications"])
    location = outside(case)
    assert matrix["cells"], "no cell was evaluated"
    for cell in matrix["cells"]:
        sign_in = dict(location, user=personas[cell["persona"]], application=applications[cell["application"]],
                       device_platform=cell["platform"], client_app_type=cell["client_app_type"])
        evaluation = evaluate(case.live, sign_in, case.named_locations, report_only_as_enabled=report_only_as_enforced)
        assert (cell["outcome"], cell["requirements"], cell["enforced"], cell["report_only"]) == (
            evaluation.outcome, evaluation.requirements, [r.display_name for r in evaluation.enforced],
            [r.display_name for r in evaluation.report_only]), cell
    lockouts = expected_lockouts(enforced_as(case.live, report_only_as_enforced), emergency_accounts(case, tenant), case)
    event("emergency accounts blocked" if lockouts else "no emergency account blocked")
    assert set((b["policy"], b["account"]) for b in matrix["emergency_blocked"]) == lockouts


# ---------------------------------------------------------------------------------------------
# What if

APPLICATIONS = {"Exchange Online": strategies.EXCHANGE_ONLINE, "Azure portal": strategies.AZURE_PORTAL,
                "Microsoft Graph": strategies.MICROSOFT_GRAPH, "SharePoint Online": strategies.SHAREPOINT_ONLINE,
                "Office365": strategies.EXCHANGE_ONLINE}
EVERY_CONTROL = ("mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
                 "passwordChange", "riskRemediation", "authenticationStrength", "termsOfUse")
DEVICES = ("unmanaged", {"isCompliant": True, "trustType": "AzureAD"}, {"trustType": "ServerAD", "operatingSystem": "Windows"})


@st.composite
def scenarios(draw, case):
    out = []
    for index in range(draw(st.integers(1, 4))):
        scenario = {"name": "scenario %d" % index, "application": draw(st.sampled_from(sorted(APPLICATIONS))),
                    "platform": draw(st.sampled_from(strategies.PLATFORMS)),
                    "client_app": draw(st.sampled_from(strategies.CLIENT_APP_TYPES))}
        if draw(st.booleans()):
            scenario["user"] = strategies.upn(draw(st.integers(0, strategies.USER_COUNT - 1)))
        else:
            scenario["user_groups"] = draw(strategies.subset([g["displayName"] for g in case.groups], 0, 2))
            scenario["user_roles"] = draw(strategies.subset(strategies.ROLES, 0, 1))
            scenario["guest"] = draw(st.booleans())
        where = draw(st.sampled_from(("none", "ip", "country", "named")))
        if where == "ip":
            scenario["ip_address"] = draw(st.sampled_from(("203.0.113.77", "10.1.2.3", "8.8.4.4", "2001:db8::1")))
        elif where == "country":
            scenario["country"] = draw(st.sampled_from(strategies.COUNTRIES + ("JP",)))
        elif where == "named" and case.named_locations:
            scenario["named_location"] = draw(st.sampled_from(case.named_locations))["displayName"]
        device = draw(st.sampled_from((None,) + DEVICES))
        if device is not None:
            scenario["device"] = device
        if draw(st.integers(0, 2)) == 0:
            scenario["sign_in_risk"] = draw(st.sampled_from(("none", "low", "medium", "high")))
        if draw(st.integers(0, 3)) == 0:
            scenario["user_risk"] = draw(st.sampled_from(("low", "medium", "high")))
        if draw(st.booleans()):
            scenario["satisfied_controls"] = draw(strategies.subset(("mfa", "compliantApplication", "compliantDevice"),
                                                                    1, 2))
        out.append(scenario)
    return out


def scenario_sign_in(scenario, case, tenant):
    """The engine's sign-in for a scenario, from the tenant and the scenario alone."""
    if scenario.get("user"):
        user = user_of(tenant, tenant.user(scenario["user"])["id"])
    else:
        groups = [g["id"] for g in case.groups if g["displayName"] in scenario["user_groups"]]
        user = {"id": None, "groups": groups + [p for g in groups for p in tenant.parents(g) if p not in groups],
                "roles": list(scenario["user_roles"]), "user_type": "guest" if scenario["guest"] else "member"}
        if scenario["guest"]:
            user["external_user_types"] = ["b2bCollaborationGuest"]
    sign_in = {"user": user, "application": APPLICATIONS[scenario["application"]],
               "device_platform": scenario["platform"], "client_app_type": scenario["client_app"]}
    for key in ("ip_address", "country", "sign_in_risk", "user_risk"):
        if key in scenario:
            sign_in[key] = scenario[key]
    if "named_location" in scenario:
        sign_in["named_location"] = next(loc["id"] for loc in case.named_locations
                                         if loc["displayName"] == scenario["named_location"])
    if scenario.get("device") == "unmanaged":
        sign_in["device"] = dict(UNMANAGED_DEVICE)
    elif "device" in scenario:
        sign_in["device"] = dict(scenario["device"])
    return sign_in


@strategies.examples(30)
@given(st.data(), strategies.cases(max_declared=0), st.booleans())
def test_whatif_agrees_with_the_engine_scenario_by_scenario(data, case, report_only_as_enforced):
    """conditional_access_whatif over the tenant's policies: each scenario's outcome, requirements and
    applying policies are the engine's for the sign-in the scenario describes."""
    describe(case)
    tenant = Tenant(**case.tenant_kwargs())
    items = data.draw(scenarios(case))
    result, code = run_module(conditional_access_whatif.main, {
        "source": "live", "scenarios": items, "report_only_as_enforced": report_only_as_enforced}, FakeGraph(tenant))
    assert code == 0, result.get("msg")
    assert len(result["scenarios"]) == len(items)
    for scenario, answer in zip(items, result["scenarios"]):
        evaluation = evaluate(case.live, scenario_sign_in(scenario, case, tenant), case.named_locations,
                              report_only_as_enabled=report_only_as_enforced)
        event("outcome %s" % evaluation.outcome)
        assert (answer["outcome"], answer["requirements"], answer["enforced"], answer["report_only"]) == (
            evaluation.outcome, evaluation.requirements, [r.display_name for r in evaluation.enforced],
            [r.display_name for r in evaluation.report_only]), (scenario, answer)
        # Denied: blocked, or unable to satisfy what is required with the controls given (else any control).
        can = scenario.get("satisfied_controls") or EVERY_CONTROL
        denied = evaluation.outcome == "block" or not evaluation.satisfied_by(can)
        event("access denied" if denied else "access granted")
        assert answer["access"] == ("denied" if denied else "granted"), (scenario, answer)
