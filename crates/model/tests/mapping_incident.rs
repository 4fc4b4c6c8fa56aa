//! The incident mapping, one test per row of `docs/mapping.md` (the doc names each test).

mod support;

use support::specs_dir;

use serde_json::{Value, json};
use tandem_model::graph::{
    AlertClassification as XClass, AlertComment, AlertDetermination as XDet, AlertSeverity as XSev,
    Incident, IncidentStatus as XStatus,
};
use tandem_model::mapping::{
    Provider, SiemVerdict, XdrVerdict, closing_comment, comment_to_siem, incident_to_siem,
    labels_to_siem, labels_to_xdr, owner_to_siem, owner_to_xdr, severity_to_siem, severity_to_xdr,
    status_to_siem, status_to_xdr, verdict_to_siem, verdict_to_xdr,
};
use tandem_model::sentinel::{
    AttackTactic, IncidentClassification as SClass, IncidentClassificationReason as SReason,
    IncidentLabel, IncidentLabelType, IncidentOwner, IncidentProperties, IncidentSeverity as SSev,
    IncidentStatus as SStatus,
};
use tandem_model::{Field, from_value};

fn incident(value: Value) -> Incident {
    from_value(value).expect("a Graph incident")
}

fn siem(value: Value) -> IncidentProperties {
    from_value(value).expect("Sentinel incident properties")
}

fn text(field: &Field<String>) -> Option<&str> {
    field.get().map(String::as_str)
}

#[test]
fn status_xdr_to_siem() {
    let cases = [
        (XStatus::Active, SStatus::New),
        (XStatus::InProgress, SStatus::Active),
        (XStatus::AwaitingAction, SStatus::Active),
        (XStatus::Resolved, SStatus::Closed),
        (XStatus::Redirected, SStatus::Closed),
        (XStatus::Other("paused".into()), SStatus::Active),
    ];
    for (xdr, expected) in cases {
        assert_eq!(status_to_siem(&xdr), expected, "{xdr}");
    }
}

#[test]
fn status_siem_to_xdr() {
    assert_eq!(status_to_xdr(&SStatus::New), XStatus::Active);
    assert_eq!(status_to_xdr(&SStatus::Active), XStatus::InProgress);
    assert_eq!(status_to_xdr(&SStatus::Closed), XStatus::Resolved);
    assert_eq!(
        status_to_xdr(&SStatus::Other("Paused".into())),
        XStatus::Active
    );
}

#[test]
fn severity_both_ways() {
    for (xdr, siem_sev) in [
        (XSev::Informational, SSev::Informational),
        (XSev::Low, SSev::Low),
        (XSev::Medium, SSev::Medium),
        (XSev::High, SSev::High),
    ] {
        assert_eq!(severity_to_siem(&xdr), siem_sev);
        assert_eq!(severity_to_xdr(&siem_sev), xdr);
    }
}

#[test]
fn severity_unknown_becomes_informational() {
    for xdr in [
        XSev::Unknown,
        XSev::UnknownFutureValue,
        XSev::Other("critical".into()),
    ] {
        assert_eq!(severity_to_siem(&xdr), SSev::Informational);
    }
    assert_eq!(
        severity_to_xdr(&SSev::Other("Critical".into())),
        XSev::Unknown
    );
}

fn xdr_verdict(classification: XClass, determination: XDet) -> XdrVerdict {
    XdrVerdict {
        classification: Some(classification),
        determination: Some(determination),
    }
}

fn siem_verdict(classification: SClass, reason: Option<SReason>) -> SiemVerdict {
    SiemVerdict {
        classification: Some(classification),
        reason,
    }
}

#[test]
fn verdict_xdr_to_siem() {
    let cases = [
        (
            XClass::TruePositive,
            XDet::Malware,
            SClass::TruePositive,
            Some(SReason::SuspiciousActivity),
        ),
        (
            XClass::TruePositive,
            XDet::Phishing,
            SClass::TruePositive,
            Some(SReason::SuspiciousActivity),
        ),
        (
            XClass::InformationalExpectedActivity,
            XDet::SecurityTesting,
            SClass::BenignPositive,
            Some(SReason::SuspiciousButExpected),
        ),
        (
            XClass::FalsePositive,
            XDet::NotMalicious,
            SClass::FalsePositive,
            Some(SReason::IncorrectAlertLogic),
        ),
        (
            XClass::FalsePositive,
            XDet::Clean,
            SClass::FalsePositive,
            Some(SReason::IncorrectAlertLogic),
        ),
        (XClass::Unknown, XDet::Unknown, SClass::Undetermined, None),
    ];
    for (class, det, want_class, want_reason) in cases {
        let got = verdict_to_siem(&xdr_verdict(class.clone(), det.clone()));
        assert_eq!(got, siem_verdict(want_class, want_reason), "{class}/{det}");
    }
    assert_eq!(
        verdict_to_siem(&XdrVerdict::default()),
        SiemVerdict::default()
    );
    let unknown_class = XdrVerdict {
        classification: Some(XClass::Other("suspicious".into())),
        determination: Some(XDet::Malware),
    };
    assert_eq!(
        verdict_to_siem(&unknown_class),
        SiemVerdict::default(),
        "an unknown XDR classification is not carried"
    );
}

#[test]
fn verdict_false_positive_on_thin_data_is_inaccurate_data() {
    for det in [XDet::NotEnoughDataToValidate, XDet::InsufficientData] {
        let got = verdict_to_siem(&xdr_verdict(XClass::FalsePositive, det));
        assert_eq!(got.reason, Some(SReason::InaccurateData));
    }
}

#[test]
fn verdict_siem_to_xdr() {
    let cases = [
        (
            SClass::TruePositive,
            Some(SReason::SuspiciousActivity),
            XClass::TruePositive,
            XDet::OtherOutcome,
        ),
        (
            SClass::BenignPositive,
            Some(SReason::SuspiciousButExpected),
            XClass::InformationalExpectedActivity,
            XDet::OtherOutcome,
        ),
        (
            SClass::FalsePositive,
            Some(SReason::IncorrectAlertLogic),
            XClass::FalsePositive,
            XDet::NotMalicious,
        ),
        (
            SClass::FalsePositive,
            Some(SReason::InaccurateData),
            XClass::FalsePositive,
            XDet::NotEnoughDataToValidate,
        ),
        (SClass::Undetermined, None, XClass::Unknown, XDet::Unknown),
    ];
    for (class, reason, want_class, want_det) in cases {
        let got = verdict_to_xdr(&siem_verdict(class.clone(), reason));
        assert_eq!(got, xdr_verdict(want_class, want_det), "{class}");
    }
    let no_reason = verdict_to_xdr(&siem_verdict(SClass::TruePositive, None));
    assert_eq!(no_reason.determination, Some(XDet::OtherOutcome));
    let unknown_class = siem_verdict(
        SClass::Other("Suspicious".into()),
        Some(SReason::SuspiciousActivity),
    );
    assert_eq!(
        verdict_to_xdr(&unknown_class),
        XdrVerdict::default(),
        "an unknown SIEM classification is not carried"
    );
}

#[test]
fn siem_values_survive_the_trip_through_the_xdr() {
    for status in SStatus::KNOWN {
        assert_eq!(&status_to_siem(&status_to_xdr(status)), status);
    }
    for severity in SSev::KNOWN {
        assert_eq!(&severity_to_siem(&severity_to_xdr(severity)), severity);
    }
    let consistent = [
        siem_verdict(SClass::TruePositive, Some(SReason::SuspiciousActivity)),
        siem_verdict(SClass::BenignPositive, Some(SReason::SuspiciousButExpected)),
        siem_verdict(SClass::FalsePositive, Some(SReason::IncorrectAlertLogic)),
        siem_verdict(SClass::FalsePositive, Some(SReason::InaccurateData)),
        siem_verdict(SClass::Undetermined, None),
    ];
    for verdict in consistent {
        assert_eq!(verdict_to_siem(&verdict_to_xdr(&verdict)), verdict);
    }
}

#[test]
fn determination_travels_in_classification_comment() {
    let xdr =
        incident(json!({"id": "1", "classification": "truePositive", "determination": "apt"}));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    assert_eq!(
        text(&props.classification_comment),
        Some("Determination: apt")
    );
    assert_eq!(
        closing_comment(&props),
        None,
        "Tandem's own comment is not handed back"
    );
    let unknown = incident(json!({"id": "1", "determination": "unknown"}));
    assert!(
        incident_to_siem(&unknown, &Provider::tandem())
            .classification_comment
            .is_absent()
    );
}

#[test]
fn analyst_closing_comment_is_handed_to_connector() {
    let props =
        siem(json!({"classification": "FalsePositive", "classificationComment": " test VM "}));
    assert_eq!(closing_comment(&props), Some("test VM"));
}

#[test]
fn owner_to_siem_fills_address_members() {
    let owner = owner_to_siem(&Field::Value("ann@contoso.com".into()));
    let owner = owner.get().expect("an owner");
    assert_eq!(text(&owner.assigned_to), Some("ann@contoso.com"));
    assert_eq!(text(&owner.user_principal_name), Some("ann@contoso.com"));
    assert_eq!(text(&owner.email), Some("ann@contoso.com"));
    assert!(owner.object_id.is_absent());

    let named = owner_to_siem(&Field::Value("Ann".into()));
    let named = named.get().expect("an owner");
    assert_eq!(text(&named.assigned_to), Some("Ann"));
    assert!(named.user_principal_name.is_absent());
}

#[test]
fn owner_unassigned_is_all_null() {
    let owner = owner_to_siem(&Field::Null);
    let written = serde_json::to_value(owner.get().expect("an owner")).expect("writes");
    assert_eq!(
        written,
        json!({"objectId": null, "email": null, "assignedTo": null, "userPrincipalName": null})
    );
    assert_eq!(owner_to_xdr(&owner), Field::Null);
}

#[test]
fn owner_to_xdr_prefers_upn() {
    let owner: IncidentOwner = from_value(json!({
        "objectId": "2046feea", "assignedTo": "Ann", "email": "ann@mail.contoso.com",
        "userPrincipalName": "ann@contoso.com"
    }))
    .expect("an owner");
    assert_eq!(
        owner_to_xdr(&Field::Value(owner)),
        Field::Value("ann@contoso.com".into())
    );
    let by_email: IncidentOwner =
        from_value(json!({"assignedTo": "Ann", "email": "ann@mail.contoso.com"}))
            .expect("an owner");
    assert_eq!(
        owner_to_xdr(&Field::Value(by_email)),
        Field::Value("ann@mail.contoso.com".into())
    );
    let by_name: IncidentOwner = from_value(json!({"assignedTo": "Ann"})).expect("an owner");
    assert_eq!(
        owner_to_xdr(&Field::Value(by_name)),
        Field::Value("Ann".into())
    );
}

#[test]
fn tags_become_user_labels() {
    let labels = labels_to_siem(&["vip".into(), "ransomware".into()]);
    assert_eq!(labels.len(), 2);
    assert!(
        labels
            .iter()
            .all(|l| l.label_type == Field::Value(IncidentLabelType::User))
    );
    assert_eq!(labels_to_xdr(&labels), ["vip", "ransomware"]);

    let xdr =
        incident(json!({"id": "1", "customTags": ["vip"], "systemTags": ["Defender Experts"]}));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    let names: Vec<&str> = props
        .labels
        .get()
        .expect("labels")
        .iter()
        .map(|l| l.label_name.as_str())
        .collect();
    assert_eq!(names, ["vip"], "systemTags are not sent");
}

#[test]
fn auto_assigned_labels_stay_in_siem() {
    let labels: Vec<IncidentLabel> = from_value(json!([
        {"labelName": "vip", "labelType": "User"},
        {"labelName": "Sentinel rule", "labelType": "AutoAssigned"},
        {"labelName": "untyped"}
    ]))
    .expect("labels");
    assert_eq!(labels_to_xdr(&labels), ["vip", "untyped"]);
}

#[test]
fn comment_to_siem_carries_text_author_and_time() {
    let xdr: AlertComment = from_value(json!({
        "comment": "isolated the host", "createdByDisplayName": "ann@contoso.com",
        "createdDateTime": "2024-05-01T10:00:00.1234567Z"
    }))
    .expect("a comment");
    let siem_comment = comment_to_siem(&xdr);
    assert_eq!(text(&siem_comment.message), Some("isolated the host"));
    let author = siem_comment.author.get().expect("author");
    assert_eq!(text(&author.name), Some("ann@contoso.com"));
    assert_eq!(siem_comment.created_time_utc, xdr.created_date_time);
}

#[test]
fn title_and_description() {
    let xdr = incident(json!({"id": "7", "displayName": "Ransomware on pc1", "description": "d"}));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    assert_eq!(text(&props.title), Some("Ransomware on pc1"));
    assert_eq!(text(&props.description), Some("d"));
    let untitled = incident_to_siem(&incident(json!({"id": "7"})), &Provider::tandem());
    assert_eq!(text(&untitled.title), Some("Incident 7"));
}

#[test]
fn provider_fields() {
    let xdr = incident(json!({"id": "29", "incidentWebUrl": "https://xdr/incidents/29"}));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    assert_eq!(text(&props.provider_name), Some("Tandem XDR"));
    assert_eq!(text(&props.provider_incident_id), Some("29"));
    let data = props.additional_data.get().expect("additional data");
    assert_eq!(
        text(&data.provider_incident_url),
        Some("https://xdr/incidents/29")
    );
    let microsoft = incident_to_siem(&xdr, &Provider::microsoft());
    assert_eq!(text(&microsoft.provider_name), Some("Microsoft XDR"));
}

#[test]
fn activity_and_record_times() {
    let xdr = incident(json!({
        "id": "1", "createdDateTime": "2024-01-01T00:00:00Z", "lastUpdateDateTime": "2024-01-03T00:00:00Z",
        "alerts": [
            {"id": "a", "firstActivityDateTime": "2023-12-31T10:00:00Z", "lastActivityDateTime": "2023-12-31T11:00:00Z"},
            {"id": "b", "firstActivityDateTime": "2023-12-31T09:00:00Z", "lastActivityDateTime": "2024-01-02T00:00:00Z"}
        ]
    }));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    let time = |f: &Field<tandem_model::Timestamp>| f.get().map(|t| t.as_str().to_owned());
    assert_eq!(
        time(&props.first_activity_time_utc).as_deref(),
        Some("2023-12-31T09:00:00Z")
    );
    assert_eq!(
        time(&props.last_activity_time_utc).as_deref(),
        Some("2024-01-02T00:00:00Z")
    );
    assert_eq!(
        time(&props.created_time_utc).as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        time(&props.last_modified_time_utc).as_deref(),
        Some("2024-01-03T00:00:00Z")
    );

    let no_alerts = incident(json!({"id": "1", "createdDateTime": "2024-01-01T00:00:00Z"}));
    let props = incident_to_siem(&no_alerts, &Provider::tandem());
    assert_eq!(props.first_activity_time_utc, no_alerts.created_date_time);
}

#[test]
fn additional_data_from_alerts() {
    let xdr = incident(json!({
        "id": "1", "comments": [{"comment": "c"}],
        "alerts": [
            {"id": "a", "serviceSource": "microsoftDefenderForEndpoint", "category": "Execution",
             "mitreTechniques": ["T1059", "T1059.001"]},
            {"id": "b", "serviceSource": "microsoftDefenderForEndpoint", "category": "DefenseEvasion",
             "mitreTechniques": ["T1059"]}
        ]
    }));
    let props = incident_to_siem(&xdr, &Provider::tandem());
    let data = props.additional_data.get().expect("additional data");
    assert_eq!(data.alerts_count, Field::Value(2));
    assert_eq!(data.comments_count, Field::Value(1));
    assert_eq!(
        data.alert_product_names,
        Field::Value(vec!["Microsoft Defender for Endpoint".into()])
    );
    assert_eq!(
        data.tactics,
        Field::Value(vec![AttackTactic::Execution, AttackTactic::DefenseEvasion])
    );
    assert_eq!(
        data.techniques,
        Field::Value(vec!["T1059".into(), "T1059.001".into()])
    );

    let unexpanded = incident_to_siem(&incident(json!({"id": "1"})), &Provider::tandem());
    let data = unexpanded.additional_data.get().expect("additional data");
    assert_eq!(
        data.alerts_count,
        Field::Value(0),
        "without $expand=alerts there are no alerts to count"
    );
}

#[test]
fn every_sample_incident_maps_to_siem() {
    let Some(specs) = specs_dir() else {
        eprintln!("specs folder not found (set TANDEM_SPECS_DIR); sample mapping skipped");
        return;
    };
    let dir = specs.join("samples/graph-incidents");
    let mut mapped = 0;
    for entry in std::fs::read_dir(&dir).expect("samples folder").flatten() {
        let bytes = std::fs::read(entry.path()).expect("readable sample");
        let xdr: Incident = tandem_model::parse_json(&bytes).expect("a Graph incident");
        let props = incident_to_siem(&xdr, &Provider::microsoft());
        assert_eq!(text(&props.provider_incident_id), Some(xdr.id.as_str()));
        mapped += 1;
    }
    assert!(mapped > 0, "no sample incident in {}", dir.display());
}
