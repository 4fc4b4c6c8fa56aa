//! A table as DataFusion reads it: the Parquet files whose time range overlaps the query's, plus
//! the rows not yet flushed, in one scan.
//!
//! Every filter is accepted as `Inexact`: DataFusion still applies it above the scan, and the scan
//! uses it three ways: comparisons of the time column with constants choose the files (from the
//! catalog's per-file first and last times) and the unflushed batches to read, and the whole
//! conjunction goes to the Parquet reader, which skips row groups and pages by their statistics.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;

use crate::catalog::DataFile;
use crate::store::Table;

/// A table of the store, for DataFusion.
#[derive(Debug)]
pub struct LogTable {
    table: Arc<Table>,
    files_url: ObjectStoreUrl,
}

impl LogTable {
    pub(crate) fn new(table: Arc<Table>, files_url: ObjectStoreUrl) -> LogTable {
        LogTable { table, files_url }
    }

    /// The files scan of `files`, with `filters` handed to the Parquet reader.
    fn file_scan(
        &self,
        state: &dyn Session,
        files: &[DataFile],
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = self.table.schema();
        let mut source = ParquetSource::new(Arc::clone(&schema));
        if let Some(predicate) = conjunction(filters.iter().cloned()) {
            let df_schema = DFSchema::try_from(Arc::clone(&schema))?;
            source = source.with_predicate(state.create_physical_expr(predicate, &df_schema)?);
        }
        let groups = state.config().target_partitions().clamp(1, files.len());
        let mut file_groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); groups];
        for (index, file) in files.iter().enumerate() {
            file_groups[index % groups].push(PartitionedFile::new(file.path.clone(), file.bytes));
        }
        let config = FileScanConfigBuilder::new(self.files_url.clone(), Arc::new(source))
            .with_file_groups(file_groups.into_iter().map(FileGroup::new).collect())
            .with_projection_indices(projection.cloned())?
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}

#[async_trait]
impl TableProvider for LogTable {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let bounds = TimeBounds::of(filters, &self.table.def().time_column);
        let (files, unflushed) = self.table.snapshot(|min, max| bounds.overlaps(min, max));
        let mut inputs = Vec::new();
        if !files.is_empty() {
            inputs.push(self.file_scan(state, &files, projection, filters)?);
        }
        if !unflushed.is_empty() {
            inputs.push(memory_scan(unflushed, self.table.schema(), projection)?);
        }
        if inputs.is_empty() {
            let schema =
                datafusion::physical_plan::project_schema(&self.table.schema(), projection)?;
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        UnionExec::try_new(inputs)
    }
}

/// The unflushed batches, spread over a few partitions so they are read in parallel.
fn memory_scan(
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
    projection: Option<&Vec<usize>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    const PARTITIONS: usize = 4;
    let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); PARTITIONS.min(batches.len())];
    let count = partitions.len();
    for (index, batch) in batches.into_iter().enumerate() {
        partitions[index % count].push(batch);
    }
    Ok(MemorySourceConfig::try_new_exec(
        &partitions,
        schema,
        projection.cloned(),
    )?)
}

/// The range of the time column the filters allow, in nanoseconds since the epoch (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBounds {
    /// No row before this time qualifies.
    pub min: i64,
    /// No row after this time qualifies.
    pub max: i64,
}

impl TimeBounds {
    /// Every time.
    const ALL: TimeBounds = TimeBounds {
        min: i64::MIN,
        max: i64::MAX,
    };

    /// The bounds `filters` (all of which must hold) put on `column`.
    pub fn of(filters: &[Expr], column: &str) -> TimeBounds {
        filters.iter().fold(TimeBounds::ALL, |bounds, filter| {
            bounds.narrowed(filter, column)
        })
    }

    /// Whether rows between `min` and `max` may qualify.
    pub fn overlaps(&self, min: i64, max: i64) -> bool {
        min <= self.max && max >= self.min
    }

    fn narrowed(self, filter: &Expr, column: &str) -> TimeBounds {
        match filter {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::And,
                right,
            }) => self.narrowed(left, column).narrowed(right, column),
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                match (
                    is_column(left, column),
                    nanos(right),
                    is_column(right, column),
                    nanos(left),
                ) {
                    (true, Some(time), _, _) => self.compared(*op, time),
                    (_, _, true, Some(time)) => match op.swap() {
                        Some(swapped) => self.compared(swapped, time),
                        None => self,
                    },
                    _ => self,
                }
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if is_column(expr, column) => match (nanos(low), nanos(high)) {
                (Some(low), Some(high)) => self
                    .compared(Operator::GtEq, low)
                    .compared(Operator::LtEq, high),
                _ => self,
            },
            _ => self,
        }
    }

    /// Narrowed by `column <op> time`.
    fn compared(self, op: Operator, time: i64) -> TimeBounds {
        match op {
            Operator::Gt | Operator::GtEq => TimeBounds {
                min: self.min.max(time),
                ..self
            },
            Operator::Lt | Operator::LtEq => TimeBounds {
                max: self.max.min(time),
                ..self
            },
            Operator::Eq => TimeBounds {
                min: self.min.max(time),
                max: self.max.min(time),
            },
            _ => self,
        }
    }
}

fn is_column(expr: &Expr, column: &str) -> bool {
    matches!(expr, Expr::Column(c) if c.name == column)
}

/// A timestamp constant in nanoseconds since the epoch.
fn nanos(expr: &Expr) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match value {
        ScalarValue::TimestampNanosecond(Some(n), _) => Some(*n),
        ScalarValue::TimestampMicrosecond(Some(n), _) => n.checked_mul(1_000),
        ScalarValue::TimestampMillisecond(Some(n), _) => n.checked_mul(1_000_000),
        ScalarValue::TimestampSecond(Some(n), _) => n.checked_mul(1_000_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{ident as col, lit};

    fn at(nanos: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(
            Some(nanos),
            Some("UTC".into()),
        ))
    }

    #[test]
    fn comparisons_with_the_time_column_bound_the_range() {
        let filters = [
            col("T").gt_eq(at(100)).and(col("Other").gt(at(1_000))),
            at(200).gt(col("T")),
        ];
        assert_eq!(
            TimeBounds::of(&filters, "T"),
            TimeBounds { min: 100, max: 200 }
        );
        let between = [col("T").between(at(5), at(7))];
        assert_eq!(TimeBounds::of(&between, "T"), TimeBounds { min: 5, max: 7 });
        let either = [col("T").gt(at(5)).or(col("T").lt(at(1)))];
        assert_eq!(TimeBounds::of(&either, "T"), TimeBounds::ALL);
        let equal = [col("T").eq(at(9))];
        let bounds = TimeBounds::of(&equal, "T");
        assert!(bounds.overlaps(0, 9) && bounds.overlaps(9, 20) && !bounds.overlaps(10, 20));
    }
}
