"""Hypothesis strategies: tenants, conditional access policy sets and emergency-access accounts.

A generated case is a ``Case``: a tenant (users and guests, groups nesting other groups, directory
role holders, IP and country named locations, some trusted), the policies it already holds (Graph
JSON), the policies a task declares (the module's options, turned into Graph bodies with the
option tables of ``_conditional_access.spec``, as the module does), and emergency-access accounts given
directly, as a group, or reached through a nested group or a role.

Policies are drawn over every dimension the evaluation reads: users, groups and roles included and
excluded, guests, applications and the Office 365 and admin-portal groups, platforms, client app
types, locations (any, trusted, named, excluded), a device filter, sign-in and user risk, every
grant control with AND or OR, authentication strengths and terms of use, and the three states.
Everything is referred to by id, as Graph stores it; the declared policies pass the module's own
input checks (what Graph refuses is left out: a declared ``approvedApplication``, which is
retired, appears only among the tenant's existing policies).

Profiles: ``ci`` (the default: a fixed number of examples, derandomised, so that every CI run
draws the same ones) and ``long`` (many more, random); choose with ``HYPOTHESIS_PROFILE``.
"""
import copy
import ipaddress
import os

from hypothesis import settings, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import options_to_graph

# The profiles ``ci`` and ``long`` are registered once, in tests/unit/plugins/conftest.py; this module only
# scales the number of examples per property.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# Examples per property in CI; the long profile draws this many times more, at random.
LONG_FACTOR = 25
# Read once, at import: some tests clear the environment before they draw.
FORCED_EXAMPLES = os.environ.get("TENANTGUARD_PROPERTY_EXAMPLES")


def examples(in_ci):
    """Settings drawing ``in_ci`` examples under the ci profile (``LONG_FACTOR`` times as many under
    long); ``TENANTGUARD_PROPERTY_EXAMPLES`` sets the number for every property."""
    if FORCED_EXAMPLES:
        return settings(max_examples=int(FORCED_EXAMPLES))
    return settings(max_examples=in_ci * (LONG_FACTOR if PROFILE == "long" else 1))


AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"
EXCHANGE_ONLINE = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT_ONLINE = "00000003-0000-0ff1-ce00-000000000000"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
SECURITY_ADMINISTRATOR = "194ae4cb-b126-40b2-bd5b-6091b380977d"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
ROLES = (GLOBAL_ADMINISTRATOR, SECURITY_ADMINISTRATOR, EXCHANGE_ADMINISTRATOR)
STRENGTHS = ("00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000004")
TERMS_OF_USE = "7a3d1b2c-0000-4000-8000-00000000a001"

USER_COUNT = 5
GROUP_COUNT = 4
# Ranges and countries drawn for named locations: some hold the addresses and countries the
# lockout pre-flight tries first for a sign-in from outside every named location.
IP_RANGES = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "10.0.0.0/8", "100.64.0.0/10",
             "2001:db8::/32", "172.16.0.0/12")
COUNTRIES = ("FR", "DE", "US", "AQ", "BV", "NL")
PLATFORMS = ("android", "iOS", "windows", "macOS", "linux")
CLIENT_APP_TYPES = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
DEVICE_RULES = ('device.isCompliant -eq True', 'device.trustType -eq "ServerAD"',
                'device.operatingSystem -startsWith "Windows"')
BUILT_IN = ("mfa", "compliantDevice", "domainJoinedDevice", "compliantApplication")
STATES = ("enabled", "enabledForReportingButNotEnforced", "disabled")
# Enforced policies are the ones that can lock anyone out: drawn more often.
WEIGHTED_STATES = ("enabled", "enabled", "enabled", "enabledForReportingButNotEnforced", "disabled")


def user_id(index):
    return "a0000000-0000-4000-8000-%012d" % index


def group_id(index):
    return "b0000000-0000-4000-8000-%012d" % index


def location_id(index):
    return "c0000000-0000-4000-8000-%012d" % index


def live_policy_id(index):
    return "d0000000-0000-4000-8000-%012d" % index


def upn(index):
    return "user%d@contoso.test" % index


def subset(values, min_size=0, max_size=None):
    if not values:
        return st.just([])
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=max_size, unique=True)


class Case:
    """One generated tenant and task; ``tenant_kwargs`` builds the fake tenant."""

    def __init__(self, users, groups, roles, named_locations, live, declared, emergency):
        self.users = users
        self.groups = groups
        self.roles = roles
        self.named_locations = named_locations
        self.live = live              # Graph JSON with ids
        self.declared = declared      # module options of conditional_access_policies
        self.emergency = emergency    # {"users": [ids], "groups": [ids]}

    def tenant_kwargs(self):
        return dict(users=self.users, groups=self.groups, roles=self.roles, named_locations=self.named_locations,
                    policies=self.live)

    def declared_bodies(self):
        """The declared policies as Graph bodies (no id: they are new)."""
        out = []
        for item in self.declared:
            body = options_to_graph(dict((k, v) for k, v in item.items() if k != "state"), "v1.0")
            out.append(body)
        return out

    def __repr__(self):
        return ("Case(users=%r, groups=%r, roles=%r, named_locations=%r, live=%r, declared=%r, emergency=%r)"
                % (self.users, self.groups, self.roles, self.named_locations, self.live, self.declared,
                   self.emergency))


@st.composite
def directories(draw):
    """Users (some guests), groups whose members are users and later groups (nesting without
    cycles), and the holders of three directory roles."""
    users = []
    for index in range(USER_COUNT):
        guest = draw(st.booleans()) if index >= 3 else False
        users.append({"id": user_id(index), "userPrincipalName": upn(index), "displayName": "User %d" % index,
                      "userType": "Guest" if guest else "Member", "accountEnabled": True})
    groups = []
    for index in range(GROUP_COUNT):
        members = draw(subset([user_id(i) for i in range(USER_COUNT)], max_size=3))
        members += draw(subset([group_id(j) for j in range(index + 1, GROUP_COUNT)], max_size=2))
        groups.append({"id": group_id(index), "displayName": "group%d" % index, "securityEnabled": True,
                       "mailEnabled": False, "members": members})
    roles = {}
    for role in ROLES:
        holders = draw(subset([user_id(i) for i in range(USER_COUNT)], max_size=2))
        if holders:
            roles[role] = holders
    return users, groups, roles


@st.composite
def named_locations(draw):
    out = []
    for index in range(draw(st.integers(0, 3))):
        trusted = draw(st.booleans())
        if draw(st.booleans()):
            ranges = draw(subset(IP_RANGES, min_size=1, max_size=4))
            out.append({"@odata.type": "#microsoft.graph.ipNamedLocation", "id": location_id(index),
                        "displayName": "location%d" % index, "isTrusted": trusted,
                        "ipRanges": [{"@odata.type": "#microsoft.graph.%sCidrRange"
                                      % ("iPv4" if ipaddress.ip_network(r).version == 4 else "iPv6"),
                                      "cidrAddress": r} for r in ranges]})
        else:
            out.append({"@odata.type": "#microsoft.graph.countryNamedLocation", "id": location_id(index),
                        "displayName": "location%d" % index,
                        "countriesAndRegions": draw(subset(COUNTRIES, min_size=1, max_size=4)),
                        "includeUnknownCountriesAndRegions": draw(st.booleans()),
                        "countryLookupMethod": "clientIpAddress"})
    return out


@st.composite
def users_condition(draw, guests_special=True):
    users = {}
    include = draw(st.sampled_from(("all", "users", "groups", "groups", "roles", "mixed", "guests")))
    if include == "all":
        users["include_users"] = ["All"]
    elif include == "guests" and guests_special:
        users["include_users"] = ["GuestsOrExternalUsers"]
    elif include == "users":
        users["include_users"] = draw(subset([user_id(i) for i in range(USER_COUNT)], 1, 2))
    elif include == "roles":
        users["include_roles"] = draw(subset(ROLES, 1, 2))
    else:
        users["include_groups"] = draw(subset([group_id(i) for i in range(GROUP_COUNT)], 1, 2))
        if include == "mixed":
            users["include_roles"] = draw(subset(ROLES, 0, 1))
            users["include_users"] = draw(subset([user_id(i) for i in range(USER_COUNT)], 0, 1))
    if draw(st.booleans()):
        users["exclude_users"] = draw(subset([user_id(i) for i in range(USER_COUNT)], 0, 2))
        users["exclude_groups"] = draw(subset([group_id(i) for i in range(GROUP_COUNT)], 0, 2))
        users["exclude_roles"] = draw(subset(ROLES, 0, 1))
    return dict((k, v) for k, v in users.items() if v)


@st.composite
def grant(draw, retired=False):
    kind = draw(st.sampled_from(("block", "block", "controls", "controls", "strength", "none")))
    if kind == "block":
        return {"operator": "OR", "built_in_controls": ["block"]}
    if kind == "none":
        return None
    controls = draw(subset(BUILT_IN + (("approvedApplication",) if retired else ()), 0, 3))
    out = {"operator": draw(st.sampled_from(("AND", "OR"))), "built_in_controls": controls}
    if kind == "strength" or draw(st.integers(0, 4)) == 0:
        out["authentication_strength"] = draw(st.sampled_from(STRENGTHS))
        out["built_in_controls"] = [c for c in controls if c != "mfa"]
    if draw(st.integers(0, 5)) == 0:
        out["terms_of_use"] = [TERMS_OF_USE]
    if not out["built_in_controls"] and not out.get("authentication_strength") and not out.get("terms_of_use"):
        out["built_in_controls"] = ["mfa"]
    return out


@st.composite
def policy_options(draw, name, locations, retired=False):
    """The options of one policy (snake_case, as a playbook gives them), ids everywhere."""
    conditions = {"users": draw(users_condition())}
    apps = draw(st.sampled_from((["All"], ["Office365"], ["MicrosoftAdminPortals"], [AZURE_PORTAL],
                                 [MICROSOFT_GRAPH], [EXCHANGE_ONLINE, SHAREPOINT_ONLINE], [AZURE_PORTAL, EXCHANGE_ONLINE])))
    conditions["applications"] = {"include_applications": apps}
    if apps == ["All"] and draw(st.integers(0, 3)) == 0:
        conditions["applications"]["exclude_applications"] = [draw(st.sampled_from((AZURE_PORTAL, MICROSOFT_GRAPH,
                                                                                    EXCHANGE_ONLINE)))]
    if draw(st.booleans()):
        conditions["client_app_types"] = draw(subset(CLIENT_APP_TYPES, 1, 3))
    if draw(st.booleans()):
        platforms = {"include_platforms": draw(st.sampled_from((["all"], None))) or draw(subset(PLATFORMS, 1, 3))}
        if draw(st.booleans()):
            platforms["exclude_platforms"] = draw(subset(PLATFORMS, 1, 2))
        conditions["platforms"] = platforms
    ids = [loc["id"] for loc in locations]
    if draw(st.booleans()):
        include = draw(st.sampled_from((["All"], ["AllTrusted"], "named")))
        if include == "named":
            include = draw(subset(ids, 1, 2)) if ids else ["All"]
        locs = {"include_locations": include}
        if draw(st.booleans()):
            exclude = draw(st.sampled_from((["AllTrusted"], "named")))
            if exclude == "named":
                exclude = draw(subset(ids, 1, 2)) if ids else []
            if exclude:
                locs["exclude_locations"] = exclude
        conditions["locations"] = locs
    if draw(st.integers(0, 3)) == 0:
        conditions["devices"] = {"device_filter": {"mode": draw(st.sampled_from(("include", "exclude"))),
                                                   "rule": draw(st.sampled_from(DEVICE_RULES))}}
    if draw(st.integers(0, 3)) == 0:
        conditions["sign_in_risk_levels"] = draw(subset(("low", "medium", "high", "none"), 1, 2))
    if draw(st.integers(0, 4)) == 0:
        conditions["user_risk_levels"] = draw(subset(("low", "medium", "high"), 1, 2))
    options = {"display_name": name, "policy_state": draw(st.sampled_from(WEIGHTED_STATES)), "conditions": conditions}
    controls = draw(grant(retired=retired))
    if controls is None:
        options["session_controls"] = {"application_enforced_restrictions": {"is_enabled": True}}
    else:
        options["grant_controls"] = controls
    return options


@st.composite
def emergency_accounts(draw, groups):
    """Users given directly and groups, at least one; the rest of the reach (a nested group, a role)
    comes from the directory drawn."""
    users = draw(subset([user_id(i) for i in range(3)], 0, 2))
    chosen = draw(subset([g["id"] for g in groups], 0 if users else 1, 2))
    return {"users": users, "groups": chosen}


def live_body(options, index):
    body = options_to_graph(copy.deepcopy(options), "v1.0")
    body["id"] = live_policy_id(index)
    return body


def holders(groups, object_id):
    """The groups that hold ``object_id``, nested ones included."""
    found, pending = [], [object_id]
    while pending:
        current = pending.pop()
        for group in groups:
            if current in group["members"] and group["id"] not in found:
                found.append(group["id"])
                pending.append(group["id"])
    return found


@st.composite
def aimed_policy(draw, name, locations, groups, roles, emergency):
    """An enforced policy aimed at an emergency account: at the user, a group that holds it (nested
    included), a group holding the emergency group, or a role the user holds; blocking or asking for
    a device or an app, everywhere but (sometimes) a named location, as the lockouts people write."""
    apps = draw(st.sampled_from((["All"], ["MicrosoftAdminPortals"], [AZURE_PORTAL], [MICROSOFT_GRAPH], ["Office365"])))
    options = {"display_name": name, "conditions": {"applications": {"include_applications": apps}},
               "grant_controls": draw(st.sampled_from((
                   {"operator": "OR", "built_in_controls": ["block"]},
                   {"operator": "OR", "built_in_controls": ["compliantDevice", "domainJoinedDevice"]},
                   {"operator": "AND", "built_in_controls": ["mfa", "compliantApplication"]},
                   {"operator": "OR", "built_in_controls": ["mfa", "compliantDevice"]},
                   {"operator": "AND", "built_in_controls": [], "authentication_strength": STRENGTHS[1]})))}
    if draw(st.booleans()):
        options["conditions"]["client_app_types"] = draw(subset(CLIENT_APP_TYPES, 1, 2))
    if draw(st.integers(0, 3)) == 0:
        options["conditions"]["platforms"] = {"include_platforms": draw(subset(PLATFORMS, 1, 2))}
    targets = []
    for user in emergency["users"]:
        targets.append({"include_users": [user]})
        targets.extend({"include_groups": [g]} for g in holders(groups, user))
        targets.extend({"include_roles": [r]} for r, members in roles.items() if user in members)
    for group in emergency["groups"]:
        targets.append({"include_groups": [group]})
        targets.extend({"include_groups": [g]} for g in holders(groups, group))
        for member in [m for g in groups if g["id"] == group for m in g["members"]]:
            targets.append({"include_users": [member]} if member.startswith("a") else {"include_groups": [member]})
    if targets:
        options["conditions"]["users"] = draw(st.sampled_from(targets))
    options["policy_state"] = "enabled"
    if locations and draw(st.booleans()):
        options["conditions"]["locations"] = {"include_locations": ["All"],
                                              "exclude_locations": [draw(st.sampled_from(locations))["id"]]}
    return options


@st.composite
def cases(draw, max_declared=4, max_live=3, directory=None, locations=None):
    """A Case; ``directory`` (users, groups, roles) and ``locations`` fixed when given (a tenant seeded
    once), drawn otherwise."""
    users, groups, roles = directory if directory is not None else draw(directories())
    locations = locations if locations is not None else draw(named_locations())
    emergency = draw(emergency_accounts(groups))
    live = [live_body(draw(policy_options("Live %d" % i, locations, retired=True)), i)
            for i in range(draw(st.integers(0, max_live)))]
    declared = [draw(policy_options("Declared %d" % i, locations)) for i in range(draw(st.integers(0, max_declared)))]
    if draw(st.booleans()):
        # Aimed at the task's policies, or at the tenant's when the task declares none.
        if max_declared:
            declared.append(draw(aimed_policy("Declared %d" % len(declared), locations, groups, roles, emergency)))
        else:
            live.append(live_body(draw(aimed_policy("Live %d" % len(live), locations, groups, roles, emergency)),
                                  len(live)))
    return Case(users, groups, roles, locations, live, declared, emergency)
