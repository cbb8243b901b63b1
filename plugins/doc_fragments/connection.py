# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the connection options every tenantguard.m365 module takes.

The options come from one table, plugins/module_utils/_transport/connection_options.py; a unit test checks
that this fragment documents exactly those options, with the same types, choices, defaults,
environment variables and secrets.
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
requirements:
  - msal >= 1.29
  - requests
notes:
  - Connection settings usually come from the environment, so that playbooks carry no credentials; set them
    once for a play with C(module_defaults) and the action group C(group/tenantguard.m365.m365)
    when they do not.
  - Tokens are cached in the O(token_cache) file between tasks and shared by the tasks of all plays that run as
    the same user, under a file lock; entries are keyed by cloud, sign-in endpoint, tenant, client id and
    credential, so different tenants never share a token.
  - Conditional access, named location and authentication strength requests are spaced to about one per second
    per tenant, the limit Microsoft Graph sets for them, across all tasks that share the token cache directory.
options:
  tenant_id:
    description:
    - 'The Microsoft Entra tenant to manage: its GUID or one of its verified domain names.'
    - If not set, the environment variable E(AZURE_TENANT_ID) is used, then E(AZURE_TENANT).
    type: str
  client_id:
    description:
    - Application (client) id of the app registration that signs in.
    - With O(auth_method=managed_identity), the client id of a user-assigned managed identity; leave it unset for
      the system-assigned identity.
    - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
    - A client secret of the app registration.
    - If not set, the environment variable E(AZURE_CLIENT_SECRET) is used, then E(AZURE_SECRET).
    - 'This value is a secret: it is never logged nor returned.'
    type: str
  client_certificate_path:
    description:
    - 'Path to the certificate the app registration trusts, with its private key: a PEM file holding both, or a
      PKCS#12 (C(.pfx)/C(.p12)) file.'
    - The certificate is read and checked before any network call.
    - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
    type: path
  client_certificate_password:
    description:
    - Password of the private key in O(client_certificate_path), when it is encrypted.
    - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
    - 'This value is a secret: it is never logged nor returned.'
    type: str
  auth_method:
    description:
    - How to sign in.
    - V(auto) uses the certificate when O(client_certificate_path) is set, otherwise the secret; setting both is
      an error unless O(auth_method) names one.
    - V(managed_identity) uses the managed identity of the Azure resource the module runs on.
    - If not set, the environment variable E(TENANTGUARD_AUTH_METHOD) is used.
    type: str
    choices:
    - auto
    - client_secret
    - client_certificate
    - managed_identity
    default: auto
  cloud:
    description:
    - The national cloud of the tenant. It picks the sign-in, Graph and Exchange hosts and the resources tokens
      are requested for.
    - V(public) is the global service (also GCC), V(usgov) GCC High, V(usgovdod) DoD, V(china) the service operated
      by 21Vianet.
    - If not set, the environment variable E(TENANTGUARD_CLOUD) is used.
    type: str
    choices:
    - public
    - usgov
    - usgovdod
    - china
    default: public
  login_endpoint:
    description:
    - Overrides the sign-in authority host of O(cloud), for example C(https://login.microsoftonline.us).
    - Must be an C(https) URL.
    - If not set, the environment variable E(TENANTGUARD_LOGIN_ENDPOINT) is used.
    type: str
  graph_endpoint:
    description:
    - Overrides the Microsoft Graph host of O(cloud). Must be an C(https) URL.
    - Tokens are still requested for the Graph resource of O(cloud).
    - If not set, the environment variable E(TENANTGUARD_GRAPH_ENDPOINT) is used.
    type: str
  exchange_endpoint:
    description:
    - Overrides the Exchange Online admin API host of O(cloud). Must be an C(https) URL.
    - Tokens are still requested for the Exchange resource of O(cloud).
    - If not set, the environment variable E(TENANTGUARD_EXCHANGE_ENDPOINT) is used.
    type: str
  ca_bundle:
    description:
    - A PEM file of extra certificate authorities to trust, in addition to those of the Python library certifi and
      of the operating system, for example for a TLS-inspecting proxy.
    - The environment variables E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) are ignored, and TLS certificate verification
      cannot be switched off.
    - If not set, the environment variable E(TENANTGUARD_CA_BUNDLE) is used.
    type: path
  token_cache:
    description:
    - File in which access tokens are kept between tasks, so that a play asks for a token once an hour rather than
      once a task. The file and its directory are readable by their owner only.
    - If not set, C(tenantguard/tokens.json) under E(XDG_CACHE_HOME) (by default C(~/.cache)); when that file cannot
      be used, tokens are kept for the one task and a warning says why. A file set here must be usable.
    - V(none) keeps tokens in memory only, for the one task.
    - If not set, the environment variable E(TENANTGUARD_TOKEN_CACHE) is used.
    type: str
  timeout:
    description:
    - Seconds to wait for the service to answer one HTTP request.
    - If not set, the environment variable E(TENANTGUARD_TIMEOUT) is used.
    type: float
    default: 60.0
  retry_max_wait:
    description:
    - Most seconds one task spends waiting between retries when the service throttles (HTTP 429) or is briefly unavailable
      (HTTP 503, 504, dropped connections).
    - When the next wait would exceed it, the task fails with the service's last answer.
    - If not set, the environment variable E(TENANTGUARD_RETRY_MAX_WAIT) is used.
    type: float
    default: 300.0
"""
