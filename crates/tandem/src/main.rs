//! `tandem`: one binary for the three parts of Tandem.
//!
//! - `tandem xdr` runs the XDR incident service (Graph security API compatible).
//! - `tandem siem` runs the SIEM workspace (Sentinel and Logs Ingestion compatible).
//! - `tandem sync` runs the connector between them (or between the real Microsoft services).
//! - `tandem demo` runs all three in one process with a generated attack scenario.
//!
//! Each subcommand lives in its own file under `cmd/`, parses its own flags and runs itself. This file
//! only sets up logging and dispatches; errors become `anyhow` here, at the edge, and nowhere else.

mod cmd;

use clap::Parser;

/// Tandem: XDR incidents and a SIEM, one workflow.
#[derive(Debug, Parser)]
#[command(name = "tandem", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.command.default_log_filter());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli.command.run())
}

/// Logs go to stderr; `RUST_LOG` picks the level (default: the subcommand's `default`).
fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
