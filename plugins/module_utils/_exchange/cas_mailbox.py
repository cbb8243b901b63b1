# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the mobile settings of many mailboxes (Get-/Set-CASMailbox) as a cmdlet resource.

Not a public API. Every mailbox is read with one paged ``Get-CASMailbox -ResultSize Unlimited`` (1,000 mailboxes a
page); Set-CASMailbox takes one mailbox per command (its Identity names one mailbox and the admin API has no bulk
form), so a change costs one command per mailbox that differs, and mailboxes already as declared cost nothing.
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, ProblemsError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver
from ansible_collections.tenantguard.m365.plugins.module_utils._exchange.engine import CmdletResource, Field

# Characters that make a mailbox identity match more than one mailbox, or break out of it.
MAILBOX_REFUSED = re.compile(r"[*?,;\x00-\x1f\x7f]")
IDENTITY_FIELDS = ("Identity", "Name", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "Guid")


class CasMailbox(CmdletResource):
    noun = "CASMailbox"
    get_cmdlet = "Get-CASMailbox"
    set_cmdlet = "Set-CASMailbox"
    read_parameters = {"ResultSize": "Unlimited"}
    identity_fields = ("Identity", "PrimarySmtpAddress")
    noted_fields = ("ActiveSyncMailboxPolicyIsDefaulted",)  # the mailbox had no policy of its own
    fields = (
        Field("ActiveSyncEnabled", "bool", option="active_sync_enabled"),
        Field("OWAforDevicesEnabled", "bool", option="owa_for_devices_enabled"),
        Field("OutlookMobileEnabled", "bool"),
        Field("ActiveSyncMailboxPolicy", "str", option="active_sync_mailbox_policy"),
        Field("ActiveSyncAllowedDeviceIDs", "str_list", option="active_sync_allowed_device_ids"),
        Field("ActiveSyncBlockedDeviceIDs", "str_list", option="active_sync_blocked_device_ids"),
    )

    def name_of(self, row):
        return str(row.get("PrimarySmtpAddress") or row.get("Identity") or "")

    def key(self, row):
        return str(row.get("Identity") or "").lower()

    def identity(self, row):
        return str(row.get("PrimarySmtpAddress") or row.get("Identity"))


def index(rows):
    """Every read mailbox under each of its identities (lower case)."""
    found = {}
    for row in rows:
        for name in IDENTITY_FIELDS:
            value = row.get(name)
            if value:
                found.setdefault(str(value).lower(), row)
        smtp = str(row.get("PrimarySmtpAddress") or "")
        if "@" in smtp:
            found.setdefault(smtp.split("@", 1)[0].lower(), row)
    return found


def check_mailbox_names(names, option="mailboxes"):
    for position, name in enumerate(names):
        if not isinstance(name, str) or not name.strip() or MAILBOX_REFUSED.search(name):
            raise ConfigError("%s[%d]" % (option, position), "is not one mailbox", value=name, kind="Option",
                              accepted="a user principal name, email address or alias, without wildcards or "
                                       "separators")


def targets(rows, names, option="mailboxes", origin=None):
    """The read rows of the named mailboxes, each once; every unknown name in one error."""
    by_name = index(rows)
    chosen, unknown = {}, []
    for name in names:
        row = by_name.get(name.strip().lower())
        if row is None:
            unknown.append(name)
        else:
            chosen[str(row.get("Identity")).lower()] = row
    if unknown:
        where = " (members of %s)" % origin if origin else ""
        raise ConfigError(option, "names %d mailbox(es) that Exchange does not have%s: %s" % (
            len(unknown), where, ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")),
            value=unknown[0], kind="Option", accepted="user principal names or aliases of existing mailboxes")
    return list(chosen.values())


def group_members(graph, groups, option="groups"):
    """``{group as given: [user principal names]}`` of the groups' transitive user members (Graph), every
    unknown or ambiguous group in one error, before anything is sent to Exchange."""
    resolver = NameResolver(graph, reference_wait=0)
    found = resolver.resolve({"group": groups})
    problems = ["%s[%d]: %s" % (option, i, found[("group", g)].problem()) for i, g in enumerate(groups)
                if found[("group", g)].problem() or found[("group", g)].status != "found"]
    if problems:
        raise ProblemsError(problems)
    out = {}
    for group in groups:
        group_id = found[("group", group)].id
        members = list(graph.list("/groups/%s/transitiveMembers" % group_id,
                                  query={"$select": "id,userPrincipalName,mail"}))
        out[group] = [m.get("userPrincipalName") or m.get("mail") for m in members
                      if str(m.get("@odata.type", "#microsoft.graph.user")).endswith(".user")
                      and (m.get("userPrincipalName") or m.get("mail"))]
    return out
