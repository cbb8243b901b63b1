"""Exchange's OPATH ``-Filter`` syntax for the admin API cmdlets.

``DeviceModel -eq 'Outlook for iOS and Android' -and -not (ClientType -eq 'EAS')``: comparisons
``-eq -ne -like -notlike -lt -gt -le -ge``, ``-and -or -not``, parentheses, single or double quoted
strings (``''`` doubles a quote), ``$true $false $null``. Matching ignores case like PowerShell;
``-like`` takes ``*`` and ``?`` wildcards. Parsed into a tree, never evaluated as code.
"""

import fnmatch
import re

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op>-(?:eq|ne|like|notlike|lt|gt|le|ge|and|or|not)\b)
  | (?P<paren>[()])
  | (?P<variable>\$(?:true|false|null)\b)
  | (?P<number>-?\d+(\.\d+)?)
  | (?P<name>[A-Za-z_][\w.]*)
""", re.VERBOSE | re.IGNORECASE)
COMPARE = ("-eq", "-ne", "-like", "-notlike", "-lt", "-gt", "-le", "-ge")


class OpathError(ValueError):
    pass


def _tokens(text):
    out, pos = [], 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None:
            raise OpathError("Invalid filter syntax. For a description of the filter parameter syntax see the "
                             "command help. \"%s\" at position %d." % (text, pos + 1))
        if match.lastgroup != "ws":
            out.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return out


def parse(text, properties):
    """Parse ``text``; property names must be among ``properties`` (matched without regard to case)."""
    tokens = _tokens(text)
    canonical = {p.lower(): p for p in properties}
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else (None, None)

    def take():
        token = peek()
        pos[0] += 1
        return token

    def syntax():
        return OpathError("Invalid filter syntax. For a description of the filter parameter syntax see the command "
                          "help. \"%s\"" % text)

    def parse_or():
        node = parse_and()
        while peek()[0] == "op" and peek()[1].lower() == "-or":
            take()
            node = ("or", node, parse_and())
        return node

    def parse_and():
        node = parse_not()
        while peek()[0] == "op" and peek()[1].lower() == "-and":
            take()
            node = ("and", node, parse_not())
        return node

    def parse_not():
        if peek()[0] == "op" and peek()[1].lower() == "-not":
            take()
            return ("not", parse_not())
        return parse_primary()

    def parse_primary():
        kind, value = take()
        if kind == "paren" and value == "(":
            node = parse_or()
            if take() != ("paren", ")"):
                raise syntax()
            return node
        if kind != "name":
            raise syntax()
        prop = canonical.get(value.lower())
        if prop is None:
            raise OpathError("Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"The "
                             "property '%s' is not a filterable property. Filterable properties: %s.\""
                             % (value, ", ".join(sorted(properties))))
        op_kind, op = take()
        if op_kind != "op" or op.lower() not in COMPARE:
            raise syntax()
        value_kind, literal = take()
        if value_kind == "string":
            quote = literal[0]
            literal = literal[1:-1].replace(quote * 2, quote)
        elif value_kind == "variable":
            literal = {"$true": True, "$false": False, "$null": None}[literal.lower()]
        elif value_kind in ("number", "name"):
            pass
        else:
            raise syntax()
        return ("cmp", op.lower(), prop, literal)

    node = parse_or()
    if pos[0] != len(tokens):
        raise syntax()
    return node


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def matches(node, obj):
    tag = node[0]
    if tag == "and":
        return matches(node[1], obj) and matches(node[2], obj)
    if tag == "or":
        return matches(node[1], obj) or matches(node[2], obj)
    if tag == "not":
        return not matches(node[1], obj)
    _, op, prop, literal = node
    value = obj.get(prop)
    if op in ("-eq", "-ne"):
        equal = (value is None and literal is None) or (literal is not None and _text(value) == _text(literal))
        return equal if op == "-eq" else not equal
    if op in ("-like", "-notlike"):
        hit = fnmatch.fnmatchcase(_text(value), _text(literal))
        return hit if op == "-like" else not hit
    left, right = _text(value), _text(literal)
    return {"-lt": left < right, "-gt": left > right, "-le": left <= right, "-ge": left >= right}[op]
