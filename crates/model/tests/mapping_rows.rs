//! The table-row mapping: SIEM incidents and XDR incidents as `SecurityIncident` rows, XDR alerts and
//! their evidence as `SecurityAlert` rows. One test per row of `docs/mapping.md`.

use serde_json::{Value, json};
use tandem_model::graph::{Alert, AlertEvidence, Incident};
use tandem_model::mapping::{
    ENTITY_ID_MEMBER, Provider, alert_row, evidence_entities, incident_row, incident_row_from_xdr,
};
use tandem_model::sentinel::{AlertSeverity, IncidentProperties, IncidentStatus};
use tandem_model::tables::{SecurityAlertRow, SecurityIncidentRow};
use tandem_model::{Field, from_value};

fn text(field: &Field<String>) -> Option<&str> {
    field.get().map(String::as_str)
}

/// Member `member` of each item as text (`?` where it is not a string).
fn member_texts<'a>(items: &'a [Value], member: &str) -> Vec<&'a str> {
    items
        .iter()
        .map(|item| item[member].as_str().unwrap_or("?"))
        .collect()
}

fn entities_of(evidence: Value) -> Vec<Value> {
    let evidence: Vec<AlertEvidence> = from_value(evidence).expect("Graph evidence");
    evidence_entities(&evidence)
}

#[test]
fn incident_row_columns() {
    let props: IncidentProperties = from_value(json!({
        "title": "t", "description": "d", "severity": "High", "status": "Closed",
        "classification": "TruePositive", "classificationReason": "SuspiciousActivity",
        "classificationComment": "Determination: malware", "incidentNumber": 12,
        "incidentUrl": "https://siem/incidents/guid-1",
        "owner": {"assignedTo": "ann"}, "labels": [{"labelName": "vip", "labelType": "User"}],
        "additionalData": {"alertsCount": 2}, "relatedAnalyticRuleIds": ["rule-1"],
        "createdTimeUtc": "2024-01-01T00:00:00Z", "lastModifiedTimeUtc": "2024-01-02T00:00:00Z",
        "firstActivityTimeUtc": "2023-12-31T09:00:00Z", "lastActivityTimeUtc": "2023-12-31T11:00:00Z",
        "providerName": "Tandem XDR", "providerIncidentId": "29"
    }))
    .expect("properties");
    let row = incident_row("guid-1", &props);
    assert_eq!(text(&row.incident_name), Some("guid-1"));
    assert_eq!(text(&row.title), Some("t"));
    assert_eq!(text(&row.description), Some("d"));
    assert_eq!(row.severity, props.severity);
    assert_eq!(row.classification, props.classification);
    assert_eq!(row.classification_reason, props.classification_reason);
    assert_eq!(
        text(&row.classification_comment),
        Some("Determination: malware")
    );
    assert_eq!(
        text(&row.incident_url),
        Some("https://siem/incidents/guid-1")
    );
    assert_eq!(text(&row.provider_name), Some("Tandem XDR"));
    assert_eq!(row.additional_data, Field::Value(json!({"alertsCount": 2})));
    assert_eq!(
        row.related_analytic_rule_ids,
        Field::Value(json!(["rule-1"]))
    );
    assert_eq!(row.created_time, props.created_time_utc);
    assert_eq!(row.first_modified_time, props.created_time_utc);
    assert_eq!(row.last_modified_time, props.last_modified_time_utc);
    assert_eq!(row.first_activity_time, props.first_activity_time_utc);
    assert_eq!(row.last_activity_time, props.last_activity_time_utc);
    assert_eq!(row.incident_number, Field::Value(12));
    assert_eq!(row.status, Field::Value(IncidentStatus::Closed));
    assert_eq!(row.closed_time, props.last_modified_time_utc);
    assert_eq!(
        row.owner().expect("decodes").expect("owner").assigned_to,
        Field::Value("ann".into())
    );
    assert_eq!(row.labels().expect("decodes")[0].label_name, "vip");
    assert_eq!(text(&row.provider_incident_id), Some("29"));
    assert_eq!(text(&row.table), Some(SecurityIncidentRow::TABLE));
    assert_eq!(row.time_generated, props.last_modified_time_utc);

    let open: IncidentProperties =
        from_value(json!({"status": "Active", "createdTimeUtc": "2024-01-01T00:00:00Z"}))
            .expect("properties");
    let open_row = incident_row("guid-2", &open);
    assert!(open_row.closed_time.is_absent());
    assert_eq!(
        open_row.time_generated, open.created_time_utc,
        "without a modification the row records the creation"
    );
}

#[test]
fn incident_row_from_xdr_carries_alert_ids_and_comments() {
    let xdr: Incident = from_value(json!({
        "id": "29", "displayName": "Ransomware", "status": "inProgress",
        "comments": [{"comment": "looking", "createdByDisplayName": "ann"}],
        "alerts": [{"id": "da1"}, {"id": "da2"}]
    }))
    .expect("incident");
    let row = incident_row_from_xdr("guid-1", &xdr, &Provider::tandem());
    assert_eq!(row.alert_ids().expect("decodes"), ["da1", "da2"]);
    assert_eq!(
        row.comments,
        Field::Value(json!([{"message": "looking", "author": {"name": "ann"}}]))
    );
    assert_eq!(text(&row.modified_by), Some("Tandem XDR"));
    assert_eq!(text(&row.title), Some("Ransomware"));
    assert_eq!(row.status, Field::Value(IncidentStatus::Active));
    let data = row
        .additional_data()
        .expect("decodes")
        .expect("additional data");
    assert_eq!(data.alerts_count, Field::Value(2));
}

#[test]
fn alert_row_columns() {
    let alert: Alert = from_value(json!({
        "id": "da637", "providerAlertId": "p-1", "title": "Suspicious PowerShell", "severity": "medium",
        "status": "inProgress", "description": "d", "alertWebUrl": "https://xdr/alerts/da637",
        "detectorId": "rule-9", "serviceSource": "microsoftDefenderForEndpoint", "category": "Execution",
        "mitreTechniques": ["T1059", "T1059.001"], "recommendedActions": "Isolate the device",
        "createdDateTime": "2024-01-01T00:00:00Z", "firstActivityDateTime": "2023-12-31T23:00:00Z",
        "lastActivityDateTime": "2023-12-31T23:30:00Z", "lastUpdateDateTime": "2024-01-01T01:00:00Z"
    }))
    .expect("alert");
    let row = alert_row(&alert, &Provider::tandem());
    assert_eq!(text(&row.system_alert_id), Some("da637"));
    assert_eq!(text(&row.vendor_original_id), Some("p-1"));
    assert_eq!(text(&row.alert_name), Some("Suspicious PowerShell"));
    assert_eq!(row.display_name, row.alert_name);
    assert_eq!(text(&row.alert_type), Some("rule-9"));
    assert_eq!(text(&row.description), Some("d"));
    assert_eq!(row.alert_severity, Field::Value(AlertSeverity::Medium));
    assert_eq!(text(&row.status), Some("InProgress"));
    assert_eq!(text(&row.alert_link), Some("https://xdr/alerts/da637"));
    assert_eq!(
        text(&row.product_name),
        Some("Microsoft Defender for Endpoint")
    );
    assert_eq!(text(&row.provider_name), Some("Tandem XDR"));
    assert_eq!(text(&row.vendor_name), Some("Tandem"));
    assert_eq!(row.tactics(), ["Execution"]);
    assert_eq!(row.techniques(), ["T1059", "T1059.001"]);
    assert_eq!(
        text(&row.remediation_steps),
        Some("[\"Isolate the device\"]")
    );
    assert_eq!(row.time_generated, alert.created_date_time);
    assert_eq!(row.start_time, alert.first_activity_date_time);
    assert_eq!(row.end_time, alert.last_activity_date_time);
    assert_eq!(row.processing_end_time, alert.last_update_date_time);
    assert_eq!(text(&row.table), Some(SecurityAlertRow::TABLE));
    assert!(row.entities().expect("decodes").is_empty());
}

#[test]
fn alert_row_extended_properties_hold_members_without_a_column() {
    let alert: Alert = from_value(json!({
        "id": "a", "incidentId": "29", "detectionSource": "antivirus", "classification": "truePositive",
        "determination": "malware", "assignedTo": "ann", "threatDisplayName": "Emotet"
    }))
    .expect("alert");
    let row = alert_row(&alert, &Provider::tandem());
    let props = row.extended_properties().expect("decodes");
    assert_eq!(props["IncidentId"], "29");
    assert_eq!(props["DetectionSource"], "antivirus");
    assert_eq!(props["Classification"], "truePositive");
    assert_eq!(props["Determination"], "malware");
    assert_eq!(props["AssignedTo"], "ann");
    assert_eq!(props["ThreatDisplayName"], "Emotet");
    assert!(!props.contains_key("ActorDisplayName"));
}

#[test]
fn compromised_entity_is_the_first_device_or_user() {
    let alert: Alert = from_value(json!({"id": "a", "evidence": [
        {"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "http://x"},
        {"@odata.type": "#microsoft.graph.security.userEvidence",
         "userAccount": {"accountName": "ann", "userPrincipalName": "ann@contoso.com"}}
    ]}))
    .expect("alert");
    let row = alert_row(&alert, &Provider::tandem());
    assert_eq!(text(&row.compromised_entity), Some("ann@contoso.com"));
}

#[test]
fn evidence_becomes_typed_entities() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": "pc1.contoso.com",
         "osPlatform": "Windows10", "mdeDeviceId": "m1"},
        {"@odata.type": "#microsoft.graph.security.userEvidence",
         "userAccount": {"accountName": "ann", "domainName": "CONTOSO", "userPrincipalName": "ann@contoso.com",
                         "azureAdUserId": "u1", "userSid": "S-1-5"}},
        {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "10.0.0.1", "countryLetterCode": "NL"},
        {"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "http://bad.example"},
        {"@odata.type": "#microsoft.graph.security.mailboxEvidence", "primaryAddress": "ann@contoso.com",
         "displayName": "Ann", "upn": "ann@contoso.com"},
        {"@odata.type": "#microsoft.graph.security.analyzedMessageEvidence", "recipientEmailAddress": "ann@contoso.com",
         "subject": "invoice", "networkMessageId": "n1", "p1Sender": {"emailAddress": "x@evil.example"}},
        {"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence", "appId": 11161,
         "displayName": "Office 365", "instanceName": "Office 365"}
    ]));
    assert_eq!(
        member_texts(&entities, "Type"),
        [
            "host",
            "account",
            "ip",
            "url",
            "mailbox",
            "mailMessage",
            "cloud-application"
        ]
    );
    assert_eq!(
        member_texts(&entities, ENTITY_ID_MEMBER),
        ["1", "2", "3", "4", "5", "6", "7"]
    );
    assert_eq!(entities[0]["HostName"], "pc1");
    assert_eq!(entities[0]["DnsDomain"], "contoso.com");
    assert_eq!(entities[0]["OSFamily"], "Windows10");
    assert_eq!(entities[1]["Name"], "ann");
    assert_eq!(entities[1]["NTDomain"], "CONTOSO");
    assert_eq!(entities[1]["UPNSuffix"], "contoso.com");
    assert_eq!(entities[1]["AadUserId"], "u1");
    assert_eq!(entities[2]["Address"], "10.0.0.1");
    assert_eq!(entities[2]["Location"]["CountryCode"], "NL");
    assert_eq!(entities[3]["Url"], "http://bad.example");
    assert_eq!(entities[4]["MailboxPrimaryAddress"], "ann@contoso.com");
    assert_eq!(entities[5]["P1Sender"], "x@evil.example");
    assert_eq!(entities[5]["Subject"], "invoice");
    assert_eq!(entities[6]["AppId"], 11161);
    assert_eq!(entities[6]["Name"], "Office 365");
    assert_eq!(entities[0]["FQDN"], "pc1.contoso.com");
    assert_eq!(entities[0]["MdatpDeviceId"], "m1");
    assert_eq!(entities[1]["Sid"], "S-1-5");
    assert_eq!(entities[4]["DisplayName"], "Ann");
    assert_eq!(entities[4]["Upn"], "ann@contoso.com");
    assert_eq!(entities[5]["Recipient"], "ann@contoso.com");
    assert_eq!(entities[5]["NetworkMessageId"], "n1");
    assert_eq!(entities[6]["InstanceName"], "Office 365");
}

#[test]
fn process_and_file_entities_nest_with_their_own_ids() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.processEvidence", "processId": 4242,
         "processCommandLine": "powershell -enc AAA", "parentProcessId": 1,
         "imageFile": {"fileName": "powershell.exe", "filePath": "C:\\Windows", "sha256": "ab12"},
         "userAccount": {"accountName": "ann"}},
        {"@odata.type": "#microsoft.graph.security.fileEvidence",
         "fileDetails": {"fileName": "a.exe", "sha1": "s1", "md5": "m5"}}
    ]));
    let process = &entities[0];
    assert_eq!(process["Type"], "process");
    assert_eq!(process["ProcessId"], "4242");
    assert_eq!(process["CommandLine"], "powershell -enc AAA");
    assert_eq!(process["ImageFile"]["Type"], "file");
    assert_eq!(process["ImageFile"]["Name"], "powershell.exe");
    assert_eq!(process["ImageFile"]["FileHashes"][0]["Algorithm"], "SHA256");
    assert_eq!(process["ParentProcess"]["ProcessId"], "1");
    assert_eq!(process["Account"]["Name"], "ann");
    let file = &entities[1];
    assert_eq!(file["Type"], "file");
    let hashes = file["FileHashes"].as_array().expect("hashes");
    assert_eq!(member_texts(hashes, "Algorithm"), ["MD5", "SHA1"]);

    let mut ids = Vec::new();
    collect_ids(&Value::Array(entities), &mut ids);
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        count,
        "every entity, nested or not, has its own $id"
    );
}

fn collect_ids(value: &Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get(ENTITY_ID_MEMBER) {
                ids.push(id.clone());
            }
            map.values().for_each(|v| collect_ids(v, ids));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, ids)),
        _ => {}
    }
}

#[test]
fn registry_group_and_resource_evidence() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.registryKeyEvidence", "registryHive": "HKEY_LOCAL_MACHINE",
         "registryKey": "SOFTWARE\\Run"},
        {"@odata.type": "#microsoft.graph.security.registryValueEvidence", "registryKey": "SOFTWARE\\Run",
         "registryValueName": "evil", "registryValue": "c:\\evil.exe", "registryValueType": "String"},
        {"@odata.type": "#microsoft.graph.security.securityGroupEvidence", "displayName": "Domain Admins",
         "sid": "S-1-5-21"},
        {"@odata.type": "#microsoft.graph.security.azureResourceEvidence", "resourceId": "/subscriptions/s/vm1"}
    ]));
    assert_eq!(
        member_texts(&entities, "Type"),
        [
            "registry-key",
            "registry-value",
            "security-group",
            "azure-resource"
        ]
    );
    assert_eq!(entities[0]["Hive"], "HKEY_LOCAL_MACHINE");
    assert_eq!(entities[1]["Name"], "evil");
    assert_eq!(entities[2]["SID"], "S-1-5-21");
    assert_eq!(entities[3]["ResourceId"], "/subscriptions/s/vm1");
}

#[test]
fn evidence_without_a_sentinel_twin_keeps_its_graph_members() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.oauthApplicationEvidence", "appId": "app-1",
         "displayName": "Mail reader", "publisher": "Evil Inc", "verdict": "malicious"}
    ]));
    assert_eq!(entities[0]["Type"], "oauthApplicationEvidence");
    assert_eq!(entities[0]["appId"], "app-1");
    assert_eq!(entities[0]["publisher"], "Evil Inc");
    assert_eq!(entities[0]["verdict"], "malicious");
    assert!(entities[0].get("@odata.type").is_none());
}

#[test]
fn mail_cluster_evidence() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.mailClusterEvidence", "clusterBy": "Subject",
         "clusterByValue": "invoice", "emailCount": 12, "networkMessageIds": ["n1", "n2"], "query": "q"}
    ]));
    assert_eq!(entities[0]["Type"], "mailCluster");
    assert_eq!(entities[0]["MailCount"], 12);
    assert_eq!(entities[0]["NetworkMessageIds"], json!(["n1", "n2"]));
    assert_eq!(entities[0]["ClusterSourceType"], "Subject");
    assert_eq!(entities[0]["ClusterSourceIdentifier"], "invoice");
}

#[test]
fn common_evidence_members_are_not_written_to_typed_entities() {
    let entities = entities_of(json!([
        {"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "http://x", "verdict": "malicious",
         "roles": ["attacker"], "remediationStatus": "blocked"}
    ]));
    let members: Vec<&str> = entities[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, [ENTITY_ID_MEMBER, "Type", "Url"]);
}
