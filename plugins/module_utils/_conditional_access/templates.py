# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: conditional access policies made from Microsoft's templates.

Not a public API. ``template`` (a template's name or id, as ``GET
/identity/conditionalAccess/templates`` lists them) makes the template's ``details`` the base of the
desired policy; the task's own options are laid over it (objects merge property by property, a
list or value given replaces the template's). Without ``display_name`` or ``id`` the policy is
named after the template. One list of templates serves the whole task.

Templates exclude a placeholder user, ``Current administrator will be excluded``: the portal puts
the signed-in administrator there. An application has no such person, so the placeholder stands
for the emergency-access accounts: their users take its place in ``exclude_users`` and their
groups join ``exclude_groups`` (unless the task sets ``exclude_groups`` itself). Without
``emergency_access`` the placeholder is dropped with a warning; never is it sent to Graph.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.problems import PolicyInputError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.normalise import (
    merge_for_prediction,
    writable_body,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import closest, is_guid

TEMPLATES = "/identity/conditionalAccess/templates"
# The one placeholder Microsoft's templates put among the excluded users.
PLACEHOLDER_EXCLUDED_USER = "Current administrator will be excluded"


def _fold(text):
    return " ".join(str(text).split()).lower()


class TemplateCatalog:
    """Microsoft's conditional access templates, read once (on first use) per task."""

    def __init__(self, graph, api_version="v1.0"):
        self.graph = graph
        self.api_version = api_version
        self._templates = None

    def templates(self):
        if self._templates is None:
            self._templates = list(self.graph.list(TEMPLATES, api_version=self.api_version))
        return self._templates

    def find(self, value):
        """``(template, None)`` or ``(None, problem)`` for a template name or id."""
        templates = self.templates()
        wanted = str(value).strip()
        if is_guid(wanted):
            for template in templates:
                if str(template.get("id", "")).lower() == wanted.lower():
                    return template, None
            return None, "no Microsoft template has the id %s" % wanted
        matches = [t for t in templates if _fold(t.get("name", "")) == _fold(wanted)]
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            return None, "%d templates are named %r: %s; give the id" % (
                len(matches), wanted, ", ".join(str(t.get("id")) for t in matches))
        suggestions = closest(wanted, [t.get("name", "") for t in templates])
        problem = "no Microsoft template is named %r" % wanted
        if suggestions:
            problem += "; closest: %s" % ", ".join(repr(s) for s in suggestions)
        return None, problem

    def base_body(self, template):
        """The template's settings as a writable policy body (no nulls, no empty lists)."""
        return writable_body(template.get("details") or {}, self.api_version, keep_empty=False)


def apply_templates(items, catalog):
    """Lay each item that names a template over the template's settings; name it after the
    template when it has neither a display name nor an id."""
    problems = []
    for item in items:
        if not item.template:
            continue
        template, problem = catalog.find(item.template)
        if problem:
            problems.append("%s: %s (got %r). Accepted: the name or id of one of Microsoft's templates (GET "
                            "/identity/conditionalAccess/templates), such as 'Block legacy authentication'."
                            % (item.where("template"), problem, item.template))
            continue
        item.template_name = template.get("name")
        body = item.body or {}
        if item.state == "present":
            body = merge_for_prediction(catalog.base_body(template), body)
        if not body.get("displayName") and not item.id:
            body["displayName"] = template.get("name")
        item.body = body
    if problems:
        raise PolicyInputError(problems)


def _user_sets(item, option):
    users = ((item.params.get("conditions") or {}).get("users") or {})
    return users.get(option) is not None


def fill_placeholders(items, emergency, warn):
    """Replace the templates' excluded-administrator placeholder by the emergency-access accounts
    (already resolved to ids), or drop it with a warning when there are none."""
    for item in items:
        users = ((item.body or {}).get("conditions") or {}).get("users")
        if not isinstance(users, dict):
            continue
        excluded = users.get("excludeUsers") or []
        if PLACEHOLDER_EXCLUDED_USER not in excluded:
            continue
        kept = [u for u in excluded if u != PLACEHOLDER_EXCLUDED_USER]
        if emergency:
            for user in emergency.get("users") or []:
                if user not in kept:
                    kept.append(user)
            if not _user_sets(item, "exclude_groups"):
                groups = list(users.get("excludeGroups") or [])
                for group in emergency.get("groups") or []:
                    if group not in groups:
                        groups.append(group)
                if groups:
                    users["excludeGroups"] = groups
        else:
            warn("%s: the template %r excludes %r, which stands for the administrator creating the policy in the "
                 "portal; it was left out. Set emergency_access to exclude your emergency-access accounts instead."
                 % (item.where("template"), getattr(item, "template_name", item.template), PLACEHOLDER_EXCLUDED_USER))
        users["excludeUsers"] = kept
