"""Offline conditional access evaluation: a table of scenarios written from Microsoft's documented rules.

Each scenario names the Learn page whose rule it checks. Policies are Graph bodies built by
``policy()``; sign-ins start from ``BASE`` (a member of the Sales group, in a browser on Windows,
from an address outside every named location, on an unregistered device) and change what the
scenario is about.
"""

import collections
import json

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    AZURE_MANAGEMENT_APP_ID,
    AZURE_PORTAL_APP_ID,
    EXCHANGE_ONLINE_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    OFFICE_HOME_APP_ID,
    OTHER_APPLICATION_ID,
    UNMANAGED_DEVICE,
    device_filter_matches,
    evaluate,
    merge_session_controls,
)

LEARN = "https://learn.microsoft.com/entra/identity/conditional-access/"
POLICIES = ("Building a Conditional Access policy", LEARN + "concept-conditional-access-policies")
USERS = ("Conditional Access: Users, groups, and workload identities", LEARN + "concept-conditional-access-users-groups")
WORKLOAD = ("Conditional Access for workload identities", LEARN + "workload-identity")
TARGETS = ("Conditional Access: Target resources", LEARN + "concept-conditional-access-cloud-apps")
CONDITIONS = ("Conditional Access: Conditions", LEARN + "concept-conditional-access-conditions")
LOCATIONS = ("Using the location condition in a Conditional Access policy", LEARN + "location-condition")
DEVICES = ("Conditional Access: Filter for devices", LEARN + "concept-condition-filters-for-devices")
GRANT = ("Conditional Access: Grant", LEARN + "concept-conditional-access-grant")
REPORT_ONLY = ("Analyze Conditional Access policy impact (report-only mode)",
               LEARN + "concept-conditional-access-report-only")
FLOWS = ("Conditional Access: Authentication flows", LEARN + "concept-authentication-flows")
INSIDER = ("Common Conditional Access policy: Insider risk based policy", LEARN + "how-to-policy-insider-risk")
# "If your tenant has policies with specific conditions and the sign-in details for those conditions
# aren't provided, the What If API can't evaluate those conditions"; "the reason represents the first
# condition that wasn't satisfied"; "only policies that are enabled or in report-only mode are included".
WHAT_IF = ("Troubleshoot Conditional Access Policies with the What If Tool", LEARN + "what-if-tool")
WHAT_IF_REASONS = ("whatIfAnalysisResult resource type (Microsoft Graph)",
                   "https://learn.microsoft.com/graph/api/resources/whatifanalysisresult")
GUEST_TYPES = ("conditionalAccessGuestsOrExternalUsers resource type (Microsoft Graph)",
               "https://learn.microsoft.com/graph/api/resources/conditionalaccessguestsorexternalusers")

ALICE = "a1111111-0000-4000-8000-000000000001"
BOB = "b2222222-0000-4000-8000-000000000002"
SALES = "5a1e5000-0000-4000-8000-000000000010"
FINANCE = "f1a00000-0000-4000-8000-000000000011"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PARTNER_TENANT = "7e000000-0000-4000-8000-0000000000a1"
OTHER_TENANT = "7e000000-0000-4000-8000-0000000000a2"
SERVICE_PRINCIPAL = "5e000000-0000-4000-8000-0000000000b1"
OTHER_SERVICE_PRINCIPAL = "5e000000-0000-4000-8000-0000000000b2"
CONTOSO_HR_APP = "c0000000-0000-4000-8000-0000000000c1"
OFFICE_NETWORK = "10c00000-0000-4000-8000-0000000000d1"
BLOCKED_COUNTRIES = "10c00000-0000-4000-8000-0000000000d2"
UNKNOWN_COUNTRIES = "10c00000-0000-4000-8000-0000000000d3"
BRANCH_NETWORK = "10c00000-0000-4000-8000-0000000000d4"
MFA_STRENGTH = "00000000-0000-0000-0000-000000000002"

NAMED_LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": OFFICE_NETWORK, "displayName": "Office",
     "isTrusted": True, "ipRanges": [
         {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"},
         {"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8:1234::/48"}]},
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": BRANCH_NETWORK, "displayName": "Branch",
     "isTrusted": False, "ipRanges": [{"cidrAddress": "192.0.2.0/28"}]},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": BLOCKED_COUNTRIES, "displayName": "Blocked",
     "countriesAndRegions": ["KP", "RU"], "includeUnknownCountriesAndRegions": False,
     "countryLookupMethod": "clientIpAddress"},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": UNKNOWN_COUNTRIES, "displayName": "Unknown",
     "countriesAndRegions": ["AQ"], "includeUnknownCountriesAndRegions": True},
]

REGISTERED_DEVICE = dict(UNMANAGED_DEVICE, deviceId="d0000000-0000-4000-8000-000000000001", trustType="Workplace",
                         isCompliant=False, operatingSystem="Windows", model="Surface Laptop 5",
                         extensionAttribute1="SAW")
SAW_DEVICE = dict(REGISTERED_DEVICE, trustType="AzureAD", isCompliant=True, mdmAppId="0000000a-0000-0000-c000-000000000000")

BASE = {
    "user": {"id": ALICE, "groups": [SALES], "roles": [], "user_type": "member", "external_user_types": []},
    "application": EXCHANGE_ONLINE_APP_ID,
    "device_platform": "windows",
    "client_app_type": "browser",
    "ip_address": "203.0.113.7",
    "country": "FR",
    "device": UNMANAGED_DEVICE,
    "sign_in_risk": "none",
    "user_risk": "none",
    "authentication_flow": "none",
}


def sign_in(**changes):
    """BASE with changes; ``user`` changes merge into the base user, None removes a key."""
    result = dict(BASE)
    for key, value in changes.items():
        if key == "user" and value is not None and "replace" not in value:
            result["user"] = dict(BASE["user"], **value)
        elif key == "user" and value is not None:
            result["user"] = dict((k, v) for k, v in value.items() if k != "replace")
        else:
            result[key] = value
    return dict((k, v) for k, v in result.items() if v is not None)


def policy(name, grant=("mfa",), operator="OR", state="enabled", users=None, apps=None, session=None, **conditions):
    """A Graph policy: all users and all resources unless told otherwise; ``grant`` None for none."""
    body = {"id": "p-" + name.lower().replace(" ", "-"), "displayName": name, "state": state,
            "conditions": dict({"users": users if users is not None else {"includeUsers": ["All"]},
                                "applications": apps if apps is not None else {"includeApplications": ["All"]},
                                "clientAppTypes": ["all"]}, **conditions),
            "grantControls": None if grant is None else {"operator": operator, "builtInControls": list(grant)},
            "sessionControls": session}
    return body


def block(name, **kwargs):
    return policy(name, grant=("block",), **kwargs)


Scenario = collections.namedtuple("Scenario", "name cite policies sign_in outcome enforced reasons extra")


def scenario(name, cite, policies, sign_in_, outcome, enforced=(), reasons=None, **extra):
    return Scenario(name, cite, policies, sign_in_, outcome, list(enforced), reasons or {}, extra)


SCENARIOS = [
    # ---- users, groups, roles, guests ---------------------------------------------------------
    scenario("all users includes a member", USERS, [policy("MFA")], sign_in(), "grant", ["MFA"]),
    scenario("exclusion of the user beats all users", USERS,
             [policy("MFA", users={"includeUsers": ["All"], "excludeUsers": [ALICE]})], sign_in(), "allow",
             reasons={"MFA": "users"}),
    scenario("exclusion of a group beats inclusion of the same user's group", USERS,
             [policy("MFA", users={"includeGroups": [SALES], "excludeGroups": [SALES]})], sign_in(), "allow",
             reasons={"MFA": "users"}),
    scenario("a group the user is not in", USERS, [policy("MFA", users={"includeGroups": [FINANCE]})], sign_in(),
             "allow", reasons={"MFA": "users"}),
    scenario("a directory role the user holds (role template id)", USERS,
             [policy("Admin MFA", users={"includeRoles": [GLOBAL_ADMIN]})],
             sign_in(user={"roles": [GLOBAL_ADMIN]}), "grant", ["Admin MFA"]),
    scenario("an excluded directory role beats all users", USERS,
             [policy("MFA", users={"includeUsers": ["All"], "excludeRoles": [GLOBAL_ADMIN]})],
             sign_in(user={"roles": [GLOBAL_ADMIN]}), "allow", reasons={"MFA": "users"}),
    scenario("includeUsers None assigns nobody", USERS, [policy("Nobody", users={"includeUsers": ["None"]})],
             sign_in(), "allow", reasons={"Nobody": "users"}),
    scenario("all users includes B2B guests", USERS, [policy("MFA")],
             sign_in(user={"user_type": "guest", "external_user_types": ["b2bCollaborationGuest"],
                           "external_tenant_id": PARTNER_TENANT}), "grant", ["MFA"]),
    scenario("GuestsOrExternalUsers includes a guest", USERS,
             [policy("Guest MFA", users={"includeUsers": ["GuestsOrExternalUsers"]})],
             sign_in(user={"user_type": "guest", "external_user_types": ["b2bCollaborationGuest"]}), "grant",
             ["Guest MFA"]),
    scenario("GuestsOrExternalUsers leaves members out", USERS,
             [policy("Guest MFA", users={"includeUsers": ["GuestsOrExternalUsers"]})], sign_in(), "allow",
             reasons={"Guest MFA": "users"}),
    scenario("guest type and enumerated tenant both match", GUEST_TYPES,
             [policy("Partner MFA", users={"includeGuestsOrExternalUsers": {
                 "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bDirectConnectUser",
                 "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                                     "membershipKind": "enumerated", "members": [PARTNER_TENANT]}}})],
             sign_in(user={"user_type": "guest", "external_user_types": ["b2bCollaborationGuest"],
                           "external_tenant_id": PARTNER_TENANT}), "grant", ["Partner MFA"]),
    scenario("guest from a tenant the policy does not enumerate", GUEST_TYPES,
             [policy("Partner MFA", users={"includeGuestsOrExternalUsers": {
                 "guestOrExternalUserTypes": "b2bCollaborationGuest",
                 "externalTenants": {"membershipKind": "enumerated", "members": [PARTNER_TENANT]}}})],
             sign_in(user={"user_type": "guest", "external_user_types": ["b2bCollaborationGuest"],
                           "external_tenant_id": OTHER_TENANT}), "allow", reasons={"Partner MFA": "users"}),
    scenario("excluded guest type (local guest) beats all users", USERS,
             [policy("MFA", users={"includeUsers": ["All"], "excludeGuestsOrExternalUsers": {
                 "guestOrExternalUserTypes": "internalGuest", "externalTenants": {"membershipKind": "all"}}})],
             sign_in(user={"user_type": "guest", "external_user_types": ["internalGuest"]}), "allow",
             reasons={"MFA": "users"}),
    scenario("an excluded group the sign-in does not state is not enough information", WHAT_IF,
             [policy("MFA", users={"includeUsers": ["All"], "excludeGroups": [FINANCE]})],
             sign_in(user={"replace": True, "id": ALICE}), "allow", reasons={"MFA": "notEnoughInformation"}),
    scenario("a representative user (id None) is no user a policy lists by id", WHAT_IF,
             [policy("MFA", users={"includeUsers": ["All"], "excludeUsers": [BOB]}),
              policy("Bob only", users={"includeUsers": [BOB]})],
             sign_in(user={"id": None}), "grant", ["MFA"], reasons={"Bob only": "users"}),
    scenario("a user whose id is not stated may be the one a policy excludes", WHAT_IF,
             [policy("MFA", users={"includeUsers": ["All"], "excludeUsers": [BOB]})],
             sign_in(user={"replace": True, "groups": [], "roles": []}), "allow",
             reasons={"MFA": "notEnoughInformation"}),
    # ---- workload identities --------------------------------------------------------------------
    scenario("a policy for users does not apply to a service principal", USERS, [policy("MFA")],
             sign_in(user=None, service_principal={"id": SERVICE_PRINCIPAL}), "allow", reasons={"MFA": "users"}),
    scenario("a service principal outside its allowed network is blocked", WORKLOAD,
             [block("SP network", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": [SERVICE_PRINCIPAL]},
                    locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(user=None, service_principal={"id": SERVICE_PRINCIPAL}), "block", ["SP network"]),
    scenario("a service principal from a trusted location is not blocked", WORKLOAD,
             [block("SP network", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": [SERVICE_PRINCIPAL]},
                    locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(user=None, service_principal={"id": SERVICE_PRINCIPAL}, ip_address="198.51.100.20"), "allow",
             reasons={"SP network": "location"}),
    scenario("ServicePrincipalsInMyTenant minus an excluded service principal", WORKLOAD,
             [block("SP risk", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
                                        "excludeServicePrincipals": [SERVICE_PRINCIPAL]})],
             sign_in(user=None, service_principal={"id": SERVICE_PRINCIPAL}), "allow",
             reasons={"SP risk": "workloadIdentities"}),
    scenario("a policy for workload identities does not apply to a user", USERS,
             [block("SP risk", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]})],
             sign_in(), "allow", reasons={"SP risk": "workloadIdentities"}),
    scenario("service principal risk in the listed levels blocks", WORKLOAD,
             [block("SP risk", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]},
                    servicePrincipalRiskLevels=["high"])],
             sign_in(user=None, service_principal={"id": OTHER_SERVICE_PRINCIPAL}, service_principal_risk="high"),
             "block", ["SP risk"]),
    scenario("service principal risk below the listed levels", WORKLOAD,
             [block("SP risk", users={"includeUsers": ["None"]},
                    clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]},
                    servicePrincipalRiskLevels=["high"])],
             sign_in(user=None, service_principal={"id": OTHER_SERVICE_PRINCIPAL}, service_principal_risk="low"),
             "allow", reasons={"SP risk": "workloadIdentities"}),
    # ---- target resources -----------------------------------------------------------------------
    scenario("Office365 covers Exchange Online", TARGETS,
             [policy("O365", apps={"includeApplications": ["Office365"]})], sign_in(), "grant", ["O365"]),
    scenario("Office365 does not cover the Azure portal", TARGETS,
             [policy("O365", apps={"includeApplications": ["Office365"]})],
             sign_in(application=AZURE_PORTAL_APP_ID), "allow", reasons={"O365": "application"}),
    scenario("an excluded app beats All", TARGETS,
             [policy("MFA", apps={"includeApplications": ["All"], "excludeApplications": [EXCHANGE_ONLINE_APP_ID]})],
             sign_in(), "allow", reasons={"MFA": "application"}),
    scenario("MicrosoftAdminPortals covers the Azure portal", TARGETS,
             [policy("Admin portals", apps={"includeApplications": ["MicrosoftAdminPortals"]})],
             sign_in(application=AZURE_PORTAL_APP_ID), "grant", ["Admin portals"]),
    scenario("Windows Azure Service Management API covers the Azure portal", TARGETS,
             [policy("Azure management", apps={"includeApplications": [AZURE_MANAGEMENT_APP_ID]})],
             sign_in(application=AZURE_PORTAL_APP_ID), "grant", ["Azure management"]),
    scenario("Office365 covers Office.com (OfficeHome)", TARGETS,
             [policy("O365", apps={"includeApplications": ["Office365"]})], sign_in(application=OFFICE_HOME_APP_ID),
             "grant", ["O365"]),
    scenario("an app of the tenant's own is under All, not under Office365 or the admin portals", TARGETS,
             [policy("All apps"), policy("O365", apps={"includeApplications": ["Office365"]}),
              policy("Admin portals", apps={"includeApplications": ["MicrosoftAdminPortals"]})],
             sign_in(application=OTHER_APPLICATION_ID), "grant", ["All apps"],
             reasons={"O365": "application", "Admin portals": "application"}),
    scenario("includeApplications None targets nothing", TARGETS,
             [policy("Nothing", apps={"includeApplications": ["None"]})], sign_in(), "allow",
             reasons={"Nothing": "application"}),
    scenario("a selected app does not cover another app", TARGETS,
             [policy("HR app", apps={"includeApplications": [CONTOSO_HR_APP]})],
             sign_in(application=MICROSOFT_GRAPH_APP_ID), "allow", reasons={"HR app": "application"}),
    scenario("a user action policy applies to that user action", TARGETS,
             [policy("Register info", apps={"includeUserActions": ["urn:user:registersecurityinfo"]},
                     locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(application=None, user_action="urn:user:registersecurityinfo"), "grant", ["Register info"]),
    scenario("a user action policy does not apply to an app sign-in", TARGETS,
             [policy("Register info", apps={"includeUserActions": ["urn:user:registersecurityinfo"]})], sign_in(),
             "allow", reasons={"Register info": "userActions"}),
    scenario("an all-resources policy does not apply to a user action", TARGETS, [policy("MFA")],
             sign_in(application=None, user_action="urn:user:registerdevice"), "allow",
             reasons={"MFA": "application"}),
    scenario("an authentication context the policy includes", TARGETS,
             [policy("Context c1", apps={"includeAuthenticationContextClassReferences": ["c1"]})],
             sign_in(authentication_context="c1"), "grant", ["Context c1"]),
    scenario("an authentication context the policy does not include", TARGETS,
             [policy("Context c1", apps={"includeAuthenticationContextClassReferences": ["c1"]})],
             sign_in(application=None, authentication_context="c2"), "allow",
             reasons={"Context c1": "authenticationContext"}),
    scenario("an app the Office365 table does not know is not enough information", TARGETS,
             [policy("O365", apps={"includeApplications": ["Office365"]})], sign_in(application=CONTOSO_HR_APP),
             "allow", reasons={"O365": "notEnoughInformation"}),
    # ---- device platforms -----------------------------------------------------------------------
    scenario("an included platform", CONDITIONS,
             [policy("Mobile", platforms={"includePlatforms": ["iOS", "android"]})], sign_in(device_platform="iOS"),
             "grant", ["Mobile"]),
    scenario("a platform the policy does not include", CONDITIONS,
             [policy("Mobile", platforms={"includePlatforms": ["iOS", "android"]})], sign_in(), "allow",
             reasons={"Mobile": "devicePlatform"}),
    scenario("an excluded platform beats all platforms", CONDITIONS,
             [block("Unsupported", platforms={"includePlatforms": ["all"],
                                              "excludePlatforms": ["android", "iOS", "windows", "macOS", "linux"]})],
             sign_in(device_platform="iOS"), "allow", reasons={"Unsupported": "devicePlatform"}),
    scenario("an unsupported platform falls under all minus the supported ones", CONDITIONS,
             [block("Unsupported", platforms={"includePlatforms": ["all"],
                                              "excludePlatforms": ["android", "iOS", "windows", "macOS", "linux"]})],
             sign_in(device_platform="ChromeOS"), "block", ["Unsupported"]),
    scenario("an unstated platform against a platform list is not enough information", WHAT_IF,
             [policy("Mobile", platforms={"includePlatforms": ["iOS"]})], sign_in(device_platform=None), "allow",
             reasons={"Mobile": "notEnoughInformation"}),
    # ---- client apps ----------------------------------------------------------------------------
    scenario("legacy authentication (other clients) is blocked", CONDITIONS,
             [block("Legacy", clientAppTypes=["exchangeActiveSync", "other"])], sign_in(client_app_type="other"),
             "block", ["Legacy"]),
    scenario("a browser is not a legacy client", CONDITIONS,
             [block("Legacy", clientAppTypes=["exchangeActiveSync", "other"])], sign_in(), "allow",
             reasons={"Legacy": "clientApps"}),
    scenario("client apps not configured apply to Exchange ActiveSync too", CONDITIONS,
             [dict(policy("MFA"), conditions={"users": {"includeUsers": ["All"]},
                                              "applications": {"includeApplications": ["All"]}})],
             sign_in(client_app_type="exchangeActiveSync"), "grant", ["MFA"]),
    scenario("the older easSupported value covers Exchange ActiveSync", CONDITIONS,
             [block("EAS", clientAppTypes=["easSupported"])], sign_in(client_app_type="exchangeActiveSync"), "block",
             ["EAS"]),
    # ---- locations ------------------------------------------------------------------------------
    scenario("any location minus trusted: an address outside them", LOCATIONS,
             [policy("Off network", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(), "grant", ["Off network"]),
    scenario("any location minus trusted: an IPv4 address in a trusted range", LOCATIONS,
             [policy("Off network", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(ip_address="198.51.100.200"), "allow", reasons={"Off network": "location"}),
    scenario("any location minus trusted: an IPv6 address in a trusted range", LOCATIONS,
             [policy("Off network", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(ip_address="2001:db8:1234:5::1"), "allow", reasons={"Off network": "location"}),
    scenario("an untrusted named range is not AllTrusted", LOCATIONS,
             [policy("Off network", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
             sign_in(ip_address="192.0.2.5"), "grant", ["Off network"]),
    scenario("a selected named location by IP range", LOCATIONS,
             [policy("Branch", locations={"includeLocations": [BRANCH_NETWORK]})], sign_in(ip_address="192.0.2.5"),
             "grant", ["Branch"]),
    scenario("a country location blocks a sign-in from a listed country", LOCATIONS,
             [block("Countries", locations={"includeLocations": [BLOCKED_COUNTRIES]})], sign_in(country="RU"),
             "block", ["Countries"]),
    scenario("a country location leaves other countries alone", LOCATIONS,
             [block("Countries", locations={"includeLocations": [BLOCKED_COUNTRIES]})], sign_in(), "allow",
             reasons={"Countries": "location"}),
    scenario("unknown countries are in a location that includes them", LOCATIONS,
             [block("Unknown", locations={"includeLocations": [UNKNOWN_COUNTRIES]}),
              block("Countries", locations={"includeLocations": [BLOCKED_COUNTRIES]})],
             sign_in(country="unknown"), "block", ["Unknown"], reasons={"Countries": "location"}),
    scenario("the named location the sign-in states", LOCATIONS,
             [policy("Branch", locations={"includeLocations": [BRANCH_NETWORK]})],
             sign_in(ip_address=None, country=None, named_location=BRANCH_NETWORK), "grant", ["Branch"]),
    scenario("an unstated location against any location minus trusted is not enough information", WHAT_IF,
             [policy("Off network", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}),
              policy("Any", locations={"includeLocations": ["All"]})],
             sign_in(ip_address=None, country=None), "grant", ["Any"], reasons={"Off network": "notEnoughInformation"}),
    # ---- filter for devices ---------------------------------------------------------------------
    scenario("exclude filter: a privileged access workstation is not blocked", DEVICES,
             [block("Non-SAW", devices={"deviceFilter": {"mode": "exclude",
                                                         "rule": 'device.extensionAttribute1 -eq "SAW"'}})],
             sign_in(device=SAW_DEVICE), "allow", reasons={"Non-SAW": "devices"}),
    scenario("exclude filter with a positive operator: an unregistered device stays in scope", DEVICES,
             [block("Non-SAW", devices={"deviceFilter": {"mode": "exclude",
                                                         "rule": 'device.extensionAttribute1 -eq "SAW"'}})],
             sign_in(), "block", ["Non-SAW"]),
    scenario("extension attributes of a registered device neither managed, compliant nor hybrid joined are null",
             DEVICES,
             [block("Non-SAW", devices={"deviceFilter": {"mode": "exclude",
                                                         "rule": 'device.extensionAttribute1 -eq "SAW"'}})],
             sign_in(device=REGISTERED_DEVICE), "block", ["Non-SAW"]),
    scenario("include filter with a negative operator applies to an unregistered device", DEVICES,
             [policy("Not hybrid", devices={"deviceFilter": {"mode": "include",
                                                             "rule": 'device.trustType -ne "ServerAD"'}})],
             sign_in(), "grant", ["Not hybrid"]),
    scenario("include filter with a positive operator does not apply to an unregistered device", DEVICES,
             [policy("Compliant only", devices={"deviceFilter": {"mode": "include",
                                                                 "rule": "device.isCompliant -eq True"}})],
             sign_in(), "allow", reasons={"Compliant only": "devices"}),
    scenario("include filter with -and / -or and parentheses", DEVICES,
             [policy("Surface", devices={"deviceFilter": {
                 "mode": "include",
                 "rule": '(device.model -startsWith "Surface" -and device.operatingSystem -eq "Windows") '
                         '-or device.trustType -eq "ServerAD"'}})],
             sign_in(device=REGISTERED_DEVICE), "grant", ["Surface"]),
    scenario("a device filter with an unstated device is not enough information", WHAT_IF,
             [policy("Compliant only", devices={"deviceFilter": {"mode": "include",
                                                                 "rule": "device.isCompliant -eq True"}})],
             sign_in(device=None), "allow", reasons={"Compliant only": "notEnoughInformation"}),
    scenario("a device filter rule that does not parse is an invalid condition", WHAT_IF_REASONS,
             [block("Typo", devices={"deviceFilter": {"mode": "include", "rule": 'device.model -equals "x"'}}),
              policy("MFA")],
             sign_in(), "grant", ["MFA"], reasons={"Typo": "invalidCondition"}),
    # ---- risk -----------------------------------------------------------------------------------
    scenario("sign-in risk in the listed levels", CONDITIONS, [policy("Risky", signInRiskLevels=["medium", "high"])],
             sign_in(sign_in_risk="high"), "grant", ["Risky"]),
    scenario("sign-in risk below the listed levels", CONDITIONS,
             [policy("Risky", signInRiskLevels=["medium", "high"])], sign_in(sign_in_risk="low"), "allow",
             reasons={"Risky": "signInRisk"}),
    scenario("sign-in risk the sign-in does not state is not enough information", WHAT_IF,
             [policy("Risky", signInRiskLevels=["high"])], sign_in(sign_in_risk=None), "allow",
             reasons={"Risky": "notEnoughInformation"}),
    scenario("user risk high: password change and MFA, both required", GRANT,
             [policy("User risk", grant=("mfa", "passwordChange"), operator="AND", userRiskLevels=["high"])],
             sign_in(user_risk="high"), "grant", ["User risk"],
             satisfied={("mfa",): False, ("mfa", "passwordChange"): True}),
    scenario("user risk below the listed levels", CONDITIONS,
             [policy("User risk", grant=("mfa", "passwordChange"), operator="AND", userRiskLevels=["high"])],
             sign_in(user_risk="medium"), "allow", reasons={"User risk": "userRisk"}),
    scenario("insider risk elevated is blocked", INSIDER, [block("Insider", insiderRiskLevels="elevated")],
             sign_in(insider_risk="elevated"), "block", ["Insider"]),
    scenario("insider risk minor is not in an elevated-only policy", INSIDER,
             [block("Insider", insiderRiskLevels="moderate,elevated")], sign_in(insider_risk="minor"), "allow",
             reasons={"Insider": "insiderRisk"}),
    # ---- authentication flows -------------------------------------------------------------------
    scenario("device code flow is blocked", FLOWS,
             [block("Device code", authenticationFlows={"transferMethods": "deviceCodeFlow"})],
             sign_in(authentication_flow="deviceCodeFlow"), "block", ["Device code"]),
    scenario("authentication transfer in a policy listing both flows", FLOWS,
             [block("Transfers", authenticationFlows={"transferMethods": "deviceCodeFlow,authenticationTransfer"})],
             sign_in(authentication_flow="authenticationTransfer"), "block", ["Transfers"]),
    scenario("an ordinary sign-in is not a device code flow", FLOWS,
             [block("Device code", authenticationFlows={"transferMethods": "deviceCodeFlow"})], sign_in(), "allow",
             reasons={"Device code": "authenticationFlow"}),
    # ---- combining policies and controls ---------------------------------------------------------
    scenario("block beats grant", POLICIES, [policy("MFA"), block("Block all")], sign_in(), "block",
             ["MFA", "Block all"], satisfied={("mfa", "compliantDevice", "compliantApplication"): False}),
    scenario("every applying policy must be satisfied (AND across policies)", POLICIES,
             [policy("MFA"), policy("Compliant", grant=("compliantDevice",))], sign_in(), "grant",
             ["MFA", "Compliant"],
             satisfied={("mfa",): False, ("compliantDevice",): False, ("mfa", "compliantDevice"): True}),
    scenario("require one of the selected controls (OR)", GRANT,
             [policy("MFA or device", grant=("mfa", "compliantDevice"), operator="OR")], sign_in(), "grant",
             ["MFA or device"], satisfied={("compliantDevice",): True, ("mfa",): True, (): False}),
    scenario("require all the selected controls (AND)", GRANT,
             [policy("MFA and device", grant=("mfa", "compliantDevice"), operator="AND")], sign_in(), "grant",
             ["MFA and device"], satisfied={("mfa",): False, ("mfa", "compliantDevice"): True}),
    scenario("without an operator all selected controls are required", GRANT,
             [dict(policy("Both"), grantControls={"builtInControls": ["mfa", "compliantDevice"]})], sign_in(),
             "grant", ["Both"], satisfied={("mfa",): False, ("mfa", "compliantDevice"): True}),
    scenario("no policy applies: access is allowed", POLICIES,
             [policy("Finance MFA", users={"includeGroups": [FINANCE]})], sign_in(), "allow",
             reasons={"Finance MFA": "users"}, satisfied={(): True}),
    scenario("legacy clients cannot satisfy MFA", CONDITIONS, [policy("MFA")],
             sign_in(client_app_type="exchangeActiveSync"), "grant", ["MFA"], satisfied={("mfa",): False}),
    scenario("approved client app is not available on macOS", GRANT,
             [policy("Approved", grant=("approvedApplication",))], sign_in(device_platform="macOS"), "grant",
             ["Approved"], satisfied={("approvedApplication",): False}),
    scenario("the device code flow cannot satisfy a compliant device requirement", GRANT,
             [policy("Compliant", grant=("compliantDevice",))], sign_in(authentication_flow="deviceCodeFlow"),
             "grant", ["Compliant"], satisfied={("compliantDevice",): False}),
    scenario("an authentication strength is its own requirement", GRANT,
             [dict(policy("Strength", grant=()), grantControls={"operator": "OR", "builtInControls": [],
                                                                "authenticationStrength": {"id": MFA_STRENGTH}})],
             sign_in(), "grant", ["Strength"], satisfied={("mfa",): False, (MFA_STRENGTH,): True}),
    # ---- policy state -----------------------------------------------------------------------------
    scenario("a report-only policy is evaluated, never enforced", REPORT_ONLY,
             [block("Block all", state="enabledForReportingButNotEnforced")], sign_in(), "allow",
             report_only=["Block all"]),
    scenario("report-only policies for user actions are not evaluated", REPORT_ONLY,
             [policy("Register info", state="enabledForReportingButNotEnforced",
                     apps={"includeUserActions": ["urn:user:registersecurityinfo"]})],
             sign_in(application=None, user_action="urn:user:registersecurityinfo"), "allow",
             reasons={"Register info": "userActions"}),
    scenario("a disabled policy is not evaluated", WHAT_IF, [block("Block all", state="disabled"), policy("MFA")],
             sign_in(), "grant", ["MFA"], reasons={"Block all": "policyNotEnabled"}),
]


def names(results):
    return [r.display_name for r in results]


def test_the_table_covers_enough_documented_rules():
    assert len(SCENARIOS) >= 45
    assert len(set(s.name for s in SCENARIOS)) == len(SCENARIOS)
    for item in SCENARIOS:
        title, url = item.cite
        assert title and url.startswith("https://learn.microsoft.com/"), item.name


@pytest.mark.parametrize("case", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(case):
    result = evaluate(case.policies, case.sign_in, named_locations=NAMED_LOCATIONS)
    assert result.outcome == case.outcome, result.as_dict()
    assert names(result.enforced) == case.enforced
    assert names(result.report_only) == case.extra.get("report_only", [])
    assert dict((r.display_name, r.reason) for r in result.not_applied) == case.reasons
    for row in result.not_applied:
        assert row.detail and not row.applies
    for controls, granted in case.extra.get("satisfied", {}).items():
        assert result.satisfied_by(set(controls)) is granted, controls
    json.dumps(result.as_dict())


def test_the_reason_names_the_first_condition_that_does_not_match():
    both_wrong = policy("Mobile finance", users={"includeGroups": [FINANCE]},
                        platforms={"includePlatforms": ["iOS"]})
    row = evaluate([both_wrong], sign_in()).not_applied[0]
    assert row.reason == "users"
    assert "not included" in row.detail
    row = evaluate([both_wrong], sign_in(user={"groups": [FINANCE]})).not_applied[0]
    assert (row.reason, row.detail) == ("devicePlatform", "platform windows is not included: the policy includes iOS")


def test_a_mismatch_outweighs_missing_information():
    """A condition that does not match decides even when another one is unknown."""
    row = evaluate([policy("Mobile", platforms={"includePlatforms": ["iOS"]}, signInRiskLevels=["high"])],
                   sign_in(sign_in_risk=None)).not_applied[0]
    assert row.reason == "devicePlatform"
    assert [r.display_name for r in evaluate([policy("Risky", signInRiskLevels=["high"])],
                                             sign_in(sign_in_risk=None)).undetermined] == ["Risky"]


def test_include_disabled_evaluates_disabled_policies_without_enforcing_them():
    disabled = [block("Block all", state="disabled"), block("Finance block", state="disabled",
                                                            users={"includeGroups": [FINANCE]})]
    result = evaluate(disabled, sign_in(), include_disabled=True)
    assert result.outcome == "allow"
    rows = dict((r.display_name, r) for r in result.not_applied)
    assert rows["Block all"].reason == "policyNotEnabled"
    assert "match" in rows["Block all"].detail
    assert rows["Finance block"].reason == "users"
    assert evaluate(disabled, sign_in()).not_applied[1].detail == "the policy is disabled"


def test_report_only_as_enabled_gives_the_outcome_once_switched_on():
    policies = [block("Legacy", state="enabledForReportingButNotEnforced",
                      clientAppTypes=["exchangeActiveSync", "other"]),
                policy("MFA", state="enabledForReportingButNotEnforced")]
    now = evaluate(policies, sign_in(client_app_type="other"))
    assert (now.outcome, names(now.report_only)) == ("allow", ["Legacy", "MFA"])
    later = evaluate(policies, sign_in(client_app_type="other"), report_only_as_enabled=True)
    assert (later.outcome, names(later.enforced), later.report_only) == ("block", ["Legacy", "MFA"], [])
    assert later.enforced[0].state == "enabledForReportingButNotEnforced"


def test_requirements_list_each_policy_with_its_operator_and_controls():
    result = evaluate([policy("MFA"), policy("Device or app", grant=("compliantApplication", "compliantDevice"),
                                             operator="OR"),
                       dict(policy("Terms"), grantControls={"operator": "AND", "builtInControls": ["mfa"],
                                                            "termsOfUse": ["tou-1"]})], sign_in())
    assert result.requirements == [
        {"policy": "MFA", "policy_id": "p-mfa", "operator": "OR", "controls": ["mfa"], "authentication_strength": None,
         "terms_of_use": [], "custom_authentication_factors": []},
        {"policy": "Device or app", "policy_id": "p-device-or-app", "operator": "OR",
         "controls": ["compliantDevice", "compliantApplication"], "authentication_strength": None,
         "terms_of_use": [], "custom_authentication_factors": []},
        {"policy": "Terms", "policy_id": "p-terms", "operator": "AND", "controls": ["mfa"],
         "authentication_strength": None, "terms_of_use": ["tou-1"], "custom_authentication_factors": []},
    ]
    assert result.satisfied_by({"mfa", "compliantDevice"}) is False
    assert result.satisfied_by({"mfa", "compliantDevice", "tou-1"}) is True
    assert result.satisfied_by({"mfa", "compliantDevice", "termsOfUse"}) is True


def test_session_controls_merge_to_the_most_restrictive():
    four_hours = {"signInFrequency": {"isEnabled": True, "type": "hours", "value": 4,
                                      "frequencyInterval": "timeBased"},
                  "persistentBrowser": {"isEnabled": True, "mode": "always"}}
    one_day = {"signInFrequency": {"isEnabled": True, "type": "days", "value": 1, "frequencyInterval": "timeBased"},
               "persistentBrowser": {"isEnabled": True, "mode": "never"},
               "applicationEnforcedRestrictions": {"isEnabled": True},
               "cloudAppSecurity": {"isEnabled": True, "cloudAppSecurityType": "monitorOnly"}}
    result = evaluate([policy("Four hours", grant=None, session=four_hours),
                       policy("One day", grant=None, session=one_day)], sign_in())
    assert result.outcome == "allow"
    merged = result.session_controls
    assert merged["signInFrequency"]["value"] == 4
    assert merged["persistentBrowser"]["mode"] == "never"
    assert merged["applicationEnforcedRestrictions"] == {"isEnabled": True}
    assert merged["cloudAppSecurity"]["cloudAppSecurityType"] == "monitorOnly"
    every_time = {"signInFrequency": {"isEnabled": True, "authenticationType": "primaryAndSecondaryAuthentication",
                                      "frequencyInterval": "everyTime"}}
    assert merge_session_controls([four_hours, every_time])["signInFrequency"]["frequencyInterval"] == "everyTime"
    block_downloads = {"cloudAppSecurity": {"isEnabled": True, "cloudAppSecurityType": "blockDownloads"}}
    assert merge_session_controls([one_day, block_downloads])["cloudAppSecurity"]["cloudAppSecurityType"] == \
        "blockDownloads"


def test_as_dict_is_json_and_names_every_policy():
    result = evaluate([policy("MFA"), block("Legacy", clientAppTypes=["other"]),
                       policy("Report", state="enabledForReportingButNotEnforced")], sign_in())
    data = json.loads(json.dumps(result.as_dict()))
    assert data["outcome"] == "grant"
    assert [r["display_name"] for r in data["enforced"]] == ["MFA"]
    assert [r["display_name"] for r in data["report_only"]] == ["Report"]
    assert data["not_applied"] == [{"id": "p-legacy", "display_name": "Legacy", "state": "enabled", "applies": False,
                                    "reason": "clientApps", "grant": {"operator": "OR", "builtInControls": ["block"]},
                                    "session": None, "detail": "client app type browser is not one the policy "
                                                               "includes (other)"}]


def test_a_declared_policy_without_id_is_evaluated():
    declared = dict(policy("New"), id=None)
    assert evaluate([declared], sign_in()).enforced[0].id is None


def test_an_ip_address_that_is_not_one_is_refused_with_its_value():
    with pytest.raises(ValueError, match="ip_address 'not-an-ip'"):
        evaluate([policy("MFA")], sign_in(ip_address="not-an-ip"), NAMED_LOCATIONS)


def test_device_filter_matches_is_exported_for_callers():
    assert device_filter_matches('device.trustType -eq "AzureAD"', {"trustType": "azuread"}) is True
    assert device_filter_matches('device.trustType -eq "AzureAD"', UNMANAGED_DEVICE) is False
    assert all(value is None for value in UNMANAGED_DEVICE.values())


def test_a_sign_in_with_problems_is_refused_naming_each_key_value_and_choice():
    with pytest.raises(ValueError) as error:
        evaluate([policy("MFA")], sign_in(client_app_type="imap", sign_in_risk="severe", platform="iOS",
                                          user={"group": [SALES]}, country="France"))
    message = str(error.value)
    assert "sign_in.client_app_type is 'imap'; expected one of browser, mobileAppsAndDesktopClients" in message
    assert "sign_in.sign_in_risk is 'severe'; expected one of none, low, medium, high" in message
    assert "sign_in.platform is not a known key ('iOS')" in message
    assert "sign_in.user.group is not a known key" in message
    assert "sign_in.country is 'France'; expected an ISO 3166 two-letter code or unknown" in message
    with pytest.raises(ValueError, match="both user and service_principal"):
        evaluate([], sign_in(service_principal={"id": SERVICE_PRINCIPAL}))
    with pytest.raises(ValueError, match="sign_in.device.colour is not a device filter property"):
        evaluate([], sign_in(device={"colour": "red"}))
