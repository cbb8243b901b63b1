"""Run a module's ``main()`` in-process with a fake Graph client, and read its result.

The client is substituted where the modules take it (``TenantGuardModule.graph``); argument
checking, the module's code and everything it calls run as in a real task. Warnings are kept in the
result, as when Ansible runs a module.
"""
import contextlib
import io
import json

from ansible.module_utils.testing import patch_module_args

from ansible_collections.tenantguard.m365.plugins.module_utils._engine import module as _module

CONNECTION = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "00000000-0000-4000-8000-00000000c11e",
              "client_secret": "not-used-the-graph-client-is-substituted"}


def _warning_text(warning):
    if isinstance(warning, dict):
        return (warning.get("event") or {}).get("msg") or str(warning)
    return warning


@contextlib.contextmanager
def _graph_substituted(graph):
    from ansible.module_utils import _internal
    from ansible.module_utils.common import warnings

    # A module process collects its warnings in a process-wide table; each run here starts empty.
    warnings._global_warnings.clear()  # pylint: disable=protected-access
    warnings._global_deprecations.clear()  # pylint: disable=protected-access
    saved_property = _module.TenantGuardModule.__dict__["graph"]
    saved_controller = _internal.is_controller
    _module.TenantGuardModule.graph = property(lambda self: graph)
    _internal.is_controller = False
    try:
        yield
    finally:
        _module.TenantGuardModule.graph = saved_property
        _internal.is_controller = saved_controller


def run_module(main, args, graph, check=False):
    """``(result, exit code)`` of ``main()`` with ``args`` against ``graph``."""
    args = dict(CONNECTION, **args)
    args.update(_ansible_check_mode=check, _ansible_diff=False)
    out = io.StringIO()
    code = 0
    with _graph_substituted(graph), patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    result = json.loads(out.getvalue())
    result["warnings"] = [_warning_text(w) for w in result.get("warnings", [])]
    return result, code
