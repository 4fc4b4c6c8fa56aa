//! `tandem bench`: measures the connector end to end, the way a user runs it.
//!
//! Each scenario starts what it needs on loopback — `tandem xdr`, `tandem siem` and `tandem sync`, each
//! a child process of the `tandem` executable with a temp data dir and a free port ([`stack`]) — runs,
//! and returns a [`Report`]: tables for the terminal, the same figures as JSON, and an SVG chart.
//!
//! - [`latency`]: a steady stream of changes on both sides; time from each change to its appearance on
//!   the other side, per direction and kind, and the count of lost, duplicated and bounced changes.
//! - [`backfill`]: incidents that exist before the connector starts; time until all are in the SIEM,
//!   beside the floor (reading only) and a do-it-yourself script.
//! - [`footprint`]: the connector's peak memory and CPU while it holds many pairs, and the requests it
//!   makes per minute when nothing changes.

pub mod api;
pub mod backfill;
pub mod diy;
pub mod error;
pub mod footprint;
pub mod latency;
pub mod procfs;
pub mod report;
pub mod scrape;
pub mod seed;
pub mod stack;
pub mod stats;
pub mod svg;

use std::path::Path;

pub use error::BenchError;
pub use report::Report;

/// The scenarios, with their flags.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Scenario {
    /// Time from a change on one side to its appearance on the other, at a steady rate of changes.
    Latency(latency::LatencySettings),
    /// Time to bring existing XDR incidents into an empty SIEM, beside the floor and a DIY script.
    Backfill(backfill::BackfillSettings),
    /// The connector's memory, CPU and idle requests while it holds many pairs.
    Footprint(footprint::FootprintSettings),
}

impl Scenario {
    /// Runs the scenario, starting children from the `tandem` executable `exe`.
    pub async fn run(&self, exe: &Path) -> Result<Report, BenchError> {
        match self {
            Scenario::Latency(settings) => latency::run(exe, settings).await,
            Scenario::Backfill(settings) => backfill::run(exe, settings).await,
            Scenario::Footprint(settings) => footprint::run(exe, settings).await,
        }
    }
}
