//! The token cache of provider mode: the core's lifecycle machine, fetches on threads of their
//! own, and a background refresher that polls the machine when it says to.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use oauthbearer::lifecycle::{Decision, FetchFailure, FetchId, LifecyclePolicy, TokenLifecycle};
pub use oauthbearer::lifecycle::{FetchFailed, Fetched};
use oauthbearer::{Error, Secret};
use tokio::sync::Notify;

use crate::metrics::Metrics;
use crate::{now_ms, random01, Stats};

/// The host's credential fetch. Called on a thread of its own, one call at a time unless a call
/// outlives its deadline; it may block (an HTTP request, a cloud SDK, a Python callback).
pub trait TokenSource: Send + Sync + 'static {
    /// Fetches a fresh token at `now_ms`. A fetch that retries inside itself (as Kafka's clients
    /// do) reports each failed attempt to `attempts`, so that its timeout names the last one.
    fn fetch(&self, now_ms: u64, attempts: &Attempts) -> Result<Fetched, FetchFailed>;
}

/// Where one fetch reports its failed attempts (see [`TokenSource::fetch`]); cheap to clone and
/// safe to keep after the fetch or the server ended (reports then change nothing).
#[derive(Clone)]
pub struct Attempts {
    cache: Weak<TokenCache>,
    fetch: FetchId,
}

impl Attempts {
    /// One attempt failed with `error` and the fetch goes on.
    pub fn failed(&self, error: &Error) {
        if let Some(cache) = self.cache.upgrade() {
            cache.machine().attempt_failed(self.fetch, error);
        }
    }
}

/// A cached token.
pub(crate) struct Cached {
    pub(crate) token: Secret,
    pub(crate) expires_at_ms: u64,
}

enum Step {
    Serve(Arc<Cached>),
    Start(FetchId, Option<Arc<Cached>>),
    Wait(u64),
    Fail(Error),
}

/// The cache shared by every connection.
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    life: Mutex<TokenLifecycle<Arc<Cached>, Error>>,
    /// Woken when a fetch reports back.
    settled: Notify,
    stats: Arc<Stats>,
    metrics: Arc<Metrics>,
}

impl TokenCache {
    pub(crate) fn new(
        source: Arc<dyn TokenSource>,
        policy: LifecyclePolicy,
        stats: Arc<Stats>,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let life = Mutex::new(TokenLifecycle::new(policy));
        Arc::new(Self { source, life, settled: Notify::new(), stats, metrics })
    }

    /// `f` of the machine's readiness at `now_ms` (see [`TokenLifecycle::readiness`]).
    pub(crate) fn with_readiness<R>(&self, now_ms: u64, f: impl FnOnce(Result<u64, Option<&Error>>) -> R) -> R {
        f(self.machine().readiness(now_ms))
    }

    fn machine(&self) -> std::sync::MutexGuard<'_, TokenLifecycle<Arc<Cached>, Error>> {
        // The machine holds no invariant a panicking fetch report could break halfway.
        self.life.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token to serve now: the cached one, or the one a fetch brings within its deadline.
    pub(crate) async fn token(self: &Arc<Self>) -> Result<Arc<Cached>, Error> {
        loop {
            // Armed before the machine is asked, so a report between the two still wakes us.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let step = match self.machine().want(now_ms()) {
                Decision::Serve(t) => Step::Serve(Arc::clone(t)),
                Decision::Fetch { fetch, serve } => Step::Start(fetch, serve.cloned()),
                Decision::Wait { wait_ms, .. } => Step::Wait(wait_ms),
                Decision::Fail(e) => Step::Fail(e.clone()),
            };
            match step {
                Step::Serve(t) => return Ok(t),
                Step::Start(fetch, serve) => {
                    self.start(fetch);
                    if let Some(t) = serve {
                        return Ok(t);
                    }
                }
                Step::Wait(ms) => {
                    let _ = tokio::time::timeout(Duration::from_millis(ms), settled).await;
                }
                Step::Fail(e) => return Err(e),
            }
        }
    }

    /// Runs fetch `id` on a thread of its own and reports its outcome to the machine.
    fn start(self: &Arc<Self>, id: FetchId) {
        let cache = Arc::clone(self);
        let attempts = Attempts { cache: Arc::downgrade(self), fetch: id };
        let spawned = std::thread::Builder::new().name("oauthbearer-fetch".into()).spawn(move || {
            let started = std::time::Instant::now();
            // A source that panics fails its fetch rather than leaving its waiters to the deadline.
            let fetch = std::panic::AssertUnwindSafe(|| cache.source.fetch(now_ms(), &attempts));
            let outcome = std::panic::catch_unwind(fetch).unwrap_or_else(|_| {
                let error =
                    Error::new(oauthbearer::ErrorKind::CredentialsUnavailable, "the token source failed (it panicked)");
                Err(FetchFailed { error, retryable: true, retry_after: None })
            });
            cache.metrics.fetched(started.elapsed(), outcome.as_ref().err().map(|f| f.error.code()));
            cache.report(id, outcome);
        });
        if let Err(e) = spawned {
            let error = Error::new(
                oauthbearer::ErrorKind::CredentialsUnavailable,
                format!("cannot start a fetch thread: {}", e.kind()),
            );
            self.report(id, Err(FetchFailed { error, retryable: true, retry_after: None }));
        }
    }

    fn report(&self, id: FetchId, outcome: Result<Fetched, FetchFailed>) {
        {
            let mut life = self.machine();
            match outcome {
                Ok(f) => {
                    Stats::bump(&self.stats.fetches);
                    let cached = Arc::new(Cached { token: f.token, expires_at_ms: f.expires_at_ms });
                    life.fetch_succeeded(id, cached, f.expires_at_ms, f.issued_at_ms, now_ms(), random01());
                }
                Err(f) => {
                    Stats::bump(&self.stats.fetch_failures);
                    let failure =
                        FetchFailure { error: f.error, retryable: f.retryable, retry_after: f.retry_after.as_deref() };
                    life.fetch_failed(id, failure, now_ms(), random01());
                }
            }
        }
        self.settled.notify_waiters();
    }

    /// Refreshes in the background: fetches at start and whenever the machine says the token is
    /// due, sleeping until it says to look again (or a fetch reports back).
    pub(crate) async fn refresh_in_background(self: Arc<Self>) {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let now = now_ms();
            let poll = self.machine().poll(now);
            if let Some(fetch) = poll.fetch {
                self.start(fetch);
            }
            // With nothing to wake for, a fetch report (or a request's fetch) is the next event.
            let sleep = poll
                .wake_at_ms
                .map_or(Duration::from_secs(3600), |at| Duration::from_millis(at.saturating_sub(now).max(1)));
            let _ = tokio::time::timeout(sleep, settled).await;
        }
    }
}
