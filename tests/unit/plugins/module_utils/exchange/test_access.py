# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's access decision, case by case, in the order Microsoft documents (ff959225): the mailbox's blocked
device ids, its allowed ones, a block rule, a quarantine rule, an allow rule, the default access level. Rules and
devices written by hand after the cmdlet reference's examples (``iPhone (DeviceType)``, ``Outlook for iOS and
Android (DeviceModel)``)."""

from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.access import decide, preview

IPHONE = {"Identity": "alex\\ExchangeActiveSyncDevices\\ExchangeActiveSync\u00a7A1", "DeviceId": "A1",
          "DeviceModel": "iPhone", "DeviceType": "iPhone", "DeviceOS": "iOS 17.5.1", "ClientType": "EAS",
          "DeviceAccessState": "Allowed", "DeviceAccessStateReason": "Global"}
OUTLOOK = {"Identity": "alex\\ExchangeActiveSyncDevices\\REST\u00a7Outlook\u00a7B2", "DeviceId": "B2",
           "DeviceModel": "Outlook for iOS and Android", "DeviceType": "Outlook", "DeviceOS": "iOS 18.1",
           "ClientType": "REST", "DeviceAccessState": "Allowed", "DeviceAccessStateReason": "Global"}
BLOCK_IPHONE = {"QueryString": "iPhone", "Characteristic": "DeviceType", "AccessLevel": "Block"}
QUARANTINE_IOS = {"QueryString": "iOS 17.5.1", "Characteristic": "DeviceOS", "AccessLevel": "Quarantine"}
ALLOW_IPHONE_MODEL = {"QueryString": "iphone", "Characteristic": "DeviceModel", "AccessLevel": "Allow"}
ALLOW_OUTLOOK = {"QueryString": "Outlook for iOS and Android", "Characteristic": "DeviceModel", "AccessLevel": "Allow"}


def test_the_mailbox_s_own_lists_come_first():
    rules = [ALLOW_IPHONE_MODEL]
    assert decide(IPHONE, {"ActiveSyncBlockedDeviceIDs": ["a1"]}, rules, "Allow") == ("Blocked", "Individual", None)
    both = {"ActiveSyncBlockedDeviceIDs": ["A1"], "ActiveSyncAllowedDeviceIDs": ["A1"]}
    assert decide(IPHONE, both, rules, "Allow") == ("Blocked", "Individual", None)
    assert decide(IPHONE, {"ActiveSyncAllowedDeviceIDs": ["A1"]}, [BLOCK_IPHONE], "Block") == (
        "Allowed", "Individual", None)


def test_block_then_quarantine_then_allow_rules():
    assert decide(IPHONE, {}, [ALLOW_IPHONE_MODEL, QUARANTINE_IOS, BLOCK_IPHONE], "Allow") == (
        "Blocked", "DeviceRule", "iPhone (DeviceType)")
    assert decide(IPHONE, {}, [ALLOW_IPHONE_MODEL, QUARANTINE_IOS], "Allow") == (
        "Quarantined", "DeviceRule", "iOS 17.5.1 (DeviceOS)")
    # a query string matches without regard to case
    assert decide(IPHONE, {}, [ALLOW_IPHONE_MODEL], "Block") == ("Allowed", "DeviceRule", "iphone (DeviceModel)")


def test_the_default_access_level_decides_the_rest():
    assert decide(IPHONE, {}, [ALLOW_OUTLOOK], "Quarantine") == ("Quarantined", "Global", None)
    assert decide(IPHONE, None, [], "block") == ("Blocked", "Global", None)
    assert decide(OUTLOOK, {}, [ALLOW_OUTLOOK], "Quarantine") == (
        "Allowed", "DeviceRule", "Outlook for iOS and Android (DeviceModel)")


def test_preview_names_the_devices_and_users_stopped_and_cut_off():
    grady = dict(IPHONE, Identity="grady\\ExchangeActiveSyncDevices\\ExchangeActiveSync\u00a7C3", DeviceId="C3")
    result = preview([IPHONE, OUTLOOK, grady], [{"Identity": "alex", "Alias": "alex"}], [ALLOW_OUTLOOK], "Quarantine")
    assert [d["DeviceId"] for d in result["quarantined"]] == ["A1", "C3"]
    assert result["quarantined_users"] == ["alex", "grady"]
    # alex keeps Outlook; grady loses the only device
    assert [u["mailbox"] for u in result["cut_off_users"]] == ["grady"]
    assert result["counts"] == {"devices": 3, "changes": 2, "quarantined": 2, "blocked": 0, "allowed": 1,
                                "cut_off_users": 1}
