//! The token service both servers mount: a client-credentials token endpoint, OpenID metadata and the
//! JWKS, shaped like Microsoft's identity platform (v2.0 endpoints).
//!
//! - `POST /{tenantId}/oauth2/v2.0/token` (form: `client_id`, `client_secret`, `scope`, `grant_type`;
//!   the client may authenticate with HTTP Basic instead of the form's `client_secret`)
//! - `GET /{tenantId}/v2.0/.well-known/openid-configuration`: the metadata OAuth and OpenID libraries
//!   (MSAL inside azure-identity among them) read to find the token endpoint and the keys
//! - `GET /{tenantId}/discovery/v2.0/keys`: the JWKS
//! - `GET /{tenantId}/oauth2/v2.0/authorize`: named by the metadata, answers that only the
//!   client-credentials grant is served

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::auth::normalize_audience;
use crate::identity::{AuthFailure, Identity};
use crate::jwt::Claims;

/// The `azpacr` of a token whose client authenticated with a client secret.
const CLIENT_SECRET_AUTHENTICATION: &str = "1";

/// Lifetime of issued tokens, as `expires_in` reports it.
pub const TOKEN_LIFETIME_SECS: i64 = 3599;

/// What the token routes need.
#[derive(Debug)]
pub struct TokenService {
    identity: Identity,
    base_url: String,
    audiences: Vec<String>,
}

impl TokenService {
    /// A token service for `identity`, reachable at `base_url`, issuing tokens for `audiences`.
    pub fn new(identity: Identity, base_url: &str, audiences: &[String]) -> TokenService {
        TokenService {
            identity,
            base_url: base_url.trim_end_matches('/').to_owned(),
            audiences: audiences.to_vec(),
        }
    }

    /// The routes, ready to merge into a server's router.
    pub fn router(self) -> Router {
        Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
            .route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                get(openid_configuration),
            )
            .route("/{tenant}/discovery/v2.0/keys", get(jwks))
            .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
            .with_state(Arc::new(self))
    }

    /// The issuer tokens carry: `{base}/{tenant}/v2.0`.
    pub fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.base_url, self.identity.tenant_id())
    }

    /// The claims of a token for the app `client_id` and `audience`, valid from `now` (Unix seconds).
    fn claims_for(&self, client_id: &str, roles: &[String], audience: &str, now: i64) -> Claims {
        let oid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, client_id.as_bytes()).to_string();
        Claims {
            aud: audience.to_owned(),
            iss: self.issuer(),
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME_SECS,
            azp: client_id.to_owned(),
            appid: client_id.to_owned(),
            azpacr: CLIENT_SECRET_AUTHENTICATION.into(),
            oid: oid.clone(),
            sub: oid,
            tid: self.identity.tenant_id().to_owned(),
            roles: roles.to_vec(),
            idtyp: "app".into(),
            ver: "2.0".into(),
        }
    }

    /// Issues a token for the form; `basic` holds the client id and secret of an HTTP Basic
    /// `Authorization` header, the other way a client may authenticate.
    fn grant(
        &self,
        form: &HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<Value, OAuthError> {
        let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let grant_type = field("grant_type").ok_or_else(|| OAuthError::missing("grant_type"))?;
        if grant_type != "client_credentials" {
            return Err(OAuthError::unsupported_grant(grant_type));
        }
        let (client_id, secret) = match &basic {
            Some((id, secret)) => {
                if field("client_secret").is_some() {
                    return Err(OAuthError::two_client_authentications());
                }
                if field("client_id").is_some_and(|form_id| form_id != id) {
                    return Err(OAuthError::client_id_mismatch());
                }
                (id.as_str(), secret.as_str())
            }
            None => (
                field("client_id").ok_or_else(|| OAuthError::missing("client_id"))?,
                field("client_secret").ok_or_else(|| OAuthError::missing("client_secret"))?,
            ),
        };
        let app =
            self.identity
                .authenticate(client_id, secret)
                .map_err(|failure| match failure {
                    AuthFailure::UnknownClient => {
                        OAuthError::unknown_client(client_id, self.identity.tenant_id())
                    }
                    AuthFailure::BadSecret => OAuthError::bad_secret(client_id),
                    AuthFailure::Throttled(secs) => OAuthError::locked_out(secs),
                })?;
        let scope = field("scope").ok_or_else(|| OAuthError::missing("scope"))?;
        let audience = self.audience_for(scope)?;
        let now = chrono::Utc::now().timestamp();
        let claims = self.claims_for(client_id, &app.roles, &audience, now);
        let token = self
            .identity
            .signing_key()
            .sign(&claims)
            .map_err(|e| OAuthError::server(&e.to_string()))?;
        Ok(json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "ext_expires_in": TOKEN_LIFETIME_SECS,
            "access_token": token,
        }))
    }

    /// The `aud` of a token for `scope`: the resource as the scope spells it, as the identity platform
    /// does (`https://graph.microsoft.com/.default` -> `https://graph.microsoft.com`,
    /// `https://management.azure.com//.default` -> `https://management.azure.com/`), when this server
    /// serves that resource.
    fn audience_for(&self, scope: &str) -> Result<String, OAuthError> {
        let mut scopes = scope.split_whitespace();
        let (Some(first), None) = (scopes.next(), scopes.next()) else {
            return Err(OAuthError::invalid_scope(scope));
        };
        let resource = first
            .strip_suffix("/.default")
            .ok_or_else(|| OAuthError::invalid_scope(scope))?;
        let wanted = normalize_audience(resource);
        if self
            .audiences
            .iter()
            .any(|a| normalize_audience(a) == wanted)
        {
            Ok(resource.to_owned())
        } else {
            Err(OAuthError::unknown_resource(
                resource,
                self.identity.tenant_id(),
            ))
        }
    }

    fn tenant_matches(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(self.identity.tenant_id())
    }

    /// The tenant's OpenID metadata, with the fields and spellings of Microsoft's identity platform
    /// (v2.0), limited to what this server does: client-credentials tokens signed with ES256.
    fn openid_document(&self) -> Value {
        let base = &self.base_url;
        let tenant = self.identity.tenant_id();
        let host = base
            .split_once("://")
            .map_or(base.as_str(), |(_, host)| host);
        json!({
            "issuer": self.issuer(),
            "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
            "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
            "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["token"],
            "grant_types_supported": ["client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": ["openid"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "roles", "appid", "azp", "azpacr", "oid", "idtyp", "ver"],
            "request_uri_parameter_supported": false,
            "tenant_region_scope": "WW",
            "cloud_instance_name": host,
            "cloud_graph_host_name": host,
            "msgraph_host": host,
        })
    }
}

async fn issue_token(
    State(service): State<Arc<TokenService>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    if !service.tenant_matches(&tenant) {
        return OAuthError::unknown_tenant(&tenant).into_response();
    }
    let result = basic_credentials(&headers).and_then(|basic| match form {
        Ok(Form(form)) => service.grant(&form, basic),
        Err(rejection) => Err(OAuthError::bad_body(&rejection.body_text())),
    });
    match result {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn openid_configuration(
    State(service): State<Arc<TokenService>>,
    Path(tenant): Path<String>,
) -> Response {
    if !service.tenant_matches(&tenant) {
        return OAuthError::unknown_tenant(&tenant).into_response();
    }
    Json(service.openid_document()).into_response()
}

/// The client id and secret of an `Authorization: Basic` header (each form-urlencoded, as OAuth 2.0
/// asks), or `None` without one.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| OAuthError::bad_basic())?;
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Err(OAuthError::bad_basic());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::bad_basic());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| OAuthError::bad_basic())?;
    let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::bad_basic())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(OAuthError::bad_basic)?;
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

fn form_decode(part: &str) -> Result<String, OAuthError> {
    percent_encoding::percent_decode_str(&part.replace('+', " "))
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| OAuthError::bad_basic())
}

/// The metadata names an authorization endpoint, as OpenID metadata must; only the client-credentials
/// grant is served, so it says so in the identity platform's error shape.
async fn authorize(
    State(service): State<Arc<TokenService>>,
    Path(tenant): Path<String>,
) -> Response {
    if !service.tenant_matches(&tenant) {
        return OAuthError::unknown_tenant(&tenant).into_response();
    }
    OAuthError::interactive_unsupported().into_response()
}

async fn jwks(State(service): State<Arc<TokenService>>, Path(tenant): Path<String>) -> Response {
    if !service.tenant_matches(&tenant) {
        return OAuthError::unknown_tenant(&tenant).into_response();
    }
    Json(json!({"keys": [service.identity.signing_key().jwk()]})).into_response()
}

/// An error of the token endpoint, in the identity platform's shape.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, code: u32, description: String) -> Self {
        OAuthError {
            status,
            error,
            code,
            description,
            retry_after_secs: None,
        }
    }

    /// 429 after repeated failures from this address or against this app; `Retry-After` says when.
    fn locked_out(secs: u64) -> Self {
        let text = format!(
            "Too many failed attempts to authenticate from this address or for this app; sign-in is locked. Retry after {secs} seconds."
        );
        OAuthError {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                50053,
                text,
            )
        }
    }

    fn missing(field: &str) -> Self {
        let text = format!("The request body must contain the following parameter: '{field}'.");
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 900144, text)
    }

    fn bad_basic() -> Self {
        let text = "The Authorization header must be 'Basic base64(client_id:client_secret)' with both parts form-urlencoded.".to_owned();
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", 7000216, text)
    }

    fn two_client_authentications() -> Self {
        let text = "The client authenticated with both an Authorization header and a client_secret in the body; use one.".to_owned();
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 90014, text)
    }

    fn client_id_mismatch() -> Self {
        let text = "The client_id in the body differs from the one in the Authorization header."
            .to_owned();
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 700021, text)
    }

    fn interactive_unsupported() -> Self {
        let text = "This token service issues app-only tokens through the client-credentials grant at the token endpoint; interactive sign-in is not served.".to_owned();
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            700054,
            text,
        )
    }

    fn bad_body(reason: &str) -> Self {
        let text = format!("The request body must be application/x-www-form-urlencoded: {reason}");
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 900144, text)
    }

    fn unsupported_grant(grant_type: &str) -> Self {
        let text = format!(
            "The provided value for the input parameter 'grant_type' is not valid: '{grant_type}'. Only 'client_credentials' is supported."
        );
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            text,
        )
    }

    fn unknown_client(client_id: &str, tenant: &str) -> Self {
        let text = format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
        );
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", 700016, text)
    }

    fn bad_secret(client_id: &str) -> Self {
        let text = format!("Invalid client secret provided for app '{client_id}'.");
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, text)
    }

    fn invalid_scope(scope: &str) -> Self {
        let text = format!(
            "The provided value for scope '{scope}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
        );
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", 1002012, text)
    }

    fn unknown_resource(resource: &str, tenant: &str) -> Self {
        let text = format!(
            "The resource principal named '{resource}' was not found in the tenant '{tenant}'; this server issues tokens for its own API only."
        );
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", 500011, text)
    }

    fn unknown_tenant(tenant: &str) -> Self {
        let text = format!("Tenant '{tenant}' not found.");
        Self::new(StatusCode::BAD_REQUEST, "invalid_tenant", 90002, text)
    }

    fn server(reason: &str) -> Self {
        let text = format!("The token could not be issued: {reason}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            text,
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let ids = crate::request::RequestIds::current();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let description = format!(
            "AADSTS{}: {} Trace ID: {} Correlation ID: {} Timestamp: {timestamp}",
            self.code, self.description, ids.request_id, ids.client_request_id
        );
        let body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": ids.request_id,
            "correlation_id": ids.client_request_id,
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}
