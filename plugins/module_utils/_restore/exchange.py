# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: putting back the Exchange objects that backup files recorded, through the cmdlet engine.

Not a public API. Used by ``_restore.restore`` for the entries of the Exchange modules (collections
``exchange:<noun>``, written by ``_exchange.engine.send``): the ActiveSync organisation settings, device access
rules, mobile device mailbox policies and the mobile settings of mailboxes (CAS mailboxes; also the device id lists
that quarantine approvals and denials change). Device entries (a wipe, a removed partnership) are refused by name.

* **Reading.** Each entry is checked as the modules check their options (the rule's query string and
  characteristic, the policy's name, the mailbox's identity, every recorded setting through its ``Field``); an
  entry of another Exchange kind, a setting the modules do not set, or a value Exchange would not take, is refused
  naming the file and the entry, before any command is sent.
* **Planning.** Every kind restored is read with ONE Get- command, and each object planned with the modules' own
  ``plan``: an updated object is set back (only the settings that differ), a removed one created again with its
  recorded settings, a created one removed. The modules' refusals apply (the default mailbox policy is never
  removed, nor its default flag taken away; a mailbox names an existing policy).
* **Writing, in Exchange's order.** Mailbox policies restored (a policy made the default again first), then the
  mailboxes, then the device access rules that give access (an Allow rule created or set back, a Block or
  Quarantine rule removed), then the organisation settings, then the rules that take access away, and last the
  removal of policies created since (Exchange refuses to remove a policy a mailbox still uses). So an allow rule is
  in place before the default access level goes back to Quarantine or Block, and the default is back at Allow
  before the allow rule is removed: access is given back before any is taken away.
  The commands of one step are recorded in the restore's own backup file in one save before the first of them,
  so a restore can itself be restored. Then each kind written is read back once.
"""

import copy
import os
import re

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import (
    ConfigError, ProblemsError, TenantGuardError)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import BackupFileError
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    CHARACTERISTICS, SETTINGS_NAME, DeviceAccessRule, OrganizationSettings, desired_rule)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.cas_mailbox import (
    CasMailbox, check_mailbox_names, index)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import CONTROL, plan, read, send
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import MailboxPolicy

RESOURCES = (MailboxPolicy(), CasMailbox(), DeviceAccessRule(), OrganizationSettings())
RULE_IDENTITY = re.compile(r"^(?P<query>.+) \((?P<characteristic>%s)\)$" % "|".join(CHARACTERISTICS), re.I)
ACCEPTED = "an entry as the Exchange modules of this collection write it (the object's identity and its settings)"
# Kinds of settings Exchange takes $null for (a text cleared, a list emptied); the others have no "not set" value
# that a Set- command can send [unverified for Exchange Online; the sandbox refuses $null for them].
NULLABLE = ("str", "str_list", "smtp_list")

# What Exchange cannot undo: refused, naming the entry, before anything is sent. (The modules record no such entry;
# a file that holds one was written by something else, or edited.)
NOT_RESTORABLE = {
    "exchange:MobileDevice": "a remote wipe (Clear-MobileDevice) or a removed device partnership (Remove-MobileDevice) "
                             "cannot be undone: no command brings wiped data or a partnership back (the device "
                             "syncs again and gets a new partnership)",
}

# Steps of the write order (see the module docstring).
POLICIES, MAILBOXES, GIVING, SETTINGS, TAKING, REMOVED_POLICIES = range(6)


def resources():
    return dict((resource.collection, resource) for resource in RESOURCES)


class ExchangeTarget:
    """What one Exchange object must be once restored: its identity (``key_row``) and, if it must exist, the
    settings it had (``settings``, Exchange's spelling)."""

    def __init__(self, entry, source, resource, key_row, settings):
        self.entry = entry
        self.source = source
        self.resource = resource
        self.present = entry["action"] != "create"
        self.key_row = key_row
        self.settings = settings
        self.name = resource.name_of(key_row)
        self.key = (resource.collection, "name", resource.key(key_row))
        self.plan = None
        self.stored_key = None
        self.after = None

    def where(self):
        return "%s entry %s (%s %r)" % (os.path.basename(self.source), self.entry.get("seq"), self.entry.get("noun")
                                        or self.resource.noun, self.name)

    @property
    def command(self):
        return self.plan.commands[0] if self.plan is not None and self.plan.commands else None


def exchange_target(resource, entry, path, field="backup_file"):
    """The ExchangeTarget of one entry; a BackupFileError naming the file and the entry when it is not one that the
    Exchange modules write."""
    label = "entry %s (%s %r)" % (entry.get("seq"), entry.get("noun") or resource.noun, entry.get("display_name"))

    def refuse(problem):
        raise BackupFileError(field, "%s %s, so it cannot be restored; nothing was changed" % (label, problem),
                              value=path, accepted=ACCEPTED)

    creates = entry["action"] == "create"
    recorded = entry.get("body") if creates else entry.get("before")
    if not isinstance(recorded, dict):
        refuse("holds no object")
    parameters = (entry.get("cmdlet") or {}).get("parameters") if isinstance(entry.get("cmdlet"), dict) else None
    identity = recorded.get("Identity") or (parameters or {}).get("Identity") or entry.get("display_name")
    try:
        key_row = identity_row(resource, recorded, identity, creates)
    except (ConfigError, ProblemsError) as exc:
        refuse("does not name one %s: %s" % (resource.noun, exc.describe()))
    if key_row is None:
        refuse("does not name the %s" % resource.noun)
    if creates:
        return ExchangeTarget(entry, path, resource, key_row, None)
    settings = {}
    for name, value in sorted(recorded.items()):
        if name in resource.identity_fields + resource.noted_fields:
            continue
        setting = resource.field(name)
        if setting is None:
            refuse("holds %r, which is not a setting that the collection sets on a %s" % (name, resource.noun))
        if value is None:
            if entry["action"] == "delete":
                continue  # created again: what was not set is not sent
            if setting.kind not in NULLABLE:
                refuse("records %s as not set; Exchange cannot be told to unset it, so it cannot be put back"
                       % name)
            settings[name] = [] if setting.kind != "str" else None
            continue
        try:
            settings[name] = setting.convert(value, where=name)
        except ConfigError as exc:
            refuse("records %s %r, which %s (accepted: %s)" % (name, value, exc.problem, exc.accepted))
    return ExchangeTarget(entry, path, resource, key_row, settings)


def identity_row(resource, recorded, identity, creates):
    """What identifies the object, as the modules declare it; None when nothing does."""
    if isinstance(resource, OrganizationSettings):
        if creates:
            raise ConfigError("action", "is create, but Exchange has one organisation settings object, never created",
                              value="create", kind="Entry")
        return {"Identity": SETTINGS_NAME}
    if isinstance(resource, DeviceAccessRule):
        query, characteristic = recorded.get("QueryString"), recorded.get("Characteristic")
        if not (query and characteristic):
            match = RULE_IDENTITY.match(str(identity or ""))
            if match is None:
                return None
            query, characteristic = match.group("query"), match.group("characteristic")
        return desired_rule({"query_string": query, "characteristic": characteristic, "state": "absent"})[0]
    if isinstance(resource, MailboxPolicy):
        name = recorded.get("Name") or identity
        if not isinstance(name, str) or not name.strip() or CONTROL.search(name) or len(name) > 64:
            raise ConfigError("Name", "is not a policy name", value=name, kind="Entry",
                              accepted="1 to 64 characters, no control characters")
        return {"Name": name.strip()}
    if isinstance(resource, CasMailbox):
        if creates:
            raise ConfigError("action", "is create, but the collection never creates mailboxes", value="create",
                              kind="Entry")
        name = recorded.get("PrimarySmtpAddress") or identity
        check_mailbox_names([name], option="Identity")
        return {"Identity": name.strip()}
    return None


class ExchangeRestorer:
    """Plans and writes the Exchange targets of a restore; see the module docstring."""

    def __init__(self, exchange_source, check_mode=False, backup=None, warn=None):
        self._exchange_source = exchange_source
        self.check_mode = check_mode
        self.backup = backup
        self._warn = warn or (lambda message: None)
        self.rows = {}

    @property
    def exchange(self):
        return self._exchange_source()

    # -- planning -----------------------------------------------------------------------------
    def read_all(self, targets):
        """ONE Get- per kind restored (and the policies when a mailbox's policy is restored)."""
        wanted = set(t.resource.collection for t in targets)
        if any("ActiveSyncMailboxPolicy" in (t.settings or {}) for t in targets):
            wanted.add(MailboxPolicy().collection)
        for resource in RESOURCES:
            if resource.collection in wanted and resource.collection not in self.rows:
                self.rows[resource.collection] = read(self.exchange, resource)

    def plan_all(self, targets):
        """Plan every target against what Exchange holds now; the problems of all of them, nothing written."""
        if not targets:
            return []
        self.read_all(targets)
        problems = []
        for target in targets:
            try:
                self.plan(target, targets)
            except (ConfigError, ProblemsError) as exc:
                problems.append("%s: %s" % (target.where(), exc.describe()))
        return problems

    def plan(self, target, targets):
        resource = target.resource
        rows = self.rows[resource.collection]
        key_row = dict(target.key_row)
        settings = dict(target.settings or {})
        if isinstance(resource, CasMailbox):
            row = index(rows).get(key_row["Identity"].lower())
            if row is None:
                raise ConfigError("Identity", "names a mailbox that Exchange does not have", value=key_row["Identity"],
                                  kind="Entry", accepted="an existing mailbox")
            key_row = {"Identity": row["Identity"]}
            if settings.get("ActiveSyncMailboxPolicy"):
                settings["ActiveSyncMailboxPolicy"] = self.policy_name(settings["ActiveSyncMailboxPolicy"], targets)
                recorded = target.entry.get("before") or {}
                if recorded.get("ActiveSyncMailboxPolicyIsDefaulted") and not resource.field(
                        "ActiveSyncMailboxPolicy").same(row.get("ActiveSyncMailboxPolicy"),
                                                        settings["ActiveSyncMailboxPolicy"]):
                    self._warn("%s had no mobile device mailbox policy of its own (it followed the default, %s); "
                               "Exchange documents no way to take an assignment off, so the restore assigns %s by "
                               "name." % (target.where(), settings["ActiveSyncMailboxPolicy"],
                                          settings["ActiveSyncMailboxPolicy"]))
        current = dict((resource.key(r), r) for r in rows).get(resource.key(key_row))
        if target.present and current is None:
            # created again: what was not set stays unset
            settings = dict((k, v) for k, v in settings.items() if v not in (None, []))
        if isinstance(resource, MailboxPolicy) and target.present and current is not None \
                and settings.get("IsDefault") is False and current.get("IsDefault"):
            if self.default_restored(target, targets):
                del settings["IsDefault"]  # another policy becomes the default again first, which clears this flag
            else:
                raise ConfigError("IsDefault", "was false, but %s is the default policy now and the backup does not "
                                  "say which policy was the default before; make that policy the default again "
                                  "(mobile_device_mailbox_policy is_default: true), then restore" % target.name,
                                  value=False, kind="Entry")
        state = "present" if target.present else "absent"
        target.stored_key = resource.key(key_row)
        target.plan = plan(resource, rows, [(key_row, settings, state)])
        return target.plan

    def default_restored(self, target, targets):
        """Whether another target makes another policy the default again."""
        return any(t is not target and isinstance(t.resource, MailboxPolicy) and t.present
                   and (t.settings or {}).get("IsDefault") is True for t in targets)

    def policy_name(self, name, targets):
        """The policy ``name`` as Exchange spells it: one that exists or that this restore creates again."""
        known = dict((p.get("Name", "").lower(), p["Name"]) for p in self.rows.get(MailboxPolicy().collection, [])
                     if p.get("Name"))
        known.update((t.name.lower(), t.name) for t in targets if isinstance(t.resource, MailboxPolicy) and t.present)
        found = known.get(str(name).strip().lower())
        if found is None:
            raise ConfigError("ActiveSyncMailboxPolicy", "names no mobile device mailbox policy of the tenant, and "
                              "none of the restored backups holds it", value=name, kind="Entry",
                              accepted="one of: %s" % ", ".join(sorted(known.values())))
        return found

    # -- writing ------------------------------------------------------------------------------
    @staticmethod
    def step(target):
        """The step of the write order (see the module docstring) that ``target``'s command belongs to."""
        resource, command = target.resource, target.command
        if isinstance(resource, MailboxPolicy):
            return POLICIES if command["action"] != "delete" else REMOVED_POLICIES
        if isinstance(resource, CasMailbox):
            return MAILBOXES
        if isinstance(resource, OrganizationSettings):
            return SETTINGS
        if command["action"] == "delete":
            gives = str((command["before"] or {}).get("AccessLevel") or "").lower() != "allow"
        else:
            gives = str(command["parameters"].get("AccessLevel") or "").lower() == "allow"
        return GIVING if gives else TAKING

    def steps(self, targets):
        """``[(resource, [targets])]`` in the write order; within a step, the order of the backups."""
        changing = [t for t in targets if t.command is not None]
        out = []
        for step in range(6):
            chosen = [t for t in changing if self.step(t) == step]
            if step == POLICIES:
                chosen.sort(key=lambda t: not t.command["parameters"].get("IsDefault"))
            if chosen:
                out.append((chosen[0].resource, chosen))
        return out

    def write(self, targets, failed):
        """Send every planned command in the write order; ``failed(error, target, done)`` raises when one fails."""
        done = []
        touched = []
        for resource, chosen in self.steps(targets):
            sent = []
            commands = [t.command for t in chosen]
            try:
                send(self.exchange, self.backup, resource, commands, sent=sent)
            except Exception as exc:  # pylint: disable=broad-except
                error = exc if isinstance(exc, TenantGuardError) else TenantGuardError(str(exc))
                failed(error, chosen[len(sent)], done + chosen[:len(sent)])
            done.extend(chosen)
            if resource not in touched:
                touched.append(resource)
        for resource in touched:
            stored = dict((resource.key(r), r) for r in read(self.exchange, resource))
            for target in done:
                if target.resource is resource:
                    target.after = stored.get(target.stored_key)
        return done

    # -- results ------------------------------------------------------------------------------
    @staticmethod
    def diff_of(target):
        """``(label, before, after)`` of a target that changes: the settings it touches, by its name."""
        command = target.command
        label = "%s %s" % (target.entry.get("noun") or target.resource.noun, target.name)
        before = copy.deepcopy(command["before"]) if command["action"] != "create" else None
        if command["action"] == "delete":
            return label, before, None
        after = target.plan.after.get(command["name"])
        if target.after is not None:
            after = dict((k, target.after.get(k)) for k in after)
        return label, before, after
