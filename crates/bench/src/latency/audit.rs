//! After the stream: what both sides hold in the end — every comment token counted on both sides, the
//! incident counts compared, and each change never seen described with both sides' final state.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Run;
use super::changes::{Direction, Kind, count_xdr_comments};
use crate::error::BenchError;

/// One line per change never seen on the other side, with what both sides show now.
pub(super) async fn describe_lost(run: &Run) -> Result<Vec<String>, BenchError> {
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
pub(super) struct Audit {
    pub(super) duplicated: BTreeMap<(Direction, Kind), usize>,
    pub(super) bounced: BTreeMap<(Direction, Kind), usize>,
    pub(super) details: Vec<String>,
}

/// Counts every comment token on both sides (a copy on the target more than once is a duplicate, a
/// copy back on the origin a bounce) and compares the incident counts (a twin too many is a duplicate).
pub(super) async fn audit(run: &Run) -> Result<Audit, BenchError> {
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
