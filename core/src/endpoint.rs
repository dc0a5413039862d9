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

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOiAxNzA0MDcwODAwLjAsICJpc3MiOiAiR29vZ2xlIiwgImlhdCI6IDE3MDQwNjcyMDAuMCwgInN1YiI6ICJrYWZrYS1jbGllbnRAZGVtby1wcm9qLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg";

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
