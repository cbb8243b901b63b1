"""The connection doc fragment documents exactly the options of the connection table."""
import re

import yaml

from ansible_collections.tenantguard.m365.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import (
    CONNECTION_OPTIONS, connection_argument_spec, doc_fragment_options)


def documented():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_fragment_matches_the_table_exactly():
    expected = doc_fragment_options()
    assert documented() == expected, (
        "plugins/doc_fragments/connection.py is out of date; its options section should read:\n"
        + yaml.safe_dump({"options": expected}, sort_keys=False, width=110, default_flow_style=False, indent=2))


def test_same_options_types_choices_and_defaults_as_the_argument_spec():
    docs = documented()
    spec = connection_argument_spec()
    assert sorted(docs) == sorted(spec)
    for name, option in spec.items():
        assert docs[name]["type"] == option["type"], name
        assert docs[name].get("choices") == option.get("choices"), name
        assert docs[name].get("default") == option.get("default"), name
        assert not docs[name].get("required"), name


def test_environment_variables_are_documented_in_order():
    docs = documented()
    for option in CONNECTION_OPTIONS:
        text = " ".join(docs[option.name]["description"])
        mentioned = re.findall(r"E\((\w+)\)", text.split("If not set, the environment variable", 1)[-1])
        assert mentioned[:len(option.env)] == list(option.env), option.name


def test_secrets_and_only_secrets_are_documented_as_such():
    docs = documented()
    spec = connection_argument_spec()
    for name, option in spec.items():
        says_secret = any("is a secret" in line for line in docs[name]["description"])
        assert says_secret == bool(option.get("no_log")), name
    assert not spec["tenant_id"].get("no_log")
