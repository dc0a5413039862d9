//! One [`TokenLifecycle`] shared by hosts that cannot share memory but see one key-value store
//! with compare-and-swap: Envoy runs a plugin VM per worker thread, and proxy-wasm's shared data
//! (`get_shared_data` / `set_shared_data` with a CAS version) is all they have in common.
//!
//! Each host keeps a local copy of the machine and serves from it while it holds a valid token
//! ([`SharedLifecycle::local`], no store access). Every change goes through
//! [`SharedLifecycle::update`]: load the stored state (decoded only when it changed), apply the
//! event, store it back if it changed — and if another host stored first, start over from its
//! state. So there is one fetch in flight across all hosts, one cache and one back-off, exactly as
//! the machine decides for a single host.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Cached, FetchId, InFlight, LifecyclePolicy, TokenLifecycle};
use crate::error::{Error, ErrorKind, Result};

/// A key-value slot with compare-and-swap (Envoy's shared data under one key).
pub trait CasStore {
    /// The stored bytes (`None`: nothing stored yet) and their version.
    fn load(&mut self) -> (Option<Vec<u8>>, Option<u32>);
    /// Stores `bytes` if the slot is still as `load` saw it — version `cas`, or still empty for
    /// `None` — and returns `false` if another writer came first. For proxy-wasm's shared data,
    /// pass [`proxy_wasm_cas`]`(cas)` to `set_shared_data`.
    fn store(&mut self, bytes: &[u8], cas: Option<u32>) -> bool;
}

/// The CAS to hand proxy-wasm's `set_shared_data` for a [`CasStore::store`] of `cas`.
///
/// proxy-wasm hosts (proxy-wasm-cpp-host's `SharedData::set`, which Envoy runs) create an absent
/// key whatever CAS they are given, and replace a present one unconditionally when given 0, the
/// SDKs' "no CAS". So two workers that both found the key absent and both stored with 0 would
/// both succeed: at start-up, when every root looks at once, each would start its own fetch. For
/// "only if still absent" this returns a CAS the host has not handed out: `u32::MAX` (its
/// counter starts at 1 and moves by one per store in the whole process), so a store after
/// another worker's creation fails as a mismatch.
pub fn proxy_wasm_cas(cas: Option<u32>) -> u32 {
    cas.unwrap_or(u32::MAX)
}

/// How often [`SharedLifecycle::update`] starts over after losing a race before it gives up.
/// Hosts race only while they handle an event at the same moment; a handful of workers settle in
/// two or three rounds.
const MAX_ROUNDS: u32 = 64;

/// A lifecycle whose state lives in a [`CasStore`], with a local copy to serve from.
pub struct SharedLifecycle<T> {
    policy: LifecyclePolicy,
    local: TokenLifecycle<T, Error>,
    /// The encoding `local` was decoded from or stored as: a load that returns these bytes needs no decoding.
    seen: Vec<u8>,
}

impl<T: Clone + Serialize + DeserializeOwned> SharedLifecycle<T> {
    /// A host's handle on the shared state; nothing is loaded until the first update.
    pub fn new(policy: LifecyclePolicy) -> Self {
        Self { policy, local: TokenLifecycle::new(policy), seen: Vec::new() }
    }

    /// The state as of this host's last update: serve [`TokenLifecycle::cached`] from it without
    /// touching the store; it lags other hosts' changes, never invents a token.
    pub fn local(&self) -> &TokenLifecycle<T, Error> {
        &self.local
    }

    /// Applies `event` to the current shared state and stores the result. `event` may run more
    /// than once (each time on fresher state) when other hosts store in between, so it must only
    /// act on the machine; the host acts on what the last run returned. Fails with
    /// `fetch_timeout` if the store kept changing for 64 rounds.
    pub fn update<S: CasStore, R>(
        &mut self,
        store: &mut S,
        mut event: impl FnMut(&mut TokenLifecycle<T, Error>) -> R,
    ) -> Result<R> {
        for _ in 0..MAX_ROUNDS {
            let (bytes, cas) = store.load();
            let bytes = bytes.unwrap_or_default();
            if bytes != self.seen {
                self.local = decode(&bytes, self.policy);
                self.seen = bytes;
            }
            let outcome = event(&mut self.local);
            let after = encode(&self.local);
            if after == self.seen {
                return Ok(outcome);
            }
            let stored = store.store(&after, cas);
            // Either way `local` is now `after`: stored, or to be replaced by the next load.
            self.seen = after;
            if stored {
                return Ok(outcome);
            }
        }
        Err(Error::new(ErrorKind::FetchTimeout, "the shared token state kept changing under this worker; try again"))
    }
}

/// The stored form of a machine. The policy is not stored: every host builds it from the same
/// configuration.
#[derive(Serialize, Deserialize)]
struct Snapshot<T> {
    cached: Option<(T, u64, u64)>,
    in_flight: Option<(FetchId, u64)>,
    abandoned: Vec<FetchId>,
    next_id: FetchId,
    /// The last failure as its stable code and message.
    failure: Option<(String, String)>,
    failures: u32,
    next_attempt_ms: u64,
}

fn encode<T: Clone + Serialize>(life: &TokenLifecycle<T, Error>) -> Vec<u8> {
    let snapshot = Snapshot {
        cached: life.cached.as_ref().map(|c| (c.value.clone(), c.expires_at_ms, c.refresh_at_ms)),
        in_flight: life.in_flight.map(|f| (f.id, f.deadline_ms)),
        abandoned: life.abandoned.clone(),
        next_id: life.next_id,
        failure: life.failure.as_ref().map(|e| (e.code().to_owned(), e.message().to_owned())),
        failures: life.failures,
        next_attempt_ms: life.next_attempt_ms,
    };
    // A snapshot of plain numbers, strings and the host's token type cannot fail to serialize
    // unless the token type's own `Serialize` fails; such a state is stored as "nothing".
    serde_json::to_vec(&snapshot).unwrap_or_default()
}

/// The machine stored as `bytes`; a fresh one for nothing stored or bytes it cannot read (a
/// store shared with another version of the host starts over rather than failing every request).
fn decode<T: DeserializeOwned>(bytes: &[u8], policy: LifecyclePolicy) -> TokenLifecycle<T, Error> {
    let mut life = TokenLifecycle::new(policy);
    let Ok(s) = serde_json::from_slice::<Snapshot<T>>(bytes) else { return life };
    life.cached = s.cached.map(|(value, expires_at_ms, refresh_at_ms)| Cached { value, expires_at_ms, refresh_at_ms });
    life.in_flight = s.in_flight.map(|(id, deadline_ms)| InFlight { id, deadline_ms });
    life.abandoned = s.abandoned;
    life.next_id = s.next_id.max(1);
    life.failure = s.failure.map(|(code, message)| {
        Error::new(ErrorKind::from_code(&code).unwrap_or(ErrorKind::CredentialsUnavailable), message)
    });
    life.failures = s.failures;
    life.next_attempt_ms = s.next_attempt_ms;
    life
}

#[cfg(test)]
mod tests;
