//! The connector's config file and its status report: a config generated from two servers'
//! `credentials.env` parses back into the same endpoints and credentials, bad values are refused naming
//! the field and value, and `tandem sync status` reads what the store recorded.

#![cfg(test)]

use std::path::PathBuf;
use std::time::Duration;

use std::collections::BTreeSet;
use tandem_model::Timestamp;
use tandem_sync::config::{ServerCredentials, SyncConfig, SyncConfigError, render_config};
use tandem_sync::engine::{Connector, status};

use tandem_sync::reconcile::{
    Base, Classification, Comment, CommentOrigin, CommentWrite, ConflictPolicy, PairKey,
    PlannedWrite, Severity, Side, SideVersion, Status, SyncedFields,
};
use tandem_sync::store::{Commit, PlanCommit, PollRecord, SqliteStore, StoreUrl, SyncStore};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn xdr_env() -> Vec<(String, String)> {
    pairs(&[
        ("TANDEM_TENANT_ID", "tenant-x"),
        ("TANDEM_XDR_URL", "http://127.0.0.1:8710"),
        ("TANDEM_CLIENT_ID", "xdr-app"),
        ("TANDEM_CLIENT_SECRET", "xdr \"secret\" 'quoted'"),
    ])
}

fn siem_env() -> Vec<(String, String)> {
    pairs(&[
        ("TANDEM_TENANT_ID", "tenant-s"),
        ("TANDEM_SIEM_URL", "http://127.0.0.1:8720/"),
        ("TANDEM_CLIENT_ID", "siem-app"),
        ("TANDEM_CLIENT_SECRET", "siem-secret"),
        ("TANDEM_SUBSCRIPTION_ID", "sub-1"),
        ("TANDEM_RESOURCE_GROUP", "tandem"),
        ("TANDEM_WORKSPACE_NAME", "tandem-siem"),
        (
            "TANDEM_DCR_IMMUTABLE_ID",
            "dcr-0123456789abcdef0123456789abcdef",
        ),
    ])
}

fn generated() -> SyncConfig {
    let (xdr, siem) = (xdr_env(), siem_env());
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .expect("render");
    SyncConfig::parse(&text).expect("the generated config parses")
}

#[test]
fn a_generated_config_points_at_both_servers() {
    let config = generated();
    assert_eq!(config.xdr.graph_url, "http://127.0.0.1:8710");
    assert_eq!(config.xdr.tenant(), "tenant-x");
    assert_eq!(config.xdr.provider().name, "Tandem XDR");
    let secret = config.xdr.client.credential.resolve_secret().unwrap();
    assert_eq!(secret.expose(), "xdr \"secret\" 'quoted'");
    assert_eq!(
        config
            .xdr
            .client
            .credential
            .resolve_token_url()
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8710/tenant-x/oauth2/v2.0/token"
    );
    assert_eq!(
        config.xdr.client.scope,
        "https://graph.microsoft.com/.default"
    );
    assert_eq!(
        config.siem.client.scope,
        "https://management.azure.com/.default"
    );
    assert_eq!(
        config.logs_ingestion.client.scope,
        "https://monitor.azure.com/.default"
    );
    assert_eq!(
        config
            .siem
            .client
            .credential
            .resolve_token_url()
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8720/tenant-s/oauth2/v2.0/token"
    );
    assert!(
        config
            .siem
            .workspace_path()
            .starts_with("/subscriptions/sub-1/resourceGroups/tandem/")
    );
    assert_eq!(
        config.logs_ingestion.dcr_immutable_id,
        "dcr-0123456789abcdef0123456789abcdef"
    );
    assert_eq!(config.sync.poll_interval(), Duration::from_secs(5));
    assert!(matches!(
        config.sync.policy(),
        ConflictPolicy::LaterChangeWins { .. }
    ));
}

#[test]
fn each_side_trusts_its_own_local_ca() {
    let mut xdr = xdr_env();
    xdr.push(("TANDEM_CA_CERT".into(), "/data/xdr/tls-ca.pem".into()));
    let mut siem = siem_env();
    siem.push(("TANDEM_CA_CERT".into(), "/data/siem/tls-ca.pem".into()));
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .unwrap();
    let config = SyncConfig::parse(&text).expect("the generated config parses");
    let ca = |c: &tandem_client::ClientConfig| c.ca_file.clone();
    assert_eq!(
        ca(&config.xdr.client),
        Some(PathBuf::from("/data/xdr/tls-ca.pem"))
    );
    assert_eq!(
        ca(&config.siem.client),
        Some(PathBuf::from("/data/siem/tls-ca.pem"))
    );
    assert_eq!(
        ca(&config.logs_ingestion.client),
        Some(PathBuf::from("/data/siem/tls-ca.pem"))
    );
    assert_eq!(ca(&generated().xdr.client), None);
}

#[test]
fn a_missing_credential_is_named() {
    let xdr = xdr_env();
    let siem: Vec<_> = siem_env()
        .into_iter()
        .filter(|(k, _)| k != "TANDEM_DCR_IMMUTABLE_ID")
        .collect();
    let error = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("TANDEM_DCR_IMMUTABLE_ID"),
        "{error}"
    );
}

/// The generated config with one line replaced.
fn with_line(from: &str, to: &str) -> Result<SyncConfig, SyncConfigError> {
    let (xdr, siem) = (xdr_env(), siem_env());
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .unwrap();
    assert!(text.contains(from), "the config has {from:?}");
    SyncConfig::parse(&text.replace(from, to))
}

#[test]
fn bad_values_are_refused_naming_field_and_value() {
    let cases = [
        (
            "graph_url = \"http://127.0.0.1:8710\"",
            "graph_url = \"ftp://x\"",
            "xdr.graph_url = \"ftp://x\"",
        ),
        (
            "resource_group = \"tandem\"",
            "resource_group = \"a/b\"",
            "siem.resource_group = \"a/b\"",
        ),
        (
            "poll_interval_ms = 5000",
            "poll_interval_ms = 0",
            "sync.poll_interval_ms = \"0\"",
        ),
        (
            "poll_interval_ms = 5000",
            "poll_interval_ms = 5000\nconflict_policy = \"coin-toss\"",
            "coin-toss",
        ),
        (
            "[sync]",
            "[store]\nurl = \"mysql://sync:hunter2@db/tandem\"\n[sync]",
            "store.url = \"mysql://sync:***@db/tandem\": expected sqlite://PATH or postgres://",
        ),
        (
            "[sync]",
            "[store]\nurl = \"postgres://sync:hunter2@db:port/tandem\"\n[sync]",
            "store.url = \"postgres://sync:***@db:port/tandem\": not a PostgreSQL URL",
        ),
    ];
    for (from, to, expected) in cases {
        let error = with_line(from, to).unwrap_err().to_string();
        assert!(error.contains(expected), "{to}: {error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}

#[test]
fn the_store_section_names_the_database() {
    let config = with_line(
        "[sync]",
        "[store]\nurl = \"postgres://sync@127.0.0.1/tandem\"\n[sync]",
    )
    .unwrap();
    assert_eq!(
        config.store.store_url().unwrap(),
        Some(StoreUrl::Postgres(
            "postgres://sync@127.0.0.1/tandem".into()
        ))
    );
    assert_eq!(generated().store.store_url().unwrap(), None);
}

#[test]
fn secrets_from_the_environment_must_exist() {
    let error = with_line(
        "client_secret = \"siem-secret\"",
        "client_secret_env = \"TANDEM_SYNC_TEST_UNSET_SECRET\"",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("TANDEM_SYNC_TEST_UNSET_SECRET"), "{error}");
    assert!(!error.contains("siem-secret"), "{error}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-sync-engine-{name}-{}-{}",
        std::process::id(),
        Timestamp::now().as_str().replace([':', '.'], "")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn status_reports_polls_failures_and_quarantine() {
    let dir = temp_dir("status");
    let store = SqliteStore::open(&dir).unwrap();
    let polled_at = Timestamp::parse("2026-01-01T00:00:10Z").unwrap();
    store
        .commit(&Commit {
            at: None,
            plans: Vec::new(),
            poll: Some(PollRecord {
                side: Side::Xdr,
                watermark: Timestamp::parse("2026-01-01T00:00:08Z").unwrap(),
                polled_at: polled_at.clone(),
                items: 3,
                lag: Some(Duration::from_secs(2)),
            }),
        })
        .await
        .unwrap();
    let failed_at = Timestamp::parse("2026-01-01T00:00:20Z").unwrap();
    store
        .record_poll_failure(Side::Siem, &failed_at, "HTTP 503")
        .await
        .unwrap();
    store
        .quarantine(
            Side::Xdr,
            "42",
            "status = \"paused\": not a status",
            &failed_at,
        )
        .await
        .unwrap();
    let status = status::read(&store).await.unwrap();
    let xdr = &status.directions[0];
    assert_eq!(xdr.name, "XDR → SIEM");
    assert_eq!(xdr.lag_seconds, Some(2.0));
    assert!(xdr.last_error.is_none());
    let siem = &status.directions[1];
    assert_eq!(siem.last_error.as_deref(), Some("HTTP 503"));
    assert!(siem.last_success.is_none());
    assert_eq!(status.quarantined.len(), 1);
    assert!(status.quarantined[0].reason.contains("paused"));
    let text = status.render_text();
    assert!(text.contains("XDR → SIEM: lag 2.0 s"), "{text}");
    assert!(text.contains("quarantined: 1"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&status.render_json()).unwrap();
    assert_eq!(json["directions"][1]["last_error"], "HTTP 503");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_cycle_against_unreachable_services_is_a_recorded_poll_failure() {
    let dir = temp_dir("unreachable");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = with_config_urls(&format!("http://127.0.0.1:{port}"));
    let config = SyncConfig::parse(&text).unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    store.commit(&planned_comment()).await.unwrap();
    let connector = Connector::new(&config, store).unwrap();
    assert!(connector.run_once().await.is_err());
    assert_eq!(
        SqliteStore::open(&dir)
            .unwrap()
            .pending_writes()
            .await
            .unwrap()
            .len(),
        1,
        "a write that failed for a passing reason stays in the outbox"
    );
    let metrics = connector.render_metrics();
    assert!(
        metrics.contains("tandem_sync_polls_total{side=\"xdr\",outcome=\"error\"} 1"),
        "{metrics}"
    );
    let store = SqliteStore::open(&dir).unwrap();
    let status = status::read(&store).await.unwrap();
    assert!(status.directions[0].last_error.is_some());
    std::fs::remove_dir_all(dir).ok();
}

/// The generated config with every URL pointing at `url`, and no retries.
fn with_config_urls(url: &str) -> String {
    let (xdr, siem) = (xdr_env(), siem_env());
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .unwrap()
    .replace("http://127.0.0.1:8710", url)
    .replace("http://127.0.0.1:8720", url);
    [
        "[xdr.client]\n",
        "[siem.client]\n",
        "[logs_ingestion.client]\n",
    ]
    .iter()
    .fold(text, |text, section| {
        text.replace(
            section,
            &format!("{section}retry = {{ max_attempts = 1 }}\n"),
        )
    })
}

/// A stored plan with one comment to mirror into the SIEM.
fn planned_comment() -> Commit {
    let pair = PairKey::new("tenant-x", "42");
    let changed_at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let write = CommentWrite {
        origin: CommentOrigin {
            side: Side::Xdr,
            id: changed_at.as_str().to_owned(),
        },
        comment: Comment {
            text: "Looking".into(),
            author: None,
        },
    };
    Commit {
        at: None,
        plans: vec![PlanCommit {
            pair: pair.clone(),
            base: Base {
                fields: SyncedFields {
                    status: Status::New,
                    severity: Severity::Low,
                    owner: None,
                    classification: Classification::undetermined(),
                    tags: BTreeSet::new(),
                },
                comments: BTreeSet::from([write.origin.clone()]),
                xdr: SideVersion {
                    marker: changed_at.as_str().to_owned(),
                    changed_at,
                },
                siem: None,
            },
            writes: vec![PlannedWrite::comment(&pair, Side::Siem, write)],
            conflicts: Vec::new(),
        }],
        poll: None,
    }
}

#[test]
fn failed_writes_wait_twice_as_long_each_time_up_to_the_cap() {
    let settings = generated().sync;
    assert_eq!(settings.max_write_attempts, 8);
    let waits: Vec<u64> = (1..=10)
        .map(|n| settings.write_retry_delay(n).as_millis() as u64)
        .collect();
    assert_eq!(
        waits,
        [
            5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000, 600_000
        ]
    );
    assert_eq!(
        settings.write_retry_delay(u32::MAX),
        Duration::from_secs(600)
    );
    let error = with_line(
        "poll_interval_ms = 5000",
        "poll_interval_ms = 5000\nmax_write_attempts = 0",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("sync.max_write_attempts = \"0\""),
        "{error}"
    );
}
