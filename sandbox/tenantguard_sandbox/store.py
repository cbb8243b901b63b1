"""The sandbox's state: named collections of JSON objects, persisted one file per collection.

Each collection lives in ``DIR/data/<name>.json`` (a JSON list, owner-only) and is loaded the first
time it is used, so a tenant with 100,000 devices starts as fast as an empty one. A collection is
rewritten (atomically, with ``os.replace``) only when it changed, at the end of the request that
changed it; big read-mostly collections are never rewritten by unrelated writes.

Objects keep the order in which they were added; every object gets a sequence number that paging
uses as a stable position (``Collection.page_after``).
"""

import bisect
import os
import threading
import time

from .fsutil import read_json, write_json

DATA_DIR = "data"


class Collection:
    """An ordered, id-keyed set of JSON objects of one kind."""

    def __init__(self, name, path):
        self.name = name
        self.path = path
        self._items = {}
        self._seq = {}
        self._order = []  # ids in sequence order, may contain deleted ids
        self._seqs = []  # sequence numbers aligned with _order
        self._next = 1
        self._hidden_until = {}
        self.dirty = False
        self.version = 0
        self._loaded = False

    # -- loading and saving ---------------------------------------------------------------------
    def _load(self):
        if self._loaded:
            return
        self._loaded = True
        for obj in read_json(self.path, default=[]):
            self._append(obj)

    def save(self):
        """Write the collection to its file if it changed."""
        if self.dirty:
            write_json(self.path, list(self._items.values()))
            self.dirty = False

    # -- access ---------------------------------------------------------------------------------
    def _append(self, obj):
        key = obj["id"]
        self._items[key] = obj
        self._seq[key] = self._next
        self._order.append(key)
        self._seqs.append(self._next)
        self._next += 1

    def __len__(self):
        self._load()
        return len(self._items)

    def __contains__(self, key):
        self._load()
        return key in self._items

    def get(self, key, include_hidden=False):
        """The object with id ``key``, or None (also None while it is hidden by replication lag)."""
        self._load()
        obj = self._items.get(key)
        if obj is not None and not include_hidden and self.is_hidden(key):
            return None
        return obj

    def values(self, include_hidden=False):
        """All objects in insertion order."""
        self._load()
        if include_hidden or not self._hidden_until:
            return list(self._items.values())
        return [obj for key, obj in self._items.items() if not self.is_hidden(key)]

    def is_hidden(self, key):
        until = self._hidden_until.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            self._hidden_until.pop(key, None)
            return False
        return True

    def hide(self, key, seconds):
        """Make ``key`` invisible to reads for ``seconds`` (replication lag)."""
        if seconds and seconds > 0:
            self._hidden_until[key] = time.monotonic() + seconds

    def put(self, obj):
        """Insert or replace ``obj`` (keyed by its ``id``); a replaced object keeps its position."""
        self._load()
        key = obj["id"]
        if key in self._items:
            self._items[key] = obj
        else:
            self._append(obj)
        self.dirty = True
        self.version += 1
        return obj

    def delete(self, key):
        """Remove the object ``key``; returns it, or None when absent."""
        self._load()
        obj = self._items.pop(key, None)
        if obj is not None:
            self._seq.pop(key, None)
            self._hidden_until.pop(key, None)
            self.dirty = True
            self.version += 1
            if len(self._order) > 2 * len(self._items) + 64:
                self._compact()
        return obj

    def _compact(self):
        pairs = [(k, s) for k, s in zip(self._order, self._seqs) if self._seq.get(k) == s]
        self._order = [k for k, _ in pairs]
        self._seqs = [s for _, s in pairs]

    def seq_of(self, key):
        self._load()
        return self._seq.get(key)

    def iter_after(self, after_seq=0):
        """Yield ``(seq, obj)`` for visible objects whose sequence number is above ``after_seq``."""
        self._load()
        start = bisect.bisect_right(self._seqs, after_seq)
        for index in range(start, len(self._order)):
            key = self._order[index]
            seq = self._seqs[index]
            if self._seq.get(key) != seq:
                continue
            if self._hidden_until and self.is_hidden(key):
                continue
            yield seq, self._items[key]


class Store:
    """All collections of one sandbox, sharing one re-entrant lock.

    Request handlers run with ``store.lock`` held, so a read-check-write sequence is atomic.
    """

    def __init__(self, state_dir):
        self.directory = os.path.join(state_dir, DATA_DIR)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self.lock = threading.RLock()
        self._collections = {}

    def collection(self, name):
        with self.lock:
            coll = self._collections.get(name)
            if coll is None:
                coll = Collection(name, os.path.join(self.directory, name + ".json"))
                self._collections[name] = coll
            return coll

    __getitem__ = collection

    def loaded(self):
        """The names of the collections read from disk (or created) since this process started:
        a big collection is only read when a request first needs it."""
        with self.lock:
            return sorted(name for name, coll in self._collections.items() if coll._loaded)

    def flush(self):
        """Persist every collection that changed since the last flush."""
        with self.lock:
            for coll in self._collections.values():
                coll.save()
