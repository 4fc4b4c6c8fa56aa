//! The SIEM's log tables, stored for analytics: an acknowledged row is durable before the intake
//! answers, then lands in Parquet files partitioned by its time column, compacted in the
//! background. Queries read the tables through DataFusion table providers that skip the
//! partitions outside a query's time range and add the rows not yet flushed.
