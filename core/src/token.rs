//! What Kafka clients check on an access token before they use it — Kafka Java's
//! `ClientJwtValidator` and librdkafka's `rd_kafka_oidc_token_try_validate` — and when they refresh
//! it. Clients never verify the signature (only the broker does), so neither does this module; it
//! answers "would my client accept this token, with which principal, scopes and lifetime?" and is
//! what `inspect` prints.

use serde_json::{Map, Value};

use crate::config::Dialect;
use crate::encoding::{b64url_json_object, JsonPartError};
use crate::error::{fail, Error, ErrorKind, Result};

/// Which client's checks to apply, and how.
#[derive(Clone, Debug)]
pub struct TokenCheck {
    /// Kafka Java `ClientJwtValidator` or librdkafka.
    pub dialect: Dialect,
    /// `sasl.oauthbearer.sub.claim.name` (default `sub`).
    pub sub_claim: String,
    /// `sasl.oauthbearer.scope.claim.name` (default `scope`; Java only).
    pub scope_claim: String,
    /// Split a string scope on spaces (RFC 6749 §3.3; the KAFKA-19790 proposal). Kafka Java
    /// keeps `"a b"` as one scope.
    pub split_scope: bool,
}

impl TokenCheck {
    /// The client's defaults for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Self { dialect, sub_claim: "sub".into(), scope_claim: "scope".into(), split_scope: false }
    }
}

/// A token the client accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct AcceptedToken {
    /// The principal (the `sub` claim; trimmed by Java, as is by librdkafka).
    pub principal: String,
    /// Scopes (Java only; empty for librdkafka, which does not read them).
    pub scopes: Vec<String>,
    /// `exp * 1000`, the fraction dropped as the clients do.
    pub expires_at_ms: i64,
    /// `iat * 1000` when present (Java only).
    pub issued_at_ms: Option<i64>,
    /// The decoded JWT header, when it is a JSON object (informational; clients ignore it).
    pub header: Option<Map<String, Value>>,
    /// The decoded payload.
    pub claims: Map<String, Value>,
}

fn refuse<T>(message: impl Into<String>) -> Result<T> {
    fail(ErrorKind::InvalidToken, message)
}

/// Applies the client's checks to `token`. A refusal is `invalid_token` whose message is the
/// client's own wording where it has one; the two places where Kafka Java crashes with a
/// `ClassCastException` (a string `exp`, a numeric `sub`) are typed refusals here.
pub fn check_access_token(token: &str, check: &TokenCheck) -> Result<AcceptedToken> {
    match check.dialect {
        Dialect::KafkaJava => check_java(token, check),
        Dialect::Librdkafka => check_librdkafka(token, check),
    }
}

fn decode_part(part: &str) -> Option<Map<String, Value>> {
    b64url_json_object(part.trim_end_matches('=')).ok()
}

fn check_java(token: &str, check: &TokenCheck) -> Result<AcceptedToken> {
    const MALFORMED: &str = "Malformed JWT provided; expected three sections (header, payload, and signature)";
    let token = token.trim();
    // Java's String.split drops trailing empty strings: "a.b." has two parts.
    let parts: Vec<&str> = token.split('.').collect();
    let parts = &parts[..parts.iter().rposition(|p| !p.is_empty()).map_or(0, |i| i + 1)];
    if token.is_empty() || parts.len() != 3 || parts.iter().any(|p| p.trim().is_empty()) {
        return refuse(MALFORMED);
    }
    let payload = parts[1].trim();
    // Base64.getUrlDecoder: padding optional but, when present, correct.
    let unpadded = payload.trim_end_matches('=');
    let padding_ok = payload.len() == unpadded.len() || payload.len() % 4 == 0;
    let decoded = if padding_ok { b64url_json_object(unpadded) } else { Err(JsonPartError::Base64) };
    let claims = decoded.map_err(|e| {
        let what = match e {
            JsonPartError::Base64 => "malformed Base64 URL encoded value",
            JsonPartError::NotObject => "malformed JSON",
        };
        Error::new(ErrorKind::InvalidToken, format!("Could not validate the access token: {what}"))
    })?;

    let scopes = match claims.get(&check.scope_claim) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for item in items {
                let scope = as_text(item).trim().to_owned();
                if scope.is_empty() {
                    return refuse(format!(
                        "{} value must not contain empty or whitespace-only scopes",
                        check.scope_claim
                    ));
                }
                if out.contains(&scope) {
                    return refuse(format!(
                        "{} value must not contain duplicates; {scope:?} appears twice",
                        check.scope_claim
                    ));
                }
                out.push(scope);
            }
            out
        }
        Some(other) if check.split_scope => {
            as_text(other).split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        Some(other) => vec![as_text(other)],
    };
    let exp = match claims.get("exp") {
        None => return refuse("exp value must be non-null"),
        Some(Value::Number(n)) => n.as_f64().map_or(0, |f| f as i64),
        Some(_) => return refuse("exp value must be a number (Kafka's Java client fails with a ClassCastException)"),
    };
    if exp < 0 {
        return refuse(format!("exp value must be non-negative; value given was \"{exp}\""));
    }
    let principal = match claims.get(&check.sub_claim) {
        None => return refuse(format!("{} value must be non-null", check.sub_claim)),
        Some(Value::Number(_)) => {
            return refuse(format!(
                "{} value must be a string (Kafka's Java client fails with a ClassCastException)",
                check.sub_claim
            ))
        }
        Some(v) => as_text(v).trim().to_owned(),
    };
    if principal.is_empty() {
        return refuse(format!("{} value must not be empty or whitespace", check.sub_claim));
    }
    let issued_at_ms = match claims.get("iat") {
        None => None,
        Some(Value::Number(n)) => {
            let iat = n.as_f64().map_or(0, |f| f as i64);
            if iat < 0 {
                return refuse(format!("iat value must be non-negative; value given was \"{iat}\""));
            }
            Some(iat * 1000)
        }
        Some(_) => return refuse("iat value must be a number (Kafka's Java client fails with a ClassCastException)"),
    };
    Ok(AcceptedToken {
        principal,
        scopes,
        expires_at_ms: exp.saturating_mul(1000),
        issued_at_ms,
        header: decode_part(parts[0].trim()),
        claims,
    })
}

/// Kafka's `OAuthBearerUnsecuredJws.convert`: strings as they are, booleans as `"true"`, objects as
/// `""`, null as `"null"`, numbers as their text.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => String::new(),
        other => other.to_string(),
    }
}

fn check_librdkafka(token: &str, check: &TokenCheck) -> Result<AcceptedToken> {
    if token.matches('.').count() != 2 {
        return refuse("Expected JSON JWT response with two dots (librdkafka requires a JWT)");
    }
    let mut parts = token.split('.');
    let header = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or_default();
    let claims = decode_part(payload)
        .ok_or_else(|| Error::new(ErrorKind::InvalidToken, "Failed to decode JWT payload as base64url JSON"))?;
    // librdkafka reads exp with cJSON_GetNumberValue; a non-number is NaN and slips through there.
    let exp = match claims.get("exp").and_then(Value::as_f64) {
        Some(e) if e > 0.0 => e as i64,
        Some(_) => return refuse("Expected JSON JWT response with valid \"exp\" field"),
        None if claims.contains_key("exp") => {
            return refuse("\"exp\" must be a number (librdkafka would read it as NaN and accept it)")
        }
        None => return refuse("Expected JSON JWT response with \"exp\" field"),
    };
    let principal = match claims.get(&check.sub_claim).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => return refuse(format!("Expected JSON JWT response with \"{}\" field", check.sub_claim)),
    };
    if !token.bytes().all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n')) {
        return refuse(
            "the token must consist of visible ASCII, space, tab, CR or LF (rd_kafka_oauthbearer_set_token)",
        );
    }
    Ok(AcceptedToken {
        principal,
        scopes: Vec::new(),
        expires_at_ms: exp.saturating_mul(1000),
        issued_at_ms: None,
        header: decode_part(header),
        claims,
    })
}

/// `token_expired` unless the token's expiry is after `now_ms + skew_ms` (librdkafka refuses an
/// expired token with "Must supply an unexpired token"; Kafka Java never checks, and its refresh
/// thread then retries every 10 s). The message says when it expired relative to `now`, which is
/// how a clock-skew problem shows itself.
pub fn check_not_expired(accepted: &AcceptedToken, now_ms: u64, skew_ms: u64) -> Result<()> {
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    let limit = now.saturating_add(i64::try_from(skew_ms).unwrap_or(i64::MAX));
    if accepted.expires_at_ms > limit {
        return Ok(());
    }
    let ago = (now - accepted.expires_at_ms) / 1000;
    let when = if ago >= 0 { format!("{ago} s ago") } else { format!("in {} s, within the allowed skew", -ago) };
    fail(
        ErrorKind::TokenExpired,
        format!(
            "the token expired {when} (exp={} ms, now={now} ms); if it was just issued, check the clocks",
            accepted.expires_at_ms
        ),
    )
}

/// Kafka Java's refresh settings (`sasl.login.refresh.*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshConfig {
    /// `sasl.login.refresh.window.factor` (0.8).
    pub window_factor: f64,
    /// `sasl.login.refresh.window.jitter` (0.05).
    pub window_jitter: f64,
    /// `sasl.login.refresh.min.period.seconds` (60).
    pub min_period_seconds: u64,
    /// `sasl.login.refresh.buffer.seconds` (300).
    pub buffer_seconds: u64,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        Self { window_factor: 0.8, window_jitter: 0.05, min_period_seconds: 60, buffer_seconds: 300 }
    }
}

/// When to refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshDecision {
    /// Refresh at this time, epoch ms.
    pub at_ms: u64,
    /// The token had already expired (Kafka logs a clock-skew warning and retries every 10 s).
    pub expired: bool,
}

/// Kafka Java's `ExpiringCredentialRefreshingLogin.refreshMs` with `jitter01` (Java's
/// `RNG.nextDouble()`, in `[0, 1)`) supplied by the caller.
pub fn refresh_at_java(
    now_ms: u64,
    expires_at_ms: u64,
    issued_at_ms: Option<u64>,
    config: &RefreshConfig,
    jitter01: f64,
) -> RefreshDecision {
    if now_ms > expires_at_ms {
        return RefreshDecision { at_ms: now_ms + 10_000, expired: true };
    }
    let pct = config.window_factor + config.window_jitter * jitter01;
    if now_ms + 1000 * (config.min_period_seconds + config.buffer_seconds) > expires_at_ms {
        return RefreshDecision { at_ms: now_ms + ((expires_at_ms - now_ms) as f64 * pct) as u64, expired: false };
    }
    let start = issued_at_ms.unwrap_or(now_ms) as i64;
    // Java: startMs + (long) ((expireTimeMs - startMs) * pct), in long arithmetic.
    let proposed = start + ((expires_at_ms as i64 - start) as f64 * pct) as i64;
    let end_buffer = expires_at_ms - config.buffer_seconds * 1000;
    let at_ms = if proposed > end_buffer as i64 {
        end_buffer
    } else {
        u64::try_from(proposed).unwrap_or(0).max(now_ms + 1000 * config.min_period_seconds)
    };
    RefreshDecision { at_ms, expired: false }
}

/// librdkafka's refresh time: `now + 0.8 * (exp - now)`, truncated to whole ms.
pub fn refresh_at_librdkafka(now_ms: u64, expires_at_ms: u64) -> RefreshDecision {
    if now_ms > expires_at_ms {
        return RefreshDecision { at_ms: now_ms + 10_000, expired: true };
    }
    RefreshDecision { at_ms: now_ms + ((expires_at_ms - now_ms) as f64 * 0.8) as u64, expired: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64url;

    fn jwt(payload: &str) -> String {
        format!("{}.{}.sig", b64url(br#"{"alg":"RS256"}"#), b64url(payload.as_bytes()))
    }

    fn java(token: &str) -> std::result::Result<AcceptedToken, String> {
        check_access_token(token, &TokenCheck::new(Dialect::KafkaJava)).map_err(|e| e.message().to_owned())
    }

    fn rdk(token: &str) -> std::result::Result<AcceptedToken, String> {
        check_access_token(token, &TokenCheck::new(Dialect::Librdkafka)).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn java_client_rules() {
        let ok = java(&jwt(r#"{"sub":" alice ","exp":1700000000.9,"iat":1699990000,"scope":"a b"}"#)).unwrap();
        assert_eq!(ok.principal, "alice");
        assert_eq!(ok.expires_at_ms, 1_700_000_000_000);
        assert_eq!(ok.issued_at_ms, Some(1_699_990_000_000));
        assert_eq!(ok.scopes, vec!["a b"]);
        let mut split = TokenCheck::new(Dialect::KafkaJava);
        split.split_scope = true;
        let t = check_access_token(&jwt(r#"{"sub":"a","exp":1,"scope":"a  b"}"#), &split).unwrap();
        assert_eq!(t.scopes, vec!["a", "b"]);
        assert_eq!(java(&jwt(r#"{"sub":true,"exp":1}"#)).unwrap().principal, "true");
        assert!(java("a.b.").unwrap_err().starts_with("Malformed JWT"));
        assert!(java("a.b.c.d.e").unwrap_err().starts_with("Malformed JWT"));
        assert!(java("opaque-token").unwrap_err().starts_with("Malformed JWT"));
        assert!(java("a.b+/.c").unwrap_err().contains("malformed Base64"));
        assert!(java(&format!("a.{}.c", b64url(b"[1]"))).unwrap_err().contains("malformed JSON"));
        assert_eq!(java(&jwt(r#"{"sub":"a"}"#)).unwrap_err(), "exp value must be non-null");
        assert!(java(&jwt(r#"{"sub":"a","exp":"1"}"#)).unwrap_err().contains("ClassCastException"));
        assert!(java(&jwt(r#"{"sub":1,"exp":1}"#)).unwrap_err().contains("ClassCastException"));
        assert!(java(&jwt(r#"{"sub":"  ","exp":1}"#)).unwrap_err().contains("empty"));
        assert!(java(&jwt(r#"{"sub":"a","exp":-1}"#)).unwrap_err().contains("non-negative"));
        assert!(java(&jwt(r#"{"sub":"a","exp":1,"scope":["x","x"]}"#)).unwrap_err().contains("duplicates"));
        assert!(java(&jwt(r#"{"sub":"a","exp":1,"scope":["x"," "]}"#)).unwrap_err().contains("empty"));
    }

    #[test]
    fn librdkafka_rules() {
        let ok = rdk(&format!("{}.", jwt(r#"{"sub":" bob","exp":1700000000.5}"#).trim_end_matches(".sig"))).unwrap();
        assert_eq!(ok.principal, " bob", "not trimmed");
        assert_eq!(ok.expires_at_ms, 1_700_000_000_000);
        assert!(rdk("a.b.c.d").unwrap_err().contains("two dots"));
        assert!(rdk(&jwt(r#"{"sub":"a","exp":0}"#)).unwrap_err().contains("valid \"exp\""));
        assert!(rdk(&jwt(r#"{"sub":"a","exp":"x"}"#)).unwrap_err().contains("NaN"));
        assert!(rdk(&jwt(r#"{"exp":5}"#)).unwrap_err().contains("\"sub\""));
    }

    #[test]
    fn expiry_check() {
        let t = java(&jwt(r#"{"sub":"a","exp":1000}"#)).unwrap();
        assert!(check_not_expired(&t, 999_999, 0).is_ok());
        assert_eq!(check_not_expired(&t, 1_000_000, 0).unwrap_err().code(), "token_expired");
        assert_eq!(check_not_expired(&t, 990_000, 30_000).unwrap_err().code(), "token_expired");
    }

    #[test]
    fn refresh_schedules() {
        let c = RefreshConfig::default();
        let now = 1_000_000_000;
        // One hour token issued now: start + 3600 s * 0.8.
        assert_eq!(refresh_at_java(now, now + 3_600_000, Some(now), &c, 0.0).at_ms, now + 2_880_000);
        assert_eq!(refresh_at_java(now, now + 3_600_000, Some(now), &c, 1.0).at_ms, now + 3_060_000);
        // Proposed inside the end buffer: clamp to exp - 300 s.
        let c2 = RefreshConfig { window_factor: 0.95, ..c };
        assert_eq!(refresh_at_java(now, now + 3_600_000, None, &c2, 0.0).at_ms, now + 3_300_000);
        // Issued long ago: proposed is in the past, so now + min period.
        assert_eq!(refresh_at_java(now, now + 3_600_000, Some(now - 20_000_000), &c, 0.0).at_ms, now + 60_000);
        // Short token (< min + buffer): relative to now, buffers ignored.
        assert_eq!(refresh_at_java(now, now + 300_000, None, &c, 0.0).at_ms, now + 240_000);
        assert_eq!(
            refresh_at_java(now, now - 1, None, &c, 0.0),
            RefreshDecision { at_ms: now + 10_000, expired: true }
        );
        assert_eq!(refresh_at_librdkafka(now, now + 1000).at_ms, now + 800);
    }
}
