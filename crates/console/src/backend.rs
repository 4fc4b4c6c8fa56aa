//! The seam between the consoles and the stores behind them.
//!
//! The XDR and the SIEM each implement [`ConsoleBackend`] over their own store and identities; the console
//! renders whatever they return. Paging, filtering and authorization decisions happen on the backend's side of
//! the seam, so the console never holds more than one page of incidents.

use std::future::Future;

use crate::view::{
    Action, Caller, ConsoleProfile, Counts, IncidentDetail, IncidentPage, IncidentQuery, Session,
    SyncHealth,
};

/// Why a console request failed. The console turns each variant into a page with the matching HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// A form or URL value is not acceptable (400).
    #[error("{field} {value:?} is not valid: {reason}")]
    Invalid {
        /// The field, as named in the form or URL.
        field: String,
        /// The offending value.
        value: String,
        /// What would have been accepted.
        reason: String,
    },
    /// No incident has this id (404).
    #[error("no incident has the id {0:?}")]
    NotFound(String),
    /// Sign-in with an unknown client id or a wrong secret (401).
    #[error("the client id or the client secret is not correct")]
    BadCredentials,
    /// Too many failed sign-ins from this address or for this app (429); retry after this many
    /// seconds.
    #[error("too many failed sign-ins from this address or for this app; try again in {0} seconds")]
    Throttled(u64),
    /// The caller may not do this (403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The change clashes with the incident's current state (409).
    #[error("the incident could not be changed: {0}")]
    Conflict(String),
    /// The store behind the backend failed (500).
    #[error("the store failed: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ConsoleError {
    /// An [`ConsoleError::Invalid`] naming the field, the value and what was expected.
    pub fn invalid(field: &str, value: &str, reason: &str) -> ConsoleError {
        ConsoleError::Invalid {
            field: field.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// A failed sign-in: [`ConsoleError::Throttled`] when the caller must wait `retry_after_secs`,
    /// else [`ConsoleError::BadCredentials`].
    pub fn sign_in_failed(retry_after_secs: Option<u64>) -> ConsoleError {
        retry_after_secs.map_or(ConsoleError::BadCredentials, ConsoleError::Throttled)
    }

    /// A [`ConsoleError::Store`] wrapping any error of the store.
    pub fn store(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ConsoleError {
        ConsoleError::Store(error.into())
    }
}

/// The result of every backend call.
pub type ConsoleResult<T> = Result<T, ConsoleError>;

/// What a console needs from the service it belongs to.
///
/// Implementations may write `async fn` for each method; the futures must be `Send` because the console serves
/// requests on a multi-threaded runtime.
pub trait ConsoleBackend: Send + Sync + 'static {
    /// The console's name, its twin's name and its vocabulary. Called on every page, so it should be cheap.
    fn profile(&self) -> &ConsoleProfile;

    /// Signs in with an app registration's client id and secret, the same credentials the API's token endpoint
    /// takes. Unknown ids and wrong secrets are [`ConsoleError::BadCredentials`].
    fn sign_in(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> impl Future<Output = ConsoleResult<Session>> + Send;

    /// Looks up the caller of a session token from the cookie; `None` when it is unknown or expired.
    fn verify_session(
        &self,
        token: &str,
    ) -> impl Future<Output = ConsoleResult<Option<Caller>>> + Send;

    /// Ends a session. Ending an unknown session is not an error.
    fn sign_out(&self, token: &str) -> impl Future<Output = ConsoleResult<()>> + Send;

    /// One page of incidents matching the query, and how many match in all.
    fn list_incidents(
        &self,
        query: &IncidentQuery,
    ) -> impl Future<Output = ConsoleResult<IncidentPage>> + Send;

    /// Incident counts by status and by severity over the whole store.
    fn counts(&self) -> impl Future<Output = ConsoleResult<Counts>> + Send;

    /// One incident with its alerts, entities, history, comments and twin; `None` when there is no such id.
    fn incident(
        &self,
        id: &str,
    ) -> impl Future<Output = ConsoleResult<Option<IncidentDetail>>> + Send;

    /// Applies an action on behalf of a caller. The console has already checked that the caller may write and
    /// that option values come from the vocabulary; the backend checks the rest against its store.
    fn apply(
        &self,
        caller: &Caller,
        id: &str,
        action: Action,
    ) -> impl Future<Output = ConsoleResult<()>> + Send;

    /// What this side calls the finer verdict beside the classification, shown on the incident page and the
    /// close form, e.g. `Classification reason`. The default is `Determination`.
    fn determination_label(&self) -> &str {
        "Determination"
    }

    /// The connector's health, for consoles whose profile has `has_sync_health`. The default has none.
    fn sync_health(&self) -> impl Future<Output = ConsoleResult<Option<SyncHealth>>> + Send {
        async { Ok(None) }
    }
}
