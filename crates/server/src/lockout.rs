//! Throttling of failed authentication, so a client secret cannot be guessed at speed.
//!
//! Both servers take an app's client id and secret in two places: the token endpoint and the console's
//! sign-in. Generated secrets are long, but an operator may configure a short one, so every failure
//! counts against two keys:
//!
//! - the **source address**: after [`FREE_FAILURES_PER_ADDRESS`] failures, each further failure locks
//!   the address out for twice as long as the last (1 s, 2 s, 4 s ... up to [`MAX_LOCKOUT`]), whatever
//!   client id it tries next;
//! - the **client id** (registered apps only, so unknown ids cannot grow the table): after
//!   [`FREE_FAILURES_PER_CLIENT`] failures from anywhere the app is locked the same way, except from
//!   addresses where it signed in successfully within [`FAMILIAR_FOR`]. This is the "familiar
//!   location" rule of smart lockout: an attacker spreading guesses over many addresses is slowed,
//!   while the app's own hosts keep working.
//!
//! A locked attempt is refused before the secret is compared, with the time left, which the caller
//! turns into `429 Too Many Requests` with `Retry-After`. Every failure and every lockout writes an
//! audit line (target `tandem::audit`). Failures are forgotten after [`FORGET_AFTER`] without one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an address may make before it is locked out.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 5;
/// Failures against one app, from addresses it does not know, before it is locked for them.
pub const FREE_FAILURES_PER_CLIENT: u32 = 20;
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// How long without a failure before the count starts again.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// How long an address where an app signed in stays familiar to it.
pub const FAMILIAR_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// Addresses tracked one by one; past this, new addresses share one count.
const MAX_TRACKED_ADDRESSES: usize = 65_536;

/// Failures counted against one key.
#[derive(Debug, Clone, Copy)]
struct Strikes {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

impl Strikes {
    fn new(now: Instant) -> Self {
        Strikes {
            failures: 0,
            last_failure: now,
            locked_until: None,
        }
    }

    fn is_stale(&self, now: Instant) -> bool {
        now.duration_since(self.last_failure) >= FORGET_AFTER
            && self.locked_until.is_none_or(|until| until <= now)
    }

    fn remaining(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Counts a failure; returns the new lockout when this failure starts one.
    fn fail(&mut self, now: Instant, free: u32) -> Option<Duration> {
        if self.is_stale(now) {
            *self = Strikes::new(now);
        }
        self.failures = self.failures.saturating_add(1);
        self.last_failure = now;
        let over = self.failures.checked_sub(free).filter(|n| *n > 0)?;
        let lockout = Duration::from_secs(1u64 << (over - 1).min(20)).min(MAX_LOCKOUT);
        self.locked_until = Some(now + lockout);
        Some(lockout)
    }
}

#[derive(Debug, Default)]
struct ClientRecord {
    strikes: Option<Strikes>,
    familiar: HashMap<IpAddr, Instant>,
}

#[derive(Debug, Default)]
struct Counts {
    /// `None` is the shared count of addresses past [`MAX_TRACKED_ADDRESSES`] (and of callers whose
    /// address is unknown).
    addresses: HashMap<Option<IpAddr>, Strikes>,
    clients: HashMap<String, ClientRecord>,
}

/// The failed-authentication counts of one server.
#[derive(Debug, Default)]
pub struct CredentialThrottle {
    counts: Mutex<Counts>,
}

impl CredentialThrottle {
    /// How long `peer` must wait before trying `client_id` again, or `None` when it may try now.
    pub fn locked_for(&self, client_id: &str, peer: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let counts = self.lock();
        let by_address = counts
            .addresses
            .get(&counts.lookup_key(peer))
            .and_then(|s| s.remaining(now));
        let by_client = counts.clients.get(client_id).and_then(|record| {
            let familiar = peer.is_some_and(|ip| record.is_familiar(ip, now));
            record
                .strikes
                .filter(|_| !familiar)
                .and_then(|s| s.remaining(now))
        });
        by_address.max(by_client)
    }

    /// Counts a failed attempt. `known_app` says whether `client_id` is a registered app.
    pub fn record_failure(&self, client_id: &str, known_app: bool, peer: Option<IpAddr>) {
        let now = Instant::now();
        let mut counts = self.lock();
        let key = counts.address_key(peer);
        let by_address = counts
            .addresses
            .entry(key)
            .or_insert_with(|| Strikes::new(now))
            .fail(now, FREE_FAILURES_PER_ADDRESS);
        let by_client = known_app
            .then(|| {
                let record = counts.clients.entry(client_id.to_owned()).or_default();
                record
                    .strikes
                    .get_or_insert_with(|| Strikes::new(now))
                    .fail(now, FREE_FAILURES_PER_CLIENT)
            })
            .flatten();
        let address = peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        tracing::warn!(target: "tandem::audit", client_id, address, "failed authentication");
        if let Some(lockout) = by_address.max(by_client) {
            tracing::warn!(
                target: "tandem::audit",
                client_id,
                address,
                lockout_secs = lockout.as_secs(),
                "authentication locked out after repeated failures"
            );
        }
    }

    /// Counts a successful sign-in: `peer` becomes familiar to `client_id`.
    pub fn record_success(&self, client_id: &str, peer: Option<IpAddr>) {
        let Some(ip) = peer else { return };
        let now = Instant::now();
        let mut counts = self.lock();
        let record = counts.clients.entry(client_id.to_owned()).or_default();
        record
            .familiar
            .retain(|_, seen| now.duration_since(*seen) < FAMILIAR_FOR);
        record.familiar.insert(ip, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Counts {
    /// The key `peer` is counted under now, without making room for it.
    fn lookup_key(&self, peer: Option<IpAddr>) -> Option<IpAddr> {
        if self.addresses.contains_key(&peer) || self.addresses.len() < MAX_TRACKED_ADDRESSES {
            peer
        } else {
            None
        }
    }

    /// The key `peer` counts under: itself while there is room, else the shared overflow count.
    fn address_key(&mut self, peer: Option<IpAddr>) -> Option<IpAddr> {
        if peer.is_none() || self.addresses.contains_key(&peer) {
            return peer;
        }
        if self.addresses.len() >= MAX_TRACKED_ADDRESSES {
            let now = Instant::now();
            self.addresses.retain(|_, s| !s.is_stale(now));
        }
        if self.addresses.len() >= MAX_TRACKED_ADDRESSES {
            None
        } else {
            peer
        }
    }
}

impl ClientRecord {
    fn is_familiar(&self, ip: IpAddr, now: Instant) -> bool {
        self.familiar
            .get(&ip)
            .is_some_and(|seen| now.duration_since(*seen) < FAMILIAR_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([127, 0, 0, last]))
    }

    #[test]
    fn an_address_is_locked_after_its_free_failures_and_the_lock_doubles() {
        let throttle = CredentialThrottle::default();
        for _ in 0..FREE_FAILURES_PER_ADDRESS {
            assert_eq!(throttle.locked_for("app", ip(2)), None);
            throttle.record_failure("app", true, ip(2));
        }
        assert_eq!(throttle.locked_for("app", ip(2)), None);
        throttle.record_failure("app", true, ip(2));
        let first = throttle.locked_for("other-app", ip(2)).expect("locked");
        assert!(first <= Duration::from_secs(1) && first > Duration::ZERO);
        throttle.record_failure("app", true, ip(2));
        let second = throttle.locked_for("app", ip(2)).expect("locked");
        assert!(second > Duration::from_secs(1), "{second:?}");
        assert_eq!(throttle.locked_for("app", ip(3)), None, "other addresses");
    }

    #[test]
    fn an_app_under_attack_still_signs_in_from_familiar_addresses() {
        let throttle = CredentialThrottle::default();
        throttle.record_success("app", ip(1));
        for n in 0..=FREE_FAILURES_PER_CLIENT {
            // The attacker spreads guesses over many addresses.
            throttle.record_failure("app", true, ip(10 + u8::try_from(n).unwrap_or(0)));
        }
        assert!(throttle.locked_for("app", ip(200)).is_some(), "unfamiliar");
        assert_eq!(throttle.locked_for("app", ip(1)), None, "familiar");
        assert_eq!(throttle.locked_for("another-app", ip(200)), None);
    }

    #[test]
    fn unknown_client_ids_count_only_against_the_address() {
        let throttle = CredentialThrottle::default();
        for n in 0..100 {
            throttle.record_failure(&format!("guess-{n}"), false, ip(5));
        }
        assert!(throttle.lock().clients.is_empty());
        assert!(throttle.locked_for("anything", ip(5)).is_some());
    }

    #[test]
    fn lockouts_are_capped() {
        let mut strikes = Strikes::new(Instant::now());
        let mut last = Duration::ZERO;
        for _ in 0..100 {
            if let Some(lockout) = strikes.fail(Instant::now(), 0) {
                last = lockout;
            }
        }
        assert_eq!(last, MAX_LOCKOUT);
    }

    /// Collects what a subscriber writes, for reading back in a test.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn failures_and_lockouts_write_audit_lines() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let throttle = CredentialThrottle::default();
            for _ in 0..=FREE_FAILURES_PER_ADDRESS {
                throttle.record_failure("app", true, ip(9));
            }
        });
        let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        assert!(text.contains("tandem::audit"), "{text}");
        assert_eq!(text.matches("failed authentication").count(), 6, "{text}");
        assert!(
            text.contains("locked out") && text.contains("127.0.0.9"),
            "{text}"
        );
    }
}
