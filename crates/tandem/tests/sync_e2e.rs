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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tandem_client::{ApiClient, ApiRequest, ClientConfig, CredentialConfig, Secret};
use tandem_model::graph::{self, NewComment};
use tandem_model::mapping::{SiemVerdict, verdict_to_xdr};
use tandem_model::sentinel::{
    self, IncidentClassification, IncidentClassificationReason, IncidentOwner, IncidentStatus, List,
};
use tandem_model::{Field, Timestamp};
use tandem_sync::reconcile::PairKey;

/// Every awaited effect must show within this long.
const DEADLINE: Duration = Duration::from_secs(10);
/// How long a server gets to start.
const STARTUP: Duration = Duration::from_secs(60);

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temp dir removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let unique = format!(
            "tandem-sync-e2e-{name}-{}-{}",
            std::process::id(),
            Timestamp::now()
                .instant()
                .timestamp_nanos_opt()
                .unwrap_or_default()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tandem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
}

/// A free loopback port (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `tandem xdr` or `tandem siem` and its `credentials.env`.
struct Server {
    _process: Process,
    dir: TempDir,
    env: Vec<(String, String)>,
}

impl Server {
    async fn start(kind: &str, url_key: &str) -> Server {
        let dir = TempDir::new(kind);
        let child = tandem()
            .args([kind, "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the server");
        let process = Process(child);
        let file = dir.0.join(tandem_server::CREDENTIALS_FILE);
        let started = Instant::now();
        loop {
            let env = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| tandem_server::parse_env(&text).ok())
                .unwrap_or_default();
            if env.iter().any(|(k, _)| k == url_key) {
                return Server {
                    _process: process,
                    dir,
                    env,
                };
            }
            assert!(started.elapsed() < STARTUP, "{kind} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn get(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("credentials.env has no {key}"))
    }

    /// An API client of the read-write development app for `scope`.
    fn client(&self, url_key: &str, scope: &str) -> ApiClient {
        let url = self.get(url_key);
        let credential = CredentialConfig::with_secret(
            self.get("TANDEM_TENANT_ID"),
            self.get("TANDEM_CLIENT_ID"),
            Secret::new(self.get("TANDEM_CLIENT_SECRET")),
        )
        .with_token_url(format!("{url}/{{tenant}}/oauth2/v2.0/token"));
        ApiClient::new(&ClientConfig::new(credential, scope)).expect("API client")
    }
}

/// Runs a `tandem` command to completion and returns its stdout.
fn run_tandem(args: &[&str]) -> String {
    let output = tandem().args(args).output().expect("run tandem");
    assert!(
        output.status.success(),
        "tandem {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Polls `check` until it returns `Some`; after [`DEADLINE`], fails naming `what` and showing the end of
/// the connector's log.
async fn wait_for<T, F: Future<Output = Option<T>>>(
    what: &str,
    log: &Path,
    mut check: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > DEADLINE {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "not within {DEADLINE:?}: {what}\nconnector log:\n{}",
                tail.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The three running parts and clients for both sides.
struct Setup {
    _xdr: Server,
    _siem: Server,
    graph: ApiClient,
    arm: ApiClient,
    incidents_url: String,
    twins_url: String,
    tenant: String,
    metrics_url: String,
    log: PathBuf,
    _sync: Process,
    _sync_dir: TempDir,
}

impl Setup {
    async fn start() -> Setup {
        let xdr = Server::start("xdr", "TANDEM_XDR_URL").await;
        let siem = Server::start("siem", "TANDEM_SIEM_URL").await;
        let xdr_dir = xdr.dir.0.to_str().expect("UTF-8 path").to_owned();
        let siem_dir = siem.dir.0.to_str().expect("UTF-8 path").to_owned();
        run_tandem(&[
            "xdr",
            "simulate",
            "--scenario",
            "multi-stage",
            "--url",
            xdr.get("TANDEM_XDR_URL"),
            "--data-dir",
            &xdr_dir,
        ]);
        let config = run_tandem(&["sync", "config", "--xdr", &xdr_dir, "--siem", &siem_dir]);
        let sync_dir = TempDir::new("sync");
        let config_file = sync_dir.0.join("sync.toml");
        std::fs::write(&config_file, config).expect("write the config");
        let listen = format!("127.0.0.1:{}", free_port());
        let log = sync_dir.0.join("sync.log");
        let log_file = std::fs::File::create(&log).expect("create the connector's log");
        let child = tandem()
            .args(["sync", "--listen", &listen, "--config"])
            .arg(&config_file)
            .arg("--data-dir")
            .arg(sync_dir.0.join("store"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn tandem sync");
        let workspace = format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights",
            siem.get("TANDEM_SIEM_URL"),
            siem.get("TANDEM_SUBSCRIPTION_ID"),
            siem.get("TANDEM_RESOURCE_GROUP"),
            siem.get("TANDEM_WORKSPACE_NAME"),
        );
        Setup {
            graph: xdr.client("TANDEM_XDR_URL", "https://graph.microsoft.com/.default"),
            arm: siem.client("TANDEM_SIEM_URL", "https://management.azure.com/.default"),
            incidents_url: format!("{}/v1.0/security/incidents", xdr.get("TANDEM_XDR_URL")),
            twins_url: format!("{workspace}/incidents"),
            tenant: xdr.get("TANDEM_TENANT_ID").to_owned(),
            metrics_url: format!("http://{listen}/metrics"),
            log,
            _xdr: xdr,
            _siem: siem,
            _sync: Process(child),
            _sync_dir: sync_dir,
        }
    }

    async fn xdr_incidents(&self) -> Vec<graph::Incident> {
        let url = format!("{}?$expand=alerts", self.incidents_url);
        self.graph.get_all(&url).await.expect("list XDR incidents")
    }

    async fn xdr_incident(&self, id: &str) -> graph::Incident {
        let url = format!("{}/{id}", self.incidents_url);
        self.graph
            .get_json(&url)
            .await
            .expect("read the XDR incident")
    }

    fn twin_url(&self, xdr_id: &str, tail: &str) -> String {
        let name = PairKey::new(self.tenant.clone(), xdr_id).siem_incident_name();
        format!("{}/{name}{tail}?api-version=2024-09-01", self.twins_url)
    }

    async fn twins(&self) -> Vec<sentinel::Incident> {
        let url = format!("{}?api-version=2024-09-01", self.twins_url);
        self.arm.get_all(&url).await.expect("list SIEM incidents")
    }

    async fn twin(&self, xdr_id: &str) -> Option<sentinel::Incident> {
        self.arm.get_json(&self.twin_url(xdr_id, "")).await.ok()
    }

    /// `SystemAlertId`s of the alerts attached to the twin.
    async fn twin_alert_ids(&self, xdr_id: &str) -> Vec<String> {
        let request = ApiRequest::post(self.twin_url(xdr_id, "/alerts"));
        let Ok(response) = self.arm.send(request).await else {
            return Vec::new();
        };
        let alerts: List<sentinel::Entity> = response.json().expect("alert list");
        let mut ids: Vec<String> = alerts
            .value
            .iter()
            .filter_map(|a| a.name.get().cloned())
            .collect();
        ids.sort();
        ids
    }

    async fn twin_entity_count(&self, xdr_id: &str) -> usize {
        let request = ApiRequest::post(self.twin_url(xdr_id, "/entities"));
        let Ok(response) = self.arm.send(request).await else {
            return 0;
        };
        let entities: sentinel::IncidentEntitiesResponse = response.json().expect("entities");
        entities.entities.len()
    }

    async fn twin_comments(&self, xdr_id: &str) -> Vec<String> {
        let comments: Vec<sentinel::IncidentComment> = self
            .arm
            .get_all(&self.twin_url(xdr_id, "/comments"))
            .await
            .unwrap_or_default();
        comments
            .into_iter()
            .filter_map(|c| c.properties.message.get().cloned())
            .collect()
    }

    /// Changes the twin as an analyst in the SIEM would: read, edit, PUT with `If-Match`, again on 412.
    async fn edit_twin(&self, xdr_id: &str, edit: impl Fn(&mut sentinel::IncidentProperties)) {
        self.wait_for("an analyst's edit of the twin", || async {
            let mut twin = self.twin(xdr_id).await?;
            let etag = twin.etag.get().cloned();
            edit(&mut twin.properties);
            let request = ApiRequest::put(self.twin_url(xdr_id, ""))
                .json(&twin)
                .expect("JSON body");
            let request = match etag {
                Some(etag) => request.if_match(etag),
                None => request,
            };
            self.arm.send(request).await.ok()
        })
        .await;
    }

    async fn wait_for<T, F: Future<Output = Option<T>>>(
        &self,
        what: &str,
        check: impl FnMut() -> F,
    ) -> T {
        wait_for(what, &self.log, check).await
    }

    /// `tandem_sync_writes_total`, summed over sides and kinds.
    async fn writes(&self) -> u64 {
        let text = http_get(&self.metrics_url).await;
        text.lines()
            .filter(|l| l.starts_with("tandem_sync_writes_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// A plain GET over TCP (the metrics endpoint needs no token).
async fn http_get(url: &str) -> String {
    let address = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .expect("an http URL");
    let (host, path) = (address.0.to_owned(), format!("/{}", address.1));
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&host).ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut body = String::new();
        stream.read_to_string(&mut body).ok()?;
        Some(body)
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_stage_attack_syncs_both_ways_without_echo() {
    let setup = Setup::start().await;
    let incidents = setup.xdr_incidents().await;
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
                    setup.twin(&incident.id).await?;
                    let ids = setup.twin_alert_ids(&incident.id).await;
                    (ids == expected).then_some(())
                },
            )
            .await;
        if !expected.is_empty() {
            assert!(setup.twin_entity_count(&incident.id).await > 0);
        }
    }
    let twins = setup.twins().await;
    for incident in &incidents {
        let matching = twins
            .iter()
            .filter(|t| t.properties.provider_incident_id.get() == Some(&incident.id))
            .count();
        assert_eq!(matching, 1, "twins of XDR incident {}", incident.id);
    }

    let target = incidents
        .iter()
        .find(|i| i.status.get() != Some(&graph::IncidentStatus::Redirected))
        .expect("an incident that was not merged");
    let id = target.id.clone();

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
            let incident = setup.xdr_incident(&id).await;
            (incident.assigned_to.get().map(String::as_str) == Some(owner)).then_some(())
        })
        .await;

    // A comment added in the XDR appears once in the SIEM.
    let text = format!("Contained the host at {}", Timestamp::now());
    let url = format!("{}/{id}/comments", setup.incidents_url);
    let _: graph::Collection<graph::AlertComment> = setup
        .graph
        .post_json(&url, &NewComment::new(text.clone()))
        .await
        .expect("comment in the XDR");
    setup
        .wait_for("the XDR comment in the SIEM", || async {
            let copies = setup
                .twin_comments(&id)
                .await
                .iter()
                .filter(|c| c.starts_with(&text))
                .count();
            (copies == 1).then_some(())
        })
        .await;

    // Closing the twin with a classification resolves the XDR incident with the mapped verdict.
    setup
        .edit_twin(&id, |p| {
            p.status = Field::Value(IncidentStatus::Closed);
            p.classification = Field::Value(IncidentClassification::FalsePositive);
            p.classification_reason =
                Field::Value(IncidentClassificationReason::IncorrectAlertLogic);
        })
        .await;
    let expected = verdict_to_xdr(&SiemVerdict {
        classification: Some(IncidentClassification::FalsePositive),
        reason: Some(IncidentClassificationReason::IncorrectAlertLogic),
    });
    setup
        .wait_for("the SIEM's closing verdict in the XDR", || async {
            let incident = setup.xdr_incident(&id).await;
            let resolved = incident.status.get() == Some(&graph::IncidentStatus::Resolved);
            let verdict = incident.classification.get() == expected.classification.as_ref()
                && incident.determination.get() == expected.determination.as_ref();
            (resolved && verdict).then_some(())
        })
        .await;

    // Quiescence: two more poll intervals bring no write, and the comment is still there once.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let settled = setup.writes().await;
    assert!(settled > 0, "the metrics endpoint reports the writes made");
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        setup.writes().await,
        settled,
        "writes went on after quiescence"
    );
    let copies = setup
        .twin_comments(&id)
        .await
        .iter()
        .filter(|c| c.starts_with(&text))
        .count();
    assert_eq!(copies, 1);
}
