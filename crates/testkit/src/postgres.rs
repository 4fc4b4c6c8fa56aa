//! PostgreSQL for tests: the machine's server, started when it is down, and a fresh schema per test
//! ([`TestSchema`]) so that tests run in parallel on one database and leave nothing behind.
//!
//! The server is [`DEFAULT_URL`] (trust authentication on loopback) unless `TANDEM_TEST_POSTGRES_URL`
//! names another. When the default server does not answer, the Debian cluster is started with
//! [`START_COMMAND`] (once per test process) and awaited.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

use crate::TestkitError;

/// The test server and database when `TANDEM_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The variable naming another server and database.
pub const URL_ENV: &str = "TANDEM_TEST_POSTGRES_URL";
/// Starts the machine's PostgreSQL cluster (Debian's `pg_ctlcluster`), as the machine's setup does.
pub const START_COMMAND: &str =
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
/// How long a started server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The server URL tests use.
pub fn server_url() -> String {
    std::env::var(URL_ENV).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

fn failed(what: &str, error: impl std::fmt::Display) -> TestkitError {
    TestkitError::Postgres(format!("{what}: {error}"))
}

/// A connection to `url`, its connection task running in the background.
async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// A connection to the test server, starting the default server first if it does not answer.
pub async fn connect_to_server() -> Result<Client, TestkitError> {
    /// Held while one test starts the server, so that the others wait for it instead of starting it too.
    static STARTING: Mutex<()> = Mutex::const_new(());
    let url = server_url();
    if let Ok(client) = connect(&url).await {
        return Ok(client);
    }
    let _starting = STARTING.lock().await;
    if let Ok(client) = connect(&url).await {
        return Ok(client);
    }
    if url != DEFAULT_URL {
        return Err(failed(
            &format!("cannot connect to {URL_ENV}={url}"),
            "is it running?",
        ));
    }
    let started = tokio::process::Command::new("sh")
        .args(["-c", START_COMMAND])
        .output()
        .await
        .map_err(|e| failed(&format!("cannot run `{START_COMMAND}`"), e))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match connect(&url).await {
            Ok(client) => return Ok(client),
            Err(error) if Instant::now() >= deadline => {
                return Err(failed(
                    &format!(
                        "PostgreSQL at {url} is down and `{START_COMMAND}` did not bring it up ({}: {})",
                        started.status,
                        String::from_utf8_lossy(&started.stderr).trim()
                    ),
                    error,
                ));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A schema of its own for one test on the test server, dropped with everything in it when the value
/// is dropped.
#[derive(Debug)]
pub struct TestSchema {
    name: String,
    url: String,
}

impl TestSchema {
    /// Creates a fresh, empty schema.
    pub async fn create() -> Result<TestSchema, TestkitError> {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "t_{}_{}_{nanos}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect_to_server().await?;
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .map_err(|e| failed(&format!("CREATE SCHEMA {name}"), e))?;
        let server = server_url();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url =
            format!("{server}{separator}options=-c%20search_path%3D{name}&application_name={name}");
        Ok(TestSchema { name, url })
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL whose connections create and find tables in this schema (its `search_path`), and carry
    /// the schema's name as their `application_name`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs SQL statements in the schema, as a test does to set a scene the code under test cannot.
    pub async fn execute(&self, sql: &str) -> Result<(), TestkitError> {
        let client = connect(&self.url)
            .await
            .map_err(|e| failed(&format!("connect to {}", self.url), e))?;
        client
            .batch_execute(sql)
            .await
            .map_err(|e| failed(sql, error_with_cause(&e)))
    }
}

/// The driver's error with the server's message (which it keeps as the cause).
fn error_with_cause(error: &tokio_postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

impl Drop for TestSchema {
    /// Ends the connections made with [`TestSchema::url`] that are still open (a test's runtime may be
    /// stopped with a rollback still unsent, which would hold locks), then drops the schema, failing
    /// rather than waiting past a lock timeout; from a thread of its own, so that it works inside or
    /// outside a runtime.
    fn drop(&mut self) {
        let name = &self.name;
        let statement = format!(
            "SET lock_timeout = '10s';
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = '{name}' AND pid <> pg_backend_pid();
             DROP SCHEMA IF EXISTS {name} CASCADE"
        );
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = connect(&server_url()).await.map_err(|e| e.to_string())?;
                client
                    .batch_execute(&statement)
                    .await
                    .map_err(|e| error_with_cause(&e))
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("test schema {} left behind: {error}", self.name);
        }
    }
}
