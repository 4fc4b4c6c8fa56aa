//! `ChildServer` against a stand-in server process: waits for the URL and `/healthz`, reads
//! `credentials.env`, stops cleanly on SIGTERM and kills the process when dropped.

use std::path::{Path, PathBuf};

use tandem_testkit::{ChildServer, healthy};

fn fake_server() -> String {
    let script: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake_server.py");
    script.display().to_string()
}

async fn spawn() -> ChildServer {
    let script = fake_server();
    ChildServer::spawn(Path::new("python3"), &[&script], "TANDEM_FAKE_URL")
        .await
        .expect("the stand-in server starts")
}

#[tokio::test]
async fn waits_for_health_and_reads_credentials_then_terminates_cleanly() {
    let server = spawn().await;
    assert!(
        server.url().starts_with("http://127.0.0.1:"),
        "{}",
        server.url()
    );
    assert!(healthy(server.url()).await);
    assert_eq!(server.credentials().tenant_id().unwrap(), "fake-tenant");
    assert!(server.data_dir().join("credentials.env").exists());
    let status = server.terminate().unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn dropping_the_handle_kills_the_server() {
    let server = spawn().await;
    let url = server.url().to_owned();
    drop(server);
    assert!(!healthy(&url).await);
}

#[tokio::test]
async fn a_server_that_exits_early_is_reported() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/no_such_script.py");
    let missing = missing.display().to_string();
    let err = ChildServer::spawn(Path::new("python3"), &[&missing], "TANDEM_FAKE_URL")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exited early"), "{err}");
}
