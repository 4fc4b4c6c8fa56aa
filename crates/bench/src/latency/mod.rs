//! `tandem bench latency`: a steady stream of changes on both sides — new incidents, status, owner,
//! classification and comments — and, for each, the time from the origin's answer to the write until
//! the observer sees the value on the other side (it polls both APIs at a fine interval). Also counted:
//! changes that never arrived (lost), that arrived twice (duplicated: a comment copied twice, an
//! incident twinned twice) and that came back (bounced: the connector changing the origin afterwards).
//!
//! The scenario runs once per connector poll interval given, each time with a fresh XDR, SIEM and
//! connector.

mod audit;
mod changes;
mod figures;
mod observe;
mod tracker;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use tandem_sync::reconcile::PairKey;

use crate::api::{SiemApi, XdrApi};
use crate::backfill::wait_synced;
use crate::error::BenchError;
use crate::report::Report;
use crate::seed::seed_incidents;
use crate::stack::{Connector, ConnectorFiles, ConnectorSettings, Workdir};

use audit::{audit, describe_lost};
pub use changes::{Direction, Kind};
use changes::{Expect, MIX, make_on_siem, make_on_xdr};
pub use figures::{KindFigures, RunFigures};
use figures::{Outcome, figures, report};
use observe::observe;
use tracker::{Pending, Tracker};

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
    let timing = ConnectorSettings {
        poll_interval: poll,
    };
    let files = ConnectorFiles::write(&work, &xdr, &siem, timing)?;
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
        let alerts = tandem_scenario::load(Utc::now(), 1, 1);
        let posted = tandem_scenario::post_alerts(client, &run.xdr_url, &alerts, 1).await?;
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
