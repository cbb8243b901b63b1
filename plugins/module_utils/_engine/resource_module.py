# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a resource module as its option table plus hooks; one call runs it.

Not a public API. A module that converges one kind of Graph object, by itself or as a set, is::

    class NamedLocationModule(ResourceModule):
        list_option = "named_locations"          # set mode; None for a module of one object only
        object_options = staticmethod(object_options)
        to_graph = staticmethod(options_to_graph)

        def resource_type(self, module):
            return NamedLocationType()

    def main():
        NamedLocationModule().main()

``main()`` builds the argument spec (the object's options, ``state``, the list option with the same
options per item, ``purge`` and the backup options), the TenantGuardModule with the rules every
resource module shares (an object is named by ``display_name`` or ``id``; the list option excludes the
single-object options; ``purge`` needs the list), and runs the engine: ``converge`` for one object,
``converge_parts`` for a list (one Part unless ``parts`` says otherwise), check mode, diff and the result
included (``_engine.resource``).

Hooks a module overrides where its resource needs more: ``items(module)`` lists the task's items (and
refuses what the argument spec cannot say), ``check_item(module, item, state, field)`` checks one item
(right after the warning about settings beside ``state: absent``, before anything is read),
``prepare(module, items)`` runs once before any item is turned into a Graph body (bulk name look-ups),
``declared(module, item, state, field)`` builds one ``Declared``, ``engine(module)`` builds the engine (an
engine subclass, an API version), ``parts(module, wanted)`` splits a set over several engines (one
``Part`` each, such as one per platform; ``converge_parts`` plans them all before writing any).
``single_options()`` is the argument spec of the single-object form when it has options that items do
not share, and ``shared_options`` the options that may stand beside the list option.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.absent_settings import warn_settings_when_absent
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import (
    Declared, Part, ResourceEngine, backup_options, converge_parts, purge_options, run_module)

STATES = ("present", "absent")


class ResourceModule:
    """One resource module: set ``list_option``, ``object_options``, ``to_graph`` and ``resource_type``."""

    list_option = None
    shared_options = ()

    def object_options(self):
        """The object's options (an argument spec without ``state``)."""
        raise NotImplementedError

    def to_graph(self, item, field=""):
        """The Graph body of ``item`` (module options); raises InvalidOption naming ``field`` and the option."""
        raise NotImplementedError

    def resource_type(self, module):
        """The ResourceType the engine converges."""
        raise NotImplementedError

    # -- hooks ------------------------------------------------------------------------------------

    def single_options(self):
        """The options of the single-object form (an argument spec without ``state``)."""
        return self.object_options()

    def items(self, module):
        """``[(field, item, state)]``: the list option's items, or the module's own options as one item."""
        params = module.params
        if self.list_option and params[self.list_option] is not None:
            return [("%s[%d]" % (self.list_option, index), item, item["state"] or params["state"])
                    for index, item in enumerate(params[self.list_option])]
        return [("", params, params["state"])]

    def check_item(self, module, item, state, field=""):
        """Checks one item before anything is read; raises InvalidOption naming ``field`` and the option."""

    def prepare(self, module, items):
        """Runs once, before any Graph body is built, with ``[(field, item, state)]``."""

    def declared(self, module, item, state, field=""):
        """The Declared of ``item`` in ``state``; ``field`` names it in messages."""
        return Declared(self.to_graph(item, field), state=state, id=item["id"], field=field)

    def engine(self, module):
        return ResourceEngine.for_module(module, self.resource_type(module))

    def parts(self, module, wanted):
        """The Parts of a set: by default one engine for every item."""
        return [Part(self.engine(module), wanted)]

    # -- the module -------------------------------------------------------------------------------

    def argument_spec(self):
        spec = self.single_options()
        spec["state"] = dict(type="str", choices=list(STATES), default="present")
        if self.list_option:
            item = self.object_options()
            item["state"] = dict(type="str", choices=list(STATES))
            spec[self.list_option] = dict(type="list", elements="dict", options=item,
                                          required_one_of=[["display_name", "id"]])
            spec.update(purge_options())
        spec.update(backup_options())
        return spec

    def module_rules(self):
        """The keyword arguments of TenantGuardModule that tie the options together."""
        if not self.list_option:
            return dict(required_one_of=[["display_name", "id"]])
        return dict(
            required_one_of=[["display_name", "id", self.list_option]],
            mutually_exclusive=[[self.list_option, option] for option in self.single_options()
                                if option not in self.shared_options],
            required_if=[("purge", True, [self.list_option])],
            required_by={"purge_name_pattern": self.list_option},
        )

    def run(self, module):
        params = module.params
        items = self.items(module)
        for field, item, state in items:
            warn_settings_when_absent(module.warn, item, self.object_options(), state, field)
            self.check_item(module, item, state, field)
        self.prepare(module, items)
        wanted = [self.declared(module, item, state, field) for field, item, state in items]
        if self.list_option and params[self.list_option] is not None:
            parts = self.parts(module, wanted)
            resource = parts[0].engine.resource if parts else self.resource_type(module)
            return converge_parts(parts, resource.list_key, resource.noun, module.diff_mode, items=wanted,
                                  purge=params["purge"], purge_name_pattern=params["purge_name_pattern"])
        return self.engine(module).converge(wanted[0])

    def main(self):
        module = TenantGuardModule(argument_spec=self.argument_spec(), supports_check_mode=True, **self.module_rules())
        run_module(module, self.run)
