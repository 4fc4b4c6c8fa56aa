//! What the log store's tests share: a store in a temporary directory, process events to append,
//! and queries that read results back as plain values.

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{Value, json};
use tandem_logstore::{LogStore, LogStoreOptions};

/// The table the tests write to.
pub const TABLE: &str = "DeviceProcessEvents";

/// A `DeviceProcessEvents` row with `ReportId` = `id`, on `day` (`2024-03-01`) at `hour`.
pub fn process_event(id: i64, day: &str, hour: u32) -> Value {
    json!({
        "Timestamp": format!("{day}T{hour:02}:{:02}:{:02}.{:07}Z", id % 60, (id / 60) % 60, id % 10_000_000),
        "DeviceName": format!("host-{}", id % 5),
        "ReportId": id,
        "FileName": "powershell.exe",
        "ProcessCommandLine": format!("powershell.exe -enc {id:x}"),
        "ProcessId": 4000 + id,
    })
}

/// `count` events from `first_id` on, all on `day` at `hour`.
pub fn events(first_id: i64, count: i64, day: &str, hour: u32) -> Vec<Value> {
    (first_id..first_id + count)
        .map(|id| process_event(id, day, hour))
        .collect()
}

/// Options that never flush or compact on their own.
pub fn manual_options() -> LogStoreOptions {
    LogStoreOptions {
        flush_rows: usize::MAX,
        flush_age: std::time::Duration::MAX,
        compact_min_files: 2,
        ..LogStoreOptions::default()
    }
}

/// Opens the store in `dir` with [`manual_options`].
pub async fn open(dir: &Path) -> LogStore {
    LogStore::open(dir, manual_options()).await.unwrap()
}

/// The results of `sql`.
pub async fn query(store: &LogStore, sql: &str) -> Vec<RecordBatch> {
    let frame = store.session().unwrap().sql(sql).await.unwrap();
    store.collect(frame).await.unwrap()
}

/// The one `long` column of `sql`'s results, in order.
pub async fn longs(store: &LogStore, sql: &str) -> Vec<i64> {
    query(store, sql)
        .await
        .iter()
        .flat_map(|batch| {
            let column = batch.column(0).as_primitive::<Int64Type>();
            (0..column.len())
                .map(|row| column.value(row))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The results of `sql` as text rows, `|`-separated, sorted.
pub async fn text_rows(store: &LogStore, sql: &str) -> Vec<String> {
    let batches = query(store, sql).await;
    let mut rows = Vec::new();
    for batch in &batches {
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = batch
                .columns()
                .iter()
                .map(|column| {
                    datafusion::arrow::util::display::array_value_to_string(column, row).unwrap()
                })
                .collect();
            rows.push(cells.join("|"));
        }
    }
    rows.sort();
    rows
}
