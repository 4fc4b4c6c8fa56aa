//! `tandem bench footprint`: what the connector costs while it holds many synced pairs — its peak
//! resident memory and CPU time (from `/proc`), and the requests it makes per minute when nothing
//! changes, for two store sizes, so that idle cost can be seen not to grow with the pairs held.
//!
//! Pairs are written straight into the connector's store through `tandem-sync`'s [`SyncStore`] API
//! before it starts (creating a million incidents through the servers would take hours); the store's
//! watermarks are set to the seeding time, as after a finished backfill. A few real incidents are then
//! synced through the servers so the figures include the connector at work.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use tandem_model::Timestamp;
use tandem_sync::reconcile::{
    Base, Classification, PairKey, Severity, Side, SideVersion, Status, SyncedFields,
};
use tandem_sync::store::{Commit, PlanCommit, PollRecord, SqliteStore, SyncStore};

use crate::api::SiemApi;
use crate::backfill::wait_synced;
use crate::error::BenchError;
use crate::procfs::{Footprint, footprint};
use crate::report::{Report, Table};
use crate::scrape::{scrape, server_api_requests};
use crate::seed::seed_incidents;
use crate::stack::{Connector, ConnectorFiles, ConnectorSettings, Service, Workdir};
use crate::svg::{self, Series};

/// Poll intervals left quiet after the last change before idle requests are counted.
const QUIET_POLLS: u32 = 3;

/// Pairs stored per transaction while seeding.
const SEED_BATCH: usize = 10_000;

/// Flags of `tandem bench footprint`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct FootprintSettings {
    /// Synced pairs the connector holds (up to millions).
    #[arg(long, default_value_t = 100_000)]
    pub pairs: usize,
    /// A second, smaller store size to compare idle cost against; 0 skips it.
    #[arg(long, default_value_t = 1_000)]
    pub compare_pairs: usize,
    /// Seconds of idleness over which requests per minute are counted.
    #[arg(long, default_value_t = 60)]
    pub idle_secs: u64,
    /// Real incidents synced through the servers before the idle window.
    #[arg(long, default_value_t = 100)]
    pub active_incidents: usize,
    /// The connector's poll interval, in milliseconds.
    #[arg(long = "poll-interval", value_name = "MS", default_value_t = 5_000)]
    pub poll_interval_ms: u64,
}

/// The figures for one store size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeFigures {
    /// Pairs seeded into the store.
    pub pairs: usize,
    /// Seconds seeding took.
    pub seed_seconds: f64,
    /// The store's size on disk, in MiB.
    pub store_mib: f64,
    /// The connector's footprint at the end of the run.
    pub connector: Footprint,
    /// CPU seconds the connector used during the idle window.
    pub idle_cpu_seconds: f64,
    /// Requests per minute the XDR answered during the idle window.
    pub idle_xdr_requests_per_min: f64,
    /// Requests per minute the SIEM answered during the idle window.
    pub idle_siem_requests_per_min: f64,
    /// Requests per minute the connector counted itself sending (its `/metrics`).
    pub idle_connector_requests_per_min: f64,
}

impl SizeFigures {
    /// Requests per minute both servers answered while idle.
    pub fn idle_requests_per_min(&self) -> f64 {
        self.idle_xdr_requests_per_min + self.idle_siem_requests_per_min
    }
}

/// Runs the scenario with the `tandem` executable `exe`.
pub async fn run(exe: &Path, settings: &FootprintSettings) -> Result<Report, BenchError> {
    let mut sizes = Vec::new();
    if settings.compare_pairs > 0 {
        sizes.push(one_size(exe, settings, settings.compare_pairs).await?);
    }
    sizes.push(one_size(exe, settings, settings.pairs).await?);
    report(settings, &sizes)
}

async fn one_size(
    exe: &Path,
    settings: &FootprintSettings,
    pairs: usize,
) -> Result<SizeFigures, BenchError> {
    let work = Workdir::new(exe)?;
    let xdr = work.xdr("xdr").await?;
    let siem = work.siem("siem").await?;
    let poll_interval = Duration::from_millis(settings.poll_interval_ms);
    let files = ConnectorFiles::write(&work, &xdr, &siem, ConnectorSettings { poll_interval })?;
    eprintln!("footprint: seeding {pairs} pairs into the connector's store…");
    let tenant = xdr.credential("TANDEM_TENANT_ID")?.to_owned();
    let started = Instant::now();
    let store_path = seed_store(&files.data_dir, &tenant, pairs).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    let store_mib = file_mib(&store_path);
    let mut connector = Connector::start(&work, &files).await?;
    if settings.active_incidents > 0 {
        let seeded = seed_incidents(&xdr, settings.active_incidents, 3).await?;
        wait_synced(
            &SiemApi::new(&siem)?,
            &mut connector,
            seeded.incidents.len(),
            3,
            Duration::from_secs(600),
        )
        .await?;
    }
    // Let writes that follow the last change settle before counting idle requests.
    tokio::time::sleep(poll_interval * QUIET_POLLS).await;
    let pid = connector.pid();
    eprintln!(
        "footprint: {pairs} pairs, idle for {} s…",
        settings.idle_secs
    );
    let before = Idle::read(&xdr, &siem, &connector, pid).await?;
    tokio::time::sleep(Duration::from_secs(settings.idle_secs)).await;
    connector.check_running()?;
    let after = Idle::read(&xdr, &siem, &connector, pid).await?;
    let minutes = after.at.duration_since(before.at).as_secs_f64() / 60.0;
    let per_min = |a: u64, b: u64| a.saturating_sub(b) as f64 / minutes;
    Ok(SizeFigures {
        pairs,
        seed_seconds,
        store_mib,
        connector: after.footprint,
        idle_cpu_seconds: after.footprint.cpu_seconds - before.footprint.cpu_seconds,
        idle_xdr_requests_per_min: per_min(after.xdr, before.xdr),
        idle_siem_requests_per_min: per_min(after.siem, before.siem),
        idle_connector_requests_per_min: per_min(after.connector, before.connector),
    })
}

/// Counters at one moment of the idle window.
struct Idle {
    at: Instant,
    xdr: u64,
    siem: u64,
    connector: u64,
    footprint: Footprint,
}

impl Idle {
    async fn read(
        xdr: &Service,
        siem: &Service,
        connector: &Connector,
        pid: u32,
    ) -> Result<Idle, BenchError> {
        let at = Instant::now();
        let xdr = server_api_requests(&scrape(&format!("{}/metrics", xdr.url())).await?);
        let siem = server_api_requests(&scrape(&format!("{}/metrics", siem.url())).await?);
        Ok(Idle {
            at,
            xdr,
            siem,
            connector: connector.api_requests().await?,
            footprint: footprint(pid)?,
        })
    }
}

/// Writes `pairs` synced pairs and both watermarks into the store in `data_dir`; returns its file.
async fn seed_store(
    data_dir: &Path,
    tenant: &str,
    pairs: usize,
) -> Result<std::path::PathBuf, BenchError> {
    let store = SqliteStore::open(data_dir)?;
    let now = Timestamp::now();
    let mut next = 0;
    while next < pairs {
        let end = (next + SEED_BATCH).min(pairs);
        let plans = (next..end)
            .map(|i| PlanCommit {
                pair: PairKey::new(tenant, format!("seeded-{i}")),
                base: seeded_base(&now, i),
                writes: Vec::new(),
                conflicts: Vec::new(),
            })
            .collect();
        store
            .commit(&Commit {
                at: Some(now.clone()),
                plans,
                poll: None,
            })
            .await?;
        next = end;
    }
    for side in Side::BOTH {
        store
            .commit(&Commit {
                at: Some(now.clone()),
                plans: Vec::new(),
                poll: Some(PollRecord {
                    side,
                    watermark: now.clone(),
                    polled_at: now.clone(),
                    items: 0,
                    lag: None,
                }),
            })
            .await?;
    }
    Ok(store.path().to_owned())
}

/// The base of seeded pair `i`: an open, assigned, medium-severity incident both sides agree on.
fn seeded_base(now: &Timestamp, i: usize) -> Base {
    Base {
        fields: SyncedFields {
            status: Status::Active,
            severity: Severity::Medium,
            owner: Some(format!("analyst{}@contoso.com", i % 50)),
            classification: Classification::undetermined(),
            tags: Default::default(),
        },
        comments: Default::default(),
        xdr: SideVersion {
            marker: now.as_str().to_owned(),
            changed_at: now.clone(),
        },
        siem: Some(SideVersion {
            marker: format!("\"seeded-{i}\""),
            changed_at: now.clone(),
        }),
    }
}

fn file_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0))
}

fn report(settings: &FootprintSettings, sizes: &[SizeFigures]) -> Result<Report, BenchError> {
    let mut report = Report::new("footprint", settings, &sizes)?;
    let mut table = Table::new(
        "Connector footprint",
        &[
            "pairs",
            "store MiB",
            "peak RSS MiB",
            "CPU s (total)",
            "CPU s (idle)",
            "idle req/min (servers)",
            "idle req/min (connector)",
        ],
    );
    for s in sizes {
        table.row(vec![
            s.pairs.to_string(),
            format!("{:.1}", s.store_mib),
            format!("{:.1}", s.connector.peak_rss_mib),
            format!("{:.2}", s.connector.cpu_seconds),
            format!("{:.2}", s.idle_cpu_seconds),
            format!("{:.1}", s.idle_requests_per_min()),
            format!("{:.1}", s.idle_connector_requests_per_min),
        ]);
    }
    report.tables.push(table);
    report.notes.push(format!(
        "pairs were seeded straight into the connector's store through tandem-sync's SyncStore API (not through the servers); {} real incidents were then synced through the servers; idle requests counted over {} s after {QUIET_POLLS} quiet poll intervals",
        settings.active_incidents, settings.idle_secs
    ));
    report.notes.push(
        "peak RSS is VmHWM of the connector's process over its whole run; CPU is utime + stime"
            .into(),
    );
    let points = |f: fn(&SizeFigures) -> f64| -> Vec<(f64, f64)> {
        sizes.iter().map(|s| (s.pairs as f64, f(s))).collect()
    };
    report.charts.push((
        "footprint".into(),
        svg::lines(
            "Connector footprint by pairs held",
            "pairs",
            "MiB / requests per minute",
            &[
                Series {
                    name: "peak RSS (MiB)".into(),
                    points: points(|s| s.connector.peak_rss_mib),
                },
                Series {
                    name: "idle requests per minute".into(),
                    points: points(SizeFigures::idle_requests_per_min),
                },
            ],
        ),
    ));
    Ok(report)
}
