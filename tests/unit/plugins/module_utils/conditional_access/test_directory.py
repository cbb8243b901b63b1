# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared directory reader: who is in a policy's scope, and what it costs to find out.

The directory is written by hand: users, a group with a nested member that is a device, a role. Each read is made
once a task, whatever the number of policies that need it."""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.directory import (
    Directory,
    policy_scope,
)

SELECT = "id,userPrincipalName,displayName"


def uid(n):
    return "%08d-0000-4000-8000-000000000000" % n


USERS = [{"id": uid(n), "userPrincipalName": "user%02d@contoso.onmicrosoft.com" % n, "displayName": "User %d" % n,
          "userType": "Guest" if n == 9 else "Member"} for n in range(40)]
GROUP = "team"
GROUP_MEMBERS = [dict(USERS[n], **{"@odata.type": "#microsoft.graph.user"}) for n in (1, 2, 3)] + [
    {"@odata.type": "#microsoft.graph.device", "id": "d1"}]
ROLE_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10"  # Global Administrator
ROLE_MEMBERS = [dict(USERS[n], **{"@odata.type": "#microsoft.graph.user"}) for n in (4, 5)]


class Graph:
    """Answers the reads the reader makes, and records them."""

    def __init__(self, group_members=None):
        self.requests = []
        self.group_members = GROUP_MEMBERS if group_members is None else group_members

    def list(self, path, api_version=None, query=None):
        self.requests.append((path, dict(query or {})))
        if path == "/users" and "$filter" in (query or {}):
            wanted = query["$filter"]
            return iter([u for u in USERS if "'%s'" % u["id"] in wanted])
        if path == "/users":
            return iter(list(USERS))
        if path == "/groups/%s/transitiveMembers" % GROUP:
            return iter(list(self.group_members))
        if path == "/directoryRoles":
            return iter([{"id": "role-1", "roleTemplateId": ROLE_TEMPLATE}])
        if path == "/directoryRoles/role-1/members":
            return iter(list(ROLE_MEMBERS))
        return iter([])


def policy(**users):
    return {"conditions": {"users": users}}


def paths(graph):
    return [p for p, _q in graph.requests]


def test_all_users_less_a_group_and_a_user_read_once_for_every_policy():
    graph = Graph()
    directory = Directory(graph, SELECT)
    everyone = policy(includeUsers=["All"], includeGroups=[GROUP], excludeGroups=[GROUP], excludeUsers=[uid(7)])
    for _repeat in range(3):
        scope = policy_scope(everyone, directory)
        assert scope == set(u["id"] for u in USERS) - {uid(1), uid(2), uid(3), uid(7)}
    assert paths(graph) == ["/users", "/groups/team/transitiveMembers"]
    assert graph.requests[0][1] == {"$select": SELECT, "$top": "999"}


def test_groups_roles_and_guests():
    graph = Graph()
    directory = Directory(graph, SELECT)
    assert policy_scope(policy(includeGroups=[GROUP.upper()], includeRoles=[ROLE_TEMPLATE]), directory) == {
        uid(1), uid(2), uid(3), uid(4), uid(5)}  # the device is left out
    assert policy_scope(policy(includeGroups=[GROUP], includeRoles=[ROLE_TEMPLATE]), directory, roles=False) == {
        uid(1), uid(2), uid(3)}
    assert policy_scope(policy(includeUsers=["GuestsOrExternalUsers"]), directory) == {uid(9)}
    assert policy_scope(policy(includeUsers=["GuestsOrExternalUsers"]), directory, guests=False) == set()
    assert policy_scope(policy(includeUsers=["All"], excludeGuestsOrExternalUsers={"guestOrExternalUserTypes": "b2b"}),
                        directory, guests=False) == set(u["id"] for u in USERS)


def test_named_users_are_read_in_fifteens_or_taken_as_they_are():
    graph = Graph()
    directory = Directory(graph, SELECT)
    named = [uid(n) for n in range(20)] + ["None"]
    assert policy_scope(policy(includeUsers=named + [uid(99)]), directory) == set(named[:20])  # 99 does not exist
    assert paths(graph) == ["/users", "/users"]  # 15 + 6 ids
    graph = Graph()
    directory = Directory(graph, SELECT)
    assert policy_scope(policy(includeUsers=named + [uid(99)]), directory, read_named=False) == set(named[:20] + [uid(99)])
    assert graph.requests == []


def test_a_required_property_missing_from_a_members_read_is_read_again_in_bulk():
    graph = Graph(GROUP_MEMBERS + [{"@odata.type": "#microsoft.graph.user", "id": uid(8)}])  # without userType
    directory = Directory(graph, SELECT + ",userType", complete="userType")
    assert directory.group(GROUP) == {uid(1), uid(2), uid(3), uid(8)}
    assert paths(graph) == ["/groups/team/transitiveMembers", "/users"]
    assert "'%s'" % uid(8) in graph.requests[1][1]["$filter"] and directory.users[uid(8)]["userType"] == "Member"
