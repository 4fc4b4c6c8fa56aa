//! Which store a URL names (`sqlite://PATH` or `postgres://…`), how it is shown without its password,
//! and [`Store`], the store it opens: one type for the connector whichever backend holds the state.

use std::path::{Path, PathBuf};

use tandem_model::Timestamp;
use uuid::Uuid;

use super::{
    Commit, ConflictRecord, OutboxEntry, PairRecord, PgStore, PollStatus, QuarantinedItem,
    SqliteStore, StoreError, SyncStore, WriteOutcome,
};
use crate::reconcile::{PairKey, Side};

/// What replaces a password when a URL is shown.
const REDACTED: &str = "***";

/// A store's location, parsed from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://PATH`: the embedded store in the database file PATH.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL database (libpq's URL form, so
    /// `?options=-c%20search_path%3Dtandem` picks a schema).
    Postgres(String),
}

impl StoreUrl {
    /// Parses a store URL; the error names the URL with its password hidden.
    pub fn parse(text: &str) -> Result<StoreUrl, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact(text),
            reason: reason.to_owned(),
        };
        if let Some(path) = text.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("expected sqlite://PATH, the database file"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            text.parse::<tokio_postgres::Config>()
                .map_err(|e| bad(&format!("not a PostgreSQL URL: {e}")))?;
            return Ok(StoreUrl::Postgres(text.to_owned()));
        }
        Err(bad(
            "expected sqlite://PATH or postgres://USER@HOST/DATABASE",
        ))
    }

    /// The embedded store in a data directory (the default).
    pub fn in_data_dir(data_dir: &Path) -> StoreUrl {
        StoreUrl::Sqlite(data_dir.join(super::FILE_NAME))
    }

    /// Opens the store, creating or migrating its schema; the error names the URL.
    pub async fn open(&self) -> Result<Store, StoreError> {
        Ok(match self {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open_file(path)?),
            StoreUrl::Postgres(url) => Store::Postgres(PgStore::connect(url).await?),
        })
    }
}

/// The URL as it may be shown: the PostgreSQL password is hidden.
impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// `text` with the password of its user part and any `password=` parameter hidden. The user part ends
/// at the last `@` before the query, so a password holding `/` or `@` is hidden whole.
pub fn redact(text: &str) -> String {
    let hidden_user_password = text.split_once("://").and_then(|(scheme, rest)| {
        let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
        let at = before_query.rfind('@')?;
        let (name, _) = rest[..at].split_once(':')?;
        Some(format!("{scheme}://{name}:{REDACTED}{}", &rest[at..]))
    });
    redact_password_parameters(hidden_user_password.as_deref().unwrap_or(text))
}

/// Hides the value of every `password=` parameter (query or key-value form).
fn redact_password_parameters(text: &str) -> String {
    const KEY: &str = "password=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.to_ascii_lowercase().find(KEY) {
        let value_start = at + KEY.len();
        out.push_str(&rest[..value_start]);
        out.push_str(REDACTED);
        let value_len = rest[value_start..]
            .find(['&', ' '])
            .unwrap_or(rest.len() - value_start);
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

/// The store a [`StoreUrl`] opened.
#[derive(Debug)]
pub enum Store {
    /// The embedded SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

impl From<SqliteStore> for Store {
    fn from(store: SqliteStore) -> Self {
        Store::Sqlite(store)
    }
}

impl From<PgStore> for Store {
    fn from(store: PgStore) -> Self {
        Store::Postgres(store)
    }
}

/// Calls the same method on whichever backend holds the state.
macro_rules! on_backend {
    ($store:expr, $backend:ident => $call:expr) => {
        match $store {
            Store::Sqlite($backend) => $call,
            Store::Postgres($backend) => $call,
        }
    };
}

impl SyncStore for Store {
    async fn pair(&self, key: &PairKey) -> Result<Option<PairRecord>, StoreError> {
        on_backend!(self, s => s.pair(key).await)
    }

    async fn pair_by_siem_name(&self, siem_name: &Uuid) -> Result<Option<PairKey>, StoreError> {
        on_backend!(self, s => s.pair_by_siem_name(siem_name).await)
    }

    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        on_backend!(self, s => s.commit(commit).await)
    }

    async fn pending_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        on_backend!(self, s => s.pending_writes().await)
    }

    async fn outbox_entry(&self, key: &Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        on_backend!(self, s => s.outbox_entry(key).await)
    }

    async fn set_aside_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        on_backend!(self, s => s.set_aside_writes().await)
    }

    async fn retry_write_later(
        &self,
        key: &Uuid,
        error: &str,
        retry_at: &Timestamp,
    ) -> Result<u32, StoreError> {
        on_backend!(self, s => s.retry_write_later(key, error, retry_at).await)
    }

    async fn set_aside_write(&self, key: &Uuid, error: &str) -> Result<u32, StoreError> {
        on_backend!(self, s => s.set_aside_write(key, error).await)
    }

    async fn mark_landed(&self, pair: &PairKey, marker: &str) -> Result<(), StoreError> {
        on_backend!(self, s => s.mark_landed(pair, marker).await)
    }

    async fn complete_write(&self, key: &Uuid, outcome: &WriteOutcome) -> Result<(), StoreError> {
        on_backend!(self, s => s.complete_write(key, outcome).await)
    }

    async fn watermark(&self, side: Side) -> Result<Option<Timestamp>, StoreError> {
        on_backend!(self, s => s.watermark(side).await)
    }

    async fn record_poll_failure(
        &self,
        side: Side,
        at: &Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        on_backend!(self, s => s.record_poll_failure(side, at, error).await)
    }

    async fn poll_status(&self, side: Side, lags: usize) -> Result<PollStatus, StoreError> {
        on_backend!(self, s => s.poll_status(side, lags).await)
    }

    async fn conflicts(&self, limit: usize) -> Result<Vec<ConflictRecord>, StoreError> {
        on_backend!(self, s => s.conflicts(limit).await)
    }

    async fn quarantine(
        &self,
        side: Side,
        item: &str,
        error: &str,
        at: &Timestamp,
    ) -> Result<(), StoreError> {
        on_backend!(self, s => s.quarantine(side, item, error, at).await)
    }

    async fn release(&self, side: Side, item: &str) -> Result<bool, StoreError> {
        on_backend!(self, s => s.release(side, item).await)
    }

    async fn quarantined(&self) -> Result<Vec<QuarantinedItem>, StoreError> {
        on_backend!(self, s => s.quarantined().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_they_are_written() {
        assert_eq!(
            redact("postgres://tandem:s3cret@db.example:5432/sync?sslmode=disable"),
            "postgres://tandem:***@db.example:5432/sync?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://tandem@db/sync?password=s3cret&application_name=x"),
            "postgres://tandem@db/sync?password=***&application_name=x"
        );
        assert_eq!(
            redact("host=db PASSWORD=s3cret user=tandem"),
            "host=db PASSWORD=*** user=tandem"
        );
        assert_eq!(
            redact("postgres://tandem:a/b@c@db/sync"),
            "postgres://tandem:***@db/sync"
        );
        assert_eq!(redact("postgres://db/sync"), "postgres://db/sync");
    }

    #[test]
    fn each_scheme_names_its_backend() {
        assert_eq!(
            StoreUrl::parse("sqlite:///var/lib/tandem/sync.sqlite3").unwrap(),
            StoreUrl::Sqlite(PathBuf::from("/var/lib/tandem/sync.sqlite3"))
        );
        assert_eq!(
            StoreUrl::parse("sqlite://data/sync.sqlite3").unwrap(),
            StoreUrl::Sqlite(PathBuf::from("data/sync.sqlite3"))
        );
        let url = "postgresql://tandem:pw@127.0.0.1/sync";
        let parsed = StoreUrl::parse(url).unwrap();
        assert_eq!(parsed, StoreUrl::Postgres(url.to_owned()));
        assert_eq!(parsed.to_string(), "postgresql://tandem:***@127.0.0.1/sync");
    }

    #[test]
    fn a_bad_url_is_refused_naming_it_without_its_password() {
        for (text, shown) in [
            ("mysql://root:pw@db/sync", "mysql://root:***@db/sync"),
            ("sqlite://", "sqlite://"),
            (
                "postgres://u:pw@db:notaport/x",
                "postgres://u:***@db:notaport/x",
            ),
            ("./sync.sqlite3", "./sync.sqlite3"),
        ] {
            let error = StoreUrl::parse(text).unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(&error, StoreError::BadUrl { url, .. } if url == shown),
                "{message}"
            );
            assert!(!message.contains("pw@"), "{message}");
        }
    }
}
