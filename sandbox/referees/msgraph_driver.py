"""Drive Microsoft's Graph SDK for Python (msgraph-sdk or msgraph-beta-sdk) through every resource type the
Graph sandbox models: list (following every page), get, create, update and delete where Graph allows it.

Runs inside the referee's own virtual environment, as any user's script would: ``GraphServiceClient`` with
azure-identity's ``ClientSecretCredential`` from ``AZURE_TENANT_ID`` / ``AZURE_CLIENT_ID`` /
``AZURE_CLIENT_SECRET``, no base URL and no transport of its own. The proxy and the CA come from the
environment (``HTTPS_PROXY``, ``SSL_CERT_FILE`` for httpx, ``REQUESTS_CA_BUNDLE`` for azure-identity).

    python msgraph_driver.py v1.0|beta > results.json

Prints one JSON document: ``{"sdk", "results": [{"resource", "op", "ok", "error", "count", "id",
"unknown"}], "created": {...}}``. ``unknown`` lists properties of an answer that the SDK's model does not
know (they land in ``additional_data``): the sandbox returned something Graph's model has no place for.
"""

import asyncio
import json
import os
import sys
import traceback
import warnings

warnings.simplefilter("ignore")

VERSION = sys.argv[1] if len(sys.argv) > 1 else "v1.0"
if VERSION == "beta":
    from msgraph_beta import GraphServiceClient
    import msgraph_beta.generated.models as models_package
    SDK = "msgraph-beta-sdk"
else:
    from msgraph import GraphServiceClient
    import msgraph.generated.models as models_package
    SDK = "msgraph-sdk"
import importlib  # noqa: E402
import pkgutil  # noqa: E402


class Models:
    """``models.IpNamedLocation``: the SDK's model classes, each in a module of its own (``ip_named_location``)."""

    def __init__(self, package):
        self._package = package.__name__
        self._modules = {m.name.replace("_", ""): m.name for m in pkgutil.iter_modules(package.__path__)}

    def __getattr__(self, name):
        module = importlib.import_module("%s.%s" % (self._package, self._modules[name.lower()]))
        return getattr(module, name)


models = Models(models_package)
from azure.identity import ClientSecretCredential  # noqa: E402
from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402

RESULTS = []
CREATED = {}
MARK = "Referee %s" % SDK


def unknown_properties(value, path=""):
    """Keys the SDK put into additional_data (OData annotations aside), recursively."""
    found = []
    if isinstance(value, list):
        for item in value:
            found += unknown_properties(item, path)
        return found
    data = getattr(value, "additional_data", None)
    if data is None:
        return found
    for key in data:
        if "@" not in key:
            found.append(path + key)
    for name, attr in vars(value).items():
        if name in ("additional_data", "backing_store", "odata_type") or attr is None:
            continue
        if isinstance(attr, list) or hasattr(attr, "additional_data"):
            found += unknown_properties(attr, path + name + ".")
    return sorted(set(found))


async def step(resource, op, coroutine_factory, count=None):
    record = {"resource": resource, "op": op, "ok": False, "error": None, "count": None, "id": None, "unknown": []}
    try:
        value = await coroutine_factory()
        record["ok"] = True
        if count is not None:
            record["count"] = count(value)
        if value is not None and hasattr(value, "id"):
            record["id"] = value.id
        if value is not None:
            record["unknown"] = unknown_properties(getattr(value, "value", None) or value)
        RESULTS.append(record)
        return value
    except Exception as exc:  # the point is to report every failure, whatever its kind
        error = getattr(exc, "error", None)
        record["error"] = "%s: %s %s" % (type(exc).__name__, getattr(error, "code", ""),
                                         getattr(error, "message", "") or str(exc))
        record["traceback"] = traceback.format_exc()[-1500:]
        RESULTS.append(record)
        return None


async def all_pages(builder, top=None):
    """Every item of a collection, following @odata.nextLink with the SDK's own with_url."""
    config = None
    if top:
        params_class = next(v for k, v in vars(type(builder)).items() if k.endswith("QueryParameters"))
        config = RequestConfiguration(query_parameters=params_class(top=top))
    page = await builder.get(request_configuration=config)
    items, pages = list(page.value or []), 1
    unknown = unknown_properties(page.value or [])
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        items += page.value or []
        unknown += unknown_properties(page.value or [])
        pages += 1
    return Listed(items, pages, sorted(set(unknown)))


class Listed:
    def __init__(self, items, pages, unknown):
        self.value = items
        self.pages = pages
        self.unknown = unknown
        self.id = None
        self.additional_data = None


async def listing(resource, builder, top=None):
    listed = await step(resource, "list", lambda: all_pages(builder, top))
    if listed is not None:
        RESULTS[-1]["count"] = len(listed.value)
        RESULTS[-1]["pages"] = listed.pages
        RESULTS[-1]["unknown"] = listed.unknown
    return listed.value if listed is not None else []


async def directory(client):
    for name in ("users", "groups", "devices", "service_principals", "applications", "directory_roles",
                 "directory_role_templates"):
        builder = getattr(client, name)
        items = await listing(name, builder, top=100 if name == "users" else None)
        if items:
            await step(name, "get", lambda b=builder, i=items[0].id: by_key(b)(i).get())
    await listing("organization", client.organization)


def by_key(builder):
    """The SDK's ``by_<entity>_id`` indexer of a collection builder."""
    name = next(n for n in dir(builder) if n.startswith("by_") and n.endswith("_id"))
    return getattr(builder, name)


async def crud(resource, builder, body, patch, list_too=True):
    created = await step(resource, "create", lambda: builder.post(body))
    if created is None:
        return None
    CREATED[resource] = created.id
    item = by_key(builder)(created.id)
    await step(resource, "get", lambda: item.get())
    if list_too:
        items = await listing(resource, builder)
        RESULTS[-1]["found"] = any(i.id == created.id for i in items)
    await step(resource, "update", lambda: item.patch(patch))
    after = await step(resource, "get after update", lambda: item.get())
    if after is not None:
        RESULTS[-1]["display_name"] = getattr(after, "display_name", None)
    return item


async def conditional_access(client):
    ca = client.identity.conditional_access
    location = models.IpNamedLocation(
        display_name=MARK + " location", is_trusted=False,
        ip_ranges=[models.IPv4CidrRange(cidr_address="198.51.100.0/24")])
    location_item = await crud("namedLocations", ca.named_locations, location,
                               models.IpNamedLocation(display_name=MARK + " location updated", is_trusted=True))
    country = models.CountryNamedLocation(display_name=MARK + " countries", countries_and_regions=["FR", "DE"],
                                          include_unknown_countries_and_regions=False)
    country_item = await crud("namedLocations (country)", ca.named_locations, country,
                              models.CountryNamedLocation(display_name=MARK + " countries updated",
                                                          countries_and_regions=["FR", "DE"]),
                              list_too=False)
    policy = models.ConditionalAccessPolicy(
        display_name=MARK + " policy", state=models.ConditionalAccessPolicyState.EnabledForReportingButNotEnforced,
        conditions=models.ConditionalAccessConditionSet(
            client_app_types=[models.ConditionalAccessClientApp.All],
            applications=models.ConditionalAccessApplications(include_applications=["Office365"]),
            users=models.ConditionalAccessUsers(include_users=["All"]),
            platforms=models.ConditionalAccessPlatforms(include_platforms=[models.ConditionalAccessDevicePlatform.IOS,
                                                                           models.ConditionalAccessDevicePlatform.Android])),
        grant_controls=models.ConditionalAccessGrantControls(
            operator="OR", built_in_controls=[models.ConditionalAccessGrantControl.CompliantApplication]))
    policy_item = await crud("policies", ca.policies, policy,
                             models.ConditionalAccessPolicy(display_name=MARK + " policy updated"))
    listed = await listing("policies (seeded)", ca.policies)
    for seeded in listed:
        if seeded.display_name == "SDK visible":
            strength = seeded.grant_controls.authentication_strength if seeded.grant_controls else None
            RESULTS[-1]["seeded"] = {
                "id": seeded.id, "state": seeded.state.value if seeded.state else None,
                "include_users": seeded.conditions.users.include_users,
                "strength": strength.display_name if strength else None,
                "strength_combinations": [c.value if c is not None else None for c in (strength.allowed_combinations or [])] if strength else None,
            }
    await listing("templates", ca.templates)
    templates = [r for r in RESULTS if r["resource"] == "templates" and r["op"] == "list"]
    if templates and templates[-1]["ok"]:
        first = (await ca.templates.get()).value[0]
        await step("templates", "get", lambda: ca.templates.by_conditional_access_template_id(first.id).get())
    strengths = client.policies.authentication_strength_policies
    strength = models.AuthenticationStrengthPolicy(
        display_name=MARK + " strength", description="referee",
        allowed_combinations=[models.AuthenticationMethodModes.Fido2, models.AuthenticationMethodModes.WindowsHelloForBusiness])
    strength_item = await crud("authenticationStrengthPolicies", strengths, strength,
                               models.AuthenticationStrengthPolicy(display_name=MARK + " strength updated"))
    contexts = ca.authentication_context_class_references
    context = models.AuthenticationContextClassReference(id="c42", display_name=MARK + " context",
                                                         description="referee", is_available=True)
    context_item = await crud("authenticationContextClassReferences", contexts, context,
                              models.AuthenticationContextClassReference(display_name=MARK + " context updated"))
    for name, item in (("policies", policy_item), ("namedLocations", location_item),
                       ("namedLocations (country)", country_item),
                       ("authenticationStrengthPolicies", strength_item),
                       ("authenticationContextClassReferences", context_item)):
        if item is not None:
            await step(name, "delete", lambda i=item: i.delete())


async def intune(client):
    dam = client.device_app_management
    ios = models.IosManagedAppProtection(display_name=MARK + " iOS", description="referee",
                                         pin_required=True, minimum_required_os_version="16.0")
    android = models.AndroidManagedAppProtection(display_name=MARK + " Android", description="referee",
                                                 pin_required=True, minimum_required_os_version="12.0")
    config = models.TargetedManagedAppConfiguration(
        display_name=MARK + " config", description="referee",
        custom_settings=[models.KeyValuePair(name="com.microsoft.outlook.Mail.FocusedInbox", value="false")])
    items = [
        ("iosManagedAppProtections", await crud("iosManagedAppProtections", dam.ios_managed_app_protections, ios,
                                                models.IosManagedAppProtection(display_name=MARK + " iOS updated"))),
        ("androidManagedAppProtections", await crud("androidManagedAppProtections",
                                                    dam.android_managed_app_protections, android,
                                                    models.AndroidManagedAppProtection(
                                                        display_name=MARK + " Android updated"))),
        ("targetedManagedAppConfigurations", await crud("targetedManagedAppConfigurations",
                                                        dam.targeted_managed_app_configurations, config,
                                                        models.TargetedManagedAppConfiguration(
                                                            display_name=MARK + " config updated"))),
    ]
    await listing("managedAppPolicies", dam.managed_app_policies)
    for name, item in items:
        if item is None:
            continue
        await listing(name + "/assignments", item.assignments)
        await listing(name + "/apps", item.apps)
        await step(name, "delete", lambda i=item: i.delete())
    devices = await listing("managedDevices", client.device_management.managed_devices)
    if devices:
        await step("managedDevices", "get",
                   lambda: client.device_management.managed_devices.by_managed_device_id(devices[0].id).get())


async def main():
    credential = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"],
                                        os.environ["AZURE_CLIENT_SECRET"])
    client = GraphServiceClient(credentials=credential, scopes=["https://graph.microsoft.com/.default"])
    await directory(client)
    await conditional_access(client)
    await intune(client)


if __name__ == "__main__":
    asyncio.run(main())
    json.dump({"sdk": SDK, "version": VERSION, "results": RESULTS, "created": CREATED}, sys.stdout, indent=1)
