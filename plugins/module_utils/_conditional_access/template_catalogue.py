# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Microsoft's conditional access templates (``/identity/conditionalAccess/templates``).

Not a public API. Templates are read-only (GET only). Each carries ``details``, the settings of a
conditional access policy; ``template_params()`` turns them into the options of the
``conditional_access_policy`` module, so that a policy can be created from a template:

* ``display_name`` is the template's name;
* the placeholder ``Current administrator will be excluded`` that Microsoft puts in
  ``excludeUsers`` is left out (it is not a user; the policy module's ``emergency_access`` is
  how administrators stay out of a policy);
* references stay ids (directory role template ids, application ids): the policy module
  accepts ids as well as names.

``find_templates()`` filters by id, name (exactly, else without regard to case) and scenario.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import graph_to_options
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import (
    InvalidOption,
    ResourceType,
    fold,
)

COLLECTION = "/identity/conditionalAccess/templates"
PLACEHOLDER_USERS = ("Current administrator will be excluded",)
# templateScenarios (v1.0 CSDL, without unknownFutureValue), and aiAgents, which live beta templates carry.
SCENARIOS = ("new", "secureFoundation", "zeroTrust", "remoteWork", "protectAdmins", "emergingThreats", "aiAgents")


class ConditionalAccessTemplateType(ResourceType):
    """Templates, for reading through the resource engine (they cannot be written)."""

    noun = "conditional access template"
    collection = COLLECTION
    name_field = "name"
    name_option = "name"
    result_key = "template"
    list_key = "templates"


def scenario_name(value, field="scenario"):
    """Graph's spelling of a template scenario given in any case, or InvalidOption."""
    for scenario in SCENARIOS:
        if isinstance(value, str) and value.strip().lower() == scenario.lower():
            return scenario
    raise InvalidOption(field, "is not a template scenario", value, accepted="%s (any case)" % ", ".join(SCENARIOS))


def scenarios_of(template):
    return [s.strip() for s in str((template or {}).get("scenarios") or "").split(",") if s.strip()]


def find_templates(templates, template_id=None, name=None, scenario=None):
    """The templates that match every filter given (None: no filter)."""
    found = list(templates)
    if template_id:
        found = [t for t in found if str(t.get("id", "")).lower() == template_id.strip().lower()]
    if name:
        exact = [t for t in found if t.get("name") == name]
        found = exact or [t for t in found if fold(t.get("name")) == fold(name)]
    if scenario:
        found = [t for t in found if scenario.lower() in [s.lower() for s in scenarios_of(t)]]
    return found


def template_params(template, api_version="v1.0"):
    """The ``conditional_access_policy`` options of a policy made from ``template``."""
    template = template or {}
    params = {"display_name": template.get("name")}
    params.update(graph_to_options(template.get("details") or {}, api_version))
    users = (params.get("conditions") or {}).get("users")
    if isinstance(users, dict) and users.get("exclude_users"):
        kept = [u for u in users["exclude_users"] if u not in PLACEHOLDER_USERS]
        if kept:
            users["exclude_users"] = kept
        else:
            del users["exclude_users"]
    return params
