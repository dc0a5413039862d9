//! What the Kafka broker checks on an access token (`BrokerJwtValidator`, jose4j, Kafka 4.x): the
//! client's structural checks, then the signature against the JWKS (`alg: none` refused; the `kid`
//! picks the key when both sides have one), `exp` and `iat` required, `exp` and `nbf` within the
//! clock skew, and the expected issuer and audience. `inspect --jwks` uses it to say why a broker
//! refuses a token: the broker itself only answers `{"status":"invalid_token"}`.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::config::Dialect;
use crate::encoding::{b64url_decode, b64url_json_object};
use crate::error::{fail, Error, ErrorKind, Result};
use crate::key::VerifyingKey;
use crate::token::{check_access_token, AcceptedToken, TokenCheck};

/// The broker's validation settings.
#[derive(Clone, Debug)]
pub struct BrokerCheck {
    /// The keys of `sasl.oauthbearer.jwks.endpoint.url`.
    pub keys: Vec<VerifyingKey>,
    /// `sasl.oauthbearer.expected.audience` (empty: not checked, as Kafka before 4.4 allows).
    pub expected_audience: Vec<String>,
    /// `sasl.oauthbearer.expected.issuer` (`None`: not checked).
    pub expected_issuer: Option<String>,
    /// `sasl.oauthbearer.clock.skew.seconds` (30).
    pub clock_skew_seconds: u64,
    /// `sasl.oauthbearer.sub.claim.name` / `.scope.claim.name`.
    pub claims: TokenCheck,
}

impl BrokerCheck {
    /// The broker's defaults with the keys of a JWKS document (`{"keys": [...]}`).
    pub fn from_jwks(jwks_json: &str) -> Result<Self> {
        let document: Value =
            serde_json::from_str(jwks_json).map_err(|_| Error::new(ErrorKind::InvalidKey, "the JWKS is not JSON"))?;
        let keys = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::new(ErrorKind::InvalidKey, "the JWKS has no \"keys\" array"))?
            .iter()
            .filter_map(Value::as_object)
            .map(VerifyingKey::from_jwk)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            keys,
            expected_audience: Vec::new(),
            expected_issuer: None,
            clock_skew_seconds: 30,
            claims: TokenCheck::new(Dialect::KafkaJava),
        })
    }

    /// These settings with the broker's expected audience (empty: not checked), expected issuer and,
    /// when given, clock skew: what every front takes beside the JWKS.
    pub fn expecting(mut self, audience: Vec<String>, issuer: Option<String>, clock_skew_seconds: Option<u64>) -> Self {
        self.expected_audience = audience;
        self.expected_issuer = issuer;
        if let Some(skew) = clock_skew_seconds {
            self.clock_skew_seconds = skew;
        }
        self
    }
}

fn refuse<T>(message: impl Into<String>) -> Result<T> {
    fail(ErrorKind::InvalidToken, message)
}

/// Applies the broker's checks to `token` at `now_ms`. Each refusal names the one reason (a token
/// signed by another key, expired, wrong audience, …) in words close to jose4j's log line.
pub fn check_as_broker(token: &str, check: &BrokerCheck, now_ms: u64) -> Result<AcceptedToken> {
    let accepted = check_access_token(token, &check.claims)?;
    let parts: Vec<&str> = token.trim().split('.').collect();
    let header: Map<String, Value> = b64url_json_object(parts[0].trim_end_matches('='))
        .map_err(|_| Error::new(ErrorKind::InvalidToken, "the JWT header is not base64url JSON"))?;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let Some(alg) = Algorithm::from_jws_alg(alg_name) else {
        return refuse(format!("the JWT's alg {alg_name:?} is not a signature algorithm the broker accepts"));
    };
    let signature = b64url_decode(parts[2].trim_end_matches('='))
        .map_err(|_| Error::new(ErrorKind::InvalidToken, "the signature is not base64url"))?;
    let message = format!("{}.{}", parts[0], parts[1]);
    let kid = header.get("kid").and_then(Value::as_str);
    match VerifyingKey::verify_any(&check.keys, kid, alg, message.as_bytes(), &signature) {
        Some(true) => {}
        None => {
            let which = kid.map_or_else(
                || "no kid: no key in the JWKS fits it".to_owned(),
                |k| format!("kid {k:?}: no key in the JWKS has it"),
            );
            return refuse(format!("the token names {which}; it was signed by another key"));
        }
        Some(false) => {
            return refuse("the signature does not verify with the JWKS: the token was signed by another key")
        }
    }
    let claims = &accepted.claims;
    let seconds = |name: &str| claims.get(name).and_then(Value::as_f64).map(|v| v as i64);
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let skew = i64::try_from(check.clock_skew_seconds).unwrap_or(i64::MAX);
    if seconds("iat").is_none() {
        return refuse("the token has no iat claim (the broker requires one)");
    }
    let exp = accepted.expires_at_ms / 1000;
    if exp.saturating_add(skew) <= now {
        return fail(
            ErrorKind::TokenExpired,
            format!("the token expired {} s ago (exp={exp}, now={now}, allowed skew {skew} s)", now - exp),
        );
    }
    if let Some(nbf) = seconds("nbf").filter(|nbf| *nbf > now.saturating_add(skew)) {
        return refuse(format!("the token is not valid before {nbf} (now={now}, allowed skew {skew} s)"));
    }
    if let Some(expected) = &check.expected_issuer {
        let iss = claims.get("iss").and_then(Value::as_str);
        if iss != Some(expected.as_str()) {
            let iss = iss.map_or_else(|| "missing".to_owned(), |i| format!("{i:?}"));
            return refuse(format!("the issuer (iss) is {iss}, not the expected {expected:?}"));
        }
    }
    if !check.expected_audience.is_empty() {
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.iter().any(|a| check.expected_audience.iter().any(|e| e == a)) {
            return refuse(format!(
                "the audience (aud) {audiences:?} contains none of the expected {:?}",
                check.expected_audience
            ));
        }
    }
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::issuer::{AccessTokenClaims, LocalIssuer};
    use crate::key::PrivateKey;

    const NOW: u64 = 1_767_225_600_000;

    fn issuer() -> LocalIssuer {
        LocalIssuer::new(
            "https://issuer.test",
            PrivateKey::generate_p256().unwrap().signing_key(Algorithm::ES256).unwrap(),
        )
    }

    fn token(issuer: &LocalIssuer, audience: &str, at: u64) -> String {
        let claims = AccessTokenClaims {
            subject: "alice".into(),
            audience: Some(audience.into()),
            scope: None,
            lifetime_seconds: 3600,
        };
        issuer.sign_access_token(&claims, at, None).unwrap().token.expose().to_owned()
    }

    fn check(issuer: &LocalIssuer) -> BrokerCheck {
        let mut check = BrokerCheck::from_jwks(&issuer.jwks().to_string()).unwrap();
        check.expected_audience = vec!["kafka".into()];
        check.expected_issuer = Some("https://issuer.test".into());
        check
    }

    #[test]
    fn accepts_a_token_of_its_issuer() {
        let issuer = issuer();
        let accepted = check_as_broker(&token(&issuer, "kafka", NOW), &check(&issuer), NOW).unwrap();
        assert_eq!(accepted.principal, "alice");
    }

    #[test]
    fn names_each_reason_for_a_refusal() {
        let (ours, other) = (issuer(), issuer());
        let reason = |t: &str| check_as_broker(t, &check(&ours), NOW).unwrap_err();
        let e = reason(&token(&other, "kafka", NOW));
        assert_eq!(e.code(), "invalid_token");
        assert!(e.message().contains("another key"), "{e}");
        let e = reason(&token(&ours, "kafka", NOW - 7_200_000));
        assert_eq!(e.code(), "token_expired");
        let e = reason(&token(&ours, "not-kafka", NOW));
        assert!(e.message().contains("audience") && e.message().contains("not-kafka"), "{e}");
        let mut wrong_issuer = check(&ours);
        wrong_issuer.expected_issuer = Some("https://elsewhere".into());
        let e = check_as_broker(&token(&ours, "kafka", NOW), &wrong_issuer, NOW).unwrap_err();
        assert!(e.message().contains("issuer"), "{e}");
        // Within the 30 s skew an expired token still passes, as on the broker.
        assert!(check_as_broker(&token(&ours, "kafka", NOW - 3_610_000), &check(&ours), NOW).is_ok());
    }
}
