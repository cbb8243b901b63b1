"""Well-known application and directory role names."""

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.well_known_apps import (
    APPLICATIONS,
    ROLES,
    application_id,
    application_name,
    readable,
    role_name,
    role_template_id,
    well_known_ids,
)


def test_application_names_match_without_regard_to_case_or_spaces():
    assert application_id("Exchange Online") == "00000002-0000-0ff1-ce00-000000000000"
    assert application_id("  exchange   ONLINE ") == "00000002-0000-0ff1-ce00-000000000000"
    assert application_id("Office 365 SharePoint Online") == "00000003-0000-0ff1-ce00-000000000000"
    assert application_id("microsoft azure management") == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert application_id("Windows Azure Service Management API") == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert application_id("Microsoft Intune") == "0000000a-0000-0000-c000-000000000000"
    assert application_id("Microsoft Graph") == "00000003-0000-0000-c000-000000000000"
    assert application_id("Contoso HR") is None


def test_special_values_pass_through_in_graphs_spelling():
    assert application_id("office365") == "Office365"
    assert application_id("MICROSOFTADMINPORTALS") == "MicrosoftAdminPortals"
    assert application_id("all") == "All"


def test_reverse_look_ups_for_readable_diffs():
    assert application_name("00000002-0000-0FF1-CE00-000000000000") == "Exchange Online"
    assert role_name("62E90394-69F5-4237-9190-012177145E10") == "Global Administrator"
    assert readable("role", "62e90394-69f5-4237-9190-012177145e10") == "Global Administrator (62e90394-69f5-4237-9190-012177145e10)"
    assert readable("application", "00000000-1111-2222-3333-444444444444") == "00000000-1111-2222-3333-444444444444"
    assert readable("group", "62e90394-69f5-4237-9190-012177145e10") == "62e90394-69f5-4237-9190-012177145e10"


def test_role_names_match_without_regard_to_case():
    assert role_template_id("global administrator") == "62e90394-69f5-4237-9190-012177145e10"
    assert role_template_id("Conditional Access Administrator") == "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
    assert role_template_id("Directory Synchronization Accounts") == "d29b2b05-8046-44ba-8758-1e26182fcf32"
    assert role_template_id("Chief Coffee Officer") is None


def test_tables_have_no_duplicate_ids_or_names():
    app_ids = [app_id for app_id, _name, _aliases in APPLICATIONS]
    names = [alias.lower() for _id, name, aliases in APPLICATIONS for alias in (name,) + aliases]
    assert len(app_ids) == len(set(app_ids)) and len(names) == len(set(names))
    assert len(set(r for r, _n in ROLES)) == len(ROLES) and len(set(n.lower() for _r, n in ROLES)) == len(ROLES)
    assert all(app_id == app_id.lower() for app_id in app_ids + [r for r, _n in ROLES])


def test_well_known_ids_resolves_what_the_tables_know_and_leaves_the_rest():
    names = {"application": ["Exchange Online", "Contoso HR"], "role": ["Global Administrator"], "group": ["Admins"]}
    assert well_known_ids(names) == {
        "application": {"Exchange Online": "00000002-0000-0ff1-ce00-000000000000"},
        "role": {"Global Administrator": "62e90394-69f5-4237-9190-012177145e10"},
    }
