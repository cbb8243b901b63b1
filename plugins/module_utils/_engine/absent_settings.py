# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: settings given together with ``state: absent`` are ignored, with a warning.

Not a public API. A task that deletes an object designates it (``display_name``, ``id`` and the
options that say where to look, such as ``platform``). Ansible users toggle one task or one list
item between ``present`` and ``absent`` with its settings left in place (``state: "{{ wanted }}"``,
a vars file whose retired policy keeps its conditions), as with ``ansible.builtin.user``; so the
settings next to ``state: absent`` do not stop the delete, but each is named in a warning, so that a
``state: absent`` typed by mistake over a policy's settings is seen in the output.
"""

# Options that designate an object (or say where to find it), expected with state: absent.
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


def warn_settings_when_absent(warn, params, spec, state, field="", designating=DESIGNATING):
    """Warn (through ``warn``) naming the settings in ``params`` when ``state`` is absent."""
    if state != "absent":
        return
    given = settings_given(params, spec, designating)
    if given:
        where = "%s: " % field if field else ""
        warn("%sstate is absent, so the object is deleted and its settings (%s) are ignored." % (
            where, ", ".join(sorted(given))))
