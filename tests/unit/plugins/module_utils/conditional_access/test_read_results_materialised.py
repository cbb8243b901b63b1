"""Paged reads are one-shot generators: each is consumed where it is read.

``GraphClient.list`` and ``pages`` return generators. One kept in an attribute or a variable and
gone over twice is empty the second time, silently: the lockout pre-flight once evaluated
sign-ins "from outside every named location" against no named locations at all because building
that sign-in had used up the generator. So every such call in the collection is consumed on the
spot: materialised (``list(...)``, ``sorted(...)``, ...), looped over, handed to a function that
goes over it once, or returned by a method of the same name (a wrapper of the client).
"""
import ast
import pathlib

import pytest

PLUGINS = pathlib.Path(__file__).resolve().parents[5] / "plugins"
PAGED = ("list", "pages")
# Callables that go over their argument once and keep nothing of the iterator.
# prefetched: the sign-in summary's read-ahead wrapper, itself iterated where the pages are read
CONSUMERS = ("list", "sorted", "tuple", "set", "dict", "split_memberships", "prefetched")


def _paged_calls(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PAGED
                and "graph" in ast.unparse(node.func.value).lower()):
            yield node, parents


def _enclosing_function(node, parents):
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _consumed(call, parents):
    parent = parents[call]
    if isinstance(parent, ast.Call) and call in parent.args and isinstance(parent.func, ast.Name) \
            and parent.func.id in CONSUMERS:
        return True
    if isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is call:
        return True
    if isinstance(parent, ast.YieldFrom):
        return True
    if isinstance(parent, ast.Return):
        function = _enclosing_function(call, parents)
        return function is not None and function.name == call.func.attr
    return False


def paged_reads_kept():
    found = []
    seen = 0
    for path in sorted(PLUGINS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call, parents in _paged_calls(tree):
            seen += 1
            if not _consumed(call, parents):
                where = "%s:%d" % (path.relative_to(PLUGINS.parent), call.lineno)
                found.append("%s: %s" % (where, ast.unparse(parents[call])[:100]))
    assert seen > 10, "the collection's paged reads were not found under %s" % PLUGINS
    return found


def test_every_paged_read_is_consumed_where_it_is_read():
    assert paged_reads_kept() == []


@pytest.mark.parametrize("source, kept", [
    ("def f(self):\n    self._x = self.graph.list('/a')\n", True),
    ("def f(graph):\n    return graph.list('/a')\n", True),
    ("def f(graph):\n    use(graph.list('/a'))\n", True),
    ("def f(self):\n    self._x = list(self.graph.list('/a'))\n", False),
    ("def f(graph):\n    for x in graph.pages('/a'):\n        pass\n", False),
    ("def f(graph):\n    return [x for x in graph.list('/a')]\n", False),
    ("def list(self, path):\n    return self._graph.list(path)\n", False),
])
def test_the_check_tells_kept_from_consumed(source, kept):
    tree = ast.parse(source)
    calls = list(_paged_calls(tree))
    assert len(calls) == 1
    call, parents = calls[0]
    assert (not _consumed(call, parents)) is kept
