//! Plumbing shared by Tandem's servers (`tandem xdr` and `tandem siem`), written once.
//!
//! Both servers follow one contract: `--listen`, `--data-dir`, an optional `--config`, HTTPS with
//! `--tls` (plain HTTP on loopback only otherwise), a development tenant and `credentials.env` created
//! on first start, `GET /healthz`, `GET /metrics`, and a token
//! endpoint at `POST /{tenantId}/oauth2/v2.0/token` that issues the bearer tokens every API call checks,
//! discoverable at `GET /{tenantId}/v2.0/.well-known/openid-configuration` as on Microsoft's identity
//! platform.
//!
//! A service hands [`serve`] (or [`Prepared`]) its own [`axum::Router`]; its handlers take a [`Caller`]
//! to require a valid token and call [`Caller::require`] for a role. Errors go out as [`ApiError`] in the
//! service's [`ErrorStyle`].

pub mod auth;
pub mod ca;
pub mod canonical;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod datadir;
pub mod error;
pub mod identity;
pub mod jwt;
pub mod lockout;
pub mod metrics;
pub mod request;
pub mod serve;
pub mod throttle;
pub mod tls;
pub mod token;

pub use auth::{Caller, TokenVerifier};
/// The router type services hand to [`serve`], re-exported so every crate uses the same `axum`.
pub use axum::Router;
pub use cli::{ServerArgs, TlsArgs};
pub use config::{IdentityConfig, ServerConfig};
pub use credentials::{
    CREDENTIALS_FILE, merge_credentials, parse_env, read_credentials, update_credentials,
};
pub use datadir::DataDir;
pub use error::{ApiError, ErrorStyle, ServerError};
pub use identity::{AppPurpose, AppRegistration, AuthFailure, DevRoles, IDENTITY_FILE, Identity};
pub use jwt::{Claims, SigningKey, TokenError};
pub use request::request_base_url;
pub use serve::{
    BoundServer, Prepared, RunningServer, ServerOptions, ServiceSpec, serve, shutdown_signal,
};
pub use throttle::ThrottleConfig;
pub use tls::{CA_CERT_KEY, TlsConfig};
