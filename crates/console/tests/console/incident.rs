//! The incident page: sections, timeline, actions and escaping.

use reqwest::StatusCode;
use tandem_console::{EntityKind, incident_path};

use crate::backend::{CLOSED, MULTI_STAGE, MemoryBackend, RESPONDER, multi_stage, seeded};
use crate::{Served, attribute_values, count_testid, inline_svg, location};

async fn served() -> (Served, String) {
    let served = Served::start(MemoryBackend::new(seeded(20))).await;
    let cookie = served.sign_in(&RESPONDER).await;
    (served, cookie)
}

#[tokio::test]
async fn the_multi_stage_incident_is_found_from_the_queue() {
    let (served, cookie) = served().await;
    let queue = served.page(&cookie, "/?q=multi-stage").await;
    assert_eq!(attribute_values(&queue, "data-incident-id"), [MULTI_STAGE]);
    assert!(attribute_values(&queue, "href").contains(&incident_path(MULTI_STAGE)));
}

#[tokio::test]
async fn the_page_shows_header_alerts_entities_comments_and_twin() {
    let (served, cookie) = served().await;
    let html = served.page(&cookie, &incident_path(MULTI_STAGE)).await;
    let stored = served.backend.stored(MULTI_STAGE);

    assert!(html.contains(
        "Multi-stage incident involving Initial access &amp; Ransomware on one endpoint"
    ));
    assert!(html.contains(r#"data-testid="incident-status"><span class="status" data-testid="status" data-status="inProgress">In progress</span>"#));
    assert!(html.contains("alice@contoso.com"));
    assert!(
        html.contains("<dt>Determination</dt>"),
        "the default word for the finer verdict"
    );
    let twin = stored.twin.as_ref().unwrap();
    assert!(html.contains(&format!(
        r#"<a href="{}" data-testid="twin-link""#,
        twin.url
    )));

    assert_eq!(count_testid(&html, "alert-row"), stored.alerts.len());
    for alert in &stored.alerts {
        assert!(html.contains(&alert.title), "{}", alert.title);
        assert!(html.contains(&alert.product));
        for technique in &alert.mitre_techniques {
            assert!(html.contains(&format!(r#"<span class="technique">{technique}</span>"#)));
        }
    }

    assert_eq!(count_testid(&html, "entity"), stored.entities.len());
    let kinds = attribute_values(&html, "data-kind");
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|k| stored.entities.iter().any(|e| e.kind == *k))
    {
        assert!(
            kinds.contains(&kind.as_str().to_owned()),
            "group for {kind:?}"
        );
    }
    assert_eq!(count_testid(&html, "comment"), stored.comments.len());
    assert_eq!(count_testid(&html, "history-row"), stored.history.len());
}

#[tokio::test]
async fn the_timeline_is_well_formed_svg_with_one_mark_per_event() {
    let (served, cookie) = served().await;
    let html = served.page(&cookie, &incident_path(MULTI_STAGE)).await;
    let stored = served.backend.stored(MULTI_STAGE);
    let svg = inline_svg(&html, "timeline");
    let document = roxmltree::Document::parse(svg).expect("timeline is well-formed XML");
    let marks: Vec<_> = document
        .descendants()
        .filter(|n| n.attribute("data-testid") == Some("timeline-mark"))
        .collect();
    assert_eq!(marks.len(), stored.alerts.len() + stored.history.len());
    let alerts = marks
        .iter()
        .filter(|m| m.attribute("data-kind") == Some("alert"))
        .count();
    assert_eq!(alerts, stored.alerts.len());
    assert!(
        marks
            .iter()
            .all(|m| m.children().any(|c| c.has_tag_name("title"))),
        "every mark has a tooltip"
    );
}

#[tokio::test]
async fn closing_with_classification_and_comment_updates_the_incident() {
    let (served, cookie) = served().await;
    let path = incident_path(MULTI_STAGE);
    let form = [
        ("classification", "truePositive"),
        ("determination", "multiStagedAttack"),
        ("comment", "Contained: device isolated, password reset."),
    ];
    let response = served
        .post(Some(&cookie), &format!("{path}/close"), &form)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);

    let stored = served.backend.stored(MULTI_STAGE);
    assert_eq!(stored.summary.status, CLOSED);
    assert_eq!(
        stored.summary.classification.as_deref(),
        Some("truePositive")
    );
    let html = served.page(&cookie, &path).await;
    assert!(html.contains(">Resolved</span>"));
    assert!(html.contains("True positive") && html.contains("Multi-staged attack"));
    assert!(html.contains("Contained: device isolated, password reset."));
    assert_eq!(
        count_testid(&html, "comment"),
        multi_stage().comments.len() + 1
    );
}

#[tokio::test]
async fn assign_tag_untag_and_comment_reach_the_backend() {
    let (served, cookie) = served().await;
    let path = incident_path("3");
    served
        .post_actions(
            &cookie,
            &path,
            &[
                ("assign", "owner", "carol@contoso.com"),
                ("tag", "tag", "needs-review"),
                ("comment", "text", "Looking into it."),
                ("status", "status", "inProgress"),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;
    let stored = served.backend.stored("3");
    assert_eq!(stored.summary.owner.as_deref(), Some("carol@contoso.com"));
    assert_eq!(stored.summary.tags, ["needs-review"]);
    assert_eq!(stored.summary.status, "inProgress");
    assert_eq!(stored.comments[0].text, "Looking into it.");

    let response = served
        .post(
            Some(&cookie),
            &format!("{path}/untag"),
            &[("tag", "needs-review")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(served.backend.stored("3").summary.tags.is_empty());
}

#[tokio::test]
async fn values_outside_the_vocabulary_are_refused_by_name() {
    let (served, cookie) = served().await;
    let path = format!("{}/close", incident_path(MULTI_STAGE));
    let response = served
        .post(
            Some(&cookie),
            &path,
            &[("classification", "probably"), ("determination", "other")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("classification") && html.contains("probably"),
        "{html}"
    );
    assert_eq!(
        served.backend.stored(MULTI_STAGE).summary.status,
        "inProgress"
    );
}

#[tokio::test]
async fn an_unknown_incident_is_a_404_page() {
    let (served, cookie) = served().await;
    let response = served
        .get(Some(&cookie), &incident_path("no-such-incident"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("no-such-incident"));
}

#[tokio::test]
async fn hostile_text_is_escaped_everywhere() {
    const HOSTILE: &str =
        r#"<script>alert("pwned")</script><img src=x onerror=alert(1)> & 'quotes'"#;
    let mut incident = multi_stage();
    incident.summary.title = HOSTILE.into();
    incident.summary.tags = vec![HOSTILE.into()];
    incident.alerts[0].title = HOSTILE.into();
    incident.entities[0].name = HOSTILE.into();
    incident.comments[0].text = HOSTILE.into();
    incident.history[0].description = HOSTILE.into();
    let served = Served::start(MemoryBackend::new(vec![incident])).await;
    let cookie = served.sign_in(&RESPONDER).await;

    for path in ["/".to_owned(), incident_path(MULTI_STAGE)] {
        let html = served.page(&cookie, &path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(html.contains("&lt;script&gt;alert("), "{path}");
    }
    let html = served.page(&cookie, &incident_path(MULTI_STAGE)).await;
    roxmltree::Document::parse(inline_svg(&html, "timeline"))
        .expect("hostile labels keep the SVG well-formed");
}

#[tokio::test]
async fn ids_with_reserved_characters_round_trip_through_urls() {
    const ODD: &str = "tenant/42 #7?x";
    let mut incident = multi_stage();
    incident.summary.id = ODD.into();
    let served = Served::start(MemoryBackend::new(vec![incident])).await;
    let cookie = served.sign_in(&RESPONDER).await;
    let path = incident_path(ODD);
    assert!(
        !path["/incidents/".len()..].contains(['/', ' ', '#', '?']),
        "{path}"
    );

    let queue = served.page(&cookie, "/").await;
    assert!(attribute_values(&queue, "href").contains(&path));
    served.page(&cookie, &path).await;
    let response = served
        .post(Some(&cookie), &format!("{path}/tag"), &[("tag", "odd")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);
    assert_eq!(served.backend.stored(ODD).summary.tags, ["finance", "odd"]);
}
