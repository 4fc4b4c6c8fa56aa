//! Request counters and latency histograms in the Prometheus text format, served at `/metrics`.
//!
//! Kept deliberately small: one series per method, route template and status, with fixed buckets.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// The content type of the Prometheus text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The labels one series is kept under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    method: String,
    route: String,
    status: u16,
}

/// The figures kept for one series.
#[derive(Debug, Clone, Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Every request a server answered, by method, route and status.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
}

impl Metrics {
    /// Records one answered request.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = SeriesKey {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        let seconds = elapsed.as_secs_f64();
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let entry = series.entry(key).or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bound, bucket) in BUCKETS.iter().zip(entry.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP tandem_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE tandem_http_requests_total counter\n");
        for (key, s) in series.iter() {
            let _ = writeln!(
                out,
                "tandem_http_requests_total{{{}}} {}",
                labels(key),
                s.count
            );
        }
        out.push_str("# HELP tandem_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE tandem_http_request_duration_seconds histogram\n");
        for (key, s) in series.iter() {
            write_histogram(&mut out, key, s);
        }
        out
    }
}

fn write_histogram(out: &mut String, key: &SeriesKey, s: &Series) {
    let name = "tandem_http_request_duration_seconds";
    let labels = labels(key);
    for (bound, count) in BUCKETS.iter().zip(s.buckets.iter()) {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", s.sum_seconds);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", s.count);
}

fn labels(key: &SeriesKey) -> String {
    format!(
        "method=\"{}\",route=\"{}\",status=\"{}\"",
        escape(&key.method),
        escape(&key.route),
        key.status
    )
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.record("GET", "/healthz", 200, Duration::from_millis(3));
        metrics.record("GET", "/healthz", 200, Duration::from_millis(30));
        let text = metrics.render();
        let labels = "method=\"GET\",route=\"/healthz\",status=\"200\"";
        assert!(text.contains(&format!("tandem_http_requests_total{{{labels}}} 2")));
        assert!(text.contains(&format!(
            "tandem_http_request_duration_seconds_bucket{{{labels},le=\"0.005\"}} 1"
        )));
        assert!(text.contains(&format!(
            "tandem_http_request_duration_seconds_bucket{{{labels},le=\"0.05\"}} 2"
        )));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
