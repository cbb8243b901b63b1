"""The job path of AWX / Automation Controller: the custom credential type (docs/awx/) rendered the way
the controller renders it, ansible-runner running the playbook with that environment against a sandbox,
and ansible-builder turning execution-environment.yml into a build context."""
import datetime
import json
import os
import stat
import subprocess
import sys

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import REPO

CREDENTIAL_TYPE = REPO / "docs" / "awx" / "tenantguard_credential_type.yml"
POLICIES = "/v1.0/identity/conditionalAccess/policies"
BASELINE = (
    "TG - Mobile: require app protection",
    "TG - Block legacy authentication",
    "TG - MFA for all users",
    "TG - MFA for medium or high sign-in risk",
    "TG - Password change for high user risk",
)
# What the controller adds on its own and what only points the modules at the sandbox.
SANDBOX_ONLY = ("TENANTGUARD_LOGIN_ENDPOINT", "TENANTGUARD_GRAPH_ENDPOINT", "TENANTGUARD_EXCHANGE_ENDPOINT",
                "TENANTGUARD_CA_BUNDLE")


@pytest.fixture
def sandbox_seed():
    return json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text())


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """ansible-runner passes this process's environment on: nothing of the caller's may reach the job."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "TENANTGUARD_", "ANSIBLE_")):
            monkeypatch.delenv(name)


class _Namespace(dict):
    """Attribute access, as the controller's ``tower`` namespace offers it."""

    __getattr__ = dict.__getitem__


def inject(credential_type, inputs, private_data_dir):
    """The environment the controller injects for a credential of this type (AWX's inject_credential):
    every field is in the template namespace (unset ones as their default or empty), each file template
    is rendered into a file of its own readable by the owner only, ``tower.filename.<name>`` is its path,
    and every env template is rendered with the whole namespace."""
    jinja = ImmutableSandboxedEnvironment()
    namespace = {}
    for field in credential_type["inputs"]["fields"]:
        value = inputs.get(field["id"], field.get("default", False if field["type"] == "boolean" else ""))
        namespace[field["id"]] = value
    for field in credential_type["inputs"].get("required", []):
        assert inputs.get(field), "the controller refuses a credential without %s" % field
    filenames = _Namespace()
    for label, template in credential_type["injectors"].get("file", {}).items():
        kind, dot, name = label.partition(".")
        assert kind == "template" and dot and name, label
        path = os.path.join(str(private_data_dir), "cred_" + name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(jinja.from_string(template).render(**namespace))
        filenames[name] = path
    namespace["tower"] = _Namespace(filename=filenames)
    return {name: jinja.from_string(template).render(**namespace)
            for name, template in credential_type["injectors"]["env"].items()}


def credential_type():
    return yaml.safe_load(CREDENTIAL_TYPE.read_text())


def run_job(graph_sandbox, tmp_path, injected, playbook, extravars=None):
    """ansible_runner.run as the controller starts a job: a private data dir, the injected environment."""
    import ansible_runner

    collections = tmp_path / "collections" / "ansible_collections" / "tenantguard"
    collections.mkdir(parents=True)
    (tmp_path / "job").mkdir(exist_ok=True)
    (collections / "m365").symlink_to(REPO, target_is_directory=True)
    envvars = dict(injected)
    envvars.update({name: graph_sandbox.env[name] for name in SANDBOX_ONLY})
    envvars.update(
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        TENANTGUARD_TOKEN_CACHE=str(tmp_path / "token-cache"),
        TENANTGUARD_BACKUP_DIR=str(tmp_path / "backups"),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    return ansible_runner.run(
        private_data_dir=str(tmp_path / "job"), playbook=str(playbook), inventory="localhost",
        envvars=envvars, extravars=extravars or {}, quiet=True, timeout=600,
    )


def job_stdout(runner):
    return runner.stdout.read()


def test_runner_job_with_the_injected_secret_converges_the_tenant(graph_sandbox, tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    injected = inject(credential_type(), {
        "tenant_id": graph_sandbox.env["AZURE_TENANT_ID"],
        "client_id": graph_sandbox.env["AZURE_CLIENT_ID"],
        "client_secret": graph_sandbox.env["AZURE_CLIENT_SECRET"],
    }, job)
    assert injected["AZURE_CLIENT_CERTIFICATE_PATH"] == ""
    assert injected["TENANTGUARD_CLOUD"] == "public"
    certificate_file = job / "cred_client_certificate"
    assert stat.S_IMODE(certificate_file.stat().st_mode) == 0o600

    since = len(graph_sandbox.requests())
    runner = run_job(graph_sandbox, tmp_path, injected, REPO / "playbooks" / "harden_tenant.yml")
    output = job_stdout(runner)
    assert runner.status == "successful" and runner.rc == 0, output
    assert runner.stats["changed"].get("localhost", 0) >= 1, runner.stats
    assert not runner.stats["failures"], runner.stats
    # The secret never reaches the job's output or its events.
    assert graph_sandbox.env["AZURE_CLIENT_SECRET"] not in output
    # Only ansible-runner's own records of the job's environment hold it, and only their owner reads them.
    holders = [p for p in job.rglob("*")
               if p.is_file() and graph_sandbox.env["AZURE_CLIENT_SECRET"] in p.read_text(errors="replace")]
    assert sorted(p.name for p in holders) == ["command", "envvars"], holders
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in holders), holders

    # The tenant converged: the baseline is there, report-only, written by this job's application.
    rows = graph_sandbox.requests()[since:]
    created = [r for r in rows if r["service"] == "graph" and r["method"] == "POST" and r["path"] == POLICIES]
    assert len(created) == 6, created
    assert {r["app_id"] for r in created} == {graph_sandbox.env["AZURE_CLIENT_ID"]}
    session = graph_sandbox.session()
    stored = session.get(graph_sandbox.base_url + POLICIES,
                         headers={"Authorization": "Bearer " + graph_sandbox.token()}).json()["value"]
    states = {p["displayName"]: p["state"] for p in stored}
    for name in BASELINE:
        assert states[name] == "enabledForReportingButNotEnforced", name

    # A second job with the same credential changes nothing.
    (tmp_path / "again").mkdir()
    runner = run_job(graph_sandbox, tmp_path / "again", injected, REPO / "playbooks" / "harden_tenant.yml")
    assert runner.status == "successful", job_stdout(runner)
    assert runner.stats["changed"].get("localhost", 0) == 0, job_stdout(runner)


def test_runner_job_with_an_injected_certificate_file(graph_sandbox, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantguard automation")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    app = graph_sandbox.seed_app(permissions=["User.Read.All", "Group.Read.All", "Policy.Read.All"],
                                 key_credentials=[{"key": cert_pem}])

    job = tmp_path / "job"
    job.mkdir()
    injected = inject(credential_type(), {
        "tenant_id": graph_sandbox.env["AZURE_TENANT_ID"],
        "client_id": app["appId"],
        "client_certificate": key_pem + cert_pem,
    }, job)
    path = injected["AZURE_CLIENT_CERTIFICATE_PATH"]
    assert path and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert injected["AZURE_CLIENT_SECRET"] == ""

    since = len(graph_sandbox.requests())
    runner = run_job(graph_sandbox, tmp_path, injected, REPO / "playbooks" / "tenant_overview.yml")
    output = job_stdout(runner)
    assert runner.status == "successful", output
    assert "BEGIN PRIVATE KEY" not in output
    reads = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert reads and {r["app_id"] for r in reads} == {app["appId"]}, reads
    assert all(r["status"] == 200 for r in reads), reads


def test_builder_create_writes_a_build_context(tmp_path):
    context = tmp_path / "context"
    completed = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-builder"), "create",
         "--file", str(REPO / "execution-environment.yml"), "--context", str(context),
         "--output-filename", "Containerfile"],
        cwd=str(REPO), capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "requirements.txt" in containerfile
    assert "ansible-core==2.19.14" in containerfile
    python_requirements = (context / "_build" / "requirements.txt").read_text().splitlines()
    runtime = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert runtime and all(line in python_requirements for line in runtime), python_requirements
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["tenantguard.m365"]
