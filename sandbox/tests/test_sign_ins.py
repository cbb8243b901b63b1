"""Sign-in logs as Graph serves them: newest first, pages of at most 1,000 with @odata.nextLink, the documented
$filter forms (and what is refused), the permissions, and generated logs made on demand."""
import json
from pathlib import Path

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox.testing import running_sandbox

DATA = json.loads((Path(__file__).resolve().parent / "data" / "sign_ins_report_only.json").read_text())
POLICY = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
USERS = [{"id": "u-%d" % i, "userPrincipalName": "u%d@contoso.onmicrosoft.com" % i, "displayName": "U %d" % i}
         for i in range(7)]


def seeded_rows():
    text = json.dumps(DATA["signIns"]).replace('"POLICY_NAME"', '"Require app protection"').replace(
        '"POLICY"', '"%s"' % POLICY)
    return json.loads(text)


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    seed = {"signIns": seeded_rows(),
            "generatedSignIns": [{"id": "gen", "count": 2500, "newest": "2026-11-30T00:00:00Z", "intervalSeconds": 60,
                                  "randomSeed": 3, "users": USERS,
                                  "policies": [{"id": POLICY, "displayName": "Require app protection",
                                                "failureRate": 0.1, "interruptedRate": 0.05}]}]}
    with running_sandbox(tmp_path_factory.mktemp("signins"), seed=seed) as running:
        yield running


@pytest.fixture(scope="module")
def graph(sb):
    return Client(sb, sb.token())


def all_pages(graph, url):
    items, pages = [], 0
    while url:
        body = graph.get(url).json()
        pages += 1
        items.extend(body["value"])
        url = body.get("@odata.nextLink")
    return items, pages


def test_newest_first_with_pages_of_1000(graph):
    items, pages = all_pages(graph, "/v1.0/auditLogs/signIns")
    assert len(items) == 2508 and pages == 3
    times = [i["createdDateTime"] for i in items]
    assert items[0]["id"] == "5f3c1a90-6b7e-4c1d-9a2b-000000000001"
    from tenantguard_sandbox.endpoints.sign_ins import parse_time
    assert [parse_time(t) for t in times] == sorted((parse_time(t) for t in times), reverse=True)
    assert len({i["id"] for i in items}) == 2508


def test_every_property_and_the_documented_shape(graph):
    one = graph.get("/v1.0/auditLogs/signIns/5f3c1a90-6b7e-4c1d-9a2b-000000000001").json()
    assert one["deviceDetail"]["operatingSystem"] == "iOS 17.6" and one["clientAppUsed"] == "Exchange ActiveSync"
    assert one["appliedConditionalAccessPolicies"][0] == {
        "id": POLICY, "displayName": "Require app protection", "enforcedGrantControls": ["Require approved app"],
        "enforcedSessionControls": [], "result": "reportOnlyFailure"}
    for name in ("userAgent", "homeTenantId", "servicePrincipalId", "location", "status", "riskDetail"):
        assert name in one
    generated = graph.get("/v1.0/auditLogs/signIns?$top=1&$filter=createdDateTime le 2026-11-30T00:00:00Z").json()
    again = graph.get("/v1.0/auditLogs/signIns/" + generated["value"][0]["id"]).json()
    assert again["userId"] == generated["value"][0]["userId"]


def test_time_window_and_top(graph):
    url = ("/v1.0/auditLogs/signIns?$top=100&$filter=createdDateTime ge 2026-11-28T00:00:00Z and "
           "createdDateTime le 2026-12-06T00:00:00Z")
    items, pages = all_pages(graph, url)
    # 7 hand-written ones in the window, and every generated one (2,500, one a minute before 2026-11-30)
    assert len([i for i in items if i["id"].startswith("5f3c1a90")]) == 7
    assert len([i for i in items if not i["id"].startswith("5f3c1a90")]) == 2500
    assert pages == -(-len(items) // 100)
    items, _ = all_pages(graph, "/v1.0/auditLogs/signIns?$filter=createdDateTime ge 2026-11-29T00:00:00Z and "
                                "createdDateTime le 2026-11-29T12:00:00Z")
    assert len(items) == 12 * 60 + 1
    body = graph.get("/v1.0/auditLogs/signIns?$top=5000").json()
    assert len(body["value"]) == 1000


def test_documented_filters(graph):
    adele = "54e9ff14-c1f7-5e90-b968-ac958fdf83b5"
    items, _ = all_pages(graph, "/v1.0/auditLogs/signIns?$filter=userId eq '%s'" % adele)
    assert len(items) == 3
    items, _ = all_pages(graph, "/v1.0/auditLogs/signIns?$filter=startsWith(appDisplayName,'Graph')")
    assert [i["appDisplayName"] for i in items] == ["Graph Explorer"]
    items, _ = all_pages(graph, "/v1.0/auditLogs/signIns?$filter=clientAppUsed eq 'Exchange ActiveSync' and "
                                "createdDateTime ge 2026-12-01")
    assert len(items) == 2


@pytest.mark.parametrize("query", ["$filter=contains(appDisplayName,'x')", "$filter=userAgent eq 'x'",
                                   "$filter=appId ne 'x'", "$skip=2", "$filter=nosuch eq 1"])
def test_refused_queries(graph, query):
    response = graph.get("/v1.0/auditLogs/signIns?" + query)
    assert response.status_code == 400


def test_permissions(sb):
    audit = sb.seed_app(permissions=["AuditLog.Read.All"])
    client = Client(sb, sb.token(client_id=audit["appId"], secret=audit["secret"]))
    body = client.get("/v1.0/auditLogs/signIns?$top=1").json()
    assert body["value"][0]["appliedConditionalAccessPolicies"] == []  # no CA read permission (unverified shape)
    none = sb.seed_app(permissions=["User.Read.All"])
    response = Client(sb, sb.token(client_id=none["appId"], secret=none["secret"])).get("/v1.0/auditLogs/signIns")
    assert_graph_error(response, 403, "Authorization_RequestDenied")


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("can_read_ca", [True, False])
def test_generated_entries_serialise_as_their_rendered_shape(version, can_read_ca):
    from tenantguard_sandbox.endpoints.sign_ins import Generated, SignIns

    class Request:
        pass

    request = Request()
    request.version = version
    endpoint = SignIns.__new__(SignIns)
    endpoint._template = {}
    gen = Generated({"count": 50, "newest": "2026-11-30T00:00:00Z", "randomSeed": 5, "users": USERS,
                     "policies": [{"id": POLICY, "displayName": "100% \"quoted\"", "failureRate": 0.3},
                                  {"id": "other", "displayName": "Other"}]})
    encode = gen.encoder(lambda record, ca: endpoint.render(request, record, ca), can_read_ca)
    for index in range(50):
        assert json.loads(encode(index)) == endpoint.render(request, gen.record(index), can_read_ca)
