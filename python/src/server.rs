//! `NativeServer`: the native token endpoint (crate `oauthbearer-server`) for Python. Serving runs
//! on the server's own threads and never takes the GIL; only the provider's fetch, on a thread of
//! its own and only when the lifecycle says to refresh, calls back into Python.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauthbearer::endpoint::ResponseStyle;
use oauthbearer::lifecycle::{LifecyclePolicy, LifecycleSettings};
use oauthbearer::{Error, ErrorKind, Secret};
use oauthbearer_server::{Attempts, Backend, Config, FetchFailed, Fetched, Server, TokenSource};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{self, IntoPy, Res};
use crate::{config, parse, LocalIssuer, Properties};

/// A Python callable `fetch(now_ms, report_attempt)` returning a token (`.value`, `.expires_at_ms`,
/// `.issued_at_ms`) or raising; `report_attempt(code, message)` tells the server of a failed
/// attempt the fetch retries after (its timeout then names it).
struct PythonFetch(Py<PyAny>);

impl TokenSource for PythonFetch {
    fn fetch(&self, now_ms: u64, attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        // No call into Python once the interpreter exits (see exit_guard).
        let Some(_section) = crate::exit_guard::enter() else {
            let error = Error::new(ErrorKind::CredentialsUnavailable, "the Python interpreter is exiting");
            return Err(FetchFailed { error, retryable: false, retry_after: None });
        };
        Python::attach(|py| {
            let report = AttemptReporter(attempts.clone());
            match self.0.call1(py, (now_ms, report)) {
                Ok(token) => fetched(token.bind(py)).map_err(|_| FetchFailed {
                    error: Error::new(
                        ErrorKind::CredentialsUnavailable,
                        "the fetch returned no token (a .value, .expires_at_ms and .issued_at_ms are needed)",
                    ),
                    retryable: false,
                    retry_after: None,
                }),
                Err(err) => Err(failed(py, &err)),
            }
        })
    }
}

/// `report_attempt(code, message)`: one failed attempt of a server fetch (see [`PythonFetch`]).
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct AttemptReporter(Attempts);

#[pymethods]
impl AttemptReporter {
    fn __call__(&self, code: &str, message: &str) {
        self.0.failed(&Error::reported(code, message));
    }

    fn __repr__(&self) -> String {
        "AttemptReporter(...)".to_owned()
    }
}

fn fetched(token: &Bound<'_, PyAny>) -> PyResult<Fetched> {
    Ok(Fetched {
        token: Secret::new(token.getattr("value")?.extract::<String>()?),
        expires_at_ms: token.getattr("expires_at_ms")?.extract()?,
        issued_at_ms: token.getattr("issued_at_ms")?.extract()?,
    })
}

/// The exception as the lifecycle takes it: an oauthbearer error keeps its code and message (which
/// hold no secret); any other exception is named by its type only (its text may quote anything).
fn failed(py: Python<'_>, err: &PyErr) -> FetchFailed {
    let value = err.value(py);
    let ours = err.is_instance_of::<errors::OAuthBearerError>(py);
    let error = if ours {
        // Raised by this package (or a provider built on it): its code, if any, and its
        // secret-free message.
        let kind = value
            .getattr("code")
            .ok()
            .and_then(|c| c.extract::<String>().ok())
            .and_then(|c| ErrorKind::from_code(&c))
            .unwrap_or(ErrorKind::CredentialsUnavailable);
        Error::new(kind, value.str().map(|s| s.to_string()).unwrap_or_default())
    } else {
        let name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "exception".into());
        Error::new(ErrorKind::CredentialsUnavailable, format!("the fetch raised {name}"))
    };
    let retryable = value.getattr("retryable").ok().and_then(|r| r.extract::<bool>().ok()).unwrap_or(ours);
    let retry_after = value.getattr("retry_after").ok().and_then(|r| r.extract::<Option<String>>().ok()).flatten();
    FetchFailed { error, retryable, retry_after }
}

fn listener(host: &str, port: u16) -> Res<std::net::TcpListener> {
    oauthbearer_server::listen(host, port).map_err(|e| errors::to_pyerr(&e))
}

/// A bound listening socket (so an issuer can be named by its URL before it serves).
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct Listener {
    socket: Mutex<Option<std::net::TcpListener>>,
    url: String,
    exposure_warning: Option<String>,
}

#[pymethods]
impl Listener {
    /// Binds `host:port` (port 0: any free one) with `SO_REUSEADDR` and a deep backlog.
    #[new]
    #[pyo3(signature = (host="127.0.0.1", port=14293))]
    fn new(host: &str, port: u16) -> Res<Self> {
        let socket = listener(host, port)?;
        let addr = socket.local_addr()?;
        Ok(Self {
            url: format!("http://{addr}"),
            socket: Mutex::new(Some(socket)),
            exposure_warning: oauthbearer::endpoint::bind_exposure_warning(addr.ip()),
        })
    }

    /// `http://host:port`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Why a non-loopback bind exposes the tokens, with the fix; `None` on loopback.
    #[getter]
    fn exposure_warning(&self) -> Option<&str> {
        self.exposure_warning.as_deref()
    }

    fn __repr__(&self) -> String {
        format!("Listener(url={:?})", self.url)
    }
}

impl Listener {
    fn take(&self) -> Res<std::net::TcpListener> {
        self.socket
            .lock()
            .map_err(errors::poisoned)?
            .take()
            .ok_or_else(|| errors::to_pyerr(&Error::new(ErrorKind::InvalidConfig, "this listener already serves")))
    }
}

fn server_config(style: &str, access_log: bool, operational_paths: bool) -> Res<Config> {
    Ok(Config { style: parse::<ResponseStyle>(style)?, access_log, operational_paths, ..Config::default() })
}

/// The native token endpoint, running until `shutdown()`.
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct NativeServer {
    server: Mutex<Option<Server>>,
    stats: Arc<oauthbearer_server::Stats>,
    url: String,
}

impl NativeServer {
    fn started(server: Server) -> Self {
        Self { url: server.url(), stats: server.stats(), server: Mutex::new(Some(server)) }
    }
}

impl Drop for NativeServer {
    /// A server dropped without `shutdown()` stops at once, with the GIL released (its threads
    /// may be waiting to call into Python).
    fn drop(&mut self) {
        let server = self.server.get_mut().ok().and_then(Option::take);
        if let Some(server) = server {
            Python::attach(|py| crate::exit_guard::detach(py, || drop(server)));
        }
    }
}

#[pymethods]
impl NativeServer {
    /// Serves a token source's token on any path; `fetch(now_ms)` runs only when the lifecycle
    /// refreshes. The policy is the client's (`kafka-java` or `librdkafka`), or the one Kafka
    /// client `properties` imply; `fetch_timeout_ms` overrides the deadline.
    #[staticmethod]
    #[pyo3(signature = (fetch, listener, style="rfc6749", client="kafka-java", fetch_timeout_ms=None,
                        properties=None, dialect="kafka-java", mode="strict", access_log=false,
                        operational_paths=true))]
    fn provider(
        py: Python<'_>,
        fetch: Py<PyAny>,
        listener: &Listener,
        style: &str,
        client: &str,
        fetch_timeout_ms: Option<u64>,
        properties: Option<Properties>,
        dialect: &str,
        mode: &str,
        access_log: bool,
        operational_paths: bool,
    ) -> Res<Self> {
        let policy = match properties {
            Some(p) => LifecyclePolicy::from_config(&config(&p, dialect, mode)?),
            None => LifecyclePolicy::for_client(parse(client)?),
        };
        let settings = LifecycleSettings { fetch_timeout_ms, ..LifecycleSettings::default() };
        let policy = policy.with_settings(&settings).py()?;
        let backend = Backend::Provider { source: Arc::new(PythonFetch(fetch)), policy };
        let (socket, config) = (listener.take()?, server_config(style, access_log, operational_paths)?);
        let server = crate::exit_guard::detach(py, || Server::start(socket, backend, config))?;
        Ok(Self::started(server))
    }

    /// Serves a local issuer: `/token` (client secret or assertion), `/jwks`, discovery.
    /// `observer(body)` is told of every `/token` body (tests).
    #[staticmethod]
    #[pyo3(signature = (issuer, listener, style="rfc6749", audience=None, lifetime_seconds=3600,
                        access_log=false, observer=None, operational_paths=true))]
    fn issuer(
        py: Python<'_>,
        issuer: &LocalIssuer,
        listener: &Listener,
        style: &str,
        audience: Option<String>,
        lifetime_seconds: u32,
        access_log: bool,
        observer: Option<Py<PyAny>>,
        operational_paths: bool,
    ) -> Res<Self> {
        let backend = Backend::Issuer { service: Arc::clone(&issuer.0), audience, lifetime_seconds };
        let mut config = server_config(style, access_log, operational_paths)?;
        config.observer = observer.map(|o| -> oauthbearer_server::Observer {
            Arc::new(move |body: &[u8]| {
                // Not once the interpreter exits (see exit_guard).
                if let Some(_section) = crate::exit_guard::enter() {
                    Python::attach(|py| {
                        let _ = o.call1(py, (String::from_utf8_lossy(body).into_owned(),));
                    });
                }
            })
        });
        let socket = listener.take()?;
        let server = crate::exit_guard::detach(py, || Server::start(socket, backend, config))?;
        Ok(Self::started(server))
    }

    /// `http://host:port`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The counters: requests, refused, overloaded, fetches, fetch_failures, open_connections,
    /// in_progress (still readable after `shutdown()`).
    fn stats<'py>(&self, py: Python<'py>) -> Res<Bound<'py, PyDict>> {
        use std::sync::atomic::Ordering::Relaxed;
        let d = PyDict::new(py);
        let s = &self.stats;
        d.set_item("requests", s.requests.load(Relaxed))?;
        d.set_item("refused", s.refused.load(Relaxed))?;
        d.set_item("overloaded", s.overloaded.load(Relaxed))?;
        d.set_item("fetches", s.fetches.load(Relaxed))?;
        d.set_item("fetch_failures", s.fetch_failures.load(Relaxed))?;
        d.set_item("open_connections", s.open_connections.load(Relaxed))?;
        d.set_item("in_progress", s.in_progress.load(Relaxed))?;
        Ok(d)
    }

    /// Stops accepting, lets requests in flight finish (up to `drain_ms`) and closes. The GIL is
    /// released meanwhile: a request in flight may be waiting for a Python fetch.
    #[pyo3(signature = (drain_ms=5000))]
    fn shutdown(&self, py: Python<'_>, drain_ms: u64) -> Res<()> {
        let server = self.server.lock().map_err(errors::poisoned)?.take();
        if let Some(server) = server {
            crate::exit_guard::detach(py, || server.shutdown(Duration::from_millis(drain_ms)));
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("NativeServer(url={:?})", self.url)
    }
}
