//! HTTPS end to end: a real server started with TLS on 127.0.0.1:0 in a temp data dir, called by a
//! client that trusts the server's CA (and by one that does not), plus the identity metadata and the
//! token endpoint's client authentication as OAuth libraries use them.

use std::error::Error as _;

use axum::Json;
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};
use tandem_server::{
    CA_CERT_KEY, Caller, Prepared, Router, ServerConfig, ServerOptions, ServiceSpec, TlsConfig,
};
use tandem_testkit::{Credentials, InProcessServer, http_client_trusting};

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// `GET /probe` echoes the caller and the scheme the services' link builders see.
fn probe_routes(_: &mut Prepared) -> Router {
    Router::new().route(
        "/probe",
        get(|caller: Caller, headers: HeaderMap| async move {
            let proto = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Json(json!({"app": caller.app_id, "proto": proto}))
        }),
    )
}

fn tls_config(tls: TlsConfig) -> ServerConfig {
    ServerConfig {
        tls,
        ..ServerConfig::default()
    }
}

fn local_ca() -> TlsConfig {
    TlsConfig {
        enabled: true,
        ..TlsConfig::default()
    }
}

async fn start_tls(tls: TlsConfig) -> InProcessServer {
    InProcessServer::start(ServiceSpec::xdr(), tls_config(tls), probe_routes)
        .await
        .expect("server starts")
}

/// The whole chain of an error's messages, where a certificate failure shows up.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn local_ca_serves_https_that_a_client_trusting_tandem_ca_cert_accepts() {
    let server = start_tls(local_ca()).await;
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );
    let credentials = server.credentials();
    let ca = credentials.ca_cert().expect("TANDEM_CA_CERT is written");
    assert!(ca.is_absolute() && ca.exists(), "{}", ca.display());
    assert_eq!(ca, server.data_dir().join("tls-ca.pem").as_path());

    let token = credentials
        .writer_token(server.url(), GRAPH_SCOPE)
        .await
        .unwrap();
    let body: Value = tandem_testkit::send_json(
        credentials
            .http_client()
            .unwrap()
            .get(format!("{}/probe", server.url()))
            .bearer_auth(&token),
    )
    .await
    .unwrap();
    assert_eq!(body["app"], credentials.get("TANDEM_CLIENT_ID").unwrap());
    assert_eq!(body["proto"], "https", "links must say https: {body}");
}

#[tokio::test]
async fn a_client_without_the_ca_fails_with_a_certificate_error() {
    let server = start_tls(local_ca()).await;
    let error = reqwest::Client::new()
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap_err();
    let chain = error_chain(&error);
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
    let plain = server.url().replacen("https://", "http://", 1);
    assert!(
        reqwest::get(format!("{plain}/healthz")).await.is_err(),
        "plain HTTP must not be answered on the TLS port"
    );
}

#[tokio::test]
async fn a_restart_and_a_second_service_reuse_the_data_dirs_ca() {
    let temp = tempfile::tempdir().unwrap();
    let start =
        |spec| InProcessServer::start_in(temp.path(), spec, tls_config(local_ca()), probe_routes);
    let first = start(ServiceSpec::xdr()).await.unwrap();
    let ca_pem = std::fs::read_to_string(first.credentials().ca_cert().unwrap()).unwrap();
    first.stop().await.unwrap();
    let again = start(ServiceSpec::xdr()).await.unwrap();
    let siem = start(ServiceSpec::siem()).await.unwrap();
    let client = http_client_trusting(Some(&temp.path().join("tls-ca.pem"))).unwrap();
    for server in [&again, &siem] {
        assert_eq!(
            std::fs::read_to_string(server.credentials().ca_cert().unwrap()).unwrap(),
            ca_pem
        );
        assert!(tandem_testkit::healthy_with(&client, server.url()).await);
    }
}

#[tokio::test]
async fn an_operators_certificate_is_served_and_no_local_ca_is_named() {
    let temp = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (cert_file, key_file, ca_file) = (
        temp.path().join("server.pem"),
        temp.path().join("server-key.pem"),
        temp.path().join("operator-ca.pem"),
    );
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();

    let data = temp.path().join("data");
    tandem_server::merge_credentials(
        &tandem_server::DataDir::open(&data).unwrap(),
        &[(CA_CERT_KEY.to_owned(), "/stale/ca.pem".to_owned())],
    )
    .unwrap();
    let tls = TlsConfig {
        cert: Some(cert_file),
        key: Some(key_file),
        ..TlsConfig::default()
    };
    let server =
        InProcessServer::start_in(&data, ServiceSpec::xdr(), tls_config(tls), probe_routes)
            .await
            .unwrap();
    assert!(server.credentials().ca_cert().is_none());
    assert!(!data.join("tls-ca.pem").exists());
    let client = http_client_trusting(Some(&ca_file)).unwrap();
    assert!(tandem_testkit::healthy_with(&client, server.url()).await);
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_with_the_flags_that_fix_it() {
    let temp = tempfile::tempdir().unwrap();
    let options = |tls: TlsConfig| ServerOptions {
        listen: "0.0.0.0:0".into(),
        data_dir: temp.path().to_owned(),
        config: tls_config(tls),
    };
    let prepared = Prepared::open(options(TlsConfig::default()), ServiceSpec::xdr()).unwrap();
    let err = prepared.bind(Router::new()).await.unwrap_err().to_string();
    for needle in ["0.0.0.0:0", "--tls", "--tls-cert", "--insecure-http"] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    let allowed = TlsConfig {
        insecure_http: true,
        ..TlsConfig::default()
    };
    let prepared = Prepared::open(options(allowed), ServiceSpec::xdr()).unwrap();
    let bound = prepared.bind(Router::new()).await.unwrap();
    assert!(
        bound.url().starts_with("http://127.0.0.1:"),
        "{}",
        bound.url()
    );
}

#[tokio::test]
async fn metadata_points_at_https_endpoints_and_the_token_endpoint_takes_basic_auth() {
    let server = start_tls(local_ca()).await;
    let credentials: &Credentials = server.credentials();
    let client = credentials.http_client().unwrap();
    let tenant = credentials.tenant_id().unwrap();
    let base = server.url();
    let metadata: Value = tandem_testkit::send_json(client.get(format!(
        "{base}/{tenant}/v2.0/.well-known/openid-configuration"
    )))
    .await
    .unwrap();
    assert_eq!(metadata["issuer"], format!("{base}/{tenant}/v2.0"));
    assert_eq!(
        metadata["token_endpoint"],
        format!("{base}/{tenant}/oauth2/v2.0/token")
    );
    assert_eq!(
        metadata["jwks_uri"],
        format!("{base}/{tenant}/discovery/v2.0/keys")
    );
    let methods = &metadata["token_endpoint_auth_methods_supported"];
    assert_eq!(
        methods,
        &json!(["client_secret_post", "client_secret_basic"])
    );
    assert!(metadata["tenant_region_scope"].is_string(), "{metadata}");
    let authorize = client
        .get(metadata["authorization_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 400);
    let body: Value = authorize.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_response_type");

    let token_url = metadata["token_endpoint"].as_str().unwrap();
    let id = credentials.get("TANDEM_CLIENT_ID").unwrap();
    let secret = credentials.get("TANDEM_CLIENT_SECRET").unwrap();
    let form = [("grant_type", "client_credentials"), ("scope", GRAPH_SCOPE)];
    let post = |user: &str, password: &str, extra: Option<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> =
            form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        form.extend(extra);
        client
            .post(token_url)
            .basic_auth(user, Some(password))
            .form(&form)
            .send()
    };
    let basic = post(id, secret, None).await.unwrap();
    assert_eq!(basic.status(), 200);
    let wrong = post(id, "not-the-secret", None).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let both = post(id, secret, Some(("client_secret", secret.to_owned())))
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    let body: Value = both.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
