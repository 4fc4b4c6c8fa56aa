//! Counts of what a client did, for the component that owns it to export (the connector publishes them on
//! its own metrics endpoint). Plain atomics: reading them never blocks a request.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals for one client; shared by its token source and its API calls.
#[derive(Debug, Default)]
pub struct ClientCounters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttles: AtomicU64,
    token_requests: AtomicU64,
}

/// The totals at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterSnapshot {
    /// API requests sent (every attempt counts; token requests do not).
    pub requests: u64,
    /// Attempts repeated after a failure, token requests included.
    pub retries: u64,
    /// Responses with status 429 or 503.
    pub throttles: u64,
    /// Requests sent to the token endpoint.
    pub token_requests: u64,
}

impl ClientCounters {
    /// The current totals.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_throttle(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }
}
