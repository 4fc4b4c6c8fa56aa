//! The latency scenario's bookkeeping: which incident pairs are free for a change, which changes wait
//! to appear on the other side, and what was measured.
//!
//! A pair takes one change at a time: it is checked out, written, then *pending* until the observer
//! sees the value on the other side, then *settling* for a few poll intervals, during which any later
//! change of the origin incident that the benchmark did not make is counted as a bounce (the connector
//! writing back to where the change came from). Only then is the pair free again.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;
use tandem_model::Timestamp;

use super::changes::{Direction, Expect, Kind, siem_changed_at, xdr_changed_at};

/// One measured change.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Which way it went.
    pub direction: Direction,
    /// What it was.
    pub kind: Kind,
    /// From the origin's answer to the write until the observer saw it on the other side.
    pub latency: Duration,
}

/// A change on its way.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Which way it goes.
    pub direction: Direction,
    /// What it is.
    pub kind: Kind,
    /// The value to look for.
    pub expect: Expect,
    /// When the origin answered the write.
    pub started: Instant,
    /// The origin incident's change time after the write.
    pub origin_changed: Timestamp,
}

#[derive(Debug, Clone)]
enum Phase {
    Free,
    Writing,
    Pending(Pending),
    Settling {
        direction: Direction,
        kind: Kind,
        origin_changed: Timestamp,
        until: Instant,
    },
}

/// One incident pair of the pool.
#[derive(Debug, Clone)]
pub struct PairInfo {
    /// The XDR incident id.
    pub xdr_id: String,
    /// The SIEM twin's name.
    pub siem_name: String,
    /// Status: in progress, or new.
    pub in_progress: bool,
    /// Index of the current verdict in the rotation, if one was set.
    pub verdict: Option<usize>,
    /// Comment tokens written on this pair, with the direction each went.
    pub comments: Vec<(String, Direction)>,
    phase: Phase,
}

/// Everything the writer and the observer share.
#[derive(Debug)]
pub struct Tracker {
    pairs: Vec<PairInfo>,
    by_xdr: HashMap<String, usize>,
    by_siem: HashMap<String, usize>,
    free: VecDeque<usize>,
    twins: HashMap<String, (String, Instant)>,
    settle: Duration,
    /// Every change seen on the other side.
    pub samples: Vec<Sample>,
    /// Origin changes nobody but the connector made, by the change they followed.
    pub bounced: BTreeMap<(Direction, Kind), usize>,
    /// One line per bounce: the pair, the change and when the origin changed again.
    pub bounce_details: Vec<String>,
}

impl Tracker {
    /// A pool of synced pairs `(xdr id, siem name)`, all free; a pair settles for `settle` after its
    /// change arrived.
    pub fn new(pairs: Vec<(String, String)>, settle: Duration) -> Tracker {
        let mut tracker = Tracker {
            pairs: Vec::new(),
            by_xdr: HashMap::new(),
            by_siem: HashMap::new(),
            free: VecDeque::new(),
            twins: HashMap::new(),
            settle,
            samples: Vec::new(),
            bounced: BTreeMap::new(),
            bounce_details: Vec::new(),
        };
        for (xdr_id, siem_name) in pairs {
            tracker.add(xdr_id, siem_name);
        }
        tracker
    }

    fn add(&mut self, xdr_id: String, siem_name: String) {
        let index = self.pairs.len();
        self.by_xdr.insert(xdr_id.clone(), index);
        self.by_siem.insert(siem_name.clone(), index);
        self.pairs.push(PairInfo {
            xdr_id,
            siem_name,
            in_progress: false,
            verdict: None,
            comments: Vec::new(),
            phase: Phase::Free,
        });
        self.free.push_back(index);
    }

    /// Every pair.
    pub fn pairs(&self) -> &[PairInfo] {
        &self.pairs
    }

    /// Takes the longest-free pair for a change; `None` when every pair is busy.
    pub fn check_out(&mut self) -> Option<(usize, PairInfo)> {
        let index = self.free.pop_front()?;
        self.pairs[index].phase = Phase::Writing;
        Some((index, self.pairs[index].clone()))
    }

    /// Gives back a pair whose write failed.
    pub fn give_back(&mut self, index: usize) {
        self.pairs[index].phase = Phase::Free;
        self.free.push_back(index);
    }

    /// Records the change written to pair `index`, now awaited on the other side.
    pub fn written(&mut self, index: usize, pending: Pending) {
        let pair = &mut self.pairs[index];
        match &pending.expect {
            Expect::Status(in_progress) => pair.in_progress = *in_progress,
            Expect::Classification(v) => pair.verdict = Some(*v),
            Expect::Comment(token) => pair.comments.push((token.clone(), pending.direction)),
            Expect::Twin | Expect::Owner(_) => {}
        }
        pair.phase = Phase::Pending(pending);
    }

    /// Awaits the twin of a new XDR incident.
    pub fn expect_twin(&mut self, xdr_id: String, siem_name: String, started: Instant) {
        self.twins.insert(siem_name, (xdr_id, started));
    }

    /// True when the observer should read the comments of SIEM incident `name` to judge it.
    pub fn needs_siem_comments(&self, name: &str) -> bool {
        self.by_siem.get(name).is_some_and(|&i| {
            matches!(&self.pairs[i].phase, Phase::Pending(p) if matches!(p.expect, Expect::Comment(_)))
        })
    }

    /// Judges an XDR incident the observer read at `at`.
    pub fn observe_xdr(&mut self, incident: &Value, at: Instant) {
        let id = incident["id"].as_str().unwrap_or_default();
        if let Some(&index) = self.by_xdr.get(id) {
            let changed = xdr_changed_at(incident).ok();
            self.observe(index, Direction::SiemToXdr, changed, at, |e| {
                e.seen_on_xdr(incident)
            });
        }
    }

    /// Judges a SIEM incident the observer read at `at`, with its comments' messages when it read them.
    pub fn observe_siem(&mut self, incident: &Value, comments: &[String], at: Instant) {
        let name = incident["name"].as_str().unwrap_or_default();
        if let Some((xdr_id, started)) = self.twins.remove(name) {
            self.samples.push(Sample {
                direction: Direction::XdrToSiem,
                kind: Kind::NewIncident,
                latency: at.saturating_duration_since(started),
            });
            self.add(xdr_id, name.to_owned());
            let index = self.pairs.len() - 1;
            self.free.pop_back();
            self.pairs[index].phase = Phase::Settling {
                direction: Direction::XdrToSiem,
                kind: Kind::NewIncident,
                origin_changed: Timestamp::now(),
                until: at + self.settle,
            };
            return;
        }
        if let Some(&index) = self.by_siem.get(name) {
            let changed = siem_changed_at(incident).ok();
            self.observe(index, Direction::XdrToSiem, changed, at, |e| {
                e.seen_on_siem(incident, comments)
            });
        }
    }

    /// `arrives` is the direction whose changes this side receives; the other direction's changes
    /// originate here and are watched for bounces.
    fn observe(
        &mut self,
        index: usize,
        arrives: Direction,
        changed: Option<Timestamp>,
        at: Instant,
        seen: impl Fn(&Expect) -> bool,
    ) {
        let settle = self.settle;
        let pair = &mut self.pairs[index];
        let bounced = match &mut pair.phase {
            Phase::Pending(p) if p.direction == arrives => {
                if seen(&p.expect) {
                    self.samples.push(Sample {
                        direction: p.direction,
                        kind: p.kind,
                        latency: at.saturating_duration_since(p.started),
                    });
                    pair.phase = Phase::Settling {
                        direction: p.direction,
                        kind: p.kind,
                        origin_changed: p.origin_changed.clone(),
                        until: at + settle,
                    };
                }
                None
            }
            Phase::Pending(Pending {
                direction,
                kind,
                origin_changed,
                ..
            })
            | Phase::Settling {
                direction,
                kind,
                origin_changed,
                ..
            } if *direction != arrives && *kind != Kind::NewIncident => {
                advanced(origin_changed, changed.clone()).then_some((*direction, *kind))
            }
            _ => None,
        };
        if let Some((direction, kind)) = bounced {
            *self.bounced.entry((direction, kind)).or_default() += 1;
            let pair = &self.pairs[index];
            self.bounce_details.push(format!(
                "bounced: {} {} on XDR {} / SIEM {}: the origin changed again at {}",
                direction.label(),
                kind.label(),
                pair.xdr_id,
                pair.siem_name,
                changed.as_ref().map_or("?", Timestamp::as_str)
            ));
        }
    }

    /// Frees the pairs whose settling time is over.
    pub fn release_settled(&mut self, now: Instant) {
        for (index, pair) in self.pairs.iter_mut().enumerate() {
            if matches!(pair.phase, Phase::Settling { until, .. } if until <= now) {
                pair.phase = Phase::Free;
                self.free.push_back(index);
            }
        }
    }

    /// Changes still awaited on the other side, by direction and kind.
    pub fn outstanding(&self) -> BTreeMap<(Direction, Kind), usize> {
        let mut out = BTreeMap::new();
        for pair in &self.pairs {
            if let Phase::Pending(p) = &pair.phase {
                *out.entry((p.direction, p.kind)).or_default() += 1;
            }
        }
        if !self.twins.is_empty() {
            out.insert((Direction::XdrToSiem, Kind::NewIncident), self.twins.len());
        }
        out
    }

    /// Every change still awaited: the pair (for a new incident, a pair not yet in the pool) and the
    /// change.
    pub fn awaited(&self) -> Vec<(PairInfo, Direction, Kind, Option<Expect>)> {
        let mut out: Vec<_> = self
            .pairs
            .iter()
            .filter_map(|pair| match &pair.phase {
                Phase::Pending(p) => {
                    Some((pair.clone(), p.direction, p.kind, Some(p.expect.clone())))
                }
                _ => None,
            })
            .collect();
        for (name, (xdr_id, _)) in &self.twins {
            let pair = PairInfo {
                xdr_id: xdr_id.clone(),
                siem_name: name.clone(),
                in_progress: false,
                verdict: None,
                comments: Vec::new(),
                phase: Phase::Free,
            };
            out.push((pair, Direction::XdrToSiem, Kind::NewIncident, None));
        }
        out
    }

    /// True while any pair is pending or settling.
    pub fn busy(&self) -> bool {
        !self.twins.is_empty()
            || self
                .pairs
                .iter()
                .any(|p| matches!(p.phase, Phase::Pending(_) | Phase::Settling { .. }))
    }
}

/// True (and `recorded` moves on) when `seen` is a later change than `recorded`.
fn advanced(recorded: &mut Timestamp, seen: Option<Timestamp>) -> bool {
    match seen {
        Some(seen) if seen.instant() > recorded.instant() => {
            *recorded = seen;
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tracker() -> Tracker {
        Tracker::new(
            vec![("1".into(), "n1".into()), ("2".into(), "n2".into())],
            Duration::from_secs(1),
        )
    }

    fn pending(direction: Direction, expect: Expect, t0: Instant) -> Pending {
        Pending {
            direction,
            kind: Kind::Status,
            expect,
            started: t0,
            origin_changed: Timestamp::parse("2026-01-01T00:00:01Z").unwrap(),
        }
    }

    #[test]
    fn a_change_is_measured_once_then_settles_and_frees_its_pair() {
        let mut t = tracker();
        let t0 = Instant::now();
        let (index, pair) = t.check_out().unwrap();
        assert_eq!(pair.xdr_id, "1");
        t.written(
            index,
            pending(Direction::XdrToSiem, Expect::Status(true), t0),
        );
        let stale = json!({"name": "n1", "properties": {"status": "New", "lastModifiedTimeUtc": "2026-01-01T00:00:00Z"}});
        t.observe_siem(&stale, &[], t0 + Duration::from_millis(100));
        assert!(t.samples.is_empty());
        let fresh = json!({"name": "n1", "properties": {"status": "Active", "lastModifiedTimeUtc": "2026-01-01T00:00:02Z"}});
        t.observe_siem(&fresh, &[], t0 + Duration::from_millis(300));
        t.observe_siem(&fresh, &[], t0 + Duration::from_millis(400));
        assert_eq!(t.samples.len(), 1);
        assert_eq!(t.samples[0].latency, Duration::from_millis(300));
        assert!(t.outstanding().is_empty() && t.busy());
        t.release_settled(t0 + Duration::from_secs(2));
        assert!(!t.busy());
        assert_eq!(t.check_out().unwrap().0, 1);
        assert_eq!(t.check_out().unwrap().0, 0);
    }

    #[test]
    fn a_later_origin_change_is_a_bounce_and_an_earlier_one_is_not() {
        let mut t = tracker();
        let t0 = Instant::now();
        let (index, _) = t.check_out().unwrap();
        t.written(
            index,
            pending(Direction::XdrToSiem, Expect::Status(true), t0),
        );
        let mine = json!({"id": "1", "status": "inProgress", "lastUpdateDateTime": "2026-01-01T00:00:01Z"});
        let older =
            json!({"id": "1", "status": "active", "lastUpdateDateTime": "2026-01-01T00:00:00Z"});
        t.observe_xdr(&mine, t0);
        t.observe_xdr(&older, t0);
        assert!(t.bounced.is_empty());
        let echo = json!({"id": "1", "status": "inProgress", "lastUpdateDateTime": "2026-01-01T00:00:05Z"});
        t.observe_xdr(&echo, t0);
        t.observe_xdr(&echo, t0);
        assert_eq!(t.bounced[&(Direction::XdrToSiem, Kind::Status)], 1);
    }

    #[test]
    fn new_incidents_join_the_pool_after_settling() {
        let mut t = tracker();
        let t0 = Instant::now();
        t.expect_twin("3".into(), "n3".into(), t0);
        assert_eq!(
            t.outstanding()[&(Direction::XdrToSiem, Kind::NewIncident)],
            1
        );
        t.observe_siem(&json!({"name": "n3"}), &[], t0 + Duration::from_millis(50));
        assert_eq!(t.samples[0].kind, Kind::NewIncident);
        assert!(t.outstanding().is_empty());
        t.check_out();
        t.check_out();
        assert!(t.check_out().is_none(), "the new pair is still settling");
        t.release_settled(t0 + Duration::from_secs(5));
        assert_eq!(t.check_out().unwrap().1.xdr_id, "3");
        assert!(!t.needs_siem_comments("n3"));
    }
}
