//! Reading client configs: where the secret comes from, that it never shows in `Debug`, the token URL,
//! and errors that name the field and the value.

#![cfg(test)]

mod common;

use std::io::Write;

use common::{SECRET, TokenEndpoint, config, serve};
use tandem_client::{ApiClient, ClientConfig, ConfigError, CredentialConfig, RetryPolicy, Secret};

fn parse(credential_lines: &str) -> ClientConfig {
    let text = format!(
        "scope = \"https://graph.microsoft.com/.default\"\n[credential]\ntenant_id = \"contoso.example\"\n\
         client_id = \"app\"\n{credential_lines}\n"
    );
    toml::from_str(&text).unwrap()
}

#[test]
fn the_secret_is_read_inline() {
    let config = parse("client_secret = \"inline-secret\"");
    assert_eq!(
        config.credential.resolve_secret().unwrap().expose(),
        "inline-secret"
    );
}

#[test]
fn the_secret_is_read_from_the_named_environment_variable() {
    // Cargo sets CARGO_PKG_NAME for every test process, so no test has to change the environment.
    let config = parse("client_secret_env = \"CARGO_PKG_NAME\"");
    let expected = std::env::var("CARGO_PKG_NAME").unwrap();
    assert_eq!(
        config.credential.resolve_secret().unwrap().expose(),
        expected
    );
}

#[test]
fn a_missing_environment_variable_is_named() {
    let config = parse("client_secret_env = \"TANDEM_TEST_VARIABLE_THAT_IS_NEVER_SET\"");
    let error = config.credential.resolve_secret().unwrap_err();
    assert!(
        matches!(error, ConfigError::SecretEnvMissing { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("TANDEM_TEST_VARIABLE_THAT_IS_NEVER_SET")
    );
}

#[test]
fn the_secret_is_read_from_a_file_without_surrounding_whitespace() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "  file-secret  ").unwrap();
    let config = parse(&format!("client_secret_file = {:?}", file.path()));
    assert_eq!(
        config.credential.resolve_secret().unwrap().expose(),
        "file-secret"
    );
}

#[test]
fn an_unreadable_secret_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-secret");
    let config = parse(&format!("client_secret_file = {path:?}"));
    let error = config.credential.resolve_secret().unwrap_err().to_string();
    assert!(
        error.contains("client_secret_file") && error.contains("missing-secret"),
        "{error}"
    );
}

#[test]
fn exactly_one_secret_source_is_required() {
    let none = parse("")
        .credential
        .resolve_secret()
        .unwrap_err()
        .to_string();
    assert!(none.contains("found none"), "{none}");
    let two = parse("client_secret = \"a\"\nclient_secret_env = \"B\"")
        .credential
        .resolve_secret()
        .unwrap_err()
        .to_string();
    assert!(
        two.contains("found credential.client_secret, credential.client_secret_env"),
        "{two}"
    );
}

#[test]
fn an_empty_secret_is_refused() {
    let error = parse("client_secret = \"  \"")
        .credential
        .resolve_secret()
        .unwrap_err();
    assert!(matches!(error, ConfigError::SecretEmpty { .. }), "{error}");
}

#[tokio::test]
async fn the_secret_never_appears_in_debug_output() {
    let tokens = TokenEndpoint::new(3600);
    let base = serve(tokens.router()).await;
    let config = config(&base);
    let client = ApiClient::new(&config).unwrap();
    let token = client.tokens().token().await.unwrap();
    let printed = format!("{config:?} {client:?} {token:?} {:#?}", client.tokens());
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(!printed.contains("token-1"), "{printed}");
    assert!(printed.contains("redacted"), "{printed}");
}

#[test]
fn the_token_url_defaults_to_the_microsoft_identity_platform() {
    let config = parse("client_secret = \"s\"");
    assert_eq!(
        config.credential.resolve_token_url().unwrap().as_str(),
        "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
    );
}

/// Resolving the token URL fails with an error naming `field` and its `value`.
fn assert_token_url_refused(config: &ClientConfig, field: &str, value: &str) {
    let error = config
        .credential
        .resolve_token_url()
        .unwrap_err()
        .to_string();
    assert!(error.contains(field) && error.contains(value), "{error}");
}

#[test]
fn a_tenant_that_would_change_the_path_is_refused() {
    let mut config = parse("client_secret = \"s\"");
    config.credential.tenant_id = "../common".into();
    assert_token_url_refused(&config, "credential.tenant_id", "../common");
}

#[test]
fn a_bad_token_url_is_named() {
    let config = parse("client_secret = \"s\"\ntoken_url = \"localhost:99/{tenant}\"");
    assert_token_url_refused(&config, "credential.token_url", "localhost:99");
}

#[test]
fn unknown_fields_are_named() {
    let text = "scope = \"s\"\n[credential]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secert = \"x\"\n";
    let error = toml::from_str::<ClientConfig>(text)
        .unwrap_err()
        .to_string();
    assert!(error.contains("client_secert"), "{error}");
}

#[test]
fn zero_timeouts_and_attempts_are_refused_at_construction() {
    let mut config = parse("client_secret = \"s\"");
    config.timeouts.request_ms = 0;
    let error = ApiClient::new(&config).unwrap_err().to_string();
    assert!(error.contains("timeouts.request_ms"), "{error}");
    let mut config = parse("client_secret = \"s\"");
    config.retry.max_attempts = 0;
    let error = ApiClient::new(&config).unwrap_err().to_string();
    assert!(error.contains("retry.max_attempts"), "{error}");
}

fn ca_file_error(contents: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    if let Some(contents) = contents {
        std::fs::write(&path, contents).unwrap();
    }
    let mut config = parse("client_secret = \"s\"");
    config.ca_file = Some(path);
    let error = ApiClient::new(&config).unwrap_err();
    assert!(matches!(error, ConfigError::CaFile { .. }), "{error}");
    error.to_string()
}

#[test]
fn a_missing_ca_file_is_named() {
    let error = ca_file_error(None);
    assert!(
        error.contains("ca_file") && error.contains("ca.pem"),
        "{error}"
    );
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let error = ca_file_error(Some("this is not a certificate\n"));
    assert!(error.contains("no PEM certificate"), "{error}");
}

#[test]
fn a_ca_file_with_a_broken_certificate_is_refused() {
    let error = ca_file_error(Some(
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    ));
    assert!(
        error.contains("ca_file") && error.contains("refused"),
        "{error}"
    );
}

#[tokio::test]
async fn configs_can_be_built_in_code() {
    let tokens = TokenEndpoint::new(3600);
    let base = serve(tokens.router()).await;
    let credential = CredentialConfig::with_secret("contoso.example", "app", Secret::new(SECRET))
        .with_token_url(format!("{base}/{{tenant}}/oauth2/v2.0/token"));
    let config = ClientConfig::new(credential, "https://management.azure.com/.default");
    assert_eq!(config.retry, RetryPolicy::default());
    let client = ApiClient::new(&config).unwrap();
    client.tokens().token().await.unwrap();
    let form = tokens.forms.lock().unwrap()[0].clone();
    assert_eq!(form["scope"], "https://management.azure.com/.default");
    assert_eq!(form["client_secret"], SECRET);
}
