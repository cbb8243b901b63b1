"""Run a sandbox from tests: ``running_sandbox(state_dir, seed=..., faults=...)``.

The sandbox runs as a subprocess of the CLI (exactly as users run it); the context manager waits
for ``/_sandbox/health`` and stops the process on exit (SIGTERM, then SIGKILL after a grace time)::

    with running_sandbox(tmp_path / "sb", seed={"users": [...]}) as sb:
        sb.base_url, sb.env, sb.ca_path          # where and how to connect
        sb.proxy_url, sb.intercept_env           # intercept mode: HTTPS proxy and CA variables
        sb.requests()                            # parsed requests.jsonl
        sb.set_faults({"rules": [...]})          # PUT /_sandbox/faults
        sb.seed_app(permissions=["User.Read.All"])  # a new application with a secret

Only the standard library is used here; :meth:`RunningSandbox.session` builds a ``requests``
session that trusts the sandbox CA (``trust_env=False``, so ``REQUESTS_CA_BUNDLE`` cannot override it).
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import uuid

from .fsutil import read_json


class SandboxStartError(RuntimeError):
    """The sandbox process did not come up; the message carries the tail of its log."""


class RunningSandbox:
    def __init__(self, state_dir, process):
        self.state_dir = str(state_dir)
        self.process = process
        info = read_json(os.path.join(self.state_dir, "server.json"))
        self.port = info["port"]
        self.base_url = info["base_url"]
        self.ca_path = os.path.join(self.state_dir, "ca.pem")
        self.proxy_url = info["proxy_url"]
        self.env = read_json(os.path.join(self.state_dir, "env.json"))
        self.intercept_env = read_json(os.path.join(self.state_dir, "intercept.json"))
        self.msi = read_json(os.path.join(self.state_dir, "msi.json"))
        self.tenant_id = self.env["AZURE_TENANT_ID"]
        self.client_id = self.env["AZURE_CLIENT_ID"]
        self._ssl = ssl.create_default_context(cafile=self.ca_path)

    # -- control API ----------------------------------------------------------------------------
    def control(self, method, path, body=None):
        """Call a ``/_sandbox/...`` endpoint; returns ``(status, parsed JSON)``."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self._ssl, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if data else None)
        finally:
            conn.close()

    def set_faults(self, spec):
        status, body = self.control("PUT", "/_sandbox/faults", spec)
        if status != 200:
            raise ValueError("faults refused: %s" % body)
        return body

    def get_faults(self):
        return self.control("GET", "/_sandbox/faults")[1]

    def seed(self, document):
        """Apply a seed document at run time (``POST /_sandbox/seed``)."""
        status, body = self.control("POST", "/_sandbox/seed", document)
        if status != 200:
            raise ValueError("seed refused: %s" % body)
        return body

    def seed_app(self, permissions=(), display_name=None, app_id=None, secret=None, key_credentials=(),
                 directory_roles=(), secret_end=None):
        """Register an application; returns ``{"appId", "secret", "displayName"}`` (secret may be None)."""
        app_id = app_id or str(uuid.uuid4())
        if secret is None and not key_credentials:
            secret = "tst~" + secrets.token_urlsafe(24)
        spec = {"appId": app_id, "displayName": display_name or "test app %s" % app_id[:8],
                "permissions": list(permissions), "keyCredentials": list(key_credentials),
                "directoryRoles": list(directory_roles)}
        if secret is not None:
            spec["passwordCredentials"] = [dict({"secretText": secret}, **({"endDateTime": secret_end}
                                                                          if secret_end else {}))]
        self.seed({"applications": [spec]})
        return {"appId": app_id, "secret": secret, "displayName": spec["displayName"]}

    # -- logs -----------------------------------------------------------------------------------
    def ansible_environment(self, workdir, collections_path=None, base=None):
        """The environment for an ``ansible-playbook`` run against this sandbox.

        ``base`` (default: this process's environment) loses every ``AZURE_*``, ``TENANTGUARD_*``
        and ``ANSIBLE_*`` variable, so nothing from the caller's shell reaches a real tenant; the
        sandbox's credentials and endpoints take their place, with a token cache, the backups of
        the writing modules and Ansible's temporary files under ``workdir`` and the Python of this process first on ``PATH``.
        """
        base = os.environ if base is None else base
        env = {k: v for k, v in base.items() if not k.startswith(("AZURE_", "TENANTGUARD_", "ANSIBLE_"))}
        env.update(self.env)
        env.update(
            ANSIBLE_LOCAL_TEMP=os.path.join(str(workdir), "ansible-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            TENANTGUARD_TOKEN_CACHE=os.path.join(str(workdir), "token-cache"),
            TENANTGUARD_BACKUP_DIR=os.path.join(str(workdir), "backups"),
            PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
        )
        if collections_path:
            env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
        return env

    def requests(self):
        """Every line of ``requests.jsonl`` so far, parsed."""
        path = os.path.join(self.state_dir, "requests.jsonl")
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    # -- clients --------------------------------------------------------------------------------
    def session(self):
        """A ``requests.Session`` that trusts exactly the sandbox CA."""
        import requests

        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_path
        return session

    def intercept_session(self):
        """A ``requests.Session`` that reaches Microsoft's host names through the sandbox as HTTPS
        proxy, trusting exactly the sandbox CA."""
        session = self.session()
        session.proxies = {"https": self.proxy_url, "http": self.proxy_url}
        return session

    def token(self, scope="https://graph.microsoft.com/.default", client_id=None, secret=None):
        """An access token from the sandbox authority (client credentials with a secret)."""
        session = self.session()
        response = session.post("%s/%s/oauth2/v2.0/token" % (self.base_url, self.tenant_id), data={
            "grant_type": "client_credentials", "client_id": client_id or self.client_id,
            "client_secret": secret or self.env["AZURE_CLIENT_SECRET"], "scope": scope})
        response.raise_for_status()
        return response.json()["access_token"]


def _wait_for_previous_server(state_dir, timeout=10.0):
    """Let a server that still holds ``state_dir`` finish before another starts there.

    Under a runner that forks a process per test, pytest hands every test of a worker the same
    module-scoped temporary directory, and the previous test's server (started with
    ``--exit-with-parent``) is still flushing its state for up to half a second.
    """
    info = read_json(os.path.join(state_dir, "server.json"))
    pid = info.get("pid") if isinstance(info, dict) else None
    deadline = time.monotonic() + timeout
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        if _is_zombie(pid):
            return
        time.sleep(0.05)


def _is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _write_input(state_dir, name, value):
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    path = os.path.join(state_dir, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    return path


def _healthy(state_dir, process):
    info = read_json(os.path.join(state_dir, "server.json"))
    if not info or info.get("pid") != process.pid:
        return False
    context = ssl.create_default_context(cafile=os.path.join(state_dir, "ca.pem"))
    conn = http.client.HTTPSConnection("127.0.0.1", info["port"], context=context, timeout=2)
    try:
        conn.request("GET", "/_sandbox/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def running_sandbox(state_dir, seed=None, faults=None, port=0, timeout=20.0, extra_args=()):
    """Start ``python -m tenantguard_sandbox serve`` on ``state_dir`` and yield a :class:`RunningSandbox`.

    ``seed`` and ``faults`` are a path or a dict (written into the state directory).
    """
    state_dir = os.fspath(state_dir)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    seed_path = _write_input(state_dir, "seed-input.json", seed)
    faults_path = _write_input(state_dir, "faults-input.json", faults)
    # --exit-with-parent: test runners that fork a process per test (ansible-test's ``ansible_forked``)
    # end that process without fixture teardown; the server then stops by itself instead of lingering.
    command = [sys.executable, "-m", "tenantguard_sandbox", "serve", "--port", str(port), "--state-dir", state_dir,
               "--exit-with-parent"]
    if seed_path:
        command += ["--seed", seed_path]
    if faults_path:
        command += ["--faults", faults_path]
    command += list(extra_args)
    _wait_for_previous_server(state_dir)
    log_path = os.path.join(state_dir, "server.log")
    log = open(log_path, "ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(state_dir, process):
            if process.poll() is not None or time.monotonic() > deadline:
                with open(log_path, "rb") as handle:
                    tail = handle.read()[-4000:].decode("utf-8", "replace")
                raise SandboxStartError("the sandbox did not start (exit code %s):\n%s" % (process.poll(), tail))
            time.sleep(0.02)
        yield RunningSandbox(state_dir, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        log.close()
