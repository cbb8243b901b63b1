"""Microsoft's own Python SDK (msgraph-sdk with azure-identity) against the sandbox: a client not
written here lists users and conditional access policies without a deserialisation error."""

import asyncio
import ssl
import warnings

import httpx
import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ClientSecretCredential

with warnings.catch_warnings():  # the SDK's generated classes warn about themselves on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph_core import GraphClientFactory

from conftest import USER_COUNT, Client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK warns about its own classes


def test_msgraph_sdk_lists_users_and_policies(sandbox):
    graph = Client(sandbox, sandbox.token())
    created = graph.post("/v1.0/identity/conditionalAccess/policies", json={
        "displayName": "SDK visible", "state": "enabledForReportingButNotEnforced",
        "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                       "users": {"includeUsers": ["All"]}},
        "grantControls": {"operator": "OR", "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}}})
    assert created.status_code == 201, created.text

    credential = ClientSecretCredential(
        sandbox.tenant_id, sandbox.client_id, sandbox.env["AZURE_CLIENT_SECRET"],
        authority=sandbox.base_url, disable_instance_discovery=True,
        transport=RequestsTransport(session=sandbox.session(), session_owner=False, connection_verify=sandbox.ca_path))
    scopes = ["https://graph.microsoft.com/.default"]
    auth = AzureIdentityAuthenticationProvider(credential, scopes=scopes, allowed_hosts=["127.0.0.1"])

    async def run():
        http = httpx.AsyncClient(verify=ssl.create_default_context(cafile=sandbox.ca_path), trust_env=False)
        adapter = GraphRequestAdapter(auth, client=GraphClientFactory.create_with_default_middleware(client=http))
        adapter.base_url = sandbox.base_url + "/v1.0"
        client = GraphServiceClient(request_adapter=adapter)
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=100, select=["id", "displayName",
                                                                                           "userPrincipalName"])
        config = RequestConfiguration(query_parameters=query)
        page = await client.users.get(request_configuration=config)
        users = list(page.value)
        while page.odata_next_link:
            page = await client.users.with_url(page.odata_next_link).get()
            users.extend(page.value)
        policies = await client.identity.conditional_access.policies.get()
        locations = await client.identity.conditional_access.named_locations.get()
        await http.aclose()
        return users, policies.value, locations.value

    users, policies, _ = asyncio.run(run())
    assert len(users) == USER_COUNT + 1
    assert len({u.id for u in users}) == len(users)
    assert users[0].user_principal_name.endswith("@contoso.onmicrosoft.com")
    mine = next(p for p in policies if p.display_name == "SDK visible")
    assert mine.grant_controls.authentication_strength.display_name == "Multifactor authentication"
    assert mine.conditions.users.include_users == ["All"]
    assert mine.state.value == "enabledForReportingButNotEnforced"
    graph.delete("/v1.0/identity/conditionalAccess/policies/" + mine.id)
