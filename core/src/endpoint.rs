//! Bodies the local token endpoint serves. Kafka clients read `exp` and `sub` from the token, not
//! `expires_in`; the styles exist so that tools written against Google's local server or
//! kafka-auth-handler see the bytes they expect.

use serde_json::json;

use crate::error::{fail, Error, ErrorKind, Result};
use crate::google::{python_float, python_string};

/// The JSON layout of a successful token response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseStyle {
    /// RFC 6749 §5.1: `{"access_token":…,"token_type":"Bearer","expires_in":<int>}`, compact.
    #[default]
    Rfc6749,
    /// Google's Python server: `{"access_token": …, "token_type": "Bearer", "expires_in": <float>}`.
    GooglePython,
    /// kafka-auth-handler (Go `json.Marshal` of a map): compact, sorted keys, integer.
    KafkaAuthHandler,
}

impl std::str::FromStr for ResponseStyle {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "rfc6749" | "standard" => Ok(Self::Rfc6749),
            "google-python" => Ok(Self::GooglePython),
            "kafka-auth-handler" => Ok(Self::KafkaAuthHandler),
            _ => fail(
                ErrorKind::InvalidConfig,
                format!("unknown response style {s:?}; use rfc6749, google-python or kafka-auth-handler"),
            ),
        }
    }
}

/// The success body for `token` expiring at `expires_at_ms`, served at `now_ms`. `expires_in` is
/// never negative: whole seconds (truncated) for the integer styles, `ms / 1000` as a Python float
/// for the Google Python style.
pub fn token_response_body(token: &str, expires_at_ms: u64, now_ms: u64, style: ResponseStyle) -> String {
    let remaining_ms = expires_at_ms.saturating_sub(now_ms);
    match style {
        ResponseStyle::Rfc6749 => {
            json!({ "access_token": token, "token_type": "Bearer", "expires_in": remaining_ms / 1000 }).to_string()
        }
        ResponseStyle::GooglePython => format!(
            r#"{{"access_token": {}, "token_type": "Bearer", "expires_in": {}}}"#,
            python_string(token),
            python_float(remaining_ms as f64 / 1000.0)
        ),
        ResponseStyle::KafkaAuthHandler => {
            json!({ "access_token": token, "expires_in": remaining_ms / 1000, "token_type": "Bearer" }).to_string()
        }
    }
}

/// An RFC 6749 §5.2 error body: `{"error":…,"error_description":…}` (e.g. `temporarily_unavailable`
/// with a 503, `invalid_client` with a 401).
pub fn error_response_body(error: &str, description: &str) -> String {
    json!({ "error": error, "error_description": description }).to_string()
}

/// `/livez`: the process answers.
pub fn liveness_body() -> String {
    json!({ "status": "live" }).to_string()
}

/// `/readyz`'s status and body: 200 with the seconds the cached token has left, or 503 with the
/// code and message of why no token can be served (the last fetch's failure, else
/// `token_pending`). Never the token.
pub fn readiness_answer(state: std::result::Result<u64, Option<&Error>>, now_ms: u64) -> (u16, String) {
    match state {
        Ok(expires_at_ms) => {
            (200, json!({ "status": "ready", "expires_in": expires_at_ms.saturating_sub(now_ms) / 1000 }).to_string())
        }
        Err(failure) => {
            let pending;
            let error = match failure {
                Some(e) => e,
                None => {
                    pending = Error::new(
                        ErrorKind::TokenPending,
                        "no valid token yet: the first fetch (or the refresh of an expired token) has not returned one",
                    );
                    &pending
                }
            };
            (503, json!({ "status": "not_ready", "code": error.code(), "message": error.message() }).to_string())
        }
    }
}

/// `/readyz` of an issuer: it signs locally, so it is ready while it serves.
pub fn issuer_readiness_body() -> String {
    json!({ "status": "ready" }).to_string()
}

/// The warning for an endpoint bound to `ip`, or `None` for a loopback address. The endpoint hands
/// a token to whoever connects (as kafka-auth-handler and Google's local server do), so a
/// non-loopback bind gives the workload's Kafka identity to every host that reaches the port. The
/// container image binds `0.0.0.0` on purpose: a published port (`-p`) reaches the container
/// through its own interface, never its loopback; the warning names the fix for each set-up.
pub fn bind_exposure_warning(ip: std::net::IpAddr) -> Option<String> {
    if ip.is_loopback() {
        return None;
    }
    let reach = if ip.is_unspecified() {
        format!("every interface ({ip})")
    } else {
        format!("{ip}, an address other hosts can reach")
    };
    Some(format!(
        "listening on {reach}: whoever reaches this port gets tokens for this workload's identity. In a container, \
         publish the port on the host's loopback only (-p 127.0.0.1:14293:14293); in a Kubernetes pod, on the host's \
         network or outside a container, bind loopback (--host 127.0.0.1, or OAUTHBEARER_HOST=127.0.0.1)"
    ))
}

/// What a token endpoint serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointMode {
    /// A token source's token on any path (kafka-auth-handler, Google's local server).
    Provider,
    /// A local issuer: `/token`, `/jwks`, `/.well-known/openid-configuration`.
    Issuer,
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The token source's token (provider mode).
    Token,
    /// The issuer's JWKS.
    Jwks,
    /// The issuer's OpenID discovery document.
    Discovery,
    /// Client authentication, then an access token (issuer mode, `POST /token`).
    IssueToken,
    /// `OPTIONS`: 204 with `Allow`.
    Options {
        /// The methods the path takes.
        allow: &'static str,
    },
    /// `/livez`: the process serves (operational paths on).
    Live,
    /// `/readyz`: a valid token is cached, or the issuer serves (operational paths on).
    Ready,
    /// `/metrics`: Prometheus text (operational paths on).
    Metrics,
    /// An RFC 6749 error answer.
    Refuse {
        /// 404 or 405.
        status: u16,
        /// The `error_description`.
        description: &'static str,
        /// `Allow` for a 405.
        allow: Option<&'static str>,
    },
}

/// Routes a request: provider mode serves the token on any path to `GET`, `HEAD` and `POST`, as
/// kafka-auth-handler and Google's local server do; issuer mode serves its three paths.
pub fn route(mode: EndpointMode, method: crate::http::Method, path: &str) -> Route {
    route_with(mode, method, path, false)
}

/// The operational paths, answered before the mode's routes when they are on.
pub const OPERATIONAL_PATHS: [&str; 3] = ["/livez", "/readyz", "/metrics"];

/// Routes a request as [`route`] does, and with `operational_paths` answers `/livez`, `/readyz`
/// and `/metrics` (GET and HEAD) itself: those three paths then no longer serve the token in
/// provider mode. kafka-auth-handler answers a token on every path; no Kafka client is configured
/// with a token URL ending in them, and the sidecar turns them off for whoever relies on it.
pub fn route_with(mode: EndpointMode, method: crate::http::Method, path: &str, operational_paths: bool) -> Route {
    use crate::http::Method::{Get, Head, Options, Post};
    const ANY: &str = "GET, HEAD, POST, OPTIONS";
    const READ: &str = "GET, HEAD, OPTIONS";
    const TOKEN: &str = "POST, OPTIONS";
    let operation = match path {
        "/livez" => Some(Route::Live),
        "/readyz" => Some(Route::Ready),
        "/metrics" => Some(Route::Metrics),
        _ => None,
    };
    let (allow, route) = match (operation.filter(|_| operational_paths), mode) {
        (Some(operation), _) => (READ, matches!(method, Get | Head).then_some(operation)),
        (None, mode) => match mode {
            EndpointMode::Provider => (ANY, matches!(method, Get | Head | Post).then_some(Route::Token)),
            EndpointMode::Issuer => match path {
                "/jwks" => (READ, matches!(method, Get | Head).then_some(Route::Jwks)),
                "/.well-known/openid-configuration" => (READ, matches!(method, Get | Head).then_some(Route::Discovery)),
                "/token" => (TOKEN, (method == Post).then_some(Route::IssueToken)),
                _ => {
                    return Route::Refuse {
                        status: 404,
                        description: "not found: use /token, /jwks or /.well-known/openid-configuration",
                        allow: None,
                    }
                }
            },
        },
    };
    match (route, method) {
        (Some(route), _) => route,
        (None, Options) => Route::Options { allow },
        (None, _) => Route::Refuse { status: 405, description: "method not allowed here", allow: Some(allow) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_loopback_is_quiet_and_any_other_address_is_named_with_the_fix() {
        for quiet in ["127.0.0.1", "127.3.4.5", "::1"] {
            assert_eq!(bind_exposure_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        let every = bind_exposure_warning("0.0.0.0".parse().unwrap()).unwrap();
        assert!(every.starts_with("listening on every interface (0.0.0.0)"), "{every}");
        assert!(every.contains("-p 127.0.0.1:14293:14293") && every.contains("--host 127.0.0.1"), "{every}");
        assert!(bind_exposure_warning("::".parse().unwrap()).unwrap().contains("every interface (::)"));
        let one = bind_exposure_warning("10.1.2.3".parse().unwrap()).unwrap();
        assert!(one.starts_with("listening on 10.1.2.3, an address other hosts can reach"), "{one}");
    }

    const TOKEN: &str = "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOiAxNzA0MDcwODAwLjAsICJpc3MiOiAiR29vZ2xlIiwgImlhdCI6IDE3MDQwNjcyMDAuMCwgInN1YiI6ICJrYWZrYS1jbGllbnRAZGVtby1wcm9qLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg";

    #[test]
    fn routes() {
        use crate::http::Method;
        use EndpointMode::{Issuer, Provider};
        assert_eq!(route(Provider, Method::Get, "/anything"), Route::Token);
        assert_eq!(route(Provider, Method::Head, "/"), Route::Token);
        assert_eq!(route(Provider, Method::Options, "*"), Route::Options { allow: "GET, HEAD, POST, OPTIONS" });
        assert!(matches!(route(Provider, Method::Other, "/"), Route::Refuse { status: 405, allow: Some(_), .. }));
        assert_eq!(route(Issuer, Method::Post, "/token"), Route::IssueToken);
        assert!(matches!(route(Issuer, Method::Get, "/token"), Route::Refuse { status: 405, .. }));
        assert_eq!(route(Issuer, Method::Head, "/jwks"), Route::Jwks);
        assert_eq!(route(Issuer, Method::Get, "/.well-known/openid-configuration"), Route::Discovery);
        assert!(matches!(route(Issuer, Method::Get, "/other"), Route::Refuse { status: 404, .. }));
        // Operational paths only when on; then GET and HEAD only, in both modes.
        assert_eq!(route(Provider, Method::Get, "/readyz"), Route::Token);
        assert_eq!(route_with(Provider, Method::Get, "/readyz", true), Route::Ready);
        assert_eq!(route_with(Issuer, Method::Head, "/livez", true), Route::Live);
        assert_eq!(route_with(Issuer, Method::Get, "/metrics", true), Route::Metrics);
        assert!(matches!(route_with(Provider, Method::Post, "/metrics", true), Route::Refuse { status: 405, .. }));
        assert_eq!(route_with(Provider, Method::Post, "/token", true), Route::Token);
    }

    #[test]
    fn readiness() {
        assert_eq!(readiness_answer(Ok(61_500), 1_000), (200, r#"{"status":"ready","expires_in":60}"#.to_owned()));
        let (status, body) = readiness_answer(Err(None), 0);
        assert_eq!(status, 503);
        assert!(body.contains(r#""code":"token_pending""#), "{body}");
        let timeout = Error::new(ErrorKind::FetchTimeout, "the token fetch did not finish");
        assert!(readiness_answer(Err(Some(&timeout)), 0).1.contains(r#""code":"fetch_timeout""#));
    }

    #[test]
    fn reference_bodies() {
        assert_eq!(
            token_response_body(TOKEN, 1_704_070_800_000, 1_704_067_200_000, ResponseStyle::GooglePython),
            format!(r#"{{"access_token": "{TOKEN}", "token_type": "Bearer", "expires_in": 3600.0}}"#)
        );
        assert_eq!(
            token_response_body("a.b.c", 1_704_070_800_000, 1_704_067_200_500, ResponseStyle::KafkaAuthHandler),
            r#"{"access_token":"a.b.c","expires_in":3599,"token_type":"Bearer"}"#
        );
        assert_eq!(
            token_response_body("a.b.c", 1, 5_000, ResponseStyle::Rfc6749),
            r#"{"access_token":"a.b.c","token_type":"Bearer","expires_in":0}"#
        );
        assert_eq!(
            error_response_body("temporarily_unavailable", "x"),
            r#"{"error":"temporarily_unavailable","error_description":"x"}"#
        );
    }
}
