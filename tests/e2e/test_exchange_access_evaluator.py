"""The collection's evaluator of Exchange's access decision (plugins/module_utils/_exchange/access.py) against
what the sandbox does: Hypothesis draws device access rules, a default access level and the mailboxes' allowed and
blocked device ids; the sandbox is set up with them through its gateway and every partnership's state, reason and
deciding rule, as Get-MobileDevice then returns them, must be what the collection's evaluator says. A second,
cheaper property compares the two evaluators on drawn devices directly (the sandbox imports nothing of the
collection, so they are independent implementations of the same documented order)."""

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_exchange_mobile_access import CONTOSO, exo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.tenantguard.m365.plugins.module_utils._exchange import access  # noqa: E402
from tenantguard_sandbox import exchange_activesync  # noqa: E402

LEVELS = ("Allow", "Block", "Quarantine")
CHARACTERISTICS = ("DeviceModel", "DeviceType", "DeviceOS", "UserAgent")
DEVICES = CONTOSO["exchangeMobileDevices"]
# Values that the seeded devices carry (so that rules match), and one that none does.
VALUES = dict((c, sorted(set(str(d.get(exchange_activesync.DEVICE_FIELD[c]) or "x") for d in DEVICES)) + ["Nokia 3310"])
              for c in CHARACTERISTICS)


def cased(text):
    return st.sampled_from([text, text.lower(), text.upper()])


@st.composite
def rules(draw):
    # Most rules aim at one device's own values, so that a block, a quarantine and an allow rule often meet on it.
    target = draw(st.sampled_from(DEVICES))
    out, seen = [], set()
    for _rule in range(draw(st.integers(0, 6))):
        characteristic = draw(st.sampled_from(CHARACTERISTICS[:3]))
        own = str(target.get(exchange_activesync.DEVICE_FIELD[characteristic]) or "x")
        query = draw(st.one_of(st.just(own), st.just(own), st.sampled_from(VALUES[characteristic])).flatmap(cased))
        key = (query.lower(), characteristic)
        if key in seen:
            continue
        seen.add(key)
        out.append({"QueryString": query, "Characteristic": characteristic, "AccessLevel": draw(st.sampled_from(LEVELS))})
    return out


device_ids = sorted(set(d["DeviceId"] for d in DEVICES))
lists = st.dictionaries(st.sampled_from(device_ids), st.sampled_from(("allowed", "blocked", "both")), max_size=4)


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def set_up(sandbox, drawn_rules, level, drawn_lists):
    for rule in exo(sandbox, "Get-ActiveSyncDeviceAccessRule"):
        exo(sandbox, "Remove-ActiveSyncDeviceAccessRule", {"Identity": rule["Identity"], "Confirm": False})
    for rule in drawn_rules:
        exo(sandbox, "New-ActiveSyncDeviceAccessRule", dict(rule))
    exo(sandbox, "Set-ActiveSyncOrganizationSettings", {"DefaultAccessLevel": level})
    by_mailbox = {}
    for device in DEVICES:
        alias = device["Identity"].split("\\", 1)[0]
        entry = by_mailbox.setdefault(alias, {"ActiveSyncAllowedDeviceIDs": [], "ActiveSyncBlockedDeviceIDs": []})
        how = drawn_lists.get(device["DeviceId"])
        if how in ("allowed", "both"):
            entry["ActiveSyncAllowedDeviceIDs"].append(device["DeviceId"])
        if how in ("blocked", "both"):
            entry["ActiveSyncBlockedDeviceIDs"].append(device["DeviceId"])
    for alias, entry in by_mailbox.items():
        exo(sandbox, "Set-CASMailbox", dict(entry, Identity=alias))


@settings(max_examples=12)
@given(drawn_rules=rules(), level=st.sampled_from(LEVELS), drawn_lists=lists)
def test_evaluator_agrees_with_the_sandbox(graph_sandbox, drawn_rules, level, drawn_lists):
    set_up(graph_sandbox, drawn_rules, level, drawn_lists)
    devices = exo(graph_sandbox, "Get-MobileDevice", {"ResultSize": "Unlimited"})
    mailboxes = exo(graph_sandbox, "Get-CASMailbox", {"ResultSize": "Unlimited"})
    stored_rules = exo(graph_sandbox, "Get-ActiveSyncDeviceAccessRule")
    result = access.preview(devices, mailboxes, stored_rules, level)
    assert len(result["devices"]) == len(DEVICES)
    by_id = dict((d["DeviceId"], d) for d in devices)
    for row in result["devices"]:
        device = by_id[row["DeviceId"]]
        assert (row["planned"]["DeviceAccessState"], row["planned"]["DeviceAccessStateReason"],
                row["planned"]["DeviceAccessControlRule"]) == (
            device["DeviceAccessState"], device["DeviceAccessStateReason"], device.get("DeviceAccessControlRule")), (
            row, device)
    # evaluated under the rules and level it reads now, nothing changes
    assert result["changes"] == []


text = st.one_of(st.none(), st.sampled_from(["iPhone", "IPHONE", "Outlook", "Android 14", "Pixel 8", "EAS/1.0", ""]))


@settings(max_examples=300)
@given(device=st.fixed_dictionaries({"DeviceId": st.sampled_from(["A1", "a1", "B2", ""]), "DeviceModel": text,
                                     "DeviceType": text, "DeviceOS": text, "DeviceUserAgent": text}),
       drawn_rules=st.lists(st.fixed_dictionaries({
           "QueryString": st.sampled_from(["iPhone", "iphone", "Outlook", "Android 14", "Pixel 8", "EAS/1.0"]),
           "Characteristic": st.sampled_from(CHARACTERISTICS + ("XMSWLHeader",)),
           "AccessLevel": st.sampled_from(LEVELS)}), max_size=6, unique_by=lambda r: (
               r["QueryString"].lower(), r["Characteristic"])),
       mailbox=st.fixed_dictionaries({"ActiveSyncAllowedDeviceIDs": st.lists(st.sampled_from(["A1", "b2"])),
                                      "ActiveSyncBlockedDeviceIDs": st.lists(st.sampled_from(["a1", "C3"]))}),
       level=st.sampled_from(LEVELS))
def test_evaluators_agree_on_drawn_devices(device, drawn_rules, mailbox, level):
    stored = [dict(r, Identity="%s (%s)" % (r["QueryString"], r["Characteristic"])) for r in drawn_rules]
    assert access.decide(device, mailbox, drawn_rules, level) == exchange_activesync.access_of(
        device, mailbox, stored, level)
