//! Throughput of the SIEM on loopback: Logs Ingestion rows per second (1 KB rows, batches of 500),
//! incident PUTs per second, and the console's queue page over a few thousand incidents, against the
//! in-process server. Prints figures; asserts nothing about speed.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark, like a test, stops at its first failure"
)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tandem_server::ServerConfig;
use tandem_testkit::{ClientApp, InProcessServer, fetch_token};

const BATCHES: usize = 40;
const BATCH_ROWS: usize = 500;
const INCIDENT_PUTS: usize = 500;
const QUEUE_INCIDENTS: usize = 2_000;
const QUEUE_GETS: usize = 20;

fn row(i: usize) -> Value {
    // About 1 KB once serialised.
    json!({"Computer": format!("host-{:05}", i % 1000), "Level": i % 7, "EventId": i, "Message": "m".repeat(940)})
}

async fn token(server: &InProcessServer, scope: &str) -> String {
    let c = server.credentials();
    let app = ClientApp {
        tenant_id: c.tenant_id().unwrap(),
        client_id: c.get("TANDEM_CLIENT_ID").unwrap(),
        client_secret: c.get("TANDEM_CLIENT_SECRET").unwrap(),
    };
    fetch_token(server.url(), &app, scope).await.unwrap()
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// PUTs one incident with the ARM token; the benchmark stops if the SIEM refuses it.
async fn put_incident(http: &reqwest::Client, token: &str, url: String, body: &Value) {
    let response = http
        .put(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "incident PUT failed");
}

#[tokio::main]
async fn main() {
    let server = InProcessServer::start(
        tandem_siem::service_spec(),
        ServerConfig::default(),
        |prepared| tandem_siem::routes(prepared).unwrap(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let c = server.credentials();
    let ingest_url = format!(
        "{}/dataCollectionRules/{}/streams/Custom-Bench_CL?api-version=2023-01-01",
        server.url(),
        c.get("TANDEM_DCR_IMMUTABLE_ID").unwrap()
    );
    let monitor = token(&server, "https://monitor.azure.com/.default").await;
    let batch: Value = Value::Array((0..BATCH_ROWS).map(row).collect());
    let body = serde_json::to_vec(&batch).unwrap();
    let started = Instant::now();
    for _ in 0..BATCHES {
        let response = http
            .post(&ingest_url)
            .bearer_auth(&monitor)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "ingestion failed");
    }
    let elapsed = started.elapsed();
    println!(
        "ingestion: {} rows of ~{} bytes in {:.2?} -> {:.0} rows/s ({:.1} MB/s)",
        BATCHES * BATCH_ROWS,
        body.len() / BATCH_ROWS,
        elapsed,
        rate(BATCHES * BATCH_ROWS, elapsed),
        (BATCHES * body.len()) as f64 / elapsed.as_secs_f64() / 1e6
    );

    let arm = token(&server, "https://management.azure.com/.default").await;
    let prefix = format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents",
        server.url(),
        c.get("TANDEM_SUBSCRIPTION_ID").unwrap(),
        c.get("TANDEM_RESOURCE_GROUP").unwrap(),
        c.get("TANDEM_WORKSPACE_NAME").unwrap()
    );
    let started = Instant::now();
    for i in 0..INCIDENT_PUTS {
        let body = json!({"properties": {"title": format!("bench {i}"), "severity": "Medium", "status": "New"}});
        let url = format!("{prefix}/bench-{}?api-version=2024-09-01", i % 100);
        put_incident(&http, &arm, url, &body).await;
    }
    let elapsed = started.elapsed();
    println!(
        "incident PUTs: {INCIDENT_PUTS} in {elapsed:.2?} -> {:.0} PUTs/s (100 incidents, each PUT appends a SecurityIncident row)",
        rate(INCIDENT_PUTS, elapsed)
    );
    let started = Instant::now();
    for i in 0..QUEUE_INCIDENTS {
        let severity = ["High", "Medium", "Low", "Informational"][i % 4];
        let body = json!({"properties": {"title": format!("queue {i}"), "severity": severity, "status": "New"}});
        let url = format!("{prefix}/queue-{i}?api-version=2024-09-01");
        put_incident(&http, &arm, url, &body).await;
    }
    println!(
        "created {QUEUE_INCIDENTS} incidents for the console in {:.2?}",
        started.elapsed()
    );
    queue_pages(&server, c).await;
    server.stop().await.unwrap();
}

/// Times the console's queue page (counts, filter, sort and one page of 25) over every incident.
async fn queue_pages(server: &InProcessServer, c: &tandem_testkit::Credentials) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = browser
        .post(format!("{}/sign-in", server.url()))
        .form(&[
            ("client_id", c.get("TANDEM_CLIENT_ID").unwrap()),
            ("client_secret", c.get("TANDEM_CLIENT_SECRET").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let cookie = signed.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    for path in ["/", "/?q=queue+19&sort=severity&severity=high"] {
        let mut times = Vec::with_capacity(QUEUE_GETS);
        for _ in 0..QUEUE_GETS {
            let started = Instant::now();
            let response = browser
                .get(format!("{}{path}", server.url()))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "queue page failed");
            response.bytes().await.unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "console queue {path:?} over {} incidents: median {:.1?}, worst {:.1?} ({QUEUE_GETS} GETs)",
            QUEUE_INCIDENTS + 100,
            times[QUEUE_GETS / 2],
            times[QUEUE_GETS - 1]
        );
    }
}
