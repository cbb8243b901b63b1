# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the users a conditional access policy applies to, read from the directory in bulk.

Not a public API. One reader for the evaluations that need the people in a policy's scope: the licence check
(``license_readiness``) and the users not seen in the sign-in logs (``conditional_access_rollout_readiness``).

Reads, each made once a task whatever the number of policies: the users of a policy that includes all users in pages
of 999 with ``$select``; each group's transitive members in pages of 999, with the same ``$select`` (that Graph
returns ``assignedLicenses`` of the user members of a ``directoryObject`` collection on ``$select`` is
**unverified**; the members of a group are more commonly read with ``displayName`` and ``userPrincipalName``);
the activated directory roles once and each role's members; users named one by one 15 at a time with
``$filter=id in`` (learn.microsoft.com/graph/aad-advanced-queries: ``in`` on ``id`` of directory objects).
Members that are not users (devices, service principals, groups) are left out.
"""

import re

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IN_LIMIT = 15  # values in one "in" filter on directory objects
PAGE = "999"
SPECIAL_USERS = ("all", "none", "guestsorexternalusers")


def lower_all(values):
    return [str(v).lower() for v in values or [] if v]


class Directory:
    """Users, group members and role members, read in bulk and kept for the task, each user with the properties of
    ``select``. With ``complete``, a user whose record came without that property (a members read that did not
    return it) is read again, 15 to a request."""

    def __init__(self, graph, select, complete=None):
        self.graph = graph
        self.select = select
        self.complete = complete
        self.users = {}
        self.everyone = None
        self.groups = {}
        self.roles = None
        self.role_members = {}

    def _is_complete(self, user):
        return user is not None and (self.complete is None or self.complete in user)

    def _keep(self, items):
        ids = []
        for item in items:
            kind = str(item.get("@odata.type") or "#microsoft.graph.user").lower()
            if not kind.endswith(".user") or not item.get("id"):
                continue
            key = str(item["id"]).lower()
            known = self.users.get(key)
            if known is None or (not self._is_complete(known) and self._is_complete(item)):
                self.users[key] = item
            ids.append(key)
        return ids

    def _completed(self, ids):
        self.load([i for i in ids if not self._is_complete(self.users.get(i))])
        return ids

    def all_users(self):
        if self.everyone is None:
            users = list(self.graph.list("/users", api_version="v1.0", query={"$select": self.select, "$top": PAGE}))
            self.everyone = set(self._keep(users))
        return set(self.everyone)

    def group(self, group_id):
        key = str(group_id).lower()
        if key not in self.groups:
            self.groups[key] = set(self._completed(self._keep(list(self.graph.list(
                "/groups/%s/transitiveMembers" % key, api_version="v1.0",
                query={"$select": self.select, "$top": PAGE})))))
        return set(self.groups[key])

    def role(self, template_id):
        if self.roles is None:
            self.roles = dict((str(r.get("roleTemplateId") or "").lower(), r.get("id"))
                              for r in self.graph.list("/directoryRoles", api_version="v1.0"))
        key = str(template_id).lower()
        if key not in self.role_members:
            role_id = self.roles.get(key)
            self.role_members[key] = set(self._completed(self._keep(list(self.graph.list(
                "/directoryRoles/%s/members" % role_id, api_version="v1.0",
                query={"$select": self.select}))))) if role_id else set()
        return set(self.role_members[key])

    def load(self, user_ids):
        """Read the users of ``user_ids`` not read yet, 15 to a request."""
        # a policy holds object ids; anything else (never seen from Graph) is not put into a filter
        missing = sorted(i for i in set(lower_all(user_ids)) if GUID.match(i) and not self._is_complete(self.users.get(i)))
        for start in range(0, len(missing), IN_LIMIT):
            chunk = missing[start:start + IN_LIMIT]
            self._keep(list(self.graph.list("/users", api_version="v1.0", query={
                "$filter": "id in (%s)" % ",".join("'%s'" % i for i in chunk), "$select": self.select})))

    def guests(self):
        return set(k for k, u in self.users.items() if str(u.get("userType") or "").lower() == "guest")


def policy_scope(policy, directory, roles=True, guests=True, read_named=True):
    """The ids (lower case) of the users a policy's user conditions include, less those it excludes.

    ``roles=False`` leaves directory roles out (neither included nor excluded), ``guests=False`` the guests
    condition. ``read_named=False`` takes the users the policy names by id as they are, without reading them (the
    caller reads those it needs with ``directory.load``); otherwise they are read and an id the directory does not
    know is left out. A policy that includes all users reads no group or role it includes."""
    users = (policy.get("conditions") or {}).get("users") or {}
    include_users = lower_all(users.get("includeUsers"))
    exclude_users = lower_all(users.get("excludeUsers"))
    everyone = "all" in include_users
    scope = set()
    if everyone:
        scope = directory.all_users()
    elif guests and ("guestsorexternalusers" in include_users or users.get("includeGuestsOrExternalUsers")):
        directory.all_users()
        scope = directory.guests()
    named = [u for u in include_users if u not in SPECIAL_USERS]
    if read_named:
        directory.load(named)
        scope.update(u for u in named if u in directory.users)
    else:
        scope.update(named)
    if not everyone:
        for group in lower_all(users.get("includeGroups")):
            scope.update(directory.group(group))
        for role in lower_all(users.get("includeRoles")) if roles else ():
            scope.update(directory.role(role))
    scope.difference_update(exclude_users)
    if guests and ("guestsorexternalusers" in exclude_users or users.get("excludeGuestsOrExternalUsers")):
        scope.difference_update(directory.guests())
    for group in lower_all(users.get("excludeGroups")):
        scope.difference_update(directory.group(group))
    for role in lower_all(users.get("excludeRoles")) if roles else ():
        scope.difference_update(directory.role(role))
    return scope
