# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the Microsoft Graph client of tenantguard.m365.

Not a public API.

* ``request()`` sends one request and returns a ``GraphResponse``, or raises ``GraphError``.
  Each attempt carries a fresh ``client-request-id``. 429, 503, 504 and dropped connections
  are retried (see ``_transport.retry``); requests to throttled endpoint families are paced (see
  ``_transport.pacing``); a 401 is retried once with a new token.
* A POST that may have reached the service (dropped connection, 503, 504) is retried only after
  checking that it did not create the object: ``find_existing`` (a callable returning the
  object or None) or ``existing_filter`` (an OData filter listed on the same collection). With
  neither, it is not retried: a duplicate is worse than a clear failure.
* ``list()`` yields every item of every page, following ``@odata.nextLink`` as given and
  re-sending the caller's headers (``ConsistencyLevel`` is not carried by the link itself).
* ``batch()`` sends ``$batch`` requests 20 at a time and re-sends throttled items.
* Response bodies are read as plain dicts: unknown properties are kept, never rejected.
"""

import json
import os
import uuid

from urllib.parse import quote, urlsplit

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import Pacer
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import (
    RETRY_STATUSES, RetryPolicy, parse_retry_after)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import (
    TLS_FAILURE, surely_not_sent, transport_failure)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.tls_errors import tls_problem

API_VERSIONS = ("v1.0", "beta")
BATCH_LIMIT = 20
WRITE_METHODS = frozenset(["POST", "PATCH", "PUT", "DELETE"])
# Request headers a caller may not set: the client owns them.
RESERVED_HEADERS = frozenset(["authorization", "client-request-id", "host", "content-length"])
_QUERY_SAFE = "$,'()/:@!*;"


def _lower_headers(headers):
    return dict((str(k).lower(), v) for k, v in (headers or {}).items())


def encode_query(query):
    """Encode a dict as Graph expects: ``$`` and OData punctuation kept, spaces as %20, lists joined by commas."""
    if not query:
        return ""
    parts = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        parts.append("%s=%s" % (quote(str(key), safe="$"), quote(str(value), safe=_QUERY_SAFE)))
    return "&".join(parts)


def connection_lost_before_sending(exc):
    """True when the request surely never reached the server (so even a POST may be re-sent)."""
    return surely_not_sent(exc)


class GraphResponse:
    """One answer of the service. ``json`` is the decoded body (None if empty or not JSON)."""

    def __init__(self, method, url, status, headers, json_body=None, text="", client_request_id=None,
                 attempts=1, recovered=False):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.json = json_body
        self.text = text
        self.client_request_id = client_request_id
        self.attempts = attempts
        self.recovered = recovered

    @property
    def request_id(self):
        return _lower_headers(self.headers).get("request-id")

    def __repr__(self):
        return "GraphResponse(%s %s -> %s)" % (self.method, self.url, self.status)


class HttpClientBase:
    """What the Graph and Exchange clients share: token, headers, retries, error building."""

    error_class = GraphError
    endpoint_option = "graph_endpoint"   # named in TLS failures

    def __init__(self, session, tokens, scope, tenant, retry=None):
        self.session = session
        self.tokens = tokens
        self.scope = scope
        self.tenant = tenant
        self.retry = retry or RetryPolicy()
        self.stats = {"requests": 0, "retries": 0, "waited": 0.0}

    def _error_from_response(self, method, url, response, attempts, gave_up=None, client_request_id=None):
        return self.error_class.from_response(method, url, response.status_code, response.headers, response.text,
                                              attempts=attempts, gave_up=gave_up,
                                              sent_client_request_id=client_request_id)

    def _transport_error(self, method, url, exc, attempts, gave_up=None, hint=None, client_request_id=None):
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        if len(message) > 400:
            message = message[:400] + "..."
        code = getattr(exc, "code", None) or exc.__class__.__name__  # the direct path's names are requests' names
        return self.error_class(method, url, status=None, code=code, message=message,
                                client_request_id=client_request_id, attempts=attempts, gave_up=gave_up, hint=hint)

    def _tls_error(self, method, url, exc, attempts):
        problem, hint = tls_problem(exc, self.endpoint_option, url)
        hint = "%s%s. %s" % (problem[0].upper(), problem[1:], hint)
        return self._transport_error(method, url, exc, attempts, hint=hint)


class GraphClient(HttpClientBase):
    """Microsoft Graph, v1.0 and beta, for one tenant."""

    def __init__(self, session, tokens, base_url, scope, tenant, api_version="v1.0", retry=None, pacer=None):
        super().__init__(session, tokens, scope, tenant, retry=retry)
        self.base_url = base_url.rstrip("/")
        if api_version not in API_VERSIONS:
            raise ValueError("api_version must be one of %s" % ", ".join(API_VERSIONS))
        self.api_version = api_version
        self.pacer = pacer or Pacer()
        self._origin = self._origin_of(self.base_url)

    @classmethod
    def from_settings(cls, settings, session, tokens, retry=None, pacer=None):
        if retry is None:
            retry = RetryPolicy(max_total_wait=settings.retry_max_wait)
        if pacer is None:
            state = os.path.join(settings.state_dir, "pacing.json") if settings.state_dir else None
            pacer = Pacer(state_path=state)
        return cls(session, tokens, settings.graph_endpoint, settings.graph_scope, settings.tenant_id,
                   retry=retry, pacer=pacer)

    # -- URLs -------------------------------------------------------------------------------
    @staticmethod
    def _origin_of(url):
        parts = urlsplit(url)
        return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or 443)

    def url(self, path, api_version=None, query=None):
        """The absolute URL of ``path`` (relative to the version root, or absolute on the endpoint)."""
        version = api_version or self.api_version
        if version not in API_VERSIONS:
            raise ConfigError("api_version", "is not a Graph version", accepted=", ".join(API_VERSIONS),
                              value=version, kind="Option")
        path = (path or "").strip()
        if "://" in path:
            if self._origin_of(path) != self._origin or not path.startswith(self.base_url + "/"):
                raise ConfigError("path", "is an absolute URL outside the configured Graph endpoint %s"
                                  % self.base_url, accepted="a path such as /users, or a URL under %s/"
                                  % self.base_url, value=path, kind="Option")
            url = path
        else:
            relative = path.lstrip("/")
            if not relative:
                raise ConfigError("path", "is empty", accepted="a path such as /users", kind="Option")
            first = relative.split("/", 1)[0].split("?", 1)[0]
            if first in API_VERSIONS:
                raise ConfigError("path", "starts with the API version %s" % first,
                                  accepted="a path relative to the version root, with the version in api_version",
                                  value=path, kind="Option")
            url = "%s/%s/%s" % (self.base_url, version, relative)
        encoded = encode_query(query)
        if encoded:
            url += ("&" if "?" in url else "?") + encoded
        return url

    def _same_origin(self, url):
        return self._origin_of(url) == self._origin

    # -- sending ----------------------------------------------------------------------------
    def request(self, method, path, api_version=None, query=None, body=None, headers=None, accept=None,
                find_existing=None, existing_filter=None, idempotent=None):
        """Send one request (with retries) and return its GraphResponse; raise GraphError otherwise.

        ``accept``: statuses to return rather than raise (default: any 2xx).
        ``find_existing`` / ``existing_filter``: see the module docstring (POST only).
        ``idempotent``: a POST that may safely be repeated (an action such as ``assign``).
        """
        url = self.url(path, api_version, query)
        return self._send(method, url, body=body, headers=headers, accept=accept, find_existing=find_existing,
                          existing_filter=existing_filter, idempotent=idempotent)

    def _headers(self, token, client_request_id, extra, has_body):
        headers = {
            "Authorization": "Bearer " + token,
            "client-request-id": client_request_id,
            "Accept": "application/json",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        for key, value in (extra or {}).items():
            if str(key).lower() in RESERVED_HEADERS:
                raise ConfigError("headers", "must not set %s: the client sets it" % key,
                                  accepted="other request headers, such as ConsistencyLevel", kind="Option")
            headers[key] = str(value)
        return headers

    def _send(self, method, url, body=None, headers=None, accept=None, find_existing=None, existing_filter=None,
              idempotent=None, pace=None):
        method = method.upper()
        if idempotent is None:
            idempotent = method != "POST"
        can_check = find_existing is not None or existing_filter is not None
        data = None if body is None else json.dumps(body).encode("utf-8")
        state = self.retry.start()
        uncertain = False  # an earlier attempt may have been carried out by the service
        token_renewed = False
        pace = pace if pace is not None else [(method, url)]
        while True:
            if uncertain and method == "POST" and not idempotent:
                existing = self._find_existing(find_existing, existing_filter, url)
                if existing is not None:
                    return GraphResponse(method, url, 201, {}, json_body=existing, attempts=state.attempts,
                                         recovered=True)
            # The token first: signing in may take a while, and the paced slot is for the request itself.
            token = self.tokens.token(self.scope)
            if hasattr(self.session, "prepare"):  # the TLS context and its CA store too, before the paced slot
                self.session.prepare(method, url, data=data)
            self.stats["waited"] += self.pacer.before_request(self.tenant, pace)
            client_request_id = str(uuid.uuid4())
            state.attempt()
            self.stats["requests"] += 1
            try:
                response = self.session.request(method, url, data=data,
                                                headers=self._headers(token, client_request_id, headers,
                                                                      data is not None))
            except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised unless a transport failure
                failure = transport_failure(exc)
                if failure is None:
                    raise
                if failure == TLS_FAILURE:
                    raise self._tls_error(method, url, exc, state.attempts)
                maybe_sent = not connection_lost_before_sending(exc)
                if maybe_sent and method == "POST" and not idempotent and not can_check:
                    raise self._transport_error(
                        method, url, exc, state.attempts, client_request_id=client_request_id,
                        hint="The connection was lost after the request was sent, so the service may have created "
                             "the object. It was not sent again, to avoid a duplicate: check whether the object "
                             "exists before running the task again.")
                delay = state.delay(None)
                refusal = state.refusal(delay)
                if refusal:
                    raise self._transport_error(method, url, exc, state.attempts, gave_up=refusal,
                                                client_request_id=client_request_id)
                self._wait(state, delay)
                uncertain = uncertain or maybe_sent
                continue

            status = response.status_code
            if status == 401 and not token_renewed:
                # A cached token the service no longer accepts: get a new one, once.
                token_renewed = True
                self.tokens.invalidate(self.scope, token)
                continue
            if status in RETRY_STATUSES:
                if status != 429 and method == "POST" and not idempotent:
                    if not can_check:
                        raise self._error_from_response(method, url, response, state.attempts,
                                                        client_request_id=client_request_id)
                    uncertain = True
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if status == 429:
                    for paced_method, paced_url in pace:
                        self.pacer.penalise(self.tenant, paced_method, paced_url,
                                            retry_after if retry_after is not None else 1.0)
                delay = state.delay(retry_after)
                refusal = state.refusal(delay)
                if refusal:
                    raise self._error_from_response(method, url, response, state.attempts, gave_up=refusal,
                                                    client_request_id=client_request_id)
                self._wait(state, delay)
                continue
            if status == 404 and method == "DELETE" and uncertain:
                # The first attempt deleted it before the connection dropped.
                return GraphResponse(method, url, 204, response.headers, client_request_id=client_request_id,
                                     attempts=state.attempts, recovered=True)
            accepted = (200 <= status < 300) if accept is None else status in accept
            if not accepted:
                raise self._error_from_response(method, url, response, state.attempts,
                                                client_request_id=client_request_id)
            return GraphResponse(method, url, status, response.headers, json_body=json_or_none(response),
                                 text=response.text, client_request_id=client_request_id, attempts=state.attempts)

    def _wait(self, state, delay):
        state.wait(delay)
        self.stats["retries"] += 1
        self.stats["waited"] += delay

    def _find_existing(self, find_existing, existing_filter, url):
        if find_existing is not None:
            return find_existing()
        collection = url.split("?", 1)[0]
        for item in self._list_url(collection + "?" + encode_query({"$filter": existing_filter})):
            return item
        return None

    # -- conveniences -------------------------------------------------------------------------
    def get(self, path, api_version=None, query=None, headers=None):
        return self.request("GET", path, api_version=api_version, query=query, headers=headers).json

    def post(self, path, body=None, api_version=None, headers=None, find_existing=None, existing_filter=None,
             idempotent=None):
        return self.request("POST", path, api_version=api_version, body=body, headers=headers,
                            find_existing=find_existing, existing_filter=existing_filter, idempotent=idempotent).json

    def patch(self, path, body, api_version=None, headers=None):
        return self.request("PATCH", path, api_version=api_version, body=body, headers=headers).json

    def put(self, path, body, api_version=None, headers=None):
        return self.request("PUT", path, api_version=api_version, body=body, headers=headers).json

    def delete(self, path, api_version=None, headers=None):
        self.request("DELETE", path, api_version=api_version, headers=headers)

    # -- paging -----------------------------------------------------------------------------
    def pages(self, path, api_version=None, query=None, headers=None):
        """Yield the GraphResponse of every page, following ``@odata.nextLink``."""
        return self._pages(self.url(path, api_version, query), headers)

    def _pages(self, url, headers=None):
        seen = set()
        while url:
            seen.add(url)
            page = self._send("GET", url, headers=headers)
            yield page
            body = page.json if isinstance(page.json, dict) else {}
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return
            if not self._same_origin(next_link):
                raise GraphError("GET", url, status=page.status, code="UnexpectedNextLink",
                                 message="the next page link points outside the configured endpoint: %s" % next_link,
                                 hint="Check graph_endpoint; the client does not send its token to other hosts.")
            if next_link in seen:
                raise GraphError("GET", url, status=page.status, code="RepeatedNextLink",
                                 message="the next page link repeats an earlier page: %s" % next_link,
                                 hint="The service returned a paging loop; report it with the request-id.")
            url = next_link

    def list(self, path, api_version=None, query=None, headers=None):
        """Yield every item of the collection at ``path``, over all pages."""
        return self._list_url(self.url(path, api_version, query), headers)

    def _list_url(self, url, headers=None):
        for page in self._pages(url, headers):
            body = page.json
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ConfigError("path", "does not name a collection: %s returned no 'value' list" % url,
                                  accepted="a collection path such as /users", kind="Option")
            yield from body["value"]

    # -- $batch -----------------------------------------------------------------------------
    def batch(self, requests_, api_version=None):
        """Send the requests through ``$batch``, 20 at a time; return their answers in the same order.

        Each request: ``{"method", "url" (relative, e.g. "/users/{id}"), "body"?, "headers"?,
        "id"?, "dependsOn"?}``. Each answer: ``{"id", "status", "headers", "body"}``. Items
        answered 429 (or 503/504 for methods other than POST) are sent again after the longest
        ``Retry-After`` among them, or a backoff, within the retry budget; once the budget is spent
        their last answer is returned. Answers are not raised: check ``status``.
        """
        items = self._batch_items(requests_)
        by_id = dict((item["id"], item) for item in items)
        results = {}
        pending = items
        state = self.retry.start()
        batch_url = "%s/%s/$batch" % (self.base_url, api_version or self.api_version)
        while pending:
            retry_items = []
            longest = None
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start:start + BATCH_LIMIT]
                safe = all(item["method"] != "POST" for item in chunk)
                response = self._send("POST", batch_url, body={"requests": chunk}, idempotent=safe,
                                      pace=[(item["method"], item["url"]) for item in chunk])
                answers = (response.json or {}).get("responses") or []
                retrying_ids = set()
                for answer in answers:
                    item = by_id.get(str(answer.get("id")))
                    if item is None:
                        continue
                    status = answer.get("status")
                    retryable = status == 429 or (status in RETRY_STATUSES and item["method"] != "POST")
                    if status == 424 and set(item.get("dependsOn") or ()) & retrying_ids:
                        retryable = True
                    results[item["id"]] = answer
                    if retryable:
                        retry_items.append(item)
                        retrying_ids.add(item["id"])
                        after = parse_retry_after(_lower_headers(answer.get("headers")).get("retry-after"))
                        if after is not None:
                            longest = after if longest is None else max(longest, after)
                        if status == 429:
                            self.pacer.penalise(self.tenant, item["method"], item["url"], after or 1.0)
                missing = [item for item in chunk if item["id"] not in results]
                if missing:
                    raise GraphError("POST", batch_url, status=response.status, code="IncompleteBatch",
                                     message="no answer for request ids %s" % ", ".join(i["id"] for i in missing))
            if not retry_items:
                break
            state.attempt()
            delay = state.delay(longest)
            if state.refusal(delay):
                break
            self._wait(state, delay)
            pending = sorted(retry_items, key=items.index)
        return [results[item["id"]] for item in items]

    @staticmethod
    def _batch_items(requests_):
        items = []
        ids = set()
        for index, request in enumerate(requests_):
            item = dict(request)
            item["id"] = str(item.get("id") or index + 1)
            if item["id"] in ids:
                raise ConfigError("requests", "two requests share the id %s" % item["id"],
                                  accepted="unique ids", kind="Batch")
            ids.add(item["id"])
            item["method"] = str(item.get("method") or "GET").upper()
            url = str(item.get("url") or "")
            if "://" in url:
                raise ConfigError("requests", "request %s has an absolute URL" % item["id"],
                                  accepted="a URL relative to the version root, such as /users/{id}", value=url,
                                  kind="Batch")
            item["url"] = "/" + url.lstrip("/")
            if item.get("body") is not None:
                headers = dict(item.get("headers") or {})
                if "content-type" not in _lower_headers(headers):
                    headers["Content-Type"] = "application/json"
                item["headers"] = headers
            items.append(item)
        for start in range(0, len(items), BATCH_LIMIT):
            chunk_ids = set(item["id"] for item in items[start:start + BATCH_LIMIT])
            for item in items[start:start + BATCH_LIMIT]:
                outside = set(item.get("dependsOn") or ()) - chunk_ids
                if outside:
                    raise ConfigError("requests", "request %s depends on %s, which is in another group of %d"
                                      % (item["id"], ", ".join(sorted(outside)), BATCH_LIMIT),
                                      accepted="dependsOn within the same group of 20 requests", kind="Batch")
        return items


def json_or_none(response):
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
