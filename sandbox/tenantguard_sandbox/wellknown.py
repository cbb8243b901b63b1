"""Identifiers that are the same in every Microsoft 365 tenant.

Directory role template ids, first-party application ids and the resources of each cloud are
Microsoft's own well-known values; a real tenant has them without anyone creating them.
"""

# Directory role templates: (templateId, displayName, description)
ROLE_TEMPLATES = (
    ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator",
     "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader",
     "Can read everything that a Global Administrator can, but not update anything."),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator",
     "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365."),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader",
     "Can read security information and reports in Microsoft Entra ID and Office 365."),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator",
     "Can manage all aspects of the SharePoint service."),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator",
     "Can manage all aspects of the Exchange product."),
    ("31392ffb-586c-42d1-9346-e59415a2cc4e", "Exchange Recipient Administrator",
     "Can create or update Exchange Online recipients within the Exchange Online organization."),
    ("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "Conditional Access Administrator",
     "Can manage Conditional Access capabilities."),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator",
     "Can reset passwords for non-administrators and Helpdesk Administrators."),
    ("b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator",
     "Can perform common billing related tasks like updating payment information."),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator",
     "Can manage all aspects of users and groups, including resetting passwords for limited admins."),
    ("c4e39bd9-1100-46d3-8c65-fb160da0071f", "Authentication Administrator",
     "Can access to view, set and reset authentication method information for any non-admin user."),
    ("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator",
     "Can create and manage all aspects of app registrations and enterprise apps."),
    ("158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator",
     "Can create and manage all aspects of app registrations and enterprise apps except App Proxy."),
    ("966707d0-3269-4727-9be2-8c3a10f19b9d", "Password Administrator",
     "Can reset passwords for non-administrators and Password Administrators."),
    ("7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "Privileged Authentication Administrator",
     "Can access to view, set and reset authentication method information for any user (admin or non-admin)."),
    ("e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator",
     "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management."),
    ("17315797-102d-40b4-93e0-432062caca18", "Compliance Administrator",
     "Can read and manage compliance configuration and reports in Microsoft Entra ID and Microsoft 365."),
    ("e6d1a23a-da11-4be4-9570-befc86d067a7", "Compliance Data Administrator",
     "Creates and manages compliance content."),
    ("3a2c62db-5318-420d-8d74-23affee5d9d5", "Intune Administrator",
     "Can manage all aspects of the Intune product."),
    ("44367163-eba1-44c3-98af-f5787879f96a", "Dynamics 365 Administrator",
     "Can manage all aspects of the Dynamics 365 product."),
    ("11648597-926c-4cf3-9c36-bcebb0ba8dcc", "Power Platform Administrator",
     "Can create and manage all aspects of Microsoft Dynamics 365, Power Apps and Power Automate."),
    ("69091246-20e8-4a56-aa4d-066075b2a7a8", "Teams Administrator",
     "Can manage the Microsoft Teams service."),
    ("8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", "Hybrid Identity Administrator",
     "Can manage Active Directory to Microsoft Entra cloud provisioning, Microsoft Entra Connect and federation settings."),
    ("d29b2b05-8046-44ba-8758-1e26182fcf32", "Directory Synchronization Accounts",
     "Only used by Microsoft Entra Connect service."),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers",
     "Can read basic directory information. Commonly used to grant directory read access to applications and guests."),
    ("9360feb5-f418-4baa-8175-e2a00bac4301", "Directory Writers",
     "Can read and write basic directory information. For granting access to applications, not intended for users."),
    ("fdd7a751-b60b-444a-984c-02652fe8fa1c", "Groups Administrator",
     "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies."),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader",
     "Can read sign-in and audit reports."),
    ("95e79109-95c0-4d8e-aee3-d01accf2d47b", "Guest Inviter",
     "Can invite guest users independent of the 'members can invite guests' setting."),
    ("7698a772-787b-4ac8-901f-60d6b08affd2", "Cloud Device Administrator",
     "Limited access to manage devices in Microsoft Entra ID."),
)

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
    "Directory.Read.All", "Directory.ReadWrite.All",
    "Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All",
    "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.AuthenticationMethod",
    "RoleManagement.Read.Directory", "RoleManagement.Read.All",
    "User.Read.All", "User.ReadWrite.All",
)
