"""Signing in against the sandbox's authority: credentials, the shared token cache, and clear failures."""
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._transport import auth as _auth
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import resolve_connection
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import AuthError
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import build_session_for
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy

GRAPH = "https://graph.microsoft.com/.default"
EXCHANGE = "https://outlook.office365.com/.default"


def login_requests(sb, since=0):
    return [r for r in sb.requests()[since:] if r["service"] in ("login", "msi")]


def token_posts(sb, since=0):
    return [r for r in login_requests(sb, since) if r["path"].endswith("/oauth2/v2.0/token")]


def provider(params, retry=None, **overrides):
    merged = dict(params)
    merged.update(overrides)
    settings = resolve_connection(merged)
    return TokenProvider(settings, build_session_for(settings), retry=retry)


def test_second_instance_makes_no_request_at_all(graph_sandbox, sandbox_params):
    since = len(graph_sandbox.requests())
    first = provider(sandbox_params)
    token = first.token(GRAPH)
    assert len(token_posts(graph_sandbox, since)) == 1
    assert first.token_requests == 1
    middle = len(graph_sandbox.requests())
    second = provider(sandbox_params)
    assert second.token(GRAPH) == token
    assert login_requests(graph_sandbox, middle) == []  # neither discovery nor token
    assert second.token_requests == 0 and second.cache_hits == 1


def test_second_process_makes_no_token_request(graph_sandbox, sandbox_params):
    provider(sandbox_params).token(GRAPH)
    since = len(graph_sandbox.requests())
    root = os.path.abspath(os.path.join(os.path.dirname(_auth.__file__), "..", "..", "..", "..", "..", ".."))
    script = textwrap.dedent("""
        import json, sys
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import resolve_connection
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import build_session_for
        settings = resolve_connection(json.loads(sys.argv[1]))
        tokens = TokenProvider(settings, build_session_for(settings))
        tokens.token("%s")
        print(json.dumps({"token_requests": tokens.token_requests, "cache_hits": tokens.cache_hits}))
    """ % GRAPH)
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", script, json.dumps(sandbox_params)], env=env, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"token_requests": 0, "cache_hits": 1}
    assert login_requests(graph_sandbox, since) == []


def test_cache_file_is_owner_only_and_holds_no_secret(graph_sandbox, sandbox_params):
    tokens = provider(sandbox_params)
    tokens.token(GRAPH)
    path = tokens.settings.token_cache
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with open(path) as handle:
        content = handle.read()
    assert sandbox_params["client_secret"] not in content


def test_graph_and_exchange_tokens_are_separate(graph_sandbox, sandbox_params):
    since = len(graph_sandbox.requests())
    tokens = provider(sandbox_params)
    assert tokens.token(GRAPH) != tokens.token(EXCHANGE)
    assert len(token_posts(graph_sandbox, since)) == 2
    again = len(graph_sandbox.requests())
    other = provider(sandbox_params)
    other.token(GRAPH)
    other.token(EXCHANGE)
    assert login_requests(graph_sandbox, again) == []


def test_tenant_by_domain_gets_its_own_cache_entry(graph_sandbox, sandbox_params):
    provider(sandbox_params).token(GRAPH)
    since = len(graph_sandbox.requests())
    by_domain = provider(sandbox_params, tenant_id="contoso.onmicrosoft.com")
    by_domain.token(GRAPH)
    assert len(token_posts(graph_sandbox, since)) == 1


def test_changed_secret_is_not_masked_by_a_cached_token(graph_sandbox, sandbox_params):
    provider(sandbox_params).token(GRAPH)
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, client_secret="not-the-secret").token(GRAPH)
    assert caught.value.code == 7000215


def test_wrong_secret(graph_sandbox, sandbox_params):
    wrong = "definitely-wrong-secret-value"
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, client_secret=wrong).token(GRAPH)
    error = caught.value
    text = error.describe()
    assert error.code == 7000215 and "AADSTS7000215" in text
    assert "client_secret" in text and "What to do:" in text
    assert wrong not in text and sandbox_params["client_secret"] not in text
    assert sandbox_params["client_id"] in text


def test_unknown_tenant(graph_sandbox, sandbox_params):
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, tenant_id="11111111-2222-4333-8444-555555555555").token(GRAPH)
    assert caught.value.code == 90002
    assert "tenant_id" in caught.value.describe()


def test_unknown_application(graph_sandbox, sandbox_params):
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, client_id="11111111-2222-4333-8444-555555555555").token(GRAPH)
    assert caught.value.code == 700016
    assert "client_id" in caught.value.describe()


@pytest.mark.parametrize("kind", ["pem", "pfx"])
def test_certificate_sign_in(graph_sandbox, sandbox_params, app_certificate, seeded, clients, kind):
    overrides = dict(client_id=seeded["cert_app_id"], client_secret=None, client_certificate_path=app_certificate[kind])
    if kind == "pfx":
        overrides["client_certificate_password"] = app_certificate["pfx_password"]
    since = len(graph_sandbox.requests())
    graph = clients(**overrides).graph
    assert graph.get("/users", query={"$top": 1})["value"]
    rows = [r for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert rows[-1]["app_id"] == seeded["cert_app_id"] and rows[-1]["status"] == 200


def test_unregistered_certificate(graph_sandbox, sandbox_params, make_certificate, seeded):
    path, dummy = make_certificate("stranger")
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, client_id=seeded["cert_app_id"], client_secret=None,
                 client_certificate_path=path).token(GRAPH)
    assert caught.value.code == 700027
    assert "certificate" in caught.value.describe()


def test_managed_identity(graph_sandbox, sandbox_params, clean_environment, clients):
    clean_environment.setenv("IDENTITY_ENDPOINT", graph_sandbox.msi["IDENTITY_ENDPOINT"])
    clean_environment.setenv("IDENTITY_HEADER", graph_sandbox.msi["IDENTITY_HEADER"])
    since = len(graph_sandbox.requests())
    built = clients(auth_method="managed_identity", client_id=None, client_secret=None)
    assert built.graph.get("/users", query={"$top": 1})["value"]
    assert [r["service"] for r in login_requests(graph_sandbox, since)] == ["msi"]
    again = len(graph_sandbox.requests())
    clients(auth_method="managed_identity", client_id=None, client_secret=None).tokens.token(GRAPH)
    assert login_requests(graph_sandbox, again) == []


def test_rejected_cached_token_is_replaced_once(graph_sandbox, sandbox_params, clients):
    tokens = provider(sandbox_params)
    good = tokens.token(GRAPH)
    path = tokens.settings.token_cache
    with open(path) as handle:
        content = handle.read()
    forged = good[:-8] + ("A" * 8 if not good.endswith("A" * 8) else "B" * 8)
    with open(path, "w") as handle:
        handle.write(content.replace(good, forged))
    since = len(graph_sandbox.requests())
    graph = clients().graph
    assert graph.get("/users", query={"$top": 1})["value"]
    statuses = [r["status"] for r in graph_sandbox.requests()[since:] if r["service"] == "graph"]
    assert statuses == [401, 200]
    assert len(token_posts(graph_sandbox, since)) == 1


def test_untrusted_tls_names_ca_bundle(graph_sandbox, sandbox_params):
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, ca_bundle=None).token(GRAPH)
    assert "ca_bundle" in caught.value.describe()
    assert "REQUESTS_CA_BUNDLE" in caught.value.describe()


def test_unreachable_authority(sandbox_params, tmp_path):
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, login_endpoint="https://127.0.0.1:9", token_cache="none").token(GRAPH)
    assert "could not be reached" in caught.value.describe()
    assert "login_endpoint" in caught.value.describe()


def test_unusable_default_cache_falls_back_to_memory_with_a_warning(graph_sandbox, sandbox_params, monkeypatch,
                                                                    tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    tokens = provider(sandbox_params, token_cache=None)
    assert tokens.settings.token_cache.startswith(str(blocker))
    assert tokens.token(GRAPH)
    assert tokens.store.path is None
    assert len(tokens.warnings) == 1 and "kept for this task only" in tokens.warnings[0]


def test_unusable_chosen_cache_is_an_error(graph_sandbox, sandbox_params, tmp_path):
    from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as caught:
        provider(sandbox_params, token_cache=str(blocker / "tokens.json")).token(GRAPH)
    assert caught.value.option == "token_cache"
    assert str(blocker) in caught.value.describe()


@pytest.mark.parametrize("rule", [
    {"kind": "error", "status": 503, "path": "/oauth2/v2.0/token", "count": 2},
    {"kind": "throttle", "path": "/oauth2/v2.0/token", "count": 1, "retry_after": 1},
    {"kind": "drop_before", "path": "/oauth2/v2.0/token", "count": 1},
    {"kind": "error", "status": 503, "path": "/openid-configuration$", "count": 1},
], ids=["token-503", "token-429", "token-dropped", "discovery-503"])
def test_transient_sign_in_failures_are_retried(graph_sandbox, sandbox_params, rule):
    sleeps = []
    graph_sandbox.set_faults({"rules": [rule]})
    since = len(graph_sandbox.requests())
    tokens = provider(sandbox_params, retry=RetryPolicy(sleep=sleeps.append))
    assert tokens.token(GRAPH)
    assert len(sleeps) == rule["count"]
    faulted = [r for r in login_requests(graph_sandbox, since) if r["fault"]]
    assert len(faulted) == rule["count"]


def test_sign_in_gives_up_within_the_budget(graph_sandbox, sandbox_params):
    sleeps = []
    graph_sandbox.set_faults({"rules": [{"kind": "error", "status": 503, "path": "/oauth2/v2.0/token"}]})
    with pytest.raises(AuthError) as caught:
        provider(sandbox_params, retry=RetryPolicy(max_attempts=3, sleep=sleeps.append)).token(GRAPH)
    assert len(sleeps) == 2
    assert "gave up: 3 attempts made" in caught.value.describe()
