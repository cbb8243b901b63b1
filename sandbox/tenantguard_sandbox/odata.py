"""OData query options: a ``$filter`` parser and evaluator, ``$select``, ``$search`` and ``$orderby``.

``$filter`` text is tokenised and parsed into a small tree; literals are read as OData literals
(strings in single quotes with ``''`` for a quote, numbers, ``true``/``false``/``null``, GUIDs and
date-times). Nothing is ever evaluated as Python. Supported: ``eq ne gt ge lt le in has``,
``and or not``, parentheses, ``startswith endswith contains`` and ``any``/``all`` lambdas over
collections (``groupTypes/any(c:c eq 'Unified')``).
"""

import re

from .errors import GraphHTTPError

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-]))
  | (?P<datetime>\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?(?![\w:]))
  | (?P<number>-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w]))
  | (?P<punct>[(),:])
  | (?P<name>[A-Za-z_@$#][\w.@#]*(/[A-Za-z_$][\w.]*)*)
""", re.VERBOSE)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "has")
FUNCTIONS = ("startswith", "endswith", "contains")


class FilterSyntaxError(ValueError):
    pass


def _tokenise(text):
    tokens = []
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None:
            raise FilterSyntaxError("Syntax error: character '%s' is not valid at position %d in '%s'."
                                    % (text[pos], pos, text))
        kind = match.lastgroup
        value = match.group(kind)
        if kind != "ws":
            tokens.append((kind, value, pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = _tokenise(text)
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None, len(self.text))

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, word):
        kind, value, _ = self.peek()
        return kind == "name" and value.lower() == word

    def expect(self, punct):
        kind, value, where = self.take()
        if kind != "punct" or value != punct:
            raise FilterSyntaxError("Syntax error: '%s' expected at position %d in '%s'." % (punct, where, self.text))

    def parse(self):
        node = self.parse_or()
        kind, value, where = self.peek()
        if kind is not None:
            raise FilterSyntaxError("Syntax error at position %d in '%s'." % (where, self.text))
        return node

    def parse_or(self):
        node = self.parse_and()
        while self.keyword("or"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.keyword("and"):
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.keyword("not"):
            self.take()
            return ("not", self.parse_not())
        return self.parse_comparison()

    def parse_comparison(self):
        kind, value, _ = self.peek()
        if kind == "punct" and value == "(":
            self.take()
            node = self.parse_or()
            self.expect(")")
            return node
        left = self.parse_operand()
        kind, value, where = self.peek()
        if kind == "name" and value.lower() in COMPARISONS:
            op = value.lower()
            self.take()
            right = self.parse_list() if op == "in" else self.parse_operand()
            return ("cmp", op, left, right)
        if left[0] in ("call", "any", "all", "prop"):
            return ("bool", left)
        raise FilterSyntaxError("Syntax error at position %d in '%s'." % (where, self.text))

    def parse_list(self):
        self.expect("(")
        items = []
        kind, value, _ = self.peek()
        if not (kind == "punct" and value == ")"):
            while True:
                items.append(self.parse_operand())
                kind, value, _ = self.peek()
                if kind == "punct" and value == ",":
                    self.take()
                    continue
                break
        self.expect(")")
        if any(item[0] != "lit" for item in items):
            raise FilterSyntaxError("Only literal values are allowed in an 'in' list: '%s'." % self.text)
        return ("list", [item[1] for item in items])

    def parse_operand(self):
        kind, value, where = self.take()
        if kind == "string":
            return ("lit", value[1:-1].replace("''", "'"))
        if kind in ("guid", "datetime"):
            return ("lit", value)
        if kind == "number":
            return ("lit", float(value) if any(c in value for c in ".eE") else int(value))
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return ("lit", lowered == "true")
            if lowered == "null":
                return ("lit", None)
            nxt_kind, nxt_value, _ = self.peek()
            if nxt_kind == "punct" and nxt_value == "(":
                if lowered in FUNCTIONS:
                    self.take()
                    args = [self.parse_operand()]
                    while self.peek()[0] == "punct" and self.peek()[1] == ",":
                        self.take()
                        args.append(self.parse_operand())
                    self.expect(")")
                    return ("call", lowered, args)
                if "/" in value and value.rsplit("/", 1)[1].lower() in ("any", "all"):
                    collection, op = value.rsplit("/", 1)
                    self.take()
                    if self.peek()[0] == "punct" and self.peek()[1] == ")":
                        self.take()
                        return (op.lower(), collection, None, None)
                    var_kind, var, _ = self.take()
                    if var_kind != "name":
                        raise FilterSyntaxError("Syntax error: lambda variable expected in '%s'." % self.text)
                    self.expect(":")
                    body = self.parse_or()
                    self.expect(")")
                    return (op.lower(), collection, var, body)
                raise FilterSyntaxError("An unknown function with name '%s' was found." % value)
            return ("prop", value)
        raise FilterSyntaxError("Syntax error at position %d in '%s'." % (where, self.text))


def parse_filter(text):
    """Parse ``$filter`` text into a tree; :class:`FilterSyntaxError` when it is not OData."""
    if not text or not text.strip():
        raise FilterSyntaxError("The $filter query option is empty.")
    return _Parser(text).parse()


# -- analysis ---------------------------------------------------------------------------------------
def filter_properties(node, lambda_vars=()):
    """Top-level property names the filter reads (lambda variables excluded)."""
    found = []

    def walk(n, variables):
        tag = n[0]
        if tag == "prop":
            head = n[1].split("/", 1)[0]
            if head not in variables:
                found.append(head)
        elif tag in ("and", "or"):
            walk(n[1], variables)
            walk(n[2], variables)
        elif tag == "not":
            walk(n[1], variables)
        elif tag == "bool":
            walk(n[1], variables)
        elif tag == "cmp":
            walk(n[2], variables)
            if n[3][0] != "list":
                walk(n[3], variables)
        elif tag == "call":
            for arg in n[2]:
                walk(arg, variables)
        elif tag in ("any", "all"):
            head = n[1].split("/", 1)[0]
            if head not in variables:
                found.append(head)
            if n[3] is not None:
                walk(n[3], variables | {n[2]})

    walk(node, set(lambda_vars))
    return found


def uses_advanced_operators(node):
    """True when the filter needs Entra ID's advanced query mode (ne, not, endswith, null checks, ``/$count``)."""
    tag = node[0]
    if tag == "not":
        return True
    if tag == "cmp":
        if node[1] == "ne":
            return True
        if node[3] == ("lit", None):
            return True
        if node[2][0] == "prop" and node[2][1].lower().endswith("/$count"):
            # "$filter with /$count" is an advanced query (learn.microsoft.com/graph/aad-advanced-queries)
            return True
        return uses_advanced_operators(node[2])
    if tag == "call":
        return node[1] in ("endswith", "contains")
    if tag in ("and", "or"):
        return uses_advanced_operators(node[1]) or uses_advanced_operators(node[2])
    if tag == "bool":
        return uses_advanced_operators(node[1])
    if tag in ("any", "all"):
        return node[3] is not None and uses_advanced_operators(node[3])
    return False


# -- evaluation -------------------------------------------------------------------------------------
def _lookup(obj, path, env):
    if path.lower().endswith("/$count"):
        # a collection's count (assignedLicenses/$count eq 0); a collection is never null, so an absent one is 0
        value = _lookup(obj, path[:-len("/$count")], env)
        return len(value) if isinstance(value, list) else 0
    parts = path.split("/")
    if parts[0] in env:
        value = env[parts[0]]
        parts = parts[1:]
    else:
        value = obj
    for part in parts:
        if isinstance(value, dict):
            if part in value:
                value = value[part]
            else:
                lowered = part.lower()
                value = next((v for k, v in value.items() if k.lower() == lowered), None)
        else:
            return None
    return value


def _norm(value):
    return value.lower() if isinstance(value, str) else value


def _compare(op, left, right):
    if op == "eq":
        return _norm(left) == _norm(right)
    if op == "ne":
        return _norm(left) != _norm(right)
    if left is None or right is None:
        return False
    left, right = _norm(left), _norm(right)
    try:
        if op == "gt":
            return left > right
        if op == "ge":
            return left >= right
        if op == "lt":
            return left < right
        if op == "le":
            return left <= right
    except TypeError:
        return False
    if op == "has":
        members = {m.strip() for m in str(left).split(",")}
        return all(m.strip() in members for m in str(right).split(","))
    return False


def _value(node, obj, env):
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "prop":
        return _lookup(obj, node[1], env)
    return evaluate(node, obj, env)


def evaluate(node, obj, env=None):
    """True when ``obj`` satisfies the filter tree ``node`` (string comparisons ignore case)."""
    env = env or {}
    tag = node[0]
    if tag == "and":
        return evaluate(node[1], obj, env) and evaluate(node[2], obj, env)
    if tag == "or":
        return evaluate(node[1], obj, env) or evaluate(node[2], obj, env)
    if tag == "not":
        return not evaluate(node[1], obj, env)
    if tag == "bool":
        return bool(_value(node[1], obj, env))
    if tag == "cmp":
        op, left = node[1], _value(node[2], obj, env)
        if op == "in":
            options = [_norm(v) for v in node[3][1]]
            return _norm(left) in options
        return _compare(op, left, _value(node[3], obj, env))
    if tag == "call":
        args = [_value(a, obj, env) for a in node[2]]
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
            return False
        haystack, needle = args[0].lower(), args[1].lower()
        if node[1] == "startswith":
            return haystack.startswith(needle)
        if node[1] == "endswith":
            return haystack.endswith(needle)
        return needle in haystack
    if tag in ("any", "all"):
        collection = _lookup(obj, node[1], env) or []
        if not isinstance(collection, list):
            return False
        if node[3] is None:
            return bool(collection)
        results = (evaluate(node[3], obj, dict(env, **{node[2]: item})) for item in collection)
        return any(results) if tag == "any" else all(results)
    raise FilterSyntaxError("Unsupported filter node %r." % (tag,))


# -- $select, $orderby, $search ---------------------------------------------------------------------
def parse_select(text, known, type_name, code="Request_BadRequest"):
    """Validate ``$select`` against ``known`` property names; return canonical names in order."""
    canonical = {name.lower(): name for name in known}
    chosen = []
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name == "*":
            return None
        found = canonical.get(name.lower())
        if found is None:
            raise GraphHTTPError(400, code, "Could not find a property named '%s' on type 'microsoft.graph.%s'."
                                 % (name, type_name))
        if found not in chosen:
            chosen.append(found)
    return chosen or None


def parse_orderby(text, known, type_name, code="Request_BadRequest"):
    """``$orderby=prop [asc|desc]`` (one key) → ``(property, descending)``."""
    canonical = {name.lower(): name for name in known}
    parts = text.strip().split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")) or "," in text:
        raise GraphHTTPError(400, code, "Invalid $orderby value '%s'; one property, optionally followed by "
                                        "asc or desc, is supported." % text)
    name = canonical.get(parts[0].lower())
    if name is None:
        raise GraphHTTPError(400, code, "Could not find a property named '%s' on type 'microsoft.graph.%s'."
                             % (parts[0], type_name))
    return name, len(parts) == 2 and parts[1].lower() == "desc"


SEARCH_CLAUSE = re.compile(r'\s*"(?P<prop>[^":]+):(?P<value>[^"]*)"\s*')


def parse_search(text, searchable, code="Request_UnsupportedQuery"):
    """``$search="displayName:foo" OR "mail:bar"`` → ``[("or"|"and", prop, value), ...]``."""
    clauses = []
    pos = 0
    joiner = "or"
    canonical = {name.lower(): name for name in searchable}
    while pos < len(text):
        match = SEARCH_CLAUSE.match(text, pos)
        if match is None:
            raise GraphHTTPError(400, code, "Syntax error: the $search value '%s' must be made of quoted "
                                            "\"property:value\" clauses joined by AND or OR." % text)
        prop = canonical.get(match.group("prop").strip().lower())
        if prop is None:
            raise GraphHTTPError(400, code, "The property '%s' is not supported in $search; searchable: %s."
                                 % (match.group("prop"), ", ".join(sorted(searchable))))
        clauses.append((joiner, prop, match.group("value")))
        pos = match.end()
        rest = text[pos:].lstrip()
        if not rest:
            break
        word = rest.split(None, 1)[0]
        if word.upper() not in ("AND", "OR"):
            raise GraphHTTPError(400, code, "Syntax error in $search '%s': AND or OR expected." % text)
        joiner = word.lower()
        pos = len(text) - len(rest) + len(word)
    return clauses


_WORD = re.compile(r"[\w]+", re.UNICODE)


def search_matches(clauses, obj):
    """Tokenised prefix match of every word of each clause's value, combined left to right."""
    result = None
    for joiner, prop, value in clauses:
        text = obj.get(prop)
        words = [w.lower() for w in _WORD.findall(text)] if isinstance(text, str) else []
        wanted = [w.lower() for w in _WORD.findall(value)]
        hit = bool(words) and all(any(w.startswith(x) for w in words) for x in wanted)
        if result is None:
            result = hit
        elif joiner == "and":
            result = result and hit
        else:
            result = result or hit
    return bool(result)
