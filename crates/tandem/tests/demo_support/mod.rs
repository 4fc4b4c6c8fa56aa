//! What the demo's tests share: `tandem demo` run from the built binary as a child process on free
//! ports, and the SIEM's incidents read back over its Sentinel API the way any client would.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;
use tandem_testkit::{ChildOutput, ChildProcess, Credentials, healthy};

/// How long the demo gets to answer `/healthz` on both servers.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The Sentinel API version the tests speak.
const API_VERSION: &str = "2024-03-01";
/// The scope of ARM tokens.
const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The built `tandem` binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tandem"))
}

/// A running `tandem demo`, killed when dropped.
#[derive(Debug)]
pub struct Demo {
    process: ChildProcess,
    credentials: Credentials,
    /// When the process was started.
    pub started: Instant,
}

impl Demo {
    /// Runs `tandem demo` with all three parts on free ports, its data in `workspace/data` and its
    /// log in `workspace/demo.log`, and waits until both servers answer.
    pub async fn start(workspace: &Path) -> Demo {
        let started = Instant::now();
        let data_dir = workspace.join("data");
        let log = workspace.join("demo.log");
        let mut command = Command::new(binary());
        command
            .args([
                "demo",
                "--xdr-listen",
                "127.0.0.1:0",
                "--siem-listen",
                "127.0.0.1:0",
            ])
            .args(["--sync-listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir);
        let mut process = ChildProcess::spawn(&mut command, ChildOutput::Log(log.clone()))
            .expect("run tandem demo");
        let credentials = wait_ready(&mut process, &data_dir, &log, started).await;
        Demo {
            process,
            credentials,
            started,
        }
    }

    /// The demo's `credentials.env`, as read once both servers answered.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The value of a `credentials.env` key.
    pub fn key(&self, key: &str) -> &str {
        self.credentials
            .get(key)
            .unwrap_or_else(|e| panic!("credentials.env: {e}"))
    }

    /// Every incident of the SIEM, read through the Sentinel incidents API with the read-write app.
    pub async fn siem_incidents(&self) -> Vec<Value> {
        let siem = self.key("TANDEM_SIEM_URL");
        let token = self
            .credentials
            .writer_token(siem, ARM_SCOPE)
            .await
            .expect("ARM token for the SIEM");
        let mut next = Some(format!(
            "{siem}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents?api-version={API_VERSION}",
            self.key("TANDEM_SUBSCRIPTION_ID"),
            self.key("TANDEM_RESOURCE_GROUP"),
            self.key("TANDEM_WORKSPACE_NAME"),
        ));
        let client = reqwest::Client::new();
        let mut incidents = Vec::new();
        while let Some(url) = next.take() {
            let response = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("list SIEM incidents");
            assert_eq!(response.status(), 200, "GET {url}");
            let page: Value = response.json().await.expect("incident list JSON");
            incidents.extend(page["value"].as_array().cloned().unwrap_or_default());
            next = page["nextLink"].as_str().map(str::to_owned);
        }
        incidents
    }

    /// Waits until the SIEM holds an incident whose title contains `title`, or panics at `deadline`.
    pub async fn wait_for_siem_incident(&self, title: &str, deadline: Instant) -> Value {
        loop {
            let incidents = self.siem_incidents().await;
            if let Some(found) = incidents.into_iter().find(|i| has_title(i, title)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no SIEM incident titled {title:?} by the deadline"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stops the demo as Ctrl-C does and returns its exit status.
    pub fn interrupt(self) -> ExitStatus {
        self.process
            .stop("INT")
            .expect("stop tandem demo with SIGINT")
    }
}

/// Waits until `credentials.env` in `data_dir` names both servers and both answer `/healthz`.
async fn wait_ready(
    process: &mut ChildProcess,
    data_dir: &Path,
    log: &Path,
    started: Instant,
) -> Credentials {
    let file = data_dir.join("credentials.env");
    let deadline = started + STARTUP_TIMEOUT;
    loop {
        if let Err(exited) = process.check_running() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            panic!("tandem demo: {exited}:\n{output}");
        }
        if let Ok(credentials) = Credentials::read(&file)
            && let (Ok(xdr), Ok(siem)) = (
                credentials.get("TANDEM_XDR_URL"),
                credentials.get("TANDEM_SIEM_URL"),
            )
            && healthy(xdr).await
            && healthy(siem).await
        {
            return credentials;
        }
        assert!(
            Instant::now() < deadline,
            "tandem demo did not answer /healthz on both servers within {STARTUP_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether a Sentinel incident's title contains `title`.
pub fn has_title(incident: &Value, title: &str) -> bool {
    incident["properties"]["title"]
        .as_str()
        .is_some_and(|t| t.contains(title))
}
