//! `tandem sync`: runs the connector, or its tools.
//!
//! - `tandem sync --config FILE [--store URL | --data-dir DIR] [--listen HOST:PORT] [--once] [--dry-run]
//!   [--backfill-since DATE]` runs the connector (until Ctrl-C or SIGTERM, or for one cycle with
//!   `--once`), serving `/healthz`, `/metrics` and `/status` on `--listen`.
//! - `tandem sync config --xdr XDR_DATA_DIR --siem SIEM_DATA_DIR` prints a ready config for a
//!   `tandem xdr` and a `tandem siem` from their `credentials.env` files.
//! - `tandem sync status [--store URL | --data-dir DIR] [--json]` prints lag, last polls, conflicts,
//!   quarantined items and writes set aside from the connector's store.
//!
//! The store is `--store URL` (`sqlite://PATH` or `postgres://…`); else `--data-dir DIR` (the embedded
//! store in DIR); else the URL in `TANDEM_SYNC_STORE`; else, for the connector, the config's
//! `[store] url`; else the embedded store in `./tandem-data/sync`. It is opened, and its schema migrated, at start: a
//! bad URL or an unreachable database stops the command with an error naming the URL (password hidden).
//!
//! For crash tests, `TANDEM_SYNC_CRASH_AT=<step>:<n>` (read once at start) aborts the connector right
//! after the n-th pass of a step of its cycle (`tandem_sync::engine::crash`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tandem_model::Timestamp;
use tandem_server::{CREDENTIALS_FILE, parse_env, shutdown_signal};
use tandem_sync::config::{ServerCredentials, SyncConfig, render_config};
use tandem_sync::engine::{BackfillBar, Connector, CrashPoint, CycleReport, http, status};
use tandem_sync::store::{Store, StoreUrl};

/// Default `--listen` of `tandem sync`.
const DEFAULT_LISTEN: &str = "127.0.0.1:8730";
/// Default `--data-dir` of `tandem sync`.
const DEFAULT_DATA_DIR: &str = "./tandem-data/sync";

/// Flags of `tandem sync`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    #[command(flatten)]
    run: RunArgs,
}

/// What `tandem sync` does; without a subcommand it runs the connector.
#[derive(Debug, Subcommand)]
enum SyncCommand {
    /// Print a config for a tandem xdr and a tandem siem, from their data dirs.
    Config(ConfigArgs),
    /// Print the connector's lag, last polls, conflicts and quarantined items.
    Status(StatusArgs),
}

/// Flags of the connector itself.
#[derive(Debug, Args)]
struct RunArgs {
    /// The connector's TOML config.
    #[arg(long, value_name = "FILE", env = "TANDEM_SYNC_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    /// Address of /healthz, /metrics and /status (port 0 picks a free port).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// Run one cycle and exit.
    #[arg(long)]
    once: bool,
    /// Print the writes one cycle would make, make none, and exit.
    #[arg(long)]
    dry_run: bool,
    /// First sync every XDR incident changed since DATE (2024-05-01 or RFC 3339), with a progress bar.
    #[arg(long, value_name = "DATE")]
    backfill_since: Option<String>,
}

/// The variable that names the store when neither `--store` nor `--data-dir` does (it keeps a
/// password off the command line).
const STORE_ENV: &str = "TANDEM_SYNC_STORE";

/// Where the connector's state is: `--store URL` or `--data-dir DIR`.
#[derive(Debug, Args)]
struct StoreArgs {
    /// The connector's store: sqlite://PATH (a database file) or postgres://USER[:PASSWORD]@HOST/DB
    /// [env: TANDEM_SYNC_STORE, used when neither flag is given].
    #[arg(long, value_name = "URL", conflicts_with = "data_dir")]
    store: Option<String>,
    /// Directory of the embedded store [default: ./tandem-data/sync].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl StoreArgs {
    /// The store these flags name: `--store`, then `--data-dir`, then `TANDEM_SYNC_STORE`, then
    /// `configured` (the config file's), then the embedded store in the default data dir.
    fn url(&self, configured: Option<StoreUrl>) -> anyhow::Result<StoreUrl> {
        if let Some(text) = &self.store {
            return StoreUrl::parse(text).context("--store");
        }
        if let Some(dir) = &self.data_dir {
            return Ok(StoreUrl::in_data_dir(dir));
        }
        if let Ok(text) = std::env::var(STORE_ENV) {
            return StoreUrl::parse(&text).context(STORE_ENV);
        }
        Ok(configured.unwrap_or_else(|| StoreUrl::in_data_dir(Path::new(DEFAULT_DATA_DIR))))
    }
}

/// Opens the store; the error says which command failed and names the URL.
async fn open_store(url: &StoreUrl, command: &str) -> anyhow::Result<Store> {
    url.open()
        .await
        .with_context(|| format!("{command}: cannot open the store {url}"))
}

/// Flags of `tandem sync config`.
#[derive(Debug, Args)]
struct ConfigArgs {
    /// The data dir of `tandem xdr`.
    #[arg(long, value_name = "XDR_DATA_DIR")]
    xdr: PathBuf,
    /// The data dir of `tandem siem`.
    #[arg(long, value_name = "SIEM_DATA_DIR")]
    siem: PathBuf,
}

/// Flags of `tandem sync status`.
#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print the JSON the connector serves on /status.
    #[arg(long)]
    json: bool,
}

impl SyncArgs {
    /// Runs the chosen subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(SyncCommand::Config(args)) => print_config(&args),
            Some(SyncCommand::Status(args)) => print_status(&args).await,
            None => run(self.run).await,
        }
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let path = args
        .config
        .as_deref()
        .context("tandem sync: --config FILE is required (`tandem sync config` writes one)")?;
    let config = SyncConfig::load(path).context("tandem sync")?;
    let url = args
        .store
        .url(config.store.store_url().context("tandem sync")?)?;
    let store = open_store(&url, "tandem sync").await?;
    let crash_at = CrashPoint::from_env().context("tandem sync")?;
    let connector = Connector::new(&config, store)
        .context("tandem sync")?
        .dry_run(args.dry_run)
        .crash_at(crash_at);
    let connector = Arc::new(connector);
    let backfill = args.backfill_since.as_deref().map(parse_date).transpose()?;
    if args.once || args.dry_run {
        return run_once(&connector, backfill.as_ref()).await;
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("tandem sync: cannot listen on {}", args.listen))?;
    tracing::info!(listen = %listener.local_addr()?, store = %url, "tandem sync running");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(listener, Arc::clone(&connector), async {
        let _ = stopped.await;
    }));
    if let Some(since) = &backfill {
        let summary = connector.backfill(since, &BackfillBar::new()).await?;
        tracing::info!(?summary, "backfill done");
    }
    connector.run(shutdown_signal()).await;
    let _ = stop.send(());
    server.await?.context("tandem sync: status endpoint")?;
    Ok(())
}

/// One cycle (after the backfill, if any), reported on stdout.
async fn run_once(connector: &Connector, backfill: Option<&Timestamp>) -> anyhow::Result<()> {
    if let Some(since) = backfill {
        connector.backfill(since, &BackfillBar::new()).await?;
    }
    let report = connector.run_once().await.context("tandem sync")?;
    print_report(&report);
    Ok(())
}

fn print_report(report: &CycleReport) {
    for line in &report.planned {
        println!("{line}");
    }
    println!(
        "replayed {} write(s); xdr: {} item(s), {} write(s); siem: {} item(s), {} write(s)",
        report.replayed, report.xdr.items, report.xdr.writes, report.siem.items, report.siem.writes
    );
}

/// A date (`2024-05-01`, midnight UTC) or an RFC 3339 time.
fn parse_date(text: &str) -> anyhow::Result<Timestamp> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    Timestamp::parse(&full).with_context(|| {
        format!("--backfill-since {text:?}: expected a date (2024-05-01) or an RFC 3339 time")
    })
}

fn print_config(args: &ConfigArgs) -> anyhow::Result<()> {
    let xdr = read_env(&args.xdr)?;
    let siem = read_env(&args.siem)?;
    let text = render_config(ServerCredentials {
        xdr: &xdr,
        siem: &siem,
    })
    .context("tandem sync config")?;
    print!("{text}");
    Ok(())
}

fn read_env(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = dir.join(CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (start the server with this data dir first)",
            path.display()
        )
    })?;
    Ok(parse_env(&text)?)
}

async fn print_status(args: &StatusArgs) -> anyhow::Result<()> {
    let url = args.store.url(None)?;
    let store = open_store(&url, "tandem sync status").await?;
    let status = status::read(&store).await.context("tandem sync status")?;
    if args.json {
        println!("{}", status.render_json());
    } else {
        print!("{}", status.render_text());
    }
    Ok(())
}
