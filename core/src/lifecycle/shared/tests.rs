#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use super::*;
use crate::config::Dialect;
use crate::lifecycle::{Decision, FetchFailure};

/// An in-memory slot with the shared-data semantics of proxy-wasm-cpp-host (which Envoy runs): a
/// version bumped on every store, no version for an absent key, an absent key created whatever
/// the CAS, a present one replaced when the CAS is 0 or matches. And a hook that lets "another
/// worker" store in between one host's load and store.
#[derive(Default)]
struct Slot {
    bytes: Option<Vec<u8>>,
    cas: u32,
    stores: u32,
}

struct Handle<'a> {
    slot: &'a std::cell::RefCell<Slot>,
    /// Called between load and store, once per store attempt.
    interleave: Option<&'a dyn Fn()>,
}

impl Handle<'_> {
    /// `SharedData::set` with the raw CAS a plugin hands the host.
    fn set(&self, bytes: &[u8], raw_cas: u32) -> bool {
        if let Some(f) = self.interleave {
            f();
        }
        let mut s = self.slot.borrow_mut();
        if s.bytes.is_some() && raw_cas != 0 && raw_cas != s.cas {
            return false;
        }
        s.bytes = Some(bytes.to_vec());
        s.cas += 1;
        s.stores += 1;
        true
    }
}

impl CasStore for Handle<'_> {
    fn load(&mut self) -> (Option<Vec<u8>>, Option<u32>) {
        let s = self.slot.borrow();
        (s.bytes.clone(), s.bytes.as_ref().map(|_| s.cas))
    }
    fn store(&mut self, bytes: &[u8], cas: Option<u32>) -> bool {
        let stored = self.set(bytes, proxy_wasm_cas(cas));
        self.interleave = None;
        stored
    }
}

/// A host that hands proxy-wasm the SDK's "no CAS" (0) when the key was absent.
struct NoCasWhenAbsent<'a>(Handle<'a>);

impl CasStore for NoCasWhenAbsent<'_> {
    fn load(&mut self) -> (Option<Vec<u8>>, Option<u32>) {
        self.0.load()
    }
    fn store(&mut self, bytes: &[u8], cas: Option<u32>) -> bool {
        let stored = self.0.set(bytes, cas.unwrap_or(0));
        self.0.interleave = None;
        stored
    }
}

fn policy() -> LifecyclePolicy {
    LifecyclePolicy::for_client(Dialect::KafkaJava)
}

type Host = SharedLifecycle<String>;

/// What `want` decided, owned (the decision borrows the machine).
#[derive(Debug, PartialEq)]
enum Got {
    Serve(String),
    Fetch(FetchId, Option<String>),
    Wait(FetchId),
    Fail(&'static str),
}

fn want(host: &mut Host, slot: &std::cell::RefCell<Slot>, now: u64) -> Got {
    let mut store = Handle { slot, interleave: None };
    host.update(&mut store, |life| match life.want(now) {
        Decision::Serve(t) => Got::Serve(t.clone()),
        Decision::Fetch { fetch, serve } => Got::Fetch(fetch, serve.cloned()),
        Decision::Wait { fetch, .. } => Got::Wait(fetch),
        Decision::Fail(e) => Got::Fail(e.code()),
    })
    .unwrap()
}

#[test]
fn one_fetch_for_every_host_and_the_token_reaches_all() {
    let slot = std::cell::RefCell::new(Slot::default());
    let (mut a, mut b, mut c) = (Host::new(policy()), Host::new(policy()), Host::new(policy()));
    let now = 1_000_000;
    let Got::Fetch(id, None) = want(&mut a, &slot, now) else { panic!() };
    assert_eq!(want(&mut b, &slot, now + 1), Got::Wait(id));
    assert_eq!(want(&mut c, &slot, now + 2), Got::Wait(id));
    // Nothing valid in any local copy yet.
    assert!(b.local().cached(now + 3).is_none());
    let mut store = Handle { slot: &slot, interleave: None };
    let arrival = a.update(&mut store, |life| {
        life.fetch_succeeded(id, "tok".to_owned(), now + 3_600_000, Some(now), now + 5, 0.5)
    });
    assert_eq!(arrival.unwrap(), crate::lifecycle::Arrival::Cached);
    // b and c see it at their next update, and serve it locally from then on.
    assert_eq!(want(&mut b, &slot, now + 6), Got::Serve("tok".into()));
    assert_eq!(b.local().cached(now + 7).map(String::as_str), Some("tok"));
    assert_eq!(want(&mut c, &slot, now + 8), Got::Serve("tok".into()));
    assert!(a.local().cached(now + 3_600_000).is_none(), "never valid at or past exp");
}

#[test]
fn a_host_that_loses_the_race_replays_its_event_on_the_winners_state() {
    let slot = std::cell::RefCell::new(Slot::default());
    let (mut a, mut b) = (Host::new(policy()), Host::new(policy()));
    let now = 5_000;
    // b decides to fetch, but a stores its own fetch between b's load and b's store.
    let a_fetch = std::cell::Cell::new(None);
    let a_cell = std::cell::RefCell::new(&mut a);
    let interleave = || {
        let got = want(&mut a_cell.borrow_mut(), &slot, now);
        a_fetch.set(Some(got));
    };
    let mut store = Handle { slot: &slot, interleave: Some(&interleave) };
    let b_got = b
        .update(&mut store, |life| match life.want(now) {
            Decision::Fetch { fetch, .. } => Got::Fetch(fetch, None),
            Decision::Wait { fetch, .. } => Got::Wait(fetch),
            other => panic!("{other:?}"),
        })
        .unwrap();
    let Some(Got::Fetch(winner, None)) = a_fetch.take() else { panic!() };
    assert_eq!(b_got, Got::Wait(winner), "b replays on a's state and waits for a's fetch");
    assert_eq!(slot.borrow().stores, 1, "b's state had nothing new after the replay");
}

#[test]
fn at_start_up_a_host_that_found_nothing_cannot_overwrite_another_hosts_fetch() {
    // Both hosts load the empty slot; a stores its fetch in between b's load and b's store. With
    // the SDK's "no CAS" for b's store, proxy-wasm replaces a's state: two fetches in flight (what
    // Envoy did when its roots all looked at once at start-up). With proxy_wasm_cas, b loses the
    // race and waits for a's fetch.
    for no_cas in [true, false] {
        let slot = std::cell::RefCell::new(Slot::default());
        let (mut a, mut b) = (Host::new(policy()), Host::new(policy()));
        let a_fetch = std::cell::Cell::new(None);
        let a_cell = std::cell::RefCell::new(&mut a);
        let interleave = || a_fetch.set(Some(want(&mut a_cell.borrow_mut(), &slot, 5_000)));
        let handle = Handle { slot: &slot, interleave: Some(&interleave) };
        let event = |life: &mut TokenLifecycle<String, Error>| match life.want(5_000) {
            Decision::Fetch { fetch, .. } => Got::Fetch(fetch, None),
            Decision::Wait { fetch, .. } => Got::Wait(fetch),
            other => panic!("{other:?}"),
        };
        let b_got = if no_cas {
            b.update(&mut NoCasWhenAbsent(handle), event).unwrap()
        } else {
            let mut handle = handle;
            b.update(&mut handle, event).unwrap()
        };
        let Some(Got::Fetch(a_id, None)) = a_fetch.take() else { panic!() };
        if no_cas {
            assert!(matches!(b_got, Got::Fetch(..)), "the model shows the overwrite: {b_got:?}");
            assert_eq!(slot.borrow().stores, 2);
        } else {
            assert_eq!(b_got, Got::Wait(a_id));
            assert_eq!(slot.borrow().stores, 1);
        }
    }
}

#[test]
fn failures_and_back_off_are_shared() {
    let slot = std::cell::RefCell::new(Slot::default());
    let (mut a, mut b) = (Host::new(policy()), Host::new(policy()));
    let now = 10_000;
    let Got::Fetch(id, _) = want(&mut a, &slot, now) else { panic!() };
    let mut store = Handle { slot: &slot, interleave: None };
    let failure = FetchFailure {
        error: Error::new(ErrorKind::TokenEndpointUnreachable, "no healthy upstream"),
        retryable: false,
        retry_after: None,
    };
    assert!(a.update(&mut store, |life| life.fetch_failed(id, failure.clone_for_test(), now + 1, 0.0)).unwrap());
    // b has never seen a failure, yet fails with a's error and does not start a fetch in the back-off.
    assert_eq!(want(&mut b, &slot, now + 2), Got::Fail("token_endpoint_unreachable"));
    let got = want(&mut b, &slot, now + 1 + crate::lifecycle::RELOGIN_DELAY_MS);
    assert!(matches!(got, Got::Fetch(next, None) if next == id + 1), "{got:?}");
}

impl FetchFailure<'_, Error> {
    fn clone_for_test(&self) -> Self {
        FetchFailure { error: self.error.clone(), retryable: self.retryable, retry_after: self.retry_after }
    }
}

#[test]
fn unreadable_state_starts_over_instead_of_failing() {
    let slot = std::cell::RefCell::new(Slot { bytes: Some(b"{not ours".to_vec()), cas: 7, stores: 0 });
    let mut a = Host::new(policy());
    assert!(matches!(want(&mut a, &slot, 1_000), Got::Fetch(1, None)));
}

#[test]
fn an_event_that_changes_nothing_stores_nothing() {
    let slot = std::cell::RefCell::new(Slot::default());
    let mut a = Host::new(policy());
    let Got::Fetch(id, _) = want(&mut a, &slot, 1_000) else { panic!() };
    let mut store = Handle { slot: &slot, interleave: None };
    a.update(&mut store, |life| life.fetch_succeeded(id, "t".into(), 3_601_000, Some(1_000), 1_001, 0.0)).unwrap();
    let stores = slot.borrow().stores;
    for i in 0..10 {
        assert_eq!(want(&mut a, &slot, 2_000 + i), Got::Serve("t".into()));
    }
    assert_eq!(slot.borrow().stores, stores);
}

/// Many hosts, random events, random interleavings: a fetch id is handed out to start exactly
/// once across all hosts, at most one is in flight, and no host serves an expired token.
#[test]
fn random_hosts_never_start_the_same_fetch_twice() {
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let slot = std::cell::RefCell::new(Slot::default());
    let mut hosts: Vec<Host> = (0..4).map(|_| Host::new(policy())).collect();
    let mut started: HashSet<FetchId> = HashSet::new();
    let mut running: Vec<(usize, FetchId)> = Vec::new();
    let mut now = 1_000_000u64;
    for _ in 0..20_000 {
        now += rnd(2_000);
        let h = rnd(4) as usize;
        match rnd(4) {
            0 | 1 => {
                let got = want(&mut hosts[h], &slot, now);
                match got {
                    Got::Fetch(id, _) => {
                        assert!(started.insert(id), "fetch {id} handed out twice");
                        running.push((h, id));
                    }
                    Got::Serve(t) => assert!(t.parse::<u64>().unwrap() > now, "served an expired token"),
                    Got::Wait(id) => assert!(started.contains(&id)),
                    Got::Fail(_) => {}
                }
                if let Some(t) = hosts[h].local().cached(now) {
                    assert!(t.parse::<u64>().unwrap() > now);
                }
            }
            2 if !running.is_empty() => {
                let (owner, id) = running.swap_remove(rnd(running.len() as u64) as usize);
                let exp = now + 1_000 + rnd(60_000);
                let mut store = Handle { slot: &slot, interleave: None };
                hosts[owner]
                    .update(&mut store, |life| life.fetch_succeeded(id, exp.to_string(), exp, Some(now), now, 0.5))
                    .unwrap();
            }
            _ => {
                let mut store = Handle { slot: &slot, interleave: None };
                let poll = hosts[h].update(&mut store, |life| life.poll(now)).unwrap();
                if let Some(id) = poll.fetch {
                    assert!(started.insert(id), "fetch {id} handed out twice");
                    running.push((h, id));
                }
            }
        }
        let mut store = Handle { slot: &slot, interleave: None };
        let in_flight = hosts[0].update(&mut store, |life| life.in_flight()).unwrap();
        if let Some(id) = in_flight {
            assert!(running.iter().any(|(_, r)| *r == id), "the fetch in flight was started by some host");
        }
    }
    assert!(started.len() > 100, "the run exercised fetches: {}", started.len());
}
