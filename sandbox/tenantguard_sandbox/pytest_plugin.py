"""pytest fixtures for testing against a Graph sandbox.

Enable with ``pytest_plugins = ["tenantguard_sandbox.pytest_plugin"]`` in a top-level conftest (or
``-p tenantguard_sandbox.pytest_plugin``), then ask for:

- ``graph_sandbox``: a fresh sandbox per test (state in ``tmp_path``);
- ``graph_sandbox_session``: one sandbox shared by the whole session.

Both yield :class:`tenantguard_sandbox.testing.RunningSandbox`.
"""

import pytest

from .testing import running_sandbox


@pytest.fixture
def graph_sandbox(tmp_path):
    with running_sandbox(tmp_path / "graph-sandbox") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def graph_sandbox_session(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("graph-sandbox-session")) as sandbox:
        yield sandbox
