# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute documentation shared by tenantguard.m365 modules (ansible-core attributes format)."""


class ModuleDocFragment:

    # Every module: no attributes documented here by default.
    DOCUMENTATION = r"""
options: {}
"""

    CHECK_MODE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
"""

    DIFF_MODE = r"""
options: {}
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

    ACTIONGROUP_M365 = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/tenantguard.m365.m365) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tenantguard.m365.m365
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: This module only reads; it runs in check mode as it does otherwise.
    support: full
  diff_mode:
    description: This module changes nothing, so there is no diff.
    support: N/A
"""
