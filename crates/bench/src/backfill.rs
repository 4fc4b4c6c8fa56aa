//! `tandem bench backfill`: how long the connector takes to bring an XDR's existing incidents, with
//! their alerts, into an empty SIEM, beside two references measured in the same run on the same data:
//!
//! - the **floor**: only reading every page of incidents with `$expand=alerts` from the XDR through
//!   `tandem-client`, writing nothing — no connector can be faster than reading its input;
//! - the **do-it-yourself** script (`crates/bench/diy/backfill.py`): Microsoft's Python SDKs paging the
//!   incidents and creating each SIEM incident one request at a time, into a second, fresh SIEM.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::api::{SiemApi, XdrApi};
use crate::diy::{self, DiyRun};
use crate::error::BenchError;
use crate::report::{Report, Table};
use crate::scrape::{RouteLoad, per_route, route_delta, scrape};
use crate::seed::seed_incidents;
use crate::stack::{Connector, ConnectorFiles, ConnectorSettings, Service, Workdir};
use crate::svg::{self, Series};

/// Flags of `tandem bench backfill`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct BackfillSettings {
    /// Incidents in the XDR before the connector starts.
    #[arg(long, default_value_t = 20_000)]
    pub incidents: usize,
    /// Alerts per incident (each with device and file evidence).
    #[arg(long, default_value_t = 3)]
    pub alerts_per_incident: usize,
    /// Incidents the do-it-yourself script copies; fewer than `--incidents` extrapolates its time
    /// (labelled as such); 0 skips it.
    #[arg(long, default_value_t = 2_000)]
    pub diy_incidents: usize,
    /// The connector's poll interval, in milliseconds.
    #[arg(long = "poll-interval", value_name = "MS", default_value_t = 5_000)]
    pub poll_interval_ms: u64,
    /// Give up on the connector after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    pub timeout_secs: u64,
    /// The Python that runs the script (default: `TANDEM_PYTHON`, else the workspace's `.venv`).
    #[arg(long)]
    #[serde(skip)]
    pub python: Option<PathBuf>,
}

/// The shortest pause between two looks at the SIEM's changed incidents.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);
/// Each look costs the SIEM a scan of its incidents; pausing this many times as long as the last look
/// took keeps the watcher's share of the SIEM's time near 5% however many incidents it holds.
const WATCH_PAUSE_FACTOR: u32 = 20;

/// How one contender's progress went.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Progress {
    /// False when it ran out of time before it was done.
    pub finished: bool,
    /// Seconds until done (or until it ran out of time).
    pub seconds: f64,
    /// Incidents handled.
    pub incidents: usize,
    /// `(seconds, incidents)` samples along the way.
    pub samples: Vec<(f64, usize)>,
}

/// The figures of a backfill run.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillFigures {
    /// Incidents in the XDR.
    pub incidents: usize,
    /// Seconds to seed the XDR through its intake.
    pub seed_seconds: f64,
    /// Reading every page, no writes.
    pub floor: Progress,
    /// Alerts the floor read.
    pub floor_alerts: usize,
    /// The connector, from its start until every incident is in the SIEM with its alerts.
    pub tandem: Progress,
    /// The do-it-yourself script, if it ran.
    pub diy: Option<DiyRun>,
    /// Tandem's time over the floor's.
    pub tandem_over_floor: f64,
    /// The script's time (extrapolated when it copied fewer) over Tandem's.
    pub diy_over_tandem: Option<f64>,
    /// API requests the connector made (token requests included), from its `/metrics`.
    pub connector_requests: u64,
    /// Requests the servers answered while the connector backfilled, by `server METHOD route`.
    pub connector_load: BTreeMap<String, RouteLoad>,
    /// Of those, the SIEM incident lists the benchmark's own watcher asked for.
    pub watcher_requests: u64,
}

/// Both servers' load by route at one moment.
struct ServerLoad {
    xdr: BTreeMap<String, RouteLoad>,
    siem: BTreeMap<String, RouteLoad>,
}

impl ServerLoad {
    async fn read(xdr: &Service, siem: &Service) -> Result<ServerLoad, BenchError> {
        let page = |s: &Service| format!("{}/metrics", s.url());
        Ok(ServerLoad {
            xdr: per_route(&scrape(&page(xdr)).await?),
            siem: per_route(&scrape(&page(siem)).await?),
        })
    }

    /// The load since `earlier`, keyed `xdr METHOD route` / `siem METHOD route`.
    fn since(&self, earlier: &ServerLoad) -> BTreeMap<String, RouteLoad> {
        let xdr = route_delta(&earlier.xdr, &self.xdr);
        let siem = route_delta(&earlier.siem, &self.siem);
        let named = |side: &str, map: BTreeMap<String, RouteLoad>| {
            map.into_iter()
                .map(|(route, load)| (format!("{side} {route}"), load))
                .collect::<Vec<_>>()
        };
        named("xdr", xdr)
            .into_iter()
            .chain(named("siem", siem))
            .collect()
    }
}

/// Runs the scenario with the `tandem` executable `exe`.
pub async fn run(exe: &Path, settings: &BackfillSettings) -> Result<Report, BenchError> {
    let work = Workdir::new(exe)?;
    let xdr = work.xdr("xdr").await?;
    let siem = work.siem("siem").await?;
    eprintln!("seeding {} incidents…", settings.incidents);
    let seeded = seed_incidents(&xdr, settings.incidents, settings.alerts_per_incident).await?;
    let n = seeded.incidents.len();
    let xdr_api = XdrApi::new(&xdr)?;
    eprintln!("floor: reading every page…");
    let (floor, floor_alerts) = floor(&xdr_api).await?;
    eprintln!("tandem sync: backfilling…");
    let poll_interval = Duration::from_millis(settings.poll_interval_ms);
    let files = ConnectorFiles::write(&work, &xdr, &siem, ConnectorSettings { poll_interval })?;
    let before = ServerLoad::read(&xdr, &siem).await?;
    let siem_api = SiemApi::new(&siem)?;
    let started = Instant::now();
    let mut connector = Connector::start(&work, &files).await?;
    let tandem = watch_backfill(
        &siem_api,
        &mut connector,
        started,
        n,
        settings.alerts_per_incident,
        Duration::from_secs(settings.timeout_secs),
    )
    .await?;
    let connector_requests = connector.api_requests().await?;
    let connector_load = ServerLoad::read(&xdr, &siem).await?.since(&before);
    let watcher_requests = siem_api.client().counters().snapshot().requests;
    drop(connector);
    let diy = match settings.diy_incidents.min(n) {
        0 => None,
        limit => {
            eprintln!("do-it-yourself script: {limit} incidents…");
            let target = work.siem("siem-diy").await?;
            Some(diy::run(settings.python.as_deref(), &xdr, &target, limit, n).await?)
        }
    };
    let figures = BackfillFigures {
        incidents: n,
        seed_seconds: seeded.seconds,
        tandem_over_floor: tandem.seconds / floor.seconds.max(1e-9),
        diy_over_tandem: diy
            .as_ref()
            .map(|d| d.projected_seconds / tandem.seconds.max(1e-9)),
        floor,
        floor_alerts,
        tandem,
        diy,
        connector_requests,
        connector_load,
        watcher_requests,
    };
    report(settings, &figures)
}

/// Reads every page of incidents with their alerts; returns the progress and the alerts read.
async fn floor(xdr: &XdrApi) -> Result<(Progress, usize), BenchError> {
    let started = Instant::now();
    let mut pager = xdr.client().pages::<Value>(&xdr.all_with_alerts_url())?;
    let (mut incidents, mut alerts) = (0, 0);
    let mut samples = vec![(0.0, 0)];
    while let Some(page) = pager.next_page().await? {
        incidents += page.items.len();
        alerts += page
            .items
            .iter()
            .map(|i| i["alerts"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
        samples.push((started.elapsed().as_secs_f64(), incidents));
    }
    let progress = Progress {
        finished: true,
        seconds: started.elapsed().as_secs_f64(),
        incidents,
        samples,
    };
    Ok((progress, alerts))
}

/// Watches the SIEM until `expected` incidents have `alerts` alerts each, or the time runs out (the
/// progress then says it did not finish).
async fn watch_backfill(
    siem: &SiemApi,
    connector: &mut Connector,
    started: Instant,
    expected: usize,
    alerts: usize,
    timeout: Duration,
) -> Result<Progress, BenchError> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut mark = String::from("1970-01-01T00:00:00Z");
    let mut samples = vec![(0.0, 0)];
    loop {
        connector.check_running()?;
        let look = Instant::now();
        let changed = siem.changed_since(&mark).await?;
        let pause = WATCH_INTERVAL.max(look.elapsed() * WATCH_PAUSE_FACTOR);
        for incident in changed {
            let name = incident["name"].as_str().unwrap_or_default().to_owned();
            let count = incident
                .pointer("/properties/additionalData/alertsCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if let Some(modified) = incident
                .pointer("/properties/lastModifiedTimeUtc")
                .and_then(Value::as_str)
                && modified > mark.as_str()
            {
                mark = modified.to_owned();
            }
            counts.insert(name, count);
        }
        let done = counts.values().filter(|c| **c >= alerts as u64).count();
        let elapsed = started.elapsed();
        if samples.last().map(|s| s.1) != Some(done) {
            samples.push((elapsed.as_secs_f64(), done));
        }
        if done >= expected || elapsed > timeout {
            return Ok(Progress {
                finished: done >= expected,
                seconds: elapsed.as_secs_f64(),
                incidents: done,
                samples,
            });
        }
        tokio::time::sleep(pause).await;
    }
}

/// Waits until the SIEM holds `expected` incidents with `alerts` alerts each; fails after `timeout`.
pub(crate) async fn wait_synced(
    siem: &SiemApi,
    connector: &mut Connector,
    expected: usize,
    alerts: usize,
    timeout: Duration,
) -> Result<(), BenchError> {
    let progress =
        watch_backfill(siem, connector, Instant::now(), expected, alerts, timeout).await?;
    if progress.finished {
        return Ok(());
    }
    Err(BenchError::Timeout(format!(
        "after {timeout:?} the SIEM holds {} of {expected} incidents with their alerts (connector log: {})",
        progress.incidents,
        connector.log().display()
    )))
}

fn report(settings: &BackfillSettings, f: &BackfillFigures) -> Result<Report, BenchError> {
    let mut report = Report::new("backfill", settings, f)?;
    let mut table = Table::new(
        &format!(
            "Backfill: {} incidents × {} alerts",
            f.incidents, settings.alerts_per_incident
        ),
        &["contender", "seconds", "incidents/s", "vs Tandem"],
    );
    let rate = |p: &Progress| format!("{:.0}", p.incidents as f64 / p.seconds.max(1e-9));
    table.row(vec![
        "floor (read every page, no writes)".into(),
        format!("{:.1}", f.floor.seconds),
        rate(&f.floor),
        format!("{:.2}x", f.floor.seconds / f.tandem.seconds.max(1e-9)),
    ]);
    let tandem_label = match f.tandem.finished {
        true => "tandem sync".to_owned(),
        false => format!(
            "tandem sync (ran out of time at {} of {})",
            f.tandem.incidents, f.incidents
        ),
    };
    table.row(vec![
        tandem_label,
        format!("{:.1}", f.tandem.seconds),
        rate(&f.tandem),
        "1.00x".into(),
    ]);
    if let Some(d) = &f.diy {
        let label = if d.extrapolated {
            format!("DIY script (extrapolated from {})", d.incidents)
        } else {
            "DIY script".into()
        };
        table.row(vec![
            label,
            format!("{:.1}", d.projected_seconds),
            format!("{:.0}", d.incidents as f64 / d.seconds.max(1e-9)),
            format!("{:.2}x", f.diy_over_tandem.unwrap_or_default()),
        ]);
    }
    report.tables.push(table);
    report.tables.push(load_table(f));
    // A connector that ran out of time would have needed longer: its ratio to the floor can only be
    // higher, the script's ratio to it only lower.
    let (at_least, at_most) = match f.tandem.finished {
        true => ("=", "="),
        false => {
            report.notes.push(format!(
                "the connector did not finish within --timeout-secs {}: Tandem / floor is a lower bound, DIY / Tandem an upper bound",
                settings.timeout_secs
            ));
            ("≥", "≤")
        }
    };
    report.notes.push(format!(
        "Tandem / floor {at_least} {:.2} (target ≤ 1.5); the connector's time runs from its process start until the SIEM lists every incident with alertsCount = {}",
        f.tandem_over_floor, settings.alerts_per_incident
    ));
    if let (Some(d), Some(ratio)) = (&f.diy, f.diy_over_tandem) {
        report.notes.push(format!(
            "DIY / Tandem {at_most} {ratio:.2} (target ≥ 5); the script creates incidents only (no alerts), so it does less work than the connector{}",
            if d.extrapolated {
                format!(
                    "; its time for {} incidents is extrapolated from {} copied: {:.1} s setup + {:.1} ms per incident",
                    f.incidents, d.incidents, d.setup_seconds, d.ms_per_incident()
                )
            } else {
                String::new()
            }
        ));
    }
    report.notes.push(format!(
        "the SIEM's incident list count includes {} requests of the benchmark's own watcher",
        f.watcher_requests
    ));
    let series = |name: &str, p: &Progress| Series {
        name: name.into(),
        points: p.samples.iter().map(|&(t, n)| (t, n as f64)).collect(),
    };
    let mut lines = vec![
        series("tandem sync", &f.tandem),
        series("floor (read only)", &f.floor),
    ];
    if let Some(d) = &f.diy {
        lines.push(Series {
            name: "DIY script (measured part)".into(),
            points: d.samples.iter().map(|&(t, n)| (t, n as f64)).collect(),
        });
    }
    report.charts.push((
        "progress".into(),
        svg::lines("Backfill progress", "seconds", "incidents", &lines),
    ));
    Ok(report)
}

/// Where the connector's backfill requests went: per server route, count, per incident and server time.
fn load_table(f: &BackfillFigures) -> Table {
    let mut table = Table::new(
        "Requests the servers answered during the connector's backfill",
        &["server route", "requests", "per incident", "server s"],
    );
    let per = |n: u64| n as f64 / f.tandem.incidents.max(1) as f64;
    for (route, load) in &f.connector_load {
        table.row(vec![
            short_route(route),
            load.requests.to_string(),
            format!("{:.2}", per(load.requests)),
            format!("{:.1}", load.seconds),
        ]);
    }
    let total: u64 = f.connector_load.values().map(|l| l.requests).sum();
    table.row(vec![
        "total".into(),
        total.to_string(),
        format!("{:.2}", per(total)),
        format!(
            "{:.1}",
            f.connector_load.values().map(|l| l.seconds).sum::<f64>()
        ),
    ]);
    table
}

/// A route with the Sentinel resource path before `/incidents` shortened to `…`.
fn short_route(route: &str) -> String {
    match (route.find("/subscriptions/"), route.find("/incidents")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}…{}", &route[..start], &route[end..])
        }
        _ => route.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_routes_are_shortened() {
        let route = "siem PUT /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{workspace}/providers/Microsoft.SecurityInsights/incidents/{incident}";
        assert_eq!(short_route(route), "siem PUT …/incidents/{incident}");
        assert_eq!(
            short_route("xdr GET /v1.0/security/incidents"),
            "xdr GET /v1.0/security/incidents"
        );
    }
}
