# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: owner-only files and locks for state shared between module processes.

Not a public API. Used for the token cache, the pacing state and the combined CA bundle:
directories are created 0700, files are written 0600 through a temporary file and an atomic
rename (a reader never sees half a file), and an exclusive ``fcntl`` lock on a sibling
``.lock`` file serialises read-modify-write cycles across processes.
"""

import errno
import os
import tempfile
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False


class PrivateFileError(Exception):
    """A private file or its directory cannot be used safely."""


def ensure_private_dir(path):
    """Create ``path`` and any missing parents with mode 0700; refuse a directory of another user."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise PrivateFileError("cannot create directory %s: %s" % (directory, exc.strerror or exc))
    if not os.path.isdir(path):
        raise PrivateFileError("%s is not a directory" % path)
    info = os.stat(path)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PrivateFileError("directory %s belongs to another user" % path)
    return path


def read_private_file(path):
    """The file's bytes, or None when it does not exist. Refuses symlinks and other users' files;
    tightens the mode to 0600 if it was looser."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise PrivateFileError("%s is a symbolic link; refusing to use it" % path)
        raise PrivateFileError("cannot read %s: %s" % (path, exc.strerror or exc))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise PrivateFileError("%s belongs to another user" % path)
        if info.st_mode & 0o077:
            os.fchmod(handle.fileno(), 0o600)
        return handle.read()


def write_private_file(path, data):
    """Write ``data`` (bytes) to ``path`` with mode 0600, atomically."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class FileLock:
    """An exclusive lock on ``<path>.lock`` shared by every process of this user.

    ``acquire()`` waits at most ``timeout`` seconds and returns False if it could not lock,
    so that a stuck process slows others down but never blocks them for ever.
    """

    def __init__(self, path, timeout=120.0, poll=0.05, clock=time.monotonic, sleep=time.sleep):
        self.path = path + ".lock"
        self.timeout = timeout
        self.poll = poll
        self._clock = clock
        self._sleep = sleep
        self._fd = None

    def acquire(self):
        if not HAS_FCNTL:
            return False
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise PrivateFileError("cannot open lock file %s: %s" % (self.path, exc.strerror or exc))
        deadline = self._clock() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise PrivateFileError("cannot lock %s: %s" % (self.path, exc.strerror or exc))
            if self._clock() >= deadline:
                os.close(fd)
                return False
            self._sleep(self.poll)

    def release(self):
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self):
        self.locked = self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
        return False
