//! A raw-socket catalogue of malformed and hostile requests — the shared bad-input catalogue's
//! HTTP requests and the answers past the framing — each with the status it must get (an RFC 6749
//! JSON error, never HTML, never a silent close, never an echo of a planted secret), and after
//! each a well-formed request that must still be answered. Then the connection-level cases: slow, idle, pipelined, HTTP/1.0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::*;

fn big_header(len: usize) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "a".repeat(len)).into_bytes()
}

fn post(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("POST /token HTTP/1.1\r\nHost: a\r\n{headers}\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

/// The refusals of the shared bad-input catalogue (`tests/vectors/bad_inputs.json`, op
/// `http_request`; each character of `request` is one byte): `(name, bytes, status, planted secrets)`.
fn shared_catalogue() -> Vec<(String, Vec<u8>, u16, Vec<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/bad_inputs.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let cases: Vec<_> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "http_request")
        .map(|c| {
            let bytes = c["input"]["request"].as_str().unwrap().chars().map(|ch| u8::try_from(u32::from(ch)).unwrap());
            let secrets = c["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
            let status = u16::try_from(c["output"]["status"].as_u64().unwrap()).unwrap();
            (c["name"].as_str().unwrap().to_owned(), bytes.collect(), status, secrets)
        })
        .collect();
    assert!(cases.len() >= 40, "the catalogue has {} HTTP requests", cases.len());
    cases
}

/// What the shared catalogue leaves out: answers past the framing (405, 200, 204) and a head too
/// large to keep in JSON. `(name, request bytes, expected status)`.
fn local_catalogue() -> Vec<(String, Vec<u8>, u16, Vec<String>)> {
    let b = |s: &str| s.as_bytes().to_vec();
    let cases = vec![
        ("head of 100 KiB", big_header(100 * 1024), 431),
        ("PUT", b("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), 405),
        ("DELETE", b("DELETE /token HTTP/1.1\r\nHost: a\r\n\r\n"), 405),
        ("TRACE", b("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n"), 405),
        ("lowercase get", b("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 405),
        ("HEAD", b("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"), 200),
        ("OPTIONS", b("OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n"), 204),
        ("OPTIONS *", b("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 204),
        ("absolute-form target", b("GET http://localhost:14293/token?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"), 200),
        ("bare LF line ends", b("GET / HTTP/1.1\nHost: a\n\n"), 200),
        ("HTTP/1.0 without Host", b("GET / HTTP/1.0\r\n\r\n"), 200),
        ("POST with a chunked body", post("Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"), 200),
        ("query with a secret", b("GET /token?client_secret=hunter2 HTTP/1.1\r\nHost: a\r\n\r\n"), 200),
    ];
    cases.into_iter().map(|(n, bytes, status)| (n.to_owned(), bytes, status, vec!["hunter2".to_owned()])).collect()
}

#[test]
fn every_hostile_request_gets_its_status_and_the_server_keeps_answering() {
    let source = Steered::new(Behaviour::Work, 3600);
    let server = provider_server(source, 5_000, config());
    let addr = server.local_addr();
    let cases = [shared_catalogue(), local_catalogue()].concat();
    assert!(cases.iter().filter(|c| c.2 >= 400).count() >= 40, "at least 40 refusals");
    for (name, bytes, status, secrets) in cases {
        let reply = exchange(addr, &bytes);
        assert_eq!(reply.status, status, "{name}: {reply:?}");
        if status >= 400 {
            let json = reply.json();
            assert!(json["error"].is_string() && json["error_description"].is_string(), "{name}: {json}");
            if status != 405 {
                assert_eq!(json["error"], "invalid_request", "{name}");
            }
            assert_eq!(reply.header("content-type"), Some("application/json"), "{name}");
        }
        let answer = format!("{}{}", reply.head, reply.body);
        for secret in secrets.iter().map(String::as_str).chain(["PLANTED"]) {
            assert!(!answer.contains(secret), "{name}: the answer shows {secret}");
        }
        if status == 405 {
            assert!(reply.header("allow").is_some(), "{name}: Allow");
        }
        let after = exchange(addr, GET);
        assert_eq!(after.status, 200, "after {name}: {after:?}");
        assert!(after.json()["access_token"].is_string());
    }
    assert!(server.stats().refused.load(std::sync::atomic::Ordering::Relaxed) >= 30);
}

#[test]
fn refusals_close_the_connection() {
    let server = provider_server(Steered::new(Behaviour::Work, 3600), 5_000, config());
    let mut s = connect(server.local_addr());
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let reply = read_reply(&mut s, false).unwrap();
    assert_eq!((reply.status, reply.header("connection")), (400, Some("close")));
    assert!(closed(&mut s));
}

#[test]
fn a_slow_head_or_body_gets_408_and_an_idle_connection_is_closed() {
    let server = provider_server(Steered::new(Behaviour::Work, 3600), 5_000, config());
    let addr = server.local_addr();
    let mut slow_head = connect(addr);
    slow_head.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap();
    let mut slow_body = connect(addr);
    slow_body.write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc").unwrap();
    let mut idle = connect(addr);
    let started = Instant::now();
    assert_eq!(read_reply(&mut slow_head, false).unwrap().status, 408);
    assert_eq!(read_reply(&mut slow_body, false).unwrap().status, 408);
    assert!(closed(&mut idle), "an idle connection is closed without an answer");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(350) && waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(exchange(addr, GET).status, 200);
}

#[test]
fn keep_alive_pipelining_and_http_1_0() {
    let server = provider_server(Steered::new(Behaviour::Work, 3600), 5_000, config());
    let addr = server.local_addr();
    // Three pipelined requests in one write, the last closing.
    let mut s = connect(addr);
    let mut three = GET.repeat(2);
    three.extend_from_slice(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    s.write_all(&three).unwrap();
    for _ in 0..3 {
        assert_eq!(read_reply(&mut s, false).unwrap().status, 200);
    }
    assert!(closed(&mut s));
    // HTTP/1.0: closed after the answer unless it asks for keep-alive.
    let mut s = connect(addr);
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let reply = read_reply(&mut s, false).unwrap();
    assert!(reply.head.starts_with("HTTP/1.0 200"));
    assert!(closed(&mut s));
    let mut s = connect(addr);
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let reply = read_reply(&mut s, false).unwrap();
        assert_eq!((reply.status, reply.header("connection")), (200, Some("keep-alive")));
    }
    // HEAD: the headers of a GET, no body; the connection stays usable.
    let mut s = connect(addr);
    s.write_all(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let head = read_reply(&mut s, true).unwrap();
    assert!(head.header("content-length").is_some_and(|n| n != "0"));
    s.write_all(GET).unwrap();
    assert_eq!(read_reply(&mut s, false).unwrap().status, 200);
}

#[test]
fn a_thousand_idle_connections_do_not_keep_a_fresh_client_waiting() {
    let server = provider_server(Steered::new(Behaviour::Work, 3600), 5_000, oauthbearer_server::Config::default());
    let addr = server.local_addr();
    assert_eq!(exchange(addr, GET).status, 200, "warm: the token is cached");
    let idle: Vec<_> = (0..1000).map(|_| connect(addr)).collect();
    // Half of them have started a request and stalled.
    for s in idle.iter().step_by(2) {
        (&*s).write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
    }
    // All accepted (not waiting in the listen queue ahead of the fresh client).
    while server.stats().open_connections.load(std::sync::atomic::Ordering::Relaxed) < 1000 {
        std::thread::yield_now();
    }
    let mut fresh = connect(addr);
    let started = Instant::now();
    fresh.write_all(GET).unwrap();
    let reply = read_reply(&mut fresh, false).unwrap();
    let took = started.elapsed();
    assert_eq!(reply.status, 200);
    assert!(took < Duration::from_millis(50), "a fresh client waited {took:?}");
    assert!(server.stats().open_connections.load(std::sync::atomic::Ordering::Relaxed) >= 1000);
    drop(idle);
}

#[test]
fn past_the_connection_limit_new_connections_get_503() {
    let config = oauthbearer_server::Config { max_connections: 5, ..config() };
    let server = provider_server(Steered::new(Behaviour::Work, 3600), 5_000, config);
    let addr = server.local_addr();
    let held: Vec<_> = (0..5).map(|_| connect(addr)).collect();
    // The five are accepted (one request each proves it) before the sixth comes.
    for s in &held {
        (&*s).write_all(GET).unwrap();
        let mut s = s.try_clone().unwrap();
        assert_eq!(read_reply(&mut s, false).unwrap().status, 200);
    }
    let reply = exchange(addr, GET);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["error"], "temporarily_unavailable");
    drop(held);
}

#[test]
fn issuer_mode_routes() {
    let server = issuer_server(config());
    let addr = server.local_addr();
    let jwks = exchange(addr, b"GET /jwks HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.json()["keys"][0]["kty"], "EC");
    assert_eq!(exchange(addr, b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: a\r\n\r\n").status, 200);
    assert_eq!(exchange(addr, b"GET /token HTTP/1.1\r\nHost: a\r\n\r\n").status, 405);
    assert_eq!(exchange(addr, b"GET /other HTTP/1.1\r\nHost: a\r\n\r\n").status, 404);
    let form = b"grant_type=client_credentials&client_id=app";
    let reply = exchange(addr, &post(&format!("Content-Length: {}\r\n", form.len()), form));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.json()["access_token"].is_string());
    // RFC 6749 §5.2: another grant is 400 unsupported_grant_type, not a client authentication failure.
    let reply = exchange(addr, &post("Content-Length: 18\r\n", b"grant_type=nothing"));
    assert_eq!((reply.status, reply.json()["error"].as_str()), (400, Some("unsupported_grant_type")));
}
