//! The log store's throughput: appends `DeviceProcessEvents` rows as the Logs Ingestion API delivers
//! them (1 MB JSON bodies, parsed then appended, from two threads) while the store flushes in the
//! background, then flushes the rest and times a DataFusion SQL query over the result.
//!
//! `cargo run --release -p tandem-logstore --example ingest_bench -- [rows] [dir]`
//! (10,000,000 rows by default, in a temporary directory unless `dir` is given).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use serde_json::{Value, json};
use tandem_logstore::files::utc_day;
use tandem_logstore::{LogStore, LogStoreOptions};

/// The largest body the Logs Ingestion API accepts.
const BODY_BYTES: usize = 1024 * 1024;
/// Distinct bodies, cycled through (their times spread over a week).
const BODIES: usize = 64;
/// Threads posting bodies.
const SENDERS: usize = 2;
/// The first day of the generated events (2024-03-01T00:00:00Z), in seconds.
const FIRST_DAY: i64 = 1_709_251_200;
/// The days the events span.
const DAYS: i64 = 7;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(Ok(10_000_000), |a| a.parse())?;
    let temp = tempfile::tempdir()?;
    let dir = args
        .next()
        .map_or_else(|| temp.path().to_owned(), Into::into);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(rows, &dir))
}

async fn run(rows: u64, dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let options = LogStoreOptions {
        flush_rows: 250_000,
        ..LogStoreOptions::default()
    };
    let store = Arc::new(LogStore::open(dir, options).await?);
    let maintenance = store.spawn_maintenance();
    let bodies = Arc::new(make_bodies());
    let rows_per_body = serde_json::from_slice::<Vec<Value>>(&bodies[0])?.len() as u64;
    println!(
        "{BODIES} bodies of ~{} KB, {rows_per_body} rows each; {rows} rows from {SENDERS} senders",
        bodies[0].len() / 1024
    );

    let started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (store, bodies, sent) =
                (Arc::clone(&store), Arc::clone(&bodies), Arc::clone(&sent));
            std::thread::spawn(move || -> Result<(), String> {
                let mut body = sender;
                while sent.fetch_add(rows_per_body, Ordering::Relaxed) < rows {
                    let parsed: Vec<Value> = serde_json::from_slice(&bodies[body % BODIES])
                        .map_err(|e| e.to_string())?;
                    store
                        .append("DeviceProcessEvents", &parsed)
                        .map_err(|e| e.to_string())?;
                    body += SENDERS;
                }
                Ok(())
            })
        })
        .collect();
    for sender in senders {
        sender.join().map_err(|_| "a sender panicked")??;
    }
    let ingest = started.elapsed();
    maintenance.abort();
    let syncs = store.wal_syncs();
    let flush_started = Instant::now();
    let unflushed = store.unflushed().0;
    let report = store.flush().await?;
    let flushed = flush_started.elapsed();
    let frame = store
        .session()?
        .sql("SELECT count(*) FROM DeviceProcessEvents")
        .await?;
    let counted = store.collect(frame).await?;
    let stored = counted.first().map_or(0, |batch| {
        batch.column(0).as_primitive::<Int64Type>().value(0)
    });
    println!(
        "ingest: {stored} rows stored in {:.1} s = {:.0} rows/s ({syncs} log syncs)",
        ingest.as_secs_f64(),
        stored as f64 / ingest.as_secs_f64()
    );
    println!(
        "final flush: {unflushed} rows into {} files in {:.2} s ({} files in all)",
        report.files,
        flushed.as_secs_f64(),
        store.files("DeviceProcessEvents")?.len()
    );

    let since = format_time(FIRST_DAY + (DAYS - 1) * 86_400);
    let sql = format!(
        "SELECT DeviceName, count(*) FROM DeviceProcessEvents WHERE Timestamp > '{since}' GROUP BY DeviceName"
    );
    println!("query: {sql}");
    for run in 1..=3 {
        let started = Instant::now();
        let frame = store.session()?.sql(&sql).await?;
        let batches = store.collect(frame).await?;
        let groups: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!(
            "  run {run}: {groups} groups in {:.1} ms",
            started.elapsed().as_secs_f64() * 1_000.0
        );
    }
    println!("peak RSS: {} MB", peak_rss_kb() / 1024);
    Ok(())
}

/// Bodies of `DeviceProcessEvents` rows, each just under 1 MB of JSON.
fn make_bodies() -> Vec<Vec<u8>> {
    let span = DAYS * 86_400;
    (0..BODIES)
        .map(|body| {
            let mut rows = Vec::new();
            let mut size = 2;
            let mut n = 0_i64;
            loop {
                let id = body as i64 * 1_000_000 + n;
                let second = FIRST_DAY + (id.wrapping_mul(7_919)).rem_euclid(span);
                let row = process_event(id, second);
                let text = row.to_string();
                if size + text.len() + 1 > BODY_BYTES {
                    break;
                }
                size += text.len() + 1;
                rows.push(row);
                n += 1;
            }
            serde_json::to_vec(&rows).unwrap_or_default()
        })
        .collect()
}

/// A realistic process creation event, as Defender for Endpoint reports one.
fn process_event(id: i64, second: i64) -> Value {
    let device = id % 500;
    let file_name = ["powershell.exe", "cmd.exe", "rundll32.exe", "svchost.exe"][(id % 4) as usize];
    json!({
        "Timestamp": format_time(second),
        "DeviceId": format!("{device:040x}"),
        "DeviceName": format!("ws-{device:04}.corp.contoso.com"),
        "ActionType": "ProcessCreated",
        "FileName": file_name,
        "FolderPath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "SHA1": format!("{:040x}", id.wrapping_mul(2_654_435_761)),
        "SHA256": format!("{:064x}", id.wrapping_mul(40_503)),
        "MD5": format!("{:032x}", id.wrapping_mul(97)),
        "FileSize": 450_560 + id % 1_000,
        "ProcessId": 1_000 + id % 60_000,
        "ProcessCommandLine": format!("powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"Get-Item C:\\Users\\user{}\\*\"", id % 300),
        "ProcessIntegrityLevel": "Medium",
        "ProcessTokenElevation": "TokenElevationTypeDefault",
        "ProcessCreationTime": format_time(second),
        "AccountDomain": "contoso",
        "AccountName": format!("user{}", id % 300),
        "AccountSid": format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1_000 + id % 300),
        "LogonId": 999 + id % 5_000,
        "InitiatingProcessFileName": "explorer.exe",
        "InitiatingProcessId": 4_000 + id % 1_000,
        "InitiatingProcessCommandLine": "explorer.exe",
        "InitiatingProcessParentFileName": "userinit.exe",
        "ReportId": id,
        "AdditionalFields": "{\"ProcessStartKey\":12345}",
    })
}

/// RFC 3339 text of a second since the epoch.
fn format_time(second: i64) -> String {
    let rest = second.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_day(second.div_euclid(86_400)),
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The process's peak resident set, in KB (Linux's `VmHWM`).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
