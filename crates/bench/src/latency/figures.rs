//! A run's figures (per direction and kind: latency spread, lost, duplicated, bounced) and the report
//! that prints them, with a latency histogram per run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::audit::Audit;
use super::changes::{Direction, Kind, MIX};
use super::tracker::{Sample, Tracker};
use super::{LatencySettings, Run, Streamed};
use crate::error::BenchError;
use crate::report::{Report, Table, ms_cell};
use crate::stats::Spread;
use crate::svg::{self, Series};

/// The figures of one kind of change in one direction.
#[derive(Debug, Clone, Serialize)]
pub struct KindFigures {
    /// Which way.
    pub direction: Direction,
    /// What; `None` for every kind together.
    pub kind: Option<Kind>,
    /// Latency spread of the changes that arrived.
    pub latency: Spread,
    /// Changes that never arrived.
    pub lost: usize,
    /// Changes that arrived more than once.
    pub duplicated: usize,
    /// Changes after which the connector changed the origin again.
    pub bounced: usize,
}

/// The figures of one run, at one poll interval.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// The connector's poll interval.
    pub poll_interval_ms: u64,
    /// Pairs in the pool when the stream started.
    pub pool: usize,
    /// Changes made.
    pub changes: usize,
    /// Changes per second actually made.
    pub achieved_rate: f64,
    /// Ticks skipped because every pair was busy.
    pub skipped: usize,
    /// Writes that failed (the pair was given back).
    pub write_errors: usize,
    /// Per direction and kind.
    pub kinds: Vec<KindFigures>,
    /// Per direction, every kind together.
    pub directions: Vec<KindFigures>,
    /// Lost + duplicated + bounced, every kind.
    pub faults: usize,
    /// How long the observer took per round, median, in milliseconds (the measurement's resolution).
    pub observe_round_ms: f64,
    /// One line per fault: what was lost, duplicated or bounced, and what each side showed at the end.
    pub fault_details: Vec<String>,
    /// Every measured latency in milliseconds, by direction (for the chart).
    #[serde(skip)]
    pub samples_ms: Vec<(Direction, f64)>,
}

/// Faults printed per run (all of them are in the JSON).
const MAX_FAULT_LINES: usize = 12;

/// How one run's stream went, besides what the tracker measured.
pub(super) struct Outcome {
    pub(super) poll: Duration,
    pub(super) pool: usize,
    pub(super) streamed: Streamed,
    pub(super) elapsed: Duration,
    pub(super) rounds: Vec<Duration>,
}

/// The figures of one run from what the tracker measured, how the stream went and the final audit.
pub(super) fn figures(run: &Run, outcome: Outcome, audit: Audit) -> RunFigures {
    let tracker = run.tracker();
    let kinds = kind_figures(&tracker, &audit);
    let directions = direction_figures(&tracker.samples, &kinds);
    let streamed = outcome.streamed;
    RunFigures {
        poll_interval_ms: outcome.poll.as_millis() as u64,
        pool: outcome.pool,
        changes: streamed.changes,
        achieved_rate: streamed.changes as f64 / outcome.elapsed.as_secs_f64().max(1e-9),
        skipped: streamed.skipped,
        write_errors: streamed.write_errors,
        faults: directions
            .iter()
            .map(|d| d.lost + d.duplicated + d.bounced)
            .sum(),
        kinds,
        directions,
        observe_round_ms: Spread::of(&outcome.rounds).p50_ms,
        fault_details: tracker
            .bounce_details
            .iter()
            .chain(&audit.details)
            .cloned()
            .collect(),
        samples_ms: tracker
            .samples
            .iter()
            .map(|s| (s.direction, s.latency.as_secs_f64() * 1e3))
            .collect(),
    }
}

/// The latencies of the samples `keep` accepts.
fn latencies(samples: &[Sample], keep: impl Fn(&Sample) -> bool) -> Vec<Duration> {
    samples
        .iter()
        .filter(|s| keep(s))
        .map(|s| s.latency)
        .collect()
}

/// One row per direction and kind of [`MIX`].
fn kind_figures(tracker: &Tracker, audit: &Audit) -> Vec<KindFigures> {
    let lost = tracker.outstanding();
    let get = |map: &BTreeMap<(Direction, Kind), usize>, key| map.get(&key).copied().unwrap_or(0);
    MIX.iter()
        .map(|&(direction, kind)| KindFigures {
            direction,
            kind: Some(kind),
            latency: Spread::of(&latencies(&tracker.samples, |s| {
                s.direction == direction && s.kind == kind
            })),
            lost: get(&lost, (direction, kind)),
            duplicated: get(&audit.duplicated, (direction, kind)),
            bounced: get(&tracker.bounced, (direction, kind))
                + get(&audit.bounced, (direction, kind)),
        })
        .collect()
}

/// One row per direction, every kind together.
fn direction_figures(samples: &[Sample], kinds: &[KindFigures]) -> Vec<KindFigures> {
    [Direction::XdrToSiem, Direction::SiemToXdr]
        .iter()
        .map(|&direction| {
            let sum = |f: fn(&KindFigures) -> usize| -> usize {
                kinds
                    .iter()
                    .filter(|k| k.direction == direction)
                    .map(f)
                    .sum()
            };
            KindFigures {
                direction,
                kind: None,
                latency: Spread::of(&latencies(samples, |s| s.direction == direction)),
                lost: sum(|k| k.lost),
                duplicated: sum(|k| k.duplicated),
                bounced: sum(|k| k.bounced),
            }
        })
        .collect()
}

/// The report of every run: a table per poll interval, the faults, and a histogram per run.
pub(super) fn report(
    settings: &LatencySettings,
    runs: &[RunFigures],
) -> Result<Report, BenchError> {
    let mut report = Report::new("latency", settings, &runs)?;
    for run in runs {
        let mut table = Table::new(
            &format!(
                "Change latency at poll interval {} ms: {} changes at {:.1}/s, pool of {}",
                run.poll_interval_ms, run.changes, run.achieved_rate, run.pool
            ),
            &[
                "direction / kind",
                "n",
                "p50",
                "p95",
                "p99",
                "max",
                "lost",
                "dup",
                "bounced",
            ],
        );
        let row = |label: String, k: &KindFigures| {
            vec![
                label,
                k.latency.count.to_string(),
                ms_cell(k.latency.p50_ms),
                ms_cell(k.latency.p95_ms),
                ms_cell(k.latency.p99_ms),
                ms_cell(k.latency.max_ms),
                k.lost.to_string(),
                k.duplicated.to_string(),
                k.bounced.to_string(),
            ]
        };
        for k in run.kinds.iter().chain(&run.directions) {
            let kind = k.kind.map_or("(all)", Kind::label);
            table.row(row(format!("{} {kind}", k.direction.label()), k));
        }
        report.tables.push(table);
        let shown = run.fault_details.len().min(MAX_FAULT_LINES);
        for line in &run.fault_details[..shown] {
            report
                .notes
                .push(format!("at {} ms: {line}", run.poll_interval_ms));
        }
        if run.fault_details.len() > shown {
            report.notes.push(format!(
                "at {} ms: {} more faults in the JSON",
                run.poll_interval_ms,
                run.fault_details.len() - shown
            ));
        }
        if run.skipped + run.write_errors > 0 {
            report.notes.push(format!(
                "at {} ms: {} ticks skipped (no free pair), {} writes failed",
                run.poll_interval_ms, run.skipped, run.write_errors
            ));
        }
        report.charts.push((
            format!("histogram-{}ms", run.poll_interval_ms),
            svg::histogram(
                &format!("Change latency, poll interval {} ms", run.poll_interval_ms),
                "milliseconds from the change to its appearance on the other side",
                &histogram_series(run),
            ),
        ));
    }
    report.notes.push(format!(
        "latency runs from the origin's answer to the write until the observer, polling both APIs every {} ms (median round {:.0} ms), sees the value on the other side",
        settings.observe_interval,
        runs.iter().map(|r| r.observe_round_ms).fold(0.0, f64::max)
    ));
    Ok(report)
}

/// The histogram's series: one per direction, with every sample's latency.
fn histogram_series(run: &RunFigures) -> Vec<Series> {
    run.directions
        .iter()
        .map(|d| Series {
            name: format!(
                "{} (p99 {})",
                d.direction.label(),
                ms_cell(d.latency.p99_ms)
            ),
            points: run
                .samples_ms
                .iter()
                .filter(|(direction, _)| *direction == d.direction)
                .map(|&(_, ms)| (ms, 0.0))
                .collect(),
        })
        .collect()
}
