#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: authentication_strength_policy
short_description: Manage conditional access authentication strengths
version_added: 0.1.0
description:
  - Creates, updates and deletes custom Microsoft Entra authentication strengths (Graph
    C(authenticationStrengthPolicy)), which conditional access policies require through their grant controls.
  - The options mirror Microsoft Graph's properties in snake_case. Options left out are not touched.
  - A strength is found by O(id), or else by O(display_name). Names match exactly, and when no strength has the exact
    name, without regard to case (the strength found then takes the name as written). A name that matches two
    strengths is an error listing their ids; the module never creates a second strength with the same name.
  - The name and description change with C(PATCH); the allowed combinations change with Graph's
    C(updateAllowedCombinations) action, the only way Graph offers.
  - The built-in strengths (C(Multifactor authentication), C(Passwordless MFA), C(Phishing resistant MFA)) cannot be
    changed or deleted; a task that would change one fails and says so. A task that declares one as it is changes
    nothing.
  - With O(authentication_strength_policies), one task converges a list of strengths with a single read, and can
    delete the custom strengths it does not declare (O(purge)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of the strength (Graph C(displayName)).
      - Identifies the strength when O(id) is not given; with O(id), a different name renames it.
      - Required to create a strength.
    type: str
  id:
    description:
      - The id of an existing strength. An id cannot be chosen for a new strength.
      - If O(display_name) is also given and another strength has that name, the task fails and names both.
    type: str
  description:
    description:
      - The description of the strength (Graph C(description)). An empty string removes it.
    type: str
  allowed_combinations:
    description:
      - The combinations of authentication methods that satisfy the strength (Graph C(allowedCombinations)).
      - Each combination is one or more of Graph's authentication method modes joined by commas, such as V(fido2),
        V(windowsHelloForBusiness) or V(password,microsoftAuthenticatorPush). The modes are C(password), C(voice),
        C(hardwareOath), C(softwareOath), C(sms), C(fido2), C(windowsHelloForBusiness), C(microsoftAuthenticatorPush),
        C(deviceBasedPush), C(temporaryAccessPassOneTime), C(temporaryAccessPassMultiUse), C(email),
        C(x509CertificateSingleFactor), C(x509CertificateMultiFactor), C(federatedSingleFactor),
        C(federatedMultiFactor) and C(qrCodePin), matched without regard to case.
      - The list replaces the strength's combinations. Neither the order of the combinations nor the order of the
        modes within one matters.
      - Required to create a strength.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the strength, V(absent) deletes it. Deleting a strength that does not exist
        changes nothing.
      - With O(authentication_strength_policies), the state of each item that sets none.
      - Graph refuses to delete a strength that a conditional access policy uses.
    type: str
    choices: [present, absent]
    default: present
  authentication_strength_policies:
    description:
      - Set mode. A list of strengths to converge in one task, each with the options of a single strength.
      - Cannot be combined with the options of a single strength (O(display_name), O(id), ...).
      - Every item is checked, and every change planned, before anything is written.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: The name of the strength; see O(display_name).
        type: str
      id:
        description: The id of an existing strength; see O(id).
        type: str
      description:
        description: See O(description).
        type: str
      allowed_combinations:
        description: See O(allowed_combinations).
        type: list
        elements: str
      state:
        description:
          - V(present) or V(absent) for this strength.
          - If not set, the top-level O(state).
        type: str
        choices: [present, absent]
  purge:
    description:
      - With O(authentication_strength_policies), delete the custom strengths that no item declares and whose name
        matches O(purge_name_pattern). Built-in strengths and strengths whose name does not match are never touched.
      - Purging without O(purge_name_pattern) is refused.
    type: bool
    default: false
  purge_name_pattern:
    description:
      - A Python regular expression that the WHOLE display name of a strength must match, without regard to case,
        for O(purge) to delete it, for example V(TG - .*).
    type: str
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted strengths; writes nothing.
    support: full
  diff_mode:
    description: Shows each strength before and after, as module options.
    support: full
notes:
  - The application needs the Graph permission C(Policy.ReadWrite.ConditionalAccess) (and C(Policy.Read.All)).
  - Requests are spaced to about one per second per tenant, the limit Graph sets for conditional access.
  - Combination configurations (for example the FIDO2 keys a strength allows) are not managed by this module.
seealso:
  - module: tenantguard.m365.authentication_strength_policy_info
  - name: authenticationStrengthPolicy resource type
    description: The Graph resource this module manages.
    link: https://learn.microsoft.com/graph/api/resources/authenticationstrengthpolicy
'''

EXAMPLES = r'''
- name: A strength that only phishing-resistant methods satisfy
  tenantguard.m365.authentication_strength_policy:
    display_name: Admin sign-in
    description: FIDO2 keys and Windows Hello for Business
    allowed_combinations:
      - fido2
      - windowsHelloForBusiness

- name: Allow the Authenticator app as well (sent through updateAllowedCombinations)
  tenantguard.m365.authentication_strength_policy:
    display_name: Admin sign-in
    allowed_combinations:
      - fido2
      - windowsHelloForBusiness
      - password, microsoftAuthenticatorPush

- name: Delete a strength
  tenantguard.m365.authentication_strength_policy:
    display_name: Old strength
    state: absent

- name: Converge the strengths the baseline owns, and delete those it no longer declares
  tenantguard.m365.authentication_strength_policy:
    authentication_strength_policies:
      - display_name: TG - Admins
        allowed_combinations: [fido2, x509CertificateMultiFactor]
      - display_name: TG - Guests
        allowed_combinations: ["password,sms", "password,voice"]
    purge: true
    purge_name_pattern: "TG - .*"
'''

RETURN = r'''
authentication_strength_policy:
  description:
    - The strength as Graph stores it after the task, as Graph JSON.
    - In check mode, the predicted strength (without C(id) for a strength that would be created).
    - Null when the strength is absent.
  returned: when O(authentication_strength_policies) is not used
  type: dict
  sample:
    id: dd055c42-4218-4281-8631-f090e171f5cd
    displayName: Admin sign-in
    description: FIDO2 keys and Windows Hello for Business
    policyType: custom
    requirementsSatisfied: mfa
    allowedCombinations: [fido2, windowsHelloForBusiness]
    combinationConfigurations: []
action:
  description: What the task did (or would do in check mode) to the strength.
  returned: when O(authentication_strength_policies) is not used
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: updated
authentication_strength_policies:
  description: The strengths of the items whose state is present, in the order given, as Graph JSON.
  returned: when O(authentication_strength_policies) is used
  type: list
  elements: dict
  sample: []
actions:
  description:
    - One entry per strength created, updated or deleted (or that would be, in check mode).
    - Strengths deleted by O(purge) have C(purged=true).
  returned: when O(authentication_strength_policies) is used
  type: list
  elements: dict
  sample: [{"display_name": "TG - Admins", "id": "dd055c42-4218-4281-8631-f090e171f5cd", "action": "created",
            "purged": false}]
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-authentication_strength_policy-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import (
    AuthenticationStrengthType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule


class AuthenticationStrengthModule(ResourceModule):
    """The authentication strengths: one object, or a set (O(authentication_strength_policies)) with purge."""

    list_option = "authentication_strength_policies"
    object_options = staticmethod(object_options)
    to_graph = staticmethod(options_to_graph)

    def resource_type(self, module):
        return AuthenticationStrengthType()


def main():
    AuthenticationStrengthModule().main()


if __name__ == "__main__":
    main()
