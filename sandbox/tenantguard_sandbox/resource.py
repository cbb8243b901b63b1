"""One factory for the sandbox's Graph resources, and the route tables the endpoint modules are written as.

An endpoint module (:mod:`tenantguard_sandbox.endpoints`) answers ``routes(sandbox)`` with a list of
:class:`Route`: method, path template, handler, permission. A path template is the path after the Graph version
with ``{name}`` for one path segment handed to the handler as a keyword argument, or ``{name:regex}`` where a
segment is not a plain key (``/servicePrincipals(appId='{app_id:[^']*}')``); everything else is literal.

:class:`Resource` builds the handlers and routes of one entity set from its hooks:

* ``GET {path}`` lists (``listed(request)`` gives what :func:`listing.list_response` pages: the collection itself,
  keyset-paged, or a list of rendered objects), ``GET {path}/$count`` counts the same (``countable``);
* ``POST {path}`` creates: ``build(request)`` checks the body and returns the object to store, the factory stores
  it (hidden for a ``lag`` fault) and answers 201 with ``render(request, stored, True)``;
* ``GET {path}/{key}`` reads through ``find(request, key, include_hidden)`` (404 from ``missing(key)``) and
  ``single(request, stored)``;
* ``PATCH {path}/{key}``: ``change(request, stored)`` returns the updated object, stored by the factory; 204, or
  200 with the entity (``update_returns_entity``);
* ``DELETE {path}/{key}``: ``before_delete(stored)`` may refuse; 204;
* ``POST {path}/{key}/{action}`` and ``GET {path}/{key}/{navigation}`` call ``handler(request, stored)``
  (actions find hidden objects too, as writes do);
* ``guard(request)`` runs first in every handler (a beta-only set refuses v1.0 there);
* ``overrides`` replaces the handler of a verb where the set answers otherwise (a PATCH that creates, a list
  read with ``$expand``, a ``$count`` that is refused).

A verb without a hook is not routed, so Graph's 405 for a method the path does not serve is kept.
"""

import re
import types
from collections import namedtuple

from .errors import GraphHTTPError
from .listing import count_response, list_response, project, selected_properties
from .messages import Response, no_content

TEMPLATE_PART = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<regex>(?:[^{}]|\{[^{}]*\})+))?\}")
ITEM = "/{key}"
# The hooks a Resource is built from, with what a hook left out means.
HOOKS = {
    "find": None,  # (request, key, include_hidden) -> stored or None; default: the collection's get
    "missing": None,  # key -> the 404 to raise
    "render": None,  # (request, stored, single) -> the entity as answered; single: with its @odata.context
    "listed": None,  # request -> what the list pages (default: the collection, keyset-paged)
    "single": None,  # (request, stored) -> the 200 Response of a read, where render and $select do not say it
    "select": True,  # whether a single read applies $select
    "countable": False,  # whether {path}/$count is served
    "build": None,  # request -> the object to store from a POST body (no hook: no POST)
    "change": None,  # (request, stored) -> the updated object from a PATCH body (no hook: no PATCH)
    "update_returns_entity": False,  # PATCH answers 200 with the entity instead of 204
    "deletable": False,  # whether DELETE is served
    "before_delete": None,  # stored -> raise to refuse a DELETE
    "actions": None,  # {name: (request, stored) -> Response}, POST {path}/{key}/{name}
    "navigations": None,  # {name: (request, stored) -> Response}, GET {path}/{key}/{name}
    "guard": None,  # request -> raise before anything else (a beta-only set)
    "paths": None,  # further paths the same set is served at
    "overrides": None,  # {verb: handler} replacing list, count, create, get, update or delete
}


class Route(namedtuple("Route", "methods path handler permission service flags")):
    """One line of a route table. ``path`` is a template (see the module's text); ``service`` "graph" serves it
    under ``/v1.0`` and ``/beta``, any other service at the path as written."""

    __slots__ = ()

    def __new__(cls, methods, path, handler, permission=None, service="graph", flags=0):
        if isinstance(methods, str):
            methods = (methods,)
        return super().__new__(cls, tuple(methods), path, handler, permission, service, flags)


def template_regex(template):
    """``/policies/{key}`` -> ``/policies/(?P<key>[^/]+)``: literal text escaped, ``{name:regex}`` kept as given."""
    out, position = [], 0
    for match in TEMPLATE_PART.finditer(template):
        out.append(_escape(template[position:match.start()]))
        out.append("(?P<%s>%s)" % (match.group("name"), match.group("regex") or "[^/]+"))
        position = match.end()
    out.append(_escape(template[position:]))
    return "".join(out)


def _escape(text):
    # Slashes stay bare: the router splits Graph patterns into segments on them.
    return "/".join(re.escape(part) for part in text.split("/"))


def install(router, routes):
    """Register a route table on ``router`` in its order (the first route that matches a method and path wins)."""
    for route in routes:
        pattern = template_regex(route.path)
        if route.service == "graph":
            router.graph(route.methods, pattern, route.handler, route.permission)
        else:
            router.add(route.methods, "^" + pattern + "/?$", route.handler, route.service, route.permission,
                       flags=route.flags)


def selected(request, spec, body):
    """Apply ``$select`` to a single rendered entity (its ``@odata`` annotations kept)."""
    if request.option("$select") is None:
        return body
    out = {k: v for k, v in body.items() if k.startswith("@odata.")}
    out.update(project(body, selected_properties(request, spec)))
    return out


def entity_context(request, fragment):
    return "%s/%s/$metadata#%s" % (request.base_url, request.version, fragment)


class Resource:
    """The handlers and routes of one entity set (see the module's text for the hooks)."""

    def __init__(self, sandbox, path, permission, spec, collection=None, **hooks):
        unknown = set(hooks) - set(HOOKS)
        if unknown:
            raise TypeError("unknown resource hooks: %s" % ", ".join(sorted(unknown)))
        self.sandbox = sandbox
        self.paths = tuple(hooks.get("paths") or (path,))
        self.permission = permission
        self.spec = spec
        self.collection = collection
        self.hooks = types.SimpleNamespace(**dict(HOOKS, **hooks))
        self.hooks.missing = self.hooks.missing or _resource_not_found
        self.hooks.render = self.hooks.render or (lambda request, stored, single: stored)
        self.hooks.guard = self.hooks.guard or (lambda request: None)
        self.actions = dict(self.hooks.actions or {})
        self.navigations = dict(self.hooks.navigations or {})
        self.overrides = dict(self.hooks.overrides or {})

    # -- look-ups -----------------------------------------------------------------------------------
    def find(self, request, key, include_hidden=False):
        """The stored object ``key``, or the resource's 404."""
        if self.hooks.find is not None:
            obj = self.hooks.find(request, key, include_hidden)
        else:
            obj = self.collection.get(key, include_hidden=include_hidden)
        if obj is None:
            raise self.hooks.missing(key)
        return obj

    def listed(self, request):
        return self.hooks.listed(request) if self.hooks.listed is not None else self.collection

    def entity(self, request, stored):
        """The 200 answer of a single read."""
        if self.hooks.single is not None:
            return self.hooks.single(request, stored)
        body = self.hooks.render(request, stored, True)
        return Response(200, selected(request, self.spec, body) if self.hooks.select else body)

    # -- handlers -------------------------------------------------------------------------------------
    def list(self, request):
        self.hooks.guard(request)
        return list_response(request, self.spec, self.listed(request))

    def count(self, request):
        self.hooks.guard(request)
        return count_response(request, self.spec, self.listed(request))

    def get(self, request, key):
        self.hooks.guard(request)
        return self.entity(request, self.find(request, key))

    def create(self, request):
        self.hooks.guard(request)
        stored = self.hooks.build(request)
        self.sandbox.created(self.collection, stored, request)
        return Response(201, self.hooks.render(request, stored, True))

    def update(self, request, key):
        self.hooks.guard(request)
        updated = self.hooks.change(request, self.find(request, key, include_hidden=True))
        self.collection.put(updated)
        if self.hooks.update_returns_entity:
            return Response(200, self.hooks.render(request, updated, True))
        return no_content()

    def delete(self, request, key):
        self.hooks.guard(request)
        stored = self.find(request, key, include_hidden=True)
        if self.hooks.before_delete is not None:
            self.hooks.before_delete(stored)
        self.collection.delete(key)
        return no_content()

    def action(self, name):
        hook = self.actions[name]

        def handler(request, key):
            self.hooks.guard(request)
            return hook(request, self.find(request, key, include_hidden=True))
        handler.__name__ = name
        return handler

    def navigation(self, name):
        hook = self.navigations[name]

        def handler(request, key):
            self.hooks.guard(request)
            return hook(request, self.find(request, key))
        handler.__name__ = name.replace("/", "_")
        return handler

    # -- the route table ----------------------------------------------------------------------------
    def routes(self):
        """Actions and navigations, then the collection, then the item (``$count`` before ``{key}``)."""
        out = []
        for path in self.paths:
            item = path + ITEM
            out += [Route("POST", item + "/" + name, self.action(name), self.permission) for name in self.actions]
            out += [Route("GET", item + "/" + name, self.navigation(name), self.permission)
                    for name in self.navigations]
            out.append(Route("GET", path, self.handler("list"), self.permission))
            if self.hooks.countable or "count" in self.overrides:
                out.append(Route("GET", path + "/$count", self.handler("count"), self.permission))
            if self.hooks.build is not None:
                out.append(Route("POST", path, self.handler("create"), self.permission))
            out.append(Route("GET", item, self.handler("get"), self.permission))
            if self.hooks.change is not None or "update" in self.overrides:
                out.append(Route("PATCH", item, self.handler("update"), self.permission))
            if self.hooks.deletable:
                out.append(Route("DELETE", item, self.handler("delete"), self.permission))
        return out

    def handler(self, verb):
        """The handler of ``verb`` (list, count, create, get, update, delete): the resource's own, or the one
        ``overrides`` gives where the set answers otherwise."""
        return self.overrides.get(verb) or getattr(self, verb)


def _resource_not_found(key):
    return GraphHTTPError(404, "NotFound", "Resource not found for the segment '%s'." % key)
