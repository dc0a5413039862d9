//! Google Managed Service for Apache Kafka: the `GOOG_OAUTH2_TOKEN` pseudo-JWT that wraps a Google
//! access token, and the Kafka principal (`sub`) of each Application Default Credentials kind.
//!
//! The broker reads the access token from the third part; the clients read `exp` and `sub` from the
//! second. Three byte-exact styles exist in the wild (see [`GoogleTokenStyle`]); the JSON of each is
//! written by hand below because each copies a different serializer's escaping (Gson's HTML-safe
//! escapes, Python's `ensure_ascii`, Go's `%q`), which no JSON crate reproduces. Each writer is
//! tested against the serializer it copies (Python and Go in `tests/peers/`).

use std::fmt::Write as _;

use serde_json::Value;

use crate::encoding::b64url;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::secret::Secret;

/// The header of the Java and `google-python` / `kafka-auth-handler` styles, as written.
const JAVA_HEADER: &str = r#"{"typ":"JWT","alg":"GOOG_OAUTH2_TOKEN"}"#;
const SPACED_HEADER: &str = r#"{"typ": "JWT", "alg": "GOOG_OAUTH2_TOKEN"}"#;

/// Which implementation's bytes to reproduce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoogleTokenStyle {
    /// Google's Java `GcpLoginCallbackHandler` (the default): compact Gson JSON, integer seconds,
    /// claims `exp, iat, scope:"kafka", sub`.
    #[default]
    GoogleJava,
    /// Google's Python local auth server: `json.dumps` spacing, float seconds, claims
    /// `exp, iss:"Google", iat, sub`, `ensure_ascii`.
    GooglePython,
    /// martoc/kafka-auth-handler (Go): the Python server's header bytes, integer seconds, `sub`
    /// quoted with Go's `%q`.
    KafkaAuthHandler,
}

impl GoogleTokenStyle {
    /// The style's stable name: `google-java`, `google-python`, `kafka-auth-handler`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::GoogleJava => "google-java",
            Self::GooglePython => "google-python",
            Self::KafkaAuthHandler => "kafka-auth-handler",
        }
    }
}

impl std::str::FromStr for GoogleTokenStyle {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "google-java" => Ok(Self::GoogleJava),
            "google-python" => Ok(Self::GooglePython),
            "kafka-auth-handler" => Ok(Self::KafkaAuthHandler),
            _ => fail(
                ErrorKind::InvalidConfig,
                format!("unknown Google token style {s:?}; use google-java, google-python or kafka-auth-handler"),
            ),
        }
    }
}

/// A Google Managed Kafka token and what the Kafka client must be told about it.
#[derive(Clone, Debug)]
pub struct GoogleKafkaToken {
    /// The three-part token for `auth=Bearer …`.
    pub token: Secret,
    /// The access token's expiry, epoch milliseconds (the lifetime the client reports).
    pub expires_at_ms: u64,
    /// The principal written into `sub`.
    pub principal: String,
}

/// Builds the `GOOG_OAUTH2_TOKEN` pseudo-JWT for `access_token` expiring at `expires_at_ms`,
/// issued `now_ms`, for `principal` (validated with [`validate_principal`]).
///
/// Integer styles write floor seconds (Java `getEpochSecond`, Go `Unix()`); the Python style writes
/// `ms / 1000` as Python prints a float (`1704067200.0`, `1704067200.123`).
pub fn google_token(
    access_token: &str,
    expires_at_ms: u64,
    principal: &str,
    now_ms: u64,
    style: GoogleTokenStyle,
) -> Result<GoogleKafkaToken> {
    validate_principal(principal)?;
    if access_token.is_empty() {
        return fail(ErrorKind::InvalidCredentials, "the Google access token is empty");
    }
    if expires_at_ms <= now_ms {
        // The broker would refuse it; google-auth refreshes before this, so this is a stale input.
        return fail(
            ErrorKind::CredentialsExpiring,
            format!(
                "the Google access token expired at {expires_at_ms} ms, {} ms before now ({now_ms} ms): refresh it first",
                now_ms - expires_at_ms
            ),
        );
    }
    let (exp, iat) = (expires_at_ms / 1000, now_ms / 1000);
    let (header, claims) = match style {
        GoogleTokenStyle::GoogleJava => {
            (JAVA_HEADER, format!(r#"{{"exp":{exp},"iat":{iat},"scope":"kafka","sub":{}}}"#, gson_string(principal)))
        }
        GoogleTokenStyle::GooglePython => (
            SPACED_HEADER,
            format!(
                r#"{{"exp": {}, "iss": "Google", "iat": {}, "sub": {}}}"#,
                python_float(expires_at_ms as f64 / 1000.0),
                python_float(now_ms as f64 / 1000.0),
                python_string(principal)
            ),
        ),
        GoogleTokenStyle::KafkaAuthHandler => (
            SPACED_HEADER,
            format!(r#"{{"exp": {exp}, "iss": "Google", "iat": {iat}, "sub": {}}}"#, go_quote(principal)),
        ),
    };
    let token =
        format!("{}.{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()), b64url(access_token.as_bytes()));
    Ok(GoogleKafkaToken { token: Secret::new(token), expires_at_ms, principal: principal.to_owned() })
}

/// Where the Kafka principal of a set of Google credentials comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalSource {
    /// Known from the credentials (or the override): use it as `sub`.
    Known(String),
    /// User credentials (`authorized_user`): the host must look the email up — mint an ID token
    /// with the email claim, or call Google's tokeninfo endpoint with the access token.
    HostMustLookUp,
    /// Credentials that carry no email (metadata server, or `external_account` without service
    /// account impersonation): the host asks the metadata server, or the user sets
    /// `GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL`.
    NotInCredentials,
}

/// The principal for Application Default Credentials JSON (`adc_json`, `None` for metadata-server
/// credentials), or the explicit `override_principal` (hosts read
/// `GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL`), which wins when set. Known principals are validated.
///
/// * `service_account` → `client_email`;
/// * `impersonated_service_account` and `external_account` → the email in
///   `service_account_impersonation_url` (the target service account);
/// * `authorized_user` → [`PrincipalSource::HostMustLookUp`].
pub fn principal_from_credentials(
    adc_json: Option<&[u8]>,
    override_principal: Option<&str>,
) -> Result<PrincipalSource> {
    if let Some(principal) = override_principal.filter(|p| !p.is_empty()) {
        validate_principal(principal)?;
        return Ok(PrincipalSource::Known(principal.to_owned()));
    }
    let Some(bytes) = adc_json else { return Ok(PrincipalSource::NotInCredentials) };
    let json: Value = serde_json::from_slice(bytes)
        .map_err(|_| Error::new(ErrorKind::InvalidCredentials, "the credentials file is not JSON"))?;
    let field = |name: &str| json.get(name).and_then(Value::as_str);
    let kind = field("type").unwrap_or_default();
    let known = |principal: &str| validate_principal(principal).map(|()| PrincipalSource::Known(principal.to_owned()));
    match kind {
        "service_account" => match field("client_email") {
            Some(email) => known(email),
            None => fail(ErrorKind::InvalidCredentials, "the service account credentials have no client_email"),
        },
        "impersonated_service_account" | "external_account" => {
            match field("service_account_impersonation_url").and_then(email_in_url) {
                Some(email) => known(email),
                None if kind == "external_account" => Ok(PrincipalSource::NotInCredentials),
                None => fail(
                    ErrorKind::InvalidCredentials,
                    "the impersonated credentials have no service account email in service_account_impersonation_url",
                ),
            }
        }
        "authorized_user" | "external_account_authorized_user" => Ok(PrincipalSource::HostMustLookUp),
        "" => fail(ErrorKind::InvalidCredentials, "the credentials JSON has no \"type\""),
        other => fail(ErrorKind::InvalidCredentials, format!("credential type {other:?} is not supported")),
    }
}

/// Checks a principal as Google's own Go client does: not empty, not a GKE workload-identity pool
/// member (`…svc.id.goog`), and either a `principal://` identifier or an email address.
pub fn validate_principal(principal: &str) -> Result<()> {
    if principal.trim().is_empty() {
        return fail(
            ErrorKind::InvalidPrincipal,
            "the Kafka principal is empty; set GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL",
        );
    }
    if principal.ends_with(".svc.id.goog") {
        return fail(
            ErrorKind::InvalidPrincipal,
            "the principal is a GKE workload identity pool id (…svc.id.goog); annotate the Kubernetes service account \
             with iam.gke.io/return-principal-id-as-email: \"true\" or set GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL",
        );
    }
    if principal.strip_prefix("principal://").is_some_and(|rest| !rest.is_empty()) || is_email(principal) {
        return Ok(());
    }
    fail(ErrorKind::InvalidPrincipal, "the Kafka principal must be an email address or a principal:// identifier")
}

/// A bare RFC 5322 addr-spec with a dot-atom local part and a dotted domain (what Google's service
/// accounts and user emails look like; display names are refused).
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let dot_atom = |part: &str, ok: &dyn Fn(char) -> bool| {
        !part.is_empty() && part.split('.').all(|label| !label.is_empty() && label.chars().all(ok))
    };
    dot_atom(local, &atext)
        && dot_atom(domain, &|c: char| c.is_ascii_alphanumeric() || c == '-')
        && domain.contains('.')
}

/// The first `[a-zA-Z0-9._-]+@[a-zA-Z0-9._-]+\.[a-zA-Z0-9_-]+` in `url`, as Google's Go client
/// extracts it. Hand-written (a scan for `@` and two character runs) so the core and its WASI
/// component do not carry a regex engine for one pattern.
fn email_in_url(url: &str) -> Option<&str> {
    let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    let bytes = url.as_bytes();
    for (at, _) in url.match_indices('@') {
        let start = at - bytes[..at].iter().rev().take_while(|&&c| ok(c)).count();
        let run_end = at + 1 + bytes[at + 1..].iter().take_while(|&&c| ok(c)).count();
        // Backtrack as the regex does: the domain must end in `.` plus one or more non-dot chars.
        let domain = url[at + 1..run_end].trim_end_matches('.');
        if start < at && domain.rfind('.').is_some_and(|dot| dot > 0) {
            return Some(&url[start..at + 1 + domain.len()]);
        }
    }
    None
}

/// Writes `s` in double quotes with the escapes the three serializers share (`\"`, `\\`, `\n`,
/// `\r`, `\t`, `\b`, `\f`), handing every other character to `other`.
fn quote_with(s: &str, other: impl Fn(char, &mut String)) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => other(c, &mut out),
        }
    }
    out.push('"');
    out
}

/// A JSON string as `new Gson().toJson` writes it: HTML-safe, so `<`, `>`, `&`, `=`, `'` become
/// `\u003c`-style escapes, other control characters and U+2028/U+2029 `\u00XX`-style escapes,
/// everything else (including non-ASCII) as is.
pub fn gson_string(s: &str) -> String {
    quote_with(s, |c, out| match c {
        '<' | '>' | '&' | '=' | '\'' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => out.push(c),
    })
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii=True`: every character
/// outside `' '..='~'` without a short escape as `\uXXXX` (UTF-16, lower-case hex).
pub fn python_string(s: &str) -> String {
    quote_with(s, |c, out| match c {
        ' '..='~' => out.push(c),
        c => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    })
}

/// A float as Python's `repr` prints it for the magnitudes of epoch seconds and lifetimes: the
/// shortest digits that round-trip, with `.0` for whole numbers. (Rust's `Display` for `f64` also
/// prints the shortest round-trip digits; Python switches to exponent notation only from 1e16.)
pub fn python_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// A string as Go's `strconv.Quote` (`%q`) writes it: the shared escapes plus `\a` and `\v`, other
/// ASCII controls and DEL as `\xXX`, non-printable non-ASCII as `\uXXXX`; printable characters,
/// including non-ASCII ones, as is. "Printable" follows Go's `unicode.IsPrint` for the categories
/// that occur in principals: controls, format characters and non-ASCII spaces are escaped.
pub fn go_quote(s: &str) -> String {
    quote_with(s, |c, out| match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{b}' => out.push_str("\\v"),
        '\0'..='\u{1f}' | '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if !c.is_ascii() && (c.is_control() || c.is_whitespace() || is_format_char(c)) => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => out.push(c),
    })
}

/// Unicode format characters (category Cf) common enough to appear in pasted text.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{600}'..='\u{605}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINCIPAL: &str = "kafka-client@demo-proj.iam.gserviceaccount.com";

    #[test]
    fn reference_vectors_all_three_styles() {
        let t = |style| google_token("ya29.FAKE-ACCESS-TOKEN", 1_704_070_800_000, PRINCIPAL, 1_704_067_200_000, style);
        assert_eq!(
            t(GoogleTokenStyle::GoogleJava).unwrap().token.expose(),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOjE3MDQwNzA4MDAsImlhdCI6MTcwNDA2NzIwMCwic2NvcGUiOiJrYWZrYSIsInN1YiI6ImthZmthLWNsaWVudEBkZW1vLXByb2ouaWFtLmdzZXJ2aWNlYWNjb3VudC5jb20ifQ.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg"
        );
        assert_eq!(
            t(GoogleTokenStyle::GooglePython).unwrap().token.expose(),
            "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOiAxNzA0MDcwODAwLjAsICJpc3MiOiAiR29vZ2xlIiwgImlhdCI6IDE3MDQwNjcyMDAuMCwgInN1YiI6ICJrYWZrYS1jbGllbnRAZGVtby1wcm9qLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg"
        );
        assert_eq!(
            t(GoogleTokenStyle::KafkaAuthHandler).unwrap().token.expose(),
            "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOiAxNzA0MDcwODAwLCAiaXNzIjogIkdvb2dsZSIsICJpYXQiOiAxNzA0MDY3MjAwLCAic3ViIjogImthZmthLWNsaWVudEBkZW1vLXByb2ouaWFtLmdzZXJ2aWNlYWNjb3VudC5jb20ifQ.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg"
        );
    }

    #[test]
    fn escapers_follow_their_serializers() {
        assert_eq!(gson_string("x=y&z<1>'"), r#""x\u003dy\u0026z\u003c1\u003e\u0027""#);
        assert_eq!(gson_string("é\n\u{1}"), "\"é\\n\\u0001\"");
        assert_eq!(python_string("é😀\u{7f}"), r#""\u00e9\ud83d\ude00\u007f""#);
        assert_eq!(go_quote("a\u{7f}é\u{200b}\u{1}"), r#""a\x7fé\u200b\x01""#);
        assert_eq!(python_float(1_704_067_200.0), "1704067200.0");
        assert_eq!(python_float(1_795_352_366.977), "1795352366.977");
        assert_eq!(python_float(0.5), "0.5");
    }

    #[test]
    fn principals_from_every_credential_kind() {
        let p = |json: &str| principal_from_credentials(Some(json.as_bytes()), None);
        assert_eq!(
            p(r#"{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com"}"#).unwrap(),
            PrincipalSource::Known("a@p.iam.gserviceaccount.com".into())
        );
        let url = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken";
        for kind in ["impersonated_service_account", "external_account"] {
            let json = format!(r#"{{"type":"{kind}","service_account_impersonation_url":"{url}","delegates":[]}}"#);
            assert_eq!(p(&json).unwrap(), PrincipalSource::Known("sa@p.iam.gserviceaccount.com".into()));
        }
        assert_eq!(p(r#"{"type":"external_account","audience":"//iam"}"#).unwrap(), PrincipalSource::NotInCredentials);
        assert_eq!(p(r#"{"type":"authorized_user"}"#).unwrap(), PrincipalSource::HostMustLookUp);
        assert_eq!(p(r#"{"type":"gdch"}"#).unwrap_err().code(), "invalid_credentials");
        assert_eq!(principal_from_credentials(None, None).unwrap(), PrincipalSource::NotInCredentials);
        assert_eq!(
            principal_from_credentials(None, Some("principal://iam.googleapis.com/x")).unwrap(),
            PrincipalSource::Known("principal://iam.googleapis.com/x".into())
        );
        assert_eq!(email_in_url("x/a.b@c.d.:y"), Some("a.b@c.d"));
        assert_eq!(email_in_url("x/a@b:y"), None);
    }

    #[test]
    fn principal_validation() {
        let code = |p: &str| validate_principal(p).err().map_or("ok", |e| e.code());
        assert_eq!(code(PRINCIPAL), "ok");
        assert_eq!(code("principal://iam.googleapis.com/projects/1/x"), "ok");
        assert_eq!(code(""), "invalid_principal");
        assert_eq!(code("proj.svc.id.goog"), "invalid_principal");
        assert_eq!(code("ns/sa@proj.svc.id.goog"), "invalid_principal");
        assert_eq!(code("Name <a@b.c>"), "invalid_principal");
        assert_eq!(code("nobody"), "invalid_principal");
    }
}
