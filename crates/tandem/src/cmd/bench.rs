//! `tandem bench`: measures the connector end to end.

use clap::Args;

/// Flags of `tandem bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {}

impl BenchArgs {
    /// Runs one benchmark scenario and prints its figures.
    pub async fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("tandem bench is not built yet")
    }
}
