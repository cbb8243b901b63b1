"""One sandbox: its state, tenant, token issuer, fault rules and the routes of every service.

:meth:`Sandbox.process` is the whole life of a request apart from the socket: faults, then
:meth:`Sandbox.dispatch` (routing, token and permission checks, the handler), then persisting what
changed. ``$batch`` items go through :meth:`Sandbox.process` too, so they meet the same checks.
"""

import os
import re
import sys
import time
import traceback

from . import seed, unmodelled
from .auth import authenticate, exchange_error, roles_of
from .directory import Directory
from .endpoints import route_table
from .evaluation_engine import EvaluationEngine
from .errors import GraphHTTPError
from .faults import FaultEngine, fault_error
from .messages import Response, error_response
from .requestlog import RequestLog
from .resource import install
from .router import Router
from .store import Store
from .tenant import install_builtins, load_settings, tenant_from_settings
from .tokens import TokenIssuer

UNMODELLED_MODES = ("error", "empty")
KEY_IN_PARENS = re.compile(r"\('([^'()/]*)'\)")


def service_of(path):
    """Which service a URL path belongs to: graph, exchange, control, msi or login."""
    first = path.lstrip("/").split("/", 1)[0].lower()
    if first in ("v1.0", "beta"):
        return "graph"
    if first == "adminapi":
        return "exchange"
    if first == "_sandbox":
        return "control"
    if first == "msi":
        return "msi"
    return "login"


def wrong_host_error(request):
    """What a Microsoft host answers for a path of another service (intercept mode)."""
    if request.intercepted_service == "graph":
        # graph.microsoft.com without /v1.0 or /beta: 400 "Invalid version." (public reports of the
        # answer: microsoftgraph/msgraph-sample-blazor-clientside#94, O365/python-o365#889).
        return GraphHTTPError(400, "BadRequest", "Invalid version.")
    if request.intercepted_service == "exchange":
        return exchange_error(404, "The requested admin API route '%s' is not served; use "
                                   "/adminapi/beta/{tenant}/InvokeCommand." % request.path)
    message = "No endpoint is served at '%s' on %s." % (request.path, request.host)
    return GraphHTTPError(404, "NotFound", message, body={"error": "not_found", "error_description": message})


def normalise_graph_path(path):
    """``/v1.0/users('x')/`` → ``/v1.0/users/x``; duplicate slashes collapsed."""
    path = KEY_IN_PARENS.sub(lambda m: "/" + m.group(1), path)
    path = re.sub(r"/{2,}", "/", path)
    return path.rstrip("/") or "/"


class Sandbox:
    def __init__(self, state_dir, faults=None, seed_path=None, regional_redirect=True, unmodelled="error",
                 collections_path=None):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        self.settings = load_settings(self.state_dir)
        self.tenant = tenant_from_settings(self.settings)
        self.store = Store(self.state_dir)
        self.issuer = TokenIssuer(self.state_dir)
        self.faults = FaultEngine(faults)
        self.log = RequestLog(self.state_dir)
        self.regional_redirect = regional_redirect
        if unmodelled not in UNMODELLED_MODES:
            raise ValueError("unmodelled must be one of %s, not %r" % (", ".join(UNMODELLED_MODES), unmodelled))
        self.unmodelled = unmodelled  # "error": Graph's routing error; "empty": empty pages (unmodelled.py)
        self.port = None
        self.router = Router()
        with self.store.lock:
            install_builtins(self.store, self.tenant, self.settings)
            # What this start applied of the seed ({} when the same seed file was applied before).
            self.seed_applied = seed.apply_seed_file(self, seed_path) if seed_path else {}
            self.store.flush()
        self.directory = Directory(self.store)
        # The What If's engine: the collection's, found by collections_path, the environment or the checkout.
        self.evaluation_engine = EvaluationEngine(collections_path)
        install(self.router, route_table(self))

    # -- facts other modules ask for ------------------------------------------------------------
    def host_names(self, request=None):
        """The ``host:port`` names clients may use for this server; in intercept mode also the
        Microsoft host the request came to (with and without its port)."""
        names = {"127.0.0.1:%s" % self.port, "localhost:%s" % self.port}
        if request is not None and request.intercepted_service is not None:
            names |= {request.host.lower(), "%s:443" % request.host.lower()}
        return names

    def created(self, collection, obj, request):
        """Store a new object, hidden for the request's replication lag (a ``lag`` fault)."""
        collection.put(obj)
        collection.hide(obj["id"], request.lag_seconds)
        return obj

    # -- request processing ---------------------------------------------------------------------
    def process(self, request):
        """Faults, dispatch and persistence for one request (socket or ``$batch`` item)."""
        request.service = service_of(request.path)
        if request.intercepted_service is not None and request.service != request.intercepted_service:
            request.service = request.intercepted_service
            return error_response(wrong_host_error(request), request)
        if request.service == "control":
            return self.dispatch(request)
        decision = self.faults.decide(request, self.tenant.id)
        request.fault = decision.kind
        if decision.latency:
            time.sleep(decision.latency)
        if decision.terminal is not None:
            kind, rule = decision.terminal
            if kind == "drop_before":
                response = Response(0)
                response.drop = True
                return response
            return error_response(fault_error(kind, rule, request), request)
        request.lag_seconds = decision.lag
        response = self.dispatch(request)
        with self.store.lock:
            self.store.flush()
        if decision.drop_after:
            response.drop = True
        return response

    def _unmodelled_page(self, request, error):
        """With ``--unmodelled empty``, the empty page for an unmodelled Graph collection read (else None)."""
        if self.unmodelled != "empty" or request.service != "graph" or not getattr(error, "unrouted", False):
            return None
        return unmodelled.empty_page(request, [s for s in request.path.split("/") if s][1:])

    def dispatch(self, request):
        """Route, authenticate, authorise and run the handler; errors become responses."""
        request.service = service_of(request.path)
        try:
            if request.service == "graph":
                request.path = normalise_graph_path(request.path)
                request.version = request.path.split("/")[1].lower()
                authenticate(self, request, "graph")
            try:
                route, match = self.router.resolve(request.method, request.path)
            except GraphHTTPError as exc:
                page = self._unmodelled_page(request, exc)
                if page is None:
                    raise
                return page
            if route.permission is not None and request.service == "graph":
                route.permission.check(request, roles_of(request))
            groups = {k: v for k, v in match.groupdict().items() if k != "version"}
            with self.store.lock:
                return route.handler(request, **groups)
        except GraphHTTPError as exc:
            return error_response(exc, request)
        except Exception:  # a bug in a handler: answer like Graph does, keep serving
            traceback.print_exc(file=sys.stderr)
            return error_response(GraphHTTPError(
                500, "InternalServerError",
                "There was an internal server error while processing the request. Error ID: %s" % request.request_id,
            ), request)
