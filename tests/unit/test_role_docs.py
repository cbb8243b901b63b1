"""Every role variable of meta/argument_specs.yml is in a table of the docs, with its default.

The tables are docs/roles.md, one section (``## <role>``) per role, except for the roles whose own page holds the
table (DOC_PAGES). A row names one or more variables in its first cell (``outlook_mobile_rollout_*`` stands for
all that start so); where a row names one variable and its default cell is one literal, that literal must be the
default of the argument spec (``required`` for a required variable).
"""
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES_DIR = os.path.join(ROOT, "roles")
DOC_PAGES = {"posture_report": "docs/posture_report.md"}


def roles():
    return sorted(r for r in os.listdir(ROLES_DIR) if os.path.isfile(os.path.join(ROLES_DIR, r, "meta", "argument_specs.yml")))


def options(role):
    with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")) as f:
        specs = yaml.safe_load(f)["argument_specs"]
    found = {}
    for entry_point in specs.values():
        found.update(entry_point.get("options") or {})
    return found


def section(role):
    """The text that documents the role: its own page, or its section of docs/roles.md."""
    with open(os.path.join(ROOT, DOC_PAGES.get(role, "docs/roles.md"))) as f:
        text = f.read()
    if role in DOC_PAGES:
        return text
    parts = re.split(r"^## ", text, flags=re.M)
    matching = [p for p in parts if p.split("\n", 1)[0].strip() == role]
    assert len(matching) == 1, "docs/roles.md has no section '## %s'" % role
    return matching[0]


def rows(role):
    """(names, default cell) of each table row of the role's section that names its variables."""
    found = []
    for line in section(role).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        names = [n for n in re.findall(r"`([a-z0-9_*]+)`", cells[0]) if n.startswith(role + "_")]
        if names:
            found.append((names, cells[1]))
    return found


def documented(name, table):
    return any(n == name or (n.endswith("*") and name.startswith(n[:-1])) for names, _default in table for n in names)


@pytest.mark.parametrize("role", roles())
def test_every_role_variable_is_in_the_docs(role):
    table = rows(role)
    missing = sorted(name for name in options(role) if not documented(name, table))
    assert not missing, "%s: not in the table of %s" % (missing, DOC_PAGES.get(role, "docs/roles.md"))


@pytest.mark.parametrize("role", roles())
def test_every_documented_variable_exists(role):
    known = options(role)
    stale = sorted(n for names, _default in rows(role) for n in names
                   if not (n in known or (n.endswith("*") and any(k.startswith(n[:-1]) for k in known))))
    assert not stale, "%s documented but not in roles/%s/meta/argument_specs.yml" % (stale, role)


@pytest.mark.parametrize("role", roles())
def test_documented_defaults_are_the_defaults(role):
    known = options(role)
    wrong = []
    for names, default in rows(role):
        if len(names) != 1 or names[0] not in known:
            continue
        spec = known[names[0]]
        if spec.get("required"):
            if "required" not in default:
                wrong.append((names[0], default, "required"))
            continue
        literal = re.fullmatch(r"`([^`]*)`", default)
        if not literal:
            continue  # said in words, such as "the seven apps"
        value = literal.group(1)
        expected = spec.get("default")
        if isinstance(expected, str) and "{{" in expected:
            continue  # a template, written for the reader (`<host>` for {{ inventory_hostname }})
        if spec.get("type") in ("str", "path") and isinstance(expected, str) and value == expected:
            continue
        if yaml.safe_load(value) != expected:
            wrong.append((names[0], default, expected))
    assert not wrong, "(variable, documented, argument spec default): %s" % wrong


def test_the_tables_are_found():
    # A change of the tables' layout that this test no longer understands must not pass unseen.
    assert sum(len(rows(role)) for role in roles()) >= 90
