//! The SIEM table rows and the Log Analytics query answer: numbers as strings, `dynamic` cells as JSON
//! text, and errors that name the column.

use serde_json::json;
use tandem_model::sentinel::{IncidentSeverity, OwnerType};
use tandem_model::tables::{QueryResponse, SecurityAlertRow, SecurityIncidentRow};
use tandem_model::{Field, from_value};

#[test]
fn numbers_and_booleans_are_read_from_text_or_json() {
    let from_text: SecurityIncidentRow =
        from_value(json!({"IncidentNumber": "42"})).expect("reads");
    let from_number: SecurityIncidentRow =
        from_value(json!({"IncidentNumber": 42})).expect("reads");
    assert_eq!(from_text.incident_number, Field::Value(42));
    assert_eq!(from_text, from_number);
    let alert: SecurityAlertRow =
        from_value(json!({"ConfidenceScore": "0.25", "IsIncident": "False"})).expect("reads");
    assert_eq!(alert.confidence_score, Field::Value(0.25));
    assert_eq!(alert.is_incident, Field::Value(false));
}

#[test]
fn a_bad_cell_names_the_column_and_value() {
    let err = from_value::<SecurityIncidentRow>(json!({"IncidentNumber": "many"}))
        .expect_err("not a number");
    let text = err.to_string();
    assert!(
        text.contains("IncidentNumber") && text.contains("many"),
        "{text}"
    );
}

#[test]
fn empty_times_read_as_null() {
    let row: SecurityIncidentRow =
        from_value(json!({"ClosedTime": "", "CreatedTime": "2024-01-02T03:04:05Z"}))
            .expect("reads");
    assert_eq!(row.closed_time, Field::Null);
    assert_eq!(
        row.created_time.get().map(|t| t.as_str()),
        Some("2024-01-02T03:04:05Z")
    );
}

#[test]
fn query_answers_become_typed_rows() {
    let answer: QueryResponse = from_value(json!({"tables": [{
        "name": "PrimaryResult",
        "columns": [
            {"name": "IncidentNumber", "type": "int"},
            {"name": "Severity", "type": "string"},
            {"name": "Owner", "type": "dynamic"},
            {"name": "AlertIds", "type": "dynamic"}
        ],
        "rows": [["7", "high", "{\"assignedTo\":\"ann\",\"ownerType\":\"User\"}", "[\"a1\",\"a2\"]"]]
    }]}))
    .expect("reads");
    let rows: Vec<SecurityIncidentRow> = answer.tables[0].typed_records().expect("typed");
    assert_eq!(rows[0].incident_number, Field::Value(7));
    assert_eq!(rows[0].severity, Field::Value(IncidentSeverity::High));
    let owner = rows[0].owner().expect("decodes").expect("has an owner");
    assert_eq!(owner.owner_type, Field::Value(OwnerType::User));
    assert_eq!(rows[0].alert_ids().expect("decodes"), ["a1", "a2"]);
}

#[test]
fn typed_rows_name_the_row_of_a_bad_cell() {
    let answer: QueryResponse = from_value(json!({"tables": [{
        "name": "PrimaryResult",
        "columns": [{"name": "IncidentNumber", "type": "int"}],
        "rows": [["1"], ["x"]]
    }]}))
    .expect("reads");
    let err = answer.tables[0]
        .typed_records::<SecurityIncidentRow>()
        .expect_err("row 1 is bad");
    assert_eq!(err.path(), Some("rows[1].IncidentNumber"));
}

#[test]
fn a_dynamic_cell_that_is_not_json_is_reported() {
    let row: SecurityIncidentRow = from_value(json!({"Owner": "{not json"})).expect("reads");
    let err = row.owner().expect_err("not JSON");
    assert_eq!(err.path(), Some("Owner"));
}

#[test]
fn alert_json_columns_decode_and_accept_json_itself() {
    let as_text: SecurityAlertRow = from_value(json!({
        "Entities": "[{\"$id\":\"1\",\"Type\":\"host\",\"HostName\":\"pc1\"}]",
        "ExtendedProperties": "{\"Category\":\"Execution\"}",
        "Tactics": "Execution, Persistence",
        "Techniques": ""
    }))
    .expect("reads");
    let entities = as_text.entities().expect("decodes");
    assert_eq!(entities[0]["HostName"], "pc1");
    assert_eq!(
        as_text.extended_properties().expect("decodes")["Category"],
        "Execution"
    );
    assert_eq!(as_text.tactics(), ["Execution", "Persistence"]);
    assert!(as_text.techniques().is_empty());

    let as_json: SecurityAlertRow =
        from_value(json!({"Entities": [{"$id": "1", "Type": "host", "HostName": "pc1"}]}))
            .expect("reads");
    assert_eq!(as_json.entities().expect("decodes"), entities);
}

#[test]
fn rows_round_trip_with_unknown_columns() {
    let body = json!({
        "TimeGenerated": "2024-01-02T03:04:05.1234567Z", "Title": "t", "Status": "New",
        "Labels": [{"labelName": "x", "labelType": "User"}], "_ResourceId": "/r", "Type": "SecurityIncident"
    });
    let row: SecurityIncidentRow = from_value(body.clone()).expect("reads");
    assert_eq!(serde_json::to_value(&row).expect("writes"), body);
    assert_eq!(row.labels().expect("decodes")[0].label_name, "x");
}
