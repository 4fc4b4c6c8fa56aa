//! Throughput of `tandem xdr`: alert intake (alerts per second, posted in batches of 100 through the
//! intake API) and incident listing (incidents per second with `$expand=alerts`, paging through every
//! incident by `@odata.nextLink`). The server runs in this process on loopback with a real SQLite
//! database in a temp dir; figures are printed, not asserted.
//!
//! `cargo bench -p tandem-xdr --bench throughput`; `TANDEM_BENCH_INCIDENTS` and
//! `TANDEM_BENCH_ALERTS_PER_INCIDENT` change the size (default 10,000 incidents of 2 alerts).

use std::time::Instant;

use serde_json::Value;
use tandem_server::{ServerConfig, ServiceSpec};
use tandem_testkit::InProcessServer;

const BATCH: usize = 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let incidents = setting("TANDEM_BENCH_INCIDENTS", 10_000);
    let per_incident = setting("TANDEM_BENCH_ALERTS_PER_INCIDENT", 2);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(incidents, per_incident))
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(incidents: usize, per_incident: usize) -> Result<(), Box<dyn std::error::Error>> {
    let server = InProcessServer::start(ServiceSpec::xdr(), ServerConfig::default(), |prepared| {
        tandem_xdr::routes(prepared).expect("XDR routes")
    })
    .await?;
    let url = server.url().to_owned();
    let client = tandem_scenario::client(&url, server.credentials().pairs())?;

    let alerts = tandem_scenario::load(chrono::Utc::now(), incidents, per_incident);
    let started = Instant::now();
    let posted = tandem_scenario::post_alerts(&client, &url, &alerts, BATCH).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "intake: {} alerts in batches of {BATCH} in {seconds:.2} s = {:.0} alerts/s",
        posted.len(),
        posted.len() as f64 / seconds
    );

    let started = Instant::now();
    let listed: Vec<Value> = client
        .get_all(&format!("{url}/v1.0/security/incidents?$expand=alerts"))
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let expanded: usize = listed
        .iter()
        .map(|i| i["alerts"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "list: {} incidents ({expanded} alerts expanded) in pages of 50 in {seconds:.2} s = {:.0} incidents/s",
        listed.len(),
        listed.len() as f64 / seconds
    );
    server.stop().await?;
    Ok(())
}
