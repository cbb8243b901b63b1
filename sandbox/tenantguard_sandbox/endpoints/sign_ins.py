"""Entra ID sign-in logs: ``GET /auditLogs/signIns`` and ``GET /auditLogs/signIns/{id}`` (v1.0 and beta).

Sources (sandbox README "Sign-in logs"):

* "List signIns" (learn.microsoft.com/graph/api/signin-list): the most recent sign-ins first; "the maximum and
  default page size is 1,000 objects"; the method supports ``$top``, ``$skiptoken`` and ``$filter``; paging with
  ``@odata.nextLink``. Application permission ``AuditLog.Read.All`` (least privileged), ``Directory.Read.All``
  listed as higher privileged ("Get signIn", learn.microsoft.com/graph/api/signin-get).
* The ``signIn`` resource (learn.microsoft.com/graph/api/resources/signin, and the same text as the descriptions
  in the schema copy, ``data/graph_schema.json``): which properties support ``$filter`` with which operators
  (:data:`FILTERABLE`), ``createdDateTime`` "Supports $orderby, $filter (eq, le, and ge)".
* ``appliedConditionalAccessPolicy`` (learn.microsoft.com/graph/api/resources/appliedconditionalaccesspolicy):
  ``id`` "Supports $filter (eq)"; ``result`` one of success, failure, notApplied, notEnabled, unknown,
  unknownFutureValue, reportOnlySuccess, reportOnlyFailure, reportOnlyNotApplied, reportOnlyInterrupted; "the data
  in this object is returned only for callers with privileges to read conditional access data".

**Unverified** (no Microsoft text found): what Graph answers for ``$top`` above 1,000 (the sandbox serves pages of
1,000, no error); whether ``or``, ``not`` and ``appliedConditionalAccessPolicies/any(p: p/id eq '...')`` are
accepted (the sandbox accepts them); what a caller without a Conditional Access read permission sees in
``appliedConditionalAccessPolicies`` (the sandbox returns ``[]``); whether ``$select`` is honoured (the sandbox
honours it). The ``reportOnly*`` results are returned without the ``Prefer: include-unknown-enum-members`` header
the resource page mentions (**unverified**: clients that never send it, such as the Azure portal's exports, show
them).

Large logs: a seed may hold ``generatedSignIns`` descriptors (:func:`generated_record`) whose records are made on
demand from their index, newest first, so that a log of 1,000,000 sign-ins never sits in memory.
"""

import datetime
import hashlib
import json
import math

from .. import defaults, odata
from ..auth import roles_of
from ..errors import GraphHTTPError
from ..listing import decode_skiptoken, encode_skiptoken, _query_string
from ..messages import Response
from ..permissions import Permission

PAGE = 1000
PATH = "/auditLogs/signIns"
SIGN_INS = Permission("auditLogs", ("AuditLog.Read.All", "Directory.Read.All"), style="directory")
# "Permissions for viewing applied conditional access (CA) policies in sign-ins" (signIn resource page).
CA_READ = {"Policy.Read.All", "Policy.Read.ConditionalAccess", "Policy.ReadWrite.ConditionalAccess"}
# The operators each property's description says $filter supports (signIn resource page).
FILTERABLE = {
    "appdisplayname": ("eq", "startswith"), "appid": ("eq",), "clientappused": ("eq",),
    "conditionalaccessstatus": ("eq",), "correlationid": ("eq",), "createddatetime": ("eq", "le", "ge"),
    "devicedetail/browser": ("eq", "startswith"), "devicedetail/operatingsystem": ("eq", "startswith"),
    "ipaddress": ("eq", "startswith"), "location/city": ("eq", "startswith"),
    "location/state": ("eq", "startswith"), "location/countryorregion": ("eq", "startswith"),
    "resourcedisplayname": ("eq",), "resourceid": ("eq",), "riskstate": ("eq",), "status/errorcode": ("eq",),
    "userdisplayname": ("eq", "startswith"), "userid": ("eq",), "userprincipalname": ("eq", "startswith"),
    "riskeventtypes_v2": ("eq", "startswith"), "isinteractive": ("eq",),
    # unverified: not in the resource page's text, accepted (stricter than Graph would be a bug)
    "createddatetime:unverified": ("lt", "gt"),
}
POLICY_FILTERABLE = {"id": ("eq",), "result": ("eq",)}  # inside any(); unverified beyond id eq


def _bad(message):
    return GraphHTTPError(400, "Request_UnsupportedQuery", message)


def parse_time(text):
    """A DateTimeOffset as Graph writes it (``Z`` or an offset, optional fraction) -> aware datetime."""
    if isinstance(text, datetime.datetime):
        return text
    value = str(text).strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if len(value) == 10:
        value += "T00:00:00+00:00"
    if "." in value:
        head, rest = value.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        value = "%s.%s%s" % (head, (digits + "000000")[:6], zone)
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def stamp(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- $filter: checked as Graph documents it, evaluated with times compared as times ------------------------------
def check_filter(node):
    tag = node[0]
    if tag in ("and", "or"):
        check_filter(node[1])
        check_filter(node[2])
    elif tag == "not":
        check_filter(node[1])
    elif tag == "cmp":
        _, op, left, right = node
        if left[0] != "prop" or right[0] != "lit":
            raise _bad("Invalid filter clause.")
        _check_property(left[1], op)
    elif tag == "call":
        name, args = node[1], node[2]
        if name != "startswith" or len(args) != 2 or args[0][0] != "prop" or args[1][0] != "lit":
            raise _bad("Invalid filter clause: function '%s' is not supported." % name)
        _check_property(args[0][1], "startswith")
    elif tag == "any":
        _, collection, var, body = node
        if collection.lower() != "appliedconditionalaccesspolicies" or body is None:
            raise _bad("Invalid filter clause: '%s/any' is not supported." % collection)
        _check_lambda(body, var)
    elif tag == "bool":
        check_filter(node[1])
    else:
        raise _bad("Invalid filter clause.")


def _check_property(path, op):
    key = path.lower()
    allowed = FILTERABLE.get(key)
    if allowed is None:
        raise _bad("Could not find a property named '%s' on type 'microsoft.graph.signIn' that supports filtering."
                   % path)
    if op not in allowed + FILTERABLE.get(key + ":unverified", ()):
        raise _bad("The operator '%s' is not supported on '%s'." % (op, path))


def _check_lambda(node, var):
    tag = node[0]
    if tag in ("and", "or"):
        _check_lambda(node[1], var)
        _check_lambda(node[2], var)
        return
    if tag != "cmp" or node[1] != "eq" or node[2][0] != "prop" or node[3][0] != "lit":
        raise _bad("Invalid filter clause inside any().")
    parts = node[2][1].split("/")
    if len(parts) != 2 or parts[0] != var or parts[1].lower() not in POLICY_FILTERABLE:
        raise _bad("Invalid filter clause inside any(): '%s'." % node[2][1])


def _get(obj, path):
    value = obj
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        if part in value:
            value = value[part]
        else:
            lowered = part.lower()
            value = next((v for k, v in value.items() if k.lower() == lowered), None)
    return value


def matches(node, obj, env=None):
    tag = node[0]
    if tag == "and":
        return matches(node[1], obj, env) and matches(node[2], obj, env)
    if tag == "or":
        return matches(node[1], obj, env) or matches(node[2], obj, env)
    if tag == "not":
        return not matches(node[1], obj, env)
    if tag == "bool":
        return bool(matches(node[1], obj, env))
    if tag == "any":
        _, _collection, var, body = node
        return any(matches(body, obj, {var: item}) for item in obj.get("appliedConditionalAccessPolicies") or [])
    if tag == "call":
        value = _value(node[2][0][1], obj, env)
        return isinstance(value, str) and value.lower().startswith(str(node[2][1][1]).lower())
    _, op, left, right = node
    value, literal = _value(left[1], obj, env), right[1]
    if left[1].lower() == "createddatetime":
        if value is None:
            return False
        value, literal = parse_time(value), parse_time(literal)
    elif isinstance(value, str) and isinstance(literal, str):
        value, literal = value.lower(), literal.lower()
    if op == "eq":
        return value == literal
    if op == "ne":
        return value != literal
    try:
        return {"ge": value >= literal, "le": value <= literal, "gt": value > literal,
                "lt": value < literal}[op]
    except TypeError:
        return False


def _value(path, obj, env):
    head, _, rest = path.partition("/")
    if env and head in env:
        return _get(env[head], rest) if rest else env[head]
    return _get(obj, path)


def time_only(node):
    """True when the filter is an ``and`` chain of createdDateTime comparisons (the index range is then exact)."""
    if node[0] == "and":
        return time_only(node[1]) and time_only(node[2])
    return (node[0] == "cmp" and node[1] in ("ge", "le", "eq") and node[2][0] == "prop"
            and node[2][1].lower() == "createddatetime")


def time_bounds(node):
    """``(lower, upper)`` datetimes that every match lies within, from the top-level ``and`` chain."""
    lower = upper = None
    stack = [node]
    while stack:
        current = stack.pop()
        if current[0] == "and":
            stack.extend((current[1], current[2]))
        elif current[0] == "cmp" and current[2][0] == "prop" and current[2][1].lower() == "createddatetime":
            moment = parse_time(current[3][1])
            if current[1] in ("ge", "gt", "eq"):
                lower = moment if lower is None else max(lower, moment)
            if current[1] in ("le", "lt", "eq"):
                upper = moment if upper is None else min(upper, moment)
    return lower, upper


# -- the generated logs ----------------------------------------------------------------------------------------
APPS = (("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", "Mobile Apps and Desktop clients",
         ("iOS 18.1", "Android 15")),
        ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", "Exchange ActiveSync",
         ("iOS 17.6", "Android 14")),
        ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "Mobile Apps and Desktop clients",
         ("iOS 18.1", "Android 15")),
        ("89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "Office365 Shell WCSS-Client", "Browser",
         ("Windows 10", "MacOs")))
RESULTS = ("reportOnlyFailure", "reportOnlyInterrupted", "reportOnlyNotApplied", "reportOnlySuccess")


def _mix(index, salt):
    """A deterministic 64-bit number from ``index`` (SplitMix64 finaliser): cheap, no generator state kept."""
    z = (index * 0x9E3779B97F4A7C15 + salt) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


class Generated:
    """One ``generatedSignIns`` descriptor: ``count`` sign-ins, the newest at ``newest``, one every
    ``intervalSeconds`` before it; each by a user of ``users`` (objects with id, userPrincipalName, displayName),
    with one result per policy of ``policies`` (id, displayName, failureRate, interruptedRate, notAppliedRate)."""

    def __init__(self, spec):
        self.spec = spec
        self.count = int(spec["count"])
        self.newest = parse_time(spec["newest"])
        self.interval = max(1, int(spec.get("intervalSeconds", 1)))
        self.salt = int(spec.get("randomSeed", 1))
        self.users = list(spec.get("users") or [])
        self.policies = list(spec.get("policies") or [])
        self.key = hashlib.sha256(repr(sorted(spec.items())).encode()).hexdigest()[:8]

    def index_range(self, lower, upper):
        first, last = 0, self.count - 1
        if upper is not None and upper < self.newest:
            first = max(first, math.ceil((self.newest - upper).total_seconds() / self.interval))
        if lower is not None:
            last = min(last, math.floor((self.newest - lower).total_seconds() / self.interval))
        return first, last

    def time_of(self, index):
        return self.newest - datetime.timedelta(seconds=index * self.interval)

    def _choices(self, index):
        """What varies between entries, from the index alone: (hash, user, app, platform, results)."""
        h = _mix(index, self.salt)
        results = []
        for number, policy in enumerate(self.policies):
            roll = (_mix(index, self.salt + 7919 * (number + 1)) % 10000) / 10000.0
            fail = float(policy.get("failureRate", 0.02))
            interrupted = float(policy.get("interruptedRate", 0.01))
            not_applied = float(policy.get("notAppliedRate", 0.2))
            results.append(RESULTS[0] if roll < fail else RESULTS[1] if roll < fail + interrupted
                           else RESULTS[2] if roll < fail + interrupted + not_applied else RESULTS[3])
        app = (h >> 16) % len(APPS)
        return h, (self.users[h % len(self.users)] if self.users else {}), app, (h >> 40) % 2, tuple(results)

    def encoder(self, render, can_read_ca):
        """A function index -> the entry as JSON text, the same as ``json.dumps(render(record(index)))``: the rendered
        shape is serialised once with markers, and each entry fills the markers (a page of 1,000 in milliseconds)."""
        sample = self.record(0)
        markers = {"id": "@@1@@", "createdDateTime": "@@2@@", "userId": "@@3@@", "userPrincipalName": "@@4@@",
                   "userDisplayName": "@@5@@", "appId": "@@6@@", "appDisplayName": "@@7@@", "clientAppUsed": "@@8@@",
                   "ipAddress": "@@9@@", "correlationId": "@@10@@", "resourceDisplayName": "@@11@@",
                   "resourceId": "@@12@@"}
        sample.update(markers)
        sample["deviceDetail"] = dict(sample["deviceDetail"], operatingSystem="@@13@@")
        sample["appliedConditionalAccessPolicies"] = []
        rendered = render(sample, can_read_ca)
        rendered["appliedConditionalAccessPolicies"] = "@@14@@"
        text = json.dumps(rendered, separators=(",", ":")).replace("%", "%%")
        order = sorted((text.index('"@@%d@@"' % number), number) for number in range(1, 15))
        for number in range(14, 0, -1):
            text = text.replace('"@@%d@@"' % number, "%s")
        template = text
        slots = [number for _, number in order]
        dumps = json.dumps
        users = {}
        policy_cache = {}
        days = {}
        newest = int(self.newest.timestamp())

        def when(index):
            moment = newest - index * self.interval
            day, second = divmod(moment, 86400)
            prefix = days.get(day)
            if prefix is None:
                prefix = days[day] = datetime.datetime.fromtimestamp(
                    day * 86400, datetime.timezone.utc).strftime("%Y-%m-%d")
            hours, rest = divmod(second, 3600)
            return '"%sT%02d:%02d:%02dZ"' % (prefix, hours, rest // 60, rest % 60)

        def encode(index):
            h, user, app, platform, results = self._choices(index)
            app_id, app_name, client, systems = APPS[app]
            key = user.get("id")
            people = users.get(key)
            if people is None:
                people = users[key] = (dumps(user.get("id")), dumps(user.get("userPrincipalName")),
                                       dumps(user.get("displayName")))
            applied = policy_cache.get(results)
            if applied is None:
                applied = policy_cache[results] = dumps([
                    render_policy(policy, result) for policy, result in zip(self.policies, results)]
                    if can_read_ca else [], separators=(",", ":"))
            values = ('"%s-%s-%012x"' % ("7d1a9c2e", self.key, index), when(index), people[0], people[1],
                      people[2], '"%s"' % app_id, '"%s"' % app_name, '"%s"' % client,
                      '"203.0.113.%d"' % ((h >> 24) % 250 + 1),
                      '"%08x-0000-4000-8000-%012x"' % (self.salt & 0xFFFFFFFF, index), '"%s"' % app_name,
                      '"%s"' % app_id, '"%s"' % systems[platform], applied)
            return template % tuple(values[number - 1] for number in slots)
        return encode

    def record(self, index):
        h, user, app, platform, results = self._choices(index)
        app_id, app_name, client, systems = APPS[app]
        applied = [dict(render_policy(policy, result)) for policy, result in zip(self.policies, results)]
        return {
            "id": "%s-%s-%012x" % ("7d1a9c2e", self.key, index),
            "createdDateTime": stamp(self.time_of(index)),
            "userId": user.get("id"), "userPrincipalName": user.get("userPrincipalName"),
            "userDisplayName": user.get("displayName"), "appId": app_id, "appDisplayName": app_name,
            "clientAppUsed": client, "ipAddress": "203.0.113.%d" % ((h >> 24) % 250 + 1),
            "correlationId": "%08x-0000-4000-8000-%012x" % (self.salt & 0xFFFFFFFF, index),
            "conditionalAccessStatus": "notApplied", "isInteractive": True,
            "resourceDisplayName": app_name, "resourceId": app_id,
            "deviceDetail": {"operatingSystem": systems[platform], "browser": "Rich Client 4.0.0",
                             "deviceId": "", "displayName": "", "isCompliant": False, "isManaged": False,
                             "trustType": ""},
            "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                         "geoCoordinates": {"altitude": None, "latitude": 47.68, "longitude": -122.12}},
            "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None},
            "appliedConditionalAccessPolicies": applied,
            "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none",
            "riskState": "none", "riskEventTypes": [], "riskEventTypes_v2": [],
        }


def render_policy(policy, result):
    return {"displayName": policy.get("displayName"),
            "enforcedGrantControls": list(policy.get("enforcedGrantControls") or []),
            "enforcedSessionControls": [], "id": policy["id"], "result": result}


# -- the endpoint ----------------------------------------------------------------------------------------------
class SignIns:
    def __init__(self, sandbox):
        self.store = sandbox.store
        self._template = {}

    def _seeded(self):
        items = list(self.store["signIns"].values())
        items.sort(key=lambda s: parse_time(s.get("createdDateTime") or "1970-01-01T00:00:00Z"), reverse=True)
        return items

    def _generated(self):
        return [Generated(spec) for spec in self.store["generatedSignIns"].values()]

    def template(self, version):
        if version not in self._template:
            self._template[version] = defaults.complete(version, "signIn", {})
        return self._template[version]

    def render(self, request, stored, can_read_ca):
        version = request.version or "v1.0"
        out = dict(self.template(version))
        for key, value in stored.items():
            if key.startswith("_") or key == "@odata.type" or key not in out and key != "id":
                continue
            out[key] = value
        for name in ("deviceDetail", "location", "status"):
            if isinstance(stored.get(name), dict):
                nested = dict(self.template(version).get(name) or {})
                nested.update(stored[name])
                out[name] = nested
        out["appliedConditionalAccessPolicies"] = [
            dict({"displayName": None, "enforcedGrantControls": [], "enforcedSessionControls": [], "id": None,
                  "result": None}, **policy)
            for policy in stored.get("appliedConditionalAccessPolicies") or []] if can_read_ca else []
        return out

    def _query(self, request):
        for key in request.query:
            lowered = key.lower()
            if lowered.startswith("$") and lowered not in ("$filter", "$top", "$skiptoken", "$select", "$orderby"):
                raise _bad("Query option '%s' is not supported." % key)
        top = PAGE
        if request.option("$top") is not None:
            try:
                top = int(request.option("$top"))
            except ValueError:
                raise _bad("Invalid value '%s' for $top." % request.option("$top")) from None
            if top < 1:
                raise _bad("Invalid page size specified: '%s'." % request.option("$top"))
            top = min(top, PAGE)
        order = (request.option("$orderby") or "createdDateTime desc").strip().split()
        if not order or order[0].lower() != "createddatetime" or (len(order) > 1 and order[1].lower() != "desc"):
            # only the default order is modelled (unverified whether Graph sorts ascending)
            raise _bad("Sorting is supported on createdDateTime descending only in the sandbox.")
        tree = None
        if request.option("$filter") is not None:
            try:
                tree = odata.parse_filter(request.option("$filter"))
            except odata.FilterSyntaxError as exc:
                raise _bad(str(exc)) from None
            check_filter(tree)
        select = None
        if request.option("$select") is not None:
            known = set(self.template(request.version or "v1.0")) | {"id"}
            select = [name.strip() for name in request.option("$select").split(",") if name.strip()]
            for name in select:
                if name not in known:
                    raise _bad("Could not find a property named '%s' on type 'microsoft.graph.signIn'." % name)
        return top, tree, select

    def list(self, request):
        top, tree, select = self._query(request)
        token = request.option("$skiptoken")
        state = decode_skiptoken(token, _Spec) if token else {}
        can_read_ca = bool(CA_READ & set(roles_of(request) or ()))
        lower, upper = time_bounds(tree) if tree is not None else (None, None)
        # ge, le and eq bounds give the exact index range; anything else is checked entry by entry
        generated_tree = None if tree is None or time_only(tree) else tree
        seeded = self._seeded()
        sources = []  # per generated set: [position, last index]
        for number, gen in enumerate(self._generated()):
            first, last = gen.index_range(lower, upper)
            sources.append([max(first, int(state.get("g%d" % number, first))), last, gen])
        position = int(state.get("s", 0))
        page = []
        heads = [None] * len(sources)

        def head(number):
            entry = sources[number]
            while heads[number] is None and entry[0] <= entry[1]:
                if generated_tree is None:
                    heads[number] = entry[0]  # the range is exact: no need to make the entry to check it
                elif matches(generated_tree, entry[2].record(entry[0])):
                    heads[number] = entry[0]
                else:
                    entry[0] += 1
            return heads[number]

        seeded_head = None
        while len(page) < top:
            while seeded_head is None and position < len(seeded):
                if tree is None or matches(tree, seeded[position]):
                    seeded_head = seeded[position]
                else:
                    position += 1
            best, best_time = None, None
            if seeded_head is not None:
                best, best_time = -1, parse_time(seeded_head.get("createdDateTime") or "1970-01-01T00:00:00Z")
            for number in range(len(sources)):
                candidate = head(number)
                if candidate is not None:
                    moment = sources[number][2].time_of(sources[number][0])
                    if best_time is None or moment > best_time:
                        best, best_time = number, moment
            if best is None:
                break
            if best == -1:
                page.append((None, seeded_head))
                seeded_head = None
                position += 1
            else:
                page.append((best, heads[best]))
                heads[best] = None
                sources[best][0] += 1
        more = seeded_head is not None or any(h is not None for h in heads)
        if not more:
            more = any(_remaining(tree, seeded, position)) or any(
                head(number) is not None for number in range(len(sources)))
        body = {"@odata.context": "%s/%s/$metadata#auditLogs/signIns" % (request.base_url, request.version)}
        if more:
            next_state = {"s": position}
            for number, entry in enumerate(sources):
                next_state["g%d" % number] = entry[0]
            query_string = _query_string(request.query)
            body["@odata.nextLink"] = "%s%s?%s$skiptoken=%s" % (
                request.base_url, request.path, query_string + "&" if query_string else "",
                encode_skiptoken(next_state))
        if select is None and not request.in_batch:
            # the page as JSON text; generated entries filled into their serialised shape
            encoders = {}
            parts = []
            for number, item in page:
                if number is None:
                    parts.append(json.dumps(self.render(request, item, can_read_ca), separators=(",", ":")))
                    continue
                encode = encoders.get(number)
                if encode is None:
                    encode = encoders[number] = sources[number][2].encoder(
                        lambda record, ca: self.render(request, record, ca), can_read_ca)
                parts.append(encode(item))
            head_text = json.dumps(body, separators=(",", ":"))[:-1]
            text = '%s,"value":[%s]}' % (head_text, ",".join(parts))
            return Response(200, text.encode("utf-8"))
        rendered = [self.render(request, item if number is None else sources[number][2].record(item), can_read_ca)
                    for number, item in page]
        if select is not None:
            rendered = [{name: item.get(name) for name in select} for item in rendered]
        body["value"] = rendered
        return Response(200, body)

    def get(self, request, key):
        can_read_ca = bool(CA_READ & set(roles_of(request) or ()))
        stored = self.store["signIns"].get(key)
        if stored is None:
            for gen in self._generated():
                prefix = "7d1a9c2e-%s-" % gen.key
                if key.startswith(prefix):
                    try:
                        index = int(key[len(prefix):], 16)
                    except ValueError:
                        break
                    if 0 <= index < gen.count:
                        stored = gen.record(index)
                    break
        if stored is None:
            raise GraphHTTPError(404, "Request_ResourceNotFound",
                                 "Resource '%s' does not exist or one of its queried reference-property objects "
                                 "are not present." % key)
        body = {"@odata.context": "%s/%s/$metadata#auditLogs/signIns/$entity" % (request.base_url, request.version)}
        body.update(self.render(request, stored, can_read_ca))
        return Response(200, body)


def _remaining(tree, seeded, position):
    for item in seeded[position:]:
        if tree is None or matches(tree, item):
            yield True
            return


class _Spec:
    bad_request = "Request_UnsupportedQuery"


def routes(sandbox):
    from ..resource import Route

    sign_ins = SignIns(sandbox)
    return [
        Route("GET", PATH, sign_ins.list, SIGN_INS),
        Route("GET", PATH + "/{key}", sign_ins.get, SIGN_INS),
    ]
