//! A poison item: an XDR incident without `lastUpdateDateTime` (no real Graph service sends one, so a
//! small stand-in of the wire API on 127.0.0.1 serves it) is quarantined with an error naming the
//! member, the cycle still succeeds, and the status report lists the item; a later poll counts another
//! attempt.

#![cfg(test)]

use axum::Json;
use axum::Router;
use axum::routing::{get, post};
use serde_json::json;
use tandem_model::Timestamp;
use tandem_sync::config::{ServerCredentials, SyncConfig, render_config};
use tandem_sync::engine::{Connector, status};
use tandem_sync::reconcile::Side;
use tandem_sync::store::{SqliteStore, SyncStore};

const WORKSPACE: &str = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws/providers/Microsoft.SecurityInsights/incidents";

/// Serves a token endpoint, one poison XDR incident and an empty SIEM.
async fn stand_in() -> String {
    let router = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|| async {
                Json(json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}))
            }),
        )
        .route(
            "/v1.0/security/incidents",
            get(|| async {
                Json(json!({"value": [
                    {"id": "7", "status": "active", "displayName": "no change time"},
                ]}))
            }),
        )
        .route(WORKSPACE, get(|| async { Json(json!({"value": []})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

fn config(url: &str) -> SyncConfig {
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let xdr = pairs(&[
        ("TANDEM_TENANT_ID", "tenant-x"),
        ("TANDEM_XDR_URL", url),
        ("TANDEM_CLIENT_ID", "app"),
        ("TANDEM_CLIENT_SECRET", "secret"),
    ]);
    let siem = pairs(&[
        ("TANDEM_TENANT_ID", "tenant-s"),
        ("TANDEM_SIEM_URL", url),
        ("TANDEM_CLIENT_ID", "app"),
        ("TANDEM_CLIENT_SECRET", "secret"),
        ("TANDEM_SUBSCRIPTION_ID", "sub-1"),
        ("TANDEM_RESOURCE_GROUP", "rg"),
        ("TANDEM_WORKSPACE_NAME", "ws"),
        ("TANDEM_DCR_IMMUTABLE_ID", "dcr-1"),
    ]);
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .unwrap();
    SyncConfig::parse(&text).unwrap()
}

#[tokio::test]
async fn a_poison_incident_is_quarantined_and_the_cycle_goes_on() {
    let url = stand_in().await;
    let dir = std::env::temp_dir().join(format!(
        "tandem-sync-quarantine-{}-{}",
        std::process::id(),
        Timestamp::now().as_str().replace([':', '.'], "")
    ));
    let connector = Connector::new(&config(&url), SqliteStore::open(&dir).unwrap()).unwrap();
    let report = connector.run_once().await.expect("the cycle succeeds");
    assert_eq!(report.xdr.items, 1);
    assert_eq!(report.xdr.quarantined, 1);
    assert_eq!(report.xdr.deferred, 0);
    let store = SqliteStore::open(&dir).unwrap();
    let quarantined = store.quarantined().await.unwrap();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].side, Side::Xdr);
    assert_eq!(quarantined[0].item, "7");
    assert!(
        quarantined[0].error.contains("lastUpdateDateTime"),
        "{}",
        quarantined[0].error
    );
    let status = status::read(&store).await.unwrap();
    assert_eq!(status.quarantined[0].item, "xdr incident 7");
    assert!(
        connector
            .render_metrics()
            .contains("tandem_sync_quarantined_total 1")
    );
    let again = connector.run_once().await.expect("the next cycle");
    assert_eq!(
        store.quarantined().await.unwrap()[0].attempts,
        2,
        "{again:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}
