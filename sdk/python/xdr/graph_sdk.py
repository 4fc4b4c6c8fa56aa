"""Microsoft's Graph SDK for Python (msgraph-sdk, unmodified) against tandem xdr.

Usage: graph_sdk.py  (with TANDEM_XDR_URL, TANDEM_TENANT_ID, TANDEM_CLIENT_ID and TANDEM_CLIENT_SECRET
in the environment, as credentials.env holds them; the server must hold more than one page of
incidents, one of them with several alerts).

Lists incidents with their alerts expanded across several pages, patches an incident's workflow
fields, comments on an incident and an alert and reads the comments back. Exits non-zero on the
first mismatch.
"""

import asyncio
import os
import sys

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.security.alert_classification import AlertClassification
from msgraph.generated.models.security.alert_comment import AlertComment
from msgraph.generated.models.security.alert_determination import AlertDetermination
from msgraph.generated.models.security.incident import Incident
from msgraph.generated.models.security.incident_status import IncidentStatus
from msgraph.generated.security.incidents.incidents_request_builder import IncidentsRequestBuilder

from static_credential import TandemCredential

SCOPE = "https://graph.microsoft.com/.default"
PAGE_SIZE = 2


class TandemTokenProvider(AccessTokenProvider):
    """Hands the SDK tokens from Tandem's token endpoint, for loopback hosts only."""

    def __init__(self, credential):
        self.credential = credential

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self.credential.get_token(SCOPE).token

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator(["127.0.0.1", "localhost"])


def check(condition, message):
    if not condition:
        print(f"MISMATCH: {message}", file=sys.stderr)
        sys.exit(1)


async def list_all_pages(client):
    query = IncidentsRequestBuilder.IncidentsRequestBuilderGetQueryParameters(
        top=PAGE_SIZE, expand=["alerts"], count=True
    )
    page = await client.security.incidents.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    total = page.odata_count
    incidents, pages = list(page.value), 1
    while page.odata_next_link:
        page = await client.security.incidents.with_url(page.odata_next_link).get()
        incidents.extend(page.value)
        pages += 1
    check(pages > 1, f"expected several pages of {PAGE_SIZE}, got {pages}")
    check(len(incidents) == total, f"@odata.count {total} but {len(incidents)} incidents paged")
    ids = [i.id for i in incidents]
    check(len(set(ids)) == len(ids), f"incidents repeated across pages: {ids}")
    for incident in incidents:
        check(incident.alerts, f"incident {incident.id} came without expanded alerts")
        for alert in incident.alerts:
            check(alert.incident_id == incident.id, f"alert {alert.id} names {alert.incident_id}")
            check(alert.service_source is not None, f"alert {alert.id} has no serviceSource")
    return incidents


async def patch_incident(client, incident_id):
    update = Incident(
        status=IncidentStatus.Resolved,
        assigned_to="secops@contoso.com",
        classification=AlertClassification.TruePositive,
        determination=AlertDetermination.Malware,
    )
    patched = await client.security.incidents.by_incident_id(incident_id).patch(update)
    reread = await client.security.incidents.by_incident_id(incident_id).get()
    for incident in (patched, reread):
        check(incident.status == IncidentStatus.Resolved, f"status is {incident.status}")
        check(incident.assigned_to == "secops@contoso.com", f"assignedTo is {incident.assigned_to}")
        check(
            incident.classification == AlertClassification.TruePositive,
            f"classification is {incident.classification}",
        )
        check(
            incident.determination == AlertDetermination.Malware,
            f"determination is {incident.determination}",
        )


async def comment_on_incident(adapter, client, incident_id):
    """msgraph-sdk has no builder for incident comments, so the request goes through its adapter."""
    request = RequestInformation(Method.POST, "{+baseurl}/security/incidents/{id}/comments")
    request.path_parameters = {"baseurl": adapter.base_url, "id": incident_id}
    request.headers.try_add("Accept", "application/json")
    request.set_content_from_parsable(
        adapter, "application/json", AlertComment(comment="Contained by the SDK")
    )
    await adapter.send_no_response_content_async(request, None)
    incident = await client.security.incidents.by_incident_id(incident_id).get()
    texts = [c.comment for c in incident.comments or []]
    check("Contained by the SDK" in texts, f"incident comments are {texts}")


async def comment_on_alert(client, alert_id):
    await client.security.alerts_v2.by_alert_id(alert_id).comments.post(
        [AlertComment(comment="Checked by the SDK")]
    )
    alert = await client.security.alerts_v2.by_alert_id(alert_id).get()
    texts = [c.comment for c in alert.comments or []]
    check("Checked by the SDK" in texts, f"alert comments are {texts}")


def connect():
    """The SDK's request adapter and client for the XDR at TANDEM_XDR_URL."""
    url = os.environ["TANDEM_XDR_URL"].rstrip("/")
    credential = TandemCredential.from_env("TANDEM_XDR_URL")
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(TandemTokenProvider(credential)))
    adapter.base_url = f"{url}/v1.0"
    return adapter, GraphServiceClient(request_adapter=adapter)


def graph_client():
    """The SDK's client for the XDR at TANDEM_XDR_URL."""
    return connect()[1]


async def main():
    adapter, client = connect()

    incidents = await list_all_pages(client)
    target = max(incidents, key=lambda i: len(i.alerts))
    await patch_incident(client, target.id)
    await comment_on_incident(adapter, client, target.id)
    await comment_on_alert(client, target.alerts[0].id)
    print(f"ok: {len(incidents)} incidents paged, incident {target.id} patched and commented")


if __name__ == "__main__":
    asyncio.run(main())
