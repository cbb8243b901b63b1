# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: moving a policy off the retired ``approvedApplication`` grant.

Not a public API. Since 2026-06-30 a policy that requires an approved client app is read-only:
Graph lets it be disabled or deleted, nothing else. ``migrate_approved_application`` on the
module does what Microsoft's migration guide asks, in one task that check mode can preview:

1. create the replacement: the old policy's settings with ``compliantApplication`` (require app
   protection policy) instead of ``approvedApplication``, report-only unless told otherwise, named
   ``<old name> (app protection)`` unless told otherwise;
2. disable the old policy (``old_policy_state: disabled``, the default), or leave it as it is
   (``unchanged``) to disable it in a later run, once the replacement has been checked.

The replacement is created once: when a policy of that name exists it is left alone (it may have
been enabled since), so the task can run again and again. A policy that no longer uses the
retired grant has nothing to migrate. The checks of any other write apply: the lockout guard to a
replacement created enforcing, the whole plan before anything is written.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import PolicyInputError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    REPORT_ONLY,
    RETIREMENT_URL,
    replacement_for_retired_grant,
    uses_retired_grant,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared

OPTION = "migrate_approved_application"
OLD_STATES = ["disabled", "unchanged"]
REPLACEMENT_STATES = ["enabledForReportingButNotEnforced", "enabled", "disabled"]


def migration_options():
    return dict(
        replacement_display_name=dict(type="str"),
        replacement_policy_state=dict(type="str", default=REPORT_ONLY, choices=REPLACEMENT_STATES),
        old_policy_state=dict(type="str", default="disabled", choices=OLD_STATES),
    )


def migrate(engine, params):
    """Plan and carry out the migration of the policy that ``id`` / ``display_name`` designate."""
    options = params[OPTION]
    resource = engine.resource
    designation = {"displayName": params["display_name"]} if params.get("display_name") else {}
    old = engine.find(Declared(designation, id=params.get("id")))
    if old is None:
        raise PolicyInputError(["%s: no conditional access policy has this name, so there is nothing to migrate "
                                "(got %r). Accepted: the display_name or id of a policy that uses approvedApplication."
                                % ("id" if params.get("id") else "display_name",
                                   params.get("id") or params.get("display_name"))])
    name = options.get("replacement_display_name") or "%s (app protection)" % old.get("displayName")
    existing = engine.by_name(name)
    if len(existing) > 1:
        raise PolicyInputError(["%s.replacement_display_name: %d policies are named %r (ids %s); the replacement "
                                "must be one policy (got %r). Accepted: a name no other policy has."
                                % (OPTION, len(existing), name, ", ".join(str(p.get("id")) for p in existing), name)])
    changes = []
    replacement = existing[0] if existing else None
    if uses_retired_grant(old):
        if replacement is None:
            body = replacement_for_retired_grant(old, resource.api_version, display_name=name)
            body["state"] = options["replacement_policy_state"]
            changes.append(engine.plan(Declared(body, field=OPTION)))
        if options["old_policy_state"] == "disabled" and str(old.get("state")).lower() != "disabled":
            changes.append(engine.plan(Declared({"state": "disabled"}, id=old["id"])))
    engine.apply(changes)

    created = next((c for c in changes if c.action == "create"), None)
    disabled = next((c for c in changes if c.action == "update"), None)
    if created is not None:
        replacement = created.stored or created.predicted
    old_after = (disabled.stored or disabled.predicted) if disabled is not None else old
    result = {
        "changed": any(c.changed for c in changes),
        "action": "migrated" if changes else "unchanged",
        "actions": [engine.action(c) for c in changes if c.changed],
        resource.result_key: old_after,
        "replacement": replacement,
        "migration": {
            "uses_retired_grant": uses_retired_grant(old),
            "replacement_display_name": name,
            "replacement_created": created is not None,
            "old_policy_disabled": disabled is not None,
            "guide": RETIREMENT_URL,
        },
    }
    if not uses_retired_grant(old):
        result["msg"] = "%s does not use approvedApplication: nothing to migrate." % resource.label(old)
    if (disabled is not None and replacement is not None
            and str(replacement.get("state")) == REPORT_ONLY):
        engine.warn("%s is disabled and its replacement %r is report-only: until the replacement is enabled, neither "
                    "enforces app protection. Enable it (policy_state: enabled) once its sign-in reports look right."
                    % (resource.label(old), name))
    if engine.diff_mode:
        before, after = {}, {}
        for change in changes:
            old_view = resource.display(change.current) if change.current else {}
            final = change.stored or change.predicted
            if change.current:
                before[resource.name_of(change.current)] = old_view
            if final:
                after[resource.name_of(final)] = resource.display(final)
        result["diff"] = {"before": before, "after": after, "before_header": "before the migration",
                          "after_header": "after the migration"}
    return result
