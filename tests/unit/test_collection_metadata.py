"""The collection's metadata stays true to its modules: action group membership and documented attributes."""
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULES_DIR = os.path.join(ROOT, "plugins", "modules")


def module_names():
    return sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith(".py") and not f.startswith("_"))


def module_documentation(name):
    """The DOCUMENTATION YAML of a module, read as text so that no module code runs."""
    with open(os.path.join(MODULES_DIR, name + ".py")) as f:
        source = f.read()
    start = source.index("DOCUMENTATION = r'''") + len("DOCUMENTATION = r'''")
    end = source.index("'''", start)
    return yaml.safe_load(source[start:end])


def attributes_fragment(name):
    """One documentation block of plugins/doc_fragments/attributes.py, read as text."""
    with open(os.path.join(ROOT, "plugins", "doc_fragments", "attributes.py")) as f:
        source = f.read()
    start = source.index('%s = r"""' % name) + len('%s = r"""' % name)
    return yaml.safe_load(source[start:source.index('"""', start)])


def runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as f:
        return yaml.safe_load(f)


def test_there_are_modules():
    assert "graph_request" in module_names()


def test_every_module_is_in_the_action_group_and_nothing_else_is():
    assert sorted(runtime()["action_groups"]["m365"]) == module_names()


@pytest.mark.parametrize("name", module_names())
def test_every_module_documents_the_action_group_and_connection_options(name):
    doc = module_documentation(name)
    fragments = doc.get("extends_documentation_fragment", [])
    assert "tenantguard.m365.connection" in fragments
    assert any(f.startswith("tenantguard.m365.attributes") for f in fragments)
    action_group = doc.get("attributes", {}).get("action_group")
    if action_group is None:  # documented by the fragment made for it
        assert "tenantguard.m365.attributes.actiongroup_m365" in fragments
        action_group = attributes_fragment("ACTIONGROUP_M365")["attributes"]["action_group"]
    assert action_group["membership"] == ["tenantguard.m365.m365"]


def test_requires_ansible_admits_the_tested_core():
    from ansible.module_utils.compat.version import LooseVersion
    from ansible.release import __version__

    spec = runtime()["requires_ansible"]
    assert spec.startswith(">=")
    assert LooseVersion(__version__) >= LooseVersion(spec[2:])
