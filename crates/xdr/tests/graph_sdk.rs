//! Acceptance: Microsoft's Graph SDK for Python, unmodified, against a running tandem xdr.
//!
//! The server gets a multi-stage attack and a few more incidents through the intake, then
//! `sdk/python/xdr/graph_sdk.py` pages through incidents with alerts expanded, patches one and comments on
//! it and on one of its alerts, checking every answer as the SDK parsed it. A second script,
//! `sdk/python/xdr/graph_queries.py`, uses `$select`, `$expand=alerts($select=...)`, the
//! `incidents.by_incident_id(id).alerts` navigation and the SDK's `$batch` request builder.

mod common;

use common::Xdr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_graph_sdk_lists_patches_and_comments() {
    let xdr = Xdr::start("").await;
    let now = chrono::Utc::now();
    let mut alerts = tandem_scenario::multi_stage(now);
    alerts.extend(tandem_scenario::load(now, 4, 2));
    let incidents: std::collections::BTreeSet<String> =
        xdr.ingest_ok(alerts).await.into_iter().collect();

    let stdout = xdr.run_sdk_script("python/xdr/graph_sdk.py").await;
    let paged = format!("ok: {} incidents paged", incidents.len());
    assert!(stdout.contains(&paged), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_graph_sdk_selects_expands_navigates_and_batches() {
    let xdr = Xdr::start("").await;
    let incidents: std::collections::BTreeSet<String> = xdr
        .ingest_ok(tandem_scenario::multi_stage(chrono::Utc::now()))
        .await
        .into_iter()
        .collect();
    let incident = incidents.first().expect("an incident").clone();
    let stdout = xdr.run_sdk_script("python/xdr/graph_queries.py").await;
    assert!(
        stdout.contains(&format!(
            "ok: $select, $expand, navigation and $batch on incident {incident}"
        )),
        "{stdout}"
    );
    let stored = xdr
        .get(&format!("/v1.0/security/incidents/{incident}"))
        .await;
    assert_eq!(stored["assignedTo"], "batch@contoso.com");
}
