//! `tandem demo`: the XDR, the SIEM and the connector in one process, fed with a generated attack.
//!
//! The point is to show the whole workflow on one machine with one command: an attack that crosses
//! four products turns into one XDR incident, the connector copies it into the SIEM, an analyst closes
//! it in the SIEM's console and the XDR follows.
//!
//! Both servers share one data dir, so they share one tenant and the same two app registrations (as one
//! directory tenant serves both Microsoft Graph and Azure in real life), and `DIR/credentials.env` holds
//! the keys of both. The connector's config is generated from that file and its state sits in the same
//! dir. Running the demo again over the same dir resumes: the servers keep their stores, the connector
//! its pairs, and the feed its schedule, so nothing is posted or copied twice.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::Args;
use serde_json::Value;
use tandem_server::{
    CREDENTIALS_FILE, DataDir, Prepared, RunningServer, ServerConfig, ServerOptions, ServiceSpec,
    TlsArgs, read_credentials, shutdown_signal,
};
use tandem_sync::config::{ServerCredentials, SyncConfig, render_config};
use tandem_sync::engine::{Connector, http};
use tandem_sync::store::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Flags of `tandem demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for both servers' stores, the shared identity, credentials.env and the connector's state
    #[arg(long, value_name = "DIR", default_value = "./tandem-data/demo")]
    data_dir: PathBuf,
    /// Address of the XDR (API and console), HOST:PORT (port 0 picks a free port)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8710")]
    xdr_listen: String,
    /// Address of the SIEM (APIs and console), HOST:PORT (port 0 picks a free port)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8720")]
    siem_listen: String,
    /// Address of the connector's /healthz, /metrics and /status, HOST:PORT (port 0 picks a free port)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8730")]
    sync_listen: String,
    /// Seconds between two runs of the multi-stage attack (the first runs at start)
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    scenario_every: u64,
    /// Seconds between two single low-severity alerts of background noise
    #[arg(long, value_name = "SECS", default_value_t = 40)]
    noise_every: u64,
    /// HTTPS for both servers (the connector then trusts the data dir's local CA)
    #[command(flatten)]
    tls: TlsArgs,
}

impl DemoArgs {
    /// Runs the demo until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        let dir = DataDir::open(&self.data_dir).context("tandem demo: data dir")?;
        let sync_listener = TcpListener::bind(&self.sync_listen)
            .await
            .with_context(|| format!("tandem demo: cannot listen on {}", self.sync_listen))?;
        let sync_url = format!("http://{}", sync_listener.local_addr()?);
        let (xdr, siem) = self.start_servers(&dir, &sync_url).await?;
        let sync = RunningConnector::start(&dir, sync_listener, sync_url)?;
        print_banner(&dir, &xdr, &siem, &sync)?;
        let feed = Feed {
            dir: dir.clone(),
            xdr_url: xdr.url().to_owned(),
            scenario_every: Duration::from_secs(self.scenario_every.max(1)),
            noise_every: Duration::from_secs(self.noise_every.max(1)),
        };
        let feeding = tokio::spawn(feed.run());
        shutdown_signal().await;
        feeding.abort();
        let _ = feeding.await;
        sync.stop().await?;
        siem.stop().await.context("tandem demo: siem")?;
        xdr.stop().await.context("tandem demo: xdr")?;
        println!("tandem demo stopped; run it again to resume where it left off");
        Ok(())
    }

    /// Opens and binds both servers over the shared data dir, then lets them answer. The SIEM comes
    /// first: the XDR's console links each incident to its twin in the SIEM's console, and the SIEM's
    /// console shows the connector's health from `sync_url`.
    async fn start_servers(
        &self,
        dir: &DataDir,
        sync_url: &str,
    ) -> anyhow::Result<(RunningServer, RunningServer)> {
        let siem_section = format!("[siem]\nsync_status_url = \"{sync_url}/status\"\n");
        let mut siem = prepare(
            dir,
            &self.siem_listen,
            &siem_section,
            &self.tls,
            tandem_siem::service_spec(),
        )?;
        let siem_routes = tandem_siem::routes(&mut siem).context("tandem demo: siem")?;
        let siem = siem.bind(siem_routes).await.context("tandem demo: siem")?;
        let xdr_section = format!("[xdr]\nsiem_console_url = \"{}\"\n", siem.url());
        let xdr = prepare(
            dir,
            &self.xdr_listen,
            &xdr_section,
            &self.tls,
            ServiceSpec::xdr(),
        )?;
        let xdr_routes = tandem_xdr::routes(&xdr).context("tandem demo: xdr")?;
        let xdr = xdr.bind(xdr_routes).await.context("tandem demo: xdr")?;
        Ok((xdr.spawn(), siem.spawn()))
    }
}

/// Opens one server over the shared data dir with `config` as its config file's text.
fn prepare(
    dir: &DataDir,
    listen: &str,
    config: &str,
    tls: &TlsArgs,
    spec: ServiceSpec,
) -> anyhow::Result<Prepared> {
    let name = spec.name;
    let mut config =
        ServerConfig::parse(config).with_context(|| format!("tandem demo: {name} config"))?;
    tls.apply_to(&mut config)
        .with_context(|| format!("tandem demo: {name} TLS"))?;
    let options = ServerOptions {
        listen: listen.to_owned(),
        data_dir: dir.root().to_owned(),
        config,
    };
    Prepared::open(options, spec).with_context(|| format!("tandem demo: {name}"))
}

/// The connector between the two servers, with its `/healthz`, `/metrics` and `/status` endpoint.
struct RunningConnector {
    url: String,
    /// Dropping it tells the connector and its endpoint to stop.
    stop: watch::Sender<()>,
    running: JoinHandle<()>,
    endpoint: JoinHandle<std::io::Result<()>>,
}

impl RunningConnector {
    /// Starts the connector with a config generated from the servers' `credentials.env`, its store in
    /// the same data dir, and its endpoint, at `url`, on `listener`.
    fn start(
        dir: &DataDir,
        listener: TcpListener,
        url: String,
    ) -> anyhow::Result<RunningConnector> {
        let pairs = read_credentials(dir).context("tandem demo: credentials.env")?;
        let both = ServerCredentials {
            xdr: &pairs,
            siem: &pairs,
        };
        let config = render_config(both)
            .and_then(|text| SyncConfig::parse(&text))
            .context("tandem demo: connector config")?;
        let store = SqliteStore::open(dir.root()).context("tandem demo: connector store")?;
        let connector = Arc::new(Connector::new(&config, store).context("tandem demo: connector")?);
        let (stop, stopped) = watch::channel(());
        let until_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.changed().await;
            }
        };
        let endpoint = tokio::spawn(http::serve(
            listener,
            Arc::clone(&connector),
            until_stopped(),
        ));
        let cycle = until_stopped();
        let running = tokio::spawn(async move { connector.run(cycle).await });
        Ok(RunningConnector {
            url,
            stop,
            running,
            endpoint,
        })
    }

    /// Stops the connector after its current cycle, then its endpoint.
    async fn stop(self) -> anyhow::Result<()> {
        drop(self.stop);
        self.running.await.context("tandem demo: connector")?;
        self.endpoint
            .await
            .context("tandem demo: connector endpoint")?
            .context("tandem demo: connector endpoint")
    }
}

/// Tells the user where to look and how to sign in.
fn print_banner(
    dir: &DataDir,
    xdr: &RunningServer,
    siem: &RunningServer,
    sync: &RunningConnector,
) -> anyhow::Result<()> {
    let pairs = read_credentials(dir).context("tandem demo: credentials.env")?;
    let key = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("?", |(_, v)| v.as_str())
    };
    let credentials = dir.path(CREDENTIALS_FILE);
    let credentials = credentials.display();
    println!(
        "Tandem demo is running (data in {root})\n\
         \n\
         \x20 SIEM console   {siem}/   incidents arrive here from the XDR within seconds\n\
         \x20 XDR console    {xdr}/\n\
         \x20 connector      {sync}/status   (and /metrics, /healthz); it polls both sides every 5 s\n\
         \n\
         Sign in to either console with an app's client id and secret:\n\
         \x20 analyst (may act)   client id {writer}   secret: TANDEM_CLIENT_SECRET in {credentials}\n\
         \x20 reader (read-only)  client id {reader}   secret: TANDEM_READER_CLIENT_SECRET in {credentials}\n\
         \n\
         The same apps call the APIs (tenant {tenant}; `source {credentials}` sets every key):\n\
         \x20 Microsoft Graph security API  {xdr}/v1.0/security/incidents\n\
         \x20                               token: {xdr}/{tenant}/oauth2/v2.0/token\n\
         \x20 Microsoft Sentinel incidents  {siem}/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{workspace}/providers/Microsoft.SecurityInsights/incidents\n\
         \x20                               token: {siem}/{tenant}/oauth2/v2.0/token\n\
         \n\
         A multi-stage attack (Office 365, Endpoint, Identity, Cloud Apps) is posted to the XDR now and\n\
         again every few minutes, with low-severity noise in between. Ctrl-C stops the demo.",
        root = dir.root().display(),
        siem = siem.url(),
        xdr = xdr.url(),
        sync = sync.url,
        writer = key("TANDEM_CLIENT_ID"),
        reader = key("TANDEM_READER_CLIENT_ID"),
        tenant = key("TANDEM_TENANT_ID"),
        subscription = key("TANDEM_SUBSCRIPTION_ID"),
        group = key("TANDEM_RESOURCE_GROUP"),
        workspace = key("TANDEM_WORKSPACE_NAME"),
    );
    Ok(())
}

/// The file in the data dir that remembers when the multi-stage attack last ran (seconds since the
/// Unix epoch), so that a restart keeps the schedule instead of posting a fresh attack.
const LAST_SCENARIO_FILE: &str = "demo-last-scenario";

/// The generated traffic: the multi-stage attack on a schedule and single low-severity alerts between.
struct Feed {
    dir: DataDir,
    xdr_url: String,
    scenario_every: Duration,
    noise_every: Duration,
}

impl Feed {
    /// Posts until aborted; a failed post is logged and tried again at the next tick.
    async fn run(self) {
        let client = read_credentials(&self.dir)
            .map_err(anyhow::Error::from)
            .and_then(|pairs| Ok(tandem_scenario::client(&self.xdr_url, &pairs)?));
        let client = match client {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "the demo cannot post alerts to the XDR");
                return;
            }
        };
        let first_scenario = self.scenario_due_in(SystemTime::now());
        let mut scenario = tokio::time::interval_at(
            tokio::time::Instant::now() + first_scenario,
            self.scenario_every,
        );
        let mut noise = tokio::time::interval_at(
            tokio::time::Instant::now() + self.noise_every,
            self.noise_every,
        );
        loop {
            let (alerts, is_scenario) = tokio::select! {
                _ = scenario.tick() => (tandem_scenario::multi_stage(chrono::Utc::now()), true),
                _ = noise.tick() => (noise_alert(), false),
            };
            match tandem_scenario::post_alerts(&client, &self.xdr_url, &alerts, 100).await {
                Ok(posted) => {
                    tracing::info!(alerts = posted.len(), "posted to the XDR");
                    if is_scenario {
                        self.remember_scenario(SystemTime::now());
                    }
                }
                Err(error) => tracing::warn!(%error, "posting to the XDR failed"),
            }
        }
    }

    /// How long until the multi-stage attack is due: now on a fresh data dir, else what is left of the
    /// interval since it last ran.
    fn scenario_due_in(&self, now: SystemTime) -> Duration {
        let last = self
            .dir
            .read(LAST_SCENARIO_FILE)
            .ok()
            .flatten()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        let elapsed = last.and_then(|at| now.duration_since(at).ok());
        match elapsed {
            Some(elapsed) => self.scenario_every.saturating_sub(elapsed),
            None => Duration::ZERO,
        }
    }

    /// Records that the attack ran at `at`.
    fn remember_scenario(&self, at: SystemTime) {
        let secs = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if let Err(error) = self
            .dir
            .write_atomic(LAST_SCENARIO_FILE, format!("{secs}\n").as_bytes())
        {
            tracing::warn!(%error, "cannot remember when the attack ran");
        }
    }
}

/// One low-severity endpoint alert on an entity of its own, so it becomes an incident by itself.
fn noise_alert() -> Vec<Value> {
    let mut alerts = tandem_scenario::load(chrono::Utc::now(), 1, 1);
    for alert in &mut alerts {
        alert["severity"] = Value::from("low");
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(dir: &std::path::Path) -> Feed {
        Feed {
            dir: DataDir::open(dir).unwrap(),
            xdr_url: "http://127.0.0.1:1".into(),
            scenario_every: Duration::from_secs(180),
            noise_every: Duration::from_secs(40),
        }
    }

    #[test]
    fn attack_is_due_at_once_on_a_fresh_data_dir() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(
            feed(temp.path()).scenario_due_in(SystemTime::now()),
            Duration::ZERO
        );
    }

    #[test]
    fn restart_keeps_the_attack_schedule() {
        let temp = tempfile::tempdir().unwrap();
        let feed = feed(temp.path());
        let ran = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        feed.remember_scenario(ran);
        let later = ran + Duration::from_secs(60);
        assert_eq!(feed.scenario_due_in(later), Duration::from_secs(120));
        let much_later = ran + Duration::from_secs(600);
        assert_eq!(feed.scenario_due_in(much_later), Duration::ZERO);
    }

    #[test]
    fn noise_is_one_low_severity_alert() {
        let alerts = noise_alert();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0]["severity"], "low");
    }
}
