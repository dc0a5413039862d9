//! The oauthbearer Envoy plugin (proxy-wasm, `wasm32-wasip1`): an HTTP filter that injects
//! `Authorization: Bearer <token>` into requests it passes upstream (mode `inject`), or answers
//! token requests itself for Kafka clients' `sasl.oauthbearer.token.endpoint.url` (mode
//! `endpoint`). An adapter over the core: [`Sidecar`] builds the calls and reads the answers,
//! [`SharedLifecycle`] decides when to fetch, serve, refresh or give up.
//!
//! Envoy runs one VM per worker thread (and one on the main thread); they share the token state
//! through proxy-wasm shared data, so there is one fetch in flight for all of them. Only root
//! contexts start fetches (from `on_tick`): a callout belongs to the context that made it, and a
//! request's context may be gone before the IdP answers. A request that finds no valid token
//! pauses and asks its root for a tick now; the root releases it with the token or a JSON 503.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use oauthbearer::endpoint::Route;
use oauthbearer::lifecycle::shared::{proxy_wasm_cas, CasStore, SharedLifecycle};
use oauthbearer::lifecycle::{Decision, FetchFailure, FetchId, Fetched};
use oauthbearer::sidecar::{Answer, Call, Exchange, Outcome, Sidecar, SidecarConfig, SidecarMode};
use oauthbearer::{Error, ErrorKind};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel, MapType, MetricType};

/// How often a root with paused requests looks at the shared state (a fetch another worker runs
/// reports there).
const WAITER_TICK: Duration = Duration::from_millis(10);
/// The longest a root sleeps between looks (it also wakes at the refresh time).
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Paused requests per worker; past this a request gets the 503 at once.
const MAX_WAITERS: usize = 4096;
/// How many workers' wake-up queues a fetch's outcome is announced to (the most recent ones; a
/// configuration reload starts new VMs, and a worker missed still looks every `WAITER_TICK`).
const MAX_WAKE_QUEUES: u32 = 64;

/// The module's entry point (`_initialize`): registers the root context.
mod entry {
    #![allow(missing_docs)]
    use super::{LogLevel, Root};

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|context_id| Box::new(Root { context_id, vm: None }));
    }}
}

fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

/// Uniform in [0, 1) from the host's randomness (WASI `random_get`).
fn random01() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

fn log(level: LogLevel, message: &str) {
    // Envoy prefixes the plugin's name.
    let _ = hostcalls::log(level, message);
}

/// Envoy's shared data under one key.
struct SharedData<'a>(&'a str);

impl CasStore for SharedData<'_> {
    fn load(&mut self) -> (Option<Vec<u8>>, Option<u32>) {
        hostcalls::get_shared_data(self.0).unwrap_or((None, None))
    }
    fn store(&mut self, bytes: &[u8], cas: Option<u32>) -> bool {
        // A creation must fail if another worker created the key since the load.
        hostcalls::set_shared_data(self.0, Some(bytes), Some(proxy_wasm_cas(cas))).is_ok()
    }
}

/// The number of VMs a counter's stored bytes say (0 for none or unreadable bytes).
fn vm_count(bytes: Option<Vec<u8>>) -> u32 {
    bytes.and_then(|b| String::from_utf8(b).ok()).and_then(|t| t.parse::<u32>().ok()).unwrap_or(0)
}

/// Counters (Envoy aggregates same-named metrics of all VMs: `wasmcustom.oauthbearer_*`).
struct Metrics {
    fetches: u32,
    fetch_failures: u32,
    unavailable: u32,
}

impl Metrics {
    fn define() -> Option<Self> {
        let counter = |name| hostcalls::define_metric(MetricType::Counter, name).ok();
        Some(Self {
            fetches: counter("oauthbearer_fetches")?,
            fetch_failures: counter("oauthbearer_fetch_failures")?,
            unavailable: counter("oauthbearer_unavailable")?,
        })
    }
}

fn bump(metric: Option<u32>) {
    if let Some(id) = metric {
        let _ = hostcalls::increment_metric(id, 1);
    }
}

/// A worker's plugin state, shared by its root and request contexts.
struct Vm {
    sidecar: Sidecar,
    key: String,
    life: SharedLifecycle<Fetched>,
    root_id: u32,
    /// Paused request contexts.
    waiters: Vec<u32>,
    /// Callouts out: which fetch each belongs to and which of its calls it is.
    calls: HashMap<u32, (FetchId, Exchange)>,
    /// A tick was asked for since the last one (requests ask once).
    nudged: bool,
    metrics: Option<Metrics>,
    /// The last token injected and its `Authorization` value.
    authorization: Option<(Fetched, String)>,
    /// The VM id queues are named under, and this worker's index among the VMs sharing the state.
    vm_id: String,
    index: Option<u32>,
}

type SharedVm = Rc<RefCell<Vm>>;

/// What a request gets now: the token, a wait for the fetch in flight, or the error to answer 503 with.
enum Now {
    Token(Fetched),
    Wait,
    Unavailable(Error),
}

impl Vm {
    /// Applies `event` to the shared state; a store that keeps changing is logged and the local
    /// state used as it stands.
    fn update<R>(
        &mut self,
        event: impl FnMut(&mut oauthbearer::lifecycle::TokenLifecycle<Fetched, Error>) -> R,
    ) -> Option<R> {
        let key = self.key.clone();
        match self.life.update(&mut SharedData(&key), event) {
            Ok(r) => Some(r),
            Err(e) => {
                log(LogLevel::Warn, &format!("[{}] {}", e.code(), e.message()));
                None
            }
        }
    }

    /// Asks this worker's root for a tick as soon as possible (once until it runs), from request
    /// context `current`.
    fn nudge(&mut self, current: u32) {
        if !self.nudged {
            self.nudged = true;
            let _ = hostcalls::set_effective_context(self.root_id);
            let _ = hostcalls::set_tick_period(Duration::from_millis(1));
            let _ = hostcalls::set_effective_context(current);
        }
    }

    /// Request `current`'s view: the local copy's valid token, else the shared state's; never
    /// starts a fetch, but asks the root for one when the token is due.
    fn token_for_request(&mut self, now: u64, current: u32) -> Option<Fetched> {
        let token = match self.life.local().cached(now) {
            Some(t) => Some(t.clone()),
            None => self.update(|life| life.cached(now).cloned()).flatten(),
        };
        if self.life.local().due(now) {
            self.nudge(current);
        }
        token
    }

    /// The `Authorization` value for the local copy's token if it is valid at `now` (asking the
    /// root for a refresh when it is due), without copying the token per request.
    fn cached_authorization(&mut self, now: u64, current: u32) -> Option<&str> {
        let token = self.life.local().cached(now)?;
        if !self.authorization.as_ref().is_some_and(|(t, _)| t == token) {
            self.authorization = Some((token.clone(), Sidecar::authorization(token)));
        }
        if self.life.local().due(now) {
            self.nudge(current);
        }
        self.authorization.as_ref().map(|(_, value)| value.as_str())
    }

    /// The root's view: serve, start the fetch the machine asks for, wait or fail.
    fn decide(&mut self, now: u64) -> Now {
        let decision = self.update(|life| match life.want(now) {
            Decision::Serve(t) => (None, Ok(Some(t.clone()))),
            Decision::Fetch { fetch, serve } => (Some(fetch), Ok(serve.cloned())),
            Decision::Wait { .. } => (None, Ok(None)),
            Decision::Fail(e) => (None, Err(e.clone())),
        });
        let Some((fetch, outcome)) = decision else { return Now::Wait };
        if let Some(id) = fetch {
            self.start(id, now);
        }
        match outcome {
            Ok(Some(t)) => Now::Token(t),
            Ok(None) => Now::Wait,
            Err(e) => Now::Unavailable(e),
        }
    }

    fn start(&mut self, fetch: FetchId, now: u64) {
        bump(self.metrics.as_ref().map(|m| m.fetches));
        match self.sidecar.begin(now) {
            Ok((exchange, call)) => self.dispatch(fetch, exchange, &call, now),
            Err(f) => self.failed(fetch, f.error, f.retryable, f.retry_after.as_deref(), now),
        }
    }

    fn dispatch(&mut self, fetch: FetchId, exchange: Exchange, call: &Call, now: u64) {
        let mut headers: Vec<(&str, &str)> =
            vec![(":method", call.method), (":path", &call.path), (":authority", &call.authority)];
        headers.extend(call.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let body = call.body.as_ref().map(|b| b.expose().as_bytes());
        let timeout = Duration::from_millis(self.sidecar.policy().fetch_timeout_ms);
        // Callouts belong to the root, whatever context we run in.
        let _ = hostcalls::set_effective_context(self.root_id);
        match hostcalls::dispatch_http_call(&self.sidecar.config().cluster, headers, body, vec![], timeout) {
            Ok(token) => {
                self.calls.insert(token, (fetch, exchange));
            }
            Err(status) => {
                let error = Error::new(
                    ErrorKind::TokenEndpointUnreachable,
                    format!(
                        "Envoy refused the call to cluster {} ({status:?}); is the cluster defined?",
                        self.sidecar.config().cluster
                    ),
                );
                self.failed(fetch, error, true, None, now);
            }
        }
    }

    fn failed(&mut self, fetch: FetchId, error: Error, retryable: bool, retry_after: Option<&str>, now: u64) {
        bump(self.metrics.as_ref().map(|m| m.fetch_failures));
        log(LogLevel::Warn, &format!("token fetch failed: [{}] {}", error.code(), error.message()));
        let random = random01();
        self.update(|life| {
            let failure = FetchFailure { error: error.clone(), retryable, retry_after };
            life.fetch_failed(fetch, failure, now, random)
        });
        self.wake_others();
    }

    /// Claims this worker's index among the VMs that share the state, and registers the queue
    /// other workers wake it through when a fetch they ran reports back.
    fn register_wake_queue(&mut self) {
        let counter = self.vm_counter_key();
        let mut store = SharedData(&counter);
        for _ in 0..64 {
            let (bytes, cas) = store.load();
            let count = vm_count(bytes);
            if store.store((count + 1).to_string().as_bytes(), cas) {
                if hostcalls::register_shared_queue(&self.queue_name(count)).is_ok() {
                    self.index = Some(count);
                }
                return;
            }
        }
    }

    /// The shared-data key counting the VMs that share the state.
    fn vm_counter_key(&self) -> String {
        format!("{}/vms", self.key)
    }

    fn queue_name(&self, index: u32) -> String {
        format!("{}/wake/{index}", self.key)
    }

    /// Tells the other workers that a fetch reported back, so their paused requests go on now.
    fn wake_others(&self) {
        let counter = self.vm_counter_key();
        let (bytes @ Some(_), _) = SharedData(&counter).load() else { return };
        let count = vm_count(bytes);
        for index in count.saturating_sub(MAX_WAKE_QUEUES)..count {
            if Some(index) == self.index {
                continue;
            }
            if let Ok(Some(queue)) = hostcalls::resolve_shared_queue(&self.vm_id, &self.queue_name(index)) {
                let _ = hostcalls::enqueue_shared_queue(queue, Some(b"1"));
            }
        }
    }

    /// An answer (or none) to callout `token`.
    fn answered(&mut self, token: u32, answer: Option<Answer<'_>>, now: u64) {
        let Some((fetch, exchange)) = self.calls.remove(&token) else { return };
        match self.sidecar.answer(exchange, answer, now) {
            Outcome::Next(exchange, call) => self.dispatch(fetch, exchange, &call, now),
            Outcome::Token(t) => {
                let jitter = random01();
                let (exp, iat) = (t.expires_at_ms, t.issued_at_ms);
                self.update(|life| life.fetch_succeeded(fetch, t.clone(), exp, iat, now, jitter));
                self.wake_others();
            }
            Outcome::Failed(f) => self.failed(fetch, f.error, f.retryable, f.retry_after.as_deref(), now),
        }
    }

    /// Releases paused requests when the machine has an answer for them.
    fn release_waiters(&mut self, now: u64) {
        if self.waiters.is_empty() {
            return;
        }
        let answer = match self.decide(now) {
            Now::Wait => return,
            other => other,
        };
        for id in std::mem::take(&mut self.waiters) {
            if hostcalls::set_effective_context(id).is_ok() {
                self.reply(&answer, now, true);
            }
        }
        let _ = hostcalls::set_effective_context(self.root_id);
    }

    /// Acts on the current (effective) request: injects or serves the token, or answers 503.
    /// A `paused` request is resumed after the token is injected.
    fn reply(&self, answer: &Now, now: u64, paused: bool) {
        let endpoint = self.sidecar.config().mode == SidecarMode::Endpoint;
        match answer {
            Now::Token(t) if endpoint => {
                let body = self.sidecar.token_body(t, now);
                let headers = vec![("content-type", "application/json"), ("cache-control", "no-store")];
                let _ = hostcalls::send_http_response(200, headers, Some(body.as_bytes()));
            }
            Now::Token(t) => {
                let value = Sidecar::authorization(t);
                let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, "authorization", Some(&value));
                if paused {
                    let _ = hostcalls::resume_http_request();
                }
            }
            Now::Unavailable(e) => {
                bump(self.metrics.as_ref().map(|m| m.unavailable));
                let body = Sidecar::unavailable_body(e);
                let headers =
                    vec![("content-type", "application/json"), ("cache-control", "no-store"), ("retry-after", "1")];
                let _ = hostcalls::send_http_response(503, headers, Some(body.as_bytes()));
            }
            Now::Wait => {}
        }
    }

    /// Schedules the root's next tick.
    fn schedule(&mut self, wake_at_ms: Option<u64>, now: u64) {
        self.nudged = false;
        let until_wake = wake_at_ms.map_or(IDLE_TICK, |at| Duration::from_millis(at.saturating_sub(now).max(1)));
        let period = if self.waiters.is_empty() { until_wake.min(IDLE_TICK) } else { until_wake.min(WAITER_TICK) };
        let _ = hostcalls::set_tick_period(period);
    }
}

struct Root {
    context_id: u32,
    vm: Option<SharedVm>,
}

impl Root {
    fn configure(&mut self) -> Result<(), Error> {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        let config = SidecarConfig::from_json(&bytes)?;
        let inline = config.inline_secrets();
        if !inline.is_empty() {
            log(
                LogLevel::Warn,
                &format!(
                    "secrets inline in the plugin configuration ({}) are shown by Envoy's /config_dump and its debug \
                     log: take them from the environment (private_key_env, client_secret_env)",
                    inline.join(", ")
                ),
            );
        }
        let sidecar = Sidecar::new(config, &|name| std::env::var(name).ok())?;
        let plugin = self.get_property(vec!["plugin_name"]).map(|b| String::from_utf8_lossy(&b).into_owned());
        let key = Sidecar::state_key(plugin.as_deref().unwrap_or(""), &bytes);
        let life = SharedLifecycle::new(sidecar.policy());
        let vm = Vm {
            sidecar,
            key,
            life,
            root_id: self.context_id,
            waiters: Vec::new(),
            calls: HashMap::new(),
            nudged: false,
            metrics: Metrics::define(),
            vm_id: self
                .get_property(vec!["plugin_vm_id"])
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            index: None,
            authorization: None,
        };
        let vm = Rc::new(RefCell::new(vm));
        vm.borrow_mut().register_wake_queue();
        self.vm = Some(vm);
        Ok(())
    }
}

impl Context for Root {
    fn on_http_call_response(&mut self, token_id: u32, num_headers: usize, body_size: usize, _num_trailers: usize) {
        let Some(vm) = &self.vm else { return };
        let now = now_ms();
        let headers = if num_headers == 0 { Vec::new() } else { self.get_http_call_response_headers() };
        let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let status = header(":status").and_then(|s| s.parse::<u16>().ok());
        let body = match status {
            Some(_) => self.get_http_call_response_body(0, body_size.min(oauthbearer::sidecar::MAX_ANSWER_BYTES)),
            None => None,
        }
        .unwrap_or_default();
        let answer = status.map(|status| Answer {
            status,
            content_type: header("content-type"),
            retry_after: header("retry-after"),
            body: &body,
        });
        let mut vm = vm.borrow_mut();
        vm.answered(token_id, answer, now);
        vm.release_waiters(now);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        match self.configure() {
            Ok(()) => {
                // The first look (and fetch) right away.
                self.set_tick_period(Duration::from_millis(1));
                true
            }
            Err(e) => {
                log(LogLevel::Error, &format!("plugin configuration refused: [{}] {}", e.code(), e.message()));
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let Some(vm) = &self.vm else { return };
        let mut vm = vm.borrow_mut();
        let now = now_ms();
        let poll = vm.update(|life| life.poll(now));
        if let Some(fetch) = poll.and_then(|p| p.fetch) {
            vm.start(fetch, now);
        }
        vm.release_waiters(now);
        vm.schedule(poll.and_then(|p| p.wake_at_ms), now);
    }

    fn on_queue_ready(&mut self, queue_id: u32) {
        while let Ok(Some(_)) = hostcalls::dequeue_shared_queue(queue_id) {}
        if let Some(vm) = &self.vm {
            vm.borrow_mut().release_waiters(now_ms());
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let vm = self.vm.clone()?;
        Some(Box::new(Request { context_id, vm }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Request {
    context_id: u32,
    vm: SharedVm,
}

impl Context for Request {
    fn on_done(&mut self) -> bool {
        self.vm.borrow_mut().waiters.retain(|id| *id != self.context_id);
        true
    }
}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let vm = Rc::clone(&self.vm);
        let mut vm = vm.borrow_mut();
        if vm.sidecar.config().mode == SidecarMode::Endpoint {
            let method = self.get_http_request_header(":method").unwrap_or_default();
            let path = self.get_http_request_header(":path").unwrap_or_default();
            match vm.sidecar.route(&method, &path) {
                None => return Action::Continue,
                Some(Route::Token) => {}
                Some(Route::Options { allow }) => {
                    self.send_http_response(204, vec![("allow", allow)], None);
                    return Action::Pause;
                }
                Some(Route::Refuse { status, description, allow }) => {
                    let mut headers = vec![("content-type", "application/json")];
                    headers.extend(allow.map(|a| ("allow", a)));
                    self.send_http_response(
                        u32::from(status),
                        headers,
                        Some(Sidecar::refusal_body(description).as_bytes()),
                    );
                    return Action::Pause;
                }
                Some(_) => return Action::Continue,
            }
        }
        let now = now_ms();
        if vm.sidecar.config().mode == SidecarMode::Inject {
            // The hot path: the local copy's valid token, its header value built once per token.
            if let Some(value) = vm.cached_authorization(now, self.context_id) {
                self.set_http_request_header("authorization", Some(value));
                return Action::Continue;
            }
        }
        if let Some(token) = vm.token_for_request(now, self.context_id) {
            vm.reply(&Now::Token(token), now, false);
            // Injected in place (go on), or answered locally (stop here).
            return if vm.sidecar.config().mode == SidecarMode::Endpoint { Action::Pause } else { Action::Continue };
        }
        if vm.waiters.len() >= MAX_WAITERS {
            let error = Error::new(ErrorKind::FetchTimeout, "too many requests are waiting for a token in this worker");
            vm.reply(&Now::Unavailable(error), now, false);
            return Action::Pause;
        }
        vm.waiters.push(self.context_id);
        vm.nudged = false;
        vm.nudge(self.context_id);
        Action::Pause
    }
}
