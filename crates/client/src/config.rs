//! What a Tandem client needs to know to call one API, as it is written in a TOML config file.
//!
//! One [`ClientConfig`] describes one API a Tandem component talks to (the XDR's Graph API, the SIEM's ARM
//! API, a Logs Ingestion endpoint): the app registration to get tokens for, the scope to ask for, extra
//! certificate authorities to trust, timeouts and the retry policy. The same config works against the
//! Microsoft services and against `tandem xdr` / `tandem siem`; only the URLs differ.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// The token endpoint of the Microsoft identity platform; `{tenant}` is replaced by the tenant id.
pub const DEFAULT_TOKEN_URL: &str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";

/// Everything needed to call one API.
///
/// ```toml
/// scope = "https://graph.microsoft.com/.default"
/// ca_file = "/etc/tandem/dev-ca.pem"          # optional, trusted besides the built-in roots
///
/// [credential]
/// tenant_id = "00000000-0000-0000-0000-000000000001"
/// client_id = "11111111-1111-1111-1111-111111111111"
/// client_secret_env = "TANDEM_XDR_CLIENT_SECRET"
/// token_url = "http://127.0.0.1:8081/{tenant}/oauth2/v2.0/token"   # optional
///
/// [timeouts]
/// connect_ms = 5000
/// request_ms = 30000
///
/// [retry]
/// max_attempts = 5
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The app registration tokens are requested for.
    pub credential: CredentialConfig,
    /// The scope to request, such as `https://graph.microsoft.com/.default`,
    /// `https://management.azure.com/.default` or `https://monitor.azure.com/.default`.
    pub scope: String,
    /// A PEM file of certificate authorities to trust in addition to the built-in roots. Certificate
    /// verification itself is always on.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Connection and request timeouts.
    #[serde(default)]
    pub timeouts: TimeoutConfig,
    /// How failed requests are retried.
    #[serde(default)]
    pub retry: RetryPolicy,
}

/// An app registration's client credentials.
///
/// The secret comes from exactly one of `client_secret` (inline), `client_secret_env` (the name of an
/// environment variable) or `client_secret_file` (a file holding the secret; surrounding whitespace is
/// ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// The directory (tenant) id.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret itself.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// The name of an environment variable that holds the client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// A file that holds the client secret.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// The token endpoint; `{tenant}` is replaced by `tenant_id`. Defaults to [`DEFAULT_TOKEN_URL`].
    #[serde(default)]
    pub token_url: Option<String>,
}

impl CredentialConfig {
    /// A credential with an inline secret and the default token URL.
    pub fn with_secret(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: Secret,
    ) -> Self {
        CredentialConfig {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: Some(secret),
            client_secret_env: None,
            client_secret_file: None,
            token_url: None,
        }
    }

    /// Sets the token endpoint (`{tenant}` is replaced by the tenant id).
    pub fn with_token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Reads the client secret from wherever the config says it is.
    pub fn resolve_secret(&self) -> Result<Secret, ConfigError> {
        let source = self.secret_source()?;
        let secret = match &source {
            SecretSource::Inline(secret) => (*secret).clone(),
            SecretSource::Env(name) => {
                Secret::new(
                    std::env::var(name).map_err(|_| ConfigError::SecretEnvMissing {
                        name: (*name).to_owned(),
                    })?,
                )
            }
            SecretSource::File(path) => read_secret_file(path)?,
        };
        if secret.expose().trim().is_empty() {
            return Err(ConfigError::SecretEmpty {
                source_field: source.field_name(),
            });
        }
        Ok(secret)
    }

    /// The token endpoint URL with the tenant filled in.
    pub fn resolve_token_url(&self) -> Result<reqwest::Url, ConfigError> {
        let tenant = &self.tenant_id;
        let valid_tenant = !tenant.is_empty()
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !valid_tenant {
            return Err(ConfigError::invalid(
                "credential.tenant_id",
                tenant,
                "expected a tenant GUID or domain name",
            ));
        }
        let template = self.token_url.as_deref().unwrap_or(DEFAULT_TOKEN_URL);
        let text = template.replace("{tenant}", tenant);
        let invalid = |reason: &str| ConfigError::invalid("credential.token_url", template, reason);
        let url = reqwest::Url::parse(&text).map_err(|e| invalid(&format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
            return Err(invalid("expected an http or https URL with a host"));
        }
        Ok(url)
    }

    fn secret_source(&self) -> Result<SecretSource<'_>, ConfigError> {
        let mut sources = Vec::new();
        if let Some(secret) = &self.client_secret {
            sources.push(SecretSource::Inline(secret));
        }
        if let Some(name) = &self.client_secret_env {
            sources.push(SecretSource::Env(name));
        }
        if let Some(path) = &self.client_secret_file {
            sources.push(SecretSource::File(path));
        }
        match sources.len() {
            1 => Ok(sources.remove(0)),
            _ => Err(ConfigError::SecretSource {
                found: sources.iter().map(SecretSource::field_name).collect(),
            }),
        }
    }
}

/// Where the client secret is read from.
enum SecretSource<'a> {
    Inline(&'a Secret),
    Env(&'a str),
    File(&'a Path),
}

impl SecretSource<'_> {
    fn field_name(&self) -> &'static str {
        match self {
            SecretSource::Inline(_) => "credential.client_secret",
            SecretSource::Env(_) => "credential.client_secret_env",
            SecretSource::File(_) => "credential.client_secret_file",
        }
    }
}

fn read_secret_file(path: &Path) -> Result<Secret, ConfigError> {
    std::fs::read_to_string(path)
        .map(|text| Secret::new(text.trim()))
        .map_err(|source| ConfigError::SecretFile {
            path: path.to_owned(),
            source,
        })
}

/// How long to wait for the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    /// Milliseconds to wait for a TCP and TLS connection.
    pub connect_ms: u64,
    /// Milliseconds to wait for a whole request, from sending it to reading the last byte of the response.
    pub request_ms: u64,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        TimeoutConfig {
            connect_ms: 10_000,
            request_ms: 60_000,
        }
    }
}

impl TimeoutConfig {
    /// The connect timeout.
    pub fn connect(&self) -> Duration {
        Duration::from_millis(self.connect_ms)
    }

    /// The whole-request timeout.
    pub fn request(&self) -> Duration {
        Duration::from_millis(self.request_ms)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("timeouts.connect_ms", self.connect_ms),
            ("timeouts.request_ms", self.request_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(field, "0", "must be at least 1"));
            }
        }
        Ok(())
    }
}

impl ClientConfig {
    /// A config for `credential` and `scope`, with no extra CA and the default timeouts and retries.
    pub fn new(credential: CredentialConfig, scope: impl Into<String>) -> Self {
        ClientConfig {
            credential,
            scope: scope.into(),
            ca_file: None,
            timeouts: TimeoutConfig::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Checks every value that serde alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.scope.trim().is_empty() {
            return Err(ConfigError::invalid(
                "scope",
                &self.scope,
                "must not be empty",
            ));
        }
        self.credential.resolve_token_url()?;
        self.timeouts.validate()?;
        self.retry.validate()
    }

    /// Builds the HTTP client: rustls with the built-in roots plus `ca_file`, and the configured timeouts.
    pub fn http_client(&self) -> Result<reqwest::Client, ConfigError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.timeouts.connect())
            .timeout(self.timeouts.request())
            .user_agent(concat!("tandem/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &self.ca_file {
            for certificate in load_ca_file(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        builder.build().map_err(|e| {
            let message = error_chain(&e);
            match &self.ca_file {
                // The only input a build can trip over is a certificate from the CA file.
                Some(path) => ConfigError::CaFile {
                    path: path.clone(),
                    message: format!("a certificate in it was refused: {message}"),
                },
                None => ConfigError::HttpClient { message },
            }
        })
    }
}

/// An error and all its sources, joined by `: `.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads every certificate in a PEM file; a file without any is an error.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let bad = |message: String| ConfigError::CaFile {
        path: path.to_owned(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| bad(format!("not a PEM certificate bundle: {e}")))?;
    if certificates.is_empty() {
        return Err(bad("holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}

/// A config that cannot be used, naming the field and the offending value (never the secret).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A field has a value that is not allowed.
    #[error("{field} = {value:?}: {reason}")]
    Invalid {
        /// The field, as written in the config file.
        field: &'static str,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The secret is configured in no place or in more than one.
    #[error(
        "set exactly one of credential.client_secret, credential.client_secret_env and \
         credential.client_secret_file (found {})",
        if found.is_empty() { "none".to_owned() } else { found.join(", ") }
    )]
    SecretSource {
        /// The fields that were set.
        found: Vec<&'static str>,
    },
    /// The environment variable named by `client_secret_env` is not set (or not UTF-8).
    #[error("credential.client_secret_env: environment variable {name} is not set")]
    SecretEnvMissing {
        /// The variable's name.
        name: String,
    },
    /// The file named by `client_secret_file` cannot be read.
    #[error("credential.client_secret_file = {path:?}: {source}")]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The secret is empty.
    #[error("{source_field}: the client secret is empty")]
    SecretEmpty {
        /// The field the secret was read through.
        source_field: &'static str,
    },
    /// The CA file cannot be read or holds no certificate.
    #[error("ca_file = {path:?}: {message}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The TLS stack refused to build a client.
    #[error("cannot build the HTTP client: {message}")]
    HttpClient {
        /// The reason.
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, value: &str, reason: &str) -> Self {
        ConfigError::Invalid {
            field,
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }
}
