"""The endpoint modules' route tables: path templates, one resource factory, no line shadowed by another."""

import pytest

from tenantguard_sandbox import endpoints
from tenantguard_sandbox.resource import template_regex
from tenantguard_sandbox.sandbox import Sandbox

POLICIES = "/identity/conditionalAccess/policies"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return endpoints.route_table(Sandbox(str(tmp_path_factory.mktemp("routes"))))


@pytest.mark.parametrize("template, regex", [
    (POLICIES + "/{key}", r"/identity/conditionalAccess/policies/(?P<key>[^/]+)"),
    ("/users/$count", r"/users/\$count"),
    ("/servicePrincipals(appId='{value:[^']*}')", r"/servicePrincipals\(appId='(?P<value>[^']*)'\)"),
    ("/oauth2/v2.0/token", r"/oauth2/v2\.0/token"),
])
def test_path_templates(template, regex):
    assert template_regex(template) == regex


def test_no_route_is_shadowed_by_an_earlier_one(table):
    seen, repeated = set(), []
    for route in table:
        for method in route.methods:
            key = (route.service, method, route.path.lower())
            if key in seen:
                repeated.append(key)
            seen.add(key)
    assert repeated == []


def test_a_resource_serves_the_verbs_it_has_hooks_for(table):
    def surface(prefix):
        return {(m, r.path[len(prefix):]) for r in table for m in r.methods if r.path.startswith(prefix + "/")
                or r.path == prefix}

    assert surface(POLICIES) == {("GET", ""), ("POST", ""), ("GET", "/$count"), ("GET", "/{key}"),
                                 ("PATCH", "/{key}"), ("DELETE", "/{key}")}
    # read-only: no POST, PATCH or DELETE, so those methods get Graph's 405
    assert surface("/identity/conditionalAccess/templates") == {("GET", ""), ("GET", "/{key}")}
    assert surface("/deviceManagement/roleScopeTags") == {
        ("GET", ""), ("POST", ""), ("GET", "/{key}"), ("PATCH", "/{key}"), ("DELETE", "/{key}"),
        ("POST", "/{key}/assign"), ("GET", "/{key}/assignments")}
