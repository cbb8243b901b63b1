# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the Exchange ActiveSync organisation settings and device access rules as cmdlet resources.

Not a public API. Parameters and values follow Microsoft's cmdlet reference (Set-ActiveSyncOrganizationSettings,
New-/Set-ActiveSyncDeviceAccessRule): DefaultAccessLevel Allow, Block or Quarantine; a rule's Characteristic one of
DeviceType, DeviceModel, DeviceOS, UserAgent, XMSWLHeader, and its QueryString an exact value (no wildcards); Exchange
names a rule "<QueryString> (<Characteristic>)".
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import CmdletResource, Field

ACCESS_LEVELS = ("Allow", "Block", "Quarantine")
CHARACTERISTICS = ("DeviceType", "DeviceModel", "DeviceOS", "UserAgent", "XMSWLHeader")
SETTINGS_NAME = "Mobile Mailbox Settings"
# A query string is one exact value: Exchange allows no wildcards or partial matches.
QUERY_REFUSED = re.compile(r"[*?\x00-\x1f\x7f]")


class OrganizationSettings(CmdletResource):
    noun = "ActiveSyncOrganizationSettings"
    get_cmdlet = "Get-ActiveSyncOrganizationSettings"
    set_cmdlet = "Set-ActiveSyncOrganizationSettings"
    singleton = True
    fields = (
        Field("DefaultAccessLevel", "enum", choices=ACCESS_LEVELS),
        Field("AdminMailRecipients", "smtp_list"),
        Field("UserMailInsert", "str"),
        Field("OtaNotificationMailInsert", "str"),
        Field("AllowRMSSupportForUnenlightenedApps", "bool", option="allow_rms_support_for_unenlightened_apps"),
        Field("EnableMobileMailboxPolicyWhenCAInplace", "bool",
              option="enable_mobile_mailbox_policy_when_ca_inplace"),
    )

    def key(self, row):
        return SETTINGS_NAME.lower()

    def name_of(self, row):
        return SETTINGS_NAME


def rule_identity(query, characteristic):
    return "%s (%s)" % (query, characteristic)


class DeviceAccessRule(CmdletResource):
    noun = "ActiveSyncDeviceAccessRule"
    get_cmdlet = "Get-ActiveSyncDeviceAccessRule"
    new_cmdlet = "New-ActiveSyncDeviceAccessRule"
    set_cmdlet = "Set-ActiveSyncDeviceAccessRule"
    remove_cmdlet = "Remove-ActiveSyncDeviceAccessRule"
    fields = (Field("AccessLevel", "enum", choices=ACCESS_LEVELS),)
    identity_fields = ("Identity", "QueryString", "Characteristic")

    def name_of(self, row):
        if row.get("QueryString") and row.get("Characteristic"):
            return rule_identity(row["QueryString"], row["Characteristic"])
        return str(row.get("Identity") or row.get("Name") or "")

    def key(self, row):
        return self.name_of(row).lower()

    def identity(self, row):
        return str(row.get("Identity") or self.name_of(row))


CHARACTERISTIC = Field("Characteristic", "enum", choices=CHARACTERISTICS)
ACCESS_LEVEL = DeviceAccessRule.fields[0]


def desired_rule(item, where=""):
    """``(key_row, settings, state)`` of one declared rule; every problem of it in one ProblemsError."""
    problems = []
    query = item.get("query_string")
    if not isinstance(query, str) or not query.strip() or QUERY_REFUSED.search(query):
        problems.append(ConfigError(where + "query_string", "is not one exact device value", value=query,
                                    kind="Option", accepted="the exact DeviceModel, DeviceType, DeviceOS or UserAgent "
                                    "value, such as 'Outlook for iOS and Android'; no wildcards").describe())
    characteristic = level = None
    try:
        characteristic = CHARACTERISTIC.convert(item.get("characteristic"), where + "characteristic")
    except ConfigError as exc:
        problems.append(exc.describe())
    state = item.get("state") or "present"
    try:
        level = ACCESS_LEVEL.convert(item.get("access_level"), where + "access_level")
    except ConfigError as exc:
        problems.append(exc.describe())
    if characteristic is None and not problems:
        problems.append(ConfigError(where + "characteristic", "is required", kind="Option",
                                    accepted=", ".join(CHARACTERISTICS)).describe())
    if state == "present" and level is None and not problems:
        problems.append(ConfigError(where + "access_level", "is required with state present", kind="Option",
                                    accepted=", ".join(ACCESS_LEVELS)).describe())
    if problems:
        raise ProblemsError(problems)
    key_row = {"QueryString": query.strip(), "Characteristic": characteristic}
    return key_row, ({"AccessLevel": level} if state == "present" else {}), state


def desired_rules(items, option="rules"):
    """The declared rules of set mode: each checked, duplicates (same identity) refused."""
    out, problems, seen = [], [], {}
    for index, item in enumerate(items):
        where = "%s[%d]." % (option, index)
        try:
            row = desired_rule(item, where)
        except ProblemsError as exc:
            problems.extend(exc.problems)
            continue
        name = rule_identity(row[0]["QueryString"], row[0]["Characteristic"]).lower()
        if name in seen:
            first = items[seen[name]]
            problems.append(ConfigError("%s[%d]" % (option, index), "declares the rule %s again (first at %s[%d]); "
                                        "Exchange keeps one rule per query string and characteristic"
                                        % (rule_identity(first.get("query_string"), row[0]["Characteristic"]),
                                           option, seen[name]),
                                        kind="Option", accepted="each query string and characteristic once"
                                        ).describe())
            continue
        seen[name] = index
        out.append(row)
    if problems:
        raise ProblemsError(problems)
    return out
