"""How the Exchange admin API gateway binds parameter values: Boolean, enum, integer, ``Unlimited``, time span,
multi-valued; and the errors Exchange returns for an unknown or a duplicate identity.

Sources: PowerShell parameter binding (Boolean parameters take only Booleans and numbers; enum values are matched
case-insensitively, and a unique prefix is accepted: domain.md §1.3, graph2otel); ``Unlimited``, time span and
multi-valued types: ../shared/reference/exchange_mobile.md §2 (MicrosoftDocs/office-docs-powershell). The exact
wording of the binding errors is PowerShell's; the texts of the "not found" and "already exists" errors follow the
messages quoted in exchange_mobile.md and domain.md and are otherwise unverified.
"""

import re

from .auth import exchange_error

HOST = "sandbox.prod.outlook.com"
TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")


def not_found(identity):
    return exchange_error(404, "The operation couldn't be performed because object '%s' couldn't be found on '%s'."
                          % (identity, HOST), kind="ManagementObjectNotFoundException")


def already_exists(kind, identity):
    # [unverified] Exchange refuses a second object of the same name with an ADObjectAlreadyExistsException.
    return exchange_error(400, "The %s '%s' already exists. Specify a different name or identity." % (kind, identity),
                          kind="ADObjectAlreadyExistsException")


def binding_error(name, value, target):
    return exchange_error(400, "Cannot process argument transformation on parameter '%s'. Cannot convert value "
                               "\"%s\" to type \"%s\"." % (name, value, target),
                          kind="ParameterBindingArgumentTransformationException")


def required(parameters, name, cmdlet):
    value = parameters.get(name)
    if value is None or value == "":
        raise exchange_error(400, "Cannot process command because of one or more missing mandatory parameters: "
                                  "%s. (%s)" % (name, cmdlet), kind="ParameterBindingException")
    return value


def boolean(name, value):
    """A Boolean parameter: JSON true/false or the numbers 0 and 1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise exchange_error(400, "Cannot process argument transformation on parameter '%s'. Cannot convert value "
                              "\"%s\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and "
                              "numbers, such as $True, $False, 1 or 0." % (name, value),
                         kind="ParameterBindingArgumentTransformationException")


def enum(name, value, choices, type_name):
    """An enum parameter: case-insensitive, a unique prefix accepted; the canonical spelling is returned."""
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text:
        exact = [c for c in choices if c.lower() == text]
        if exact:
            return exact[0]
        prefixed = [c for c in choices if c.lower().startswith(text)]
        if len(prefixed) == 1:
            return prefixed[0]
    raise exchange_error(400, "Cannot process argument transformation on parameter '%s'. Cannot convert value "
                              "\"%s\" to type \"%s\". Error: \"Unable to match the identifier name %s to a valid "
                              "enumerator name. Specify one of the following enumerator names and try again: %s\""
                              % (name, value, type_name, value, ", ".join(choices)),
                         kind="ParameterBindingArgumentTransformationException")


def integer(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise binding_error(name, value, "System.Int32")
    try:
        number = int(value)
    except ValueError:
        raise binding_error(name, value, "System.Int32") from None
    if not low <= number <= high:
        raise exchange_error(400, "Cannot validate argument on parameter '%s'. The %d argument is outside the range "
                                  "%d to %d." % (name, number, low, high), kind="ParameterBindingValidationException")
    return number


def unlimited_int(name, value, low, high):
    """``Unlimited`` or an integer in [low, high]; returned as "Unlimited" or an int."""
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return "Unlimited"
    return integer(name, value, low, high)


def seconds(text):
    match = TIMESPAN.match(text)
    if not match:
        return None
    days, hours, minutes, secs = (int(g or 0) for g in match.groups())
    if hours > 23 or minutes > 59 or secs > 59:
        return None
    return ((days * 24 + hours) * 60 + minutes) * 60 + secs


def unlimited_timespan(name, value, low, high):
    """``Unlimited`` or a time span ``[d.]hh:mm:ss`` between ``low`` and ``high`` seconds; returned as Exchange
    writes it back (``hh:mm:ss``, ``d.hh:mm:ss`` from one day on)."""
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return "Unlimited"
    total = seconds(value.strip()) if isinstance(value, str) else None
    if total is None:
        raise binding_error(name, value, "Microsoft.Exchange.Data.Unlimited`1[System.TimeSpan]")
    if not low <= total <= high:
        raise exchange_error(400, "Cannot validate argument on parameter '%s'. The value %s is outside the range "
                                  "%s to %s." % (name, value, format_timespan(low), format_timespan(high)),
                             kind="ParameterBindingValidationException")
    return format_timespan(total)


def format_timespan(total):
    days, rest = divmod(total, 86400)
    text = "%02d:%02d:%02d" % (rest // 3600, rest % 3600 // 60, rest % 60)
    return "%d.%s" % (days, text) if days else text


def as_list(value):
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def multivalued(name, value, current):
    """A multi-valued parameter: a list (or one value) replaces; a hashtable with Add/Remove edits."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        unknown = [k for k in value if k.lower() not in ("add", "remove", "@odata.type")]
        if unknown:
            raise exchange_error(400, "Cannot process argument transformation on parameter '%s'. The hashtable "
                                      "key '%s' is not valid; use Add or Remove." % (name, unknown[0]),
                                 kind="ParameterBindingArgumentTransformationException")
        out = list(current)
        lowered = dict((k.lower(), v) for k, v in value.items())
        for item in as_list(lowered.get("add")):
            if item.lower() not in [o.lower() for o in out]:
                out.append(item)
        removed = [r.lower() for r in as_list(lowered.get("remove"))]
        return [o for o in out if o.lower() not in removed]
    raise exchange_error(400, "Cannot convert the value of parameter '%s' to a multi-valued property." % name,
                         kind="ParameterBindingArgumentTransformationException")
