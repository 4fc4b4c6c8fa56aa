//! Bearer tokens from the OAuth 2.0 client-credentials grant, the way the Microsoft identity platform (and
//! `tandem xdr` / `tandem siem`, which imitate it) issue them.
//!
//! A [`TokenSource`] keeps one token and asks for a new one when 80% of its lifetime has passed, so a
//! request never leaves with a token about to expire. Concurrent callers share one refresh: the first
//! one asks the token endpoint while the others wait for its answer.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Deserializer};
use tandem_model::{ParseError, parse_json};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{ClientConfig, ConfigError};
use crate::counters::ClientCounters;
use crate::error::truncated_text;
use crate::retry::{Attempt, RetryPolicy, exchange};
use crate::secret::Secret;

/// The longest lifetime believed, whatever `expires_in` says (identity platform tokens live at most a
/// day).
const MAX_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// An access token and the moment to stop using it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    value: Secret,
    refresh_at: Instant,
}

impl AccessToken {
    /// The token text, for the `Authorization: Bearer` header.
    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// True until 80% of the token's lifetime has passed.
    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

/// A failure to get a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The identity platform refused the request and said why (`error`, `error_description`).
    #[error("token endpoint {url} refused the request (HTTP {status}): {error}: {description}")]
    Rejected {
        /// The token endpoint.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The OAuth error code, such as `invalid_client` or `unauthorized_client`.
        error: String,
        /// The human-readable description (`AADSTS…` codes on the Microsoft identity platform).
        description: String,
        /// The numeric `error_codes`, if the endpoint sent them.
        error_codes: Vec<u64>,
    },
    /// The endpoint answered with an error status and a body that is not an OAuth error.
    #[error("token endpoint {url} answered HTTP {status}: {body}")]
    Status {
        /// The token endpoint.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The start of the body.
        body: String,
    },
    /// The endpoint could not be reached, or the connection failed.
    #[error("token endpoint {url}: {source}")]
    Transport {
        /// The token endpoint.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The endpoint answered 200 with something that is not a token response.
    #[error("token endpoint {url} sent an unreadable token response: {source}")]
    BadResponse {
        /// The token endpoint.
        url: String,
        /// The field that could not be read.
        source: ParseError,
    },
}

/// Hands out bearer tokens, refreshing them before they expire.
#[derive(Debug)]
pub struct TokenSource {
    http: reqwest::Client,
    url: Url,
    client_id: String,
    secret: Secret,
    scope: String,
    retry: RetryPolicy,
    counters: Arc<ClientCounters>,
    cached: Mutex<Option<AccessToken>>,
}

/// The successful answer of a token endpoint.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    #[serde(deserialize_with = "seconds_from_number_or_text")]
    expires_in: u64,
}

/// The error answer of a token endpoint.
#[derive(Deserialize)]
struct IdentityError {
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u64>,
}

impl TokenSource {
    /// A token source for `config`'s credential and scope, sending its requests through `http` and
    /// counting them in `counters`.
    pub fn new(
        config: &ClientConfig,
        http: reqwest::Client,
        counters: Arc<ClientCounters>,
    ) -> Result<Self, ConfigError> {
        Ok(TokenSource {
            http,
            url: config.credential.resolve_token_url()?,
            client_id: config.credential.client_id.clone(),
            secret: config.credential.resolve_secret()?,
            scope: config.scope.clone(),
            retry: config.retry,
            counters,
            cached: Mutex::new(None),
        })
    }

    /// A token that is fresh, from the cache or from the token endpoint.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.clone());
        }
        let token = self.fetch().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Drops `stale` from the cache (after the API refused it), so that the next call gets a new token.
    /// A token that was already replaced is left alone, so concurrent refusals cause one refresh.
    pub async fn invalidate(&self, stale: &AccessToken) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == stale.value) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<AccessToken, TokenError> {
        self.retry.run(&self.counters, |_| self.attempt()).await
    }

    async fn attempt(&self) -> Attempt<AccessToken, TokenError> {
        self.counters.count_token_request();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose()),
            ("scope", self.scope.as_str()),
        ];
        let sent = Instant::now();
        let request = self.http.post(self.url.clone()).form(&form);
        let exchange = match exchange(request).await {
            Ok(exchange) => exchange,
            Err(source) => {
                return Attempt::after_transport_failure(source, true, |source| {
                    TokenError::Transport {
                        url: self.url.to_string(),
                        source,
                    }
                });
            }
        };
        if exchange.status.is_success() {
            return Attempt::Finished(self.read_token(&exchange.body, sent));
        }
        let error = self.refusal(exchange.status, &exchange.body);
        Attempt::after_error_status(error, &exchange, true, &self.counters)
    }

    fn read_token(&self, body: &[u8], sent: Instant) -> Result<AccessToken, TokenError> {
        let response: TokenResponse =
            parse_json(body).map_err(|source| TokenError::BadResponse {
                url: self.url.to_string(),
                source,
            })?;
        let lifetime = response.expires_in.min(MAX_LIFETIME_SECS);
        let usable = Duration::from_secs(lifetime).mul_f64(0.8);
        Ok(AccessToken {
            value: response.access_token,
            refresh_at: sent + usable,
        })
    }

    fn refusal(&self, status: StatusCode, body: &[u8]) -> TokenError {
        let url = self.url.to_string();
        match parse_json::<IdentityError>(body) {
            Ok(e) => TokenError::Rejected {
                url,
                status,
                error: e.error,
                description: e.error_description,
                error_codes: e.error_codes,
            },
            Err(_) => TokenError::Status {
                url,
                status,
                body: truncated_text(body),
            },
        }
    }
}

/// Reads `expires_in` written as a number (v2.0 endpoint) or as a numeric string (v1.0 endpoint).
fn seconds_from_number_or_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Number(u64),
        Text(String),
    }
    match Seconds::deserialize(deserializer)? {
        Seconds::Number(n) => Ok(n),
        Seconds::Text(text) => text.trim().parse().map_err(|_| {
            serde::de::Error::custom(format_args!("expected seconds, found \"{text}\""))
        }),
    }
}
