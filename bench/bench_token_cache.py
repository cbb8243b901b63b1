"""The token cache of a task served by a cached token: the collection's own file against msal-extensions and portalocker.

Each variant runs in a fresh Python process, as an Ansible task does, on a cache primed by an earlier
process, and is timed from the first import of the cache's code to the token in hand (Python's start-up
and what every task imports anyway, Ansible's module support, requests and the connection options,
are loaded before the clock starts). A stand-in HTTP client answers MSAL's discovery and token requests, so no network
is involved and every request it sees is counted.

* ``stdlib``: the collection's cache file, read without MSAL (``_transport.auth``, ``_transport.token_cache``);
* ``stdlib-msal``: the same file read through MSAL, as every task did before (its lock, MSAL's
  ``SerializableTokenCache``, the persisted OpenID configuration);
* ``msal-extensions``: ``msal_extensions.PersistedTokenCache`` on a ``FilePersistence`` (its
  ``CrossPlatLock`` around each read and write) given to ``msal.ConfidentialClientApplication``;
* ``portalocker``: the collection's file read without MSAL, under a ``portalocker.Lock`` instead of
  the collection's ``fcntl`` lock.

msal-extensions and portalocker are not requirements of the collection: install them anywhere
(``pip install --target DIR msal-extensions portalocker``) and pass ``--extra-path DIR``; a variant
whose library cannot be imported is reported as not measured.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import harness

TENANT = "00000000-0000-4000-8000-00000000000a"
CLIENT = "00000000-0000-4000-8000-00000000000b"
SECRET = "bench-secret-value"  # nosec - a made-up value for a stand-in identity platform
LOGIN = "https://login.example.test"
SCOPE = "https://graph.microsoft.com/.default"
VARIANTS = ("stdlib", "stdlib-msal", "msal-extensions", "portalocker")


class _Response:
    def __init__(self, body):
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers = {"Content-Type": "application/json"}

    def raise_for_status(self):
        return None


class StandInHttp:
    """Answers MSAL's OpenID discovery and client-credentials token requests; counts them."""

    def __init__(self):
        self.requests = []

    def get(self, url, **_kwargs):
        self.requests.append("GET " + url)
        base = "%s/%s" % (LOGIN, TENANT)
        return _Response({"token_endpoint": base + "/oauth2/v2.0/token",
                          "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                          "issuer": base + "/v2.0"})

    def post(self, url, **_kwargs):
        self.requests.append("POST " + url)
        return _Response({"access_token": "bench-token-%d" % len(self.requests), "token_type": "Bearer",
                          "expires_in": 3600})

    def close(self):
        return None


def _settings(cache_path):
    from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import (
        params_from_environment, resolve_connection)
    return resolve_connection(params_from_environment({}, tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET,
                                                      login_endpoint=LOGIN, token_cache=cache_path))


def worker(variant, cache_path):
    """One task's worth of work: the imports and one cached token. Prints the figures as JSON."""
    # What every task imports anyway (Ansible's module support, the connection options) is loaded before the
    # clock starts: the figures are what each cache adds. requests is not among them: a task served by a cached
    # token no longer imports it (_transport.http), so a cache that needs MSAL pays for it here.
    settings = _settings(cache_path)
    http = StandInHttp()
    start = time.perf_counter()
    if variant in ("stdlib", "stdlib-msal"):
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
        tokens = TokenProvider(settings, http)
        if variant == "stdlib-msal":
            tokens._from_cache_file = lambda scope: None  # pylint: disable=protected-access
        imported = time.perf_counter()
        token = tokens.token(SCOPE)
    elif variant == "msal-extensions":
        import msal
        from msal_extensions import FilePersistence, PersistedTokenCache
        imported = time.perf_counter()
        app = msal.ConfidentialClientApplication(
            CLIENT, client_credential=SECRET, authority="%s/%s" % (LOGIN, TENANT), http_client=http,
            token_cache=PersistedTokenCache(FilePersistence(cache_path)), instance_discovery=False)
        token = app.acquire_token_for_client([SCOPE]).get("access_token")
    else:
        import portalocker
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
        from ansible_collections.tenantguard.m365.plugins.module_utils._transport.token_cache import cached_access_token
        tokens = TokenProvider(settings, http)
        imported = time.perf_counter()
        with portalocker.Lock(cache_path + ".lock", mode="a", timeout=120):
            entry = tokens.store.read_entry() or {}
        found = cached_access_token(entry.get("token_cache"), CLIENT, SCOPE, time.time())
        token = found and found["access_token"]
    done = time.perf_counter()
    print(json.dumps({"import_ms": (imported - start) * 1000, "token_ms": (done - imported) * 1000,
                      "total_ms": (done - start) * 1000, "msal": "msal" in sys.modules,
                      "requests": http.requests, "token": bool(token)}))


def run_concurrent(variant, cache_path, pythonpath, count):
    """``count`` processes of ``variant`` started together on an empty cache: token requests made in all."""
    env = dict(os.environ, PYTHONPATH=pythonpath)
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", variant, "--cache", cache_path], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    posts, failed = 0, 0
    for proc in procs:
        out, _err = proc.communicate()
        if proc.returncode != 0 or not out.strip():
            failed += 1
            continue
        posts += sum(1 for request in json.loads(out.strip().splitlines()[-1])["requests"] if request.startswith("POST"))
    return posts, failed


def run_worker(variant, cache_path, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    done = subprocess.run([sys.executable, __file__, "--worker", variant, "--cache", cache_path], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return json.loads(done.stdout.strip().splitlines()[-1]), None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="processes per variant (default 15), interleaved")
    parser.add_argument("--extra-path", default="", help="where msal-extensions and portalocker are installed")
    parser.add_argument("--concurrent", type=int, default=8,
                        help="processes started at once on an empty cache, per locking variant (default 8)")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.cache)
        return

    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as tmp:
        pythonpath = os.pathsep.join(p for p in (harness.collections_path(tmp), args.extra_path,
                                                 os.environ.get("PYTHONPATH", "")) if p)
        caches = {}
        problems = {}
        for variant in VARIANTS:
            cache_path = os.path.join(tmp, variant, "tokens.json")
            os.makedirs(os.path.dirname(cache_path), mode=0o700)
            caches[variant] = cache_path
            # Prime: the first process requests the token (through MSAL) and saves it.
            primed, problem = run_worker("stdlib-msal" if variant != "msal-extensions" else variant, cache_path,
                                         pythonpath)
            if problem:
                problems[variant] = problem
        results = dict((variant, []) for variant in VARIANTS if variant not in problems)
        for _ in range(args.runs):
            for variant in results:
                figures, problem = run_worker(variant, caches[variant], pythonpath)
                if problem:
                    problems[variant] = problem
                    continue
                results[variant].append(figures)
        results = dict((variant, runs) for variant, runs in results.items() if runs and variant not in problems)
        concurrent = {}
        for variant in ("stdlib-msal", "msal-extensions"):  # the two that sign in when the cache is empty
            if variant in problems or args.concurrent < 1:
                continue
            cache_path = os.path.join(tmp, "concurrent-" + variant, "tokens.json")
            os.makedirs(os.path.dirname(cache_path), mode=0o700)
            concurrent[variant] = run_concurrent(variant, cache_path, pythonpath, args.concurrent)

    rows, figures = [], {"runs": args.runs, "load": harness.load()}
    for variant in VARIANTS:
        if variant not in results:
            rows.append((variant, "not measured: %s" % problems.get(variant, "no result")))
            continue
        runs = results[variant]
        total = statistics.median(r["total_ms"] for r in runs)
        imports = statistics.median(r["import_ms"] for r in runs)
        token = statistics.median(r["token_ms"] for r in runs)
        requests = sorted(set(req for r in runs for req in r["requests"]))
        per_run = statistics.median(len(r["requests"]) for r in runs)
        rows.append((variant, "%.0f ms (imports %.0f, token %.1f); MSAL imported: %s; requests per task: %s %s" % (
            total, imports, token, "yes" if runs[0]["msal"] else "no", per_run, ", ".join(requests))))
        figures[variant] = {"total_ms": round(total, 1), "import_ms": round(imports, 1), "token_ms": round(token, 2),
                            "msal_imported": runs[0]["msal"], "requests_per_task": per_run}
    for variant, (posts, failed) in concurrent.items():
        rows.append(("%s, %d tasks at once, empty cache" % (variant, args.concurrent),
                     "%d token requests%s" % (posts, ", %d failed" % failed if failed else "")))
        figures.setdefault("concurrent", {})[variant] = {"tasks": args.concurrent, "token_requests": posts,
                                                          "failed": failed}
    harness.report("token cache, one task served by a cached token (median of %d processes)" % args.runs, rows,
                   figures)


if __name__ == "__main__":
    main()
