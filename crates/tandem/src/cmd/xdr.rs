//! `tandem xdr`: runs the XDR incident service.
//!
//! `tandem xdr [--listen HOST:PORT] [--data-dir DIR] [--config FILE]` runs the server (so does
//! `tandem xdr serve ...`); further tools of the XDR become more subcommands beside `serve`.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tandem_server::{Router, ServerArgs, ServiceSpec};

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
}

impl XdrArgs {
    /// Runs the chosen subcommand; the server runs until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(XdrCommand::Serve(server)) => serve(server).await,
            None => serve(self.server).await,
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let options = args.into_options(DEFAULT_LISTEN, DEFAULT_DATA_DIR)?;
    tandem_server::serve(options, ServiceSpec::xdr(), Router::new())
        .await
        .context("tandem xdr")
}
