#![cfg(test)]
//! The log store end to end, on real files: rows are queryable as soon as they are acknowledged
//! and after they are flushed, queries read only the files of their time range, compaction keeps
//! every row, and the log survives a torn tail.

mod support;

use std::sync::Arc;
use std::time::Duration;

use datafusion::physical_plan::displayable;
use support::{TABLE, events, longs, open, query, text_rows};
use tandem_logstore::{LogStore, LogStoreError, LogStoreOptions, TableDef};

const COUNT_BY_DEVICE: &str =
    "SELECT DeviceName, count(*) FROM DeviceProcessEvents GROUP BY DeviceName";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_rows_are_queryable_at_once_after_a_flush_and_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for (first, day) in [(0, "2024-03-01"), (100, "2024-03-02"), (200, "2024-03-03")] {
        assert_eq!(
            store.append(TABLE, &events(first, 100, day, 10)).unwrap(),
            100
        );
    }
    let before = text_rows(&store, COUNT_BY_DEVICE).await;
    assert_eq!(before.len(), 5);
    assert!(before.iter().all(|row| row.ends_with("|60")), "{before:?}");
    assert!(store.files(TABLE).unwrap().is_empty());

    let report = store.flush().await.unwrap();
    assert_eq!((report.rows, report.files), (300, 3));
    assert_eq!(store.unflushed().0, 0);
    let partitions: Vec<String> = store
        .files(TABLE)
        .unwrap()
        .into_iter()
        .map(|f| f.partition)
        .collect();
    assert_eq!(partitions, ["2024-03-01", "2024-03-02", "2024-03-03"]);
    assert_eq!(text_rows(&store, COUNT_BY_DEVICE).await, before);

    store
        .append(TABLE, &events(300, 10, "2024-03-03", 11))
        .unwrap();
    drop(store);
    let reopened = open(dir.path()).await;
    assert_eq!(
        reopened.unflushed().0,
        10,
        "the unflushed rows are replayed from the log"
    );
    let ids = longs(
        &reopened,
        "SELECT ReportId FROM DeviceProcessEvents ORDER BY ReportId",
    )
    .await;
    assert_eq!(ids, (0..310).collect::<Vec<i64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_filtered_query_reads_only_the_files_of_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for (first, day) in [(0, "2024-03-01"), (100, "2024-03-02"), (200, "2024-03-03")] {
        store.append(TABLE, &events(first, 100, day, 10)).unwrap();
        store.flush().await.unwrap();
    }
    store
        .append(TABLE, &events(300, 7, "2024-02-20", 10))
        .unwrap();
    let files = store.files(TABLE).unwrap();
    let sql = "SELECT count(*) FROM DeviceProcessEvents WHERE Timestamp >= '2024-03-02T00:00:00Z' AND Timestamp < '2024-03-03T00:00:00Z'";
    let frame = store.session().unwrap().sql(sql).await.unwrap();
    let plan = frame.clone().create_physical_plan().await.unwrap();
    let shown = displayable(plan.as_ref()).indent(true).to_string();
    let read: Vec<&str> = files
        .iter()
        .filter(|f| shown.contains(&f.path))
        .map(|f| f.partition.as_str())
        .collect();
    assert_eq!(read, ["2024-03-02"], "{shown}");
    assert!(
        !shown.contains("partition_sizes"),
        "the unflushed day is outside the range: {shown}"
    );
    assert_eq!(longs(&store, sql).await, [100]);

    let all = longs(
        &store,
        "SELECT count(*) FROM DeviceProcessEvents WHERE Timestamp > '2024-01-01T00:00:00Z'",
    )
    .await;
    assert_eq!(all, [307]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_merges_a_partitions_small_files_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for batch in 0..4 {
        store
            .append(
                TABLE,
                &events(batch * 50, 50, "2024-03-01", 9 + batch as u32),
            )
            .unwrap();
        store
            .append(TABLE, &events(1000 + batch, 1, "2024-03-05", 1))
            .unwrap();
        store.flush().await.unwrap();
    }
    let everything = "SELECT ReportId, DeviceName, Timestamp, ProcessCommandLine, ProcessId FROM DeviceProcessEvents";
    let before = text_rows(&store, everything).await;
    assert_eq!(store.files(TABLE).unwrap().len(), 8);

    let report = store.compact().await.unwrap();
    assert_eq!((report.files_merged, report.files_written), (8, 2));
    let files = store.files(TABLE).unwrap();
    let shape: Vec<(String, u64)> = files
        .iter()
        .map(|f| (f.partition.clone(), f.rows))
        .collect();
    assert!(
        shape.contains(&("2024-03-01".into(), 200)) && shape.contains(&("2024-03-05".into(), 4)),
        "{shape:?}"
    );
    assert_eq!(text_rows(&store, everything).await, before);

    drop(store);
    let reopened = open(dir.path()).await;
    assert_eq!(reopened.files(TABLE).unwrap().len(), 2);
    assert_eq!(text_rows(&reopened, everything).await, before);
    let on_disk = walk_parquet(&dir.path().join("files"));
    assert_eq!(on_disk, 2, "the compacted-away files are deleted at open");
}

fn walk_parquet(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk_parquet(&path)
            } else {
                usize::from(path.extension().is_some_and(|e| e == "parquet"))
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_without_rows_answers_with_its_typed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let frame = store
        .session()
        .unwrap()
        .sql("SELECT * FROM EmailEvents")
        .await
        .unwrap();
    let schema = frame.schema().as_arrow().clone();
    assert!(
        store
            .collect(frame)
            .await
            .unwrap()
            .iter()
            .all(|b| b.num_rows() == 0)
    );
    let field = schema.field_with_name("Timestamp").unwrap();
    assert_eq!(
        field.metadata().get("kql_type").map(String::as_str),
        Some("datetime")
    );
    assert!(schema.field_with_name("RecipientEmailAddress").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_stores_nothing_and_names_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut rows = events(0, 3, "2024-03-01", 1);
    rows[2]["ProcessId"] = serde_json::json!("four");
    let error = store.append(TABLE, &rows).unwrap_err();
    let LogStoreError::Decode(decode) = &error else {
        panic!("{error}");
    };
    assert_eq!(decode.target(), "body[2].ProcessId");
    assert!(
        error.to_string().contains(r#""four" is not a valid long"#),
        "{error}"
    );
    assert!(matches!(
        store.append("Nope", &rows),
        Err(LogStoreError::UnknownTable(_))
    ));
    assert_eq!(
        longs(&store, "SELECT count(*) FROM DeviceProcessEvents").await,
        [0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_of_the_log_is_cut_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .append(TABLE, &events(0, 20, "2024-03-01", 1))
        .unwrap();
    store
        .append(TABLE, &events(20, 20, "2024-03-01", 1))
        .unwrap();
    drop(store);
    let segment = std::fs::read_dir(dir.path().join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::metadata(p).unwrap().len() > 0)
        .max()
        .unwrap();
    let whole = std::fs::metadata(&segment).unwrap().len();
    let bytes = std::fs::read(&segment).unwrap();
    // The second record half written, as a crash mid-write leaves it.
    let first_record = 8 + u32::from_le_bytes(bytes[..4].try_into().unwrap()) as u64;
    let torn = first_record + (whole - first_record) / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(torn)
        .unwrap();

    let reopened = open(dir.path()).await;
    assert_eq!(std::fs::metadata(&segment).unwrap().len(), first_record);
    let ids = longs(
        &reopened,
        "SELECT ReportId FROM DeviceProcessEvents ORDER BY ReportId",
    )
    .await;
    assert_eq!(ids, (0..20).collect::<Vec<i64>>());
    reopened
        .append(TABLE, &events(40, 5, "2024-03-01", 1))
        .unwrap();
    drop(reopened);
    let again = open(dir.path()).await;
    assert_eq!(
        longs(&again, "SELECT count(*) FROM DeviceProcessEvents").await,
        [25]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_their_syncs_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()).await);
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for batch in 0..25 {
                    let first = thread * 1_000 + batch * 4;
                    store
                        .append(TABLE, &events(first, 4, "2024-03-01", 2))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        store.wal_syncs() < 200,
        "{} syncs for 200 appends",
        store.wal_syncs()
    );
    let ids = longs(
        &store,
        "SELECT ReportId FROM DeviceProcessEvents ORDER BY ReportId",
    )
    .await;
    let expected: Vec<i64> = (0..8)
        .flat_map(|t| (t * 1_000)..(t * 1_000 + 100))
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_its_time_limit_fails_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let options = LogStoreOptions {
        query_time_limit: Duration::from_millis(50),
        ..support::manual_options()
    };
    let store = LogStore::open(dir.path(), options).await.unwrap();
    store
        .append(TABLE, &events(0, 3_000, "2024-03-01", 1))
        .unwrap();
    let sql = "SELECT count(DISTINCT concat(a.ProcessCommandLine, b.ProcessCommandLine)) FROM DeviceProcessEvents a CROSS JOIN DeviceProcessEvents b";
    let frame = store.session().unwrap().sql(sql).await.unwrap();
    let error = store.collect(frame).await.unwrap_err();
    assert!(
        matches!(error, LogStoreError::TimeLimit(limit) if limit == Duration::from_millis(50)),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_defined_table_gains_columns_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    use tandem_kql::KqlType::{Datetime, Long, String};
    let first = TableDef::log_analytics("App_CL", "TimeGenerated", &[("Computer", String)]);
    store.define_table(first.clone()).unwrap();
    store
        .append(
            "App_CL",
            &[serde_json::json!({"Computer": "a", "TimeGenerated": "2024-03-01T00:00:00Z"})],
        )
        .unwrap();
    store.flush().await.unwrap();
    store
        .append("App_CL", &[serde_json::json!({"Computer": "b"})])
        .unwrap();
    let mut wider = first.clone();
    wider.columns.push(("Level".into(), Long));
    store.define_table(wider.clone()).unwrap();
    store
        .append(
            "App_CL",
            &[serde_json::json!({"Computer": "c", "Level": 3})],
        )
        .unwrap();
    let sql = "SELECT Computer, Level FROM App_CL";
    assert_eq!(text_rows(&store, sql).await, ["a|", "b|", "c|3"]);
    drop(store);
    let reopened = open(dir.path()).await;
    assert_eq!(text_rows(&reopened, sql).await, ["a|", "b|", "c|3"]);
    let mut changed = wider;
    changed.columns[0].1 = Datetime;
    assert!(matches!(
        reopened.define_table(changed),
        Err(LogStoreError::InvalidTable(_))
    ));
    assert!(
        query(&reopened, "SELECT * FROM App_CL")
            .await
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>()
            == 3
    );
}
