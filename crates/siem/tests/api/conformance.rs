//! The server's answers against the Sentinel swagger's own examples (read from `TANDEM_SPECS_DIR`)
//! and the model's wire types.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tandem_model::sentinel::{IncidentAlertList, IncidentEntitiesResponse};

use crate::common::{Siem, incident_body};

/// A Sentinel incidents example from the specs folder; `None` when the folder is absent.
fn example(path: &str) -> Option<Value> {
    let file = tandem_testkit::specs_dir()?
        .join("sentinel/examples/incidents")
        .join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    Some(serde_json::from_str(&text).unwrap())
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Every member of `expected` is present in `actual`, recursively through objects.
fn assert_has_members(actual: &Value, expected: &Value, path: &str) {
    let Some(expected) = expected.as_object() else {
        return;
    };
    for (key, value) in expected {
        let member = actual
            .get(key)
            .unwrap_or_else(|| panic!("{path}.{key} is missing from {actual}"));
        assert_has_members(member, value, &format!("{path}.{key}"));
    }
}

#[tokio::test]
async fn create_incident_example_round_trips() {
    let Some(spec) = example("CreateIncident.json") else {
        return;
    };
    let siem = Siem::start().await;
    // The example sends an etag on creation; with nothing stored yet there is nothing to conflict with.
    let mut request = spec["parameters"]["incident"].clone();
    request["properties"]["owner"] =
        spec["responses"]["201"]["body"]["properties"]["owner"].clone();
    let response = siem
        .put_incident("73e01a99-5cd7-4139-a149-9f2736ff2ab5", &request)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let expected = &spec["responses"]["201"]["body"];
    assert_eq!(keys(&body), keys(expected));
    assert_has_members(&body, expected, "incident");
    assert_eq!(
        body["properties"]["classificationReason"],
        json!("IncorrectAlertLogic")
    );
    assert!(
        body["etag"].as_str().unwrap().starts_with('"'),
        "incident etags carry quotes as in Sentinel"
    );
}

#[tokio::test]
async fn comment_example_round_trips() {
    let Some(spec) = example("comments/CreateIncidentComment.json") else {
        return;
    };
    let siem = Siem::start().await;
    assert_eq!(
        siem.put_incident("inc", &incident_body("t")).await.status(),
        StatusCode::CREATED
    );
    let url = siem
        .arm("incidents/inc/comments/4bb36b7b-26ff-4d1c-9cbe-0d8ab3da0014?api-version=2024-09-01");
    let response = siem
        .writer(
            siem.http
                .put(url)
                .json(&spec["parameters"]["incidentComment"]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let expected = &spec["responses"]["201"]["body"];
    assert_eq!(keys(&body), keys(expected));
    assert_eq!(keys(&body["properties"]), keys(&expected["properties"]));
}

#[tokio::test]
async fn alerts_and_entities_parse_as_sentinel_types() {
    let siem = Siem::start().await;
    let alert = json!([{
        "SystemAlertId": "a1", "DisplayName": "Malware", "AlertSeverity": "Medium", "Status": "New",
        "StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T10:05:00Z",
        "Entities": "[{\"Type\":\"host\",\"HostName\":\"pc-7\"},{\"Type\":\"file\",\"Name\":\"evil.exe\"}]"
    }]);
    assert_eq!(
        siem.ingest("Custom-SecurityAlert", &alert).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        siem.put_incident("inc", &incident_body("t")).await.status(),
        StatusCode::CREATED
    );
    let target = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/entities/a1",
        siem.credential("TANDEM_SUBSCRIPTION_ID"),
        siem.credential("TANDEM_RESOURCE_GROUP"),
        siem.credential("TANDEM_WORKSPACE_NAME"),
    );
    let relation = json!({"properties": {"relatedResourceId": target}});
    let response = siem.put_child("inc", "relations/r", &relation).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let alerts: Value = siem.incident_list("inc", "alerts").await;
    let alerts: IncidentAlertList = serde_json::from_value(alerts).unwrap();
    assert_eq!(alerts.value.len(), 1);
    let entities: Value = siem.incident_list("inc", "entities").await;
    let entities: IncidentEntitiesResponse = serde_json::from_value(entities).unwrap();
    assert_eq!(entities.entities.len(), 2);
    assert_eq!(entities.meta_data.get().map(Vec::len), Some(2));
}

/// Rows as the connector writes them (the model's row types) are accepted and read back through the
/// query API into the same types.
#[tokio::test]
async fn model_rows_round_trip_through_ingestion_and_query() {
    use tandem_model::tables::{QueryResponse, SecurityAlertRow, SecurityIncidentRow};

    let siem = Siem::start().await;
    let alert: SecurityAlertRow = serde_json::from_value(json!({
        "TimeGenerated": "2024-05-01T10:00:00.0000000Z", "SystemAlertId": "a1", "AlertName": "Malware",
        "AlertSeverity": "High", "ConfidenceScore": 0.5, "IsIncident": false,
        "Entities": "[{\"Type\":\"host\",\"HostName\":\"pc-7\"}]", "Tactics": "Execution",
    }))
    .unwrap();
    let incident: SecurityIncidentRow = serde_json::from_value(json!({
        "TimeGenerated": "2024-05-01T10:00:00.0000000Z", "IncidentName": "i1", "IncidentNumber": 7,
        "Title": "Ransomware", "Severity": "High", "Status": "Active",
        "Owner": {"objectId": "o1", "assignedTo": "alice"}, "AlertIds": ["a1"], "Labels": [],
    }))
    .unwrap();
    assert_eq!(
        siem.ingest("Custom-SecurityAlert", &json!([alert]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        siem.ingest("Custom-SecurityIncident", &json!([incident]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let (_, body) = siem.query("SecurityAlert").await;
    let response: QueryResponse = serde_json::from_value(body).unwrap();
    let alerts: Vec<SecurityAlertRow> = response.tables[0].typed_records().unwrap();
    assert_eq!(alerts[0].system_alert_id, alert.system_alert_id);
    assert_eq!(alerts[0].confidence_score, alert.confidence_score);
    assert_eq!(alerts[0].entities().unwrap(), alert.entities().unwrap());
    assert_eq!(alerts[0].time_generated, alert.time_generated);

    let (_, body) = siem.query("SecurityIncident").await;
    let response: QueryResponse = serde_json::from_value(body).unwrap();
    let incidents: Vec<SecurityIncidentRow> = response.tables[0].typed_records().unwrap();
    assert_eq!(incidents[0].incident_number, incident.incident_number);
    assert_eq!(incidents[0].alert_ids().unwrap(), vec!["a1".to_owned()]);
    assert_eq!(incidents[0].owner().unwrap(), incident.owner().unwrap());
}
