# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what the resource engine (``_engine.resource``) needs to know about one kind of Graph object.

Not a public API. A module describes its resource with a ``ResourceType`` subclass: where the
collection lives, how to compare two bodies without false drift, which changes Graph cannot
make, and which requests turn the current object into the desired one. Every hook has a plain
default, so a simple resource overrides little:

* ``normalise(body)``: the comparable form (default: read-only fields and ``@odata`` annotations
  dropped, null / empty / absent made the same, lists of plain values as sorted sets);
* ``merge(current, desired)``: the object once ``desired`` is applied (default: top-level
  properties of ``desired`` replace those of ``current``; what it leaves out stays);
* ``check_create(desired, field)`` / ``check_update(current, desired, field)``: raise
  ``InvalidOption`` for a change Graph cannot make (before anything is written);
* ``protected(obj)``: why an object may be neither changed nor deleted (a built-in), or None;
* ``create_body(desired)`` / ``predict_created(body)``: the POST body, and the object check mode
  reports for it;
* ``update_writes(current, desired)``: the ``Write`` requests (default: one PATCH of the top-level
  properties whose normalised value differs, never a read-only field);
* ``display(body)``: the readable form a diff shows;
* ``retry_write(error)``: whether a failed write is worth repeating while a reference replicates.

Names of fields in errors are option paths (``ip_ranges[1]``); the engine prefixes them with the
position of an item in set mode (``named_locations[2].ip_ranges[1]``).
"""

import copy
import unicodedata

from urllib.parse import quote

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError

READ_ONLY_FIELDS = ("id", "createdDateTime", "modifiedDateTime", "deletedDateTime")
EMPTY_VALUES = (None, "", [], {})


class InvalidOption(ConfigError):
    """Bad input or a change Graph cannot make, found before any write.

    The message names the option (``field``), the value given and what would be accepted.
    """

    def __init__(self, field, problem, value=None, accepted=None):
        super().__init__(field, problem, accepted=accepted, value=value, kind="Option")

    def within(self, prefix):
        """The same problem, for the option at ``prefix`` (an item of a list option)."""
        if not prefix:
            return self
        field = "%s.%s" % (prefix, self.option) if self.option else prefix
        return InvalidOption(field, self.problem, self.value, self.accepted)


def option_field(prefix, name):
    """``option_field("named_locations[2]", "id")`` -> ``"named_locations[2].id"``."""
    return "%s.%s" % (prefix, name) if prefix else name


def fold(name):
    """A display name compared without regard to case."""
    return name.casefold() if isinstance(name, str) else name


def only_difference(given, existing):
    """How the name ``given`` differs from the name ``existing`` when it is only by spaces at either end
    or by Unicode normalisation (case aside), in words; None when they are the same or differ by more."""
    if not isinstance(given, str) or not isinstance(existing, str) or given == existing:
        return None
    reasons = []
    lead = (given != given.lstrip()) != (existing != existing.lstrip())
    trail = (given != given.rstrip()) != (existing != existing.rstrip())
    if lead or trail:
        reasons.append("leading and trailing spaces" if lead and trail else
                       "a leading space" if lead else "a trailing space")
    left, right = given.strip(), existing.strip()
    if left.casefold() != right.casefold():
        if unicodedata.normalize("NFC", left).casefold() == unicodedata.normalize("NFC", right).casefold():
            reasons.append("Unicode normalisation (the same letters composed differently, NFC)")
        elif unicodedata.normalize("NFKC", left).casefold() == unicodedata.normalize("NFKC", right).casefold():
            reasons.append("Unicode compatibility forms (such as a non-breaking space or a full-width letter, NFKC)")
        else:
            return None
    return " and ".join(reasons) or None


def is_annotation(key):
    return isinstance(key, str) and "@" in key


def without_annotations(body, keep=("@odata.type",)):
    """A deep copy of ``body`` without ``@odata`` annotations other than those in ``keep``."""
    if isinstance(body, dict):
        return dict((k, without_annotations(v, keep)) for k, v in body.items() if not is_annotation(k) or k in keep)
    if isinstance(body, list):
        return [without_annotations(v, keep) for v in body]
    return copy.deepcopy(body)


def prune(body):
    """Drop null and empty values (recursively); an object left with nothing becomes empty."""
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            value = prune(value)
            if value not in EMPTY_VALUES:
                out[key] = value
        return out
    return body


def scalar_set(values, key=None):
    """A list of plain values as a sorted list without duplicates (``key`` maps each value first)."""
    seen = []
    for value in values or ():
        value = key(value) if key else value
        if value not in seen:
            seen.append(value)
    return sorted(seen, key=lambda v: (str(v).lower(), str(v)))


class Write:
    """One request of an update: ``method`` on the object's path plus ``suffix``, with ``body``."""

    def __init__(self, method, body=None, suffix="", idempotent=None, accept=None):
        self.method = method.upper()
        self.body = body
        self.suffix = suffix
        self.idempotent = idempotent
        self.accept = accept

    def __repr__(self):
        return "Write(%s %r, %r)" % (self.method, self.suffix, self.body)

    def __eq__(self, other):
        return isinstance(other, Write) and (self.method, self.suffix, self.body) == (
            other.method, other.suffix, other.body)


class ResourceType:
    """A kind of Graph object the engine can converge. Override what differs from the defaults."""

    noun = "object"                      # "named location": used in messages and diff headers
    collection = None                    # "/identity/conditionalAccess/namedLocations"
    api_version = "v1.0"
    name_field = "displayName"           # the Graph property that names an object
    name_option = "display_name"         # and the module option that sets it
    result_key = "object"                # the result key of the object (single mode)
    list_key = "objects"                 # the result key of the objects (set mode), also the list option
    read_only_fields = READ_ONLY_FIELDS
    list_query = None                    # query options of the one list request, if any

    # -- addressing ---------------------------------------------------------------------------
    def object_path(self, object_id, suffix=""):
        return "%s/%s%s" % (self.collection, quote(str(object_id), safe=""), suffix)

    def name_of(self, obj):
        return (obj or {}).get(self.name_field)

    def label(self, obj):
        """``named location 'Head office' (id 0f...)``."""
        obj = obj or {}
        text = "%s %r" % (self.noun, self.name_of(obj))
        if obj.get("id"):
            text += " (id %s)" % obj["id"]
        return text

    # -- comparing ----------------------------------------------------------------------------
    def normalise(self, body):
        body = without_annotations(body or {}, keep=())
        for name in self.read_only_fields:
            body.pop(name, None)
        body = prune(body)
        for key, value in list(body.items()):
            if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
                body[key] = scalar_set(value)
        return body

    def merge(self, current, desired):
        merged = copy.deepcopy(current or {})
        for key, value in (desired or {}).items():
            merged[key] = copy.deepcopy(value)
        return merged

    def differs(self, current, desired):
        """Whether applying ``desired`` would change ``current``."""
        return self.normalise(self.merge(current, desired)) != self.normalise(current)

    # -- rules --------------------------------------------------------------------------------
    def check_create(self, desired, field=""):
        """Raise InvalidOption when ``desired`` cannot be created (``field``: the item's option prefix)."""
        if not self.name_of(desired):
            raise InvalidOption(option_field(field, self.name_option),
                                "is required to create a %s" % self.noun,
                                accepted="a non-empty display name")

    def check_update(self, current, desired, field=""):
        """Raise InvalidOption when Graph cannot turn ``current`` into ``desired``."""
        return None

    def protected(self, obj):
        """Why ``obj`` may be neither changed nor deleted (a sentence), or None."""
        return None

    # -- writing ------------------------------------------------------------------------------
    def create_body(self, desired):
        return copy.deepcopy(desired)

    def predict_created(self, body):
        return copy.deepcopy(body)

    def update_writes(self, current, desired):
        before = self.normalise(current)
        after = self.normalise(self.merge(current, desired))
        patch = {}
        for key, value in (desired or {}).items():
            if key in self.read_only_fields or is_annotation(key):
                continue
            if before.get(key) != after.get(key):
                patch[key] = copy.deepcopy(value)
        return [Write("PATCH", patch)] if patch else []

    def apply_writes(self, current, desired, writes):
        """The object as stored after ``writes`` succeeded (no re-read: PATCH answers 204)."""
        return self.merge(current, desired)

    def retry_write(self, error):
        """Whether a write that failed with ``error`` (a GraphError) may succeed a moment later."""
        return False

    # -- showing ------------------------------------------------------------------------------
    def display(self, body):
        """What a diff shows of an object: readable, without server fields."""
        return self.normalise(body)
