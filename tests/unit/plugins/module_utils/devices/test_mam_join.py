"""App registrations (source mam) in the device join: phones grouped from registrations, joined to Intune by
managedDeviceId or azureADDeviceId, to Exchange Outlook rows by user and OS when unique, to Entra; the filters
and the summary of users whose Outlook has no applied app protection policy."""
import os

from hypothesis import given, settings, strategies as st

from ansible_collections.tenantguard.m365.plugins.module_utils._devices import scratch as scratch_module
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.filters import Filters, UserSet, joined_matches
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.join import join_devices
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.sources import mam_row
from ansible_collections.tenantguard.m365.plugins.module_utils._devices.summary import Summary

OUTLOOK_IOS = {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.Office.Outlook"}
TEAMS_IOS = {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.skype.teams"}
OUTLOOK_ANDROID = {"@odata.type": "#microsoft.graph.androidMobileAppIdentifier",
                   "packageId": "com.microsoft.office.outlook"}


def reg(rid, user, app=None, tag="T1", managed=None, aad=None, applied=("P",), kind="ios", **more):
    app = app or OUTLOOK_IOS
    row = {"@odata.type": "#microsoft.graph.%sManagedAppRegistration" % kind, "id": rid, "userId": user,
           "appIdentifier": app, "deviceTag": tag, "managedDeviceId": managed, "azureADDeviceId": aad,
           "deviceName": "%s phone" % user, "lastSyncDateTime": "2026-11-30T07:00:00Z",
           "appliedPolicies": [{"id": "T_1", "displayName": p} for p in applied],
           "intendedPolicies": [{"id": "T_1", "displayName": "P"}], "operations": []}
    row.update(more)
    return mam_row(row)


def exo(alias, device_id, object_id, client="REST", os_name="iOS 18.1"):
    return {"Identity": "%s\\ExchangeActiveSyncDevices\\REST\u00a7Outlook\u00a7%s" % (alias, device_id),
            "DeviceId": device_id, "ClientType": client, "DeviceModel": "Outlook for iOS and Android",
            "DeviceOS": os_name, "UserDisplayName": alias.title(), "ExchangeObjectId": object_id,
            "FriendlyName": "%s's phone" % alias}


def intune(device_id, user_id, upn, aad=None, model="iPhone 15"):
    return {"id": device_id, "userId": user_id, "userPrincipalName": upn, "model": model, "operatingSystem": "iOS",
            "deviceName": device_id, "azureADDeviceId": aad, "complianceState": "compliant", "easDeviceId": None}


def test_registration_row_is_trimmed_with_platform_app_and_policy_names():
    row = reg("r1", "u1", applied=("Outlook protection",))
    assert row["platform"] == "iOS" and row["app"] == "com.microsoft.Office.Outlook"
    assert row["appliedPolicies"] == ["Outlook protection"] and row["intendedPolicies"] == ["P"]
    assert "appIdentifier" not in row


def test_phone_of_two_apps_joins_intune_exchange_and_entra():
    regs = [reg("r1", "u1", managed="M1"), reg("r2", "u1", app=TEAMS_IOS, managed="M1"),
            reg("r3", "u2", aad="AAD2"), reg("r4", "u3", tag="X", applied=())]
    records = list(join_devices([exo("ann", "E1", "u1"), exo("cid", "E3", "u3")],
                                [intune("M1", "u1", "ann@c.com")],
                                [{"id": "n2", "deviceId": "aad2", "isManaged": False}], regs))
    assert len(records) == 3
    ann = [r for r in records if r["intune"]][0]
    assert ann["sources"] == ["exchange", "intune", "mam"] and ann["mam_join"] == "managedDeviceId"
    assert ann["join"] == "user+os" and [a["id"] for a in ann["mam"]] == ["r1", "r2"]
    assert ann["apps"] == ["com.microsoft.Office.Outlook", "com.microsoft.skype.teams"]
    assert ann["app_protection"] == "applied"
    bob = [r for r in records if r["user"] == "u2"][0]
    assert bob["sources"] == ["entra", "mam"] and bob["exchange"] is None
    cid = [r for r in records if r["user"] == "cid"][0]
    assert cid["sources"] == ["exchange", "mam"] and cid["app_protection"] == "missing"


def test_outlook_rows_stay_apart_when_user_and_os_are_not_unique():
    regs = [reg("r1", "u1", tag="A"), reg("r2", "u1", tag="B")]
    records = list(join_devices([exo("ann", "E1", "u1")], [], [], regs))
    assert len(records) == 3 and all(r["join"] is None for r in records)
    # a different OS does not join either
    records = list(join_devices([exo("ann", "E1", "u1", os_name="Android 14")], [], [], [reg("r1", "u1")]))
    assert len(records) == 2


def test_azure_ad_device_id_joins_intune_when_no_managed_device_id():
    records = list(join_devices([], [intune("M9", "u9", "z@c.com", aad="AAD9")], [], [reg("r9", "u9", aad="aad9")]))
    assert len(records) == 1 and records[0]["mam_join"] == "azureADDeviceId"


def test_filters_and_summary_of_unprotected_outlook_users():
    regs = [reg("r1", "u1", managed="M1"), reg("r4", "u3", tag="X", applied=()),
            reg("r5", "u5", app=OUTLOOK_ANDROID, kind="android", applied=())]
    records = list(join_devices([exo("cid", "E3", "u3")], [intune("M1", "u1", "ann@c.com")], [], regs))
    summary = Summary("all")
    for record in records:
        summary.add(record)
    result = summary.result()
    assert result["by_source"]["mam"] == 3
    unprotected = result["outlook_unprotected_users"]
    assert [u["user_id"] for u in unprotected] == ["u3", "u5"]
    assert unprotected[0]["display_name"] == "Cid" and unprotected[0]["user"] == "cid"
    assert unprotected[1]["devices"][0]["platform"] == "Android"
    android = [r for r in records if joined_matches(r, Filters({"os": ["Android"]}, "all"))]
    assert [r["user"] for r in android] == ["u5"]
    users = UserSet([{"id": "U5"}])
    assert [r["user"] for r in records if joined_matches(r, Filters({"group": ["G"]}, "all"), users)] == ["u5"]
    managed = [r for r in records if joined_matches(r, Filters({"management_state": ["managed"]}, "all"))]
    assert [r["user"] for r in managed] == ["ann@c.com"]
    flat = Summary("mam")
    for row in regs:
        flat.add(row)
    assert [u["user_id"] for u in flat.result()["outlook_unprotected_users"]] == ["u3", "u5"]


def test_scratch_file_is_owner_only_and_removed(monkeypatch):
    made = []
    original = scratch_module.Scratch.__init__

    def spy(self):
        original(self)
        made.append((self.path, os.stat(self.path).st_mode & 0o777))
    monkeypatch.setattr(scratch_module.Scratch, "__init__", spy)
    list(join_devices([exo("ann", "E1", "u1")], [], [], [reg("r1", "u1")]))
    assert made and all(mode == 0o600 for _path, mode in made)
    assert not any(os.path.exists(path) for path, _mode in made)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.sampled_from(["A", "B"]),
                          st.sampled_from([None, "M1", "M2"]), st.booleans()), max_size=8),
       st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.sampled_from(["iOS 18.1", "Android 14"])),
                max_size=5))
def test_every_row_lands_in_exactly_one_record(registrations, outlook_rows):
    regs = [reg("r%d" % i, user, tag=tag, managed=managed, applied=("P",) if applied else ())
            for i, (user, tag, managed, applied) in enumerate(registrations)]
    rows = [exo(user, "E%d" % i, user, os_name=os_name) for i, (user, os_name) in enumerate(outlook_rows)]
    devices = [intune("M1", "u1", "u1@c.com"), intune("M2", "u2", "u2@c.com")]
    records = list(join_devices(rows, devices, [], regs))
    assert sorted(a["id"] for r in records for a in r["mam"] or []) == sorted(r["id"] for r in regs)
    assert sorted(r["exchange"]["DeviceId"] for r in records if r["exchange"]) == sorted(r["DeviceId"] for r in rows)
    assert sorted(r["intune"]["id"] for r in records if r["intune"]) == ["M1", "M2"]
    for record in records:
        users = {a["userId"] for a in record["mam"] or []}
        if record["exchange"] and record["mam"]:
            assert users == {record["exchange"]["ExchangeObjectId"]}


def test_a_failed_read_leaves_no_scratch_file(monkeypatch):
    from ansible_collections.tenantguard.m365.plugins.module_utils._devices.inventory import Inventory

    made = []
    original = scratch_module.Scratch.__init__

    def spy(self):
        original(self)
        made.append(self.path)
    monkeypatch.setattr(scratch_module.Scratch, "__init__", spy)

    class Broken:
        def list(self, path, api_version=None, query=None):
            yield mam_row({"@odata.type": "#microsoft.graph.iosManagedAppRegistration", "id": "r1", "userId": "u"})
            raise RuntimeError("the service went away")
    try:
        Inventory("mam").collect(Broken, None)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert made and not any(os.path.exists(path) for path in made)
