//! Helpers of the connector's end-to-end tests: real `tandem` processes in temp data dirs, clients for
//! the XDR's Graph API and the SIEM's Sentinel API with the servers' own development apps, and waits
//! with a deadline.

#![allow(dead_code)]

pub mod proxy;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tandem_client::{ApiClient, ApiRequest, ClientConfig, CredentialConfig, Secret};
use tandem_model::graph;
use tandem_model::sentinel::{self, List};
use tandem_model::{Field, Timestamp};
use tandem_sync::reconcile::PairKey;
use tandem_testkit::{ChildOutput, ChildServer, Launch};

/// Every awaited effect must show within this long.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A temp dir removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty dir, unique even among dirs made by parallel tests in the same instant.
    pub fn new(name: &str) -> TempDir {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "tandem-sync-e2e-{name}-{}-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::SeqCst),
            Timestamp::now()
                .instant()
                .timestamp_nanos_opt()
                .unwrap_or_default()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir(&path).expect("create a fresh temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tandem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `tandem xdr` or `tandem siem` (its output discarded) and its `credentials.env`.
pub struct Server(ChildServer);

impl Server {
    /// Starts `tandem KIND` in a temp data dir and waits until it answers.
    pub async fn start(kind: &str, url_key: &str) -> Server {
        let binary = Path::new(env!("CARGO_BIN_EXE_tandem"));
        let server = Launch::new(binary, &[kind], url_key)
            .output(ChildOutput::Discard)
            .spawn()
            .await
            .unwrap_or_else(|e| panic!("{kind} did not start: {e}"));
        Server(server)
    }

    /// The data dir.
    pub fn dir(&self) -> &Path {
        self.0.data_dir()
    }

    /// The value of a `credentials.env` key.
    pub fn get(&self, key: &str) -> &str {
        self.0
            .credentials()
            .get(key)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// An API client of the read-write development app for `scope`.
    pub fn client(&self, url_key: &str, scope: &str) -> ApiClient {
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
pub fn run_tandem(args: &[&str]) -> String {
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
pub async fn wait_for<T, F: Future<Output = Option<T>>>(
    what: &str,
    log: &Path,
    check: impl FnMut() -> F,
) -> T {
    wait_within(DEADLINE, what, log, check).await
}

/// [`wait_for`] with another deadline.
pub async fn wait_within<T, F: Future<Output = Option<T>>>(
    deadline: Duration,
    what: &str,
    log: &Path,
    mut check: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > deadline {
            panic!(
                "not within {deadline:?}: {what}\nconnector log:\n{}",
                log_excerpt(log)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The changes [`Stack::analysts_work`] made.
pub struct AnalystWork {
    /// The comment added in the SIEM.
    pub siem_note: String,
    /// The comment added in the XDR.
    pub xdr_note: String,
    /// The owner assigned in the SIEM.
    pub owner: &'static str,
}

/// A running XDR (with the multi-stage scenario posted) and SIEM, and clients for both.
pub struct Stack {
    pub xdr: Server,
    pub siem: Server,
    pub graph: ApiClient,
    pub arm: ApiClient,
    pub incidents_url: String,
    pub twins_url: String,
    pub tenant: String,
}

impl Stack {
    pub async fn start() -> Stack {
        let xdr = Server::start("xdr", "TANDEM_XDR_URL").await;
        let siem = Server::start("siem", "TANDEM_SIEM_URL").await;
        let xdr_dir = xdr.dir().to_str().expect("UTF-8 path").to_owned();
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
        let workspace = format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights",
            siem.get("TANDEM_SIEM_URL"),
            siem.get("TANDEM_SUBSCRIPTION_ID"),
            siem.get("TANDEM_RESOURCE_GROUP"),
            siem.get("TANDEM_WORKSPACE_NAME"),
        );
        Stack {
            graph: xdr.client("TANDEM_XDR_URL", "https://graph.microsoft.com/.default"),
            arm: siem.client("TANDEM_SIEM_URL", "https://management.azure.com/.default"),
            incidents_url: format!("{}/v1.0/security/incidents", xdr.get("TANDEM_XDR_URL")),
            twins_url: format!("{workspace}/incidents"),
            tenant: xdr.get("TANDEM_TENANT_ID").to_owned(),
            xdr,
            siem,
        }
    }

    /// The connector config `tandem sync config` prints for these two servers.
    pub fn sync_config(&self) -> String {
        let xdr_dir = self.xdr.dir().to_str().expect("UTF-8 path");
        let siem_dir = self.siem.dir().to_str().expect("UTF-8 path");
        run_tandem(&["sync", "config", "--xdr", xdr_dir, "--siem", siem_dir])
    }

    pub async fn xdr_incidents(&self) -> Vec<graph::Incident> {
        let url = format!("{}?$expand=alerts", self.incidents_url);
        self.graph.get_all(&url).await.expect("list XDR incidents")
    }

    pub async fn xdr_incident(&self, id: &str) -> graph::Incident {
        let url = format!("{}/{id}", self.incidents_url);
        self.graph
            .get_json(&url)
            .await
            .expect("read the XDR incident")
    }

    pub fn twin_url(&self, xdr_id: &str, tail: &str) -> String {
        let name = PairKey::new(self.tenant.clone(), xdr_id).siem_incident_name();
        format!("{}/{name}{tail}?api-version=2024-09-01", self.twins_url)
    }

    pub async fn twins(&self) -> Vec<sentinel::Incident> {
        let url = format!("{}?api-version=2024-09-01", self.twins_url);
        self.arm.get_all(&url).await.expect("list SIEM incidents")
    }

    pub async fn twin(&self, xdr_id: &str) -> Option<sentinel::Incident> {
        self.arm.get_json(&self.twin_url(xdr_id, "")).await.ok()
    }

    /// `SystemAlertId`s of the alerts attached to the twin.
    pub async fn twin_alert_ids(&self, xdr_id: &str) -> Vec<String> {
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

    pub async fn twin_entity_count(&self, xdr_id: &str) -> usize {
        let request = ApiRequest::post(self.twin_url(xdr_id, "/entities"));
        let Ok(response) = self.arm.send(request).await else {
            return 0;
        };
        let entities: sentinel::IncidentEntitiesResponse = response.json().expect("entities");
        entities.entities.len()
    }

    pub async fn twin_comments(&self, xdr_id: &str) -> Vec<String> {
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

    /// What analysts do on both sides while the connector runs: a SIEM comment and an assignment on
    /// `in_siem`'s twin, and an XDR comment on `in_xdr`. The notes carry a timestamp, so each run's are
    /// unique.
    pub async fn analysts_work(&self, in_siem: &str, in_xdr: &str, log: &Path) -> AnalystWork {
        let stamp = Timestamp::now();
        let work = AnalystWork {
            siem_note: format!("Called the user back at {stamp}"),
            xdr_note: format!("Reimaged the laptop at {stamp}"),
            owner: "analyst@contoso.example",
        };
        self.comment_twin(in_siem, "analyst-note-1", &work.siem_note)
            .await;
        self.edit_twin(in_siem, log, |p| {
            p.owner = Field::Value(sentinel::IncidentOwner {
                user_principal_name: Field::Value(work.owner.into()),
                email: Field::Value(work.owner.into()),
                ..sentinel::IncidentOwner::default()
            });
        })
        .await;
        self.comment_xdr(in_xdr, &work.xdr_note).await;
        work
    }

    /// Changes the twin as an analyst in the SIEM would: read, edit, PUT with `If-Match`, again on 412.
    pub async fn edit_twin(
        &self,
        xdr_id: &str,
        log: &Path,
        edit: impl Fn(&mut sentinel::IncidentProperties),
    ) {
        wait_for("an analyst's edit of the twin", log, || async {
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
}

/// A plain GET over TCP (the metrics endpoint needs no token).
pub async fn http_get(url: &str) -> String {
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

impl Stack {
    /// Adds a comment to the twin as an analyst in the SIEM would, under the comment name `name`.
    pub async fn comment_twin(&self, xdr_id: &str, name: &str, text: &str) {
        let url = self.twin_url(xdr_id, &format!("/comments/{name}"));
        let body = sentinel::IncidentComment::new(
            sentinel::IncidentCommentProperties::with_message(text.to_owned()),
        );
        let _: sentinel::IncidentComment = self
            .arm
            .put_json(&url, &body, None)
            .await
            .expect("comment in the SIEM");
    }

    /// Adds a comment to the XDR incident as an analyst in the XDR would.
    pub async fn comment_xdr(&self, xdr_id: &str, text: &str) {
        let url = format!("{}/{xdr_id}/comments", self.incidents_url);
        let _: graph::Collection<graph::AlertComment> = self
            .graph
            .post_json(&url, &graph::NewComment::new(text.to_owned()))
            .await
            .expect("comment in the XDR");
    }

    /// How many of the XDR incident's comments start with `text`.
    pub async fn xdr_comment_count(&self, xdr_id: &str, text: &str) -> usize {
        self.xdr_incident(xdr_id)
            .await
            .comments()
            .iter()
            .filter_map(|c| c.comment.get())
            .filter(|c| c.starts_with(text))
            .count()
    }

    /// How many of the twin's comments start with `text`.
    pub async fn twin_comment_count(&self, xdr_id: &str, text: &str) -> usize {
        self.twin_comments(xdr_id)
            .await
            .iter()
            .filter(|c| c.starts_with(text))
            .count()
    }

    /// Posts alerts to the XDR's intake.
    pub async fn post_alerts(&self, alerts: &[serde_json::Value]) {
        tandem_scenario::post_alerts(&self.graph, self.xdr.get("TANDEM_XDR_URL"), alerts, 100)
            .await
            .expect("alerts posted to the XDR");
    }

    /// The `LastModifiedTime` of every `SecurityIncident` row of the twin, through the SIEM's query API.
    pub async fn twin_row_versions(&self, xdr_id: &str) -> Vec<Timestamp> {
        let name = PairKey::new(self.tenant.clone(), xdr_id).siem_incident_name();
        let url = format!(
            "{}/v1/workspaces/{}/query",
            self.siem.get("TANDEM_SIEM_URL"),
            self.siem.get("TANDEM_WORKSPACE_ID")
        );
        let query =
            format!("SecurityIncident | where IncidentName == '{name}' | project LastModifiedTime");
        let logs = self
            .siem
            .client("TANDEM_SIEM_URL", "https://api.loganalytics.io/.default");
        let answer: tandem_model::tables::QueryResponse = logs
            .post_json(&url, &serde_json::json!({ "query": query }))
            .await
            .expect("query the SecurityIncident table");
        answer.tables[0]
            .rows
            .iter()
            .filter_map(|row| row.first()?.as_str())
            .filter_map(|text| Timestamp::parse(text).ok())
            .collect()
    }

    /// Checks that every XDR incident has exactly one twin, that the twin holds every alert of its
    /// incident, each once, and that the incident's current version landed as a `SecurityIncident` row.
    pub async fn assert_one_twin_per_incident_with_its_alerts(&self) {
        if let Some(missing) = self.missing_twins_or_alerts().await {
            panic!("{missing}");
        }
    }

    /// What [`Stack::assert_one_twin_per_incident_with_its_alerts`] finds missing, if anything.
    pub async fn missing_twins_or_alerts(&self) -> Option<String> {
        let incidents = self.xdr_incidents().await;
        let twins = self.twins().await;
        let mut expected: Vec<String> = incidents
            .iter()
            .map(|i| {
                PairKey::new(self.tenant.clone(), i.id.clone())
                    .siem_incident_name()
                    .to_string()
            })
            .collect();
        expected.sort();
        let mut names: Vec<String> = twins.iter().filter_map(|t| t.name.get().cloned()).collect();
        names.sort();
        if names != expected {
            return Some(format!(
                "SIEM incidents {names:?}, expected one per XDR incident: {expected:?}"
            ));
        }
        for incident in &incidents {
            let attached = self.twin_alert_ids(&incident.id).await;
            let mut unique = attached.clone();
            unique.dedup();
            if unique != attached {
                return Some(format!(
                    "alerts attached twice to {}: {attached:?}",
                    incident.id
                ));
            }
            let Some(version) = incident.last_update_date_time.get() else {
                return Some(format!("XDR incident {} has no change time", incident.id));
            };
            let rows = self.twin_row_versions(&incident.id).await;
            if !rows.contains(version) {
                return Some(format!(
                    "no SecurityIncident row of XDR incident {} at {version}: {rows:?}",
                    incident.id
                ));
            }
            if let Some(alert) = incident.alerts().iter().find(|a| !attached.contains(&a.id)) {
                return Some(format!(
                    "alert {} of XDR incident {} is missing from its twin: {attached:?}",
                    alert.id, incident.id
                ));
            }
        }
        None
    }
}

/// `tandem sync` runs over one config and store, each logged to one file.
pub struct ConnectorRuns {
    pub config: PathBuf,
    pub store: PathBuf,
    pub log: PathBuf,
    _dir: TempDir,
}

impl ConnectorRuns {
    /// Runs over `config`, with the `key = value` lines of `sync_settings` in its `[sync]` section.
    pub fn new(config: &str, sync_settings: &str) -> ConnectorRuns {
        let dir = TempDir::new("sync");
        let path = dir.0.join("sync.toml");
        let keys: Vec<&str> = sync_settings
            .lines()
            .filter_map(|line| line.split_once('=').map(|(key, _)| key.trim()))
            .collect();
        let kept: Vec<&str> = config
            .lines()
            .filter(|line| {
                let key = line.split_once('=').map(|(key, _)| key.trim());
                key.is_none_or(|key| !keys.contains(&key))
            })
            .collect();
        let text = format!("{}\n", kept.join("\n"))
            .replace("[sync]\n", &format!("[sync]\n{sync_settings}\n"));
        std::fs::write(&path, text).expect("write the config");
        ConnectorRuns {
            config: path,
            store: dir.0.join("store"),
            log: dir.0.join("sync.log"),
            _dir: dir,
        }
    }

    /// `tandem sync` with this config and store, its stderr appended to the log.
    pub fn command(&self, args: &[&str]) -> Command {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the connector's log");
        let mut command = tandem();
        command
            .arg("sync")
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(&self.store)
            .stdin(Stdio::null())
            .stderr(log);
        command
    }

    /// One `tandem sync --once` with the crash point `crash_at`, if any; its exit status and stdout.
    pub fn once(&self, crash_at: Option<&str>) -> (std::process::ExitStatus, String) {
        let mut command = self.command(&["--once"]);
        command.env_remove(tandem_sync::engine::CRASH_AT_ENV);
        if let Some(point) = crash_at {
            command.env(tandem_sync::engine::CRASH_AT_ENV, point);
        }
        let output = command.output().expect("run tandem sync --once");
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// Clean `--once` runs until one writes nothing and no write waits in the outbox; returns how many
    /// ran.
    pub fn until_quiet(&self) -> usize {
        for run in 1..=10 {
            let (status, report) = self.once(None);
            assert!(status.success(), "a clean run failed: {}", self.log_tail());
            if quiet(&report) && self.pending_writes() == 0 {
                return run;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("still writing after 10 clean runs: {}", self.log_tail());
    }

    /// The writes waiting in the outbox, as `tandem sync status --json` reports them.
    pub fn pending_writes(&self) -> u64 {
        let store = self.store.to_str().expect("UTF-8 path");
        let text = run_tandem(&["sync", "status", "--data-dir", store, "--json"]);
        let status: serde_json::Value = serde_json::from_str(&text).expect("status JSON");
        status["directions"]
            .as_array()
            .expect("directions")
            .iter()
            .filter_map(|d| d["pending_writes"].as_u64())
            .sum()
    }

    /// The end of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_excerpt(&self.log)
    }
}

/// The end of a connector's log, after any panic message in it.
fn log_excerpt(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let panics = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("panicked at") || line.starts_with("Error:"))
        .flat_map(|(i, _)| lines[i..(i + 6).min(lines.len())].iter().copied());
    let tail = lines[lines.len().saturating_sub(30)..].iter().copied();
    panics.chain(tail).collect::<Vec<_>>().join("\n")
}

/// Whether a `--once` report says the cycle replayed and wrote nothing.
fn quiet(report: &str) -> bool {
    report.lines().any(|line| {
        line.starts_with("replayed 0 write(s);")
            && line.contains("item(s), 0 write(s); siem:")
            && line.ends_with(" 0 write(s)")
    })
}
