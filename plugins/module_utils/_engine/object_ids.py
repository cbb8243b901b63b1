# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the shape of object ids given as options, checked before any request.

Not a public API. Entra and conditional access objects have GUID ids; Intune app protection and app
configuration policies have a GUID with a short letter prefix (``T_``, ``A_``). An id of another shape
can match nothing, so an ``_info`` module refuses it rather than return an empty list that reads as
"there is no such object".
"""

import re

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource_type import InvalidOption

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_ID = re.compile(r"^%s$" % GUID)
INTUNE_ID = re.compile(r"^(?:[A-Za-z]{1,8}_)?%s$" % GUID)


def check_id(value, field="id", intune=False):
    """``value`` stripped, or InvalidOption when it is not an id of the expected shape (None passes)."""
    if value is None:
        return None
    text = str(value).strip()
    if not (INTUNE_ID if intune else GUID_ID).match(text):
        raise InvalidOption(field, "is not an object id", value=value,
                            accepted="a GUID such as 4c1b1774-8561-5b97-ae13-00cb73824b84%s" % (
                                ", optionally with Intune's prefix (T_...)" if intune else ""))
    return text
