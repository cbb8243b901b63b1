"""Files a running sandbox writes for its clients: ``env.sh``, ``env.json``, ``msi.json`` (all
owner-only, they hold the built-in application's secret or the identity header) and ``server.json``."""

import os

from .fsutil import write_json, write_private
from .tenant import AUTOMATION_APP_ID, MANAGED_IDENTITY_APP_ID


def _shell_quote(value):
    return "'" + str(value).replace("'", "'\\''") + "'"


def environment(sandbox, base_url):
    """The variables the collection's modules read to use this sandbox."""
    return {
        "AZURE_TENANT_ID": sandbox.tenant.id,
        "AZURE_CLIENT_ID": AUTOMATION_APP_ID,
        "AZURE_CLIENT_SECRET": sandbox.settings["automationSecret"],
        "TENANTGUARD_LOGIN_ENDPOINT": base_url,
        "TENANTGUARD_GRAPH_ENDPOINT": base_url,
        "TENANTGUARD_EXCHANGE_ENDPOINT": base_url,
        "TENANTGUARD_CA_BUNDLE": os.path.join(sandbox.state_dir, "ca.pem"),
    }


def write_all(sandbox, base_url, pid):
    env = environment(sandbox, base_url)
    lines = ["# TenantGuard Graph sandbox at %s (source this file)" % base_url]
    lines += ["export %s=%s" % (name, _shell_quote(value)) for name, value in env.items()]
    write_private(os.path.join(sandbox.state_dir, "env.sh"), "\n".join(lines) + "\n")
    write_json(os.path.join(sandbox.state_dir, "env.json"), env, indent=1)
    write_json(os.path.join(sandbox.state_dir, "msi.json"), {
        "IDENTITY_ENDPOINT": base_url + "/msi/token",
        "IDENTITY_HEADER": sandbox.settings["identityHeader"],
        "client_id": MANAGED_IDENTITY_APP_ID,
    }, indent=1)
    write_json(os.path.join(sandbox.state_dir, "server.json"),
               {"port": sandbox.port, "pid": pid, "base_url": base_url}, mode=0o644, indent=1)
