# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: which users in scope of each conditional access policy lack the licence the policy needs.

Not a public API. What a policy needs (Microsoft's licensing requirements):

* every conditional access policy: Microsoft Entra ID P1 (service plan ``AAD_PREMIUM``; ``AAD_PREMIUM_P2`` includes
  it) [learn.microsoft.com/entra/identity/conditional-access/overview, "License requirements"];
* a user risk or sign-in risk condition: Microsoft Entra ID P2 (``AAD_PREMIUM_P2``) [same page; risk-based policies];
* a policy that requires an app protection policy or an approved client app (``compliantApplication``,
  ``approvedApplication``), which is how Outlook mobile is gated: the Office apps (``OFFICESUBSCRIPTION``, Microsoft
  365 Apps for enterprise; ``OFFICE_BUSINESS``, Microsoft 365 Apps for business; ``OFFICEMOBILE_SUBSCRIPTION``, the
  mobile apps of the F SKUs) [Outlook for iOS and Android needs a commercial subscription that includes the Office
  apps; an Exchange Online-only user is not licensed for it] and Microsoft Intune (``INTUNE_A``) for the app
  protection policy itself;
* ``compliantDevice``: Microsoft Intune (``INTUNE_A``).

Plans are matched by ``servicePlanName`` in the tenant's own ``subscribedSkus`` (read once), so the ids of the plans
are the tenant's. A user holds a plan when an assigned SKU of the tenant carries it, the assignment does not list it
in ``disabledPlans`` and the SKU's ``capabilityStatus`` is ``Enabled`` or ``Warning``.

Reads are in bulk: the subscribed SKUs once; the users in scope through the shared directory reader
(``directory.Directory``: all users, groups' transitive members, role members, users named one by one 15 at a time)
with ``assignedLicenses`` in ``$select`` (it is returned on ``$select`` only), a member read without it read again
in bulk.
Guests (``userType`` Guest) and disabled accounts are counted but not checked: guests are licensed by their home
tenant or by monthly active users, and a disabled account cannot sign in.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.directory import (
    GUID,
    Directory as _Directory,
    lower_all as _lower,
    policy_scope,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.problems import PolicyInputError

USER_SELECT = "id,userPrincipalName,displayName,userType,accountEnabled,assignedLicenses"
ACTIVE_SKU = ("enabled", "warning")
REQUIREMENTS = {
    "entra_id_p1": ("AAD_PREMIUM", "AAD_PREMIUM_P2"),
    "entra_id_p2": ("AAD_PREMIUM_P2",),
    "office_apps": ("OFFICESUBSCRIPTION", "OFFICE_BUSINESS", "OFFICEMOBILE_SUBSCRIPTION"),
    "intune": ("INTUNE_A",),
}
REQUIREMENT_ORDER = ("entra_id_p1", "entra_id_p2", "office_apps", "intune")
APP_PROTECTION_CONTROLS = ("compliantapplication", "approvedapplication")


def policy_requirements(policy, checks):
    """The requirements (names of :data:`REQUIREMENTS`) of one Graph-shaped policy, limited to ``checks``."""
    conditions = policy.get("conditions") or {}
    controls = _lower((policy.get("grantControls") or {}).get("builtInControls"))
    needs = ["entra_id_p1"]
    if conditions.get("userRiskLevels") or conditions.get("signInRiskLevels"):
        needs.append("entra_id_p2")
    if any(c in controls for c in APP_PROTECTION_CONTROLS):
        needs += ["office_apps", "intune"]
    if "compliantdevice" in controls and "intune" not in needs:
        needs.append("intune")
    return [n for n in REQUIREMENT_ORDER if n in needs and n in checks]


class SkuCatalogue:
    """The tenant's subscribed SKUs: which plan names each carries, and which are active."""

    def __init__(self, skus):
        self.skus = {}
        for sku in skus or []:
            if not sku.get("skuId"):
                continue
            plans = dict((str(p.get("servicePlanId", "")).lower(), p.get("servicePlanName"))
                         for p in sku.get("servicePlans") or [] if p.get("servicePlanId"))
            self.skus[str(sku["skuId"]).lower()] = {
                "part": sku.get("skuPartNumber"), "plans": plans,
                "active": str(sku.get("capabilityStatus") or "").lower() in ACTIVE_SKU, "sku": sku}

    def plan_names(self):
        return set(name for s in self.skus.values() for name in s["plans"].values() if name)

    def holdings(self, user):
        """``(held plan names, [(sku part, plan name, plan id, why not held)])`` of one user."""
        held, withheld = set(), []
        for assignment in user.get("assignedLicenses") or []:
            sku = self.skus.get(str(assignment.get("skuId") or "").lower())
            if sku is None:
                continue
            disabled = set(_lower(assignment.get("disabledPlans")))
            for plan_id, name in sku["plans"].items():
                if plan_id in disabled:
                    withheld.append((sku["part"], name, plan_id, "disabled_plan"))
                elif not sku["active"]:
                    withheld.append((sku["part"], name, plan_id, "sku_not_active"))
                else:
                    held.add(name)
        return held, withheld


def _person(user):
    return {"id": user.get("id"), "user_principal_name": user.get("userPrincipalName"),
            "display_name": user.get("displayName")}


class Directory(_Directory):
    """The directory reader with each user's licences (``assignedLicenses``, read again in bulk for members read
    without them), account state and type."""

    def __init__(self, graph):
        super().__init__(graph, USER_SELECT, complete="assignedLicenses")


def check_plan_names(skus, plans, where):
    """The service plan names of an option: each a name or an id of a plan of the tenant's subscribed SKUs, or one
    of Microsoft's Office apps plans; raises PolicyInputError naming each other value."""
    catalogue = SkuCatalogue(skus)
    by_id = dict((pid, name) for s in catalogue.skus.values() for pid, name in s["plans"].items())
    known = dict((n.lower(), n) for n in catalogue.plan_names() | set(REQUIREMENTS["office_apps"]))
    names, problems = [], []
    for index, value in enumerate(plans):
        text = str(value).strip()
        if text.lower() in by_id:
            names.append(by_id[text.lower()])
        elif text.lower() in known:
            names.append(known[text.lower()])
        else:
            problems.append("%s[%d]: %r is not a service plan of the tenant's subscribed SKUs. Accepted: a service "
                            "plan name or id, one of %s." % (where, index, value, ", ".join(sorted(known.values()))))
    if problems:
        raise PolicyInputError(problems)
    return names


def check_user_ids(values, where):
    """Lower-case object ids of an option; raises PolicyInputError naming each value that is not one."""
    ids, problems = [], []
    for index, value in enumerate(values):
        text = str(value).strip().lower()
        if GUID.match(text):
            ids.append(text)
        else:
            problems.append("%s[%d]: %r is not a user object id. Accepted: an id such as "
                            "3ef3cb2e-290a-529a-8529-ff932e60ae70." % (where, index, value))
    if problems:
        raise PolicyInputError(problems)
    return ids


def readiness(policies, skus, directory, checks=REQUIREMENT_ORDER, office_apps_plans=None, locate=()):
    """Per policy, the users in scope who lack what it needs (and which of ``locate``, user ids, are in its
    scope); the disabled plans of those users; the SKUs."""
    catalogue = SkuCatalogue(skus)
    requirements = dict(REQUIREMENTS)
    if office_apps_plans is not None:
        requirements["office_apps"] = tuple(office_apps_plans)
    results, disabled_rows, seen_disabled, lacking_users = [], [], set(), set()
    for policy in policies:
        state = policy.get("state")
        if state == "disabled":
            continue
        needs = policy_requirements(policy, checks)
        scope = policy_scope(policy, directory)
        checked, skipped_guests, skipped_disabled = 0, 0, 0
        lacking, gaps = [], dict((n, []) for n in needs)
        for user_id in sorted(scope, key=lambda k: str(directory.users.get(k, {}).get("userPrincipalName") or k)):
            user = directory.users.get(user_id)
            if user is None:
                continue
            if str(user.get("userType") or "").lower() == "guest":
                skipped_guests += 1
                continue
            if user.get("accountEnabled") is False:
                skipped_disabled += 1
                continue
            checked += 1
            held, withheld = catalogue.holdings(user)
            for part, name, plan_id, why in withheld:
                if why == "disabled_plan" and (user_id, part, plan_id) not in seen_disabled:
                    seen_disabled.add((user_id, part, plan_id))
                    disabled_rows.append(dict(_person(user), sku_part_number=part, service_plan_name=name,
                                              service_plan_id=plan_id))
            missing = []
            for need in needs:
                plans = requirements[need]
                if held.intersection(plans):
                    continue
                reasons = [why for _p, name, _i, why in withheld if name in plans]
                reason = reasons[0] if reasons else "not_assigned"
                missing.append({"requirement": need, "reason": reason})
                gaps[need].append(dict(_person(user), reason=reason))
            if missing:
                lacking.append(dict(_person(user), missing=missing))
                lacking_users.add(user_id)
        results.append({
            "id": policy.get("id"), "display_name": policy.get("displayName"), "state": state, "needs": needs,
            "users_in_scope": len(scope), "users_checked": checked, "guests_not_checked": skipped_guests,
            "disabled_accounts_not_checked": skipped_disabled,
            "gaps": [{"requirement": n, "service_plans": list(requirements[n]), "users": gaps[n]} for n in needs
                     if gaps[n]],
            "users_lacking": lacking, "located_users": sorted(set(locate) & scope),
            "verdict": "licence_gaps" if lacking else "ready"})
    consumed_needs = set(n for r in results for n in r["needs"])
    sku_rows = []
    for sku in catalogue.skus.values():
        raw = sku["sku"]
        names = set(sku["plans"].values())
        sku_rows.append({"sku_id": raw.get("skuId"), "sku_part_number": sku["part"],
                         "capability_status": raw.get("capabilityStatus"),
                         "consumed_units": raw.get("consumedUnits"),
                         "enabled_units": (raw.get("prepaidUnits") or {}).get("enabled"),
                         "provides": [n for n in REQUIREMENT_ORDER if n in consumed_needs
                                      and names.intersection(requirements[n])]})
    absent = [n for n in REQUIREMENT_ORDER if n in consumed_needs
              and not catalogue.plan_names().intersection(requirements[n])]
    return {
        "policies": results,
        "disabled_plans": disabled_rows,
        "skus": sorted(sku_rows, key=lambda r: str(r["sku_part_number"])),
        "requirements_no_sku_provides": absent,
        "counts": {"policies": len(results), "policies_with_gaps": sum(1 for r in results if r["users_lacking"]),
                   "users_read": len(directory.users), "users_lacking": len(lacking_users),
                   "disabled_plans": len(disabled_rows)},
    }
