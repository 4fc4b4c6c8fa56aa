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
