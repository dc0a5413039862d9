//! Accepting connections and answering their requests. The framing rules are the core's
//! ([`oauthbearer::http`]); this module only reads, times out, writes and closes.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauthbearer::endpoint::{
    error_response_body, issuer_readiness_body, liveness_body, readiness_answer, route_with, token_response_body,
    EndpointMode, Route,
};
use oauthbearer::http::{self, BodyFraming, Chunked, ChunkedDecoder, Head, Method, Refusal, RequestHead};
use oauthbearer::issuer::{AccessTokenClaims, IssuerService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout_at;

use crate::metrics::{refusal_reason, Metrics, State};
use crate::source::TokenCache;
use crate::{now_ms, Backend, Config, Stats};

/// How much is read from a socket at a time.
const READ_CHUNK: usize = 8 * 1024;

enum Answerer {
    Provider(Arc<TokenCache>),
    Issuer { service: Arc<IssuerService>, audience: Option<String>, lifetime_seconds: u32 },
}

/// What every connection shares.
pub(crate) struct Shared {
    answerer: Answerer,
    config: Config,
    stats: Arc<Stats>,
    metrics: Arc<Metrics>,
}

impl Shared {
    pub(crate) fn new(backend: Backend, config: Config, stats: Arc<Stats>) -> Self {
        let metrics = Metrics::new();
        let answerer = match backend {
            Backend::Provider { source, policy } => {
                Answerer::Provider(TokenCache::new(source, policy, Arc::clone(&stats), Arc::clone(&metrics)))
            }
            Backend::Issuer { service, audience, lifetime_seconds } => {
                Answerer::Issuer { service, audience, lifetime_seconds }
            }
        };
        Self { answerer, config, stats, metrics }
    }
}

/// One answer: status, body, its type, `Allow`, and the route it answers (a metrics label).
struct Answer {
    status: u16,
    body: Vec<u8>,
    content_type: &'static str,
    allow: Option<&'static str>,
    route: &'static str,
}

impl Answer {
    fn json(route: &'static str, status: u16, body: String) -> Self {
        Self { status, body: body.into_bytes(), content_type: "application/json", allow: None, route }
    }

    fn error(route: &'static str, status: u16, error: &str, description: &str) -> Self {
        Self::json(route, status, error_response_body(error, description))
    }
}

/// Accepts until told to stop, then drains.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("oauthbearer-server: cannot listen: {}", e.kind());
            return;
        }
    };
    if let Answerer::Provider(cache) = &shared.answerer {
        tokio::spawn(Arc::clone(cache).refresh_in_background());
    }
    let mut connections = JoinSet::new();
    let drain = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let open = shared.stats.open_connections.fetch_add(1, Ordering::Relaxed);
                    let shared = Arc::clone(&shared);
                    if open >= shared.config.max_connections {
                        Stats::bump(&shared.stats.overloaded);
                        connections.spawn(overloaded(stream, shared));
                    } else {
                        connections.spawn(connection(stream, shared, stop.clone()));
                    }
                }
                // Out of file descriptors or a connection reset before accept: wait a moment
                // rather than spin, then accept again.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            changed = stop.changed() => {
                let drain = *stop.borrow();
                if changed.is_err() || drain.is_some() {
                    break drain.unwrap_or(Duration::ZERO);
                }
            }
        }
    };
    drop(listener);
    let deadline = tokio::time::Instant::now() + drain;
    while !connections.is_empty() {
        if timeout_at(deadline, connections.join_next()).await.is_err() {
            connections.abort_all();
            break;
        }
    }
}

/// Past the connection limit: a 503 and close, without reading the request.
async fn overloaded(mut stream: TcpStream, shared: Arc<Shared>) {
    shared.metrics.refused("overloaded");
    let body = error_response_body("temporarily_unavailable", "too many connections; try again");
    let bytes = http::response(503, body.as_bytes(), true, false, false, None);
    let deadline = tokio::time::Instant::now() + shared.config.request_timeout;
    let _ = timeout_at(deadline, stream.write_all(&bytes)).await;
    let _ = stream.shutdown().await;
    shared.stats.open_connections.fetch_sub(1, Ordering::Relaxed);
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, stop: watch::Receiver<Option<Duration>>) {
    let mut conn = Connection { stream, buf: Vec::with_capacity(1024), shared, stop };
    conn.run().await;
    let _ = conn.stream.shutdown().await;
    conn.shared.stats.open_connections.fetch_sub(1, Ordering::Relaxed);
}

struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet consumed (a pipelined request may follow the current one).
    buf: Vec<u8>,
    shared: Arc<Shared>,
    stop: watch::Receiver<Option<Duration>>,
}

/// Why reading stopped.
enum ReadEnd {
    /// The peer closed, the socket failed, the connection sat idle, or the server is stopping.
    Closed,
    /// The request did not arrive in time.
    TimedOut,
}

impl Connection {
    async fn run(&mut self) {
        loop {
            let (head, started) = match self.read_head().await {
                Ok(head) => head,
                Err(Some(refusal)) => return self.refuse(refusal).await,
                Err(None) => return,
            };
            let body = match self.read_body(&head, started).await {
                Ok(body) => body,
                Err(Some(refusal)) => return self.refuse(refusal).await,
                Err(None) => return,
            };
            let stats = &self.shared.stats;
            stats.in_progress.fetch_add(1, Ordering::Relaxed);
            let answer = self.shared.answer(&head, &body).await;
            stats.in_progress.fetch_sub(1, Ordering::Relaxed);
            let stopping = self.stop.borrow().is_some();
            let keep_alive = head.keep_alive && !stopping;
            let head_only = head.method == Method::Head;
            let bytes = http::response_typed(
                answer.status,
                answer.content_type,
                &answer.body,
                head.http11,
                keep_alive,
                head_only,
                answer.allow,
            );
            // Counted before the write: a client that has its answer sees it counted (it used to be
            // bumped after, and a stats read right after the last answer could miss it).
            Stats::bump(&self.shared.stats.requests);
            self.shared.metrics.answered(answer.route, answer.status);
            let written = self.write(&bytes).await;
            self.shared.log(head.method.as_str(), &head.path, answer.status, started);
            if !written || !keep_alive {
                return;
            }
        }
    }

    /// The next request head; `Err(Some)` to refuse, `Err(None)` to close quietly.
    async fn read_head(&mut self) -> Result<(RequestHead, Instant), Option<Refusal>> {
        let limits = self.shared.config.limits;
        let mut started = (!self.buf.is_empty()).then(Instant::now);
        loop {
            match http::parse_head(&self.buf, &limits) {
                Head::Complete { head, len } => {
                    self.buf.drain(..len);
                    return Ok((head, started.unwrap_or_else(Instant::now)));
                }
                Head::Refused(refusal) => return Err(Some(refusal)),
                Head::Partial => {}
            }
            // Idle until a request starts (and a stopping server does not wait for one); then the
            // whole request has `request_timeout`.
            let deadline = match started {
                None => Instant::now() + self.shared.config.idle_timeout,
                Some(t) => t + self.shared.config.request_timeout,
            };
            match self.read_more(deadline, started.is_none()).await {
                Ok(()) => {
                    started.get_or_insert_with(Instant::now);
                }
                Err(ReadEnd::TimedOut) if started.is_some() => return Err(Some(timed_out())),
                Err(_) => return Err(None),
            }
        }
    }

    async fn read_body(&mut self, head: &RequestHead, started: Instant) -> Result<Vec<u8>, Option<Refusal>> {
        let limits = self.shared.config.limits;
        let deadline = started + self.shared.config.request_timeout;
        match head.body {
            BodyFraming::None => Ok(Vec::new()),
            BodyFraming::Length(n) => {
                http::check_body_length(n, &limits)?;
                while self.buf.len() < n {
                    self.read_more(deadline, false).await.map_err(|end| match end {
                        ReadEnd::TimedOut => Some(timed_out()),
                        ReadEnd::Closed => None,
                    })?;
                }
                Ok(self.buf.drain(..n).collect())
            }
            BodyFraming::Chunked => {
                let mut decoder = ChunkedDecoder::new(&limits);
                loop {
                    match decoder.feed(&self.buf) {
                        Chunked::Done { used } => {
                            self.buf.drain(..used);
                            return Ok(decoder.body().to_vec());
                        }
                        Chunked::Refused(refusal) => return Err(Some(refusal)),
                        Chunked::More => self.buf.clear(),
                    }
                    self.read_more(deadline, false).await.map_err(|end| match end {
                        ReadEnd::TimedOut => Some(timed_out()),
                        ReadEnd::Closed => None,
                    })?;
                }
            }
        }
    }

    /// Reads at most one chunk more into the buffer before `deadline`.
    async fn read_more(&mut self, deadline: Instant, idle: bool) -> Result<(), ReadEnd> {
        let mut chunk = [0u8; READ_CHUNK];
        let deadline = tokio::time::Instant::from_std(deadline);
        let read = async {
            tokio::select! {
                read = self.stream.read(&mut chunk) => Some(read),
                // An idle connection of a stopping server closes; one mid-request finishes.
                _ = self.stop.wait_for(Option::is_some), if idle => None,
            }
        };
        match timeout_at(deadline, read).await {
            Err(_) => Err(ReadEnd::TimedOut),
            Ok(None | Some(Ok(0) | Err(_))) => Err(ReadEnd::Closed),
            Ok(Some(Ok(n))) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> bool {
        // A client that stops reading gets as long to take its answer as it had to send it.
        let deadline = tokio::time::Instant::now() + self.shared.config.request_timeout;
        matches!(timeout_at(deadline, self.stream.write_all(bytes)).await, Ok(Ok(())))
    }

    async fn refuse(&mut self, refusal: Refusal) {
        Stats::bump(&self.shared.stats.refused);
        self.shared.metrics.refused(refusal_reason(refusal.status));
        let body = error_response_body("invalid_request", refusal.description);
        let bytes = http::response(refusal.status, body.as_bytes(), true, false, false, None);
        if self.write(&bytes).await {
            self.linger().await;
        }
        self.shared.log("-", "-", refusal.status, Instant::now());
    }

    /// Lingering close (nginx's, Go's): after a refusal, half-close and discard what the client
    /// still sends, up to [`Config::linger_bytes`] within [`Config::linger_time`]. Closing with
    /// unread bytes in the receive buffer makes the kernel send a reset, which destroys the answer
    /// before a client that writes its whole body first (`urllib`, `http.client`) reads it.
    async fn linger(&mut self) {
        if self.stream.shutdown().await.is_err() {
            return;
        }
        let deadline = tokio::time::Instant::now() + self.shared.config.linger_time;
        let mut left = self.shared.config.linger_bytes;
        let mut chunk = [0u8; READ_CHUNK];
        while left > 0 {
            match timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
                _ => return,
            }
        }
    }
}

fn timed_out() -> Refusal {
    Refusal { status: 408, description: "the request did not arrive in time" }
}

impl Shared {
    async fn answer(&self, head: &RequestHead, body: &[u8]) -> Answer {
        let mode = match self.answerer {
            Answerer::Provider(_) => EndpointMode::Provider,
            Answerer::Issuer { .. } => EndpointMode::Issuer,
        };
        match (route_with(mode, head.method, &head.path, self.config.operational_paths), &self.answerer) {
            (Route::Options { allow }, _) => {
                Answer { status: 204, allow: Some(allow), ..Answer::json("options", 204, String::new()) }
            }
            (Route::Refuse { status, description, allow }, _) => {
                Answer { allow, ..Answer::error("refused", status, "invalid_request", description) }
            }
            (Route::Live, _) => Answer::json("livez", 200, liveness_body()),
            (Route::Ready, Answerer::Provider(cache)) => {
                let now = now_ms();
                let (status, body) = cache.with_readiness(now, |state| readiness_answer(state, now));
                Answer::json("readyz", status, body)
            }
            (Route::Ready, Answerer::Issuer { .. }) => Answer::json("readyz", 200, issuer_readiness_body()),
            (Route::Metrics, _) => {
                let text = self.metrics.render(self.metrics_state());
                Answer { content_type: http::PROMETHEUS_TEXT, ..Answer::json("metrics", 200, text) }
            }
            (Route::Token, Answerer::Provider(cache)) => match cache.token().await {
                Ok(t) => Answer::json(
                    "token",
                    200,
                    token_response_body(t.token.expose(), t.expires_at_ms, now_ms(), self.config.style),
                ),
                Err(e) => {
                    Answer::error("token", 503, "temporarily_unavailable", &format!("{}: {}", e.code(), e.message()))
                }
            },
            (Route::Jwks, Answerer::Issuer { service, .. }) => {
                Answer::json("jwks", 200, service.issuer().jwks().to_string())
            }
            (Route::Discovery, Answerer::Issuer { service, .. }) => {
                Answer::json("discovery", 200, service.issuer().discovery().to_string())
            }
            (Route::IssueToken, Answerer::Issuer { service, audience, lifetime_seconds }) => {
                self.issue(service, audience, *lifetime_seconds, head, body)
            }
            // `route` gives each mode only its own routes.
            _ => Answer::error("refused", 404, "invalid_request", "not found"),
        }
    }

    /// The state gauges at a scrape.
    fn metrics_state(&self) -> State {
        let open_connections = self.stats.open_connections.load(Ordering::Relaxed);
        let now = now_ms();
        match &self.answerer {
            Answerer::Provider(cache) => cache.with_readiness(now, |state| State {
                expires_in_seconds: state.map_or(0, |expires_at_ms| expires_at_ms.saturating_sub(now) / 1000),
                ready: state.is_ok(),
                open_connections,
            }),
            Answerer::Issuer { .. } => State { expires_in_seconds: 0, ready: true, open_connections },
        }
    }

    /// `POST /token` in issuer mode: client authentication, then an access token.
    fn issue(
        &self,
        service: &IssuerService,
        audience: &Option<String>,
        lifetime_seconds: u32,
        head: &RequestHead,
        body: &[u8],
    ) -> Answer {
        if let Some(observe) = &self.config.observer {
            observe(body);
        }
        let now = now_ms();
        let body = String::from_utf8_lossy(body);
        let authorization = head.authorization.as_ref().map(|a| a.expose());
        let (client_id, scope) = match service.authenticate(&body, authorization, now) {
            Ok(client) => client,
            Err(e) => {
                let (status, error) = oauthbearer::issuer::refusal_status(&e);
                return Answer::error("issue_token", status, error, e.message());
            }
        };
        let claims = AccessTokenClaims { subject: client_id, audience: audience.clone(), scope, lifetime_seconds };
        match service.issuer().sign_access_token(&claims, now, None) {
            Ok(t) => Answer::json(
                "issue_token",
                200,
                token_response_body(t.token.expose(), t.expires_at_ms, now, self.config.style),
            ),
            Err(e) => Answer::error("issue_token", 500, "server_error", &format!("{}: {}", e.code(), e.message())),
        }
    }

    /// One access line: method, path without query, status, duration. Never headers, query or body.
    fn log(&self, method: &str, path: &str, status: u16, started: Instant) {
        if self.config.access_log {
            let path: String = path.chars().take(200).collect();
            eprintln!("oauthbearer-server {method} {path} {status} {:.1}ms", started.elapsed().as_secs_f64() * 1000.0);
        }
    }
}
