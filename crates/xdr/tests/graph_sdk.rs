//! Acceptance: Microsoft's Graph SDK for Python, unmodified, against a running tandem xdr.
//!
//! The server gets a multi-stage attack and a few more incidents through the intake, then
//! `sdk/python/xdr/graph_sdk.py` pages through incidents with alerts expanded, patches one and comments on
//! it and on one of its alerts, checking every answer as the SDK parsed it.

mod common;

use common::Xdr;
use tandem_testkit::run_python;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_graph_sdk_lists_patches_and_comments() {
    let xdr = Xdr::start("").await;
    let now = chrono::Utc::now();
    let mut alerts = tandem_scenario::multi_stage(now);
    alerts.extend(tandem_scenario::load(now, 4, 2));
    let incidents: std::collections::BTreeSet<String> =
        xdr.ingest_ok(alerts).await.into_iter().collect();

    let script = tandem_testkit::sdk_script("python/xdr/graph_sdk.py");
    let pairs = xdr.server.credentials().pairs().to_vec();
    // The script blocks its thread; the server keeps answering on the runtime's others.
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        run_python(&script, &[], &env)
    })
    .await
    .unwrap()
    .expect("run the Graph SDK script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "graph_sdk.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let paged = format!("ok: {} incidents paged", incidents.len());
    assert!(stdout.contains(&paged), "{stdout}");
}
