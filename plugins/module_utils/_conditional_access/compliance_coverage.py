# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: which platforms and users have an assigned device compliance policy, and the compliance pre-flight.

Not a public API. "Require compliant device" (``compliantDevice``) means nothing for a user on a platform where no
Intune device compliance policy is assigned to them: no device of theirs there is evaluated against a policy, so
(with Intune's "Mark devices with no compliance policy assigned as Not compliant") none is ever compliant and the
requirement blocks them, or (with the default "Compliant") an enrolled device passes without any check. Either way
the requirement does not do what it says.

One evaluator for the three places that know about compliance (``_conditional_access.evaluation``):

* ``ComplianceAssignments`` reads the tenant's compliance policies
  (``/deviceManagement/deviceCompliancePolicies?$expand=assignments``, beta) into who is covered on which platform:
  a policy of the platform (``PLATFORM_OF_TYPE``) covers a user when it is assigned to all users
  (``allLicensedUsersAssignmentTarget``), all devices (``allDevicesAssignmentTarget``) or a group the user belongs
  to (transitively), and no group it excludes (``exclusionGroupAssignmentTarget``) holds the user (an exclusion wins,
  "Exclude groups from a policy assignment in Intune");
* ``with_compliance`` adds ``compliance_policy_assigned`` to a sign-in on iOS or Android (unless the sign-in states
  the device's ``isCompliant``), and ``Evaluation.compliance_gap`` names the requirements that fail only for want of
  a compliant device: the coverage matrix's ``no_compliance_policy`` cells and ``compliance`` rows
  (``_conditional_access.coverage``), the what-if's verdict, and this pre-flight all use it;
* ``preflight_findings`` runs the coverage matrix over one policy being written (its mobile platforms, modern
  clients, the default applications and any it names, personas for the groups and users it names and the groups
  the compliance policies name, everyone else, the emergency-access identities): ``refuse`` where a gap would block an emergency-access account, or everyone the
  policy applies to on a platform; the other gaps are reported. A gap the policy already has while enforced is a
  warning ("this task does not change it"), as the lockout pre-flight treats an existing lockout.

Only iOS and Android are checked: a policy for all platforms (no platform condition, or ``all``) is checked on
them too, since it requires a compliant phone just the same; Windows, macOS and Linux compliance is not this
collection's to manage, so those platforms are left out rather than guessed.

When an earlier task of the play writes compliance policies (``tenant_hardening`` converges them just before the
conditional access policies), the pre-flight counts them: ``planned_compliance`` lays the policies that task plans
(as ``device_compliance_policy`` returns them, ``compliance_policies_planned``) over the tenant's, replacing a stored
policy of the same id, else of the same display name (case ignored), and adding the others, less the stored policies
that task deletes (``compliance_policies_removed``, by id or display name). Check mode then refuses exactly what the
real run would, before anything of the play is written.

The read needs ``DeviceManagementConfiguration.Read.All``; without it the pre-flight is skipped with a warning, since
refusing for want of a read permission would block tenants that manage devices elsewhere.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage import (
    Application,
    Persona,
    coverage,
    default_applications,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    grant_items, policy_label)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import is_guid

COLLECTION = "/deviceManagement/deviceCompliancePolicies"
# The compliance policy types of each conditional access platform (conditions.platforms values).
PLATFORM_OF_TYPE = {"ioscompliancepolicy": "iOS", "androidworkprofilecompliancepolicy": "android",
                    "androiddeviceownercompliancepolicy": "android", "androidcompliancepolicy": "android",
                    "aospdeviceownercompliancepolicy": "android"}
MOBILE_PLATFORMS = ("iOS", "android")
MODERN_CLIENTS = ("browser", "mobileAppsAndDesktopClients")
ALL_USERS = "alllicensedusersassignmenttarget"
ALL_DEVICES = "alldevicesassignmenttarget"
PLANNED_OPTION = "compliance_policies_planned"
REMOVED_OPTION = "compliance_policies_removed"
GROUP_TARGETS = ("groupassignmenttarget", "exclusiongroupassignmenttarget")
TARGET_KINDS = GROUP_TARGETS + (ALL_USERS, ALL_DEVICES)
PLANNED_ACCEPTED = ("Accepted: the policies tenantguard.m365.device_compliance_policy returns "
                    "(device_compliance_policies), Graph JSON with @odata.type, displayName and assignments")


def _kind(value):
    return str(value or "").rsplit(".", maxsplit=1)[-1].lower()


def _platform(platform):
    key = str(platform or "").lower()
    return next((p for p in MOBILE_PLATFORMS if p.lower() == key), None)


class ComplianceAssignments(object):
    """The tenant's compliance policies as who they cover (see the module docstring)."""

    def __init__(self, compliance_policies):
        self.entries = []
        for policy in compliance_policies or ():
            platform = PLATFORM_OF_TYPE.get(_kind(policy.get("@odata.type")))
            if platform is None:
                continue
            entry = {"name": policy.get("displayName") or policy.get("id"), "platform": platform,
                     "all_users": False, "all_devices": False, "groups": [], "excluded": []}
            for assignment in policy.get("assignments") or []:
                target = assignment.get("target") or {}
                kind = _kind(target.get("@odata.type"))
                group = str(target.get("groupId") or "").lower()
                if kind == ALL_USERS:
                    entry["all_users"] = True
                elif kind == ALL_DEVICES:
                    entry["all_devices"] = True
                elif "exclusion" in kind and group:
                    entry["excluded"].append(group)
                elif kind == "groupassignmenttarget" and group:
                    entry["groups"].append(group)
            self.entries.append(entry)

    def platforms(self):
        """The platforms with at least one compliance policy that includes someone."""
        return set(e["platform"] for e in self.entries if e["all_users"] or e["all_devices"] or e["groups"])

    def groups(self):
        """The group ids the policies include or exclude, in order of first appearance."""
        found = []
        for entry in self.entries:
            for group in entry["groups"] + entry["excluded"]:
                if group not in found:
                    found.append(group)
        return found

    def policies_for(self, platform, user):
        """The names of the compliance policies that cover ``user`` (the engine's sign-in user) on ``platform``."""
        platform = _platform(platform)
        groups = set(str(g).lower() for g in (user or {}).get("groups") or [])
        found = []
        for entry in self.entries:
            if entry["platform"] != platform or groups & set(entry["excluded"]):
                continue
            if entry["all_users"] or entry["all_devices"] or groups & set(entry["groups"]):
                found.append(entry["name"])
        return found

    def assigned(self, platform, user):
        return bool(self.policies_for(platform, user))


def covered_platforms(compliance_policies):
    """The conditional access platforms with at least one assigned compliance policy."""
    return ComplianceAssignments(compliance_policies).platforms()


def with_compliance(sign_in, assignments):
    """The sign-in with ``compliance_policy_assigned`` for its user on iOS or Android, unless the sign-in states the
    device's compliance (``device.isCompliant``) or ``assignments`` is None (not known)."""
    sign_in = dict(sign_in or {})
    device = sign_in.get("device")
    if assignments is None or not isinstance(sign_in.get("user"), dict) or \
            _platform(sign_in.get("device_platform")) is None or \
            (isinstance(device, dict) and device.get("isCompliant") is not None):
        return sign_in
    sign_in["compliance_policy_assigned"] = assignments.assigned(sign_in["device_platform"], sign_in["user"])
    return sign_in


def needs_compliant_device(policy):
    """Whether the policy's grant names ``compliantDevice`` without ``block``: such a policy may need a compliant
    device somewhere (the evaluation says where: an OR with a control the platform cannot satisfy needs it too)."""
    items, _operator = grant_items((policy or {}).get("grantControls"))
    return "compliantdevice" in items and "block" not in items


def targeted_platforms(policy):
    """The mobile platforms the policy applies to: those its platform condition includes (``all`` or no condition:
    every platform), less those it excludes."""
    platforms = ((policy or {}).get("conditions") or {}).get("platforms") or {}
    include = [str(p).lower() for p in platforms.get("includePlatforms") or []]
    exclude = set(str(p).lower() for p in platforms.get("excludePlatforms") or [])
    if "all" in exclude:
        return []
    return [p for p in MOBILE_PLATFORMS if (not include or "all" in include or p.lower() in include)
            and p.lower() not in exclude]


def preflight_applications(policy):
    """The default applications, and each application id the policy names that they do not stand for."""
    applications = default_applications()
    known = set(str(a.id).lower() for a in applications)
    apps = ((policy or {}).get("conditions") or {}).get("applications") or {}
    for value in apps.get("includeApplications") or []:
        key = str(value).lower()
        if key not in known and key not in ("all", "none", "office365", "microsoftadminportals"):
            known.add(key)
            applications.append(Application(str(value), key))
    return applications


def named_users(policies):
    """The user ids the policies include or exclude by id (not All, None or the guest values)."""
    found = []
    for policy in policies or ():
        users = ((policy.get("conditions") or {}).get("users")) or {}
        for side in ("includeUsers", "excludeUsers"):
            for value in users.get(side) or []:
                key = str(value).lower()
                if key not in ("all", "none", "guestsorexternalusers", "allagentidusers") and key not in found:
                    found.append(key)
    return found


def preflight_personas(policies, assignments, group_names=None, emergency=(), holding=None, users=None):
    """A member of each group the policies or the compliance policies name (with the groups that hold it, from
    ``holding``: group id -> group ids), each user the policies name (``users``: user id -> (name, transitive group
    ids)), everyone else (a member of no group), and the emergency-access identities."""
    group_names = group_names or {}
    holding = holding or {}
    emergency_groups = set(str(i["id"]).lower() for i in emergency or () if i.get("kind") == "group")
    groups = []
    for policy in policies or ():
        condition = ((policy.get("conditions") or {}).get("users")) or {}
        for side in ("includeGroups", "excludeGroups"):
            groups.extend(str(g).lower() for g in condition.get(side) or [])
    groups.extend(assignments.groups() if assignments is not None else [])
    personas = []
    seen = set()
    for group in groups:
        if group in seen or group in emergency_groups:
            continue
        seen.add(group)
        member_of = [group] + [g for g in holding.get(group) or [] if g != group]
        personas.append(Persona("member of %s" % group_names.get(group, group),
                                {"id": None, "groups": member_of, "roles": [], "user_type": "member"}, kind="group"))
    emergency_users = set(str(i["id"]).lower() for i in emergency or () if i.get("kind") == "user")
    for user_id, (name, member_of) in (users or {}).items():
        if str(user_id).lower() not in emergency_users:
            personas.append(Persona(name, {"id": user_id, "groups": list(member_of), "roles": [],
                                           "user_type": "member"}, kind="user"))
    personas.append(Persona("all members", {"id": None, "groups": [], "roles": [], "user_type": "member"},
                            kind="all_members"))
    personas.extend(Persona(i["account"], i["user"], kind="emergency_access", emergency=True)
                    for i in emergency or ())
    return personas


def preflight_findings(policy, assignments, personas, named_locations=()):
    """``{platform: {"applies": [persona names], "gaps": [rows], "refuse": bool, "why": str}}`` for the mobile
    platforms where ``policy`` (enforced) requires a compliant device of someone without a compliance policy
    assigned. A platform is refused when a gap is an emergency-access identity's, or when every persona the policy
    requires a compliant device of there has a gap (everyone it applies to there would be blocked)."""
    if str((policy or {}).get("state") or "").lower() != "enabled" or not needs_compliant_device(policy):
        return {}
    platforms = targeted_platforms(policy)
    if not platforms:
        return {}
    result = coverage([policy], named_locations, personas, preflight_applications(policy), platforms,
                      MODERN_CLIENTS, compliance=assignments)
    findings = {}
    for platform in platforms:
        rows = [r for r in result["compliance"] if r["platform"] == platform and r["required_by"]]
        gaps = [r for r in rows if r["gap"]]
        if not gaps:
            continue
        emergency = [r["persona"] for r in gaps if r["emergency"]]
        everyone = all(r["gap"] for r in rows if not r["emergency"]) and any(not r["emergency"] for r in gaps)
        why = ("emergency-access account %s would be blocked there" % ", ".join(emergency) if emergency else
               "everyone it applies to there would be blocked" if everyone else
               "those users would be blocked there")
        findings[platform] = {"applies": [r["persona"] for r in rows], "gaps": gaps,
                              "refuse": bool(emergency or everyone), "why": why}
    return findings


def gap_key(findings):
    return set((platform, row["persona"]) for platform, found in findings.items() for row in found["gaps"])


def gap_message(policy, findings, acknowledged=False, existing=False, planned=False):
    """The pre-flight's sentence about ``policy``; ``planned``: the compliance policies the play writes before the
    task were counted (``compliance_policies_planned``)."""
    platforms = [p for p in MOBILE_PLATFORMS if p in findings]
    parts = []
    for platform in platforms:
        found = findings[platform]
        parts.append("on %s for %s (%s)" % (platform, ", ".join(r["persona"] for r in found["gaps"]), found["why"]))
    text = ("Compliance pre-flight: %s requires a compliant device on %s, but no device compliance policy for %s is "
            "assigned to some of the users it applies to%s: %s" % (
                policy_label(policy), " and ".join(platforms), " or ".join(platforms),
                " (counting the compliance policies the play writes before it)" if planned else "",
                "; ".join(parts)))
    if existing:
        return text + ". The policy is already enforced with this gap; this task does not change it."
    if acknowledged:
        return text + " (acknowledge_lockout_risk: true)."
    if not any(findings[p]["refuse"] for p in platforms):
        return text + "."
    return text + ("; nothing was changed. Fix: assign a compliance policy for the platform to them "
                   "(tenantguard.m365.device_compliance_policy), exclude the platform "
                   "(conditions.platforms.exclude_platforms), or set acknowledge_lockout_risk: true to accept the risk.")


def _key(value):
    return str(value or "").strip().lower()


def planned_problems(planned, removed):
    """What is wrong with ``compliance_policies_planned`` and ``compliance_policies_removed``: one sentence per
    problem, naming the option, the value and what is accepted (empty when both are usable)."""
    problems = []
    for index, policy in enumerate(planned or ()):
        field = "%s[%d]" % (PLANNED_OPTION, index)
        if not isinstance(policy, dict):
            problems.append("%s: is not a compliance policy (got %r). %s." % (field, policy, PLANNED_ACCEPTED))
            continue
        kind = policy.get("@odata.type")
        if not isinstance(kind, str) or not _kind(kind).endswith("compliancepolicy"):
            problems.append("%s.@odata.type: is not a device compliance policy type (got %r). Accepted: a compliance "
                            "policy type as device_compliance_policy returns it, such as "
                            "#microsoft.graph.iosCompliancePolicy or #microsoft.graph.androidWorkProfileCompliancePolicy."
                            % (field, kind))
        if not any(isinstance(policy.get(k), str) and policy.get(k).strip() for k in ("id", "displayName")):
            problems.append("%s: names no policy (got id %r, displayName %r). Accepted: a displayName, or the id of a "
                            "stored policy." % (field, policy.get("id"), policy.get("displayName")))
        assignments = policy.get("assignments")
        if assignments is None:
            continue
        if not isinstance(assignments, list):
            problems.append("%s.assignments: is not a list (got %r). %s." % (field, assignments, PLANNED_ACCEPTED))
            continue
        for number, assignment in enumerate(assignments):
            where = "%s.assignments[%d].target" % (field, number)
            target = assignment.get("target") if isinstance(assignment, dict) else None
            target_kind = _kind(target.get("@odata.type")) if isinstance(target, dict) else None
            if target_kind not in TARGET_KINDS:
                problems.append("%s: is not an assignment target (got %r). Accepted: {\"@odata.type\": "
                                "\"#microsoft.graph.groupAssignmentTarget\", \"groupId\": \"<group id>\"}, "
                                "exclusionGroupAssignmentTarget, allLicensedUsersAssignmentTarget or "
                                "allDevicesAssignmentTarget." % (where, target if target is not None else assignment))
            elif target_kind in GROUP_TARGETS and not is_guid(target.get("groupId")):
                problems.append("%s.groupId: is not a group id (got %r). Accepted: the object id (a GUID) of the "
                                "group, as device_compliance_policy returns it." % (where, target.get("groupId")))
    for index, value in enumerate(removed or ()):
        if not isinstance(value, str) or not value.strip():
            problems.append("%s[%d]: names no policy (got %r). Accepted: the id or display name of a stored compliance "
                            "policy that an earlier task deletes." % (REMOVED_OPTION, index, value))
    return problems


def planned_compliance(stored, planned=None, removed=None):
    """The tenant's compliance policies as an earlier task of the play leaves them: ``stored`` (the tenant's, as Graph
    returns them) with each policy of ``planned`` in place of the stored ones of the same id, or else of the same
    display name (case ignored), and added when it matches none; less the stored ones ``removed`` names (ids or
    display names, case ignored). A planned policy without an id (one check mode would create) matches by name."""
    gone = set(_key(v) for v in removed or () if _key(v))
    planned = [p for p in planned or () if isinstance(p, dict)]
    by_id = set(_key(p.get("id")) for p in planned if _key(p.get("id")))
    by_name = set(_key(p.get("displayName")) for p in planned if _key(p.get("displayName")))
    kept = []
    for policy in stored or ():
        key, name = _key(policy.get("id")), _key(policy.get("displayName"))
        if (key and key in gone) or (name and name in gone):
            continue
        if key and key in by_id:
            continue
        if name and name in by_name:
            continue
        kept.append(policy)
    return kept + planned
