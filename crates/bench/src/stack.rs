//! The processes a scenario runs: `tandem xdr`, `tandem siem` and `tandem sync`, each a child process of
//! the `tandem` executable started the way a user would start it, on loopback with a free port and a data
//! dir under the run's temp root. Children are killed when their handle is dropped, so a failed run
//! leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tandem_server::{DataDir, read_credentials};
use tandem_sync::config::{ServerCredentials, render_config};
use tokio::process::{Child, Command};

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
        Service::start(self, "xdr", "TANDEM_XDR_URL", name).await
    }

    /// Starts `tandem siem` in the data dir `name`.
    pub async fn siem(&self, name: &str) -> Result<Service, BenchError> {
        Service::start(self, "siem", "TANDEM_SIEM_URL", name).await
    }

    fn spawn(&self, args: &[&str], log_name: &str) -> Result<(Child, PathBuf), BenchError> {
        let log = self.path(&format!("{log_name}.log"));
        let out = std::fs::File::create(&log)
            .map_err(BenchError::io(format!("create {}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(BenchError::io("share the log file"))?;
        let child = Command::new(&self.exe)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(BenchError::io(format!("run {}", self.exe.display())))?;
        Ok((child, log))
    }
}

/// A running `tandem xdr` or `tandem siem`.
#[derive(Debug)]
pub struct Service {
    child: Child,
    log: PathBuf,
    url: String,
    data_dir: PathBuf,
    credentials: Vec<(String, String)>,
}

impl Service {
    async fn start(
        work: &Workdir,
        role: &str,
        url_key: &str,
        name: &str,
    ) -> Result<Service, BenchError> {
        let data_dir = work.path(name);
        let dir_text = data_dir.display().to_string();
        let args = [
            role,
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir_text.as_str(),
        ];
        let (child, log) = work.spawn(&args, name)?;
        let mut service = Service {
            child,
            log,
            url: String::new(),
            data_dir,
            credentials: Vec::new(),
        };
        service.wait_ready(url_key).await?;
        Ok(service)
    }

    async fn wait_ready(&mut self, url_key: &str) -> Result<(), BenchError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            check_running(&mut self.child, &self.log)?;
            if let Ok(pairs) = DataDir::open(&self.data_dir).and_then(|d| read_credentials(&d))
                && let Some(url) = lookup(&pairs, url_key)
                && healthy(url).await
            {
                self.url = url.to_owned();
                self.credentials = pairs;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(BenchError::Process {
                    what: format!("no healthy server with {url_key} after {STARTUP_TIMEOUT:?}"),
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The `credentials.env` pairs, as read once the server was ready.
    pub fn credentials(&self) -> &[(String, String)] {
        &self.credentials
    }

    /// The value of a `credentials.env` key; a `TANDEM_SIEM_` key is also found without its `SIEM_`.
    pub fn credential(&self, key: &str) -> Result<&str, BenchError> {
        let short = key.replacen("TANDEM_SIEM_", "TANDEM_", 1);
        lookup(&self.credentials, key)
            .or_else(|| lookup(&self.credentials, &short))
            .ok_or_else(|| {
                BenchError::Credentials(format!(
                    "{key} is missing from {}/credentials.env",
                    self.data_dir.display()
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
    child: Child,
    log: PathBuf,
    url: String,
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
    /// Writes a config for `xdr` and `siem` with `settings` under `name` in the work dir.
    pub fn write(
        work: &Workdir,
        name: &str,
        xdr: &Service,
        siem: &Service,
        settings: ConnectorSettings,
    ) -> Result<ConnectorFiles, BenchError> {
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
        let config = files.config.display().to_string();
        let data_dir = files.data_dir.display().to_string();
        let args = [
            "sync",
            "--config",
            config.as_str(),
            "--data-dir",
            data_dir.as_str(),
            "--listen",
            listen.as_str(),
        ];
        let (child, log) = work.spawn(&args, "sync")?;
        let mut connector = Connector {
            child,
            log,
            url: format!("http://{listen}"),
        };
        connector.wait_ready().await?;
        Ok(connector)
    }

    async fn wait_ready(&mut self) -> Result<(), BenchError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            check_running(&mut self.child, &self.log)?;
            if healthy(&self.url).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(BenchError::Process {
                    what: format!(
                        "tandem sync did not answer on {} after {STARTUP_TIMEOUT:?}",
                        self.url
                    ),
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id (for `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
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
        check_running(&mut self.child, &self.log)
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

fn check_running(child: &mut Child, log: &Path) -> Result<(), BenchError> {
    match child.try_wait() {
        Ok(None) => Ok(()),
        Ok(Some(status)) => Err(BenchError::Process {
            what: format!("the process exited: {status}"),
            log: log.to_owned(),
        }),
        Err(e) => Err(BenchError::Io {
            what: "poll a child process".into(),
            source: e,
        }),
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// True when `GET {url}/healthz` answers 200.
pub async fn healthy(url: &str) -> bool {
    match reqwest::get(format!("{url}/healthz")).await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}
