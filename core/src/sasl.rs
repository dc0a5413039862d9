//! SASL/OAUTHBEARER messages (RFC 7628 §3.1) in Kafka's layout: the client-first message, its
//! extension rules, the server's error challenge and the client's one-byte acknowledgement, and
//! Confluent Cloud's extensions.

use serde_json::Value;

use crate::config::Dialect;
use crate::error::{fail, Error, ErrorKind, Result};

/// The client's answer to a server error challenge: a single `0x01` (RFC 7628 §3.2.3).
pub const CLIENT_ERROR_ACK: &[u8] = b"\x01";

/// The client-first message: `n,[a=<authzid>],\x01auth=Bearer <token>[\x01k=v…]\x01\x01`, UTF-8,
/// byte-identical to Kafka Java and librdkafka for the same extension order. Extensions are written
/// in the caller's order (Kafka Java's order is a hash map's, i.e. unspecified). The authzid is
/// escaped per RFC 5801 (`,` → `=2C`, `=` → `=3D`) and written without KafkaJS's stray quote.
///
/// Refused with `invalid_extension` for a bad extension (see [`validate_extension`]) and with
/// `invalid_sasl_message` for a token outside `[-_.A-Za-z0-9]+` (what Kafka's broker parses) — the
/// message never repeats the token.
pub fn client_first_message(token: &str, authzid: Option<&str>, extensions: &[(&str, &str)]) -> Result<Vec<u8>> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return fail(
            ErrorKind::InvalidSaslMessage,
            "the token must be one or more base64url characters and dots (Kafka's broker refuses anything else)",
        );
    }
    let mut message = String::from("n,");
    if let Some(id) = authzid.filter(|id| !id.is_empty()) {
        message.push_str("a=");
        message.push_str(&id.replace('=', "=3D").replace(',', "=2C"));
    }
    message.push_str(",\x01auth=Bearer ");
    message.push_str(token);
    for (name, value) in extensions {
        validate_extension(name, value, Dialect::KafkaJava)?;
        message.push('\x01');
        message.push_str(name);
        message.push('=');
        message.push_str(value);
    }
    message.push_str("\x01\x01");
    Ok(message.into_bytes())
}

/// A parsed client-first message (what a broker, or a test, reads back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFirstMessage {
    /// The authorization identity, unescaped.
    pub authzid: Option<String>,
    /// The bearer token.
    pub token: String,
    /// The extensions, in message order.
    pub extensions: Vec<(String, String)>,
}

/// Parses a client-first message, as Kafka's broker does (`OAuthBearerClientInitialResponse`).
pub fn parse_client_first_message(bytes: &[u8]) -> Result<ClientFirstMessage> {
    let bad = |why: &str| Error::new(ErrorKind::InvalidSaslMessage, format!("malformed client-first message: {why}"));
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let rest = text.strip_prefix("n,").ok_or_else(|| bad("it must start with the gs2 header \"n,\""))?;
    let (authzid, rest) = rest.split_once(",\x01").ok_or_else(|| bad("no \",\\x01\" after the gs2 header"))?;
    let authzid = match authzid {
        "" => None,
        a => {
            let name = a.strip_prefix("a=").ok_or_else(|| bad("the authzid must be \"a=...\""))?;
            Some(unescape_saslname(name).ok_or_else(|| bad("the authzid is not an RFC 5801 saslname"))?)
        }
    };
    let body = rest.strip_suffix("\x01\x01").ok_or_else(|| bad("it must end with \\x01\\x01"))?;
    let mut token = None;
    let mut extensions = Vec::new();
    for pair in body.split('\x01') {
        let (k, v) = pair.split_once('=').ok_or_else(|| bad("a key/value pair has no \"=\""))?;
        if k == "auth" {
            let t = v.strip_prefix("Bearer ").ok_or_else(|| bad("auth must be \"Bearer <token>\""))?;
            token = Some(t.trim_start_matches(' ').to_owned());
        } else {
            validate_extension(k, v, Dialect::KafkaJava)?;
            extensions.push((k.to_owned(), v.to_owned()));
        }
    }
    let token = token.ok_or_else(|| bad("no auth=Bearer pair"))?;
    Ok(ClientFirstMessage { authzid, token, extensions })
}

/// An RFC 5801 `saslname` unescaped: one or more characters, `=` only in the escapes `=2C` (`,`)
/// and `=3D` (`=`). Empty or badly escaped names are `None` (Kafka's broker refuses them too).
fn unescape_saslname(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let escaped = rest.get(at..at + 3)?;
        out.push(match escaped {
            "=2C" => ',',
            "=3D" => '=',
            _ => return None,
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// The server's error challenge (RFC 7628 §3.2.2): `{"status": …, "scope": …, "openid-configuration": …}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// `status`, e.g. `invalid_token` (required).
    pub status: String,
    /// `scope`, when the server names the scope it wants.
    pub scope: Option<String>,
    /// `openid-configuration`, when the server points at its discovery document.
    pub openid_configuration: Option<String>,
}

/// Parses the server's error challenge; answer it with [`CLIENT_ERROR_ACK`].
pub fn parse_server_error(bytes: &[u8]) -> Result<ServerError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| Error::new(ErrorKind::InvalidSaslMessage, "the server error challenge is not JSON"))?;
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let status = field("status")
        .ok_or_else(|| Error::new(ErrorKind::InvalidSaslMessage, "the server error challenge has no \"status\""))?;
    Ok(ServerError { status, scope: field("scope"), openid_configuration: field("openid-configuration") })
}

/// Confluent Cloud's SASL extensions: `logicalCluster` (the `lkc-…` id, required except for AWS
/// Enterprise clusters over PrivateLink) and optionally `identityPoolId` (`pool-…`), in that order.
pub fn confluent_extensions(logical_cluster: &str, identity_pool_id: Option<&str>) -> Result<Vec<(String, String)>> {
    let mut out = vec![("logicalCluster".to_owned(), logical_cluster.to_owned())];
    out.extend(identity_pool_id.map(|p| ("identityPoolId".to_owned(), p.to_owned())));
    for (k, v) in &out {
        validate_extension(k, v, Dialect::KafkaJava)?;
    }
    Ok(out)
}

/// Extensions as librdkafka's `sasl.oauthbearer.extensions` value: `k=v,k=v`.
pub fn extensions_librdkafka(extensions: &[(String, String)]) -> String {
    extensions.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// Extensions as Kafka Java JAAS options: `extension_k="v" extension_k="v"` (double quotes; JAAS
/// escapes `\\` and `"` inside them).
pub fn extensions_jaas(extensions: &[(String, String)]) -> String {
    extensions
        .iter()
        .map(|(k, v)| format!("extension_{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks one SASL extension as the client would before sending it: the name is `[A-Za-z]+` and
/// not `auth` (reserved for the token); the value is `[\x21-\x7E \t\r\n]+` in Kafka Java (one or
/// more characters) and may be empty in librdkafka.
///
/// Messages name the extension, never its value.
pub fn validate_extension(name: &str, value: &str, dialect: Dialect) -> Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return fail(
            ErrorKind::InvalidExtension,
            format!("SASL extension name {name:?} must be one or more ASCII letters"),
        );
    }
    if name == "auth" {
        return fail(ErrorKind::InvalidExtension, "the SASL extension name \"auth\" is reserved for the token");
    }
    let value_ok = value.chars().all(|c| matches!(c, '\x21'..='\x7e' | ' ' | '\t' | '\r' | '\n'));
    if !value_ok || (value.is_empty() && dialect == Dialect::KafkaJava) {
        return fail(
            ErrorKind::InvalidExtension,
            format!(
                "the value of SASL extension {name:?} must be {}visible ASCII, space, tab, CR or LF",
                if dialect == Dialect::KafkaJava { "one or more characters of " } else { "" }
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_and_reference_vectors() {
        let m = |t, a, e: &[(&str, &str)]| client_first_message(t, a, e).unwrap();
        assert_eq!(
            m("123.345.567", None, &[("nineteen", "42")]),
            b"n,,\x01auth=Bearer 123.345.567\x01nineteen=42\x01\x01"
        );
        assert_eq!(m("123.345.567", None, &[]), b"n,,\x01auth=Bearer 123.345.567\x01\x01");
        assert_eq!(m("345", Some("myuser"), &[]), b"n,a=myuser,\x01auth=Bearer 345\x01\x01");
        let cc = m("123.345.567", None, &[("logicalCluster", "lkc-abc123"), ("identityPoolId", "pool-XyZ")]);
        assert_eq!(cc.len(), 79);
        assert_eq!(
            hex::encode(&cc),
            "6e2c2c01617574683d426561726572203132332e3334352e353637016c6f676963616c436c75737465723d6c6b632d616263313233016964656e74697479506f6f6c49643d706f6f6c2d58795a0101"
        );
        assert_eq!(m("t", Some("a=b,c"), &[]), b"n,a=a=3Db=2Cc,\x01auth=Bearer t\x01\x01");
        let parsed = parse_client_first_message(&m("t.u", Some("a=b,c"), &[("x", "1 2")])).unwrap();
        assert_eq!(parsed.authzid.as_deref(), Some("a=b,c"));
        assert_eq!(parsed.token, "t.u");
        assert_eq!(parsed.extensions, vec![("x".to_owned(), "1 2".to_owned())]);
        // RFC 7628's example, with host/port pairs before auth.
        let rfc = parse_client_first_message(b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\x01\x01").unwrap();
        assert_eq!(rfc.token, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg");
    }

    #[test]
    fn refusals() {
        let code = |r: Result<Vec<u8>>| r.err().map_or("ok", |e| e.code());
        assert_eq!(code(client_first_message("a b", None, &[])), "invalid_sasl_message");
        assert_eq!(code(client_first_message("", None, &[])), "invalid_sasl_message");
        assert_eq!(code(client_first_message("t", None, &[("auth", "x")])), "invalid_extension");
        assert_eq!(
            parse_client_first_message(b"y,,\x01auth=Bearer t\x01\x01").unwrap_err().code(),
            "invalid_sasl_message"
        );
        // RFC 5801 saslname: not empty, `=` only in =2C and =3D (found by the sasl fuzz target: an
        // empty `a=` parsed as an empty authzid, which a rebuild then dropped).
        for bad in [
            &b"n,a=,\x01auth=Bearer t\x01\x01"[..],
            b"n,a=x=y,\x01auth=Bearer t\x01\x01",
            b"n,a=x=2,\x01auth=Bearer t\x01\x01",
        ] {
            assert_eq!(parse_client_first_message(bad).unwrap_err().code(), "invalid_sasl_message");
        }
        let tricky = client_first_message("t", Some("=2C,="), &[]).unwrap();
        assert_eq!(parse_client_first_message(&tricky).unwrap().authzid.as_deref(), Some("=2C,="));
        let e = parse_server_error(br#"{"status":"invalid_token","openid-configuration":"https://x/.well-known"}"#)
            .unwrap();
        assert_eq!(e.status, "invalid_token");
        assert_eq!(e.openid_configuration.as_deref(), Some("https://x/.well-known"));
        assert_eq!(parse_server_error(b"{}").unwrap_err().code(), "invalid_sasl_message");
        assert_eq!(CLIENT_ERROR_ACK, b"\x01");
    }

    #[test]
    fn confluent_renderers() {
        let ext = confluent_extensions("lkc-abc123", Some("pool-XyZ")).unwrap();
        assert_eq!(extensions_librdkafka(&ext), "logicalCluster=lkc-abc123,identityPoolId=pool-XyZ");
        assert_eq!(
            extensions_jaas(&ext),
            r#"extension_logicalCluster="lkc-abc123" extension_identityPoolId="pool-XyZ""#
        );
        assert_eq!(confluent_extensions("", None).unwrap_err().code(), "invalid_extension");
    }

    #[test]
    fn kafka_extension_rules() {
        let code = |k: &str, v: &str, d| validate_extension(k, v, d).err().map_or("ok", |e| e.code());
        assert_eq!(code("logicalCluster", "lkc-123", Dialect::KafkaJava), "ok");
        assert_eq!(code("auth", "x", Dialect::KafkaJava), "invalid_extension");
        assert_eq!(code("bad_name", "x", Dialect::KafkaJava), "invalid_extension");
        assert_eq!(code("", "x", Dialect::KafkaJava), "invalid_extension");
        assert_eq!(code("a", "", Dialect::KafkaJava), "invalid_extension");
        assert_eq!(code("a", "", Dialect::Librdkafka), "ok");
        assert_eq!(code("a", "é", Dialect::Librdkafka), "invalid_extension");
        assert_eq!(code("a", "x\u{1}", Dialect::KafkaJava), "invalid_extension");
    }
}
