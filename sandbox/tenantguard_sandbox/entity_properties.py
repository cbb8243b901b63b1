"""Property names per entity type for ``$select``/``$filter`` checks, from the schema validator
where it knows the type and from :mod:`directory_types` for the directory types it does not hold."""

import functools

from . import directory_types


@functools.lru_cache(maxsize=None)
def properties(version, type_name):
    names = set()
    try:
        from .validation import select_properties

        names |= set(select_properties(version, type_name))
    except (ImportError, ValueError, KeyError):
        pass
    if type_name in directory_types.PROPERTIES:
        names |= set(directory_types.PROPERTIES[type_name]) | set(directory_types.BASE)
    if not names:
        raise KeyError("no property list for type %r" % type_name)
    names.add("id")
    return frozenset(names)


def filterable(version, type_name):
    """Properties Entra ID indexes for ``$filter`` on a directory type."""
    return frozenset(properties(version, type_name) - directory_types.NOT_FILTERABLE.get(type_name, set()))
