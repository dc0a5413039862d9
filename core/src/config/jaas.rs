//! `sasl.jaas.config` parsing, token for token as Kafka's `JaasConfig` (a `StreamTokenizer` with
//! `resetSyntax()`, word characters 33–128 and 160–255, `;` and `=` ordinary, `"` and `'`
//! quotes with Java escapes, and `/`, `//`, `/* */` comments).
//!
//! Hand-written because no crate implements Java's `StreamTokenizer`; the rules above are copied
//! from `clients/src/main/java/org/apache/kafka/common/security/JaasConfig.java` and the JDK's
//! `StreamTokenizer`, and tested against the forms Kafka's own tests use.

use std::collections::HashMap;

use crate::error::{fail, Error, ErrorKind, Result};

/// One login module entry of a JAAS configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JaasEntry {
    /// The login module class, e.g. `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule`.
    pub login_module: String,
    /// The control flag, upper-cased (`REQUIRED`, `REQUISITE`, `SUFFICIENT`, `OPTIONAL`).
    pub control_flag: String,
    /// The options (a later duplicate key wins, as in Kafka's `HashMap`).
    options: HashMap<String, String>,
    /// Option names in the order they first appeared (for deterministic extension order).
    order: Vec<String>,
}

impl JaasEntry {
    /// An option's value.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// Every option, in first-appearance order.
    pub fn options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.order.iter().filter_map(|k| self.options.get(k).map(|v| (k.as_str(), v.as_str())))
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Char(char),
}

impl Token {
    fn text(self) -> Option<String> {
        match self {
            Self::Word(s) | Self::Quoted(s) => Some(s),
            Self::Char(_) => None,
        }
    }
}

struct Tokenizer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

fn is_word_char(c: char) -> bool {
    let n = c as u32;
    ((33..=128).contains(&n) || n >= 160) && !matches!(c, ';' | '=' | '/' | '"' | '\'')
}

impl Tokenizer<'_> {
    fn skip_line(&mut self) {
        for c in self.chars.by_ref() {
            if c == '\n' || c == '\r' {
                break;
            }
        }
    }

    fn next_token(&mut self) -> Result<Option<Token>> {
        loop {
            let Some(c) = self.chars.next() else { return Ok(None) };
            match c {
                c if (c as u32) <= 32 => continue,
                '/' => match self.chars.peek() {
                    Some('*') => {
                        self.chars.next();
                        let mut prev = '\0';
                        loop {
                            match self.chars.next() {
                                Some('/') if prev == '*' => break,
                                Some(c) => prev = c,
                                None => return Ok(None),
                            }
                        }
                    }
                    // `//` and a lone `/` (the comment character) both end the line.
                    _ => self.skip_line(),
                },
                '"' | '\'' => return self.quoted(c).map(Some),
                c if is_word_char(c) => {
                    let mut word = String::from(c);
                    while let Some(&n) = self.chars.peek() {
                        if !is_word_char(n) {
                            break;
                        }
                        word.push(n);
                        self.chars.next();
                    }
                    return Ok(Some(Token::Word(word)));
                }
                c => return Ok(Some(Token::Char(c))),
            }
        }
    }

    /// A quoted string with `StreamTokenizer`'s escapes; it ends at the matching quote, or
    /// (unterminated, as Java allows) at the end of the line or input.
    fn quoted(&mut self, quote: char) -> Result<Token> {
        let mut out = String::new();
        while let Some(c) = self.chars.next() {
            match c {
                c if c == quote => return Ok(Token::Quoted(out)),
                '\n' | '\r' => return Ok(Token::Quoted(out)),
                '\\' => {
                    let Some(e) = self.chars.next() else { break };
                    match e {
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'v' => out.push('\u{b}'),
                        '0'..='7' => {
                            // Up to three octal digits (only two if the first is above 3).
                            let mut value = e.to_digit(8).unwrap_or(0);
                            let max_digits = if e <= '3' { 2 } else { 1 };
                            for _ in 0..max_digits {
                                match self.chars.peek().and_then(|d| d.to_digit(8)) {
                                    Some(d) => {
                                        value = value * 8 + d;
                                        self.chars.next();
                                    }
                                    None => break,
                                }
                            }
                            out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        Ok(Token::Quoted(out))
    }
}

fn jaas_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidJaasConfig, format!("sasl.jaas.config: {}", message.into()))
}

/// Parses a `sasl.jaas.config` value. Kafka clients require exactly one login module.
///
/// Error messages name option keys, never their values (values may be client secrets).
pub fn parse(text: &str) -> Result<JaasEntry> {
    let mut tokenizer = Tokenizer { chars: text.chars().peekable() };
    let mut entries = Vec::new();
    while let Some(first) = tokenizer.next_token()? {
        let login_module = first.text().ok_or_else(|| jaas_error("expected a login module class name"))?;
        let flag = tokenizer
            .next_token()?
            .and_then(Token::text)
            .ok_or_else(|| jaas_error("login module control flag not specified"))?;
        let control_flag = flag.to_ascii_uppercase();
        if !matches!(control_flag.as_str(), "REQUIRED" | "REQUISITE" | "SUFFICIENT" | "OPTIONAL") {
            return Err(jaas_error(format!("invalid login module control flag '{flag}'")));
        }
        let mut options = HashMap::new();
        let mut order = Vec::new();
        loop {
            let key = match tokenizer.next_token()? {
                None => return Err(jaas_error("entry not terminated by a semicolon")),
                Some(Token::Char(';')) => break,
                Some(token) => token.text().ok_or_else(|| jaas_error("expected an option name"))?,
            };
            if tokenizer.next_token()? != Some(Token::Char('=')) {
                return Err(jaas_error(format!("value not specified for key '{key}'")));
            }
            let value = tokenizer
                .next_token()?
                .and_then(Token::text)
                .ok_or_else(|| jaas_error(format!("value not specified for key '{key}'")))?;
            if !options.contains_key(&key) {
                order.push(key.clone());
            }
            options.insert(key, value);
        }
        entries.push(JaasEntry { login_module, control_flag, options, order });
    }
    match entries.len() {
        0 => fail(ErrorKind::InvalidJaasConfig, "sasl.jaas.config: login module not specified"),
        1 => Ok(entries.remove(0)),
        n => fail(
            ErrorKind::InvalidJaasConfig,
            format!("sasl.jaas.config contains {n} login modules; Kafka clients require exactly 1"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

    #[test]
    fn parses_quoted_unquoted_and_escaped_values() {
        let entry = parse(&format!(
            "{MODULE} required clientId=\"my-client\" clientSecret='s3cr\\\"et' scope=\"openid profile\" \
             extension_logicalCluster=lkc-123 extension_identityPoolId=\"pool-1\" ;"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.login_module, MODULE);
        assert_eq!(entry.control_flag, "REQUIRED");
        assert_eq!(entry.option("clientId"), Some("my-client"));
        assert_eq!(entry.option("clientSecret"), Some("s3cr\"et"));
        assert_eq!(entry.option("scope"), Some("openid profile"));
        assert_eq!(entry.option("extension_logicalCluster"), Some("lkc-123"));
        let keys: Vec<_> = entry.options().map(|(k, _)| k).collect();
        assert_eq!(keys, ["clientId", "clientSecret", "scope", "extension_logicalCluster", "extension_identityPoolId"]);
    }

    #[test]
    fn comments_and_newlines_are_whitespace_and_slash_starts_a_comment() {
        let entry = parse(&format!("{MODULE} /* c */ Optional\n a=\"1\" // trailing\n b=2 /x=3\n;"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.control_flag, "OPTIONAL");
        assert_eq!(entry.option("a"), Some("1"));
        assert_eq!(entry.option("b"), Some("2"));
        assert_eq!(entry.option("x"), None);
    }

    #[test]
    fn errors_never_echo_values() {
        for (text, needle) in [
            (format!("{MODULE} required clientSecret=\"hunter2\""), "semicolon"),
            (format!("{MODULE} required clientSecret ;"), "value not specified for key 'clientSecret'"),
            (format!("{MODULE} maybe a=1;"), "control flag"),
            (format!("{MODULE} required; {MODULE} required;"), "2 login modules"),
            (String::new(), "not specified"),
        ] {
            let err = parse(&text).err().unwrap_or_else(|| panic!("{text} parsed"));
            assert_eq!(err.code(), "invalid_jaas_config");
            assert!(err.message().contains(needle), "{err}");
            assert!(!err.message().contains("hunter2"));
        }
    }
}
