//! `tandem demo`: the XDR, the SIEM and the connector in one process.

use clap::Args;

/// Flags of `tandem demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {}

impl DemoArgs {
    /// Runs the demo until Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("tandem demo is not built yet")
    }
}
