"""ansible-playbook runs mobile_device_info against the sandbox: the Outlook mobile query of the
FAQ, every filter server-side and client-side, the join, EAS-only users, paging in every source,
the regional redirect, and bad input refused before any device request."""

import copy
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
DEVICE_PATHS = ("/beta/deviceManagement/managedDevices", "/v1.0/devices",
                "/beta/deviceAppManagement/managedAppRegistrations")
OUTLOOK = "Outlook for iOS and Android"


def _seed():
    """Contoso with a few more phones: blocked and quarantined ones, sync times, Entra devices."""
    seed = copy.deepcopy(CONTOSO)
    users = dict((u["userPrincipalName"].split("@")[0], u) for u in seed["users"])
    extra = [
        ("isaiah", "EAS", "iPhone", "iOS 16.7", "Blocked", "2026-03-01T10:00:00Z"),
        ("isaiah", "REST", OUTLOOK, "iOS 16.7", "Quarantined", None),
        ("lidia", "EAS", "SM-A546B", "Android 13", "Quarantined", "2025-12-24T08:00:00Z"),
        ("patti", "Outlook", OUTLOOK, "Android 13", "Blocked", None),
    ]
    for number, (alias, client, model, os_name, state, last) in enumerate(extra):
        device_id = "F%031X" % (number + 1)
        outlook = client in ("REST", "Outlook")
        row = {
            "Guid": "00000000-0000-4000-8000-%012d" % (number + 1),
            "Identity": "%s\\ExchangeActiveSyncDevices\\%s\u00a7%s" % (
                alias, "REST\u00a7Outlook" if outlook else "ExchangeActiveSync", device_id),
            "DeviceId": device_id, "FriendlyName": "%s's second phone" % users[alias]["givenName"],
            "DeviceModel": model, "DeviceOS": os_name, "DeviceType": "Outlook" if outlook else model.split()[0],
            "ClientType": client, "ClientVersion": "16.1", "DeviceAccessState": state,
            "DeviceAccessStateReason": "Individual", "FirstSyncTime": None if outlook else "2025-01-01T00:00:00Z",
            "UserDisplayName": users[alias]["displayName"], "WhenCreated": "2025-01-01T00:00:00Z",
            "WhenChanged": last or "2026-10-01T08:00:00Z", "ExchangeObjectId": users[alias]["id"],
        }
        if last:
            row["LastSuccessSync"] = last
        seed["exchangeMobileDevices"].append(row)
    managed = seed["managedDevices"]
    managed[0]["azureADDeviceId"] = "aad00000-0000-4000-8000-000000000001"
    managed[1]["complianceState"] = "noncompliant"
    managed[1]["lastSyncDateTime"] = "2026-02-01T00:00:00Z"
    managed[2]["exchangeAccessState"] = "blocked"
    seed["devices"] = [
        {"id": "e0000000-0000-4000-8000-000000000001", "deviceId": "aad00000-0000-4000-8000-000000000001",
         "displayName": "Adele's iPhone", "operatingSystem": "iOS", "operatingSystemVersion": "18.1",
         "model": "iPhone 15", "manufacturer": "Apple", "trustType": "Workplace", "isManaged": True,
         "isCompliant": True, "accountEnabled": True, "approximateLastSignInDateTime": "2026-11-19T07:00:00Z"},
        {"id": "e0000000-0000-4000-8000-000000000002", "deviceId": "aad00000-0000-4000-8000-000000000002",
         "displayName": "Kiosk tablet", "operatingSystem": "Android", "operatingSystemVersion": "13",
         "model": "Galaxy Tab", "manufacturer": "Samsung", "trustType": "AzureAd", "isManaged": False,
         "isCompliant": False, "accountEnabled": True, "approximateLastSignInDateTime": "2025-05-01T07:00:00Z"},
    ]
    return seed


@pytest.fixture
def sandbox_seed():
    return _seed()


def _queries(run_playbook, queries, *args):
    run = run_playbook("mobile_device_info.yml", *args, extra_vars={"queries": queries})
    assert run.rc == 0 and run.recap and run.recap["failed"] == 0, run
    return run.output("devices")


def _device_requests(sandbox):
    return [r for r in sandbox.requests()
            if r["service"] == "exchange" or (r["service"] == "graph" and r["path"] in DEVICE_PATHS)]


def test_outlook_mobile_query_tells_rest_from_native_sync(run_playbook, graph_sandbox):
    answers = _queries(run_playbook, [{"source": "exchange", "filters": {"device_model": [OUTLOOK]}}], "--check")
    answer = answers[0]
    assert not answer.get("failed"), answer
    rows = answer["devices"]
    expected = [d for d in _seed()["exchangeMobileDevices"] if d["DeviceModel"] == OUTLOOK]
    assert sorted(r["DeviceId"] for r in rows) == sorted(d["DeviceId"] for d in expected)
    for row in rows:
        for field in ("FriendlyName", "DeviceId", "DeviceOS", "ClientType"):
            assert row[field], (field, row)
    by_id = dict((d["DeviceId"], d) for d in expected)
    assert dict((r["DeviceId"], r["ClientType"]) for r in rows) == dict((k, v["ClientType"]) for k, v in by_id.items())
    assert {r["ClientType"] for r in rows} == {"REST", "Outlook"}
    assert answer["summary"]["by_client_type"] == {"REST": 4, "Outlook": 2}
    assert answer["server_side"]["exchange"] == {"Filter": "DeviceModel -eq 'Outlook for iOS and Android'"}
    # The first POST meets the front door's 302; the re-POST to the regional host carries the token.
    posts = [r for r in graph_sandbox.requests() if r["service"] == "exchange"]
    assert [r["status"] for r in posts] == [302, 200]
    assert posts[0]["body"] == posts[1]["body"]
    assert posts[1]["app_id"] and posts[1]["body"]["CmdletInput"]["Parameters"]["ResultSize"] == "Unlimited"


FILTER_CASES = [
    ("exchange", {"device_model": [OUTLOOK]}),
    ("exchange", {"client_type": ["EAS"]}),
    ("exchange", {"client_type": ["rest", "Outlook"]}),
    ("exchange", {"os": ["iOS"]}),
    ("exchange", {"os": ["android"], "access_state": ["Quarantined", "Blocked"]}),
    ("exchange", {"user": ["grady@contoso.onmicrosoft.com"]}),
    ("exchange", {"group": ["Mobile Pilot"], "client_type": ["REST"]}),
    ("exchange", {"last_seen_after": "2026-01-01"}),
    ("exchange", {"last_seen_before": "2026-01-01T00:00:00Z", "client_type": ["EAS"]}),
    ("intune", {"os": ["iOS"]}),
    ("intune", {"compliance": ["noncompliant"]}),
    ("intune", {"device_model": ["Galaxy S23"], "access_state": ["blocked"]}),
    ("intune", {"user": ["megan@contoso.onmicrosoft.com"]}),
    ("intune", {"last_seen_before": "2026-06-01"}),
    ("intune", {"last_seen_after": "2026-06-01", "management_state": ["managed"]}),
    ("entra", {"management_state": ["unmanaged"]}),
    ("entra", {"compliance": ["compliant"], "os": ["iOS"]}),
    ("all", {"os": ["Android"], "management_state": ["unmanaged"]}),
    ("all", {"group": ["Mobile Pilot"]}),
    ("all", {"compliance": ["noncompliant"], "client_type": ["EAS"]}),
    ("mam", {"os": ["iOS"]}),
    ("mam", {"user": ["grady@contoso.onmicrosoft.com"]}),
    ("mam", {"management_state": ["unmanaged"], "last_seen_after": "2026-11-01"}),
    ("all", {"os": ["Android"], "last_seen_after": "2026-11-30"}),
]


def _ids(answer):
    out = []
    for row in answer["devices"]:
        if "sources" in row:
            parts = (("exchange", "DeviceId"), ("intune", "id"), ("entra", "id"))
            out.append(tuple((row[s] or {}).get(k) for s, k in parts) + (
                tuple(a["id"] for a in row["mam"] or []),))
        else:
            out.append(row.get("DeviceId") or row.get("id"))
    return out


def test_every_filter_gives_the_same_answer_server_side_and_client_side(run_playbook, graph_sandbox):
    queries = []
    for source, filters in FILTER_CASES:
        for server in (True, False):
            queries.append({"name": "%s %s %s" % (source, sorted(filters), server), "source": source,
                            "filters": filters, "server_side_filters": server})
    answers = _queries(run_playbook, queries)
    pushed = 0
    for index, (source, filters) in enumerate(FILTER_CASES):
        server, client = answers[2 * index], answers[2 * index + 1]
        assert not server.get("failed") and not client.get("failed"), (server, client)
        assert _ids(server) == _ids(client), (source, filters, server["server_side"])
        assert server["devices"] == client["devices"] and server["summary"] == client["summary"]
        assert server["count"] >= 1, (source, filters)
        assert not any(client["server_side"].values()), client["server_side"]
        pushed += any(server["server_side"].values())
    assert pushed >= 10
    # spot checks against the seed
    answer = dict(((q["source"], json.dumps(q["filters"], sort_keys=True), q["server_side_filters"]), a)
                  for q, a in zip(queries, answers))

    def get(source, filters):
        return answer[(source, json.dumps(filters, sort_keys=True), True)]

    eas = get("exchange", {"client_type": ["EAS"]})
    assert eas["server_side"]["exchange"] == {"Filter": "ClientType -eq 'EAS'"}
    assert {r["ClientType"] for r in eas["devices"]} == {"EAS"} and eas["count"] == 6
    grady = get("exchange", {"user": ["grady@contoso.onmicrosoft.com"]})
    assert grady["server_side"]["exchange"] == {"Mailbox": "grady@contoso.onmicrosoft.com"}
    assert {r["Identity"].split("\\")[0] for r in grady["devices"]} == {"grady"} and grady["count"] == 2
    pilot = get("exchange", {"group": ["Mobile Pilot"], "client_type": ["REST"]})
    assert sorted(r["Identity"].split("\\")[0] for r in pilot["devices"]) == ["adele", "grady", "megan"]
    non = get("intune", {"compliance": ["noncompliant"]})
    assert non["server_side"]["intune"] == {"$filter": "complianceState eq 'noncompliant'"}
    assert non["count"] == sum(1 for d in _seed()["managedDevices"] if d["complianceState"] == "noncompliant") == 2
    recent = get("exchange", {"last_seen_after": "2026-01-01"})
    assert all(r["LastSuccessSync"] >= "2026-01-01" for r in recent["devices"])
    assert OUTLOOK not in [r["DeviceModel"] for r in recent["devices"]]
    old = get("intune", {"last_seen_before": "2026-06-01"})
    assert old["server_side"]["intune"] == {"$filter": "lastSyncDateTime lt 2026-06-01T00:00:00Z"}
    assert [r["lastSyncDateTime"] for r in old["devices"]] == ["2026-02-01T00:00:00Z"]
    # what was sent is what the module says it sent
    filters_sent = [r["body"]["CmdletInput"]["Parameters"].get("Filter") for r in graph_sandbox.requests()
                    if r["service"] == "exchange" and r["status"] == 200
                    and r["body"]["CmdletInput"]["CmdletName"] == "Get-MobileDevice"]
    assert "ClientType -eq 'EAS'" in filters_sent and None in filters_sent


def test_join_one_record_per_phone_and_eas_only_users(run_playbook):
    answer = _queries(run_playbook, [{"source": "all"}], "--check")[0]
    records = answer["devices"]
    grady = [r for r in records if r["exchange"] and r["exchange"]["DeviceId"] == "E8B9B20E52FC5AD5B605201926975620"]
    assert len(grady) == 1
    assert grady[0]["sources"] == ["exchange", "intune"] and grady[0]["join"] == "easDeviceId"
    assert grady[0]["intune"]["deviceName"] == "grady_Android" and grady[0]["management"] == "managed"
    adele = [r for r in records if r["intune"] and r["intune"]["deviceName"] == "adele_Outlook"]
    assert adele[0]["sources"] == ["exchange", "intune", "entra", "mam"]
    assert adele[0]["entra"]["displayName"] == "Adele's iPhone"
    # Outlook's own Exchange device id joins the phone through the app registration: same user, same OS
    assert adele[0]["join"] == "user+os" and adele[0]["exchange"]["ClientType"] == "REST"
    assert adele[0]["mam_join"] == "managedDeviceId" and adele[0]["app_protection"] == "applied"
    assert adele[0]["apps"] == ["com.microsoft.Office.Outlook", "com.microsoft.skype.teams"]
    diego = [r for r in records if r["mam"] and r["mam"][0]["userId"] == "10b3cc38-ac76-5fc0-9d8b-720b961bd560"]
    assert diego[0]["sources"] == ["exchange", "mam"] and diego[0]["exchange"]["ClientType"] == "Outlook"
    seed = _seed()
    assert answer["summary"]["by_source"] == {"exchange": len(seed["exchangeMobileDevices"]),
                                              "intune": len(seed["managedDevices"]), "entra": 2, "mam": 5}
    # 12 Exchange rows (5 joined: grady's EAS by easDeviceId, four Outlook rows by user and OS), 4 Intune devices,
    # 2 Entra devices (1 joined), 5 phones of app registrations (3 on Intune devices)
    assert len(records) == 7 + 4 + 1 + 2
    unprotected = answer["summary"]["outlook_unprotected_users"]
    # megan is named by her Intune device; patti by no other source, so by /users (her id)
    assert [(u["user"], u["display_name"]) for u in unprotected] == [
        ("megan@contoso.onmicrosoft.com", "Megan Bowen"), ("patti@contoso.onmicrosoft.com", "Patti Fernandez")]
    assert unprotected[1]["user_id"] == "3ef3cb2e-290a-529a-8529-ff932e60ae70"
    assert unprotected[0]["devices"][0]["intended_policies"] == ["Outlook and Teams protection (iOS)"]
    # alex, lee, nestor, lidia have only native EAS mail; grady and isaiah also use Outlook mobile
    assert [u["user"] for u in answer["summary"]["eas_only_users"]] == ["alex", "lee", "lidia", "nestor"]
    keys = [((r["user"] or "").lower(), (r["device_name"] or "").lower()) for r in records]
    assert keys == sorted(keys)


@pytest.fixture
def big_seed(tmp_path_factory):
    from tenantguard_sandbox.generate import generate_seed

    path = tmp_path_factory.mktemp("seed") / "big.json"
    generate_seed(str(path), users=50, groups=1, devices=1500, managed_devices=2300, exchange_devices=2600,
                  app_registrations=2100)
    return path


def test_paging_in_every_source(big_seed, tmp_path, collections_path):
    import os
    import subprocess
    import sys

    from tenantguard_sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "sandbox", seed=str(big_seed)) as sandbox:
        out = tmp_path / "out"
        out.mkdir()
        env = sandbox.ansible_environment(tmp_path, collections_path)
        variables = {"out_dir": str(out), "queries": [{"source": "all", "limit": 5}, {"source": "exchange"}]}
        completed = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-e",
             json.dumps(variables), str(Path(__file__).parent / "playbooks" / "mobile_device_info.yml")],
            env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        both, exchange = json.loads((out / "devices.json").read_text())
        log = sandbox.requests()
    # 2,100 app registrations on 1,602 phones (Teams beside Outlook on some): by_source counts phones
    assert both["summary"]["by_source"] == {"exchange": 2600, "intune": 2300, "entra": 1500, "mam": 1602}
    assert len(both["devices"]) == 5 and both["count"] >= 2600 + 1500
    assert exchange["count"] == 2600 and len({r["DeviceId"] for r in exchange["devices"]}) == 2600
    intune_pages = [r for r in log if r["path"] == DEVICE_PATHS[0]]
    entra_pages = [r for r in log if r["path"] == DEVICE_PATHS[1]]
    assert len(intune_pages) == 3 and len(entra_pages) == 2
    mam_pages = [r for r in log if r["path"] == "/beta/deviceAppManagement/managedAppRegistrations"]
    assert len(mam_pages) == 3 and all(r["query"]["$expand"] == "appliedPolicies,intendedPolicies,operations"
                                       for r in mam_pages)
    assert sum(1 for r in intune_pages if "$skiptoken" in r["query"] or "$skip" in r["query"]) == 2
    posts = [r for r in log if r["service"] == "exchange"]
    # per query: one 302 at the front door, then three pages of 1,000
    assert [r["status"] for r in posts] == [302, 200, 200, 200] * 2
    assert sum(1 for r in posts if "$skiptoken" in r["query"]) == 4
    # Graph: the pages (3 Intune, 3 app registrations, 2 Entra) and one /users read naming, in bulk, the users
    # whose Outlook has no applied app protection policy and whom only an app registration knows
    users = [r for r in log if r["path"] == "/v1.0/users"]
    assert len(users) == 1
    # compliance: per policy and per failing setting, never per device (2,300 Intune devices here)
    compliance = [r for r in log if "Compliance" in r["path"]]
    generated = json.loads(big_seed.read_text())
    failing = {s["setting"] for d in generated["managedDevices"] for p in d.get("deviceCompliancePolicyStates", [])
               for s in p["settingStates"] if s["state"] == "nonCompliant"}
    statuses = [r for r in compliance if r["path"].endswith("/deviceStatuses")]
    settings = [r for r in compliance if r["path"].endswith("/deviceComplianceSettingStates")]
    assert len(statuses) == len(generated["deviceCompliancePolicies"]) == 3
    assert sorted(r["path"].split("/")[-2] for r in settings) == sorted(failing)
    assert len(compliance) == 1 + len(statuses) + 1 + len(settings) < 20
    assert both["requests"] == {"graph": 3 + 3 + 2 + len(users) + len(compliance), "exchange": 4}


BAD = [
    ({"source": "phones"}, "source"),
    ({"source": "exchange", "filters": {"colour": ["red"]}}, "colour"),
    ({"source": "exchange", "filters": {"last_seen_before": "last tuesday"}}, "last_seen_before"),
    ({"source": "intune", "filters": {"last_seen_after": "2026-02-30"}}, "last_seen_after"),
    ({"source": "intune", "filters": {"client_type": ["EAS"]}}, "client_type"),
    ({"source": "mam", "filters": {"compliance": ["compliant"]}}, "compliance"),
    ({"source": "exchange", "filters": {"compliance": ["compliant"]}}, "compliance"),
    ({"source": "intune", "filters": {"compliance": ["green"]}}, "compliance"),
    ({"source": "all", "limit": 0}, "limit"),
    ({"source": "exchange", "filters": {"user": ["nobody@contoso.onmicrosoft.com"]}}, "nobody@contoso"),
    ({"source": "all", "filters": {"group": ["No Such Group"]}}, "No Such Group"),
]


def test_bad_input_fails_clearly_with_no_device_request(run_playbook, graph_sandbox):
    answers = _queries(run_playbook, [dict(q, name=str(i)) for i, (q, _word) in enumerate(BAD)])
    for (query, word), answer in zip(BAD, answers):
        assert answer.get("failed"), (query, answer)
        assert word in answer["msg"], (query, answer["msg"])
    assert "Accepted" in answers[2]["msg"] and "YYYY-MM-DD" in answers[2]["msg"]
    assert _device_requests(graph_sandbox) == []


def _graph_get(sandbox, path):
    """A page read straight from the sandbox with its own token, not through the module."""
    answer = sandbox.session().get(sandbox.base_url + path, headers={"Authorization": "Bearer " + sandbox.token()},
                                   timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


def test_intune_devices_carry_their_compliance_policies_reasons_and_grace(run_playbook, graph_sandbox):
    """Each Intune device's policies (by name), failing settings in words and grace expiry, and each phone's
    ownership and enrolment, as the sandbox's own status resources report them."""
    intune, joined = _queries(run_playbook, [{"source": "intune"}, {"source": "all"}], "--check")
    policies = _graph_get(graph_sandbox, "/beta/deviceManagement/deviceCompliancePolicies")
    expected_policies, expected_grace = {}, {}
    for policy in policies:
        for row in _graph_get(graph_sandbox, "/beta/deviceManagement/deviceCompliancePolicies/%s/deviceStatuses"
                              % policy["id"]):
            device = row["id"].split("_")[0]
            expected_policies.setdefault(device, []).append({"policy": policy["displayName"], "status": row["status"]})
            if not row["complianceGracePeriodExpirationDateTime"].startswith("9999") and row["status"] != "compliant":
                expected_grace[device] = row["complianceGracePeriodExpirationDateTime"]
    expected_settings = {}
    for summary in _graph_get(graph_sandbox, "/beta/deviceManagement/deviceCompliancePolicySettingStateSummaries"):
        for row in _graph_get(graph_sandbox, "/beta/deviceManagement/deviceCompliancePolicySettingStateSummaries/%s"
                              "/deviceComplianceSettingStates" % summary["id"]):
            if row["state"] == "nonCompliant":
                expected_settings.setdefault(row["deviceId"], set()).add(row["setting"])
    assert expected_settings and expected_grace  # the seed has failing phones, one of them in its grace period
    rows = intune["devices"]
    assert len(rows) == len(_seed()["managedDevices"])
    for row in rows:
        assert sorted(row["compliance_policies"], key=lambda p: p["policy"]) == sorted(
            expected_policies.get(row["id"], []), key=lambda p: p["policy"])
        assert row["noncompliance_settings"] == sorted(expected_settings.get(row["id"], ()))
        assert row["grace_period_expires"] == expected_grace.get(row["id"])
        assert len(row["noncompliance_reasons"]) == len(row["noncompliance_settings"])
    megan = next(r for r in rows if r["userPrincipalName"].startswith("megan"))
    assert megan["noncompliance_reasons"] == ["Passcode required"]
    assert megan["compliance_policies"] == [{"policy": "Contoso iOS compliance", "status": "nonCompliant"}]
    grady = next(r for r in rows if r["deviceType"] == "androidForWork")
    assert grady["noncompliance_reasons"] == ["OS minimum version", "Storage require encryption"]
    assert intune["summary"]["by_compliance"] == dict(
        (state, sum(1 for d in _seed()["managedDevices"] if d["complianceState"] == state))
        for state in {d["complianceState"] for d in _seed()["managedDevices"]})
    # joined records: ownership and enrolment from the Intune part, read back from the sandbox's devices
    stored = dict((d["id"], d) for d in _graph_get(graph_sandbox, "/beta/deviceManagement/managedDevices"))
    enrolments = {}
    for record in joined["devices"]:
        enrolments[record["enrollment"]] = enrolments.get(record["enrollment"], 0) + 1
        if record["intune"]:
            device = stored[record["intune"]["id"]]
            assert record["ownership"] == device["ownerType"]
            assert record["compliance_policies"] == record["intune"]["compliance_policies"]
            assert record["noncompliance_reasons"] == record["intune"]["noncompliance_reasons"]
        else:
            assert record["ownership"] is None and not record["compliance_policies"]
            assert record["enrollment"] == ("mam_only" if record["mam"] else "unmanaged")
    by_type = dict((stored[r["intune"]["id"]]["deviceEnrollmentType"], r["enrollment"])
                   for r in joined["devices"] if r["intune"])
    assert by_type["androidEnterpriseFullyManaged"] == "android_fully_managed"
    assert by_type["appleBulkWithUser"] == "ios_corporate"
    assert {"android_personal_work_profile", "ios_personal", "unmanaged"} <= set(enrolments)
    assert joined["summary"]["by_enrollment"] == enrolments


def test_compliance_status_false_sends_no_compliance_request(run_playbook, graph_sandbox):
    [answer] = _queries(run_playbook, [{"source": "intune", "compliance_status": False}], "--check")
    assert "compliance_policies" not in answer["devices"][0]
    assert not [r for r in graph_sandbox.requests() if "Compliance" in r["path"]]
