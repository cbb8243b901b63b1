"""The shared token cache file: owner-only, keyed, written only when something changed.

The end-to-end behaviour (a second process makes no token request) is in test_auth.py, against the sandbox.
"""
import json
import os
import stat
import threading
import time

import msal
import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    FileLock, PrivateFileError, read_private_file)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.token_cache import (
    ENTRY_MAX_AGE, CachedResponse, TokenCacheFile, cache_key, dump_http_cache, load_http_cache, secret_fingerprint)

TOKEN_RESPONSE = {"access_token": "eyJ.fake.token", "token_type": "Bearer", "expires_in": 3599}


def add_token(cache, client_id="c1", scope="https://graph.microsoft.com/.default"):
    cache.add({"client_id": client_id, "scope": [scope],
               "token_endpoint": "https://login.microsoftonline.com/t1/oauth2/v2.0/token",
               "response": dict(TOKEN_RESPONSE), "params": {}, "data": {}})


def test_keys_differ_by_every_part():
    base = ("public", "https://login.microsoftonline.com", "t1", "c1", "client_secret", "fp")
    keys = set([cache_key(*base)])
    for index in range(len(base)):
        changed = list(base)
        changed[index] = changed[index] + "x"
        keys.add(cache_key(*changed))
    assert len(keys) == len(base) + 1


def test_secret_fingerprint_is_short_one_way_and_stable():
    assert secret_fingerprint("a") == secret_fingerprint("a") != secret_fingerprint("b")
    assert len(secret_fingerprint("a")) == 16
    assert "a" * 8 not in secret_fingerprint("a" * 8)


def test_saved_file_is_owner_only_and_holds_no_secret(tmp_path):
    path = str(tmp_path / "cache" / "tokens.json")
    store = TokenCacheFile(path, cache_key("k"), label={"tenant_id": "t1"})
    cache = msal.SerializableTokenCache()
    with store.open(cache, {}):
        add_token(cache)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path + ".lock").st_mode) == 0o600
    document = json.loads(read_private_file(path))
    assert list(document["entries"]) == [cache_key("k")]
    assert document["entries"][cache_key("k")]["label"] == {"tenant_id": "t1"}


def test_second_store_reads_the_token_and_does_not_rewrite(tmp_path):
    path = str(tmp_path / "tokens.json")
    first = TokenCacheFile(path, cache_key("k"))
    cache = msal.SerializableTokenCache()
    with first.open(cache, {}):
        add_token(cache)
    assert first.saves == 1
    mtime = os.stat(path).st_mtime_ns
    second = TokenCacheFile(path, cache_key("k"))
    fresh = msal.SerializableTokenCache()
    with second.open(fresh, {}):
        found = list(fresh.search(fresh.CredentialType.ACCESS_TOKEN))
    assert [entry["secret"] for entry in found] == ["eyJ.fake.token"]
    assert second.saves == 0
    assert os.stat(path).st_mtime_ns == mtime


def test_entries_of_other_identities_are_kept_apart(tmp_path):
    path = str(tmp_path / "tokens.json")
    cache_a = msal.SerializableTokenCache()
    with TokenCacheFile(path, cache_key("tenant-a")).open(cache_a, {}):
        add_token(cache_a)
    cache_b = msal.SerializableTokenCache()
    with TokenCacheFile(path, cache_key("tenant-b")).open(cache_b, {}):
        assert list(cache_b.search(cache_b.CredentialType.ACCESS_TOKEN)) == []
        add_token(cache_b, client_id="c2")
    document = json.loads(read_private_file(path))
    assert sorted(document["entries"]) == sorted([cache_key("tenant-a"), cache_key("tenant-b")])


def test_stale_entries_are_dropped_on_save(tmp_path):
    path = str(tmp_path / "tokens.json")
    now = [1_000_000.0]
    old = TokenCacheFile(path, cache_key("old"), clock=lambda: now[0])
    cache = msal.SerializableTokenCache()
    with old.open(cache, {}):
        add_token(cache)
    now[0] += ENTRY_MAX_AGE + 1
    new = TokenCacheFile(path, cache_key("new"), clock=lambda: now[0])
    cache = msal.SerializableTokenCache()
    with new.open(cache, {}):
        add_token(cache)
    assert list(json.loads(read_private_file(path))["entries"]) == [cache_key("new")]


def test_corrupt_file_is_replaced(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    os.chmod(str(path), 0o600)
    cache = msal.SerializableTokenCache()
    with TokenCacheFile(str(path), cache_key("k")).open(cache, {}):
        add_token(cache)
    assert json.loads(path.read_text())["version"] == 1


def test_loose_mode_is_tightened_and_symlink_refused(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"version": 1, "entries": {}}')
    os.chmod(str(path), 0o644)
    cache = msal.SerializableTokenCache()
    with TokenCacheFile(str(path), cache_key("k")).open(cache, {}):
        pass
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(PrivateFileError, match="symbolic link"):
        with TokenCacheFile(str(link), cache_key("k")).open(cache, {}):
            pass


def test_no_path_means_no_file(tmp_path):
    cache = msal.SerializableTokenCache()
    store = TokenCacheFile(None, cache_key("k"))
    with store.open(cache, {}) as entry:
        add_token(cache)
        assert not entry.persistent
    assert store.saves == 0


def test_lock_serialises_open_entries(tmp_path):
    path = str(tmp_path / "tokens.json")
    order = []

    def hold():
        cache = msal.SerializableTokenCache()
        with TokenCacheFile(path, cache_key("k")).open(cache, {}):
            order.append("first in")
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.1)
    cache = msal.SerializableTokenCache()
    with TokenCacheFile(path, cache_key("k")).open(cache, {}):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_lock_gives_up_after_its_timeout(tmp_path):
    path = str(tmp_path / "x")
    holder = FileLock(path)
    assert holder.acquire()
    try:
        waiter = FileLock(path, timeout=0.2)
        started = time.monotonic()
        assert waiter.acquire() is False
        assert 0.15 < time.monotonic() - started < 2
    finally:
        holder.release()


def http_cache_as_msal_fills_it():
    """What msal's ThrottledHttpClient leaves in http_cache after discovery and a failed token POST."""
    get_key = "GET https://login.microsoftonline.com/t1/v2.0/.well-known/openid-configuration hash=abc 2xx"
    post_key = "POST https://login.microsoftonline.com/t1/oauth2/v2.0/token hash=def 400"
    now = int(time.time())
    return {
        get_key: CachedResponse(200, '{"token_endpoint": "https://x/t1/oauth2/v2.0/token"}', {"content-type": "json"}),
        post_key: CachedResponse(400, '{"error": "invalid_client"}', {}),
        "_index_": ([[now + 86400, now, get_key], [now + 60, now, post_key]],
                    {get_key: [now + 86400, now], post_key: [now + 60, now]}),
    }, get_key, post_key


def test_http_cache_keeps_only_successful_gets():
    mapping, get_key, post_key = http_cache_as_msal_fills_it()
    dumped = dump_http_cache(mapping)
    assert sorted(dumped) == sorted(["_index_", get_key])
    assert json.loads(json.dumps(dumped)) == dumped
    restored = load_http_cache(json.loads(json.dumps(dumped)), {})
    assert restored[get_key].status_code == 200
    assert restored[get_key].text == mapping[get_key].text
    sequence, timestamps = restored["_index_"]
    assert [entry[2] for entry in sequence] == [get_key] and list(timestamps) == [get_key]


def test_malformed_http_cache_is_ignored():
    assert load_http_cache({"_index_": "nonsense", "GET x": {}}, {"stale": 1}) == {}
    assert load_http_cache(None, {}) == {}
