//! The shared server plumbing end to end: a real server on 127.0.0.1:0 in a temp data dir, called over
//! HTTP the way clients call Tandem.

#![cfg(test)]

use std::path::Path;

use axum::Json;
use axum::http::StatusCode;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tandem_server::{
    ApiError, Caller, DataDir, Identity, Prepared, Router, ServerConfig, ServiceSpec,
    ThrottleConfig,
};
use tandem_testkit::{ClientApp, InProcessServer, fetch_token};

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const WRITE_ROLE: &str = "SecurityIncident.ReadWrite.All";

/// A stand-in service: `GET /probe` echoes the caller, `POST /probe` needs the write role.
fn probe_routes(_: &mut Prepared) -> Router {
    Router::new().route(
        "/probe",
        get(|caller: Caller| async move {
            Json(json!({"app": caller.app_id, "roles": caller.roles}))
        })
        .post(|caller: Caller| async move {
            caller.require(WRITE_ROLE)?;
            Ok::<_, ApiError>(StatusCode::NO_CONTENT)
        }),
    )
}

async fn start(spec: ServiceSpec, config: ServerConfig) -> InProcessServer {
    InProcessServer::start(spec, config, probe_routes)
        .await
        .expect("server starts")
}

async fn writer_token(server: &InProcessServer, scope: &str) -> String {
    server
        .credentials()
        .writer_token(server.url(), scope)
        .await
        .expect("token")
}

async fn call(method: reqwest::Method, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request is answered")
}

async fn get_probe(server: &InProcessServer, token: Option<&str>) -> reqwest::Response {
    call(
        reqwest::Method::GET,
        &format!("{}/probe", server.url()),
        token,
    )
    .await
}

/// Re-signs `token`'s claims after `change` with the server's own key, as a forger holding the key would.
fn resign(data_dir: &Path, token: &str, change: impl FnOnce(&mut tandem_server::Claims)) -> String {
    let dir = DataDir::open(data_dir).unwrap();
    let identity = Identity::load_or_create(&dir, None, &ServiceSpec::xdr().dev_roles).unwrap();
    let mut claims = identity.signing_key().verify_signature(token).unwrap();
    change(&mut claims);
    identity.signing_key().sign(&claims).unwrap()
}

async fn assert_unauthorized(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    body
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let response = reqwest::get(format!("{}/healthz", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn issued_token_is_accepted_and_carries_the_app_and_roles() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let credentials = server.credentials();
    let token = writer_token(&server, GRAPH_SCOPE).await;
    let response = get_probe(&server, Some(&token)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["app"], credentials.get("TANDEM_CLIENT_ID").unwrap());
    let roles = body["roles"].as_array().unwrap();
    assert!(roles.contains(&json!(WRITE_ROLE)), "{body}");
    assert!(
        roles.contains(&json!("SecurityAlert.ReadWrite.All")),
        "{body}"
    );
}

#[tokio::test]
async fn token_response_and_claims_follow_the_identity_platform() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let credentials = server.credentials();
    let tenant = credentials.tenant_id().unwrap();
    let client_id = credentials.get("TANDEM_CLIENT_ID").unwrap();
    let form = [
        ("client_id", client_id),
        (
            "client_secret",
            credentials.get("TANDEM_CLIENT_SECRET").unwrap(),
        ),
        ("scope", GRAPH_SCOPE),
        ("grant_type", "client_credentials"),
    ];
    let url = format!("{}/{tenant}/oauth2/v2.0/token", server.url());
    let body: Value = tandem_testkit::send_json(reqwest::Client::new().post(url).form(&form))
        .await
        .unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "ES256");
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["iss"], format!("{}/{tenant}/v2.0", server.url()));
    assert_eq!(claims["tid"], tenant);
    assert_eq!(claims["appid"], client_id);
    assert_eq!(claims["azp"], client_id);
    assert_eq!(claims["azpacr"], "1");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["sub"], claims["oid"]);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3599);
}

/// The `aud` claim of a token.
fn audience_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["aud"].clone()
}

#[tokio::test]
async fn the_audience_follows_the_requested_scope_and_other_resources_are_refused() {
    let server = start(ServiceSpec::siem(), ServerConfig::default()).await;
    let cases = [
        (
            "https://management.azure.com/.default",
            "https://management.azure.com",
        ),
        (
            "https://management.azure.com//.default",
            "https://management.azure.com/",
        ),
        (
            "https://monitor.azure.com//.default",
            "https://monitor.azure.com/",
        ),
        (
            "https://api.loganalytics.io/.default",
            "https://api.loganalytics.io",
        ),
    ];
    for (scope, audience) in cases {
        let token = writer_token(&server, scope).await;
        assert_eq!(audience_of(&token), audience, "{scope}");
    }
    let refused = server
        .credentials()
        .writer_token(server.url(), GRAPH_SCOPE)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("invalid_scope"), "{refused}");
}

#[tokio::test]
async fn missing_garbage_expired_and_foreign_tenant_tokens_get_401() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let token = writer_token(&server, GRAPH_SCOPE).await;

    let body = assert_unauthorized(get_probe(&server, None).await).await;
    let inner = &body["error"]["innerError"];
    assert!(
        inner["request-id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    assert!(inner["date"].is_string(), "{body}");

    assert_unauthorized(get_probe(&server, Some("not-a-jwt")).await).await;
    let expired = resign(server.data_dir(), &token, |c| {
        c.iat -= 7200;
        c.nbf -= 7200;
        c.exp -= 7200;
    });
    let body = assert_unauthorized(get_probe(&server, Some(&expired)).await).await;
    assert!(
        tandem_testkit::error_message(&body).contains("expired"),
        "{body}"
    );
    let foreign = resign(server.data_dir(), &token, |c| {
        c.tid = "another-tenant".into()
    });
    assert_unauthorized(get_probe(&server, Some(&foreign)).await).await;
    let other_audience = resign(server.data_dir(), &token, |c| {
        c.aud = "https://management.azure.com".into();
    });
    assert_unauthorized(get_probe(&server, Some(&other_audience)).await).await;

    let other_server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let other_key_token = writer_token(&other_server, GRAPH_SCOPE).await;
    assert_unauthorized(get_probe(&server, Some(&other_key_token)).await).await;
}

#[tokio::test]
async fn reader_may_read_but_gets_403_on_writes() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let reader = server
        .credentials()
        .reader_token(server.url(), GRAPH_SCOPE)
        .await
        .unwrap();
    assert_eq!(get_probe(&server, Some(&reader)).await.status(), 200);
    let url = format!("{}/probe", server.url());
    let response = call(reqwest::Method::POST, &url, Some(&reader)).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Forbidden");
    assert!(
        tandem_testkit::error_message(&body).contains(WRITE_ROLE),
        "{body}"
    );

    let writer = writer_token(&server, GRAPH_SCOPE).await;
    let response = call(reqwest::Method::POST, &url, Some(&writer)).await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn spent_budget_gets_429_with_retry_after_in_arm_shape() {
    let config = ServerConfig {
        throttle: Some(ThrottleConfig {
            requests: 3,
            window_secs: 120,
        }),
        ..ServerConfig::default()
    };
    let mut spec = ServiceSpec::siem();
    spec.dev_roles = tandem_server::DevRoles::new(&[WRITE_ROLE], &[]);
    let server = start(spec, config).await;
    let token = writer_token(&server, "https://management.azure.com//.default").await;
    for _ in 0..3 {
        assert_eq!(get_probe(&server, Some(&token)).await.status(), 200);
    }
    let response = get_probe(&server, Some(&token)).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=120).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert!(
        body["error"].get("innerError").is_none(),
        "ARM shape: {body}"
    );

    let reader = server
        .credentials()
        .reader_token(server.url(), "https://monitor.azure.com/.default")
        .await
        .unwrap();
    assert_eq!(get_probe(&server, Some(&reader)).await.status(), 200);
}

#[tokio::test]
async fn token_endpoint_errors_look_like_the_identity_platform() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let credentials = server.credentials();
    let tenant = credentials.tenant_id().unwrap();
    let client_id = credentials.get("TANDEM_CLIENT_ID").unwrap();
    let secret = credentials.get("TANDEM_CLIENT_SECRET").unwrap();
    let cases = [
        (
            client_id,
            "wrong-secret",
            GRAPH_SCOPE,
            "client_credentials",
            401,
            "invalid_client",
        ),
        (
            "no-such-app",
            secret,
            GRAPH_SCOPE,
            "client_credentials",
            401,
            "invalid_client",
        ),
        (
            client_id,
            secret,
            GRAPH_SCOPE,
            "password",
            400,
            "unsupported_grant_type",
        ),
        (
            client_id,
            secret,
            "https://graph.microsoft.com/User.Read",
            "client_credentials",
            400,
            "invalid_scope",
        ),
        (
            client_id,
            secret,
            "https://management.azure.com/.default",
            "client_credentials",
            400,
            "invalid_scope",
        ),
    ];
    let url = format!("{}/{tenant}/oauth2/v2.0/token", server.url());
    for (id, secret, scope, grant, status, error) in cases {
        let form = [
            ("client_id", id),
            ("client_secret", secret),
            ("scope", scope),
            ("grant_type", grant),
        ];
        let response = reqwest::Client::new()
            .post(&url)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{id} {scope} {grant}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["error_codes"][0].is_u64(), "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS"),
            "{body}"
        );
        for key in ["timestamp", "trace_id", "correlation_id"] {
            assert!(body[key].is_string(), "{key} in {body}");
        }
    }
    let app = ClientApp {
        tenant_id: "other-tenant",
        client_id,
        client_secret: secret,
    };
    let refused = fetch_token(server.url(), &app, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("invalid_tenant"), "{refused}");
}

#[tokio::test]
async fn credentials_env_is_created_then_reused_and_merged_across_services() {
    let temp = tempfile::tempdir().unwrap();
    let first = InProcessServer::start_in(
        temp.path(),
        ServiceSpec::xdr(),
        ServerConfig::default(),
        probe_routes,
    )
    .await
    .unwrap();
    let created = first.credentials().clone();
    for key in [
        "TANDEM_TENANT_ID",
        "TANDEM_CLIENT_ID",
        "TANDEM_CLIENT_SECRET",
        "TANDEM_READER_CLIENT_ID",
        "TANDEM_READER_CLIENT_SECRET",
    ] {
        assert!(!created.get(key).unwrap().is_empty(), "{key}");
    }
    assert_eq!(created.get("TANDEM_XDR_URL").unwrap(), first.url());
    first.stop().await.unwrap();

    let mut siem = ServiceSpec::siem();
    siem.dev_roles = tandem_server::DevRoles::new(&["Siem.Test.Write"], &["Siem.Test.Read"]);
    let second =
        InProcessServer::start_in(temp.path(), siem, ServerConfig::default(), |prepared| {
            prepared.add_credential("TANDEM_WORKSPACE_NAME", "tandem-test");
            probe_routes(prepared)
        })
        .await
        .unwrap();
    let merged = second.credentials();
    for key in [
        "TANDEM_TENANT_ID",
        "TANDEM_CLIENT_ID",
        "TANDEM_CLIENT_SECRET",
        "TANDEM_XDR_URL",
    ] {
        assert_eq!(merged.get(key).unwrap(), created.get(key).unwrap(), "{key}");
    }
    assert_eq!(merged.get("TANDEM_SIEM_URL").unwrap(), second.url());
    assert_eq!(merged.get("TANDEM_WORKSPACE_NAME").unwrap(), "tandem-test");

    let token = second
        .credentials()
        .writer_token(second.url(), "https://api.loganalytics.io/.default")
        .await
        .unwrap();
    let body: Value = get_probe(&second, Some(&token)).await.json().await.unwrap();
    let roles = body["roles"].as_array().unwrap();
    assert!(
        roles.contains(&json!("Siem.Test.Write")) && roles.contains(&json!(WRITE_ROLE)),
        "{body}"
    );
}

#[tokio::test]
async fn configured_identity_is_used_instead_of_the_development_tenant() {
    let config = ServerConfig::parse(
        r#"
        [identity]
        tenant_id = "11111111-2222-3333-4444-555555555555"
        [[identity.apps]]
        client_id = "configured-app"
        client_secret = "configured-secret"
        roles = ["SecurityIncident.ReadWrite.All"]
        "#,
    )
    .unwrap();
    let server = start(ServiceSpec::xdr(), config).await;
    let credentials = server.credentials();
    assert_eq!(
        credentials.tenant_id().unwrap(),
        "11111111-2222-3333-4444-555555555555"
    );
    assert!(credentials.get("TANDEM_CLIENT_ID").is_err());
    let app = ClientApp {
        tenant_id: "11111111-2222-3333-4444-555555555555",
        client_id: "configured-app",
        client_secret: "configured-secret",
    };
    let token = fetch_token(server.url(), &app, GRAPH_SCOPE).await.unwrap();
    let url = format!("{}/probe", server.url());
    assert_eq!(
        call(reqwest::Method::POST, &url, Some(&token))
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn jwks_from_openid_configuration_verifies_an_issued_token() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let tenant = server.credentials().tenant_id().unwrap();
    let metadata_url = format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        server.url()
    );
    let metadata: Value = reqwest::get(metadata_url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["issuer"],
        format!("{}/{tenant}/v2.0", server.url())
    );
    assert_eq!(
        metadata["token_endpoint"],
        format!("{}/{tenant}/oauth2/v2.0/token", server.url())
    );
    assert!(metadata["authorization_endpoint"].is_string());
    let jwks: Value = reqwest::get(metadata["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = writer_token(&server, GRAPH_SCOPE).await;
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the JWKS holds the token's kid");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(jwk[coordinate].as_str().unwrap())
                .unwrap(),
        );
    }
    let key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point);
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    key.verify(signed.as_bytes(), &signature)
        .expect("signature verifies with the JWKS key");
    let mut flipped = signature.clone();
    flipped[0] ^= 1;
    assert!(key.verify(signed.as_bytes(), &flipped).is_err());
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    for _ in 0..2 {
        get_probe(&server, None).await;
    }
    let response = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let line = "tandem_http_requests_total{method=\"GET\",route=\"/probe\",status=\"401\"} 2";
    assert!(text.lines().any(|l| l == line), "{text}");
    assert!(text.contains("tandem_http_request_duration_seconds_count{method=\"GET\",route=\"/probe\",status=\"401\"} 2"));
}

#[tokio::test]
async fn unknown_routes_get_404_in_the_service_shape() {
    let server = start(ServiceSpec::siem(), ServerConfig::default()).await;
    let response = reqwest::get(format!("{}/no/such/route", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NotFound");
    assert!(body["error"].get("innerError").is_none());
}

#[tokio::test]
async fn stopped_server_no_longer_answers() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let url = server.url().to_owned();
    assert!(tandem_testkit::healthy(&url).await);
    server.stop().await.unwrap();
    assert!(!tandem_testkit::healthy(&url).await);
}

#[tokio::test]
async fn python_credential_and_pyjwt_accept_our_tokens() {
    let server = start(ServiceSpec::xdr(), ServerConfig::default()).await;
    let env: Vec<(String, String)> = server.credentials().pairs().to_vec();
    let script = tandem_testkit::sdk_script("python/server/credential_probe.py");
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        tandem_testkit::run_python(&script, &[], &env)
    })
    .await
    .unwrap()
    .expect("the Python venv runs the script");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let reader = server.credentials().get("TANDEM_READER_CLIENT_ID").unwrap();
    assert_eq!(
        report,
        json!({"status": 200, "aud": "https://graph.microsoft.com", "appid": reader})
    );
}
