#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_configuration_policy
short_description: Manage Intune app configuration policies for managed apps (Outlook and others)
version_added: 0.1.0
description:
  - Creates, updates and deletes Intune app configuration policies for managed apps
    (C(targetedManagedAppConfiguration)), which hand settings to apps such as Outlook on iOS and Android, enrolled or
    not.
  - Settings are key/value pairs (O(custom_settings)); keys are case-sensitive, as the apps read them. O(outlook)
    offers Outlook's documented keys under friendly names.
  - A policy is found by O(id), or else by O(display_name). A name that matches two policies is an error listing
    their ids; the module never creates a second policy with the same name.
  - Only what differs is sent (one PATCH). Apps change only through the C(targetApps) action and assignments only
    through the C(assign) action, each sent only when the set differs. Order and case do not matter.
  - The tenant's app configuration policies are read with one paged request (C(\$expand=apps,assignments)).
author:
  - TenantGuard contributors (@tenantguard)
options:
  display_name:
    description:
      - The name of the policy (Graph C(displayName)).
      - Identifies the policy when O(id) is not given; with O(id), a different name renames the policy.
      - Required to create a policy.
    type: str
  id:
    description:
      - The id of an existing policy. An id cannot be chosen for a new policy.
    type: str
  description:
    description:
      - The description of the policy.
    type: str
  api_version:
    description:
      - The Graph version to use. V(beta) reaches O(targeted_app_management_levels) and O(role_scope_tag_ids).
    type: str
    choices: [v1.0, beta]
    default: v1.0
  custom_settings:
    description:
      - The settings, as a mapping of key to value (Graph C(customSettings)). Keys are case-sensitive. Booleans are
        sent as C(true) / C(false), other values as text.
      - Replaces every setting of the policy; the keys of O(outlook) are added to it. Left out, the policy's settings
        stay as they are except for the keys O(outlook) sets.
    type: dict
  outlook:
    description:
      - Outlook for iOS and Android settings under friendly names; each sets one documented key (or, for
        O(outlook.work_or_school_accounts_only), three).
    type: dict
    suboptions:
      work_or_school_accounts_only:
        description:
          - Allow only work or school accounts. V(true) sets C(IntuneMAMAllowedAccountsOnly=Enabled) and
            C(IntuneMAMUPN={{userprincipalname}}) (iOS) and C(com.microsoft.intune.mam.AllowedAccountUPNs={{userprincipalname}})
            (Android); V(false) sets C(IntuneMAMAllowedAccountsOnly=Disabled).
        type: bool
      focused_inbox:
        description: C(com.microsoft.outlook.Mail.FocusedInbox).
        type: bool
      block_external_images:
        description: C(com.microsoft.outlook.Mail.BlockExternalImagesEnabled) (Microsoft recommends V(true)).
        type: bool
      save_contacts:
        description: C(com.microsoft.outlook.Contacts.LocalSyncEnabled).
        type: bool
      require_biometrics:
        description: C(com.microsoft.outlook.Auth.Biometric) (leave it off when an app protection PIN is used).
        type: bool
      external_recipients_tooltip:
        description: C(com.microsoft.outlook.Mail.ExternalRecipientsToolTipEnabled).
        type: bool
      default_signature:
        description: C(com.microsoft.outlook.Mail.DefaultSignatureEnabled).
        type: bool
      suggested_replies:
        description: C(com.microsoft.outlook.Mail.SuggestedRepliesEnabled).
        type: bool
      organize_by_thread:
        description: C(com.microsoft.outlook.Mail.OrganizeByThreadEnabled).
        type: bool
      play_my_emails:
        description: C(com.microsoft.outlook.Mail.PlayMyEmailsEnabled).
        type: bool
      text_predictions:
        description: C(com.microsoft.outlook.Mail.TextPredictionsEnabled).
        type: bool
      mail_notifications:
        description: C(com.microsoft.outlook.Mail.NotificationsEnabled).
        type: bool
      calendar_notifications:
        description: C(com.microsoft.outlook.Calendar.NotificationsEnabled).
        type: bool
      wearables_allowed:
        description: C(com.microsoft.intune.mam.areWearablesAllowed).
        type: bool
  targeted_app_management_levels:
    description:
      - The app management levels the policy targets (Graph C(targetedAppManagementLevels), beta only), such as
        C(unmanaged); comma-separated, compared as a set.
    type: str
  role_scope_tag_ids:
    description:
      - Scope tags of the policy (Graph C(roleScopeTagIds), beta only).
    type: list
    elements: str
  apps:
    description:
      - The apps the policy configures. A friendly name (C(outlook), C(teams), C(edge), ...; see
        M(tenantguard.m365.app_protection_policy)) or a raw id targets the app on iOS and Android;
        C(ios:<app>) or C(android:<app>) on one platform only.
      - Compared as a set, without regard to case. Replaces the policy's apps (C(targetApps)) when it differs.
    type: list
    elements: str
  app_group_type:
    description:
      - Which apps the policy targets. V(selectedPublicApps) is assumed when O(apps) is given.
    type: str
    choices: [selectedPublicApps, allCoreMicrosoftApps, allMicrosoftApps, allApps]
  assignments:
    description:
      - The groups the policy applies to. Replaces the whole assignment set (C(assign)) when it differs.
    type: dict
    suboptions:
      include_groups:
        description: Groups, by display name or object id.
        type: list
        elements: str
        default: []
      exclude_groups:
        description: Groups, by display name or object id, that are excluded.
        type: list
        elements: str
        default: []
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.known_groups
attributes:
  check_mode:
    description: Reads the tenant and reports what would change, with the predicted policy; writes nothing.
    support: full
  diff_mode:
    description: Shows the policy before and after, as module options, with group names.
    support: full
notes:
  - The application needs the Graph permission C(DeviceManagementApps.ReadWrite.All), and C(Group.Read.All) to find
    groups by name.
  - Outlook reads managed-app configuration only where an app protection policy also targets the user.
seealso:
  - module: tenantguard.m365.app_configuration_policy_info
  - module: tenantguard.m365.app_protection_policy
  - name: Deploying Outlook for iOS and Android app configuration settings
    description: Microsoft's list of Outlook configuration keys.
    link: "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/outlook-for-ios-and-android/\
      outlook-for-ios-and-android-configuration-with-microsoft-intune"
'''

EXAMPLES = r'''
- name: Outlook for work or school accounts only, external images blocked, contacts saved
  tenantguard.m365.app_configuration_policy:
    display_name: TG - Outlook configuration
    apps: [outlook]
    outlook:
      work_or_school_accounts_only: true
      block_external_images: true
      save_contacts: true
      require_biometrics: false
    assignments:
      include_groups: [Mobile Pilot]

- name: The same with raw keys (case-sensitive)
  tenantguard.m365.app_configuration_policy:
    display_name: TG - Outlook configuration
    apps: [outlook]
    custom_settings:
      IntuneMAMAllowedAccountsOnly: Enabled
      IntuneMAMUPN: "{{ '{{' }}userprincipalname{{ '}}' }}"
      com.microsoft.intune.mam.AllowedAccountUPNs: "{{ '{{' }}userprincipalname{{ '}}' }}"
      com.microsoft.outlook.Mail.BlockExternalImagesEnabled: "true"
'''

RETURN = r'''
app_configuration_policy:
  description:
    - The policy as Graph stores it after the task, as Graph JSON, with C(apps) and C(assignments).
    - In check mode, the predicted policy (without C(id) for a policy that would be created). Null when absent.
  returned: always
  type: dict
  sample:
    id: T_0b1e6a43-5c3f-4f67-8d3e-7a1c2b9d0e11
    displayName: TG - Outlook configuration
    customSettings:
      - name: IntuneMAMAllowedAccountsOnly
        value: Enabled
action:
  description: What the task did (or would do in check mode) to the policy.
  returned: always
  type: str
  choices: [created, updated, deleted, unchanged]
  sample: created
backup_file:
  description:
    - The backup file of the task (see O(backup_dir)), holding each object as it was before the task changed it.
  returned: when the task created, updated or deleted something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-app_configuration_policy-3fa2b1.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_configuration import (
    AppConfigurationType, object_options, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._intune.engine import (
    GroupNames, MamPolicyEngine, group_references)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import checked_known
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_module import ResourceModule


class AppConfigurationModule(ResourceModule):
    """One app configuration policy; its assignments' groups are resolved in one look-up before any write."""

    object_options = staticmethod(object_options)
    groups = None

    def argument_spec(self):
        spec = super().argument_spec()
        spec["known_groups"] = dict(type="list", elements="dict", options=dict(
            id=dict(type="str", required=True), display_name=dict(type="str", required=True)))
        return spec

    def prepare(self, module, items):
        self.groups = GroupNames(lambda: module.graph, module.warn,
                                 known=checked_known("known_groups", module.params["known_groups"]))
        references = []
        for _field, item, state in items:
            if state != "present":
                continue
            references.extend(group_references(item))
            options_to_graph(item)  # every option checked before any request
        self.groups.resolve(references)

    def declared(self, module, item, state, field=""):
        if state == "present":
            desired = options_to_graph(item, self.groups.id_of)
        else:
            desired = {"displayName": item["display_name"]} if item["display_name"] else {}
        return Declared(desired, state=state, id=item["id"])

    def engine(self, module):
        version = module.params["api_version"]
        return MamPolicyEngine.for_module(module, AppConfigurationType(version, self.groups.name_of), api_version=version)


def main():
    AppConfigurationModule().main()


if __name__ == "__main__":
    main()
