"""azure-identity and msgraph-sdk against ``tandem xdr --tls``, with no security switch anywhere.

azure-identity's ``ClientSecretCredential`` takes the XDR as its authority and the CA file through
``connection_verify``; msgraph-sdk (httpx) trusts the CA through ``SSL_CERT_FILE``. The script gets a
Graph token, checks its claims, then lists every incident page by page through ``@odata.nextLink``.
Prints a JSON summary; exits non-zero on the first mismatch.
"""

import asyncio
import base64
import json
import os
import sys
from urllib.parse import urlparse

from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.security.incidents.incidents_request_builder import IncidentsRequestBuilder

from tandem_tls import credential

SCOPE = "https://graph.microsoft.com/.default"
PAGE_SIZE = 3


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def list_incidents(client):
    query = IncidentsRequestBuilder.IncidentsRequestBuilderGetQueryParameters(top=PAGE_SIZE, count=True)
    page = await client.security.incidents.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    total, ids, links = page.odata_count, [i.id for i in page.value], []
    while page.odata_next_link:
        links.append(page.odata_next_link)
        page = await client.security.incidents.with_url(page.odata_next_link).get()
        ids.extend(i.id for i in page.value)
    return total, ids, links


async def main():
    url = os.environ["TANDEM_XDR_URL"].rstrip("/")
    cred = credential("TANDEM_XDR_URL", connection_verify=os.environ["TANDEM_CA_CERT"])
    token = cred.get_token(SCOPE).token
    claims = claims_of(token)
    tenant = os.environ["TANDEM_TENANT_ID"]
    expected = {
        "aud": "https://graph.microsoft.com",
        "tid": tenant,
        "iss": f"{url}/{tenant}/v2.0",
        "appid": os.environ["TANDEM_CLIENT_ID"],
        "azp": os.environ["TANDEM_CLIENT_ID"],
        "ver": "2.0",
    }
    for name, value in expected.items():
        if claims.get(name) != value:
            sys.exit(f"MISMATCH: claim {name} is {claims.get(name)!r}, expected {value!r}")
    if "SecurityIncident.ReadWrite.All" not in claims.get("roles", []):
        sys.exit(f"MISMATCH: roles are {claims.get('roles')}")
    if not claims["nbf"] <= claims["iat"] < claims["exp"]:
        sys.exit(f"MISMATCH: times nbf {claims['nbf']} iat {claims['iat']} exp {claims['exp']}")

    host = urlparse(url).hostname
    auth = AzureIdentityAuthenticationProvider(cred, scopes=[SCOPE], allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{url}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    total, ids, links = await list_incidents(client)
    if len(ids) != total or len(set(ids)) != len(ids):
        sys.exit(f"MISMATCH: @odata.count {total}, paged {ids}")
    if not links or not all(link.startswith("https://") for link in links):
        sys.exit(f"MISMATCH: next links {links}")
    print(json.dumps({"incidents": len(ids), "pages": len(links) + 1, "aud": claims["aud"]}))


if __name__ == "__main__":
    asyncio.run(main())
