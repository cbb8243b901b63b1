"""Managed identity endpoint in the App Service style (``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``).

``GET /msi/token?resource=...&api-version=2019-08-01`` with header ``X-IDENTITY-HEADER``; the
secret header value is in ``DIR/msi.json`` (owner-only). Without ``client_id`` / ``object_id`` /
``mi_res_id`` the system-assigned identity (the built-in managed identity) answers; with one, the
seeded application marked ``managedIdentity`` that it names.
"""

import hmac
import time

from ..apps import credential_record
from ..errors import GraphHTTPError
from ..messages import PLAIN_JSON, Response
from ..resource import Route
from ..tenant import MANAGED_IDENTITY_APP_ID
from .login import issue_for


def _msi_error(status, message):
    return GraphHTTPError(status, "msi", message, body={"statusCode": status, "message": message})


def routes(sandbox):
    def token(request):
        expected = sandbox.settings["identityHeader"]
        presented = request.headers.get("X-IDENTITY-HEADER") or ""
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise _msi_error(401, "Unauthorized. The X-IDENTITY-HEADER request header is missing or does not "
                                  "match the IDENTITY_HEADER of this environment.")
        version = request.query.get("api-version")
        if version != "2019-08-01":
            raise _msi_error(400, "The api-version '%s' is not supported. Use api-version=2019-08-01." % version)
        resource = request.query.get("resource")
        if not resource:
            raise _msi_error(400, "The resource query parameter is required.")
        service = sandbox.tenant.service_of_resource(resource)
        if service is None:
            raise _msi_error(400, "AADSTS500011: The resource principal named %s was not found in the tenant "
                                  "named %s." % (resource, sandbox.tenant.display_name))
        record = _identity(request)
        access_token, resource_value = issue_for(sandbox, request, record, service, "2")
        body = {
            "access_token": access_token,
            "expires_on": str(int(time.time()) + 3599),
            "resource": resource_value,
            "token_type": "Bearer",
            "client_id": record["id"],
        }
        return Response(200, body, content_type=PLAIN_JSON)

    def _identity(request):
        client_id = request.query.get("client_id")
        object_id = request.query.get("object_id") or request.query.get("principal_id")
        resource_id = request.query.get("mi_res_id")
        records = [r for r in sandbox.store["appCredentials"].values() if r.get("managedIdentity")]
        found = None
        if client_id:
            found = next((r for r in records if r["id"] == client_id.lower()), None)
        elif object_id:
            found = next((r for r in records if r["servicePrincipalId"] == object_id.lower()), None)
        elif resource_id:
            found = next((r for r in records if (r.get("resourceId") or "").lower() == resource_id.lower()), None)
        else:
            found = credential_record(sandbox.store, MANAGED_IDENTITY_APP_ID)
        if found is None:
            raise _msi_error(400, "No User Assigned or Delegated Managed Identity found for specified "
                                  "ClientId/ResourceId/PrincipalId.")
        return found

    return [Route("GET", "/msi/token", token, service="msi")]
