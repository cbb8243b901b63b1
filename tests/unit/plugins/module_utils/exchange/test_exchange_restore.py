"""The Exchange part of backup_restore, without a tenant: each backup entry read back to the object it names and the
settings it had (also from files written before entries recorded identities), tampered entries refused naming the
entry, the write order (what gives access before the default access level, what takes it away after), and a plan
that sends nothing for an object already as recorded."""

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import BackupFileError
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.activesync import (
    DeviceAccessRule, OrganizationSettings)
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.cas_mailbox import CasMailbox
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.mailbox_policy import MailboxPolicy
from ansible_collections.tenantguard.m365.plugins.module_utils._restore.exchange import (
    GIVING, MAILBOXES, POLICIES, REMOVED_POLICIES, SETTINGS, TAKING, ExchangeRestorer, exchange_target)

OUTLOOK = "Outlook for iOS and Android"


def entry(action, before=None, body=None, identity=None, seq=1, noun="ActiveSyncDeviceAccessRule"):
    found = {"seq": seq, "action": action, "noun": noun, "display_name": identity, "before": before}
    if body is not None:
        found["body"] = body
    if identity is not None:
        found["cmdlet"] = {"name": "X", "parameters": {"Identity": identity}}
    return found


def test_a_removed_rule_recorded_with_its_identity():
    target = exchange_target(DeviceAccessRule(), entry("delete", {
        "Identity": OUTLOOK + " (DeviceModel)", "QueryString": OUTLOOK, "Characteristic": "devicemodel",
        "AccessLevel": "allow"}), "/b.json")
    assert target.present and target.key_row == {"QueryString": OUTLOOK, "Characteristic": "DeviceModel"}
    assert target.settings == {"AccessLevel": "Allow"}


def test_an_older_entry_without_identity_fields_is_named_by_its_command():
    target = exchange_target(DeviceAccessRule(), entry("update", {"AccessLevel": "Block"},
                                                       identity="SM-S918B (DeviceModel)"), "/b.json")
    assert target.key_row == {"QueryString": "SM-S918B", "Characteristic": "DeviceModel"}
    assert target.name == "SM-S918B (DeviceModel)"


@pytest.mark.parametrize("resource, recorded, words", [
    (DeviceAccessRule(), {"QueryString": "iPhone*", "Characteristic": "DeviceModel", "AccessLevel": "Allow"},
     "iPhone*"),
    (DeviceAccessRule(), {"QueryString": "iPhone", "Characteristic": "Colour", "AccessLevel": "Allow"}, "Colour"),
    (DeviceAccessRule(), {"QueryString": "iPhone", "Characteristic": "DeviceModel", "AccessLevel": "Permit"},
     "Permit"),
    (OrganizationSettings(), {"DefaultAccessLevel": "Allow", "TenantAdminPreference": "x"}, "TenantAdminPreference"),
    (MailboxPolicy(), {"Name": "P", "MinPasswordLength": 40}, "MinPasswordLength"),
    (MailboxPolicy(), {"Name": "P", "MinPasswordLength": None}, "not set"),
    (CasMailbox(), {"PrimarySmtpAddress": "*@contoso.com", "ActiveSyncEnabled": False}, "*@contoso.com"),
])
def test_tampered_entries_are_refused_naming_the_entry(resource, recorded, words):
    with pytest.raises(BackupFileError) as caught:
        exchange_target(resource, entry("update", recorded, seq=7, noun=resource.noun), "/tmp/b.json")
    message = caught.value.describe()
    assert "entry 7" in message and words in message and "backup_file" in message


def test_a_removed_policy_skips_what_was_not_set():
    recorded = {"Name": "P", "MinPasswordLength": None, "PasswordEnabled": True}
    target = exchange_target(MailboxPolicy(), entry("delete", recorded), "/b.json")
    assert target.settings == {"PasswordEnabled": True}


def test_a_created_mailbox_or_settings_object_is_not_an_entry_the_modules_write():
    for resource in (CasMailbox(), OrganizationSettings()):
        with pytest.raises(BackupFileError):
            exchange_target(resource, entry("create", body={"Identity": "lee"}), "/b.json")


class FakeExchange:
    def __init__(self, tables):
        self.tables = tables
        self.sent = []

    def invoke(self, cmdlet, parameters=None):
        self.sent.append(cmdlet)
        return list(self.tables.get(cmdlet, []))


def rule(query, level):
    return {"Identity": "%s (DeviceModel)" % query, "QueryString": query, "Characteristic": "DeviceModel",
            "AccessLevel": level}


def test_write_order_gives_access_before_the_default_and_takes_it_after():
    exchange = FakeExchange({
        "Get-ActiveSyncDeviceAccessRule": [rule(OUTLOOK, "Allow"), rule("SM-S918B", "Block")],
        "Get-ActiveSyncOrganizationSettings": [{"Identity": "Mobile Mailbox Settings", "DefaultAccessLevel": "Block"}],
        "Get-MobileDeviceMailboxPolicy": [{"Name": "Default", "IsDefault": True}, {"Name": "New", "IsDefault": False}],
    })
    pixel = {"QueryString": "Pixel", "Characteristic": "DeviceModel", "AccessLevel": "Quarantine"}
    targets = [
        exchange_target(DeviceAccessRule(), entry("create", body={"QueryString": OUTLOOK, "Characteristic": "DeviceModel"}),
                        "/b"),
        exchange_target(DeviceAccessRule(), entry("create", body={"QueryString": "SM-S918B", "Characteristic": "DeviceModel"}),
                        "/b"),
        exchange_target(DeviceAccessRule(), entry("delete", pixel), "/b"),
        exchange_target(OrganizationSettings(), entry("update", {"DefaultAccessLevel": "Allow"}), "/b"),
        exchange_target(MailboxPolicy(), entry("create", body={"Name": "New"}), "/b"),
    ]
    restorer = ExchangeRestorer(lambda: exchange)
    assert restorer.plan_all(targets) == []
    assert exchange.sent == ["Get-MobileDeviceMailboxPolicy", "Get-ActiveSyncDeviceAccessRule",
                             "Get-ActiveSyncOrganizationSettings"]
    steps = [(restorer.step(t), t.command["cmdlet"], t.name) for t in targets]
    assert steps == [(TAKING, "Remove-ActiveSyncDeviceAccessRule", OUTLOOK + " (DeviceModel)"),
                     (GIVING, "Remove-ActiveSyncDeviceAccessRule", "SM-S918B (DeviceModel)"),
                     (TAKING, "New-ActiveSyncDeviceAccessRule", "Pixel (DeviceModel)"),
                     (SETTINGS, "Set-ActiveSyncOrganizationSettings", "Mobile Mailbox Settings"),
                     (REMOVED_POLICIES, "Remove-MobileDeviceMailboxPolicy", "New")]
    assert [[t.name for t in chosen] for _r, chosen in restorer.steps(targets)] == [
        ["SM-S918B (DeviceModel)"], ["Mobile Mailbox Settings"], [OUTLOOK + " (DeviceModel)", "Pixel (DeviceModel)"],
        ["New"]]
    assert POLICIES < MAILBOXES < GIVING < SETTINGS < TAKING < REMOVED_POLICIES


def test_an_object_already_as_recorded_plans_nothing_and_the_default_policy_is_never_removed():
    exchange = FakeExchange({
        "Get-ActiveSyncDeviceAccessRule": [rule(OUTLOOK, "Allow")],
        "Get-MobileDeviceMailboxPolicy": [{"Name": "Default", "IsDefault": True}],
    })
    recorded = {"QueryString": OUTLOOK, "Characteristic": "DeviceModel", "AccessLevel": "allow"}
    same = exchange_target(DeviceAccessRule(), entry("update", recorded), "/b")
    default = exchange_target(MailboxPolicy(), entry("create", body={"Name": "Default"}, seq=2,
                                                     noun="MobileDeviceMailboxPolicy"), "/b")
    problems = ExchangeRestorer(lambda: exchange).plan_all([same, default])
    assert same.command is None
    assert len(problems) == 1 and "entry 2" in problems[0] and "default mobile device mailbox policy" in problems[0]


class FailingExchange(FakeExchange):
    def __init__(self, tables, fail):
        super().__init__(tables)
        self.fail = fail

    def invoke(self, cmdlet, parameters=None):
        if cmdlet == self.fail:
            self.sent.append(cmdlet)
            raise RuntimeError("refused by Exchange")
        return super().invoke(cmdlet, parameters)


def test_a_failed_command_names_its_entry_and_what_was_restored_before(tmp_path):
    from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import BackupLog
    exchange = FailingExchange({
        "Get-ActiveSyncDeviceAccessRule": [rule(OUTLOOK, "Allow"), rule("SM-S918B", "Block")],
        "Get-ActiveSyncOrganizationSettings": [{"Identity": "Mobile Mailbox Settings", "DefaultAccessLevel": "Block"}],
    }, fail="Set-ActiveSyncOrganizationSettings")
    targets = [
        exchange_target(DeviceAccessRule(), entry("create", body={"QueryString": "SM-S918B", "Characteristic": "DeviceModel"},
                                                  seq=1), "/b"),
        exchange_target(OrganizationSettings(), entry("update", {"DefaultAccessLevel": "Allow"}, seq=2,
                                                      noun="ActiveSyncOrganizationSettings"), "/b"),
        exchange_target(DeviceAccessRule(), entry("create", body={"QueryString": OUTLOOK, "Characteristic": "DeviceModel"},
                                                  seq=3), "/b"),
    ]
    log = BackupLog(str(tmp_path), "contoso", "tenantguard.m365.backup_restore")
    restorer = ExchangeRestorer(lambda: exchange, backup=log)
    assert restorer.plan_all(targets) == []
    failures = []

    def failed(error, target, done):
        failures.append((str(error), target, done))
        raise KeyError("stop")

    with pytest.raises(KeyError):
        restorer.write(targets, failed)
    error, target, done = failures[0]
    assert "refused by Exchange" in error and target is targets[1] and done == [targets[0]]
    # the allow rule was never removed: the default did not go back to Allow
    assert exchange.sent[-2:] == ["Remove-ActiveSyncDeviceAccessRule", "Set-ActiveSyncOrganizationSettings"]
    assert [(e["action"], e["status"]) for e in log.entries] == [("delete", "done"), ("update", "failed")]
    assert log.entries[0]["before"]["QueryString"] == "SM-S918B"
