# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup option of every tenantguard.m365 module that writes."""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  backup_dir:
    description:
      - Directory in which the task saves, before each write, the object as it was, so that
        M(tenantguard.m365.backup_restore) (or the C(tenantguard.m365.rollback) playbook) can put it back.
      - A task that writes keeps one JSON file, C(<backup_dir>/<tenant_id>/<UTC time>-<module>-<random>.json),
        with one entry per object created, updated or deleted. An entry is written before the request is sent and
        completed after it, so a run that stops half-way still leaves what is needed to undo it. A task that changes
        nothing, and check mode, write no file.
      - The directories the task creates and the files are readable by their owner only (modes 0700 and 0600). The
        files hold Graph objects only, never credentials or tokens.
      - If not set, the environment variable E(TENANTGUARD_BACKUP_DIR) is used, then C(~/.ansible/tenantguard/backups)
        on the host that runs the module (usually the controller).
      - V(none) turns backups off. If the directory cannot be written, the task fails before its first write.
      - Files are never removed by the collection; delete old ones as your retention rules say.
    type: str
notes:
  - The path of the task's backup file is returned as C(backup_file) when the task wrote something.
"""
