"""Reads of Graph resources the sandbox does not model, for ``serve --unmodelled empty``.

By default a path no route serves gets Graph's routing error, 400 ``BadRequest`` "Resource not found for the
segment '<first unserved segment>'." (``router.py``). Tools that sweep many endpoints (backup tools read dozens
of Intune collections) stop at the first such answer; with ``--unmodelled empty`` a GET of a *collection* that
Graph has but the sandbox does not model answers an empty page instead, ``{"@odata.context": ..., "value": []}``,
and its line in ``requests.jsonl`` carries ``"unmodelled": true`` so that a run shows what it did not really test.

Which paths are collections of Graph (``data/unmodelled_collections.json``, from the v1.0 CSDL):

* Intune: ``/deviceManagement/<nav>`` and ``/deviceAppManagement/<nav>`` where ``<nav>`` is a collection-valued
  navigation property of that singleton (on beta also the singleton's other navigation names in
  ``graph_schema.json``, less the ones v1.0 declares single-valued), and one level deeper,
  ``/<singleton>/<nav>/{id}/<nav2>``, which cannot be checked against the extract and is taken as a collection;
* the directory: the directory entity sets (``/contacts``, ``/domains``, ``/administrativeUnits`` under
  ``/directory``, ...), and ``/<set>/{id}/<nav>`` of users, groups, devices, service principals and applications
  where ``<nav>`` is one of the type's navigation properties.

Anything else (a single entity, a single-valued navigation, a name Graph does not have, a write) keeps the
routing error.
"""

import functools
import json
from importlib import resources

from .messages import Response
from .validation.schema import model

INTUNE_SINGLETONS = ("deviceManagement", "deviceAppManagement")
_KEYED_DIRECTORY_SETS = {"users": "user", "groups": "group", "devices": "device",
                         "servicePrincipals": "servicePrincipal", "applications": "application"}


@functools.lru_cache(maxsize=None)
def _data():
    source = resources.files("tenantguard_sandbox").joinpath("data", "unmodelled_collections.json")
    with source.open("r", encoding="utf-8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=None)
def _singleton_collections(version, singleton):
    v10 = _data()["singletonCollections"]
    names = set(v10.get(singleton, ()))
    if version == "beta":
        tdef = model("beta").type(singleton) or {}
        beta_names = set(tdef.get("allNavigationPropertyNames", ())) | set(tdef.get("navigationProperties", {}))
        v10_all = set(model("v1.0").type(singleton).get("allNavigationPropertyNames", ())) \
            if model("v1.0").type(singleton) else set()
        names |= {n for n in beta_names if n not in v10_all or n in v10.get(singleton, ())}
    return frozenset(n.lower() for n in names)


@functools.lru_cache(maxsize=None)
def _navigation_names(version, type_name):
    tdef = model(version).type(type_name) or {}
    names = set(tdef.get("allNavigationPropertyNames", ())) | set(tdef.get("navigationProperties", {}))
    return frozenset(n.lower() for n in names)


def is_collection(version, segments):
    """True when ``segments`` (the path after the version) address a collection Graph has (see module doc)."""
    if not segments:
        return False
    root = segments[0].lower()
    singletons = {s.lower(): s for s in INTUNE_SINGLETONS + ("directory",)}
    if root in singletons:
        singleton = singletons[root]
        if len(segments) == 2:
            return segments[1].lower() in _singleton_collections(version, singleton)
        if len(segments) == 4 and singleton != "directory":
            return segments[1].lower() in _singleton_collections(version, singleton)
        return False
    directory_sets = {s.lower() for s in _data()["directoryEntitySets"]}
    if len(segments) == 1:
        return root in directory_sets
    keyed = {k.lower(): v for k, v in _KEYED_DIRECTORY_SETS.items()}
    if len(segments) == 3 and root in keyed:
        return segments[2].lower() in _navigation_names(version, keyed[root])
    return False


def _context_path(segments):
    """``["users", "x", "ownedDevices"]`` -> ``users('x')/ownedDevices`` (OData context URL form)."""
    out = []
    for index, segment in enumerate(segments):
        if index and _is_key_position(segments, index):
            out[-1] = "%s('%s')" % (out[-1], segment)
        else:
            out.append(segment)
    return "/".join(out)


def _is_key_position(segments, index):
    root = segments[0].lower()
    if root in {s.lower() for s in INTUNE_SINGLETONS + ("directory",)}:
        return index == 2  # singleton/nav/{id}/nav2
    return index == 1  # set/{id}/nav


def empty_page(request, segments):
    """The empty page answered for an unmodelled collection read, or None when the path is not one."""
    if request.method != "GET" or not is_collection(request.version, segments):
        return None
    request.unmodelled = True
    return Response(200, {"@odata.context": "%s/%s/$metadata#%s" % (request.base_url, request.version,
                                                                     _context_path(segments)),
                          "value": []})
