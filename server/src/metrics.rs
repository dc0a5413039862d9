//! `/metrics`: Prometheus text, from `prometheus-client` (the Prometheus project's own Rust
//! client). Names follow Strimzi's `strimzi_oauth_*` and Envoy's credential injector
//! (`token_fetched`, `token_fetch_failed_on_*`): what an operator of a token sidecar already
//! watches. Labels hold routes, statuses, reasons and the core's error codes only: never a
//! token, a secret, a header, a query or a client address.
//!
//! | Metric | Type | Labels |
//! |---|---|---|
//! | `oauthbearer_token_fetches_total` | counter | `outcome` (`success`, `failure`), `code` (the core's, empty on success) |
//! | `oauthbearer_token_fetch_duration_seconds` | histogram | — |
//! | `oauthbearer_token_expires_in_seconds` | gauge | — (0 while nothing valid is cached) |
//! | `oauthbearer_ready` | gauge | — (1 while `/readyz` answers 200) |
//! | `oauthbearer_http_requests_total` | counter | `route`, `status` |
//! | `oauthbearer_http_refusals_total` | counter | `reason` |
//! | `oauthbearer_http_open_connections` | gauge | — |

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    outcome: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
}

/// The server's metrics. Counters are bumped where things happen; gauges of state (expiry,
/// readiness, open connections) are set when `/metrics` is read.
pub(crate) struct Metrics {
    registry: Registry,
    fetches: Family<FetchLabels, Counter>,
    fetch_duration: Histogram,
    expires_in: Gauge<i64, AtomicI64>,
    ready: Gauge<i64, AtomicI64>,
    requests: Family<RequestLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    open_connections: Gauge<i64, AtomicI64>,
}

impl Metrics {
    pub(crate) fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("oauthbearer");
        let fetches = Family::<FetchLabels, Counter>::default();
        registry.register("token_fetches", "Token fetches by outcome and error code", fetches.clone());
        // 5 ms .. ~20 s: a metadata server answers in milliseconds, a hanging IdP meets the deadline.
        let fetch_duration = Histogram::new(exponential_buckets(0.005, 2.0, 13));
        registry.register("token_fetch_duration_seconds", "Time each token fetch took", fetch_duration.clone());
        let expires_in = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "token_expires_in_seconds",
            "Seconds until the cached token expires (0 while nothing valid is cached)",
            expires_in.clone(),
        );
        let ready = Gauge::<i64, AtomicI64>::default();
        registry.register("ready", "1 while /readyz answers 200", ready.clone());
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "Requests answered, by route and status", requests.clone());
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "http_refusals",
            "Requests and connections refused before routing, by reason",
            refusals.clone(),
        );
        let open_connections = Gauge::<i64, AtomicI64>::default();
        registry.register("http_open_connections", "Connections open now", open_connections.clone());
        Arc::new(Self { registry, fetches, fetch_duration, expires_in, ready, requests, refusals, open_connections })
    }

    pub(crate) fn fetched(&self, took: Duration, failure_code: Option<&'static str>) {
        let labels = match failure_code {
            None => FetchLabels { outcome: "success", code: "" },
            Some(code) => FetchLabels { outcome: "failure", code },
        };
        self.fetches.get_or_create(&labels).inc();
        self.fetch_duration.observe(took.as_secs_f64());
    }

    pub(crate) fn answered(&self, route: &'static str, status: u16) {
        self.requests.get_or_create(&RequestLabels { route, status }).inc();
    }

    pub(crate) fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&RefusalLabels { reason }).inc();
    }

    /// The text exposition, with the state gauges set to `state` first.
    pub(crate) fn render(&self, state: State) -> String {
        self.expires_in.set(state.expires_in_seconds.try_into().unwrap_or(i64::MAX));
        self.ready.set(i64::from(state.ready));
        self.open_connections.set(state.open_connections.try_into().unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// What the state gauges show at a scrape.
pub(crate) struct State {
    pub(crate) expires_in_seconds: u64,
    pub(crate) ready: bool,
    pub(crate) open_connections: usize,
}

/// The refusal reason of a framing status (low-cardinality label values).
pub(crate) fn refusal_reason(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        408 => "request_timeout",
        413 => "body_too_large",
        431 => "headers_too_large",
        501 => "not_implemented",
        505 => "http_version",
        _ => "other",
    }
}
