//! Encodings shared across the crate: base64 (via the `base64` crate) and the two form encoders
//! Kafka clients use (via `form_urlencoded` and `percent-encoding`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// base64url without padding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding, strictly (no padding, no whitespace).
pub fn b64url_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// Why a JWS part did not decode to a JSON object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonPartError {
    /// The part is not base64url (without padding).
    Base64,
    /// The bytes are not a JSON object.
    NotObject,
}

/// Decodes one JWS part (header or payload): base64url without padding, then a JSON object.
/// Callers decide beforehand whether trailing `=` padding is tolerated.
pub fn b64url_json_object(part: &str) -> Result<serde_json::Map<String, serde_json::Value>, JsonPartError> {
    let bytes = b64url_decode(part).map_err(|_| JsonPartError::Base64)?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(JsonPartError::NotObject),
    }
}

/// Standard base64 with padding (Kafka's `Base64.getEncoder()`, used for Basic credentials).
pub fn b64std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64 with padding (HTTP Basic credentials).
pub fn b64std_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

/// `java.net.URLEncoder.encode(s, UTF_8)`: `A-Za-z0-9.-*_` kept, space → `+`, everything else
/// `%XX` (upper-case hex) of its UTF-8 bytes. This is the WHATWG
/// `application/x-www-form-urlencoded` byte serializer, which `form_urlencoded` implements.
pub fn java_url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What `curl_easy_escape` keeps: `A-Za-z0-9-._~`; space → `%20` (librdkafka's scope encoding).
const CURL_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `curl_easy_escape(s)`: RFC 3986 unreserved characters kept, all else `%XX` (upper-case).
pub fn curl_escape(s: &str) -> String {
    utf8_percent_encode(s, CURL_KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_url_encoder_matches_kafka_vectors() {
        // ClientAssertionRequestFormatterTest / ClientSecretRequestFormatterTest scope vectors.
        assert_eq!(java_url_encode("openid profile"), "openid+profile");
        assert_eq!(java_url_encode("scope!special"), "scope%21special");
        assert_eq!(java_url_encode("what?query"), "what%3Fquery");
        assert_eq!(
            java_url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        );
        assert_eq!(java_url_encode("a.b-c*d_e~f"), "a.b-c*d_e%7Ef");
        assert_eq!(java_url_encode("é"), "%C3%A9");
    }

    #[test]
    fn curl_escape_keeps_unreserved() {
        assert_eq!(curl_escape("openid profile*~"), "openid%20profile%2A~");
        assert_eq!(curl_escape("test.scope"), "test.scope");
    }
}
