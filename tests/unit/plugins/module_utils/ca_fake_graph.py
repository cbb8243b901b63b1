"""A tenant held in memory, and a Graph client over it with the real client's interface.

The property tests hand ``FakeGraph`` to the modules where they take their Graph client
(``TenantGuardModule.graph``): the HTTP layer is not involved, and everything above it (paging,
batches, name look-ups, the modules' own code) runs as it does against Graph. ``list`` returns a
one-shot generator over pages of ``page_size`` items, as ``GraphClient.list`` does, so a consumer
that keeps such a generator and goes over it twice sees nothing the second time, as it would in a
real run.

Reads answer as Graph does for the few shapes the conditional access modules use: collections,
``$filter=<property> in (...)``, ``GET /users/{id or UPN}``, ``transitiveMemberOf`` of users and
groups (groups, then the directory roles held, as ``#microsoft.graph.directoryRole`` objects with
``roleTemplateId``), ``POST /directoryObjects/getByIds`` and ``$batch``. Anything else, and every
write, fails the test: the tests run in check mode or read-only modules.
"""
import copy
import re

from urllib.parse import parse_qs, unquote, urlsplit

BASE = "https://graph.invalid"
STRENGTHS = [
    {"id": "00000000-0000-0000-0000-000000000002", "displayName": "Multifactor authentication",
     "policyType": "builtIn"},
    {"id": "00000000-0000-0000-0000-000000000003", "displayName": "Passwordless MFA", "policyType": "builtIn"},
    {"id": "00000000-0000-0000-0000-000000000004", "displayName": "Phishing-resistant MFA", "policyType": "builtIn"},
]
IN_FILTER = re.compile(r"^\s*(\w+)\s+in\s+\((.*)\)\s*$", re.IGNORECASE)


class Response:
    def __init__(self, status, body):
        self.status = status
        self.json = body
        self.headers = {}


class UnexpectedRequest(AssertionError):
    pass


class Tenant:
    """Users, groups (members: user and group ids), directory role holders, named locations and
    conditional access policies, and device compliance policies (with their assignments), as Graph JSON."""

    def __init__(self, users=(), groups=(), roles=None, named_locations=(), policies=(), compliance_policies=()):
        self.users = [dict(u) for u in users]
        self.groups = [dict(g) for g in groups]
        self.roles = dict((k, list(v)) for k, v in (roles or {}).items())  # role template id -> user ids
        self.named_locations = copy.deepcopy(list(named_locations))
        self.policies = copy.deepcopy(list(policies))
        self.compliance_policies = copy.deepcopy(list(compliance_policies))

    def user(self, key):
        key = str(key).lower()
        for user in self.users:
            if user["id"].lower() == key or user["userPrincipalName"].lower() == key:
                return user
        return None

    def group(self, key):
        key = str(key).lower()
        return next((g for g in self.groups if g["id"].lower() == key), None)

    def parents(self, object_id):
        """The groups that hold ``object_id``, transitively (each once)."""
        found = []
        pending = [str(object_id).lower()]
        while pending:
            current = pending.pop()
            for group in self.groups:
                if current in [m.lower() for m in group.get("members", ())] and group["id"] not in found:
                    found.append(group["id"])
                    pending.append(group["id"].lower())
        return found

    def roles_of(self, object_id, groups=()):
        """Role template ids held by the object directly or through a (role-assignable) group."""
        holders = set([str(object_id).lower()] + [str(g).lower() for g in groups])
        return [role for role, members in self.roles.items() if holders & set(m.lower() for m in members)]

    def transitive_member_of(self, object_id):
        groups = self.parents(object_id)
        out = [{"@odata.type": "#microsoft.graph.group", "id": g, "displayName": self.group(g)["displayName"]}
               for g in groups]
        for index, role in enumerate(self.roles_of(object_id, groups)):
            out.append({"@odata.type": "#microsoft.graph.directoryRole",
                        "id": "%08x-0000-4000-8000-%012x" % (index, index), "roleTemplateId": role})
        return out

    def transitive_members(self, group_id):
        """Users and groups a group holds, nested ones included, each once."""
        found, pending, seen = [], [group_id], set()
        while pending:
            group = self.group(pending.pop())
            for member in group.get("members", ()):
                if member.lower() in seen:
                    continue
                seen.add(member.lower())
                if self.group(member) is not None:
                    pending.append(member)
                    found.append(dict(self._plain(self.group(member)), **{"@odata.type": "#microsoft.graph.group"}))
                else:
                    found.append(dict(self.user(member), **{"@odata.type": "#microsoft.graph.user"}))
        return found

    @staticmethod
    def _plain(group):
        return dict((k, v) for k, v in group.items() if k != "members")

    def directory_objects(self):
        for user in self.users:
            yield dict(user, **{"@odata.type": "#microsoft.graph.user"})
        for group in self.groups:
            item = dict((k, v) for k, v in group.items() if k != "members")
            yield dict(item, **{"@odata.type": "#microsoft.graph.group"})


class FakeGraph:
    """The Graph client's interface (``list``, ``pages``, ``get``, ``request``, ``batch``, ``url``)
    over a ``Tenant``. ``reads`` lists the paths read; ``page_size`` items a page."""

    def __init__(self, tenant, page_size=2, api_version="v1.0"):
        self.tenant = tenant
        self.page_size = page_size
        self.api_version = api_version
        self.reads = []
        self.writes = []

    # -- the client's interface ---------------------------------------------------------------
    def url(self, path, api_version=None, query=None):
        if str(path).startswith(BASE):
            return path
        return "%s/%s%s" % (BASE, api_version or self.api_version, path)

    def list(self, path, api_version=None, query=None, headers=None):
        items = self._collection("GET", path, query or {})
        return self._generator(items)

    def pages(self, path, api_version=None, query=None, headers=None):
        items = self._collection("GET", path, query or {})
        return (Response(200, {"value": items[i:i + self.page_size]}) for i in range(0, max(len(items), 1),
                                                                                     self.page_size))

    def get(self, path, api_version=None, query=None, headers=None):
        return self.request("GET", path, api_version=api_version, query=query).json

    def request(self, method, path, api_version=None, query=None, body=None, headers=None, **_kwargs):
        status, answer = self._answer(method, path, query, body)
        if status >= 400:
            raise UnexpectedRequest("%s %s answered %s: %r" % (method, path, status, answer))
        return Response(status, answer)

    def batch(self, requests_, api_version=None):
        out = []
        for index, item in enumerate(requests_):
            status, answer = self._answer(item.get("method", "GET"), item["url"], None, item.get("body"))
            out.append({"id": str(item.get("id") or index + 1), "status": status, "headers": {}, "body": answer})
        return out

    # -- answers -----------------------------------------------------------------------------
    def _generator(self, items):
        for start in range(0, len(items), self.page_size):
            yield from items[start:start + self.page_size]

    def _answer(self, method, url, query, body):
        method = str(method).upper()
        parts = urlsplit(url)
        path = unquote(parts.path)
        if path.startswith("/v1.0/") or path.startswith("/beta/"):
            path = path[path.index("/", 1):]
        merged = dict((k, v[0]) for k, v in parse_qs(parts.query).items())
        merged.update(query or {})
        if method == "POST" and path.lower() == "/directoryobjects/getbyids":
            self.reads.append(("POST", path))
            wanted = set(str(i).lower() for i in (body or {}).get("ids") or [])
            return 200, {"value": [o for o in self.tenant.directory_objects() if o["id"].lower() in wanted]}
        if method != "GET":
            self.writes.append((method, path, body))
            raise UnexpectedRequest("the property tests write nothing: %s %s" % (method, path))
        match = re.match(r"^/users/([^/]+)$", path, re.IGNORECASE)
        if match:
            self.reads.append(("GET", path))
            user = self.tenant.user(match.group(1))
            if user is None:
                return 404, {"error": {"code": "Request_ResourceNotFound", "message": "not found"}}
            return 200, dict(user)
        try:
            return 200, {"value": self._collection(method, path, merged)}
        except LookupError as exc:
            return 404, {"error": {"code": "Request_ResourceNotFound", "message": str(exc)}}

    def _collection(self, method, path, query):
        self.reads.append((method, path))
        tenant = self.tenant
        lowered = path.lower().rstrip("/")
        match = re.match(r"^/(users|groups)/([^/]+)/transitivememberof$", lowered)
        if match:
            kind, key = match.groups()
            found = tenant.user(key) if kind == "users" else tenant.group(key)
            if found is None:
                raise LookupError(key)
            return tenant.transitive_member_of(found["id"])
        match = re.match(r"^/groups/([^/]+)/transitivemembers$", lowered)
        if match:
            found = tenant.group(match.group(1))
            if found is None:
                raise LookupError(match.group(1))
            return tenant.transitive_members(found["id"])
        if lowered == "/identity/conditionalaccess/policies":
            return copy.deepcopy(tenant.policies)
        if lowered == "/identity/conditionalaccess/namedlocations":
            return copy.deepcopy(tenant.named_locations)
        if lowered == "/policies/authenticationstrengthpolicies":
            return copy.deepcopy(STRENGTHS)
        if lowered == "/users":
            return self._filtered(tenant.users, query)
        if lowered == "/groups":
            return self._filtered([dict((k, v) for k, v in g.items() if k != "members") for g in tenant.groups],
                                  query)
        if lowered == "/serviceprincipals":
            return []
        if lowered == "/devicemanagement/devicecompliancepolicies":
            return copy.deepcopy(tenant.compliance_policies)
        raise UnexpectedRequest("no fake answer for %s %s" % (method, path))

    @staticmethod
    def _filtered(items, query):
        text = (query or {}).get("$filter")
        if not text:
            return copy.deepcopy(items)
        match = IN_FILTER.match(text)
        if match is None:
            raise UnexpectedRequest("unsupported $filter %r" % text)
        prop, values = match.groups()
        wanted = set(v.replace("''", "'").lower() for v in re.findall(r"'((?:[^']|'')*)'", values))
        return [copy.deepcopy(i) for i in items if str(i.get(prop, "")).lower() in wanted]
