//! A query's time limit: its result stream ends with an error once the limit has passed, and
//! dropping the stream stops the query's work.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::LogStoreError;

/// A result stream that fails once its time limit has passed.
pub struct Deadline {
    inner: Option<SendableRecordBatchStream>,
    schema: SchemaRef,
    timer: Pin<Box<Sleep>>,
    limit: Duration,
}

impl Deadline {
    /// `inner`, ended at `until` with the error that the query exceeded `limit`.
    pub fn new(inner: SendableRecordBatchStream, until: Instant, limit: Duration) -> Deadline {
        Deadline {
            schema: inner.schema(),
            inner: Some(inner),
            timer: Box::pin(tokio::time::sleep_until(until)),
            limit,
        }
    }
}

impl Stream for Deadline {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(item) = inner.as_mut().poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.inner = None;
            let error = LogStoreError::TimeLimit(self.limit);
            return Poll::Ready(Some(Err(DataFusionError::External(Box::new(error)))));
        }
        Poll::Pending
    }
}

impl RecordBatchStream for Deadline {
    fn schema(&self) -> SchemaRef {
        SchemaRef::clone(&self.schema)
    }
}
