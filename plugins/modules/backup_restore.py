#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: backup_restore
short_description: Put back what earlier tasks changed, from their backup files
version_added: 0.1.0
description:
  - Restores the objects recorded in backup files, which the modules of this collection write before each change
    (see O(backup_dir)). Conditional access policies, named locations, authentication strengths, app protection,
    app configuration and compliance policies, enrolment restrictions, and the Exchange ActiveSync objects
    (organisation settings, device access rules, mobile device mailbox policies, the mobile settings of mailboxes,
    quarantine approvals and denials) can be restored.
  - An object the backed-up task B(updated) is set back to its prior settings (only its writable properties are
    sent; read back, it equals the prior object). An object it B(deleted) is created again, with a new id. An object
    it B(created) is deleted.
  - With several files, each object goes back to the state recorded by the first entry that touched it, so the
    files of a whole play restore the tenant as it was before the play.
  - Restoring again changes nothing. The restore keeps its own backup file, so a restore can itself be undone.
  - Every entry is checked before anything is written; an entry that cannot be restored fails the task with the
    entry, the field and the value.
  - Run it in check mode with diff first (the C(tenantguard.m365.rollback) playbook does) to see what would change.
  - Exchange objects go back through the same cmdlets as their modules use, with one C(Get-) per kind of object to
    plan and one to read back, giving access back before taking any away - mailbox policies, mailboxes, the
    device access rules that give access, the organisation settings (default access level), the rules that take
    access away, and last the removal of policies. Graph and Exchange files can be restored by one task.
author:
  - TenantGuard contributors (@tenantguard)
options:
  backup_file:
    description:
      - The backup files to restore, as the writing tasks returned them in C(backup_file).
      - Files are applied as one change set, whatever their order here.
    type: list
    elements: path
  latest:
    description:
      - Restore the newest O(latest) backup files of the task's tenant found in O(backup_dir) (the files of a
        restore count too, so restoring the latest file right after a restore undoes that restore).
    type: int
  emergency_access:
    description:
      - The emergency-access (break-glass) accounts, as for M(tenantguard.m365.conditional_access_policy). A
        conditional access policy restored as enforcing and applying to administrators must exclude them.
    type: dict
    suboptions:
      users:
        description: User principal names or ids.
        type: list
        elements: str
      groups:
        description: Group display names or ids.
        type: list
        elements: str
  acknowledge_lockout_risk:
    description:
      - Restore an enforcing conditional access policy that applies to administrators without emergency-access
        accounts. See M(tenantguard.m365.conditional_access_policy).
    type: bool
    default: false
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.backup
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description: Reads the tenant and reports what the restore would change, with the diff; writes nothing.
    support: full
  diff_mode:
    description: Shows each object as it is now and as it will be once restored.
    support: full
notes:
  - The backup must be of the tenant the task connects to (O(tenant_id) as it was when the backup was written).
  - An object created again gets a new id. References to its old id from objects that the backup files do not hold
    are not updated (Graph refuses to delete a named location or strength that a policy uses, so normally there are
    none); the module warns and lists such objects in RV(recreated).
  - A conditional access policy whose prior settings use the retired C(approvedApplication) grant cannot be restored
    as it was; the task fails and says which entry and field.
  - Device actions (retire, wipe, ...) of M(tenantguard.m365.mobile_device) cannot be undone and are not recorded;
    an entry of an Exchange device (C(exchange:MobileDevice)) is refused, naming it.
  - An Exchange setting recorded as not set (no value) cannot be unset again, and a mailbox policy made the default
    cannot be set back unless the same restore makes another policy the default; such entries are refused, naming
    them, before anything is written. A mailbox that followed the default policy gets that policy assigned by name,
    with a warning.
seealso:
  - name: Backups and rollback
    description: How backups are written and restored.
    link: https://github.com/tenantguard/tenantguard.m365/blob/main/docs/backup_and_rollback.md
'''

EXAMPLES = r'''
- name: See what restoring a backup would change
  tenantguard.m365.backup_restore:
    backup_file: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-named_location-3fa2b1.json
  check_mode: true
  diff: true

- name: Restore the backups of a whole play, as registered by its tasks
  tenantguard.m365.backup_restore:
    backup_file: "{{ [locations.backup_file, policies.backup_file] | select | list }}"
    emergency_access:
      users: [breakglass1@contoso.onmicrosoft.com]

- name: Undo the last change made to this tenant
  tenantguard.m365.backup_restore:
    latest: 1
'''

RETURN = r'''
actions:
  description: One entry per object restored (or that would be, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    backup_file:
      description: The backup file of the entry.
      type: str
    seq:
      description: The entry's number in its file.
      type: int
    noun:
      description: The kind of object, such as C(named location) or, for Exchange, the cmdlet noun such as
        C(ActiveSyncDeviceAccessRule).
      type: str
    display_name:
      description: The object's display name.
      type: str
    id:
      description: The object's id (the new id of an object created again; none in check mode); for an Exchange
        object, its identity, such as C(Outlook for iOS and Android (DeviceModel)).
      type: str
    action:
      description: What the restore did to the object.
      type: str
      choices: [created, updated, deleted]
    backed_up_action:
      description: What the backed-up task had done to it.
      type: str
      choices: [create, update, delete]
  sample: [{"backup_file": "/home/admin/.ansible/tenantguard/backups/contoso/x.json", "seq": 1,
            "noun": "named location", "display_name": "Head office", "id": "0854951d-5fc0-4eb1-b392-9b2c9d7949c2",
            "action": "updated", "backed_up_action": "update"}]
recreated:
  description: The objects created again, with their old and new ids.
  returned: always
  type: list
  elements: dict
  sample: [{"noun": "named location", "display_name": "Head office", "old_id": "0854951d-5fc0-4eb1-b392-9b2c9d7949c2",
            "new_id": "5b8e4c1a-3f1d-4d7e-8c1b-2a9f0e6d7c3b"}]
restored_files:
  description: The backup files restored, oldest first.
  returned: always
  type: list
  elements: str
  sample: ["/home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T133134123456Z-named_location-3fa2b1.json"]
backup_file:
  description: The backup file of this restore (what it changed, as it was before), to undo the restore.
  returned: when the restore changed something and backups are on
  type: str
  sample: /home/admin/.ansible/tenantguard/backups/contoso.onmicrosoft.com/20261125T140000000000Z-backup_restore-9c1d2e.json
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_for, backup_path, resolve_backup_dir
from ansible_collections.tenantguard.m365.plugins.module_utils._restore.restore import (
    Restorer, RestoreFailed, find_backup_files)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    emergency_access_options, resolve_all)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import backup_options, run_module
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption


def argument_spec():
    spec = dict(
        backup_file=dict(type="list", elements="path"),
        latest=dict(type="int"),
        emergency_access=dict(type="dict", options=emergency_access_options()),
        acknowledge_lockout_risk=dict(type="bool", default=False),
    )
    spec.update(backup_options())
    return spec


def chosen_files(module):
    params = module.params
    tenant_id = module.settings.tenant_id
    if params["latest"] is not None:
        if params["latest"] < 1:
            raise InvalidOption("latest", "must be at least 1", value=params["latest"],
                                accepted="the number of newest backup files to restore, such as 1")
        directory = resolve_backup_dir(params["backup_dir"])
        if directory is None:
            raise InvalidOption("backup_dir", "is none, so there is no directory to find the latest backups in",
                                value=params["backup_dir"], accepted="the directory the writing tasks used")
        return find_backup_files(directory, tenant_id, params["latest"])
    if not params["backup_file"]:
        raise InvalidOption("backup_file", "is empty", value=params["backup_file"],
                            accepted="one or more backup files, as the writing tasks returned them in backup_file")
    return list(params["backup_file"])


def run(module):
    params = module.params
    files = chosen_files(module)
    resolver = NameResolver(module.graph, reference_wait=0)
    context = {"resolver": resolver, "acknowledge_lockout_risk": params["acknowledge_lockout_risk"]}
    if params["emergency_access"]:
        context["emergency_access"] = resolve_all([], resolver, params["emergency_access"], module.warn)
    restorer = Restorer(lambda: module.graph, check_mode=module.check_mode, diff_mode=module.diff_mode,
                        warn=module.warn, backup=backup_for(module), context=context,
                        exchange_source=lambda: module.exchange)
    try:
        targets = restorer.restore(files, module.settings.tenant_id)
    except RestoreFailed as exc:
        extra = dict(backup_file=backup_path(module)) if backup_path(module) else {}
        module.fail_from(exc, changed=bool(exc.done), actions=restorer.actions(exc.done),
                         recreated=restorer.recreated, **extra)
        return None
    actions = restorer.actions(targets)
    result = {"changed": bool(actions), "actions": actions, "recreated": restorer.recreated,
              "restored_files": sorted(files)}
    if module.diff_mode:
        result["diff"] = restorer.diff(targets)
    return result


def main():
    module = TenantGuardModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[["backup_file", "latest"]],
        mutually_exclusive=[["backup_file", "latest"]],
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
