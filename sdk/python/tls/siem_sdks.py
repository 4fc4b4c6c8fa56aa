"""azure-monitor-ingestion, azure-monitor-query and azure-mgmt-securityinsight against
``tandem siem --tls``, with azure-identity credentials and no security switch anywhere (no
``enforce_https=False``).

The Azure SDKs' requests transport trusts the CA through ``REQUESTS_CA_BUNDLE``. The script uploads rows
to a custom stream and queries them back, then creates an incident, lists it, updates it with its etag,
checks that a stale etag is refused with 409, and adds and lists comments. Prints a JSON summary;
exits non-zero on the first mismatch.
"""

import datetime
import json
import os
import sys
import uuid

from azure.core.exceptions import HttpResponseError
from azure.mgmt.securityinsight import SecurityInsights
from azure.mgmt.securityinsight.models import Incident, IncidentComment
from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient, LogsQueryStatus

from tandem_tls import credential


def check(condition, message):
    if not condition:
        sys.exit(f"MISMATCH: {message}")


def ingest_and_query(url):
    stream = f"Custom-TlsEvents{uuid.uuid4().hex[:8]}_CL"
    table = stream.removeprefix("Custom-")
    rows = [{"Computer": f"host-{i}", "Level": i} for i in range(40)]
    ingestion = LogsIngestionClient(endpoint=url, credential=credential("TANDEM_SIEM_URL"))
    ingestion.upload(rule_id=os.environ["TANDEM_DCR_IMMUTABLE_ID"], stream_name=stream, logs=rows)

    reader = credential("TANDEM_SIEM_URL", reader=True)
    query = LogsQueryClient(credential=reader, endpoint=f"{url}/v1", audience="https://api.loganalytics.io")
    result = query.query_workspace(
        os.environ["TANDEM_WORKSPACE_ID"],
        f"{table} | where Level >= 30 | summarize count()",
        timespan=datetime.timedelta(hours=1),
    )
    check(result.status == LogsQueryStatus.SUCCESS, f"query status {result.status}")
    count = result.tables[0].rows[0][0]
    check(count == 10, f"expected 10 rows with Level >= 30, got {count}")
    return len(rows)


def incidents(url):
    client = SecurityInsights(
        credential("TANDEM_SIEM_URL"), os.environ["TANDEM_SUBSCRIPTION_ID"], base_url=url
    )
    group, workspace = os.environ["TANDEM_RESOURCE_GROUP"], os.environ["TANDEM_WORKSPACE_NAME"]
    name = str(uuid.uuid4())
    created = client.incidents.create_or_update(
        group, workspace, name, Incident(title="over TLS", severity="High", status="New")
    )
    check(created.etag, "a created incident has an etag")
    listed = [i.name for i in client.incidents.list(group, workspace)]
    check(name in listed, f"{name} not in {listed}")

    created.status = "Active"
    updated = client.incidents.create_or_update(group, workspace, name, created)
    check(updated.status == "Active" and updated.etag != created.etag, f"update gave {updated}")
    created.title = "stale write"
    try:
        client.incidents.create_or_update(group, workspace, name, created)
        check(False, "a stale etag must be refused")
    except HttpResponseError as error:
        check(error.status_code == 409, f"stale etag answered {error.status_code}")

    for i in range(2):
        client.incident_comments.create_or_update(
            group, workspace, name, f"c{i}", IncidentComment(message=f"note {i}")
        )
    messages = [c.message for c in client.incident_comments.list(group, workspace, name)]
    check(messages == ["note 0", "note 1"], f"comments are {messages}")
    return name


def main():
    url = os.environ["TANDEM_SIEM_URL"].rstrip("/")
    rows = ingest_and_query(url)
    incident = incidents(url)
    print(json.dumps({"rows": rows, "incident": incident}))


if __name__ == "__main__":
    main()
