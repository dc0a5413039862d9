//! Token requests, built byte for byte as Kafka's formatters build them and returned as plain data
//! (method, URL, ordered headers, body) for the host's HTTP client to send.
//!
//! Headers: Kafka's Java client sends `Accept: application/json`, the formatter's headers and
//! `Cache-Control: no-cache`; librdkafka sends no `Cache-Control`. `Content-Length` is left to the
//! host's HTTP client, which counts UTF-8 bytes (Kafka's `String.length()` counts UTF-16 units,
//! which is wrong for a non-ASCII body).

use std::fmt;

use crate::config::names::{CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT};
use crate::config::{Config, Dialect, GrantPath};
use crate::encoding::{b64std, curl_escape, java_url_encode};
use crate::error::{fail, ErrorKind, Result};
use crate::secret::Secret;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// An HTTP request to the token endpoint. `Debug` redacts the `Authorization` header and the body.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The token endpoint URL.
    pub url: String,
    /// Headers in the order to send them.
    pub headers: Vec<(String, String)>,
    /// The form-encoded body (holds the assertion or secret: do not log it).
    pub body: Secret,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), if k.eq_ignore_ascii_case("authorization") { "[redacted]" } else { v.as_str() }))
            .collect();
        f.debug_struct("TokenRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &"[redacted]")
            .finish()
    }
}

/// How the client secret is sent.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SecretMethod {
    /// RFC 6749 §2.3.1 `client_secret_basic` (what Kafka and librdkafka do).
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the body (some IdPs require it).
    Post,
}

fn headers(dialect: Dialect, authorization: Option<String>) -> Vec<(String, String)> {
    let mut h = vec![("Accept".to_owned(), JSON.to_owned())];
    if let Some(a) = authorization {
        h.push(("Authorization".to_owned(), a));
    }
    if dialect == Dialect::KafkaJava {
        h.push(("Cache-Control".to_owned(), "no-cache".to_owned()));
    }
    h.push(("Content-Type".to_owned(), FORM.to_owned()));
    h
}

fn request(url: &str, headers: Vec<(String, String)>, body: String) -> TokenRequest {
    TokenRequest { method: "POST", url: url.to_owned(), headers, body: Secret::new(body) }
}

fn trimmed(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// A `client_credentials` request authenticated with a client secret.
///
/// * Kafka Java (`ClientSecretRequestFormatter`): id and secret trimmed; with `header_urlencode`
///   each (and the scope) goes through `URLEncoder` first; Basic is standard base64 with padding;
///   the body scope is sent **raw** unless `header_urlencode` (Kafka's behaviour, kept for
///   compatibility; see [`client_secret_request_encoded_scope`]).
/// * librdkafka: no encoding of id, secret or scope.
/// * [`SecretMethod::Post`]: `client_id` and `client_secret` form-encoded in the body, no Basic.
pub fn client_secret_request(
    url: &str,
    client_id: &str,
    client_secret: &Secret,
    scope: Option<&str>,
    header_urlencode: bool,
    dialect: Dialect,
    method: SecretMethod,
) -> Result<TokenRequest> {
    let (id, secret) = (client_id.trim(), client_secret.expose().trim());
    if id.is_empty() || secret.is_empty() {
        return fail(ErrorKind::MissingConfig, "a client secret request needs a non-blank client id and client secret");
    }
    let scope = trimmed(scope);
    if method == SecretMethod::Post {
        let mut body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            java_url_encode(id),
            java_url_encode(secret)
        );
        if let Some(s) = scope {
            body.push_str(&format!("&scope={}", java_url_encode(s)));
        }
        return Ok(request(url, headers(dialect, None), body));
    }
    let encode = dialect == Dialect::KafkaJava && header_urlencode;
    let (id, secret, scope) = if encode {
        (java_url_encode(id), Secret::new(java_url_encode(secret)), scope.map(java_url_encode))
    } else {
        (id.to_owned(), Secret::new(secret), scope.map(str::to_owned))
    };
    let credentials = Secret::new(format!("{id}:{}", secret.expose()));
    let authorization = format!("Basic {}", b64std(credentials.expose().as_bytes()));
    let mut body = String::from("grant_type=client_credentials");
    if let Some(s) = scope {
        body.push_str("&scope=");
        body.push_str(&s);
    }
    Ok(request(url, headers(dialect, Some(authorization)), body))
}

/// [`client_secret_request`] with the body scope always form-encoded, independent of
/// `header_urlencode` (KIP-1025 tied the two together; a raw space in a form body is invalid).
pub fn client_secret_request_encoded_scope(
    url: &str,
    client_id: &str,
    client_secret: &Secret,
    scope: Option<&str>,
    header_urlencode: bool,
) -> Result<TokenRequest> {
    let mut req = client_secret_request(
        url,
        client_id,
        client_secret,
        None,
        header_urlencode,
        Dialect::KafkaJava,
        SecretMethod::Basic,
    )?;
    if let Some(s) = trimmed(scope) {
        req.body = Secret::new(format!("{}&scope={}", req.body.expose(), java_url_encode(s)));
    }
    Ok(req)
}

/// A KIP-1258 `client_credentials` request authenticated with a client assertion
/// (`ClientAssertionRequestFormatter`), body in exactly Kafka's order:
/// `client_assertion_type`, `client_assertion`, `grant_type`, then `client_id` and `scope` when set,
/// every value through `URLEncoder`.
pub fn client_assertion_request(
    url: &str,
    assertion: &str,
    client_id: Option<&str>,
    scope: Option<&str>,
) -> TokenRequest {
    let mut body = format!(
        "client_assertion_type={}&client_assertion={}&grant_type=client_credentials",
        java_url_encode(CLIENT_ASSERTION_TYPE),
        java_url_encode(assertion)
    );
    if let Some(id) = trimmed(client_id) {
        body.push_str(&format!("&client_id={}", java_url_encode(id)));
    }
    if let Some(s) = trimmed(scope) {
        body.push_str(&format!("&scope={}", java_url_encode(s)));
    }
    request(url, headers(Dialect::KafkaJava, None), body)
}

/// A KIP-1139 `jwt-bearer` grant request.
///
/// * Kafka Java (`JwtBearerRequestFormatter`): `grant_type=<URLEncoder(urn)>&assertion=<URLEncoder(a)>[&scope=<URLEncoder(scope)>]`.
/// * librdkafka: the grant type and assertion raw, the scope `curl_easy_escape`d.
pub fn jwt_bearer_request(url: &str, assertion: &str, scope: Option<&str>, dialect: Dialect) -> TokenRequest {
    let body = match dialect {
        Dialect::KafkaJava => {
            let mut b =
                format!("grant_type={}&assertion={}", java_url_encode(JWT_BEARER_GRANT), java_url_encode(assertion));
            if let Some(s) = trimmed(scope) {
                b.push_str(&format!("&scope={}", java_url_encode(s)));
            }
            b
        }
        Dialect::Librdkafka => {
            let mut b = format!("grant_type={JWT_BEARER_GRANT}&assertion={assertion}");
            if let Some(s) = scope.filter(|s| !s.is_empty()) {
                b.push_str(&format!("&scope={}", curl_escape(s)));
            }
            b
        }
    };
    let headers = match dialect {
        Dialect::KafkaJava => headers(dialect, None),
        // librdkafka sends Content-Type first, then Accept.
        Dialect::Librdkafka => {
            vec![("Content-Type".to_owned(), FORM.to_owned()), ("Accept".to_owned(), JSON.to_owned())]
        }
    };
    request(url, headers, body)
}

/// The request a [`Config`] makes, given the assertion for the assertion paths (signed by an
/// [`crate::AssertionSigner`] or read from the assertion file). Fails for the `file:` token path,
/// which makes no request.
pub fn from_config(config: &Config, assertion: Option<&str>) -> Result<TokenRequest> {
    let url = config.token_endpoint_url.as_deref().unwrap_or_default();
    let need_assertion =
        || assertion.ok_or_else(|| crate::Error::new(ErrorKind::MissingConfig, "this grant path needs an assertion"));
    match &config.grant {
        GrantPath::ClientSecret => {
            let secret = config.client_secret.clone().unwrap_or_else(|| Secret::new(""));
            client_secret_request(
                url,
                config.client_id.as_deref().unwrap_or_default(),
                &secret,
                config.scope.as_deref(),
                config.header_urlencode,
                config.dialect,
                SecretMethod::Basic,
            )
        }
        GrantPath::ClientAssertion(_) => {
            Ok(client_assertion_request(url, need_assertion()?, config.client_id.as_deref(), config.scope.as_deref()))
        }
        GrantPath::JwtBearer(_) => {
            Ok(jwt_bearer_request(url, need_assertion()?, config.scope.as_deref(), config.dialect))
        }
        GrantPath::TokenFile(_) => fail(ErrorKind::InvalidConfig, "a file: token endpoint makes no HTTP request"),
        #[allow(unreachable_patterns)]
        _ => fail(ErrorKind::InvalidConfig, "unsupported grant path"),
    }
}
