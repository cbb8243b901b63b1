"""Requests and responses as the handlers see them, and Graph's error body."""

import datetime
import json
import uuid

from .errors import GraphHTTPError

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
PLAIN_JSON = "application/json; charset=utf-8"


class Headers:
    """A case-insensitive, single-valued header mapping."""

    def __init__(self, items=()):
        self._data = {}
        for name, value in (items.items() if isinstance(items, dict) else items):
            self._data[name.lower()] = (name, str(value))

    def get(self, name, default=None):
        entry = self._data.get(name.lower())
        return entry[1] if entry else default

    def __contains__(self, name):
        return name.lower() in self._data

    def __setitem__(self, name, value):
        self._data[name.lower()] = (name, str(value))

    def __getitem__(self, name):
        return self._data[name.lower()][1]

    def pop(self, name, default=None):
        entry = self._data.pop(name.lower(), None)
        return entry[1] if entry else default

    def items(self):
        return [entry for entry in self._data.values()]


class Request:
    """One request to dispatch: from the socket, or one item of a ``$batch``."""

    def __init__(self, method, path, query, headers, body, base_url, raw_query=""):
        self.method = method.upper()
        self.path = path
        self.query = query  # dict: name -> value, first occurrence
        self.raw_query = raw_query
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body or b""
        self.base_url = base_url
        self.request_id = str(uuid.uuid4())
        self.client_request_id = self.headers.get("client-request-id") or self.request_id
        self.service = None
        self.intercepted_service = None  # in intercept mode: the service of the host the client connected to
        self.principal = None  # verified token claims
        self.version = None  # 'v1.0' or 'beta' on Graph
        self.lag_seconds = 0.0
        self.in_batch = False
        self.fault = None
        self.app_id = None

    def json(self, required=True):
        """The body parsed as JSON; a Graph 400 when it is not JSON."""
        if not self.body.strip():
            if required:
                raise GraphHTTPError(400, "BadRequest", "Empty Payload. JSON content expected.")
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphHTTPError(
                400, "BadRequest", "Invalid JSON in the request body: %s." % exc.__class__.__name__
            ) from None

    def option(self, name):
        """An OData system query option such as ``$top``, matched with or without the ``$``."""
        lowered = name.lower()
        for key, value in self.query.items():
            k = key.lower()
            if k == lowered or (k == lowered.lstrip("$") and lowered.startswith("$")):
                return value
        return None


class Response:
    """What a handler answers: status, JSON-able body (or raw bytes) and extra headers."""

    def __init__(self, status=200, body=None, headers=None, content_type=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.drop = False  # close the connection without answering

    def payload(self):
        """The body as bytes."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def json_response(body, status=200, headers=None):
    return Response(status, body, headers)


def no_content():
    return Response(204, None)


def graph_date(now=None):
    """The ``innerError.date`` format Graph uses: ISO 8601 to the second, no zone."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S")


def iso_now():
    """A timestamp in Graph's property format (UTC, seven fractional digits, ``Z``)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def error_response(error, request):
    """Turn a :class:`GraphHTTPError` into a response in the shape of the service that raised it."""
    if error.body is not None:
        body = error.body
    else:
        body = {
            "error": {
                "code": error.code,
                "message": error.message,
                "innerError": {
                    "date": graph_date(),
                    "request-id": request.request_id,
                    "client-request-id": request.client_request_id,
                },
            }
        }
        detail = getattr(error, "detail", None)
        if detail and detail != error.message:
            # OData's optional error details: the sandbox's explanation (field, value, what is accepted).
            body["error"]["details"] = [{"code": error.code, "message": detail,
                                         "target": getattr(error, "target", None) or ""}]
    return Response(error.status, body, error.headers)
