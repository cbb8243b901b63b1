"""Injected faults: throttling, server errors, latency, dropped connections, replication lag and
per-tenant rate limits, chosen by path, method, probability and count.

The rules come from ``--faults FILE`` or ``PUT /_sandbox/faults``::

    {"seed": 7, "rules": [{"kind": "throttle", "path": "^/v1\\\\.0/identity/", "method": "GET",
                           "rate": 1.0, "count": 2, "retry_after": 1.5}, ...]}

Kinds: ``throttle`` (429, ``Retry-After`` when ``retry_after`` is not null), ``error`` (``status``,
default 503), ``latency`` (``seconds``), ``drop_before`` (close without handling), ``drop_after``
(handle and commit, then close without answering), ``lag`` (objects created by a matching POST
stay invisible to reads for ``seconds``), ``rate_limit`` (429 once matching requests of a tenant
exceed ``per_second``). ``path`` is a regex searched in the URL path (absent: every path),
``method`` optional, ``rate`` a probability (default 1.0), ``count`` how often the rule may fire
(absent: unlimited). Random draws come from ``random.Random(seed)``, so a run is reproducible.
"""

import json
import random
import re
import threading
import time
import uuid

from .aadsts import aad_error
from .auth import exchange_error
from .errors import GraphHTTPError
from .messages import graph_date

KINDS = ("throttle", "error", "latency", "drop_before", "drop_after", "lag", "rate_limit")
TERMINAL = ("drop_before", "rate_limit", "throttle", "error")
COMMON_KEYS = {"kind", "path", "method", "rate", "count", "fired"}
KIND_KEYS = {
    "throttle": {"retry_after"},
    "error": {"status", "retry_after"},
    "latency": {"seconds"},
    "drop_before": set(),
    "drop_after": set(),
    "lag": {"seconds"},
    "rate_limit": {"per_second", "retry_after"},
}
ERROR_TEXT = {
    500: ("InternalServerError", "There was an internal server error while processing the request."),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: ("ServiceUnavailable", "Service is temporarily unavailable, please retry later."),
    504: ("GatewayTimeout", "The request timed out before the service could answer."),
}


class FaultSpecError(ValueError):
    """A faults document that cannot be used; the message names the rule and the field."""


def _number(rule, index, key, minimum=0.0, allow_none=False, default=None):
    value = rule.get(key, default)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise FaultSpecError("rules[%d].%s: expected a number >= %s, got %r" % (index, key, minimum, value))
    return float(value)


class Rule:
    def __init__(self, index, spec):
        if not isinstance(spec, dict):
            raise FaultSpecError("rules[%d]: expected an object, got %r" % (index, spec))
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultSpecError("rules[%d].kind: '%s' is not one of %s" % (index, kind, ", ".join(KINDS)))
        unknown = set(spec) - COMMON_KEYS - KIND_KEYS[kind]
        if unknown:
            raise FaultSpecError("rules[%d]: unknown field(s) %s for kind '%s'; accepted: %s"
                                 % (index, ", ".join(sorted(unknown)), kind,
                                    ", ".join(sorted(COMMON_KEYS - {"fired"} | KIND_KEYS[kind]))))
        self.spec = {k: v for k, v in spec.items() if k != "fired"}
        self.kind = kind
        path = spec.get("path")
        try:
            self.path = re.compile(path) if path is not None else None
        except (re.error, TypeError) as exc:
            raise FaultSpecError("rules[%d].path: %r is not a valid regular expression (%s)" % (index, path, exc)) from None
        method = spec.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("rules[%d].method: expected an HTTP method name, got %r" % (index, method))
        self.method = method.upper() if method else None
        self.rate = _number(spec, index, "rate", default=1.0)
        if self.rate > 1.0:
            raise FaultSpecError("rules[%d].rate: a probability between 0 and 1 is expected, got %r" % (index, spec["rate"]))
        count = spec.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise FaultSpecError("rules[%d].count: expected a whole number >= 0 or null, got %r" % (index, count))
        self.remaining = count
        self.fired = 0
        self.retry_after = None
        if kind in ("throttle", "error", "rate_limit"):
            self.retry_after = _number(spec, index, "retry_after", allow_none=True)
        self.seconds = _number(spec, index, "seconds", default=None) if kind in ("latency", "lag") else 0.0
        status = spec.get("status", 503)
        if kind == "error" and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
            raise FaultSpecError("rules[%d].status: expected an HTTP error status 400-599, got %r" % (index, status))
        self.status = status
        if kind == "rate_limit":
            self.per_second = _number(spec, index, "per_second", minimum=0.001, default=None)
            self.buckets = {}

    def matches(self, request):
        if self.method and request.method != self.method:
            return False
        if self.path is not None and not self.path.search(request.path):
            return False
        return True

    def describe(self):
        return dict(self.spec, fired=self.fired)


class Decision:
    """What the fault engine decided for one request."""

    def __init__(self):
        self.latency = 0.0
        self.kind = None  # the kind logged for the request
        self.terminal = None  # (kind, rule) answering instead of the handler
        self.drop_after = False
        self.lag = 0.0


class FaultEngine:
    def __init__(self, spec=None):
        self._lock = threading.Lock()
        self.replace(spec or {"rules": []})

    def replace(self, spec):
        """Validate ``spec`` and make it the active rule set (counts start afresh)."""
        if not isinstance(spec, dict):
            raise FaultSpecError("the faults document must be an object with 'rules' (and optional 'seed')")
        unknown = set(spec) - {"seed", "rules"}
        if unknown:
            raise FaultSpecError("unknown top-level field(s) %s; accepted: seed, rules" % ", ".join(sorted(unknown)))
        rules = spec.get("rules", [])
        if not isinstance(rules, list):
            raise FaultSpecError("rules: expected a list, got %r" % type(rules).__name__)
        seed = spec.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultSpecError("seed: expected an integer, got %r" % (seed,))
        parsed = [Rule(i, r) for i, r in enumerate(rules)]
        with self._lock:
            self.seed = seed
            self.rules = parsed
            self._random = random.Random(seed)

    def describe(self):
        with self._lock:
            return {"seed": self.seed, "rules": [r.describe() for r in self.rules]}

    def decide(self, request, tenant_key):
        """Evaluate the rules for ``request``; counts and random draws are consumed here."""
        decision = Decision()
        with self._lock:
            for rule in self.rules:
                if not rule.matches(request):
                    continue
                if rule.kind in TERMINAL and decision.terminal is not None:
                    continue
                if rule.kind in ("drop_before", "drop_after") and request.in_batch:
                    continue
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.kind == "lag" and request.method != "POST":
                    continue
                if rule.kind == "rate_limit":
                    if self._within_rate(rule, tenant_key):
                        continue
                elif rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.fired += 1
                if rule.kind == "latency":
                    decision.latency += rule.seconds
                elif rule.kind == "lag":
                    decision.lag = max(decision.lag, rule.seconds)
                elif rule.kind == "drop_after":
                    decision.drop_after = True
                else:
                    decision.terminal = (rule.kind, rule)
                if decision.kind is None or rule.kind in TERMINAL:
                    decision.kind = rule.kind
        return decision

    @staticmethod
    def _within_rate(rule, tenant_key):
        """Token bucket per tenant: True (and one token spent) when the request is allowed."""
        now = time.monotonic()
        capacity = max(1.0, rule.per_second)
        tokens, last = rule.buckets.get(tenant_key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rule.per_second)
        if tokens >= 1.0:
            rule.buckets[tenant_key] = (tokens - 1.0, now)
            return True
        rule.buckets[tenant_key] = (tokens, now)
        return False


def _retry_after_header(value):
    if value is None:
        return {}
    text = ("%.3f" % value).rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return {"Retry-After": text}


def fault_error(kind, rule, request):
    """The error a terminal fault answers with, in the shape of the service that was asked."""
    headers = _retry_after_header(rule.retry_after)
    service = request.service
    if kind in ("throttle", "rate_limit"):
        status = 429
    else:
        status = rule.status
    if service == "exchange":
        message = ("You have reached the maximum number of concurrent requests per tenant. Please wait and try "
                   "again." if status == 429 else "The service is temporarily unavailable (%d)." % status)
        err = exchange_error(status, message, kind="Remoting.PSRemotingTransportException")
        err.headers.update(headers)
        return err
    if service in ("login", "msi"):
        err = aad_error(request, status, "temporarily_unavailable", 90033,
                        "A transient error has occurred. Please try again.")
        err.headers.update(headers)
        return err
    path = request.path.lower()
    if status == 429:
        if "/identity/conditionalaccess" in path or "/policies/authenticationstrength" in path:
            return GraphHTTPError(429, "TooManyRequests", "Too many requests.", headers=headers)
        if "/deviceappmanagement" in path or "/devicemanagement" in path:
            return GraphHTTPError(429, "TooManyRequests", _intune_message(request), headers=headers)
        body = {"error": {
            "code": "TooManyRequests",
            "message": "Please retry again later.",
            "innerError": {"code": "429", "date": graph_date(), "message": "Please retry after",
                           "request-id": request.request_id, "client-request-id": request.client_request_id,
                           "status": "429"},
        }}
        return GraphHTTPError(429, "TooManyRequests", "Please retry again later.", headers=headers, body=body)
    code, message = ERROR_TEXT.get(status, ("UnknownError", "The service answered with status %d." % status))
    return GraphHTTPError(status, code, message, headers=headers)


def _intune_message(request):
    inner = {
        "_version": 3,
        "Message": "An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 "
                   "- Activity ID: %s - Url: https://fef.sandbox.manage.microsoft.com%s" % (uuid.uuid4(), request.path),
        "CustomApiErrorPhrase": "TooManyRequests",
        "RetryAfter": None,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    }
    return json.dumps(inner, indent=2).replace("\n", "\r\n")
