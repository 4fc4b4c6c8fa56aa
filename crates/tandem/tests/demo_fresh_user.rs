//! A new user's first minutes with `tandem demo`, from the built binary: the multi-stage attack reaches
//! the SIEM's incident queue on its own, Ctrl-C stops everything cleanly, and a second run over the
//! same data dir resumes with the same credentials and without copying anything twice.

#![cfg(test)]

#[allow(dead_code)] // each test binary uses part of the shared helpers
mod demo_support;

use std::time::{Duration, Instant};

use demo_support::{Demo, has_title};
use serde_json::{Value, json};

/// The title every multi-stage attack's incident starts with.
const MULTI_STAGE: &str = "Multi-stage incident";
/// How long a fresh demo may take to show the attack in the SIEM (the connector polls every 5 s).
const FIRST_INCIDENT_DEADLINE: Duration = Duration::from_secs(30);
/// The scope of Graph tokens.
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::test(flavor = "multi_thread")]
async fn fresh_demo_shows_the_multi_stage_incident_in_the_siem_queue() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await;
    let incident = demo
        .wait_for_siem_incident(MULTI_STAGE, demo.started + FIRST_INCIDENT_DEADLINE)
        .await;
    assert_eq!(incident["properties"]["status"], "New", "{incident:#}");
    assert!(
        demo.interrupt().success(),
        "Ctrl-C should stop the demo cleanly"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn second_run_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let first = Demo::start(dir.path()).await;
    first
        .wait_for_siem_incident(MULTI_STAGE, first.started + FIRST_INCIDENT_DEADLINE)
        .await;
    let client_id = first.key("TANDEM_CLIENT_ID").to_owned();
    assert!(first.interrupt().success());

    let second = Demo::start(dir.path()).await;
    assert_eq!(second.key("TANDEM_CLIENT_ID"), client_id, "same apps");
    let xdr_incident = only_multi_stage_xdr_incident(&second).await;
    // A change made in the XDR after the restart proves the connector has run over its old state.
    patch_xdr_incident(&second, &xdr_incident, json!({"status": "inProgress"})).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let incidents = second.siem_incidents().await;
        let twins: Vec<&Value> = incidents
            .iter()
            .filter(|i| has_title(i, MULTI_STAGE))
            .collect();
        assert_eq!(
            twins.len(),
            1,
            "one SIEM incident per XDR incident: {twins:#?}"
        );
        if twins[0]["properties"]["status"] == "Active" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the XDR change never reached the SIEM"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(second.interrupt().success());
}

/// The id of the one multi-stage incident in the XDR (a restart does not post the attack again).
async fn only_multi_stage_xdr_incident(demo: &Demo) -> String {
    let (xdr, token) = xdr_token(demo).await;
    let list: Value = tandem_testkit::send_json(
        reqwest::Client::new()
            .get(format!("{xdr}/v1.0/security/incidents"))
            .bearer_auth(token),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["displayName"]
                .as_str()
                .is_some_and(|t| t.starts_with(MULTI_STAGE))
        })
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "multi-stage XDR incidents after a restart: {ids:?}"
    );
    ids[0].to_owned()
}

async fn patch_xdr_incident(demo: &Demo, id: &str, body: Value) {
    let (xdr, token) = xdr_token(demo).await;
    let response = reqwest::Client::new()
        .patch(format!("{xdr}/v1.0/security/incidents/{id}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "PATCH: {}",
        response.status()
    );
}

async fn xdr_token(demo: &Demo) -> (String, String) {
    let xdr = demo.key("TANDEM_XDR_URL").to_owned();
    let token = demo
        .credentials()
        .writer_token(&xdr, GRAPH_SCOPE)
        .await
        .unwrap();
    (xdr, token)
}
