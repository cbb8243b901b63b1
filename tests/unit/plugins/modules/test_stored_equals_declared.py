"""Stored equals declared, for every writing module, over generated inputs.

Each property runs a module's ``main`` (the function Ansible runs) in-process against a real
sandbox with options drawn from the module's own generated option tables (``_conditional_access.spec``,
``_intune.app_protection_spec``, the named location and authentication strength options), then reads the
object from the sandbox's state files (``stored_state``), not through the module, and checks:

* every declared option, mapped to its Graph name by the tables, equals the stored property
  (compared as Graph compares it: enum case, sets, durations by length; the stored object may hold
  more, such as Graph's defaults);
* the result reports what is stored, not the options echoed;
* input the module refuses writes nothing.

Inputs Graph rewrites are compared as Graph documents them (a grant operator means nothing with one
control: the service stores OR, as the sandbox's conditional access rules record with their source).
``HYPOTHESIS_PROFILE`` picks the ``ci`` profile (default, fixed seed) or ``long``.
"""
import ipaddress
import uuid

import pytest

from hypothesis import event, given, note, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_configuration import (
    ACCOUNTS_ONLY_KEYS, OUTLOOK_KEYS)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection import INT_RANGES
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_levels import LEVELS, baseline
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_spec import (
    CONFIGURATION_PROPERTIES, ENUMS, PROPERTIES)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.targets import (
    APP_GROUP_TYPES, app_set, assignment_set)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_values import comparable
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import METHOD_MODES
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import enum_members, node_at
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.mobile_apps import APPS, app_id
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import LOOKUP_METHODS
from ansible_collections.tenantguard.m365.plugins.modules import (
    app_configuration_policy, app_protection_policy, authentication_strength_policy, conditional_access_policy,
    named_location)
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import (
    ADELE_ID, BREAKGLASS_ID, EMERGENCY_GROUP_ID, PILOT_GROUP_ID, tenant_seed)
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.resource_module_helpers import module_runner
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.stored_state import (
    stored_named, stored_object)

USERS = {"breakglass1@contoso.onmicrosoft.com": BREAKGLASS_ID, "adele@contoso.onmicrosoft.com": ADELE_ID}
GROUPS = {"Emergency Access": EMERGENCY_GROUP_ID, "Mobile Pilot": PILOT_GROUP_ID}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(str(tmp_path_factory.mktemp("stored")), seed=tenant_seed()) as sb:
        yield sb


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    return module_runner(graph_sandbox, clean_environment, tmp_path, capsys)


def unique(prefix):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def any_case(text):
    """``text`` in a case Graph does not keep (enum values are matched without regard to case)."""
    return st.sampled_from([text, text.lower(), text.upper()])


def subset(values, min_size=1, max_size=None):
    return st.lists(st.sampled_from(list(values)), min_size=min_size, max_size=max_size, unique=True)


def folded(values):
    return sorted(set(str(v).lower() for v in values or []))


def converge(run_module, main, args, kind, name, sandbox):
    """Run the module once; return (result, stored object) or (result, None) when it refused the input,
    in which case nothing may have been stored under the name."""
    note("options: %r" % (args,))
    result, code = run_module(main, args)
    if code != 0:
        event("refused: %s" % str(result.get("msg"))[:70])
        assert stored_named(sandbox, kind, name) == [], result
        assert result.get("msg"), result
        return result, None
    event("converged")
    stored = stored_named(sandbox, kind, name)
    assert len(stored) == 1, stored
    return result, stored[0]


def assert_result_is_stored(reported, stored, keys, compare):
    """The object the result reports carries, for every declared property, what the tenant stores."""
    assert reported.get("id") == stored["id"]
    for key in keys:
        assert compare(key, reported.get(key), stored.get(key)), (key, reported.get(key), stored.get(key))


# -- named locations --------------------------------------------------------------------------------

def cidr(version):
    bits = 32 if version == 4 else 128
    return st.tuples(st.integers(0, 2 ** bits - 1), st.integers(8, bits)).map(
        lambda t: str(ipaddress.ip_network((t[0], t[1]), strict=False)))


COUNTRIES = ("US", "GB", "FR", "DE", "NL", "JP", "BR", "ZA", "IN", "CA")


@st.composite
def named_location_options(draw):
    if draw(st.booleans()):
        options = {"ip_ranges": draw(st.lists(st.one_of(cidr(4), cidr(6)), min_size=1, max_size=5, unique=True))}
        if draw(st.booleans()):
            options["is_trusted"] = draw(st.booleans())
    else:
        options = {"countries_and_regions": draw(subset(COUNTRIES, max_size=4))}
        if draw(st.booleans()):
            options["include_unknown_countries_and_regions"] = draw(st.booleans())
        if draw(st.booleans()):
            options["country_lookup_method"] = draw(st.sampled_from(LOOKUP_METHODS))
    return options


def same_location_value(key, declared, stored):
    if key == "ipRanges":
        wanted = sorted(str(ipaddress.ip_network(r["cidrAddress"] if isinstance(r, dict) else r))
                        for r in declared or [])
        return wanted == sorted(str(ipaddress.ip_network(r["cidrAddress"])) for r in stored or [])
    if key == "countriesAndRegions":
        return folded(declared) == folded(stored)
    return declared == stored


LOCATION_NAMES = {"ip_ranges": "ipRanges", "is_trusted": "isTrusted", "countries_and_regions": "countriesAndRegions",
                  "include_unknown_countries_and_regions": "includeUnknownCountriesAndRegions",
                  "country_lookup_method": "countryLookupMethod"}


@given(options=named_location_options())
def test_named_location_stores_what_was_declared(run_module, graph_sandbox, options):
    name = unique("Stored NL")
    result, stored = converge(run_module, named_location.main, dict(options, display_name=name), "named_location",
                              name, graph_sandbox)
    if stored is None:
        return
    for option, value in options.items():
        key = LOCATION_NAMES[option]
        assert same_location_value(key, value, stored.get(key)), (option, value, stored.get(key))
    assert_result_is_stored(result["named_location"], stored, [LOCATION_NAMES[o] for o in options],
                            same_location_value)


# -- authentication strengths -----------------------------------------------------------------------

@st.composite
def combination(draw):
    modes = draw(subset(METHOD_MODES, max_size=3))
    return draw(st.sampled_from([",", ", "])).join(draw(any_case(m)) for m in modes)


def combination_set(values):
    return sorted(tuple(sorted(m.strip().lower() for m in str(v).split(","))) for v in values or [])


@given(combinations=st.lists(combination(), min_size=1, max_size=4), description=st.none() | st.text(
    st.characters(codec="ascii", categories=("L", "N", "Zs")), max_size=30))
def test_authentication_strength_stores_what_was_declared(run_module, graph_sandbox, combinations, description):
    name = unique("Stored AS")
    args = {"display_name": name, "allowed_combinations": combinations}
    if description is not None:
        args["description"] = description
    result, stored = converge(run_module, authentication_strength_policy.main, args,
                              "authentication_strength", name, graph_sandbox)
    if stored is None:
        return
    assert sorted(set(combination_set(combinations))) == sorted(set(combination_set(stored["allowedCombinations"])))
    if description is not None:
        assert stored.get("description") == description
    reported = result["authentication_strength_policy"]
    assert reported["id"] == stored["id"]
    assert combination_set(reported["allowedCombinations"]) == combination_set(stored["allowedCombinations"])


# -- conditional access policies --------------------------------------------------------------------

def ca_enum(path, exclude=()):
    """The members of the enum of the option at ``path`` (Graph names), from the generated table."""
    return [m for m in enum_members(node_at(path)["enum"], "v1.0") if m not in exclude]


# Enforced policies meet the lockout guard, which has its own tests; the retired approvedApplication
# grant is refused by design; a policy is stored with the state it is created in.
STATES = ca_enum(("state",), exclude=("enabled",))
CONTROLS = ca_enum(("grantControls", "builtInControls"), exclude=("approvedApplication",))
CLIENT_APPS = ca_enum(("conditions", "clientAppTypes"))
PLATFORMS = ca_enum(("conditions", "platforms", "includePlatforms"))
RISK_LEVELS = ca_enum(("conditions", "signInRiskLevels"))
OPERATORS = ca_enum(("grantControls", "operator"))
APPLICATIONS = [v for v in node_at(("conditions", "applications", "includeApplications"))["special"]
                if v in ("All", "Office365")]


@st.composite
def ca_policy_options(draw):
    users = {"include_users": draw(st.sampled_from([["All"], ["adele@contoso.onmicrosoft.com"], []]))}
    if not users["include_users"] or draw(st.booleans()):
        users["include_groups"] = draw(subset(["Mobile Pilot"]))
    if draw(st.booleans()):
        users["exclude_users"] = ["breakglass1@contoso.onmicrosoft.com"]
    conditions = {"users": users,
                  "applications": {"include_applications": draw(subset(APPLICATIONS, max_size=1))},
                  "client_app_types": [draw(any_case(v)) for v in draw(subset(CLIENT_APPS, max_size=3))]}
    if draw(st.booleans()):
        platforms = draw(subset(PLATFORMS, max_size=3))
        conditions["platforms"] = {"include_platforms": [draw(any_case(v)) for v in platforms]}
    if draw(st.booleans()):
        conditions["sign_in_risk_levels"] = draw(subset(RISK_LEVELS, max_size=3))
    # block stands alone (Graph refuses it with other controls; the module's own tests cover that).
    grant = {"built_in_controls": draw(st.just(["block"]) | subset([c for c in CONTROLS if c != "block"],
                                                                   max_size=3))}
    if draw(st.booleans()):
        grant["operator"] = draw(any_case(draw(st.sampled_from(OPERATORS))))
    options = {"conditions": conditions, "grant_controls": grant}
    if draw(st.booleans()):
        options["policy_state"] = draw(st.sampled_from(STATES))
    return options


def ids_of(values, table):
    return sorted(str(table.get(v, v)).lower() for v in values)


def check_ca_stored(options, stored):
    conditions, graph = options["conditions"], stored["conditions"]
    users = conditions["users"]
    assert ids_of(users.get("include_users", []), USERS) == folded(graph["users"].get("includeUsers"))
    assert ids_of(users.get("include_groups", []), GROUPS) == folded(graph["users"].get("includeGroups"))
    assert ids_of(users.get("exclude_users", []), USERS) == folded(graph["users"].get("excludeUsers"))
    assert folded(conditions["applications"]["include_applications"]) == folded(
        graph["applications"].get("includeApplications"))
    assert folded(conditions["client_app_types"]) == folded(graph.get("clientAppTypes"))
    if "platforms" in conditions:
        assert folded(conditions["platforms"]["include_platforms"]) == folded(
            (graph.get("platforms") or {}).get("includePlatforms"))
    if "sign_in_risk_levels" in conditions:
        assert folded(conditions["sign_in_risk_levels"]) == folded(graph.get("signInRiskLevels"))
    grant = options["grant_controls"]
    assert folded(grant["built_in_controls"]) == folded(stored["grantControls"].get("builtInControls"))
    if "operator" in grant and len(grant["built_in_controls"]) > 1:
        assert grant["operator"].upper() == stored["grantControls"]["operator"].upper()
    assert stored["state"] == options.get("policy_state", "enabledForReportingButNotEnforced")


@given(options=ca_policy_options())
def test_conditional_access_policy_stores_what_was_declared(run_module, graph_sandbox, options):
    name = unique("Stored CA")
    result, stored = converge(run_module, conditional_access_policy.main, dict(options, display_name=name),
                              "conditional_access_policy", name, graph_sandbox)
    if stored is None:
        return
    check_ca_stored(options, stored)
    reported = result["conditional_access_policy"]
    assert reported["id"] == stored["id"]
    assert reported["state"] == stored["state"]
    assert reported["grantControls"] == stored["grantControls"]
    assert reported["conditions"]["users"] == dict((k, v) for k, v in stored["conditions"]["users"].items()
                                                   if k in reported["conditions"]["users"])


def test_a_rewrite_by_graph_shows_in_the_result_of_an_update(run_module, graph_sandbox):
    """Graph stores OR for one control whatever operator is sent: the result of the update shows what
    the tenant holds (OR), not the AND the task sent."""
    name = unique("Stored rewrite")
    conditions = {"users": {"include_groups": ["Mobile Pilot"]},
                  "applications": {"include_applications": ["Office365"]}, "client_app_types": ["all"]}
    two = {"display_name": name, "conditions": conditions,
           "grant_controls": {"operator": "AND", "built_in_controls": ["mfa", "compliantDevice"]}}
    result, code = run_module(conditional_access_policy.main, two)
    assert code == 0, result
    one = dict(two, grant_controls={"operator": "AND", "built_in_controls": ["mfa"]})
    result, code = run_module(conditional_access_policy.main, one)
    assert code == 0 and result["action"] == "updated", result
    stored = stored_object(graph_sandbox, "conditional_access_policy", result["conditional_access_policy"]["id"])
    assert stored["grantControls"]["operator"] == "OR"
    assert result["conditional_access_policy"]["grantControls"]["operator"] == "OR"
    again, code = run_module(conditional_access_policy.main, one)
    assert code == 0 and again["changed"] is False, again


# -- app protection policies ------------------------------------------------------------------------

DURATIONS = ("PT30M", "PT12H", "P1D", "PT1440M", "P7D", "P90D", "PT5M")
OS_VERSIONS = ("13.0", "15.1", "16.4.1", "17.0", "18.2")


def setting_value(name, entry):
    kind = entry["kind"]
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        low, high = INT_RANGES.get(name, (0, 720))
        return st.integers(low, min(high, 100000))
    if kind == "duration":
        return st.sampled_from(DURATIONS)
    if kind == "enum":
        return st.sampled_from(ENUMS[entry["enum"]]).flatmap(any_case)
    if kind == "flags":
        return subset(ENUMS[entry["enum"]], max_size=2).map(",".join)
    if kind == "enum_list":
        return subset(ENUMS[entry["enum"]], min_size=0, max_size=3)
    if kind == "str_list":
        return st.lists(st.sampled_from(["com.contoso.app", "com.fabrikam.mail", "Model A1", "net.example"]),
                        max_size=3, unique=True)
    if kind == "pairs":
        return st.lists(st.fixed_dictionaries({"name": st.sampled_from(["com.contoso.app", "com.fabrikam"]),
                                               "value": st.sampled_from(["Contoso", "Fabrikam Mail"])}),
                        max_size=2, unique_by=lambda p: p["name"])
    if "Version" in name:
        return st.sampled_from(OS_VERSIONS)
    return st.sampled_from(["contoso", "Contoso Mail", "tel"])


@st.composite
def app_protection_options(draw):
    platform = draw(st.sampled_from(["ios", "android"]))
    version = draw(st.sampled_from(["v1.0", "beta"]))
    names = sorted(n for n, e in PROPERTIES.items() if platform in e["platforms"] and version in e["versions"])
    options = {"platform": platform, "api_version": version}
    for name in draw(subset(names, min_size=0, max_size=6)):
        options[PROPERTIES[name]["option"]] = draw(setting_value(name, PROPERTIES[name]))
    if version == "beta" and draw(st.booleans()):
        options["baseline"] = draw(st.sampled_from(LEVELS))
    group_type = draw(st.none() | st.sampled_from(APP_GROUP_TYPES))
    if group_type is not None:
        options["app_group_type"] = group_type
    if group_type in (None, "selectedPublicApps") and draw(st.booleans()):
        usable = sorted(n for n, ids in APPS.items() if ids[("ios", "android").index(platform)])
        options["apps"] = draw(subset(usable, max_size=3))
    if draw(st.booleans()):
        options["assignments"] = {"include_groups": draw(subset(["Mobile Pilot"], min_size=0)),
                                  "exclude_groups": draw(subset(["Emergency Access"], min_size=0))}
    return options


def expected_protection(options):
    """Graph name -> (kind, value) of every declared setting, the baseline's included."""
    platform = options["platform"]
    expected = {}
    by_option = dict((e["option"], n) for n, e in PROPERTIES.items())
    if options.get("baseline"):
        for name, value in baseline(options["baseline"], platform, options.get("custom_dialer_app_protocol")).items():
            expected[name] = value
    for option, value in options.items():
        if option in by_option:
            expected[by_option[option]] = value
    return expected


def same_setting(kind, declared, stored):
    if kind in ("str_list", "enum_list", "pairs") and not declared:
        return not stored
    return comparable(kind, declared) == comparable(kind, stored)


def check_targets(options, stored, platforms):
    group_type = options.get("app_group_type") or ("selectedPublicApps" if "apps" in options else None)
    if group_type is not None:
        assert stored.get("appGroupType") == group_type, ("appGroupType", group_type, stored.get("appGroupType"))
    if "apps" in options:
        wanted = sorted(set((p, app_id(a, p, "apps")) for a in options["apps"] for p in platforms
                            if APPS.get(a, (None, None))[("ios", "android").index(p)]))
        assert app_set(stored.get("apps")) == wanted
    if "assignments" in options:
        wanted = sorted([("include", GROUPS[g].lower()) for g in options["assignments"]["include_groups"]]
                        + [("exclude", GROUPS[g].lower()) for g in options["assignments"]["exclude_groups"]])
        assert assignment_set(stored.get("assignments")) == wanted


@given(options=app_protection_options())
def test_app_protection_policy_stores_what_was_declared(run_module, graph_sandbox, options):
    name = unique("Stored AP")
    result, stored = converge(run_module, app_protection_policy.main, dict(options, display_name=name),
                              options["platform"], name, graph_sandbox)
    if stored is None:
        return
    expected = expected_protection(options)
    for key, value in expected.items():
        kind = PROPERTIES[key]["kind"]
        assert same_setting(kind, value, stored.get(key)), (key, value, stored.get(key))
    check_targets(options, stored, (options["platform"],))
    reported = result["app_protection_policy"]
    assert reported["id"] == stored["id"]
    for key in expected:
        assert same_setting(PROPERTIES[key]["kind"], reported.get(key), stored.get(key)), key
    for key in ("appGroupType", "apps", "assignments"):
        if key in stored and (key != "appGroupType" or "app_group_type" in options or "apps" in options):
            assert reported.get(key) is not None, (key, reported)
    if stored.get("appGroupType") and "appGroupType" in reported:
        assert reported["appGroupType"] == stored["appGroupType"]
    if "apps" in options:
        assert app_set(reported["apps"]) == app_set(stored["apps"])
    if "assignments" in options:
        assert assignment_set(reported["assignments"]) == assignment_set(stored["assignments"])


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("group_type", ["allCoreMicrosoftApps", "allMicrosoftApps", "allApps"])
def test_a_declared_app_group_type_is_stored_reported_and_kept(run_module, graph_sandbox, version, platform,
                                                               group_type):
    """Microsoft's framework levels target allCoreMicrosoftApps: created, then changed, then unchanged."""
    args = {"display_name": unique("Stored AGT"), "platform": platform, "api_version": version,
            "app_group_type": group_type}
    result, code = run_module(app_protection_policy.main, args)
    assert code == 0, result
    policy_id = result["app_protection_policy"]["id"]
    assert stored_object(graph_sandbox, platform, policy_id)["appGroupType"] == group_type
    assert result["app_protection_policy"]["appGroupType"] == group_type
    again, code = run_module(app_protection_policy.main, args)
    assert code == 0 and again["changed"] is False, again
    other = "allApps" if group_type != "allApps" else "allCoreMicrosoftApps"
    changed, code = run_module(app_protection_policy.main, dict(args, app_group_type=other))
    assert code == 0 and changed["action"] == "updated", changed
    assert stored_object(graph_sandbox, platform, policy_id)["appGroupType"] == other
    assert changed["app_protection_policy"]["appGroupType"] == other


# -- app configuration policies ---------------------------------------------------------------------

@st.composite
def app_configuration_options(draw):
    version = draw(st.sampled_from(["v1.0", "beta"]))
    options = {"api_version": version}
    if draw(st.booleans()):
        options["custom_settings"] = draw(st.dictionaries(
            st.sampled_from(["com.contoso.Setting", "com.microsoft.outlook.Mail.FocusedInbox", "Key.Two"]),
            st.one_of(st.booleans(), st.integers(0, 99), st.sampled_from(["on", "Off", ""])), max_size=3))
    if draw(st.booleans()):
        options["outlook"] = draw(st.dictionaries(st.sampled_from(sorted(OUTLOOK_KEYS) + ["work_or_school_accounts_only"]),
                                                  st.booleans(), min_size=1, max_size=3))
    if version == "beta":
        for name, entry in CONFIGURATION_PROPERTIES.items():
            if draw(st.booleans()):
                options[entry["option"]] = draw(setting_value(name, entry) if entry["kind"] != "str_list"
                                                else st.just(["0"]))
    group_type = draw(st.none() | st.sampled_from(APP_GROUP_TYPES))
    if group_type is not None:
        options["app_group_type"] = group_type
    if group_type in (None, "selectedPublicApps") and draw(st.booleans()):
        options["apps"] = draw(subset(["outlook", "teams", "ios:word", "android:edge"], max_size=3))
    if draw(st.booleans()):
        options["assignments"] = {"include_groups": draw(subset(["Mobile Pilot"], min_size=0)),
                                  "exclude_groups": []}
    return options


def expected_settings(options):
    settings = {}
    for key, value in (options.get("custom_settings") or {}).items():
        settings[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    for name, value in (options.get("outlook") or {}).items():
        if name == "work_or_school_accounts_only":
            settings.update(ACCOUNTS_ONLY_KEYS[value])
        else:
            settings[OUTLOOK_KEYS[name]] = "true" if value else "false"
    return settings


@given(options=app_configuration_options())
def test_app_configuration_policy_stores_what_was_declared(run_module, graph_sandbox, options):
    name = unique("Stored AC")
    result, stored = converge(run_module, app_configuration_policy.main, dict(options, display_name=name),
                              "app_configuration", name, graph_sandbox)
    if stored is None:
        return
    stored_settings = dict((p["name"], p["value"]) for p in stored.get("customSettings") or [])
    for key, value in expected_settings(options).items():
        assert stored_settings.get(key) == value, (key, value, stored_settings)
    for name_, entry in CONFIGURATION_PROPERTIES.items():
        if entry["option"] in options:
            assert same_setting(entry["kind"], options[entry["option"]], stored.get(name_)), name_
    platforms = ("ios", "android")
    if "apps" in options:
        wanted = set()
        for value in options["apps"]:
            prefix, _sep, app = value.rpartition(":")
            for platform in ((prefix,) if prefix else platforms):
                if APPS[app][platforms.index(platform)]:
                    wanted.add((platform, app_id(app, platform, "apps")))
        assert app_set(stored.get("apps")) == sorted(wanted)
    group_type = options.get("app_group_type") or ("selectedPublicApps" if "apps" in options else None)
    if group_type is not None:
        assert stored.get("appGroupType") == group_type
        assert result["app_configuration_policy"].get("appGroupType") == group_type
    if "assignments" in options:
        assert assignment_set(stored.get("assignments")) == sorted(
            ("include", GROUPS[g].lower()) for g in options["assignments"]["include_groups"])
    reported = result["app_configuration_policy"]
    assert reported["id"] == stored["id"]
    assert sorted((p["name"], p["value"]) for p in reported.get("customSettings") or []) == sorted(
        stored_settings.items())
