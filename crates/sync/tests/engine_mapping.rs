//! The adapters' mappings: Graph incidents and Sentinel incidents read into the reconciler's neutral
//! shape, patches written back as Graph update bodies and Sentinel properties, and the agreement that
//! keeps a fresh twin from bouncing: an XDR incident and the twin created from it read the same.

#![cfg(test)]

use std::collections::BTreeSet;

use serde_json::json;
use tandem_model::Field;
use tandem_model::graph::{self, AlertDetermination};
use tandem_model::mapping::Provider;
use tandem_model::sentinel::{
    Incident, IncidentClassification, IncidentLabel, IncidentLabelType, IncidentStatus,
};
use tandem_sync::reconcile::{
    Change, Classification, CommentOrigin, FieldPatch, Severity, Side, Status, TagChange, Verdict,
    render_marker,
};
use tandem_sync::sides::graph::mapping::{incident_update, synced_incident as from_graph};
use tandem_sync::sides::sentinel::mapping::{
    apply_patch, new_twin, synced_incident as from_sentinel,
};

fn graph_incident(extra: serde_json::Value) -> graph::Incident {
    let mut body = json!({
        "id": "42",
        "displayName": "Multi-stage attack",
        "status": "inProgress",
        "severity": "high",
        "assignedTo": "Ana@Contoso.example",
        "classification": "truePositive",
        "determination": "malware",
        "customTags": ["phish", "vip"],
        "incidentWebUrl": "https://xdr.example/incidents/42",
        "createdDateTime": "2026-01-01T00:00:00.0000000Z",
        "lastUpdateDateTime": "2026-01-01T00:05:00.1234567Z",
        "comments": [
            {"comment": "Looking", "createdByDisplayName": "Ana", "createdDateTime": "2026-01-01T00:01:00Z"},
        ],
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    serde_json::from_value(body).expect("a Graph incident")
}

/// The twin as the SIEM would serve it after creation.
fn served(mut twin: Incident) -> Incident {
    twin.name = Field::Value("twin-1".into());
    twin.etag = Field::Value("\"e1\"".into());
    twin.properties.last_modified_time_utc =
        Field::Value(tandem_model::Timestamp::parse("2026-01-01T00:06:00Z").unwrap());
    twin
}

#[test]
fn graph_incidents_read_into_the_neutral_shape() {
    let state = from_graph(&graph_incident(json!({}))).unwrap();
    assert_eq!(state.fields.status, Status::Active);
    assert_eq!(state.fields.severity, Severity::High);
    assert_eq!(state.fields.owner.as_deref(), Some("ana@contoso.example"));
    assert_eq!(
        state.fields.classification,
        Classification {
            verdict: Verdict::TruePositive,
            determination: Some("malware".into()),
        }
    );
    assert_eq!(state.version.marker, "2026-01-01T00:05:00.1234567Z");
    let origin = CommentOrigin {
        side: Side::Xdr,
        id: "2026-01-01T00:01:00Z".into(),
    };
    assert_eq!(state.comments[&origin].text, "Looking");
    for (status, expected) in [
        ("active", Status::New),
        ("awaitingAction", Status::Active),
        ("resolved", Status::Closed),
        ("redirected", Status::Redirected),
    ] {
        let state = from_graph(&graph_incident(json!({"status": status}))).unwrap();
        assert_eq!(state.fields.status, expected, "{status}");
    }
}

#[test]
fn a_graph_incident_without_a_change_time_is_refused_naming_the_member() {
    let mut incident = graph_incident(json!({}));
    incident.last_update_date_time = Field::Absent;
    let error = from_graph(&incident).unwrap_err().to_string();
    assert!(error.contains("XDR incident 42"), "{error}");
    assert!(error.contains("lastUpdateDateTime"), "{error}");
    let error = from_graph(&graph_incident(json!({"status": "paused"})))
        .unwrap_err()
        .to_string();
    assert!(error.contains("status = paused"), "{error}");
}

#[test]
fn a_mirrored_comment_is_known_by_its_marker() {
    let origin = CommentOrigin {
        side: Side::Siem,
        id: "c-9".into(),
    };
    let text = render_marker("Reset the password", &origin);
    let incident = graph_incident(
        json!({"comments": [{"comment": text, "createdDateTime": "2026-01-01T00:02:00Z"}]}),
    );
    let state = from_graph(&incident).unwrap();
    assert_eq!(state.comments[&origin].text, "Reset the password");
    assert!(tandem_sync::sides::graph::mapping::has_comment_from(
        &incident, &origin
    ));
}

#[test]
fn patches_become_graph_update_bodies() {
    let current = from_graph(&graph_incident(json!({}))).unwrap().fields;
    let patch = FieldPatch {
        status: Some(Change {
            from: None,
            to: Status::Closed,
        }),
        owner: Some(Change {
            from: None,
            to: None,
        }),
        classification: Some(Change {
            from: None,
            to: Classification {
                verdict: Verdict::FalsePositive,
                determination: None,
            },
        }),
        tags: Some(TagChange {
            add: BTreeSet::from(["triaged".to_owned()]),
            remove: BTreeSet::from(["vip".to_owned()]),
        }),
        ..FieldPatch::default()
    };
    let body = serde_json::to_value(incident_update(&patch, &current)).unwrap();
    assert_eq!(
        body,
        json!({
            "assignedTo": null,
            "classification": "falsePositive",
            "determination": "other",
            "status": "resolved",
            "customTags": ["phish", "triaged"],
        })
    );
    let severity_only = FieldPatch {
        severity: Some(Change {
            from: None,
            to: Severity::Low,
        }),
        ..FieldPatch::default()
    };
    assert_eq!(
        incident_update(&severity_only, &current),
        graph::IncidentUpdate::default()
    );
}

#[test]
fn a_fresh_twin_reads_the_same_as_its_xdr_incident() {
    for extra in [
        json!({}),
        json!({"status": "active", "classification": null, "determination": null, "assignedTo": null}),
        json!({"status": "resolved", "classification": "falsePositive", "determination": "notEnoughDataToValidate"}),
        json!({"status": "redirected", "classification": "informationalExpectedActivity", "determination": "securityTesting"}),
    ] {
        let incident = graph_incident(extra.clone());
        let xdr = from_graph(&incident).unwrap();
        let twin = served(new_twin(&incident, &Provider::tandem()));
        let siem = from_sentinel(&twin, &[]).unwrap();
        let shows = |a: &Classification, b: &Classification| {
            a.verdict == b.verdict
                && (a.determination.is_none() || a.determination == b.determination)
        };
        let status_shown = siem.fields.status == xdr.fields.status
            || (xdr.fields.status == Status::Redirected && siem.fields.status == Status::Closed);
        assert!(status_shown, "{extra}: {:?}", siem.fields.status);
        assert_eq!(siem.fields.severity, xdr.fields.severity, "{extra}");
        assert_eq!(siem.fields.owner, xdr.fields.owner, "{extra}");
        assert_eq!(siem.fields.tags, xdr.fields.tags, "{extra}");
        assert!(
            shows(&siem.fields.classification, &xdr.fields.classification),
            "{extra}: {:?} vs {:?}",
            siem.fields.classification,
            xdr.fields.classification
        );
    }
}

#[test]
fn the_twin_carries_the_provider_and_the_link_back() {
    let twin = new_twin(&graph_incident(json!({})), &Provider::tandem());
    let p = &twin.properties;
    assert_eq!(
        p.provider_name.get().map(String::as_str),
        Some("Tandem XDR")
    );
    assert_eq!(p.provider_incident_id.get().map(String::as_str), Some("42"));
    let link = p
        .additional_data
        .get()
        .and_then(|d| d.provider_incident_url.get().cloned());
    assert_eq!(link.as_deref(), Some("https://xdr.example/incidents/42"));
}

#[test]
fn sentinel_patches_keep_system_labels_and_close_with_a_classification() {
    let mut twin = served(new_twin(
        &graph_incident(json!({"classification": null, "determination": null})),
        &Provider::tandem(),
    ));
    twin.properties.classification = Field::Absent;
    let mut labels = twin.properties.labels.get().cloned().unwrap_or_default();
    labels.push(IncidentLabel {
        label_name: "auto".into(),
        label_type: Field::Value(IncidentLabelType::AutoAssigned),
        extra: Default::default(),
    });
    twin.properties.labels = Field::Value(labels);
    let patch = FieldPatch {
        status: Some(Change {
            from: None,
            to: Status::Redirected,
        }),
        tags: Some(TagChange {
            add: BTreeSet::new(),
            remove: BTreeSet::from(["phish".to_owned()]),
        }),
        ..FieldPatch::default()
    };
    let p = apply_patch(twin.properties, &patch);
    assert_eq!(p.status.get(), Some(&IncidentStatus::Closed));
    assert_eq!(
        p.classification.get(),
        Some(&IncidentClassification::Undetermined)
    );
    let names: Vec<&str> = p
        .labels
        .get()
        .unwrap()
        .iter()
        .map(|l| l.label_name.as_str())
        .collect();
    assert_eq!(names, ["auto", "vip"]);
}

#[test]
fn the_determination_and_a_closing_comment_are_read_back_from_the_twin() {
    let incident = graph_incident(json!({"status": "resolved"}));
    let mut twin = served(new_twin(&incident, &Provider::tandem()));
    let state = from_sentinel(&twin, &[]).unwrap();
    assert_eq!(
        state.fields.classification.determination.as_deref(),
        Some(AlertDetermination::Malware.as_str())
    );
    assert!(state.comments.is_empty());
    twin.properties.classification_comment = Field::Value("Confirmed by the owner".into());
    let state = from_sentinel(&twin, &[]).unwrap();
    assert_eq!(state.fields.classification.determination, None);
    let closing: Vec<&str> = state.comments.values().map(|c| c.text.as_str()).collect();
    assert_eq!(closing, ["Closing comment: Confirmed by the owner"]);
    assert!(state.comments.keys().all(|o| o.side == Side::Siem));
}
