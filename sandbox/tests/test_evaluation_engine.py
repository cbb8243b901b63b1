"""The What If's engine is a separate dependency: the collection's, imported by module name from a collections
path (``serve --collections-path``, ``TENANTGUARD_SANDBOX_COLLECTIONS_PATH``) or the checkout; without it the
endpoint answers 501, and the sandbox's own code imports nothing of the collection by file path."""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import Client, assert_graph_error
from tenantguard_sandbox import evaluation_engine
from tenantguard_sandbox.testing import running_sandbox

EVALUATE = "/v1.0/identity/conditionalAccess/evaluate"
PACKAGE = pathlib.Path(evaluation_engine.__file__).parent
CHECKOUT = pathlib.Path(evaluation_engine.CHECKOUT)
POLICY = {"id": "5c2d8f6e-2b1a-4c3d-9e8f-7a6b5c4d3e21", "displayName": "MFA for everyone", "state": "enabled",
          "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]},
                         "clientAppTypes": ["all"]},
          "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}
USER = {"id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "displayName": "Adele Vance",
        "userPrincipalName": "adele@contoso.onmicrosoft.com", "userType": "Member"}
SEED = {"users": [USER], "conditionalAccessPolicies": [POLICY]}
SIGN_IN = {"signInIdentity": {"@odata.type": "#microsoft.graph.userSignIn", "userId": USER["id"]},
           "signInContext": {"@odata.type": "#microsoft.graph.applicationContext",
                             "includeApplications": ["00000002-0000-0ff1-ce00-000000000000"]},
           "signInConditions": {"devicePlatform": "iOS", "clientAppType": "mobileAppsAndDesktopClients"}}


@pytest.fixture
def collections_path(tmp_path):
    """A collections path holding this checkout as ansible_collections/tenantguard/m365."""
    namespace = tmp_path / "collections" / "ansible_collections" / "tenantguard"
    namespace.mkdir(parents=True)
    (namespace / "m365").symlink_to(CHECKOUT, target_is_directory=True)
    return tmp_path / "collections"


@pytest.fixture(autouse=True)
def no_inherited_setting(monkeypatch):
    monkeypatch.delenv(evaluation_engine.ENV, raising=False)


def evaluate(sb):
    return Client(sb, sb.token()).post(EVALUATE, json=SIGN_IN)


def test_the_engine_module_is_the_collections_engine(collections_path):
    # ENGINE_MODULE is the one name to change when the collection's code moves: it must name the real engine.
    assert evaluation_engine.is_collection_checkout(str(CHECKOUT))
    assert os.path.isfile(evaluation_engine.engine_file(str(CHECKOUT))), evaluation_engine.ENGINE_MODULE
    engine = evaluation_engine.EvaluationEngine(str(collections_path)).load()
    assert engine.__name__ == "ansible_collections.tenantguard.m365." + evaluation_engine.ENGINE_MODULE
    assert callable(engine.evaluate) and callable(engine.sign_in_problems)


def test_what_if_answers_with_the_engine_of_the_collections_path(tmp_path, collections_path):
    with running_sandbox(tmp_path / "state", seed=SEED,
                         extra_args=["--collections-path", str(collections_path)]) as sb:
        response = evaluate(sb)
    assert response.status_code == 200, response.text
    [result] = response.json()["value"]
    assert (result["id"], result["policyApplies"], result["analysisReasons"]) == (POLICY["id"], True, "notSet")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_without_the_engine_the_what_if_answers_501(tmp_path, monkeypatch, how):
    empty = tmp_path / "empty"
    empty.mkdir()
    extra = []
    if how == "option":
        extra = ["--collections-path", str(empty)]
    else:
        monkeypatch.setenv(evaluation_engine.ENV, str(empty))
    with running_sandbox(tmp_path / "state", seed=SEED, extra_args=extra) as sb:
        response = evaluate(sb)
        policies = Client(sb, sb.token()).get("/v1.0/identity/conditionalAccess/policies")
    error = assert_graph_error(response, 501, "NotImplemented")
    source = "--collections-path" if how == "option" else evaluation_engine.ENV
    assert "%s %s" % (source, empty) in error["message"]
    assert "ansible_collections/tenantguard/m365" in error["message"]
    assert policies.status_code == 200  # everything else is served as before


def test_a_collections_path_that_is_not_a_directory_stops_serve(tmp_path):
    missing = tmp_path / "nowhere"
    run = subprocess.run([sys.executable, "-m", "tenantguard_sandbox", "serve", "--port", "0", "--state-dir",
                          str(tmp_path / "state"), "--collections-path", str(missing)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "tenantguard-sandbox: --collections-path %r is not a directory: give one or more directories (separated "
        "by ':') that hold ansible_collections/tenantguard/m365" % str(missing))


def test_the_sandbox_loads_no_collection_code_by_file_path():
    # Only evaluation_engine.py names the collection's code, and only by module name (comments aside).
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else (
                node.attr if isinstance(node, ast.Attribute) else "")
            if "module_utils" in named and path.name != "evaluation_engine.py" or named in (
                    "spec_from_file_location", "SourceFileLoader", "load_source"):
                offenders.append("%s:%d" % (path.relative_to(PACKAGE), node.lineno))
    assert offenders == []
