//! [`BenchError`]: why a benchmark could not run or could not finish, with what to look at.

/// Why a benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A child process did not come up, or stopped early.
    #[error(transparent)]
    Process(#[from] tandem_testkit::TestkitError),
    /// A server's `credentials.env` could not be read or lacks a key.
    #[error("credentials: {0}")]
    Credentials(String),
    /// An API client could not be configured.
    #[error(transparent)]
    ClientConfig(#[from] tandem_client::ConfigError),
    /// An API call failed.
    #[error(transparent)]
    Client(#[from] tandem_client::ClientError),
    /// A plain HTTP call (`/healthz`, `/metrics`) failed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// Seeding the XDR failed.
    #[error(transparent)]
    Scenario(#[from] tandem_scenario::ScenarioError),
    /// The connector's config could not be generated.
    #[error(transparent)]
    SyncConfig(#[from] tandem_sync::config::SyncConfigError),
    /// The connector's store could not be seeded.
    #[error(transparent)]
    Store(#[from] tandem_sync::store::StoreError),
    /// A response or file did not have the expected shape.
    #[error("{0}")]
    Unexpected(String),
    /// The scenario ran but did not finish in time.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl BenchError {
    /// An [`BenchError::Io`] for `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
        let what = what.into();
        move |source| BenchError::Io { what, source }
    }
}
