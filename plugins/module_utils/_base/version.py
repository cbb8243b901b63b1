# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the collection's version, sent in the User-Agent. A unit test keeps it equal to galaxy.yml."""

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "tenantguard.m365/%s" % COLLECTION_VERSION
