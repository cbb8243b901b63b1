"""The one tenant every sandbox holds, and what a real tenant has without anyone creating it.

Built in: the tenant itself (fixed id, ``contoso.onmicrosoft.com``), Microsoft's directory role
templates and the roles every tenant has activated, the first-party service principals, the
application "TenantGuard Sandbox Automation" with every permission (its client secret is random,
made on first start and kept owner-only in ``DIR/tenant.json``) and a system-assigned managed
identity with the same permissions.
"""

import copy
import os
import secrets

from . import wellknown
from .apps import credential_record, register_application, stable_id
from .fsutil import read_json, write_json

TENANT_ID = "7d0b5c3e-4a7f-4f6e-9c1d-2b8e5a9f3c61"
DEFAULT_DOMAIN = "contoso.onmicrosoft.com"
DISPLAY_NAME = "Contoso"
# Every tenant's built-in Intune scope tag (endpoints/intune_rbac.py says on what evidence).
DEFAULT_SCOPE_TAG = {"id": "0", "displayName": "Default", "description": "", "isBuiltIn": True, "assignments": []}
AUTOMATION_APP_ID = "3f6a2d8e-1b4c-4e7a-9d2f-6c8b0a5e7f13"
AUTOMATION_APP_NAME = "TenantGuard Sandbox Automation"
MANAGED_IDENTITY_APP_ID = "9b1e4c7a-2d5f-4a8b-8e3c-7f0a6d2b5c94"
MANAGED_IDENTITY_NAME = "TenantGuard Sandbox Managed Identity"
TENANT_FILE = "tenant.json"


class Tenant:
    """Identity and cloud of the sandbox's tenant."""

    def __init__(self, tenant_id=TENANT_ID, default_domain=DEFAULT_DOMAIN, display_name=DISPLAY_NAME,
                 cloud="public", extra_domains=()):
        self.id = tenant_id
        self.default_domain = default_domain
        self.display_name = display_name
        self.cloud = cloud
        self.domains = {default_domain.lower(), *(d.lower() for d in extra_domains)}

    def matches(self, name):
        """True when ``name`` (a tenant id or domain from a URL) designates this tenant."""
        return name.lower() == self.id or name.lower() in self.domains

    def resources(self):
        """``{service: resource}`` of this tenant's cloud, e.g. graph → https://graph.microsoft.com."""
        return wellknown.CLOUD_RESOURCES[self.cloud]

    def service_of_resource(self, resource):
        """The service ('graph' or 'exchange') a token resource belongs to in this cloud, or None."""
        normalised = resource.rstrip("/").lower()
        for service, value in self.resources().items():
            if value.lower() == normalised or wellknown.RESOURCE_APP_IDS[service] == normalised:
                return service
        return None

    def audiences(self, service):
        """Token ``aud`` values the service accepts."""
        resource = self.resources()[service]
        return {resource, resource + "/", wellknown.RESOURCE_APP_IDS[service]}


def load_settings(state_dir):
    """Read (creating on first start) the owner-only settings file with the built-in secret."""
    path = os.path.join(state_dir, TENANT_FILE)
    settings = read_json(path, default=None)
    if settings is None:
        settings = {
            "tenantId": TENANT_ID,
            "defaultDomain": DEFAULT_DOMAIN,
            "displayName": DISPLAY_NAME,
            "cloud": "public",
            "automationSecret": "tgS~" + secrets.token_urlsafe(30),
            "identityHeader": secrets.token_hex(16),
        }
        write_json(path, settings, indent=1)
    return settings


def save_settings(state_dir, settings):
    write_json(os.path.join(state_dir, TENANT_FILE), settings, indent=1)


def tenant_from_settings(settings):
    return Tenant(settings["tenantId"], settings["defaultDomain"], settings.get("displayName", DISPLAY_NAME),
                  settings.get("cloud", "public"), settings.get("extraDomains", ()))


def _put_if_changed(coll, obj):
    if coll.get(obj["id"], include_hidden=True) != obj:
        coll.put(obj)


def install_builtins(store, tenant, settings):
    """Create what every tenant has; idempotent, and rewrites nothing that is already right."""
    templates = store["directoryRoleTemplates"]
    for template_id, name, description in wellknown.ROLE_TEMPLATES:
        _put_if_changed(templates, {
            "id": template_id, "deletedDateTime": None, "displayName": name, "description": description,
        })
    roles = store["directoryRoles"]
    by_template = {r.get("roleTemplateId"): r for r in roles.values(include_hidden=True)}
    for template_id, name, description in wellknown.ROLE_TEMPLATES:
        if template_id in wellknown.ACTIVATED_ROLES and template_id not in by_template:
            roles.put({
                "id": stable_id("directoryRole", tenant.id, template_id), "deletedDateTime": None,
                "displayName": name, "description": description, "roleTemplateId": template_id,
            })
    sps = store["servicePrincipals"]
    for app_id, name in wellknown.FIRST_PARTY_APPS:
        _put_if_changed(sps, {
            "id": stable_id("sp", tenant.id, app_id), "deletedDateTime": None, "accountEnabled": True,
            "appId": app_id, "appDisplayName": name, "displayName": name,
            "appOwnerOrganizationId": wellknown.MICROSOFT_TENANT_ID, "servicePrincipalType": "Application",
            "servicePrincipalNames": [app_id], "tags": [], "appRoles": [], "keyCredentials": [],
            "passwordCredentials": [], "signInAudience": "AzureADMultipleOrgs",
        })
    every_permission = sorted(set(wellknown.GRAPH_ROLES) | {"Exchange.ManageAsApp"})
    automation = credential_record(store, AUTOMATION_APP_ID)
    if automation is None or automation.get("permissions") != every_permission:
        register_application(store, tenant, {
            "appId": AUTOMATION_APP_ID, "displayName": AUTOMATION_APP_NAME,
            "passwordCredentials": [{"secretText": settings["automationSecret"], "displayName": "sandbox",
                                     "endDateTime": "2099-12-31T00:00:00Z"}],
            "permissions": every_permission, "directoryRoles": ["Global Administrator"],
        }, builtin=True)
    identity = credential_record(store, MANAGED_IDENTITY_APP_ID)
    if identity is None or identity.get("permissions") != every_permission:
        register_application(store, tenant, {
            "appId": MANAGED_IDENTITY_APP_ID, "displayName": MANAGED_IDENTITY_NAME,
            "permissions": every_permission, "managedIdentity": True, "directoryRoles": ["Global Reader"],
        }, builtin=True)
    install_default_scope_tag(store)
    install_default_enrollment_configurations(store, tenant.id)
    members = store["roleMembers"]
    global_admin = next((r for r in roles.values(include_hidden=True)
                         if r.get("roleTemplateId") == "62e90394-69f5-4237-9190-012177145e10"), None)
    automation_sp = stable_id("sp", tenant.id, AUTOMATION_APP_ID)
    if global_admin is not None:
        entry = members.get(global_admin["id"], include_hidden=True) or {"id": global_admin["id"], "members": []}
        if automation_sp not in entry["members"]:
            members.put({"id": global_admin["id"], "members": entry["members"] + [automation_sp]})


def install_default_enrollment_configurations(store, tenant_id):
    """Every tenant's default enrolment restrictions (priority 0; idempotent)."""
    from .endpoints.intune_enrollment import install_default_configurations

    install_default_configurations(store, tenant_id)


def install_default_scope_tag(store):
    """Every tenant's Default Intune scope tag (idempotent)."""
    tags = store["roleScopeTags"]
    if tags.get("0", include_hidden=True) is None:
        tags.put(copy.deepcopy(DEFAULT_SCOPE_TAG))
