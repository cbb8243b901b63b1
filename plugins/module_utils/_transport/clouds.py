# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the national clouds of Microsoft 365 and their hosts.

Not a public API. Sources: Microsoft Graph national cloud deployments
(https://learn.microsoft.com/graph/deployments) and the Exchange Online admin API hosts.
Token scopes always use the cloud's own resource, even when an endpoint is overridden.
"""


class Cloud:
    """Hosts of one national cloud: sign-in authority, Graph, Exchange admin API."""

    def __init__(self, name, login, graph, exchange):
        self.name = name
        self.login = login
        self.graph = graph
        self.exchange = exchange

    @property
    def graph_scope(self):
        return self.graph + "/.default"

    @property
    def exchange_scope(self):
        return self.exchange + "/.default"

    def __repr__(self):
        return "Cloud(%r)" % self.name


CLOUDS = {
    "public": Cloud("public", "https://login.microsoftonline.com", "https://graph.microsoft.com",
                    "https://outlook.office365.com"),
    "usgov": Cloud("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us",
                   "https://outlook.office365.us"),
    "usgovdod": Cloud("usgovdod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
                      "https://outlook-dod.office365.us"),
    "china": Cloud("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn",
                   "https://outlook.office365.cn"),
}

# Sign-in hosts that MSAL knows; for these its authority validation stays on.
MICROSOFT_LOGIN_HOSTS = frozenset([
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",
    "login-us.microsoftonline.com",
    "login.microsoftonline.us",
    "login.usgovcloudapi.net",
    "login.sovcloud-identity.fr",
    "login.sovcloud-identity.de",
    "login.sovcloud-identity.sg",
])
