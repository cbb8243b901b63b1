"""Microsoft 365 products (SKUs) and their service plans, with Microsoft's ids and names.

Source: Microsoft's "Product names and service plan identifiers for licensing" list (learn.microsoft.com,
``entra/identity/users/licensing-service-plan-reference``): the string ids (``skuPartNumber``,
``servicePlanName``) and GUIDs below are those of the list. Each GUID was checked against public copies of
the list and scripts that use it. Which service plans each product carries is a **subset** of the list's
(the plans that matter to mobile access: Office apps, Exchange, Entra ID P1/P2, Intune, and a few others), not
the complete set, which is longer and changes over time.
"""

PLANS = {
    "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",  # Microsoft 365 Apps for enterprise
    "OFFICE_BUSINESS": "094e7854-93fc-4d55-b2c0-3ab5369ebdc1",  # Microsoft 365 Apps for business
    "OFFICEMOBILE_SUBSCRIPTION": "c63d4d19-e8cb-460e-b37c-4d6c34603745",  # Office mobile apps (F3)
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",  # Exchange Online (Plan 1)
    "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",  # Exchange Online (Plan 2)
    "EXCHANGE_S_DESKLESS": "4a82b400-a79f-41a4-b4e2-e94f5787b113",  # Exchange Online Kiosk
    "AAD_PREMIUM": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",  # Microsoft Entra ID P1
    "AAD_PREMIUM_P2": "eec0eb4f-6444-4f95-aba0-50c24d67f998",  # Microsoft Entra ID P2
    "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",  # Microsoft Intune Plan 1
    "MFA_PREMIUM": "8a256a2b-b617-496d-b51b-e76466e88db0",  # Microsoft Entra multifactor authentication
    "SHAREPOINTENTERPRISE": "5dbe027f-2339-4123-9542-606e4d348a72",  # SharePoint (Plan 2)
    "SHAREPOINTWAC": "e95bec33-7c88-4a70-8e19-b10bd9d0c014",  # Office for the web
    "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",  # Skype for Business Online (Plan 2)
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",  # Microsoft Teams
}

# skuPartNumber -> (skuId, service plan names)
PRODUCTS = {
    "SPE_E3": ("05e9a617-0261-4cee-bb44-138d3ef5d965",  # Microsoft 365 E3
               ("OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "INTUNE_A", "MFA_PREMIUM",
                "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "MCOSTANDARD", "TEAMS1")),
    "SPE_E5": ("06ebc4ee-1bb5-47dd-8120-11324bc54e06",  # Microsoft 365 E5
               ("OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "AAD_PREMIUM_P2", "INTUNE_A",
                "MFA_PREMIUM", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "MCOSTANDARD", "TEAMS1")),
    "SPB": ("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",  # Microsoft 365 Business Premium
            ("OFFICE_BUSINESS", "EXCHANGE_S_STANDARD", "AAD_PREMIUM", "INTUNE_A", "MFA_PREMIUM", "SHAREPOINTWAC",
             "TEAMS1")),
    "ENTERPRISEPACK": ("6fd2c87f-b296-42f0-b197-1e91e994b900",  # Office 365 E3: no Entra ID P1, no Intune
                       ("OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC",
                        "MCOSTANDARD", "TEAMS1")),
    "EXCHANGESTANDARD": ("4b9405b0-7788-4568-add1-99614e613b69",  # Exchange Online (Plan 1): mail only
                         ("EXCHANGE_S_STANDARD",)),
    "SPE_F1": ("66b55226-6b4f-492c-910c-a3b7a3c9d993",  # Microsoft 365 F3
               ("OFFICEMOBILE_SUBSCRIPTION", "EXCHANGE_S_DESKLESS", "AAD_PREMIUM", "INTUNE_A", "MFA_PREMIUM",
                "SHAREPOINTWAC", "TEAMS1")),
    "AAD_PREMIUM": ("078d2b04-f1bd-4111-bbd4-b4b1b354cef4", ("AAD_PREMIUM", "MFA_PREMIUM")),  # Entra ID P1
    "AAD_PREMIUM_P2": ("84a661c4-e949-4bd2-a560-ed7766fcaf2b",  # Entra ID P2
                       ("AAD_PREMIUM", "AAD_PREMIUM_P2", "MFA_PREMIUM")),
}


def sku_id(part_number):
    return PRODUCTS[part_number][0]


def plan_id(name):
    return PLANS[name]


def subscribed_sku(tenant_id, part_number, enabled, capability_status="Enabled"):
    """A ``subscribedSku`` as a tenant holds it (``consumedUnits`` is counted when read)."""
    sku, plans = PRODUCTS[part_number]
    return {"id": "%s_%s" % (tenant_id, sku), "skuId": sku, "skuPartNumber": part_number, "appliesTo": "User",
            "capabilityStatus": capability_status, "accountId": tenant_id, "accountName": None,
            "subscriptionIds": [],
            "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [{"servicePlanId": PLANS[p], "servicePlanName": p, "provisioningStatus": "Success",
                              "appliesTo": "User"} for p in plans]}


def assigned(part_number, disabled=()):
    """One ``assignedLicense`` of a user."""
    return {"skuId": sku_id(part_number), "disabledPlans": [plan_id(p) for p in disabled]}
