//! Scenarios, and a seeded randomized simulation that checks the machine's invariants against a
//! model of its policy over 100k+ events.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;

type Life = TokenLifecycle<&'static str, Error>;

const T0: u64 = 1_767_225_600_000;

fn java() -> Life {
    TokenLifecycle::new(LifecyclePolicy::for_client(Dialect::KafkaJava))
}

fn fetch_id(d: Decision<'_, &str, Error>) -> FetchId {
    match d {
        Decision::Fetch { fetch, .. } => fetch,
        other => panic!("expected a fetch, got {other:?}"),
    }
}

fn served(d: Decision<'_, &'static str, Error>) -> &'static str {
    match d {
        Decision::Serve(t) | Decision::Fetch { serve: Some(t), .. } => t,
        other => panic!("expected a token, got {other:?}"),
    }
}

fn failed(d: Decision<'_, &str, Error>) -> &'static str {
    match d {
        Decision::Fail(e) => e.code(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn retryable(error: Error) -> FetchFailure<'static, Error> {
    FetchFailure { error, retryable: true, retry_after: None }
}

fn unreachable_endpoint() -> Error {
    Error::new(ErrorKind::TokenEndpointUnreachable, "connection refused")
}

#[test]
fn single_flight_then_cache_then_refresh_in_the_background() {
    let mut life = java();
    let first = fetch_id(life.want(T0));
    for i in 1..100 {
        match life.want(T0 + i) {
            Decision::Wait { fetch, until_ms, wait_ms } => {
                assert_eq!((fetch, until_ms, wait_ms), (first, T0 + 10_000, 10_000 - i));
            }
            other => panic!("caller {i}: {other:?}"),
        }
    }
    // One hour, issued now: Kafka Java refreshes at 80 % + up to 5 % jitter (0.5 → 82.5 %).
    let exp = T0 + 3_600_000;
    assert_eq!(life.fetch_succeeded(first, "a", exp, Some(T0), T0 + 100, 0.5), Arrival::Cached);
    assert_eq!(served(life.want(T0 + 2_000_000)), "a");
    assert_eq!(life.poll(T0 + 2_000_000), Poll { fetch: None, wake_at_ms: Some(T0 + 2_970_000) });
    assert_eq!(served(life.want(T0 + 2_969_999)), "a");
    // Due: the caller starts the refresh and is served the cached token meanwhile; so is everyone.
    let refresh = match life.want(T0 + 2_970_000) {
        Decision::Fetch { fetch, serve: Some(&"a") } => fetch,
        other => panic!("{other:?}"),
    };
    assert_eq!(served(life.want(T0 + 2_970_001)), "a");
    assert_eq!(life.in_flight(), Some(refresh));
    assert_eq!(life.fetch_succeeded(refresh, "b", T0 + 7_200_000, None, T0 + 2_970_500, 0.0), Arrival::Cached);
    assert_eq!(served(life.want(T0 + 2_970_600)), "b");
}

#[test]
fn librdkafka_refreshes_at_80_percent_of_the_remaining_lifetime() {
    let mut life: Life = TokenLifecycle::new(LifecyclePolicy::for_client(Dialect::Librdkafka));
    let f = fetch_id(life.want(T0));
    life.fetch_succeeded(f, "a", T0 + 1_000_000, None, T0, 0.9);
    assert_eq!(life.poll(T0).wake_at_ms, Some(T0 + 800_000));
}

#[test]
fn failed_refresh_keeps_serving_and_backs_off_on_kafkas_schedule() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    life.fetch_succeeded(f, "a", T0 + 600_000, Some(T0), T0, 0.0);
    // 600 s token: refresh at 480 s (0.8, no jitter).
    let mut now = T0 + 480_000;
    let mut delays = Vec::new();
    for _ in 0..9 {
        let f = match life.want(now) {
            Decision::Fetch { fetch, serve: Some(&"a") } => fetch,
            other => panic!("{other:?}"),
        };
        assert!(life.fetch_failed(f, retryable(unreachable_endpoint()), now, 0.0));
        let until = life.poll(now).wake_at_ms.unwrap();
        assert_eq!(served(life.want(until - 1)), "a", "backing off: the cached token is served");
        delays.push(until - now);
        now = until;
    }
    assert_eq!(delays, [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
}

#[test]
fn without_a_token_callers_get_the_failure_until_the_back_off_ends() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    let refused = Error::new(ErrorKind::TokenResponseError, "HTTP 401");
    let failure = FetchFailure { error: refused, retryable: false, retry_after: None };
    assert!(life.fetch_failed(f, failure, T0 + 5, 0.0));
    assert_eq!(failed(life.want(T0 + 6)), "token_response_error");
    assert_eq!(failed(life.want(T0 + 10_004)), "token_response_error", "not retryable: 10 s");
    fetch_id(life.want(T0 + 10_005));
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    let busy = FetchFailure { error: unreachable_endpoint(), retryable: true, retry_after: Some("30") };
    life.fetch_failed(f, busy, T0, 0.0);
    assert_eq!(life.poll(T0).wake_at_ms, Some(T0 + 30_000));
    let f = fetch_id(life.want(T0 + 30_000));
    let forever = FetchFailure { error: unreachable_endpoint(), retryable: true, retry_after: Some("999999") };
    life.fetch_failed(f, forever, T0 + 30_000, 0.0);
    assert_eq!(life.poll(T0 + 30_000).wake_at_ms, Some(T0 + 30_000 + MAX_RETRY_AFTER_MS));
}

#[test]
fn back_off_jitter_takes_off_up_to_its_fraction() {
    let policy = LifecyclePolicy { backoff_jitter: 0.5, ..LifecyclePolicy::for_client(Dialect::KafkaJava) };
    let mut life: Life = TokenLifecycle::new(policy);
    let f = fetch_id(life.want(T0));
    life.fetch_failed(f, retryable(unreachable_endpoint()), T0, 0.5);
    assert_eq!(life.poll(T0).wake_at_ms, Some(T0 + 75));
}

#[test]
fn a_hung_fetch_releases_waiters_at_the_deadline_and_its_late_answer_is_used() {
    let mut life = java();
    let hung = fetch_id(life.want(T0));
    assert!(matches!(life.want(T0 + 9_999), Decision::Wait { fetch, .. } if fetch == hung));
    assert_eq!(failed(life.want(T0 + 10_000)), "fetch_timeout");
    assert_eq!(life.in_flight(), None);
    // Back-off after the timeout (100 ms), then a new fetch while the first is still out.
    assert_eq!(failed(life.want(T0 + 10_099)), "fetch_timeout");
    let second = fetch_id(life.want(T0 + 10_100));
    assert_ne!(second, hung);
    // The hung fetch answers late with a valid token: used, and it releases the waiters.
    assert_eq!(life.fetch_succeeded(hung, "late", T0 + 3_600_000, None, T0 + 12_000, 0.0), Arrival::Cached);
    assert_eq!(served(life.want(T0 + 12_001)), "late");
    // The second fetch returns an older token than the cache: still the in-flight one, so cached.
    assert_eq!(life.fetch_succeeded(second, "second", T0 + 3_000_000, None, T0 + 12_002, 0.0), Arrival::Cached);
    // Reports for unknown or settled fetches change nothing.
    assert_eq!(life.fetch_succeeded(second, "again", T0 + 9_000_000, None, T0 + 12_003, 0.0), Arrival::Ignored);
    assert!(!life.fetch_failed(99, retryable(unreachable_endpoint()), T0 + 12_004, 0.0));
    assert_eq!(served(life.want(T0 + 12_005)), "second");
}

#[test]
fn a_late_answer_older_than_the_cache_is_ignored() {
    let mut life = java();
    let hung = fetch_id(life.want(T0));
    life.want(T0 + 10_000);
    let second = fetch_id(life.want(T0 + 10_100));
    life.fetch_succeeded(second, "new", T0 + 3_600_000, None, T0 + 10_200, 0.0);
    assert_eq!(life.fetch_succeeded(hung, "old", T0 + 1_000_000, None, T0 + 11_000, 0.0), Arrival::Ignored);
    assert_eq!(served(life.want(T0 + 11_001)), "new");
}

#[test]
fn a_hung_fetch_with_a_valid_cache_serves_the_cache() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    life.fetch_succeeded(f, "a", T0 + 100_000, None, T0, 0.0);
    let refresh = fetch_id(life.want(T0 + 85_000));
    assert_eq!(served(life.want(T0 + 94_999)), "a");
    // The refresh's deadline passes: still served, and the next attempt waits for the back-off.
    assert_eq!(served(life.want(T0 + 95_000)), "a");
    assert_eq!(life.in_flight(), None);
    assert!(!life.fetch_failed(refresh, retryable(unreachable_endpoint()), T0 + 95_001, 0.0));
    fetch_id(life.want(T0 + 95_100));
    // Past expiry nothing is served: the caller waits for the fetch in flight.
    assert!(matches!(life.want(T0 + 100_000), Decision::Wait { .. }));
}

#[test]
fn hung_fetches_are_bounded() {
    let policy = LifecyclePolicy { max_abandoned: 2, ..LifecyclePolicy::for_client(Dialect::KafkaJava) };
    let mut life: Life = TokenLifecycle::new(policy);
    let mut now = T0;
    let first = fetch_id(life.want(now));
    now += 10_000;
    life.want(now);
    now += 10_000;
    fetch_id(life.want(now));
    now += 10_000;
    assert_eq!(failed(life.want(now)), "fetch_timeout");
    now += 60_000;
    // Two fetches are still out: no third starts, however long the back-off has been over.
    assert_eq!(failed(life.want(now)), "fetch_timeout");
    assert_eq!(life.poll(now), Poll { fetch: None, wake_at_ms: None });
    // One of them returns (failing): room for a new fetch.
    assert!(!life.fetch_failed(first, retryable(unreachable_endpoint()), now, 0.0));
    fetch_id(life.want(now));
}

#[test]
fn an_expired_arrival_is_a_failure() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    assert_eq!(life.fetch_succeeded(f, "old", T0 - 1, None, T0 + 10, 0.0), Arrival::Expired);
    assert_eq!(failed(life.want(T0 + 11)), "token_expired");
    assert_eq!(life.poll(T0 + 11).wake_at_ms, Some(T0 + 10 + RELOGIN_DELAY_MS));
}

#[test]
fn poll_prefetches_and_says_when_to_wake() {
    let mut life = java();
    let p = life.poll(T0);
    let f = p.fetch.unwrap();
    assert_eq!(p.wake_at_ms, Some(T0 + 10_000));
    assert_eq!(life.poll(T0 + 1), Poll { fetch: None, wake_at_ms: Some(T0 + 10_000) });
    life.fetch_succeeded(f, "a", T0 + 1_000_000, None, T0 + 5, 0.0);
    let refresh_at = life.poll(T0 + 6).wake_at_ms.unwrap();
    assert_eq!(refresh_at, T0 + 700_000, "a token for 1000 s: exp − the 300 s buffer");
    assert!(life.poll(refresh_at).fetch.is_some());
}

#[test]
fn policy_from_config() {
    let config = Config::from_properties(
        [
            ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
            ("sasl.oauthbearer.client.credentials.client.id", "c"),
            ("sasl.oauthbearer.client.credentials.client.secret", "s"),
            ("sasl.login.connect.timeout.ms", "2000"),
            ("sasl.login.read.timeout.ms", "3000"),
            ("sasl.login.retry.backoff.ms", "50"),
            ("sasl.login.retry.backoff.max.ms", "400"),
            ("sasl.login.refresh.buffer.seconds", "10"),
        ],
        Dialect::KafkaJava,
    )
    .unwrap();
    let policy = LifecyclePolicy::from_config(&config);
    assert_eq!(policy.fetch_timeout_ms, 5_000);
    assert_eq!(policy.backoff, Backoff::Exponential { initial_ms: 50, max_ms: 400 });
    assert!(matches!(policy.refresh, RefreshRule::KafkaJava(RefreshConfig { buffer_seconds: 10, .. })));
    assert_eq!(LifecyclePolicy::for_client(Dialect::Librdkafka).backoff, Backoff::Fixed { delay_ms: 10_000 });
}

#[test]
fn debug_shows_no_token() {
    let mut life = java();
    let f = fetch_id(life.want(T0));
    life.fetch_succeeded(f, "SECRET-TOKEN", T0 + 1_000_000, None, T0, 0.0);
    let decision = format!("{:?}", life.want(T0 + 1));
    assert!(!format!("{life:?} {decision}").contains("SECRET"));
}

// ---- the simulation -------------------------------------------------------------------------

/// splitmix64: a seeded generator, so every run replays the same events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Tok {
    fetch: FetchId,
    expires_at_ms: u64,
}

#[derive(Clone, Copy, Debug)]
enum Plan {
    Succeed { at: u64, lifetime: u64 },
    Fail { at: u64, retryable: bool, retry_after_s: Option<u64> },
    Hang,
}

/// What the model expects of the machine, kept independently of it.
struct Model {
    policy: LifecyclePolicy,
    /// The fetch the machine must be waiting for, with its deadline.
    live: Option<(FetchId, u64)>,
    /// Fetches past their deadline that have not reported.
    abandoned: Vec<FetchId>,
    cached: Option<Tok>,
    cached_at: u64,
    failures: u32,
    /// No fetch may start before this.
    next_allowed: u64,
}

impl Model {
    fn backoff(&self, failures: u32) -> u64 {
        match self.policy.backoff {
            Backoff::Exponential { initial_ms, max_ms } => {
                (initial_ms.saturating_mul(1u64 << (failures - 1).min(40))).min(max_ms)
            }
            Backoff::Fixed { delay_ms } => delay_ms,
        }
    }
    fn fail(&mut self, delay: u64, now: u64) {
        self.failures += 1;
        self.next_allowed = now + delay.max(1);
    }
    /// The machine sees the deadline at its next call at or after it.
    fn tick(&mut self, now: u64) {
        if let Some((id, deadline)) = self.live {
            if now >= deadline {
                self.live = None;
                self.abandoned.push(id);
                let d = self.backoff(self.failures + 1);
                self.fail(d, now);
            }
        }
    }
    fn valid(&self, now: u64) -> Option<Tok> {
        self.cached.filter(|t| t.expires_at_ms > now)
    }
    fn may_start(&self, now: u64) -> bool {
        self.live.is_none() && now >= self.next_allowed && self.abandoned.len() < self.policy.max_abandoned as usize
    }
    fn started(&mut self, fetch: FetchId, now: u64, step: usize) {
        assert!(self.live.is_none(), "step {step}: a second fetch in flight");
        assert!(
            now >= self.next_allowed,
            "step {step}: fetch at {now} before the back-off ends at {}",
            self.next_allowed
        );
        self.live = Some((fetch, now + self.policy.fetch_timeout_ms));
    }
}

struct Sim {
    rng: Rng,
    life: TokenLifecycle<Tok, Error>,
    model: Model,
    pending: Vec<(FetchId, Plan)>,
    now: u64,
    steps: usize,
    /// Only successes, quick fetches and frequent callers: the refresh must come before expiry.
    sunny: bool,
    had_token: bool,
    /// Decisions seen: serve, fetch, wait, fail, abandoned-fetch answers used.
    seen: [usize; 5],
}

impl Sim {
    fn new(seed: u64, policy: LifecyclePolicy, sunny: bool) -> Self {
        Self {
            rng: Rng(seed),
            life: TokenLifecycle::new(policy),
            model: Model {
                policy,
                live: None,
                abandoned: Vec::new(),
                cached: None,
                cached_at: 0,
                failures: 0,
                next_allowed: 0,
            },
            pending: Vec::new(),
            now: T0,
            steps: 0,
            sunny,
            had_token: false,
            seen: [0; 5],
        }
    }

    fn plan(&mut self) -> Plan {
        let at = self.now + if self.sunny { self.rng.below(1_000) } else { self.rng.below(15_000) };
        let lifetime = match self.rng.below(4) {
            0 => 1 + self.rng.below(5_000),
            1 => 30_000 + self.rng.below(300_000),
            _ => 300_000 + self.rng.below(3_600_000),
        };
        if self.sunny {
            return Plan::Succeed { at, lifetime: 300_000 + lifetime };
        }
        match self.rng.below(10) {
            0..=4 => Plan::Succeed { at, lifetime },
            5..=7 => {
                let retry_after_s = self.rng.chance(20).then(|| self.rng.below(900));
                Plan::Fail { at, retryable: self.rng.chance(70), retry_after_s }
            }
            _ => Plan::Hang,
        }
    }

    fn started(&mut self, fetch: FetchId, serve: Option<Tok>) {
        let step = self.steps;
        self.model.started(fetch, self.now, step);
        if let Some(t) = serve {
            self.check_serve(t);
            if self.sunny {
                // A refresh: not before the client's window opens.
                let lifetime = t.expires_at_ms - self.model.cached_at;
                let opens = match self.model.policy.refresh {
                    RefreshRule::KafkaJava(_) => (lifetime * 8 / 10).min(lifetime.saturating_sub(300_000).max(60_000)),
                    RefreshRule::Librdkafka => lifetime * 8 / 10,
                };
                assert!(self.now - self.model.cached_at >= opens, "step {step}: refresh before the window");
            }
        }
        let plan = self.plan();
        self.pending.push((fetch, plan));
    }

    fn check_serve(&self, t: Tok) {
        assert!(
            t.expires_at_ms > self.now,
            "step {}: served a token expired at {} at {}",
            self.steps,
            t.expires_at_ms,
            self.now
        );
        assert_eq!(Some(t), self.model.cached, "step {}: served a token that is not the cached one", self.steps);
    }

    fn want(&mut self) {
        self.model.tick(self.now);
        let now = self.now;
        let valid = self.model.valid(now);
        let may_start = self.model.may_start(now);
        let step = self.steps;
        match self.life.want(now) {
            Decision::Serve(t) => {
                let t = *t;
                self.seen[0] += 1;
                assert!(valid.is_some(), "step {step}: served without a valid token");
                self.check_serve(t);
            }
            Decision::Fetch { fetch, serve } => {
                let serve = serve.copied();
                self.seen[1] += 1;
                assert_eq!(serve, valid, "step {step}: a fetch must offer the valid cached token");
                self.started(fetch, serve);
            }
            Decision::Wait { fetch, until_ms, wait_ms } => {
                self.seen[2] += 1;
                assert!(!self.sunny || !self.had_token, "step {step}: sunny run waited after its first token");
                assert!(valid.is_none(), "step {step}: waiting although a valid token is cached");
                let (live, deadline) = self.model.live.unwrap_or_else(|| panic!("step {step}: wait without a fetch"));
                assert_eq!((fetch, until_ms), (live, deadline), "step {step}: wait past the fetch deadline");
                assert!(now < until_ms && wait_ms == until_ms - now, "step {step}: wait at or past its deadline");
            }
            Decision::Fail(_) => {
                self.seen[3] += 1;
                assert!(!self.sunny, "step {step}: sunny run failed");
                assert!(valid.is_none(), "step {step}: failed although a valid token is cached");
                assert!(!may_start, "step {step}: failed although a fetch could start");
            }
        }
    }

    fn poll(&mut self) {
        self.model.tick(self.now);
        let p = self.life.poll(self.now);
        if let Some(fetch) = p.fetch {
            self.started(fetch, None);
        }
        if let Some(at) = p.wake_at_ms {
            assert!(at > self.now || self.model.live.is_none(), "step {}: wake in the past", self.steps);
        }
    }

    fn settle(&mut self, index: usize) {
        let (fetch, plan) = self.pending.swap_remove(index);
        let now = self.now;
        let step = self.steps;
        // The machine looks at deadlines only when it is asked; a report also counts as asking,
        // but reports never expire the deadline themselves: an answer at the deadline is in time.
        let live = self.model.live.is_some_and(|(id, _)| id == fetch);
        let abandoned_at = self.model.abandoned.iter().position(|id| *id == fetch);
        match plan {
            Plan::Succeed { lifetime, .. } => {
                // Issued now, or earlier (half or all of its life gone), or already expired.
                let exp = match (self.sunny, self.rng.below(40)) {
                    (true, _) | (false, 3..) => now + lifetime,
                    (false, 0) => now.saturating_sub(1),
                    (false, 1) => now + lifetime / 2,
                    (false, _) => now,
                };
                let iat = self.rng.chance(50).then_some(now);
                let tok = Tok { fetch, expires_at_ms: exp };
                let expected = if live {
                    self.model.live = None;
                    if exp <= now {
                        let d = self.model.policy.relogin_delay_ms;
                        self.model.fail(d, now);
                        Arrival::Expired
                    } else {
                        Arrival::Cached
                    }
                } else if let Some(i) = abandoned_at {
                    self.model.abandoned.swap_remove(i);
                    self.seen[4] += usize::from(exp > now);
                    let newer = self.model.valid(now).is_some_and(|c| c.expires_at_ms >= exp);
                    if newer || exp <= now {
                        Arrival::Ignored
                    } else {
                        Arrival::Cached
                    }
                } else {
                    Arrival::Ignored
                };
                let got = self.life.fetch_succeeded(fetch, tok, exp, iat, now, self.rng.unit());
                assert_eq!(got, expected, "step {step}: arrival of fetch {fetch}");
                if got == Arrival::Cached {
                    self.model.cached = Some(tok);
                    self.model.cached_at = now;
                    self.model.failures = 0;
                    self.model.next_allowed = 0;
                    self.had_token = true;
                }
            }
            Plan::Fail { retryable, retry_after_s, .. } => {
                let retry_after = retry_after_s.map(|s| s.to_string());
                let failure =
                    FetchFailure { error: unreachable_endpoint(), retryable, retry_after: retry_after.as_deref() };
                let recorded = self.life.fetch_failed(fetch, failure, now, 0.0);
                assert_eq!(recorded, live, "step {step}: a failure is recorded only for the fetch in flight");
                if live {
                    self.model.live = None;
                    let mut delay = if retryable {
                        self.model.backoff(self.model.failures + 1)
                    } else {
                        self.model.policy.relogin_delay_ms
                    };
                    if let Some(s) = retry_after_s {
                        delay = delay.max((s * 1000).min(MAX_RETRY_AFTER_MS));
                    }
                    self.model.fail(delay, now);
                } else if let Some(i) = abandoned_at {
                    self.model.abandoned.swap_remove(i);
                }
            }
            Plan::Hang => unreachable!(),
        }
    }

    fn step(&mut self) {
        self.steps += 1;
        let advance = if self.sunny {
            self.rng.below(1_000)
        } else {
            match self.rng.below(10) {
                0..=3 => 0,
                4..=6 => self.rng.below(1_000),
                7 | 8 => self.rng.below(20_000),
                _ => self.rng.below(400_000),
            }
        };
        self.now += advance;
        // Fetches whose time has come report (a hung one may still answer, rarely and late).
        let due: Vec<usize> = (0..self.pending.len())
            .filter(|&i| match self.pending[i].1 {
                Plan::Succeed { at, .. } | Plan::Fail { at, .. } => at <= self.now,
                Plan::Hang => false,
            })
            .collect();
        if let Some(&i) = due.first() {
            self.settle(i);
            return;
        }
        if !self.pending.is_empty() && self.rng.chance(1) {
            let i = self.rng.below(self.pending.len() as u64) as usize;
            if matches!(self.pending[i].1, Plan::Hang) {
                let at = self.now;
                self.pending[i].1 = Plan::Succeed { at, lifetime: 600_000 };
                self.settle(i);
                return;
            }
        }
        match self.rng.below(20) {
            0 if !self.sunny => {
                // A report for a fetch nobody started, or a second report: ignored.
                let bogus = self.rng.below(1_000) + 10_000_000;
                let tok = Tok { fetch: bogus, expires_at_ms: self.now + 1_000_000 };
                assert_eq!(
                    self.life.fetch_succeeded(bogus, tok, self.now + 1_000_000, None, self.now, 0.0),
                    Arrival::Ignored
                );
            }
            1 | 2 => self.poll(),
            _ => self.want(),
        }
    }
}

fn simulate(seed: u64, policy: LifecyclePolicy, sunny: bool, steps: usize) -> Sim {
    let mut sim = Sim::new(seed, policy, sunny);
    for _ in 0..steps {
        sim.step();
    }
    sim
}

#[test]
fn simulation_keeps_the_invariants() {
    let java = LifecyclePolicy::for_client(Dialect::KafkaJava);
    let rdk = LifecyclePolicy::for_client(Dialect::Librdkafka);
    let tight = LifecyclePolicy { max_abandoned: 1, fetch_timeout_ms: 2_000, ..java };
    let mut total = 0;
    let mut seen = [0; 5];
    for (seed, policy) in [(1, java), (2, rdk), (3, tight), (4, java), (5, rdk), (6, tight)] {
        let sim = simulate(seed, policy, false, 40_000);
        total += sim.steps;
        assert!(sim.had_token, "seed {seed}");
        seen.iter_mut().zip(sim.seen).for_each(|(a, b)| *a += b);
    }
    assert!(total >= 200_000, "{total} steps");
    // Every kind of decision, and late answers, came up often enough to have been checked.
    assert!(seen.iter().all(|n| *n >= 100), "serve, fetch, wait, fail, late: {seen:?}");
}

#[test]
fn simulation_with_working_fetches_refreshes_before_expiry() {
    for (seed, dialect) in [(11, Dialect::KafkaJava), (12, Dialect::Librdkafka)] {
        let sim = simulate(seed, LifecyclePolicy::for_client(dialect), true, 60_000);
        assert!(sim.had_token);
    }
}
