//! The observer: polls both sides for incidents changed since its last look and hands each to the
//! tracker, which judges whether an awaited change has arrived or an origin changed again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use super::Run;
use crate::error::BenchError;

/// Polls both sides every `interval` and judges what changed, until the stream has ended and nothing
/// is awaited (or `drain` has passed since it ended). Returns the duration of each round.
pub(super) async fn observe(
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
