//! The operational surface: `/livez`, `/readyz` and `/metrics` before the first token, during an
//! outage and after recovery; the flag that gives those paths back to the token; no token or
//! secret in any of them; and the lingering close that lets a client which writes a whole
//! oversized body before reading get its 413.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::io::Write;
use std::time::Duration;

use support::*;

const READYZ: &[u8] = b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n";
const LIVEZ: &[u8] = b"GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n";
const METRICS: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// The value of a metric line `name{labels} value` (labels as written), if present.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn readyz_follows_the_token_through_pending_outage_and_recovery() {
    let source = Steered::new(Behaviour::Hang, 3600);
    let server = provider_server(source.clone(), 2_000, config());
    let addr = server.local_addr();
    // The first fetch hangs: live, not ready, the gauge says so; /readyz starts no fetch itself.
    assert_eq!(exchange(addr, LIVEZ).status, 200);
    let reply = exchange(addr, READYZ);
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.json()["code"], "token_pending");
    let text = exchange(addr, METRICS).body;
    assert_eq!(metric(&text, "oauthbearer_ready"), Some(0.0), "{text}");
    assert_eq!(metric(&text, "oauthbearer_token_expires_in_seconds"), Some(0.0));
    // An outage: the hung fetch fails, and so do the next ones.
    source.set(Behaviour::Fail);
    let reply = until(addr, READYZ, Duration::from_secs(5), |r| r.json()["code"] == "credentials_unavailable");
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["code"], "credentials_unavailable", "{reply:?}");
    assert_eq!(reply.json()["message"], "the metadata server refused");
    // Recovery: ready, with the token's remaining life, and the counters tell the story.
    source.set(Behaviour::Work);
    let reply = until(addr, READYZ, Duration::from_secs(15), |r| r.status == 200);
    assert_eq!(reply.status, 200, "{reply:?}");
    let left = reply.json()["expires_in"].as_u64().unwrap();
    assert!((3590..=3600).contains(&left), "{left}");
    assert_eq!(exchange(addr, GET).status, 200);
    let text = exchange(addr, METRICS).body;
    assert_eq!(metric(&text, "oauthbearer_ready"), Some(1.0), "{text}");
    assert!(metric(&text, "oauthbearer_token_expires_in_seconds").unwrap() >= 3590.0);
    assert_eq!(metric(&text, r#"oauthbearer_token_fetches_total{outcome="success",code=""}"#), Some(1.0), "{text}");
    let failures =
        metric(&text, r#"oauthbearer_token_fetches_total{outcome="failure",code="credentials_unavailable"}"#);
    assert!(failures.unwrap() >= 1.0, "{text}");
    let fetches = metric(&text, "oauthbearer_token_fetch_duration_seconds_count").unwrap();
    assert_eq!(fetches, 1.0 + failures.unwrap(), "every fetch is timed once: {text}");
    assert_eq!(metric(&text, r#"oauthbearer_http_requests_total{route="token",status="200"}"#), Some(1.0), "{text}");
    assert!(metric(&text, r#"oauthbearer_http_requests_total{route="readyz",status="503"}"#).unwrap() >= 2.0);
    assert!(metric(&text, "oauthbearer_http_open_connections").unwrap() >= 1.0, "the scrape's own connection");
}

#[test]
fn metrics_are_prometheus_text_and_never_hold_the_token() {
    let source = Steered::new(Behaviour::Work, 3600);
    let server = provider_server(source, 2_000, config());
    let addr = server.local_addr();
    let token = exchange(addr, GET).json()["access_token"].as_str().unwrap().to_owned();
    let _ = exchange(addr, b"GARBAGE\r\n\r\n");
    let reply = exchange(addr, METRICS);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    assert!(reply.body.ends_with("# EOF\n"), "{}", reply.body);
    assert!(reply.body.contains("# TYPE oauthbearer_token_fetch_duration_seconds histogram"), "{}", reply.body);
    assert_eq!(metric(&reply.body, r#"oauthbearer_http_refusals_total{reason="bad_request"}"#), Some(1.0));
    for part in token.split('.') {
        assert!(!reply.body.contains(part), "a token part in /metrics");
        assert!(!exchange(addr, READYZ).body.contains(part), "a token part in /readyz");
    }
    // Only GET and HEAD; HEAD has no body.
    assert_eq!(exchange(addr, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").status, 405);
    let head = exchange(addr, b"HEAD /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
}

#[test]
fn with_operational_paths_off_every_path_serves_the_token() {
    let source = Steered::new(Behaviour::Work, 3600);
    let server = provider_server(source, 2_000, oauthbearer_server::Config { operational_paths: false, ..config() });
    for request in [READYZ, LIVEZ, METRICS] {
        let reply = exchange(server.local_addr(), request);
        assert_eq!(reply.status, 200);
        assert!(reply.json()["access_token"].is_string(), "{reply:?}");
    }
}

#[test]
fn an_issuer_is_ready_while_it_serves() {
    let server = issuer_server(config());
    let reply = exchange(server.local_addr(), READYZ);
    assert_eq!((reply.status, reply.json()["status"].as_str()), (200, Some("ready")));
    let text = exchange(server.local_addr(), METRICS).body;
    assert_eq!(metric(&text, "oauthbearer_ready"), Some(1.0), "{text}");
}

/// Writes a whole `size`-byte body before reading, as Python's `urllib` and `http.client` do,
/// and returns the answer the server sent.
fn post_whole_then_read(addr: std::net::SocketAddr, size: usize) -> Reply {
    let mut stream = connect(addr);
    let head = format!("POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Length: {size}\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let body = vec![b'a'; size];
    stream.write_all(&body).expect("the server reads what it refuses until the client is done");
    read_reply(&mut stream, false).expect("an answer")
}

#[test]
fn a_body_over_the_limit_written_before_reading_gets_a_readable_413() {
    let source = Steered::new(Behaviour::Work, 3600);
    // The default lingering bounds (32 MiB, 2 s), with the tests' short request timeouts.
    let server = provider_server(source, 2_000, config());
    for size in [2 << 20, 20 << 20] {
        let reply = post_whole_then_read(server.local_addr(), size);
        assert_eq!(reply.status, 413, "{size}: {reply:?}");
        assert_eq!(reply.json()["error"], "invalid_request");
    }
}

#[test]
fn lingering_is_bounded() {
    // A client that sends far more than the bound is cut off (reset) rather than read forever.
    let source = Steered::new(Behaviour::Work, 3600);
    let bounded = oauthbearer_server::Config { linger_bytes: 256 << 10, ..config() };
    let server = provider_server(source, 2_000, bounded);
    let mut stream = connect(server.local_addr());
    stream.write_all(b"POST /token HTTP/1.1\r\nContent-Length: 67108864\r\n\r\n").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let cut = (0..64).any(|_| stream.write_all(&chunk).is_err());
    assert!(cut, "the server stopped reading after its bound");
}
