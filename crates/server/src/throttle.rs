//! A per-app request budget: `requests` calls per `window_secs`, then 429 with `Retry-After`.
//!
//! Microsoft's APIs throttle per app and tenant; clients (Tandem's own connector among them) must back
//! off when told to. A fixed window per app is enough to exercise that behaviour.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::ServerError;

/// How many requests one app may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ThrottleConfig {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl ThrottleConfig {
    pub(crate) fn check(&self) -> Result<(), ServerError> {
        if self.requests == 0 || self.window_secs == 0 {
            return Err(ServerError::Invalid(format!(
                "config throttle: requests ({}) and window_secs ({}) must both be at least 1",
                self.requests, self.window_secs
            )));
        }
        Ok(())
    }
}

/// The budget of each app in the current window.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    used: u32,
}

impl Throttle {
    /// A throttle with the given budget.
    pub fn new(config: ThrottleConfig) -> Throttle {
        Throttle {
            config,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Charges one request to `app_id`. When the budget is spent, returns how many whole seconds to wait
    /// (at least one).
    pub fn charge(&self, app_id: &str) -> Result<(), u64> {
        let now = Instant::now();
        let length = Duration::from_secs(self.config.window_secs);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry(app_id.to_owned()).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(window.started) >= length {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        if window.used < self.config.requests {
            window.used += 1;
            return Ok(());
        }
        let remaining = length.saturating_sub(now.duration_since(window.started));
        Err(remaining.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_per_app_and_retry_after_is_within_the_window() {
        let throttle = Throttle::new(ThrottleConfig {
            requests: 2,
            window_secs: 30,
        });
        assert_eq!(throttle.charge("a"), Ok(()));
        assert_eq!(throttle.charge("a"), Ok(()));
        let wait = throttle.charge("a").unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert_eq!(throttle.charge("b"), Ok(()));
    }
}
