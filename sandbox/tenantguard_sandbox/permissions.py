"""Which application permissions each endpoint family needs, and the 403 each service answers.

A :class:`Permission` is attached to a route. Reads (GET) need any one of ``read``; writes need
any one of ``write``, and also every permission in ``write_all`` (the conditional access API
requires ``Policy.Read.All`` next to ``Policy.ReadWrite.ConditionalAccess``).
"""

import json
import uuid

from .errors import GraphHTTPError

DIRECTORY_READ = ("Directory.Read.All", "Directory.ReadWrite.All")


class Permission:
    def __init__(self, family, read, write=(), write_all=(), style="directory"):
        self.family = family
        self.read = tuple(read)
        self.write = tuple(write)
        self.write_all = tuple(write_all)
        self.style = style

    def check(self, request, roles, writing=None):
        """Raise the service's 403 unless ``roles`` grant this request."""
        roles = set(roles or ())
        if writing is None:
            writing = request.method not in ("GET", "HEAD")
        if writing:
            granted = bool(roles & set(self.write)) and set(self.write_all) <= roles
            needed = self.write
        else:
            granted = bool(roles & set(self.read))
            needed = self.read
        if not granted:
            raise denied(self.style, request, needed)


def denied(style, request, needed):
    if style == "ca":
        return GraphHTTPError(403, "AccessDenied",
                              "You cannot perform the requested operation, required scopes are missing in the token.")
    if style == "intune":
        activity = str(uuid.uuid4())
        inner = {
            "_version": 3,
            "Message": "Application is not authorized to perform this operation. Application must have one of "
                       "the following scopes: %s - Operation ID (for customer support): "
                       "00000000-0000-0000-0000-000000000000 - Activity ID: %s - Url: "
                       "https://fef.sandbox.manage.microsoft.com%s" % (", ".join(needed), activity, request.path),
            "CustomApiErrorPhrase": "",
            "RetryAfter": None,
            "ErrorSourceService": "",
            "HttpHeaders": "{}",
        }
        return GraphHTTPError(403, "Forbidden", json.dumps(inner, indent=2).replace("\n", "\r\n"))
    return GraphHTTPError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


USERS = Permission("users", ("User.Read.All", "User.ReadWrite.All") + DIRECTORY_READ,
                   ("User.ReadWrite.All", "Directory.ReadWrite.All"))
GROUPS = Permission("groups", ("Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All") + DIRECTORY_READ,
                    ("Group.ReadWrite.All", "Directory.ReadWrite.All"))
ROLES = Permission("directoryRoles", ("RoleManagement.Read.Directory", "RoleManagement.Read.All") + DIRECTORY_READ,
                   ("RoleManagement.ReadWrite.Directory",))
APPLICATIONS = Permission("applications", ("Application.Read.All", "Application.ReadWrite.All") + DIRECTORY_READ,
                          ("Application.ReadWrite.All",))
DEVICES = Permission("devices", ("Device.Read.All", "Device.ReadWrite.All") + DIRECTORY_READ,
                     ("Device.ReadWrite.All", "Directory.ReadWrite.All"))
DIRECTORY_OBJECTS = Permission("directoryObjects", DIRECTORY_READ, DIRECTORY_READ)
CONDITIONAL_ACCESS = Permission(
    "conditionalAccess", ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
    ("Policy.ReadWrite.ConditionalAccess",), ("Policy.Read.All",), style="ca")
AUTHENTICATION_STRENGTHS = Permission(
    "authenticationStrengths",
    ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.AuthenticationMethod"),
    ("Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.AuthenticationMethod"), style="ca")
APP_PROTECTION = Permission(
    "deviceAppManagement", ("DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All"),
    ("DeviceManagementApps.ReadWrite.All",), style="intune")
MANAGED_DEVICES = Permission(
    "managedDevices", ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"),
    ("DeviceManagementManagedDevices.ReadWrite.All",), style="intune")
ROLE_SCOPE_TAGS = Permission(
    "roleScopeTags", ("DeviceManagementRBAC.Read.All", "DeviceManagementRBAC.ReadWrite.All"),
    ("DeviceManagementRBAC.ReadWrite.All",), style="intune")
DEVICE_CONFIGURATION = Permission(
    "deviceCompliancePolicies",
    ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"),
    ("DeviceManagementConfiguration.ReadWrite.All",), style="intune")
DEVICE_SERVICE_CONFIG = Permission(
    "deviceEnrollmentConfigurations",
    ("DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All"),
    ("DeviceManagementServiceConfig.ReadWrite.All",), style="intune")
EXCHANGE = Permission("exchange", ("Exchange.ManageAsApp",), ("Exchange.ManageAsApp",), style="exchange")
