"""Microsoft's azure-monitor-ingestion and azure-monitor-query SDKs against tandem siem.

Uploads rows to a custom stream with LogsIngestionClient, then reads them back with LogsQueryClient.
Reads the server's credentials.env variables from the environment; exits non-zero on any mismatch.
"""

import datetime
import os
import sys

from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient, LogsQueryStatus

from static_credential import TandemCredential


def main():
    url = os.environ["TANDEM_SIEM_URL"]
    writer = TandemCredential.from_env("TANDEM_SIEM_URL")
    reader = TandemCredential.from_env("TANDEM_SIEM_URL", reader=True)

    ingestion = LogsIngestionClient(endpoint=url, credential=writer)
    rows = [{"Computer": f"host-{i}", "Level": i, "Message": "x" * 200} for i in range(250)]
    ingestion.upload(
        rule_id=os.environ["TANDEM_DCR_IMMUTABLE_ID"],
        stream_name="Custom-SdkEvents_CL",
        logs=rows,
        enforce_https=False,
    )

    query = LogsQueryClient(credential=reader, endpoint=f"{url}/v1", audience="https://api.loganalytics.io")
    result = query.query_workspace(
        os.environ["TANDEM_WORKSPACE_ID"],
        "SdkEvents_CL | where Level >= 200 | summarize count()",
        timespan=datetime.timedelta(hours=1),
        enforce_https=False,
    )
    assert result.status == LogsQueryStatus.SUCCESS, result
    count = result.tables[0].rows[0][0]
    assert count == 50, f"expected 50 rows with Level >= 200, got {count}"

    result = query.query_workspace(
        os.environ["TANDEM_WORKSPACE_ID"],
        "SdkEvents_CL | where Computer == 'host-7' | project Computer, Level",
        timespan=None,
        enforce_https=False,
    )
    table = result.tables[0]
    assert list(table.columns) == ["Computer", "Level"], table.columns
    assert [list(r) for r in table.rows] == [["host-7", 7]], table.rows
    print("ingest and query: ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report anything as a failure with its message
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
