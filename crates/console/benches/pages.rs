//! Figures for the console over a store of 10,000 incidents: how long the queue's first page, a filtered and
//! searched page, the last page and the incident page take to answer over loopback HTTP, and how large they are.
//!
//! Run with `cargo bench -p tandem-console` (or `--profile dev` for a quick look). The backend is the in-memory
//! one of the tests, so the figures are the console's own cost: routing, session check, rendering.

use std::time::{Duration, Instant};

use tandem_console::testing::backend::{MULTI_STAGE, RESPONDER, seeded};
use tandem_console::testing::{MemoryBackend, Served};

const INCIDENTS: usize = 10_000;
const ROUNDS: usize = 200;

#[tokio::main]
async fn main() {
    let served = Served::start(MemoryBackend::new(seeded(INCIDENTS))).await;
    let cookie = served.sign_in(&RESPONDER).await;
    let incident = tandem_console::incident_path(MULTI_STAGE);
    let scenarios = [
        ("queue, first page of 25", "/"),
        (
            "queue, filtered + searched, 100 a page",
            "/?status=active&severity=high&q=sign-in&size=100",
        ),
        (
            "queue, last page, sorted by severity",
            "/?sort=severity&offset=9975",
        ),
        ("incident page", incident.as_str()),
    ];
    println!("{INCIDENTS} incidents in the store, {ROUNDS} sequential requests per page");
    println!(
        "{:<42} {:>9} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p95 ms", "max ms", "KiB"
    );
    for (name, path) in scenarios {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            bytes = served.page(&cookie, path).await.len();
            times.push(start.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<42} {:>9.2} {:>9.2} {:>9.2} {:>9.1}",
            ms(times[ROUNDS / 2]),
            ms(times[ROUNDS * 95 / 100]),
            ms(times[ROUNDS - 1]),
            bytes as f64 / 1024.0
        );
    }
}
