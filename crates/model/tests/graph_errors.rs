//! Bad Graph payloads are rejected with an error that names the field path and the offending value.

use tandem_model::ParseError;
use tandem_model::graph::{Alert, Collection, Incident, IncidentUpdate, NewComment};

/// Parses `json` as a `T` and returns the error's path and message.
fn reject<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> (String, String) {
    match tandem_model::parse_json::<T>(json.as_bytes()) {
        Ok(parsed) => panic!("accepted a bad payload: {parsed:?}"),
        Err(ParseError::Field { path, message }) => (path, message),
        Err(other) => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn a_member_of_the_wrong_type_is_named_with_its_value() {
    let (path, message) = reject::<Incident>(r#"{"id": "1", "severity": 5}"#);
    assert_eq!(path, "severity");
    assert!(message.contains('5'), "{message}");
}

#[test]
fn a_bad_timestamp_is_named_with_its_text() {
    let (path, message) = reject::<Alert>(r#"{"id": "a", "createdDateTime": "last tuesday"}"#);
    assert_eq!(path, "createdDateTime");
    assert!(message.contains("last tuesday"), "{message}");
}

#[test]
fn a_bad_member_deep_in_evidence_is_named_with_its_path_and_value() {
    let json = r##"{"id": "7", "alerts": [{"id": "a", "evidence": [
        {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "10.0.0.1"},
        {"@odata.type": "#microsoft.graph.security.deviceEvidence", "osBuild": "twenty-two"}
    ]}]}"##;
    let (path, message) = reject::<Incident>(json);
    assert_eq!(path, "alerts[0].evidence[1]");
    assert!(message.contains("osBuild"), "{message}");
    assert!(message.contains("twenty-two"), "{message}");
}

#[test]
fn an_unknown_evidence_type_is_named_with_its_value() {
    let json = r##"{"id": "a", "evidence": [{"@odata.type": "#microsoft.graph.security.toasterEvidence"}]}"##;
    let (path, message) = reject::<Alert>(json);
    assert_eq!(path, "evidence[0]");
    assert!(message.contains("@odata.type"), "{message}");
    assert!(
        message.contains("#microsoft.graph.security.toasterEvidence"),
        "{message}"
    );
}

#[test]
fn evidence_without_a_type_is_rejected_naming_the_member() {
    let (path, message) =
        reject::<Alert>(r#"{"id": "a", "evidence": [{"ipAddress": "10.0.0.1"}]}"#);
    assert_eq!(path, "evidence[0]");
    assert!(message.contains("@odata.type"), "{message}");
}

#[test]
fn a_missing_id_is_named() {
    let (path, message) = reject::<Incident>(r#"{"displayName": "no id"}"#);
    assert_eq!(path, ".");
    assert!(message.contains("`id`"), "{message}");

    let (path, message) =
        reject::<Collection<Alert>>(r#"{"value": [{"id": "a"}, {"title": "no id"}]}"#);
    assert_eq!(path, "value[1]");
    assert!(message.contains("`id`"), "{message}");
}

#[test]
fn an_update_of_a_member_clients_may_not_change_is_named() {
    let (path, message) = reject::<IncidentUpdate>(r#"{"status": "resolved", "severity": "high"}"#);
    assert_eq!(path, "severity");
    assert!(message.contains("`severity`"), "{message}");
}

#[test]
fn an_update_with_bad_tags_names_the_member_it_came_in() {
    let (path, message) = reject::<IncidentUpdate>(r#"{"customTags": ["a"], "tags": "b"}"#);
    assert_eq!(path, "tags");
    assert!(message.contains("\"b\""), "{message}");
}

#[test]
fn a_comment_without_text_is_rejected() {
    let (_, message) =
        reject::<NewComment>(r#"{"@odata.type": "microsoft.graph.security.alertComment"}"#);
    assert!(message.contains("`comment`"), "{message}");
}

#[test]
fn invalid_utf8_is_reported_with_its_field_offset_and_bytes() {
    let bytes = b"{\"id\": \"\xff\"}";
    match tandem_model::parse_json::<Incident>(bytes) {
        Err(error @ ParseError::Utf8 { .. }) => {
            assert_eq!(error.path(), Some("id"));
            let message = error.to_string();
            assert!(message.contains("0xff"), "{message}");
            assert!(message.contains("byte 8"), "{message}");
        }
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
    let deep = b"{\"id\": \"7\", \"alerts\": [{\"id\": \"a\", \"title\": \"caf\xc3\"}]}";
    let error = tandem_model::parse_json::<Incident>(deep).unwrap_err();
    assert_eq!(error.path(), Some("alerts[0].title"), "{error}");
    assert!(error.to_string().contains("0xc3"), "{error}");
}
