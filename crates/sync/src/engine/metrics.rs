//! The connector's counters and the change-to-write lag histogram, rendered as Prometheus text for
//! `/metrics`. Plain atomics and a short-held lock: recording never waits on a scrape.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tandem_client::CounterSnapshot;

use crate::reconcile::Side;

/// Upper bounds (seconds) of the lag histogram's buckets.
const LAG_BUCKETS: [f64; 10] = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 300.0, 900.0];

/// What kind of write was performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WriteKind {
    /// Incident fields (on the SIEM: also creating the twin).
    Fields,
    /// A mirrored comment.
    Comment,
    /// An alert attached to a SIEM twin.
    Relation,
    /// A batch of table rows.
    Rows,
}

impl WriteKind {
    fn as_str(self) -> &'static str {
        match self {
            WriteKind::Fields => "fields",
            WriteKind::Comment => "comment",
            WriteKind::Relation => "relation",
            WriteKind::Rows => "rows",
        }
    }
}

/// Everything the connector counts.
#[derive(Debug, Default)]
pub struct Metrics {
    polls: Mutex<BTreeMap<(Side, bool), u64>>,
    writes: Mutex<BTreeMap<(Side, WriteKind), u64>>,
    conflicts: AtomicU64,
    quarantined: AtomicU64,
    repaired: AtomicU64,
    full_reconciliations: AtomicU64,
    lag: Mutex<Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; LAG_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The client counters of the three APIs, read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiCounters {
    /// The XDR's Graph API.
    pub graph: CounterSnapshot,
    /// The SIEM's ARM API.
    pub arm: CounterSnapshot,
    /// The Logs Ingestion endpoint.
    pub ingestion: CounterSnapshot,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    if let Ok(mut map) = map.lock() {
        *map.entry(key).or_default() += by;
    }
}

impl Metrics {
    /// Counts a poll of `side`.
    pub fn poll(&self, side: Side, ok: bool) {
        bump(&self.polls, (side, ok), 1);
    }

    /// Counts a write performed on `side`.
    pub fn write(&self, side: Side, kind: WriteKind) {
        bump(&self.writes, (side, kind), 1);
    }

    /// Counts conflicts logged.
    pub fn conflicts(&self, count: usize) {
        self.conflicts.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// Counts an item set aside.
    pub fn quarantined(&self) {
        self.quarantined.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a full reconciliation and the pairs it repaired.
    pub fn full_reconciliation(&self, repaired: usize) {
        self.full_reconciliations.fetch_add(1, Ordering::Relaxed);
        self.repaired.fetch_add(repaired as u64, Ordering::Relaxed);
    }

    /// Records how long after its change a write landed.
    pub fn lag(&self, lag: Duration) {
        let seconds = lag.as_secs_f64();
        if let Ok(mut h) = self.lag.lock() {
            for (bucket, bound) in h.buckets.iter_mut().zip(LAG_BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// Writes performed so far, all sides and kinds.
    pub fn total_writes(&self) -> u64 {
        self.writes.lock().map(|w| w.values().sum()).unwrap_or(0)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self, api: &ApiCounters) -> String {
        let mut out = String::new();
        self.render_polls(&mut out);
        self.render_writes(&mut out);
        let scalars = [
            (
                "tandem_sync_conflicts_total",
                "Field conflicts logged.",
                &self.conflicts,
            ),
            (
                "tandem_sync_quarantined_total",
                "Items set aside after a failure.",
                &self.quarantined,
            ),
            (
                "tandem_sync_full_reconciliations_total",
                "Full reconciliations run.",
                &self.full_reconciliations,
            ),
            (
                "tandem_sync_repaired_total",
                "Pairs a full reconciliation found drifted and repaired.",
                &self.repaired,
            ),
        ];
        for (name, help, value) in scalars {
            header(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        render_api(&mut out, api);
        self.render_lag(&mut out);
        out
    }

    fn render_polls(&self, out: &mut String) {
        header(
            out,
            "tandem_sync_polls_total",
            "Polls of each side.",
            "counter",
        );
        let polls = self.polls.lock().map(|p| p.clone()).unwrap_or_default();
        for side in Side::BOTH {
            for (ok, outcome) in [(true, "ok"), (false, "error")] {
                let n = polls.get(&(side, ok)).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "tandem_sync_polls_total{{side=\"{side}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
    }

    fn render_writes(&self, out: &mut String) {
        header(
            out,
            "tandem_sync_writes_total",
            "Writes performed, by target side and kind.",
            "counter",
        );
        let writes = self.writes.lock().map(|w| w.clone()).unwrap_or_default();
        for ((side, kind), n) in writes {
            let _ = writeln!(
                out,
                "tandem_sync_writes_total{{side=\"{side}\",kind=\"{}\"}} {n}",
                kind.as_str()
            );
        }
    }

    fn render_lag(&self, out: &mut String) {
        let name = "tandem_sync_change_to_write_seconds";
        header(
            out,
            name,
            "Time from a change on one side to its write on the other.",
            "histogram",
        );
        let Ok(h) = self.lag.lock() else { return };
        for (count, bound) in h.buckets.iter().zip(LAG_BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "{name}_sum {}", h.sum);
        let _ = writeln!(out, "{name}_count {}", h.count);
    }
}

/// A client counter series: its name, its help text and how to read it from a snapshot.
type Series = (&'static str, &'static str, fn(&CounterSnapshot) -> u64);

/// Requests, retries, throttles and token requests of each API client.
fn render_api(out: &mut String, api: &ApiCounters) {
    let apis = [
        ("graph", &api.graph),
        ("arm", &api.arm),
        ("ingestion", &api.ingestion),
    ];
    let series: [Series; 4] = [
        (
            "tandem_sync_api_requests_total",
            "API requests sent (every attempt).",
            |c| c.requests,
        ),
        (
            "tandem_sync_api_retries_total",
            "Attempts repeated after a failure.",
            |c| c.retries,
        ),
        (
            "tandem_sync_api_throttles_total",
            "Responses with status 429 or 503.",
            |c| c.throttles,
        ),
        (
            "tandem_sync_token_requests_total",
            "Requests to the token endpoint.",
            |c| c.token_requests,
        ),
    ];
    for (name, help, read) in series {
        header(out, name, help, "counter");
        for (label, counters) in apis {
            let _ = writeln!(out, "{name}{{api=\"{label}\"}} {}", read(counters));
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_lands_in_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.lag(Duration::from_millis(700));
        metrics.lag(Duration::from_secs(40));
        metrics.write(Side::Siem, WriteKind::Fields);
        let text = metrics.render(&ApiCounters::default());
        assert!(text.contains("tandem_sync_change_to_write_seconds_bucket{le=\"0.5\"} 0"));
        assert!(text.contains("tandem_sync_change_to_write_seconds_bucket{le=\"1\"} 1"));
        assert!(text.contains("tandem_sync_change_to_write_seconds_bucket{le=\"60\"} 2"));
        assert!(text.contains("tandem_sync_change_to_write_seconds_count 2"));
        assert!(text.contains("tandem_sync_writes_total{side=\"siem\",kind=\"fields\"} 1"));
        assert_eq!(metrics.total_writes(), 1);
    }
}
