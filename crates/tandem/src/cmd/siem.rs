//! `tandem siem`: runs the SIEM server.

use clap::Args;

/// Flags of `tandem siem`.
#[derive(Debug, Args)]
pub struct SiemArgs {}

impl SiemArgs {
    /// Runs the server until Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("tandem siem is not built yet")
    }
}
