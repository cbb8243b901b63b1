# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: offline evaluation of conditional access policies against a sign-in.

Not a public API. ``evaluate(policies, sign_in, named_locations=(), include_disabled=False)``
answers what Microsoft's What If tool answers, without a tenant: which policies apply to a
sign-in, which do not and why (the first condition that does not match), and the combined result:
``block``, ``grant`` (the requirements every applying policy adds) or ``allow``, with the merged
session controls. Pure Python, no I/O.

Policies are Graph ``conditionalAccessPolicy`` dicts (v1.0 or beta keys, ids rather than names),
as read from Graph or as the conditional access module's desired bodies; ``id`` may be None for a
policy not created yet. Named locations are Graph ``ipNamedLocation`` / ``countryNamedLocation``
dicts (``@odata.type`` optional: ``ipRanges`` or ``countriesAndRegions`` tell them apart).

The sign-in (snake_case keys, all optional; a key left out means "not known"; a key given, even
empty, is known):

* ``user``: ``{id, groups: [group ids, transitive], roles: [directory role template ids, active
  assignments], user_type: member|guest, external_user_types: [internalGuest,
  b2bCollaborationGuest, b2bCollaborationMember, b2bDirectConnectUser, otherExternalUser,
  serviceProvider], external_tenant_id}`` (``id: None`` is a representative user whom no policy
  names by id; ``id`` left out may be anyone), or ``service_principal``: ``{id, app_id}`` (a workload
  identity signing in as itself);
* the target: ``application`` (app id), ``user_action`` (``urn:user:registersecurityinfo`` |
  ``urn:user:registerdevice``) or ``authentication_context`` (``c1``..``c99``, or a list of them);
* ``device_platform`` (android, iOS, windows, windowsPhone, macOS, linux, or any other name for an
  unsupported platform), ``client_app_type`` (browser, mobileAppsAndDesktopClients,
  exchangeActiveSync, other);
* the location: ``ip_address`` (v4 or v6), ``country`` (ISO 3166 alpha-2, or ``unknown`` for an
  address that maps to no country), ``named_location`` (the id of the named location the sign-in
  comes from; when given, the sign-in is in no other named location unless its ``ip_address`` or
  ``country`` puts it there);
* ``device``: device-filter properties (``UNMANAGED_DEVICE`` is an unregistered device, every
  property null; properties missing from a given device are null);
* ``compliance_policy_assigned``: whether an Intune device compliance policy is assigned to the user for the
  device platform (``_conditional_access.compliance_coverage``); false, with the device's ``isCompliant`` not
  stated, means ``compliantDevice`` cannot be satisfied (``compliance_reason``, ``Evaluation.compliance_gap``);
* ``sign_in_risk``, ``user_risk``, ``service_principal_risk``: none|low|medium|high;
  ``insider_risk``: minor|moderate|elevated; ``authentication_flow``: deviceCodeFlow |
  authenticationTransfer | none.

``sign_in_problems(sign_in)`` lists what is wrong with a sign-in (unknown keys, values outside the
choices, an address that is not one); ``evaluate`` refuses such a sign-in with all of them at once.

The rules, from Microsoft's documentation (Learn, Microsoft Entra conditional access):

* "Building a Conditional Access policy": all assignments of a policy are ANDed; every policy that
  applies must be satisfied; a policy with the block control stops evaluation: blocked.
* "Conditional Access: Users, groups, and workload identities": all users includes B2B guests;
  groups apply to nested members; only built-in directory roles count; "the exclude action
  overrides the include action". A policy for users does not apply to a workload identity and a
  policy for workload identities (``clientApplications``) does not apply to a user.
* "Conditional Access: Target resources": ``All``, ``None``, ``Office365``,
  ``MicrosoftAdminPortals``, user actions and authentication contexts; a policy targets one kind.
* "Conditional Access: Conditions": the device platform condition applies to all platforms when
  not configured; client apps apply to all client app types when not configured (``all``);
  any location includes every IP address; sign-in, user, insider and service principal risk apply
  when the risk is one of the levels the policy lists.
* "Using the location condition in a Conditional Access policy": named locations by IPv4/IPv6
  ranges (CIDR) or by country, ``includeUnknownCountriesAndRegions`` for addresses that map to no
  country, ``AllTrusted`` for the locations marked trusted.
* "Conditional Access: Filter for devices": include mode applies the policy to matching devices,
  exclude mode to the others; see ``_conditional_access.device_filter`` for the rule language and null values.
* "Authentication flows in Conditional Access": ``transferMethods`` (deviceCodeFlow,
  authenticationTransfer).
* "Analyze Conditional Access policy impact" (report-only mode): report-only policies are evaluated
  and never enforced, except that report-only policies on user actions are not evaluated at all.
* "Troubleshoot Conditional Access Policies with the What If Tool": only enabled and report-only
  policies count; the reason a policy does not apply is the first condition not satisfied.
* "Conditional Access: Grant": "Require one of the selected controls" (OR) or "Require all the
  selected controls" (AND); legacy authentication clients cannot satisfy MFA or device controls
  ("Conditional Access: Conditions", client apps), so ``satisfied_by`` grants them nothing.

Choices where the documentation is silent:

* session controls of several policies merge with the most restrictive winning (``merge_session_controls``);
* the Office365 and MicrosoftAdminPortals groups cover the apps in ``OFFICE365_APP_IDS`` /
  ``ADMIN_PORTAL_APP_IDS``; apps known to be outside are in the ``NOT_`` lists; any other app id
  against those groups is undetermined rather than guessed;
* ``country`` is the country whichever lookup the location uses (``countryLookupMethod`` IP address
  or Authenticator GPS) would find; ``AllTrusted`` means the named locations marked trusted (the
  legacy MFA trusted IPs are not modelled);
* the ``externalTenants`` of a guest selector do not restrict local guests (``internalGuest``),
  who belong to this tenant;
* exactly one of application, user action or authentication context is what a policy targets; a
  sign-in to another kind does not match, with the policy's kind as the reason.

A device filter rule that does not parse makes the policy not applied with reason
``invalidCondition`` and the parser's message as detail, so that one typo in a declared policy
shows in the results instead of stopping the evaluation of the others.

When the sign-in does not state what a condition needs (say the policy includes a group and the
user's groups are not given), the condition is undetermined, as Graph's What If evaluation API has
it ("Troubleshoot Conditional Access Policies with the What If Tool": if the sign-in details for a
policy's conditions aren't provided, the API can't evaluate those conditions, and the policy does
not apply). A policy with a condition that does
not match is not applied with that condition as its reason; otherwise, a policy with an
undetermined condition is not applied with reason ``notEnoughInformation`` (and listed in
``Evaluation.undetermined``): the engine never guesses. A condition the policy does not configure
never restricts. Conditions are checked in this order, which decides which one is "first":
users (or workload identities), target resource, device platform, location, client apps, devices,
sign-in risk, user risk, service principal risk, insider risk, authentication flow.
"""

import ipaddress

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access import device_filter as device_filter_rules
from ansible_collections.tenantguard.m365.plugins.module_utils._engine import well_known_apps

ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"
DISABLED = "disabled"


def _app_id(name):
    return well_known_apps.application_id(name)


AZURE_PORTAL_APP_ID = _app_id("Azure portal")
MICROSOFT_GRAPH_APP_ID = _app_id("Microsoft Graph")
AZURE_MANAGEMENT_APP_ID = _app_id("Microsoft Azure Management")
EXCHANGE_ONLINE_APP_ID = _app_id("Exchange Online")
SHAREPOINT_ONLINE_APP_ID = _app_id("SharePoint Online")
TEAMS_APP_ID = _app_id("Microsoft Teams")
INTUNE_APP_ID = _app_id("Microsoft Intune")
INTUNE_ENROLLMENT_APP_ID = _app_id("Microsoft Intune Enrollment")

# Office.com (OfficeHome) and the Office 365 portal, both in the Office 365 suite's list
# ("Apps included in Conditional Access Office 365 app suite").
OFFICE_HOME_APP_ID = "4765445b-32c6-49b0-83e6-1d93765276ca"
OFFICE365_PORTAL_APP_ID = "00000006-0000-0ff1-ce00-000000000000"
# Stands for an application of the tenant's own (a line-of-business app): in no Microsoft app group,
# so only "All" (or its own id) covers it. Not a real app id.
OTHER_APPLICATION_ID = "00000000-0000-0000-0000-00000000a11a"

# Members of the Office 365 app group that the tables know ("Conditional Access: Target resources",
# Office 365). Apps known NOT to be members; any other app is undetermined for Office365.
OFFICE365_APP_IDS = frozenset([EXCHANGE_ONLINE_APP_ID, SHAREPOINT_ONLINE_APP_ID, TEAMS_APP_ID,
                               _app_id("Microsoft Teams client"), OFFICE_HOME_APP_ID, OFFICE365_PORTAL_APP_ID])
NOT_OFFICE365_APP_IDS = frozenset([AZURE_PORTAL_APP_ID, MICROSOFT_GRAPH_APP_ID, AZURE_MANAGEMENT_APP_ID,
                                   INTUNE_APP_ID, INTUNE_ENROLLMENT_APP_ID, OTHER_APPLICATION_ID])
# Microsoft Admin Portals: the Azure portal is one; the APIs behind the portals are not.
ADMIN_PORTAL_APP_IDS = frozenset([AZURE_PORTAL_APP_ID])
NOT_ADMIN_PORTAL_APP_IDS = frozenset([MICROSOFT_GRAPH_APP_ID, AZURE_MANAGEMENT_APP_ID, EXCHANGE_ONLINE_APP_ID,
                                      SHAREPOINT_ONLINE_APP_ID, TEAMS_APP_ID, INTUNE_APP_ID,
                                      INTUNE_ENROLLMENT_APP_ID, OTHER_APPLICATION_ID, OFFICE_HOME_APP_ID])

# Targetable apps that stand for several app ids ("Conditional Access: Target resources": the Windows
# Azure Service Management API covers Azure Resource Manager and the Azure portal, among others).
APP_GROUPS = {AZURE_MANAGEMENT_APP_ID: frozenset([AZURE_PORTAL_APP_ID])}

USER_ACTIONS = ("urn:user:registersecurityinfo", "urn:user:registerdevice")
PLATFORMS = ("android", "iOS", "windows", "windowsPhone", "macOS", "linux")
CLIENT_APP_TYPES = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
LEGACY_CLIENT_APP_TYPES = ("exchangeActiveSync", "easSupported", "other")
RISK_LEVELS = ("none", "low", "medium", "high")
INSIDER_RISK_LEVELS = ("minor", "moderate", "elevated")
AUTHENTICATION_FLOWS = ("none", "deviceCodeFlow", "authenticationTransfer")
GUEST_OR_EXTERNAL_USER_TYPES = ("internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember",
                                "b2bDirectConnectUser", "otherExternalUser", "serviceProvider")

# An unregistered phone or PC: Microsoft Entra ID knows nothing of it, every property is null.
UNMANAGED_DEVICE = dict((name, None) for name in sorted(device_filter_rules.PROPERTIES))

# Order in which Microsoft prompts for grant controls ("Building a Conditional Access policy").
CONTROL_ORDER = ("block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication",
                 "compliantApplication", "passwordChange", "riskRemediation")

REASONS = ("users", "workloadIdentities", "application", "userActions", "authenticationContext", "devicePlatform",
           "location", "clientApps", "devices", "signInRisk", "userRisk", "insiderRisk", "authenticationFlow",
           "policyNotEnabled", "notEnoughInformation", "invalidCondition")


def _lower(value):
    return str(value).strip().lower()


def _flags(value):
    """A flags enum as Graph writes it ("a,b") or a list, as a list of names."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _has(container, key):
    return isinstance(container, dict) and key in container and container[key] is not None


def _or(values):
    """Three-valued OR: True if any is True, None if any is None, else False."""
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


class _Check(object):
    """The outcome of one condition: ``matched`` True / False / None (undetermined), with a sentence."""

    __slots__ = ("reason", "matched", "detail")

    def __init__(self, reason, matched, detail):
        self.reason, self.matched, self.detail = reason, matched, detail


def _scope(reason, included, excluded, what, include_detail, exclude_detail):
    """Include AND NOT exclude, three-valued; exclusion wins over inclusion."""
    if excluded is True:
        return _Check(reason, False, "%s is excluded: %s" % (what, exclude_detail))
    if included is False:
        return _Check(reason, False, "%s is not included: %s" % (what, include_detail))
    if included is None:
        return _Check(reason, None, "whether %s is included is not known: %s" % (what, include_detail))
    if excluded is None:
        return _Check(reason, None, "whether %s is excluded is not known: %s" % (what, exclude_detail))
    return _Check(reason, True, "%s is included" % what)


# ---------------------------------------------------------------------------------------------
# Users, guests, roles and workload identities
# ---------------------------------------------------------------------------------------------

def _in_ids(ids, known, value):
    """Is value (a str, or a list when ``known`` lists) among ids? None when the value is not known."""
    wanted = set(_lower(i) for i in ids)
    if not wanted:
        return False
    if not known:
        return None
    if value is None:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return bool(wanted & set(_lower(v) for v in value))
    return _lower(value) in wanted


def _is_guest_or_external(user):
    """Does the legacy value GuestsOrExternalUsers cover the user (any guest or external type)?"""
    if user.get("external_user_types"):
        return True
    if _has(user, "user_type"):
        return _lower(user["user_type"]) == "guest"
    if _has(user, "external_user_types"):
        return False
    return None


def _guest_types_match(selector, user):
    """A conditionalAccessGuestsOrExternalUsers selector against the user."""
    if not isinstance(selector, dict):
        return False
    types = [t for t in _flags(selector.get("guestOrExternalUserTypes")) if _lower(t) != "none"]
    if not types:
        return False
    if not _has(user, "external_user_types"):
        if _has(user, "user_type") and _lower(user["user_type"]) == "member":
            return False
        return None
    user_types = set(_lower(t) for t in user["external_user_types"])
    matched = [t for t in types if _lower(t) in user_types]
    if not matched:
        return False
    tenants = selector.get("externalTenants") or {}
    kind = _lower(tenants.get("membershipKind") or "all")
    # The tenant list concerns users from other tenants; a local guest belongs to this tenant.
    if kind == "all" or all(_lower(t) == "internalguest" for t in matched):
        return True
    members = [_lower(m) for m in tenants.get("members") or []]
    if not _has(user, "external_tenant_id"):
        return None
    return _lower(user["external_tenant_id"]) in members


def _check_users(conditions, sign_in):
    users = conditions.get("users") or {}
    apps = conditions.get("clientApplications") or {}
    workload_policy = bool(apps.get("includeServicePrincipals"))
    if _has(sign_in, "service_principal"):
        return _check_workload_identity(apps, sign_in["service_principal"], workload_policy)
    if workload_policy:
        return _Check("workloadIdentities", False,
                      "the policy targets workload identities (service principals), not users")
    if not _has(sign_in, "user"):
        if not any(users.get(k) for k in ("includeUsers", "includeGroups", "includeRoles",
                                          "includeGuestsOrExternalUsers")):
            return _Check("users", False, "the policy assigns no users")
        return _Check("users", None, "the sign-in states neither a user nor a service principal")
    user = sign_in["user"] or {}
    include_users = users.get("includeUsers") or []
    specials = set(_lower(u) for u in include_users)
    if "none" in specials and not any(users.get(k) for k in ("includeGroups", "includeRoles",
                                                             "includeGuestsOrExternalUsers")):
        return _Check("users", False, "the policy includes no users (None)")

    ids = [u for u in include_users if _lower(u) not in ("all", "none", "guestsorexternalusers",
                                                         "allagentidusers")]
    included = _or([
        True if "all" in specials else False,
        _is_guest_or_external(user) if "guestsorexternalusers" in specials else False,
        _in_ids(ids, "id" in user, user.get("id")),
        _in_ids(users.get("includeGroups") or [], _has(user, "groups"), user.get("groups")),
        _in_ids(users.get("includeRoles") or [], _has(user, "roles"), user.get("roles")),
        _guest_types_match(users.get("includeGuestsOrExternalUsers"), user),
    ])
    exclude_users = users.get("excludeUsers") or []
    exclude_ids = [u for u in exclude_users if _lower(u) != "guestsorexternalusers"]
    exclusions = [
        ("the user is listed in excludeUsers", "the user's id",
         _in_ids(exclude_ids, "id" in user, user.get("id"))),
        ("a group of the user is in excludeGroups", "the user's groups",
         _in_ids(users.get("excludeGroups") or [], _has(user, "groups"), user.get("groups"))),
        ("a directory role of the user is in excludeRoles", "the user's directory roles",
         _in_ids(users.get("excludeRoles") or [], _has(user, "roles"), user.get("roles"))),
        ("guests or external users are excluded", "whether the user is a guest",
         _is_guest_or_external(user) if any(_lower(u) == "guestsorexternalusers" for u in exclude_users) else False),
        ("the user's guest or external user type is excluded", "the user's guest or external user type",
         _guest_types_match(users.get("excludeGuestsOrExternalUsers"), user)),
    ]
    excluded = _or(value for _yes, _unknown, value in exclusions)
    if excluded is True:
        exclude_detail = next(yes for yes, _unknown, value in exclusions if value is True)
    else:
        exclude_detail = "the sign-in does not state %s" % ", ".join(
            unknown for _yes, unknown, value in exclusions if value is None)
    include_detail = ("the user is neither listed nor a member of an included group or role"
                      if included is False else "the sign-in does not state the user's id, groups, roles or guest type")
    return _scope("users", included, excluded, "the user", include_detail, exclude_detail)


def _check_workload_identity(apps, principal, workload_policy):
    if not workload_policy:
        return _Check("users", False, "the policy targets users; a service principal signs in")
    # Policies name service principals by their object id, never by the app id
    # ("Conditional Access for workload identities", Finding the objectID).
    principal = principal or {}
    known = _has(principal, "id")
    include = apps.get("includeServicePrincipals") or []
    if any(_lower(i) == "serviceprincipalsinmytenant" for i in include):
        included = True
    else:
        included = _in_ids(include, known, principal.get("id"))
    excluded = _in_ids(apps.get("excludeServicePrincipals") or [], known, principal.get("id"))
    return _scope("workloadIdentities", included, excluded, "the service principal",
                  "not among the policy's service principals", "listed in excludeServicePrincipals")


# ---------------------------------------------------------------------------------------------
# Target resources: applications, user actions, authentication contexts
# ---------------------------------------------------------------------------------------------

def _app_matches(value, app_id):
    key = _lower(value)
    app = _lower(app_id)
    if app in APP_GROUPS.get(key, ()):
        return True
    if key == "all":
        return True
    if key == "none":
        return False
    if key == "office365":
        return True if app in OFFICE365_APP_IDS else (False if app in NOT_OFFICE365_APP_IDS else None)
    if key == "microsoftadminportals":
        return True if app in ADMIN_PORTAL_APP_IDS else (False if app in NOT_ADMIN_PORTAL_APP_IDS else None)
    return key == app


def _check_target(conditions, sign_in):
    apps = conditions.get("applications") or {}
    include_apps = apps.get("includeApplications") or []
    actions = [_lower(a) for a in apps.get("includeUserActions") or []]
    contexts = [_lower(c) for c in apps.get("includeAuthenticationContextClassReferences") or []]
    if actions:
        kind = "userActions"
    elif contexts:
        kind = "authenticationContext"
    else:
        kind = "application"
    if not include_apps and not actions and not contexts:
        return _Check("application", False, "the policy targets no resources, user actions or authentication contexts")

    if _has(sign_in, "user_action"):
        action = _lower(sign_in["user_action"])
        if kind != "userActions":
            return _Check(kind, False, "the policy targets %s; the sign-in is the user action %s"
                          % ("applications" if kind == "application" else "authentication contexts",
                             sign_in["user_action"]))
        if action in actions:
            return _Check("userActions", True, "the user action is included")
        return _Check("userActions", False, "the user action %s is not one the policy includes (%s)"
                      % (sign_in["user_action"], ", ".join(actions)))
    if _has(sign_in, "authentication_context"):
        wanted = sign_in["authentication_context"]
        wanted = [_lower(w) for w in (wanted if isinstance(wanted, (list, tuple)) else [wanted])]
        if kind == "authenticationContext":
            if set(wanted) & set(contexts):
                return _Check("authenticationContext", True, "the authentication context is included")
            return _Check("authenticationContext", False, "authentication context %s is not one the policy "
                          "includes (%s)" % (", ".join(wanted), ", ".join(contexts)))
        if not _has(sign_in, "application"):
            return _Check(kind, False, "the policy targets %s; the sign-in asks for authentication context %s"
                          % ("user actions" if kind == "userActions" else "applications", ", ".join(wanted)))
    if _has(sign_in, "application"):
        if kind != "application":
            return _Check(kind, False, "the policy targets %s; the sign-in is to an application"
                          % ("user actions" if kind == "userActions" else "authentication contexts"))
        app = sign_in["application"]
        name = well_known_apps.readable("application", app)
        if apps.get("applicationFilter"):
            return _Check("application", None, "the policy filters applications by custom security attributes, "
                                               "which the sign-in does not state")
        included = _or(_app_matches(v, app) for v in include_apps)
        excluded = _or(_app_matches(v, app) for v in apps.get("excludeApplications") or [])
        return _scope("application", included, excluded, "application %s" % name,
                      "the policy includes %s" % ", ".join(include_apps),
                      "the policy excludes %s" % ", ".join(apps.get("excludeApplications") or []) or "none")
    return _Check(kind, None, "the sign-in states no application, user action or authentication context")


# ---------------------------------------------------------------------------------------------
# Device platform, client apps, locations, devices, risks, authentication flows
# ---------------------------------------------------------------------------------------------

def _check_platform(conditions, sign_in):
    platforms = conditions.get("platforms") or {}
    include = [_lower(p) for p in platforms.get("includePlatforms") or []]
    exclude = [_lower(p) for p in platforms.get("excludePlatforms") or []]
    if not include and not exclude:
        return _Check("devicePlatform", True, "the policy does not configure device platforms")
    if not include:
        include = ["all"]
    if not _has(sign_in, "device_platform"):
        if include == ["all"] and not exclude:
            return _Check("devicePlatform", True, "the policy includes all platforms")
        return _Check("devicePlatform", None, "the sign-in does not state the device platform")
    platform = _lower(sign_in["device_platform"])
    included = "all" in include or platform in include
    excluded = platform in exclude or ("all" in exclude)
    return _scope("devicePlatform", included, excluded, "platform %s" % sign_in["device_platform"],
                  "the policy includes %s" % ", ".join(platforms.get("includePlatforms") or []),
                  "the policy excludes %s" % ", ".join(platforms.get("excludePlatforms") or []))


def _check_client_apps(conditions, sign_in):
    types = [_lower(t) for t in conditions.get("clientAppTypes") or []]
    if not types or "all" in types:
        return _Check("clientApps", True, "the policy applies to all client app types")
    if not _has(sign_in, "client_app_type"):
        return _Check("clientApps", None, "the sign-in does not state the client app type")
    client = _lower(sign_in["client_app_type"])
    if client in types or (client == "exchangeactivesync" and "eassupported" in types):
        return _Check("clientApps", True, "client app type %s is included" % sign_in["client_app_type"])
    return _Check("clientApps", False, "client app type %s is not one the policy includes (%s)"
                  % (sign_in["client_app_type"], ", ".join(conditions.get("clientAppTypes") or [])))


def _location_kind(location):
    odata = _lower(location.get("@odata.type") or "")
    if "countrynamedlocation" in odata or "countriesAndRegions" in location:
        return "country"
    if "ipnamedlocation" in odata or "ipRanges" in location:
        return "ip"
    return "other"


def _cidr(item):
    if isinstance(item, dict):
        return item.get("cidrAddress")
    return item


def _in_ranges(address, ranges):
    for item in ranges or []:
        cidr = _cidr(item)
        if not cidr:
            continue
        try:
            network = ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            continue
        if network.version == address.version and address in network:
            return True
    return False


def _location_membership(named_locations, sign_in):
    """{location id (lower case): True/False/None}: is the sign-in in each named location?"""
    address = None
    if _has(sign_in, "ip_address"):
        try:
            address = ipaddress.ip_address(str(sign_in["ip_address"]).strip())
        except ValueError:
            raise ValueError("sign_in.ip_address %r is not an IPv4 or IPv6 address" % (sign_in["ip_address"],))
    country = _lower(sign_in["country"]) if _has(sign_in, "country") else None
    stated = _lower(sign_in["named_location"]) if _has(sign_in, "named_location") else None
    membership = {}
    for location in named_locations or ():
        location_id = _lower(location.get("id"))
        kind = _location_kind(location)
        value = None
        if kind == "ip" and address is not None:
            value = _in_ranges(address, location.get("ipRanges"))
        elif kind == "country" and country is not None:
            if country == "unknown":
                value = bool(location.get("includeUnknownCountriesAndRegions"))
            else:
                value = country in [_lower(c) for c in location.get("countriesAndRegions") or []]
        if stated is not None:
            if location_id == stated:
                value = True
            elif value is None:
                value = False
        membership[location_id] = value
    if stated is not None and stated not in membership:
        membership[stated] = True
    return membership


def _location_known(sign_in):
    return any(_has(sign_in, k) for k in ("ip_address", "country", "named_location"))


def _in_trusted(member, trust):
    """Is the sign-in in this location, and is the location trusted? (trust None: not known)"""
    if member is False or trust is False:
        return False
    if member is True and trust is True:
        return True
    return None


def _check_location(conditions, sign_in, named_locations, membership):
    locations = conditions.get("locations") or {}
    include = locations.get("includeLocations") or []
    exclude = locations.get("excludeLocations") or []
    if not include and not exclude:
        return _Check("location", True, "the policy does not configure locations")
    trusted = dict((_lower(location.get("id")), bool(location.get("isTrusted"))) for location in named_locations or ())

    known = _location_known(sign_in)

    def is_in(value):
        key = _lower(value)
        if key == "all":
            return True
        if not known:
            return None
        if key == "alltrusted":
            return _or(_in_trusted(member, trusted.get(lid)) for lid, member in membership.items())
        return membership.get(key)

    included = _or(is_in(v) for v in include) if include else True
    excluded = _or(is_in(v) for v in exclude)
    return _scope("location", included, excluded, "the sign-in's location",
                  "the policy includes %s" % ", ".join(include), "the policy excludes %s" % ", ".join(exclude))


def _check_devices(conditions, sign_in):
    devices = conditions.get("devices") or {}
    device_filter = devices.get("deviceFilter") or {}
    rule = device_filter.get("rule")
    include_states = devices.get("includeDevices") or devices.get("includeDeviceStates") \
        or (conditions.get("deviceStates") or {}).get("includeStates") or []
    exclude_states = devices.get("excludeDevices") or devices.get("excludeDeviceStates") \
        or (conditions.get("deviceStates") or {}).get("excludeStates") or []
    if not rule and not include_states and not exclude_states:
        return _Check("devices", True, "the policy does not configure devices")
    if not _has(sign_in, "device"):
        return _Check("devices", None, "the sign-in does not state the device's properties")
    device = sign_in["device"] or {}
    if rule:
        mode = _lower(device_filter.get("mode") or "include")
        try:
            matched = device_filter_rules.matches(rule, device)
        except ValueError as exc:
            return _Check("invalidCondition", False, str(exc))
        if mode == "exclude":
            if matched:
                return _Check("devices", False, "the device matches the rule of a filter in exclude mode (%s)" % rule)
            return _Check("devices", True, "the device does not match the exclude filter")
        if matched:
            return _Check("devices", True, "the device matches the include filter")
        return _Check("devices", False, "the device does not match the rule of a filter in include mode (%s)" % rule)
    # Device state (deprecated): excludes compliant or hybrid joined devices.
    for state in exclude_states:
        key = _lower(state)
        if key == "compliant" and _device_flag(device, "isCompliant"):
            return _Check("devices", False, "the device is compliant, a device state the policy excludes")
        if key == "domainjoined" and _lower(device.get("trustType") or "") == "serverad":
            return _Check("devices", False, "the device is hybrid joined, a device state the policy excludes")
    return _Check("devices", True, "no excluded device state matches")


def _device_flag(device, name):
    value = device.get(name)
    return value is True or _lower(value) == "true"


def _check_levels(reason, what, configured, sign_in, key):
    levels = [_lower(level) for level in _flags(configured)]
    if not levels:
        return _Check(reason, True, "the policy does not configure %s" % what)
    if not _has(sign_in, key):
        return _Check(reason, None, "the sign-in does not state the %s" % what)
    value = _lower(sign_in[key])
    if value in levels:
        return _Check(reason, True, "%s %s is included" % (what, sign_in[key]))
    return _Check(reason, False, "%s %s is not one of the levels the policy lists (%s)"
                  % (what, sign_in[key], ", ".join(_flags(configured))))


def _check_authentication_flows(conditions, sign_in):
    flows = conditions.get("authenticationFlows") or {}
    methods = [_lower(m) for m in _flags(flows.get("transferMethods")) if _lower(m) != "none"]
    if not methods:
        return _Check("authenticationFlow", True, "the policy does not configure authentication flows")
    if not _has(sign_in, "authentication_flow"):
        return _Check("authenticationFlow", None, "the sign-in does not state the authentication flow")
    flow = _lower(sign_in["authentication_flow"])
    if flow in methods:
        return _Check("authenticationFlow", True, "authentication flow %s is included" % sign_in["authentication_flow"])
    return _Check("authenticationFlow", False, "authentication flow %s is not one the policy lists (%s)"
                  % (sign_in["authentication_flow"], ", ".join(_flags(flows.get("transferMethods")))))


def _checks(policy, sign_in, named_locations, membership):
    conditions = policy.get("conditions") or {}
    yield _check_users(conditions, sign_in)
    yield _check_target(conditions, sign_in)
    yield _check_platform(conditions, sign_in)
    yield _check_location(conditions, sign_in, named_locations, membership)
    yield _check_client_apps(conditions, sign_in)
    yield _check_devices(conditions, sign_in)
    yield _check_levels("signInRisk", "sign-in risk", conditions.get("signInRiskLevels"), sign_in, "sign_in_risk")
    yield _check_levels("userRisk", "user risk", conditions.get("userRiskLevels"), sign_in, "user_risk")
    yield _check_levels("workloadIdentities", "service principal risk", conditions.get("servicePrincipalRiskLevels"),
                        sign_in, "service_principal_risk")
    yield _check_levels("insiderRisk", "insider risk", conditions.get("insiderRiskLevels"), sign_in, "insider_risk")
    yield _check_authentication_flows(conditions, sign_in)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

class PolicyResult(object):
    """How one policy fares against the sign-in."""

    def __init__(self, policy, applies, reason, detail):
        self.id = policy.get("id")
        self.display_name = policy.get("displayName")
        self.state = policy.get("state")
        self.applies = applies
        self.reason = reason
        self.detail = detail
        self.grant = policy.get("grantControls") or None
        self.session = policy.get("sessionControls") or None

    @property
    def blocks(self):
        return bool(self.grant) and "block" in [_lower(c) for c in self.grant.get("builtInControls") or []]

    def as_dict(self):
        return {"id": self.id, "display_name": self.display_name, "state": self.state, "applies": self.applies,
                "reason": self.reason, "detail": self.detail, "grant": self.grant, "session": self.session}

    def __repr__(self):
        return "PolicyResult(%r, applies=%r, reason=%r)" % (self.display_name, self.applies, self.reason)


def _requirement(result):
    grant = result.grant or {}
    strength = grant.get("authenticationStrength")
    if isinstance(strength, dict):
        strength = strength.get("id")
    controls = list(grant.get("builtInControls") or [])
    controls.sort(key=lambda c: CONTROL_ORDER.index(c) if c in CONTROL_ORDER else len(CONTROL_ORDER))
    return {
        "policy": result.display_name,
        "policy_id": result.id,
        # "By default, Conditional Access requires all selected controls" (Conditional Access: Grant).
        "operator": (grant.get("operator") or "AND").upper(),
        "controls": controls,
        "authentication_strength": strength or None,
        "terms_of_use": list(grant.get("termsOfUse") or []),
        "custom_authentication_factors": list(grant.get("customAuthenticationFactors") or []),
    }


def _has_grant(grant):
    return bool(grant) and bool(grant.get("builtInControls") or grant.get("authenticationStrength")
                                or grant.get("termsOfUse") or grant.get("customAuthenticationFactors"))


def _hours(frequency):
    if _lower(frequency.get("frequencyInterval") or "") == "everytime":
        return 0
    value = frequency.get("value")
    if value is None:
        return None
    return float(value) * (24 if _lower(frequency.get("type") or "hours") == "days" else 1)


def merge_session_controls(session_list):
    """Session controls of several policies merged, the most restrictive winning: the shortest sign-in
    frequency (every time before any period), a persistent browser ``never`` before ``always``, and
    each on/off control on when any policy turns it on."""
    merged = {}
    for session in session_list:
        if not session:
            continue
        frequency = session.get("signInFrequency") or {}
        if frequency.get("isEnabled"):
            current = merged.get("signInFrequency")
            hours = _hours(frequency)
            if current is None or (hours is not None and (_hours(current) is None or hours < _hours(current))):
                merged["signInFrequency"] = dict(frequency)
        browser = session.get("persistentBrowser") or {}
        if browser.get("isEnabled"):
            current = merged.get("persistentBrowser")
            if current is None or _lower(browser.get("mode")) == "never":
                merged["persistentBrowser"] = dict(browser)
        for key in ("applicationEnforcedRestrictions", "secureSignInSession"):
            if (session.get(key) or {}).get("isEnabled"):
                merged[key] = {"isEnabled": True}
        cloud = session.get("cloudAppSecurity") or {}
        if cloud.get("isEnabled"):
            order = ("blockdownloads", "monitoronly", "mcasconfigured")
            current = merged.get("cloudAppSecurity")
            new_type = _lower(cloud.get("cloudAppSecurityType") or "mcasconfigured")
            if current is None or (new_type in order and order.index(new_type)
                                   < order.index(_lower(current.get("cloudAppSecurityType") or "mcasconfigured"))):
                merged["cloudAppSecurity"] = dict(cloud)
        if session.get("disableResilienceDefaults"):
            merged["disableResilienceDefaults"] = True
        cae = session.get("continuousAccessEvaluation") or {}
        if cae.get("mode"):
            order = ("strictenforcement", "strictlocation", "disabled")
            current = merged.get("continuousAccessEvaluation")
            mode = _lower(cae["mode"])
            if current is None or (mode in order and order.index(mode) < order.index(_lower(current["mode"]))):
                merged["continuousAccessEvaluation"] = dict(cae)
        profile = session.get("globalSecureAccessFilteringProfile") or {}
        if profile.get("isEnabled"):
            merged.setdefault("globalSecureAccessFilteringProfiles", [])
            if profile.get("profileId") not in merged["globalSecureAccessFilteringProfiles"]:
                merged["globalSecureAccessFilteringProfiles"].append(profile.get("profileId"))
    return merged


# Platforms on which each grant control can be satisfied ("Conditional Access: Grant": compliant
# device on Windows 10+, iOS, Android, macOS and Linux; hybrid joined on Windows; approved client app
# on iOS and Android; app protection on iOS, Android and Microsoft Edge on Windows).
CONTROL_PLATFORMS = {
    "compliantdevice": ("windows", "ios", "android", "macos", "linux"),
    "domainjoineddevice": ("windows",),
    "approvedapplication": ("ios", "android"),
    "compliantapplication": ("ios", "android", "windows"),
}


def compliance_reason(sign_in):
    """Why the sign-in's device cannot be compliant, or None: the device states ``isCompliant: false``, or (its
    compliance not stated) ``compliance_policy_assigned`` is false: no Intune device compliance policy is assigned
    to the user for the platform, so no device of theirs there is evaluated as compliant ("Conditional Access:
    Grant", require device to be marked as compliant: the device must be compliant with the Intune compliance
    policies assigned to it; "Device compliance settings": without the "Mark devices with no compliance policy
    assigned as Not compliant" setting an enrolled device with no policy counts as compliant, which checks nothing,
    so the requirement does not do what it says either way)."""
    device = (sign_in or {}).get("device")
    if isinstance(device, dict) and device.get("isCompliant") is not None:
        if str(device.get("isCompliant")).strip().lower() == "false":
            return "the device is not compliant (device.isCompliant is false)"
        return None
    if _has(sign_in, "compliance_policy_assigned") and not sign_in["compliance_policy_assigned"]:
        return ("no device compliance policy is assigned to the user for platform %s, so no device of theirs there "
                "is compliant" % (sign_in.get("device_platform") or "of the sign-in"))
    return None


def unsatisfiable_controls(sign_in, compliance=True):
    """{control (lower case) or "*": why the sign-in cannot satisfy it}. ``compliance`` False leaves out what the
    device's compliance state (``compliance_reason``) rules out."""
    sign_in = sign_in or {}
    if _has(sign_in, "service_principal"):
        return {"*": "a workload identity cannot perform multifactor authentication or any other grant control "
                     "(Conditional Access for workload identities)"}
    if _lower(sign_in.get("client_app_type") or "") in [_lower(t) for t in LEGACY_CLIENT_APP_TYPES]:
        return {"*": "legacy authentication clients do not support multifactor authentication and do not pass "
                     "device state (Conditional Access: Conditions, client apps)"}
    found = {}
    if _lower(sign_in.get("authentication_flow") or "") == "devicecodeflow":
        for control in ("compliantdevice", "domainjoineddevice"):
            found[control] = "the device code flow cannot pass the device state (Conditional Access: Grant)"
    if _has(sign_in, "device_platform"):
        platform = _lower(sign_in["device_platform"])
        for control, platforms in CONTROL_PLATFORMS.items():
            if platform not in platforms:
                found.setdefault(control, "not supported on platform %s (Conditional Access: Grant)"
                                 % sign_in["device_platform"])
    reason = compliance_reason(sign_in) if compliance else None
    if reason:
        found.setdefault("compliantdevice", reason)
    return found


class Evaluation(object):
    """The result of ``evaluate``: per-policy results and the combined outcome."""

    def __init__(self, results, sign_in, report_only_as_enabled=False):
        self.results = results
        self.sign_in = sign_in
        enforcing = (ENABLED, REPORT_ONLY) if report_only_as_enabled else (ENABLED,)
        self.enforced = [r for r in results if r.applies and (r.state or ENABLED) in enforcing]
        self.report_only = [r for r in results if r.applies and r.state == REPORT_ONLY and not report_only_as_enabled]
        self.not_applied = [r for r in results if not r.applies]
        self.requirements = [_requirement(r) for r in self.enforced if _has_grant(r.grant) and not r.blocks]
        self.session_controls = merge_session_controls(r.session for r in self.enforced)
        if any(r.blocks for r in self.enforced):
            self.outcome = "block"
        elif self.requirements:
            self.outcome = "grant"
        else:
            self.outcome = "allow"

    @property
    def undetermined(self):
        """Policies the sign-in does not say enough about (reason ``notEnoughInformation``)."""
        return [r for r in self.not_applied if r.reason == "notEnoughInformation"]

    @property
    def blocked_by(self):
        return [r for r in self.enforced if r.blocks]

    @property
    def legacy_client(self):
        return _lower(self.sign_in.get("client_app_type") or "") in [_lower(t) for t in LEGACY_CLIENT_APP_TYPES]

    @property
    def unsatisfiable_controls(self):
        """Built-in controls this sign-in cannot satisfy whatever the client does, with the reason;
        ``{"*": reason}`` when it can satisfy none."""
        return unsatisfiable_controls(self.sign_in)

    def satisfied_by(self, satisfied_controls):
        """Would access be granted to a client that can satisfy these controls?

        ``satisfied_controls``: built-in control names (``mfa``, ``compliantDevice``,
        ``domainJoinedDevice``, ``approvedApplication``, ``compliantApplication``,
        ``passwordChange``, ``riskRemediation``), authentication strength ids (or
        ``authenticationStrength`` for any), terms of use ids (or ``termsOfUse``), custom factor
        names. Every requirement must be satisfied (AND across policies); within a policy, one
        control (OR) or all of them (AND). Blocked: False. Nothing required: True. Controls the
        sign-in cannot satisfy (``unsatisfiable_controls``) do not count even when listed.
        """
        if self.outcome == "block":
            return False
        return not self.unmet_requirements(satisfied_controls)

    def unmet_requirements(self, satisfied_controls):
        """The requirements (``requirements`` entries) a client that can satisfy ``satisfied_controls``
        does not meet (see ``satisfied_by``); a block is not a requirement."""
        return self._unmet(satisfied_controls, self.unsatisfiable_controls)

    def compliance_gap(self):
        """The requirements that a client able to satisfy every control would meet, but for the compliant device
        this sign-in cannot have (``compliance_reason``): what the compliance coverage, the compliance pre-flight
        and the what-if call a compliance gap. Empty when blocked, when nothing is required, or when the
        requirement cannot be met on this sign-in anyway."""
        if self.outcome != "grant" or compliance_reason(self.sign_in) is None:
            return []
        every = ("mfa", "compliantdevice", "domainjoineddevice", "approvedapplication", "compliantapplication",
                 "passwordchange", "riskremediation", "authenticationstrength", "termsofuse")
        with_compliance = self._unmet(every, unsatisfiable_controls(self.sign_in, compliance=False))
        return [r for r in self._unmet(every, self.unsatisfiable_controls) if r not in with_compliance]

    def _unmet(self, satisfied_controls, impossible):
        unmet = []
        have = set(_lower(c) for c in satisfied_controls or ())
        if "*" in impossible:
            have = set()
        have -= set(_lower(c) for c in impossible)
        for requirement in self.requirements:
            needs = [_lower(c) for c in requirement["controls"]]
            if requirement["authentication_strength"]:
                strength = _lower(requirement["authentication_strength"])
                needs.append(strength if strength in have else "authenticationstrength:" + strength)
                if "authenticationstrength" in have:
                    needs[-1] = "authenticationstrength"
            for terms in requirement["terms_of_use"]:
                needs.append(_lower(terms) if _lower(terms) in have else "termsofuse")
            needs.extend(_lower(c) for c in requirement["custom_authentication_factors"])
            met = [n in have for n in needs]
            if not needs:
                continue
            if requirement["operator"] == "AND" and not all(met):
                unmet.append(requirement)
            elif requirement["operator"] != "AND" and not any(met):
                unmet.append(requirement)
        return unmet

    def as_dict(self):
        return {
            "outcome": self.outcome,
            "requirements": [dict(r) for r in self.requirements],
            "session_controls": self.session_controls,
            "enforced": [r.as_dict() for r in self.enforced],
            "report_only": [r.as_dict() for r in self.report_only],
            "not_applied": [r.as_dict() for r in self.not_applied],
        }


def evaluate_policy(policy, sign_in, named_locations=(), include_disabled=False, membership=None,
                    report_only_as_enabled=False):
    """The ``PolicyResult`` of one policy."""
    state = policy.get("state") or ENABLED
    if state == DISABLED and not include_disabled:
        return PolicyResult(policy, False, "policyNotEnabled", "the policy is disabled")
    if state == REPORT_ONLY and not report_only_as_enabled and ((policy.get("conditions") or {}).get("applications") or {}).get("includeUserActions"):
        # "Conditional Access policies can be evaluated in report-only mode except for items included
        # in the User Actions scope" (Analyze Conditional Access policy impact).
        return PolicyResult(policy, False, "userActions", "report-only policies for user actions are not evaluated")
    if membership is None:
        membership = _location_membership(named_locations, sign_in)
    first_unknown = None
    for check in _checks(policy, sign_in, named_locations, membership):
        if check.matched is False:
            return PolicyResult(policy, False, check.reason, check.detail)
        if check.matched is None and first_unknown is None:
            first_unknown = check
    if first_unknown is not None:
        return PolicyResult(policy, False, "notEnoughInformation",
                            "%s (%s condition)" % (first_unknown.detail, first_unknown.reason))
    if state == DISABLED:
        return PolicyResult(policy, False, "policyNotEnabled",
                            "the policy is disabled; its conditions match this sign-in")
    return PolicyResult(policy, True, None, "every condition of the policy matches the sign-in")


SIGN_IN_KEYS = ("user", "service_principal", "application", "user_action", "authentication_context",
                "device_platform", "client_app_type", "ip_address", "country", "named_location", "device",
                "sign_in_risk", "user_risk", "insider_risk", "service_principal_risk", "authentication_flow",
                "compliance_policy_assigned")
USER_KEYS = ("id", "groups", "roles", "user_type", "external_user_types", "external_tenant_id")
SERVICE_PRINCIPAL_KEYS = ("id", "app_id")
_CHOICES = {
    "client_app_type": CLIENT_APP_TYPES + ("easSupported",),
    "sign_in_risk": RISK_LEVELS, "user_risk": RISK_LEVELS, "service_principal_risk": RISK_LEVELS,
    "insider_risk": INSIDER_RISK_LEVELS,
    "authentication_flow": AUTHENTICATION_FLOWS,
    "user_action": USER_ACTIONS,
}


def _unknown_keys(where, value, allowed):
    if not isinstance(value, dict):
        return ["%s is %r: expected a dict with keys among %s" % (where, value, ", ".join(allowed))]
    return ["%s.%s is not a known key (%r); expected one of %s" % (where, key, value[key], ", ".join(allowed))
            for key in value if key not in allowed]


def sign_in_problems(sign_in):
    """What is wrong with a sign-in dict: one sentence per problem, naming the key, the value and what
    would be accepted. Empty when the sign-in is usable."""
    if not isinstance(sign_in, dict):
        return ["sign_in is %r: expected a dict with keys among %s" % (sign_in, ", ".join(SIGN_IN_KEYS))]
    problems = _unknown_keys("sign_in", sign_in, SIGN_IN_KEYS)
    for key, choices in _CHOICES.items():
        if _has(sign_in, key) and _lower(sign_in[key]) not in [_lower(c) for c in choices]:
            problems.append("sign_in.%s is %r; expected one of %s" % (key, sign_in[key], ", ".join(choices)))
    if _has(sign_in, "user") and _has(sign_in, "service_principal"):
        problems.append("sign_in has both user and service_principal; a sign-in is one or the other")
    if _has(sign_in, "user"):
        user = sign_in["user"]
        problems.extend(_unknown_keys("sign_in.user", user, USER_KEYS))
        if isinstance(user, dict):
            if _has(user, "user_type") and _lower(user["user_type"]) not in ("member", "guest"):
                problems.append("sign_in.user.user_type is %r; expected member or guest" % (user["user_type"],))
            for key in ("groups", "roles", "external_user_types"):
                if _has(user, key) and not isinstance(user[key], (list, tuple)):
                    problems.append("sign_in.user.%s is %r; expected a list" % (key, user[key]))
            kinds = user.get("external_user_types")
            for kind in kinds if isinstance(kinds, (list, tuple)) else ():
                if _lower(kind) not in [_lower(t) for t in GUEST_OR_EXTERNAL_USER_TYPES]:
                    problems.append("sign_in.user.external_user_types holds %r; expected among %s"
                                    % (kind, ", ".join(GUEST_OR_EXTERNAL_USER_TYPES)))
    if _has(sign_in, "service_principal"):
        problems.extend(_unknown_keys("sign_in.service_principal", sign_in["service_principal"],
                                      SERVICE_PRINCIPAL_KEYS))
    if _has(sign_in, "device"):
        device = sign_in["device"]
        names = sorted(device_filter_rules.PROPERTIES)
        if not isinstance(device, dict):
            problems.append("sign_in.device is %r: expected a dict of device properties" % (device,))
        else:
            known = set(_lower(n) for n in names)
            problems.extend("sign_in.device.%s is not a device filter property; expected one of %s"
                            % (key, ", ".join(names)) for key in device if _lower(key) not in known)
    if _has(sign_in, "compliance_policy_assigned") and not isinstance(sign_in["compliance_policy_assigned"], bool):
        problems.append("sign_in.compliance_policy_assigned is %r; expected true or false"
                        % (sign_in["compliance_policy_assigned"],))
    if _has(sign_in, "ip_address"):
        try:
            ipaddress.ip_address(str(sign_in["ip_address"]).strip())
        except ValueError:
            problems.append("sign_in.ip_address %r is not an IPv4 or IPv6 address" % (sign_in["ip_address"],))
    if _has(sign_in, "country"):
        country = str(sign_in["country"])
        if _lower(country) != "unknown" and not (len(country) == 2 and country.isalpha()):
            problems.append("sign_in.country is %r; expected an ISO 3166 two-letter code or unknown" % (country,))
    return problems


def evaluate(policies, sign_in, named_locations=(), include_disabled=False, report_only_as_enabled=False):
    """Evaluate the policies against a sign-in (see the module docstring). ``report_only_as_enabled``
    treats report-only policies as enabled: the outcome they would give once enforced. A sign-in with
    problems (``sign_in_problems``) raises ``ValueError`` listing them all."""
    sign_in = sign_in or {}
    problems = sign_in_problems(sign_in)
    if problems:
        raise ValueError("; ".join(problems))
    # Gone over once per policy: a one-shot iterator would leave every policy after the first without them.
    named_locations = list(named_locations or ())
    membership = _location_membership(named_locations, sign_in)
    results = [evaluate_policy(policy, sign_in, named_locations, include_disabled, membership, report_only_as_enabled)
               for policy in policies or ()]
    return Evaluation(results, sign_in, report_only_as_enabled)


def device_filter_matches(rule, device):
    """Whether a device (dict of device properties) matches a device filter rule; ``ValueError``
    naming the rule and the position on syntax errors."""
    return device_filter_rules.matches(rule, device)
