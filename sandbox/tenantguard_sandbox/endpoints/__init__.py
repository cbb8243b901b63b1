"""The services the sandbox answers as, one module per area, each a route table: ``routes(sandbox)`` gives
:class:`tenantguard_sandbox.resource.Route` lines (method, path template, handler, permission).

:data:`AREAS` is the order the tables are installed in; within and across tables the first route that matches a
request's method and path serves it.
"""

from . import (batch, conditional_access, control, directory, exchange, intune, intune_rbac, login, msi,
               whatif)
from . import app_registrations, intune_compliance, intune_compliance_status, intune_enrollment, licensing

AREAS = (control, login, msi, directory, conditional_access, whatif, intune_compliance_status, intune, intune_rbac,
         intune_compliance, intune_enrollment, batch, exchange, app_registrations, licensing)


def route_table(sandbox):
    """Every route the sandbox serves, in the order they are tried."""
    return [route for area in AREAS for route in area.routes(sandbox)]
