//! The Graph types' public conveniences: constructors, accessors, and the documented spellings they write.

use serde_json::{Value, json};
use tandem_model::graph::{
    AlertEvidence, AlertSeverity, Collection, DeviceEvidence, ErrorCode, ErrorResponse,
    EvidenceKind, EvidenceVerdict, Incident, IncidentStatus, IncidentUpdate, NewComment,
};
use tandem_model::{Field, Timestamp, parse_json};

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    parse_json(value.to_string().as_bytes()).expect("payload parses")
}

#[test]
fn a_new_comment_is_the_body_the_docs_show() {
    let body = serde_json::to_value(NewComment::new("Demo for docs")).unwrap();
    assert_eq!(
        body,
        json!({"@odata.type": "microsoft.graph.security.alertComment", "comment": "Demo for docs"})
    );
}

#[test]
fn an_error_response_carries_code_message_and_request_details() {
    let body = ErrorResponse::new(ErrorCode::ItemNotFound, "no incident 9", "req-1")
        .with_client_request_id("client-7");
    let value = serde_json::to_value(&body).unwrap();
    assert_eq!(value["error"]["code"], "itemNotFound");
    assert_eq!(value["error"]["message"], "no incident 9");
    assert_eq!(value["error"]["innerError"]["request-id"], "req-1");
    assert_eq!(
        value["error"]["innerError"]["client-request-id"],
        "client-7"
    );
    let date = value["error"]["innerError"]["date"].as_str().unwrap();
    assert!(Timestamp::parse(date).is_ok(), "{date}");
    assert_eq!(parse::<ErrorResponse>(&value), body);
}

#[test]
fn an_error_body_with_the_lowercase_innererror_is_read() {
    let body: ErrorResponse = parse(&json!({"error": {"code": "InvalidRequest", "message": "m",
        "innererror": {"request-id": "r", "date": "2024-01-01T00:00:00"}}}));
    assert_eq!(body.error.code, ErrorCode::InvalidRequest);
    let inner = body.error.inner_error.get().unwrap();
    assert_eq!(inner.request_id, Field::Value("r".to_owned()));
}

#[test]
fn an_update_tells_absent_from_null_from_a_value() {
    let update: IncidentUpdate = parse(&json!({"assignedTo": null, "status": "Resolved"}));
    assert_eq!(update.assigned_to, Field::Null);
    assert_eq!(update.status, Field::Value(IncidentStatus::Resolved));
    assert!(update.classification.is_absent());
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"assignedTo": null, "status": "resolved"})
    );
}

#[test]
fn an_update_reads_tags_as_custom_tags() {
    let update: IncidentUpdate = parse(&json!({"tags": ["a"]}));
    assert_eq!(update.custom_tags, Field::Value(vec!["a".to_owned()]));
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"customTags": ["a"]})
    );
}

#[test]
fn an_update_with_both_tag_members_is_read_and_custom_tags_wins() {
    let update: IncidentUpdate = parse(&json!({"tags": ["old"], "customTags": ["new"]}));
    assert_eq!(update.custom_tags, Field::Value(vec!["new".to_owned()]));
    let cleared: IncidentUpdate = parse(&json!({"customTags": null, "tags": ["old"]}));
    assert_eq!(cleared.custom_tags, Field::Null);
    assert_eq!(
        serde_json::to_value(&cleared).unwrap(),
        json!({"customTags": null})
    );
}

#[test]
fn an_update_with_a_legacy_incident_type_is_written_with_the_documented_one() {
    let update: IncidentUpdate =
        parse(&json!({"@odata.type": "#microsoft.graph.incident", "status": "Active"}));
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"@odata.type": "#microsoft.graph.security.incident", "status": "active"})
    );
}

#[test]
fn a_legacy_incident_is_written_in_the_documented_spelling() {
    let incident: Incident = parse(&json!({
        "@odata.type": "#microsoft.graph.incident", "id": "5", "severity": "Medium", "tags": ["x"],
        "comments": [{"comment": "c", "createdBy": "ann", "createdTime": "2021-09-30T12:07:37.2756993Z"}]
    }));
    assert_eq!(incident.severity, Field::Value(AlertSeverity::Medium));
    assert_eq!(
        incident.comments()[0].created_by_display_name,
        Field::Value("ann".to_owned())
    );
    assert_eq!(
        serde_json::to_value(&incident).unwrap(),
        json!({
            "@odata.type": "#microsoft.graph.security.incident", "id": "5", "severity": "medium",
            "customTags": ["x"],
            "comments": [{"comment": "c", "createdByDisplayName": "ann",
                "createdDateTime": "2021-09-30T12:07:37.2756993Z"}]
        })
    );
}

#[test]
fn expanded_alerts_and_their_evidence_kinds_are_reachable() {
    let incident: Incident = parse(&json!({"id": "5", "alerts": [{"id": "a", "evidence": [
        {"@odata.type": "#microsoft.graph.security.deviceEvidence", "mdeDeviceId": "d1", "verdict": "Malicious"},
        {"@odata.type": "microsoft.graph.security.ipEvidence", "ipAddress": "10.1.1.1"},
        {"@odata.type": "#microsoft.graph.security.UserEvidence", "userAccount": {"accountName": "bob"}}
    ]}]}));
    let evidence = incident.alerts()[0].evidence();
    let kinds: Vec<EvidenceKind> = evidence.iter().map(AlertEvidence::kind).collect();
    assert_eq!(
        kinds,
        [EvidenceKind::Device, EvidenceKind::Ip, EvidenceKind::User]
    );
    assert_eq!(
        evidence[0].common().verdict,
        &Field::Value(EvidenceVerdict::Malicious)
    );
    let AlertEvidence::Device(device) = &evidence[0] else {
        panic!("not a device: {:?}", evidence[0]);
    };
    assert_eq!(device.mde_device_id, Field::Value("d1".to_owned()));
    assert!(Incident::new("6").alerts().is_empty());
}

#[test]
fn evidence_built_in_code_gets_its_documented_type() {
    let device = DeviceEvidence {
        mde_device_id: Field::Value("d1".to_owned()),
        ..DeviceEvidence::default()
    };
    let value = serde_json::to_value(AlertEvidence::from(device)).unwrap();
    assert_eq!(
        value,
        json!({"@odata.type": "#microsoft.graph.security.deviceEvidence", "mdeDeviceId": "d1"})
    );
    assert_eq!(parse::<AlertEvidence>(&value).kind(), EvidenceKind::Device);
}

#[test]
fn evidence_type_names_are_read_with_or_without_hash_in_any_casing() {
    for kind in EvidenceKind::ALL {
        let documented = kind.odata_type();
        assert_eq!(EvidenceKind::from_odata_type(&documented), Some(*kind));
        let bare = documented.trim_start_matches('#').to_ascii_uppercase();
        assert_eq!(EvidenceKind::from_odata_type(&bare), Some(*kind));
    }
    assert_eq!(
        EvidenceKind::from_odata_type("#microsoft.graph.deviceEvidence"),
        None
    );
}

#[test]
fn a_list_page_exposes_its_next_link() {
    let page: Collection<Incident> = parse(&json!({
        "@odata.context": "ctx", "@odata.count": 2, "@odata.nextLink": "https://next", "value": [{"id": "1"}]
    }));
    assert_eq!(page.next_link(), Some("https://next"));
    assert_eq!(page.count, Field::Value(2));
    assert_eq!(Collection::new(page.value).next_link(), None);
}

#[test]
fn a_new_comment_record_is_dated_now_in_graphs_format() {
    let before = chrono::Utc::now();
    let comment = tandem_model::graph::AlertComment::new("looked at it", "ann");
    let value = serde_json::to_value(&comment).unwrap();
    assert_eq!(value["comment"], "looked at it");
    assert_eq!(value["createdByDisplayName"], "ann");
    let written = value["createdDateTime"].as_str().unwrap();
    let (_, fraction) = written.trim_end_matches('Z').split_once('.').unwrap();
    assert_eq!(fraction.len(), 7, "{written}");
    let instant = Timestamp::parse(written).unwrap().instant();
    assert!(
        instant >= before - chrono::Duration::microseconds(1),
        "{written}"
    );
}

#[test]
fn a_legacy_member_sent_beside_its_documented_one_is_kept() {
    let payload = json!({"id": "5", "customTags": ["new"], "tags": ["old"],
        "comments": [{"comment": "c", "createdByDisplayName": "ann", "createdBy": "bob"}]});
    let incident: Incident = parse(&payload);
    assert_eq!(incident.custom_tags, Field::Value(vec!["new".to_owned()]));
    assert_eq!(incident.extra["tags"], json!(["old"]));
    assert_eq!(serde_json::to_value(&incident).unwrap(), payload);
}

#[test]
fn a_comment_with_both_time_members_keeps_the_older_one_in_extra() {
    let payload = json!({"comment": "c", "createdDateTime": "2024-01-01T00:00:00Z",
        "createdTime": "2023-01-01T00:00:00Z"});
    let comment: tandem_model::graph::AlertComment = parse(&payload);
    assert_eq!(
        comment.created_date_time,
        Field::Value(Timestamp::parse("2024-01-01T00:00:00Z").unwrap())
    );
    assert_eq!(serde_json::to_value(&comment).unwrap(), payload);
}

#[test]
fn a_legacy_member_of_the_wrong_type_is_named() {
    let error = parse_json::<Incident>(br#"{"id": "5", "tags": "not a list"}"#).unwrap_err();
    assert!(error.to_string().contains("`tags`"), "{error}");
    assert!(error.to_string().contains("not a list"), "{error}");
}
