//! The connector's health for the console's sync health page, read from the connector's `/status`.
//!
//! `tandem sync run` serves its status as JSON at `/status` on its listen address; `[siem]
//! sync_status_url` points the SIEM at it. Each visit of the page makes one plain GET with a short timeout,
//! so a connector that is down costs the page about [`TIMEOUT`] and shows as "not reachable" with the
//! reason. The SIEM reads only this JSON, never the connector's code or store; its format is
//! [`tandem_model::sync_status`], where the connector writes it from.
//!
//! Times are RFC 3339; every member may be missing. The connector reports only its latest lag reading per
//! direction, so the SIEM keeps the readings it has seen (the last [`KEPT_SAMPLES`]) to draw lag over time.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tandem_console::{ConflictView, DirectionHealth, LagSample, QuarantineView, SyncHealth};
use tandem_model::Timestamp;
use tandem_model::sync_status::SyncStatus;

/// How long the page waits for the connector.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// How many lag readings the SIEM keeps for the chart.
pub const KEPT_SAMPLES: usize = 720;

/// The connector's `/status` endpoint, and the lag readings seen there so far.
#[derive(Debug)]
pub struct SyncStatusSource {
    url: reqwest::Url,
    client: reqwest::Client,
    samples: Mutex<VecDeque<LagSample>>,
}

impl SyncStatusSource {
    /// A source reading `url`; fails with a message naming `siem.sync_status_url` when it is not an http(s)
    /// URL.
    pub fn new(url: &str) -> Result<SyncStatusSource, String> {
        let invalid = |why: &str| format!("siem.sync_status_url: {url:?} {why}");
        let parsed =
            reqwest::Url::parse(url).map_err(|e| invalid(&format!("is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("must be an http or https URL"));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .map_err(|e| invalid(&format!("cannot be read: {e}")))?;
        Ok(SyncStatusSource {
            url: parsed,
            client,
            samples: Mutex::new(VecDeque::new()),
        })
    }

    /// The connector's health now; when it cannot be read, the reason and the readings kept so far.
    pub async fn read(&self) -> SyncHealth {
        match self.fetch().await {
            Ok(status) => {
                let mut health = health(status);
                health.lag_history = self.keep(&health.lag_history);
                health
            }
            Err(reason) => SyncHealth {
                unreachable: Some(format!("{}: {reason}", self.url)),
                lag_history: self.keep(&[]),
                ..SyncHealth::default()
            },
        }
    }

    async fn fetch(&self) -> Result<SyncStatus, String> {
        let response = self
            .client
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| plain_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the connector answered {status}"));
        }
        let body = response.bytes().await.map_err(|e| plain_error(&e))?;
        tandem_model::parse_json(&body).map_err(|e| format!("the status is not readable: {e}"))
    }

    /// Adds new readings to the kept ones and returns them all.
    fn keep(&self, new: &[LagSample]) -> Vec<LagSample> {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        for sample in new {
            if !samples.contains(sample) {
                samples.push_back(sample.clone());
            }
        }
        while samples.len() > KEPT_SAMPLES {
            samples.pop_front();
        }
        samples.iter().cloned().collect()
    }
}

/// An HTTP error with its causes, which say why (refused, timed out, …).
fn plain_error(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A time from the report; an unreadable one is left out rather than failing the page.
fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| Timestamp::parse(t).ok())
        .map(|t| t.instant())
}

/// The connector's report as the sync health page shows it.
fn health(status: SyncStatus) -> SyncHealth {
    SyncHealth {
        directions: status
            .directions
            .into_iter()
            .map(|d| DirectionHealth {
                lag_seconds: d.lag_seconds,
                last_poll: time(d.last_poll.as_deref()),
                last_success: time(d.last_success.as_deref()),
                pending_writes: d.pending_writes,
                last_error: d.last_error,
                name: d.name,
            })
            .collect(),
        conflicts: status
            .conflicts
            .into_iter()
            .map(|c| ConflictView {
                at: time(Some(&c.at)).unwrap_or_default(),
                incident_id: c.incident_id,
                field: c.field,
                winner: c.winner,
                losing_value: c.losing_value,
            })
            .collect(),
        quarantined: status
            .quarantined
            .into_iter()
            .map(|q| QuarantineView {
                at: time(Some(&q.at)).unwrap_or_default(),
                item: q.item,
                reason: q.reason,
            })
            .collect(),
        lag_history: status
            .lag_history
            .into_iter()
            .filter_map(|l| {
                Some(LagSample {
                    at: time(Some(&l.at))?,
                    direction: l.direction,
                    lag_seconds: l.lag_seconds,
                })
            })
            .collect(),
        unreachable: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_taken() {
        assert!(SyncStatusSource::new("http://127.0.0.1:9464/status").is_ok());
        let error = SyncStatusSource::new("ftp://x/status").unwrap_err();
        assert!(
            error.contains("siem.sync_status_url") && error.contains("ftp://x/status"),
            "{error}"
        );
        assert!(SyncStatusSource::new("not a url").is_err());
    }

    #[test]
    fn lag_readings_accumulate_once_each() {
        let source = SyncStatusSource::new("http://127.0.0.1:9/status").unwrap();
        let sample = |s: i64| LagSample {
            at: DateTime::from_timestamp(s, 0).unwrap_or_default(),
            direction: "XDR → SIEM".into(),
            lag_seconds: 1.0,
        };
        source.keep(&[sample(1)]);
        source.keep(&[sample(1)]);
        let kept = source.keep(&[sample(2)]);
        assert_eq!(kept, vec![sample(1), sample(2)]);
        let many: Vec<LagSample> = (10..10 + KEPT_SAMPLES as i64).map(sample).collect();
        let kept = source.keep(&many);
        assert_eq!(kept.len(), KEPT_SAMPLES);
        assert_eq!(kept.first(), many.first());
    }

    #[test]
    fn a_report_with_missing_and_odd_times_still_reads() {
        let report: SyncStatus = serde_json::from_str(
            r#"{"directions":[{"name":"SIEM → XDR","last_poll":"soon","pending_writes":2}],
                "conflicts":[{"at":"","incident_id":"i1","field":"status","winner":"siem","losing_value":"\"New\""}]}"#,
        )
        .unwrap();
        let health = health(report);
        assert_eq!(health.directions[0].pending_writes, 2);
        assert_eq!(health.directions[0].last_poll, None);
        assert_eq!(health.conflicts[0].incident_id, "i1");
    }
}
