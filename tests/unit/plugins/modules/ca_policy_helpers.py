"""Shared pieces of the conditional access policy module tests: the tenant they run against and how
to run a module in-process against the sandbox."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args

POLICIES = "/identity/conditionalAccess/policies"
GRAPH_WRITES = ("POST", "PATCH", "PUT", "DELETE")
# Reads that go out as POST: they change nothing.
READ_POSTS = ("/directoryObjects/getByIds",)

EMERGENCY_GROUP_ID = "e0e0e0e0-0000-4000-8000-000000000001"
PILOT_GROUP_ID = "e0e0e0e0-0000-4000-8000-000000000002"
TWIN_GROUP_IDS = ("e0e0e0e0-0000-4000-8000-0000000000a1", "e0e0e0e0-0000-4000-8000-0000000000a2")
BREAKGLASS_ID = "b0b0b0b0-0000-4000-8000-000000000001"
ADELE_ID = "b0b0b0b0-0000-4000-8000-000000000002"
CONTOSO_APP_ID = "c0c0c0c0-0000-4000-8000-000000000001"


def tenant_seed():
    def group(name, nick, group_id=None):
        item = {"displayName": name, "securityEnabled": True, "mailEnabled": False, "mailNickname": nick}
        if group_id:
            item["id"] = group_id
        return item

    groups = [group("Emergency Access", "emergency", EMERGENCY_GROUP_ID), group("Mobile Pilot", "pilot", PILOT_GROUP_ID),
              group("Sales", "sales1", TWIN_GROUP_IDS[0]), group("Sales", "sales2", TWIN_GROUP_IDS[1])]
    groups += [group("Baseline Group %02d" % i, "bg%02d" % i) for i in range(30)]
    users = [
        {"id": BREAKGLASS_ID, "displayName": "Break Glass 1", "userPrincipalName": "breakglass1@contoso.onmicrosoft.com"},
        {"id": ADELE_ID, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.onmicrosoft.com"},
    ]
    users += [{"displayName": "Baseline User %02d" % i, "userPrincipalName": "baseline%02d@contoso.onmicrosoft.com" % i}
              for i in range(30)]
    return {
        "users": users,
        "groups": groups,
        "servicePrincipals": [{"appId": CONTOSO_APP_ID, "displayName": "Contoso Expenses"}],
    }


def graph_rows(sb, since=0):
    return [r for r in sb.requests()[since:] if r["service"] == "graph"]


def is_write(row):
    if row["method"] not in GRAPH_WRITES:
        return False
    path = row["path"]
    if row["method"] == "POST" and path.endswith(READ_POSTS):
        return False
    if row["method"] == "POST" and path.endswith("/$batch"):
        items = (row.get("body") or {}).get("requests") or []
        return any(i.get("method") != "GET" and not i.get("url", "").startswith(READ_POSTS) for i in items)
    return True


def writes(sb, since=0):
    return [(r["method"], r["path"], r["status"]) for r in graph_rows(sb, since) if is_write(r)]


def warning_text(warning):
    if isinstance(warning, dict):
        return (warning.get("event") or {}).get("msg") or str(warning)
    return warning


def module_runner(graph_sandbox, clean_environment, tmp_path, capsys):
    """A function that runs a module's main() in-process with ``args`` against the sandbox and returns
    (result, exit code). Test files wrap it in a ``run_module`` fixture."""
    for name, value in graph_sandbox.env.items():
        clean_environment.setenv(name, value)
    clean_environment.setenv("TENANTGUARD_TOKEN_CACHE", str(tmp_path / "tokens.json"))
    clean_environment.setenv("TENANTGUARD_BACKUP_DIR", str(tmp_path / "backups"))
    # Modules report warnings in their result, as they do when Ansible runs them; the test process has
    # loaded controller code, which would otherwise send them to the display instead.
    from ansible.module_utils import _internal
    clean_environment.setattr(_internal, "is_controller", False)

    def execute(main, args, check=False, diff=False):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                main()
        result = json.loads(capsys.readouterr().out)
        result["warnings"] = [warning_text(w) for w in result.get("warnings", [])]
        return result, exit_info.value.code

    return execute
