//! `tandem xdr` as users run it: `--listen`, `--data-dir` and `--config`, readiness on `/healthz`, the
//! keys of `credentials.env`, the token endpoint, and a restart that reuses the credentials.

#![cfg(test)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tandem_testkit::{ChildServer, healthy};

/// The scope Graph clients ask tokens for.
const SCOPE: &str = "https://graph.microsoft.com/.default";
/// How long a server that should refuse its config may take to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);
/// The keys every client reads from `credentials.env`.
const KEYS: [&str; 6] = [
    "TANDEM_TENANT_ID",
    "TANDEM_CLIENT_ID",
    "TANDEM_CLIENT_SECRET",
    "TANDEM_READER_CLIENT_ID",
    "TANDEM_READER_CLIENT_SECRET",
    "TANDEM_XDR_URL",
];

fn tandem() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tandem"))
}

/// `GET /v1.0/security/incidents` with `token`; the status.
async fn list_status(server: &ChildServer, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}/v1.0/security/incidents", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn tandem_xdr_serves_with_its_flags_and_a_restart_reuses_its_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tandem.toml");
    std::fs::write(
        &config,
        "[xdr]\ncorrelation_window_minutes = 60\nsiem_console_url = \"http://127.0.0.1:8720\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let args = ["xdr", "--config", config.to_str().unwrap()];

    // `spawn_in` passes --listen and --data-dir and returns once /healthz answers 200.
    let first = ChildServer::spawn_in(tandem(), &args, "TANDEM_XDR_URL", &data)
        .await
        .unwrap();
    assert!(healthy(first.url()).await);
    let created = first.credentials().clone();
    for key in KEYS {
        assert!(!created.get(key).unwrap().is_empty(), "{key} is empty");
    }
    assert_eq!(created.get("TANDEM_XDR_URL").unwrap(), first.url());
    // The testkit asks POST /{tenantId}/oauth2/v2.0/token for these.
    let writer = created.writer_token(first.url(), SCOPE).await.unwrap();
    let reader = created.reader_token(first.url(), SCOPE).await.unwrap();
    assert_eq!(list_status(&first, &writer).await, StatusCode::OK);
    assert_eq!(list_status(&first, &reader).await, StatusCode::OK);
    assert!(first.terminate().unwrap().success(), "a clean stop exits 0");

    let second = ChildServer::spawn_in(tandem(), &args, "TANDEM_XDR_URL", &data)
        .await
        .unwrap();
    for key in KEYS.iter().filter(|k| **k != "TANDEM_XDR_URL") {
        assert_eq!(
            second.credentials().get(key).unwrap(),
            created.get(key).unwrap(),
            "{key} changed across a restart"
        );
    }
    assert_eq!(
        second.credentials().get("TANDEM_XDR_URL").unwrap(),
        second.url()
    );
    assert_eq!(
        list_status(&second, &writer).await,
        StatusCode::OK,
        "a token from before the restart is still accepted"
    );
}

#[test]
fn tandem_xdr_refuses_a_config_it_does_not_understand_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tandem.toml");
    std::fs::write(&config, "[xdr]\ncorelation_window = 5\n").unwrap();
    let mut child = Command::new(tandem())
        .args(["xdr", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > EXIT_TIMEOUT {
            child.kill().unwrap();
            panic!("tandem xdr kept running with a bad config");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("corelation_window"), "{stderr}");
}
