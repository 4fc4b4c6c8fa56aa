//! Client plumbing shared by everything in Tandem that calls a Graph-, ARM- or Logs-Ingestion-shaped API:
//! client-credentials tokens refreshed before they expire, retries that honour `Retry-After` and back off
//! with jitter, and `@odata.nextLink` / `nextLink` paging.
//!
//! The same code talks to the Microsoft services and to `tandem xdr` / `tandem siem`; only the URLs in the
//! [`ClientConfig`] differ. Build an [`ApiClient`] from a config and call it:
//!
//! ```no_run
//! # async fn example(config: tandem_client::ClientConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let client = tandem_client::ApiClient::new(&config)?;
//! let incidents: Vec<serde_json::Value> = client
//!     .get_all("https://graph.microsoft.com/v1.0/security/incidents")
//!     .await?;
//! println!("{} incidents, {:?}", incidents.len(), client.counters().snapshot());
//! # Ok(())
//! # }
//! ```
//!
//! - [`config`]: the TOML config ([`ClientConfig`]), secrets read inline, from an environment variable or
//!   from a file, extra CA certificates (verification is always on).
//! - [`token`]: client-credentials tokens, cached and refreshed at 80% of their lifetime, one refresh at a
//!   time.
//! - [`client`]: JSON calls with `If-Match` and gzip bodies, and which failures are retried (POST and
//!   PATCH only when the server provably did not act, unless marked [`ApiRequest::retry_safe`]).
//! - [`retry`]: `Retry-After`, exponential backoff with full jitter, attempt and wait budgets.
//! - [`paging`]: `@odata.nextLink` / `nextLink`, page by page or all at once.
//! - [`error`]: [`ClientError`], with the status and the service's `error.code` / `error.message`.
//! - [`counters`]: requests, retries, throttles and token requests, for the owner to export.

pub mod client;
pub mod config;
pub mod counters;
pub mod error;
pub mod paging;
pub mod retry;
pub mod secret;
pub mod token;

pub use client::{ApiClient, ApiRequest, ApiResponse};
pub use config::{ClientConfig, ConfigError, CredentialConfig, DEFAULT_TOKEN_URL, TimeoutConfig};
pub use counters::{ClientCounters, CounterSnapshot};
pub use error::{ClientError, ServiceError, StatusError};
pub use paging::{Page, Pager};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use token::{AccessToken, TokenError, TokenSource};
