//! `tandem bench latency`: a steady stream of changes on both sides — new incidents, status, owner,
//! classification and comments — and, for each, the time from the origin's answer to the write until
//! the observer sees the value on the other side (it polls both APIs at a fine interval). Also counted:
//! changes that never arrived (lost), that arrived twice (duplicated: a comment copied twice, an
//! incident twinned twice) and that came back (bounced: the connector changing the origin afterwards).
//!
//! The scenario runs once per connector poll interval given, each time with a fresh XDR, SIEM and
//! connector.

mod changes;
mod tracker;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use tandem_sync::reconcile::PairKey;
use tandem_xdr::simulate;

use crate::api::{SiemApi, XdrApi};
use crate::backfill::wait_synced;
use crate::error::BenchError;
use crate::report::{Report, Table, ms_cell};
use crate::seed::seed_incidents;
use crate::stack::{Connector, ConnectorFiles, ConnectorSettings, Workdir};
use crate::stats::Spread;
use crate::svg::{self, Series};

pub use changes::{Direction, Kind};
use changes::{Expect, MIX, count_xdr_comments, make_on_siem, make_on_xdr};
use tracker::{Pending, Sample, Tracker};

/// Flags of `tandem bench latency`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct LatencySettings {
    /// Changes per second, spread over both sides and every kind.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Seconds of changes.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub duration: u64,
    /// The connector's poll intervals to run at, in milliseconds (comma-separated; one run each).
    #[arg(long, value_name = "MS", value_delimiter = ',', default_values_t = [5_000, 200])]
    pub poll_interval: Vec<u64>,
    /// How often the observer polls both sides, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub observe_interval: u64,
    /// Incident pairs synced before the stream starts (default: enough that a free one is always at
    /// hand at this rate and poll interval).
    #[arg(long)]
    pub pool: Option<usize>,
}

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

/// Runs the scenario with the `tandem` executable `exe`, once per poll interval.
pub async fn run(exe: &Path, settings: &LatencySettings) -> Result<Report, BenchError> {
    let mut runs = Vec::new();
    for &poll in &settings.poll_interval {
        runs.push(one_run(exe, settings, Duration::from_millis(poll.max(1))).await?);
    }
    report(settings, &runs)
}

/// The parts of one run.
struct Run {
    xdr: XdrApi,
    siem: SiemApi,
    xdr_url: String,
    tracker: Mutex<Tracker>,
    /// Set when the stream has ended.
    stopped: Mutex<Option<Instant>>,
    token_prefix: String,
}

impl Run {
    fn tracker(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn one_run(
    exe: &Path,
    settings: &LatencySettings,
    poll: Duration,
) -> Result<RunFigures, BenchError> {
    let work = Workdir::new(exe)?;
    let xdr = work.xdr("xdr").await?;
    let siem = work.siem("siem").await?;
    let settle = poll * 2 + Duration::from_secs(2);
    let pool = settings
        .pool
        .unwrap_or_else(|| default_pool(settings.rate, poll, settle));
    eprintln!("latency at {poll:?}: syncing a pool of {pool} incidents…");
    let seeded = seed_incidents(&xdr, pool, 1).await?;
    let files = ConnectorFiles::write(
        &work,
        "sync",
        &xdr,
        &siem,
        ConnectorSettings {
            poll_interval: poll,
        },
    )?;
    let mut connector = Connector::start(&work, &files).await?;
    let siem_api = SiemApi::new(&siem)?;
    wait_synced(
        &siem_api,
        &mut connector,
        seeded.incidents.len(),
        1,
        Duration::from_secs(900),
    )
    .await?;
    let xdr_api = XdrApi::new(&xdr)?;
    let pairs: Vec<(String, String)> = seeded
        .incidents
        .iter()
        .map(|id| (id.clone(), twin_name(xdr_api.tenant(), id)))
        .collect();
    check_twin_names(&siem_api, &pairs).await?;
    let run = Arc::new(Run {
        xdr: xdr_api,
        siem: siem_api,
        xdr_url: xdr.url().to_owned(),
        tracker: Mutex::new(Tracker::new(pairs, settle)),
        stopped: Mutex::new(None),
        token_prefix: format!("bench{}", Utc::now().timestamp_millis() % 1_000_000),
    });
    eprintln!(
        "latency at {poll:?}: {} changes/s for {} s…",
        settings.rate, settings.duration
    );
    let observer = tokio::spawn(observe(
        Arc::clone(&run),
        Duration::from_millis(settings.observe_interval.max(1)),
        drain_time(poll),
    ));
    let started = Instant::now();
    let streamed = stream(&run, settings).await;
    let elapsed = started.elapsed();
    *run.stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    let rounds = observer
        .await
        .map_err(|e| BenchError::Unexpected(format!("the observer failed: {e}")))??;
    connector.check_running()?;
    let mut audit = audit(&run).await?;
    audit.details.extend(describe_lost(&run).await?);
    let outcome = Outcome {
        poll,
        pool,
        streamed,
        elapsed,
        rounds,
    };
    Ok(figures(&run, outcome, audit))
}

/// Enough pairs that one is free at every tick: changes in flight for the slowest expected arrival
/// plus settling, with room to spare.
fn default_pool(rate: f64, poll: Duration, settle: Duration) -> usize {
    let busy = (poll * 2 + Duration::from_secs(2) + settle).as_secs_f64();
    (rate * busy * 1.5).ceil() as usize + 20
}

/// How long the observer keeps waiting for stragglers after the stream ends.
fn drain_time(poll: Duration) -> Duration {
    (poll * 6).max(Duration::from_secs(30))
}

fn twin_name(tenant: &str, xdr_id: &str) -> String {
    PairKey::new(tenant, xdr_id)
        .siem_incident_name()
        .to_string()
}

/// Fails early, with a clear message, when the SIEM's twins are not named as `PairKey` derives.
async fn check_twin_names(siem: &SiemApi, pairs: &[(String, String)]) -> Result<(), BenchError> {
    let Some((xdr_id, name)) = pairs.first() else {
        return Ok(());
    };
    match siem.incident(name).await? {
        Some(_) => Ok(()),
        None => Err(BenchError::Unexpected(format!(
            "the SIEM has no twin {name} for XDR incident {xdr_id}: twins are not named by PairKey::siem_incident_name"
        ))),
    }
}

/// What the stream did.
#[derive(Debug, Default, Clone, Copy)]
struct Streamed {
    changes: usize,
    skipped: usize,
    write_errors: usize,
}

/// Makes one change per tick, cycling through [`MIX`], until the duration is over.
async fn stream(run: &Run, settings: &LatencySettings) -> Streamed {
    let tick = Duration::from_secs_f64(1.0 / settings.rate.max(0.001));
    let end = Instant::now() + Duration::from_secs(settings.duration);
    let mut next = Instant::now();
    let mut done = Streamed::default();
    let mut seq = 0usize;
    while Instant::now() < end {
        let (direction, kind) = MIX[seq % MIX.len()];
        seq += 1;
        match change(run, direction, kind, seq).await {
            Ok(true) => done.changes += 1,
            Ok(false) => done.skipped += 1,
            Err(e) => {
                eprintln!("latency: a write failed: {e}");
                done.write_errors += 1;
            }
        }
        next += tick;
        tokio::time::sleep_until(next.into()).await;
    }
    done
}

/// Makes one change; `Ok(false)` when no pair was free.
async fn change(
    run: &Run,
    direction: Direction,
    kind: Kind,
    seq: usize,
) -> Result<bool, BenchError> {
    let token = format!("{}-{seq}", run.token_prefix);
    if kind == Kind::NewIncident {
        let client = run.xdr.client();
        let alerts = simulate::load(Utc::now(), 1, 1);
        let posted = simulate::post_alerts(client, &run.xdr_url, &alerts, 1).await?;
        let started = Instant::now();
        let id = posted
            .first()
            .map(|p| p.incident_id.clone())
            .ok_or_else(|| BenchError::Unexpected("the intake returned no incident".into()))?;
        let name = twin_name(run.xdr.tenant(), &id);
        run.tracker().expect_twin(id, name, started);
        return Ok(true);
    }
    let Some((index, pair)) = run.tracker().check_out() else {
        return Ok(false);
    };
    let expect = Expect::next(kind, pair.in_progress, pair.verdict, &token);
    let written = match direction {
        Direction::XdrToSiem => make_on_xdr(&run.xdr, &pair.xdr_id, &expect).await,
        Direction::SiemToXdr => make_on_siem(&run.siem, &pair.siem_name, &expect, &token).await,
    };
    let started = Instant::now();
    match written {
        Ok(origin_changed) => {
            run.tracker().written(
                index,
                Pending {
                    direction,
                    kind,
                    expect,
                    started,
                    origin_changed,
                },
            );
            Ok(true)
        }
        Err(e) => {
            run.tracker().give_back(index);
            Err(e)
        }
    }
}

/// Polls both sides every `interval` and judges what changed, until the stream has ended and nothing
/// is awaited (or `drain` has passed since it ended). Returns the duration of each round.
async fn observe(
    run: Arc<Run>,
    interval: Duration,
    drain: Duration,
) -> Result<Vec<Duration>, BenchError> {
    let mut xdr_mark = wire_now();
    let mut siem_mark = wire_now();
    let mut rounds = Vec::new();
    loop {
        let round = Instant::now();
        let xdr_items = run.xdr.changed_since(&xdr_mark).await?;
        let at = Instant::now();
        for item in &xdr_items {
            run.tracker().observe_xdr(item, at);
            advance(&mut xdr_mark, item, "/lastUpdateDateTime");
        }
        for item in run.siem.changed_since(&siem_mark).await? {
            let name = item["name"].as_str().unwrap_or_default();
            let needs_comments = run.tracker().needs_siem_comments(name);
            let comments = match needs_comments {
                true => run.siem.comments(name).await?,
                false => Vec::new(),
            };
            run.tracker().observe_siem(&item, &comments, Instant::now());
            advance(&mut siem_mark, &item, "/properties/lastModifiedTimeUtc");
        }
        let now = Instant::now();
        let busy = {
            let mut tracker = run.tracker();
            tracker.release_settled(now);
            tracker.busy()
        };
        rounds.push(round.elapsed());
        let stopped = *run.stopped.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stopped) = stopped
            && (!busy || now > stopped + drain)
        {
            return Ok(rounds);
        }
        tokio::time::sleep_until((round + interval).into()).await;
    }
}

/// The current time in the services' wire format.
fn wire_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Moves a watermark to the item's change time when that is later.
fn advance(mark: &mut String, item: &Value, pointer: &str) {
    let Some(text) = item.pointer(pointer).and_then(Value::as_str) else {
        return;
    };
    let later = match (
        tandem_model::Timestamp::parse(text),
        tandem_model::Timestamp::parse(mark),
    ) {
        (Ok(seen), Ok(current)) => seen.instant() > current.instant(),
        _ => false,
    };
    if later {
        *mark = text.to_owned();
    }
}

/// One line per change never seen on the other side, with what both sides show now.
async fn describe_lost(run: &Run) -> Result<Vec<String>, BenchError> {
    let awaited = run.tracker().awaited();
    let mut lines = Vec::new();
    for (pair, direction, kind, expect) in awaited {
        let xdr = run.xdr.incident(&pair.xdr_id).await?;
        let siem = run
            .siem
            .incident(&pair.siem_name)
            .await?
            .unwrap_or(Value::Null);
        let p = &siem["properties"];
        lines.push(format!(
            "lost: {} {} on XDR {} / SIEM {}: expected {expect:?}; the XDR shows status {}, assignedTo {}, classification {} / {}, {} comments, changed {}; the SIEM shows status {}, owner {}, classification {} / {}, {} comments, changed {}",
            direction.label(),
            kind.label(),
            pair.xdr_id,
            pair.siem_name,
            xdr["status"],
            xdr["assignedTo"],
            xdr["classification"],
            xdr["determination"],
            xdr["comments"].as_array().map_or(0, Vec::len),
            xdr["lastUpdateDateTime"],
            p["status"],
            p["owner"]["userPrincipalName"],
            p["classification"],
            p["classificationReason"],
            p["additionalData"]["commentsCount"],
            p["lastModifiedTimeUtc"],
        ));
    }
    Ok(lines)
}

/// What the final audit found.
#[derive(Debug, Default)]
struct Audit {
    duplicated: BTreeMap<(Direction, Kind), usize>,
    bounced: BTreeMap<(Direction, Kind), usize>,
    details: Vec<String>,
}

/// Counts every comment token on both sides (a copy on the target more than once is a duplicate, a
/// copy back on the origin a bounce) and compares the incident counts (a twin too many is a duplicate).
async fn audit(run: &Run) -> Result<Audit, BenchError> {
    let pairs: Vec<_> = run
        .tracker()
        .pairs()
        .iter()
        .filter(|p| !p.comments.is_empty())
        .cloned()
        .collect();
    let mut audit = Audit::default();
    for pair in pairs {
        let xdr = run.xdr.incident(&pair.xdr_id).await?;
        let siem = run.siem.comments(&pair.siem_name).await?;
        for (token, direction) in &pair.comments {
            let on_xdr = count_xdr_comments(&xdr, token);
            let on_siem = siem.iter().filter(|c| c.contains(token.as_str())).count();
            let (target, origin) = match direction {
                Direction::XdrToSiem => (on_siem, on_xdr),
                Direction::SiemToXdr => (on_xdr, on_siem),
            };
            let key = (*direction, Kind::Comment);
            *audit.duplicated.entry(key).or_default() += target.saturating_sub(1);
            *audit.bounced.entry(key).or_default() += origin.saturating_sub(1);
            if target > 1 || origin > 1 {
                audit.details.push(format!(
                    "{} comment {token:?} on XDR {} / SIEM {}: {on_xdr} on the XDR, {on_siem} on the SIEM",
                    direction.label(),
                    pair.xdr_id,
                    pair.siem_name
                ));
            }
        }
    }
    let xdr_count = run
        .xdr
        .client()
        .get_all::<Value>(&run.xdr.all_with_alerts_url())
        .await?
        .len();
    let siem_count = run.siem.changed_since("1970-01-01T00:00:00Z").await?.len();
    *audit
        .duplicated
        .entry((Direction::XdrToSiem, Kind::NewIncident))
        .or_default() += siem_count.saturating_sub(xdr_count);
    Ok(audit)
}

/// How one run's stream went, besides what the tracker measured.
struct Outcome {
    poll: Duration,
    pool: usize,
    streamed: Streamed,
    elapsed: Duration,
    rounds: Vec<Duration>,
}

fn figures(run: &Run, outcome: Outcome, audit: Audit) -> RunFigures {
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

fn report(settings: &LatencySettings, runs: &[RunFigures]) -> Result<Report, BenchError> {
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
