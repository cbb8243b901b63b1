# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: backups of the objects a task changes, written before each write.

Not a public API. Every module that writes through the resource engine (``_engine.resource``) keeps, for
the task, ONE backup file::

    <backup_dir>/<tenant>/<UTC time>-<module>-<random>.json

created when the first write is about to be sent (a task that changes nothing leaves no file). The
file holds an entry per object acted on, written BEFORE the request and updated after it:

* ``action: create``: ``display_name`` and the POST body; ``id`` once Graph has answered. An
  entry still ``pending`` without an id (the process died between the POST and its answer) is
  found again by its display name when restoring.
* ``action: update``: ``before``, the whole object as read (read-only fields included).
* ``action: delete``: ``before``, the whole object as read, so that it can be created again.

Each entry also names the resource (``collection``, ``api_version``, ``noun``), the time and a
``status``: ``pending`` (sent, answer not yet recorded), ``done``, or ``failed`` (with the error;
a failed write may still have been carried out, so a restore treats it like the others). The file
names the tenant, the module, and the time the task started.

Directories are created 0700 and the file is written 0600, atomically, through
``_base.private_files``. Only Graph objects go in: no request headers, tokens or credentials (Graph
objects of these resources hold none). When the file cannot be written, the write is not sent.

``backup_dir`` (or ``TENANTGUARD_BACKUP_DIR``): the directory; unset means
``~/.ansible/tenantguard/backups``; ``none`` turns backups off.
"""

import copy
import json
import os
import re
import uuid

from datetime import datetime, timezone

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    PrivateFileError, ensure_private_dir, read_private_file, write_private_file)

FORMAT = "tenantguard.m365.backup"
FORMAT_VERSION = 1
ENV = "TENANTGUARD_BACKUP_DIR"
OFF = "none"
DEFAULT_DIR = os.path.join("~", ".ansible", "tenantguard", "backups")
ACTIONS = ("create", "update", "delete")
STATUSES = ("pending", "done", "failed")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ATTRIBUTE = "_tenantguard_backup_log"


def backup_options():
    """The argument spec of ``backup_dir``, for every module that writes (doc fragment
    ``tenantguard.m365.backup``)."""
    return dict(backup_dir=dict(type="str"))


def utc_now():
    return datetime.now(timezone.utc)


def timestamp(moment):
    """``2026-11-25T13:31:34.123456Z``: ISO 8601 in UTC."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def safe_name(text):
    """A file-name-safe form of a tenant id or module name."""
    cleaned = _UNSAFE.sub("_", str(text or "")).strip("._")
    return cleaned[:80] or "unknown"


def resolve_backup_dir(value, environ=None):
    """The backup directory from the option (or the environment); None when backups are off."""
    environ = os.environ if environ is None else environ
    if value is None or str(value).strip() == "":
        value = environ.get(ENV) or ""
    value = str(value).strip()
    if value.lower() == OFF:
        return None
    if not value:
        value = DEFAULT_DIR
    return os.path.abspath(os.path.expanduser(os.path.expandvars(value)))


class BackupLog:
    """The backup file of one task: entries recorded before each write, completed after."""

    def __init__(self, directory, tenant_id, module_name, clock=utc_now):
        self.directory = directory
        self.tenant_id = tenant_id
        self.module_name = module_name
        self._clock = clock
        self.started = timestamp(clock())
        self.path = None
        self.entries = []

    # -- the file -------------------------------------------------------------------------------
    def _file_path(self):
        tenant_dir = os.path.join(self.directory, safe_name(self.tenant_id))
        try:
            ensure_private_dir(self.directory)
            ensure_private_dir(tenant_dir)
            os.chmod(tenant_dir, 0o700)
        except (PrivateFileError, OSError) as exc:
            raise ConfigError("backup_dir", "cannot be used for backups (%s); nothing was changed" % exc,
                              value=self.directory, kind="Option",
                              accepted="a directory this user can create and write, or none to turn backups off")
        stamp = self.started.replace("-", "").replace(":", "").replace(".", "")
        module = safe_name(str(self.module_name).rsplit(".", 1)[-1])
        return os.path.join(tenant_dir, "%s-%s-%s.json" % (stamp, module, uuid.uuid4().hex[:6]))

    def document(self):
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "tenant_id": self.tenant_id,
            "module": self.module_name,
            "started": self.started,
            "updated": timestamp(self._clock()),
            "entries": self.entries,
        }

    def save(self):
        """Write the whole file again (atomically). Raises ConfigError when it cannot be written."""
        if self.path is None:
            self.path = self._file_path()
        data = json.dumps(self.document(), indent=2, sort_keys=True, default=str).encode("utf-8")
        try:
            write_private_file(self.path, data + b"\n")
        except (PrivateFileError, OSError) as exc:
            raise ConfigError("backup_dir", "the backup file %s cannot be written (%s); the write it was to "
                              "protect was not sent" % (self.path, exc), value=self.directory, kind="Option",
                              accepted="a directory this user can write, or none to turn backups off")

    # -- entries --------------------------------------------------------------------------------
    def record(self, resource, api_version, action, before=None, body=None, writes=None, save=True):
        """Record (and, unless ``save`` is false, save) a write about to be sent; returns the entry to complete
        later. With ``save=False`` the caller saves once for several entries, before the first of their writes."""
        if action not in ACTIONS:
            raise ValueError("unknown backup action %r" % (action,))
        source = before if before is not None else body
        entry = {
            "seq": len(self.entries) + 1,
            "time": timestamp(self._clock()),
            "collection": resource.collection,
            "api_version": api_version,
            "noun": resource.noun,
            "action": action,
            "status": "pending",
            "id": (before or {}).get("id"),
            "display_name": resource.name_of(source or {}),
            "before": copy.deepcopy(before) if action != "create" else None,
        }
        if action == "create":
            entry["body"] = copy.deepcopy(body)
        if writes:
            entry["requests"] = [{"method": w.method, "suffix": w.suffix} for w in writes]
        self.entries.append(entry)
        if save:
            self.save()
        return entry

    def created(self, entry, object_id):
        """The POST of ``entry`` answered with ``object_id`` (follow-up writes may still come)."""
        entry["id"] = object_id
        self.save()

    def done(self, entry, status="done", save=True):
        entry["status"] = status
        entry["completed"] = timestamp(self._clock())
        if save:
            self.save()

    def failed(self, entry, error):
        entry["status"] = "failed"
        entry["error"] = error.describe() if hasattr(error, "describe") else str(error)
        entry["completed"] = timestamp(self._clock())
        self.save()


def module_name_of(module):
    inner = getattr(module, "module", module)
    name = getattr(inner, "_name", None)
    return name or "unknown"


def backup_for(module):
    """The BackupLog of this task's module (one per task), or None when the module has no
    ``backup_dir`` option or backups are off."""
    params = getattr(module, "params", None) or {}
    if "backup_dir" not in params:
        return None
    if hasattr(module, _ATTRIBUTE):
        return getattr(module, _ATTRIBUTE)
    directory = resolve_backup_dir(params.get("backup_dir"))
    log = None
    if directory is not None:
        settings = getattr(module, "settings", None)
        log = BackupLog(directory, getattr(settings, "tenant_id", None) or "unknown", module_name_of(module))
    setattr(module, _ATTRIBUTE, log)
    return log


def backup_path(module):
    """The path of the task's backup file, or None when nothing was written."""
    log = getattr(module, _ATTRIBUTE, None)
    return log.path if log is not None else None


# ---------------------------------------------------------------------------------------------
# Reading


class BackupFileError(ConfigError):
    """A backup file that cannot be read or is not a backup of this collection."""

    def __init__(self, field, problem, value=None, accepted=None):
        super().__init__(field, problem, accepted=accepted, value=value, kind="Option")


def load_backup(path, field="backup_file"):
    """The parsed backup document at ``path``; raises BackupFileError naming what is wrong."""
    accepted = "a backup file written by a tenantguard.m365 module (JSON, format %s)" % FORMAT
    try:
        raw = read_private_file(path)
    except PrivateFileError as exc:
        raise BackupFileError(field, "cannot be read (%s)" % exc, value=path, accepted=accepted)
    if raw is None:
        raise BackupFileError(field, "does not exist", value=path, accepted=accepted)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupFileError(field, "is not JSON (%s)" % exc, value=path, accepted=accepted)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupFileError(field, "is not a backup file", value=path, accepted=accepted)
    if document.get("version") != FORMAT_VERSION:
        raise BackupFileError(field, "has format version %r, which this version of the collection does not read" % (
            document.get("version"),), value=path, accepted="a backup of format version %d" % FORMAT_VERSION)
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise BackupFileError(field, "has no list of entries", value=path, accepted=accepted)
    for index, entry in enumerate(entries):
        where = "%s: entries[%d]" % (path, index)
        if not isinstance(entry, dict) or entry.get("action") not in ACTIONS or not entry.get("collection"):
            raise BackupFileError(field, "%s is not a backup entry" % where, value=path, accepted=accepted)
        if entry["action"] != "create" and not isinstance(entry.get("before"), dict):
            raise BackupFileError(field, "%s (%s) holds no prior object" % (where, entry["action"]), value=path,
                                  accepted=accepted)
        if entry["action"] == "create" and not entry.get("id") and not entry.get("display_name"):
            raise BackupFileError(field, "%s (create) has neither an id nor a display name" % where, value=path,
                                  accepted=accepted)
    return document
