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
    def __init__(self, methods, regex, handler, service, permission=None, name=None):
        self.methods = methods
        self.regex = regex
        self.handler = handler
        self.service = service
        self.permission = permission
        self.name = name or getattr(handler, "__name__", "handler")


class Router:
    def __init__(self):
        self.routes = []

    def add(self, methods, pattern, handler, service, permission=None, flags=0):
        if isinstance(methods, str):
            methods = (methods,)
        regex = re.compile(pattern, flags)
        self.routes.append(Route(tuple(m.upper() for m in methods), regex, handler, service, permission))

    def graph(self, methods, pattern, handler, permission=None):
        """Register a Graph route; ``pattern`` is the path after the version, e.g. ``/users``."""
        self.add(methods, GRAPH_PREFIX + pattern + "/?$", handler, "graph", permission, re.IGNORECASE)

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
            graph_routes = [r for r in self.routes if r.service == "graph"]
            known = 1
            for count in range(len(segments) - 1, 0, -1):
                prefix = "/" + "/".join(segments[:count])
                if any(r.regex.match(prefix) for r in graph_routes):
                    known = count
                    break
            bad = unquote(segments[known]) if known < len(segments) else segments[-1]
            return GraphHTTPError(400, "BadRequest", "Resource not found for the segment '%s'." % bad)
        if segments and segments[0].lower() not in ("adminapi", "_sandbox", "msi"):
            return GraphHTTPError(
                404, "NotFound", "No endpoint is served at '%s'." % path,
                body={"error": "not_found", "error_description": "No endpoint is served at '%s'." % path},
            )
        return GraphHTTPError(404, "NotFound", "No endpoint is served at '%s'." % path)
