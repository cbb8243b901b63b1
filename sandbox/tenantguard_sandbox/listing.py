"""Collection reads as Graph answers them: query options, paging with ``@odata.nextLink``,
``@odata.count`` and ``@odata.context``.

Paging is keyset-based over a collection's insertion order (a page never repeats or skips an
object when others are added meanwhile) and offset-based when ``$orderby`` sorts. The
``$skiptoken`` is opaque to clients; a token that does not decode is refused.
"""

import base64
import json
from urllib.parse import quote

from . import directory_types
from . import odata
from .errors import GraphHTTPError
from .messages import Response
from .store import Collection

SKIPTOKEN_PREFIX = "RFNwdAI"


class ListSpec:
    """How one entity set is listed.

    ``directory`` switches on Entra ID's rules: ``ConsistencyLevel: eventual`` with ``$count=true``
    for advanced filters, ``$search`` and ``/$count``; ``Request_*`` error codes; indexed filter
    properties only.
    """

    def __init__(self, type_name, context, properties, indexed=None, directory=False, max_top=999,
                 default_top=100, allow_skip=False, countable=True, searchable=(), orderable=None,
                 render=None, default_select=None, selectable=True, filterable=True, top_supported=True,
                 expandable=False):
        self.type_name = type_name
        self.context = context
        self.properties = properties  # callable(version) -> set of names
        self.indexed = indexed
        self.directory = directory
        self.max_top = max_top
        self.default_top = default_top
        self.allow_skip = allow_skip
        self.countable = countable
        self.searchable = set(searchable)
        self.orderable = orderable
        self.render = render
        self.default_select = default_select  # callable(version) -> list or None
        self.selectable = selectable
        self.filterable = filterable
        self.top_supported = top_supported
        self.expandable = expandable  # the render checks and applies $expand; it stays in @odata.nextLink

    @property
    def bad_request(self):
        return "Request_BadRequest" if self.directory else "BadRequest"


def encode_skiptoken(state):
    raw = json.dumps(state, separators=(",", ":")).encode("utf-8")
    return SKIPTOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_skiptoken(text, spec):
    try:
        if not text.startswith(SKIPTOKEN_PREFIX):
            raise ValueError
        body = text[len(SKIPTOKEN_PREFIX):]
        state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(state, dict):
            raise ValueError
        return state
    except (ValueError, TypeError):
        raise GraphHTTPError(400, spec.bad_request, "The specified page token value has expired and can no "
                                                    "longer be included in your request.") from None


def context_url(request, fragment):
    return "%s/%s/$metadata#%s" % (request.base_url, request.version, fragment)


def _query_string(query):
    parts = []
    for key, value in query.items():
        if key.lower() in ("$skiptoken", "skiptoken"):
            continue
        parts.append("%s=%s" % (quote(key, safe="$"), quote(value, safe="$,'()/:@=")))
    return "&".join(parts)


def is_eventual(request):
    return (request.headers.get("ConsistencyLevel") or "").strip().lower() == "eventual"


class ListQuery:
    """The parsed and validated query options of one list request."""

    def __init__(self, request, spec):
        self.spec = spec
        version = request.version or "v1.0"
        known = spec.properties(version)
        code = spec.bad_request
        self.eventual = is_eventual(request)
        count_text = request.option("$count")
        if count_text is not None and count_text.lower() not in ("true", "false"):
            raise GraphHTTPError(400, code, "Invalid value '%s' for $count; true or false expected." % count_text)
        self.count = count_text is not None and count_text.lower() == "true"
        self.advanced = self.eventual and self.count
        for key in request.query:
            lowered = key.lower()
            if lowered.startswith("$") and lowered not in (
                    "$filter", "$select", "$top", "$count", "$search", "$orderby", "$skiptoken", "$skip",
                    "$expand", "$format"):
                raise GraphHTTPError(400, code, "Query option '%s' is not supported." % key)
        if request.option("$expand") is not None and not spec.expandable:
            raise GraphHTTPError(400, code, "Query option '$expand' is not supported on this endpoint by the sandbox.")
        # $top
        top_text = request.option("$top")
        self.top = spec.default_top
        if top_text is not None:
            if not spec.top_supported:
                raise GraphHTTPError(400, code, "Query option '$top' is not allowed on this resource.")
            try:
                top = int(top_text)
            except ValueError:
                raise GraphHTTPError(400, code, "Invalid value '%s' for $top; a whole number is expected."
                                     % top_text) from None
            if top < 1 or (spec.max_top and top > spec.max_top):
                raise GraphHTTPError(400, code, "Invalid page size specified: '%s'. Must be between 1 and %d "
                                                "inclusive." % (top_text, spec.max_top or 999))
            self.top = top
        # $skip
        skip_text = request.option("$skip")
        self.skip = 0
        if skip_text is not None:
            if not spec.allow_skip:
                raise GraphHTTPError(400, code, "'$skip' is not supported by the service.")
            try:
                self.skip = int(skip_text)
                if self.skip < 0:
                    raise ValueError
            except ValueError:
                raise GraphHTTPError(400, code, "Invalid value '%s' for $skip." % skip_text) from None
        # $select
        self.select = None
        select_text = request.option("$select")
        if select_text is not None:
            if not spec.selectable:
                raise GraphHTTPError(400, code, "Query option '$select' is not allowed on this resource.")
            self.select = odata.parse_select(select_text, known, spec.type_name, code)
        elif spec.default_select is not None:
            self.select = spec.default_select(version)
        # $filter
        self.filter = None
        filter_text = request.option("$filter")
        if filter_text is not None:
            if not spec.filterable:
                raise GraphHTTPError(400, code, "Query option '$filter' is not allowed on this resource.")
            try:
                self.filter = odata.parse_filter(filter_text)
            except odata.FilterSyntaxError as exc:
                raise GraphHTTPError(400, code, str(exc)) from None
            canonical = {name.lower(): name for name in known}
            for name in odata.filter_properties(self.filter):
                if name.startswith("@") or name.lower().startswith("microsoft.graph."):
                    continue
                prop = canonical.get(name.lower())
                if prop is None:
                    if spec.directory:
                        raise GraphHTTPError(400, code, "Property '%s' does not exist as a declared property or "
                                                        "extension property." % name)
                    raise GraphHTTPError(400, code, "Could not find a property named '%s' on type "
                                                    "'microsoft.graph.%s'." % (name, spec.type_name))
                if spec.indexed is not None and prop not in spec.indexed:
                    raise GraphHTTPError(400, "Request_UnsupportedQuery" if spec.directory else code,
                                         "The request uses a filter property that is not indexed")
            if spec.directory and odata.uses_advanced_operators(self.filter) and not self.advanced:
                raise GraphHTTPError(400, "Request_UnsupportedQuery", "Unsupported Query.")
        # $search
        self.search = None
        search_text = request.option("$search")
        if search_text is not None:
            if spec.directory and not self.eventual:
                raise GraphHTTPError(400, "Request_UnsupportedQuery",
                                     "Request with $search query parameter only works through MSGraph with a "
                                     "special request header: 'ConsistencyLevel: eventual'")
            if not spec.searchable:
                raise GraphHTTPError(400, code, "Query option '$search' is not supported on this resource.")
            self.search = odata.parse_search(search_text, spec.searchable,
                                             "Request_UnsupportedQuery" if spec.directory else code)
        # $orderby
        self.orderby = None
        order_text = request.option("$orderby")
        if order_text is not None:
            orderable = spec.orderable if spec.orderable is not None else known
            self.orderby = odata.parse_orderby(order_text, orderable, spec.type_name, code)
            if spec.directory and (self.filter is not None or self.search is not None) and not self.advanced:
                raise GraphHTTPError(400, "Request_UnsupportedQuery",
                                     "Sorting not supported for current query. $orderby together with $filter "
                                     "or $search requires 'ConsistencyLevel: eventual' and $count=true.")
        token_text = request.option("$skiptoken")
        self.state = decode_skiptoken(token_text, spec) if token_text else None

    def matches(self, obj):
        if self.filter is not None:
            try:
                if not odata.evaluate(self.filter, obj):
                    return False
            except odata.FilterSyntaxError as exc:
                raise GraphHTTPError(400, self.spec.bad_request, str(exc)) from None
        if self.search is not None and not odata.search_matches(self.search, obj):
            return False
        return True


def selected_properties(request, spec):
    """The validated ``$select`` of a single-entity read (None when absent)."""
    text = request.option("$select")
    if text is None:
        return spec.default_select(request.version or "v1.0") if spec.default_select else None
    if not spec.selectable:
        raise GraphHTTPError(400, spec.bad_request, "Query option '$select' is not allowed on this resource.")
    return odata.parse_select(text, spec.properties(request.version or "v1.0"), spec.type_name, spec.bad_request)


def project(obj, select):
    """``obj`` reduced to the ``$select``-ed properties (absent ones as null, collections as []), ``@odata`` kept."""
    if select is None:
        return obj
    out = {k: v for k, v in obj.items() if k.startswith("@odata.type")}
    for name in select:
        out[name] = obj.get(name, [] if name in directory_types.COLLECTIONS else None)
    return out


def list_response(request, spec, source, context=None, extra=None):
    """Answer a list request over ``source`` (a :class:`Collection` or a list of objects)."""
    query = ListQuery(request, spec)
    top = query.top
    render = spec.render or (lambda o, r: o)
    state = query.state or {}
    page_items, next_state, total = [], None, None
    if query.orderby is None and isinstance(source, Collection):
        after = int(state.get("s", 0)) if "s" in state else 0
        skipped = query.skip if state else 0  # $skip applies to the first page only
        for seq, obj in source.iter_after(after):
            if not query.matches(obj):
                continue
            if skipped < query.skip:
                skipped += 1
                continue
            if top is not None and len(page_items) == top:
                next_state = {"s": last_seq}
                break
            page_items.append(obj)
            last_seq = seq
        if query.count and (query.eventual or not spec.directory) and not query.state:
            total = sum(1 for _, obj in source.iter_after(0) if query.matches(obj))
    else:
        items = source.values() if isinstance(source, Collection) else list(source)
        items = [obj for obj in items if query.matches(obj)]
        if query.orderby is not None:
            name, descending = query.orderby
            present = [o for o in items if o.get(name) is not None]
            missing = [o for o in items if o.get(name) is None]
            present.sort(key=lambda o: (str(o.get(name)).lower() if isinstance(o.get(name), str) else o.get(name)),
                         reverse=descending)
            items = present + missing
        offset = int(state.get("o", query.skip)) if state else query.skip
        end = offset + top if top is not None else len(items)
        page_items = items[offset:end]
        if end < len(items):
            next_state = {"o": end}
        if query.count and (query.eventual or not spec.directory) and not query.state:
            total = len(items)
    if spec.directory and not query.eventual:
        total = None
    body = {"@odata.context": context or context_url(
        request, spec.context + ("(%s)" % ",".join(query.select) if query.select and request.option("$select") else ""))}
    if total is not None and spec.countable:
        body["@odata.count"] = total
    if extra:
        body.update(extra)
    if next_state is not None:
        query_string = _query_string(request.query)
        link = "%s%s?%s" % (request.base_url, request.path, query_string + "&" if query_string else "")
        body["@odata.nextLink"] = link + "$skiptoken=" + encode_skiptoken(next_state)
    body["value"] = [project(render(obj, request), query.select) for obj in page_items]
    return Response(200, body)


def count_response(request, spec, source):
    """``GET .../$count``: a plain-text number; directory sets need ``ConsistencyLevel: eventual``."""
    if spec.directory and not is_eventual(request):
        raise GraphHTTPError(400, "Request_BadRequest", "$count is not currently supported.")
    if not spec.countable:
        raise GraphHTTPError(400, spec.bad_request, "$count is not supported on this resource.")
    saved = dict(request.query)
    request.query = {k: v for k, v in saved.items() if k.lower() in ("$filter", "$search")}
    request.query["$count"] = "true"
    try:
        query = ListQuery(request, spec)
    finally:
        request.query = saved
    items = source.values() if isinstance(source, Collection) else list(source)
    total = sum(1 for obj in items if query.matches(obj))
    return Response(200, str(total).encode("ascii"), content_type="text/plain;charset=utf-8")


def entity_response(request, body, context_fragment, status=200):
    """A single entity with its ``@odata.context``."""
    out = {"@odata.context": context_url(request, context_fragment)}
    out.update(body)
    return Response(status, out)
