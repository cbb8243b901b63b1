# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the compliance pre-flight of conditional access policies.

Not a public API. "Require compliant device" (``compliantDevice``) means nothing on a platform where no Intune
device compliance policy is assigned: no device there is ever compliant, so everyone the policy applies to on that
platform is blocked. Before a task writes an enforced policy whose grant cannot be met without a compliant device,
the tenant's compliance policies are read once (``/deviceManagement/deviceCompliancePolicies?$expand=assignments``)
and each mobile platform the policy targets (iOS, Android) must have at least one compliance policy with at least
one assignment. A platform without one is refused before anything is written, unless the item acknowledges the
risk (``acknowledge_lockout_risk``), which turns the refusal into a warning.

Emergency-access accounts are not this check's business: the lockout pre-flight (``_conditional_access.rules``)
already signs them in from an unmanaged device, which never satisfies ``compliantDevice``.

The read needs ``DeviceManagementConfiguration.Read.All``; without it the check is skipped with a warning, since
refusing for want of a read permission would block tenants that manage devices elsewhere.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    grant_items, policy_label)

COLLECTION = "/deviceManagement/deviceCompliancePolicies"
# The compliance policy types of each conditional access platform (conditions.platforms values).
PLATFORM_OF_TYPE = {"ioscompliancepolicy": "iOS", "androidworkprofilecompliancepolicy": "android",
                    "androiddeviceownercompliancepolicy": "android", "androidcompliancepolicy": "android",
                    "aospdeviceownercompliancepolicy": "android"}
MOBILE_PLATFORMS = ("iOS", "android")


def covered_platforms(compliance_policies):
    """The conditional access platforms with at least one assigned compliance policy."""
    found = set()
    for policy in compliance_policies or ():
        kind = str(policy.get("@odata.type") or "").rsplit(".", maxsplit=1)[-1].lower()
        platform = PLATFORM_OF_TYPE.get(kind)
        targets = [a for a in policy.get("assignments") or []
                   if "exclusion" not in str((a.get("target") or {}).get("@odata.type") or "").lower()]
        if platform and targets:
            found.add(platform)
    return found


def needs_compliant_device(policy):
    """Whether the policy's grant cannot be met without a compliant device."""
    items, operator = grant_items((policy or {}).get("grantControls"))
    if "compliantdevice" not in items or "block" in items:
        return False
    return operator == "AND" or items == ["compliantdevice"]


def targeted_platforms(policy):
    """The mobile platforms the policy names in its platform condition (``all`` or no condition names none: such a
    policy is about devices in general, and its Windows and macOS side is not this collection's to know)."""
    platforms = ((policy or {}).get("conditions") or {}).get("platforms") or {}
    include = [str(p).lower() for p in platforms.get("includePlatforms") or []]
    exclude = set(str(p).lower() for p in platforms.get("excludePlatforms") or [])
    return [p for p in MOBILE_PLATFORMS if p.lower() in include and p.lower() not in exclude]


def coverage_gaps(policy, covered):
    """The mobile platforms ``policy`` requires a compliant device on without a compliance policy assigned."""
    if str((policy or {}).get("state") or "").lower() != "enabled" or not needs_compliant_device(policy):
        return []
    return [p for p in targeted_platforms(policy) if p not in covered]


def gap_message(policy, gaps, acknowledged):
    text = ("Compliance pre-flight: %s requires a compliant device on %s, but no device compliance policy for %s is "
            "assigned in the tenant, so every %s user it applies to would be blocked" % (
                policy_label(policy), " and ".join(gaps), " or ".join(gaps), " and ".join(gaps)))
    if acknowledged:
        return text + " (acknowledge_lockout_risk: true)."
    return text + ("; nothing was changed. Fix: assign a compliance policy for the platform "
                   "(tenantguard.m365.device_compliance_policy), exclude it (conditions.platforms.exclude_platforms), "
                   "or set acknowledge_lockout_risk: true to accept the risk.")
