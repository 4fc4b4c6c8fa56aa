"""Microsoft's azure-mgmt-securityinsight SDK against tandem siem.

Creates an incident, lists incidents, updates it with its etag, checks that a stale etag fails with
409 Conflict, and adds and lists comments. Exits non-zero on any mismatch.
"""

import os
import sys
import uuid

from azure.core.exceptions import HttpResponseError
from azure.mgmt.securityinsight import SecurityInsights
from azure.mgmt.securityinsight.models import Incident, IncidentComment

from static_credential import TandemCredential

NO_TLS = {"enforce_https": False}


def main():
    url = os.environ["TANDEM_SIEM_URL"]
    client = SecurityInsights(
        TandemCredential.from_env("TANDEM_SIEM_URL"),
        os.environ["TANDEM_SUBSCRIPTION_ID"],
        base_url=url,
    )
    group = os.environ["TANDEM_RESOURCE_GROUP"]
    workspace = os.environ["TANDEM_WORKSPACE_NAME"]
    name = str(uuid.uuid4())

    created = client.incidents.create_or_update(
        group, workspace, name,
        Incident(title="SDK incident", severity="High", status="New", description="made by the SDK"),
        **NO_TLS,
    )
    assert created.name == name and created.incident_number >= 1, created
    assert created.etag, "a created incident has an etag"

    listed = [i.name for i in client.incidents.list(group, workspace, **NO_TLS)]
    assert name in listed, listed

    created.status = "Active"
    updated = client.incidents.create_or_update(group, workspace, name, created, **NO_TLS)
    assert updated.status == "Active" and updated.etag != created.etag, updated

    created.title = "stale write"
    try:
        client.incidents.create_or_update(group, workspace, name, created, **NO_TLS)
        raise AssertionError("a stale etag must be refused")
    except HttpResponseError as error:
        assert error.status_code == 409, error.status_code
        assert error.error is not None and error.error.code == "Conflict", error.error

    for i in range(2):
        comment = client.incident_comments.create_or_update(
            group, workspace, name, f"comment-{i}", IncidentComment(message=f"note {i}"), **NO_TLS
        )
        assert comment.message == f"note {i}", comment
    messages = [c.message for c in client.incident_comments.list(group, workspace, name, **NO_TLS)]
    assert messages == ["note 0", "note 1"], messages

    fetched = client.incidents.get(group, workspace, name, **NO_TLS)
    assert fetched.additional_data.comments_count == 2, fetched.additional_data
    assert fetched.title == "SDK incident", fetched.title
    print("incidents: ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report anything as a failure with its message
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
