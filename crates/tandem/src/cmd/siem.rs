//! `tandem siem`: runs the SIEM workspace.
//!
//! `tandem siem [--listen HOST:PORT] [--data-dir DIR] [--config FILE]` runs the server (so does
//! `tandem siem serve ...`); further tools of the SIEM become more subcommands beside `serve`.
//!
//! The config file's `[siem]` section (all optional):
//!
//! ```toml
//! [siem]
//! subscription_id = "…"            # ARM coordinates of the workspace (derived from the tenant)
//! resource_group = "tandem"
//! workspace_name = "tandem-siem"
//! workspace_id = "…"               # Log Analytics workspace id for the query API
//! dcr_immutable_id = "dcr-…"       # the default data collection rule
//! rule_requests_per_minute = 12000 # ingestion budget of the rule (429 beyond it)
//! sync_status_url = "http://127.0.0.1:8730/status" # the connector's status, for the console
//! [[siem.streams]]                 # explicit stream-to-table mappings
//! stream = "Custom-Firewall"
//! table = "Firewall_CL"
//! ```
//!
//! `sync_status_url` is the `/status` endpoint the connector (`tandem sync`) serves on its `--listen`
//! address (by default `127.0.0.1:8730`). With it the web console gets a sync health page (`/sync`):
//! each direction's lag and last polls, conflicts and quarantined items, read with one short GET per
//! visit; a connector that is down shows as not reachable, with the reason. Without it the console has
//! no sync health page.
//!
//! Everything the server writes lives in the data dir: `siem.db` (SQLite, WAL) and
//! `credentials.env` (URL, tenant, apps, and the workspace's ids as `TANDEM_SIEM_*` /
//! `TANDEM_DCR_IMMUTABLE_ID`).

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tandem_server::{Prepared, ServerArgs, shutdown_signal};

/// Default `--listen` of `tandem siem`.
const DEFAULT_LISTEN: &str = "127.0.0.1:8720";
/// Default `--data-dir` of `tandem siem`.
const DEFAULT_DATA_DIR: &str = "./tandem-data/siem";

/// Flags of `tandem siem`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SiemArgs {
    #[command(subcommand)]
    command: Option<SiemCommand>,
    #[command(flatten)]
    server: ServerArgs,
}

/// What `tandem siem` does; without a subcommand it serves.
#[derive(Debug, Subcommand)]
enum SiemCommand {
    /// Run the SIEM server (the default).
    Serve(ServerArgs),
}

impl SiemArgs {
    /// Runs the chosen subcommand; the server runs until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(SiemCommand::Serve(server)) => serve(server).await,
            None => serve(self.server).await,
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let options = args.into_options(DEFAULT_LISTEN, DEFAULT_DATA_DIR)?;
    let mut prepared =
        Prepared::open(options, tandem_siem::service_spec()).context("tandem siem")?;
    let routes = tandem_siem::routes(&mut prepared).context("tandem siem")?;
    prepared
        .bind(routes)
        .await
        .context("tandem siem")?
        .run_until(shutdown_signal())
        .await
        .context("tandem siem")
}
