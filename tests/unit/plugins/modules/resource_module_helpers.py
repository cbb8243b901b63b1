"""Shared pieces of the tests of the modules built on the resource engine (named locations,
authentication strengths, templates): running a module in-process against the sandbox, and
reading what reached Graph."""
import json
import uuid

import pytest

from ansible.module_utils.testing import patch_module_args

GRAPH_WRITES = ("POST", "PATCH", "PUT", "DELETE")


def graph_rows(sb, since=0):
    return [r for r in sb.requests()[since:] if r["service"] == "graph"]


def writes(sb, since=0):
    """(method, path, status) of every Graph write since ``since``."""
    return [(r["method"], r["path"], r["status"]) for r in graph_rows(sb, since) if r["method"] in GRAPH_WRITES]


def unique(prefix):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def module_runner(graph_sandbox, clean_environment, tmp_path, capsys):
    """A function that runs a module's ``main`` in-process with ``args`` (check and diff modes as asked)
    against the sandbox and returns (result, exit code). Test files wrap it in a ``run_module`` fixture."""
    for name, value in graph_sandbox.env.items():
        clean_environment.setenv(name, value)
    clean_environment.setenv("TENANTGUARD_TOKEN_CACHE", str(tmp_path / "tokens.json"))
    clean_environment.setenv("TENANTGUARD_BACKUP_DIR", str(tmp_path / "backups"))
    # Warnings go into the result, as when Ansible runs a module (this process also loaded controller code).
    from ansible.module_utils import _internal
    clean_environment.setattr(_internal, "is_controller", False)

    def execute(main, args, check=False, diff=False):
        with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
            with pytest.raises(SystemExit) as exit_info:
                main()
        return json.loads(capsys.readouterr().out), exit_info.value.code

    return execute
