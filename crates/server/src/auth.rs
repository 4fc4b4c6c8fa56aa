//! Checking bearer tokens on API calls, and the [`Caller`] extractor handlers use.
//!
//! A handler that takes a [`Caller`] only runs for requests with a valid token from this server: right
//! signature, not expired, this tenant, an accepted audience, and budget left in the app's throttle.
//! Everything else is answered 401 (with `WWW-Authenticate: Bearer`) or 429 in the service's error
//! style; [`Caller::require`] turns a missing role into 403.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::{ApiError, ErrorStyle};
use crate::jwt::{Claims, SigningKey, TokenError};
use crate::throttle::Throttle;

/// Checks tokens against one key, one tenant and a set of audiences.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    key: Arc<SigningKey>,
    tenant_id: String,
    audiences: Vec<String>,
}

impl TokenVerifier {
    /// A verifier for tokens signed by `key` for `tenant_id` and one of `audiences`.
    pub fn new(key: Arc<SigningKey>, tenant_id: &str, audiences: &[String]) -> TokenVerifier {
        TokenVerifier {
            key,
            tenant_id: tenant_id.to_owned(),
            audiences: audiences.iter().map(|a| normalize_audience(a)).collect(),
        }
    }

    /// The claims of `token` if it is valid at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = self.key.verify_signature(token)?;
        if now >= claims.exp {
            return Err(TokenError::Expired { exp: claims.exp });
        }
        if now < claims.nbf - CLOCK_SKEW_SECS {
            return Err(TokenError::NotYetValid { nbf: claims.nbf });
        }
        if claims.tid != self.tenant_id {
            return Err(TokenError::WrongTenant { tid: claims.tid });
        }
        if !self.audiences.contains(&normalize_audience(&claims.aud)) {
            return Err(TokenError::WrongAudience { aud: claims.aud });
        }
        Ok(claims)
    }
}

/// Tolerance for clocks that disagree about `nbf`.
const CLOCK_SKEW_SECS: i64 = 300;

/// `https://management.azure.com/` and `https://management.azure.com` name the same audience.
pub fn normalize_audience(audience: &str) -> String {
    audience.trim_end_matches('/').to_ascii_lowercase()
}

/// What the [`Caller`] extractor needs; the server puts it into every request's extensions.
#[derive(Debug)]
pub struct AuthState {
    /// Checks the tokens.
    pub verifier: TokenVerifier,
    /// The per-app budget, if any.
    pub throttle: Option<Throttle>,
    /// The shape of 401/403/429 bodies.
    pub style: ErrorStyle,
}

/// The app that made an authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The client id of the app.
    pub app_id: String,
    /// The app roles its token carries.
    pub roles: Vec<String>,
    /// Every claim of the token.
    pub claims: Claims,
    style: ErrorStyle,
}

impl Caller {
    /// True when the token carries `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// `Ok` when the token carries `role`, else 403 naming it.
    pub fn require(&self, role: &str) -> Result<(), ApiError> {
        self.require_any(&[role])
    }

    /// `Ok` when the token carries at least one of `roles` (for a read that a read-write role also
    /// allows), else 403 naming them.
    pub fn require_any(&self, roles: &[&str]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has_role(r)) {
            return Ok(());
        }
        Err(ApiError::forbidden(
            self.style,
            format!(
                "Missing application roles. The operation requires one of: {}. The token of app {} has: {}.",
                roles.join(", "),
                self.app_id,
                if self.roles.is_empty() {
                    "none".to_owned()
                } else {
                    self.roles.join(", ")
                }
            ),
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(auth) = parts.extensions.get::<Arc<AuthState>>().cloned() else {
            return Err(ApiError::internal(
                ErrorStyle::Graph,
                "This route is not mounted behind Tandem's token check.",
            ));
        };
        let token = bearer_token(parts).map_err(|m| ApiError::unauthorized(auth.style, m))?;
        let now = chrono::Utc::now().timestamp();
        let claims = auth
            .verifier
            .verify(token, now)
            .map_err(|e| ApiError::unauthorized(auth.style, token_message(&e)))?;
        if let Some(throttle) = &auth.throttle {
            throttle
                .charge(&claims.appid)
                .map_err(|wait| ApiError::too_many_requests(auth.style, wait))?;
        }
        Ok(Caller {
            app_id: claims.appid.clone(),
            roles: claims.roles.clone(),
            claims,
            style: auth.style,
        })
    }
}

fn bearer_token(parts: &Parts) -> Result<&str, &'static str> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or("Access token is empty.")?;
    let value = header
        .to_str()
        .map_err(|_| "Access token validation failure.")?;
    let (scheme, token) = value.split_once(' ').ok_or(
        "Access token validation failure. The Authorization header is not 'Bearer <token>'.",
    )?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(
            "Access token validation failure. The Authorization header is not 'Bearer <token>'.",
        );
    }
    Ok(token.trim())
}

fn token_message(error: &TokenError) -> String {
    match error {
        TokenError::Expired { .. } => format!("Lifetime validation failed, {error}."),
        _ => format!("Access token validation failure: {error}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &SigningKey, change: impl FnOnce(&mut Claims)) -> String {
        let mut claims = Claims {
            aud: "https://monitor.azure.com/".into(),
            iat: 1_000,
            nbf: 1_000,
            exp: 2_000,
            roles: Vec::new(),
            ..crate::jwt::tests::claims()
        };
        change(&mut claims);
        key.sign(&claims).unwrap()
    }

    #[test]
    fn checks_time_window_tenant_and_normalised_audience() {
        let key = Arc::new(SigningKey::generate().unwrap());
        let verifier = TokenVerifier::new(key.clone(), "t", &["https://monitor.azure.com".into()]);
        let token = signed(&key, |_| {});
        assert_eq!(verifier.verify(&token, 1_500).unwrap().appid, "app");
        assert_eq!(
            verifier.verify(&token, 2_000),
            Err(TokenError::Expired { exp: 2_000 })
        );
        let early = 1_000 - CLOCK_SKEW_SECS - 1;
        assert_eq!(
            verifier.verify(&token, early),
            Err(TokenError::NotYetValid { nbf: 1_000 })
        );
        let other_tenant = signed(&key, |c| c.tid = "u".into());
        assert!(matches!(
            verifier.verify(&other_tenant, 1_500),
            Err(TokenError::WrongTenant { .. })
        ));
        let other_audience = signed(&key, |c| c.aud = "https://graph.microsoft.com".into());
        assert!(matches!(
            verifier.verify(&other_audience, 1_500),
            Err(TokenError::WrongAudience { .. })
        ));
    }
}
