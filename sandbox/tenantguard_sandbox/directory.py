"""The directory's object sets and the look-ups across them (by id, user principal name, membership), for the
directory endpoints (:mod:`tenantguard_sandbox.endpoints.directory`), the What If and Intune's summaries.

Entra ID's query rules apply (see :mod:`listing`): ``$filter`` on indexed properties with
``eq``/``startswith``/``in`` (``ne``, ``not``, ``endswith`` and null checks need
``ConsistencyLevel: eventual`` and ``$count=true``), ``$search`` and ``/$count`` only with
``ConsistencyLevel: eventual``, ``$top`` 1..999 (default 100), ``$select`` of known properties.
"""

from . import directory_types, permissions
from .entity_properties import filterable, properties
from .errors import GraphHTTPError
from .listing import ListSpec

# entity set -> (type name, permission)
ENTITY_SETS = {
    "users": ("user", permissions.USERS),
    "groups": ("group", permissions.GROUPS),
    "directoryRoles": ("directoryRole", permissions.ROLES),
    "directoryRoleTemplates": ("directoryRoleTemplate", permissions.ROLES),
    "servicePrincipals": ("servicePrincipal", permissions.APPLICATIONS),
    "applications": ("application", permissions.APPLICATIONS),
    "devices": ("device", permissions.DEVICES),
}
OBJECT_TYPES = {"user": "users", "group": "groups", "device": "devices", "servicePrincipal": "servicePrincipals",
                "application": "applications", "directoryRole": "directoryRoles",
                "directoryRoleTemplate": "directoryRoleTemplates"}
GET_BY_IDS_TYPES = set(OBJECT_TYPES) | {"orgContact", "administrativeUnit"}
MEMBER_TYPES = ("user", "group", "servicePrincipal", "device")
ORGANIZATION = permissions.Permission(
    "organization", ("Organization.Read.All", "Organization.ReadWrite.All") + permissions.DIRECTORY_READ)


def not_found(key):
    return GraphHTTPError(404, "Request_ResourceNotFound",
                          "Resource '%s' does not exist or one of its queried reference-property objects are not "
                          "present." % key)


def _user_default_select(version):
    return list(directory_types.USER_DEFAULT_SELECT) if version == "v1.0" else None


def spec_for(type_name, context):
    return ListSpec(
        type_name, context,
        properties=lambda version: properties(version, type_name),
        indexed=filterable("v1.0", type_name) | filterable("beta", type_name),
        directory=True, max_top=999, default_top=100,
        allow_skip=False, searchable=directory_types.SEARCHABLE.get(type_name, ()),
        orderable={"displayName", "userPrincipalName", "createdDateTime", "mail"},
        default_select=_user_default_select if type_name == "user" else None,
    )


OBJECT_SPEC = ListSpec(
    "directoryObject", "directoryObjects",
    properties=lambda version: frozenset().union(*(properties(version, t) for t in MEMBER_TYPES)),
    indexed=None, directory=True, searchable=("displayName",),
)


def typed(type_name, obj):
    out = {"@odata.type": "#microsoft.graph.%s" % type_name}
    out.update(obj)
    return out


class Directory:
    """Look-ups across the directory collections."""

    def __init__(self, store):
        self.store = store
        self._upn_index = (None, {})
        self._parents = (None, {})

    def find(self, type_name, key):
        coll = self.store[OBJECT_TYPES[type_name]]
        obj = coll.get(key) or coll.get(key.lower())
        if obj is None and type_name == "user" and "@" in key:
            obj = self._by_upn(key)
        return obj

    def _by_upn(self, upn):
        users = self.store["users"]
        version, index = self._upn_index
        if version != users.version:
            index = {str(u.get("userPrincipalName", "")).lower(): u["id"] for u in users.values(include_hidden=True)}
            self._upn_index = (users.version, index)
        key = index.get(upn.lower())
        return users.get(key) if key else None

    def object_by_id(self, key, types=None):
        """``(type name, object)`` for a directory object id, or None."""
        for type_name in (types or OBJECT_TYPES):
            if type_name not in OBJECT_TYPES:
                continue
            obj = self.store[OBJECT_TYPES[type_name]].get(key)
            if obj is not None:
                return type_name, obj
        return None

    def members_of(self, collection, key):
        entry = self.store[collection].get(key)
        return list(entry["members"]) if entry else []

    def parents(self):
        """``member id -> [(collection, group or role id)]`` for direct membership."""
        groups, roles = self.store["groupMembers"], self.store["roleMembers"]
        stamp = (groups.version, roles.version, len(groups), len(roles))
        version, index = self._parents
        if version != stamp:
            index = {}
            for coll_name, coll in (("groups", groups), ("directoryRoles", roles)):
                for entry in coll.values(include_hidden=True):
                    for member in entry["members"]:
                        index.setdefault(member, []).append((coll_name, entry["id"]))
            self._parents = (stamp, index)
        return index

    def member_of(self, key, transitive=False):
        index = self.parents()
        seen, order, queue = set(), [], [key]
        while queue:
            current = queue.pop(0)
            for coll_name, parent in index.get(current, []):
                if (coll_name, parent) in seen:
                    continue
                seen.add((coll_name, parent))
                order.append((coll_name, parent))
                if transitive and coll_name == "groups":
                    queue.append(parent)
            if not transitive:
                break
        out = []
        for coll_name, parent in order:
            obj = self.store[coll_name].get(parent)
            if obj is not None:
                out.append(typed("group" if coll_name == "groups" else "directoryRole", obj))
        return out

    def typed_members(self, collection, key, transitive=False):
        out, seen, queue = [], set(), [key]
        while queue:
            current = queue.pop(0)
            for member in self.members_of(collection if current == key else "groupMembers", current):
                if member in seen:
                    continue
                seen.add(member)
                found = self.object_by_id(member, MEMBER_TYPES)
                if found is None:
                    continue
                out.append(typed(*found))
                if transitive and found[0] == "group":
                    queue.append(member)
            if not transitive:
                break
        return out
