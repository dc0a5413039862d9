//! SASL/OAUTHBEARER rules shared by configuration and messages (RFC 7628 §3.1).

use crate::config::Dialect;
use crate::error::{fail, ErrorKind, Result};

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
