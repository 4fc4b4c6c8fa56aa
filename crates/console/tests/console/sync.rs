//! The sync health page.

use chrono::Duration;
use reqwest::StatusCode;
use tandem_console::{ConflictView, DirectionHealth, LagSample, QuarantineView, SyncHealth};

use crate::backend::{MemoryBackend, RESPONDER, epoch, seeded};
use crate::{Served, count_testid, inline_svg};

fn health() -> SyncHealth {
    let directions = ["XDR → SIEM", "SIEM → XDR"];
    SyncHealth {
        directions: directions
            .iter()
            .enumerate()
            .map(|(i, name)| DirectionHealth {
                name: (*name).into(),
                lag_seconds: Some(12.0 * (i + 1) as f64),
                last_poll: Some(epoch()),
                last_success: Some(epoch()),
                pending_writes: i,
                last_error: (i == 1).then(|| "429 Too Many Requests".into()),
            })
            .collect(),
        conflicts: vec![ConflictView {
            at: epoch(),
            incident_id: "7".into(),
            field: "status".into(),
            winner: "XDR".into(),
            losing_value: "Closed".into(),
        }],
        quarantined: vec![QuarantineView {
            at: epoch(),
            item: "incident 9".into(),
            reason: "<b>bad</b> payload".into(),
        }],
        lag_history: (0..20)
            .flat_map(|m| {
                directions.iter().map(move |d| LagSample {
                    at: epoch() + Duration::minutes(19 - m),
                    direction: (*d).into(),
                    lag_seconds: (m * 3) as f64,
                })
            })
            .collect(),
    }
}

#[tokio::test]
async fn the_sync_page_shows_directions_conflicts_quarantine_and_a_lag_chart() {
    let served = Served::start(MemoryBackend::new(seeded(3)).with_sync_health(health())).await;
    let cookie = served.sign_in(&RESPONDER).await;
    let html = served.page(&cookie, "/sync").await;
    let health = health();
    assert_eq!(
        count_testid(&html, "sync-direction"),
        health.directions.len()
    );
    assert_eq!(count_testid(&html, "sync-error"), 1);
    assert_eq!(count_testid(&html, "conflict-row"), health.conflicts.len());
    assert_eq!(
        count_testid(&html, "quarantine-row"),
        health.quarantined.len()
    );
    assert!(html.contains("&lt;b&gt;bad&lt;/b&gt; payload"));
    assert!(html.contains(r#"data-testid="nav-sync""#));

    let svg = roxmltree::Document::parse(inline_svg(&html, "lag-chart"))
        .expect("lag chart is well-formed XML");
    let series: Vec<_> = svg
        .descendants()
        .filter(|n| n.attribute("data-testid") == Some("lag-series"))
        .collect();
    assert_eq!(series.len(), health.directions.len());
    for line in &series {
        let polyline = line
            .children()
            .find(|c| c.has_tag_name("polyline"))
            .unwrap();
        let xs: Vec<f64> = polyline
            .attribute("points")
            .unwrap()
            .split(' ')
            .map(|p| p.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(xs.len(), 20);
        assert!(
            xs.windows(2).all(|w| w[0] <= w[1]),
            "points run forward in time: {xs:?}"
        );
    }
}

#[tokio::test]
async fn a_console_without_sync_health_says_so() {
    let served = Served::start(MemoryBackend::new(seeded(3))).await;
    let cookie = served.sign_in(&RESPONDER).await;
    let queue = served.page(&cookie, "/").await;
    assert!(!queue.contains(r#"data-testid="nav-sync""#));
    let response = served.get(Some(&cookie), "/sync").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count_testid(&response.text().await.unwrap(), "sync-unavailable"),
        1
    );
}
