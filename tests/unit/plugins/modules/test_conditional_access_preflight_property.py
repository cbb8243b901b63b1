"""The lockout pre-flight end to end, over generated policy sets: conditional_access_policy in check mode
against the Graph sandbox (real Graph client, paging, $batch and TLS), on a tenant seeded once with nested
groups, role holders and named locations, refuses exactly the (policy, emergency account) pairs the
evaluation engine finds locked out, and writes nothing.

The tenant's trusted office location holds every address the pre-flight tries first for a sign-in from
outside every named location, as a location covering a large address space would.
"""
import pytest

from hypothesis import given, note

from ansible_collections.tenantguard.m365.plugins.modules import conditional_access_policy
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils import ca_strategies as strategies
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils.ca_fake_graph import Tenant
from ansible_collections.tenantguard.m365.tests.unit.plugins.module_utils.conditional_access.test_ca_properties import (
    emergency_accounts,
    expected_lockouts,
    found_lockouts,
)
from ansible_collections.tenantguard.m365.tests.unit.plugins.modules.ca_policy_helpers import module_runner, writes

S = strategies
USERS = [{"id": S.user_id(i), "userPrincipalName": S.upn(i), "displayName": "Preflight User %d" % i,
          "userType": "Member", "accountEnabled": True} for i in range(S.USER_COUNT)]
GROUPS = [
    {"id": S.group_id(0), "displayName": "preflight-group0", "members": [S.user_id(1), S.group_id(1)]},
    {"id": S.group_id(1), "displayName": "preflight-group1", "members": [S.user_id(2), S.group_id(3)]},
    {"id": S.group_id(2), "displayName": "preflight-group2", "members": [S.user_id(0)]},
    {"id": S.group_id(3), "displayName": "preflight-group3", "members": [S.user_id(4)]},
]
ROLES = {S.GLOBAL_ADMINISTRATOR: [S.user_id(3)], S.SECURITY_ADMINISTRATOR: [S.user_id(2)]}
LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": S.location_id(0), "displayName": "preflight-office",
     "isTrusted": True, "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": r}
                                     for r in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "100.64.0.0/10")]
     + [{"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8::/32"}]},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": S.location_id(1), "displayName": "preflight-countries",
     "countriesAndRegions": ["AQ", "FR"], "includeUnknownCountriesAndRegions": False,
     "countryLookupMethod": "clientIpAddress"},
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from tenantguard_sandbox.testing import running_sandbox

    seed = {
        "users": USERS,
        "groups": [dict(g, securityEnabled=True, mailEnabled=False, mailNickname=g["displayName"]) for g in GROUPS],
        "directoryRoles": [{"roleTemplateId": role, "members": members} for role, members in ROLES.items()],
        "namedLocations": LOCATIONS,
    }
    with running_sandbox(str(tmp_path_factory.mktemp("sandbox")), seed=seed) as sb:
        yield sb


@pytest.fixture
def run_module(graph_sandbox, clean_environment, tmp_path, capsys):
    """The module runner, with the guards this property does not test acknowledged: generated tenants have
    emergency groups without enabled members and enforced policies for empty groups (test_..._write_guards)."""
    execute = module_runner(graph_sandbox, clean_environment, tmp_path, capsys)

    def run(main, args, **kwargs):
        return execute(main, dict(args, acknowledge_unusable_emergency_access=True, acknowledge_empty_groups=True),
                       **kwargs)
    return run


def test_preflight_against_the_sandbox_agrees_with_the_engine(run_module, graph_sandbox):
    from ansible.module_utils.common import warnings

    tenant = Tenant(users=USERS, groups=GROUPS, roles=ROLES, named_locations=LOCATIONS)
    directory = (USERS, GROUPS, ROLES)
    seen = []

    @strategies.examples(15)
    @given(strategies.cases(max_declared=3, max_live=0, directory=directory, locations=LOCATIONS))
    def check(case):
        note(repr(case))
        warnings._global_warnings.clear()  # pylint: disable=protected-access
        since = len(graph_sandbox.requests())
        items = [dict(item, state="present") for item in case.declared]
        result, code = run_module(conditional_access_policy.main, {
            "conditional_access_policies": items, "emergency_access": case.emergency}, check=True)
        assert writes(graph_sandbox, since) == []
        problems = (result.get("error") or {}).get("problems") or ([result["msg"]] if code else [])
        if any("does not exclude the emergency-access" in p for p in problems):
            seen.append("guard")
            return
        assert all(p.startswith("Lockout pre-flight") for p in problems), problems
        refused = expected_lockouts(case.declared_bodies(), emergency_accounts(case, tenant), case)
        seen.append("refused" if refused else "passed")
        assert found_lockouts(problems) == refused
        assert (code == 1) == bool(refused), result.get("msg")

    check()
    assert "refused" in seen and "passed" in seen, seen
