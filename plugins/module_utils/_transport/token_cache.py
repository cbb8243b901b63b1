# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: MSAL's token cache and HTTP cache, persisted across module processes.

Not a public API.

Each Ansible task is a new process, so without a persisted cache every task would sign in
again. One owner-only JSON file (0600, in a 0700 directory) holds one entry per sign-in
identity, keyed by a hash of cloud, login endpoint, tenant, client id, sign-in method and a
fingerprint of the credential (so different tenants, applications or credentials never share
an entry, and a changed secret is tried rather than masked by an old token). An entry keeps:

* MSAL's ``SerializableTokenCache`` (the access tokens);
* the successful GETs of MSAL's ``http_cache`` (the tenant's OpenID configuration), so that a
  later process makes no HTTP request at all while its token is valid. MSAL's POST entries
  (throttling and error memos, keyed by a hash of the request's form data) are not kept.

Load, token acquisition and save happen under an exclusive ``fcntl`` lock on ``<file>.lock``,
so that concurrent tasks wait for the first one's token instead of each asking for their own.
The file is rewritten (atomically) only when something changed.

A task whose token is still valid reads it without MSAL and without the lock
(``cached_access_token``, ``TokenCacheFile.read_entry``): the file is replaced atomically, so an
unlocked reader sees a whole version, and MSAL's own rules (an application token for the scope
with five minutes left, not due for refresh) decide what may be served. Only a task that must
ask the identity platform imports MSAL and takes the lock.

Why the standard library and not a library for the cache or its lock, measured with
``bench/bench_token_cache.py`` (a fresh process per task on a primed cache, 10 processes each,
median, 2 cores at load 13; what every task imports anyway is loaded before the clock starts):

* this file, read without MSAL: 85 ms, no request;
* this file read through MSAL (every task before): 295 ms, no request (210 ms of it importing
  MSAL and running its cache look-up);
* msal-extensions' ``PersistedTokenCache`` (``FilePersistence``, portalocker's ``CrossPlatLock``):
  241 ms and one request per task: it persists only MSAL's token cache, not its HTTP cache, so
  every process fetches the tenant's OpenID configuration again; it needs MSAL imported to serve
  any token (it is an ``msal.SerializableTokenCache``), and it locks each read and each write
  separately, not the whole load-acquire-save cycle, so concurrent tasks with an empty cache each
  ask for their own token;
* portalocker's ``Lock`` instead of ``fcntl`` around the same read: 144 ms, no request; it adds
  a dependency and about 60 ms of import for what ``fcntl.flock`` does on the POSIX systems
  Ansible modules run on.
"""

import hashlib
import json
import os
import time

from ansible_collections.tenantguard.m365.plugins.module_utils._base.private_files import (
    FileLock, PrivateFileError, ensure_private_dir, read_private_file, write_private_file)

FORMAT_VERSION = 1
# Entries not used for this long are dropped on the next save (tokens live about an hour,
# MSAL keeps discovery documents a day).
ENTRY_MAX_AGE = 2 * 24 * 3600
_INDEX_KEY = "_index_"  # msal.individual_cache._ExpiringMapping's index entry


def cache_key(*parts):
    """An opaque key from the identifying parts (which may include a credential fingerprint)."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret_fingerprint(secret):
    """A short one-way fingerprint of a secret, to tell credentials apart in cache keys."""
    return hashlib.sha256(b"tenantguard.m365 token cache\x00" + secret.encode("utf-8")).hexdigest()[:16]


def cached_access_token(serialized, client_id, target, now, margin=300):
    """The access token MSAL would serve from its serialized token cache without a request, or None.

    ``serialized`` is what ``SerializableTokenCache.serialize()`` wrote; ``client_id`` and ``target`` are what
    MSAL caches an application's token under (the scope, or a managed identity's resource). MSAL's own rules:
    an application token (no account, no key binding) whose target holds ``target``, with at least ``margin``
    seconds left and not yet due for refresh (``refresh_on``). Returns ``{"access_token", "token_type",
    "expires_in", "token_source": "cache"}``; the longest-lived match wins. Anything malformed is no match, so
    that MSAL decides."""
    if not serialized:
        return None
    try:
        document = json.loads(serialized)
        entries = document.get("AccessToken") or {}
        candidates = list(entries.values())
    except (TypeError, ValueError, AttributeError):
        return None
    best = None
    for entry in candidates:
        try:
            if entry.get("home_account_id") or entry.get("key_id") or entry.get("ext_cache_key"):
                continue
            if str(entry.get("client_id") or "").lower() != str(client_id or "").lower():
                continue
            if target not in str(entry.get("target") or "").split():
                continue
            secret = entry.get("secret")
            expires_in = int(entry["expires_on"]) - now
            if not secret or expires_in < margin:
                continue
            if "refresh_on" in entry and int(entry["refresh_on"]) < now:
                continue
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
        if best is None or expires_in > best["expires_in"]:
            best = {"access_token": secret, "token_type": entry.get("token_type") or "Bearer",
                    "expires_in": int(expires_in), "token_source": "cache"}
    return best


class CachedResponse:
    """A successful GET remembered in MSAL's http_cache (what MSAL's NormalizedResponse holds)."""

    def __init__(self, status_code, text, headers):
        self.status_code = status_code
        self.text = text
        self.headers = headers

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError("HTTP Error: %s" % self.status_code)


def dump_http_cache(mapping):
    """The JSON-safe part of MSAL's http_cache: successful GETs and their index entries."""
    kept = {}
    for key, value in list(mapping.items()):
        if not isinstance(key, str) or not key.startswith("GET "):
            continue
        status = getattr(value, "status_code", None)
        if not isinstance(status, int) or not 200 <= status < 300:
            continue
        kept[key] = {"status_code": status, "text": getattr(value, "text", ""),
                     "headers": dict(getattr(value, "headers", {}) or {})}
    index = mapping.get(_INDEX_KEY)
    if kept and index:
        sequence, timestamps = index
        kept[_INDEX_KEY] = [
            [list(entry) for entry in sequence if len(entry) == 3 and entry[2] in kept],
            dict((key, list(stamp)) for key, stamp in timestamps.items() if key in kept),
        ]
    return kept if _INDEX_KEY in kept else {}


def load_http_cache(data, target):
    """Fill ``target`` (a dict) from what ``dump_http_cache`` produced; ignore anything malformed."""
    target.clear()
    if not isinstance(data, dict) or _INDEX_KEY not in data:
        return target
    try:
        sequence, timestamps = data[_INDEX_KEY]
        restored = {}
        for key, value in data.items():
            if key == _INDEX_KEY:
                continue
            restored[key] = CachedResponse(int(value["status_code"]), value["text"], dict(value["headers"]))
        sequence = [list(entry) for entry in sequence if entry[2] in restored]
        timestamps = dict((key, list(stamp)) for key, stamp in timestamps.items() if key in restored)
    except (TypeError, ValueError, KeyError, IndexError):
        return target
    target.update(restored)
    target[_INDEX_KEY] = (sequence, timestamps)
    return target


class TokenCacheFile:
    """One entry of the shared cache file, opened under the file's lock.

    Usage::

        store = TokenCacheFile(path, key, label)
        with store.open(token_cache, http_cache) as entry:
            ... acquire a token with MSAL using token_cache and http_cache ...
        # saved on exit if the token cache or the http cache changed

    ``path`` None means no persistence: the context only yields.
    """

    def __init__(self, path, key, label=None, lock_timeout=120.0, clock=time.time):
        self.path = path
        self.key = key
        self.label = label or {}
        self.lock_timeout = lock_timeout
        self._clock = clock
        self.saves = 0

    def open(self, token_cache, http_cache):
        return _OpenEntry(self, token_cache, http_cache)

    def read_entry(self):
        """This identity's entry as last saved, read without the lock (the file is replaced atomically), or None.

        Raises PrivateFileError for a file or directory that cannot be used safely."""
        if not self.path:
            return None
        ensure_private_dir(os.path.dirname(self.path))
        entry = self._read_document()["entries"].get(self.key)
        return entry if isinstance(entry, dict) else None

    def _read_document(self):
        raw = read_private_file(self.path)
        if not raw:
            return {"version": FORMAT_VERSION, "entries": {}}
        try:
            document = json.loads(raw.decode("utf-8"))
        except ValueError:
            return {"version": FORMAT_VERSION, "entries": {}}
        if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION \
                or not isinstance(document.get("entries"), dict):
            return {"version": FORMAT_VERSION, "entries": {}}
        return document

    def _write_document(self, document):
        now = self._clock()
        entries = document["entries"]
        for key in list(entries):
            updated = entries[key].get("updated") if isinstance(entries[key], dict) else None
            if not isinstance(updated, (int, float)) or now - updated > ENTRY_MAX_AGE:
                del entries[key]
        write_private_file(self.path, json.dumps(document, sort_keys=True).encode("utf-8"))
        self.saves += 1


class _OpenEntry:
    def __init__(self, store, token_cache, http_cache):
        self.store = store
        self.token_cache = token_cache
        self.http_cache = http_cache
        self._lock = None
        self._document = None
        self._loaded_http = None
        self.persistent = False

    def __enter__(self):
        store = self.store
        if not store.path:
            return self
        ensure_private_dir(os.path.dirname(store.path))
        self._lock = FileLock(store.path, timeout=store.lock_timeout)
        if not self._lock.acquire():
            # Another process holds the lock for too long: go on without sharing.
            self._lock = None
            return self
        try:
            self._document = store._read_document()
            entry = self._document["entries"].get(store.key) or {}
            serialized = entry.get("token_cache")
            if serialized:
                self.token_cache.deserialize(serialized)
            self.token_cache.has_state_changed = False
            load_http_cache(entry.get("http_cache"), self.http_cache)
            self._loaded_http = entry.get("http_cache") or {}
            self.persistent = True
        except BaseException:
            self._lock.release()
            self._lock = None
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.persistent:
                http_now = dump_http_cache(self.http_cache)
                if self.token_cache.has_state_changed or http_now != self._loaded_http:
                    entries = self._document["entries"]
                    entries[self.store.key] = {
                        "label": self.store.label,
                        "token_cache": self.token_cache.serialize(),
                        "http_cache": http_now,
                        "updated": self.store._clock(),
                    }
                    self.store._write_document(self._document)
                    self.token_cache.has_state_changed = False
                    self._loaded_http = http_now
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
        return False


__all__ = ["TokenCacheFile", "PrivateFileError", "cache_key", "cached_access_token", "secret_fingerprint",
           "dump_http_cache", "load_http_cache"]
