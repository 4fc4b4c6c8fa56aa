//! The sync health page.

use reqwest::StatusCode;

use crate::backend::{MemoryBackend, RESPONDER, sample_health as health, seeded};
use crate::{Served, count_testid, inline_svg};

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

#[tokio::test]
async fn an_unreachable_connector_is_named_with_the_reason() {
    let unreachable = tandem_console::SyncHealth {
        unreachable: Some("http://127.0.0.1:9/status: connection refused".into()),
        ..Default::default()
    };
    let served = Served::start(MemoryBackend::new(seeded(3)).with_sync_health(unreachable)).await;
    let cookie = served.sign_in(&RESPONDER).await;
    let html = served.page(&cookie, "/sync").await;
    assert_eq!(count_testid(&html, "sync-unreachable"), 1);
    assert!(html.contains("connection refused"));
    assert_eq!(count_testid(&html, "sync-direction"), 0);

    let reachable = served_page_of(health()).await;
    assert_eq!(count_testid(&reachable, "sync-unreachable"), 0);
}

async fn served_page_of(health: tandem_console::SyncHealth) -> String {
    let served = Served::start(MemoryBackend::new(seeded(3)).with_sync_health(health)).await;
    let cookie = served.sign_in(&RESPONDER).await;
    served.page(&cookie, "/sync").await
}
