"""Method + path-regex routing, shared by every service the sandbox speaks.

Resource modules register handlers with :meth:`Router.add` (any path) or :meth:`Router.graph`
(a Graph path, served under both ``/v1.0`` and ``/beta``). A handler is called as
``handler(request, **groups)`` with the named groups of its pattern and returns a
:class:`~tenantguard_sandbox.messages.Response` or raises ``GraphHTTPError``.
"""

import re
from urllib.parse import unquote

from .errors import GraphHTTPError

GRAPH_PREFIX = r"^/(?P<version>v1\.0|beta)"


class Route:
    def __init__(self, methods, regex, handler, service, permission=None, name=None, segments=None):
        self.methods = methods
        self.regex = regex
        self.handler = handler
        self.service = service
        self.permission = permission
        self.name = name or getattr(handler, "__name__", "handler")
        self.segments = segments or []  # one compiled regex per path segment after the version (Graph routes)


def _split_segments(pattern):
    """``/a/(?P<key>[^/]+)/b(/[^/]+)?`` -> ``["a", "(?P<key>[^/]+)", "b(/[^/]+)?"]``: split on the slashes outside
    parentheses and character classes."""
    parts, current, depth, in_class = [], "", 0, False
    escaped = False
    for char in pattern:
        if escaped:
            current += char
            escaped = False
            continue
        if char == "\\":
            current += char
            escaped = True
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "/" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [p for p in parts if p]


class Router:
    def __init__(self):
        self.routes = []

    def add(self, methods, pattern, handler, service, permission=None, flags=0, segments=None):
        if isinstance(methods, str):
            methods = (methods,)
        regex = re.compile(pattern, flags)
        self.routes.append(Route(tuple(m.upper() for m in methods), regex, handler, service, permission,
                                 segments=segments))

    def graph(self, methods, pattern, handler, permission=None):
        """Register a Graph route; ``pattern`` is the path after the version, e.g. ``/users``."""
        segments = [re.compile(part, re.IGNORECASE) for part in _split_segments(pattern)]
        self.add(methods, GRAPH_PREFIX + pattern + "/?$", handler, "graph", permission, re.IGNORECASE, segments)

    def routed_depth(self, segments):
        """How many of ``segments`` (the path after the version) lead somewhere a Graph route serves: the length
        of the longest prefix that is the beginning of a route."""
        best = 0
        for route in self.routes:
            if route.service != "graph" or not route.segments:
                continue
            depth = 0
            for pattern, segment in zip(route.segments, segments):
                if not pattern.fullmatch(segment):
                    break
                depth += 1
            best = max(best, depth)
        return best

    def resolve(self, method, path):
        """Return ``(route, match)``; raise a Graph-shaped error when nothing routes."""
        allowed = False
        for route in self.routes:
            match = route.regex.match(path)
            if match is None:
                continue
            if method in route.methods:
                return route, match
            allowed = True
        if allowed:
            raise GraphHTTPError(
                405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
            )
        raise self._not_found(path)

    def _not_found(self, path):
        segments = [s for s in path.split("/") if s]
        if segments and segments[0].lower() in ("v1.0", "beta"):
            # Graph's OData parser names the first segment it cannot resolve ("Resource not found for the segment
            # 'updateTargetedSecurityGroups'.", microsoft-graph-docs#2144, examples/errors/odata_unknown_segment):
            # here, the first segment no served route continues with. A path that is the beginning of a served
            # route but not a route itself (``/v1.0/deviceManagement``) names its last segment.
            rest = segments[1:]
            depth = self.routed_depth(rest)
            bad = rest[depth] if depth < len(rest) else (rest[-1] if rest else segments[0])
            error = GraphHTTPError(400, "BadRequest", "Resource not found for the segment '%s'." % unquote(bad))
            error.unrouted = True
            return error
        if segments and segments[0].lower() not in ("adminapi", "_sandbox", "msi"):
            return GraphHTTPError(
                404, "NotFound", "No endpoint is served at '%s'." % path,
                body={"error": "not_found", "error_description": "No endpoint is served at '%s'." % path},
            )
        return GraphHTTPError(404, "NotFound", "No endpoint is served at '%s'." % path)
