# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: settings given together with ``state: absent`` are refused, before any request.

Not a public API. A task that deletes an object designates it (``display_name``, ``id`` and the
options that say where to look, such as ``platform``); settings next to ``state: absent`` are
contradictory (was the object meant to be kept, with these settings?), so the task fails naming the
first such option and its value, instead of deleting an object whose settings someone just wrote.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._resource_type import InvalidOption, option_field

# Options that designate an object (or say where to find it), accepted with state: absent.
DESIGNATING = frozenset(["display_name", "id", "state", "api_version", "platform", "type"])


def settings_given(params, spec, designating=DESIGNATING):
    """The options of ``spec`` set in ``params`` (not None, not their default) that do not designate."""
    given = []
    for name, option in spec.items():
        if name in designating:
            continue
        value = params.get(name)
        if value is None or value == option.get("default"):
            continue
        given.append(name)
    return given


def refuse_settings_when_absent(params, spec, state, field="", designating=DESIGNATING):
    """InvalidOption for the first setting in ``params`` when ``state`` is absent."""
    if state != "absent":
        return
    given = settings_given(params, spec, designating)
    if given:
        name = given[0]
        raise InvalidOption(option_field(field, name), "is set, but state is absent: a task that deletes an object "
                            "takes no settings", value=params[name],
                            accepted="state: absent with only %s, or state: present to manage %s" % (
                                ", ".join(sorted(n for n in designating if n in spec and n != "state")), name))
