//! When and how long to wait before repeating a failed request.
//!
//! Graph, ARM and Logs Ingestion all throttle with `429 Too Many Requests` (and sometimes `503`) and a
//! `Retry-After` header, and all have the odd transient `5xx`. The policy here honours `Retry-After`
//! when the server sends one and otherwise backs off exponentially with full jitter, so that many
//! clients throttled at once do not come back in lockstep. Every retry loop is bounded twice: by a
//! number of attempts and by the total time spent waiting. The token endpoint and the APIs share the
//! rules here for judging one attempt's outcome.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::counters::ClientCounters;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; 1 turns retries off.
    pub max_attempts: u32,
    /// Milliseconds of the first backoff; each later one may be twice as long.
    pub initial_backoff_ms: u64,
    /// Milliseconds a single backoff may last at most.
    pub max_backoff_ms: u64,
    /// Milliseconds all waits of one request may add up to; a `Retry-After` that would pass this ends the
    /// request with the throttling error instead.
    pub max_total_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
            max_total_wait_ms: 120_000,
        }
    }
}

/// What one attempt came to.
pub(crate) enum Attempt<T, E> {
    /// Success, or a failure that repeating cannot fix.
    Finished(Result<T, E>),
    /// A failure worth another attempt after the given wait.
    Retry {
        /// The failure, returned if no attempt is left.
        error: E,
        /// How long to wait first.
        wait: Wait,
    },
}

/// How long to wait before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Exponential backoff with full jitter.
    Backoff,
    /// Exactly what the server asked for in `Retry-After`.
    ServerSaid(Duration),
    /// No wait (the retry fixes the cause itself, such as a refreshed token).
    Immediately,
}

/// One request's response, read in full.
pub(crate) struct Exchange {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends a request and reads its whole response.
pub(crate) async fn exchange(request: reqwest::RequestBuilder) -> Result<Exchange, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    Ok(Exchange {
        status,
        headers,
        body,
    })
}

impl<T, E> Attempt<T, E> {
    /// The verdict on a request that failed in transport: backoff and retry when the connection never
    /// opened, or when the request `may_repeat` and could be built at all; otherwise final.
    /// `wrap` turns the transport error into the caller's error type.
    pub(crate) fn after_transport_failure(
        source: reqwest::Error,
        may_repeat: bool,
        wrap: impl FnOnce(reqwest::Error) -> E,
    ) -> Self {
        let retryable = source.is_connect() || (may_repeat && !source.is_builder());
        let error = wrap(source);
        if retryable {
            Attempt::Retry {
                error,
                wait: Wait::Backoff,
            }
        } else {
            Attempt::Finished(Err(error))
        }
    }

    /// The verdict on an error status: retried after `Retry-After` (or backoff) when the status is
    /// transient and the request `may_repeat`; otherwise final. Throttling responses are counted.
    pub(crate) fn after_error_status(
        error: E,
        exchange: &Exchange,
        may_repeat: bool,
        counters: &ClientCounters,
    ) -> Self {
        if is_throttle(exchange.status) {
            counters.count_throttle();
        }
        if is_transient(exchange.status) && may_repeat {
            Attempt::Retry {
                error,
                wait: Wait::from_headers(&exchange.headers),
            }
        } else {
            Attempt::Finished(Err(error))
        }
    }
}

impl Wait {
    /// The server's `Retry-After` if it sent one, otherwise backoff.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Wait {
        retry_after(headers, SystemTime::now()).map_or(Wait::Backoff, Wait::ServerSaid)
    }
}

impl RetryPolicy {
    /// Checks the values serde alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::invalid(
                "retry.max_attempts",
                "0",
                "must be at least 1",
            ));
        }
        if self.initial_backoff_ms > self.max_backoff_ms {
            return Err(ConfigError::invalid(
                "retry.initial_backoff_ms",
                &self.initial_backoff_ms.to_string(),
                "must not exceed retry.max_backoff_ms",
            ));
        }
        Ok(())
    }

    /// The longest backoff allowed after the given failed attempt (1-based): the initial backoff doubled
    /// for each earlier attempt, capped at `max_backoff_ms`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let ms = self
            .initial_backoff_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_backoff_ms);
        Duration::from_millis(ms)
    }

    /// A backoff drawn uniformly between zero and [`RetryPolicy::backoff_ceiling`] ("full jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = u64::try_from(self.backoff_ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=ceiling))
    }

    /// Runs `attempt` (given the 1-based attempt number) until it finishes, the attempts run out, or the
    /// next wait would pass the total wait budget. Each retry is counted in `counters`.
    pub(crate) async fn run<T, E, F, Fut>(
        &self,
        counters: &ClientCounters,
        mut attempt: F,
    ) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Attempt<T, E>>,
    {
        let budget = Duration::from_millis(self.max_total_wait_ms);
        let mut waited = Duration::ZERO;
        let mut number = 1;
        loop {
            let (error, wait) = match attempt(number).await {
                Attempt::Finished(result) => return result,
                Attempt::Retry { error, wait } => (error, wait),
            };
            let delay = match wait {
                Wait::Backoff => self.backoff(number),
                Wait::ServerSaid(delay) => delay,
                Wait::Immediately => Duration::ZERO,
            };
            if number >= self.max_attempts || waited.saturating_add(delay) > budget {
                return Err(error);
            }
            counters.count_retry();
            tracing::debug!(attempt = number, ?delay, %error, "retrying");
            tokio::time::sleep(delay).await;
            waited += delay;
            number += 1;
        }
    }
}

/// Statuses that mean "try again later": throttling (429), request timeout (408) and server errors,
/// except those that say the server will never handle the request (501, 505).
fn is_transient(status: StatusCode) -> bool {
    let permanent = [
        StatusCode::NOT_IMPLEMENTED,
        StatusCode::HTTP_VERSION_NOT_SUPPORTED,
    ];
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || (status.is_server_error() && !permanent.contains(&status))
}

/// Statuses that mean the server is shedding load.
pub(crate) fn is_throttle(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
}

/// The wait a `Retry-After` header asks for, as delay-seconds or as an HTTP date (a date in the past
/// means no wait). `None` when the header is absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds() {
        let now = SystemTime::now();
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_after(&headers(" 0 "), now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_reads_http_dates() {
        let now = httpdate::parse_http_date("Tue, 24 Nov 2026 06:00:00 GMT").unwrap();
        let later = headers("Tue, 24 Nov 2026 06:00:42 GMT");
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(42)));
        let earlier = headers("Tue, 24 Nov 2026 05:59:00 GMT");
        assert_eq!(retry_after(&earlier, now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_ignores_garbage_and_absence() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&headers("-3"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_it() {
        let policy = RetryPolicy {
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..RetryPolicy::default()
        };
        let ceilings: Vec<u64> = (1..=6)
            .map(|n| policy.backoff_ceiling(n).as_millis() as u64)
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(
            policy.backoff_ceiling(u32::MAX),
            Duration::from_millis(1_000)
        );
        for attempt in 1..=6 {
            for _ in 0..50 {
                assert!(policy.backoff(attempt) <= policy.backoff_ceiling(attempt));
            }
        }
    }

    #[test]
    fn transient_statuses_are_the_ones_worth_repeating() {
        let transient: Vec<u16> = (400..600)
            .filter_map(|code| StatusCode::from_u16(code).ok())
            .filter(|status| is_transient(*status))
            .map(|status| status.as_u16())
            .filter(|code| [408, 429, 500, 501, 502, 503, 504, 505, 507, 404, 412].contains(code))
            .collect();
        assert_eq!(transient, [408, 429, 500, 502, 503, 504, 507]);
        assert!(
            is_throttle(StatusCode::TOO_MANY_REQUESTS)
                && is_throttle(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert!(!is_throttle(StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[test]
    fn validate_names_the_field() {
        let zero = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        let message = zero.validate().unwrap_err().to_string();
        assert!(message.contains("retry.max_attempts"), "{message}");
        let inverted = RetryPolicy {
            initial_backoff_ms: 5,
            max_backoff_ms: 1,
            ..RetryPolicy::default()
        };
        let message = inverted.validate().unwrap_err().to_string();
        assert!(message.contains("retry.initial_backoff_ms"), "{message}");
    }
}
