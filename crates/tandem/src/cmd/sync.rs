//! `tandem sync`: runs the connector.

use clap::Args;

/// Flags of `tandem sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {}

impl SyncArgs {
    /// Runs the connector until Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("tandem sync is not built yet")
    }
}
