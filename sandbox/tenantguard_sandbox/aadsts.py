"""Errors of the login authority in Entra ID's JSON shape, with real AADSTS codes."""

import datetime
import uuid

from .errors import GraphHTTPError


def aad_error(request, status, error, code, description):
    """A ``GraphHTTPError`` whose body is the authority's error document.

    ``{"error", "error_description": "AADSTS<code>: ...", "error_codes": [code], "timestamp",
    "trace_id", "correlation_id", "error_uri"}``; the correlation id is the client's
    ``client-request-id`` when it sent one, as Entra ID does.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace_id = request.request_id
    correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
        % (code, description, trace_id, correlation_id, stamp),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": "%s/error?code=%d" % (request.base_url, code),
    }
    return GraphHTTPError(status, error, "AADSTS%d: %s" % (code, description), body=body)


def tenant_not_found(request, name):
    return aad_error(
        request, 400, "invalid_tenant", 90002,
        "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into "
        "the correct cloud. Check with your subscription administrator, this may happen if there are no "
        "active subscriptions for the tenant." % name,
    )
