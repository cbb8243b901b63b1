"""Owner-only and atomic file writes for the state directory."""

import json
import os
import tempfile


def write_private(path, data, mode=0o600):
    """Write ``data`` (str or bytes) to ``path`` atomically, with ``mode`` from the first byte on."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path, value, mode=0o600, indent=None):
    """Serialise ``value`` as JSON into ``path`` atomically."""
    text = json.dumps(value, indent=indent, separators=(",", ":") if indent is None else None)
    write_private(path, text + "\n", mode)


def read_json(path, default=None):
    """Return the JSON document in ``path``, or ``default`` when the file does not exist."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError:
        return default
