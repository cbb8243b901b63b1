"""Fixtures of the outside referees: the referee environments made by ``scripts/referees.sh`` and a sandbox
seeded for clients that sweep a tenant (several pages of users, devices, groups).

A referee runs as a subprocess with the sandbox's ``intercept.json`` environment (and nothing of the
caller's proxy, CA or Azure settings): Microsoft's host names, the sandbox as HTTPS proxy.
"""

import hashlib
import os
import pathlib
import subprocess
import uuid

import pytest

from tenantguard_sandbox.testing import running_sandbox

HERE = pathlib.Path(__file__).resolve().parent
NAMESPACE = uuid.UUID("6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b")
USER_COUNT = 250  # three pages at $top=100


def uid(*parts):
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


def referee_seed():
    users = [{"id": uid("user", i), "displayName": "Referee User %03d" % i,
              "userPrincipalName": "ref%03d@contoso.onmicrosoft.com" % i, "mail": "ref%03d@contoso.com" % i,
              "accountEnabled": True, "userType": "Member"} for i in range(USER_COUNT)]
    groups = [{"id": uid("group", i), "displayName": "Referee Group %d" % i, "mailEnabled": False,
               "mailNickname": "refgroup%d" % i, "securityEnabled": True, "groupTypes": [],
               "members": [uid("user", i)]} for i in range(3)]
    devices = [{"id": uid("device", i), "deviceId": uid("deviceId", i), "displayName": "REF-PHONE-%02d" % i,
                "operatingSystem": "iOS", "operatingSystemVersion": "17.4", "accountEnabled": True,
                "trustType": "Workplace"} for i in range(3)]
    managed = [{"id": uid("managed", i), "deviceName": "ref-md-%d" % i, "operatingSystem": "iOS",
                "complianceState": "compliant", "userPrincipalName": "ref%03d@contoso.onmicrosoft.com" % i}
               for i in range(3)]
    return {"users": users, "groups": groups, "devices": devices, "managedDevices": managed}


def referee_environment(name):
    """Where ``scripts/referees.sh`` keeps the environment of referee ``name`` (named by its requirements' hash)."""
    root = os.environ.get("TENANTGUARD_REFEREES") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tenantguard", "referees")
    digest = hashlib.sha256((HERE / ("requirements-%s.txt" % name)).read_bytes()).hexdigest()[:12]
    return pathlib.Path(root) / ("%s-%s" % (name, digest))


@pytest.fixture(scope="session")
def referee_bin():
    """``referee_bin(name, program)``: a program of a referee environment; fails when it was not set up."""
    def find(name, program="python"):
        environment = referee_environment(name)
        if not (environment / ".complete").exists():
            pytest.fail("referee environment %s is missing: run scripts/referees.sh setup" % environment)
        return str(environment / "bin" / program)
    return find


def intercept_env(sandbox, extra=None):
    """The environment of a referee process: the sandbox's intercept.json over a clean base."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(sandbox.intercept_env)
    env.update(extra or {})
    return env


def run_referee(command, sandbox, cwd, extra_env=None, timeout=900):
    completed = subprocess.run(command, env=intercept_env(sandbox, extra_env), cwd=str(cwd), capture_output=True,
                               text=True, timeout=timeout, check=False)
    return completed


def graph_get(sandbox, path):
    """Read the sandbox's state directly (its own address, the built-in application's token)."""
    response = sandbox.session().get(sandbox.base_url + path, timeout=60,
                                     headers={"Authorization": "Bearer " + sandbox.token()})
    return response


@pytest.fixture(scope="module")
def referee_sandbox(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("referee-sandbox"), seed=referee_seed()) as sandbox:
        yield sandbox
