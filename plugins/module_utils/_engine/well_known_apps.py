# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: well-known application names and directory role names, in one place.

Not a public API. Conditional access targets cloud applications by app id and directory roles by
role template id. These tables let a playbook say ``Exchange Online`` or ``Global Administrator``
instead, matched without regard to case or extra spaces, and turn ids back into names for diffs a
person can read. Anything not in the tables is resolved by the module with Graph reads.

Sources: Microsoft's conditional access templates and Graph examples for the ids they use, and
the directory roles reference (``permissions-reference.md`` in MicrosoftDocs/entra-docs) for role
template ids; a few application ids come from widely used third-party baselines, marked below.
"""

# Values Graph itself understands in includeApplications / excludeApplications: they pass through.
SPECIAL_APPLICATIONS = ("All", "None", "Office365", "MicrosoftAdminPortals")

# (app id, canonical name, other names). The canonical name is what reverse look-ups return.
APPLICATIONS = (
    ("00000002-0000-0ff1-ce00-000000000000", "Exchange Online", ("Office 365 Exchange Online",)),
    ("00000003-0000-0ff1-ce00-000000000000", "SharePoint Online", ("Office 365 SharePoint Online",)),
    # Third-party baselines: the Teams service (the resource conditional access targets) and the client.
    ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams", ("Microsoft Teams Services",)),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams client", ()),
    ("0000000a-0000-0000-c000-000000000000", "Microsoft Intune", ()),
    ("d4ebce55-015a-49b5-a083-c84d1797ae8c", "Microsoft Intune Enrollment", ()),
    ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Microsoft Azure Management",
     ("Windows Azure Service Management API", "Azure Management", "Azure Service Management API")),
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph", ()),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure portal", ()),
    ("fb78d390-0c51-40cd-8e17-fdbfab77341b", "Microsoft Exchange REST API Based Powershell", ()),
)

# (role template id, display name). Template ids are the same in every tenant.
ROLES = (
    ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator"),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator"),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator"),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator"),
    ("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "Conditional Access Administrator"),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator"),
    ("b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator"),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    ("c4e39bd9-1100-46d3-8c65-fb160da0071f", "Authentication Administrator"),
    ("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"),
    ("158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator"),
    ("966707d0-3269-4727-9be2-8c3a10f19b9d", "Password Administrator"),
    ("7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "Privileged Authentication Administrator"),
    ("e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator"),
    ("17315797-102d-40b4-93e0-432062caca18", "Compliance Administrator"),
    ("e6d1a23a-da11-4be4-9570-befc86d067a7", "Compliance Data Administrator"),
    ("3a2c62db-5318-420d-8d74-23affee5d9d5", "Intune Administrator"),
    ("44367163-eba1-44c3-98af-f5787879f96a", "Dynamics 365 Administrator"),
    ("11648597-926c-4cf3-9c36-bcebb0ba8dcc", "Power Platform Administrator"),
    ("69091246-20e8-4a56-aa4d-066075b2a7a8", "Teams Administrator"),
    ("8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", "Hybrid Identity Administrator"),
    ("d29b2b05-8046-44ba-8758-1e26182fcf32", "Directory Synchronization Accounts"),
)


def _key(name):
    """Names match without regard to case or runs of spaces."""
    return " ".join(str(name).split()).lower()


def _app_ids_by_name():
    found = {}
    for app_id, name, aliases in APPLICATIONS:
        for alias in (name,) + aliases:
            found[_key(alias)] = app_id
    return found


_APP_BY_NAME = _app_ids_by_name()
_APP_NAME_BY_ID = dict((app_id, name) for app_id, name, _aliases in APPLICATIONS)
_SPECIAL_BY_KEY = dict((_key(s), s) for s in SPECIAL_APPLICATIONS)
_ROLE_BY_NAME = dict((_key(name), role_id) for role_id, name in ROLES)
_ROLE_NAME_BY_ID = dict(ROLES)


def application_id(name):
    """The value Graph takes for a well-known application name: the special value itself
    (``office365`` -> ``Office365``) or the app id. None when the name is not in the table."""
    key = _key(name)
    return _SPECIAL_BY_KEY.get(key) or _APP_BY_NAME.get(key)


def application_name(app_id):
    """The canonical name of a well-known app id, or None."""
    return _APP_NAME_BY_ID.get(str(app_id).strip().lower())


def role_template_id(name):
    """The role template id of a directory role display name, or None."""
    return _ROLE_BY_NAME.get(_key(name))


def role_name(template_id):
    """The display name of a well-known role template id, or None."""
    return _ROLE_NAME_BY_ID.get(str(template_id).strip().lower())


def well_known_ids(names):
    """Resolve what the tables know of ``{kind: [names]}`` (as from ``names_to_resolve``):
    ``{kind: {name: id}}`` for kinds ``application`` and ``role``. The rest is left to Graph."""
    resolved = {}
    lookups = {"application": application_id, "role": role_template_id}
    for kind, values in (names or {}).items():
        lookup = lookups.get(kind)
        if lookup is None:
            continue
        for value in values:
            found = lookup(value)
            if found is not None:
                resolved.setdefault(kind, {})[value] = found
    return resolved


def readable(kind, value):
    """``"<name> (<id>)"`` for a well-known id of ``kind`` (application or role), else the value."""
    name = {"application": application_name, "role": role_name}.get(kind, lambda _v: None)(value)
    return "%s (%s)" % (name, value) if name else value
