//! Token endpoint responses: success parsed as Kafka does (plus the RFC 6749 §5.1 fields Kafka
//! ignores), failures parsed into a typed [`crate::error::TokenEndpointFailure`] that also carries
//! Kafka's exact error text.

use std::fmt;

use serde_json::Value;

use crate::config::Dialect;
use crate::error::{fail, Error, ErrorKind, Result, TokenEndpointFailure};
use crate::retry::is_retryable_status;
use crate::secret::Secret;

/// Kafka's cut-off for response text in messages.
pub const MAX_RESPONSE_SNIPPET: usize = 1000;

/// A successful token response. `Debug` redacts the tokens.
#[derive(Clone, PartialEq)]
pub struct TokenResponse {
    /// The token: `access_token`, else `id_token` (a non-blank JSON string, trimmed).
    pub token: Secret,
    /// Which member the token came from (`access_token` or `id_token`).
    pub token_member: &'static str,
    /// `token_type`, if present.
    pub token_type: Option<String>,
    /// `expires_in` in seconds (a number, or a numeric string as some IdPs send), if present.
    pub expires_in: Option<f64>,
    /// `scope`, if present.
    pub scope: Option<String>,
    /// `refresh_token`, if present.
    pub refresh_token: Option<Secret>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token", &"[redacted]")
            .field("token_member", &self.token_member)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Java's `String.trim()`: strips every char `<= ' '` from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// [`parse_token_response`] for the client `config` sent the request for: its dialect, and every
/// secret it holds removed by value from a refusal (IdPs echo decoded client credentials in their
/// `error_description`).
pub fn parse_token_response_for(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    config: &crate::Config,
) -> Result<TokenResponse> {
    parse_token_response(status, content_type, body, config.dialect)
        .map_err(|e| e.without_secrets(&config.held_secrets()))
}

/// Parses the token endpoint's answer.
///
/// * Success is HTTP 200 or 201 with a non-empty body (Kafka Java); librdkafka takes any status
///   below 400 and also requires `Content-Type: application/json…`.
/// * The token is `access_token`, else `id_token` (librdkafka reads `id_token` only for jwt-bearer;
///   pass `Dialect::KafkaJava` to always fall back).
/// * Any other status gives `token_response_error` with the parsed RFC 6749 / Okta error,
///   retryability, and Kafka's message text.
pub fn parse_token_response(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    dialect: Dialect,
) -> Result<TokenResponse> {
    let success = match dialect {
        Dialect::KafkaJava => status == 200 || status == 201,
        Dialect::Librdkafka => status < 400,
    };
    if !success {
        return Err(endpoint_failure(status, body));
    }
    if body.is_empty() {
        return Err(Error::token_endpoint(
            format!("the token endpoint answered {status} with an empty body"),
            TokenEndpointFailure {
                status,
                error: None,
                error_description: None,
                error_uri: None,
                retryable: true,
                // Kafka names the URL after "from"; the parser does not know it.
                kafka_message: format!(
                    "The token endpoint response was unexpectedly empty despite response code {status} from the token endpoint and error message {{}}"
                ),
            },
        ));
    }
    if dialect == Dialect::Librdkafka && !content_type.is_some_and(|ct| ct.trim().starts_with("application/json")) {
        return fail(
            ErrorKind::InvalidTokenResponse,
            format!("Response is not JSON encoded: {}", content_type.unwrap_or("(no content type)")),
        );
    }
    let root: Value = first_json_value(body)
        .ok_or_else(|| Error::new(ErrorKind::InvalidTokenResponse, "the token endpoint response is not valid JSON"))?;
    let text = |name: &str| root.get(name).and_then(Value::as_str).map(java_trim).filter(|s| !s.is_empty());
    let Some((member, token)) = ["access_token", "id_token"].into_iter().find_map(|m| text(m).map(|t| (m, t))) else {
        return fail(
            ErrorKind::InvalidTokenResponse,
            format!("The token endpoint response did not contain a valid JWT. Response: ({})", snippet(body)),
        );
    };
    let expires_in = match root.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    };
    Ok(TokenResponse {
        token: Secret::new(token),
        token_member: member,
        token_type: root.get("token_type").and_then(Value::as_str).map(str::to_owned),
        expires_in,
        scope: root.get("scope").and_then(Value::as_str).map(str::to_owned),
        refresh_token: root.get("refresh_token").and_then(Value::as_str).map(Secret::new),
    })
}

/// Jackson's `readTree`: the first JSON value, trailing content ignored.
fn first_json_value(body: &str) -> Option<Value> {
    serde_json::Deserializer::from_str(body).into_iter::<Value>().next().and_then(|r| r.ok())
}

fn endpoint_failure(status: u16, body: &str) -> Error {
    let root = if body.trim().is_empty() { None } else { first_json_value(body) };
    let member = |name: &str| root.as_ref().and_then(|r| r.get(name));
    // Error fields are meant to be safe to log (RFC 6749 §5.2), but servers echo assertions and
    // tokens back in them, so they are redacted too.
    let as_text = |v: Option<&Value>| v.map(|v| redact(&v.as_str().map_or_else(|| v.to_string(), str::to_owned)));
    let (error, description) = if member("error").is_some() {
        (as_text(member("error")), as_text(member("error_description")))
    } else if member("errorCode").is_some() {
        (as_text(member("errorCode")), as_text(member("errorSummary")))
    } else {
        (None, None)
    };
    let retryable = is_retryable_status(status);
    let formatted = kafka_format_error_message(body);
    let kafka_message = if retryable {
        format!("The unexpected response code {status} and error message {formatted} was encountered reading the token endpoint response")
    } else {
        format!(
            "The response code {status} and error response {formatted} was encountered reading the token endpoint response; will not attempt further retries"
        )
    };
    let message = match (&error, &description) {
        (Some(e), Some(d)) => format!("the token endpoint answered {status}: {e} ({d})"),
        (Some(e), None) => format!("the token endpoint answered {status}: {e}"),
        _ => format!("the token endpoint answered {status}: {}", snippet(body)),
    };
    Error::token_endpoint(
        message,
        TokenEndpointFailure {
            status,
            error,
            error_description: description,
            error_uri: as_text(member("error_uri")),
            retryable,
            kafka_message,
        },
    )
}

/// Kafka's `HttpJwtRetriever.formatErrorMessage`, with token-shaped text redacted and the result
/// cut to [`MAX_RESPONSE_SNIPPET`] characters.
pub fn kafka_format_error_message(body: &str) -> String {
    if body.trim().is_empty() {
        return "{}".to_owned();
    }
    let text = match first_json_value(body) {
        // JsonNode.toString(): strings keep their quotes; a missing node prints as empty.
        Some(root) if root.get("error").is_some() => format!(
            "{{{} - {}}}",
            root["error"],
            root.get("error_description").map(Value::to_string).unwrap_or_default()
        ),
        Some(root) if root.get("errorCode").is_some() => format!(
            "{{{} - {}}}",
            root["errorCode"],
            root.get("errorSummary").map(Value::to_string).unwrap_or_default()
        ),
        Some(_) => body.to_owned(),
        None => format!("{{{body}}}"),
    };
    snippet(&text)
}

/// Cuts `text` to [`MAX_RESPONSE_SNIPPET`] characters (Kafka's wording) and redacts anything
/// token-shaped, plus the value of every member named like a credential when `text` is JSON.
pub fn snippet(text: &str) -> String {
    let redacted = redact(&redact_secret_members(text));
    let total = redacted.chars().count();
    if total <= MAX_RESPONSE_SNIPPET {
        return redacted;
    }
    let cut: String = redacted.chars().take(MAX_RESPONSE_SNIPPET).collect();
    format!("{cut} (trimmed to first {MAX_RESPONSE_SNIPPET} characters out of {total} total)")
}

/// JSON member names whose string values are credentials whatever their shape.
const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "id_token",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "private_key",
    "code",
];

/// Replaces, in `text` as written, the quoted string values of [`SECRET_MEMBERS`] found anywhere in
/// it when it parses as JSON. Textual replacement keeps the body's own formatting (Kafka's message
/// shows the body as received) while short or oddly shaped credentials still disappear.
fn redact_secret_members(text: &str) -> String {
    fn collect<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (name, v) in map {
                    match v {
                        Value::String(s) if SECRET_MEMBERS.contains(&name.to_ascii_lowercase().as_str()) => out.push(s),
                        other => collect(other, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let Ok(root) = serde_json::from_str::<Value>(text) else { return text.to_owned() };
    let mut secrets = Vec::new();
    collect(&root, &mut secrets);
    secrets.iter().filter(|s| !s.is_empty()).fold(text.to_owned(), |acc, secret| {
        let quoted = Value::String((*secret).to_owned()).to_string();
        acc.replace(&quoted, "\"[redacted]\"")
    })
}

/// The longest part of a cloud SDK's message kept in an error.
pub const MAX_SDK_MESSAGE: usize = 400;

/// Environment variables the cloud SDKs take secrets from: their values are removed from SDK
/// messages by value (the fronts read them and pass them to [`credential_failure`]).
pub const SDK_SECRET_VARIABLES: &[&str] = &[
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// SDK errors that are the SDK's own diagnosis, made without a server's answer: their messages are
/// what the user needs (Google's ADC set-up link, "Could not load credentials from any
/// providers", which Azure credentials were tried and why each was unavailable).
const LOCAL_DIAGNOSES: &[&str] = &[
    // google-auth
    "DefaultCredentialsError",
    // botocore
    "NoCredentialsError",
    "PartialCredentialsError",
    "ProfileNotFound",
    "NoRegionError",
    "InvalidConfigError",
    // AWS SDK for JavaScript
    "CredentialsProviderError",
    // azure-identity (Python, JS)
    "CredentialUnavailableError",
];

/// Messages of plain `Error`s that SDKs throw for their own diagnoses (google-auth-library), and
/// of summaries that list what was tried (azure-identity's DefaultAzureCredential).
const LOCAL_DIAGNOSIS_PREFIXES: &[&str] = &[
    "Could not load the default credentials",
    "Unable to detect a Project Id",
    "DefaultAzureCredential failed to retrieve a token from the included credentials",
    "ChainedTokenCredential failed to retrieve a token from the included credentials",
];

/// A cloud SDK's failure for an error message: what failed (`source`, e.g. "Google credentials"),
/// the SDK's exception name and, when the SDK diagnosed the failure itself
/// (a fixed list of error names), its own message — on one line, cut to [`MAX_SDK_MESSAGE`] characters,
/// with `secrets` (what the credentials' environment holds) removed by value and token-shaped
/// runs, credential-named JSON members and `name=value` pairs naming a secret, password, token,
/// key or assertion redacted. A message that relays a server's answer (a metadata server's body,
/// Entra's description) is left out: servers echo what they were sent.
pub fn credential_failure(source: &str, error_name: &str, sdk_message: &str, secrets: &[&str]) -> String {
    // The name is the SDK's class name; keep it only when it looks like one.
    let name = if !error_name.is_empty()
        && error_name.len() <= 64
        && error_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        error_name
    } else {
        "Error"
    };
    let one_line = sdk_message.split_whitespace().collect::<Vec<_>>().join(" ");
    let local = LOCAL_DIAGNOSES.contains(&name) || LOCAL_DIAGNOSIS_PREFIXES.iter().any(|p| one_line.starts_with(p));
    if !local {
        return format!("{source}: {name} (the SDK's message relays a server's answer and is not shown)");
    }
    let cleaned = redact_held(&redact_assignments(&redact_secret_members(&one_line)), secrets);
    if cleaned.is_empty() {
        return format!("{source}: {name}");
    }
    let total = cleaned.chars().count();
    let text = if total > MAX_SDK_MESSAGE {
        format!("{}…", cleaned.chars().take(MAX_SDK_MESSAGE).collect::<String>())
    } else {
        cleaned
    };
    format!("{source}: {name}: {text}")
}

/// Redacts the value of `name=value` and `name: value` pairs whose name says it is a credential
/// (`secret`, `client_secret`, `clientSecret`, `x-api-key`, `AccessToken` …).
fn redact_assignments(text: &str) -> String {
    const NAMES: &[&str] = &["secret", "password", "passwd", "token", "key", "assertion", "signature"];
    // `client_secret`, `x-api-key`, `clientSecret`, `AccessToken` — not `ManagedIdentityCredential`.
    let names_a_secret = |raw: &str| {
        let lower = raw.to_ascii_lowercase();
        NAMES.iter().any(|n| {
            lower == *n
                || lower.ends_with(&format!("_{n}"))
                || lower.ends_with(&format!("-{n}"))
                || (raw.len() > n.len() && raw.ends_with(&format!("{}{}", n[..1].to_ascii_uppercase(), &n[1..])))
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['=', ':']) {
        let (before, after) = rest.split_at(at);
        let named = before.trim_end();
        let name_start =
            named.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).map_or(0, |i| i + 1);
        let name = &named[name_start..];
        out.push_str(before);
        out.push_str(&after[..1]);
        let value = &after[1..];
        let skip = value.len() - value.trim_start().len();
        let value_len = value[skip..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '&' | ')' | '"' | '\''))
            .unwrap_or(value.len() - skip);
        if names_a_secret(name) && value_len > 0 && !value[skip..].starts_with("//") {
            out.push_str(&value[..skip]);
            out.push_str("[redacted]");
            rest = &value[skip + value_len..];
        } else {
            rest = value;
        }
    }
    out.push_str(rest);
    out
}

/// Secrets shorter than this are not searched for: a 1-3 character "secret" protects nothing and
/// replacing it would garble the text around every occurrence of those letters.
pub const MIN_REDACTED_SECRET_LEN: usize = 4;

/// Removes, by value, every secret the tool holds (`secrets`: a client secret, a key passphrase, an
/// inline key) from text that came from outside — an IdP's error body, a cloud SDK's message —
/// whatever its shape: as written, form-encoded (as the request body had it) and inside
/// `client_id:secret` Basic credentials an IdP decoded and echoed. Token-shaped runs go too
/// ([`redact`]).
pub fn redact_held(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.chars().count() >= MIN_REDACTED_SECRET_LEN) {
        for form in [(*secret).to_owned(), crate::encoding::java_url_encode(secret)] {
            out = out.replace(&form, "[redacted]");
        }
    }
    redact(&out)
}

/// Replaces token-shaped runs with `[redacted]`: a JWT/JWS/JWE (two or more dots between
/// base64url segments), or any unbroken base64/base64url run of 32 characters or more
/// (opaque access tokens, refresh tokens, secrets).
pub fn redact(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=' | '~');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let segments: Vec<&str> = run.split('.').collect();
        let jws_shaped = segments.len() >= 3
            && segments
                .iter()
                .all(|s| s.trim_end_matches('=').chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            && segments.iter().filter(|s| s.len() >= 8).count() >= 2;
        let longest_plain = run.split(['.', '/']).map(str::len).max().unwrap_or(0);
        if jws_shaped || longest_plain >= 32 {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_error_formats() {
        assert_eq!(kafka_format_error_message(""), "{}");
        assert_eq!(
            kafka_format_error_message(r#"{"error":"invalid_client","error_description":"bad"}"#),
            r#"{"invalid_client" - "bad"}"#
        );
        assert_eq!(kafka_format_error_message(r#"{"error":"invalid_client"}"#), r#"{"invalid_client" - }"#);
        assert_eq!(
            kafka_format_error_message(r#"{"errorCode":"E0000004","errorSummary":"Authentication failed"}"#),
            r#"{"E0000004" - "Authentication failed"}"#
        );
        assert_eq!(kafka_format_error_message(r#"{"status":"x"}"#), r#"{"status":"x"}"#);
        assert_eq!(kafka_format_error_message("Bad Gateway"), "{Bad Gateway}");
    }

    #[test]
    fn redacts_credential_members_of_any_shape() {
        assert_eq!(
            snippet(r#"{"token_type":"Bearer", "refresh_token":"abc","nested":{"Client_Secret":"x y"}}"#),
            r#"{"token_type":"Bearer", "refresh_token":"[redacted]","nested":{"Client_Secret":"[redacted]"}}"#
        );
        assert_eq!(snippet("not json abc"), "not json abc");
    }

    #[test]
    fn a_refusal_never_quotes_a_secret_the_client_holds() {
        // An IdP that decodes the Basic credentials and echoes them (issue 25).
        let config = crate::Config::from_properties(
            [
                ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
                ("sasl.oauthbearer.client.credentials.client.id", "my-client"),
                ("sasl.oauthbearer.client.credentials.client.secret", "Super Secret&42"),
            ],
            Dialect::KafkaJava,
        )
        .unwrap();
        let body = r#"{"error":"invalid_client","error_description":"bad credentials my-client:Super Secret&42 (Super+Secret%2642)"}"#;
        let e = parse_token_response_for(401, Some("application/json"), body, &config).unwrap_err();
        let failure = e.token_endpoint_failure().unwrap();
        for text in [e.message(), failure.error_description.as_deref().unwrap(), failure.kafka_message.as_str()] {
            assert!(!text.contains("Secret"), "{text}");
            assert!(text.contains("my-client:[redacted]"), "{text}");
        }
        // Short values are not searched for (they would garble the text).
        assert_eq!(redact_held("a abc b", &["abc"]), "a abc b");
    }

    #[test]
    fn sdk_messages_keep_their_own_diagnoses_not_what_servers_said() {
        let adc = "Your default credentials were not found. To set up Application Default Credentials, see \
                   https://cloud.google.com/docs/authentication/external/set-up-adc for more information.";
        assert_eq!(
            credential_failure("Google credentials could not be refreshed", "DefaultCredentialsError", adc, &[]),
            format!("Google credentials could not be refreshed: DefaultCredentialsError: {adc}")
        );
        let tried = "DefaultAzureCredential failed to retrieve a token from the included credentials. \
                     EnvironmentCredential: client_secret=PLANTED-41 password = PLANTED-44 Held-PLANTED-45 \
                     token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let m = credential_failure("Azure credentials", "ClientAuthenticationError", tried, &["Held-PLANTED-45"]);
        assert!(!m.contains("PLANTED") && !m.contains("eyJ"), "{m}");
        assert!(m.contains("failed to retrieve a token from the included credentials. EnvironmentCredential:"), "{m}");
        // A relayed answer (a metadata server's body) is not quoted at all.
        let relayed =
            "Could not refresh access token: Unsuccessful response status code. internal error: secret-detail";
        let m = credential_failure("Google credentials could not be refreshed", "Error", relayed, &[]);
        assert!(!m.contains("secret-detail") && m.contains("relays a server's answer"), "{m}");
        assert_eq!(
            credential_failure("AWS credentials", "bad name!", "", &[]),
            "AWS credentials: Error (the SDK's message relays a server's answer and is not shown)"
        );
        assert_eq!(
            credential_failure("AWS credentials", "CredentialsProviderError", "", &[]),
            "AWS credentials: CredentialsProviderError"
        );
    }

    #[test]
    fn redacts_tokens_but_not_words() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl";
        assert_eq!(redact(&format!("token {jwt} here")), "token [redacted] here");
        assert_eq!(redact("opaque ya29.a0AfH6SMBx1234567890abcdefghijklmnopqrstuv"), "opaque [redacted]");
        assert_eq!(
            redact("invalid_client: client authentication failed"),
            "invalid_client: client authentication failed"
        );
        assert_eq!(redact("https://idp.example.com/oauth2/token"), "https://idp.example.com/oauth2/token");
    }
}
