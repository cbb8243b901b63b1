"""Sandbox control endpoints (no token, loopback clients only).

- ``GET /_sandbox/health``: ``{"status": "ok", ...}`` once the server answers, with whether this start applied
  its seed (``seedApplied``) and the collections read so far (``loadedCollections``).
- ``GET /_sandbox/faults`` / ``PUT /_sandbox/faults``: read or replace the fault rules.
- ``POST /_sandbox/seed``: apply a seed document (same format as ``--seed``) at run time.
"""

import ipaddress
import os

from ..errors import GraphHTTPError
from ..faults import FaultSpecError
from ..messages import PLAIN_JSON, Response
from ..resource import Route


def _loopback_only(request):
    address = getattr(request, "client_address", ("127.0.0.1", 0))[0]
    if not ipaddress.ip_address(address).is_loopback:
        raise GraphHTTPError(403, "Forbidden", "The sandbox control endpoints answer loopback clients only.")


def routes(sandbox):
    from .. import seed

    def health(request):
        _loopback_only(request)
        return Response(200, {"status": "ok", "tenantId": sandbox.tenant.id, "port": sandbox.port,
                              "pid": os.getpid(), "seedApplied": bool(sandbox.seed_applied),
                              "loadedCollections": sandbox.store.loaded()}, content_type=PLAIN_JSON)

    def get_faults(request):
        _loopback_only(request)
        return Response(200, sandbox.faults.describe(), content_type=PLAIN_JSON)

    def put_faults(request):
        _loopback_only(request)
        try:
            sandbox.faults.replace(request.json())
        except FaultSpecError as exc:
            raise GraphHTTPError(400, "BadRequest", "Invalid faults document: %s" % exc) from None
        return Response(200, sandbox.faults.describe(), content_type=PLAIN_JSON)

    def post_seed(request):
        _loopback_only(request)
        try:
            counts = seed.apply_seed(sandbox, request.json(), source="control")
        except seed.SeedError as exc:
            raise GraphHTTPError(400, "BadRequest", "Invalid seed: %s" % exc) from None
        sandbox.store.flush()
        return Response(200, {"applied": counts}, content_type=PLAIN_JSON)

    return [
        Route("GET", "/_sandbox/health", health, service="control"),
        Route("GET", "/_sandbox/faults", get_faults, service="control"),
        Route("PUT", "/_sandbox/faults", put_faults, service="control"),
        Route("POST", "/_sandbox/seed", post_seed, service="control"),
    ]
