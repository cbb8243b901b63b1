"""Licences: the tenant's subscribed SKUs and each user's licence details (read).

Sources (``/work/shared/graph``: ``behavior.md`` section 14, ``examples/licensing/``, the schema's
``subscribedSku``, ``licenseDetails``, ``servicePlanInfo`` and ``assignedLicense`` types; sandbox README
"Licences"):

* ``GET /subscribedSkus`` and ``GET /subscribedSkus/{id}`` (v1.0 and beta) [docs ``subscribedsku-list``,
  ``subscribedsku-get``]: ``id`` is ``<tenant id>_<skuId>`` as in the docs' examples; ``consumedUnits`` is the number
  of users the SKU is assigned to, counted when read. The list "supports only the ``$select`` OData query parameter
  ... It does not support ``$filter``" [docs ``subscribedsku-list``]: the sandbox answers other query options with
  400 (what Graph answers to them is **unverified**). Not paged (a tenant has a handful of SKUs).
  Permission, application: ``LicenseAssignment.Read.All`` (least privileged), ``Organization.Read.All``,
  ``Organization.ReadWrite.All``, ``Directory.Read.All``, ``Directory.ReadWrite.All`` [docs ``subscribedsku-list``].
* ``GET /users/{id}/licenseDetails`` [docs ``user-list-licensedetails``, example in ``examples/licensing/``]: one
  ``licenseDetails`` per assigned SKU, its ``servicePlans`` those of the SKU with ``provisioningStatus``
  ``Disabled`` for the plans in the assignment's ``disabledPlans`` (**unverified**: seen in the output of the
  Graph PowerShell SDK's ``Get-MgUserLicenseDetail`` in public posts, not in Microsoft's reference). The ``id`` of a
  ``licenseDetails`` is opaque in Graph; the sandbox makes a stable one from the user and the SKU. Permission: the
  current reference lists ``LicenseAssignment.Read.All`` and, for application tokens, "Not supported", where earlier
  versions listed ``User.Read.All`` and ``Directory.Read.All`` for applications: the sandbox accepts
  ``LicenseAssignment.Read.All``, ``User.Read.All``, ``User.ReadWrite.All`` and ``Directory.Read*.All``
  (**unverified** which of them an application token is granted with today).
* Users' ``assignedLicenses`` (``[{skuId, disabledPlans}]``) is stored on the user and served by the directory's
  user reads: returned on ``$select`` only (v1.0) [behavior.md 14], and ``$filter=assignedLicenses/any(x:x/skuId eq
  <guid>)`` works without ``ConsistencyLevel`` as the user-list reference's example "List all users with a specific
  license" does (``$select=id,mail,assignedLicenses&$filter=assignedLicenses/any(u:u/skuId eq cbdc14ab-...)``).
"""

import base64

from .. import defaults, permissions
from ..directory import not_found
from ..entity_properties import properties
from ..errors import GraphHTTPError
from ..listing import ListSpec, entity_response, list_response, selected_properties, project
from ..resource import Route

SKUS = permissions.Permission(
    "subscribedSkus", ("LicenseAssignment.Read.All", "Organization.Read.All", "Organization.ReadWrite.All")
    + permissions.DIRECTORY_READ)
LICENSE_DETAILS = permissions.Permission(
    "licenseDetails", ("LicenseAssignment.Read.All", "User.Read.All", "User.ReadWrite.All")
    + permissions.DIRECTORY_READ)


def _user_licenses(user):
    return [a for a in (user.get("assignedLicenses") or []) if isinstance(a, dict) and a.get("skuId")]


class Licensing:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.store = sandbox.store

    # -- subscribed SKUs -------------------------------------------------------------------------------------
    def _consumed(self):
        counts = {}
        for user in self.store["users"].values():
            for assignment in _user_licenses(user):
                key = str(assignment["skuId"]).lower()
                counts[key] = counts.get(key, 0) + 1
        return counts

    def render_sku(self, stored, request, consumed=None):
        version = request.version or "v1.0"
        body = dict(stored)
        body.setdefault("id", "%s_%s" % (self.sandbox.tenant.id, body.get("skuId")))
        consumed = self._consumed() if consumed is None else consumed
        body["consumedUnits"] = consumed.get(str(body.get("skuId")).lower(), 0)
        body["servicePlans"] = [defaults.complete(version, "servicePlanInfo", dict(p))
                                for p in body.get("servicePlans") or []]
        return defaults.complete(version, "subscribedSku", body)

    def sku_spec(self):
        return ListSpec("subscribedSku", "subscribedSkus", properties=lambda v: properties(v, "subscribedSku"),
                        directory=True, max_top=None, default_top=None, countable=False, filterable=False,
                        top_supported=False)

    def _sku_only_select(self, request):
        for key in request.query:
            if key.lower().startswith("$") and key.lower() not in ("$select",):
                raise GraphHTTPError(400, "Request_BadRequest",
                                     "Query option '%s' is not supported on subscribedSkus; only $select is." % key)

    def list_skus(self, request):
        self._sku_only_select(request)
        consumed = self._consumed()
        spec = self.sku_spec()
        spec.render = lambda stored, req: self.render_sku(stored, req, consumed)
        return list_response(request, spec, self.store["subscribedSkus"])

    def get_sku(self, request, key):
        self._sku_only_select(request)
        stored = self.store["subscribedSkus"].get(key)
        if stored is None:
            stored = next((s for s in self.store["subscribedSkus"].values()
                           if str(s.get("id", "")).lower() == key.lower()), None)
        if stored is None:
            raise GraphHTTPError(404, "Request_ResourceNotFound",
                                 "Resource '%s' does not exist or one of its queried reference-property objects "
                                 "are not present." % key)
        spec = self.sku_spec()
        select = selected_properties(request, spec)
        return entity_response(request, project(self.render_sku(stored, request), select), "subscribedSkus/$entity")

    # -- a user's licence details ----------------------------------------------------------------------------
    def _sku_by_id(self):
        return {str(s.get("skuId", "")).lower(): s for s in self.store["subscribedSkus"].values()}

    def license_details(self, request, key):
        user = self.sandbox.directory.find("user", key)
        if user is None:
            raise not_found(key)
        version = request.version or "v1.0"
        skus = self._sku_by_id()
        items = []
        for assignment in _user_licenses(user):
            sku = skus.get(str(assignment["skuId"]).lower()) or {}
            disabled = {str(p).lower() for p in assignment.get("disabledPlans") or []}
            plans = []
            for plan in sku.get("servicePlans") or []:
                plan = dict(plan)
                if str(plan.get("servicePlanId", "")).lower() in disabled:
                    plan["provisioningStatus"] = "Disabled"
                plans.append(defaults.complete(version, "servicePlanInfo", plan))
            raw = ("%s_%s" % (user["id"], assignment["skuId"])).encode("ascii", "replace")
            items.append(defaults.complete(version, "licenseDetails", {
                "id": base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
                "skuId": assignment["skuId"], "skuPartNumber": sku.get("skuPartNumber"), "servicePlans": plans}))
        spec = ListSpec("licenseDetails", "users('%s')/licenseDetails" % user["id"],
                        properties=lambda v: properties(v, "licenseDetails"), directory=True, max_top=999,
                        default_top=None, filterable=True)
        return list_response(request, spec, items)


def routes(sandbox):
    licensing = Licensing(sandbox)
    return [
        Route("GET", "/subscribedSkus", licensing.list_skus, SKUS),
        Route("GET", "/subscribedSkus/{key}", licensing.get_sku, SKUS),
        Route("GET", "/users/{key}/licenseDetails", licensing.license_details, LICENSE_DETAILS),
    ]
