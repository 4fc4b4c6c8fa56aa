//! `tandem xdr`: runs the XDR incident service.
//!
//! `tandem xdr [--listen HOST:PORT] [--data-dir DIR] [--config FILE]` runs the server (so does
//! `tandem xdr serve ...`); `tandem xdr simulate` posts generated attacks to a running server.
//!
//! The config file's `[xdr]` section (every key optional):
//!
//! ```toml
//! [xdr]
//! correlation_window_minutes = 1440          # how far apart correlated alerts' activity may be
//! public_url = "https://xdr.example"          # base of incidentWebUrl and alertWebUrl (default: request host)
//! siem_console_url = "http://127.0.0.1:8720"  # incident pages link to their SIEM twin there
//! ```

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use tandem_scenario::Scenario as Generated;
use tandem_server::{
    DataDir, Prepared, ServerArgs, ServiceSpec, read_credentials, shutdown_signal,
};

/// Default `--listen` of `tandem xdr`.
const DEFAULT_LISTEN: &str = "127.0.0.1:8710";
/// Default `--data-dir` of `tandem xdr`.
const DEFAULT_DATA_DIR: &str = "./tandem-data/xdr";

/// Flags of `tandem xdr`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct XdrArgs {
    #[command(subcommand)]
    command: Option<XdrCommand>,
    #[command(flatten)]
    server: ServerArgs,
}

/// What `tandem xdr` does; without a subcommand it serves.
#[derive(Debug, Subcommand)]
enum XdrCommand {
    /// Run the XDR server (the default).
    Serve(ServerArgs),
    /// Post a generated attack scenario to a running XDR through its intake API.
    Simulate(SimulateArgs),
}

/// Flags of `tandem xdr simulate`.
#[derive(Debug, Args)]
struct SimulateArgs {
    /// Base URL of the XDR.
    #[arg(long, env = "TANDEM_XDR_URL")]
    url: String,
    /// The XDR's data dir, whose `credentials.env` holds the read-write app.
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Which attack to generate.
    #[arg(long, value_enum, default_value_t = Scenario::MultiStage)]
    scenario: Scenario,
    /// `load`: how many independent incidents.
    #[arg(long, default_value_t = 100)]
    incidents: usize,
    /// `load`: how many alerts each incident gets.
    #[arg(long, default_value_t = 3)]
    alerts_per_incident: usize,
}

/// The generated scenarios.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scenario {
    /// One attack across Office 365, Endpoint, Identity and Cloud Apps that becomes one incident.
    MultiStage,
    /// Many independent incidents.
    Load,
}

impl XdrArgs {
    /// Runs the chosen subcommand; the server runs until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(XdrCommand::Serve(server)) => serve(server).await,
            Some(XdrCommand::Simulate(args)) => simulate(args).await,
            None => serve(self.server).await,
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let options = args.into_options(DEFAULT_LISTEN, DEFAULT_DATA_DIR)?;
    let prepared = Prepared::open(options, ServiceSpec::xdr()).context("tandem xdr")?;
    let routes = tandem_xdr::routes(&prepared).context("tandem xdr")?;
    prepared
        .bind(routes)
        .await?
        .run_until(shutdown_signal())
        .await
        .context("tandem xdr")
}

async fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let scenario = match args.scenario {
        Scenario::MultiStage => Generated::MultiStage,
        Scenario::Load => Generated::Load {
            incidents: args.incidents,
            alerts_per_incident: args.alerts_per_incident,
        },
    };
    let credentials = DataDir::open(&args.data_dir)
        .and_then(|dir| read_credentials(&dir))
        .context("tandem xdr simulate: credentials")?;
    let posted = tandem_scenario::run(&args.url, &credentials, scenario)
        .await
        .context("tandem xdr simulate")?;
    let mut incidents: Vec<&str> = posted.iter().map(|p| p.incident_id.as_str()).collect();
    incidents.sort_unstable();
    incidents.dedup();
    println!(
        "posted {} alerts into {} incident(s): {}",
        posted.len(),
        incidents.len(),
        incidents.join(", ")
    );
    Ok(())
}
