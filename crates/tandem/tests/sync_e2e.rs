//! End to end: a real `tandem xdr`, a real `tandem siem` and a real `tandem sync`, each its own process
//! on loopback with its own temp data dir, set up the way a user does it (`tandem sync config` writes the
//! connector's config from the two servers' `credentials.env`), at default poll settings.
//!
//! After `tandem xdr simulate --scenario multi-stage`, the SIEM must hold exactly one twin per XDR
//! incident with every alert and entity; closing a twin with a classification must resolve the XDR
//! incident with the mapped classification and determination; a comment added in the XDR must appear
//! once in the SIEM; an assignment made in the SIEM must reach the XDR. Each is awaited with a 10 s
//! deadline. Finally, once everything is quiet, the connector's write count must stay put: nothing
//! bounces between the sides.
//!
//! The run is made twice: with the connector's state in its embedded SQLite store (`--data-dir`), and in
//! PostgreSQL (`--store postgres://…`, a schema of the test's own), where it must converge the same way.

mod sync_support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use sync_support::{Stack, TempDir, free_port, http_get, run_tandem, tandem, wait_for};
use tandem_model::graph::{self, NewComment};
use tandem_model::mapping::{SiemVerdict, verdict_to_xdr};
use tandem_model::sentinel::{
    self, IncidentClassification, IncidentClassificationReason, IncidentOwner, IncidentStatus,
};
use tandem_model::{Field, Timestamp};
use tandem_testkit::postgres::TestSchema;
use tandem_testkit::{ChildOutput, ChildProcess};

/// The stack and a `tandem sync` process run with the generated config at default settings.
struct Setup {
    stack: Stack,
    base_url: String,
    log: PathBuf,
    _sync: ChildProcess,
    _sync_dir: TempDir,
}

/// Where the connector keeps its state.
enum StoreFlag<'a> {
    /// The embedded store, in a data dir of the test's own.
    DataDir,
    /// `--store URL`.
    Url(&'a str),
}

impl Setup {
    async fn start(store: StoreFlag<'_>) -> Setup {
        let stack = Stack::start().await;
        let sync_dir = TempDir::new("sync");
        let config_file = sync_dir.0.join("sync.toml");
        std::fs::write(&config_file, stack.sync_config()).expect("write the config");
        let listen = format!("127.0.0.1:{}", free_port());
        let log = sync_dir.0.join("sync.log");
        let log_file = std::fs::File::create(&log).expect("create the connector's log");
        let mut command = tandem();
        command
            .args(["sync", "--listen", &listen, "--config"])
            .arg(&config_file);
        match store {
            StoreFlag::DataDir => command.arg("--data-dir").arg(sync_dir.0.join("store")),
            StoreFlag::Url(url) => command.args(["--store", url]),
        };
        command.stdout(Stdio::null()).stderr(log_file);
        let sync = ChildProcess::spawn(&mut command, ChildOutput::AsConfigured)
            .expect("spawn tandem sync");
        Setup {
            stack,
            base_url: format!("http://{listen}"),
            log,
            _sync: sync,
            _sync_dir: sync_dir,
        }
    }

    async fn wait_for<T, F: Future<Output = Option<T>>>(
        &self,
        what: &str,
        check: impl FnMut() -> F,
    ) -> T {
        wait_for(what, &self.log, check).await
    }

    /// How many comments of the SIEM twin of `xdr_id` start with `text`.
    async fn comment_copies(&self, xdr_id: &str, text: &str) -> usize {
        let comments = self.stack.twin_comments(xdr_id).await;
        comments.iter().filter(|c| c.starts_with(text)).count()
    }

    async fn edit_twin(&self, xdr_id: &str, edit: impl Fn(&mut sentinel::IncidentProperties)) {
        self.stack.edit_twin(xdr_id, &self.log, edit).await;
    }

    /// `tandem_sync_writes_total`, summed over sides and kinds.
    async fn writes(&self) -> u64 {
        let text = http_get(&format!("{}/metrics", self.base_url)).await;
        text.lines()
            .filter(|l| l.starts_with("tandem_sync_writes_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_stage_attack_syncs_both_ways_without_echo() {
    syncs_both_ways_without_echo(StoreFlag::DataDir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_stage_attack_syncs_both_ways_without_echo_with_the_state_in_postgres() {
    let schema = TestSchema::create().await.expect("a PostgreSQL schema");
    syncs_both_ways_without_echo(StoreFlag::Url(schema.url())).await;
    // The state is in PostgreSQL: `tandem sync status` reads both directions' polls from there.
    let status = run_tandem(&["sync", "status", "--store", schema.url()]);
    assert!(status.contains("XDR → SIEM: lag"), "{status}");
    assert!(status.contains("SIEM → XDR: lag"), "{status}");
}

/// The scenario, awaited both ways, then quiescence.
async fn syncs_both_ways_without_echo(store: StoreFlag<'_>) {
    let setup = Setup::start(store).await;
    let incidents = setup.stack.xdr_incidents().await;
    assert!(!incidents.is_empty(), "the scenario made no incident");
    let alerts: usize = incidents.iter().map(|i| i.alerts().len()).sum();
    assert!(alerts > 1, "the scenario made {alerts} alert(s)");

    // One twin per XDR incident, with every alert and its entities.
    for incident in &incidents {
        let mut expected: Vec<String> = incident.alerts().iter().map(|a| a.id.clone()).collect();
        expected.sort();
        setup
            .wait_for(
                &format!("twin of XDR incident {} with its alerts", incident.id),
                || async {
                    setup.stack.twin(&incident.id).await?;
                    let ids = setup.stack.twin_alert_ids(&incident.id).await;
                    (ids == expected).then_some(())
                },
            )
            .await;
        if !expected.is_empty() {
            assert!(setup.stack.twin_entity_count(&incident.id).await > 0);
        }
    }
    let twins = setup.stack.twins().await;
    for incident in &incidents {
        let matching = twins
            .iter()
            .filter(|t| t.properties.provider_incident_id.get() == Some(&incident.id))
            .count();
        assert_eq!(matching, 1, "twins of XDR incident {}", incident.id);
    }

    // A merged XDR incident's twin is closed, with a comment naming the survivor.
    for merged in incidents
        .iter()
        .filter(|i| i.status.get() == Some(&graph::IncidentStatus::Redirected))
    {
        let survivor = merged
            .redirect_incident_id
            .get()
            .cloned()
            .unwrap_or_default();
        let twin = setup.stack.twin(&merged.id).await.expect("the merged twin");
        assert_eq!(twin.properties.status.get(), Some(&IncidentStatus::Closed));
        let comments = setup.stack.twin_comments(&merged.id).await;
        let naming = format!("Merged into XDR incident {survivor}");
        assert!(
            comments.iter().any(|c| c.starts_with(&naming)),
            "{comments:?}"
        );
    }

    let target = incidents
        .iter()
        .find(|i| i.status.get() != Some(&graph::IncidentStatus::Redirected))
        .expect("an incident that was not merged");
    let id = target.id.clone();

    // A comment added in the SIEM appears once in the XDR.
    let note = format!("Isolated the mailbox at {}", Timestamp::now());
    let comment_url = setup.stack.twin_url(&id, "/comments/analyst-note-1");
    let body = sentinel::IncidentComment::new(sentinel::IncidentCommentProperties::with_message(
        note.clone(),
    ));
    let _: sentinel::IncidentComment = setup
        .stack
        .arm
        .put_json(&comment_url, &body, None)
        .await
        .expect("comment in the SIEM");
    setup
        .wait_for("the SIEM comment in the XDR", || async {
            let incident = setup.stack.xdr_incident(&id).await;
            let copies = incident
                .comments()
                .iter()
                .filter_map(|c| c.comment.get())
                .filter(|c| c.starts_with(&note))
                .count();
            (copies == 1).then_some(())
        })
        .await;

    // An assignment made in the SIEM reaches the XDR.
    let owner = "analyst@contoso.example";
    setup
        .edit_twin(&id, |p| {
            p.owner = Field::Value(IncidentOwner {
                user_principal_name: Field::Value(owner.into()),
                email: Field::Value(owner.into()),
                assigned_to: Field::Value("Analyst".into()),
                ..IncidentOwner::default()
            });
        })
        .await;
    setup
        .wait_for("the SIEM's assignment in the XDR", || async {
            let incident = setup.stack.xdr_incident(&id).await;
            (incident.assigned_to.get().map(String::as_str) == Some(owner)).then_some(())
        })
        .await;

    // A comment added in the XDR appears once in the SIEM.
    let text = format!("Contained the host at {}", Timestamp::now());
    let url = format!("{}/{id}/comments", setup.stack.incidents_url);
    let _: graph::Collection<graph::AlertComment> = setup
        .stack
        .graph
        .post_json(&url, &NewComment::new(text.clone()))
        .await
        .expect("comment in the XDR");
    setup
        .wait_for("the XDR comment in the SIEM", || async {
            (setup.comment_copies(&id, &text).await == 1).then_some(())
        })
        .await;

    // Closing the twin with a classification resolves the XDR incident with the mapped verdict, and the
    // analyst's closing comment becomes an XDR comment.
    setup
        .edit_twin(&id, |p| {
            p.status = Field::Value(IncidentStatus::Closed);
            p.classification = Field::Value(IncidentClassification::FalsePositive);
            p.classification_reason =
                Field::Value(IncidentClassificationReason::IncorrectAlertLogic);
            p.classification_comment = Field::Value("Known vulnerability scanner".into());
        })
        .await;
    let expected = verdict_to_xdr(&SiemVerdict {
        classification: Some(IncidentClassification::FalsePositive),
        reason: Some(IncidentClassificationReason::IncorrectAlertLogic),
    });
    setup
        .wait_for("the SIEM's closing verdict in the XDR", || async {
            let incident = setup.stack.xdr_incident(&id).await;
            let resolved = incident.status.get() == Some(&graph::IncidentStatus::Resolved);
            let verdict = incident.classification.get() == expected.classification.as_ref()
                && incident.determination.get() == expected.determination.as_ref();
            let closing_comments = incident
                .comments()
                .iter()
                .filter_map(|c| c.comment.get())
                .filter(|c| c.starts_with("Closing comment: Known vulnerability scanner"))
                .count();
            (resolved && verdict && closing_comments == 1).then_some(())
        })
        .await;

    // Quiescence: two more poll intervals bring no write, and the comment is still there once.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let settled = setup.writes().await;
    assert!(settled > 0, "the metrics endpoint reports the writes made");
    let health = http_get(&format!("{}/healthz", setup.base_url)).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let status = http_get(&format!("{}/status", setup.base_url)).await;
    assert!(status.contains("\"name\":\"XDR → SIEM\""), "{status}");
    assert!(status.contains("\"quarantined\":[]"), "{status}");
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        setup.writes().await,
        settled,
        "writes went on after quiescence"
    );
    assert_eq!(setup.comment_copies(&id, &text).await, 1);
}
