//! The write-ahead log: what makes an append durable before it is acknowledged.
//!
//! Appends go to the current segment file, `wal/<segment>.wal`, as records:
//! `[payload length: u32 LE][CRC-32 of payload: u32 LE][payload]`, where the payload is the table's
//! name (`u16 LE` length, then UTF-8) followed by the batch as an Arrow IPC stream. An append
//! returns once its record is written and `fdatasync`'d. Appends that arrive while a sync is under
//! way wait for the next one, which then carries all of them (group commit): one fsync per group,
//! not per append.
//!
//! The flusher seals the current segment (later appends go to a new one), writes the sealed
//! segments' rows to Parquet, commits them in the catalog with the sealed segment's number, and only
//! then retires the sealed files. At open, segments the catalog has already flushed are deleted and
//! the others are replayed; a record cut short or failing its checksum (a write torn by a crash) ends
//! its segment, which is truncated there.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Cursor, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;

use crate::error::{LogStoreError, Result, io_error};

/// The bytes before a record's payload: its length and checksum.
const HEADER_BYTES: usize = 8;

/// The largest payload a record may have (a guard against reading a garbage length).
const MAX_PAYLOAD_BYTES: usize = 1 << 30;

/// A batch read back from the log at open.
#[derive(Debug)]
pub struct Replayed {
    /// The segment it was in.
    pub segment: u64,
    /// Its table.
    pub table: String,
    /// Its rows.
    pub batch: RecordBatch,
}

/// The write-ahead log of one store.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    state: Mutex<WalState>,
    synced: Condvar,
}

#[derive(Debug)]
struct WalState {
    /// The segment appends go to.
    segment: u64,
    /// Its file; `None` while an appender is writing and syncing a group.
    file: Option<File>,
    /// Records waiting for the next group.
    pending: Vec<u8>,
    /// How many records have been appended (the last one's ticket).
    appended: u64,
    /// Every record with a ticket up to this one is durable.
    durable: u64,
    /// Why the log stopped accepting appends, after a failed write.
    failure: Option<String>,
    /// How many groups have been synced since open.
    syncs: u64,
}

impl Wal {
    /// Opens the log in `dir`: deletes the segments up to `flushed_through` (already in Parquet),
    /// replays the others (truncating a torn tail) and starts a new segment for appends.
    pub fn open(dir: &Path, flushed_through: u64) -> Result<(Wal, Vec<Replayed>)> {
        fs::create_dir_all(dir).map_err(io_error(format!("create {}", dir.display())))?;
        let mut replayed = Vec::new();
        let mut last = flushed_through;
        for segment in segments(dir)? {
            let path = segment_path(dir, segment);
            if segment <= flushed_through {
                remove(&path)?;
            } else {
                replay_segment(&path, segment, &mut replayed)?;
            }
            last = last.max(segment);
        }
        let segment = last + 1;
        let file = create_segment(dir, segment)?;
        let wal = Wal {
            dir: dir.to_owned(),
            state: Mutex::new(WalState {
                segment,
                file: Some(file),
                pending: Vec::new(),
                appended: 0,
                durable: 0,
                failure: None,
                syncs: 0,
            }),
            synced: Condvar::new(),
        };
        Ok((wal, replayed))
    }

    /// Appends `batch` of `table` and returns once it is durable, with the segment it is in.
    pub fn append(&self, table: &str, batch: &RecordBatch) -> Result<u64> {
        let record = encode_record(table, batch)?;
        let mut state = self.lock();
        if let Some(failure) = &state.failure {
            return Err(LogStoreError::WalFailed(failure.clone()));
        }
        state.pending.extend_from_slice(&record);
        state.appended += 1;
        let ticket = state.appended;
        let segment = state.segment;
        loop {
            if state.durable >= ticket {
                return Ok(segment);
            }
            if let Some(failure) = &state.failure {
                return Err(LogStoreError::WalFailed(failure.clone()));
            }
            state = match state.file.take() {
                Some(file) => self.write_group(state, file),
                None => self
                    .synced
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Writes and syncs every pending record as one group, the lock released meanwhile.
    fn write_group<'a>(
        &'a self,
        mut state: MutexGuard<'a, WalState>,
        mut file: File,
    ) -> MutexGuard<'a, WalState> {
        let group = std::mem::take(&mut state.pending);
        let last_ticket = state.appended;
        drop(state);
        let written = file.write_all(&group).and_then(|()| file.sync_data());
        let mut state = self.lock();
        match written {
            Ok(()) => {
                state.durable = last_ticket;
                state.file = Some(file);
                state.syncs += 1;
            }
            Err(error) => {
                tracing::error!(%error, "the write-ahead log failed");
                state.failure = Some(error.to_string());
            }
        }
        self.synced.notify_all();
        state
    }

    /// Seals the current segment: later appends go to a new one. Returns the sealed segment's
    /// number; every record appended before the call is in it or an earlier segment. The caller
    /// keeps appends out while it seals, so no group is in flight.
    pub fn seal(&self) -> Result<u64> {
        let mut state = self.lock();
        while state.file.is_none() && state.failure.is_none() {
            state = self
                .synced
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(failure) = &state.failure {
            return Err(LogStoreError::WalFailed(failure.clone()));
        }
        let sealed = state.segment;
        state.file = Some(create_segment(&self.dir, sealed + 1)?);
        state.segment = sealed + 1;
        Ok(sealed)
    }

    /// Deletes the segments up to `segment`, once their rows are committed in Parquet.
    pub fn retire_through(&self, segment: u64) -> Result<()> {
        for old in segments(&self.dir)?.into_iter().filter(|s| *s <= segment) {
            remove(&segment_path(&self.dir, old))?;
        }
        Ok(())
    }

    /// How many syncs the appends since open took (fewer than the appends when they overlap).
    pub fn syncs(&self) -> u64 {
        self.lock().syncs
    }

    fn lock(&self) -> MutexGuard<'_, WalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A record: header, then the table's name and the batch as an Arrow IPC stream.
fn encode_record(table: &str, batch: &RecordBatch) -> Result<Vec<u8>> {
    let name = table.as_bytes();
    let name_len = u16::try_from(name.len())
        .map_err(|_| LogStoreError::InvalidTable(format!("table name {table} is too long")))?;
    let mut record = vec![0; HEADER_BYTES];
    record.extend_from_slice(&name_len.to_le_bytes());
    record.extend_from_slice(name);
    let mut writer = StreamWriter::try_new(&mut record, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    let payload = &record[HEADER_BYTES..];
    let length = u32::try_from(payload.len())
        .ok()
        .filter(|n| (*n as usize) <= MAX_PAYLOAD_BYTES);
    let length = length.ok_or_else(|| {
        LogStoreError::InvalidTable(format!("a batch of {} bytes is too large", payload.len()))
    })?;
    let checksum = crc32fast::hash(payload);
    record[..4].copy_from_slice(&length.to_le_bytes());
    record[4..HEADER_BYTES].copy_from_slice(&checksum.to_le_bytes());
    Ok(record)
}

/// Reads every whole record of a segment into `replayed`, truncating the file after the last one.
fn replay_segment(path: &Path, segment: u64, replayed: &mut Vec<Replayed>) -> Result<()> {
    let file = File::open(path).map_err(io_error(format!("open {}", path.display())))?;
    let mut reader = BufReader::new(file);
    let mut good_length = 0_u64;
    while let Some(payload) = read_record(&mut reader, path)? {
        let (table, batch) =
            decode_payload(&payload).map_err(|reason| LogStoreError::CorruptWal {
                segment: path.display().to_string(),
                reason,
            })?;
        replayed.push(Replayed {
            segment,
            table,
            batch,
        });
        good_length += (HEADER_BYTES + payload.len()) as u64;
    }
    let file_length = fs::metadata(path)
        .map_err(io_error(format!("stat {}", path.display())))?
        .len();
    if file_length > good_length {
        tracing::warn!(
            segment = %path.display(),
            kept = good_length,
            dropped = file_length - good_length,
            "truncating the torn tail of a write-ahead log segment"
        );
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io_error(format!("open {}", path.display())))?;
        file.set_len(good_length)
            .and_then(|()| file.sync_all())
            .map_err(io_error(format!("truncate {}", path.display())))?;
    }
    Ok(())
}

/// The next whole record's payload, or `None` at the end of the segment or at a torn record.
fn read_record(reader: &mut impl Read, path: &Path) -> Result<Option<Vec<u8>>> {
    let mut header = [0_u8; HEADER_BYTES];
    if !read_exactly(reader, &mut header, path)? {
        return Ok(None);
    }
    let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
    let length = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
    let checksum = u32::from_le_bytes([c0, c1, c2, c3]);
    if length > MAX_PAYLOAD_BYTES {
        return Ok(None);
    }
    let mut payload = vec![0; length];
    if !read_exactly(reader, &mut payload, path)? || crc32fast::hash(&payload) != checksum {
        return Ok(None);
    }
    Ok(Some(payload))
}

/// Fills `buffer`; `false` when the file ends first.
fn read_exactly(reader: &mut impl Read, buffer: &mut [u8], path: &Path) -> Result<bool> {
    match reader.read_exact(buffer) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(io_error(format!("read {}", path.display()))(error)),
    }
}

/// The table and batch of a payload that passed its checksum.
fn decode_payload(payload: &[u8]) -> Result<(String, RecordBatch), String> {
    let (length, rest) = payload
        .split_at_checked(2)
        .ok_or("a record without a table name")?;
    let length = u16::from_le_bytes([length[0], length[1]]) as usize;
    let (name, ipc) = rest
        .split_at_checked(length)
        .ok_or("a table name cut short")?;
    let table =
        std::str::from_utf8(name).map_err(|e| format!("a table name that is not UTF-8: {e}"))?;
    let mut reader = StreamReader::try_new(Cursor::new(ipc), None).map_err(|e| e.to_string())?;
    let batch = reader
        .next()
        .ok_or("a record without a batch")?
        .map_err(|e| e.to_string())?;
    Ok((table.to_owned(), batch))
}

/// The numbers of the segment files in `dir`, in order.
fn segments(dir: &Path) -> Result<Vec<u64>> {
    let entries = fs::read_dir(dir).map_err(io_error(format!("list {}", dir.display())))?;
    let mut numbers = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(format!("list {}", dir.display())))?;
        let name = entry.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse::<u64>().ok());
        numbers.extend(number);
    }
    numbers.sort_unstable();
    Ok(numbers)
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:020}.wal"))
}

/// Creates a segment's file, durable in its directory.
fn create_segment(dir: &Path, segment: u64) -> Result<File> {
    let path = segment_path(dir, segment);
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_error(format!("create {}", path.display())))?;
    sync_dir(dir)?;
    Ok(file)
}

fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => {
            Err(io_error(format!("delete {}", path.display()))(error))
        }
        _ => Ok(()),
    }
}

/// Makes the directory's entries (a new file's name) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(format!("sync {}", dir.display())))
}
