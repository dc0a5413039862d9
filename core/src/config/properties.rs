//! Java `.properties` files (`java.util.Properties.load`), as `kafka-console-*.sh --command-config`
//! and every Kafka tool read client configuration. Hand-written because no maintained Rust crate
//! implements `load`'s exact rules (separators, escapes, continuation lines, `\uXXXX`); the tests
//! below pin them to the JDK's documented behaviour.

use crate::error::{fail, Result};
use crate::ErrorKind;

/// The `(key, value)` pairs of a `.properties` text, in file order (a later duplicate wins when
/// the caller collects them into a map, as in Java).
pub fn parse(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        // A logical line: physical lines joined while they end in an odd number of backslashes.
        let mut logical = first.trim_start().to_owned();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        out.push(split_entry(&logical)?);
    }
    Ok(out)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or whitespace; whitespace then one `=`/`:` may follow.
fn split_entry(line: &str) -> Result<(String, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' | ' ' | '\t' | '\x0c' => break,
            _ => i += 1,
        }
    }
    let key_end = i.min(chars.len());
    let mut j = key_end;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
        while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
            j += 1;
        }
    }
    let key: String = chars[..key_end].iter().collect();
    let value: String = chars[j..].iter().collect();
    Ok((unescape(&key)?, unescape(&value)?))
}

fn unescape(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 4);
                match code.and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => return fail(ErrorKind::InvalidConfig, "malformed \\uxxxx escape in a .properties file"),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap_or_default()
    }

    #[test]
    fn separators_comments_and_whitespace() {
        let p = pairs("# comment\n! also\n\na=1\nb : 2\nc 3\n  d=  4 \ne\n");
        let want = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4 "), ("e", "")];
        assert_eq!(p, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn escapes_and_continuations() {
        let p = pairs("k\\=x = a\\tb\\u0041\nlong = one \\\n    two\nkey\\ with\\ spaces=v\nurl=http\\://h\n");
        assert_eq!(p[0], ("k=x".into(), "a\tbA".into()));
        assert_eq!(p[1], ("long".into(), "one two".into()));
        assert_eq!(p[2], ("key with spaces".into(), "v".into()));
        assert_eq!(p[3], ("url".into(), "http://h".into()));
    }

    #[test]
    fn jaas_value_with_quotes_survives() {
        let p = pairs("sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"a\";\n");
        assert_eq!(
            p[0].1,
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"a\";"
        );
    }

    #[test]
    fn bad_unicode_escape_is_a_typed_error() {
        assert_eq!(parse("a=\\u12").map_err(|e| e.code()).err(), Some("invalid_config"));
    }
}
