# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The licence readiness evaluation, over directories written by hand.

The SKUs have the shape of Microsoft's documented examples (subscribedsku-list: a suspended CRMSTANDARD beside an
enabled SKU; user-assignlicense: an assignment with disabledPlans), with the SKU and service plan ids and names of
Microsoft's "Product names and service plan identifiers for licensing". Properties: disabling a plan or removing a
licence never closes a gap; holding every plan a policy names never leaves one."""

from hypothesis import given, settings, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.license_readiness import Directory as Reader
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.license_readiness import (
    check_plan_names,
    check_user_ids,
    policy_requirements,
    readiness,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.problems import PolicyInputError

TENANT = "48a80680-7326-48cd-9935-b556b81d3a4e"  # the tenant of Microsoft's subscribedsku-list example
PLANS = {
    "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",
    "OFFICE_BUSINESS": "094e7854-93fc-4d55-b2c0-3ab5369ebdc1",
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "AAD_PREMIUM": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    "AAD_PREMIUM_P2": "eec0eb4f-6444-4f95-aba0-50c24d67f998",
    "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
    "CRMSTANDARD": "f9646fb2-e3b2-4309-95de-dc4833737456",
}


def sku(sku_id, part, plans, status="Enabled"):
    return {"capabilityStatus": status, "consumedUnits": 14, "id": "%s_%s" % (TENANT, sku_id),
            "prepaidUnits": {"enabled": 25, "suspended": 0, "warning": 0},
            "servicePlans": [{"servicePlanId": PLANS[p], "servicePlanName": p, "provisioningStatus": "Success",
                              "appliesTo": "User"} for p in plans],
            "skuId": sku_id, "skuPartNumber": part, "appliesTo": "User"}


SPE_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
SPE_E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
SPB = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
EXCHANGESTANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
CRM = "d17b27af-3f49-4822-99f9-56a661538792"
SKUS = [
    sku(SPE_E3, "SPE_E3", ["OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "INTUNE_A"]),
    sku(SPE_E5, "SPE_E5", ["OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "AAD_PREMIUM_P2", "INTUNE_A"]),
    sku(SPB, "SPB", ["OFFICE_BUSINESS", "EXCHANGE_S_STANDARD", "AAD_PREMIUM", "INTUNE_A"]),
    sku(EXCHANGESTANDARD, "EXCHANGESTANDARD", ["EXCHANGE_S_STANDARD"]),
    sku(CRM, "CRMSTANDARD", ["CRMSTANDARD", "AAD_PREMIUM"], status="Suspended"),
]


class Directory:
    """What license_readiness.Directory holds once read: users by id, group members."""

    def __init__(self, users, groups=None):
        self.users = dict((u["id"], u) for u in users)
        self.groups = groups or {}

    def all_users(self):
        return set(self.users)

    def group(self, group_id):
        return set(self.groups.get(group_id, ()))

    def role(self, template_id):
        return set()

    def load(self, user_ids):
        pass

    def guests(self):
        return set(k for k, u in self.users.items() if u.get("userType") == "Guest")


def user(key, *licences, **extra):
    out = {"id": key, "userPrincipalName": key + "@contoso.onmicrosoft.com", "displayName": key.title(),
           "userType": "Member", "accountEnabled": True,
           "assignedLicenses": [{"skuId": s, "disabledPlans": [PLANS[p] for p in disabled]} for s, disabled in licences]}
    out.update(extra)
    return out


def policy(name, grant, users=None, state="enabledForReportingButNotEnforced", **conditions):
    body = {"id": name, "displayName": name, "state": state,
            "conditions": dict({"users": users or {"includeUsers": ["All"]}}, **conditions),
            "grantControls": {"operator": "OR", "builtInControls": grant}}
    return body


def lacking(result, name):
    found = [p for p in result["policies"] if p["id"] == name][0]
    return dict((u["id"], [(m["requirement"], m["reason"]) for m in u["missing"]]) for u in found["users_lacking"])


def test_requirements_follow_the_grant_and_the_risk_conditions():
    checks = ("entra_id_p1", "entra_id_p2", "office_apps", "intune")
    assert policy_requirements(policy("mfa", ["mfa"]), checks) == ["entra_id_p1"]
    assert policy_requirements(policy("app", ["compliantApplication"]), checks) == ["entra_id_p1", "office_apps", "intune"]
    assert policy_requirements(policy("legacy", ["approvedApplication"]), checks) == ["entra_id_p1", "office_apps", "intune"]
    assert policy_requirements(policy("device", ["compliantDevice"]), checks) == ["entra_id_p1", "intune"]
    assert policy_requirements(policy("risk", ["mfa"], userRiskLevels=["high"]), checks) == ["entra_id_p1", "entra_id_p2"]
    assert policy_requirements(policy("risk", ["block"], signInRiskLevels=["medium"]), ["office_apps"]) == []


def test_reasons_not_assigned_disabled_plan_and_suspended_sku():
    users = [
        user("adele", (SPE_E5, ())),
        user("lee", (SPE_E3, ("OFFICESUBSCRIPTION",))),
        user("patti", (EXCHANGESTANDARD, ())),
        user("megan", (SPB, ())),
        user("crm", (CRM, ()), (EXCHANGESTANDARD, ())),  # the suspended SKU of Microsoft's example carries P1 here
        user("guest", userType="Guest"),
        user("gone", accountEnabled=False),
    ]
    result = readiness([policy("app", ["compliantApplication"]), policy("off", ["block"], state="disabled")],
                       SKUS, Directory(users))
    assert [p["id"] for p in result["policies"]] == ["app"]
    assert lacking(result, "app") == {
        "lee": [("office_apps", "disabled_plan")],
        "patti": [("entra_id_p1", "not_assigned"), ("office_apps", "not_assigned"), ("intune", "not_assigned")],
        "crm": [("entra_id_p1", "sku_not_active"), ("office_apps", "not_assigned"), ("intune", "not_assigned")],
    }
    app = result["policies"][0]
    assert (app["users_in_scope"], app["users_checked"], app["guests_not_checked"],
            app["disabled_accounts_not_checked"]) == (7, 5, 1, 1)
    assert [(d["id"], d["sku_part_number"], d["service_plan_name"]) for d in result["disabled_plans"]] == [
        ("lee", "SPE_E3", "OFFICESUBSCRIPTION")]
    assert result["requirements_no_sku_provides"] == []


def test_scope_excludes_and_office_plans_option():
    users = [user("adele", (SPE_E5, ())), user("megan", (SPB, ())), user("patti", (EXCHANGESTANDARD, ()))]
    directory = Directory(users, groups={"pilot": ["adele", "megan", "patti"], "emergency": ["patti"]})
    scoped = policy("pilot", ["compliantApplication"], users={"includeGroups": ["pilot"], "excludeGroups": ["emergency"]})
    # Microsoft 365 Apps for business does not count when only the enterprise apps are accepted
    result = readiness([scoped], SKUS, directory, checks=["office_apps"], office_apps_plans=["OFFICESUBSCRIPTION"],
                       locate=["megan", "patti"])
    assert lacking(result, "pilot") == {"megan": [("office_apps", "not_assigned")]}
    assert result["policies"][0]["located_users"] == ["megan"]


def test_option_checks_name_the_value_and_what_is_accepted():
    assert check_plan_names(SKUS, ["officesubscription", PLANS["INTUNE_A"].upper()], "plans") == [
        "OFFICESUBSCRIPTION", "INTUNE_A"]
    for bad, where in ((["OFFICESUBSCRIPTON"], "plans[0]"), (["x' or 1 eq 1"], "plans[0]")):
        try:
            check_plan_names(SKUS, bad, "plans")
        except PolicyInputError as exc:
            text = str(exc)
            assert where in text and repr(bad[0]) in text and "OFFICESUBSCRIPTION" in text
        else:
            raise AssertionError("accepted %r" % bad)
    assert check_user_ids(["2A974F7E-A785-58F8-9C57-4CCFE79E4E04"], "u") == ["2a974f7e-a785-58f8-9c57-4ccfe79e4e04"]
    try:
        check_user_ids(["megan@contoso.onmicrosoft.com"], "users_to_locate")
    except PolicyInputError as exc:
        assert "users_to_locate[0]" in str(exc) and "megan@contoso.onmicrosoft.com" in str(exc)
    else:
        raise AssertionError("accepted a user principal name")


LICENCES = st.lists(st.tuples(st.sampled_from([SPE_E3, SPE_E5, SPB, EXCHANGESTANDARD, CRM]),
                              st.lists(st.sampled_from(sorted(PLANS)), max_size=3, unique=True)),
                    max_size=3, unique_by=lambda t: t[0])
GRANTS = st.sampled_from([["mfa"], ["compliantApplication"], ["compliantDevice"], ["approvedApplication"]])


@settings(max_examples=200, deadline=None)
@given(licences=LICENCES, grant=GRANTS, risk=st.booleans(), extra=st.sampled_from(sorted(PLANS)),
       drop=st.integers(min_value=0, max_value=2))
def test_disabling_a_plan_or_removing_a_licence_never_closes_a_gap(licences, grant, risk, extra, drop):
    conditions = {"signInRiskLevels": ["high"]} if risk else {}
    policies = [policy("p", grant, **conditions)]

    def gaps(assigned):
        return set(lacking(readiness(policies, SKUS, Directory([user("u", *assigned)])), "p").get("u", []))

    before = set(r for r, _why in gaps(licences))
    more_disabled = [(s, sorted(set(d) | {extra})) for s, d in licences]
    assert before <= set(r for r, _why in gaps(more_disabled))
    fewer = [item for index, item in enumerate(licences) if index != drop]
    assert before <= set(r for r, _why in gaps(fewer))


@settings(max_examples=100, deadline=None)
@given(grant=GRANTS, risk=st.booleans(), disabled=st.lists(st.sampled_from(["EXCHANGE_S_ENTERPRISE"]), max_size=1))
def test_holding_every_plan_leaves_no_gap(grant, risk, disabled):
    conditions = {"userRiskLevels": ["high"]} if risk else {}
    result = readiness([policy("p", grant, **conditions)], SKUS, Directory([user("u", (SPE_E5, disabled))]))
    assert lacking(result, "p") == {}


class MembersWithoutLicences:
    """A Graph whose group members read leaves assignedLicenses out (as a directoryObject read may); /users has it.
    Records each request's path and query."""

    def __init__(self, users):
        self.users = dict((u["id"], u) for u in users)
        self.requests = []

    def list(self, path, api_version=None, query=None):
        self.requests.append((path, dict(query or {})))
        if path.endswith("/transitiveMembers"):
            members = []
            for u in self.users.values():
                member = dict((k, v) for k, v in u.items() if k != "assignedLicenses")
                member["@odata.type"] = "#microsoft.graph.user"
                members.append(member)
            return iter(members)
        wanted = (query or {}).get("$filter", "")
        return iter([u for key, u in self.users.items() if "'%s'" % key in wanted])


def test_members_read_without_licences_are_read_again_in_bulk():
    ids = ["%08d-0000-4000-8000-000000000000" % i for i in range(20)]
    users = [user(key, (SPE_E3, ())) for key in ids[:19]] + [user(ids[19], (EXCHANGESTANDARD, ()))]
    graph = MembersWithoutLicences(users)
    result = readiness([policy("g", ["mfa"], users={"includeGroups": ["team"]})], SKUS, Reader(graph))
    assert lacking(result, "g") == {ids[19]: [("entra_id_p1", "not_assigned")]}
    assert [path for path, _q in graph.requests] == ["/groups/team/transitiveMembers", "/users", "/users"]  # 15 + 5
