# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: conditional access policies as the module options that recreate them (``params``).

Not a public API. ``params`` of a policy are ``graph_to_options`` of its writable settings, so
that feeding them back to ``conditional_access_policy`` changes nothing. With names (the
default), each id becomes the name a person would write (a user's UPN, a group's display name,
``Exchange Online``, ...) only where that name resolves back to the very same id: a name two
groups share, a deleted user's id, a service principal whose name the well-known table gives to
another app all stay ids. Two bulk look-ups serve every policy: ids to names, then the names back.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import ids_to_name, readable
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import writable_body
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import (
    RETIRED_GRANT,
    REPLACEMENT_GRANT,
    RETIREMENT_URL,
    uses_retired_grant,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import (
    graph_to_options,
    is_guid,
    substitute_references,
)


def round_trip_names(policies, resolver):
    """``{kind: {lower id: name}}`` for the ids whose name resolves back to them."""
    wanted = {}
    for policy in policies:
        for kind, ids in ids_to_name(policy).items():
            wanted.setdefault(kind, set()).update(ids)
    if not wanted:
        return {}
    resolver.resolve(wanted)
    candidates = {}
    for kind, ids in wanted.items():
        for object_id in ids:
            name = resolver.name_of(kind, object_id)
            if name and not is_guid(name):
                candidates.setdefault(kind, {})[object_id.lower()] = name
    back = resolver.resolve(dict((kind, sorted(set(names.values()))) for kind, names in candidates.items()))
    names = {}
    for kind, by_id in candidates.items():
        for object_id, name in by_id.items():
            found = back.get((kind, name))
            if found is not None and found.status == "found" and str(found.id).lower() == object_id:
                names.setdefault(kind, {})[object_id] = name
    return names


def policy_params(policy, api_version, names=None):
    """The module options that recreate ``policy``; ids replaced by ``names`` where given."""
    body = writable_body(policy, api_version, keep_empty=False)
    if names:
        body = substitute_references(body, names)
    params = graph_to_options(body, api_version)
    if api_version != "v1.0":
        params["api_version"] = api_version
    return params


def migration_hint(policy):
    if not uses_retired_grant(policy):
        return None
    return ("This policy requires %r (approved client app), retired on 2026-06-30: it can only be disabled or deleted. "
            "Replace it with one that requires %r: run conditional_access_policy with display_name %r and "
            "migrate_approved_application: {} (check mode first). See %s"
            % (RETIRED_GRANT, REPLACEMENT_GRANT, policy.get("displayName"), RETIREMENT_URL))


def export_item(policy, api_version, resolver=None, names=None):
    """One item of the info module's result: Graph JSON, ``params``, ``readable``, retired-grant flag."""
    item = dict((k, v) for k, v in policy.items() if k != "@odata.context")
    item["params"] = policy_params(policy, api_version, names)
    item["readable"] = readable(policy, resolver)
    item["uses_retired_grant"] = uses_retired_grant(policy)
    item["migration_hint"] = migration_hint(policy)
    return item
