//! The processes a scenario runs: `tandem xdr`, `tandem siem` and `tandem sync`, each a child process of
//! the `tandem` executable started the way a user would start it, on loopback with a free port and a data
//! dir under the run's temp root, with the harness of the tests (`tandem-testkit`). Children are killed
//! when their handle is dropped, so a failed run leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tandem_sync::config::{ServerCredentials, render_config};
use tandem_testkit::{ChildOutput, ChildProcess, ChildServer, Launch};

use crate::error::BenchError;
use crate::scrape::{scrape, sum_counter};

/// How long a child gets to become ready.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The temp root of one run: every data dir, config and log lives under it.
#[derive(Debug)]
pub struct Workdir {
    exe: PathBuf,
    root: tempfile::TempDir,
}

impl Workdir {
    /// A fresh temp root; children are started from `exe` (the running `tandem`).
    pub fn new(exe: &Path) -> Result<Workdir, BenchError> {
        let root = tempfile::Builder::new()
            .prefix("tandem-bench-")
            .tempdir()
            .map_err(BenchError::io("create the run's temp dir"))?;
        Ok(Workdir {
            exe: exe.to_owned(),
            root,
        })
    }

    /// A path under the root.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Starts `tandem xdr` in the data dir `name`.
    pub async fn xdr(&self, name: &str) -> Result<Service, BenchError> {
        self.server("xdr", "TANDEM_XDR_URL", name).await
    }

    /// Starts `tandem siem` in the data dir `name`.
    pub async fn siem(&self, name: &str) -> Result<Service, BenchError> {
        self.server("siem", "TANDEM_SIEM_URL", name).await
    }

    /// Starts `tandem ROLE` in the data dir `name`, logging to `name.log`, and waits until it is ready.
    async fn server(&self, role: &str, url_key: &str, name: &str) -> Result<Service, BenchError> {
        let server = Launch::new(&self.exe, &[role], url_key)
            .output(ChildOutput::Log(self.log_file(name)))
            .env("RUST_LOG", "warn")
            .startup_timeout(STARTUP_TIMEOUT)
            .spawn_in(&self.path(name))
            .await?;
        Ok(Service { server })
    }

    /// `name.log` under the root.
    fn log_file(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.log"))
    }
}

/// A running `tandem xdr` or `tandem siem`.
#[derive(Debug)]
pub struct Service {
    server: ChildServer,
}

impl Service {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        self.server.data_dir()
    }

    /// The `credentials.env` pairs, as read once the server was ready.
    pub fn credentials(&self) -> &[(String, String)] {
        self.server.credentials().pairs()
    }

    /// The value of a `credentials.env` key; a `TANDEM_SIEM_` key is also found without its `SIEM_`.
    pub fn credential(&self, key: &str) -> Result<&str, BenchError> {
        let short = key.replacen("TANDEM_SIEM_", "TANDEM_", 1);
        let credentials = self.server.credentials();
        credentials
            .get(key)
            .or_else(|_| credentials.get(&short))
            .map_err(|_| {
                BenchError::Credentials(format!(
                    "{key} is missing from {}/credentials.env",
                    self.data_dir().display()
                ))
            })
    }
}

/// How the connector is tuned for a run.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorSettings {
    /// `sync.poll_interval_ms`.
    pub poll_interval: Duration,
}

/// A running `tandem sync`.
#[derive(Debug)]
pub struct Connector {
    process: ChildProcess,
    url: String,
    log: PathBuf,
}

/// The connector's data dir and config file, written before it starts (so its store can be seeded).
#[derive(Debug, Clone)]
pub struct ConnectorFiles {
    /// The data dir (holds the store).
    pub data_dir: PathBuf,
    /// The config file.
    pub config: PathBuf,
}

impl ConnectorFiles {
    /// Writes a config for `xdr` and `siem` with `settings` under `sync` in the work dir.
    pub fn write(
        work: &Workdir,
        xdr: &Service,
        siem: &Service,
        settings: ConnectorSettings,
    ) -> Result<ConnectorFiles, BenchError> {
        let name = "sync";
        let text = render_config(ServerCredentials {
            xdr: xdr.credentials(),
            siem: siem.credentials(),
        })?;
        let text = tune(&text, settings)?;
        let data_dir = work.path(name);
        std::fs::create_dir_all(&data_dir)
            .map_err(BenchError::io(format!("create {}", data_dir.display())))?;
        let config = work.path(&format!("{name}.toml"));
        std::fs::write(&config, text)
            .map_err(BenchError::io(format!("write {}", config.display())))?;
        Ok(ConnectorFiles { data_dir, config })
    }
}

/// Sets the `[sync]` section's timing in a generated config.
fn tune(text: &str, settings: ConnectorSettings) -> Result<String, BenchError> {
    let mut doc: toml::Table = text
        .parse()
        .map_err(|e| BenchError::Unexpected(format!("generated sync config: {e}")))?;
    let sync = doc
        .entry("sync")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(sync) = sync else {
        return Err(BenchError::Unexpected(
            "generated sync config: [sync] is not a table".into(),
        ));
    };
    let millis = i64::try_from(settings.poll_interval.as_millis()).unwrap_or(i64::MAX);
    sync.insert("poll_interval_ms".into(), toml::Value::Integer(millis));
    Ok(doc.to_string())
}

impl Connector {
    /// Starts `tandem sync` with `files` and its HTTP endpoint on a free loopback port, and waits until
    /// that endpoint answers.
    pub async fn start(work: &Workdir, files: &ConnectorFiles) -> Result<Connector, BenchError> {
        let listen = free_loopback_address()?;
        let mut command = Command::new(&work.exe);
        command
            .arg("sync")
            .arg("--config")
            .arg(&files.config)
            .arg("--data-dir")
            .arg(&files.data_dir)
            .args(["--listen", listen.as_str()])
            .env("RUST_LOG", "warn");
        let log = work.log_file("sync");
        let mut process = ChildProcess::spawn(&mut command, ChildOutput::Log(log.clone()))?;
        let url = format!("http://{listen}");
        process
            .wait_healthy(&reqwest::Client::new(), &url, STARTUP_TIMEOUT)
            .await?;
        Ok(Connector { process, url, log })
    }

    /// The process id (for `/proc`).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// The connector's `/metrics` page.
    pub async fn metrics(&self) -> Result<String, BenchError> {
        scrape(&format!("{}/metrics", self.url)).await
    }

    /// API requests the connector has sent (token requests included), from its `/metrics`.
    pub async fn api_requests(&self) -> Result<u64, BenchError> {
        let text = self.metrics().await?;
        let all = |_: &str| true;
        Ok(sum_counter(&text, "tandem_sync_api_requests_total", all)
            + sum_counter(&text, "tandem_sync_token_requests_total", all))
    }

    /// Fails when the connector has exited.
    pub fn check_running(&mut self) -> Result<(), BenchError> {
        Ok(self.process.check_running()?)
    }

    /// The connector's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }
}

/// A loopback address with a port that was free a moment ago (the connector's `--listen` reports the
/// bound port only in its log, so the benchmark picks one).
fn free_loopback_address() -> Result<String, BenchError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(BenchError::io("find a free loopback port"))?;
    let address = listener
        .local_addr()
        .map_err(BenchError::io("find a free loopback port"))?;
    Ok(address.to_string())
}
