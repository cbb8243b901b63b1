# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the read-compare-plan-write flow over Exchange cmdlets (the admin API's InvokeCommand gateway).

Not a public API. A ``CmdletResource`` names the Get-/New-/Set-/Remove- cmdlets of one kind of Exchange object and
the ``Field`` s a task may declare. ``converge`` then:

* checks every declared value first (``Field.convert``): one error naming the option, the value and what is
  accepted, before any command is sent;
* reads the objects with ONE Get- command (paged by the client);
* compares only the declared fields, Exchange's way (enum values and list entries without regard to case, lists
  without regard to order, a time span in Exchange's spelling);
* plans New-, Set- (only the fields that differ) and Remove- commands; in set mode with ``purge`` also the removal
  of every object that was not declared;
* in check mode stops there, with the predicted objects and the diff;
* otherwise records each object as it was in the task's backup file before its command is sent, sends the
  commands, and reads the objects back with one more Get-, so the result is what Exchange holds.

A run that changes nothing sends exactly one command per resource. The diff is keyed by the objects' names.
"""

import copy
import re

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import backup_for, backup_path

API_VERSION = "adminapi/beta"
TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
SMTP = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
UNLIMITED = "Unlimited"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def option_name(exchange_name):
    """``AllowHTMLEmail`` -> ``allow_html_email``: the snake_case option of an Exchange parameter."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", exchange_name)
    return text.lower()


def seconds(text):
    match = TIMESPAN.match(text)
    if not match:
        return None
    days, hours, minutes, secs = (int(g or 0) for g in match.groups())
    if hours > 23 or minutes > 59 or secs > 59:
        return None
    return ((days * 24 + hours) * 60 + minutes) * 60 + secs


def format_timespan(total):
    days, rest = divmod(total, 86400)
    text = "%02d:%02d:%02d" % (rest // 3600, rest % 3600 // 60, rest % 60)
    return "%d.%s" % (days, text) if days else text


class Field:
    """One settable property: its Exchange name, option name, kind and accepted values.

    kinds: ``bool``, ``str``, ``enum`` (``choices``), ``int`` (``low``..``high``), ``unlimited_int`` (``Unlimited``
    or an integer in range), ``timespan`` (``Unlimited`` or ``[d.]hh:mm:ss`` in range, in seconds), ``smtp_list``,
    ``str_list``.
    """

    def __init__(self, exchange, kind, choices=None, low=None, high=None, option=None, nullable=False):
        self.exchange = exchange
        self.kind = kind
        self.choices = tuple(choices or ())
        self.low = low
        self.high = high
        self.option = option or option_name(exchange)
        self.nullable = nullable

    def accepted(self):
        if self.kind == "bool":
            return "true or false"
        if self.kind == "enum":
            return ", ".join(self.choices)
        if self.kind == "int":
            return "an integer from %d to %d" % (self.low, self.high)
        if self.kind == "unlimited_int":
            return "Unlimited or an integer from %d to %d" % (self.low, self.high)
        if self.kind == "timespan":
            return "Unlimited or a time span [d.]hh:mm:ss from %s to %s" % (
                format_timespan(self.low), format_timespan(self.high))
        if self.kind == "smtp_list":
            return "a list of email addresses such as admin@contoso.com"
        if self.kind == "str_list":
            return "a list of strings"
        return "a string without control characters"

    def convert(self, value, where=None):
        """The Exchange value of an option's value; raises ConfigError naming the option."""
        name = where or self.option

        def refuse(problem="is not accepted"):
            raise ConfigError(name, problem, value=value, accepted=self.accepted(), kind="Option")

        if value is None:
            return None
        if self.kind == "bool":
            if not isinstance(value, bool):
                refuse()
            return value
        if self.kind == "str":
            if not isinstance(value, str) or CONTROL.search(value):
                refuse()
            return value
        if self.kind == "enum":
            matched = [c for c in self.choices if isinstance(value, str) and c.lower() == value.strip().lower()]
            if not matched:
                refuse()
            return matched[0]
        if self.kind in ("int", "unlimited_int"):
            if self.kind == "unlimited_int" and isinstance(value, str) and value.strip().lower() == "unlimited":
                return UNLIMITED
            try:
                number = int(str(value).strip()) if not isinstance(value, bool) else None
            except ValueError:
                number = None
            if number is None or not self.low <= number <= self.high:
                refuse("is out of range" if number is not None else "is not accepted")
            return number
        if self.kind == "timespan":
            text = str(value).strip()
            if text.lower() == "unlimited":
                return UNLIMITED
            total = seconds(text)
            if total is None or not self.low <= total <= self.high:
                refuse("is out of range" if total is not None else "is not a time span")
            return format_timespan(total)
        if self.kind in ("smtp_list", "str_list"):
            items = value if isinstance(value, list) else None
            if items is None or not all(isinstance(i, str) and i.strip() and not CONTROL.search(i) for i in items):
                refuse()
            items = [i.strip() for i in items]
            if self.kind == "smtp_list":
                bad = [i for i in items if not SMTP.match(i)]
                if bad:
                    raise ConfigError(name, "holds %r, which is not an email address" % bad[0], value=value,
                                      accepted=self.accepted(), kind="Option")
            folded = []
            for item in items:
                if item.lower() not in [f.lower() for f in folded]:
                    folded.append(item)
            return folded
        raise ValueError("unknown field kind %r" % self.kind)

    def same(self, current, desired):
        """Whether Exchange's ``current`` value already is ``desired`` (both in Exchange's spelling)."""
        if self.kind in ("smtp_list", "str_list"):
            return sorted(str(i).lower() for i in current or []) == sorted(str(i).lower() for i in desired or [])
        if self.kind == "enum":
            return str(current or "").lower() == str(desired or "").lower()
        if self.kind == "str":
            return (current or "") == (desired or "")
        if self.kind == "unlimited_int" or self.kind == "int":
            return str(current).lower() == str(desired).lower()
        if self.kind == "timespan":
            if str(current).lower() == str(desired).lower():
                return True
            return seconds(str(current)) is not None and seconds(str(current)) == seconds(str(desired))
        return current == desired


def convert_settings(fields, values, prefix=""):
    """``{Exchange name: value}`` of the options that were given; every bad value in one ProblemsError."""
    out, problems = {}, []
    for field in fields:
        value = values.get(field.option)
        if value is None:
            continue
        try:
            out[field.exchange] = field.convert(value, where=prefix + field.option)
        except ConfigError as exc:
            problems.append(exc.describe())
    if problems:
        raise ProblemsError(problems)
    return out


class CmdletResource:
    """The cmdlets and fields of one kind of Exchange object (see the module docstring)."""

    noun = None            # "ActiveSyncDeviceAccessRule"
    get_cmdlet = None
    new_cmdlet = None
    set_cmdlet = None
    remove_cmdlet = None
    fields = ()
    singleton = False      # one object per tenant (no New-/Remove-)
    read_parameters = {}   # of the Get- command (such as ResultSize Unlimited)
    identity_fields = ("Identity",)  # recorded with the settings in a backup entry, to find the object again
    noted_fields = ()      # read-only properties also recorded there, that a restore needs to know

    @property
    def collection(self):
        return "exchange:" + self.noun

    def key(self, row):
        """The lower-case identity by which a declared object and a read one are matched."""
        return str(row.get("Identity") or row.get("Name") or "").lower()

    def name_of(self, row):
        return str(row.get("Identity") or row.get("Name") or "")

    def identity(self, row):
        return self.name_of(row)

    def new_parameters(self, desired):
        return dict(desired)

    def removable(self, row):
        """None, or why ``row`` must never be removed (raised before anything is sent)."""
        return None

    def refuse_update(self, row, changes):
        """None, or ``(option, value, why)`` when Exchange would refuse ``changes`` to ``row``."""
        return None

    def identifying(self, row):
        """The properties of ``row`` that name the object, and the noted ones (recorded in backup entries with its
        settings)."""
        return dict((name, row.get(name)) for name in self.identity_fields + self.noted_fields
                    if row and row.get(name) is not None)

    def field(self, exchange_name):
        for field in self.fields:
            if field.exchange == exchange_name:
                return field
        return None


class Plan:
    """The commands a task would send, and each object before and after."""

    def __init__(self):
        self.commands = []     # {"cmdlet", "parameters", "action", "name", "before"}
        self.before = {}
        self.after = {}

    def add(self, resource, action, name, parameters, before, after, row=None):
        self.commands.append({"cmdlet": {"create": resource.new_cmdlet, "update": resource.set_cmdlet,
                                         "delete": resource.remove_cmdlet}[action],
                              "parameters": parameters, "action": action, "name": name, "before": before,
                              "identity": resource.identifying(row)})
        if before is not None:
            self.before[name] = before
        if after is not None:
            self.after[name] = after


def _managed(resource, row, names):
    return dict((name, row.get(name)) for name in names)


def plan(resource, current_rows, desired, purge=False):
    """The Plan turning ``current_rows`` into ``desired`` (a list of ``(key_row, settings, state)``).

    ``key_row`` holds what identifies the object (for New-: its identifying parameters); ``settings`` the declared
    fields in Exchange's spelling; ``state`` present or absent."""
    by_key = dict((resource.key(row), row) for row in current_rows)
    result = Plan()
    declared = set()
    for key_row, settings, state in desired:
        key = resource.key(key_row)
        declared.add(key)
        current = by_key.get(key)
        names = sorted(settings)
        if state == "absent":
            if current is not None:
                why = resource.removable(current)
                if why:
                    raise ConfigError("state", why, value="absent", kind="Option",
                                      accepted="state present for %s" % resource.name_of(current))
                result.add(resource, "delete", resource.name_of(current),
                           {"Identity": resource.identity(current), "Confirm": False},
                           _managed(resource, current, names or [f.exchange for f in resource.fields
                                                                 if f.exchange in current]), None, row=current)
            continue
        if current is None:
            if resource.singleton:
                raise ConfigError("identity", "names no %s of the tenant" % resource.noun, kind="Option",
                                  value=resource.name_of(key_row))
            parameters = resource.new_parameters(dict(key_row, **settings))
            predicted = dict(key_row, **settings)
            result.add(resource, "create", resource.name_of(key_row), parameters, None, predicted)
            continue
        changes = dict((name, value) for name, value in settings.items()
                       if not resource.field(name).same(current.get(name), value))
        if changes:
            refusal = resource.refuse_update(current, changes)
            if refusal:
                raise ConfigError(refusal[0], refusal[2], value=refusal[1], kind="Option")
            parameters = dict(changes)
            if not resource.singleton or resource.identity(current):
                parameters = dict({"Identity": resource.identity(current)}, **changes)
            before = _managed(resource, current, names)
            result.add(resource, "update", resource.name_of(current), parameters, before, dict(before, **changes),
                       row=current)
    if purge:
        for key, row in sorted(by_key.items()):
            if key in declared or resource.removable(row):
                continue
            names = [f.exchange for f in resource.fields if f.exchange in row]
            result.add(resource, "delete", resource.name_of(row), {"Identity": resource.identity(row),
                                                                   "Confirm": False},
                       _managed(resource, row, names), None, row=row)
    return result


def read(exchange, resource, parameters=None):
    return list(exchange.invoke(resource.get_cmdlet, dict(resource.read_parameters, **(parameters or {}))))


def apply(module, resource, the_plan):
    """Send the plan's commands (``send``) and return the rows read back (one Get-)."""
    send(module.exchange, backup_for(module), resource, the_plan.commands)
    return read(module.exchange, resource)


def send(exchange, log, resource, commands, sent=None):
    """Send ``commands`` (of a Plan) in their order, each object recorded in the backup ``log`` first.

    Every object the commands touch is recorded in the backup file, as it was (its identifying properties and the
    settings the command changes), in ONE save before the first command (a task that sets 1,000 mailboxes writes
    the file twice, not 2,000 times); an entry still ``pending`` after a failure may or may not have been carried
    out, as for every backup. A failed command is saved at once, and its error raised. Each command carried out is
    appended to ``sent`` (when given)."""
    entries = []
    if log is not None and commands:
        kind = _BackupKind(resource)
        for command in commands:
            before = None
            if command["action"] != "create":
                before = dict(copy.deepcopy(command.get("identity") or {}), **copy.deepcopy(command["before"]))
            entry = log.record(kind, API_VERSION, command["action"], before=before,
                               body=command["parameters"] if command["action"] == "create" else None, save=False)
            entry["cmdlet"] = {"name": command["cmdlet"], "parameters": command["parameters"]}
            entries.append(entry)
        log.save()
    for position, command in enumerate(commands):
        try:
            list(exchange.invoke(command["cmdlet"], command["parameters"]))
        except Exception as exc:
            if entries:
                for entry in entries[:position]:
                    log.done(entry, save=False)
                log.failed(entries[position], exc)
            raise
        if sent is not None:
            sent.append(command)
    if entries:
        for entry in entries:
            log.done(entry, save=False)
        log.save()


class _BackupKind:
    """What a backup entry names of an Exchange object: the cmdlet noun, and the object's name."""

    def __init__(self, resource):
        self.collection = resource.collection
        self.noun = resource.noun
        self._resource = resource

    def name_of(self, row):
        return self._resource.name_of(row) or row.get("Identity") or row.get("Name") or row.get("QueryString")


def converge(module, resource, desired, purge=False, read_parameters=None, current=None):
    """Read (unless the rows ``current`` were read already), plan, and (outside check mode) write; the task's
    result fields."""
    if current is None:
        current = read(module.exchange, resource, read_parameters)
    the_plan = plan(resource, current, desired, purge=purge)
    changed = bool(the_plan.commands)
    rows = current
    if changed and not module.check_mode:
        rows = apply(module, resource, the_plan)
    else:
        rows = predict(resource, current, the_plan)
    result = dict(changed=changed, cmdlets=[{"cmdlet": c["cmdlet"], "parameters": c["parameters"]}
                                            for c in the_plan.commands])
    result["diff"] = dict(before=the_plan.before, after=the_plan.after)
    result["rows"] = rows
    return result


def predict(resource, current, the_plan):
    """The rows as they will be after ``the_plan`` (check mode), read rows otherwise untouched."""
    rows = dict((resource.name_of(r), dict(r)) for r in current)
    for command in the_plan.commands:
        if command["action"] == "delete":
            rows.pop(command["name"], None)
        elif command["action"] == "update":
            rows[command["name"]].update(dict((k, v) for k, v in command["parameters"].items() if k != "Identity"))
        else:
            rows[command["name"]] = dict(the_plan.after[command["name"]], Identity=command["name"])
    return list(rows.values())


def argument_spec(fields):
    """The Ansible options of ``fields``: none has a default, so an option that is not set is not managed."""
    spec = {}
    for field in fields:
        if field.kind == "bool":
            spec[field.option] = dict(type="bool")
        elif field.kind == "enum":
            # no choices here: Exchange takes its enum values in any case, so the Field checks them (naming the
            # option, the value and what is accepted) and the result carries Exchange's spelling
            spec[field.option] = dict(type="str")
        elif field.kind == "int":
            spec[field.option] = dict(type="int")
        elif field.kind in ("smtp_list", "str_list"):
            spec[field.option] = dict(type="list", elements="str")
        else:
            spec[field.option] = dict(type="str")
        if "password" in field.option:
            spec[field.option]["no_log"] = False  # a password rule (length, history), not a password
    return spec


def task_result(module, outcome, rows_name, rows):
    """The module's result: what was read back (or predicted in check mode), the commands, the diff in names."""
    result = dict(changed=outcome["changed"], cmdlets=outcome["cmdlets"])
    result[rows_name] = rows
    if module.diff_mode:
        result["diff"] = outcome["diff"]
    path = backup_path(module)
    if path:
        result["backup_file"] = path
    return result
