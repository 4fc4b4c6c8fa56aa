//! `tandem bench <scenario>`: measures the connector end to end.
//!
//! Starts `tandem xdr`, `tandem siem` and `tandem sync` as child processes of this executable on
//! loopback, runs the scenario (`latency`, `backfill` or `footprint`, see `tandem-bench`), prints its
//! tables, and with `--json FILE` writes the same figures as JSON and its SVG chart beside them.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tandem_bench::Scenario;
use tandem_server::shutdown_signal;

/// Flags of `tandem bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Write the figures to FILE as JSON, and the scenario's chart beside it (`<stem>-<chart>.svg`).
    #[arg(long, value_name = "FILE", global = true)]
    json: Option<PathBuf>,
    #[command(subcommand)]
    scenario: Scenario,
}

impl BenchArgs {
    /// Runs one benchmark scenario and prints its figures.
    pub async fn run(self) -> anyhow::Result<()> {
        let exe =
            std::env::current_exe().context("tandem bench: cannot find its own executable")?;
        // On Ctrl-C or SIGTERM the scenario is dropped, which stops its children and removes its temp
        // dir.
        let report = tokio::select! {
            report = self.scenario.run(&exe) => report.context("tandem bench")?,
            () = shutdown_signal() => anyhow::bail!("tandem bench: interrupted"),
        };
        print!("{}", report.render());
        if let Some(path) = &self.json {
            let charts = report.write(path).context("tandem bench")?;
            println!("figures: {}", path.display());
            for chart in charts {
                println!("chart: {}", chart.display());
            }
        }
        Ok(())
    }
}
