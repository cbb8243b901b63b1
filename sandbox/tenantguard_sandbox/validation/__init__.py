"""Request-body validation and the server-side rules and rewrites of Microsoft Graph, as pure functions.

No HTTP here: the server calls these functions and turns the ``GraphHTTPError`` they raise into a response.
"""

from tenantguard_sandbox.validation.actions import validate_action
from tenantguard_sandbox.validation.authentication_strengths import (
    builtin_authentication_strengths, create_authentication_strength, render_authentication_strength,
    update_allowed_combinations, update_authentication_strength)
from tenantguard_sandbox.validation.conditional_access import create_policy, render_policy, update_policy
from tenantguard_sandbox.validation.named_locations import (
    create_named_location, render_named_location, update_named_location)
from tenantguard_sandbox.validation.schema import (
    PathTarget, entity_type_for_path, load_schema, select_properties, validate_entity)
from tenantguard_sandbox.validation.templates import builtin_templates

__all__ = [
    "PathTarget", "builtin_authentication_strengths", "builtin_templates", "create_authentication_strength",
    "create_named_location", "create_policy", "entity_type_for_path", "load_schema", "render_authentication_strength",
    "render_named_location", "render_policy", "select_properties", "update_allowed_combinations",
    "update_authentication_strength", "update_named_location", "update_policy", "validate_action",
    "validate_entity",
]
