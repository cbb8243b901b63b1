# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the rule language of conditional access "filter for devices", parsed and evaluated offline.

Not a public API. ``parse(rule)`` turns a rule such as
``device.trustType -eq "ServerAD" -or device.isCompliant -ne True`` into a tree, and
``matches(rule, device)`` evaluates it against a device (a dict of device properties, as Graph
names them). Syntax errors raise ``ValueError`` naming the rule, the position (1-based character)
and what would be accepted there.

The syntax follows Microsoft's documentation (Learn: "Conditional Access: Filter for devices",
https://learn.microsoft.com/entra/identity/conditional-access/concept-condition-filters-for-devices,
which refers to the rules of dynamic membership groups, "Manage rules for dynamic membership groups
in Microsoft Entra ID", https://learn.microsoft.com/entra/identity/users/groups-dynamic-membership):

* an expression is ``device.<property> <operator> <value>``; operators ``-eq -ne -startsWith
  -notStartsWith -endsWith -notEndsWith -contains -notContains -in -notIn -match -notMatch``,
  written with or without the leading hyphen, in any case;
* expressions combine with ``-and``, ``-or``, ``-not`` and parentheses; precedence from highest:
  the comparisons, ``-not``, ``-and``, ``-or``;
* values: strings in double quotes (a double quote inside is escaped with a backtick) or single
  quotes (a single quote inside is doubled), ``true`` / ``false``, ``null``, numbers, and lists
  ``["a", "b"]`` for ``-in`` / ``-notIn``;
* string operations and regular expressions are not case sensitive;
* the properties and the operators each supports are those of the documented table
  (``PROPERTIES``); ``-match`` / ``-notMatch`` are accepted wherever ``-startsWith`` is;
* ``-contains`` on a string is a substring test; on the string collections ``physicalIds`` and
  ``systemLabels`` it tests whether one element equals the value.

Null values: "for a device that is unregistered with Microsoft Entra ID, all device properties
are considered as null values": a positive operator (``-eq -startsWith -endsWith -contains -in
-match``) is false on a null property and a negative operator is true, so that a rule with a
negative operator applies to unregistered devices, as the documented table of policy behaviour
says. ``-eq null`` / ``-ne null`` test for null. A property missing from the device dict is null.

extensionAttribute1..15 have a value at evaluation time only when the device is managed by Intune
(``mdmAppId`` set), compliant or Microsoft Entra hybrid joined (``trustType`` ``ServerAD``); on
any other device they are null, as the same page says.
"""

import re

# Supported device properties -> operators (without hyphen, lower case), from the documented table.
_EQ = ("eq", "ne", "in", "notin")
_STRING = ("eq", "ne", "startswith", "notstartswith", "endswith", "notendswith", "contains", "notcontains",
           "in", "notin", "match", "notmatch")
_COLLECTION = ("contains", "notcontains")
PROPERTIES = {
    "deviceId": _EQ,
    "displayName": _STRING,
    "deviceOwnership": ("eq", "ne"),
    "enrollmentProfileName": _STRING,
    "isCompliant": ("eq", "ne"),
    "manufacturer": _STRING,
    "mdmAppId": _EQ,
    "model": _STRING,
    "operatingSystem": _STRING,
    "operatingSystemVersion": _STRING,
    "physicalIds": _COLLECTION,
    "profileType": ("eq", "ne"),
    "systemLabels": _COLLECTION,
    "trustType": ("eq", "ne"),
}
for _n in range(1, 16):
    PROPERTIES["extensionAttribute%d" % _n] = _STRING
COLLECTION_PROPERTIES = ("physicalIds", "systemLabels")
EXTENSION_ATTRIBUTES = tuple("extensionAttribute%d" % n for n in range(1, 16))

# Canonical spelling of each operator, for messages.
OPERATORS = {
    "eq": "-eq", "ne": "-ne", "startswith": "-startsWith", "notstartswith": "-notStartsWith",
    "endswith": "-endsWith", "notendswith": "-notEndsWith", "contains": "-contains",
    "notcontains": "-notContains", "in": "-in", "notin": "-notIn", "match": "-match", "notmatch": "-notMatch",
}
NEGATIVE_OPERATORS = ("ne", "notstartswith", "notendswith", "notcontains", "notin", "notmatch")
_LOGICAL = ("and", "or", "not")
_PROPERTY_BY_KEY = dict((name.lower(), name) for name in PROPERTIES)
_PROPERTY_LIST = ", ".join(["device." + p for p in sorted(PROPERTIES, key=str.lower) if p not in EXTENSION_ATTRIBUTES]
                           + ["device.extensionAttribute1 to device.extensionAttribute15"])

_HYPHENS = "-\u2013\u2014"  # Microsoft's own examples sometimes carry an en dash.
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class _Token(object):
    __slots__ = ("kind", "value", "position")

    def __init__(self, kind, value, position):
        self.kind = kind          # word, operator, logical, string, number, lparen, rparen, lbracket, rbracket, comma
        self.value = value
        self.position = position  # 0-based offset in the rule

    def describe(self):
        if self.kind == "string":
            return 'the string "%s"' % self.value
        if self.kind in ("operator", "logical"):
            return "-%s" % self.value
        return "'%s'" % self.value


def _error(rule, position, message):
    return ValueError("device filter rule %r, at character %d: %s" % (rule, position + 1, message))


def _tokens(rule):
    tokens = []
    i, n = 0, len(rule)
    while i < n:
        char = rule[i]
        if char.isspace():
            i += 1
            continue
        if char in "()[],":
            kinds = {"(": "lparen", ")": "rparen", "[": "lbracket", "]": "rbracket", ",": "comma"}
            tokens.append(_Token(kinds[char], char, i))
            i += 1
            continue
        if char in "\"'":
            start, value, i = i, [], i + 1
            while True:
                if i >= n:
                    raise _error(rule, start, "the string that starts here has no closing %s" % char)
                if char == '"' and rule[i] == "`" and i + 1 < n:
                    value.append(rule[i + 1])
                    i += 2
                    continue
                if rule[i] == char:
                    if char == "'" and i + 1 < n and rule[i + 1] == "'":
                        value.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                value.append(rule[i])
                i += 1
            tokens.append(_Token("string", "".join(value), start))
            continue
        if char in _HYPHENS and i + 1 < n and rule[i + 1].isalpha():
            match = _WORD.match(rule, i + 1)
            word = match.group(0).lower()
            if word in OPERATORS:
                tokens.append(_Token("operator", word, i))
            elif word in _LOGICAL:
                tokens.append(_Token("logical", word, i))
            else:
                raise _error(rule, i, "unknown operator -%s; expected one of %s, -and, -or, -not"
                             % (match.group(0), ", ".join(OPERATORS[k] for k in sorted(OPERATORS))))
            i = match.end()
            continue
        number = _NUMBER.match(rule, i)
        if number:
            tokens.append(_Token("number", number.group(0), i))
            i = number.end()
            continue
        match = _WORD.match(rule, i)
        if match:
            word = match.group(0)
            lowered = word.lower()
            if lowered in OPERATORS:
                tokens.append(_Token("operator", lowered, i))
            elif lowered in _LOGICAL:
                tokens.append(_Token("logical", lowered, i))
            else:
                tokens.append(_Token("word", word, i))
            i = match.end()
            continue
        raise _error(rule, i, "unexpected character %r" % char)
    return tokens


class _Parser(object):
    """Recursive descent: or_expr := and_expr (-or and_expr)*; and_expr := not_expr (-and not_expr)*;
    not_expr := -not not_expr | primary; primary := ( or_expr ) | comparison."""

    def __init__(self, rule):
        self.rule = rule
        self.tokens = _tokens(rule)
        self.index = 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def fail(self, message, token=None):
        token = token or self.peek()
        position = token.position if token is not None else len(self.rule)
        found = token.describe() if token is not None else "the end of the rule"
        return _error(self.rule, position, "%s, found %s" % (message, found))

    def parse(self):
        if not self.tokens:
            raise _error(self.rule, 0, "the rule is empty; expected an expression such as "
                                       "device.trustType -eq \"AzureAD\"")
        tree = self.or_expr()
        if self.peek() is not None:
            raise self.fail("expected -and, -or or the end of the rule")
        return tree

    def _logical(self, word):
        token = self.peek()
        return token is not None and token.kind == "logical" and token.value == word

    def or_expr(self):
        parts = [self.and_expr()]
        while self._logical("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self):
        parts = [self.not_expr()]
        while self._logical("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_expr(self):
        if self._logical("not"):
            self.take()
            return ("not", self.not_expr())
        return self.primary()

    def primary(self):
        token = self.peek()
        if token is None:
            raise self.fail("expected an expression such as device.trustType -eq \"AzureAD\" or '('")
        if token.kind == "lparen":
            self.take()
            tree = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise self.fail("expected ')' to close the '(' at character %d" % (token.position + 1))
            self.take()
            return tree
        return self.comparison()

    def comparison(self):
        token = self.take()
        if token.kind != "word" or not token.value.lower().startswith("device."):
            raise self.fail("expected a device property such as device.trustType", token)
        key = token.value[len("device."):].lower()
        name = _PROPERTY_BY_KEY.get(key)
        if name is None:
            raise _error(self.rule, token.position, "unknown device property %s; expected one of %s"
                         % (token.value, _PROPERTY_LIST))
        operator = self.take()
        if operator is None or operator.kind != "operator":
            raise self.fail("expected an operator after device.%s (%s)"
                            % (name, ", ".join(OPERATORS[o] for o in PROPERTIES[name])), operator)
        if operator.value not in PROPERTIES[name]:
            raise _error(self.rule, operator.position, "operator %s is not supported for device.%s; expected one of %s"
                         % (OPERATORS[operator.value], name, ", ".join(OPERATORS[o] for o in PROPERTIES[name])))
        if operator.value in ("in", "notin"):
            value = self.value_list()
        else:
            value = self.value()
            if operator.value in ("match", "notmatch"):
                if value is None:
                    raise _error(self.rule, operator.position, "%s needs a regular expression, not null"
                                 % OPERATORS[operator.value])
                try:
                    re.compile(str(value))
                except re.error as exc:
                    raise _error(self.rule, operator.position, "invalid regular expression %r: %s" % (value, exc))
        return ("compare", name, operator.value, value)

    def value(self):
        token = self.take()
        if token is None:
            raise self.fail("expected a value (a quoted string, true, false, null or a number)")
        if token.kind == "string":
            return token.value
        if token.kind == "number":
            return token.value
        if token.kind == "word" and token.value.lower() in ("true", "false"):
            return token.value.lower() == "true"
        if token.kind == "word" and token.value.lower() == "null":
            return None
        raise self.fail("expected a value (a quoted string, true, false, null or a number)", token)

    def value_list(self):
        opening = self.take()
        if opening is None or opening.kind != "lbracket":
            raise self.fail("expected a list of values such as [\"a\", \"b\"]", opening)
        values = []
        while True:
            token = self.peek()
            if token is not None and token.kind == "rbracket" and not values:
                self.take()
                return values
            values.append(self.value())
            token = self.take()
            if token is not None and token.kind == "rbracket":
                return values
            if token is None or token.kind != "comma":
                raise self.fail("expected ',' or ']' in the list that starts at character %d"
                                % (opening.position + 1), token)


_PARSED = {}


def parse(rule):
    """The parsed tree of a rule; ``ValueError`` naming the rule and the position on syntax errors.
    Trees are kept by rule text: evaluating many sign-ins parses each rule once."""
    if not isinstance(rule, str):
        raise ValueError("device filter rule %r: expected a string" % (rule,))
    tree = _PARSED.get(rule)
    if tree is None:
        tree = _Parser(rule).parse()
        if len(_PARSED) < 1000:
            _PARSED[rule] = tree
    return tree


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def _device_value(device, name):
    """The property's value as the evaluation sees it: None when null or unavailable."""
    value = device.get(name)
    if value is None:
        for key in device:
            if str(key).lower() == name.lower():
                value = device[key]
                break
    if name in EXTENSION_ATTRIBUTES and not _extension_attributes_available(device):
        return None
    if name in COLLECTION_PROPERTIES and value is not None and not isinstance(value, (list, tuple)):
        value = [value]
    if isinstance(value, (list, tuple)) and name not in COLLECTION_PROPERTIES:
        raise ValueError("device property %s is %r: expected a single value, not a list" % (name, value))
    return value


def _extension_attributes_available(device):
    return (bool(device.get("mdmAppId")) or _text(device.get("isCompliant")) == "true"
            or _text(device.get("trustType")) == "serverad")


def _compare(actual, operator, expected):
    negative = operator in NEGATIVE_OPERATORS
    positive = operator[3:] if operator.startswith("not") else ("eq" if operator == "ne" else operator)
    if operator in ("eq", "ne") and expected is None:
        result = actual is None or actual == []
        return not result if negative else result
    if actual is None:
        return negative
    if isinstance(actual, (list, tuple)):  # string collections: -contains means one whole element
        found = _text(expected) in [_text(item) for item in actual]
        return not found if negative else found
    text = _text(actual)
    if positive == "eq":
        result = text == _text(expected)
    elif positive == "in":
        result = text in [_text(item) for item in expected]
    elif positive == "startswith":
        result = text.startswith(_text(expected))
    elif positive == "endswith":
        result = text.endswith(_text(expected))
    elif positive == "contains":
        result = _text(expected) in text
    else:  # match
        result = re.search(str(expected), str(actual), re.IGNORECASE) is not None
    return not result if negative else result


def evaluate(tree, device):
    """Evaluate a parsed tree against a device dict (None or {} is a device whose properties are null)."""
    device = device or {}
    kind = tree[0]
    if kind == "or":
        return any(evaluate(part, device) for part in tree[1])
    if kind == "and":
        return all(evaluate(part, device) for part in tree[1])
    if kind == "not":
        return not evaluate(tree[1], device)
    _kind, name, operator, value = tree
    return _compare(_device_value(device, name), operator, value)


def matches(rule, device):
    """Whether the device satisfies the rule. ``ValueError`` on syntax errors."""
    return evaluate(parse(rule), device)


def properties_used(rule):
    """The device properties a rule refers to, in order of first use."""
    found = []

    def walk(tree):
        if tree[0] in ("or", "and"):
            for part in tree[1]:
                walk(part)
        elif tree[0] == "not":
            walk(tree[1])
        elif tree[1] not in found:
            found.append(tree[1])

    walk(parse(rule))
    return found
