# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: checks a conditional access policy must pass before anything is written.

Not a public API. Three kinds of check, all pure (the module resolves names and reads the current
policy first):

* the retired grant: ``approvedApplication`` ("require approved client app") was retired on
  2026-06-30; policies using it can no longer be created or edited, only disabled or deleted
  (``retired_grant_problems``, ``uses_retired_grant``, ``replacement_for_retired_grant``);
* the lockout guard: an enforcing policy that blocks or demands a control for all users or for
  directory roles must exclude the emergency-access accounts given, and without any is refused
  unless the risk is acknowledged (``lockout_problems``);
* the lockout pre-flight: on the whole predicted set of enforced policies (the tenant's, with the
  task's changes applied), each emergency-access identity must still be able to sign in to the
  Azure portal and Microsoft Graph from an unmanaged Windows device, in a browser and in a desktop
  client, satisfying MFA or an authentication strength but no device or app requirement
  (``emergency_lockouts``, ``preflight_problems``). The guard looks at one policy's exclusions;
  the pre-flight evaluates every policy as Entra would (``_conditional_access.evaluation``), so it also sees an
  account reached through a group it belongs to, a role it holds, or a policy for the Azure
  portal alone. Neither can be acknowledged away once emergency-access accounts are given:
  ``acknowledge_lockout_risk`` only stands in for missing accounts;
* input validation: enum values, ids and special values, sign-in frequency and the other
  combinations Graph refuses, each problem naming the option path, the value and what would be
  accepted (``option_problems``, ``reference_problems``, ``policy_problems``,
  ``creation_problems``).

``write_problems`` runs every check that needs the current policy, in the order a module needs.
"""

import collections
import ipaddress
import re

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    AZURE_PORTAL_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    UNMANAGED_DEVICE,
    evaluate,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import (
    compute_patch,
    merge_for_prediction,
    writable_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    RESOLVABLE_KINDS,
    OptionProblem,
    canonical_member,
    discriminator_from_odata_type,
    is_guid,
    is_special,
    node_at,
    option_path,
    options_to_graph,
    reference_values,
    schema_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import LABELS
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import application_name, readable

RETIRED_GRANT = "approvedApplication"
REPLACEMENT_GRANT = "compliantApplication"
RETIREMENT_DATE = "2026-06-30"
RETIREMENT_URL = "https://learn.microsoft.com/entra/identity/conditional-access/migrate-approved-client-app"
REPORT_ONLY = "enabledForReportingButNotEnforced"

# Grant controls that keep a person out until satisfied. From the lockout rule (block,
# MFA, compliant device, app protection, authentication strength) plus the controls that demand as
# much: hybrid join, password change, risk remediation and the retired approved client app.
LOCKOUT_CONTROLS = ("block", "mfa", "compliantDevice", "domainJoinedDevice", "compliantApplication",
                    "approvedApplication", "passwordChange", "riskRemediation")

AUTHENTICATION_CONTEXT = re.compile(r"^c[1-9][0-9]*$", re.IGNORECASE)
USER_ACTION_PREFIX = "urn:user:"
GUID_ONLY_KINDS = ("servicePrincipal", "tenant", "termsOfUse")
FILTERS = (
    ("conditions", "applications", "applicationFilter"),
    ("conditions", "clientApplications", "servicePrincipalFilter"),
    ("conditions", "clientApplications", "agentIdServicePrincipalFilter"),
    ("conditions", "devices", "deviceFilter"),
)
GUEST_OBJECTS = (("includeUsers", "includeGuestsOrExternalUsers"), ("excludeUsers", "excludeGuestsOrExternalUsers"))


def _get(body, path):
    for name in path:
        if not isinstance(body, dict):
            return None
        body = body.get(name)
    return body


def _lower_set(values):
    return set(str(v).strip().lower() for v in (values or []) if v is not None)


def policy_label(policy):
    """How messages name a policy: its display name, else its id."""
    policy = policy or {}
    if policy.get("displayName"):
        return "conditional access policy %r" % policy["displayName"]
    if policy.get("id"):
        return "conditional access policy %s" % policy["id"]
    return "the conditional access policy"


# ---------------------------------------------------------------------------------------------
# (a) The retired grant


def uses_retired_grant(policy):
    """Whether a policy still requires the retired ``approvedApplication`` grant."""
    return RETIRED_GRANT.lower() in _lower_set(_get(policy, ("grantControls", "builtInControls")))


def retired_grant_problems(desired, current=None, api_version="v1.0"):
    """Refuse a new or changed policy with ``approvedApplication``, and any change other than
    disabling to an existing policy that still has it (it is read-only since the retirement)."""
    label = policy_label(desired if (desired or {}).get("displayName") else current)
    if uses_retired_grant(desired):
        return [
            "%s: grant_controls.built_in_controls contains %r (require approved client app), which Microsoft retired on "
            "%s: Graph no longer accepts it in new or edited policies. Use %r (require app protection policy) "
            "instead; to migrate an existing policy, create the replacement report-only, check it, then disable the old "
            "one. See %s" % (label, RETIRED_GRANT, RETIREMENT_DATE, REPLACEMENT_GRANT, RETIREMENT_URL)
        ]
    if current and uses_retired_grant(current):
        patch = compute_patch(desired, current, api_version)
        disabling_only = set(patch) <= set(["state"]) and (
            "state" not in patch or str(patch["state"]).lower() == "disabled")
        if not disabling_only:
            return [
                "%s uses the retired %r grant and has been read-only since %s: it can only be disabled "
                "(policy_state: disabled) or deleted (state: absent), not changed (%s). Create a replacement that uses %r, "
                "report-only first, then disable this one. See %s"
                % (label, RETIRED_GRANT, RETIREMENT_DATE, ", ".join(option_path((k,)) for k in sorted(patch)),
                   REPLACEMENT_GRANT, RETIREMENT_URL)
            ]
    return []


def replacement_for_retired_grant(policy, api_version, display_name=None):
    """The body of a policy that replaces one using ``approvedApplication``: the same writable
    settings, ``compliantApplication`` instead, report-only. None when the policy does not use it."""
    if not uses_retired_grant(policy):
        return None
    body = writable_body(policy, api_version, keep_empty=False)
    controls = []
    for control in body["grantControls"]["builtInControls"]:
        control = REPLACEMENT_GRANT if str(control).lower() == RETIRED_GRANT.lower() else control
        if control not in controls:
            controls.append(control)
    body["grantControls"]["builtInControls"] = controls
    body["state"] = REPORT_ONLY
    body["displayName"] = display_name or "%s (app protection)" % policy.get("displayName", "")
    return body


# ---------------------------------------------------------------------------------------------
# (b) The lockout guard


def _enforced_controls(policy):
    grant = policy.get("grantControls") or {}
    found = [c for c in LOCKOUT_CONTROLS if c.lower() in _lower_set(grant.get("builtInControls"))]
    strength = grant.get("authenticationStrength")
    if isinstance(strength, dict) and strength.get("id"):
        found.append("authenticationStrength")
    return found


def _describe_controls(controls):
    parts = []
    if "block" in controls:
        parts.append("blocks access")
    demands = [c for c in controls if c not in ("block", "authenticationStrength")]
    if "authenticationStrength" in controls:
        demands.append("an authentication strength")
    if demands:
        parts.append("requires %s" % " or ".join(demands))
    return " and ".join(parts)


def _privileged_targets(policy):
    users = _get(policy, ("conditions", "users")) or {}
    targets = []
    if "all" in _lower_set(users.get("includeUsers")):
        targets.append("all users (conditions.users.include_users: All)")
    roles = users.get("includeRoles") or []
    if roles:
        targets.append("directory roles %s (conditions.users.include_roles)" % ", ".join(readable("role", r) for r in roles))
    return targets


def _emergency_accounts(emergency_access):
    emergency_access = emergency_access or {}
    return list(emergency_access.get("users") or []), list(emergency_access.get("groups") or [])


def lockout_problems(policy, emergency_access=None, acknowledge_lockout_risk=False, names=None, groups_of=None):
    """Refuse an enforcing policy that could lock every administrator out.

    ``policy`` is the policy as it will be (``merge_for_prediction``), with ids resolved.
    ``emergency_access`` is ``{"users": [ids], "groups": [ids]}``: each must be excluded
    (``excludeUsers`` / ``excludeGroups``; a user also through a group of ``excludeGroups`` it
    belongs to, when ``groups_of(user id)`` gives its transitive group ids, as the pre-flight
    would find). Without any, the policy is refused unless ``acknowledge_lockout_risk``.
    ``names`` (id -> display name) makes messages readable.
    """
    policy = policy or {}
    if str(policy.get("state") or "").lower() != "enabled":
        return []
    controls = _enforced_controls(policy)
    targets = _privileged_targets(policy)
    if not controls or not targets:
        return []
    why = "%s is enforcing (policy_state: enabled), %s and applies to %s" % (
        policy_label(policy), _describe_controls(controls), " and ".join(targets))
    users, groups = _emergency_accounts(emergency_access)
    if not users and not groups:
        if acknowledge_lockout_risk:
            return []
        return [
            "%s, so a mistake in it can lock every administrator out of the tenant; it is refused because no "
            "emergency-access accounts are given. Fix: set emergency_access (users and/or groups; module_defaults can set "
            "it for a whole play) and exclude them in conditions.users.exclude_users / conditions.users.exclude_groups; "
            "or create the policy report-only first (policy_state: %s); or set acknowledge_lockout_risk: true to accept "
            "the risk." % (why, REPORT_ONLY)
        ]
    excluded_users = _lower_set(_get(policy, ("conditions", "users", "excludeUsers")))
    excluded_groups = _lower_set(_get(policy, ("conditions", "users", "excludeGroups")))
    missing = ["user %s" % _named(u, names) for u in users if str(u).lower() not in excluded_users
               and not _excluded_through_group(u, excluded_groups, groups_of)]
    missing += ["group %s" % _named(g, names) for g in groups if str(g).lower() not in excluded_groups]
    if not missing:
        return []
    return [
        "%s, but it does not exclude the emergency-access %s. Fix: add the users to conditions.users.exclude_users "
        "and the groups to conditions.users.exclude_groups." % (why, ", ".join(missing))
    ]


def _excluded_through_group(user_id, excluded_groups, groups_of):
    if not excluded_groups or groups_of is None:
        return False
    return bool(_lower_set(groups_of(user_id)) & excluded_groups)


def _named(object_id, names):
    name = (names or {}).get(object_id)
    return "%s (%s)" % (name, object_id) if name else str(object_id)


# ---------------------------------------------------------------------------------------------
# (b2) The lockout pre-flight

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
# What an emergency-access account must still reach, and how: an unmanaged Windows PC.
EMERGENCY_APPLICATIONS = (AZURE_PORTAL_APP_ID, MICROSOFT_GRAPH_APP_ID)
EMERGENCY_PLATFORM = "windows"
EMERGENCY_CLIENT_APP_TYPES = ("browser", "mobileAppsAndDesktopClients")
CLIENT_WORDS = {"browser": "browser", "mobileAppsAndDesktopClients": "desktop client"}
# The controls such an account can satisfy: it can do MFA (any authentication strength, its FIDO2
# key), accept terms of use, change its password; it has no compliant or joined device and no app
# under app protection.
EMERGENCY_SATISFIABLE = frozenset(("mfa", "authenticationstrength", "termsofuse", "passwordchange",
                                   "riskremediation", "customauthenticationfactor"))
# Candidates for a sign-in from outside every named location: documentation addresses (RFC 5737,
# RFC 3849) and territories no one signs in from.
OUTSIDE_ADDRESSES = ("203.0.113.77", "198.51.100.77", "192.0.2.77", "2001:db8::77", "100.64.0.77")
OUTSIDE_COUNTRIES = ("AQ", "BV", "HM", "TF", "UM")
# Clients the grant controls cannot be satisfied from, as messages say it.
UNSATISFIABLE_WHY = {
    "compliantdevice": "a compliant device",
    "domainjoineddevice": "a Microsoft Entra hybrid joined device",
    "compliantapplication": "an app under app protection",
    "approvedapplication": "an approved client app (retired)",
}


def grant_items(grant):
    """The lower-case controls a grant asks for, with ``authenticationstrength`` and ``termsofuse``
    for those references, and its operator."""
    grant = grant or {}
    items = [str(c).lower() for c in grant.get("builtInControls") or []]
    strength = grant.get("authenticationStrength")
    if isinstance(strength, dict) and strength.get("id") or isinstance(strength, str) and strength:
        items.append("authenticationstrength")
    items.extend("termsofuse" for _t in grant.get("termsOfUse") or [])
    items.extend("customauthenticationfactor" for _c in grant.get("customAuthenticationFactors") or [])
    # Conditional Access requires all selected controls unless told otherwise.
    return items, str(grant.get("operator") or "AND").upper()


def _passes(items, operator, satisfiable):
    if not items:
        return True
    if "block" in items:
        return False
    if operator == "AND":
        return all(i in satisfiable for i in items)
    return any(i in satisfiable for i in items)


def grant_passes(grant, satisfiable):
    """Whether a client that can satisfy the controls ``satisfiable`` (lower case, with
    ``authenticationstrength`` and ``termsofuse``) gets past one policy's grant controls."""
    items, operator = grant_items(grant)
    return _passes(items, operator, satisfiable)


def requirements_pass(requirements, satisfiable):
    """The same over the engine's ``requirements`` (every one must pass: AND across policies)."""
    for requirement in requirements or ():
        items = [str(c).lower() for c in requirement.get("controls") or []]
        if requirement.get("authentication_strength"):
            items.append("authenticationstrength")
        items.extend("termsofuse" for _t in requirement.get("terms_of_use") or [])
        items.extend("customauthenticationfactor" for _c in requirement.get("custom_authentication_factors") or [])
        if not _passes(items, str(requirement.get("operator") or "AND").upper(), satisfiable):
            return False
    return True


def emergency_identity(account, kind, object_id, groups=(), roles=()):
    """An emergency-access identity as the pre-flight evaluates it: a user with its transitive
    groups and roles, or any member of a group. Either holds Global Administrator, as an
    emergency-access account does, so policies for administrators reach it."""
    roles = list(roles or ())
    if GLOBAL_ADMINISTRATOR not in [str(r).lower() for r in roles]:
        roles.append(GLOBAL_ADMINISTRATOR)
    groups = list(groups or ())
    if kind == "group" and object_id not in groups:
        groups.insert(0, object_id)
    return {"account": account, "kind": kind, "id": object_id,
            "user": {"id": object_id if kind == "user" else None, "groups": groups, "roles": roles,
                     "user_type": "member"}}


def outside_every_location(named_locations=()):
    """``{ip_address, country}`` of a sign-in from no named location (an untrusted network): an
    address no IP location's ranges hold and a country no country location lists."""
    ranges = []
    countries = set()
    for location in named_locations or ():
        for item in location.get("ipRanges") or []:
            cidr = item.get("cidrAddress") if isinstance(item, dict) else item
            try:
                ranges.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
            except ValueError:
                continue
        countries.update(str(c).upper() for c in location.get("countriesAndRegions") or [])
    address = OUTSIDE_ADDRESSES[0]
    # Past the documentation addresses, the addresses just outside each range: one of them lies outside
    # every range unless the ranges hold every address.
    candidates = [ipaddress.ip_address(a) for a in OUTSIDE_ADDRESSES]
    for network in ranges:
        for edge in (int(network.broadcast_address) + 1, int(network.network_address) - 1):
            if 0 <= edge < 2 ** network.max_prefixlen:
                candidates.append(ipaddress.ip_address(edge) if network.version == 4 else ipaddress.IPv6Address(edge))
    for parsed in candidates:
        if not any(parsed.version == r.version and parsed in r for r in ranges):
            address = str(parsed)
            break
    country = next((c for c in OUTSIDE_COUNTRIES if c not in countries), OUTSIDE_COUNTRIES[0])
    return {"ip_address": address, "country": country}


def emergency_sign_ins(identity, named_locations=()):
    """``(application, client app type, sign-in)`` the pre-flight evaluates for one identity: the
    Azure portal and Microsoft Graph, in a browser and in a desktop client, on an unmanaged Windows
    device, from outside every named location."""
    location = outside_every_location(named_locations)
    for application in EMERGENCY_APPLICATIONS:
        for client_app_type in EMERGENCY_CLIENT_APP_TYPES:
            sign_in = {"user": identity["user"], "application": application, "device_platform": EMERGENCY_PLATFORM,
                       "client_app_type": client_app_type, "device": dict(UNMANAGED_DEVICE)}
            sign_in.update(location)
            yield application, client_app_type, sign_in


def _lockout_detail(result):
    items, operator = grant_items(result.grant)
    if "block" in items:
        return "blocks access"
    missing = [UNSATISFIABLE_WHY.get(i, i) for i in items if i not in EMERGENCY_SATISFIABLE]
    if operator == "AND" or len(items) == 1:
        return "requires %s, which an unmanaged device cannot satisfy" % " and ".join(missing)
    return "requires %s, none of which an unmanaged device can satisfy" % " or ".join(
        UNSATISFIABLE_WHY.get(i, i) for i in items)


def emergency_lockouts(policies, identities, named_locations=()):
    """One entry per (identity, application, client app type, policy) where an enforced policy of
    ``policies`` blocks the identity or demands what it cannot satisfy:
    ``{account, kind, policy, policy_id, application, client_app_type, detail}``."""
    found = []
    named_locations = list(named_locations or ())  # gone over for every identity and sign-in
    for identity in identities or ():
        for application, client_app_type, sign_in in emergency_sign_ins(identity, named_locations):
            evaluation = evaluate(policies, sign_in, named_locations)
            for result in evaluation.enforced:
                if grant_passes(result.grant, EMERGENCY_SATISFIABLE):
                    continue
                label = policy_label({"displayName": result.display_name, "id": result.id})
                effect = _lockout_detail(result)
                app = application_name(application) or application
                found.append({
                    "account": identity["account"], "kind": identity["kind"], "policy": result.display_name,
                    "policy_id": result.id, "application": app, "client_app_type": client_app_type,
                    "effect": effect,
                    "detail": "%s %s for %s signing in to %s from an unmanaged %s device (%s)" % (
                        label, effect, identity["account"], app, EMERGENCY_PLATFORM, client_app_type),
                })
    return found


def _label(lockout):
    return policy_label({"displayName": lockout["policy"], "id": lockout["policy_id"]})


def preflight_problems(predicted, identities, changed, named_locations=()):
    """The lockout pre-flight over ``predicted`` (every policy of the tenant once the task is done;
    enforced ones count). ``changed``: ids and display names of the policies the task creates or
    changes. Returns ``(problems, warnings)``: a lockout caused by a changed policy is a problem (the
    task is refused); one caused only by a policy the task leaves alone is a warning, since refusing
    would not undo it and the task may be what fixes it elsewhere."""
    enforced = [p for p in predicted or () if str(p.get("state") or "").lower() == "enabled"]
    changed = set(str(c).lower() for c in changed or () if c)
    problems, warnings = [], []
    by_policy = collections.OrderedDict()
    for lockout in emergency_lockouts(enforced, identities, named_locations):
        key = (lockout["policy_id"] or lockout["policy"], lockout["account"])
        by_policy.setdefault(key, []).append(lockout)
    for (_policy, account), lockouts in by_policy.items():
        first = lockouts[0]
        clients = collections.OrderedDict()
        for lockout in lockouts:
            client = lockout["client_app_type"]
            clients.setdefault(lockout["application"], []).append(CLIENT_WORDS.get(client, client))
        reached = " or ".join("%s (%s)" % (app, ", ".join(kinds)) for app, kinds in clients.items())
        touched = str(first["policy_id"] or "").lower() in changed or str(first["policy"] or "").lower() in changed
        if touched:
            problems.append(
                "Lockout pre-flight: %s %s, so the emergency-access %s %s could no longer sign in to %s from an "
                "unmanaged device; nothing was changed. Fix: exclude it from the policy "
                "(conditions.users.exclude_users / conditions.users.exclude_groups), or narrow the policy." % (
                    _label(first), first["effect"], first["kind"], account, reached))
        else:
            warnings.append(
                "Lockout pre-flight: %s %s, and this task does not change it: the emergency-access %s %s cannot "
                "sign in to %s from an unmanaged device. Exclude it from that policy." % (
                    _label(first), first["effect"], first["kind"], account, reached))
    return problems, warnings


# ---------------------------------------------------------------------------------------------
# (c) Input validation


def option_problems(params, api_version):
    """What is wrong with the options themselves, before any name is resolved or the current
    policy is read: enum values and beta-only options (``schema_problems``), then values of id
    fields that can never be right (``shape_problems``). Combinations are checked on the policy
    as it will be (``policy_problems``, run by ``write_problems``), since options left out keep
    their current values."""
    problems = schema_problems(params, api_version)
    if problems:
        return problems
    return shape_problems(options_to_graph(params, api_version))


def shape_problems(body):
    """Values of reference fields that can never be right, names allowed where the module resolves
    them: GUID-only fields, device states, authentication contexts, user actions, empty strings."""
    problems = []
    for path, node, value in reference_values(body):
        where = option_path(path)
        kind = node["reference"]
        if not isinstance(value, str) or not value.strip():
            problems.append(OptionProblem(where, "is empty", value, "a non-empty id or name"))
        elif kind in ("user", "group", "role") and value.strip().lower() in ("all", "none") \
                and not is_special(node, value):
            noun = LABELS.get(kind, kind)
            problems.append(OptionProblem(
                where, "is %s, which Graph accepts only in conditions.users.include_users (All: every user; None: no "
                "one); %s needs explicit %ss" % (value.strip(), where.rsplit(".", 1)[-1], noun),
                value, "the %s or ids of the %ss to %s" % (
                    "user principal names" if kind == "user" else "display names", noun,
                    "leave out" if where.rsplit(".", 1)[-1].startswith("exclude_") else "include")))
        elif kind in GUID_ONLY_KINDS and not is_guid(value) and not is_special(node, value):
            problems.append(OptionProblem(where, "is not an id", value, _ids_or_specials(node)))
        elif kind == "deviceState" and not is_special(node, value):
            problems.append(OptionProblem(where, "is not a device state this field takes", value,
                                          ", ".join(node["special"]) + " (any case)"))
        elif kind == "authenticationContext" and not AUTHENTICATION_CONTEXT.match(value.strip()):
            problems.append(OptionProblem(where, "is not an authentication context id", value, "c1, c2, ... (for example c1)"))
        elif kind == "userAction" and not value.strip().lower().startswith(USER_ACTION_PREFIX):
            problems.append(OptionProblem(where, "is not a user action", value, ", ".join(node["special"])))
    return problems


def _ids_or_specials(node):
    text = "a GUID"
    if node.get("special"):
        text += ", or %s" % ", ".join(node["special"])
    return text


def reference_problems(body):
    """After names are resolved: every reference the module resolves is now an id or a special
    value. Anything else is a name that was not found (or a template placeholder)."""
    problems = []
    for path, node, value in reference_values(body):
        if node["reference"] in RESOLVABLE_KINDS and not is_guid(value) and not is_special(node, value):
            accepted = "an id, or a name of an existing %s" % node["reference"]
            if node.get("special"):
                accepted += ", or %s" % ", ".join(node["special"])
            problems.append(OptionProblem(option_path(path), "is neither an id nor a name that was found", value, accepted))
    return problems


def policy_problems(policy):
    """Combinations Graph refuses or documents as invalid, checked on a Graph body (the desired
    one, or the policy as it will be)."""
    policy = policy or {}
    problems = []
    for check in (_sign_in_frequency_problems, _password_change_problems, _applications_and_user_actions,
                  _guests_special_and_object, _external_tenants_problems, _filter_problems, _device_filter_conflict,
                  _filtering_profile_problems):
        problems.extend(check(policy))
    return problems


def _sign_in_frequency_problems(policy):
    """signInFrequencySessionControl: ``type`` (days or hours) and ``value`` go together and are
    needed with ``timeBased``; with ``everyTime`` both are null (Graph beta reference)."""
    path = ("sessionControls", "signInFrequency")
    frequency = _get(policy, path)
    if not isinstance(frequency, dict):
        return []
    interval = canonical_member("signInFrequencyInterval", frequency.get("frequencyInterval"))
    unit, value = frequency.get("type"), frequency.get("value")
    where = option_path(path)
    if interval == "everyTime":
        return [OptionProblem(option_path(path + (name,)), "must be left out when %s.frequency_interval is everyTime" % where,
                              frequency[name], "no value")
                for name in ("type", "value") if frequency.get(name) is not None]
    problems = []
    if (unit is None) != (value is None):
        missing = "type" if unit is None else "value"
        problems.append(OptionProblem(option_path(path + (missing,)), "is required when %s is set" % option_path(
            path + ("value" if missing == "type" else "type",)), None,
            "days or hours" if missing == "type" else "a whole number of days or hours"))
    elif unit is None and interval == "timeBased":
        problems.append(OptionProblem(where, "frequency_interval timeBased needs type and value", None,
                                      "type: days or hours, and value: a whole number"))
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        problems.append(OptionProblem(option_path(path + ("value",)), "must be a whole number of %s, 1 or more" % (unit or "days or hours"),
                                      value, "a whole number from 1"))
    return problems


def _password_change_problems(policy):
    """``passwordChange`` must be paired with ``mfa`` using AND, in a user-risk policy for all
    applications (Graph reference for conditionalAccessGrantControls)."""
    grant = policy.get("grantControls") or {}
    controls = _lower_set(grant.get("builtInControls"))
    if "passwordchange" not in controls:
        return []
    where = option_path(("grantControls", "builtInControls"))
    problems = []
    if "mfa" not in controls:
        problems.append(OptionProblem(where, "passwordChange must be paired with mfa", sorted(grant.get("builtInControls")),
                                      "[mfa, passwordChange] with operator AND"))
    if str(grant.get("operator") or "").upper() != "AND":
        problems.append(OptionProblem(option_path(("grantControls", "operator")), "must be AND with passwordChange",
                                      grant.get("operator"), "AND"))
    apps = _get(policy, ("conditions", "applications", "includeApplications"))
    if apps is not None and _lower_set(apps) != set(["all"]):
        problems.append(OptionProblem(option_path(("conditions", "applications", "includeApplications")),
                                      "must be [All] in a policy that requires passwordChange", apps, "[All]"))
    levels = _get(policy, ("conditions", "userRiskLevels"))
    if levels is not None and not levels:
        problems.append(OptionProblem(option_path(("conditions", "userRiskLevels")),
                                      "must name at least one level in a policy that requires passwordChange", levels,
                                      "low, medium, high"))
    return problems


def _applications_and_user_actions(policy):
    """Graph error 1012: the applications condition cannot include applications together with user
    actions or authentication contexts (formerly protection levels)."""
    applications = _get(policy, ("conditions", "applications")) or {}
    others = [name for name in ("includeUserActions", "includeAuthenticationContextClassReferences") if applications.get(name)]
    if applications.get("includeApplications") and others:
        return [OptionProblem(option_path(("conditions", "applications")),
                              "cannot include both include_applications and %s (Graph error 1012)"
                              % " and ".join(option_path(("conditions", "applications", n)).rsplit(".", 1)[1] for n in others),
                              None, "one of them; leave the others out or empty")]
    return []


def _guests_special_and_object(policy):
    """'GuestsOrExternalUsers' in the user list cannot be combined with the guestsOrExternalUsers
    object on the same side (Graph refuses it; terraform-provider-azuread #1196)."""
    users = _get(policy, ("conditions", "users")) or {}
    problems = []
    for list_name, object_name in GUEST_OBJECTS:
        if "guestsorexternalusers" in _lower_set(users.get(list_name)) and users.get(object_name):
            problems.append(OptionProblem(
                option_path(("conditions", "users", object_name)),
                "cannot be combined with GuestsOrExternalUsers in %s" % option_path(("conditions", "users", list_name)),
                None, "one of the two"))
    return problems


def _external_tenants_problems(policy):
    """externalTenants: ``all`` takes no members, ``enumerated`` needs them, and either needs
    guestOrExternalUserTypes (Graph reference for conditionalAccessGuestsOrExternalUsers)."""
    problems = []
    for side in ("includeGuestsOrExternalUsers", "excludeGuestsOrExternalUsers"):
        path = ("conditions", "users", side, "externalTenants")
        tenants = _get(policy, path)
        if not isinstance(tenants, dict) or not any(v for k, v in tenants.items() if not k.startswith("@")):
            continue
        kind = tenants.get("membershipKind") or discriminator_from_odata_type(node_at(path), tenants)
        kind = str(kind or "").lower()
        members = tenants.get("members") or []
        if not kind:
            problems.append(OptionProblem(option_path(path + ("membershipKind",)), "is required with external tenants",
                                          None, "all, enumerated"))
        elif kind == "enumerated" and not members:
            problems.append(OptionProblem(option_path(path + ("members",)), "needs at least one tenant id with membership_kind enumerated",
                                          None, "a list of tenant ids"))
        elif kind == "all" and members:
            problems.append(OptionProblem(option_path(path + ("members",)), "must be left out with membership_kind all",
                                          members, "no members, or membership_kind enumerated"))
        if not _get(policy, ("conditions", "users", side, "guestOrExternalUserTypes")):
            problems.append(OptionProblem(option_path(("conditions", "users", side, "guestOrExternalUserTypes")),
                                          "is required when external tenants are given", None,
                                          "a comma-separated list of guest or external user types"))
    return problems


def _filter_problems(policy):
    """A filter needs both its mode and its rule."""
    problems = []
    for path in FILTERS:
        found = _get(policy, path)
        if not isinstance(found, dict) or not any(v is not None for v in found.values()):
            continue
        if not found.get("mode"):
            problems.append(OptionProblem(option_path(path + ("mode",)), "is required with a filter", None, "include, exclude"))
        if not str(found.get("rule") or "").strip():
            problems.append(OptionProblem(option_path(path + ("rule",)), "is required with a filter", found.get("rule"),
                                          "a rule such as device.isCompliant -eq True"))
    return problems


def _device_filter_conflict(policy):
    """devices.deviceFilter cannot be set with includeDevices or excludeDevices (Graph beta
    reference for conditionalAccessDevices)."""
    devices = _get(policy, ("conditions", "devices")) or {}
    device_filter = devices.get("deviceFilter")
    if isinstance(device_filter, dict) and any(v for v in device_filter.values()) and (
            devices.get("includeDevices") or devices.get("excludeDevices")):
        return [OptionProblem(option_path(("conditions", "devices", "deviceFilter")),
                              "cannot be set together with include_devices or exclude_devices", None,
                              "either device_filter, or include_devices / exclude_devices")]
    return []


def _filtering_profile_problems(policy):
    path = ("sessionControls", "globalSecureAccessFilteringProfile")
    profile = _get(policy, path)
    if isinstance(profile, dict) and any(v is not None for v in profile.values()) and not profile.get("profileId"):
        return [OptionProblem(option_path(path + ("profileId",)), "is required with a filtering profile", None,
                              "the id of a Global Secure Access security or filtering profile")]
    return []


def creation_problems(body):
    """What Graph requires to create a policy: a display name, and conditions with applications
    and either users or client applications."""
    body = body or {}
    problems = []
    if not str(body.get("displayName") or "").strip():
        problems.append(OptionProblem("display_name", "is required to create a policy", body.get("displayName"),
                                      "a non-empty name"))
    conditions = body.get("conditions") or {}
    if not conditions.get("applications"):
        problems.append(OptionProblem("conditions.applications", "is required to create a policy", None,
                                      "include_applications (an app, All, Office365, ...), or include_user_actions, or "
                                      "include_authentication_context_class_references"))
    if not conditions.get("users") and not conditions.get("clientApplications"):
        problems.append(OptionProblem("conditions.users", "is required to create a policy (or conditions.client_applications)",
                                      None, "include_users, include_groups or include_roles"))
    return problems


def write_problems(desired, current, api_version, emergency_access=None, acknowledge_lockout_risk=False, names=None,
                   unresolved=(), lockout=True, groups_of=None):
    """Every check to pass before writing ``desired`` (names already resolved) over ``current``
    (None for a new policy), as messages. Empty means the write may go ahead. ``unresolved``: names
    the caller knowingly left unresolved (check mode, for objects an earlier task would create).
    ``lockout=False`` leaves the lockout guard out (planning only to evaluate, nothing written);
    ``groups_of``: see ``lockout_problems``."""
    predicted = merge_for_prediction(current, desired)
    problems = [str(p) for p in reference_problems(desired) if p.value not in unresolved]
    if not current:
        problems += [str(p) for p in creation_problems(desired)]
    problems += [str(p) for p in policy_problems(predicted)]
    problems += retired_grant_problems(desired, current, api_version)
    if lockout:
        problems += lockout_problems(predicted, emergency_access, acknowledge_lockout_risk, names, groups_of)
    return problems
