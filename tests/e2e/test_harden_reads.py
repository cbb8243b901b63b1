"""What a no-op run of playbooks/harden_tenant.yml reads: each resource type once, whatever the number of policies.

The figures come from the sandbox's request log. Requests inside a ``$batch`` count one by one towards the
conditional access throttling bucket, as Graph limits them one by one (about one request per second per tenant
for conditional access policies, named locations and authentication strengths:
https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
"""
import copy
import json
import re
from urllib.parse import urlsplit

import pytest

from conftest import REPO, graph_writes, settled

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())
# The paths Graph counts in the conditional access bucket, relative to the version root.
CA_BUCKET = re.compile(r"^/?(identity/conditionalAccess/|policies/authenticationStrengthPolicies|"
                       r"identity/authenticationStrength)", re.IGNORECASE)
VERSION = re.compile(r"^/?(v1\.0|beta)/")
# 7 for conditional access and app protection; the device compliance of the example vars adds 2: its policies and the
# enrolment configurations. Its look-up of groups by name replaces the one app protection made (the same groups,
# passed on as known_groups).
MAX_REQUESTS = 9
MAX_CA_BUCKET = 2
# The collections of the objects the baseline converges: each is listed once.
POLICY_TYPES = (
    "identity/conditionalAccess/namedLocations",
    "identity/conditionalAccess/policies",
    "deviceAppManagement/iosManagedAppProtections",
    "deviceAppManagement/androidManagedAppProtections",
    "deviceAppManagement/targetedManagedAppConfigurations",
    "deviceManagement/deviceCompliancePolicies",
    "deviceManagement/deviceEnrollmentConfigurations",
)


def crowded_contoso():
    """Contoso with 80 more policies and 40 more named locations that the playbook does not declare (nor purge)."""
    seed = copy.deepcopy(CONTOSO)
    legacy = seed["conditionalAccessPolicies"][0]
    for index in range(80):
        policy = copy.deepcopy(legacy)
        policy.pop("id", None)
        policy["displayName"] = "Branch %02d: require approved client app" % index
        policy["state"] = "disabled"
        seed["conditionalAccessPolicies"].append(policy)
    for index in range(40):
        seed["namedLocations"].append({
            "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Branch office %02d" % index,
            "isTrusted": False,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.%d/32" % index}]})
    return seed


@pytest.fixture(params=["contoso", "contoso_with_120_more_objects"])
def sandbox_seed(request):
    return CONTOSO if request.param == "contoso" else crowded_contoso()


def relative(url):
    """A Graph URL or path relative to the version root, without the query."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    return VERSION.sub("", path).lstrip("/")


def reads(rows):
    """Every Graph request of ``rows``, ``$batch`` members one by one: [(method, path relative to the version)]."""
    out = []
    for row in rows:
        if row["service"] != "graph":
            continue
        if relative(row["path"]) == "$batch":
            out.extend((item["method"], relative(item["url"])) for item in (row.get("body") or {}).get("requests") or [])
        else:
            out.append((row["method"], relative(row["path"])))
    return out


def stored(sandbox, path):
    """How many objects a Graph collection holds, read directly from the sandbox (one page holds them all here)."""
    response = sandbox.session().get(sandbox.base_url + path, headers={"Authorization": "Bearer " + sandbox.token()})
    response.raise_for_status()
    body = response.json()
    assert "@odata.nextLink" not in body
    return len(body["value"])


def test_no_op_baseline_reads_each_type_once(run_playbook, graph_sandbox, sandbox_seed):
    first = run_playbook(HARDEN)
    assert first.rc == 0, first
    assert first.recap["changed"] >= 1, first
    since = len(settled(graph_sandbox))
    again = run_playbook(HARDEN)
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    assert graph_writes(graph_sandbox, since, bulk_reads=False) == []
    rows = [r for r in settled(graph_sandbox)[since:] if r["service"] == "graph"]
    members = reads(rows)
    print("no-op run of harden_tenant.yml: %d Graph requests (%d with $batch members one by one): %s" % (
        len(rows), len(members), members))
    assert len(rows) <= MAX_REQUESTS, [(r["method"], r["path"]) for r in rows]
    assert len([p for _m, p in members if CA_BUCKET.search(p)]) <= MAX_CA_BUCKET, members
    for collection in POLICY_TYPES:
        assert [p for _m, p in members if p == collection] == [collection], (collection, members)
    # The tenant holds the seeded objects besides the baseline's (the crowded tenant: 80 more policies, 40 more
    # locations; the playbook's one location is seeded), and the run read them all in those few requests.
    assert stored(graph_sandbox, "/v1.0/identity/conditionalAccess/policies") >= len(
        sandbox_seed["conditionalAccessPolicies"]) + 5
    assert stored(graph_sandbox, "/v1.0/identity/conditionalAccess/namedLocations") == len(
        sandbox_seed["namedLocations"])
    # Nothing is read twice with the same query.
    queries = [(r["path"], json.dumps(r["query"], sort_keys=True), json.dumps(r["body"], sort_keys=True)) for r in rows]
    assert len(queries) == len(set(queries)), queries
