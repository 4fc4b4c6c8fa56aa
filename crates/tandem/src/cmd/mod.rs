//! The subcommands, one file each.

mod siem;
mod xdr;

use clap::Subcommand;

/// Every `tandem` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the XDR incident service, or its tools (`simulate`).
    Xdr(xdr::XdrArgs),
    /// Run the SIEM workspace.
    Siem(siem::SiemArgs),
}

impl Command {
    /// Runs the subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Xdr(args) => args.run().await,
            Command::Siem(args) => args.run().await,
        }
    }
}
