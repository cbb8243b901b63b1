"""The collection as users receive it: ``ansible-galaxy collection build``, install the tarball into
a fresh path (offline), then run a playbook of the installed collection by its name against a sandbox."""
import os
import subprocess
import sys
import tarfile

from conftest import REPO, RECAP

BIN = os.path.dirname(sys.executable)
LEFT_OUT = ("sandbox/", "bench/", ".venv", "tests/output", "collections/", ".pytest_cache")


def galaxy(*args, cwd, env=None):
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-galaxy")] + list(args),
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def test_built_collection_installs_and_runs_a_playbook_by_name(graph_sandbox, tmp_path):
    dist = tmp_path / "dist"
    galaxy("collection", "build", "--output-path", str(dist), cwd=REPO)
    (tarball,) = dist.glob("tenantguard-m365-*.tar.gz")

    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/graph_request.py" in names
    assert "playbooks/tenant_overview.yml" in names
    assert "roles/tenant_hardening/meta/argument_specs.yml" in names
    shipped = [n for n in names if n.startswith(LEFT_OUT) or n in ("sandbox", "bench", "collections")]
    assert shipped == [], shipped

    # Offline: a local tarball with no dependencies never reaches a Galaxy server.
    install = tmp_path / "collections"
    # Nothing from the caller's Ansible settings (a collections path pointing at this checkout, say)
    # may make the installer think the collection is there already.
    offline = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    offline.update(ANSIBLE_COLLECTIONS_PATH=str(install), ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/")
    galaxy_out = galaxy("collection", "install", "--offline", "-p", str(install), str(tarball), cwd=tmp_path, env=offline)
    installed = install / "ansible_collections" / "tenantguard" / "m365"
    assert (installed / "MANIFEST.json").is_file(), galaxy_out.stdout + galaxy_out.stderr
    assert not installed.is_symlink()

    env = graph_sandbox.ansible_environment(tmp_path, install)
    since = len(graph_sandbox.requests())
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "tenantguard.m365.tenant_overview"],
        env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    recap = RECAP.search(completed.stdout)
    assert recap and recap.group("failed") == "0", completed.stdout
    # The modules that answered came from the installed copy, not from this checkout.
    assert str(REPO) not in completed.stdout
    paths = {row["path"] for row in graph_sandbox.requests()[since:] if row["service"] == "graph"}
    assert {"/v1.0/users", "/v1.0/groups", "/v1.0/identity/conditionalAccess/policies",
            "/v1.0/identity/conditionalAccess/namedLocations"} <= paths, paths
    # The seed's five users and two groups, counted by the installed playbook.
    assert '"users": 5\n' in completed.stdout, completed.stdout
    assert '"groups": 2,' in completed.stdout, completed.stdout
