"""``DIR/requests.jsonl``: one JSON line per request, written just before the response is sent (a client
holding its answer always finds the line).

Fields: time, service, method, path, query, status, client_request_id, app_id, fault, body; ``unmodelled: true``
on the empty pages ``--unmodelled empty`` answers for resources the sandbox does not model.
``body`` is the parsed JSON body of POST/PATCH/PUT/DELETE to Graph and Exchange only; the login
authority and the managed-identity endpoint are logged without any body. Values of secret-bearing
keys are replaced by ``"<redacted>"`` wherever they appear, and no header is ever logged.
"""

import datetime
import json
import os
import threading

LOG_FILE = "requests.jsonl"
SECRET_KEYS = frozenset(k.lower() for k in (
    "secretText", "password", "client_secret", "clientSecret", "access_token", "accessToken",
    "refresh_token", "id_token", "client_assertion", "assertion", "privateKey", "private_key",
    "passphrase", "passwordProfile", "code", "token",
))
BODY_METHODS = ("POST", "PATCH", "PUT", "DELETE")
REDACTED = "<redacted>"


def redact(value):
    """A copy of ``value`` with the values of secret-bearing keys replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class RequestLog:
    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, LOG_FILE)
        self._lock = threading.Lock()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._handle = os.fdopen(fd, "a", encoding="utf-8")

    def record(self, request, status):
        body = None
        if request.service in ("graph", "exchange") and request.method in BODY_METHODS and request.body:
            try:
                body = redact(json.loads(request.body))
            except (ValueError, UnicodeDecodeError):
                body = None
        entry = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "service": request.service,
            "method": request.method,
            "path": request.path,
            "query": redact(dict(request.query)),
            "status": status,
            "client_request_id": request.client_request_id,
            "app_id": getattr(request, "app_id", None),
            "fault": request.fault,
            "body": body,
        }
        if getattr(request, "unmodelled", False):
            entry["unmodelled"] = True
        line = json.dumps(entry, separators=(",", ":"))
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self):
        with self._lock:
            self._handle.close()
