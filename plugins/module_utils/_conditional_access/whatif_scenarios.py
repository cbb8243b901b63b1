# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what-if scenarios, from module options to the sign-ins the evaluation engine reads.

Not a public API. A scenario names a sign-in the way a person describes it (``adele@contoso.com``
on ``iOS`` with the ``mobile_apps_and_desktop_clients`` of ``Exchange Online``); the engine
(``_conditional_access.evaluation``) wants ids and Graph's enum members. This module:

1. checks every scenario's values and canonicalises them (case and snake_case do not matter;
   every problem names the scenario, the field, the value and what would be accepted);
2. resolves what the scenarios name against the tenant in as few requests as possible: each
   distinct user once (``GET /users/{upn or id}`` and ``/users/{id}/transitiveMemberOf``, in one
   ``$batch``; a display name costs one more batch), the groups, roles and applications of the
   offline form through the collection's bulk ``NameResolver``, service principals by app id or
   name, named locations from the list the caller already read;
3. builds one engine ``sign_in`` dict per scenario, and the body of Graph's
   ``POST /identity/conditionalAccess/evaluate`` for the same sign-in.
"""

import ipaddress
import re

from urllib.parse import quote

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import split_memberships
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import (
    GraphError,
    ProblemsError,
    parse_graph_error_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import encode_query
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import in_filter, is_guid
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import (
    SPECIAL_APPLICATIONS,
    application_id,
)

OPTION = "scenarios"
OUTCOMES = ("block", "grant", "allow")
# What a scenario may expect: an outcome, or "denied" (blocked, or asked for what the sign-in cannot satisfy).
EXPECTATIONS = OUTCOMES + ("denied",)

# Graph's members, matched without regard to case, underscores or spaces.
PLATFORMS = ("android", "iOS", "windows", "windowsPhone", "macOS", "linux")
CLIENT_APPS = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
RISK_LEVELS = ("none", "low", "medium", "high")
INSIDER_RISK_LEVELS = ("minor", "moderate", "elevated")
AUTHENTICATION_FLOWS = ("deviceCodeFlow", "authenticationTransfer")
EXTERNAL_USER_TYPES = ("internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
                       "otherExternalUser", "serviceProvider")
GRANT_CONTROLS = ("block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication",
                  "compliantApplication", "passwordChange", "riskRemediation")
# (engine value, Graph's userAction member, other accepted spellings)
USER_ACTIONS = (
    ("urn:user:registersecurityinfo", "registerSecurityInformation",
     ("register_security_info", "register_security_information", "registersecurityinfo")),
    ("urn:user:registerdevice", "registerOrJoinDevices",
     ("register_device", "register_or_join_devices", "registerdevice")),
)
# Scenario shorthands for the applications a sign-in reaches (a sign-in reaches one application, so
# Office365, the app group, stands for Exchange Online, its best-known member).
APPLICATION_SHORTHANDS = {
    "office365": "Exchange Online",
    "office 365": "Exchange Online",
    "exchange": "Exchange Online",
    "sharepoint": "SharePoint Online",
    "onedrive": "SharePoint Online",
    "teams": "Microsoft Teams",
    "graph": "Microsoft Graph",
    "azure management": "Microsoft Azure Management",
}
# The properties a device filter rule may use (Microsoft's list), as Graph spells them.
DEVICE_PROPERTIES = (
    "deviceId", "displayName", "deviceOwnership", "enrollmentProfileName",
    "extensionAttribute1", "extensionAttribute2", "extensionAttribute3", "extensionAttribute4", "extensionAttribute5",
    "extensionAttribute6", "extensionAttribute7", "extensionAttribute8", "extensionAttribute9", "extensionAttribute10",
    "extensionAttribute11", "extensionAttribute12", "extensionAttribute13", "extensionAttribute14",
    "extensionAttribute15", "isCompliant", "manufacturer", "mdmAppId", "model", "operatingSystem",
    "operatingSystemVersion", "physicalIds", "profileType", "systemLabels", "trustType",
)
LIST_DEVICE_PROPERTIES = ("physicalIds", "systemLabels")
# Shorter spellings of device properties: compliant is Graph's deviceInfo.isCompliant.
DEVICE_ALIASES = {"compliant": "isCompliant"}
AUTH_CONTEXT = re.compile(r"^c([1-9]|[1-9][0-9])$", re.IGNORECASE)
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
USER_SELECT = "id,displayName,userPrincipalName,userType"
# The id of a user described offline: None, for the evaluation engine a user no policy names by id.
OFFLINE_USER_ID = None


def scenario_options():
    """The suboptions of one scenario (documented in the module's DOCUMENTATION)."""
    return dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        expected=dict(type="str", choices=list(EXPECTATIONS)),
        expected_controls=dict(type="list", elements="str"),
        user=dict(type="str"),
        user_groups=dict(type="list", elements="str"),
        user_roles=dict(type="list", elements="str"),
        guest=dict(type="bool"),
        external_user_type=dict(type="str"),
        external_tenant_id=dict(type="str"),
        service_principal=dict(type="str"),
        application=dict(type="str"),
        user_action=dict(type="str"),
        authentication_context=dict(type="str"),
        platform=dict(type="str"),
        client_app=dict(type="str"),
        ip_address=dict(type="str"),
        country=dict(type="str"),
        named_location=dict(type="str"),
        device=dict(type="raw"),
        sign_in_risk=dict(type="str"),
        user_risk=dict(type="str"),
        insider_risk=dict(type="str"),
        service_principal_risk=dict(type="str"),
        authentication_flow=dict(type="str"),
        satisfied_controls=dict(type="list", elements="str"),
    )


class ScenarioError(ProblemsError):
    """Everything wrong with the scenarios, found before any evaluation; each problem names the
    scenario, the field, the value and what would be accepted."""

    summary = "%d problems in the scenarios"


def _fold(value):
    return re.sub(r"[\s_\-]+", "", str(value)).lower()


def _member(value, members):
    """The member of ``members`` that ``value`` spells (case, spaces, ``_`` and ``-`` ignored), or None."""
    key = _fold(value)
    for member in members:
        if _fold(member) == key:
            return member
    return None


class Scenario:
    """One scenario on its way from options to a sign-in: canonical values, then resolved ids."""

    def __init__(self, index, params):
        self.index = index
        self.params = params
        self.name = params.get("name")
        self.field = "%s[%d]" % (OPTION, index)
        self.values = {}
        self.user = None            # {"id", "displayName", "userPrincipalName", "userType"} once resolved
        self.groups = []            # transitive group ids
        self.roles = []             # role template ids
        self.service_principal = None  # {"id", "appId", "displayName"}
        self.application = None     # app id
        self.named_location = None  # id

    def where(self, option):
        return "%s.%s (scenario %r)" % (self.field, option, self.name)


# ---------------------------------------------------------------------------------------------
# Checking and canonical values


def _problem(scenario, option, value, what, accepted):
    return "%s: %s (got %r). Accepted: %s." % (scenario.where(option), what, value, accepted)


def check_scenarios(items, require_graph_fields=False):
    """Scenario objects for the validated ``scenarios`` option; raises ScenarioError listing every
    problem. ``require_graph_fields``: each scenario must name an identity and what it reaches
    (Graph's evaluate requires both)."""
    problems = []
    scenarios = []
    names = {}
    for index, params in enumerate(items):
        scenario = Scenario(index, params)
        scenarios.append(scenario)
        if not str(scenario.name or "").strip():
            problems.append("%s.name: a scenario needs a name (got %r). Accepted: a non-empty string." % (
                scenario.field, scenario.name))
        elif scenario.name in names:
            problems.append("%s.name: %r is also the name of %s[%d]. Accepted: a name no other scenario has." % (
                scenario.field, scenario.name, OPTION, names[scenario.name]))
        else:
            names[scenario.name] = index
        problems.extend(_check(scenario, require_graph_fields))
    if problems:
        raise ScenarioError(problems)
    return scenarios


def _check(scenario, require_graph_fields):
    p = scenario.params
    v = scenario.values
    problems = []

    def enum(option, members, label, out=None):
        value = p.get(option)
        if value is None:
            return
        found = _member(value, members)
        if found is None:
            problems.append(_problem(scenario, option, value, "is not %s" % label, ", ".join(members)))
        else:
            v[out or option] = found

    enum("platform", PLATFORMS, "a device platform")
    if p.get("platform") is not None and _fold(p["platform"]) in ("mac", "macos", "osx"):
        v["platform"] = "macOS"
        problems[:] = [x for x in problems if not x.startswith(scenario.where("platform"))]
    enum("client_app", CLIENT_APPS, "a client app type")
    enum("sign_in_risk", RISK_LEVELS, "a sign-in risk level")
    enum("user_risk", RISK_LEVELS, "a user risk level")
    enum("service_principal_risk", RISK_LEVELS, "a service principal risk level")
    enum("insider_risk", INSIDER_RISK_LEVELS, "an insider risk level")
    enum("authentication_flow", AUTHENTICATION_FLOWS, "an authentication flow")
    enum("external_user_type", EXTERNAL_USER_TYPES, "an external user type")
    if p.get("expected_controls"):
        controls = []
        for value in p["expected_controls"]:
            found = _member(value, GRANT_CONTROLS)
            if found is None:
                problems.append(_problem(scenario, "expected_controls", value, "is not a grant control",
                                         ", ".join(GRANT_CONTROLS)))
            else:
                controls.append(found)
        v["expected_controls"] = controls
        if p.get("expected") is None:
            problems.append(_problem(scenario, "expected_controls", p["expected_controls"],
                                     "needs expected", "expected: grant with the controls it must require"))
        elif p.get("expected") != "grant":
            problems.append(_problem(scenario, "expected_controls", p["expected_controls"],
                                     "goes with expected: grant only (expected is %r)" % p["expected"],
                                     "expected: grant, or leave expected_controls out"))
    if p.get("satisfied_controls") is not None:
        v["satisfied_controls"] = []
        for value in p["satisfied_controls"]:
            found = _member(value, GRANT_CONTROLS[1:])
            if found is None and not is_guid(value):
                problems.append(_problem(scenario, "satisfied_controls", value, "is not a control a client satisfies",
                                         "%s, or the id of an authentication strength the sign-in meets"
                                         % ", ".join(GRANT_CONTROLS[1:])))
            else:
                v["satisfied_controls"].append(found or value.lower())

    action = p.get("user_action")
    if action is not None:
        key = _fold(action)
        for engine_value, graph_value, aliases in USER_ACTIONS:
            if key in [_fold(engine_value), _fold(graph_value)] + [_fold(a) for a in aliases]:
                v["user_action"] = engine_value
        if "user_action" not in v:
            problems.append(_problem(scenario, "user_action", action, "is not a user action",
                                     "register_security_info (urn:user:registersecurityinfo), "
                                     "register_device (urn:user:registerdevice)"))
    context = p.get("authentication_context")
    if context is not None:
        if AUTH_CONTEXT.match(str(context).strip()):
            v["authentication_context"] = str(context).strip().lower()
        else:
            problems.append(_problem(scenario, "authentication_context", context,
                                     "is not an authentication context id", "c1 to c99"))
    targets = [o for o in ("application", "user_action", "authentication_context") if p.get(o) is not None]
    if len(targets) > 1:
        problems.append("%s: a sign-in reaches one application, user action or authentication context (got %s). "
                        "Accepted: one of them." % (scenario.where(targets[1]), ", ".join(targets)))
    application = p.get("application")
    if application is not None:
        found = _application(application)
        if found in SPECIAL_APPLICATIONS:
            problems.append(_problem(scenario, "application", application,
                                     "is an application group; a sign-in reaches one application",
                                     "an app id, a well-known name (Exchange Online, SharePoint Online, Microsoft "
                                     "Teams, Azure portal, Microsoft Graph, Microsoft Azure Management, ...), "
                                     "Office365 (as Exchange Online), or a service principal's display name"))
    identities = [o for o in ("user", "service_principal") if p.get(o) is not None]
    if len(identities) > 1:
        problems.append("%s: a sign-in is a user's or a service principal's, not both. Accepted: user or "
                        "service_principal." % scenario.where("service_principal"))
    if p.get("service_principal") is not None:
        for option in ("user_groups", "user_roles", "guest", "external_user_type", "external_tenant_id"):
            if p.get(option) is not None:
                problems.append(_problem(scenario, option, p[option], "describes a user, and the scenario signs in "
                                         "as a service principal", "leave %s out" % option))
    ip = p.get("ip_address")
    if ip is not None:
        try:
            v["ip_address"] = str(ipaddress.ip_address(str(ip).strip()))
        except ValueError:
            problems.append(_problem(scenario, "ip_address", ip, "is not an IP address",
                                     "an IPv4 or IPv6 address such as 198.51.100.7 or 2001:db8::1"))
    country = p.get("country")
    if country is not None:
        if COUNTRY.match(str(country).strip()):
            v["country"] = str(country).strip().upper()
        else:
            problems.append(_problem(scenario, "country", country, "is not a country code",
                                     "an ISO 3166 alpha-2 code such as US, DE or FR"))
    device = p.get("device")
    if device is not None:
        problems.extend(_check_device(scenario, device))
    if require_graph_fields:
        if not identities and not p.get("user_groups") and not p.get("user_roles"):
            problems.append("%s: Graph's evaluate needs the identity that signs in (use_graph is true). Accepted: "
                            "user (a user of the tenant) or service_principal." % scenario.where("user"))
        elif not identities:
            problems.append(_problem(scenario, "user", None, "Graph's evaluate needs a user of the tenant "
                                     "(use_graph is true); user_groups and user_roles alone describe no user",
                                     "user: a user principal name, display name or id"))
        if not targets:
            problems.append("%s: Graph's evaluate needs what the sign-in reaches (use_graph is true). Accepted: "
                            "application, user_action or authentication_context." % scenario.where("application"))
    return problems


def _check_device(scenario, device):
    v = scenario.values
    if isinstance(device, str):
        if _fold(device) in ("unmanaged", "unregistered"):
            v["device"] = "unmanaged"
            return []
        return [_problem(scenario, "device", device, "is not a device", "unmanaged, or a dict of device filter "
                         "properties such as {isCompliant: true, trustType: AzureAD}")]
    if not isinstance(device, dict):
        return [_problem(scenario, "device", device, "is not a device", "unmanaged, or a dict of device filter "
                         "properties")]
    out = {}
    problems = []
    for key, value in device.items():
        name = _member(key, DEVICE_PROPERTIES) or DEVICE_ALIASES.get(_fold(key))
        if name is None:
            problems.append(_problem(scenario, "device", key, "is not a device filter property",
                                     ", ".join(DEVICE_PROPERTIES)))
            continue
        if name == "isCompliant":
            if not isinstance(value, bool):
                if str(value).lower() in ("true", "false"):
                    value = str(value).lower() == "true"
                else:
                    problems.append(_problem(scenario, "device.isCompliant", value, "is not a boolean", "true, false"))
                    continue
        elif name in LIST_DEVICE_PROPERTIES:
            value = [str(x) for x in (value if isinstance(value, list) else [value])]
        elif value is not None:
            value = str(value)
        out[name] = value
    v["device"] = out
    return problems


def _application(value):
    """The app id (or special value) a scenario's application names without a look-up, or None."""
    text = str(value).strip()
    if is_guid(text):
        return text.lower()
    shorthand = APPLICATION_SHORTHANDS.get(" ".join(text.lower().split()))
    return application_id(shorthand or text)


# ---------------------------------------------------------------------------------------------
# Resolving against the tenant


def _batch_or_raise(graph, requests_, labels):
    """Send GETs in one $batch (one request when there is only one); answers in order; a 404
    answer is returned (the caller names the scenario), other errors raise."""
    if not requests_:
        return []
    answers = graph.batch(requests_)
    for answer, label in zip(answers, labels):
        status = answer.get("status")
        if isinstance(status, int) and (status < 400 or status == 404):
            continue
        fields = parse_graph_error_body(answer.get("body"))
        raise GraphError("GET", graph.url(label), status=status, code=fields.get("code"),
                         message=fields.get("message"), request_id=fields.get("request_id"),
                         client_request_id=fields.get("client_request_id"), date=fields.get("date"))
    return answers


def _items_of(graph, body):
    body = body if isinstance(body, dict) else {}
    items = list(body.get("value") or [])
    if body.get("@odata.nextLink"):
        for page in graph.pages(body["@odata.nextLink"]):
            items.extend((page.json or {}).get("value") or [])
    return items


def groups_holding(graph, group_ids):
    """``{group id (lower case): (ids of the groups that hold it, nested; role template ids)}``:
    one ``transitiveMemberOf`` read per group, in ``$batch`` requests of 20. A member of a group is
    a member of every group that holds it, and Conditional Access counts nested members."""
    wanted = []
    for group_id in group_ids or ():
        key = str(group_id).lower()
        if key not in wanted:
            wanted.append(key)
    paths = ["/groups/%s/transitiveMemberOf" % key for key in wanted]
    answers = _batch_or_raise(graph, [{"method": "GET", "url": path} for path in paths], paths)
    found = {}
    for key, answer in zip(wanted, answers):
        found[key] = split_memberships(_items_of(graph, answer.get("body"))) if answer.get("status") != 404 else ([], [])
    return found


def add_groups_holding(graph, users):
    """Add to each sign-in user (``{"groups", "roles"}``) the groups that hold its groups, nested,
    and the roles held through them; one ``groups_holding`` read for all of them."""
    users = list(users)
    holding = groups_holding(graph, [g for user in users for g in user.get("groups") or ()])
    for user in users:
        groups = [str(g).lower() for g in user.get("groups") or ()]
        roles = list(user.get("roles") or ())
        for group in list(groups):
            parents, held = holding.get(group, ([], []))
            groups.extend(g for g in parents if g not in groups)
            roles.extend(r for r in held if r not in roles)
        user["groups"], user["roles"] = groups, roles
    return users


class ScenarioResolver:
    """Resolves the names of every scenario in bulk; ``requests`` counts the HTTP requests made
    (a $batch counts once)."""

    def __init__(self, graph, name_resolver, named_locations):
        self.graph = graph
        self.names = name_resolver
        self.named_locations = list(named_locations or [])
        self.requests = 0

    def resolve(self, scenarios):
        problems = []
        problems.extend(self._users(scenarios))
        problems.extend(self._names(scenarios))
        problems.extend(self._service_principals(scenarios))
        problems.extend(self._named_locations(scenarios))
        if problems:
            raise ScenarioError(problems)

    # -- users ------------------------------------------------------------------------------
    def _users(self, scenarios):
        refs = []
        for scenario in scenarios:
            ref = scenario.params.get("user")
            if ref is not None and str(ref).strip() and str(ref).strip() not in refs:
                refs.append(str(ref).strip())
        if not refs:
            return []
        direct = [r for r in refs if is_guid(r) or "@" in r]
        by_name = [r for r in refs if r not in direct]
        found = {}
        problems = []
        requests_, labels, plan = [], [], []
        for ref in direct:
            path = "/users/%s" % quote(ref, safe="@")
            requests_.append({"method": "GET", "url": path + "?" + encode_query({"$select": USER_SELECT})})
            requests_.append({"method": "GET", "url": path + "/transitiveMemberOf"})
            labels += [path, path + "/transitiveMemberOf"]
            plan.append(("direct", ref))
        for ref in by_name:
            url = "/users?" + encode_query({"$filter": in_filter("displayName", [ref]), "$select": USER_SELECT})
            requests_.append({"method": "GET", "url": url})
            labels.append("/users")
            plan.append(("name", ref))
        answers = _batch_or_raise(self.graph, requests_, labels)
        self.requests += (len(requests_) + 19) // 20
        position = 0
        second = []
        for kind, ref in plan:
            if kind == "direct":
                user, member_of = answers[position], answers[position + 1]
                position += 2
                if user.get("status") == 404 or member_of.get("status") == 404:
                    found[ref] = None
                    continue
                found[ref] = (user.get("body") or {}, _items_of(self.graph, member_of.get("body")))
            else:
                matches = _items_of(self.graph, answers[position].get("body"))
                position += 1
                exact = [u for u in matches if u.get("displayName") == ref] or matches
                if len(exact) > 1:
                    found[ref] = ("ambiguous", exact)
                elif exact:
                    second.append((ref, exact[0]))
                else:
                    found[ref] = None
        if second:
            requests_ = [{"method": "GET", "url": "/users/%s/transitiveMemberOf" % user["id"]} for _ref, user in second]
            answers = _batch_or_raise(self.graph, requests_, [r["url"] for r in requests_])
            self.requests += (len(requests_) + 19) // 20
            for (ref, user), answer in zip(second, answers):
                found[ref] = (user, _items_of(self.graph, answer.get("body")))
        for scenario in scenarios:
            ref = scenario.params.get("user")
            if ref is None or not str(ref).strip():
                continue
            entry = found.get(str(ref).strip())
            if entry is None:
                problems.append(_problem(scenario, "user", ref, "no user of the tenant has this user principal name, "
                                         "display name or id", "a user principal name, display name or object id "
                                         "of an existing user"))
            elif entry[0] == "ambiguous":
                problems.append(_problem(scenario, "user", ref, "several users have this display name (%s)" % ", ".join(
                    "%s %s" % (u.get("userPrincipalName"), u.get("id")) for u in entry[1]),
                    "the user principal name or id of one of them"))
            else:
                user, member_of = entry
                scenario.user = user
                scenario.groups, scenario.roles = split_memberships(member_of)
        return problems

    # -- groups, roles, applications --------------------------------------------------------
    def _names(self, scenarios):
        wanted = {}
        for scenario in scenarios:
            p = scenario.params
            for value in p.get("user_groups") or []:
                wanted.setdefault("group", []).append(value)
            for value in p.get("user_roles") or []:
                wanted.setdefault("role", []).append(value)
            app = p.get("application")
            if app is not None and _application(app) is None:
                wanted.setdefault("application", []).append(app)
        before = self.names.requests
        found = self.names.resolve(wanted) if wanted else {}
        self.requests += self.names.requests - before
        problems = []
        offline = []
        for scenario in scenarios:
            p = scenario.params
            if p.get("user_groups") and scenario.user is None:
                offline.append(scenario)
            for option, kind, target in (("user_groups", "group", scenario.groups), ("user_roles", "role", scenario.roles)):
                for value in p.get(option) or []:
                    resolution = found.get((kind, value))
                    if resolution is None or resolution.status != "found":
                        what = resolution.problem() if resolution is not None else "could not be resolved"
                        if resolution is not None and resolution.status == "dangling":
                            what = "no %s has this id" % kind
                        problems.append("%s: %s (got %r)." % (scenario.where(option), str(what).rstrip("."), value))
                    elif resolution.id not in target:
                        target.append(resolution.id)
            app = p.get("application")
            if app is None:
                continue
            local = _application(app)
            if local is not None:
                scenario.application = local
                continue
            resolution = found.get(("application", app))
            if resolution is None or resolution.status != "found":
                what = resolution.problem() if resolution is not None else "could not be resolved"
                problems.append("%s: %s (got %r)." % (scenario.where("application"), str(what).rstrip("."), app))
            else:
                scenario.application = resolution.id
        if offline and not problems:
            # A user described by its groups is also a member of the groups that hold them.
            users = [{"groups": list(scenario.groups), "roles": list(scenario.roles)} for scenario in offline]
            add_groups_holding(self.graph, users)
            self.requests += (len(set(g for s in offline for g in s.groups)) + 19) // 20
            for scenario, user in zip(offline, users):
                scenario.groups[:], scenario.roles[:] = user["groups"], user["roles"]
        return problems

    def _service_principals(self, scenarios):
        refs = sorted(set(str(s.params["service_principal"]).strip() for s in scenarios
                          if s.params.get("service_principal")))
        if not refs:
            return []
        requests_ = []
        for ref in refs:
            prop = "appId" if is_guid(ref) else "displayName"
            requests_.append({"method": "GET", "url": "/servicePrincipals?" + encode_query(
                {"$filter": in_filter(prop, [ref]), "$select": "id,appId,displayName"})})
        answers = _batch_or_raise(self.graph, requests_, ["/servicePrincipals"] * len(requests_))
        self.requests += (len(requests_) + 19) // 20
        found = dict((ref, _items_of(self.graph, a.get("body"))) for ref, a in zip(refs, answers))
        problems = []
        for scenario in scenarios:
            ref = scenario.params.get("service_principal")
            if not ref:
                continue
            matches = found.get(str(ref).strip()) or []
            if len(matches) == 1:
                scenario.service_principal = matches[0]
            elif not matches:
                problems.append(_problem(scenario, "service_principal", ref, "no service principal of the tenant has "
                                         "this app id or display name", "the app id or display name of a service "
                                         "principal of the tenant"))
            else:
                problems.append(_problem(scenario, "service_principal", ref, "several service principals have this "
                                         "display name (%s)" % ", ".join(m.get("appId", "") for m in matches),
                                         "the app id of one of them"))
        return problems

    def _named_locations(self, scenarios):
        problems = []
        for scenario in scenarios:
            ref = scenario.params.get("named_location")
            if ref is None:
                continue
            text = str(ref).strip()
            matches = [n for n in self.named_locations if str(n.get("id", "")).lower() == text.lower()]
            if not matches:
                matches = [n for n in self.named_locations if n.get("displayName") == text]
            if not matches:
                matches = [n for n in self.named_locations if str(n.get("displayName", "")).lower() == text.lower()]
            if len(matches) == 1:
                scenario.named_location = matches[0]["id"]
            else:
                names = ", ".join(sorted(str(n.get("displayName")) for n in self.named_locations)) or "none exist"
                problems.append(_problem(scenario, "named_location", ref,
                                         "several named locations have this name" if matches
                                         else "no named location has this name or id",
                                         "the display name or id of a named location (%s)" % names))
        return problems


# ---------------------------------------------------------------------------------------------
# Sign-ins


def sign_in(scenario, unmanaged_device):
    """The engine's ``sign_in`` dict of a resolved scenario."""
    p = scenario.params
    v = scenario.values
    out = {}
    if scenario.service_principal is not None:
        out["service_principal"] = {"id": scenario.service_principal.get("id"),
                                    "app_id": scenario.service_principal.get("appId")}
    else:
        # A user described offline (user_groups, user_roles) is a member that no policy names by id.
        user = {"id": scenario.user.get("id") if scenario.user is not None else OFFLINE_USER_ID}
        user["groups"] = list(scenario.groups)
        user["roles"] = list(scenario.roles)
        guest = p.get("guest")
        if guest is None and v.get("external_user_type"):
            guest = True
        if guest is None:
            guest = scenario.user is not None and str(scenario.user.get("userType") or "").lower() == "guest"
        if guest is not None:
            user["user_type"] = "guest" if guest else "member"
        if guest:
            user["external_user_types"] = [v.get("external_user_type") or "b2bCollaborationGuest"]
        if p.get("external_tenant_id"):
            user["external_tenant_id"] = p["external_tenant_id"]
        out["user"] = user
    if scenario.application:
        out["application"] = scenario.application
    for key in ("user_action", "authentication_context", "ip_address", "country", "sign_in_risk", "user_risk",
                "insider_risk", "service_principal_risk", "authentication_flow"):
        if v.get(key) is not None:
            out[key] = v[key]
    if v.get("platform"):
        out["device_platform"] = v["platform"]
    if v.get("client_app"):
        out["client_app_type"] = v["client_app"]
    if scenario.named_location:
        out["named_location"] = scenario.named_location
    if v.get("device") == "unmanaged":
        out["device"] = dict(unmanaged_device or {})
    elif v.get("device") is not None:
        out["device"] = dict(v["device"])
    return out


def evaluate_body(scenario, sign_in_):
    """The body of ``POST /identity/conditionalAccess/evaluate`` for the same sign-in."""
    body = {}
    if "service_principal" in sign_in_:
        body["signInIdentity"] = {"@odata.type": "#microsoft.graph.servicePrincipalSignIn",
                                  "servicePrincipalId": sign_in_["service_principal"].get("app_id")}
    else:
        user = sign_in_.get("user") or {}
        identity = {"@odata.type": "#microsoft.graph.userSignIn", "userId": user.get("id")}
        if user.get("external_user_types"):
            identity["externalUserType"] = ",".join(user["external_user_types"])
        if user.get("external_tenant_id"):
            identity["externalTenantId"] = user["external_tenant_id"]
        body["signInIdentity"] = identity
    if sign_in_.get("application"):
        body["signInContext"] = {"@odata.type": "#microsoft.graph.applicationContext",
                                 "includeApplications": [sign_in_["application"]]}
    elif sign_in_.get("user_action"):
        graph_value = next(g for e, g, _a in USER_ACTIONS if e == sign_in_["user_action"])
        body["signInContext"] = {"@odata.type": "#microsoft.graph.userActionContext", "userAction": graph_value}
    elif sign_in_.get("authentication_context"):
        body["signInContext"] = {"@odata.type": "#microsoft.graph.authContext",
                                 "authenticationContextValue": sign_in_["authentication_context"]}
    conditions = {}
    for key, graph_key in (("device_platform", "devicePlatform"), ("client_app_type", "clientAppType"),
                           ("country", "country"), ("ip_address", "ipAddress"), ("sign_in_risk", "signInRiskLevel"),
                           ("user_risk", "userRiskLevel"), ("insider_risk", "insiderRiskLevel"),
                           ("service_principal_risk", "servicePrincipalRiskLevel")):
        if sign_in_.get(key) is not None:
            conditions[graph_key] = sign_in_[key]
    if sign_in_.get("authentication_flow"):
        conditions["authenticationFlow"] = {"transferMethod": sign_in_["authentication_flow"]}
    if sign_in_.get("device") is not None:
        info = {}
        for key, value in sign_in_["device"].items():
            # Unknown properties are left out (physicalIds and systemLabels may not be null); deviceInfo
            # spells the device filter's deviceOwnership as ownership.
            if value is not None:
                info["ownership" if key == "deviceOwnership" else key] = value
        conditions["deviceInfo"] = info
    body["signInConditions"] = conditions
    body["appliedPoliciesOnly"] = False
    return body
