#![cfg(test)]
//! Durability under `kill -9`: a child process (this test binary, run again as the writer) appends
//! from several threads while its store flushes and compacts in the background, printing each
//! batch it got an acknowledgement for; the test kills it without warning, reopens the store, and
//! finds every acknowledged row exactly once.

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{TABLE, events, longs, open};
use tandem_logstore::{LogStore, LogStoreOptions};
use tandem_testkit::{ChildOutput, ChildProcess};

/// Set in the child: the directory its store lives in.
const WRITER_DIR: &str = "TANDEM_LOGSTORE_CRASH_WRITER_DIR";
/// The test's own name, which the child runs.
const TEST_NAME: &str = "acknowledged_rows_survive_kill_9";
/// Rows per append.
const BATCH_ROWS: i64 = 40;
/// Acknowledged batches to wait for before the kill.
const ACKED_BEFORE_KILL: usize = 150;

#[test]
fn acknowledged_rows_survive_kill_9() {
    if let Some(dir) = std::env::var_os(WRITER_DIR) {
        write_until_killed(&PathBuf::from(dir));
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let store_dir = temp.path().join("store");
    let log = temp.path().join("writer.log");
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
        .env(WRITER_DIR, &store_dir);
    let mut child = ChildProcess::spawn(&mut command, ChildOutput::Log(log.clone())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged(&log).len() < ACKED_BEFORE_KILL {
        child.check_running().unwrap();
        assert!(
            Instant::now() < deadline,
            "the writer acknowledged too little in time"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.stop("KILL").unwrap();
    let acked = acknowledged(&log);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ids = runtime.block_on(async {
        let store = open(&store_dir).await;
        longs(&store, "SELECT ReportId FROM DeviceProcessEvents").await
    });
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for id in &ids {
        *seen.entry(*id).or_default() += 1;
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "rows stored twice: {duplicated:?}");
    for first in &acked {
        for id in *first..*first + BATCH_ROWS {
            assert_eq!(seen.get(&id), Some(&1), "acknowledged row {id} is missing");
        }
    }
    assert!(ids.len() as i64 >= acked.len() as i64 * BATCH_ROWS);
}

/// The first ids of the batches the writer printed as acknowledged (whole lines only).
fn acknowledged(log: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
    whole
        .lines()
        .filter_map(|line| line.strip_prefix("acked "))
        .map(|first| first.parse().unwrap())
        .collect()
}

/// The child: appends from four threads, flushing and compacting often, until killed.
fn write_until_killed(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = LogStoreOptions {
        flush_rows: 400,
        flush_age: Duration::from_millis(50),
        maintenance_interval: Duration::from_millis(5),
        compact_min_files: 3,
        retired_file_grace: Duration::ZERO,
        ..LogStoreOptions::default()
    };
    let store = Arc::new(runtime.block_on(LogStore::open(dir, options)).unwrap());
    let _runtime_context = runtime.enter();
    let _maintenance = store.spawn_maintenance();
    let writers: Vec<_> = (0..4_i64)
        .map(|thread| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for batch in 0.. {
                    let first = thread * 1_000_000_000 + batch * BATCH_ROWS;
                    let day = ["2024-03-01", "2024-03-02"][(batch % 2) as usize];
                    store
                        .append(TABLE, &events(first, BATCH_ROWS, day, 3))
                        .unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "acked {first}").unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
}
