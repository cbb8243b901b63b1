"""``python -m tenantguard_sandbox``: see :mod:`tenantguard_sandbox.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
