//! Test helpers: servers on 127.0.0.1 with short timeouts, a raw HTTP client, a token source the
//! tests steer (working, failing, hanging).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use oauthbearer::issuer::{AccessTokenClaims, IssuerService, LocalIssuer};
use oauthbearer::lifecycle::LifecyclePolicy;
use oauthbearer::{Dialect, Error, ErrorKind, PrivateKey};
use oauthbearer_server::{Attempts, Backend, Config, FetchFailed, Fetched, Server, TokenSource};

/// Timeouts short enough for tests, long enough for a loaded machine.
pub fn config() -> Config {
    Config {
        request_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(400),
        ..Config::default()
    }
}

pub fn listener() -> TcpListener {
    oauthbearer_server::bind("127.0.0.1:0".parse().unwrap()).unwrap()
}

pub fn issuer() -> Arc<IssuerService> {
    let key = PrivateKey::generate_p256().unwrap().signing_key(oauthbearer::Algorithm::ES256).unwrap();
    Arc::new(IssuerService::new(LocalIssuer::new("https://issuer.test", key)))
}

pub fn issuer_server(config: Config) -> Server {
    let backend = Backend::Issuer { service: issuer(), audience: Some("kafka".into()), lifetime_seconds: 3600 };
    Server::start(listener(), backend, config).unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Work,
    Fail,
    Hang,
    /// One attempt is refused (reported to the server), then the fetch hangs retrying.
    RefusedThenHang,
}

/// A token source the test steers; counts its calls.
pub struct Steered {
    issuer: LocalIssuer,
    pub state: Mutex<(Behaviour, u64)>,
    changed: Condvar,
    pub lifetime_seconds: u32,
}

impl Steered {
    pub fn new(behaviour: Behaviour, lifetime_seconds: u32) -> Arc<Self> {
        let key = PrivateKey::generate_p256().unwrap().signing_key(oauthbearer::Algorithm::ES256).unwrap();
        Arc::new(Self {
            issuer: LocalIssuer::new("https://issuer.test", key),
            state: Mutex::new((behaviour, 0)),
            changed: Condvar::new(),
            lifetime_seconds,
        })
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().0 = behaviour;
        self.changed.notify_all();
    }

    pub fn calls(&self) -> u64 {
        self.state.lock().unwrap().1
    }
}

impl TokenSource for Steered {
    fn fetch(&self, now_ms: u64, attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        if state.0 == Behaviour::RefusedThenHang {
            let refused = "cannot reach the token endpoint http://127.0.0.1:1/token: connection refused";
            attempts.failed(&Error::new(ErrorKind::TokenEndpointUnreachable, refused));
            state.0 = Behaviour::Hang;
        }
        // A hanging fetch waits until the test lets it go (a metadata server that says nothing).
        while state.0 == Behaviour::Hang {
            state = self.changed.wait(state).unwrap();
        }
        if state.0 == Behaviour::Fail {
            let error = Error::new(ErrorKind::CredentialsUnavailable, "the metadata server refused");
            return Err(FetchFailed { error, retryable: true, retry_after: None });
        }
        let claims = AccessTokenClaims {
            subject: "svc".into(),
            audience: None,
            scope: None,
            lifetime_seconds: self.lifetime_seconds,
        };
        let t = self.issuer.sign_access_token(&claims, now_ms, None).unwrap();
        Ok(Fetched { token: t.token, expires_at_ms: t.expires_at_ms, issued_at_ms: Some(now_ms) })
    }
}

pub fn provider_server(source: Arc<Steered>, fetch_timeout_ms: u64, config: Config) -> Server {
    let mut policy = LifecyclePolicy::for_client(Dialect::KafkaJava);
    policy.fetch_timeout_ms = fetch_timeout_ms;
    provider_server_with(source, policy, config)
}

pub fn provider_server_with(source: Arc<Steered>, policy: LifecyclePolicy, config: Config) -> Server {
    Server::start(listener(), Backend::Provider { source, policy }, config).unwrap()
}

/// A parsed answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads one answer (head, then Content-Length bytes; none for HEAD or 204).
pub fn read_reply(stream: &mut TcpStream, head_only: bool) -> Option<Reply> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => return None,
            Ok(_) => buf.push(byte[0]),
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    let head = String::from_utf8(buf).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut reply = Reply { status, head, body: String::new() };
    let len: usize = reply.header("content-length").map_or(0, |v| v.parse().unwrap());
    if !head_only {
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).unwrap();
        reply.body = String::from_utf8(body).unwrap();
    }
    Some(reply)
}

/// Sends `bytes` on a new connection and reads one answer.
pub fn exchange(addr: SocketAddr, bytes: &[u8]) -> Reply {
    let mut s = connect(addr);
    s.write_all(bytes).unwrap();
    let head_only = bytes.starts_with(b"HEAD ");
    read_reply(&mut s, head_only).unwrap_or_else(|| panic!("no answer to {:?}", String::from_utf8_lossy(bytes)))
}

/// Asks `request` until `ok` holds for an answer or `within` passes (a server-side back-off must end).
pub fn until(addr: SocketAddr, request: &[u8], within: Duration, ok: impl Fn(&Reply) -> bool) -> Reply {
    let end = std::time::Instant::now() + within;
    loop {
        let reply = exchange(addr, request);
        if ok(&reply) || std::time::Instant::now() > end {
            return reply;
        }
        std::thread::sleep(Duration::from_millis(20)); // polling a back-off, not synchronizing
    }
}

/// Whether the server closed the connection (EOF, or a reset after it closed).
pub fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.read(&mut byte), Ok(0) | Err(_))
}

pub const GET: &[u8] = b"GET /token HTTP/1.1\r\nHost: localhost\r\n\r\n";
