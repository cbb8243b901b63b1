# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one error of the conditional access policy input, raised by every step of the pipeline.

Not a public API. Below ``policies`` and ``templates`` so that both raise it without importing each other.
"""

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ProblemsError


class PolicyInputError(ProblemsError):
    """Everything wrong with the task's input, found before any write; each problem names the
    option, the value and what would be accepted."""

    summary = "%d problems, nothing was changed"
