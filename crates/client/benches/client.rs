//! What the client costs per request against a local server: sequential and concurrent GETs, paging
//! through a large collection, and gzip on a Logs Ingestion sized batch. Prints figures; asserts nothing.
//!
//! Run with `cargo bench -p tandem-client`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark, like a test, stops at its first failure"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use common::{ScriptedApi, TokenEndpoint, config, start};
use serde_json::{Value, json};
use tandem_client::{ApiClient, ApiRequest};

const SEQUENTIAL: usize = 2_000;
const TASKS: usize = 16;
const PER_TASK: usize = 250;
const ITEMS: usize = 20_000;
const PAGE: usize = 200;

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

async fn sequential_gets(client: &ApiClient, url: &str) {
    let started = Instant::now();
    for _ in 0..SEQUENTIAL {
        client.get_json::<Value>(url).await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "sequential GET: {SEQUENTIAL} requests in {elapsed:.2?} = {:.0}/s ({:.0} µs each)",
        rate(SEQUENTIAL, elapsed),
        elapsed.as_micros() as f64 / SEQUENTIAL as f64
    );
}

async fn concurrent_gets(client: &ApiClient, url: &str) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    client.get_json::<Value>(&url).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let total = TASKS * PER_TASK;
    println!(
        "concurrent GET: {TASKS} tasks x {PER_TASK} = {total} requests in {elapsed:.2?} = {:.0}/s",
        rate(total, elapsed)
    );
}

async fn paging(client: &ApiClient, base: &str) {
    let started = Instant::now();
    let items: Vec<Value> = client.get_all(&format!("{base}/items")).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(items.len(), ITEMS);
    println!(
        "paging: {ITEMS} items in pages of {PAGE} in {elapsed:.2?} = {:.0} items/s",
        rate(ITEMS, elapsed)
    );
}

async fn gzip_batch(client: &ApiClient, base: &str, api: &ScriptedApi) {
    let rows: Vec<Value> = (0..2_500)
        .map(|i| {
            json!({
                "TimeGenerated": "2026-11-24T06:00:00.0000000Z",
                "AlertName": "Suspicious PowerShell command line",
                "AlertSeverity": "Medium",
                "SystemAlertId": format!("da637551227677560813_{i:08}"),
                "CompromisedEntity": format!("ws-{:04}.contoso.com", i % 300),
                "Description": "A PowerShell process ran an encoded command typical of attack tools.",
                "ProviderName": "MDATP",
                "Tactics": "Execution, DefenseEvasion",
            })
        })
        .collect();
    let raw = serde_json::to_vec(&rows).unwrap().len();
    let request = ApiRequest::post(format!("{base}/streams/Custom-SecurityAlert"))
        .json(&rows)
        .unwrap()
        .gzip()
        .retry_safe();
    let started = Instant::now();
    client.send(request).await.unwrap();
    let elapsed = started.elapsed();
    let sent = api.seen().last().unwrap().body.len();
    println!(
        "gzip batch: {} rows, {raw} bytes of JSON sent as {sent} bytes ({:.1}x) in {elapsed:.2?}",
        rows.len(),
        raw as f64 / sent as f64
    );
}

#[tokio::main]
async fn main() {
    let api = ScriptedApi::new(|_, seen| {
        let skip: usize = seen
            .uri
            .query()
            .and_then(|q| q.strip_prefix("skip="))
            .map_or(0, |s| s.parse().unwrap());
        if seen.uri.path() != "/items" {
            return axum::Json(json!({"id": "1", "status": "active"})).into_response();
        }
        let end = (skip + PAGE).min(ITEMS);
        let value: Vec<Value> = (skip..end).map(|i| json!({"id": i})).collect();
        let mut body = json!({"value": value});
        if end < ITEMS {
            body["@odata.nextLink"] = json!(format!("/items?skip={end}"));
        }
        axum::Json(body).into_response()
    });
    let base = start(&TokenEndpoint::new(3600), &api).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    let url = format!("{base}/v1.0/security/incidents/1");
    client.get_json::<Value>(&url).await.unwrap();

    sequential_gets(&client, &url).await;
    concurrent_gets(&client, &url).await;
    paging(&client, &base).await;
    gzip_batch(&client, &base, &api).await;
    println!("counters: {:?}", client.counters().snapshot());
}
