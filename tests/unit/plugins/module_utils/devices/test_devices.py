"""The device inventory's pure parts: filter checks and queries, the join, the summary, the spill."""
import csv
import json
import os

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import (
    FilterError, Filters, UserSet, exchange_matches, intune_matches, joined_matches, parse_time)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.inventory import Inventory
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.join import join_devices, os_family
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.output import (
    SortedSpill, write_csv, write_json)
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.summary import Summary


def ex(alias, device_id, client="EAS", model="iPhone", os_name="iOS 18.1", state="Allowed", object_id=None, **more):
    row = {"Identity": "%s\\ExchangeActiveSyncDevices\\X\u00a7%s" % (alias, device_id), "DeviceId": device_id,
           "ClientType": client, "DeviceModel": model, "DeviceOS": os_name, "DeviceAccessState": state,
           "FriendlyName": "%s phone" % alias, "UserDisplayName": alias.title(), "ExchangeObjectId": object_id}
    row.update(more)
    return row


def it(upn, device_id, model="iPhone 15", eas=None, user_id=None, aad=None, **more):
    row = {"id": device_id, "userPrincipalName": upn, "userId": user_id, "model": model, "operatingSystem": "iOS",
           "deviceName": device_id, "complianceState": "compliant", "easDeviceId": eas, "azureADDeviceId": aad,
           "lastSyncDateTime": "2026-11-20T07:00:00Z", "exchangeAccessState": "allowed"}
    row.update(more)
    return row


@pytest.mark.parametrize("text, expected", [
    ("2026-01-31", "2026-01-31T00:00:00Z"),
    ("2026-01-31T12:30", "2026-01-31T12:30:00Z"),
    ("2026-01-31T12:30:15.123Z", "2026-01-31T12:30:15Z"),
    ("2026-01-31T12:30:00+02:00", "2026-01-31T10:30:00Z"),
])
def test_dates_are_read_as_utc(text, expected):
    assert parse_time("last_seen_after", text).strftime("%Y-%m-%dT%H:%M:%SZ") == expected


@pytest.mark.parametrize("values, source, field", [
    ({"last_seen_before": "yesterday"}, "intune", "last_seen_before"),
    ({"last_seen_before": "2026-02-30"}, "intune", "last_seen_before"),
    ({"client_type": ["EAS"]}, "intune", "client_type"),
    ({"compliance": ["compliant"]}, "exchange", "compliance"),
    ({"management_state": ["half"]}, "all", "management_state"),
    ({"user": ["a@b.c"]}, "entra", "user"),
    ({"colour": ["red"]}, "all", "colour"),
    ({"device_model": [""]}, "all", "device_model"),
    ({"last_seen_before": "2026-01-01", "last_seen_after": "2026-02-01"}, "all", "last_seen_after"),
])
def test_bad_filters_name_the_field(values, source, field):
    with pytest.raises(FilterError) as caught:
        Filters(values, source)
    assert caught.value.field == field


def test_bad_source_and_limit():
    with pytest.raises(FilterError):
        Inventory("phones")
    with pytest.raises(FilterError):
        Inventory("all", limit=0)


def test_exchange_query_holds_only_documented_properties():
    filters = Filters({"device_model": ["Outlook for iOS and Android"], "client_type": ["REST", "Outlook"],
                       "os": ["iOS"], "access_state": ["Blocked"], "user": ["o'neil@contoso.com"]}, "exchange")
    parameters = filters.exchange_parameters()
    assert parameters["Filter"] == (
        "DeviceModel -eq 'Outlook for iOS and Android' -and (ClientType -eq 'REST' -or ClientType -eq 'Outlook') "
        "-and DeviceAccessState -eq 'Blocked' -and (DeviceOS -eq 'iOS' -or DeviceOS -like 'iOS *')")
    assert parameters["Mailbox"] == "o'neil@contoso.com"
    assert Filters({"os": ["i*"]}, "exchange").exchange_parameters() == {}


def test_intune_query_only_where_honoured():
    assert Filters({"os": ["ios"], "compliance": ["Compliant"]}, "intune").intune_filter() == \
        "operatingSystem eq 'iOS' and complianceState eq 'compliant'"
    # several values (or) and fields Intune ignores stay client-side
    assert Filters({"os": ["iOS", "Android"], "user": ["a@b.c"], "access_state": ["blocked"]},
                   "intune").intune_filter() is None
    assert Filters({"last_seen_after": "2026-01-01"}, "intune").intune_filter() == \
        "lastSyncDateTime gt 2026-01-01T00:00:00Z"


def test_client_side_matching():
    filters = Filters({"os": ["iOS"], "client_type": ["eas"]}, "exchange")
    assert exchange_matches(ex("a", "1"), filters)
    assert not exchange_matches(ex("a", "2", os_name="iOSX 1"), filters)
    assert not exchange_matches(ex("a", "3", client="REST"), filters)
    users = UserSet([{"id": "U1", "userPrincipalName": "adele@contoso.com"}])
    assert exchange_matches(ex("adele", "4"), Filters({}, "exchange"), users)
    assert exchange_matches(ex("av", "5", object_id="u1"), Filters({}, "exchange"), users)
    assert not exchange_matches(ex("bob", "6"), Filters({}, "exchange"), users)
    assert intune_matches(it("ADELE@contoso.com", "7"), Filters({}, "intune"), users)
    seen = Filters({"last_seen_after": "2026-11-01"}, "exchange")
    assert not exchange_matches(ex("a", "8"), seen)  # no LastSuccessSync: never matches
    assert exchange_matches(ex("a", "9", LastSuccessSync="2026-11-02T00:00:00Z"), seen)


def test_join_by_eas_id_then_user_and_model():
    exchange = [ex("adele", "EAS1"), ex("bob", "X", model="Pixel 8", object_id="u-bob"),
                ex("cara", "OUT1", client="REST", model="Outlook for iOS and Android")]
    intune = [it("adele@contoso.com", "i1", eas="eas1"),
              it("bob@contoso.com", "i2", model="pixel 8", user_id="U-BOB", aad="d2"),
              it("cara@contoso.com", "i3")]
    entra = [{"id": "e2", "deviceId": "D2", "isManaged": True}, {"id": "e9", "deviceId": "d9", "isManaged": False}]
    records = list(join_devices(iter(exchange), iter(intune), iter(entra)))
    by_sources = dict((tuple(r["sources"]), r) for r in records if r["intune"] and r["intune"]["id"] != "i3")
    assert by_sources[("exchange", "intune")]["join"] == "easDeviceId"
    assert by_sources[("exchange", "intune", "entra")]["join"] == "user+model"
    assert len(records) == 5  # cara's Outlook row stays apart from her iPhone; one Entra-only device
    assert [r["sources"] for r in records if r["entra"] and not r["intune"]] == [["entra"]]
    assert [r["management"] for r in records if r["sources"] == ["exchange"]] == ["unmanaged"]


def test_user_and_model_join_needs_a_unique_pair():
    exchange = [ex("dan", "A", model="iPhone"), ex("dan", "B", model="iPhone")]
    intune = [it("dan@contoso.com", "i1", model="iPhone")]
    records = list(join_devices(exchange, intune, []))
    assert all(r["join"] is None for r in records) and len(records) == 3


def test_joined_filter_any_part():
    intune = [it("adele@c.com", "i1", eas="EAS1", complianceState="noncompliant")]
    record = list(join_devices([ex("adele", "EAS1", os_name="iOS 17")], intune, []))[0]
    assert joined_matches(record, Filters({"client_type": ["EAS"], "compliance": ["noncompliant"]}, "all"))
    assert not joined_matches(record, Filters({"compliance": ["compliant"]}, "all"))
    assert joined_matches(record, Filters({"management_state": ["managed"]}, "all"))
    assert joined_matches(record, Filters({"group": ["G"]}, "all"), UserSet([{"userPrincipalName": "adele@c.com"}]))
    assert not joined_matches(record, Filters({"group": ["G"]}, "all"), UserSet([{"userPrincipalName": "x@c.com"}]))


def test_summary_lists_eas_only_users():
    summary = Summary("exchange")
    for row in (ex("alex", "1"), ex("alex", "2", os_name="Android 14"), ex("grady", "3"),
                ex("grady", "4", client="REST"), ex("megan", "5", client="Outlook")):
        summary.add(row)
    result = summary.result()
    assert result["eas_only_users"] == [{"user": "alex", "display_name": "Alex", "eas_devices": 2}]
    assert result["by_client_type"] == {"EAS": 3, "REST": 1, "Outlook": 1}
    assert result["by_os"] == {"iOS": 4, "Android": 1}
    intune = Summary("intune")
    intune.add(it("a@b.c", "1"))
    assert intune.result()["eas_only_users"] == [] and "eas_only_users_note" in intune.result()
    assert os_family("Android 15") == "Android" and os_family(None) is None


def test_spill_is_sorted_stable_and_bounded(tmp_path):
    spill = SortedSpill()
    for index, key in enumerate(["b", "a", "c", "a"]):
        spill.add(key, {"n": index})
    assert [r["n"] for r in spill.records()] == [1, 3, 0, 2]
    limited = SortedSpill(limit=2)
    for index, key in enumerate(["d", "b", "a", "c", "a", "b"]):
        limited.add(key, {"n": index})
    assert [r["n"] for r in limited.records()] == [2, 4] and len(limited) == 2
    path = write_json(str(tmp_path / "devices.json"), spill.records())
    assert [r["n"] for r in json.loads(open(path).read())] == [1, 3, 0, 2]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    records = [{"user": "a", "sources": ["exchange", "intune"], "exchange": {"DeviceId": "X"}, "intune": None}]
    path = write_csv(str(tmp_path / "devices.csv"), records, "all")
    rows = list(csv.DictReader(open(path)))
    assert rows[0]["sources"] == "exchange intune" and rows[0]["exchange.DeviceId"] == "X" and rows[0]["intune.id"] == ""


def test_device_lists_change_by_add_and_remove_only():
    from ansible_collections.tenantguard.m365.plugins.module_utils._devices.actions import (
        list_change, wipe_requested)

    parameters, allowed, blocked = list_change("blocked", "ABC", ["abc", "KEEP"], ["OTHER"])
    assert parameters == {"ActiveSyncBlockedDeviceIDs": {"@odata.type": "#Exchange.GenericHashTable", "Add": ["ABC"]},
                          "ActiveSyncAllowedDeviceIDs": {"@odata.type": "#Exchange.GenericHashTable",
                                                         "Remove": ["ABC"]}}
    assert allowed == ["KEEP"] and blocked == ["OTHER", "ABC"]
    assert list_change("blocked", "abc", [], ["ABC"])[0] is None
    parameters, allowed, blocked = list_change("allowed", "X", [], [])
    assert list(parameters) == ["ActiveSyncAllowedDeviceIDs"] and allowed == ["X"] and blocked == []
    assert wipe_requested({"Status": "DeviceWipePending"}) and not wipe_requested({"Status": "DeviceOk"})
    assert not wipe_requested(None)
