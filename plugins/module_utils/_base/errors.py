# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the errors of tenantguard.m365's clients and how they read to a person.

Not a public API: modules of this collection use it, nothing else should.

Three kinds of failure reach a user:

* ``ConfigError``: the connection options are wrong or incomplete; raised before any network call.
* ``AuthError``: signing in to Microsoft Entra ID failed; carries the AADSTS code and what to do.
* ``GraphError`` (and ``ExchangeError``): the service answered with an error, or could not be
  reached; carries status, error code, message, request-id, client-request-id and date.

Each has ``describe()``: one paragraph saying what was asked, what came back and what to do.
"""

import json
import re

_AADSTS = re.compile(r"AADSTS(\d+)")


class TenantGuardError(Exception):
    """Base class of every error this collection's clients raise on purpose."""

    def describe(self):
        return str(self)

    def details(self):
        """Structured, secret-free facts for a module's failure result."""
        return {}


class ProblemsError(TenantGuardError):
    """Everything wrong with some input, found before anything was written: one problem alone is
    the message; several are numbered after ``summary`` (``%d`` is their count)."""

    summary = "%d problems, nothing was changed"

    def __init__(self, problems):
        self.problems = [str(p) for p in problems]
        super().__init__(self.describe())

    def describe(self):
        if len(self.problems) == 1:
            return self.problems[0]
        return "%s: %s" % (self.summary % len(self.problems),
                           " ".join("(%d) %s" % (i + 1, p) for i, p in enumerate(self.problems)))

    def details(self):
        return {"problems": self.problems}


class ConfigError(TenantGuardError):
    """A connection option is missing, conflicting or malformed.

    ``value`` is shown only when ``secret`` is false; a secret's value never appears.
    """

    def __init__(self, option, problem, accepted=None, value=None, secret=False, kind="Connection option"):
        self.kind = kind
        self.option = option
        self.problem = problem
        self.accepted = accepted
        self.value = None if secret else value
        self.secret = secret
        super().__init__(self.describe())

    def describe(self):
        text = "%s %s: %s" % (self.kind, self.option, self.problem)
        if self.value is not None:
            text += " (got %r)" % (self.value,)
        text = text.rstrip(".") + "."
        if self.accepted:
            text += " Accepted: %s" % self.accepted.rstrip(".") + "."
        return text

    def details(self):
        return {"option": self.option}


# What to do about the sign-in errors users meet most. Keyed by AADSTS number.
AADSTS_HINTS = {
    7000215: "The client secret is wrong. Check client_secret (AZURE_CLIENT_SECRET) against the secrets listed "
             "under the app registration's 'Certificates & secrets'; a secret's value is shown only once, "
             "so create a new one if in doubt.",
    7000222: "The client secret has expired. Create a new secret for the app registration and update client_secret.",
    700027: "The certificate was not accepted: it is not registered on the app registration, or it has expired. "
            "Upload the public certificate of client_certificate_path to the app registration ('Certificates & "
            "secrets'), or use a certificate that is still valid.",
    700024: "The client assertion is outside its valid time range. Check this machine's clock.",
    90002: "The tenant does not exist in this cloud. Check tenant_id, and check cloud (public, usgov, usgovdod, "
           "china) or login_endpoint.",
    900023: "The tenant id is not valid. Use the tenant's GUID or one of its verified domain names as tenant_id.",
    90013: "The sign-in request was incomplete. Check client_id and tenant_id.",
    700016: "No application with this client_id exists in the tenant. Check client_id and tenant_id, and make sure "
            "the application was registered in, or consented to, this tenant.",
    7000112: "The application is disabled in this tenant or has no permission granted there. Enable its service "
             "principal (Enterprise applications) and grant admin consent to the permissions it needs.",
    65001: "The application has no admin consent in this tenant. Grant admin consent to its application "
           "permissions (API permissions, 'Grant admin consent').",
    500011: "The resource (Microsoft Graph or Exchange Online) has no service principal in this tenant. Check the "
            "cloud option: the tenant may live in another national cloud.",
    7000229: "The application has no service principal in this tenant. Create one (an enterprise application) "
             "or grant admin consent, which creates it.",
    70011: "The requested scope is not valid. Check the cloud option: tokens are requested for the cloud's own "
           "Graph and Exchange resources.",
    53003: "A Conditional Access policy blocked the sign-in of this application. Exclude the workload identity "
           "from the policy or satisfy it.",
    7000218: "The request needs a client credential. Set client_secret or client_certificate_path.",
    650057: "The application has no permission on this resource. Add the API permission it needs (Microsoft Graph "
            "application permissions, or Exchange.ManageAsApp of 'Office 365 Exchange Online') and grant admin "
            "consent.",
    50011: "The reply address does not match. This does not happen for client credentials: check login_endpoint.",
}


def aadsts_code(*texts):
    """The first AADSTS number in the given texts, or None."""
    for text in texts:
        if not text:
            continue
        match = _AADSTS.search(str(text))
        if match:
            return int(match.group(1))
    return None


class AuthError(TenantGuardError):
    """Signing in failed.

    ``what`` says what was being done ("get a token for Microsoft Graph as client X in tenant Y"),
    ``error``/``description`` are what the identity platform answered, ``code`` its AADSTS number.
    """

    def __init__(self, what, description, error=None, code=None, hint=None, correlation_id=None,
                 trace_id=None, timestamp=None):
        self.what = what
        self.error = error
        self.description = (description or "").strip()
        self.code = code if code is not None else aadsts_code(self.description)
        self.hint = hint or AADSTS_HINTS.get(self.code) or (
            "Look the code up at https://login.microsoftonline.com/error?code=%d." % self.code
            if self.code is not None else None)
        self.correlation_id = correlation_id
        self.trace_id = trace_id
        self.timestamp = timestamp
        super().__init__(self.describe())

    @classmethod
    def from_msal_result(cls, what, result):
        """Build from the error dict that MSAL's acquire_token_* methods return."""
        codes = result.get("error_codes") or []
        code = codes[0] if codes else None
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        return cls(what, _first_line(result.get("error_description")) or result.get("error") or "no description",
                   error=result.get("error"), code=code, correlation_id=result.get("correlation_id"),
                   trace_id=result.get("trace_id"), timestamp=result.get("timestamp"))

    def describe(self):
        text = "Could not %s: " % self.what
        if self.error:
            text += "%s: " % self.error
        text += self.description.rstrip(".") + "."
        ids = []
        if self.code is not None and "AADSTS%d" % self.code not in self.description:
            ids.append("AADSTS%d" % self.code)
        if self.trace_id:
            ids.append("trace id %s" % self.trace_id)
        if self.correlation_id:
            ids.append("correlation id %s" % self.correlation_id)
        if self.timestamp:
            ids.append("at %s" % self.timestamp)
        if ids:
            text += " (%s)" % ", ".join(ids)
        if self.hint:
            text += " What to do: %s" % self.hint
        return text

    def details(self):
        return _without_none({
            "aadsts": self.code,
            "error": self.error,
            "trace_id": self.trace_id,
            "correlation_id": self.correlation_id,
            "timestamp": self.timestamp,
        })


_TRACE_TAIL = re.compile(r"\s*Trace ID:.*$", re.DOTALL)


def _first_line(text):
    """The description without its 'Trace ID: ... Correlation ID: ... Timestamp: ...' tail (kept apart)."""
    if not text:
        return text
    return _TRACE_TAIL.sub("", str(text).strip().splitlines()[0]).strip()


def _without_none(mapping):
    return dict((k, v) for k, v in mapping.items() if v is not None)


def _header(headers, name):
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def parse_graph_error_body(body):
    """Read Graph's error envelope, tolerating every variant seen in the wild.

    ``body`` is the decoded JSON (or None). Returns a dict with ``code``, ``message``,
    ``request_id``, ``client_request_id``, ``date`` and ``inner_code`` (any may be None).
    Intune wraps its real message in a JSON document serialised into ``error.message``;
    that document's ``Message`` (and ``CustomApiErrorPhrase``) becomes the message.
    """
    found = {"code": None, "message": None, "request_id": None, "client_request_id": None, "date": None,
             "inner_code": None}
    if not isinstance(body, dict):
        return found
    error = body.get("error")
    if isinstance(error, str):  # OAuth-style {"error": "invalid_request", "error_description": ...}
        found["code"] = error
        found["message"] = body.get("error_description")
        return found
    if not isinstance(error, dict):
        return found
    found["code"] = error.get("code")
    found["message"] = _unwrap_intune_message(error.get("message"))
    inner = error.get("innerError") or error.get("innererror") or {}
    if isinstance(inner, dict):
        found["request_id"] = inner.get("request-id") or inner.get("requestId")
        found["client_request_id"] = inner.get("client-request-id") or inner.get("clientRequestId")
        found["date"] = inner.get("date")
        found["inner_code"] = inner.get("code")
    return found


def _unwrap_intune_message(message):
    if not isinstance(message, str):
        return message
    stripped = message.strip()
    if not stripped.startswith("{"):
        return message
    try:
        document = json.loads(stripped)
    except ValueError:
        return message
    if not isinstance(document, dict) or "Message" not in document:
        return message
    text = str(document.get("Message") or "").strip()
    phrase = str(document.get("CustomApiErrorPhrase") or "").strip()
    if phrase and phrase not in text:
        text = "%s (%s)" % (text, phrase) if text else phrase
    return text or message


def _graph_hint(status, code):
    code = code or ""
    if status is None:
        return ("The service could not be reached. Check the endpoint options, ca_bundle and any proxy "
                "settings (HTTPS_PROXY, NO_PROXY).")
    if status == 400:
        return "The request was rejected as invalid. Fix the path, query or body named in the message."
    if status == 401:
        return ("The access token was not accepted. Check that cloud matches the tenant's national cloud and that "
                "the application exists in tenant_id.")
    if status == 403:
        return ("The application lacks the permission this call needs. Add the application permission the "
                "endpoint documents (for example Policy.Read.All for conditional access) and grant admin consent.")
    if status == 404:
        return ("Nothing exists at this path. Check the id, and api_version: some endpoints exist only in beta.")
    if status == 409:
        return "The request conflicts with the current state of the object. Read the object again and retry."
    if status == 429 or code == "TooManyRequests":
        return ("The service kept throttling the requests until the retry budget ran out. Raise retry_max_wait, "
                "or run fewer tasks against this tenant at the same time.")
    if status >= 500:
        return ("The service failed on its side. Try again later; quote the request-id if you contact Microsoft "
                "support.")
    return None


class GraphError(TenantGuardError):
    """The service answered with an error, or could not be reached (status None)."""

    service = "Microsoft Graph"

    def __init__(self, method, url, status=None, code=None, message=None, request_id=None,
                 client_request_id=None, date=None, inner_code=None, retry_after=None, hint=None,
                 attempts=1, gave_up=None, body=None):
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.date = date
        self.inner_code = inner_code
        self.retry_after = retry_after
        self.hint = hint if hint is not None else self._hint()
        self.attempts = attempts
        self.gave_up = gave_up
        self.body = body
        super().__init__(self.describe())

    def _hint(self):
        return _graph_hint(self.status, self.code)

    @classmethod
    def parse_body(cls, body):
        return parse_graph_error_body(body)

    @classmethod
    def from_response(cls, method, url, status, headers, text, attempts=1, gave_up=None, sent_client_request_id=None):
        """Build from a raw HTTP error response (headers: a mapping; text: the body as text)."""
        body = None
        if text:
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        fields = cls.parse_body(body)
        if not fields.get("message"):
            fields["message"] = _plain_text_message(text, status)
        if not fields.get("code"):
            fields["code"] = None
        retry_after = _header(headers, "retry-after")
        return cls(
            method, url, status=status, code=fields.get("code"), message=fields.get("message"),
            request_id=fields.get("request_id") or _header(headers, "request-id"),
            client_request_id=fields.get("client_request_id") or _header(headers, "client-request-id")
            or sent_client_request_id,
            date=fields.get("date") or _header(headers, "date"),
            inner_code=fields.get("inner_code"), retry_after=retry_after, attempts=attempts, gave_up=gave_up,
            body=body,
        )

    def describe(self):
        text = "%s %s failed: " % (self.method, self.url)
        if self.status is None:
            text += "%s could not be reached: %s" % (self.service, (self.message or "no response").rstrip("."))
        else:
            text += "%s answered %s" % (self.service, self.status)
            if self.code:
                text += " %s" % self.code
            if self.message:
                text += ": %s" % str(self.message).strip().rstrip(".")
        ids = []
        if self.request_id:
            ids.append("request-id %s" % self.request_id)
        if self.client_request_id:
            ids.append("client-request-id %s" % self.client_request_id)
        if self.date:
            ids.append("date %s" % self.date)
        if ids:
            text += " (%s)" % ", ".join(ids)
        text += "."
        if self.gave_up:
            text += " Gave up: %s." % self.gave_up.rstrip(".")
        if self.hint:
            text += " What to do: %s" % self.hint
        return text

    def details(self):
        return _without_none({
            "service": self.service,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "client_request_id": self.client_request_id,
            "date": self.date,
            "attempts": self.attempts,
        })


def _plain_text_message(text, status):
    if not text:
        return None
    if "\x00" in text:
        return "the response body was not readable (%d bytes of binary data)" % len(text)
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    if len(cleaned) > 300:
        cleaned = cleaned[:300] + "..."
    return cleaned


_EXCHANGE_TYPE_PREFIX = re.compile(r"^\|[^|]*\|")


class ExchangeError(GraphError):
    """An error of the Exchange Online admin API (InvokeCommand).

    Its ``error.message`` is always "Invalid Operation"; the useful text lives in
    ``error.innererror.internalexception.message`` or ``error.details[0].message``
    (prefixed with ``|Exception.Type|``). A 403 may come with a body that is not JSON at all.
    """

    service = "Exchange Online admin API"

    @classmethod
    def parse_body(cls, body):
        found = parse_graph_error_body(body)
        if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
            return found
        error = body["error"]
        inner = error.get("innererror") or error.get("innerError") or {}
        better = None
        if isinstance(inner, dict):
            internal = inner.get("internalexception") or inner.get("internalException") or {}
            if isinstance(internal, dict) and internal.get("message"):
                better = internal["message"]
        details = error.get("details")
        if not better and isinstance(details, list) and details and isinstance(details[0], dict):
            better = details[0].get("message")
        if better:
            found["message"] = _EXCHANGE_TYPE_PREFIX.sub("", str(better)).strip()
        return found

    def _hint(self):
        if self.status == 401:
            return ("The token was not accepted by Exchange Online. Grant the application the Exchange.ManageAsApp "
                    "permission of 'Office 365 Exchange Online' with admin consent, and check the cloud option.")
        if self.status == 403:
            return ("The application may call the admin API but holds no Exchange role. Assign its service principal "
                    "a directory role such as Global Reader (read) or Exchange Administrator (write).")
        if self.status == 400:
            return "Exchange rejected the cmdlet or its parameters. Check the parameter names and values."
        return _graph_hint(self.status, self.code)
