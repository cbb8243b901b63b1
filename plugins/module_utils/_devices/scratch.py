# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: an SQLite scratch file for joins and sorts larger than memory.

Not a public API. ``Scratch()`` opens a new database in an owner-only file (``mkstemp``: mode 0600, in the
system's temporary directory), with a small page cache and SQLite's own temporary files on disk, so that its
memory does not grow with the rows written into it; ``close()`` removes the file (it is also removed when the
process ends through ``close`` in a ``finally``). Only the standard library's ``sqlite3`` is used.
"""

import os
import sqlite3
import tempfile

CACHE_KIB = 16384  # SQLite's page cache per connection, in KiB


class Scratch:
    def __init__(self):
        handle, self.path = tempfile.mkstemp(prefix="tenantguard-devices-", suffix=".sqlite3")
        os.close(handle)
        try:
            os.chmod(self.path, 0o600)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "locking_mode=EXCLUSIVE",
                           "cache_size=-%d" % CACHE_KIB):
                self.db.execute("PRAGMA " + pragma)
            self.db.execute("BEGIN")
        except Exception:
            self._remove()
            raise

    def execute(self, sql, parameters=()):
        return self.db.execute(sql, parameters)

    def executemany(self, sql, rows):
        return self.db.executemany(sql, rows)

    def query(self, sql, parameters=()):
        """The rows of ``sql``, fetched in batches (a cursor of its own, so others can run meanwhile)."""
        cursor = self.db.cursor()
        cursor.execute(sql, parameters)
        while True:
            batch = cursor.fetchmany(1000)
            if not batch:
                break
            yield from batch
        cursor.close()

    def _remove(self):
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except OSError:
                pass

    def __del__(self):
        self.close()

    def close(self):
        db, self.db = getattr(self, "db", None), None
        if db is None and not os.path.exists(getattr(self, "path", "")):
            return
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass
        self._remove()
