"""Identifiers that are the same in every Microsoft 365 tenant.

Directory role template ids, first-party application ids and the resources of each cloud are
Microsoft's own well-known values; a real tenant has them without anyone creating them.
"""

import json
from importlib import resources


# Directory role templates: (templateId, displayName, description), every built-in role of Microsoft's
# "Microsoft Entra built-in roles" page (see data/README.md for the page and its commit).
def _role_templates():
    source = resources.files("tenantguard_sandbox").joinpath("data", "directory_role_templates.json")
    with source.open("r", encoding="utf-8") as handle:
        document = json.load(handle)
    return tuple((t["id"], t["displayName"], t["description"]) for t in document["templates"])


ROLE_TEMPLATES = _role_templates()

# Roles activated in every tenant (a real tenant activates a role on its first assignment).
ACTIVATED_ROLES = (
    "62e90394-69f5-4237-9190-012177145e10",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "d29b2b05-8046-44ba-8758-1e26182fcf32",
)

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# First-party service principals present in every tenant: (appId, displayName)
FIRST_PARTY_APPS = (
    (GRAPH_APP_ID, "Microsoft Graph"),
    (EXCHANGE_APP_ID, "Office 365 Exchange Online"),
    ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory"),
    ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("0000000a-0000-0000-c000-000000000000", "Microsoft Intune"),
    ("d4ebce55-015a-49b5-a083-c84d1797ae8c", "Microsoft Intune Enrollment"),
    ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
    ("fb78d390-0c51-40cd-8e17-fdbfab77341b", "Microsoft Exchange REST API Based Powershell"),
    ("c5393580-f805-4401-95e8-94b7a6ef2fc2", "Office 365 Management APIs"),
    ("14d82eec-204b-4c2f-b7e8-296a70dab67e", "Microsoft Graph Command Line Tools"),
    ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI"),
)

# Resources (token audiences) per cloud: {cloud: {service: resource}}
CLOUD_RESOURCES = {
    "public": {"graph": "https://graph.microsoft.com", "exchange": "https://outlook.office365.com"},
    "usgov": {"graph": "https://graph.microsoft.us", "exchange": "https://outlook.office365.us"},
    "usgovdod": {"graph": "https://dod-graph.microsoft.us", "exchange": "https://outlook-dod.office365.us"},
    "china": {"graph": "https://microsoftgraph.chinacloudapi.cn", "exchange": "https://outlook.office365.cn"},
}

RESOURCE_APP_IDS = {"graph": GRAPH_APP_ID, "exchange": EXCHANGE_APP_ID}

# Application permissions that belong to Office 365 Exchange Online rather than Microsoft Graph.
EXCHANGE_ROLES = frozenset({
    "Exchange.ManageAsApp", "Exchange.ManageAsAppV2", "full_access_as_app", "Mail.Read",
    "Mail.ReadWrite", "Mail.Send", "MailboxSettings.Read", "MailboxSettings.ReadWrite",
    "Calendars.Read", "Calendars.ReadWrite.All", "Contacts.Read", "Contacts.ReadWrite",
})

# Every Graph application permission the sandbox's endpoints look at; the built-in application
# is granted all of them (and Exchange.ManageAsApp).
GRAPH_ROLES = (
    "Application.Read.All", "Application.ReadWrite.All",
    "Device.Read.All", "Device.ReadWrite.All",
    "DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementRBAC.Read.All", "DeviceManagementRBAC.ReadWrite.All",
    "DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All",
    "Directory.Read.All", "Directory.ReadWrite.All",
    "Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All",
    "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.AuthenticationMethod",
    "RoleManagement.Read.Directory", "RoleManagement.Read.All",
    "User.Read.All", "User.ReadWrite.All",
)
