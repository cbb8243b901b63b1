"""The collection's imports only run downwards, and no module imports itself round a cycle.

Layers, top to bottom (docs/architecture.md):

0. plugins/modules, plugins/filter, plugins/action: the entry points;
1. plugins/plugin_utils: what the controller-side plugins (filters) share;
2. module_utils/_restore: puts backups back through every resource below it;
3. module_utils/_conditional_access, _intune, _devices: the feature packages, which never import each other;
4. module_utils/_engine: the module wrapper, the resource engine, backups, names, well-known ids;
5. module_utils/_transport: connection options, authentication, token cache, HTTP, Graph and Exchange clients;
6. module_utils/_base: errors, private files, the version.

Every import counts, at file level and inside functions (a function-level import hides a cycle from
Python, not from the reader). A unit test of the layout, not of behaviour: it fails on an upward or
sideways edge, on a cycle, and on a module_utils file outside the packages.
"""
import ast
import pathlib

import pytest

PLUGINS = pathlib.Path(__file__).resolve().parents[4] / "plugins"
PREFIX = "ansible_collections.tenantguard.m365.plugins."
ENTRY_POINTS = ("modules", "filter", "action", "lookup", "inventory", "callback", "doc_fragments")
LAYERS = {
    "_restore": 2,
    "_conditional_access": 3,
    "_intune": 3,
    "_devices": 3,
    "_exchange": 3,
    "_engine": 4,
    "_transport": 5,
    "_base": 6,
}


def module_name(path):
    return ".".join(path.relative_to(PLUGINS).with_suffix("").parts)


def imports(path):
    """The collection modules ``path`` imports (dotted below plugins/), at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            base = node.module[len(PREFIX):]
            for alias in node.names:
                candidate = base + "." + alias.name
                # "from package import module" names a module; "from module import name" names a name
                found.add(candidate if (PLUGINS / (candidate.replace(".", "/") + ".py")).is_file() else base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX):
                    found.add(alias.name[len(PREFIX):])
    return {name for name in found if not name.endswith("__init__") and (PLUGINS / (name.replace(".", "/") + ".py")).is_file()}


def layer(name):
    parts = name.split(".")
    if parts[0] in ENTRY_POINTS:
        return 0, parts[0]
    if parts[0] == "plugin_utils":
        return 1, parts[0]
    assert parts[0] == "module_utils", name
    return LAYERS[parts[1]], parts[1]


GRAPH = {module_name(p): imports(p) for p in sorted(PLUGINS.rglob("*.py")) if p.name != "__init__.py"}


def test_the_walk_sees_the_collection():
    assert "modules.conditional_access_policy" in GRAPH and "module_utils._engine.resource" in GRAPH
    assert "module_utils._engine.resource" in GRAPH["modules.named_location"] or any(
        name.startswith("module_utils._engine") for name in GRAPH["modules.named_location"])


def test_every_module_util_is_in_a_package_of_a_known_layer():
    loose = sorted(n for n in GRAPH if n.startswith("module_utils.") and (len(n.split(".")) != 3 or n.split(".")[1] not in LAYERS))
    assert loose == []


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_only_run_downwards(name):
    here, package = layer(name)
    wrong = []
    for target in sorted(GRAPH[name]):
        there, target_package = layer(target)
        if target_package == package:
            continue
        if there <= here:
            wrong.append("%s (layer %d, %s) imports %s (layer %d, %s)" % (name, here, package, target, there, target_package))
    assert wrong == []


def test_no_cycles():
    cycles = []
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(GRAPH.get(node, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_the_checks_see_function_level_imports(tmp_path):
    """The walk finds an import inside a function: a cycle hidden that way is still a cycle."""
    source = tmp_path / "hidden.py"
    source.write_text("def f():\n    from " + PREFIX + "module_utils._base import errors\n    return errors\n")
    assert imports(source) == {"module_utils._base.errors"}


def private_names(path):
    """The private names (``_name``) ``path`` imports from another module of the collection."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            base = node.module[len(PREFIX):]
            for alias in node.names:
                is_module = (PLUGINS / ((base + "." + alias.name).replace(".", "/") + ".py")).is_file()
                if alias.name.startswith("_") and not is_module:
                    where = module_name(path) if PLUGINS in path.parents else path.name
                    found.append("%s imports %s from %s" % (where, alias.name, base))
    return found


def test_no_module_imports_another_s_private_names():
    """A name with a leading underscore is its module's own: one that another module needs is made public."""
    found = []
    for path in sorted(PLUGINS.rglob("*.py")):
        found.extend(private_names(path))
    assert found == []


def test_the_private_name_check_sees_one(tmp_path):
    source = tmp_path / "peeking.py"
    source.write_text("from " + PREFIX + "module_utils._transport.graph_client import _peek\n")
    assert private_names_of(source) == ["_peek"]


def private_names_of(path):
    return [line.split(" imports ")[1].split(" from ")[0] for line in private_names(path)]
