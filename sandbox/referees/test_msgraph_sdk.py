"""Microsoft's own Graph SDKs for Python (msgraph-sdk for v1.0, msgraph-beta-sdk for beta), unmodified, with
no base-URL override, against the sandbox in intercept mode: list (every page), get, create, update and delete
of every resource type the sandbox models, without a deserialisation error and without a property the SDK's
model does not know; what the SDK wrote is read back from the sandbox directly."""

import json
import pathlib

import pytest

from conftest import USER_COUNT, graph_get, run_referee

DRIVER = pathlib.Path(__file__).resolve().parent / "msgraph_driver.py"
WRITABLE = {
    "namedLocations": "/identity/conditionalAccess/namedLocations",
    "namedLocations (country)": "/identity/conditionalAccess/namedLocations",
    "policies": "/identity/conditionalAccess/policies",
    "authenticationStrengthPolicies": "/policies/authenticationStrengthPolicies",
    "authenticationContextClassReferences": "/identity/conditionalAccess/authenticationContextClassReferences",
    "iosManagedAppProtections": "/deviceAppManagement/iosManagedAppProtections",
    "androidManagedAppProtections": "/deviceAppManagement/androidManagedAppProtections",
    "targetedManagedAppConfigurations": "/deviceAppManagement/targetedManagedAppConfigurations",
}
# Properties real Graph returns although its CSDL (and so the SDK's model) does not declare them
# (../shared/graph/behavior.md, "Responses carry properties the CSDL does not declare"; ``clients`` and
# ``networkAccessSecurity`` in the live beta templates answer the sandbox serves, validation/templates.py).
DOCUMENTED_UNDECLARED = {"times", "signInRiskDetections", "includeProtectionLevels", "deviceStates", "networkAccess",
                         "templateId", "partialEnablementStrategy", "clients", "networkAccessSecurity"}
READ_ONLY = ("users", "groups", "devices", "service_principals", "applications", "directory_roles",
             "directory_role_templates", "templates", "managedDevices")


@pytest.fixture(scope="module", params=["v1.0", "beta"])
def sdk_run(request, referee_sandbox, referee_bin, tmp_path_factory):
    version = request.param
    sandbox = referee_sandbox
    existing = graph_get(sandbox, "/v1.0/identity/conditionalAccess/policies?$filter=displayName eq 'SDK visible'")
    if not existing.json()["value"]:
        created = sandbox.session().post(
            sandbox.base_url + "/v1.0/identity/conditionalAccess/policies", timeout=60,
            headers={"Authorization": "Bearer " + sandbox.token()}, json={
                "displayName": "SDK visible", "state": "enabledForReportingButNotEnforced",
                "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                               "users": {"includeUsers": ["All"]}},
                "grantControls": {"operator": "OR",
                                  "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}}})
        assert created.status_code == 201, created.text
    since = len(sandbox.requests())
    completed = run_referee([referee_bin("msgraph"), str(DRIVER), version], sandbox,
                            tmp_path_factory.mktemp("msgraph-" + version))
    assert completed.returncode == 0, completed.stderr[-4000:]
    document = json.loads(completed.stdout)
    document["requests"] = sandbox.requests()[since:]
    print("%s: %d operations, %d requests" % (document["sdk"], len(document["results"]), len(document["requests"])))
    return version, document


def results(document, resource=None, op=None):
    return [r for r in document["results"] if (resource is None or r["resource"] == resource)
            and (op is None or r["op"] == op)]


def test_every_operation_succeeds_without_deserialisation_errors(sdk_run):
    _, document = sdk_run
    failures = ["%s %s: %s" % (r["resource"], r["op"], r["error"]) for r in document["results"] if not r["ok"]]
    assert failures == []
    unknown = {"%s %s" % (r["resource"], r["op"]): [u for u in r["unknown"]
                                                    if u.rsplit(".", 1)[-1] not in DOCUMENTED_UNDECLARED]
               for r in document["results"]}
    assert {k: v for k, v in unknown.items() if v} == {}


def test_every_modelled_resource_type_was_exercised(sdk_run):
    _, document = sdk_run
    for resource in WRITABLE:
        done = {r["op"] for r in results(document, resource)}
        assert {"create", "get", "update", "get after update", "delete"} <= done, (resource, done)
    for resource in READ_ONLY:
        assert {"list", "get"} <= {r["op"] for r in results(document, resource)}, resource
    for resource in ("organization", "managedAppPolicies"):
        assert results(document, resource, "list"), resource


def test_paging_is_followed_to_the_last_page(sdk_run):
    version, document = sdk_run
    users = results(document, "users", "list")[0]
    assert users["pages"] >= 3, users
    assert users["count"] == USER_COUNT
    pages = [r for r in document["requests"] if r["service"] == "graph" and r["path"] == "/%s/users" % version
             and r["method"] == "GET"]
    assert len(pages) == users["pages"]
    assert all("$skiptoken" in r["query"] for r in pages[1:])


def test_what_the_sdk_wrote_is_what_the_sandbox_stored(sdk_run, referee_sandbox):
    version, document = sdk_run
    writes = [(r["method"], r["path"], r["status"]) for r in document["requests"]
              if r["service"] == "graph" and r["method"] in ("POST", "PATCH", "DELETE")]
    for resource, path in WRITABLE.items():
        key = document["created"][resource]
        item = "/%s%s/%s" % (version, path, key)
        assert ("POST", "/%s%s" % (version, path), 201) in writes, resource
        assert ("PATCH", item, 204) in writes, resource
        assert ("DELETE", item, 204) in writes, resource
        after = results(document, resource, "get after update")[0]
        assert after["display_name"].endswith("updated"), (resource, after)
        listed = results(document, resource, "list")
        assert not listed or listed[0]["found"], resource
        gone = graph_get(referee_sandbox, item)
        assert gone.status_code == 404, (resource, gone.status_code)


def test_the_seeded_policy_reads_back_through_the_sdk(sdk_run, referee_sandbox):
    version, document = sdk_run
    seeded = results(document, "policies (seeded)", "list")[0]["seeded"]
    assert seeded["strength"] == "Multifactor authentication"
    # allowedCombinations is a flags enum: Microsoft's documented answer has "password,sms" and the like
    # (../shared/graph/examples/authentication_strengths/v10__authenticationstrengthroot-list-policies__1.json).
    # The Python SDK reads a single member and gives None for a combination: an SDK limit, not the sandbox's.
    stored = graph_get(referee_sandbox, "/%s/policies/authenticationStrengthPolicies/"
                                        "00000000-0000-0000-0000-000000000002" % version).json()
    assert len(seeded["strength_combinations"]) == len(stored["allowedCombinations"])
    for read, sent in zip(seeded["strength_combinations"], stored["allowedCombinations"]):
        assert read == (None if "," in sent else sent), (read, sent)
    assert seeded["include_users"] == ["All"]
    assert seeded["state"] == "enabledForReportingButNotEnforced"


def test_only_microsoft_hosts_were_reached(sdk_run):
    _, document = sdk_run
    tunnels = {(r["path"], r["status"]) for r in document["requests"] if r["service"] == "proxy"}
    assert tunnels <= {("login.microsoftonline.com:443", 200), ("graph.microsoft.com:443", 200)}, tunnels
    assert ("graph.microsoft.com:443", 200) in tunnels
