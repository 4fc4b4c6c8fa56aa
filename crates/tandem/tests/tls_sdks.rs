//! Microsoft's SDKs against `tandem xdr --tls` and `tandem siem --tls`, unmodified and with no client-side
//! security switch: the scripts in `sdk/python/tls/` and `sdk/js/tls/` only get the server's URL (as their authority or base
//! URL) and the CA file, the way a SOC engineer points them at a private cloud.
//!
//! Each test runs the real binary: an XDR and a SIEM over one data dir (one local CA), the XDR seeded
//! through its intake API by a tandem-client `ApiClient` that trusts the CA through its `ca_file`.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

mod tls_support;

use serde_json::Value;
use tandem_testkit::{ChildServer, Credentials, node_command, python_command, sdk_script};
use tempfile::TempDir;
use tls_support::{post_alerts, tandem};

/// Incidents seeded into the XDR: more than one page of the scripts' page sizes.
const INCIDENTS: usize = 8;
/// Environment variables through which Python, OpenSSL and Node pick CAs; the scripts get none of
/// them but those a test names, so the CA trusted is the one each test chooses.
const CA_VARIABLES: [&str; 5] = [
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

/// An XDR and a SIEM with TLS over one data dir, and the incident ids seeded into the XDR.
struct Stack {
    credentials: Credentials,
    incident_ids: BTreeSet<String>,
    _xdr: ChildServer,
    _siem: ChildServer,
    _dir: TempDir,
}

impl Stack {
    async fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let xdr = ChildServer::spawn_in(tandem(), &["xdr", "--tls"], "TANDEM_XDR_URL", dir.path())
            .await
            .expect("tandem xdr --tls starts");
        let siem =
            ChildServer::spawn_in(tandem(), &["siem", "--tls"], "TANDEM_SIEM_URL", dir.path())
                .await
                .expect("tandem siem --tls starts");
        let credentials =
            Credentials::read(&dir.path().join(tandem_server::CREDENTIALS_FILE)).unwrap();
        let alerts = tandem_scenario::load(chrono::Utc::now(), INCIDENTS, 2);
        let incident_ids = post_alerts(&credentials, &alerts).await;
        Stack {
            credentials,
            incident_ids,
            _xdr: xdr,
            _siem: siem,
            _dir: dir,
        }
    }

    fn ca_file(&self) -> &Path {
        self.credentials.ca_cert().expect("TANDEM_CA_CERT")
    }

    /// `script` (under `sdk/js/tls/` for `.mjs`, else `sdk/python/tls/`) with `credentials.env` in its environment and no CA variable but
    /// those in `trust`, each set to the CA file.
    fn command(&self, script: &str, trust: &[&str]) -> Command {
        let mut command = if script.ends_with(".mjs") {
            node_command(&sdk_script(&format!("js/tls/{script}"))).expect("sdk/js/tls/node_modules")
        } else {
            python_command(&sdk_script(&format!("python/tls/{script}"))).expect("the Python venv")
        };
        for variable in CA_VARIABLES {
            command.env_remove(variable);
        }
        command.envs(self.credentials.pairs().iter().map(|(k, v)| (k, v)));
        for variable in trust {
            command.env(variable, self.ca_file());
        }
        command
    }
}

/// The output of a script that must succeed, its last stdout line parsed as JSON.
fn succeeded(output: Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn azure_identity_finds_the_token_endpoint_and_msgraph_lists_every_incident() {
    let stack = Stack::start().await;
    // azure-identity gets the CA through `connection_verify`; msgraph-sdk's httpx through SSL_CERT_FILE.
    let output = stack
        .command("graph_identity.py", &["SSL_CERT_FILE"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    assert_eq!(summary["incidents"], INCIDENTS, "{summary}");
    assert!(summary["pages"].as_u64().unwrap() > 1, "{summary}");
}

#[tokio::test]
async fn monitor_and_sentinel_sdks_run_the_siem_flows_over_https() {
    let stack = Stack::start().await;
    let output = stack
        .command("siem_sdks.py", &["REQUESTS_CA_BUNDLE"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    assert_eq!(summary["rows"], 40, "{summary}");
}

#[tokio::test]
async fn the_javascript_graph_client_pages_through_every_incident_once() {
    let stack = Stack::start().await;
    let output = stack
        .command("graph_pager.mjs", &["NODE_EXTRA_CA_CERTS"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    let ids: Vec<String> = serde_json::from_value(summary["ids"].clone()).unwrap();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "repeated: {ids:?}");
    assert_eq!(unique, stack.incident_ids);
    assert!(summary["firstPage"].as_u64().unwrap() < INCIDENTS as u64);
}

#[tokio::test]
async fn the_javascript_sentinel_sdk_works_with_its_default_api_version() {
    let stack = Stack::start().await;
    let output = stack
        .command("sentinel_incidents.mjs", &["NODE_EXTRA_CA_CERTS"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    // The package's own default, which Tandem must accept as ARM does.
    assert_eq!(summary["apiVersion"], "2022-09-01-preview", "{summary}");
    assert!(
        summary["names"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("js-sdk-incident")),
        "{summary}"
    );
    assert_eq!(summary["status"], "Active", "{summary}");
    assert_eq!(
        summary["staleStatus"], 409,
        "a stale etag is refused: {summary}"
    );
    assert_eq!(
        summary["comment"], "Looked at it from the JavaScript SDK",
        "{summary}"
    );
    assert_eq!(summary["alerts"], 0, "{summary}");
    assert_eq!(summary["entities"], 0, "{summary}");
}

#[tokio::test]
async fn the_javascript_monitor_sdks_upload_and_query_in_a_batch() {
    let stack = Stack::start().await;
    let output = stack
        .command("monitor_logs.mjs", &["NODE_EXTRA_CA_CERTS"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    assert_eq!(summary[0]["status"], "Success", "{summary}");
    assert_eq!(summary[0]["rows"], serde_json::json!([[2]]), "{summary}");
    assert_eq!(
        summary[1]["rows"],
        serde_json::json!([["js-2"]]),
        "{summary}"
    );
}

#[tokio::test]
async fn pyjwt_verifies_a_token_against_the_published_jwks_and_rejects_a_changed_one() {
    let stack = Stack::start().await;
    let output = stack
        .command("pyjwt_jwks.py", &["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
        .output()
        .unwrap();
    let summary = succeeded(output);
    assert_eq!(summary["verified"], "https://graph.microsoft.com");
}

#[tokio::test]
async fn clients_that_do_not_trust_the_ca_fail_with_a_certificate_error() {
    let stack = Stack::start().await;
    let python = stack.command("untrusted.py", &[]).output().unwrap();
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );

    let node = stack.command("graph_pager.mjs", &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&node.stderr);
    assert!(!node.status.success(), "an untrusted server was accepted");
    assert!(stderr.contains("SELF_SIGNED_CERT_IN_CHAIN"), "{stderr}");

    let url = stack.credentials.get("TANDEM_XDR_URL").unwrap();
    let error = reqwest::get(format!("{url}/healthz")).await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(format!("{error:?}").contains("UnknownIssuer"), "{error:?}");
}

#[test]
fn plain_http_on_a_non_loopback_address_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(tandem())
        .args(["xdr", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in [
        "0.0.0.0:0",
        "not a loopback address",
        "--tls",
        "--insecure-http",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from: {stderr}");
    }
}
