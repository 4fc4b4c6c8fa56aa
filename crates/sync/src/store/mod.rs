//! The connector's durable state, behind a trait so that another database can hold it.
//!
//! A [`SyncStore`] keeps the pairs and their bases, each side's poll watermark, the outbox of planned
//! writes, the conflict log, quarantined items and poll history. Two operations carry the connector's
//! crash safety:
//! - [`SyncStore::commit`] stores, in one transaction, the planned writes and new base of every pair a
//!   reconciliation touched, and (for a poll batch) the side's new watermark, so a watermark never moves
//!   past an item whose plan is not stored;
//! - [`SyncStore::complete_write`] marks one planned write done (and records what performing it taught
//!   the base), so that after a restart [`SyncStore::pending_writes`] lists exactly the writes to replay;
//!   a write that keeps failing counts its attempts ([`SyncStore::retry_write_later`]) until it is set
//!   aside ([`SyncStore::set_aside_write`]).
//!
//! The trait is async, so a store can wait on a database server without holding an async worker; every
//! method takes `&self`, so a backend with a connection pool serves several pairs at once. Two backends
//! implement it: [`SqliteStore`], the embedded default (one file, its blocking calls run on a blocking
//! thread), and [`PgStore`] (PostgreSQL through a connection pool, for connectors that share their
//! state). [`StoreUrl`] names either (`sqlite://PATH`, `postgres://…`) and opens it as a [`Store`]. Both
//! create and upgrade their schema at open through versioned migrations (`migrate.rs`).

mod codec;
mod migrate;
mod postgres;
mod sqlite;
mod url;

use std::future::Future;
use std::time::Duration;

use tandem_model::Timestamp;
use uuid::Uuid;

use crate::reconcile::{Base, Conflict, PairKey, PlannedWrite, Side, SideVersion};

pub use postgres::PgStore;
pub use sqlite::{FILE_NAME, SqliteStore};
pub use url::{Store, StoreUrl, redact};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite database failed.
    #[error("sync store: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL database failed; the message carries the server's own (so the driver's error is
    /// kept, not chained as a source that would repeat it).
    #[error("sync store: {message}")]
    Postgres {
        /// The error and its causes, in one line.
        message: String,
        /// The driver's error.
        error: tokio_postgres::Error,
    },
    /// The store URL cannot be used.
    #[error("sync store: {url}: {reason}")]
    BadUrl {
        /// The URL, its password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database named by the URL could not be reached.
    #[error("sync store: cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL, its password hidden.
        url: String,
        /// Why, with the driver's causes.
        reason: String,
    },
    /// The database's schema was written by a newer Tandem.
    #[error(
        "sync store: the schema is at version {found}, newer than the {known} this build knows; run a newer tandem"
    )]
    SchemaTooNew {
        /// The version recorded in `schema_version`.
        found: i64,
        /// The latest version this build migrates to.
        known: i64,
    },
    /// The store's blocking work was stopped before it finished (the runtime is shutting down).
    #[error("sync store: the work was stopped: {0}")]
    Stopped(String),
    /// The data directory could not be prepared.
    #[error("sync store: cannot prepare `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// A stored value could not be read back.
    #[error("sync store: column `{column}` holds an unreadable value `{value}`: {message}")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// The offending value.
        value: String,
        /// What was wrong.
        message: String,
    },
    /// A write was completed that the outbox does not hold.
    #[error("sync store: no outbox entry with key {0}")]
    UnknownWrite(Uuid),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(source: tokio_postgres::Error) -> Self {
        StoreError::Postgres {
            message: error_chain(&source),
            error: source,
        }
    }
}

/// An error and each of its causes, joined with `: ` (the PostgreSQL driver keeps the server's message
/// in a cause).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// A pair as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRecord {
    /// The pair.
    pub key: PairKey,
    /// The SIEM twin's incident name.
    pub siem_name: Uuid,
    /// What both sides last agreed on.
    pub base: Base,
    /// The XDR version (its change marker) whose table rows were sent and alerts attached; until it
    /// equals the base's XDR marker, that version is not fully consumed.
    pub landed: Option<String>,
}

/// The outcome of one reconciliation, to store atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCommit {
    /// The pair.
    pub pair: PairKey,
    /// The new base.
    pub base: Base,
    /// The writes to perform (entries whose key is already in the outbox are not added again).
    pub writes: Vec<PlannedWrite>,
    /// Values that lost, for the conflict log.
    pub conflicts: Vec<Conflict>,
}

/// A poll of one side, handled: its items' plans are in the same commit.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord {
    /// The side polled.
    pub side: Side,
    /// The new watermark: the side's change time of the newest item handled (by that side's clock).
    pub watermark: Timestamp,
    /// When the poll ran, by the connector's clock (shown by `tandem sync status`, decides nothing).
    pub polled_at: Timestamp,
    /// How many items the poll returned.
    pub items: u32,
    /// How far the newest item trailed the poll, when the side's clock allows a guess.
    pub lag: Option<Duration>,
}

/// Everything one transaction stores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Commit {
    /// When, by the connector's clock (kept in the conflict log for operators).
    pub at: Option<Timestamp>,
    /// One entry per reconciled pair.
    pub plans: Vec<PlanCommit>,
    /// The poll whose batch these plans handle, if any; its watermark advances with them.
    pub poll: Option<PollRecord>,
}

/// Whether a planned write still waits to be performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteState {
    /// Stored, not yet confirmed performed.
    Planned,
    /// Performed (or found superseded) and confirmed.
    Done,
    /// Refused for good, or failed too often: no longer replayed, shown to operators.
    SetAside,
}

/// A planned write as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Order of planning; replay in this order.
    pub seq: i64,
    /// The write.
    pub write: PlannedWrite,
    /// Its state.
    pub state: WriteState,
    /// Failed attempts so far.
    pub attempts: u32,
    /// After a failure: not to be tried again before this time (the connector's clock).
    pub retry_at: Option<Timestamp>,
    /// The latest failure.
    pub error: Option<String>,
}

/// What performing a write taught the connector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WriteOutcome {
    /// The target's version before and after the write, when the write produced a new one: the base
    /// advances if it had consumed `before` ([`Base::advance_after_write`]).
    pub versions: Option<(SideVersion, SideVersion)>,
    /// Changes the target had superseded ([`crate::reconcile::Rebased::conflicts`]).
    pub conflicts: Vec<Conflict>,
    /// When, by the connector's clock.
    pub at: Option<Timestamp>,
}

/// A conflict as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRecord {
    /// Log order.
    pub id: i64,
    /// The pair.
    pub pair: PairKey,
    /// When it was logged, by the connector's clock, if the caller said.
    pub at: Option<String>,
    /// The conflict.
    pub conflict: Conflict,
}

/// An item the connector could not handle and set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedItem {
    /// The side it came from.
    pub side: Side,
    /// Its id on that side.
    pub item: String,
    /// The latest error.
    pub error: String,
    /// First failure, by the connector's clock.
    pub first_seen: String,
    /// Latest failure, by the connector's clock.
    pub last_seen: String,
    /// How many times it failed.
    pub attempts: u32,
}

/// One side's poll history, for `tandem sync status`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollStatus {
    /// The current watermark.
    pub watermark: Option<Timestamp>,
    /// The latest successful poll.
    pub last_success: Option<PollRecord>,
    /// The latest recorded failure: when, and the error.
    pub last_failure: Option<(String, String)>,
    /// Lag of the most recent polls, newest first.
    pub recent_lags: Vec<Duration>,
}

/// The connector's durable state. Every call is async and takes `&self`: a backend serialises or pools
/// its connections itself.
pub trait SyncStore: Send + Sync {
    /// The pair for an XDR incident.
    fn pair(
        &self,
        key: &PairKey,
    ) -> impl Future<Output = Result<Option<PairRecord>, StoreError>> + Send;

    /// The pair whose SIEM twin has this name.
    fn pair_by_siem_name(
        &self,
        siem_name: &Uuid,
    ) -> impl Future<Output = Result<Option<PairKey>, StoreError>> + Send;

    /// Stores plans, bases, conflicts and the poll's watermark in one transaction.
    fn commit(&self, commit: &Commit) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Planned writes not yet done, in planning order: on start-up, replay these first.
    fn pending_writes(&self) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;

    /// The outbox entry with this key.
    fn outbox_entry(
        &self,
        key: &Uuid,
    ) -> impl Future<Output = Result<Option<OutboxEntry>, StoreError>> + Send;

    /// Writes set aside, in planning order.
    fn set_aside_writes(&self)
    -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;

    /// Counts a failed attempt of a planned write, which stays planned but waits until `retry_at`;
    /// returns the attempts so far.
    fn retry_write_later(
        &self,
        key: &Uuid,
        error: &str,
        retry_at: &Timestamp,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Counts a failed attempt and sets the write aside: it is no longer replayed. Returns the attempts.
    fn set_aside_write(
        &self,
        key: &Uuid,
        error: &str,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Records that the rows and alerts of the pair's XDR version `marker` landed in the SIEM.
    fn mark_landed(
        &self,
        pair: &PairKey,
        marker: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks a write done and records its outcome, in one transaction.
    fn complete_write(
        &self,
        key: &Uuid,
        outcome: &WriteOutcome,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A side's watermark.
    fn watermark(
        &self,
        side: Side,
    ) -> impl Future<Output = Result<Option<Timestamp>, StoreError>> + Send;

    /// Records a failed poll (the watermark stays).
    fn record_poll_failure(
        &self,
        side: Side,
        at: &Timestamp,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A side's poll history; `lags` limits the lag samples returned.
    fn poll_status(
        &self,
        side: Side,
        lags: usize,
    ) -> impl Future<Output = Result<PollStatus, StoreError>> + Send;

    /// The most recent conflicts, newest first.
    fn conflicts(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ConflictRecord>, StoreError>> + Send;

    /// Sets an item aside after a failure, or counts another failure of one already set aside.
    fn quarantine(
        &self,
        side: Side,
        item: &str,
        error: &str,
        at: &Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes an item out of quarantine (it was handled, or an operator retries it).
    fn release(
        &self,
        side: Side,
        item: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every quarantined item.
    fn quarantined(&self) -> impl Future<Output = Result<Vec<QuarantinedItem>, StoreError>> + Send;
}
