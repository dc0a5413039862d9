//! Provider faults: a fetch that fails, hangs past its deadline or is slow; the cached token while
//! one is valid, a JSON 503 with the core's code while none is; recovery; one fetch for many
//! concurrent requests; shutdown drains the requests in flight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::*;

#[test]
fn a_failing_source_gets_503_with_its_code_then_recovers() {
    let source = Steered::new(Behaviour::Fail, 3600);
    let server = provider_server(source.clone(), 2_000, config());
    let addr = server.local_addr();
    let reply = exchange(addr, GET);
    assert_eq!(reply.status, 503);
    let json = reply.json();
    assert_eq!(json["error"], "temporarily_unavailable");
    assert!(json["error_description"].as_str().unwrap().starts_with("credentials_unavailable: "), "{json}");
    source.set(Behaviour::Work);
    let reply = until(addr, GET, Duration::from_secs(15), |r| r.status == 200);
    assert_eq!(reply.status, 200, "recovered after the back-off");
}

#[test]
fn a_hanging_source_answers_503_fetch_timeout_at_the_deadline_and_recovers() {
    let source = Steered::new(Behaviour::Hang, 3600);
    // A long back-off: no retry starts while the test counts fetches (recovery is the late answer).
    let mut policy = oauthbearer::lifecycle::LifecyclePolicy::for_client(oauthbearer::Dialect::KafkaJava);
    policy.fetch_timeout_ms = 300;
    policy.backoff = oauthbearer::lifecycle::Backoff::Exponential { initial_ms: 60_000, max_ms: 60_000 };
    let server = provider_server_with(source.clone(), policy, config());
    let addr = server.local_addr();
    let started = Instant::now();
    let handles: Vec<_> = (0..20).map(|_| std::thread::spawn(move || exchange(addr, GET))).collect();
    for h in handles {
        let reply = h.join().unwrap();
        assert_eq!(reply.status, 503);
        assert!(reply.json()["error_description"].as_str().unwrap().starts_with("fetch_timeout: "));
    }
    assert!(started.elapsed() < Duration::from_millis(300 + 700), "{:?}", started.elapsed());
    assert_eq!(source.calls(), 1, "one fetch for all the waiting requests");
    source.set(Behaviour::Work); // the hung fetch answers late, and new fetches work
    let reply = until(addr, GET, Duration::from_secs(5), |r| r.status == 200);
    assert_eq!(reply.status, 200);
}

#[test]
fn a_timeout_names_the_last_failed_attempt_of_a_retrying_fetch() {
    // A refused connection must not read like a slow endpoint: the 503 says what the fetch met.
    let source = Steered::new(Behaviour::RefusedThenHang, 3600);
    let server = provider_server(source.clone(), 1_000, config());
    let reply = exchange(server.local_addr(), GET);
    assert_eq!(reply.status, 503);
    let description = reply.json()["error_description"].as_str().unwrap().to_owned();
    assert!(description.starts_with("fetch_timeout: "), "{description}");
    assert!(description.contains("token_endpoint_unreachable: cannot reach the token endpoint"), "{description}");
    assert!(description.contains("connection refused"), "{description}");
    source.set(Behaviour::Work);
}

#[test]
fn a_slow_source_within_its_deadline_is_waited_for_by_everyone_once() {
    let source = Steered::new(Behaviour::Hang, 3600);
    let server = provider_server(source.clone(), 10_000, config());
    let addr = server.local_addr();
    let handles: Vec<_> = (0..50).map(|_| std::thread::spawn(move || exchange(addr, GET))).collect();
    // Every request is waiting on the one fetch (the background refresher started it).
    while source.calls() == 0 {
        std::thread::yield_now();
    }
    source.set(Behaviour::Work);
    let tokens: std::collections::HashSet<String> = handles
        .into_iter()
        .map(|h| {
            let reply = h.join().unwrap();
            assert_eq!(reply.status, 200);
            reply.json()["access_token"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(source.calls(), 1);
    assert_eq!(server.stats().fetches.load(Ordering::Relaxed), 1);
}

#[test]
fn while_the_source_fails_the_valid_cached_token_is_served() {
    // A 5 s token (4-5 s left: `exp` is whole seconds): refreshed at 80-85 % of what is left; every
    // refresh then fails.
    let source = Steered::new(Behaviour::Work, 5);
    let server = provider_server(source.clone(), 2_000, config());
    let addr = server.local_addr();
    let first = exchange(addr, GET).json()["access_token"].as_str().unwrap().to_owned();
    source.set(Behaviour::Fail);
    let end = Instant::now() + Duration::from_millis(1_500);
    while Instant::now() < end {
        let reply = exchange(addr, GET);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["access_token"].as_str().unwrap(), first);
    }
    // Past expiry nothing valid is left: 503 with the source's code (within the back-off).
    let reply = until(addr, GET, Duration::from_secs(8), |r| r.status == 503);
    assert_eq!(reply.status, 503);
    assert!(source.calls() >= 2, "the refresh was tried");
}

#[test]
fn shutdown_drains_requests_in_flight() {
    let source = Steered::new(Behaviour::Hang, 3600);
    let server = provider_server(source.clone(), 10_000, config());
    let addr = server.local_addr();
    let mut in_flight = connect(addr);
    in_flight.write_all(GET).unwrap();
    // The request is read and waits for the (hanging) fetch: it is in flight, not an idle connection.
    while server.stats().in_progress.load(Ordering::Relaxed) == 0 {
        std::thread::yield_now();
    }
    let idle = connect(addr);
    let stopper = std::thread::spawn(move || server.shutdown(Duration::from_secs(5)));
    // The shutdown is under way once the listener is gone; then the hung fetch answers.
    while std::net::TcpStream::connect(addr).is_ok() {
        std::thread::yield_now();
    }
    source.set(Behaviour::Work);
    stopper.join().unwrap();
    let reply = read_reply(&mut in_flight, false).unwrap();
    assert_eq!((reply.status, reply.header("connection")), (200, Some("close")));
    let mut idle = idle;
    assert!(closed(&mut idle));
}
