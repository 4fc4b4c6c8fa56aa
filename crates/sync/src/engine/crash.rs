//! Crash points, a test aid: `TANDEM_SYNC_CRASH_AT=<step>:<n>` makes the connector abort its process
//! (as `kill -9` would stop it: no cleanup, no flush) right after the n-th time it passes the named
//! step. Tests use it to prove that a restart after a crash at any step of a cycle neither loses nor
//! doubles a change. Unset, it costs one branch per step.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable `tandem sync` reads its crash point from, once, at start.
pub const CRASH_AT_ENV: &str = "TANDEM_SYNC_CRASH_AT";

/// A point of a pair's cycle the connector can crash right after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Both sides of a pair were read; nothing is decided yet.
    Read,
    /// The plan, the new base and the conflicts were committed.
    Commit,
    /// A planned write changed its target, and is not yet marked done.
    Write,
    /// A write was marked done.
    Done,
    /// An XDR version's table rows were sent, and its landing is not yet recorded.
    Rows,
    /// A poll's watermark advanced.
    Watermark,
}

impl Step {
    /// Every step, in cycle order.
    pub const ALL: [Step; 6] = [
        Step::Read,
        Step::Commit,
        Step::Write,
        Step::Done,
        Step::Rows,
        Step::Watermark,
    ];

    /// Its name in `TANDEM_SYNC_CRASH_AT`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Read => "read",
            Step::Commit => "commit",
            Step::Write => "write",
            Step::Done => "done",
            Step::Rows => "rows",
            Step::Watermark => "watermark",
        }
    }
}

/// A `TANDEM_SYNC_CRASH_AT` value the connector cannot use.
#[derive(Debug, thiserror::Error)]
#[error(
    "{CRASH_AT_ENV} = {value:?}: expected <step>:<n> with n at least 1 and step one of read, commit, write, done, rows, watermark"
)]
pub struct CrashPointError {
    /// The offending value.
    pub value: String,
}

/// Where to crash: after the `nth` pass of `step`.
#[derive(Debug)]
pub struct CrashPoint {
    step: Step,
    nth: u64,
    passed: AtomicU64,
}

impl CrashPoint {
    /// The crash point `TANDEM_SYNC_CRASH_AT` names, if it is set.
    pub fn from_env() -> Result<Option<CrashPoint>, CrashPointError> {
        std::env::var(CRASH_AT_ENV)
            .ok()
            .map(|value| value.parse())
            .transpose()
    }

    /// Counts a pass of `step`; aborts the process at the chosen one.
    pub(crate) fn pass(&self, step: Step) {
        if step == self.step && self.passed.fetch_add(1, Ordering::SeqCst) + 1 == self.nth {
            eprintln!(
                "tandem sync: crashing after {}:{} ({CRASH_AT_ENV})",
                step.name(),
                self.nth
            );
            std::process::abort();
        }
    }
}

impl FromStr for CrashPoint {
    type Err = CrashPointError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let error = || CrashPointError {
            value: value.to_owned(),
        };
        let (name, nth) = value.split_once(':').ok_or_else(error)?;
        let step = Step::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(error)?;
        let nth: u64 = nth.parse().map_err(|_| error())?;
        if nth == 0 {
            return Err(error());
        }
        Ok(CrashPoint {
            step,
            nth,
            passed: AtomicU64::new(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_read_step_and_count() {
        let point: CrashPoint = "write:3".parse().unwrap();
        assert_eq!((point.step, point.nth), (Step::Write, 3));
        point.pass(Step::Write);
        point.pass(Step::Commit);
        point.pass(Step::Write);
        assert_eq!(point.passed.load(Ordering::SeqCst), 2);
        for bad in ["write", "write:0", "write:x", "later:1", ""] {
            let error = bad.parse::<CrashPoint>().unwrap_err();
            assert!(error.to_string().contains(&format!("{bad:?}")), "{error}");
        }
    }
}
