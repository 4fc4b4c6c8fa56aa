//! Helpers for Tandem's integration tests, usable from any crate as a dev-dependency.
//!
//! - [`InProcessServer`]: a service started inside the test on `127.0.0.1:0` in a temp data dir.
//! - [`ChildServer`] / [`ChildProcess`]: the built `tandem` binary run as a child process, killed on
//!   drop; the benchmarks (`tandem-bench`) run their stack with them too.
//! - [`Credentials`]: a parsed `credentials.env`, an HTTP client that trusts the server's CA
//!   ([`Credentials::http_client`]), and [`fetch_token`] to get a bearer token with it.
//! - [`python`] / [`run_python`]: Microsoft's Python SDKs in the workspace venv, against our servers;
//!   [`node_command`]: scripts using npm packages installed beside them; [`sdk_script`]: where the
//!   scripts live (`sdk/python/`, `sdk/js/`).
//! - [`postgres`]: the machine's PostgreSQL, started when down, and a fresh schema per test
//!   ([`postgres::TestSchema`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tandem_server::{Prepared, Router, RunningServer, ServerConfig, ServerOptions, ServiceSpec};
use tempfile::TempDir;

mod child;
pub mod postgres;

pub use child::{ChildOutput, ChildProcess, ChildServer, Launch};

/// Why a helper failed; the messages say what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// A server could not start.
    #[error("server: {0}")]
    Server(#[from] tandem_server::ServerError),
    /// Creating a temp dir or running a process failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An HTTP call failed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// A key is missing from `credentials.env`.
    #[error("credentials.env has no {0}")]
    MissingKey(String),
    /// The token endpoint refused.
    #[error("token endpoint answered {status}: {body}")]
    TokenRefused {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// The server did not come up in time, or a signal could not be sent.
    #[error("{0}")]
    Startup(String),
    /// A child process exited while it was expected to run.
    #[error("the process exited early: {status}{}", log_hint(log.as_deref()))]
    Exited {
        /// How it exited.
        status: std::process::ExitStatus,
        /// The file holding its output, when there is one.
        log: Option<PathBuf>,
    },
    /// The CA certificate named by `TANDEM_CA_CERT` is not usable.
    #[error("TANDEM_CA_CERT {path}: {reason}")]
    BadCa {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The test PostgreSQL server could not be reached or used.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// A script's npm packages are not installed.
    #[error("no node_modules beside {0}: run scripts/test (it runs `npm ci` there)")]
    NoNodeModules(PathBuf),
    /// The Python venv is not there.
    #[error(
        "no Python venv at {0}: run scripts/test (it creates .venv and installs sdk/python/requirements.txt), or set TANDEM_PYTHON"
    )]
    NoPython(PathBuf),
    /// The Azure CLI's venv is missing.
    #[error(
        "no Azure CLI at {0}: run scripts/test (it creates .venv-az and installs sdk/python/azure-cli/requirements.txt), or set TANDEM_AZ"
    )]
    NoAzureCli(PathBuf),
}

/// ` (its output is in LOG)` when there is a log file, else nothing.
fn log_hint(log: Option<&Path>) -> String {
    log.map(|log| format!(" (its output is in {})", log.display()))
        .unwrap_or_default()
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestkitError {
    let what = what.into();
    move |source| TestkitError::Io { what, source }
}

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference specs: `TANDEM_SPECS_DIR`, else `../shared/specs` beside the workspace root.
///
/// `None` (after saying so on stderr) when the folder is absent, so a test that reads the specs skips
/// on a checkout without them.
pub fn specs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TANDEM_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/specs"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "specs folder {} not found (set TANDEM_SPECS_DIR); skipped",
            dir.display()
        );
        None
    }
}

/// The parsed `credentials.env` of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pairs: Vec<(String, String)>,
}

impl Credentials {
    /// Reads a `credentials.env` file.
    pub fn read(path: &Path) -> Result<Credentials, TestkitError> {
        let text =
            std::fs::read_to_string(path).map_err(io_error(format!("read {}", path.display())))?;
        Ok(Credentials {
            pairs: tandem_server::parse_env(&text)?,
        })
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Result<&str, TestkitError> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| TestkitError::MissingKey(key.to_owned()))
    }

    /// Every key and value, in file order (to pass as environment variables).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// `TANDEM_TENANT_ID`.
    pub fn tenant_id(&self) -> Result<&str, TestkitError> {
        self.get("TANDEM_TENANT_ID")
    }

    /// `TANDEM_CA_CERT`: the local CA's certificate, when the server serves HTTPS with one.
    pub fn ca_cert(&self) -> Option<&Path> {
        self.get(tandem_server::CA_CERT_KEY).ok().map(Path::new)
    }

    /// An HTTP client that trusts `TANDEM_CA_CERT` (when there is one) besides the built-in roots.
    pub fn http_client(&self) -> Result<reqwest::Client, TestkitError> {
        http_client_trusting(self.ca_cert())
    }

    /// A token for the read-write development app (`TANDEM_CLIENT_ID`).
    pub async fn writer_token(&self, base_url: &str, scope: &str) -> Result<String, TestkitError> {
        self.token(base_url, scope, "TANDEM_CLIENT_ID", "TANDEM_CLIENT_SECRET")
            .await
    }

    /// A token for the read-only development app (`TANDEM_READER_CLIENT_ID`).
    pub async fn reader_token(&self, base_url: &str, scope: &str) -> Result<String, TestkitError> {
        self.token(
            base_url,
            scope,
            "TANDEM_READER_CLIENT_ID",
            "TANDEM_READER_CLIENT_SECRET",
        )
        .await
    }

    async fn token(
        &self,
        base_url: &str,
        scope: &str,
        id_key: &str,
        secret_key: &str,
    ) -> Result<String, TestkitError> {
        let app = ClientApp {
            tenant_id: self.tenant_id()?,
            client_id: self.get(id_key)?,
            client_secret: self.get(secret_key)?,
        };
        fetch_token_with(&self.http_client()?, base_url, &app, scope).await
    }
}

/// An HTTP client that trusts the CA certificate in `ca_file` (PEM) besides the built-in roots.
pub fn http_client_trusting(ca_file: Option<&Path>) -> Result<reqwest::Client, TestkitError> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca_file {
        let bad = |reason: String| TestkitError::BadCa {
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| bad(e.to_string()))?;
        builder = builder.add_root_certificate(ca);
    }
    Ok(builder.build()?)
}

/// An app's client credentials.
#[derive(Debug, Clone, Copy)]
pub struct ClientApp<'a> {
    /// The tenant id.
    pub tenant_id: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The client secret.
    pub client_secret: &'a str,
}

/// Fetches a client-credentials token for `scope` from the token endpoint at `base_url`.
pub async fn fetch_token(
    base_url: &str,
    app: &ClientApp<'_>,
    scope: &str,
) -> Result<String, TestkitError> {
    fetch_token_with(&reqwest::Client::new(), base_url, app, scope).await
}

/// [`fetch_token`] through `client` (for instance one trusting a server's CA).
pub async fn fetch_token_with(
    client: &reqwest::Client,
    base_url: &str,
    app: &ClientApp<'_>,
    scope: &str,
) -> Result<String, TestkitError> {
    let url = format!("{base_url}/{}/oauth2/v2.0/token", app.tenant_id);
    let form = [
        ("client_id", app.client_id),
        ("client_secret", app.client_secret),
        ("scope", scope),
        ("grant_type", "client_credentials"),
    ];
    let response = client.post(url).form(&form).send().await?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await?;
    match body.get("access_token").and_then(|t| t.as_str()) {
        Some(token) if status == 200 => Ok(token.to_owned()),
        _ => Err(TestkitError::TokenRefused {
            status,
            body: body.to_string(),
        }),
    }
}

/// A service running inside the test process on `127.0.0.1:0`. Stops when dropped.
#[derive(Debug)]
pub struct InProcessServer {
    server: RunningServer,
    credentials: Credentials,
    data_dir: PathBuf,
    _temp: Option<TempDir>,
}

impl InProcessServer {
    /// Starts a service in a fresh temp data dir. `build` gets the opened server (data dir, identity,
    /// config) and returns the service's routes.
    pub async fn start(
        spec: ServiceSpec,
        config: ServerConfig,
        build: impl FnOnce(&mut Prepared) -> Router,
    ) -> Result<InProcessServer, TestkitError> {
        let temp = tempfile::tempdir().map_err(io_error("create a temp data dir"))?;
        let mut server = Self::start_in(temp.path(), spec, config, build).await?;
        server._temp = Some(temp);
        Ok(server)
    }

    /// Starts a service in `data_dir` (which outlives the server, e.g. to test a restart).
    pub async fn start_in(
        data_dir: &Path,
        spec: ServiceSpec,
        config: ServerConfig,
        build: impl FnOnce(&mut Prepared) -> Router,
    ) -> Result<InProcessServer, TestkitError> {
        let options = ServerOptions {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.to_owned(),
            config,
        };
        let mut prepared = Prepared::open(options, spec)?;
        let routes = build(&mut prepared);
        let server = prepared.bind(routes).await?.spawn();
        let credentials = Credentials::read(server.credentials_file())?;
        Ok(InProcessServer {
            server,
            credentials,
            data_dir: data_dir.to_owned(),
            _temp: None,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` when `config.tls` asked for TLS).
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The server's `credentials.env`, as read right after it started.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server and waits until it has stopped. A temp data dir is removed; a dir given to
    /// [`InProcessServer::start_in`] stays.
    pub async fn stop(self) -> Result<(), TestkitError> {
        Ok(self.server.stop().await?)
    }
}

/// The `error.message` of a Graph or ARM error body; empty when the body has none.
pub fn error_message(body: &serde_json::Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// Sends `request` and reads its body as JSON, whatever the status.
pub async fn send_json(
    request: reqwest::RequestBuilder,
) -> Result<serde_json::Value, TestkitError> {
    Ok(request.send().await?.json().await?)
}

/// True when `GET {url}/healthz` answers 200.
pub async fn healthy(url: &str) -> bool {
    healthy_with(&reqwest::Client::new(), url).await
}

/// [`healthy`] through `client` (for instance one trusting a server's CA).
pub async fn healthy_with(client: &reqwest::Client, url: &str) -> bool {
    match client.get(format!("{url}/healthz")).send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// The Python of the workspace venv: `TANDEM_PYTHON`, else `<workspace>/.venv/bin/python`. Fails with
/// a message saying how to create it when it is missing.
pub fn python() -> Result<PathBuf, TestkitError> {
    let path = std::env::var_os("TANDEM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    if path.exists() {
        Ok(path)
    } else {
        Err(TestkitError::NoPython(path))
    }
}

/// The Azure CLI (`az`) of `scripts/test`'s `.venv-az`, or `TANDEM_AZ`.
pub fn azure_cli() -> Result<PathBuf, TestkitError> {
    let path = std::env::var_os("TANDEM_AZ")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-az/bin/az"));
    if path.exists() {
        Ok(path)
    } else {
        Err(TestkitError::NoAzureCli(path))
    }
}

/// A script of the workspace's SDK folder: `path` under `sdk/`, e.g. `python/xdr/graph_sdk.py` or
/// `js/tls/graph_pager.mjs`.
pub fn sdk_script(path: &str) -> PathBuf {
    workspace_root().join("sdk").join(path)
}

/// The folder the Python scripts import their helpers (`static_credential.py`) from.
pub fn python_path() -> PathBuf {
    sdk_script("python")
}

/// A command that runs `script` with the venv's Python and `sdk/python/` on `PYTHONPATH`, for callers that
/// set more of its environment (or remove variables) before running it.
pub fn python_command(script: &Path) -> Result<Command, TestkitError> {
    let mut command = Command::new(python()?);
    command
        .arg(script)
        .env("PYTHONPATH", python_path())
        .stdin(Stdio::null());
    Ok(command)
}

/// Runs `script` with the venv's Python, `sdk/python/` on `PYTHONPATH` and `env` set; returns its output
/// whatever the exit status (check `output.status`).
pub fn run_python(
    script: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Output, TestkitError> {
    python_command(script)?
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(io_error(format!("run {}", script.display())))
}

/// A command that runs `script` with `node` from `PATH`; its npm packages must be installed in a
/// `node_modules` beside it (scripts/test runs `npm ci` there).
pub fn node_command(script: &Path) -> Result<Command, TestkitError> {
    let folder = script.parent().unwrap_or(Path::new("."));
    if !folder.join("node_modules").is_dir() {
        return Err(TestkitError::NoNodeModules(script.to_owned()));
    }
    let mut command = Command::new("node");
    command.arg(script).stdin(Stdio::null());
    Ok(command)
}

/// An endpoint alert in the XDR intake's shape on device `device` naming user `user` (either may be
/// absent): alerts sharing a device or a user correlate into one incident.
pub fn endpoint_alert(title: &str, device: Option<&str>, user: Option<&str>) -> serde_json::Value {
    let mut evidence = Vec::new();
    if let Some(device) = device {
        evidence.push(serde_json::json!({
            "@odata.type": "#microsoft.graph.security.deviceEvidence",
            "mdeDeviceId": device, "deviceDnsName": format!("{device}.contoso.com"),
        }));
    }
    if let Some(user) = user {
        evidence.push(serde_json::json!({
            "@odata.type": "#microsoft.graph.security.userEvidence",
            "userAccount": { "azureAdUserId": user, "userPrincipalName": format!("{user}@contoso.com") },
        }));
    }
    serde_json::json!({
        "title": title,
        "severity": "medium",
        "category": "Execution",
        "serviceSource": "microsoftDefenderForEndpoint",
        "evidence": evidence,
    })
}
