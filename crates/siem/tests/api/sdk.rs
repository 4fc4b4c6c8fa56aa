//! Microsoft's Python SDKs, unmodified, against a real `tandem siem`: the scripts in `sdk/python/siem/` run
//! in the workspace venv with the server's `credentials.env` in their environment.

use tandem_server::ServerConfig;
use tandem_testkit::{InProcessServer, run_python, sdk_script};

async fn run_script(script: &str) {
    let server = InProcessServer::start(
        tandem_siem::service_spec(),
        ServerConfig::default(),
        |prepared| tandem_siem::routes(prepared).unwrap(),
    )
    .await
    .unwrap();
    let pairs = server.credentials().pairs().to_vec();
    let path = sdk_script(&format!("python/siem/{script}"));
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        run_python(&path, &[], &env).unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains(": ok"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_ingestion_and_query_sdks_round_trip_rows() {
    run_script("ingest_and_query.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_insights_sdk_manages_incidents_and_comments() {
    run_script("incidents.py").await;
}
