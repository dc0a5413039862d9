//! The local token endpoint as a native server: what kafka-auth-handler and Google's local auth
//! server answer on `localhost:14293`, hardened for a sidecar that runs for days next to user code.
//!
//! * **HTTP** is framed by the core ([`oauthbearer::http`]): every malformed, oversized or
//!   ambiguous request gets an RFC 6749 JSON error and the connection is closed; nothing is
//!   answered with HTML or dropped silently where HTTP allows an answer.
//! * **Slow and idle clients** are dropped: a request must arrive whole within
//!   [`Config::request_timeout`] of its first byte (else 408), and a connection may wait
//!   [`Config::idle_timeout`] for its next request. At most [`Config::max_connections`] are open;
//!   past that a new connection is answered 503 and closed at once.
//! * **Tokens** come from the core's lifecycle machine ([`oauthbearer::lifecycle`]): one fetch in
//!   flight, on a thread of its own (the host's [`TokenSource`] may block, or take a GIL), Kafka's
//!   refresh schedule in the background, the cached token while a refresh fails or hangs, a
//!   deadline after which waiting requests get 503 `fetch_timeout`.
//! * **Issuer mode** serves a local issuer natively (`/token`, `/jwks`, discovery).
//! * **Shutdown** stops accepting, lets requests in flight finish (up to a drain time), and closes.
//! * **Operations** (on unless [`Config::operational_paths`] is off): `/livez`, `/readyz` (200
//!   while a valid token is cached or the issuer serves, else 503 with the core's code) and
//!   `/metrics` (Prometheus text; the names are in the `metrics` module's table and the README).
//! * **Refusals are read**: after answering a refusal the server half-closes and discards what the
//!   client still sends, within [`Config::linger_bytes`] and [`Config::linger_time`], as nginx's
//!   lingering close does: a client that writes its whole (oversized) body before reading gets
//!   the 413, not a connection reset.
//! * **Access log** (optional, stderr): method, path without query, status, duration — never a
//!   header, query or body.
//!
//! Why not hyper: hyper 1 answers framing errors itself, with an empty body — an invalid
//! `Content-Length` or a line of binary garbage gets `400 Bad Request` and `content-length: 0`
//! (seen with `bench/bare-hyper`), and a 20 KB header passes (its limit is a read buffer, ~400 KB).
//! The contract here is an RFC 6749 JSON error for every refusal with limits of our choosing, so the
//! framing is the core's ([`oauthbearer::http`], on `httparse`, the parser hyper itself uses) and
//! this crate is the tokio I/O around it. `bench/bare-hyper` stays the benchmark's speed limit.
#![forbid(unsafe_code)]

mod connection;
mod metrics;
mod source;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use oauthbearer::endpoint::ResponseStyle;
use oauthbearer::http::Limits;
use oauthbearer::issuer::IssuerService;
use oauthbearer::lifecycle::LifecyclePolicy;
use tokio::sync::watch;

pub use source::{Attempts, FetchFailed, Fetched, TokenSource};

/// Told of each issuer-mode `/token` request body.
pub type Observer = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// How the server behaves under load and abuse.
#[derive(Clone)]
pub struct Config {
    /// Request size limits (8 KiB head, 64 KiB body).
    pub limits: Limits,
    /// A request must arrive whole within this time of its first byte (5 s, as kafka-auth-handler).
    pub request_timeout: Duration,
    /// A connection may wait this long for its next request (5 s, as kafka-auth-handler).
    pub idle_timeout: Duration,
    /// At most this many connections are open; past it a new one is answered 503 and closed.
    pub max_connections: usize,
    /// The JSON layout of token answers.
    pub style: ResponseStyle,
    /// Write an access line per request to stderr.
    pub access_log: bool,
    /// Threads serving connections (2: a sidecar shares its machine).
    pub worker_threads: usize,
    /// Told of every issuer-mode `/token` body (tests compare what clients send). Never logged.
    pub observer: Option<Observer>,
    /// Answer `/livez`, `/readyz` and `/metrics` (on). Off, those paths serve the token as every
    /// other path does (kafka-auth-handler's contract).
    pub operational_paths: bool,
    /// After a refusal, discard at most this much of what the client still sends (32 MiB).
    pub linger_bytes: usize,
    /// … for at most this long (2 s).
    pub linger_time: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("limits", &self.limits)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("style", &self.style)
            .field("access_log", &self.access_log)
            .field("worker_threads", &self.worker_threads)
            .field("observer", &self.observer.is_some())
            .field("operational_paths", &self.operational_paths)
            .field("linger_bytes", &self.linger_bytes)
            .field("linger_time", &self.linger_time)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            request_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            max_connections: 4096,
            style: ResponseStyle::default(),
            access_log: false,
            worker_threads: 2,
            observer: None,
            operational_paths: true,
            linger_bytes: 32 << 20,
            linger_time: Duration::from_secs(2),
        }
    }
}

/// What the server answers with.
pub enum Backend {
    /// A token source's token on any path.
    Provider {
        /// The host's fetch.
        source: Arc<dyn TokenSource>,
        /// The lifecycle policy (refresh schedule, back-off, fetch deadline).
        policy: LifecyclePolicy,
    },
    /// A local issuer.
    Issuer {
        /// The issuer and its clients.
        service: Arc<IssuerService>,
        /// The `aud` of issued tokens.
        audience: Option<String>,
        /// Their lifetime.
        lifetime_seconds: u32,
    },
}

/// Counters, for tests, benchmarks and the host's health checks.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests answered (refusals while framing are counted in `refused` instead).
    pub requests: AtomicU64,
    /// Requests refused while framing (400, 408, 413, 431, 501, 505).
    pub refused: AtomicU64,
    /// Connections answered 503 because [`Config::max_connections`] were open.
    pub overloaded: AtomicU64,
    /// Fetches that returned a token.
    pub fetches: AtomicU64,
    /// Fetches that failed.
    pub fetch_failures: AtomicU64,
    /// Connections open now.
    pub open_connections: AtomicUsize,
    /// Requests read whole and not answered yet (waiting for a token, say).
    pub in_progress: AtomicUsize,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Binds a listening socket on `addr` with `SO_REUSEADDR` (a restarted sidecar must not wait out
/// the old one's TIME_WAIT) and a backlog of 4096 (a burst of clients starting at once must not
/// overflow it: a dropped SYN is retried after 1 s).
pub fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// Resolves `host:port` and binds it as [`bind`] does, with the errors both fronts report:
/// `address_in_use` (naming `--port`) when another process listens there, else `invalid_config`.
pub fn listen(host: &str, port: u16) -> Result<std::net::TcpListener, oauthbearer::Error> {
    use oauthbearer::{Error, ErrorKind};
    use std::net::ToSocketAddrs;
    let unusable =
        |what: String| Error::new(ErrorKind::InvalidConfig, format!("cannot listen on {host}:{port}: {what}"));
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| unusable(e.kind().to_string()))?
        .next()
        .ok_or_else(|| unusable("no address".into()))?;
    bind(addr).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => Error::new(
            ErrorKind::AddressInUse,
            format!("cannot listen on {host}:{port}: another process is listening there; stop it or pick another port (--port)"),
        ),
        kind => unusable(kind.to_string()),
    })
}

/// A running server. Dropping it shuts it down without draining.
pub struct Server {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: watch::Sender<Option<Duration>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves on `listener` (already bound: the host picks the address) until shut down.
    pub fn start(listener: std::net::TcpListener, backend: Backend, config: Config) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let (stop, stopped) = watch::channel(None);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("oauthbearer-server")
            .enable_io()
            .enable_time()
            .build()?;
        let shared = Arc::new(connection::Shared::new(backend, config, Arc::clone(&stats)));
        let thread = std::thread::Builder::new().name("oauthbearer-server".into()).spawn(move || {
            runtime.block_on(connection::serve(listener, shared, stopped));
            // Tasks still running past the drain time (a connection stuck in a write) are dropped.
            runtime.shutdown_timeout(Duration::from_millis(100));
        })?;
        Ok(Self { addr, stats, stop, thread: Some(thread) })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters (they outlive the server, for a last look after shutdown).
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Stops accepting, lets requests in flight finish for up to `drain`, closes every connection
    /// and returns once the server's threads are gone.
    pub fn shutdown(mut self, drain: Duration) {
        self.stop_and_join(drain);
    }

    fn stop_and_join(&mut self, drain: Duration) {
        let _ = self.stop.send(Some(drain));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_join(Duration::ZERO);
    }
}

/// Epoch milliseconds now (the host's clock: the core never reads one).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A uniform draw in `[0, 1)` from the OS (refresh and back-off jitter); 0.5 if the OS says no.
pub fn random01() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
