//! `tandem sync` from the command line against a real `tandem xdr` and `tandem siem`: `--dry-run`
//! prints the twins it would create and creates none, `--once` creates them, and `tandem sync status`
//! reports both directions, as text and as the JSON `/status` serves. A store URL that cannot be used
//! stops the connector at start with an error naming it, its password hidden.

mod sync_support;

use sync_support::{Stack, TempDir, free_port, run_tandem, tandem};

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_once_and_status() {
    let stack = Stack::start().await;
    let dir = TempDir::new("cli");
    let config = dir.0.join("sync.toml");
    std::fs::write(&config, stack.sync_config()).expect("write the config");
    let config = config.to_str().expect("UTF-8 path");
    let store = dir.0.join("store");
    let store = store.to_str().expect("UTF-8 path");
    let incidents = stack.xdr_incidents().await;

    let dry = run_tandem(&["sync", "--config", config, "--data-dir", store, "--dry-run"]);
    let planned = dry
        .lines()
        .filter(|l| l.starts_with("would create/write siem"))
        .count();
    assert_eq!(planned, incidents.len(), "{dry}");
    assert!(stack.twins().await.is_empty());

    let once = run_tandem(&["sync", "--config", config, "--data-dir", store, "--once"]);
    assert!(
        once.contains(&format!("xdr: {} item(s)", incidents.len())),
        "{once}"
    );
    for incident in &incidents {
        assert!(stack.twin(&incident.id).await.is_some());
    }

    let status = run_tandem(&["sync", "status", "--data-dir", store]);
    assert!(status.contains("XDR → SIEM: lag"), "{status}");
    assert!(status.contains("SIEM → XDR: lag"), "{status}");
    assert!(status.contains("quarantined: 0"), "{status}");
    let json = run_tandem(&["sync", "status", "--data-dir", store, "--json"]);
    assert!(json.contains("\"directions\""), "{json}");
    assert!(json.contains("\"last_success\": \"20"), "{json}");

    let unreachable = format!("postgres://tandem:hunter2@127.0.0.1:{}/sync", free_port());
    let shown = unreachable.replace("hunter2", "***");
    for (url, why) in [
        (unreachable.as_str(), "cannot reach"),
        (
            "mysql://tandem:hunter2@db/sync",
            "expected sqlite://PATH or postgres://",
        ),
    ] {
        let output = tandem()
            .args(["sync", "--config", config, "--once", "--store", url])
            .output()
            .expect("run tandem sync");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        if url == unreachable {
            assert!(stderr.contains(&shown), "{stderr}");
        }
    }
}
