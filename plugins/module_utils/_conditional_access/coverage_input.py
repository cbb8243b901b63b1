# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the coverage module's personas and applications, from names to what the evaluation takes.

Not a public API. Every name of every persona (users, groups, roles) and every application is
resolved in one bulk look-up (``_engine.names``); a persona naming a real user gets that user's transitive
groups and directory roles (one read per such user). Each name that fails is reported at once,
with the option path, the value and what would be accepted.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.coverage import (
    Application,
    Persona,
    default_applications,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    PolicyInputError,
    memberships,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import application_id, application_name

GUEST_TYPES = ["b2bCollaborationGuest"]
# Application names the Graph special values stand for, as cells need a real app.
SPECIAL_APPLICATIONS = {"microsoftadminportals": "Azure portal", "office365": "Office 365",
                        "all other": "All other applications"}


def _resolved(found, kind, value, where, problems):
    resolution = found.get((kind, value))
    if resolution is None or not resolution.usable:
        problem = resolution.problem() if resolution is not None else "was not looked up"
        problems.append("%s: %s (got %r)." % (where, problem, value))
        return None
    return str(resolution.id).lower()


def resolve_personas(module, resolver, personas):
    """``Persona`` objects of the ``personas`` option; raises PolicyInputError naming each name not
    found."""
    wanted = {}
    for persona in personas:
        if persona.get("user"):
            wanted.setdefault("user", []).append(persona["user"])
        wanted.setdefault("group", []).extend(persona.get("groups") or [])
        wanted.setdefault("role", []).extend(persona.get("roles") or [])
    found = resolver.resolve(dict((k, v) for k, v in wanted.items() if v)) if any(wanted.values()) else {}
    problems = []
    result = []
    for index, persona in enumerate(personas):
        where = "personas[%d]" % index
        user_id = None
        groups, roles = [], []
        if persona.get("user"):
            user_id = _resolved(found, "user", persona["user"], where + ".user", problems)
            if user_id:
                groups, roles = memberships(module.graph, user_id)
        for group in persona.get("groups") or []:
            group_id = _resolved(found, "group", group, where + ".groups", problems)
            if group_id and group_id not in groups:
                groups.append(group_id)
        for role in persona.get("roles") or []:
            role_id = _resolved(found, "role", role, where + ".roles", problems)
            if role_id and role_id not in roles:
                roles.append(role_id)
        user = {"id": user_id, "groups": groups, "roles": roles,
                "user_type": "guest" if persona.get("guest") else "member"}
        if persona.get("guest"):
            user["external_user_types"] = list(GUEST_TYPES)
        result.append(Persona(persona["name"], user, kind="declared"))
    if problems:
        raise PolicyInputError(problems)
    return result


def resolve_applications(resolver, applications):
    """``Application`` objects of the ``applications`` option (None: the defaults)."""
    if applications is None:
        return default_applications()
    defaults = dict((a.name.lower(), a) for a in default_applications())
    result = []
    pending = []
    for value in applications:
        key = " ".join(str(value).split()).lower()
        key = SPECIAL_APPLICATIONS.get(key, key).lower()
        if key in defaults:
            result.append(defaults[key])
            continue
        app_id = application_id(value)
        if app_id and app_id not in ("All", "None", "Office365", "MicrosoftAdminPortals"):
            result.append(Application(application_name(app_id) or value, app_id))
            continue
        result.append(None)
        pending.append((len(result) - 1, value))
    if pending:
        found = resolver.resolve({"application": [v for _i, v in pending]})
        problems = []
        for index, value in pending:
            app_id = _resolved(found, "application", value, "applications[%d]" % index, problems)
            result[index] = Application(value, app_id)
        if problems:
            raise PolicyInputError([p.rstrip(".") + ". Accepted: a well-known application name (Exchange Online, "
                                    "SharePoint Online, Microsoft Teams, Azure portal, Microsoft Graph), All other "
                                    "applications, a service principal display name or an app id." for p in problems])
    return result
