//! The Parquet side: a table's rows split into partitions, one per UTC day of the table's time
//! column, each written sorted by time as one Parquet file in the object store, and read back for
//! compaction.
//!
//! **Why a day.** A query names a time range (`ago(1d)`, `ago(7d)`, `ago(30d)` being the usual), and
//! a day keeps the number of files a month-long query opens in the tens, while the SIEM's small
//! tables (a few incidents an hour) still make files worth opening: hourly partitions would make
//! 24 tiny files a day per table. Pruning stays finer than a day: the catalog records each file's
//! own first and last time, and rows are sorted by time within a file, so Parquet's row-group
//! statistics skip the hours a query does not need.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::{SortOptions, concat_batches, sort_to_indices, take_record_batch};
use datafusion::arrow::datatypes::{SchemaRef, TimestampNanosecondType};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use crate::catalog::DataFile;
use crate::error::Result;

/// Nanoseconds in a day.
const DAY_NANOS: i64 = 86_400 * 1_000_000_000;

/// Rows per Parquet row group: small enough that row-group statistics prune within a day.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// One partition's rows, sorted by time.
#[derive(Debug)]
pub struct Partition {
    /// The UTC day (`2024-03-01`).
    pub day: String,
    /// The rows.
    pub batch: RecordBatch,
    /// The earliest time.
    pub min_time: i64,
    /// The latest time.
    pub max_time: i64,
}

/// The earliest and latest time in `batch`'s time column (a null time counts as the epoch).
pub fn time_range(batch: &RecordBatch, time_index: usize) -> (i64, i64) {
    let times = batch
        .column(time_index)
        .as_primitive::<TimestampNanosecondType>();
    let mut range = (i64::MAX, i64::MIN);
    for time in times.iter() {
        let time = time.unwrap_or(0);
        range = (range.0.min(time), range.1.max(time));
    }
    range
}

/// `batches` sorted by their time column and cut into one partition per UTC day.
pub fn partition_by_day(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    time_index: usize,
) -> Result<Vec<Partition>> {
    let all = concat_batches(schema, batches)?;
    let order = sort_to_indices(all.column(time_index), Some(SortOptions::default()), None)?;
    let sorted = take_record_batch(&all, &order)?;
    drop(all);
    let times = sorted
        .column(time_index)
        .as_primitive::<TimestampNanosecondType>();
    let mut partitions = Vec::new();
    let mut start = 0;
    while start < sorted.num_rows() {
        let day = day_of(times, start);
        let mut end = start + 1;
        while end < sorted.num_rows() && day_of(times, end) == day {
            end += 1;
        }
        partitions.push(Partition {
            day: utc_day(day),
            min_time: time_at(times, start),
            max_time: time_at(times, end - 1),
            batch: sorted.slice(start, end - start),
        });
        start = end;
    }
    Ok(partitions)
}

fn time_at(times: &datafusion::arrow::array::TimestampNanosecondArray, row: usize) -> i64 {
    if times.is_null(row) {
        0
    } else {
        times.value(row)
    }
}

fn day_of(times: &datafusion::arrow::array::TimestampNanosecondArray, row: usize) -> i64 {
    time_at(times, row).div_euclid(DAY_NANOS)
}

/// The `YYYY-MM-DD` of a day counted from 1970-01-01 (UTC, proleptic Gregorian calendar).
pub fn utc_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Writes `partition` of `table` as a new Parquet file and returns its catalog entry. The file is
/// not part of the table until the entry is committed.
pub async fn write_partition(
    store: &Arc<dyn ObjectStore>,
    table: &str,
    partition: Partition,
) -> Result<DataFile> {
    let path = format!("{table}/{}/{}.parquet", partition.day, uuid::Uuid::new_v4());
    let rows = partition.batch.num_rows() as u64;
    let batch = partition.batch;
    let encoded = tokio::task::spawn_blocking(move || encode(&batch))
        .await
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))??;
    let bytes = encoded.len() as u64;
    store
        .put(&ObjectPath::from(path.as_str()), PutPayload::from(encoded))
        .await?;
    Ok(DataFile {
        path,
        table: table.to_owned(),
        partition: partition.day,
        min_time: partition.min_time,
        max_time: partition.max_time,
        rows,
        bytes,
    })
}

/// A batch as the bytes of a Parquet file (ZSTD, small row groups, statistics per page).
fn encode(batch: &RecordBatch) -> Result<Vec<u8>> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(buffer)
}

/// Every row of a Parquet file.
pub async fn read_file(store: &Arc<dyn ObjectStore>, path: &str) -> Result<Vec<RecordBatch>> {
    let bytes: Bytes = store.get(&ObjectPath::from(path)).await?.bytes().await?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_days_follow_the_calendar() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(19_783), "2024-03-01");
        assert_eq!(utc_day(19_782), "2024-02-29");
        assert_eq!(utc_day(-1), "1969-12-31");
    }
}
