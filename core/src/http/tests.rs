#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;

fn head(bytes: &[u8]) -> RequestHead {
    match parse_head(bytes, &Limits::default()) {
        Head::Complete { head, len } => {
            assert_eq!(len, bytes.len());
            head
        }
        other => panic!("{other:?}"),
    }
}

fn status(bytes: &[u8]) -> u16 {
    match parse_head(bytes, &Limits::default()) {
        Head::Refused(r) => r.status,
        other => panic!("{other:?}"),
    }
}

#[test]
fn well_formed_heads() {
    let h = head(b"POST /token?x=secret HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nAuthorization: Basic abc\r\n\r\n");
    assert_eq!((h.method, h.path.as_str(), h.http11, h.keep_alive), (Method::Post, "/token", true, true));
    assert_eq!(h.body, BodyFraming::Length(12));
    assert_eq!(h.authorization.as_ref().map(Secret::expose), Some("Basic abc"));
    assert!(!format!("{h:?}").contains("abc"), "Debug hides the Authorization header");
    let h = head(b"GET / HTTP/1.0\r\n\r\n");
    assert!(!h.http11 && !h.keep_alive && h.body == BodyFraming::None);
    assert!(head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
    assert!(!head(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
    assert_eq!(head(b"GET http://x:1/p/q?s HTTP/1.1\r\nHost: a\r\n\r\n").path, "/p/q");
    assert_eq!(head(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").path, "*");
    assert_eq!(head(b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n").method, Method::Other);
    assert_eq!(head(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n").body, BodyFraming::Chunked);
    assert_eq!(head(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").body, BodyFraming::None);
}

#[test]
fn partial_heads_wait_for_more() {
    assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost:", &Limits::default()), Head::Partial);
    assert_eq!(parse_head(b"", &Limits::default()), Head::Partial);
}

#[test]
fn refusals() {
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"), 400);
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"), 400);
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n"), 400);
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    assert_eq!(status(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), 400, "no Host");
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    assert_eq!(status(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    assert_eq!(status(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
    assert_eq!(status(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400, "a TLS hello");
    assert_eq!(status(b"GET relative HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n"), 400);
    let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "y".repeat(9000));
    assert_eq!(status(big.as_bytes()), 431);
    assert_eq!(status(format!("GET / HTTP/1.1\r\nX: {}", "y".repeat(9000)).as_bytes()), 431, "still partial");
    let many: String = (0..70).map(|i| format!("X{i}: v\r\n")).collect();
    assert_eq!(status(format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n").as_bytes()), 431);
    let huge = head(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    assert_eq!(check_body_length(usize::MAX, &Limits::default()).unwrap_err().status, 413);
    assert_eq!(huge.body, BodyFraming::Length(usize::MAX));
    assert!(check_body_length(65_536, &Limits::default()).is_ok());
    assert_eq!(check_body_length(65_537, &Limits::default()).unwrap_err().status, 413);
}

#[test]
fn chunked_bodies() {
    let mut d = ChunkedDecoder::new(&Limits::default());
    assert_eq!(
        d.feed(b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nGET /next"),
        Chunked::Done { used: 42 }
    );
    assert_eq!(d.body(), b"Wikipedia");
    let mut d = ChunkedDecoder::new(&Limits::default());
    for b in b"3\r\nabc\r\n0\r\n\r" {
        assert_eq!(d.feed(&[*b]), Chunked::More);
    }
    assert_eq!(d.feed(b"\n"), Chunked::Done { used: 1 });
    assert_eq!(d.body(), b"abc");
    let refused = |bytes: &[u8]| match ChunkedDecoder::new(&Limits::default()).feed(bytes) {
        Chunked::Refused(r) => r.status,
        other => panic!("{other:?}"),
    };
    assert_eq!(refused(b"zz\r\n"), 400);
    assert_eq!(refused(b"-1\r\n"), 400);
    assert_eq!(refused(b"ffffffffffffffffff\r\n"), 400);
    assert_eq!(refused(b"10001\r\n"), 413);
    assert_eq!(refused(b"3\r\nabcd\r\n"), 400);
    assert_eq!(refused(&[b'1'; 5000]), 400);
    let mut d = ChunkedDecoder::new(&Limits { body_bytes: 5, ..Limits::default() });
    assert_eq!(d.feed(b"3\r\nabc\r\n"), Chunked::More);
    assert_eq!(
        d.feed(b"3\r\n"),
        Chunked::Refused(Refusal { status: 413, description: "the request body is too large" })
    );
}

#[test]
fn responses() {
    let r = response(200, b"{}", true, true, false, None);
    assert_eq!(
        r,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nCache-Control: no-store\r\nPragma: no-cache\r\n\r\n{}"
    );
    let r = String::from_utf8(response(405, b"{}", false, false, true, Some("GET, POST"))).unwrap();
    assert!(
        r.starts_with("HTTP/1.0 405 Method Not Allowed\r\n") && r.contains("Allow: GET, POST\r\nConnection: close\r\n")
    );
    assert!(r.ends_with("\r\n\r\n"), "HEAD: no body");
    let r = String::from_utf8(response(204, b"", true, true, false, Some("GET"))).unwrap();
    assert!(!r.contains("Content-Length"));
}
