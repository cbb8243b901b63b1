"""Property names of the directory entity types, used for ``$select`` and ``$filter`` checks.

The lists are the v1.0 structural properties of Microsoft Graph's CSDL (microsoftgraph/msgraph-metadata,
MIT licence); :func:`properties` prefers the schema validator of this package when it knows the type.
"""

BASE = ("id", "deletedDateTime")

PROPERTIES = {
    "user": (
        "aboutMe", "accountEnabled", "ageGroup", "assignedLicenses", "assignedPlans", "authorizationInfo",
        "birthday", "businessPhones", "city", "companyName", "consentProvidedForMinor", "country",
        "createdDateTime", "creationType", "customSecurityAttributes", "department", "deviceEnrollmentLimit",
        "displayName", "employeeHireDate", "employeeId", "employeeLeaveDateTime", "employeeOrgData",
        "employeeType", "externalUserState", "externalUserStateChangeDateTime", "faxNumber", "givenName",
        "hireDate", "identities", "identityParentId", "imAddresses", "interests", "isManagementRestricted",
        "isResourceAccount", "jobTitle", "lastPasswordChangeDateTime", "legalAgeGroupClassification",
        "licenseAssignmentStates", "mail", "mailNickname", "mailboxSettings", "mobilePhone", "mySite",
        "officeLocation", "onPremisesDistinguishedName", "onPremisesDomainName",
        "onPremisesExtensionAttributes", "onPremisesImmutableId", "onPremisesLastSyncDateTime",
        "onPremisesProvisioningErrors", "onPremisesSamAccountName", "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "otherMails", "passwordPolicies",
        "passwordProfile", "pastProjects", "postalCode", "preferredDataLocation", "preferredLanguage",
        "preferredName", "print", "provisionedPlans", "proxyAddresses", "responsibilities", "schools",
        "securityIdentifier", "serviceProvisioningErrors", "showInAddressList", "signInActivity",
        "signInSessionsValidFromDateTime", "skills", "state", "streetAddress", "surname", "usageLocation",
        "userPrincipalName", "userType",
    ),
    "group": (
        "accessType", "allowExternalSenders", "assignedLabels", "assignedLicenses", "autoSubscribeNewMembers",
        "classification", "createdDateTime", "description", "displayName", "expirationDateTime", "groupTypes",
        "hasMembersWithLicenseErrors", "hideFromAddressLists", "hideFromOutlookClients", "infoCatalogs",
        "isArchived", "isAssignableToRole", "isFavorite", "isManagementRestricted", "isSubscribedByMail",
        "licenseProcessingState", "mail", "mailEnabled", "mailNickname", "membershipRule",
        "membershipRuleProcessingState", "onPremisesDomainName", "onPremisesExtensionAttributes",
        "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesProvisioningErrors",
        "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "organizationId",
        "preferredDataLocation", "preferredLanguage", "proxyAddresses", "renewedDateTime",
        "resourceBehaviorOptions", "resourceProvisioningOptions", "securityEnabled", "securityIdentifier",
        "serviceProvisioningErrors", "theme", "uniqueName", "unseenConversationsCount", "unseenCount",
        "unseenMessagesCount", "visibility", "welcomeMessageEnabled",
    ),
    "servicePrincipal": (
        "accountEnabled", "addIns", "alternativeNames", "appDescription", "appDisplayName", "appId",
        "appOwnerOrganizationId", "appRoleAssignmentRequired", "appRoles", "applicationTemplateId",
        "createdByAppId", "customSecurityAttributes", "description", "disabledByMicrosoftStatus",
        "displayName", "homepage", "info", "isDisabled", "keyCredentials", "loginUrl", "logoutUrl", "notes",
        "notificationEmailAddresses", "oauth2PermissionScopes", "passwordCredentials",
        "preferredSingleSignOnMode", "preferredTokenSigningKeyThumbprint", "replyUrls",
        "resourceSpecificApplicationPermissions", "samlSingleSignOnSettings", "servicePrincipalNames",
        "servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
    ),
    "application": (
        "addIns", "api", "appId", "appRoles", "applicationTemplateId", "authenticationBehaviors",
        "certification", "createdByAppId", "createdDateTime", "defaultRedirectUri", "description",
        "disabledByMicrosoftStatus", "displayName", "groupMembershipClaims", "identifierUris", "info",
        "isDeviceOnlyAuthSupported", "isDisabled", "isFallbackPublicClient", "keyCredentials", "logo",
        "managerApplications", "nativeAuthenticationApisEnabled", "notes", "oauth2RequirePostResponse",
        "optionalClaims", "parentalControlSettings", "passwordCredentials", "publicClient", "publisherDomain",
        "requestSignatureVerification", "requiredResourceAccess", "samlMetadataUrl",
        "serviceManagementReference", "servicePrincipalLockConfiguration", "signInAudience", "spa", "tags",
        "tokenEncryptionKeyId", "uniqueName", "verifiedPublisher", "web",
    ),
    "device": (
        "accountEnabled", "alternativeSecurityIds", "approximateLastSignInDateTime",
        "complianceExpirationDateTime", "deviceCategory", "deviceId", "deviceMetadata", "deviceOwnership",
        "deviceVersion", "displayName", "enrollmentProfileName", "enrollmentType", "isCompliant", "isManaged",
        "isManagementRestricted", "isRooted", "managementType", "manufacturer", "mdmAppId", "model",
        "onPremisesLastSyncDateTime", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
        "operatingSystem", "operatingSystemVersion", "physicalIds", "profileType", "registrationDateTime",
        "systemLabels", "trustType",
    ),
    "directoryRole": ("description", "displayName", "roleTemplateId"),
    "directoryRoleTemplate": ("description", "displayName"),
    "organization": ("displayName", "verifiedDomains", "tenantType", "countryLetterCode", "createdDateTime"),
}

# Properties Entra ID does not index for $filter (a filter on them is Request_UnsupportedQuery).
NOT_FILTERABLE = {
    "user": {
        "aboutMe", "birthday", "hireDate", "interests", "mySite", "pastProjects", "preferredName",
        "responsibilities", "schools", "skills", "mailboxSettings", "passwordProfile", "deviceEnrollmentLimit",
        "print", "provisionedPlans", "licenseAssignmentStates", "signInActivity", "customSecurityAttributes",
        "authorizationInfo", "passwordPolicies", "serviceProvisioningErrors", "onPremisesProvisioningErrors",
        "securityIdentifier", "identityParentId", "employeeOrgData", "lastPasswordChangeDateTime",
        "signInSessionsValidFromDateTime", "isManagementRestricted", "isResourceAccount",
    },
    "group": {
        "accessType", "allowExternalSenders", "autoSubscribeNewMembers", "hideFromAddressLists",
        "hideFromOutlookClients", "infoCatalogs", "isArchived", "isFavorite", "isSubscribedByMail",
        "licenseProcessingState", "membershipRuleProcessingState", "serviceProvisioningErrors",
        "onPremisesProvisioningErrors", "theme", "unseenConversationsCount", "unseenCount", "unseenMessagesCount",
        "welcomeMessageEnabled", "securityIdentifier", "isManagementRestricted", "assignedLabels",
    },
    "servicePrincipal": {
        "addIns", "appDescription", "appRoles", "homepage", "info", "keyCredentials", "loginUrl", "logoutUrl",
        "notes", "notificationEmailAddresses", "oauth2PermissionScopes", "passwordCredentials",
        "replyUrls", "resourceSpecificApplicationPermissions", "samlSingleSignOnSettings",
        "tokenEncryptionKeyId", "verifiedPublisher", "customSecurityAttributes", "disabledByMicrosoftStatus",
        "preferredTokenSigningKeyThumbprint",
    },
    "application": {
        "addIns", "api", "appRoles", "certification", "defaultRedirectUri", "groupMembershipClaims", "info",
        "isDeviceOnlyAuthSupported", "isFallbackPublicClient", "keyCredentials", "logo", "notes",
        "oauth2RequirePostResponse", "optionalClaims", "parentalControlSettings", "passwordCredentials",
        "publicClient", "requestSignatureVerification", "samlMetadataUrl", "servicePrincipalLockConfiguration",
        "spa", "tokenEncryptionKeyId", "verifiedPublisher", "web", "authenticationBehaviors",
        "managerApplications", "nativeAuthenticationApisEnabled", "disabledByMicrosoftStatus",
    },
    "device": {"deviceMetadata", "deviceVersion", "isManagementRestricted", "alternativeSecurityIds"},
    "directoryRole": {"description"},
    "directoryRoleTemplate": {"description"},
    "organization": set(),
}

# Properties $search accepts (tokenised prefix match).
SEARCHABLE = {
    "user": ("displayName", "givenName", "surname", "mail", "mailNickname", "userPrincipalName", "jobTitle",
             "department", "employeeId"),
    "group": ("displayName", "description", "mail", "mailNickname"),
    "servicePrincipal": ("displayName", "description", "appDisplayName"),
    "application": ("displayName", "description"),
    "device": ("displayName",),
}

# What GET /users returns on v1.0 without $select.
USER_DEFAULT_SELECT = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                       "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")

# Collection-valued properties of the directory types (Microsoft Graph v1.0 CSDL): a collection is never null
# (OData CSDL 4.0, 6.2.1), so one the object does not hold reads as [] (GET /users on v1.0 returns
# "businessPhones": [] for a user without phones).
COLLECTIONS = frozenset({
    "businessPhones", "imAddresses", "otherMails", "proxyAddresses", "assignedLicenses", "assignedPlans",
    "provisionedPlans", "identities", "groupTypes", "servicePrincipalNames", "tags", "keyCredentials",
    "passwordCredentials", "appRoles", "alternativeNames", "replyUrls", "alternativeSecurityIds", "physicalIds",
    "systemLabels", "notificationEmailAddresses",
})
