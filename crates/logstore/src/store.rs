//! The log store: tables, their durable intake, their flush to Parquet and compaction, and the
//! DataFusion session queries run in.
//!
//! **Consistency.** Each table keeps, under one lock, its committed files and its unflushed
//! batches; a query takes both at once, and a flush swaps rows from one to the other only after the
//! catalog commit, so a query sees every acknowledged row exactly once. Appends hold the intake gate
//! shared while they write the log and add their batch; sealing a segment holds it exclusively, so
//! every batch of a sealed segment is in memory when the flush collects them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use datafusion::arrow::array::new_null_array;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::object_store::{ObjectStore, ObjectStoreExt as _};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures_util::TryStreamExt as _;
use serde_json::Value;

use crate::catalog::{Catalog, DataFile, SqliteCatalog};
use crate::decode::decode_rows;
use crate::error::{LogStoreError, Result, io_error};
use crate::files::{partition_by_day, read_file, time_range, write_partition};
use crate::provider::LogTable;
use crate::table::{TableDef, builtin};
use crate::wal::Wal;

/// How the store behaves; [`Default`] suits a single server.
#[derive(Debug, Clone)]
pub struct LogStoreOptions {
    /// The memory all running queries may hold together; an operator over its share spills to
    /// disk or fails the query, never the process.
    pub query_memory_bytes: usize,
    /// The longest a query may run.
    pub query_time_limit: Duration,
    /// Flush once this many rows are unflushed.
    pub flush_rows: usize,
    /// Flush rows that have waited this long, however few.
    pub flush_age: Duration,
    /// How often the background task looks for work.
    pub maintenance_interval: Duration,
    /// Compact a partition once it has this many small files.
    pub compact_min_files: usize,
    /// A file with fewer rows than this is small; a compacted file holds at most this many.
    pub compact_target_rows: u64,
    /// How long a compacted-away file stays readable for queries that planned with it.
    pub retired_file_grace: Duration,
}

impl Default for LogStoreOptions {
    fn default() -> Self {
        LogStoreOptions {
            query_memory_bytes: 1 << 30,
            query_time_limit: Duration::from_secs(180),
            flush_rows: 500_000,
            flush_age: Duration::from_secs(30),
            maintenance_interval: Duration::from_secs(1),
            compact_min_files: 8,
            compact_target_rows: 2_000_000,
            retired_file_grace: Duration::from_secs(600),
        }
    }
}

/// What a flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Rows written to Parquet.
    pub rows: u64,
    /// Files written.
    pub files: usize,
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Files merged away.
    pub files_merged: usize,
    /// Files written in their place.
    pub files_written: usize,
}

/// Rows appended but not yet in Parquet.
#[derive(Debug, Clone)]
struct Unflushed {
    segment: u64,
    batch: RecordBatch,
    min_time: i64,
    max_time: i64,
    appended_at: Instant,
}

/// One table: its definition, committed files and unflushed rows.
#[derive(Debug)]
pub struct Table {
    def: TableDef,
    schema: SchemaRef,
    time_index: usize,
    state: RwLock<TableState>,
}

#[derive(Debug, Default)]
struct TableState {
    files: Vec<DataFile>,
    unflushed: Vec<Unflushed>,
}

impl Table {
    fn new(def: TableDef) -> Result<Table> {
        def.check().map_err(LogStoreError::InvalidTable)?;
        let schema = def.schema();
        let time_index = schema.index_of(&def.time_column)?;
        Ok(Table {
            def,
            schema,
            time_index,
            state: RwLock::new(TableState::default()),
        })
    }

    /// The table's definition.
    pub fn def(&self) -> &TableDef {
        &self.def
    }

    /// The table's Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// The files and unflushed batches whose time range `wanted` accepts, taken together.
    pub(crate) fn snapshot(
        &self,
        wanted: impl Fn(i64, i64) -> bool,
    ) -> (Vec<DataFile>, Vec<RecordBatch>) {
        let state = self.read();
        let files = state
            .files
            .iter()
            .filter(|f| wanted(f.min_time, f.max_time))
            .cloned()
            .collect();
        let batches = state
            .unflushed
            .iter()
            .filter(|u| wanted(u.min_time, u.max_time))
            .map(|u| u.batch.clone())
            .collect();
        (files, batches)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, TableState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, TableState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn push_unflushed(&self, segment: u64, batch: RecordBatch) {
        let (min_time, max_time) = time_range(&batch, self.time_index);
        self.write().unflushed.push(Unflushed {
            segment,
            batch,
            min_time,
            max_time,
            appended_at: Instant::now(),
        });
    }
}

/// The log store of one workspace.
#[derive(Debug)]
pub struct LogStore {
    options: LogStoreOptions,
    wal: Wal,
    intake_gate: RwLock<()>,
    catalog: Arc<dyn Catalog>,
    files: Arc<dyn ObjectStore>,
    files_url: ObjectStoreUrl,
    local_files_root: Option<PathBuf>,
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    runtime: Arc<RuntimeEnv>,
    maintenance: tokio::sync::Mutex<()>,
    retired: Mutex<Vec<(String, Instant)>>,
}

/// The URL queries know the store's files by.
const FILES_URL: &str = "tandem-logs://files";

impl LogStore {
    /// Opens the store in `dir`: the log in `wal/`, the Parquet files in `files/`, the catalog in
    /// `catalog.sqlite`. Replays what the log holds beyond the catalog's flushed mark.
    pub async fn open(dir: &Path, options: LogStoreOptions) -> Result<LogStore> {
        let files_root = dir.join("files");
        std::fs::create_dir_all(&files_root)
            .map_err(io_error(format!("create {}", files_root.display())))?;
        let files = LocalFileSystem::new_with_prefix(&files_root)?;
        let catalog = SqliteCatalog::open(&dir.join("catalog.sqlite"))?;
        let mut store = LogStore::open_with(
            &dir.join("wal"),
            Arc::new(catalog),
            Arc::new(files),
            options,
        )
        .await?;
        store.local_files_root = Some(files_root);
        Ok(store)
    }

    /// Opens the store with its log in `wal_dir`, its catalog and its files where the caller says.
    pub async fn open_with(
        wal_dir: &Path,
        catalog: Arc<dyn Catalog>,
        files: Arc<dyn ObjectStore>,
        options: LogStoreOptions,
    ) -> Result<LogStore> {
        let state = catalog.load()?;
        let mut tables = BTreeMap::new();
        for def in builtin().into_iter().chain(state.tables) {
            tables.insert(def.name.clone(), Arc::new(Table::new(def)?));
        }
        let live: HashSet<&str> = state.files.iter().map(|f| f.path.as_str()).collect();
        delete_orphans(&files, &live).await?;
        for file in state.files.iter().cloned() {
            if let Some(table) = tables.get(&file.table) {
                table.write().files.push(file);
            }
        }
        let (wal, replayed) = Wal::open(wal_dir, state.flushed_through)?;
        for record in replayed {
            let table = tables
                .get(&record.table)
                .ok_or_else(|| LogStoreError::CorruptWal {
                    segment: record.segment.to_string(),
                    reason: format!("rows of table {}, which does not exist", record.table),
                })?;
            let batch = widen(&record.batch, &table.schema)?;
            table.push_unflushed(record.segment, batch);
        }
        let files_url = ObjectStoreUrl::parse(FILES_URL)?;
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(options.query_memory_bytes)))
            .build_arc()?;
        runtime.register_object_store(files_url.as_ref(), Arc::clone(&files));
        Ok(LogStore {
            options,
            wal,
            intake_gate: RwLock::new(()),
            catalog,
            files,
            files_url,
            local_files_root: None,
            tables: RwLock::new(tables),
            runtime,
            maintenance: tokio::sync::Mutex::new(()),
            retired: Mutex::new(Vec::new()),
        })
    }

    /// The store's options.
    pub fn options(&self) -> &LogStoreOptions {
        &self.options
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Result<Arc<Table>> {
        self.tables
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
            .ok_or_else(|| LogStoreError::UnknownTable(name.to_owned()))
    }

    /// Every table, by name.
    pub fn tables(&self) -> Vec<Arc<Table>> {
        self.tables
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Defines a table beside the built-in ones, or extends one defined earlier: its time column
    /// stays, its columns keep their names, types and order, new columns come after them.
    pub fn define_table(&self, def: TableDef) -> Result<()> {
        if builtin().iter().any(|b| b.name == def.name) {
            return Err(LogStoreError::InvalidTable(format!(
                "{} is a built-in table",
                def.name
            )));
        }
        let _gate = self
            .intake_gate
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        let current = tables.get(&def.name).cloned();
        if let Some(current) = &current {
            if current.def() == &def {
                return Ok(());
            }
            check_extension(current.def(), &def)?;
        }
        let table = Table::new(def)?;
        self.catalog.define_table(table.def())?;
        if let Some(current) = current {
            let mut moved = std::mem::take(&mut *current.write());
            for unflushed in &mut moved.unflushed {
                unflushed.batch = widen(&unflushed.batch, &table.schema)?;
            }
            *table.write() = moved;
        }
        tables.insert(table.def.name.clone(), Arc::new(table));
        Ok(())
    }

    /// Appends `rows` (JSON objects) to `table`, all or nothing, and returns once they are durable:
    /// an acknowledged row survives a crash. Returns how many rows were appended. Blocks for the
    /// log's sync: call it from a blocking context.
    pub fn append(&self, table: &str, rows: &[Value]) -> Result<usize> {
        let table = self.table(table)?;
        let batch = decode_rows(&table.def, rows, now_nanos())?;
        let count = batch.num_rows();
        if count == 0 {
            return Ok(0);
        }
        let _gate = self
            .intake_gate
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let segment = self.wal.append(&table.def.name, &batch)?;
        table.push_unflushed(segment, batch);
        Ok(count)
    }

    /// How many syncs of the write-ahead log the appends since open took.
    pub fn wal_syncs(&self) -> u64 {
        self.wal.syncs()
    }

    /// How many rows are waiting for a flush, and how long the oldest has waited.
    pub fn unflushed(&self) -> (usize, Duration) {
        let mut rows = 0;
        let mut oldest = Duration::ZERO;
        for table in self.tables() {
            for unflushed in &table.read().unflushed {
                rows += unflushed.batch.num_rows();
                oldest = oldest.max(unflushed.appended_at.elapsed());
            }
        }
        (rows, oldest)
    }

    /// Writes every row appended so far to Parquet, commits the files and retires the log.
    pub async fn flush(&self) -> Result<FlushReport> {
        let _one_at_a_time = self.maintenance.lock().await;
        if self.unflushed().0 == 0 {
            return Ok(FlushReport::default());
        }
        let sealed = {
            let _gate = self
                .intake_gate
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            self.wal.seal()?
        };
        let mut written = Vec::new();
        for table in self.tables() {
            let batches: Vec<RecordBatch> = table
                .read()
                .unflushed
                .iter()
                .filter(|u| u.segment <= sealed)
                .map(|u| u.batch.clone())
                .collect();
            if batches.is_empty() {
                continue;
            }
            for partition in partition_by_day(&table.schema, &batches, table.time_index)? {
                written.push(self.write_file(&table.def.name, partition).await?);
            }
        }
        self.catalog.commit_flush(&written, sealed)?;
        for table in self.tables() {
            let mut state = table.write();
            state.files.extend(
                written
                    .iter()
                    .filter(|f| f.table == table.def.name)
                    .cloned(),
            );
            state.unflushed.retain(|u| u.segment > sealed);
        }
        self.wal.retire_through(sealed)?;
        Ok(FlushReport {
            rows: written.iter().map(|f| f.rows).sum(),
            files: written.len(),
        })
    }

    /// Writes one partition's file, durable before the catalog can name it.
    async fn write_file(
        &self,
        table: &str,
        partition: crate::files::Partition,
    ) -> Result<DataFile> {
        let file = write_partition(&self.files, table, partition).await?;
        if let Some(root) = &self.local_files_root {
            sync_local_file(root, &file.path)?;
        }
        Ok(file)
    }

    /// Merges the small files of each partition that has at least
    /// [`LogStoreOptions::compact_min_files`] of them into one, and deletes the files compacted
    /// away more than [`LogStoreOptions::retired_file_grace`] ago.
    pub async fn compact(&self) -> Result<CompactionReport> {
        let _one_at_a_time = self.maintenance.lock().await;
        let mut report = CompactionReport::default();
        for table in self.tables() {
            for group in self.compaction_groups(&table) {
                self.merge(&table, &group).await?;
                report.files_merged += group.len();
                report.files_written += 1;
            }
        }
        self.delete_retired(self.options.retired_file_grace).await?;
        Ok(report)
    }

    /// The groups of small files, one per partition, each small enough to merge in one file.
    fn compaction_groups(&self, table: &Table) -> Vec<Vec<DataFile>> {
        let mut by_partition: BTreeMap<&str, Vec<DataFile>> = BTreeMap::new();
        let state = table.read();
        for file in state
            .files
            .iter()
            .filter(|f| f.rows < self.options.compact_target_rows)
        {
            by_partition
                .entry(&file.partition)
                .or_default()
                .push(file.clone());
        }
        by_partition
            .into_values()
            .filter_map(|mut files| {
                files.sort_by_key(|f| f.rows);
                let mut total = 0;
                files.retain(|f| {
                    total += f.rows;
                    total <= self.options.compact_target_rows
                });
                (files.len() >= self.options.compact_min_files.max(2)).then_some(files)
            })
            .collect()
    }

    /// Replaces `group` by one file holding all its rows.
    async fn merge(&self, table: &Table, group: &[DataFile]) -> Result<()> {
        let mut batches = Vec::new();
        for file in group {
            batches.extend(read_file(&self.files, &file.path).await?);
        }
        let mut partitions = partition_by_day(&table.schema, &batches, table.time_index)?;
        drop(batches);
        let (Some(partition), true) = (partitions.pop(), partitions.is_empty()) else {
            return Err(LogStoreError::Catalog(format!(
                "the files of partition {} of {} hold rows of other days",
                group[0].partition, table.def.name
            )));
        };
        let merged = self.write_file(&table.def.name, partition).await?;
        let removed: Vec<String> = group.iter().map(|f| f.path.clone()).collect();
        self.catalog.commit_compaction(&removed, &merged)?;
        {
            let mut state = table.write();
            state.files.retain(|f| !removed.contains(&f.path));
            state.files.push(merged);
        }
        let now = Instant::now();
        self.retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(removed.into_iter().map(|path| (path, now)));
        Ok(())
    }

    /// Deletes the compacted-away files retired at least `grace` ago.
    async fn delete_retired(&self, grace: Duration) -> Result<()> {
        let due: Vec<String> = {
            let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
            let (due, kept) = retired.drain(..).partition(|(_, at)| at.elapsed() >= grace);
            *retired = kept;
            due.into_iter().map(|(path, _)| path).collect()
        };
        for path in due {
            delete_file(&self.files, &ObjectPath::from(path.as_str())).await?;
        }
        Ok(())
    }

    /// Runs flushes and compactions in the background, as [`LogStoreOptions`] says, until the
    /// returned handle is aborted or the runtime stops. A failure is logged and retried.
    pub fn spawn_maintenance(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let store = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(store.options.maintenance_interval).await;
                if let Err(error) = store.maintain().await {
                    tracing::error!(%error, "log store maintenance failed");
                }
            }
        })
    }

    /// One round of background work: a flush when due, then compaction.
    pub async fn maintain(&self) -> Result<()> {
        let (rows, oldest) = self.unflushed();
        if rows >= self.options.flush_rows || (rows > 0 && oldest >= self.options.flush_age) {
            self.flush().await?;
        }
        self.compact().await?;
        Ok(())
    }

    /// A DataFusion session with every table registered, running in the store's memory pool;
    /// SQL identifiers keep their case, as table and column names do in Log Analytics.
    pub fn session(&self) -> Result<SessionContext> {
        let mut config = SessionConfig::new().with_information_schema(true);
        // Log Analytics names are case-sensitive: SQL keeps them as written.
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let context = SessionContext::new_with_config_rt(config, Arc::clone(&self.runtime));
        for table in self.tables() {
            let provider = LogTable::new(Arc::clone(&table), self.files_url.clone());
            context.register_table(
                TableReference::bare(table.def.name.as_str()),
                Arc::new(provider),
            )?;
        }
        Ok(context)
    }

    /// The live files of `table`.
    pub fn files(&self, table: &str) -> Result<Vec<DataFile>> {
        Ok(self.table(table)?.read().files.clone())
    }
}

/// Refuses a redefinition that changes the time column or an existing column.
fn check_extension(current: &TableDef, new: &TableDef) -> Result<()> {
    let kept = new.time_column == current.time_column
        && new.columns.len() >= current.columns.len()
        && new
            .columns
            .iter()
            .zip(&current.columns)
            .all(|(n, c)| n == c);
    if kept {
        Ok(())
    } else {
        Err(LogStoreError::InvalidTable(format!(
            "table {} may only gain columns after its existing ones",
            current.name
        )))
    }
}

/// `batch` with `schema`'s columns: those it lacks (added to its table since) are null.
fn widen(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema() == *schema {
        return Ok(batch.clone());
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => Arc::clone(column),
            None => new_null_array(field.data_type(), batch.num_rows()),
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// Deletes the files the catalog does not name: left by a flush or compaction that crashed before
/// its commit, or compacted away before a restart.
async fn delete_orphans(files: &Arc<dyn ObjectStore>, live: &HashSet<&str>) -> Result<()> {
    let listed: Vec<_> = files.list(None).try_collect().await?;
    for object in listed {
        if !live.contains(object.location.as_ref()) {
            delete_file(files, &object.location).await?;
        }
    }
    Ok(())
}

async fn delete_file(files: &Arc<dyn ObjectStore>, path: &ObjectPath) -> Result<()> {
    match files.delete(path).await {
        Err(datafusion::object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Syncs a file just written under the local files root, and its directory.
fn sync_local_file(root: &Path, path: &str) -> Result<()> {
    let full = root.join(path);
    let sync = |p: &Path| std::fs::File::open(p).and_then(|f| f.sync_all());
    sync(&full).map_err(io_error(format!("sync {}", full.display())))?;
    if let Some(parent) = full.parent() {
        sync(parent).map_err(io_error(format!("sync {}", parent.display())))?;
    }
    Ok(())
}

/// The current time in nanoseconds since the Unix epoch.
fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
