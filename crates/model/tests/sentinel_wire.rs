//! The Sentinel wire types: ARM envelope, incident, comment, entities and error body.

use serde_json::{Value, json};
use tandem_model::sentinel::{
    CloudError, CloudErrorBody, Entity, EntityKind, EntityProperties, Incident, IncidentComment,
    IncidentSeverity, IncidentStatus, List,
};
use tandem_model::{Field, from_value};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> (T, Value) {
    let parsed: T = from_value(value).expect("parses");
    let written = serde_json::to_value(&parsed).expect("writes");
    (parsed, written)
}

#[test]
fn etag_keeps_its_literal_quotes() {
    let body = json!({"etag": "\"0300bf09-0000\"", "properties": {"title": "t"}});
    let (incident, written): (Incident, _) = round_trip(body.clone());
    assert_eq!(
        incident.etag.get().map(String::as_str),
        Some("\"0300bf09-0000\"")
    );
    assert_eq!(written, body);
}

#[test]
fn null_stays_distinct_from_absent() {
    let body = json!({"properties": {"title": "t", "owner": null, "labels": []}});
    let (incident, written): (Incident, _) = round_trip(body.clone());
    assert_eq!(incident.properties.owner, Field::Null);
    assert!(incident.properties.description.is_absent());
    assert_eq!(written, body);
}

#[test]
fn unknown_members_are_kept_everywhere() {
    let body = json!({
        "id": "/x/incidents/1", "location": "westeurope",
        "properties": {
            "title": "t", "newMember": {"a": 1},
            "owner": {"objectId": "o", "ownerTeam": "soc"},
            "additionalData": {"alertsCount": 1, "futureCount": 2}
        }
    });
    let (incident, written): (Incident, _) = round_trip(body.clone());
    assert!(incident.extra.contains_key("location"));
    assert!(incident.properties.extra.contains_key("newMember"));
    assert_eq!(written, body);
}

#[test]
fn enums_read_any_casing_and_keep_unknown_values() {
    let body = json!({"properties": {"status": "closed", "severity": "Critical"}});
    let (incident, written): (Incident, _) = round_trip(body);
    assert_eq!(
        incident.properties.status,
        Field::Value(IncidentStatus::Closed)
    );
    assert_eq!(
        incident.properties.severity,
        Field::Value(IncidentSeverity::Other("Critical".into()))
    );
    assert_eq!(written["properties"]["status"], "Closed");
    assert_eq!(written["properties"]["severity"], "Critical");
}

#[test]
fn a_bad_member_is_named_in_the_error() {
    let err = from_value::<Incident>(json!({"properties": {"incidentNumber": "three"}}))
        .expect_err("a text incident number is rejected");
    let text = err.to_string();
    assert!(text.contains("incidentNumber"), "{text}");
    assert!(text.contains("three"), "{text}");
}

#[test]
fn comment_reads_author_and_times() {
    let body = json!({
        "name": "c1",
        "properties": {
            "message": "hello", "createdTimeUtc": "2019-01-01T13:15:30Z",
            "author": {"name": "john", "email": "j@contoso.com"}
        }
    });
    let (comment, written): (IncidentComment, _) = round_trip(body.clone());
    let author = comment.properties.author.get().expect("author");
    assert_eq!(author.name.get().map(String::as_str), Some("john"));
    assert_eq!(written, body);
}

#[test]
fn entities_are_typed_by_kind() {
    let body = json!({
        "kind": "Host", "name": "e1",
        "properties": {"hostName": "pc1", "azureID": "/r/pc1", "friendlyName": "pc1"}
    });
    let (entity, written): (Entity, _) = round_trip(body.clone());
    let EntityProperties::Host(host) = &entity.properties else {
        panic!("expected a host, got {:?}", entity.properties);
    };
    assert_eq!(host.azure_id.get().map(String::as_str), Some("/r/pc1"));
    assert_eq!(entity.properties.friendly_name(), Some("pc1"));
    assert_eq!(written, body);
}

#[test]
fn unknown_entity_kinds_round_trip() {
    let body =
        json!({"kind": "Nic", "id": "/e/2", "properties": {"macAddress": "00:11", "n": [1]}});
    let (entity, written): (Entity, _) = round_trip(body.clone());
    assert_eq!(entity.kind(), EntityKind::Other("Nic".into()));
    assert_eq!(written, body);
}

#[test]
fn a_bad_entity_member_names_the_kind_and_field() {
    let err =
        from_value::<Entity>(json!({"kind": "Account", "properties": {"isDomainJoined": "yes"}}))
            .expect_err("a text boolean is rejected");
    let text = err.to_string();
    assert!(
        text.contains("Account") && text.contains("isDomainJoined"),
        "{text}"
    );
}

#[test]
fn list_pages_carry_next_link() {
    let body = json!({"value": [{"properties": {"title": "a"}}], "nextLink": "https://x/next"});
    let (list, written): (List<Incident>, _) = round_trip(body.clone());
    assert_eq!(
        list.next_link.get().map(String::as_str),
        Some("https://x/next")
    );
    assert_eq!(written, body);
    let built = serde_json::to_value(List::<Value>::new(vec![], None)).expect("writes");
    assert_eq!(built, json!({"value": []}));
}

#[test]
fn cloud_error_is_arm_shaped() {
    let error = CloudError::new("BadRequest", "title is required")
        .with_target("properties.title")
        .with_detail(CloudErrorBody::new("MissingMember", "title"));
    let written = serde_json::to_value(&error).expect("writes");
    assert_eq!(
        written,
        json!({"error": {
            "code": "BadRequest", "message": "title is required", "target": "properties.title",
            "details": [{"code": "MissingMember", "message": "title"}]
        }})
    );
    let (read, again): (CloudError, _) = round_trip(written.clone());
    assert_eq!(read, error);
    assert_eq!(again, written);
}
