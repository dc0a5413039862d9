//! Assertion template files (`sasl.oauthbearer.assertion.template.file` in Kafka Java,
//! `sasl.oauthbearer.assertion.jwt.template.file` in librdkafka): a JSON object
//! `{"header": {…}, "payload": {…}}` whose members are merged into the signed assertion.

use serde_json::{Map, Value};

use crate::config::Dialect;
use crate::error::{fail, Error, ErrorKind, Result};

/// The largest template file read (librdkafka's limit, applied to both dialects).
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

/// A parsed template. Member order is the file's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssertionTemplate {
    /// Members merged into the JWS header.
    pub header: Map<String, Value>,
    /// Members merged into the claims.
    pub payload: Map<String, Value>,
    /// Top-level members other than `header` and `payload`, which Kafka Java ignores (a flat
    /// `{"iss": …}` template): refused in strict mode ([`crate::assertion::check_template`]).
    pub ignored: Vec<String>,
}

impl AssertionTemplate {
    /// Parses a template file's bytes.
    ///
    /// * [`Dialect::KafkaJava`]: `header` and `payload` are both optional; a missing or `null`
    ///   member is `{}`; other top-level members are ignored (Kafka's `FileAssertionJwtTemplate`).
    /// * [`Dialect::Librdkafka`]: both members are required objects.
    ///
    /// Either way a member that is present must be an object, and the file is at most 1 MiB.
    pub fn parse(bytes: &[u8], dialect: Dialect) -> Result<Self> {
        if bytes.len() > MAX_TEMPLATE_BYTES {
            return fail(
                ErrorKind::InvalidTemplate,
                format!("the assertion template is larger than {MAX_TEMPLATE_BYTES} bytes"),
            );
        }
        let root: Value = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidTemplate,
                format!("the assertion template is not valid JSON (line {}, column {})", e.line(), e.column()),
            )
        })?;
        let Value::Object(mut root) = root else {
            return fail(ErrorKind::InvalidTemplate, "the assertion template must be a JSON object");
        };
        let mut member = |name: &str| -> Result<Map<String, Value>> {
            match root.shift_remove(name) {
                Some(Value::Object(map)) => Ok(map),
                None | Some(Value::Null) if dialect == Dialect::KafkaJava => Ok(Map::new()),
                None | Some(Value::Null) => fail(
                    ErrorKind::InvalidTemplate,
                    format!("librdkafka requires the assertion template to have a \"{name}\" object"),
                ),
                Some(_) => fail(
                    ErrorKind::InvalidTemplate,
                    format!("the assertion template's \"{name}\" member must be a JSON object"),
                ),
            }
        };
        let (header, payload) = (member("header")?, member("payload")?);
        Ok(Self { header, payload, ignored: root.keys().cloned().collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &str, dialect: Dialect) -> &'static str {
        AssertionTemplate::parse(bytes.as_bytes(), dialect).err().map_or("ok", |e| e.code())
    }

    #[test]
    fn dialects_differ_on_missing_members() {
        assert_eq!(code("{}", Dialect::KafkaJava), "ok");
        assert_eq!(code(r#"{"header":null,"other":1}"#, Dialect::KafkaJava), "ok");
        assert_eq!(code("{}", Dialect::Librdkafka), "invalid_template");
        assert_eq!(code(r#"{"header":{},"payload":{}}"#, Dialect::Librdkafka), "ok");
        assert_eq!(code(r#"{"header":[]}"#, Dialect::KafkaJava), "invalid_template");
        assert_eq!(code("[]", Dialect::KafkaJava), "invalid_template");
        assert_eq!(code("{", Dialect::KafkaJava), "invalid_template");
        let big = format!(r#"{{"payload":{{"x":"{}"}}}}"#, "a".repeat(MAX_TEMPLATE_BYTES));
        assert_eq!(code(&big, Dialect::KafkaJava), "invalid_template");
    }

    #[test]
    fn keeps_file_order() {
        let t = AssertionTemplate::parse(br#"{"payload":{"z":1,"a":2,"m":3}}"#, Dialect::KafkaJava).unwrap_or_default();
        assert_eq!(t.payload.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    }
}
