"""No secret leaves the places meant for it: the playbooks run at -vvvv, in check and diff modes, with
failures (a wrong secret, a wrong certificate password, a permission error, a storm of 503s, a module
that refuses its input), with a client secret and with certificates (PEM, password-protected PEM and PFX).

Everything the runs leave is scanned: stdout and stderr, the sandbox's request log, the backup files,
the token cache, every file under the run's working directory, its TMPDIR and Ansible's temporary
directories (~/.ansible/tmp), for the client secret (as is, URL-encoded, JSON-escaped and inside an HTTP
Basic header), the private key (each line of its PEM body and of its unencrypted PKCS#8 form), the
certificate password, and access tokens: every token the token cache holds (the tokens of the run) and
anything shaped like a signed JWT. The token cache is the one file allowed to hold the run's tokens; it
must hold no secret, and it and the backup files must be readable by their owner only.
"""
import base64
import datetime
import json
import os
import re
import secrets
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from conftest import PLAYBOOKS, REPO

HARDEN = REPO / "playbooks" / "harden_tenant.yml"
EXPORT = REPO / "playbooks" / "export_tenant.yml"
AUDIT = REPO / "playbooks" / "audit_devices.yml"
GRAPH_REQUEST = PLAYBOOKS / "graph_request_crud.yml"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
# What the hardening playbook and the audit need, as application permissions.
PERMISSIONS = ["User.Read.All", "Group.Read.All", "Directory.Read.All", "RoleManagement.Read.Directory",
               "Application.Read.All", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess",
               "DeviceManagementApps.ReadWrite.All", "DeviceManagementManagedDevices.Read.All",
               "DeviceManagementConfiguration.ReadWrite.All", "DeviceManagementServiceConfig.ReadWrite.All",
               "Exchange.ManageAsApp"]
READ_ONLY = ["User.Read.All", "Group.Read.All", "Directory.Read.All", "RoleManagement.Read.Directory",
             "Application.Read.All", "Policy.Read.All", "DeviceManagementApps.Read.All"]
CA_FAILURE = """\
- name: A conditional access policy that names a group the tenant does not have
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Converge the policy
      tenantguard.m365.conditional_access_policy:
        display_name: TG - Secrets check
        policy_state: enabledForReportingButNotEnforced
        conditions:
          users:
            include_groups: [No such group]
          applications:
            include_applications: [Office365]
        grant_controls:
          operator: OR
          built_in_controls: [mfa]
"""


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


def certificate(directory, name, kind="pem", password=None):
    """A self-signed certificate with its key in ``kind`` (pem / pfx), optionally password-protected.

    Returns (path, certificate PEM, the key's secret fragments)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantguard secrets %s" % name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    if kind == "pfx":
        data = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, None, encryption)
        written = base64.b64encode(data).decode()
        fragments = [written[i:i + 64] for i in range(0, len(written) - 64, 64)]
    else:
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        data = key_pem + cert_pem
        fragments = pem_body_lines(key_pem.decode())
    fragments += pem_body_lines(plain)
    raw = base64.b64encode(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                             serialization.NoEncryption())).decode()
    fragments += [raw[i:i + 64] for i in range(0, len(raw) - 64, 64)]
    path = Path(directory) / ("%s.%s" % (name, kind))
    path.write_bytes(data)
    path.chmod(0o600)
    return str(path), cert_pem.decode(), fragments


def pem_body_lines(pem):
    return [line for line in pem.splitlines() if line and not line.startswith("-----") and ":" not in line
            and len(line) >= 40]


class LeakScan:
    """Needles (label, text) searched in texts and files; hits are (where, label)."""

    def __init__(self):
        self.needles = []
        self.hits = []
        self.scanned = 0

    def secret(self, label, value, client_id=None):
        self.needles += [(label, value), (label + " (URL-encoded)", quote(value, safe="")),
                         (label + " (form-encoded)", quote_plus(value)), (label + " (JSON)", json.dumps(value)[1:-1])]
        if client_id:
            basic = base64.b64encode(("%s:%s" % (client_id, value)).encode()).decode()
            self.needles.append((label + " (HTTP Basic)", basic))

    def key(self, label, fragments):
        self.needles += [(label, fragment) for fragment in fragments]

    def text(self, where, text, tokens_allowed=False):
        self.scanned += 1
        for label, needle in self.needles:
            if needle and needle in text:
                self.hits.append((where, label))
        if not tokens_allowed:
            for match in JWT.finditer(text):
                self.hits.append((where, "a signed JWT (access token or client assertion) %s..." % match.group(0)[:12]))

    def tree(self, root, skip=(), since=None, tokens_allowed=False):
        root = Path(root)
        if not root.exists():
            return
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                if any(path == s or s in path.parents for s in skip) or path.is_symlink():
                    continue
                try:
                    if since is not None and path.stat().st_mtime < since:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue  # removed meanwhile (another run's temporary file)
                self.text(str(path), data.decode("utf-8", "replace"), tokens_allowed=tokens_allowed)


class Runs:
    """ansible-playbook -vvvv against the test's sandbox, with every output kept for the scan."""

    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox = sandbox
        self.collections_path = collections_path
        self.tmp_path = tmp_path
        self.outputs = []
        self.started = time.time()
        self.backups = tmp_path / "backups"
        self.token_cache = tmp_path / "state" / "tokens.json"
        (tmp_path / "tmp").mkdir()

    def env(self, **overrides):
        env = self.sandbox.ansible_environment(self.tmp_path, self.collections_path)
        env.update(TMPDIR=str(self.tmp_path / "tmp"), TENANTGUARD_TOKEN_CACHE=str(self.token_cache),
                   TENANTGUARD_BACKUP_DIR=str(self.backups))
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, playbooks, *args, extra_vars=None, env=None):
        out = self.tmp_path / "out"
        out.mkdir(exist_ok=True)
        variables = {"out_dir": str(out), "device_report_dir": str(self.tmp_path / "devices"),
                     "tenant_export_file": str(self.tmp_path / "exported.yml"),
                     "tenant_hardening_device_report": "never"}
        variables.update(extra_vars or {})
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvvv", "-i", "localhost,",
                   "-e", json.dumps(variables)] + [str(p) for p in playbooks] + list(args)
        done = subprocess.run(command, env=env or self.env(), cwd=str(self.tmp_path), capture_output=True, text=True,
                              timeout=600, check=False)
        self.outputs.append((" ".join(Path(p).name for p in playbooks) + " " + " ".join(args), done))
        return done

    def tokens(self):
        """The access tokens the runs were issued: those the token cache holds."""
        return JWT.findall(self.token_cache.read_text())

    def scan(self, scan):
        for label, done in self.outputs:
            scan.text("stdout of " + label, done.stdout)
            scan.text("stderr of " + label, done.stderr)
        scan.text("requests.jsonl", Path(self.sandbox.state_dir, "requests.jsonl").read_text())
        skip = [Path(self.sandbox.state_dir), self.tmp_path / "credentials", self.token_cache]
        scan.tree(self.tmp_path, skip=skip)
        # The token cache holds the run's tokens (that is what it is for), and nothing else.
        scan.needles, needles = [n for n in scan.needles if "token" not in n[0]], scan.needles
        scan.text("token cache", self.token_cache.read_text(), tokens_allowed=True)
        scan.needles = needles
        # Shared with every other Ansible run of this user: the run's own secrets and tokens only.
        scan.tree(Path.home() / ".ansible" / "tmp", since=self.started - 1, tokens_allowed=True)


def assert_private(path, mode):
    actual = stat.S_IMODE(os.stat(path).st_mode)
    assert actual == mode, "%s has mode %o, expected %o" % (path, actual, mode)


def assert_owner_only(runs):
    assert_private(runs.token_cache, 0o600)
    assert_private(runs.token_cache.parent, 0o700)
    if runs.backups.exists():
        for dirpath, dirs, files in os.walk(runs.backups):
            assert_private(dirpath, 0o700)
            for name in files:
                assert_private(os.path.join(dirpath, name), 0o600)


def finish(runs, secrets_):
    """Scan everything the runs left; no hit allowed."""
    scan = LeakScan()
    for label, value, client_id in secrets_:
        if isinstance(value, list):
            scan.key(label, value)
        else:
            scan.secret(label, value, client_id)
    tokens = runs.tokens()
    assert tokens, "the token cache holds no token: the scan for the run's tokens would prove nothing"
    scan.needles += [("an access token of the run", token) for token in tokens]
    scan.needles += [("the signature of an access token of the run", token.rsplit(".", 1)[1]) for token in tokens]
    runs.scan(scan)
    assert scan.scanned > len(runs.outputs) * 2
    assert scan.hits == [], "\n".join("%s: %s" % hit for hit in scan.hits[:40])
    assert_owner_only(runs)


def test_client_secret_at_vvvv_in_check_diff_and_apply(graph_sandbox, collections_path, tmp_path):
    runs = Runs(graph_sandbox, collections_path, tmp_path)
    secret = graph_sandbox.env["AZURE_CLIENT_SECRET"]

    apply = runs.run([HARDEN], "--diff")
    assert apply.returncode == 0, apply.stdout[-3000:]
    assert "changed=" in apply.stdout and "TG - MFA for all users" in apply.stdout
    assert list(runs.backups.rglob("*.json")), "the apply wrote no backup file: the scan would not cover backups"
    # The export with the secret given as a variable from a file, as an inventory of tenants gives it (a
    # secret given as ``-e name=value`` on the command line is printed by ansible-playbook -vvvv itself).
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    variables = credentials / "tenant.json"
    variables.write_text(json.dumps({"tenantguard_client_secret": secret}))
    variables.chmod(0o600)
    others = runs.run([EXPORT, AUDIT, GRAPH_REQUEST], "-e", "@%s" % variables)
    assert others.returncode == 0, others.stdout[-3000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in others.stdout  # -vvvv shows the arguments, masked
    assert (tmp_path / "exported.yml").exists() and (tmp_path / "devices" / "report.html").exists()
    finish(runs, [("the client secret", secret, graph_sandbox.client_id)])


def test_client_secret_in_failures(graph_sandbox, collections_path, tmp_path):
    runs = Runs(graph_sandbox, collections_path, tmp_path)
    secret = graph_sandbox.env["AZURE_CLIENT_SECRET"]
    wrong = secret[:-4] + "Zq9x"
    playbook = tmp_path / "ca_failure.yml"
    playbook.write_text(CA_FAILURE)

    refused = runs.run([playbook], "--diff")
    assert refused.returncode != 0 and "No such group" in refused.stdout, refused.stdout[-3000:]
    signed_out = runs.run([HARDEN], "--check", "--skip-tags", "app_protection", env=runs.env(AZURE_CLIENT_SECRET=wrong))
    assert signed_out.returncode != 0 and "AADSTS7000215" in signed_out.stdout, signed_out.stdout[-3000:]

    reader = graph_sandbox.seed_app(permissions=READ_ONLY, display_name="Read-only automation")
    forbidden = runs.run([HARDEN], "--diff", "--skip-tags", "app_protection",
                         env=runs.env(AZURE_CLIENT_ID=reader["appId"], AZURE_CLIENT_SECRET=reader["secret"]))
    assert forbidden.returncode != 0 and "403" in forbidden.stdout, forbidden.stdout[-3000:]

    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 503, "path": "^/v1\\.0/identity/"}]})
    storm = runs.run([HARDEN], "--skip-tags", "app_protection", env=runs.env(TENANTGUARD_RETRY_MAX_WAIT="3"))
    graph_sandbox.set_faults({"rules": []})
    assert storm.returncode != 0 and "503" in storm.stdout, storm.stdout[-3000:]
    finish(runs, [("the client secret", secret, graph_sandbox.client_id),
                  ("the wrong client secret", wrong, graph_sandbox.client_id),
                  ("the read-only app's secret", reader["secret"], reader["appId"])])


def test_certificates_pem_encrypted_pem_and_pfx(graph_sandbox, collections_path, tmp_path):
    runs = Runs(graph_sandbox, collections_path, tmp_path)
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    password = "pw-" + secrets.token_urlsafe(18)
    pem, pem_cert, pem_key = certificate(credentials, "plain", "pem")
    locked, locked_cert, locked_key = certificate(credentials, "locked", "pem", password)
    pfx, pfx_cert, pfx_key = certificate(credentials, "bundle", "pfx", password)
    # The example vars converge Exchange Online's mobile access layer too: Exchange Administrator.
    app = graph_sandbox.seed_app(permissions=PERMISSIONS, display_name="Certificate automation",
                                 key_credentials=[{"key": c} for c in (pem_cert, locked_cert, pfx_cert)],
                                 directory_roles=["Exchange Administrator"])

    def env(path, secret=None):
        return runs.env(AZURE_CLIENT_ID=app["appId"], AZURE_CLIENT_SECRET=None, AZURE_CLIENT_CERTIFICATE_PATH=path,
                        AZURE_CLIENT_CERTIFICATE_PASSWORD=secret)

    check = runs.run([HARDEN], "--check", "--diff", "--skip-tags", "app_protection", env=env(pem))
    assert check.returncode == 0, check.stdout[-3000:]
    # Creates everything (backups written), then the update of the seeded policy is answered 500.
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 500, "path": "^/v1\\.0/identity/",
                                         "method": "PATCH"}]})
    failed = runs.run([HARDEN], "--diff", env=env(locked, password))
    graph_sandbox.set_faults({"rules": []})
    assert failed.returncode != 0 and "answered 500" in failed.stdout, failed.stdout[-3000:]
    assert list(runs.backups.rglob("*.json"))
    export = runs.run([EXPORT], env=env(pfx, password))
    assert export.returncode == 0, export.stdout[-3000:]
    wrong = runs.run([EXPORT], env=env(pfx, password[::-1]))
    assert wrong.returncode != 0 and "client_certificate_password" in wrong.stdout, wrong.stdout[-3000:]
    finish(runs, [("the PEM private key", pem_key, None), ("the encrypted PEM private key", locked_key, None),
                  ("the PFX private key", pfx_key, None), ("the certificate password", password, None),
                  ("the reversed password", password[::-1], None)])
