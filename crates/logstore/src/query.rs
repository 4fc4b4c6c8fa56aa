//! Running a query within the store's limits: its plan and its stream under the time limit, its
//! operators in the store's memory pool (through the session's runtime).

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use futures_util::TryStreamExt as _;

use crate::deadline::Deadline;
use crate::error::{LogStoreError, Result};
use crate::store::LogStore;

impl LogStore {
    /// The results of `frame` as a stream that fails once the query time limit has passed.
    pub async fn stream(&self, frame: DataFrame) -> Result<SendableRecordBatchStream> {
        let limit = self.options().query_time_limit;
        let until = tokio::time::Instant::now() + limit;
        let stream = tokio::time::timeout_at(until, frame.execute_stream())
            .await
            .map_err(|_| LogStoreError::TimeLimit(limit))??;
        Ok(Box::pin(Deadline::new(stream, until, limit)))
    }

    /// Every result batch of `frame`, within the query time limit.
    pub async fn collect(&self, frame: DataFrame) -> Result<Vec<RecordBatch>> {
        let stream = self.stream(frame).await?;
        stream.try_collect().await.map_err(|error| match error {
            datafusion::error::DataFusionError::External(inner) => {
                match inner.downcast::<LogStoreError>() {
                    Ok(ours) => *ours,
                    Err(other) => LogStoreError::DataFusion(
                        datafusion::error::DataFusionError::External(other),
                    ),
                }
            }
            other => LogStoreError::DataFusion(other),
        })
    }
}
