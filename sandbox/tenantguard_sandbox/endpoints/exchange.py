"""The Exchange Online admin API gateway: ``POST /adminapi/beta/{tenant}/InvokeCommand``.

Body ``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}``; token audience
``https://outlook.office365.com`` with the ``Exchange.ManageAsApp`` role. Like the real front door,
a request that did not arrive on the "regional" host name (``localhost``; in intercept mode a
subdomain of the cloud's Exchange host, ``eur03b.outlook.office365.com``) is answered with a 302 to
it (switch off with ``--no-regional-redirect``); clients must re-POST there with the same headers.
Results are paged with ``@odata.nextLink`` (the client re-POSTs the same body),
``Prefer: odata.maxpagesize=N`` (default 1000); ``ResultSize`` caps the total (default 1000,
``Unlimited`` for all). Errors come in Exchange's shape: ``error.message`` "Invalid Operation", the
detail in ``error.innererror.internalexception.message`` and ``error.details[0].message``.
"""

import base64
import json
import re
from urllib.parse import quote

from .. import intercept, wellknown
from ..apps import credential_record
from ..auth import authenticate, exchange_error, roles_of
from ..exchange_cmdlets import CMDLETS
from ..messages import Response
from ..resource import Route

REGIONAL_HOST = "localhost"
PAGE_DEFAULT = 1000
PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)
RESULT_SIZE_WARNING = ("By default, only the first %d items are returned. Use the ResultSize parameter to specify "
                       "the number of items returned. To return all items, specify \"-ResultSize Unlimited\". Be "
                       "aware that, depending on the actual number of items, returning all items can take a long "
                       "time and consume a large amount of memory. Also, we don't recommend storing the results in a "
                       "variable. Instead, pipe the results to another task or script to perform batch changes.")


def _page_token(offset):
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(token):
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(state["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, TypeError, KeyError):
        raise exchange_error(400, "The page token '%s' is not valid; follow @odata.nextLink as given." % token) from None


def _result_size(value, default):
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return None
    try:
        size = int(value)
        if size < 1:
            raise ValueError
        return size
    except (TypeError, ValueError):
        raise exchange_error(400, "Cannot process argument transformation on parameter 'ResultSize'. Cannot convert "
                                  "value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\"." % value,
                             kind="ParameterBindingArgumentTransformationException") from None


def _regional_location(sandbox, request):
    """Where the front door sends a request that did not come to the regional host (None: it did)."""
    host_name = (getattr(request, "host", "") or "").rsplit(":", 1)[0].strip("[]").lower()
    if request.intercepted_service == "exchange":
        # Intercept mode: from the cloud's Exchange host to a regional subdomain of it, as the front door does.
        if host_name == intercept.exchange_host_of(host_name):
            return "https://%s%s" % (intercept.regional_host(host_name), request.path)
        return None
    if host_name == REGIONAL_HOST:
        return None
    return "https://%s:%s%s" % (REGIONAL_HOST, sandbox.port, request.path)


# The directory roles the gateway accepts for app-only access (Microsoft's "App-only authentication in Exchange
# Online PowerShell", https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2, "Assign Microsoft
# Entra roles to the application"); 403 with Exchange.ManageAsApp but no role (domain.md §1.3, graph2otel,
# live-measured). Which role may run which cmdlet follows the roles' descriptions (readers read; Exchange and Global
# Administrators change the organisation's settings; Exchange Recipient Administrators also change mailboxes and
# their devices) [the cmdlet-by-cmdlet mapping is unverified].
READ_ROLES = frozenset(["Global Administrator", "Exchange Administrator", "Exchange Recipient Administrator",
                        "Global Reader", "Security Reader", "Security Administrator", "Compliance Administrator",
                        "Helpdesk Administrator"])
WRITE_ROLES = frozenset(["Global Administrator", "Exchange Administrator"])
RECIPIENT_WRITES = frozenset(["set-casmailbox", "remove-mobiledevice", "clear-mobiledevice"])
READ_VERBS = ("get-", "test-")


def _directory_roles(sandbox, app_id):
    record = credential_record(sandbox.store, app_id) or {}
    names = {template_id.lower(): name for template_id, name, _ in wellknown.ROLE_TEMPLATES}
    return {names.get(str(role).lower(), str(role)) for role in record.get("directoryRoles") or []}


def _check_role(sandbox, request, cmdlet_name):
    roles = _directory_roles(sandbox, request.app_id)
    name = cmdlet_name.lower()
    if name.startswith(READ_VERBS):
        needed = READ_ROLES
    elif name in RECIPIENT_WRITES:
        needed = WRITE_ROLES | {"Exchange Recipient Administrator"}
    else:
        needed = WRITE_ROLES
    if not roles & needed:
        raise exchange_error(403, "The application '%s' has no directory role that can run %s; assign it one of: %s."
                             % (request.app_id, cmdlet_name, ", ".join(sorted(needed))),
                             kind="Remoting.PSRemotingTransportException")


def _authorise(sandbox, request, tenant):
    authenticate(sandbox, request, "exchange")
    if not sandbox.tenant.matches(tenant):
        raise exchange_error(401, "The tenant '%s' in the URL is not the tenant of the access token." % tenant,
                             kind="Remoting.PSRemotingTransportException")
    if "Exchange.ManageAsApp" not in roles_of(request):
        raise exchange_error(401, "The role 'Exchange.ManageAsApp' is missing from the access token of "
                                  "application '%s'." % request.app_id,
                             kind="Remoting.PSRemotingTransportException")


def _cmdlet_call(body):
    """``(cmdlet, parameters by their proper names)`` of an InvokeCommand body."""
    cmdlet_input = body.get("CmdletInput") if isinstance(body, dict) else None
    if not isinstance(cmdlet_input, dict) or not isinstance(cmdlet_input.get("CmdletName"), str):
        raise exchange_error(400, "The request body must be {\"CmdletInput\": {\"CmdletName\": \"<name>\", "
                                  "\"Parameters\": {...}}}.")
    name = cmdlet_input["CmdletName"]
    cmdlet = CMDLETS.get(name.lower())
    if cmdlet is None:
        raise exchange_error(400, "The term '%s' is not recognized as a name of a cmdlet, function, script file, "
                                  "or executable program. Check the spelling of the name, or if a path was "
                                  "included, verify that the path is correct and try again." % name,
                             kind="CommandNotFoundException")
    given = cmdlet_input.get("Parameters") or {}
    if not isinstance(given, dict):
        raise exchange_error(400, "CmdletInput.Parameters must be an object of parameter names and values.")
    canonical = {p.lower(): p for p in cmdlet.parameters}
    parameters = {}
    for key, value in given.items():
        if key.startswith("@odata"):
            continue
        proper = canonical.get(key.lower())
        if proper is None:
            raise exchange_error(400, "A parameter cannot be found that matches parameter name '%s'." % key,
                                 kind="ParameterBindingException.AmbiguousParameterSetException")
        parameters[proper] = value
    return cmdlet, parameters


def _page(request, tenant, results, warnings):
    """One page of ``results`` (``Prefer: odata.maxpagesize``, ``$skiptoken``, ``$select``) as the gateway answers."""
    match = PREFER_PAGE.search(request.headers.get("Prefer") or "")
    page_size = max(1, int(match.group(1))) if match else PAGE_DEFAULT
    token = request.query.get("$skiptoken") or request.query.get("skiptoken")
    offset = _offset(token) if token else 0
    page = results[offset:offset + page_size]
    select = request.query.get("$select")
    fields = [f.strip() for f in select.split(",") if f.strip()] if select else None
    value = []
    for item in page:
        row = {k: v for k, v in item.items() if k != "id"}
        if fields:
            row = {f: row.get(f) for f in fields}
        value.append(row)
    base = "%s/adminapi/beta/%s" % (request.base_url, tenant)
    out = {"@odata.context": base + "/$metadata#Collection(Exchange.GenericHashTable)",
           "adminapi.warnings": warnings}
    if offset + page_size < len(results):
        query = "&".join("%s=%s" % (quote(k, safe="$"), quote(v, safe="$,"))
                         for k, v in request.query.items() if k.lower() not in ("$skiptoken", "skiptoken"))
        out["@odata.nextLink"] = "%s/InvokeCommand?%s$skiptoken=%s" % (
            base, query + "&" if query else "", _page_token(offset + page_size))
    out["value"] = value
    return Response(200, out, headers={"Preference-Applied": "odata.maxpagesize=%d" % page_size} if match else None)


def refuse(request, tenant=None, rest=None):
    raise exchange_error(404, "The requested admin API route '%s' is not served by the sandbox; use "
                              "/adminapi/beta/{tenant}/InvokeCommand." % request.path)


def routes(sandbox):
    def invoke(request, tenant):
        location = _regional_location(sandbox, request)
        if sandbox.regional_redirect and location is not None:
            if request.raw_query:
                location += "?" + request.raw_query
            return Response(302, None, headers={"Location": location})
        _authorise(sandbox, request, tenant)
        cmdlet, parameters = _cmdlet_call(request.json())
        _check_role(sandbox, request, cmdlet.name)
        size = _result_size(parameters.get("ResultSize"), cmdlet.default_result_size)
        results = cmdlet.handler(sandbox, parameters)
        warnings = []
        if size is not None and len(results) > size:
            results = results[:size]
            if "ResultSize" not in parameters:
                warnings.append(RESULT_SIZE_WARNING % size)
        return _page(request, tenant, results, warnings)

    return [
        Route("POST", "/adminapi/beta/{tenant}/InvokeCommand", invoke, service="exchange", flags=re.IGNORECASE),
        Route(("GET", "POST", "PUT", "PATCH", "DELETE"), "/adminapi{rest:/.*}", refuse, service="exchange"),
    ]
