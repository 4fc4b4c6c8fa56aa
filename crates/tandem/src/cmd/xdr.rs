//! `tandem xdr`: runs the XDR server.

use clap::Args;

/// Flags of `tandem xdr`.
#[derive(Debug, Args)]
pub struct XdrArgs {}

impl XdrArgs {
    /// Runs the server until Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("tandem xdr is not built yet")
    }
}
