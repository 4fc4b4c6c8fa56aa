//! The cost of one idle connector poll of the Sentinel incidents list, by store size: the list
//! `GET …/incidents` with a `$filter` on `properties/lastModifiedTimeUtc` that matches nothing, as the
//! connector sends it when nothing changed, against an in-process SIEM holding 1,000 and 20,000
//! incidents. An idle poll should cost the same at both sizes. Prints figures; asserts nothing about
//! speed.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark, like a test, stops at its first failure"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_model::sentinel::Incident;
use tandem_server::ServerConfig;
use tandem_siem::incidents::{Actor, Incidents};
use tandem_siem::service::DATABASE_FILE;
use tandem_siem::store::Store;
use tandem_siem::workspace::{SiemConfig, Workspace};
use tandem_testkit::{ClientApp, InProcessServer, fetch_token};

const SIZES: [usize; 2] = [1_000, 20_000];
const POLLS: usize = 50;
/// A watermark after every stored change, so the filter matches nothing.
const IDLE_SINCE: &str = "2200-01-01T00:00:00.000Z";

/// The idle polls timed: the benchmark's own watermark walk, the connector's as `tandem sync` sends it
/// (`ge`, its page size, oldest change first), and the same without `$orderby` (newest incident first),
/// as a client that leaves the order to the server polls.
const POLLS_TIMED: [(&str, &str); 3] = [
    (
        "watermark walk",
        "$filter=properties/lastModifiedTimeUtc gt {since}&$orderby=properties/lastModifiedTimeUtc asc&$top=1000",
    ),
    (
        "connector poll",
        "$top=50&$orderby=properties/lastModifiedTimeUtc asc&$filter=properties/lastModifiedTimeUtc ge {since}",
    ),
    (
        "poll in the default order",
        "$top=50&$filter=properties/lastModifiedTimeUtc ge {since}",
    ),
];

/// Writes `count` incidents straight into the store under `dir`, as the API would.
fn fill(dir: &Path, count: usize) {
    let store = Store::open(&dir.join(DATABASE_FILE)).unwrap();
    // Each put is its own transaction; without waiting for the disk on each, filling takes seconds.
    store
        .read_incidents(|c| Ok(c.pragma_update(None, "synchronous", "OFF")?))
        .unwrap();
    let workspace = Workspace::new("tenant", SiemConfig::default());
    let api = Incidents::new(&store, &workspace, "http://127.0.0.1:1");
    let actor = Actor {
        app_id: "app".into(),
        name: "Bench".into(),
    };
    let severities = ["High", "Medium", "Low", "Informational"];
    for i in 0..count {
        let properties = json!({
            "title": format!("Incident {i}"),
            "severity": severities[i % 4],
            "status": "New",
            "description": "d".repeat(400),
        });
        let body: Incident = serde_json::from_value(json!({ "properties": properties })).unwrap();
        api.put(&format!("inc-{i:06}"), body, None, &actor).unwrap();
    }
}

async fn token(server: &InProcessServer) -> String {
    let c = server.credentials();
    let app = ClientApp {
        tenant_id: c.tenant_id().unwrap(),
        client_id: c.get("TANDEM_CLIENT_ID").unwrap(),
        client_secret: c.get("TANDEM_CLIENT_SECRET").unwrap(),
    };
    fetch_token(server.url(), &app, "https://management.azure.com/.default")
        .await
        .unwrap()
}

/// The median and worst of `POLLS` GETs of `url`, each answering an empty page.
async fn time_polls(http: &reqwest::Client, token: &str, url: &str) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(POLLS);
    for _ in 0..POLLS {
        let started = Instant::now();
        let response = http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "the poll failed");
        let page: serde_json::Value = response.json().await.unwrap();
        times.push(started.elapsed());
        assert_eq!(page["value"], json!([]), "an idle poll finds nothing");
    }
    times.sort();
    (times[POLLS / 2], times[POLLS - 1])
}

#[tokio::main]
async fn main() {
    let http = reqwest::Client::new();
    for size in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        fill(dir.path(), size);
        println!("stored {size} incidents in {:.1?}", started.elapsed());
        let server = InProcessServer::start_in(
            dir.path(),
            tandem_siem::service_spec(),
            ServerConfig::default(),
            |prepared| tandem_siem::routes(prepared).unwrap(),
        )
        .await
        .unwrap();
        let c = server.credentials();
        let list = format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents?api-version=2024-09-01",
            server.url(),
            c.get("TANDEM_SUBSCRIPTION_ID").unwrap(),
            c.get("TANDEM_RESOURCE_GROUP").unwrap(),
            c.get("TANDEM_WORKSPACE_NAME").unwrap()
        );
        let token = token(&server).await;
        for (label, options) in POLLS_TIMED {
            let url = format!("{list}&{}", options.replace("{since}", IDLE_SINCE));
            let (median, worst) = time_polls(&http, &token, &url).await;
            println!(
                "idle {label} over {size} incidents: median {median:.2?}, worst {worst:.2?} ({POLLS} GETs)"
            );
        }
        server.stop().await.unwrap();
    }
}
