"""The conditional access evaluation engine behind the What If endpoint: a separate dependency.

The sandbox does not evaluate conditional access itself. ``POST .../identity/conditionalAccess/evaluate`` answers
with the engine of the ``tenantguard.m365`` collection, imported by its module name,
``ansible_collections.tenantguard.m365.`` + :data:`ENGINE_MODULE`, from the first of:

1. ``serve --collections-path DIR`` (``Sandbox(collections_path=DIR)``);
2. the environment variable ``TENANTGUARD_SANDBOX_COLLECTIONS_PATH`` (directories separated by ``:``);
3. the checkout the sandbox sits in, when it is the collection's (``galaxy.yml`` of ``tenantguard.m365`` one level
   above ``sandbox/``), served as that collection.

A collections path is a directory holding ``ansible_collections/tenantguard/m365``, as for Ansible's
``ANSIBLE_COLLECTIONS_PATH``. A path given by (1) or (2) is used alone: when the engine is not there, the
sandbox does not look further, and the What If answers 501 with a Graph-shaped error saying what to give.

The answer is only as good as that engine: the sandbox cannot show it wrong, so a What If answer from the sandbox
is not independent evidence of how Microsoft evaluates a sign-in.
"""

import importlib
import os
import sys
import types

ENV = "TENANTGUARD_SANDBOX_COLLECTIONS_PATH"
COLLECTION = "ansible_collections.tenantguard.m365"
# The engine's module inside the collection: the one name to change when the collection's code moves.
ENGINE_MODULE = "plugins.module_utils._conditional_access.evaluation"
CHECKOUT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class EngineUnavailable(Exception):
    """The engine cannot be imported; the message says where it was looked for and how to give it."""


def engine_file(collection_root):
    """Where :data:`ENGINE_MODULE` lives below a collection's root directory."""
    return os.path.join(collection_root, *ENGINE_MODULE.split(".")) + ".py"


def collection_root(collections_path):
    return os.path.join(collections_path, "ansible_collections", "tenantguard", "m365")


def is_collection_checkout(path):
    """Whether ``path`` is the root of a ``tenantguard.m365`` source tree (its ``galaxy.yml`` says so)."""
    try:
        with open(os.path.join(path, "galaxy.yml"), encoding="utf-8") as handle:
            lines = [line.split("#", 1)[0].strip() for line in handle]
    except OSError:
        return False
    return "namespace: tenantguard" in lines and "name: m365" in lines


def check_collections_path(value, source):
    """``value`` split into directories; raise ValueError naming ``source`` when one is not a directory."""
    paths = [p for p in str(value).split(os.pathsep) if p]
    missing = [p for p in paths if not os.path.isdir(p)]
    if not paths or missing:
        raise ValueError("%s %r is not a directory: give one or more directories (separated by '%s') that hold "
                         "ansible_collections/tenantguard/m365" % (source, missing[0] if missing else value,
                                                                   os.pathsep))
    return [os.path.abspath(p) for p in paths]


class EvaluationEngine:
    """Finds and imports the engine once, on first use."""

    def __init__(self, collections_path=None, environ=None):
        environ = os.environ if environ is None else environ
        if collections_path:
            self.source = "--collections-path"
            self.paths = check_collections_path(collections_path, self.source)
        elif environ.get(ENV):
            self.source = ENV
            self.paths = check_collections_path(environ[ENV], self.source)
        else:
            self.source, self.paths = "checkout", []
        self._module = None

    @property
    def name(self):
        return "%s.%s" % (COLLECTION, ENGINE_MODULE)

    def describe(self):
        """Where the engine is looked for, for messages and the health answer."""
        if self.source == "checkout":
            return "the checkout %s" % CHECKOUT
        return "%s %s" % (self.source, os.pathsep.join(self.paths))

    def load(self):
        """The engine module; raise :class:`EngineUnavailable` when it is not where the sandbox was told to look."""
        if self._module is None:
            self._module = self._import()
        return self._module

    def _import(self):
        if self.source == "checkout":
            if not (is_collection_checkout(CHECKOUT) and os.path.isfile(engine_file(CHECKOUT))):
                raise self._unavailable()
            _bind_collection(CHECKOUT)
        else:
            found = next((p for p in self.paths if os.path.isfile(engine_file(collection_root(p)))), None)
            if found is None:
                raise self._unavailable()
            if found not in sys.path:
                sys.path.insert(0, found)
        try:
            return importlib.import_module(self.name)
        except ImportError as exc:
            raise EngineUnavailable("%s could not be imported from %s: %s" % (self.name, self.describe(), exc)) \
                from None

    def _unavailable(self):
        return EngineUnavailable(
            "The sandbox's What If answers with the conditional access evaluation engine of the tenantguard.m365 "
            "collection (%s), which is not in %s. Give a collections path holding "
            "ansible_collections/tenantguard/m365 with 'serve --collections-path DIR' or %s."
            % (self.name, self.describe(), ENV))


def _bind_collection(root):
    """Serve the source tree ``root`` as the package ``ansible_collections.tenantguard.m365`` (a checkout is the
    collection's root, not a collections path), unless that package is already bound."""
    parts = COLLECTION.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        module = sys.modules.get(name)
        if module is None:
            try:
                module = importlib.import_module(name)
            except ImportError:
                module = types.ModuleType(name)
                module.__path__ = []
                sys.modules[name] = module
        path = root if depth == len(parts) else None
        if path and path not in list(module.__path__):
            module.__path__ = list(module.__path__) + [path]
