//! Retry policy for token endpoint requests: Kafka Java's and librdkafka's semantics, plus
//! `Retry-After` and caller-supplied jitter. Pure: the host sleeps for the delays returned.

use std::time::{Duration, UNIX_EPOCH};

use crate::config::{Config, Dialect};
use crate::error::{fail, ErrorKind, Result};

/// The statuses Kafka's Java client never retries (`HttpJwtRetriever.UNRETRYABLE_HTTP_CODES`).
pub const KAFKA_UNRETRYABLE_STATUSES: &[u16] =
    &[400, 401, 402, 403, 404, 405, 406, 407, 409, 410, 411, 412, 413, 414, 415, 501, 505];

/// The statuses librdkafka retries (`rdhttp.c`); it retries nothing else, not even transport errors.
pub const LIBRDKAFKA_RETRYABLE_STATUSES: &[u16] = &[408, 425, 429, 500, 502, 503, 504];

/// Whether Kafka's Java client retries a response with this status (every status not in
/// [`KAFKA_UNRETRYABLE_STATUSES`]).
pub fn is_retryable_status(status: u16) -> bool {
    !KAFKA_UNRETRYABLE_STATUSES.contains(&status)
}

/// Which client's retry rules.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryStyle {
    /// `Retry.execute`: exponential from `backoff_ms`, within a total window of `max_ms`.
    KafkaJava,
    /// `rd_http_req_perform_sync`: 5 attempts, sleeping 5, 10, 15, 20 s.
    Librdkafka,
}

/// A retry policy. Kafka Java semantics: after failed attempt *n* wait
/// `min(backoff_ms · 2^(n-1), end − now)` where `end = start + max_ms`, stop when that is ≤ 0 or
/// the status is unretryable; the **first** error is the one to report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// The rules.
    pub style: RetryStyle,
    /// `sasl.login.retry.backoff.ms`.
    pub backoff_ms: u64,
    /// `sasl.login.retry.backoff.max.ms`: the total retry window.
    pub max_ms: u64,
    /// Honour `Retry-After` on 429 and 503 (never waits less than the server asks; gives up if
    /// the server asks past the window). Kafka ignores it; on by default here.
    pub honor_retry_after: bool,
    /// Up to this fraction of each delay is taken off at random (0 = Kafka's behaviour).
    pub jitter: f64,
}

/// One failed attempt, as the host saw it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failure<'a> {
    /// The HTTP status, or `None` for a transport error (connect, TLS, timeout).
    pub status: Option<u16>,
    /// The `Retry-After` header, if any (seconds or an HTTP date).
    pub retry_after: Option<&'a str>,
}

impl RetryPolicy {
    /// Kafka Java's policy; refuses what `Retry`'s constructor refuses.
    pub fn kafka_java(backoff_ms: u64, max_ms: u64) -> Result<Self> {
        if max_ms < backoff_ms {
            return fail(
                ErrorKind::InvalidConfig,
                format!("retryBackoffMaxMs value ({max_ms}) is less than retryBackoffMs value ({backoff_ms})"),
            );
        }
        Ok(Self { style: RetryStyle::KafkaJava, backoff_ms, max_ms, honor_retry_after: true, jitter: 0.0 })
    }

    /// librdkafka's policy.
    pub fn librdkafka() -> Self {
        Self { style: RetryStyle::Librdkafka, backoff_ms: 5_000, max_ms: 50_000, honor_retry_after: true, jitter: 0.0 }
    }

    /// The policy a [`Config`] implies.
    pub fn from_config(config: &Config) -> Result<Self> {
        match config.dialect {
            Dialect::KafkaJava => Self::kafka_java(config.retry_backoff_ms, config.retry_backoff_max_ms),
            Dialect::Librdkafka => Ok(Self::librdkafka()),
        }
    }

    /// Starts a series of attempts at `now_ms`.
    pub fn start(&self, now_ms: u64) -> RetryState {
        RetryState { policy: *self, end_ms: now_ms.saturating_add(self.max_ms), attempts: 0 }
    }

    fn retries(&self, status: Option<u16>) -> bool {
        match (self.style, status) {
            (RetryStyle::KafkaJava, None) => true,
            (RetryStyle::KafkaJava, Some(s)) => is_retryable_status(s),
            (RetryStyle::Librdkafka, None) => false,
            (RetryStyle::Librdkafka, Some(s)) => LIBRDKAFKA_RETRYABLE_STATUSES.contains(&s),
        }
    }
}

/// The state of one series of attempts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryState {
    policy: RetryPolicy,
    end_ms: u64,
    attempts: u32,
}

impl RetryState {
    /// How many attempts have failed so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Records a failed attempt at `now_ms` and returns how long to wait before the next one, or
    /// `None` to give up (report the first error). `random01` is a uniform draw in `[0, 1)` for
    /// jitter (ignored when the policy's jitter is 0).
    pub fn next_delay_ms(&mut self, now_ms: u64, failure: Failure<'_>, random01: f64) -> Option<u64> {
        self.attempts += 1;
        let policy = self.policy;
        if !policy.retries(failure.status) {
            return None;
        }
        let base = match policy.style {
            RetryStyle::KafkaJava => {
                if now_ms > self.end_ms {
                    return None;
                }
                let exp = policy.backoff_ms.saturating_mul(1u64.checked_shl(self.attempts - 1).unwrap_or(u64::MAX));
                exp.min(self.end_ms - now_ms)
            }
            RetryStyle::Librdkafka => {
                if self.attempts >= 5 {
                    return None;
                }
                5_000 * u64::from(self.attempts)
            }
        };
        if base == 0 {
            return None;
        }
        let jittered = if policy.jitter > 0.0 {
            let cut = (base as f64 * policy.jitter.clamp(0.0, 1.0) * random01.clamp(0.0, 1.0)) as u64;
            base - cut.min(base)
        } else {
            base
        };
        let asked = if policy.honor_retry_after && matches!(failure.status, Some(429 | 503)) {
            failure.retry_after.and_then(|v| retry_after_ms(v, now_ms))
        } else {
            None
        };
        match asked {
            Some(ms) if ms > jittered => {
                let window_end = match policy.style {
                    RetryStyle::KafkaJava => self.end_ms,
                    RetryStyle::Librdkafka => u64::MAX,
                };
                (now_ms.saturating_add(ms) <= window_end).then_some(ms)
            }
            _ => Some(jittered),
        }
    }
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay seconds, or an HTTP date relative to `now_ms`.
pub fn retry_after_ms(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = u64::try_from(at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis()).ok()?;
    Some(at_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16) -> Failure<'static> {
        Failure { status: Some(status), retry_after: None }
    }

    #[test]
    fn kafka_defaults_attempt_at_documented_times() {
        // Attempts at about t=0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 10.0 s (requests take no time).
        let policy = RetryPolicy::kafka_java(100, 10_000).unwrap_or_else(|e| panic!("{e}"));
        let mut state = policy.start(0);
        let (mut now, mut times) = (0u64, vec![0u64]);
        while let Some(d) = state.next_delay_ms(now, failure(500), 0.0) {
            now += d;
            times.push(now);
        }
        assert_eq!(times, [0, 100, 300, 700, 1500, 3100, 6300, 10000]);
        assert_eq!(state.attempts(), 8);
    }

    #[test]
    fn unretryable_statuses_stop_at_once() {
        let policy = RetryPolicy::kafka_java(100, 10_000).unwrap_or_else(|e| panic!("{e}"));
        for s in KAFKA_UNRETRYABLE_STATUSES {
            assert_eq!(policy.start(0).next_delay_ms(0, failure(*s), 0.0), None, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(policy.start(0).next_delay_ms(0, failure(s), 0.0), Some(100), "{s}");
        }
        assert_eq!(policy.start(0).next_delay_ms(0, Failure::default(), 0.0), Some(100));
        assert_eq!(RetryPolicy::kafka_java(200, 100).err().map(|e| e.code()), Some("invalid_config"));
    }

    #[test]
    fn librdkafka_is_linear_and_status_limited() {
        let policy = RetryPolicy::librdkafka();
        let mut state = policy.start(0);
        let delays: Vec<u64> = std::iter::from_fn(|| state.next_delay_ms(0, failure(503), 0.0)).collect();
        assert_eq!(delays, [5_000, 10_000, 15_000, 20_000]);
        assert_eq!(policy.start(0).next_delay_ms(0, failure(501), 0.0), None);
        assert_eq!(policy.start(0).next_delay_ms(0, Failure::default(), 0.0), None);
    }

    #[test]
    fn retry_after_and_jitter() {
        let policy = RetryPolicy::kafka_java(100, 10_000).unwrap_or_else(|e| panic!("{e}"));
        let ask = |v: &'static str| {
            policy.start(0).next_delay_ms(0, Failure { status: Some(429), retry_after: Some(v) }, 0.0)
        };
        assert_eq!(ask("2"), Some(2_000));
        assert_eq!(ask("60"), None, "past the 10 s window: give up");
        assert_eq!(ask("Thu, 01 Jan 1970 00:00:03 GMT"), Some(3_000));
        assert_eq!(ask("garbage"), Some(100));
        let jittery = RetryPolicy { jitter: 0.5, ..policy };
        assert_eq!(jittery.start(0).next_delay_ms(0, failure(500), 0.5), Some(75));
    }
}
