# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the guards a conditional access task passes before its first write.

Not a public API. Once every change of a task is planned, and before anything is written (in check
mode too, so that check mode refuses exactly what a real run would), ``ConditionalAccessEngine``
asks ``Guards.problems`` about the plan. Each guard stands for a class of input that Graph accepts
but that would leave the tenant worse off; each can be acknowledged with its own option:

=============================  ================================================================  =================================
guard                          refuses                                                           acknowledged with
=============================  ================================================================  =================================
unusable emergency access      a user of ``emergency_access`` that is disabled                   ``acknowledge_unusable_emergency_access``
                               (``accountEnabled: false``); groups of it without one enabled
                               member (transitive) when no listed user can sign in either
empty groups                   an enforced policy the task creates or changes whose users are    ``acknowledge_empty_groups``
                               included only through groups, one of which has no members (the
                               pilot copy of a policy enforces for no one)
purge                          a ``purge_name_pattern`` that matches any name; a purge that      ``acknowledge_purge_risk``
                               would delete an enforced (``enabled``) policy
policy limit                   creating policies past the tenant's limit (``policy_limit``,      ``acknowledge_policy_limit``
                               195 by default)
=============================  ================================================================  =================================

A guard that finds something adds one problem that lists everything it found; the task raises
them together. Absent emergency-access accounts (names or ids that match nothing) are refused
earlier, when names are resolved, and cannot be acknowledged: an account that does not exist
cannot be excluded.

The reads are few: one for the emergency users (``$filter=id in (...)``), one per emergency group
(its transitive members) and one ``$top=1`` read per group that an enforced policy includes alone.
The emergency guard reads nothing unless the task writes something.
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import chunks, in_filter

DEFAULT_POLICY_LIMIT = 195
LIMIT_SOURCE = ("Microsoft Learn, 'Plan a Conditional Access deployment', section 'Minimize the number of "
                "Conditional Access policies': https://learn.microsoft.com/entra/identity/conditional-access/"
                "plan-conditional-access#minimize-the-number-of-conditional-access-policies")
# Names no purge pattern of a baseline should match; a pattern that matches all of them matches anything.
ARBITRARY_NAMES = ("", " ", "x", "0", "Policy", "hand-made policy", "Block legacy authentication",
                   "Microsoft-managed: Multifactor authentication for admins accessing Admin Portals",
                   "zz \u00e9t\u00e9 ~ 42 !", "4c1b1774-8561-5b97-ae13-00cb73824b84", "TG", "-")
ROLE_VARIABLE = "conditional_access_"


def guard_options():
    """The argument spec of the guards' options."""
    return dict(
        acknowledge_unusable_emergency_access=dict(type="bool", default=False),
        acknowledge_empty_groups=dict(type="bool", default=False),
        acknowledge_purge_risk=dict(type="bool", default=False),
        acknowledge_policy_limit=dict(type="bool", default=False),
        policy_limit=dict(type="int", default=DEFAULT_POLICY_LIMIT),
    )


def acknowledge(option):
    """How to go on: the module option and the role variable that sets it."""
    return "set %s: true (%s%s in the conditional_access and tenant_hardening roles)" % (
        option, ROLE_VARIABLE, option)


def quoted(names):
    return ", ".join(repr(str(n)) for n in names)


def words(items, one, many):
    """``one`` or ``many`` by how many ``items`` there are: "is"/"are", "it"/"them"."""
    return one if len(items) == 1 else many


def policy_label(change):
    body = change.predicted or change.body or change.current or {}
    name = body.get("displayName")
    field = change.declared.field if change.declared is not None else ""
    label = repr(name) if name else str(body.get("id"))
    return "%s (%s)" % (label, field) if field else label


def is_enforced(body):
    return str((body or {}).get("state") or "").lower() == "enabled"


class Guards:
    """The guards of one task: ``params`` are the module's (the options of ``guard_options``,
    ``purge``, ``purge_name_pattern``)."""

    def __init__(self, params):
        self.params = params

    def option(self, name):
        value = self.params.get(name)
        return guard_options()[name]["default"] if value is None else value

    def problems(self, engine, changes):
        found = []
        writes = [c for c in changes if c.changed]
        if writes and not self.option("acknowledge_unusable_emergency_access"):
            found.extend(self.emergency_problems(engine))
        if not self.option("acknowledge_empty_groups"):
            found.extend(self.empty_group_problems(engine, writes))
        if not self.option("acknowledge_purge_risk"):
            found.extend(self.purge_problems(changes))
        if not self.option("acknowledge_policy_limit"):
            found.extend(self.limit_problems(engine, changes))
        return found

    # -- emergency access -------------------------------------------------------------------------
    def emergency_problems(self, engine):
        emergency = engine.resource.emergency_access or {}
        user_ids = list(emergency.get("users") or [])
        group_ids = list(emergency.get("groups") or [])
        if not user_ids and not group_ids:
            return []
        disabled, usable = [], 0
        for part in chunks(user_ids, 15):
            query = {"$filter": in_filter("id", part), "$select": "id,userPrincipalName,accountEnabled"}
            for user in engine.graph.list("/users", api_version="v1.0", query=query):
                if user.get("accountEnabled") is False:
                    disabled.append(user.get("userPrincipalName") or user.get("id"))
                else:
                    usable += 1
        empty = []
        names = engine.resolver.names_by_id().get("group", {}) if engine.resolver is not None else {}
        for group_id in group_ids:
            members = engine.group_user_members(group_id)
            enabled = [m for m in members if m.get("accountEnabled") is not False]
            usable += len(enabled)
            if not enabled:
                empty.append(names.get(str(group_id).lower()) or group_id)
        found = []
        if disabled:
            found.append(
                "emergency_access.users: %s %s disabled (accountEnabled is false), so %s cannot sign in when every "
                "other account is locked out; policies that exclude %s protect no one who can. Enable %s, name "
                "the accounts that are, or %s." % (
                    quoted(disabled), words(disabled, "is", "are"), words(disabled, "it", "they"),
                    words(disabled, "it", "them"), words(disabled, "it", "them"),
                    acknowledge("acknowledge_unusable_emergency_access")))
        if empty and not usable:
            found.append(
                "emergency_access.groups: %s %s no enabled member (nested members counted), and no other "
                "emergency-access account can sign in: the exclusions would keep no one able to reach the tenant. Add "
                "the break-glass accounts to %s, name them in emergency_access.users, or %s." % (
                    quoted(empty), words(empty, "has", "have"), words(empty, "it", "them"),
                    acknowledge("acknowledge_unusable_emergency_access")))
        return found

    # -- empty groups -----------------------------------------------------------------------------
    def empty_group_problems(self, engine, writes):
        """Enforced policies, created or changed, whose users are only groups and some of them empty."""
        names = engine.resolver.names_by_id().get("group", {}) if engine.resolver is not None else {}
        found = []
        checked = {}
        for change in writes:
            body = change.predicted or change.body or {}
            if change.action not in ("create", "update") or not is_enforced(body):
                continue
            users = (body.get("conditions") or {}).get("users") or {}
            groups = [g for g in users.get("includeGroups") or [] if g]
            if not groups or users.get("includeUsers") or users.get("includeRoles") \
                    or users.get("includeGuestsOrExternalUsers"):
                continue
            empty = []
            for group_id in groups:
                key = str(group_id).lower()
                if key not in checked:
                    checked[key] = self.has_members(engine, group_id)
                if checked[key] is False:
                    empty.append(names.get(key) or group_id)
            if empty:
                found.append((policy_label(change), empty))
        if not found:
            return []
        return ["Enforced policies for empty groups: %s. A policy enforced only for groups applies to their members; "
                "an empty group (a pilot group nobody was added to) means the policy is enforced for no one in it, "
                "while a staged rollout leaves everyone else report-only. Add the members, name other groups, or %s." % (
                    "; ".join("%s includes %s, which %s no members" % (
                        label, quoted(empty), words(empty, "has", "have")) for label, empty in found),
                    acknowledge("acknowledge_empty_groups"))]

    @staticmethod
    def has_members(engine, group_id):
        """True when the group has a member (nested ones counted), None when it cannot be read (a
        dangling id, which the name resolution already reported)."""
        response = engine.graph.request("GET", "/groups/%s/transitiveMembers" % group_id, api_version="v1.0",
                                        query={"$top": 1, "$select": "id"}, accept=set([200, 404]))
        if response.status != 200 or not isinstance(response.json, dict):
            return None
        return bool(response.json.get("value"))

    # -- purge ------------------------------------------------------------------------------------
    def purge_problems(self, changes):
        if not self.params.get("purge"):
            return []
        pattern = self.params.get("purge_name_pattern")
        found = []
        if pattern:
            compiled = re.compile(pattern, re.IGNORECASE)
            purged_names = [str((c.current or {}).get("displayName") or "") for c in changes if c.purged]
            if all(compiled.fullmatch(n) for n in list(ARBITRARY_NAMES) + purged_names):
                found.append(
                    "purge_name_pattern: %r matches any name (tried %s), so purge would delete every conditional "
                    "access policy the task does not declare, hand-made ones included. Give a pattern that only the "
                    "names of the policies this baseline owns match, such as 'TG - .*', or %s." % (
                        pattern, quoted(n for n in ARBITRARY_NAMES[2:6]), acknowledge("acknowledge_purge_risk")))
        enforced = [c for c in changes if c.purged and is_enforced(c.current)]
        if enforced:
            found.append(
                "purge: would delete %d enforced polic%s that the task does not declare: %s. A policy in the 'enabled' "
                "state protects the tenant now, and this collection cannot tell that it made it; purge deletes only "
                "report-only and disabled policies unless told. Declare %s, switch %s off first, narrow "
                "purge_name_pattern, or %s." % (
                    len(enforced), words(enforced, "y", "ies"),
                    ", ".join("%r (%s)" % (c.current.get("displayName"), c.current.get("id")) for c in enforced),
                    words(enforced, "it", "them"), words(enforced, "it", "them"),
                    acknowledge("acknowledge_purge_risk")))
        return found

    # -- the tenant's limit -----------------------------------------------------------------------
    def limit_problems(self, engine, changes):
        created = sum(1 for c in changes if c.action == "create")
        if not created:
            return []
        deleted = sum(1 for c in changes if c.action == "delete")
        existing = len(engine.objects())
        total = existing - deleted + created
        limit = self.option("policy_limit")
        if total <= limit:
            return []
        return ["The tenant would hold %d conditional access policies (%d now, %d to create, %d to delete), more than "
                "its limit of %d policies in any state, report-only and disabled included (source: %s). Graph would "
                "refuse the creates past the limit and leave the run half applied. Merge or delete policies, set "
                "policy_limit to your tenant's documented limit, or %s." % (
                    total, existing, created, deleted, limit, LIMIT_SOURCE, acknowledge("acknowledge_policy_limit"))]
