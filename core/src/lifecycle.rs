//! The life of one cached token, as a sans-IO state machine: when to serve the cached token, when
//! to fetch a new one (one fetch in flight for every caller), how long callers may wait for it,
//! how to back off after failures, and what to do with a fetch that never returns.
//!
//! The machine does no I/O and reads no clock, in the style of rustls and quinn: the host tells it
//! what happened and when (`now_ms`), hands it any randomness, and does what it decides. The host
//! owns threads, promises, timers and sockets; the fetch itself (an HTTP request, a cloud SDK call)
//! runs on the host's side, and its outcome comes back as [`TokenLifecycle::fetch_succeeded`] or
//! [`TokenLifecycle::fetch_failed`] with the [`FetchId`] the machine gave it.
//!
//! ```
//! use oauthbearer::lifecycle::{Decision, LifecyclePolicy, TokenLifecycle};
//! use oauthbearer::{Dialect, Error};
//!
//! let mut life: TokenLifecycle<&str, Error> = TokenLifecycle::new(LifecyclePolicy::for_client(Dialect::KafkaJava));
//! let now = 1_000_000;
//! // Nothing cached: the first caller is told to start a fetch and has nothing to serve meanwhile.
//! let Decision::Fetch { fetch, serve: None } = life.want(now) else { unreachable!() };
//! // A second caller waits for that fetch, at most until the fetch deadline.
//! assert!(matches!(life.want(now + 5), Decision::Wait { until_ms, .. } if until_ms == now + 10_000));
//! // The fetch returns a token valid for an hour; every caller gets it from the cache.
//! life.fetch_succeeded(fetch, "token", now + 3_600_000, Some(now), now + 20, 0.0);
//! assert!(matches!(life.want(now + 30), Decision::Serve(&"token")));
//! ```
//!
//! # Policy
//! * **Refresh** on the selected client's schedule ([`RefreshRule`]): Kafka Java's window with
//!   jitter (`sasl.login.refresh.*`) or librdkafka's 80 % of the remaining lifetime. Past that
//!   time the next caller starts a refresh and is still served the cached token.
//! * **One fetch in flight.** While it runs, callers get the cached token if it is unexpired, else
//!   they wait for the fetch — at most until its **deadline** ([`LifecyclePolicy::fetch_timeout_ms`]).
//! * **Deadline.** A fetch still running at its deadline is *abandoned*: waiters are released with
//!   the cached token if it is still valid, else with a [`ErrorKind::FetchTimeout`] error, and the
//!   next fetch may start after the back-off. The abandoned fetch's late answer is still used if it
//!   arrives with a valid token. Abandoned fetches still hold whatever the host runs them on, so
//!   at most [`LifecyclePolicy::max_abandoned`] may be outstanding; past that no new fetch starts
//!   until one of them returns.
//! * **Failure.** A failed fetch keeps the unexpired cached token in service; callers with nothing
//!   valid to serve get the failure. The next fetch waits for the back-off ([`Backoff`]): the
//!   client's schedule for retryable failures, [`LifecyclePolicy::relogin_delay_ms`] (Kafka's and
//!   librdkafka's 10 s) for the rest, never less than a `Retry-After` the source sent (capped at
//!   [`MAX_RETRY_AFTER_MS`]).
//! * **Never serves an expired token**: a token is served only while `now < expires_at_ms`.

use std::fmt;

use crate::config::{Config, Dialect};
use crate::error::{fail, Error, ErrorKind, Result};
use crate::retry::retry_after_ms;
use crate::secret::Secret;
use crate::token::{refresh_at_java, refresh_at_librdkafka, RefreshConfig};

/// Names one fetch the machine asked the host to start.
pub type FetchId = u64;

/// How long callers wait for a fetch before they are released (10 s). Kafka's Java client has no
/// default connect or read timeout (`sasl.login.*.timeout.ms` are unset), so there is no Kafka
/// value to copy; 10 s is the time both clients give up on the same wait elsewhere:
/// confluent-kafka's constructor fails with "OAuth token not set within 10 seconds timeout", Kafka
/// Java's default retry window (`sasl.login.retry.backoff.max.ms`) is 10 s, and both clients
/// retry a failed refresh after 10 s. [`LifecyclePolicy::from_config`] uses the configured
/// connect + read timeouts instead when both are set.
pub const DEFAULT_FETCH_TIMEOUT_MS: u64 = 10_000;

/// Kafka Java (`DELAY_SECONDS_BEFORE_NEXT_RETRY_WHEN_RELOGIN_FAILS`) and librdkafka
/// (`rd_kafka_oauthbearer_set_token_failure`) retry a failed refresh after 10 s.
pub const RELOGIN_DELAY_MS: u64 = 10_000;

/// The longest `Retry-After` honoured (10 min): a source asking for more would leave callers
/// without a token for longer than any token lives.
pub const MAX_RETRY_AFTER_MS: u64 = 600_000;

/// How many abandoned fetches may be outstanding before no new fetch starts (4).
pub const DEFAULT_MAX_ABANDONED: u32 = 4;

/// When a cached token is due for refresh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RefreshRule {
    /// Kafka Java's `ExpiringCredentialRefreshingLogin` window with jitter.
    KafkaJava(RefreshConfig),
    /// librdkafka: 80 % of the remaining lifetime.
    Librdkafka,
}

/// The wait before the next fetch after consecutive retryable failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// `initial_ms · 2^(n−1)` after the *n*-th failure, capped at `max_ms` (Kafka Java's
    /// `sasl.login.retry.backoff.ms` and `.max.ms`).
    Exponential {
        /// The first wait.
        initial_ms: u64,
        /// The longest wait.
        max_ms: u64,
    },
    /// The same wait after every failure (librdkafka retries a failed refresh every 10 s).
    Fixed {
        /// The wait.
        delay_ms: u64,
    },
}

impl Backoff {
    /// The wait after the `failures`-th consecutive failure (`failures ≥ 1`).
    pub fn delay_ms(&self, failures: u32) -> u64 {
        match *self {
            Self::Exponential { initial_ms, max_ms } => {
                let factor = 1u64.checked_shl(failures.saturating_sub(1)).unwrap_or(u64::MAX);
                initial_ms.saturating_mul(factor).min(max_ms)
            }
            Self::Fixed { delay_ms } => delay_ms,
        }
    }
}

/// Everything the machine decides by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifecyclePolicy {
    /// When a cached token is due for refresh.
    pub refresh: RefreshRule,
    /// The wait after retryable failures.
    pub backoff: Backoff,
    /// Up to this fraction (0..=1) of each back-off is taken off at random (0: the clients' behaviour).
    pub backoff_jitter: f64,
    /// The wait after a failure that is not retryable (and after an expired token arrived).
    pub relogin_delay_ms: u64,
    /// How long callers wait for a fetch (see [`DEFAULT_FETCH_TIMEOUT_MS`]).
    pub fetch_timeout_ms: u64,
    /// How many abandoned fetches may be outstanding (at least 1).
    pub max_abandoned: u32,
}

impl LifecyclePolicy {
    /// The client's defaults: Kafka Java's refresh window and 100 ms → 10 s back-off, or
    /// librdkafka's 80 % rule and 10 s retries; a 10 s fetch deadline.
    pub fn for_client(dialect: Dialect) -> Self {
        let (refresh, backoff) = match dialect {
            Dialect::KafkaJava => (
                RefreshRule::KafkaJava(RefreshConfig::default()),
                Backoff::Exponential { initial_ms: 100, max_ms: RELOGIN_DELAY_MS },
            ),
            Dialect::Librdkafka => (RefreshRule::Librdkafka, Backoff::Fixed { delay_ms: RELOGIN_DELAY_MS }),
        };
        Self {
            refresh,
            backoff,
            backoff_jitter: 0.0,
            relogin_delay_ms: RELOGIN_DELAY_MS,
            fetch_timeout_ms: DEFAULT_FETCH_TIMEOUT_MS,
            max_abandoned: DEFAULT_MAX_ABANDONED,
        }
    }

    /// The policy a client configuration implies: its refresh settings (`sasl.login.refresh.*`),
    /// its back-off (`sasl.login.retry.backoff.ms` / `.max.ms`), and as the deadline its connect +
    /// read timeouts when both are set.
    pub fn from_config(config: &Config) -> Self {
        let mut policy = Self::for_client(config.dialect);
        if config.dialect == Dialect::KafkaJava {
            let r = &config.refresh;
            policy.refresh = RefreshRule::KafkaJava(RefreshConfig {
                window_factor: r.window_factor,
                window_jitter: r.window_jitter,
                min_period_seconds: r.min_period_seconds.into(),
                buffer_seconds: r.buffer_seconds.into(),
            });
            policy.backoff =
                Backoff::Exponential { initial_ms: config.retry_backoff_ms, max_ms: config.retry_backoff_max_ms };
        }
        if let (Some(connect), Some(read)) = (config.connect_timeout_ms, config.read_timeout_ms) {
            policy.fetch_timeout_ms = u64::from(connect) + u64::from(read);
        }
        policy
    }
}

/// The settings the fronts expose (`None`: the client's default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifecycleSettings {
    /// [`LifecyclePolicy::fetch_timeout_ms`].
    pub fetch_timeout_ms: Option<u64>,
    /// An exponential back-off `(initial_ms, max_ms)` instead of the client's.
    pub retry_backoff_ms: Option<(u64, u64)>,
    /// [`LifecyclePolicy::max_abandoned`].
    pub max_abandoned: Option<u32>,
}

impl LifecyclePolicy {
    /// This policy with `settings` applied; `invalid_config` for a zero deadline or bound, or a
    /// back-off whose maximum is below its start (Kafka's `Retry` refuses that too).
    pub fn with_settings(self, settings: &LifecycleSettings) -> Result<Self> {
        let mut policy = self;
        if let Some(ms) = settings.fetch_timeout_ms {
            if ms == 0 {
                return fail(ErrorKind::InvalidConfig, "the fetch timeout must be at least 1 ms");
            }
            policy.fetch_timeout_ms = ms;
        }
        if let Some((initial_ms, max_ms)) = settings.retry_backoff_ms {
            if max_ms < initial_ms {
                return fail(
                    ErrorKind::InvalidConfig,
                    format!("the back-off maximum ({max_ms} ms) is less than its start ({initial_ms} ms)"),
                );
            }
            policy.backoff = Backoff::Exponential { initial_ms, max_ms };
        }
        if let Some(n) = settings.max_abandoned {
            if n == 0 {
                return fail(ErrorKind::InvalidConfig, "at least one abandoned fetch must be allowed");
            }
            policy.max_abandoned = n;
        }
        Ok(policy)
    }
}

/// What a caller who wants a token must do now.
pub enum Decision<'a, T, E> {
    /// Use this cached token.
    Serve(&'a T),
    /// Start fetch `fetch` (the caller's host runs it and reports back). If `serve` is set, use
    /// that token now and let the fetch refresh the cache in the background; otherwise wait for
    /// the fetch (ask again: the answer will be [`Decision::Wait`]).
    Fetch {
        /// The fetch to start.
        fetch: FetchId,
        /// The cached token to use meanwhile, when one is still valid.
        serve: Option<&'a T>,
    },
    /// A fetch is in flight and nothing valid is cached: wait until it reports back or until
    /// `until_ms` (its deadline), whichever comes first, then ask again.
    Wait {
        /// The fetch waited for.
        fetch: FetchId,
        /// The deadline, epoch ms.
        until_ms: u64,
        /// `until_ms − now`, for hosts whose waits take a duration.
        wait_ms: u64,
    },
    /// Nothing valid is cached and no fetch may start yet: fail with the last failure.
    Fail(&'a E),
}

impl<T, E> fmt::Debug for Decision<'_, T, E> {
    /// Names the decision without the token or error (tokens are secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Serve(_) => f.write_str("Serve"),
            Self::Fetch { fetch, serve } => write!(f, "Fetch {{ fetch: {fetch}, serve: {} }}", serve.is_some()),
            Self::Wait { fetch, until_ms, wait_ms } => {
                write!(f, "Wait {{ fetch: {fetch}, until_ms: {until_ms}, wait_ms: {wait_ms} }}")
            }
            Self::Fail(_) => f.write_str("Fail"),
        }
    }
}

/// What became of a fetch's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// It is now the cached token.
    Cached,
    /// It was not used: an unknown or already reported fetch, or a late answer older than the
    /// cached token.
    Ignored,
    /// It had already expired when it arrived (Kafka Java logs a clock-skew warning here); it was
    /// recorded as a failure of the fetch.
    Expired,
}

impl Arrival {
    /// `cached`, `ignored` or `expired` (the name every front reports).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cached => "cached",
            Self::Ignored => "ignored",
            Self::Expired => "expired",
        }
    }
}

/// A token a host's fetch produced: the token, its expiry and issue time. `Debug` leaves out the
/// token. It serializes with the token (for [`shared`] state, which never leaves the host's memory).
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The token (a secret).
    pub token: Secret,
    /// When it expires, epoch ms.
    pub expires_at_ms: u64,
    /// When it was issued, epoch ms, if known (drives Kafka's refresh window).
    pub issued_at_ms: Option<u64>,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched").field("expires_at_ms", &self.expires_at_ms).finish_non_exhaustive()
    }
}

/// The stored form of a [`Fetched`]: the token and its expiry.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredToken {
    token: String,
    expires_at_ms: u64,
}

impl serde::Serialize for Fetched {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        StoredToken { token: self.token.expose().to_owned(), expires_at_ms: self.expires_at_ms }.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Fetched {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let stored = StoredToken::deserialize(d)?;
        Ok(Self { token: Secret::new(stored.token), expires_at_ms: stored.expires_at_ms, issued_at_ms: None })
    }
}

/// A host's failed fetch with its own error: the typed error, whether asking again soon may help,
/// and the source's `Retry-After`.
#[derive(Clone, Debug)]
pub struct FetchFailed {
    /// The error (handed to callers while no valid token is cached).
    pub error: Error,
    /// Whether the source may succeed if asked again soon (no answer, a 5xx, a 429).
    pub retryable: bool,
    /// The source's `Retry-After`, if it sent one.
    pub retry_after: Option<String>,
}

/// A failed fetch, as the host saw it.
pub struct FetchFailure<'a, E> {
    /// The host's error, handed back to callers in [`Decision::Fail`].
    pub error: E,
    /// Whether the source may succeed if asked again soon (a transport error, a 5xx); `false`
    /// waits [`LifecyclePolicy::relogin_delay_ms`].
    pub retryable: bool,
    /// The source's `Retry-After` (seconds or an HTTP date), if it sent one.
    pub retry_after: Option<&'a str>,
}

/// What a host with a timer should do after time passed ([`TokenLifecycle::poll`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    /// A fetch to start now (the token is missing or due for refresh, and no fetch runs).
    pub fetch: Option<FetchId>,
    /// When to poll next, epoch ms (a deadline, the end of a back-off or the refresh time).
    pub wake_at_ms: Option<u64>,
}

struct Cached<T> {
    value: T,
    expires_at_ms: u64,
    refresh_at_ms: u64,
}

#[derive(Clone, Copy)]
struct InFlight {
    id: FetchId,
    deadline_ms: u64,
}

/// The last failed attempt of the fetch in flight (a fetch may retry inside itself, as Kafka's
/// clients do), reported by [`TokenLifecycle::attempt_failed`]: its code and message.
#[derive(Clone, Debug)]
struct LastAttempt {
    fetch: FetchId,
    error: Error,
}

/// The lifecycle of one token source. `T` is the host's token, `E` its error; the machine makes
/// errors of its own (timeouts, expired arrivals) through `E: From<Error>`.
pub struct TokenLifecycle<T, E> {
    policy: LifecyclePolicy,
    cached: Option<Cached<T>>,
    in_flight: Option<InFlight>,
    abandoned: Vec<FetchId>,
    next_id: FetchId,
    /// The last failure since the last token arrived.
    failure: Option<E>,
    /// Consecutive failures since the last token arrived.
    failures: u32,
    /// No fetch starts before this time.
    next_attempt_ms: u64,
    /// The last failed attempt inside the fetch in flight, named in its timeout.
    last_attempt: Option<LastAttempt>,
}

impl<T, E> fmt::Debug for TokenLifecycle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenLifecycle")
            .field("cached_expires_at_ms", &self.cached.as_ref().map(|c| c.expires_at_ms))
            .field("in_flight", &self.in_flight.map(|f| f.id))
            .field("abandoned", &self.abandoned)
            .field("failures", &self.failures)
            .field("next_attempt_ms", &self.next_attempt_ms)
            .finish_non_exhaustive()
    }
}

/// What [`TokenLifecycle::want`] found, before it borrows the token or error to hand out.
enum Want {
    Serve,
    Fetch(FetchId),
    Wait(InFlight),
    Fail,
}

impl<T, E: From<Error>> TokenLifecycle<T, E> {
    /// A machine with nothing cached.
    pub fn new(policy: LifecyclePolicy) -> Self {
        let policy = LifecyclePolicy { max_abandoned: policy.max_abandoned.max(1), ..policy };
        Self {
            policy,
            cached: None,
            in_flight: None,
            abandoned: Vec::new(),
            next_id: 1,
            failure: None,
            failures: 0,
            next_attempt_ms: 0,
            last_attempt: None,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &LifecyclePolicy {
        &self.policy
    }

    /// The fetch in flight, if any (abandoned fetches are not in flight).
    pub fn in_flight(&self) -> Option<FetchId> {
        self.in_flight.map(|f| f.id)
    }

    /// The cached token if it is valid at `now_ms`, without starting anything. For hosts where
    /// only a timer starts fetches (Envoy's `on_tick`): a caller serves this token whenever
    /// [`Self::want`] would, and otherwise waits for the timer.
    pub fn cached(&self, now_ms: u64) -> Option<&T> {
        self.cached.as_ref().filter(|c| c.expires_at_ms > now_ms).map(|c| &c.value)
    }

    /// Readiness at `now_ms`, without starting anything (a server's `/readyz`): the valid cached
    /// token's expiry, or why there is none — the last failure since a token last arrived, or
    /// `None` while the first fetch has not returned.
    pub fn readiness(&self, now_ms: u64) -> std::result::Result<u64, Option<&E>> {
        match self.cached.as_ref().filter(|c| c.expires_at_ms > now_ms) {
            Some(c) => Ok(c.expires_at_ms),
            None => Err(self.failure.as_ref()),
        }
    }

    /// The expiry of the cached token, valid or not (a server's metrics).
    pub fn cached_expires_at_ms(&self) -> Option<u64> {
        self.cached.as_ref().map(|c| c.expires_at_ms)
    }

    /// Whether a fetch is wanted at `now_ms` (nothing valid is cached, or the refresh time has
    /// come), whether or not one may start yet.
    pub fn due(&self, now_ms: u64) -> bool {
        self.cache_state(now_ms).1
    }

    /// A token is wanted at `now_ms`: what the caller must do.
    pub fn want(&mut self, now_ms: u64) -> Decision<'_, T, E> {
        let want = self.decide(now_ms);
        let valid = self.cached.as_ref().filter(|c| c.expires_at_ms > now_ms).map(|c| &c.value);
        match (want, valid) {
            (Want::Serve, Some(token)) => Decision::Serve(token),
            (Want::Fetch(fetch), serve) => Decision::Fetch { fetch, serve },
            (Want::Wait(f), _) => {
                Decision::Wait { fetch: f.id, until_ms: f.deadline_ms, wait_ms: f.deadline_ms.saturating_sub(now_ms) }
            }
            // `decide` answers `Serve` only with a valid token. Without a recorded failure, new
            // fetches are held back only by hung ones: that is the failure to report.
            (Want::Serve | Want::Fail, _) => {
                let hung = self.abandoned.len();
                Decision::Fail(self.failure.get_or_insert_with(|| E::from(hung_error(hung))))
            }
        }
    }

    fn decide(&mut self, now_ms: u64) -> Want {
        self.expire_deadline(now_ms);
        let (valid, due) = self.cache_state(now_ms);
        if !due {
            return Want::Serve;
        }
        if let Some(f) = self.in_flight {
            return if valid { Want::Serve } else { Want::Wait(f) };
        }
        if let Some(id) = self.try_start(now_ms) {
            return Want::Fetch(id);
        }
        if valid {
            Want::Serve
        } else {
            Want::Fail
        }
    }

    /// Time passed: abandons a fetch past its deadline, starts a fetch when the token is missing
    /// or due and none may be waited for, and says when to poll next. For hosts that refresh in
    /// the background (a timer, Envoy's `on_tick`); hosts that fetch on demand only call [`Self::want`].
    pub fn poll(&mut self, now_ms: u64) -> Poll {
        self.expire_deadline(now_ms);
        let (_, due) = self.cache_state(now_ms);
        let fetch = if due && self.in_flight.is_none() { self.try_start(now_ms) } else { None };
        let wake_at_ms = if let Some(f) = self.in_flight {
            Some(f.deadline_ms)
        } else if due {
            // Backing off, or blocked by hung fetches (their answers will come as events).
            (self.next_attempt_ms > now_ms).then_some(self.next_attempt_ms)
        } else {
            self.cached.as_ref().map(|c| c.refresh_at_ms)
        };
        Poll { fetch, wake_at_ms }
    }

    /// Fetch `fetch` returned a token that expires at `expires_at_ms` (issued at `issued_at_ms`,
    /// when known), reported at `now_ms`. `jitter01` (uniform in `[0, 1)`) places Kafka Java's
    /// refresh inside its jitter window.
    pub fn fetch_succeeded(
        &mut self,
        fetch: FetchId,
        token: T,
        expires_at_ms: u64,
        issued_at_ms: Option<u64>,
        now_ms: u64,
        jitter01: f64,
    ) -> Arrival {
        let current = self.in_flight.is_some_and(|f| f.id == fetch);
        if current {
            self.in_flight = None;
        } else if let Some(i) = self.abandoned.iter().position(|id| *id == fetch) {
            self.abandoned.swap_remove(i);
            let newer =
                self.cached.as_ref().is_some_and(|c| c.expires_at_ms > now_ms && c.expires_at_ms >= expires_at_ms);
            if newer || expires_at_ms <= now_ms {
                return Arrival::Ignored;
            }
        } else {
            return Arrival::Ignored;
        }
        if expires_at_ms <= now_ms {
            let error = Error::new(
                ErrorKind::TokenExpired,
                format!(
                    "the fetched token expired {} ms before it arrived (exp={expires_at_ms} ms, now={now_ms} ms); check the clocks",
                    now_ms - expires_at_ms
                ),
            );
            self.record_failure(E::from(error), self.policy.relogin_delay_ms, now_ms);
            return Arrival::Expired;
        }
        let refresh_at_ms = match &self.policy.refresh {
            RefreshRule::KafkaJava(config) => refresh_at_java(now_ms, expires_at_ms, issued_at_ms, config, jitter01),
            RefreshRule::Librdkafka => refresh_at_librdkafka(now_ms, expires_at_ms),
        }
        .at_ms;
        self.cached = Some(Cached { value: token, expires_at_ms, refresh_at_ms });
        self.failure = None;
        self.failures = 0;
        self.next_attempt_ms = 0;
        Arrival::Cached
    }

    /// An attempt inside fetch `fetch` failed and the fetch goes on (it retries on the client's
    /// schedule). Nothing changes for callers now; if the fetch then outlives its deadline, the
    /// [`ErrorKind::FetchTimeout`] error names this attempt's failure, so that a refused connection
    /// does not read like a slow endpoint. Returns whether `fetch` is the fetch in flight.
    pub fn attempt_failed(&mut self, fetch: FetchId, error: &Error) -> bool {
        if self.in_flight.is_none_or(|f| f.id != fetch) {
            return false;
        }
        self.last_attempt = Some(LastAttempt { fetch, error: error.clone() });
        true
    }

    /// Fetch `fetch` failed at `now_ms`. Returns whether the failure was recorded: the failure of
    /// an abandoned or unknown fetch changes nothing (its deadline already counted as one).
    /// `random01` (uniform in `[0, 1)`) draws the back-off jitter.
    pub fn fetch_failed(&mut self, fetch: FetchId, failure: FetchFailure<'_, E>, now_ms: u64, random01: f64) -> bool {
        if self.in_flight.is_none_or(|f| f.id != fetch) {
            if let Some(i) = self.abandoned.iter().position(|id| *id == fetch) {
                self.abandoned.swap_remove(i);
            }
            return false;
        }
        self.in_flight = None;
        let mut delay = if failure.retryable {
            let base = self.policy.backoff.delay_ms(self.failures.saturating_add(1));
            let cut = base as f64 * self.policy.backoff_jitter.clamp(0.0, 1.0) * random01.clamp(0.0, 1.0);
            base - (cut as u64).min(base)
        } else {
            self.policy.relogin_delay_ms
        };
        if let Some(asked) = failure.retry_after.and_then(|v| retry_after_ms(v, now_ms)) {
            delay = delay.max(asked.min(MAX_RETRY_AFTER_MS));
        }
        self.record_failure(failure.error, delay, now_ms);
        true
    }

    fn record_failure(&mut self, error: E, delay_ms: u64, now_ms: u64) {
        self.failure = Some(error);
        self.failures = self.failures.saturating_add(1);
        // At least 1 ms, so callers woken by the failure get it instead of starting the next fetch.
        self.next_attempt_ms = now_ms.saturating_add(delay_ms.max(1));
    }

    /// Whether the cached token is valid at `now_ms`, and whether a fetch is due (nothing valid,
    /// or the refresh time has come).
    fn cache_state(&self, now_ms: u64) -> (bool, bool) {
        match &self.cached {
            Some(c) if c.expires_at_ms > now_ms => (true, now_ms >= c.refresh_at_ms),
            _ => (false, true),
        }
    }

    fn expire_deadline(&mut self, now_ms: u64) {
        let Some(f) = self.in_flight.filter(|f| now_ms >= f.deadline_ms) else { return };
        self.in_flight = None;
        self.abandoned.push(f.id);
        let error = fetch_timeout_error(
            self.policy.fetch_timeout_ms,
            self.last_attempt.take().filter(|a| a.fetch == f.id).map(|a| a.error).as_ref(),
        );
        let delay = self.policy.backoff.delay_ms(self.failures.saturating_add(1));
        self.record_failure(E::from(error), delay, now_ms);
    }

    fn try_start(&mut self, now_ms: u64) -> Option<FetchId> {
        let blocked = now_ms < self.next_attempt_ms || self.abandoned.len() >= self.policy.max_abandoned as usize;
        if blocked || self.in_flight.is_some() {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.last_attempt = None;
        self.in_flight = Some(InFlight { id, deadline_ms: now_ms.saturating_add(self.policy.fetch_timeout_ms) });
        Some(id)
    }
}

/// The deadline error of a fetch, naming its last failed attempt when the host reported one.
fn fetch_timeout_error(timeout_ms: u64, last_attempt: Option<&Error>) -> Error {
    let released = "callers were released and its answer will still be used if it comes";
    match last_attempt {
        None => Error::new(
            ErrorKind::FetchTimeout,
            format!("the token fetch did not finish within {timeout_ms} ms; {released}"),
        ),
        Some(e) => Error::new(
            ErrorKind::FetchTimeout,
            format!(
                "the token fetch did not finish within {timeout_ms} ms: it is still retrying after its last attempt \
                 failed with {}: {}; {released}",
                e.code(),
                e.message()
            ),
        ),
    }
}

/// The failure reported when hung fetches hold back new ones.
fn hung_error(hung: usize) -> Error {
    Error::new(
        ErrorKind::FetchTimeout,
        format!("{hung} earlier token fetches have not returned; no new fetch starts until one does"),
    )
}

/// A failure the host keeps itself (named by the fetch that raised it), or one the machine made.
/// Hosts that cannot hand their own error objects to the machine (the Python, Node and WASI
/// fronts) use [`HandleLifecycle`] and keep the last failed fetch's error on their side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostFailure {
    /// The error the host saw for this fetch.
    Fetch(FetchId),
    /// An error of the machine's own (a timeout, an expired arrival).
    Core(Error),
}

impl From<Error> for HostFailure {
    fn from(error: Error) -> Self {
        Self::Core(error)
    }
}

/// The machine for hosts that keep the token and the error objects themselves: the cached token
/// is named by the fetch that produced it, failures by [`HostFailure`].
pub type HandleLifecycle = TokenLifecycle<FetchId, HostFailure>;

impl HandleLifecycle {
    /// [`Self::fetch_succeeded`] for a handle machine: the token is named by its fetch.
    pub fn handle_succeeded(
        &mut self,
        fetch: FetchId,
        expires_at_ms: u64,
        issued_at_ms: Option<u64>,
        now_ms: u64,
        jitter01: f64,
    ) -> Arrival {
        self.fetch_succeeded(fetch, fetch, expires_at_ms, issued_at_ms, now_ms, jitter01)
    }

    /// [`Self::fetch_failed`] for a handle machine: the error is the host's, named by its fetch.
    pub fn handle_failed(
        &mut self,
        fetch: FetchId,
        retryable: bool,
        retry_after: Option<&str>,
        now_ms: u64,
        random01: f64,
    ) -> bool {
        let failure = FetchFailure { error: HostFailure::Fetch(fetch), retryable, retry_after };
        self.fetch_failed(fetch, failure, now_ms, random01)
    }
}

pub mod shared;

#[cfg(test)]
mod tests;
