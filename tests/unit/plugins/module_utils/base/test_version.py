"""The User-Agent carries the collection's own version."""
import json
import os

import pytest
import yaml

from ansible_collections.tenantguard.m365.plugins.module_utils._base.version import COLLECTION_VERSION, USER_AGENT


def declared_version():
    """The version in galaxy.yml (a checkout) or MANIFEST.json (an installed collection) above the tests."""
    here = os.path.dirname(os.path.abspath(__file__))
    while here != os.path.dirname(here):
        galaxy = os.path.join(here, "galaxy.yml")
        if os.path.exists(galaxy):
            with open(galaxy) as handle:
                return yaml.safe_load(handle)["version"]
        manifest = os.path.join(here, "MANIFEST.json")
        if os.path.exists(manifest):
            with open(manifest) as handle:
                return json.load(handle)["collection_info"]["version"]
        here = os.path.dirname(here)
    return None


def test_version_matches_the_collection_metadata():
    version = declared_version()
    if version is None:
        pytest.skip("neither galaxy.yml nor MANIFEST.json lies above the tests in this copy")
    assert version == COLLECTION_VERSION


def test_user_agent():
    assert USER_AGENT == "tenantguard.m365/" + COLLECTION_VERSION
