"""The do-it-yourself backfill: what a SOC engineer writes without Tandem.

Pages the XDR's incidents with their alerts through Microsoft's Graph SDK (msgraph-sdk) and creates
each one as a Sentinel incident through azure-mgmt-securityinsight, one request at a time. It copies
title, description, severity and status; it does not attach alerts, copy comments or keep anything in
sync afterwards, so it does less than `tandem sync` and its time is a lower bound for the approach.

Usage (run with the workspace venv's Python, sdk/python/ on PYTHONPATH):

    backfill.py [--limit N]

Environment: XDR_URL, XDR_TENANT_ID, XDR_CLIENT_ID, XDR_CLIENT_SECRET for the XDR's read-write app;
SIEM_URL, SIEM_TENANT_ID, SIEM_CLIENT_ID, SIEM_CLIENT_SECRET, SIEM_SUBSCRIPTION_ID,
SIEM_RESOURCE_GROUP, SIEM_WORKSPACE_NAME for the SIEM. Prints one JSON object per line: progress
lines {"done": n, "seconds": t} every 100 incidents, and a final
{"incidents": n, "seconds": t, "setup_seconds": s} where `seconds` counts from the first page request
and `setup_seconds` is the time spent importing the SDKs and building the clients.
"""

import time

STARTED = time.monotonic()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

from azure.mgmt.securityinsight import SecurityInsights  # noqa: E402
from azure.mgmt.securityinsight.models import Incident  # noqa: E402
from kiota_abstractions.authentication import (  # noqa: E402
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402
from msgraph import GraphRequestAdapter, GraphServiceClient  # noqa: E402
from msgraph.generated.security.incidents.incidents_request_builder import (  # noqa: E402
    IncidentsRequestBuilder,
)

from static_credential import TandemCredential  # noqa: E402

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PAGE_SIZE = 50
SEVERITY = {"informational": "Informational", "low": "Low", "medium": "Medium", "high": "High"}
STATUS = {"active": "New", "inProgress": "Active", "awaitingAction": "Active"}


class GraphTokens(AccessTokenProvider):
    """Hands msgraph-sdk tokens from the XDR's token endpoint, for loopback hosts only."""

    def __init__(self, credential):
        self.credential = credential

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self.credential.get_token(GRAPH_SCOPE).token

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator(["127.0.0.1", "localhost"])


def credential(prefix):
    env = os.environ
    return TandemCredential(
        env[f"{prefix}_URL"],
        env[f"{prefix}_TENANT_ID"],
        env[f"{prefix}_CLIENT_ID"],
        env[f"{prefix}_CLIENT_SECRET"],
    )


def graph_client():
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(GraphTokens(credential("XDR"))))
    adapter.base_url = f"{os.environ['XDR_URL'].rstrip('/')}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def enum_text(value):
    """An SDK enum's wire text (or the text itself)."""
    return getattr(value, "value", value)


def sentinel_incident(incident):
    """The Sentinel incident a hand-written backfill would create for a Graph incident."""
    status = STATUS.get(enum_text(incident.status), "Active")
    return Incident(
        title=incident.display_name or f"XDR incident {incident.id}",
        description=incident.description or f"Imported from XDR incident {incident.id}",
        severity=SEVERITY.get(enum_text(incident.severity), "Informational"),
        status=status,
    )


async def backfill(limit):
    graph = graph_client()
    siem = SecurityInsights(
        credential("SIEM"), os.environ["SIEM_SUBSCRIPTION_ID"], base_url=os.environ["SIEM_URL"]
    )
    group, workspace = os.environ["SIEM_RESOURCE_GROUP"], os.environ["SIEM_WORKSPACE_NAME"]
    setup = time.monotonic() - STARTED
    start = time.monotonic()
    query = IncidentsRequestBuilder.IncidentsRequestBuilderGetQueryParameters(
        top=PAGE_SIZE, expand=["alerts"]
    )
    page = await graph.security.incidents.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    done = 0
    while page is not None and done < limit:
        for incident in page.value or []:
            if done >= limit:
                break
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"diy-backfill/{incident.id}"))
            siem.incidents.create_or_update(
                group, workspace, name, sentinel_incident(incident), enforce_https=False
            )
            done += 1
            if done % 100 == 0:
                print(json.dumps({"done": done, "seconds": time.monotonic() - start}), flush=True)
        link = page.odata_next_link
        page = await graph.security.incidents.with_url(link).get() if link and done < limit else None
    seconds = time.monotonic() - start
    print(json.dumps({"incidents": done, "seconds": seconds, "setup_seconds": setup}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10**9, help="stop after this many incidents")
    asyncio.run(backfill(parser.parse_args().limit))


if __name__ == "__main__":
    main()
