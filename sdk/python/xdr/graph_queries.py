"""Microsoft's Graph SDK for Python (msgraph-sdk, unmodified): $select, $expand, navigation and $batch.

Usage: graph_queries.py  (with TANDEM_XDR_URL, TANDEM_TENANT_ID, TANDEM_CLIENT_ID and TANDEM_CLIENT_SECRET
in the environment, as credentials.env holds them; the server must hold an incident with at least three
alerts).

Lists incidents with `$select` and `$expand=alerts($select=...)` and counts them with
`incidents.count.get()` (`/$count`), walks one incident's alerts through
`incidents.by_incident_id(id).alerts.get()` page by page, and sends a batch through the SDK's own
batch request builder (`client.batch`) with a dependency chain and a failed dependency. Exits non-zero
on the first mismatch.
"""

import asyncio
import sys

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.security.incident import Incident
from msgraph.generated.security.incidents.incidents_request_builder import IncidentsRequestBuilder
from msgraph.generated.security.incidents.item.alerts.alerts_request_builder import (
    AlertsRequestBuilder,
)
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from graph_sdk import check, graph_client

PAGE_SIZE = 2


async def select_and_expand(client):
    """$select keeps only the named properties; the nested $select shapes the expanded alerts."""
    query = IncidentsRequestBuilder.IncidentsRequestBuilderGetQueryParameters(
        select=["displayName", "status"], expand=["alerts($select=id,title)"]
    )
    page = await client.security.incidents.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    check(page.value, "no incidents listed")
    total = await client.security.incidents.count.get()
    check(total == len(page.value), f"incidents/$count is {total}, {len(page.value)} listed")
    for incident in page.value:
        check(incident.display_name, f"incident {incident.id} lost its selected displayName")
        check(incident.status is not None, f"incident {incident.id} lost its selected status")
        check(incident.severity is None, f"incident {incident.id} kept unselected severity")
        check(incident.alerts, f"incident {incident.id} came without expanded alerts")
        for alert in incident.alerts:
            check(alert.title, f"alert {alert.id} lost its selected title")
            check(alert.severity is None, f"alert {alert.id} kept unselected severity")
    return max(page.value, key=lambda i: len(i.alerts))


async def walk_alerts(client, incident):
    """incidents.by_incident_id(id).alerts.get(), followed through @odata.nextLink."""
    builder = client.security.incidents.by_incident_id(incident.id).alerts
    query = AlertsRequestBuilder.AlertsRequestBuilderGetQueryParameters(
        top=PAGE_SIZE, select=["title", "incidentId"]
    )
    page = await builder.get(request_configuration=RequestConfiguration(query_parameters=query))
    alerts, pages = list(page.value), 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        alerts.extend(page.value)
        pages += 1
    check(pages > 1, f"expected several pages of {PAGE_SIZE} alerts, got {pages}")
    ids = sorted(a.id for a in alerts)
    expanded = sorted(a.id for a in incident.alerts)
    check(ids == expanded, f"navigation listed {ids}, $expand listed {expanded}")
    for alert in alerts:
        check(alert.incident_id == incident.id, f"alert {alert.id} names {alert.incident_id}")
        check(alert.severity is None, f"alert {alert.id} kept unselected severity")


async def batch(client, incident_id):
    """The SDK's batch builder: a PATCH, a GET depending on it, a 404 and a request depending on it."""
    item = client.security.incidents.by_incident_id(incident_id)
    patch = BatchRequestItem(
        item.to_patch_request_information(Incident(assigned_to="batch@contoso.com")), id="patch"
    )
    reread = BatchRequestItem(item.to_get_request_information(), id="reread", depends_on=["patch"])
    missing = BatchRequestItem(
        client.security.incidents.by_incident_id("987654").to_get_request_information(),
        id="missing",
    )
    skipped = BatchRequestItem(
        client.security.alerts_v2.to_get_request_information(), id="skipped", depends_on=["missing"]
    )
    content = BatchRequestContent()
    for request in (patch, reread, missing, skipped):
        content.add_request(request.id, request)
    answer = await client.batch.post(batch_request_content=content)
    codes = answer.get_response_status_codes()
    expected = {"patch": 200, "reread": 200, "missing": 404, "skipped": 424}
    check(codes == expected, f"batch answered {codes}, expected {expected}")
    incident = await item.get()
    check(incident.assigned_to == "batch@contoso.com", f"assignedTo is {incident.assigned_to}")


async def main():
    client = graph_client()
    target = await select_and_expand(client)
    await walk_alerts(client, target)
    await batch(client, target.id)
    print(f"ok: $select, $expand, navigation and $batch on incident {target.id}")


if __name__ == "__main__":
    asyncio.run(main())
