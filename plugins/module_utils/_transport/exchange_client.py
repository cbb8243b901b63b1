# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the Exchange Online admin API client (the InvokeCommand gateway).

Not a public API. The gateway is what the ExchangeOnlineManagement PowerShell module (v3)
uses; Microsoft does not document it as a contract, so it is kept behind this one small class.

``invoke(cmdlet, parameters)`` POSTs ``{"CmdletInput": {"CmdletName", "Parameters"}}`` to
``{exchange}/adminapi/beta/{tenant}/InvokeCommand`` and yields every row of every page:

* headers: Authorization (a token for the cloud's Exchange resource), X-AnchorMailbox
  ``APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@{tenant}``, Prefer
  ``odata.maxpagesize=1000``, X-ResponseFormat ``json``, X-CmdletName, a fresh client-request-id;
* redirects are not left to requests (it would turn a 302 into a GET and drop the token): a
  3xx is re-POSTed by hand to its ``Location``, with the same headers and body, if that is an
  https URL on the configured host or one of its subdomains (the regional hosts), or on another
  loopback name when the configured host is a loopback one;
* paging re-POSTs the same body to ``@odata.nextLink``;
* 429, 503, 504 and dropped connections are retried like Graph requests; a cmdlet that
  changes something (not ``Get-``/``Test-``) is retried only on 429, which means "not done";
* ``@adminapi.warnings`` are collected in ``warnings``.
"""

import json
import uuid

from urllib.parse import quote, urljoin, urlsplit

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ExchangeError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import (
    HttpClientBase, connection_lost_before_sending, json_or_none)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import TLS_FAILURE, transport_failure
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

ANCHOR_MAILBOX = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@%s"
MAX_REDIRECTS = 5
LOOPBACK_HOSTS = frozenset(["localhost", "127.0.0.1", "::1"])
READ_VERBS = ("Get-", "Test-")


class ExchangeClient(HttpClientBase):
    """The admin API of one tenant's Exchange Online."""

    error_class = ExchangeError
    endpoint_option = "exchange_endpoint"   # named in TLS failures

    def __init__(self, session, tokens, base_url, scope, tenant, retry=None, page_size=1000):
        super().__init__(session, tokens, scope, tenant, retry=retry)
        self.base_url = base_url.rstrip("/")
        self._regional_root = None
        self.page_size = page_size
        self.warnings = []
        self._host = (urlsplit(self.base_url).hostname or "").lower()

    @classmethod
    def from_settings(cls, settings, session, tokens, retry=None):
        if retry is None:
            retry = RetryPolicy(max_total_wait=settings.retry_max_wait)
        return cls(session, tokens, settings.exchange_endpoint, settings.exchange_scope, settings.tenant_id,
                   retry=retry)

    def command_url(self, select=None):
        root = self._regional_root or self.base_url
        url = "%s/adminapi/beta/%s/InvokeCommand" % (root, quote(self.tenant, safe=""))
        if select:
            fields = select if isinstance(select, str) else ",".join(select)
            url += "?$select=" + quote(fields, safe=",")
        return url

    def invoke(self, cmdlet, parameters=None, select=None):
        """Run ``cmdlet`` with ``parameters``; yield every row of every page."""
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters or {})}}
        url = self.command_url(select)
        seen = set()
        while url:
            seen.add(url)
            page = self._post(cmdlet, url, body)
            for warning in page.get("@adminapi.warnings") or page.get("adminapi.warnings") or []:
                self.warnings.append(warning)
            yield from page.get("value") or []
            next_link = page.get("@odata.nextLink")
            if not next_link or next_link in seen:
                return
            self._check_target(cmdlet, url, next_link)
            url = next_link

    def _remember_region(self, location):
        """Send later commands straight to the regional host the front door sent this one to."""
        parts = urlsplit(location)
        if "/adminapi/" in parts.path.lower():
            self._regional_root = "%s://%s" % (parts.scheme, parts.netloc)

    def _allowed_host(self, url):
        """The token goes only to the configured host, its subdomains (Exchange's regional hosts such as
        ``<prefix>.outlook.office365.com``), or from one loopback name to another (a local endpoint)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https":
            return False
        if host == self._host or host.endswith("." + self._host):
            return True
        return self._host in LOOPBACK_HOSTS and host in LOOPBACK_HOSTS

    def _check_target(self, cmdlet, url, target):
        if not self._allowed_host(target):
            raise ExchangeError("POST", url, code="UnexpectedLocation",
                                message="%s was sent on to %s, which is not on the configured endpoint %s"
                                        % (cmdlet, target, self.base_url),
                                hint="Check exchange_endpoint; the client does not send its token to other hosts.")

    def _headers(self, cmdlet, token, client_request_id):
        return {
            "Authorization": "Bearer " + token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-AnchorMailbox": ANCHOR_MAILBOX % self.tenant,
            "Prefer": "odata.maxpagesize=%d" % self.page_size,
            "X-ResponseFormat": "json",
            "X-CmdletName": cmdlet,
            "client-request-id": client_request_id,
        }

    def _post(self, cmdlet, url, body):
        """POST ``body`` to ``url`` with retries and hand-followed redirects; return the decoded page."""
        data = json.dumps(body).encode("utf-8")
        changes_state = not cmdlet.startswith(READ_VERBS)
        state = self.retry.start()
        token_renewed = False
        target = url
        redirects = 0
        while True:
            token = self.tokens.token(self.scope)
            client_request_id = str(uuid.uuid4())
            state.attempt()
            self.stats["requests"] += 1
            try:
                response = self.session.request("POST", target, data=data, allow_redirects=False,
                                                headers=self._headers(cmdlet, token, client_request_id))
            except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised unless a transport failure
                failure = transport_failure(exc)
                if failure is None:
                    raise
                if failure == TLS_FAILURE:
                    raise self._tls_error("POST", target, exc, state.attempts)
                if changes_state and not connection_lost_before_sending(exc):
                    raise self._transport_error(
                        "POST", target, exc, state.attempts, client_request_id=client_request_id,
                        hint="The connection was lost after %s was sent, so it may have run. It was not sent "
                             "again; check the result before running the task again." % cmdlet)
                delay = state.delay(None)
                refusal = state.refusal(delay)
                if refusal:
                    raise self._transport_error("POST", target, exc, state.attempts, gave_up=refusal,
                                                client_request_id=client_request_id)
                self._wait(state, delay)
                continue
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise self._error_from_response("POST", target, response, state.attempts,
                                                    client_request_id=client_request_id)
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise ExchangeError("POST", target, status=status, code="TooManyRedirects",
                                        message="more than %d redirects" % MAX_REDIRECTS)
                location = urljoin(target, location)
                self._check_target(cmdlet, target, location)
                self._remember_region(location)
                target = location
                continue
            if status == 401 and not token_renewed:
                token_renewed = True
                self.tokens.invalidate(self.scope, token)
                continue
            if status in RETRY_STATUSES and (status == 429 or not changes_state):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                delay = state.delay(retry_after)
                refusal = state.refusal(delay)
                if refusal:
                    raise self._error_from_response("POST", target, response, state.attempts, gave_up=refusal,
                                                    client_request_id=client_request_id)
                self._wait(state, delay)
                continue
            if not 200 <= status < 300:
                raise self._error_from_response("POST", target, response, state.attempts,
                                                client_request_id=client_request_id)
            page = json_or_none(response)
            if not isinstance(page, dict):
                raise ExchangeError("POST", target, status=status, code="UnreadableResponse",
                                    message="the answer to %s was not a JSON object" % cmdlet,
                                    client_request_id=client_request_id)
            return page

    def _wait(self, state, delay):
        state.wait(delay)
        self.stats["retries"] += 1
        self.stats["waited"] += delay
