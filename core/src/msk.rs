//! AWS MSK IAM over SASL/OAUTHBEARER: the token is the base64url (no padding) of a SigV4-presigned
//! `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect…` URL.
//!
//! SigV4 query presigning is written here rather than taken from `aws-sigv4`: that crate brings
//! the AWS runtime, `http` types and a clock into a core that must stay pure and small enough for
//! a ≤ 1 MB WASI component, while the presign of one fixed request is a page of HMAC-SHA256 on the
//! `hmac`/`sha2` crates. `tests/peers/test_providers.py` checks it against an independent SigV4
//! implementation — botocore's, through the AWS Python MSK signer with a frozen clock — byte for
//! byte on the reference cases and on 60 random credentials, regions and times.

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::encoding::b64url;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::secret::Secret;

/// `X-Amz-Expires` of every AWS signer, and the most MSK accepts.
pub const MAX_EXPIRES_SECONDS: u32 = 900;
/// SHA-256 of the empty payload (the presigned GET has no body).
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// RFC 3986 unreserved characters stay; everything else is `%XX` (SigV4's URI encoding).
const SIGV4_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// AWS credentials as the host's credential chain resolved them.
#[derive(Clone, Debug)]
pub struct AwsCredentials {
    /// Access key id (not secret; it appears in the signed URL).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Session token of temporary credentials; it is signed into the URL.
    pub session_token: Option<Secret>,
    /// When temporary credentials expire, epoch milliseconds.
    pub expires_at_ms: Option<u64>,
}

/// The final order of the query parameters: each AWS signer writes them differently (the
/// signature is the same).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryOrder {
    /// aws-msk-iam-sasl-signer-python (botocore): signing order, then `X-Amz-Signature`,
    /// then `User-Agent`.
    #[default]
    Python,
    /// aws-msk-iam-sasl-signer-js and -go: everything sorted, `User-Agent` included.
    Sorted,
    /// the Rust `aws-msk-iam-sasl-signer` crate (aws-sigv4): signature before the session token.
    RustCrate,
    /// AWS's Java library aws-msk-iam-auth (the AWS SDK for Java v2's presigner): no `/` before the
    /// query, the session token second, then algorithm, date, signed headers, expiry, credential,
    /// signature and `User-Agent`.
    Java,
}

impl std::str::FromStr for QueryOrder {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "python" => Ok(Self::Python),
            "sorted" | "js" | "go" => Ok(Self::Sorted),
            "rust" => Ok(Self::RustCrate),
            "java" => Ok(Self::Java),
            _ => fail(
                ErrorKind::InvalidConfig,
                format!("unknown MSK query order {s:?}; use python, sorted, rust or java"),
            ),
        }
    }
}

/// How to build the token.
#[derive(Clone, Debug)]
pub struct MskTokenOptions {
    /// The AWS region of the cluster, e.g. `us-east-1`.
    pub region: String,
    /// The partition's domain: by default the region's ([`partition_domain`]: `amazonaws.com`,
    /// `amazonaws.com.cn` for China, …). A domain another known partition owns is refused.
    pub domain: String,
    /// Final query order.
    pub order: QueryOrder,
    /// `User-Agent` appended after signing; `None` leaves it out.
    pub user_agent: Option<String>,
    /// The longest lifetime to ask for (at most [`MAX_EXPIRES_SECONDS`]).
    pub max_expires_seconds: u32,
    /// Temporary credentials must still live this long, or the token is refused with
    /// `credentials_expiring` (default 60 s), so the host refreshes them first.
    pub min_credential_lifetime_seconds: u32,
}

impl MskTokenOptions {
    /// Defaults for `region`: its partition's domain, Python order, user agent
    /// `oauthbearer/<version>`, 900 s, 60 s floor.
    pub fn new(region: impl Into<String>) -> Self {
        let region = region.into();
        Self {
            domain: partition_domain(&region).into(),
            region,
            order: QueryOrder::Python,
            user_agent: Some(concat!("oauthbearer/", env!("CARGO_PKG_VERSION")).into()),
            max_expires_seconds: MAX_EXPIRES_SECONDS,
            min_credential_lifetime_seconds: 60,
        }
    }
}

/// An MSK IAM token.
#[derive(Clone, Debug)]
pub struct MskToken {
    /// base64url of the signed URL: the OAUTHBEARER token.
    pub token: Secret,
    /// The signed URL itself (a bearer credential too).
    pub signed_url: Secret,
    /// `(floor(now) + expires_seconds) * 1000`.
    pub expires_at_ms: u64,
    /// The `X-Amz-Expires` that was signed.
    pub expires_seconds: u32,
}

/// The AWS partitions by region prefix and their DNS suffixes, as botocore's `partitions.json`
/// lists them (a test compares them with botocore's). Written out here because the only crates that
/// carry this table are the AWS SDK's endpoint resolvers, far too heavy for a pure core.
const PARTITIONS: &[(&str, &str)] = &[
    ("cn-", "amazonaws.com.cn"),
    ("eusc-", "amazonaws.eu"),
    ("us-iso-", "c2s.ic.gov"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("us-isof-", "csp.hci.ic.gov"),
];

/// The DNS suffix of `region`'s partition: `amazonaws.com.cn` for China (`cn-north-1`), the
/// isolated partitions' own suffixes, else `amazonaws.com` (the commercial and GovCloud
/// partitions). The AWS signers hard-code `amazonaws.com`, so their China tokens name a host that
/// does not exist (vectordotdev/vector#25751).
pub fn partition_domain(region: &str) -> &'static str {
    PARTITIONS.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("amazonaws.com", |(_, domain)| domain)
}

/// Whether `bootstrap_servers` (Kafka's comma list, `host:port`, optionally `PROTOCOL://`) names an
/// Amazon MSK cluster: a host under `kafka.<region>.` or `kafka-serverless.<region>.` of an AWS
/// partition's domain (`b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com`).
pub fn is_msk_bootstrap(bootstrap_servers: &str) -> bool {
    bootstrap_servers.split(',').any(|server| {
        let server = server.trim();
        let server = server.split_once("://").map_or(server, |(_, rest)| rest);
        let host = server.rsplit_once(':').map_or(server, |(host, _)| host).to_ascii_lowercase();
        let labels: Vec<&str> = host.split('.').collect();
        labels.iter().enumerate().any(|(i, label)| {
            (*label == "kafka" || *label == "kafka-serverless")
                && labels.get(i + 1).is_some_and(|region| validate_region(region).is_ok())
                && labels.get(i + 2..).is_some_and(|rest| {
                    let domain = rest.join(".");
                    !domain.is_empty() && domain == partition_domain(labels[i + 1])
                })
        })
    })
}

/// Validates an AWS region: lower-case letters and digits in dash-separated parts ending in a
/// number, like `us-east-1`, `eu-central-1`, `cn-north-1`, `us-gov-west-1`, `us-isob-east-1`.
pub fn validate_region(region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else if region.is_empty() {
        fail(ErrorKind::InvalidRegion, "the AWS region is empty; pass one or set AWS_REGION")
    } else {
        fail(ErrorKind::InvalidRegion, format!("{region:?} is not an AWS region (expected e.g. us-east-1)"))
    }
}

/// How long the token may live: `min(max, whole seconds the credentials still live)`, or
/// `credentials_expiring` when they are expired or live less than `min_lifetime` seconds.
pub fn expires_for_credentials(
    now_ms: u64,
    credentials_expire_at_ms: Option<u64>,
    max: u32,
    min_lifetime: u32,
) -> Result<u32> {
    let max = max.min(MAX_EXPIRES_SECONDS);
    let Some(expiry) = credentials_expire_at_ms else { return Ok(max) };
    let remaining = expiry.saturating_sub(now_ms) / 1000;
    if expiry <= now_ms {
        return fail(ErrorKind::CredentialsExpiring, "the AWS credentials have expired; refresh them");
    }
    if remaining < u64::from(min_lifetime) {
        return fail(
            ErrorKind::CredentialsExpiring,
            format!("the AWS credentials expire in {remaining} s, less than the {min_lifetime} s floor; refresh them"),
        );
    }
    Ok(u32::try_from(remaining).unwrap_or(u32::MAX).min(max))
}

/// Builds the MSK IAM token for `credentials` at `now_ms`.
pub fn msk_token(credentials: &AwsCredentials, options: &MskTokenOptions, now_ms: u64) -> Result<MskToken> {
    MskSigner::new(credentials.clone(), options.clone())?.sign(now_ms)
}

/// Signs MSK IAM tokens for one set of credentials and options: what [`msk_token`] does per call, with the
/// checks, the host and the percent-encoded parameters done once and SigV4's signing key (four HMACs over the
/// date, region and service) derived once per UTC day instead of per token. For a host that signs often with
/// the same credentials (a Node or Python process, a sidecar between credential refreshes).
pub struct MskSigner {
    credentials: AwsCredentials,
    options: MskTokenOptions,
    host: String,
    /// `{access key id}/` percent-encoded; the scope follows it.
    credential_prefix: String,
    session_token: Option<String>,
    user_agent: Option<String>,
    /// `YYYYMMDD` and the SigV4 signing key for it: a secret derived from the secret access key.
    signing_key: Option<(String, Zeroizing<[u8; 32]>)>,
}

impl std::fmt::Debug for MskSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No signing key and no encoded session token: only what the credentials' own Debug shows.
        f.debug_struct("MskSigner").field("credentials", &self.credentials).field("options", &self.options).finish()
    }
}

impl MskSigner {
    /// Checks the options and credentials (`invalid_region`, `invalid_credentials`); their lifetime is checked
    /// against `now` on every [`sign`](Self::sign).
    pub fn new(credentials: AwsCredentials, options: MskTokenOptions) -> Result<Self> {
        validate_region(&options.region)?;
        if options.domain.is_empty()
            || !options.domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return fail(ErrorKind::InvalidRegion, "the AWS partition domain must be a host name like amazonaws.com");
        }
        let expected = partition_domain(&options.region);
        let known = expected != "amazonaws.com" || PARTITIONS.iter().any(|(_, d)| *d == options.domain);
        if known && options.domain != expected {
            return fail(
                ErrorKind::InvalidRegion,
                format!(
                    "region {} is in the partition whose domain is {expected}, not {}",
                    options.region, options.domain
                ),
            );
        }
        if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
            return fail(
                ErrorKind::InvalidCredentials,
                "the AWS access key id and secret access key must not be empty",
            );
        }
        let enc = |s: &str| utf8_percent_encode(s, SIGV4_KEEP).to_string();
        Ok(Self {
            host: format!("kafka.{}.{}", options.region, options.domain),
            credential_prefix: enc(&format!("{}/", credentials.access_key_id)),
            session_token: credentials.session_token.as_ref().map(|t| enc(t.expose())),
            user_agent: options.user_agent.as_deref().map(enc),
            signing_key: None,
            credentials,
            options,
        })
    }

    /// The token at `now_ms`; `credentials_expiring` when the credentials live less than the options' floor.
    pub fn sign(&mut self, now_ms: u64) -> Result<MskToken> {
        use std::fmt::Write as _;
        let options = &self.options;
        let expires = expires_for_credentials(
            now_ms,
            self.credentials.expires_at_ms,
            options.max_expires_seconds,
            options.min_credential_lifetime_seconds,
        )?;
        let now_s = now_ms / 1000;
        let time = time::OffsetDateTime::from_unix_timestamp(i64::try_from(now_s).unwrap_or(i64::MAX))
            .map_err(|_| Error::new(ErrorKind::InvalidConfig, "now is out of range"))?;
        let date = format!("{:04}{:02}{:02}", time.year(), u8::from(time.month()), time.day());
        let amz_date = format!("{date}T{:02}{:02}{:02}Z", time.hour(), time.minute(), time.second());
        let scope = format!("{date}/{}/kafka-cluster/aws4_request", options.region);
        // `/` percent-encoded, as the scope's separators are inside X-Amz-Credential.
        let credential = format!("{}{}", self.credential_prefix, utf8_percent_encode(&scope, SIGV4_KEEP));
        let expires_text = expires.to_string();

        // Signed parameters, already in canonical (sorted) order.
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(9);
        query.extend([
            ("Action", "kafka-cluster%3AConnect"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", credential.as_str()),
            ("X-Amz-Date", amz_date.as_str()),
            ("X-Amz-Expires", expires_text.as_str()),
        ]);
        query.extend(self.session_token.as_deref().map(|t| ("X-Amz-Security-Token", t)));
        query.push(("X-Amz-SignedHeaders", "host"));
        let host = &self.host;
        let mut canonical_request = String::with_capacity(512);
        canonical_request.push_str("GET\n/\n");
        join_into(&mut canonical_request, &query);
        let _ = write!(canonical_request, "\nhost:{host}\n\nhost\n{EMPTY_SHA256}");
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex32(&Sha256::digest(canonical_request.as_bytes()).into())
        );
        let key = match &self.signing_key {
            Some((day, key)) if *day == date => key,
            _ => {
                let secret = Zeroizing::new(format!("AWS4{}", self.credentials.secret_access_key.expose()));
                let mut key = hmac(secret.as_bytes(), date.as_bytes());
                for part in [options.region.as_bytes(), b"kafka-cluster", b"aws4_request"] {
                    key = hmac(&key, part);
                }
                &self.signing_key.insert((date, Zeroizing::new(key))).1
            }
        };
        let signature = hex32(&hmac(&key[..], string_to_sign.as_bytes()));

        // The presigned URL's query: the signed parameters in each signer's order, then the signature
        // and the user agent (not signed).
        let token_param = self.session_token.as_deref().map(|t| ("X-Amz-Security-Token", t));
        let user_agent = self.user_agent.as_deref().map(|ua| ("User-Agent", ua));
        query.retain(|(k, _)| *k != "X-Amz-Security-Token");
        match options.order {
            QueryOrder::Python => {
                query.extend(token_param);
                query.push(("X-Amz-Signature", &signature));
                query.extend(user_agent);
            }
            QueryOrder::RustCrate => {
                query.push(("X-Amz-Signature", &signature));
                query.extend(token_param);
                query.extend(user_agent);
            }
            QueryOrder::Sorted => {
                query.extend(token_param);
                query.push(("X-Amz-Signature", &signature));
                query.extend(user_agent);
                query.sort_by(|a, b| a.0.cmp(b.0));
            }
            QueryOrder::Java => {
                const JAVA_ORDER: [&str; 9] = [
                    "Action",
                    "X-Amz-Security-Token",
                    "X-Amz-Algorithm",
                    "X-Amz-Date",
                    "X-Amz-SignedHeaders",
                    "X-Amz-Expires",
                    "X-Amz-Credential",
                    "X-Amz-Signature",
                    "User-Agent",
                ];
                query.extend(token_param);
                query.push(("X-Amz-Signature", &signature));
                query.extend(user_agent);
                query.sort_by_key(|(name, _)| JAVA_ORDER.iter().position(|n| n == name));
            }
        }
        // The Java presigner writes the empty path as nothing; the other signers as `/`.
        let path = if options.order == QueryOrder::Java { "" } else { "/" };
        let mut signed_url = String::with_capacity(canonical_request.len() + 128);
        let _ = write!(signed_url, "https://{host}{path}?");
        join_into(&mut signed_url, &query);
        Ok(MskToken {
            token: Secret::new(b64url(signed_url.as_bytes())),
            signed_url: Secret::new(signed_url),
            expires_at_ms: (now_s + u64::from(expires)) * 1000,
            expires_seconds: expires,
        })
    }
}

/// Lowercase hex of a SHA-256 value, on the stack (`hex::encode` builds its string a char at a time).
fn hex32(bytes: &[u8; 32]) -> HexDigest {
    let mut out = [0u8; 64];
    hex::encode_to_slice(bytes, &mut out).unwrap_or_else(|_| unreachable!("64 bytes hold 32 in hex"));
    HexDigest(out)
}

struct HexDigest([u8; 64]);

impl std::ops::Deref for HexDigest {
    type Target = str;
    fn deref(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_else(|_| unreachable!("hex is ASCII"))
    }
}

impl std::fmt::Display for HexDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// Appends `k=v&k=v…` to `out` (this runs twice per token; allocations dominated its cost).
fn join_into(out: &mut String, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: token.map(Secret::new),
            expires_at_ms: None,
        }
    }

    const NOW: u64 = 1_704_067_200_000;

    #[test]
    fn a_reused_signer_equals_a_fresh_token_across_days() {
        for order in [QueryOrder::Python, QueryOrder::Sorted, QueryOrder::RustCrate, QueryOrder::Java] {
            let mut o = MskTokenOptions::new("eu-west-1");
            o.order = order;
            let c = creds(Some("FwoGZXIvYXdzEXAMPLE/+=="));
            let mut signer = MskSigner::new(c.clone(), o.clone()).unwrap();
            // Same second, a later second, the next UTC day (a new signing key), and back to the first day.
            for now in [NOW, NOW + 1_500, NOW + 86_400_000 - 1, NOW + 86_400_000, NOW + 3 * 86_400_000 + 7, NOW] {
                let reused = signer.sign(now).unwrap();
                let fresh = msk_token(&c, &o, now).unwrap();
                assert_eq!(reused.signed_url, fresh.signed_url, "{order:?} at {now}");
                assert_eq!(reused.token, fresh.token);
                assert_eq!(reused.expires_at_ms, fresh.expires_at_ms);
            }
            let debug = format!("{signer:?}");
            for secret in ["wJalrXUtnFEMI", "FwoGZXIvYXdz", "AWS4"] {
                assert!(!debug.contains(secret), "{debug}");
            }
        }
    }

    #[test]
    fn a_signer_checks_its_options_once_and_expiry_per_token() {
        let e = MskSigner::new(creds(None), MskTokenOptions::new("nowhere")).unwrap_err();
        assert_eq!(e.code(), "invalid_region");
        let mut empty = creds(None);
        empty.secret_access_key = Secret::new("");
        assert_eq!(MskSigner::new(empty, MskTokenOptions::new("us-east-1")).unwrap_err().code(), "invalid_credentials");
        let mut expiring = creds(None);
        expiring.expires_at_ms = Some(NOW + 120_000);
        let mut signer = MskSigner::new(expiring, MskTokenOptions::new("us-east-1")).unwrap();
        assert_eq!(signer.sign(NOW).unwrap().expires_seconds, 120);
        assert_eq!(signer.sign(NOW + 61_000).unwrap_err().code(), "credentials_expiring");
    }

    #[test]
    fn reference_vector_a_in_every_order() {
        let mut o = MskTokenOptions::new("us-east-1");
        o.user_agent = Some("aws-msk-iam-sasl-signer-python/1.0.2".into());
        let t = msk_token(&creds(Some("FwoGZXIvYXdzEXAMPLE/+==")), &o, NOW).unwrap();
        assert_eq!(t.expires_at_ms, 1_704_068_100_000);
        assert_eq!(t.signed_url.expose(), "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2F%2B%3D%3D&X-Amz-Signature=d7b19a40d3134adc3ea596ebcf169f45a026480f2398e9009191722a37a6807c&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2");
        o.order = QueryOrder::Sorted;
        o.user_agent = Some("aws-msk-iam-sasl-signer-js/1.0.3".into());
        let t = msk_token(&creds(Some("FwoGZXIvYXdzEXAMPLE/+==")), &o, NOW + 999).unwrap();
        assert_eq!(t.signed_url.expose(), "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&User-Agent=aws-msk-iam-sasl-signer-js%2F1.0.3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2F%2B%3D%3D&X-Amz-Signature=d7b19a40d3134adc3ea596ebcf169f45a026480f2398e9009191722a37a6807c&X-Amz-SignedHeaders=host");
        assert_eq!(t.expires_at_ms, 1_704_068_100_000, "floor(now)");
        o.order = QueryOrder::RustCrate;
        o.user_agent = Some("aws-msk-iam-sasl-signer-rs/1.0.1".into());
        let t = msk_token(&creds(Some("FwoGZXIvYXdzEXAMPLE/+==")), &o, NOW).unwrap();
        assert_eq!(t.signed_url.expose(), "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=d7b19a40d3134adc3ea596ebcf169f45a026480f2398e9009191722a37a6807c&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2F%2B%3D%3D&User-Agent=aws-msk-iam-sasl-signer-rs%2F1.0.1");
    }

    #[test]
    fn credential_lifetime_caps_and_refuses() {
        let e = |exp: Option<u64>| expires_for_credentials(NOW, exp, 900, 60).map_err(|e| e.code());
        assert_eq!(e(None), Ok(900));
        assert_eq!(e(Some(NOW + 600_500)), Ok(600), "whole seconds, not the JS signer's 600.5");
        assert_eq!(e(Some(NOW + 3_600_000)), Ok(900));
        assert_eq!(e(Some(NOW + 59_999)), Err("credentials_expiring"));
        assert_eq!(e(Some(NOW)), Err("credentials_expiring"));
        assert_eq!(e(Some(NOW - 1)), Err("credentials_expiring"));
    }

    #[test]
    fn partition_domains_follow_the_region() {
        for (region, domain) in [
            ("us-east-1", "amazonaws.com"),
            ("us-gov-west-1", "amazonaws.com"),
            ("cn-north-1", "amazonaws.com.cn"),
            ("cn-northwest-1", "amazonaws.com.cn"),
            ("us-iso-east-1", "c2s.ic.gov"),
            ("us-isob-east-1", "sc2s.sgov.gov"),
            ("us-isof-south-1", "csp.hci.ic.gov"),
            ("eu-isoe-west-1", "cloud.adc-e.uk"),
            ("eusc-de-east-1", "amazonaws.eu"),
        ] {
            let t = msk_token(&creds(None), &MskTokenOptions::new(region), NOW).unwrap();
            assert!(t.signed_url.expose().starts_with(&format!("https://kafka.{region}.{domain}/?")), "{region}");
        }
        // A domain of another known partition is refused; an unknown one is the caller's business.
        for (region, domain) in
            [("cn-north-1", "amazonaws.com"), ("us-east-1", "amazonaws.com.cn"), ("cn-north-1", "example.net")]
        {
            let options = MskTokenOptions { domain: domain.into(), ..MskTokenOptions::new(region) };
            assert_eq!(
                msk_token(&creds(None), &options, NOW).unwrap_err().code(),
                "invalid_region",
                "{region} {domain}"
            );
        }
        let options = MskTokenOptions { domain: "example.net".into(), ..MskTokenOptions::new("us-east-1") };
        assert!(msk_token(&creds(None), &options, NOW).is_ok());
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1", "ap-southeast-5"] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in ["", "US-EAST-1", "us-east", "useast1", "us-east-1 ", "us--1", "kafka.us-east-1"] {
            assert_eq!(validate_region(bad).unwrap_err().code(), "invalid_region", "{bad}");
        }
    }

    #[test]
    fn msk_bootstrap_servers_are_recognized() {
        for msk in [
            "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
            "SASL_SSL://b-2.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-1.x.kafka.us-east-1.amazonaws.com:9098",
            "boot-abc.c1.kafka-serverless.eu-west-1.amazonaws.com:9098",
            "b-1.demo.x.c3.kafka.cn-north-1.amazonaws.com.cn:9098",
        ] {
            assert!(is_msk_bootstrap(msk), "{msk}");
        }
        for other in [
            "broker:9092",
            "kafka.example.com:9093",
            "ns.servicebus.windows.net:9093",
            "kafka.us-east-1.example.com:9098",
            "b-1.x.kafka.cn-north-1.amazonaws.com:9098",
            "",
        ] {
            assert!(!is_msk_bootstrap(other), "{other}");
        }
    }
}
