# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: option values of Intune MAM policies to Graph values and back, and their comparable form.

Not a public API. Durations (Graph ``Edm.Duration``, a day-time duration such as ``PT30M`` or
``P7D``) compare by their length, so ``PT1440M`` equals ``P1D``; enum values compare without
regard to case; lists of enum values and flags compare as sets; ``keyValuePair`` lists compare as
sets of pairs.
"""

import re
from decimal import Decimal, InvalidOperation

from ansible_collections.tenantguard.m365.plugins.module_utils._intune.app_protection_spec import ENUMS
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

NUMBER = r"(\d+(?:\.\d+)?)"
DURATION = re.compile(r"^(-)?P(?:%sW)?(?:%sD)?(?:T(?:%sH)?(?:%sM)?(?:%sS)?)?$" % ((NUMBER,) * 5))
UNITS = (Decimal(604800), Decimal(86400), Decimal(3600), Decimal(60), Decimal(1))


def duration_seconds(value):
    """The length of an ISO 8601 day-time duration in seconds (a Decimal), or None if it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    match = DURATION.match(text)
    if not match or text.endswith("T") or text in ("P", "-P") or not any(match.groups()[1:]):
        return None
    try:
        total = sum(Decimal(part) * unit for part, unit in zip(match.groups()[1:], UNITS) if part)
    except InvalidOperation:
        return None
    return -total if match.group(1) else total


def check_duration(value, field):
    seconds = duration_seconds(value)
    if seconds is None:
        raise InvalidOption(field, "is not an ISO 8601 duration", value=value,
                            accepted="a day-time duration such as PT30M (30 minutes), PT12H, P7D or P1DT12H; years "
                                     "and months are not durations Intune stores")
    if seconds < 0:
        raise InvalidOption(field, "is a negative duration", value=value,
                            accepted="a duration of zero or more, such as PT30M, PT12H or P90D (ISO 8601)")
    return value.strip().upper()


def enum_value(enum, value, field):
    """Graph's spelling of ``value`` in ``enum``, matched without regard to case."""
    members = ENUMS[enum]
    for member in members:
        if member.lower() == str(value).strip().lower():
            return member
    raise InvalidOption(field, "is not a value of %s" % enum, value=value, accepted=", ".join(members))


def flags_value(enum, value, field):
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts:
        raise InvalidOption(field, "is empty", value=value, accepted="one or more of %s" % ", ".join(ENUMS[enum]))
    return ",".join(enum_value(enum, p, field) for p in parts)


def comparable(kind, value):
    """The form of a value in which equal settings are equal."""
    if value is None:
        return None
    if kind == "duration":
        seconds = duration_seconds(value)
        return str(seconds.normalize()) if seconds is not None else value
    if kind == "enum":
        return str(value).lower()
    if kind == "flags":
        return sorted(set(p.strip().lower() for p in str(value).split(",") if p.strip()))
    if kind == "enum_list":
        return sorted(set(str(v).lower() for v in value))
    if kind == "str_list":
        return sorted(set(str(v) for v in value))
    if kind == "pairs":
        return sorted(set((str(p.get("name")), str(p.get("value"))) for p in value if isinstance(p, dict)))
    return value


def version_key(text):
    """A dotted version as a tuple of numbers, or None when it is not one."""
    if not isinstance(text, str) or not re.match(r"^\d+(\.\d+)*$", text.strip()):
        return None
    return tuple(int(p) for p in text.strip().split("."))
