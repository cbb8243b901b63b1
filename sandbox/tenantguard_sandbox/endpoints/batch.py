"""JSON batching: ``POST /v1.0/$batch`` and ``/beta/$batch``.

At most 20 requests; each is dispatched through the same router, token and permission checks and
fault rules as a request of its own (faults per item, so a 429 can come back inside a 200 batch).
``dependsOn`` orders execution; a request whose dependency failed answers 424.

Request ids: the documentation defines ``id`` as a string, but a long-used backup tool sends JSON numbers
(IntuneCD ``intunecdlib/graph_batch.py``: ``{"id": 1, ...}``, answers matched with ``int(resp["id"])``) and
works against real Graph, so a whole number is accepted and echoed back as a string ("1"), as that client's
``int()`` expects (``behavior.md`` section 16 (i): observed through working client code, no captured
exchange). Ids are unique case-insensitively: ``a`` and ``A`` in one batch get 400 "Request Id A has to be
unique in a batch." (microsoft-graph-docs#4449, msgraph-sdk-javascript#433).
"""

import json
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import GraphHTTPError
from ..messages import GRAPH_JSON, Headers, Request, Response, graph_date
from ..resource import Route

MAX_REQUESTS = 20
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _bad(message):
    return GraphHTTPError(400, "BadRequest", message)


def _validate(body):
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise _bad("Invalid batch payload format: a JSON object with a 'requests' array is expected.")
    items = body["requests"]
    if not items:
        raise _bad("Invalid batch payload format: 'requests' is empty.")
    if len(items) > MAX_REQUESTS:
        raise _bad("The number of requests in a batch (%d) exceeds the limit of %d." % (len(items), MAX_REQUESTS))
    seen, folded = {}, set()
    normalised = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _bad("Invalid batch payload format: requests[%d] is not an object." % index)
        key = _request_id(item.get("id"), index)
        if key.lower() in folded:
            raise _bad("Request Id %s has to be unique in a batch." % key)
        folded.add(key.lower())
        item = dict(item, id=key)
        normalised.append(item)
        seen[key] = item
        method = item.get("method")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise _bad("Invalid batch payload format: requests[%d].method %r is not one of %s."
                       % (index, method, ", ".join(METHODS)))
        url = item.get("url")
        if not isinstance(url, str) or not url or urlsplit(url).scheme:
            raise _bad("Invalid batch payload format: requests[%d].url must be a URL relative to the version, "
                       "such as '/users', got %r." % (index, url))
        headers = item.get("headers", {})
        if not isinstance(headers, dict):
            raise _bad("Invalid batch payload format: requests[%d].headers must be an object." % index)
        if "body" in item and item["body"] is not None:
            if not any(k.lower() == "content-type" for k in headers):
                raise _bad("Invalid batch payload format: requests[%d] has a body but no Content-Type header."
                           % index)
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(_is_id(d) for d in depends):
            raise _bad("Invalid batch payload format: requests[%d].dependsOn must be a list of request ids." % index)
        item["dependsOn"] = [str(d) for d in depends]
    for key, item in seen.items():
        for dependency in item.get("dependsOn", []):
            if dependency not in seen:
                raise _bad("Invalid batch payload format: request '%s' depends on '%s', which is not in the batch."
                           % (key, dependency))
            if dependency == key:
                raise _bad("Invalid batch payload format: request '%s' depends on itself." % key)
    return normalised, seen


def _is_id(value):
    return (isinstance(value, str) and value != "") or (isinstance(value, int) and not isinstance(value, bool))


def _request_id(value, index):
    """The request id as the string Graph echoes: a non-empty string, or a whole number written in decimal."""
    if not _is_id(value):
        raise _bad("Invalid batch payload format: requests[%d].id must be a non-empty string (or a whole number), "
                   "got %s." % (index, json.dumps(value)))
    return str(value)


def _order(items, by_id):
    """Requests in an order that runs every dependency first; a cycle is a 400."""
    done, order, visiting = set(), [], set()

    def visit(item):
        key = item["id"]
        if key in done:
            return
        if key in visiting:
            raise _bad("Invalid batch payload format: the dependsOn chain of request '%s' is circular." % key)
        visiting.add(key)
        for dependency in item.get("dependsOn", []):
            visit(by_id[dependency])
        visiting.discard(key)
        done.add(key)
        order.append(item)

    for item in items:
        visit(item)
    return order


def routes(sandbox):
    def run_batch(request):
        items, by_id = _validate(request.json())
        statuses, responses = {}, {}
        for item in _order(items, by_id):
            key = item["id"]
            failed = [d for d in item.get("dependsOn", []) if statuses.get(d, 500) >= 400]
            if failed:
                statuses[key] = 424
                responses[key] = {"id": key, "status": 424, "headers": {"Content-Type": "application/json"},
                                  "body": {"error": {"code": "FailedDependency",
                                                     "message": "The request depends on request(s) %s, which failed."
                                                                % ", ".join(failed),
                                                     "innerError": {"date": graph_date(),
                                                                    "request-id": request.request_id,
                                                                    "client-request-id": request.client_request_id}}}}
                continue
            response = _run_item(sandbox, request, item)
            statuses[key] = response["status"]
            responses[key] = response
        return Response(200, {"responses": [responses[item["id"]] for item in items]})

    return [Route("POST", "/$batch", run_batch)]


def _run_item(sandbox, outer, item):
    url = item["url"]
    if not url.startswith("/"):
        url = "/" + url
    raw_path, _, raw_query = url.partition("?")
    path = "/%s%s" % (outer.version, unquote(raw_path))
    query = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(name, value)
    headers = Headers(item.get("headers", {}))
    if "Authorization" not in headers and outer.headers.get("Authorization"):
        headers["Authorization"] = outer.headers.get("Authorization")
    body = item.get("body")
    payload = json.dumps(body).encode("utf-8") if body is not None else b""
    sub = Request(item["method"], path, query, headers, payload, outer.base_url, raw_query)
    sub.in_batch = True
    sub.client_address = getattr(outer, "client_address", ("127.0.0.1", 0))
    if raw_path.rstrip("/").lower() == "/$batch":
        status, out_headers, out_body = 400, {}, {"error": {"code": "BadRequest",
                                                             "message": "Nested batch requests are not supported."}}
    else:
        response = sandbox.process(sub)
        status = response.status
        out_headers = dict(response.headers)
        if response.body is None or status == 204:
            out_body = None
        elif isinstance(response.body, (bytes, str)):
            out_body = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
        else:
            out_body = response.body
        out_headers.setdefault("Content-Type", response.content_type or GRAPH_JSON)
    result = {"id": item["id"], "status": status, "headers": out_headers}
    result["body"] = out_body
    return result
