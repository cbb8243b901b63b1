# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: conditional access coverage, the matrix of who reaches what from where, and its gaps.

Not a public API. Pure: the module reads the policies, named locations and memberships first.

The matrix is the product of four dimensions: personas (a user with groups, roles and a type),
applications (app ids), device platforms and client app types. Each cell is one sign-in, evaluated
with ``_conditional_access.evaluation.evaluate`` over the policies, from outside every named location (an untrusted
network), with no risk stated and the device unknown (a policy with a device filter is then left
out as ``notEnoughInformation``): what a normal sign-in from anywhere meets. A policy whose users
condition leaves a persona out is set aside once for all of that persona's cells. Each cell gets:

* ``outcome`` (``block``, ``grant``, ``allow``) and ``requirements``, as the engine gives them;
* ``gap``: ``no_mfa_or_block`` when the sign-in is neither blocked nor made to pass a strong control:
  a client that can satisfy every control except MFA, authentication strengths, risk remediation
  and a compliant or joined device would get in (an OR with a weaker control, such as
  ``mfa`` OR ``compliantApplication``, is therefore a gap); ``no_app_protection`` for a mobile
  (iOS, Android) sign-in to an Office 365 workload (Office 365, Exchange, SharePoint, Teams) from a
  modern client (browser, mobile apps and desktop clients) that is not blocked and that a client
  without app protection (``compliantApplication``) and without a managed device (compliant or
  joined) would pass. Where both apply the cell carries the first, and ``gap_kinds`` both.
  Emergency-access personas are excluded from policies on purpose: their cells carry no gap, their
  check is ``emergency_blocked``.
* with ``compliance`` (``_conditional_access.compliance_coverage.ComplianceAssignments``, the tenant's assigned
  device compliance policies), ``no_compliance_policy`` for an iOS or Android cell whose requirements a client able
  to satisfy every control would meet only with a compliant device, while no compliance policy is assigned to the
  persona for the platform (``Evaluation.compliance_gap``). ``compliance`` then lists one row per persona and
  mobile platform: the policies that require a compliant device there (``required_by``), the compliance policies
  assigned (``compliance_policies``), and ``gap`` when the first is not backed by the second; emergency-access
  personas have rows too (``emergency``), which ``compliance_gaps`` lists with the others.

``unused_policies``: the enabled and report-only policies that apply to no cell, each with the
reason the engine gives most often (``users``, ``application``, ``devicePlatform``, ...). A policy
that only applies at a risk level, to a user action, an authentication context or an
authentication flow is tried again with those conditions met before it is called unused.
Disabled policies are left out: they apply to nothing on purpose.

``emergency_blocked``: for each emergency-access identity, each enforced policy that would block
it, or demand a control it cannot satisfy, signing in to the Azure portal or Microsoft Graph from
an unmanaged Windows device (``_conditional_access.rules.emergency_lockouts``, the lockout pre-flight's
check).

``report_only_as_enforced``: report-only policies count as enforced (the coverage a staged policy
set will give once enforced). Otherwise they are listed per cell under ``report_only`` and change
no outcome.
"""

import collections
import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    AZURE_PORTAL_APP_ID,
    Evaluation,
    EXCHANGE_ONLINE_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    OFFICE365_APP_IDS,
    OFFICE_HOME_APP_ID,
    OTHER_APPLICATION_ID,
    SHAREPOINT_ONLINE_APP_ID,
    TEAMS_APP_ID,
    evaluate,
    evaluate_policy,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    emergency_lockouts,
    outside_every_location,
    requirements_pass,
)

ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"

# (name, app id). Office 365 is the suite's portal (Office.com); "All other applications" is an
# application no policy names, in neither the Office 365 nor the admin portals group.
DEFAULT_APPLICATIONS = (
    ("Office 365", OFFICE_HOME_APP_ID),
    ("Exchange Online", EXCHANGE_ONLINE_APP_ID),
    ("SharePoint Online", SHAREPOINT_ONLINE_APP_ID),
    ("Microsoft Teams", TEAMS_APP_ID),
    ("Azure portal", AZURE_PORTAL_APP_ID),
    ("Microsoft Graph", MICROSOFT_GRAPH_APP_ID),
    ("All other applications", OTHER_APPLICATION_ID),
)
PLATFORMS = ("iOS", "android", "windows", "macOS", "linux")
MOBILE_PLATFORMS = frozenset(("ios", "android"))
CLIENT_APP_TYPES = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
MODERN_CLIENTS = frozenset(("browser", "mobileappsanddesktopclients"))

NO_MFA_OR_BLOCK = "no_mfa_or_block"
NO_APP_PROTECTION = "no_app_protection"
NO_COMPLIANCE_POLICY = "no_compliance_policy"
# The controls that make a sign-in prove more than a password; requirements_pass takes the rest.
STRONG_CONTROLS = frozenset(("mfa", "compliantdevice", "domainjoineddevice", "authenticationstrength",
                             "riskremediation"))
# The controls that keep Office data on a phone inside managed apps or a managed device.
PROTECTING_CONTROLS = frozenset(("compliantapplication", "approvedapplication", "compliantdevice",
                                 "domainjoineddevice"))
ALL_CONTROLS = frozenset(("mfa", "compliantdevice", "domainjoineddevice", "compliantapplication",
                          "approvedapplication", "passwordchange", "riskremediation", "authenticationstrength",
                          "termsofuse"))

# What a policy may need besides a persona, an app, a platform and a client to apply at all.
RISK_CONDITIONS = (("signInRiskLevels", "sign_in_risk"), ("userRiskLevels", "user_risk"),
                   ("servicePrincipalRiskLevels", "service_principal_risk"))


class Persona:
    """A row of the matrix: ``user`` is the engine's sign-in user (``id``, ``groups``, ``roles``,
    ``user_type``...); ``emergency`` marks an emergency-access identity."""

    def __init__(self, name, user, kind="declared", emergency=False):
        self.name = name
        self.user = user
        self.kind = kind
        self.emergency = emergency

    def as_dict(self):
        return {"name": self.name, "kind": self.kind, "emergency": self.emergency}


class Application:
    """A column of the matrix; ``office365``: an Office 365 workload (app protection expected on
    phones), by default when the engine counts the app in the Office 365 group."""

    def __init__(self, name, app_id, office365=None):
        self.name = name
        self.id = app_id
        self.office365 = (str(app_id).lower() in OFFICE365_APP_IDS) if office365 is None else bool(office365)

    def as_dict(self):
        return {"name": self.name, "id": self.id, "office365": self.office365}


def default_applications():
    return [Application(name, app_id) for name, app_id in DEFAULT_APPLICATIONS]


def _lower(values):
    return set(str(v).lower() for v in (values or []) if v is not None)


def _get(body, *path):
    for name in path:
        if not isinstance(body, dict):
            return None
        body = body.get(name)
    return body


def effective_policies(policies, report_only_as_enforced=False):
    """The policies as the matrix sees them: report-only ones enforced when asked."""
    found = []
    for policy in policies or ():
        policy = copy.deepcopy(policy)
        if report_only_as_enforced and str(policy.get("state") or "").lower() == REPORT_ONLY.lower():
            policy["state"] = ENABLED
        found.append(policy)
    return found


# ---------------------------------------------------------------------------------------------
# Default personas


def policy_groups(policies):
    """The group ids that policies include or exclude, in order of first appearance."""
    found = []
    for policy in policies or ():
        users = _get(policy, "conditions", "users") or {}
        for side in ("includeGroups", "excludeGroups"):
            for group in users.get(side) or []:
                if group and group not in found:
                    found.append(group)
    return found


def policy_roles(policies):
    """The directory role template ids that policies include or exclude."""
    found = []
    for policy in policies or ():
        users = _get(policy, "conditions", "users") or {}
        for side in ("includeRoles", "excludeRoles"):
            for role in users.get(side) or []:
                if role and role not in found:
                    found.append(role)
    return found


def default_personas(policies, group_names=None, role_names=None, emergency=(), groups=None):
    """A member of each group the policies name (and of no other; ``groups``: these group ids instead, such as
    those the policies and the compliance policies name), a holder of each role they name,
    a member with no group, a guest, and the emergency-access identities (a group of emergency
    accounts is a persona once, as an emergency-access identity)."""
    group_names = group_names or {}
    role_names = role_names or {}
    personas = []
    emergency_groups = set(str(i["id"]).lower() for i in emergency or () if i.get("kind") == "group")
    for group in policy_groups(policies) if groups is None else groups:
        if str(group).lower() in emergency_groups:
            continue  # the emergency-access identity of that group stands for its members
        personas.append(Persona("member of %s" % group_names.get(group, group),
                                {"id": None, "groups": [group], "roles": [], "user_type": "member"}, kind="group"))
    for role in policy_roles(policies):
        personas.append(Persona("holder of %s" % role_names.get(role, role),
                                {"id": None, "groups": [], "roles": [role], "user_type": "member"}, kind="role"))
    personas.append(Persona("all members", {"id": None, "groups": [], "roles": [], "user_type": "member"},
                            kind="all_members"))
    personas.append(Persona("guests", {"id": None, "groups": [], "roles": [], "user_type": "guest",
                                       "external_user_types": ["b2bCollaborationGuest"]}, kind="guests"))
    personas.extend(emergency_personas(emergency))
    return personas


def emergency_personas(emergency):
    return [Persona(identity["account"], identity["user"], kind="emergency_access", emergency=True)
            for identity in emergency or ()]


# ---------------------------------------------------------------------------------------------
# Cells


def compliance_need(evaluation, platform, compliance):
    """The names of the policies whose requirements this cell meets only with a compliant device (none when
    ``compliance`` is not known or the platform is not a mobile one)."""
    if compliance is None or str(platform).lower() not in MOBILE_PLATFORMS or evaluation.outcome != "grant":
        return []
    without = Evaluation(evaluation.results, dict(evaluation.sign_in, compliance_policy_assigned=False))
    return [r.get("policy") for r in without.compliance_gap()]


def _cell_gaps(persona, application, platform, client_app_type, evaluation, needing=(), backed=True):
    if persona.emergency or evaluation.outcome == "block":
        return []
    gaps = []
    requirements = evaluation.requirements if evaluation.outcome == "grant" else []
    if requirements_pass(requirements, ALL_CONTROLS - STRONG_CONTROLS):
        gaps.append(NO_MFA_OR_BLOCK)
    if (application.office365 and str(platform).lower() in MOBILE_PLATFORMS
            and str(client_app_type).lower() in MODERN_CLIENTS
            and requirements_pass(requirements, ALL_CONTROLS - PROTECTING_CONTROLS)):
        gaps.append(NO_APP_PROTECTION)
    if needing and not backed:
        gaps.append(NO_COMPLIANCE_POLICY)
    return gaps


def _names(results):
    return [r.display_name for r in results]


def coverage(policies, named_locations=(), personas=(), applications=None, platforms=PLATFORMS,
             client_app_types=CLIENT_APP_TYPES, emergency=(), report_only_as_enforced=False, compliance=None):
    """The coverage result (see the module docstring): ``dimensions``, ``cells``, ``gaps``,
    ``unused_policies``, ``emergency_blocked`` and ``counts``."""
    applications = default_applications() if applications is None else list(applications)
    policies = effective_policies(policies, report_only_as_enforced)
    personas = list(personas)
    # Every cell, the unused-policy probes and the emergency check go over them.
    named_locations = list(named_locations or ())
    location = outside_every_location(named_locations)
    cells = []
    applied = set()
    reasons = collections.defaultdict(collections.Counter)
    details = {}
    per_persona = len(applications) * len(platforms) * len(client_app_types)
    rows = collections.OrderedDict()
    for persona in personas:
        # The users condition depends on the persona only and is checked first: a policy that does not
        # assign the persona is left out of its cells, counted as not applied for "users" in each.
        reaching = []
        for policy in policies:
            result = evaluate_policy(policy, {"user": persona.user})
            if result.reason == "users":
                reasons[_key(result)]["users"] += per_persona
                details.setdefault((_key(result), "users"), result.detail)
            else:
                reaching.append(policy)
        for application in applications:
            for platform in platforms:
                for client_app_type in client_app_types:
                    sign_in = {"user": persona.user, "application": application.id, "device_platform": platform,
                               "client_app_type": client_app_type}
                    sign_in.update(location)
                    evaluation = evaluate(reaching, sign_in, named_locations)
                    for result in list(evaluation.enforced) + list(evaluation.report_only):
                        applied.add(_key(result))
                    for result in evaluation.not_applied:
                        reasons[_key(result)][result.reason] += 1
                        details.setdefault((_key(result), result.reason), result.detail)
                    needing = compliance_need(evaluation, platform, compliance)
                    backed = True
                    if compliance is not None and str(platform).lower() in MOBILE_PLATFORMS:
                        assigned = compliance.policies_for(platform, persona.user)
                        backed = bool(assigned)
                        row = rows.setdefault((persona.name, platform), {
                            "persona": persona.name, "kind": persona.kind, "emergency": persona.emergency,
                            "platform": platform, "required_by": [], "compliance_policies": assigned, "gap": False})
                        for name in needing:
                            if name not in row["required_by"]:
                                row["required_by"].append(name)
                        row["gap"] = bool(row["required_by"]) and not backed
                    kinds = _cell_gaps(persona, application, platform, client_app_type, evaluation, needing, backed)
                    cells.append({
                        "persona": persona.name, "application": application.name, "platform": platform,
                        "client_app_type": client_app_type, "outcome": evaluation.outcome,
                        "requirements": evaluation.requirements, "gap": kinds[0] if kinds else None,
                        "gap_kinds": kinds, "enforced": _names(evaluation.enforced),
                        "report_only": _names(evaluation.report_only), "emergency": persona.emergency,
                    })
    unused = unused_policies(policies, named_locations, personas, applications, platforms, client_app_types,
                             applied, reasons, details, location)
    blocked = emergency_blocked(policies, named_locations, emergency)
    gaps = [c for c in cells if c["gap"]]
    compliance_rows = list(rows.values())
    return {
        "dimensions": {
            "personas": [p.as_dict() for p in personas],
            "applications": [a.as_dict() for a in applications],
            "platforms": list(platforms),
            "client_app_types": list(client_app_types),
        },
        "report_only_as_enforced": bool(report_only_as_enforced),
        "cells": cells,
        "gaps": gaps,
        "unused_policies": unused,
        "emergency_blocked": blocked,
        "compliance_known": compliance is not None,
        "compliance": compliance_rows,
        "compliance_gaps": [r for r in compliance_rows if r["gap"]],
        "counts": {"cells": len(cells), "gaps": len(gaps), "unused_policies": len(unused),
                   "emergency_blocked": len(blocked),
                   "compliance_gaps": sum(1 for r in compliance_rows if r["gap"]),
                   NO_COMPLIANCE_POLICY: sum(1 for c in cells if NO_COMPLIANCE_POLICY in c["gap_kinds"]),
                   NO_MFA_OR_BLOCK: sum(1 for c in cells if NO_MFA_OR_BLOCK in c["gap_kinds"]),
                   NO_APP_PROTECTION: sum(1 for c in cells if NO_APP_PROTECTION in c["gap_kinds"])},
    }


def _key(result):
    return result.id or result.display_name


# ---------------------------------------------------------------------------------------------
# Unused policies


def _probe(policy, named_locations=()):
    """What a sign-in needs, besides the matrix's dimensions, for ``policy`` to apply: the first
    risk level it names, its first user action or authentication context, its first transfer
    method, the first named location it includes. Empty when it needs nothing more."""
    conditions = policy.get("conditions") or {}
    extra = {}
    included = [str(v) for v in _get(conditions, "locations", "includeLocations") or []]
    if included and not any(v.lower() == "all" for v in included):
        trusted = [str(loc.get("id")) for loc in named_locations or () if loc.get("isTrusted") and loc.get("id")]
        wanted = [v for v in included if v.lower() != "alltrusted"] + (
            trusted if any(v.lower() == "alltrusted" for v in included) else [])
        if wanted:
            extra["named_location"] = wanted[0]
    for field, key in RISK_CONDITIONS:
        levels = [v for v in conditions.get(field) or [] if str(v).lower() not in ("none", "unknownfuturevalue")]
        if levels:
            extra[key] = levels[0]
    insider = [v for v in conditions.get("insiderRiskLevels") or [] if str(v).lower() != "unknownfuturevalue"] \
        if isinstance(conditions.get("insiderRiskLevels"), list) else \
        [v.strip() for v in str(conditions.get("insiderRiskLevels") or "").split(",") if v.strip()]
    if insider:
        extra["insider_risk"] = insider[0]
    applications = conditions.get("applications") or {}
    actions = applications.get("includeUserActions") or []
    contexts = applications.get("includeAuthenticationContextClassReferences") or []
    if actions:
        extra["user_action"] = actions[0]
    elif contexts:
        extra["authentication_context"] = contexts[0]
    methods = _get(conditions, "authenticationFlows", "transferMethods")
    if methods:
        extra["authentication_flow"] = str(methods).split(",", maxsplit=1)[0].strip()
    return extra


def unused_policies(policies, named_locations, personas, applications, platforms, client_app_types, applied,
                    reasons, details, location=None):
    """``[{display_name, id, state, reason, detail}]`` of the policies that apply to no cell."""
    found = []
    for policy in policies:
        state = str(policy.get("state") or "").lower()
        if state not in (ENABLED, REPORT_ONLY.lower()):
            continue
        key = policy.get("id") or policy.get("displayName")
        if key in applied:
            continue
        extra = dict(location or {})
        extra.update(_probe(policy, named_locations))
        if extra != (location or {}) and _applies_somewhere(policy, extra, named_locations, personas, applications,
                                                            platforms, client_app_types):
            continue
        counted = reasons.get(key) or collections.Counter()
        reason = counted.most_common(1)[0][0] if counted else "notEnoughInformation"
        found.append({"display_name": policy.get("displayName"), "id": policy.get("id"), "state": policy.get("state"),
                      "reason": reason, "detail": details.get((key, reason))})
    return found


def _applies_somewhere(policy, extra, named_locations, personas, applications, platforms, client_app_types):
    targets = [None] if "user_action" in extra or "authentication_context" in extra else applications
    for persona in personas:
        for application in targets:
            for platform in platforms:
                for client_app_type in client_app_types:
                    sign_in = {"user": persona.user, "device_platform": platform, "client_app_type": client_app_type}
                    if application is not None:
                        sign_in["application"] = application.id
                    sign_in.update(extra)
                    evaluation = evaluate([policy], sign_in, named_locations)
                    if evaluation.enforced or evaluation.report_only:
                        return True
    return False


# ---------------------------------------------------------------------------------------------
# Emergency access


def emergency_blocked(policies, named_locations, emergency):
    """``[{account, policy, policy_id, application, client_app_type, detail}]``: one per emergency
    identity and policy that locks it out (enforced policies only)."""
    enforced = [p for p in policies if str(p.get("state") or "").lower() == ENABLED]
    found = []
    seen = set()
    for lockout in emergency_lockouts(enforced, emergency, named_locations):
        key = (lockout["account"], lockout["policy"])
        if key in seen:
            continue
        seen.add(key)
        found.append(lockout)
    return found
