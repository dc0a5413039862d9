//! A raw-socket catalogue of malformed and hostile requests, each with the status it must get (an
//! RFC 6749 JSON error, never HTML, never a silent close), and after each a well-formed request
//! that must still be answered. Then the connection-level cases: slow, idle, pipelined, HTTP/1.0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::*;

fn big_header(len: usize) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "a".repeat(len)).into_bytes()
}

fn many_headers(n: usize) -> Vec<u8> {
    let fields: String = (0..n).map(|i| format!("X-{i}: v\r\n")).collect();
    format!("GET / HTTP/1.1\r\nHost: a\r\n{fields}\r\n").into_bytes()
}

fn post(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("POST /token HTTP/1.1\r\nHost: a\r\n{headers}\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

/// `(name, request bytes, expected status)`.
fn catalogue() -> Vec<(&'static str, Vec<u8>, u16)> {
    let b = |s: &str| s.as_bytes().to_vec();
    vec![
        ("Content-Length: -1", post("Content-Length: -1\r\n", b""), 400),
        ("Content-Length: 99999999999", post("Content-Length: 99999999999\r\n", b""), 413),
        ("Content-Length: abc", post("Content-Length: abc\r\n", b""), 400),
        ("Content-Length: 1e3", post("Content-Length: 1e3\r\n", b""), 400),
        ("Content-Length: +5", post("Content-Length: +5\r\n", b"hello"), 400),
        ("Content-Length: empty", post("Content-Length: \r\n", b""), 400),
        ("Content-Length past u64", post("Content-Length: 184467440737095516160\r\n", b""), 413),
        ("Content-Length twice, same value", post("Content-Length: 2\r\nContent-Length: 2\r\n", b"ab"), 400),
        ("Content-Length twice, different", post("Content-Length: 2\r\nContent-Length: 3\r\n", b"abc"), 400),
        ("Content-Length list", post("Content-Length: 2, 2\r\n", b"ab"), 400),
        (
            "Content-Length and Transfer-Encoding",
            post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
            400,
        ),
        ("Transfer-Encoding: gzip", post("Transfer-Encoding: gzip\r\n", b""), 501),
        ("Transfer-Encoding: gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", b""), 501),
        (
            "Transfer-Encoding twice",
            post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
            400,
        ),
        ("Transfer-Encoding on HTTP/1.0", b("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
        ("declared body past 64 KiB", post("Content-Length: 70000\r\n", b""), 413),
        ("chunked body past 64 KiB", post("Transfer-Encoding: chunked\r\n", b"10001\r\n"), 413),
        ("chunk size not hex", post("Transfer-Encoding: chunked\r\n", b"xyz\r\n"), 400),
        ("chunk size negative", post("Transfer-Encoding: chunked\r\n", b"-5\r\n"), 400),
        ("chunk size overflowing", post("Transfer-Encoding: chunked\r\n", b"fffffffffffffffffffff\r\n"), 400),
        ("chunk data past its size", post("Transfer-Encoding: chunked\r\n", b"2\r\nabcd\r\n0\r\n\r\n"), 400),
        ("chunk line endless", post("Transfer-Encoding: chunked\r\n", &[b'1'; 5000]), 400),
        ("a line of binary garbage", b"\x00\xff\xfe\x01garbage\x02\r\n\r\n".to_vec(), 400),
        ("a TLS ClientHello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x00\x00\x00".to_vec(), 400),
        ("HTTP/2 preface", b("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505),
        ("HTTP/2.0 request line", b("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505),
        ("HTTP/1.2", b("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505),
        ("no version", b("GET /\r\nHost: a\r\n\r\n"), 400),
        ("no Host on HTTP/1.1", b("GET / HTTP/1.1\r\n\r\n"), 400),
        ("two Hosts", b("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400),
        ("header without a colon", b("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400),
        ("space before the colon", b("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400),
        ("NUL in a header value", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400),
        ("folded header line", b("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"), 400),
        ("header of 9 KiB", big_header(9 * 1024), 431),
        ("head of 100 KiB", big_header(100 * 1024), 431),
        ("100 header fields", many_headers(100), 431),
        (
            "request line of 9 KiB",
            format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "p".repeat(9 * 1024)).into_bytes(),
            431,
        ),
        ("relative target", b("GET token HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
        ("CONNECT authority-form", b("CONNECT idp.example:443 HTTP/1.1\r\nHost: idp.example\r\n\r\n"), 400),
        (
            "two Authorization headers",
            b("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n"),
            400,
        ),
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
    ]
}

#[test]
fn every_hostile_request_gets_its_status_and_the_server_keeps_answering() {
    let source = Steered::new(Behaviour::Work, 3600);
    let server = provider_server(source, 5_000, config());
    let addr = server.local_addr();
    let cases = catalogue();
    assert!(cases.iter().filter(|c| c.2 >= 400).count() >= 40, "at least 40 refusals");
    for (name, bytes, status) in cases {
        let reply = exchange(addr, &bytes);
        assert_eq!(reply.status, status, "{name}: {reply:?}");
        if status >= 400 {
            let json = reply.json();
            assert!(json["error"].is_string() && json["error_description"].is_string(), "{name}: {json}");
            assert_eq!(reply.header("content-type"), Some("application/json"), "{name}");
            assert!(!reply.body.contains("hunter2"));
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
    let reply = exchange(addr, &post("Content-Length: 18\r\n", b"grant_type=nothing"));
    assert_eq!((reply.status, reply.json()["error"].as_str()), (401, Some("invalid_client")));
}
