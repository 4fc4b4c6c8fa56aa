//! Child processes of tests and benchmarks: the built `tandem` binary (or a stand-in) run the way a user
//! runs it, and always killed when its handle is dropped, so a failed test or run leaves nothing behind.
//!
//! - [`ChildProcess`]: any child, with its output where the caller wants it, stopped by a signal or on
//!   drop, and waited for until it answers `/healthz`.
//! - [`ChildServer`]: a server (`tandem xdr`, `tandem siem`) on `127.0.0.1:0` in a data dir, ready once
//!   its `credentials.env` names its URL and that URL answers `/healthz`; [`Launch`] says how to run it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::{Credentials, TestkitError, healthy_with, io_error, log_hint};

/// How long a server gets to answer `/healthz` unless [`Launch::startup_timeout`] says otherwise.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How often readiness is checked while waiting.
const POLL: Duration = Duration::from_millis(50);

/// Where a child's stdout and stderr go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChildOutput {
    /// Wherever the command already sends them (by default, the parent's).
    #[default]
    AsConfigured,
    /// Nowhere.
    Discard,
    /// Appended to this file, which error messages then point to.
    Log(PathBuf),
}

/// A child process, killed and reaped when dropped (also when a test panics while waiting for it).
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    log: Option<PathBuf>,
}

impl ChildProcess {
    /// Spawns `command` with no stdin and its output sent to `output`.
    pub fn spawn(command: &mut Command, output: ChildOutput) -> Result<ChildProcess, TestkitError> {
        let program = command.get_program().to_string_lossy().into_owned();
        command.stdin(Stdio::null());
        let log = match output {
            ChildOutput::AsConfigured => None,
            ChildOutput::Discard => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
                None
            }
            ChildOutput::Log(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(io_error(format!("open {}", path.display())))?;
                let copy = file.try_clone().map_err(io_error("share the log file"))?;
                command.stdout(copy).stderr(file);
                Some(path)
            }
        };
        let child = command
            .spawn()
            .map_err(io_error(format!("run {program}")))?;
        Ok(ChildProcess { child, log })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The file the output goes to, when it goes to one.
    pub fn log(&self) -> Option<&Path> {
        self.log.as_deref()
    }

    /// Fails when the process has exited.
    pub fn check_running(&mut self) -> Result<(), TestkitError> {
        match self
            .child
            .try_wait()
            .map_err(io_error("poll a child process"))?
        {
            None => Ok(()),
            Some(status) => Err(TestkitError::Exited {
                status,
                log: self.log.clone(),
            }),
        }
    }

    /// Waits until `GET {url}/healthz` answers 200 through `client`, failing when the process exits or
    /// `timeout` passes first.
    pub async fn wait_healthy(
        &mut self,
        client: &reqwest::Client,
        url: &str,
        timeout: Duration,
    ) -> Result<(), TestkitError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_running()?;
            if healthy_with(client, url).await {
                return Ok(());
            }
            self.check_deadline(deadline, || format!("{url} did not answer /healthz"))?;
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fails with `what` (and where the log is) once `deadline` has passed.
    fn check_deadline(
        &self,
        deadline: Instant,
        what: impl FnOnce() -> String,
    ) -> Result<(), TestkitError> {
        if Instant::now() <= deadline {
            return Ok(());
        }
        Err(TestkitError::Startup(format!(
            "{}{}",
            what(),
            log_hint(self.log.as_deref())
        )))
    }

    /// Sends `signal` (`"TERM"`, `"INT"`) and waits for the exit status (a clean stop exits 0).
    pub fn stop(mut self, signal: &str) -> Result<ExitStatus, TestkitError> {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .map_err(io_error(format!("send SIG{signal}")))?;
        if !status.success() {
            return Err(TestkitError::Startup(format!(
                "kill -{signal} failed: {status}"
            )));
        }
        self.child.wait().map_err(io_error("wait for the process"))
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to run a server: `binary args... --listen 127.0.0.1:0 --data-dir DIR`, e.g. `args = ["xdr"]` or
/// `["xdr", "--tls"]`, ready once `url_key` is in `DIR/credentials.env` and answers `/healthz`.
#[derive(Debug, Clone)]
pub struct Launch<'a> {
    binary: &'a Path,
    args: &'a [&'a str],
    url_key: &'a str,
    output: ChildOutput,
    env: Vec<(&'a str, &'a str)>,
    startup_timeout: Duration,
}

impl<'a> Launch<'a> {
    /// A server started from `binary` with `args`, its output inherited, given 60 s to start. Pass
    /// `env!("CARGO_BIN_EXE_tandem")` as `binary` from the `tandem` crate's tests.
    pub fn new(binary: &'a Path, args: &'a [&'a str], url_key: &'a str) -> Launch<'a> {
        Launch {
            binary,
            args,
            url_key,
            output: ChildOutput::AsConfigured,
            env: Vec::new(),
            startup_timeout: STARTUP_TIMEOUT,
        }
    }

    /// Sends the server's stdout and stderr to `output`.
    pub fn output(mut self, output: ChildOutput) -> Launch<'a> {
        self.output = output;
        self
    }

    /// Sets the environment variable `key` of the server.
    pub fn env(mut self, key: &'a str, value: &'a str) -> Launch<'a> {
        self.env.push((key, value));
        self
    }

    /// Gives the server `timeout` to become ready.
    pub fn startup_timeout(mut self, timeout: Duration) -> Launch<'a> {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the server over a fresh temp data dir, removed when the server is dropped.
    pub async fn spawn(self) -> Result<ChildServer, TestkitError> {
        let temp = tempfile::tempdir().map_err(io_error("create a temp data dir"))?;
        let mut server = self.spawn_in(temp.path()).await?;
        server._temp = Some(temp);
        Ok(server)
    }

    /// Starts the server over `data_dir`, which outlives it (e.g. one dir shared by an XDR and a SIEM,
    /// or a restart). The dir's `credentials.env` should not hold `url_key` from an earlier server that
    /// still answers.
    pub async fn spawn_in(self, data_dir: &Path) -> Result<ChildServer, TestkitError> {
        let mut command = Command::new(self.binary);
        command
            .args(self.args)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .envs(self.env.iter().copied());
        let mut server = ChildServer {
            process: ChildProcess::spawn(&mut command, self.output.clone())?,
            url: String::new(),
            credentials: Credentials { pairs: Vec::new() },
            data_dir: data_dir.to_owned(),
            _temp: None,
        };
        server
            .wait_ready(self.url_key, self.startup_timeout)
            .await?;
        Ok(server)
    }
}

/// A server run as a child process (see [`Launch`]). Killed when dropped.
#[derive(Debug)]
pub struct ChildServer {
    process: ChildProcess,
    url: String,
    credentials: Credentials,
    data_dir: PathBuf,
    _temp: Option<TempDir>,
}

impl ChildServer {
    /// [`Launch::spawn`] with the defaults: a temp data dir, inherited output.
    pub async fn spawn(
        binary: &Path,
        args: &[&str],
        url_key: &str,
    ) -> Result<ChildServer, TestkitError> {
        Launch::new(binary, args, url_key).spawn().await
    }

    /// [`Launch::spawn_in`] with the defaults: inherited output.
    pub async fn spawn_in(
        binary: &Path,
        args: &[&str],
        url_key: &str,
        data_dir: &Path,
    ) -> Result<ChildServer, TestkitError> {
        Launch::new(binary, args, url_key).spawn_in(data_dir).await
    }

    /// Waits for `url_key` in `credentials.env` and a 200 from its `/healthz` (trusting
    /// `TANDEM_CA_CERT` when the file has it).
    async fn wait_ready(&mut self, url_key: &str, timeout: Duration) -> Result<(), TestkitError> {
        let file = self.data_dir.join(tandem_server::CREDENTIALS_FILE);
        let deadline = Instant::now() + timeout;
        loop {
            self.process.check_running()?;
            if let Ok(credentials) = Credentials::read(&file)
                && let Ok(url) = credentials.get(url_key)
                && let Ok(client) = credentials.http_client()
                && healthy_with(&client, url).await
            {
                self.url = url.to_owned();
                self.credentials = credentials;
                return Ok(());
            }
            self.process.check_deadline(deadline, || {
                format!(
                    "no healthy server with {url_key} in {} after {timeout:?}",
                    file.display()
                )
            })?;
            tokio::time::sleep(POLL).await;
        }
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's `credentials.env`, as read once it was ready.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Sends SIGTERM and waits for the exit status (a clean stop exits 0).
    pub fn terminate(self) -> Result<ExitStatus, TestkitError> {
        self.process.stop("TERM")
    }
}
