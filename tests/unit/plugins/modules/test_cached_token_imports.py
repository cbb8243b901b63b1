"""A task served by a cached token imports neither MSAL nor cryptography, nor requests and what requests brings
(urllib3, charset_normalizer, idna): its GET goes through the standard library. MSAL is needed (and its absence
reported) only when a token must be requested.

Each run is graph_request's main() in a fresh Python process (as Ansible runs a module), so that sys.modules shows
what the task itself imported.
"""
import json
import os
import subprocess
import sys
import textwrap

from ansible_collections.tenantguard.m365.plugins.modules import graph_request

ROOT = os.path.abspath(os.path.join(os.path.dirname(graph_request.__file__), "..", "..", "..", "..", ".."))
HEAVY = ("msal", "cryptography", "requests", "urllib3", "charset_normalizer", "idna")

SCRIPT = textwrap.dedent("""
    import json, sys
    args, block = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    for name in block:
        sys.modules[name] = None  # import fails as if the library were not installed
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.tenantguard.m365.plugins.modules import graph_request
    code = None
    with patch_module_args(args):
        try:
            graph_request.main()
        except SystemExit as exc:
            code = exc.code
    loaded = sorted(name for name in %r if sys.modules.get(name) is not None)
    sys.stderr.write("\\nIMPORTED " + json.dumps({"code": code, "loaded": loaded}) + "\\n")
""" % (HEAVY,))


def run_task(params, block=()):
    """graph_request GET /users in a new process; returns (module result, exit code, heavy modules imported)."""
    args = dict(params, path="/users", query={"$select": "id"})
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args), json.dumps(list(block))], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    report = [line for line in done.stderr.splitlines() if line.startswith("IMPORTED ")]
    assert report, done.stderr
    facts = json.loads(report[-1][len("IMPORTED "):])
    return json.loads(done.stdout), facts["code"], facts["loaded"]


def token_posts(sb, since):
    return [r for r in sb.requests()[since:] if r["service"] == "login" and r["path"].endswith("/token")]


def test_a_cached_token_serves_without_msal_cryptography_or_requests(graph_sandbox, sandbox_params):
    result, code, loaded = run_task(sandbox_params)
    assert code == 0, result
    assert "msal" in loaded and "requests" in loaded  # the first task requested the token
    since = len(graph_sandbox.requests())
    result, code, loaded = run_task(sandbox_params)
    assert code == 0 and result["status"] == 200, result
    assert loaded == []
    assert token_posts(graph_sandbox, since) == []


def test_without_msal_a_cached_token_still_serves(graph_sandbox, sandbox_params):
    run_task(sandbox_params)
    result, code, loaded = run_task(sandbox_params, block=["msal"])
    assert code == 0 and result["status"] == 200, result
    assert loaded == []


def test_without_msal_a_token_request_fails_with_the_missing_library_message(graph_sandbox, sandbox_params):
    since = len(graph_sandbox.requests())
    result, code, _loaded = run_task(sandbox_params, block=["msal"])
    assert code == 1 and result["failed"] is True
    assert "Failed to import the required Python library (msal)" in result["msg"], result["msg"]
    assert sandbox_params["client_secret"] not in json.dumps(result)
    assert [r for r in graph_sandbox.requests()[since:] if r["service"] in ("login", "graph")] == []


def test_a_rejected_cached_token_is_replaced(graph_sandbox, sandbox_params):
    """The cache file is read without MSAL, but a token the service refuses is still forgotten and renewed."""
    run_task(sandbox_params)
    path = sandbox_params["token_cache"]
    with open(path) as handle:
        document = json.load(handle)
    for entry in document["entries"].values():
        cache = json.loads(entry["token_cache"])
        for token in cache["AccessToken"].values():
            token["secret"] = "not-a-token-the-service-issued"
        entry["token_cache"] = json.dumps(cache)
    with open(path, "w") as handle:
        json.dump(document, handle)
    since = len(graph_sandbox.requests())
    result, code, loaded = run_task(sandbox_params)
    assert code == 0 and result["status"] == 200, result
    assert "msal" in loaded
    assert len(token_posts(graph_sandbox, since)) == 1
    with open(path) as handle:
        assert "not-a-token-the-service-issued" not in handle.read()
