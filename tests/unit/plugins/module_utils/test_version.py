"""The User-Agent carries the collection's own version."""
import os

import yaml

from ansible_collections.tenantguard.m365.plugins.module_utils._version import COLLECTION_VERSION, USER_AGENT


def find_galaxy_yml():
    here = os.path.dirname(os.path.abspath(__file__))
    while here != os.path.dirname(here):
        candidate = os.path.join(here, "galaxy.yml")
        if os.path.exists(candidate):
            return candidate
        here = os.path.dirname(here)
    raise AssertionError("galaxy.yml not found above the tests")


def test_version_matches_galaxy_yml():
    with open(find_galaxy_yml()) as handle:
        assert yaml.safe_load(handle)["version"] == COLLECTION_VERSION
    assert USER_AGENT == "tenantguard.m365/" + COLLECTION_VERSION
