//! The subcommands, one file each.

mod bench;
mod demo;
mod siem;
mod sync;
mod xdr;

use clap::Subcommand;

/// Every `tandem` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the XDR incident service, or its tools (`simulate`).
    Xdr(xdr::XdrArgs),
    /// Run the SIEM workspace.
    Siem(siem::SiemArgs),
    /// Run the connector between an XDR and a SIEM, or its tools (`config`, `status`).
    Sync(sync::SyncArgs),
    /// Run the XDR, the SIEM and the connector together, fed with a generated attack scenario.
    Demo(demo::DemoArgs),
    /// Measure the connector: change latency, backfill time and footprint.
    Bench(bench::BenchArgs),
}

impl Command {
    /// The log filter used when `RUST_LOG` is unset. The demo leaves out the per-request lines, so its
    /// banner with the console URLs and credentials stays on screen.
    pub fn default_log_filter(&self) -> &'static str {
        match self {
            Command::Demo(_) => "info,tandem_server::request=warn",
            _ => "info",
        }
    }

    /// Runs the subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Xdr(args) => args.run().await,
            Command::Siem(args) => args.run().await,
            Command::Sync(args) => args.run().await,
            Command::Demo(args) => args.run().await,
            Command::Bench(args) => args.run().await,
        }
    }
}
