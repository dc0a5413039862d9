//! `explain`: reads a Kafka Java or librdkafka property map (optionally with the key file, a token,
//! the client's Kafka version and the JDK) and lists the known traps it falls into, each with a
//! severity, a stable code and a fix. Findings never quote secret values.

use serde_json::Value;

use crate::config::names::{
    checked_prefixes, known_names, ASSERTION_CLAIM_EXP_SECONDS, CLIENT_ID, CLIENT_SECRET, DIALECT_EQUIVALENTS,
    HEADER_URLENCODE, JWT_RETRIEVER_CLASS, MECHANISM_PREFIX, SCOPE, SUB_CLAIM_NAME, TOKEN_ENDPOINT_URL,
};
use crate::config::{Config, Dialect, Mode, Props};
use crate::token::{check_access_token, TokenCheck};

mod spark;
pub use spark::spark_kafka_clients_version;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The client will fail or authenticate as someone unintended.
    Error,
    /// Likely to fail in some environments, or silently not do what the user meant.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// A stable snake_case code (an [`crate::ErrorKind`] code when the configuration does not parse).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// What else `explain` may look at.
#[derive(Clone, Debug, Default)]
pub struct ExplainContext<'a> {
    /// The client's Kafka version `(major, minor)` (Java dialect), when known.
    pub kafka_version: Option<(u32, u32)>,
    /// The JDK's major version, when known.
    pub java_version: Option<u32>,
    /// The contents of the assertion private key file, when the host could read it.
    pub private_key: Option<&'a [u8]>,
    /// An access token the client was given (only its shape and claims are examined).
    pub token: Option<&'a str>,
    /// The longest assertion lifetime the IdP accepts, in seconds, when known.
    pub idp_max_assertion_lifetime_seconds: Option<u32>,
    /// The client library that will use the properties (`aiokafka`, `confluent-kafka`, …; see
    /// [`ClientLibrary`]), when known. An unknown name is an `invalid_config` finding.
    pub client: Option<&'a str>,
    /// Its version (`2.2.0`), when known.
    pub client_version: Option<&'a str>,
    /// The broker's `connections.max.reauth.ms`, when known (0: sessions never expire).
    pub broker_reauth_ms: Option<u64>,
    /// The contents of the assertion template file, when the host could read it (its `aud` is the
    /// one the assertions carry in Kafka Java, where the template wins over the configuration).
    pub assertion_template: Option<&'a [u8]>,
}

/// A Kafka client library, for the rules that depend on which client runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientLibrary {
    /// Apache Kafka's Java client (`kafka-clients`); its version is the Kafka version.
    KafkaJava,
    /// librdkafka itself (C/C++, and the bindings not named here).
    Librdkafka,
    /// confluent-kafka for Python (librdkafka inside, same version numbers).
    ConfluentKafkaPython,
    /// @confluentinc/kafka-javascript (librdkafka ≥ 2.3 inside every release).
    ConfluentKafkaJavascript,
    /// kafka-python.
    KafkaPython,
    /// aiokafka.
    Aiokafka,
    /// KafkaJS.
    KafkaJs,
    /// Open-source Apache Spark's Kafka source and sink (`spark-sql-kafka-0-10`: Kafka's Java client
    /// behind `kafka.`-prefixed options); its version is Spark's, which decides the client's.
    Spark,
    /// Databricks Runtime's Kafka source and sink: Spark's, with the client shaded as
    /// `kafkashaded.org.apache.kafka…`; its version is the runtime's.
    Databricks,
}

impl ClientLibrary {
    /// The package name ([`str::parse`] takes it, and a few aliases).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KafkaJava => "kafka-clients",
            Self::Librdkafka => "librdkafka",
            Self::ConfluentKafkaPython => "confluent-kafka",
            Self::ConfluentKafkaJavascript => "@confluentinc/kafka-javascript",
            Self::KafkaPython => "kafka-python",
            Self::Aiokafka => "aiokafka",
            Self::KafkaJs => "kafkajs",
            Self::Spark => "spark",
            Self::Databricks => "databricks",
        }
    }
}

impl std::str::FromStr for ClientLibrary {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::error::Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "kafka-clients" | "kafka-java" | "java" => Self::KafkaJava,
            "librdkafka" => Self::Librdkafka,
            "confluent-kafka" | "confluent-kafka-python" | "confluent_kafka" => Self::ConfluentKafkaPython,
            "@confluentinc/kafka-javascript" | "confluent-kafka-javascript" => Self::ConfluentKafkaJavascript,
            "kafka-python" | "kafka_python" => Self::KafkaPython,
            "aiokafka" => Self::Aiokafka,
            "kafkajs" => Self::KafkaJs,
            "spark" | "pyspark" | "spark-sql-kafka" | "spark-sql-kafka-0-10" => Self::Spark,
            "databricks" | "databricks-runtime" => Self::Databricks,
            _ => {
                return crate::error::fail(
                    crate::ErrorKind::InvalidConfig,
                    format!(
                        "unknown Kafka client {s:?}; use kafka-clients, librdkafka, confluent-kafka, \
                         @confluentinc/kafka-javascript, kafka-python, aiokafka, kafkajs, spark or databricks"
                    ),
                )
            }
        })
    }
}

/// A client library and, when known, its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// Which library.
    pub library: ClientLibrary,
    /// `(major, minor, patch)`.
    pub version: Option<(u32, u32, u32)>,
}

impl ClientInfo {
    /// A library by name with an optional version (`2.2.0`, `3.0.0rc1`, `v2.13`: the leading
    /// numbers count). Fails with `invalid_config` for an unknown library or a version that does
    /// not start with a number.
    pub fn parse(library: &str, version: Option<&str>) -> crate::error::Result<Self> {
        let library = library.parse()?;
        let version = version.map(parse_version).transpose()?;
        Ok(Self { library, version })
    }

    /// Whether this client re-authenticates (KIP-368) before its session ends; `None` when it
    /// depends on a version not given.
    pub fn reauthenticates(&self) -> Option<bool> {
        let at_least = |min: (u32, u32, u32)| self.version.map(|v| v >= min);
        match self.library {
            // KIP-368: Kafka 2.2; librdkafka#4301: 2.2.0; kafka-python 3.0 (SaslReauthenticator).
            ClientLibrary::KafkaJava => at_least((2, 2, 0)).or(Some(true)),
            ClientLibrary::Librdkafka | ClientLibrary::ConfluentKafkaPython => at_least((2, 2, 0)),
            ClientLibrary::KafkaPython => at_least((3, 0, 0)),
            // Every Spark release with Structured Streaming's Kafka connector runs kafka-clients >= 2.4.
            ClientLibrary::ConfluentKafkaJavascript
            | ClientLibrary::KafkaJs
            | ClientLibrary::Spark
            | ClientLibrary::Databricks => Some(true),
            ClientLibrary::Aiokafka => Some(false),
        }
    }

    fn describe(&self) -> String {
        match self.version {
            Some((a, b, c)) => format!("{} {a}.{b}.{c}", self.library.as_str()),
            None => self.library.as_str().to_owned(),
        }
    }
}

/// `(major, minor, patch)` of a version such as `2.2.0`, `3.0.0rc1`, `v2.13` or `3.5.1-amzn-0`:
/// the leading numbers count. Fails with `invalid_config` when it does not start with a number.
fn parse_version(v: &str) -> crate::error::Result<(u32, u32, u32)> {
    let mut parts = v.trim().trim_start_matches('v').split('.').map(|p| {
        let digits = p.find(|c: char| !c.is_ascii_digit()).map_or(p, |end| &p[..end]);
        digits.parse::<u32>().ok()
    });
    match parts.next().flatten() {
        Some(major) => Ok((major, parts.next().flatten().unwrap_or(0), parts.next().flatten().unwrap_or(0))),
        None => crate::error::fail(
            crate::ErrorKind::InvalidConfig,
            format!("the client version {v:?} does not start with a number"),
        ),
    }
}

const LOGIN_HANDLER: &str = "sasl.login.callback.handler.class";
const SECURED_PREFIX: &str = "org.apache.kafka.common.security.oauthbearer.secured.";

fn finding(severity: Severity, code: &str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding { severity, code: code.to_owned(), message: message.into(), fix: fix.into() }
}

/// Lists the traps `properties` falls into for `dialect`, most severe first.
///
/// Spark Kafka options (the client named `spark` or `databricks`, or `kafka.`-prefixed names, in
/// the Java dialect) are read as Spark reads them: see [`spark_kafka_clients_version`] and the
/// `spark` module.
pub fn explain<'a, I>(properties: I, dialect: Dialect, context: &ExplainContext<'_>) -> Vec<Finding>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let props: Vec<(&str, &str)> = properties.into_iter().map(|(k, v)| (k.trim(), v.trim())).collect();
    let client = context.client.and_then(|name| ClientInfo::parse(name, context.client_version).ok());
    if dialect == Dialect::KafkaJava && spark::applies(&props, client.as_ref()) {
        let mut out = spark::explain(&props, client.as_ref(), context, |received, inner| {
            explain_client(received, Dialect::KafkaJava, inner)
        });
        out.sort_by_key(|f| f.severity);
        return out;
    }
    explain_client(&props, dialect, context)
}

/// [`explain`] for the properties a Kafka client receives.
fn explain_client(props: &[(&str, &str)], dialect: Dialect, context: &ExplainContext<'_>) -> Vec<Finding> {
    let lookup = Props::new(props.iter().copied(), dialect);
    let get = |name: &str| lookup.value(name);
    let mut out = Vec::new();
    let oauthbearer = get("sasl.mechanism").is_some_and(|m| m.eq_ignore_ascii_case("OAUTHBEARER"));
    // librdkafka's own token fetch (its OIDC method) rather than the application's callback.
    let oidc = get("sasl.oauthbearer.method").is_some_and(|m| m.eq_ignore_ascii_case("oidc"));
    let at_least = |major, minor| context.kafka_version.is_none_or(|v| v >= (major, minor));

    match dialect {
        Dialect::KafkaJava => {
            let handler = get(LOGIN_HANDLER);
            if oauthbearer && handler.is_none() {
                out.push(finding(
                    Severity::Error,
                    "unsecured_login_handler",
                    "sasl.mechanism=OAUTHBEARER without sasl.login.callback.handler.class uses Kafka's unsecured \
                     development handler (alg none tokens; brokers answer \"No principal name in JWT claim: sub\")",
                    "set sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                ));
            }
            for (name, value) in props {
                if value.starts_with(SECURED_PREFIX) && at_least(4, 0) {
                    out.push(finding(
                        Severity::Error,
                        "removed_class_name",
                        format!("{name} names {value}, removed in Kafka 4.0 (KAFKA-18293)"),
                        format!("use org.apache.kafka.common.security.oauthbearer.{}", &value[SECURED_PREFIX.len()..]),
                    ));
                }
            }
            out.extend(classes_missing_in_client(props, context.kafka_version));
            out.extend(properties_missing_in_client(props, context.kafka_version));
            if let Some(url) = get("sasl.oauthbearer.token.endpoint.url").filter(|_| at_least(4, 0)) {
                out.push(finding(
                    Severity::Warning,
                    "allowed_urls_required",
                    "Kafka 4.0+ refuses a token endpoint URL that is not listed, exactly, in the JVM system property \
                     org.apache.kafka.sasl.oauthbearer.allowed.urls",
                    format!("start the JVM with -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={url}"),
                ));
            }
            let files: Vec<&str> = [
                "sasl.oauthbearer.assertion.file",
                "sasl.oauthbearer.assertion.private.key.file",
                "sasl.oauthbearer.assertion.template.file",
            ]
            .iter()
            .filter_map(|n| get(n))
            .collect();
            if !files.is_empty() && at_least(4, 1) {
                out.push(finding(
                    Severity::Warning,
                    "allowed_files_required",
                    "Kafka 4.1+ refuses assertion, key and template files not listed in the JVM system property \
                     org.apache.kafka.sasl.oauthbearer.allowed.files",
                    format!("start the JVM with -Dorg.apache.kafka.sasl.oauthbearer.allowed.files={}", files.join(",")),
                ));
            }
            if get("sasl.oauthbearer.assertion.private.key.file").is_some()
                && get("sasl.oauthbearer.assertion.claim.iss").is_none()
                && get("sasl.oauthbearer.assertion.file").is_none()
            {
                out.push(finding(
                    Severity::Error,
                    "kip1258_not_triggered",
                    "a private key file is set but sasl.oauthbearer.assertion.claim.iss is not, so Kafka ignores the \
                     key and takes the client-secret path",
                    "set sasl.oauthbearer.assertion.claim.iss (usually the client id)",
                ));
            }
            if get("sasl.oauthbearer.assertion.private.key.file").is_some()
                && get("sasl.oauthbearer.assertion.file").is_none()
            {
                let missing: Vec<&str> = ["sub", "aud"]
                    .into_iter()
                    .filter(|c| get(&format!("sasl.oauthbearer.assertion.claim.{c}")).is_none())
                    .collect();
                if !missing.is_empty() && get("sasl.oauthbearer.assertion.template.file").is_none() {
                    out.push(finding(
                        Severity::Warning,
                        "assertion_missing_claims",
                        format!("the assertion will have no {} claim; RFC 7523 requires sub and aud and most IdPs refuse it", missing.join(" or ")),
                        format!("set sasl.oauthbearer.assertion.claim.{}", missing.join(" and sasl.oauthbearer.assertion.claim.")),
                    ));
                }
            }
            if let Some(key) = context.private_key {
                let text = String::from_utf8_lossy(key);
                if text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY") {
                    out.push(finding(
                        Severity::Error,
                        "key_format_unsupported_by_java",
                        "the key file is PKCS#1/SEC1 (\"BEGIN RSA/EC PRIVATE KEY\"); Kafka's Java client reads only PKCS#8 \
                         and fails with \"Illegal base64 character 2d\"",
                        "convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem",
                    ));
                }
                if text.contains("BEGIN ENCRYPTED PRIVATE KEY") && context.java_version.is_some_and(|v| v < 21) {
                    out.push(finding(
                        Severity::Error,
                        "pbes2_key_old_jdk",
                        "an encrypted PKCS#8 key from openssl pkcs8 -topk8 uses PBES2, which JDK 17 cannot read \
                         (\"PBES2 SecretKeyFactory not available\"); JDK 25 can",
                        "run on a newer JDK, or re-encrypt with -v1 PBE-SHA1-3DES, or use an unencrypted key with file permissions",
                    ));
                }
            }
            if let Some(token) = context.token {
                if let Err(e) = check_access_token(token, &TokenCheck::new(Dialect::KafkaJava)) {
                    let bare = token.matches('.').count() != 2;
                    out.push(finding(
                        Severity::Error,
                        if bare { "opaque_token_java" } else { "token_refused_by_client" },
                        format!("Kafka's Java client refuses this token: {}", e.message()),
                        if bare {
                            "the Java client needs a JWT (with exp and sub); configure the IdP to issue JWT access tokens"
                        } else {
                            "fix the token's claims at the IdP (exp and sub are required)"
                        },
                    ));
                }
            }
        }
        Dialect::Librdkafka => {
            if let Some(token) = context.token.filter(|_| oidc) {
                let check = TokenCheck {
                    sub_claim: get(SUB_CLAIM_NAME).unwrap_or("sub").to_owned(),
                    ..TokenCheck::new(Dialect::Librdkafka)
                };
                if let Err(e) = check_access_token(token, &check) {
                    out.push(finding(
                        Severity::Error,
                        "token_refused_by_librdkafka",
                        format!("librdkafka's OIDC method refuses this token: {}", e.message()),
                        "librdkafka needs a JWT access token with exp and sub; configure the IdP to add them, name another principal claim with \
                         sasl.oauthbearer.sub.claim.name (librdkafka 2.14+), or set tokens from the application with an oauthbearer_token_refresh_cb",
                    ));
                }
            }
            let unsecure = get("enable.sasl.oauthbearer.unsecure.jwt").is_some_and(|v| v == "true");
            if oauthbearer && !oidc {
                out.push(finding(
                    if unsecure { Severity::Error } else { Severity::Info },
                    "unsecured_login_handler",
                    if unsecure {
                        "enable.sasl.oauthbearer.unsecure.jwt=true makes librdkafka send unsigned (alg none) tokens"
                    } else {
                        "without sasl.oauthbearer.method=oidc the application must set tokens itself (oauthbearer_token_refresh_cb)"
                    },
                    "set sasl.oauthbearer.method=oidc with a token endpoint, or register a token refresh callback",
                ));
            }
            if get("sasl.oauthbearer.assertion.algorithm").is_some_and(|a| a.eq_ignore_ascii_case("ES256")) {
                out.push(finding(
                    Severity::Error,
                    "librdkafka_es256_der",
                    "librdkafka signs ES256 assertions with DER-encoded ECDSA signatures; JWS requires the 64-byte R||S \
                     form, so IdPs refuse them",
                    "use RS256 with librdkafka, or sign the assertion with oauthbearer and pass it as a file",
                ));
            }
        }
    }
    // A registered JWS name spelled in another case (`rs256`, `EDDSA`): Kafka writes it into the
    // header as typed. The registered spelling itself (`EdDSA`) is never a finding.
    if let Some((alg, registered)) = get("sasl.oauthbearer.assertion.algorithm")
        .and_then(|a| JWS_ALGORITHMS.iter().find(|r| r.eq_ignore_ascii_case(a) && **r != a).map(|r| (a, *r)))
    {
        out.push(finding(
            Severity::Warning,
            "lowercase_algorithm",
            format!("assertion algorithm {alg:?} is written into the JWT header as typed; JWS names are case-sensitive and IdPs refuse it"),
            format!("write it as registered: {registered}"),
        ));
    }
    if let (Some(max), Some(exp)) = (
        context.idp_max_assertion_lifetime_seconds,
        get(ASSERTION_CLAIM_EXP_SECONDS).and_then(|s| s.parse::<u32>().ok()).or(Some(300)),
    ) {
        if exp > max {
            out.push(finding(
                Severity::Error,
                "assertion_lifetime_too_long",
                format!("assertions live {exp} s but the IdP accepts at most {max} s"),
                format!("set {ASSERTION_CLAIM_EXP_SECONDS}={max} or less"),
            ));
        }
    }
    // What the configuration parser (strict mode) and the signer refuse, with their codes.
    let refused = refusals(props, dialect, oauthbearer, context);
    // A misspelled name matters when the configuration with the name corrected is refused less.
    let mut corrections_left = MAX_CORRECTIONS_TRIED;
    let mut correction_fixes = |typo: &str, near: &str| {
        if refused.is_empty() || corrections_left == 0 {
            return false;
        }
        corrections_left -= 1;
        let corrected: Vec<(&str, &str)> =
            props.iter().map(|&(k, v)| if k == typo { (near, v) } else { (k, v) }).collect();
        refusals(&corrected, dialect, oauthbearer, context).len() < refused.len()
    };
    out.extend(unknown_names(props, dialect, &mut correction_fixes));
    if let Some(finding) = msk_session_name(&lookup) {
        out.push(finding);
    }
    if let Some(finding) = eventhubs_scope(&lookup, oauthbearer) {
        out.push(finding);
    }
    if let Some(finding) = msk_token_from_url(&lookup, dialect, oauthbearer, oidc) {
        out.push(finding);
    }
    if let Ok(config) = Config::from_properties_with(props.iter().copied(), dialect, Mode::KafkaCompatible) {
        out.extend(assertion_traps(&config, context.assertion_template));
    }
    match context.client.map(|name| ClientInfo::parse(name, context.client_version)) {
        Some(Ok(client)) => {
            // Rules about the client apply unless the properties name another mechanism.
            let other_mechanism = get("sasl.mechanism").is_some_and(|m| !m.eq_ignore_ascii_case("OAUTHBEARER"));
            if !other_mechanism {
                out.extend(no_reauthentication(&client, context.broker_reauth_ms));
                out.extend(confluent_poll_trap(&client, oidc));
            }
        }
        Some(Err(e)) => out.push(finding(Severity::Error, e.code(), e.message(), "name a client explain knows")),
        None => {}
    }
    // A rule and the signer can name the same refusal (client_id_sub_mismatch): once.
    for f in refused {
        if !out.iter().any(|o| o.code == f.code) {
            out.push(f);
        }
    }
    out.sort_by_key(|f| f.severity);
    out
}

/// Kafka's OAuth classes that users name in client properties, with the kafka-clients release that
/// added each (read from the kafka-clients jars on Maven Central: `secured.` handlers in 3.1
/// (KIP-768), the handlers in the `oauthbearer` package itself in 3.4, the retrievers and
/// validators of KIP-1139 in 4.1). Their removal (`secured.`, 4.0) is `removed_class_name`.
const CLASSES_SINCE: &[(&str, (u32, u32))] = &[
    ("org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler", (3, 1)),
    ("org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler", (3, 1)),
    ("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler", (3, 4)),
    ("org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler", (3, 4)),
    ("org.apache.kafka.common.security.oauthbearer.DefaultJwtRetriever", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.ClientCredentialsJwtRetriever", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.JwtBearerJwtRetriever", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.FileJwtRetriever", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.DefaultJwtValidator", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.ClientJwtValidator", (4, 1)),
    ("org.apache.kafka.common.security.oauthbearer.BrokerJwtValidator", (4, 1)),
];

/// When Kafka's Java client learned its OAuth property names: `SaslConfigs` of the kafka-clients
/// jars on Maven Central (3.0.2, 3.1.0, 3.3.2, 3.4.0, 3.8.1, 3.9.2, 4.0.0, 4.1.0, 4.3.1) compared.
/// A name not listed is in 3.0 already (`sasl.login.class`, the callback handlers, `refresh.*`).
fn property_since(name: &str) -> Option<((u32, u32), &'static str)> {
    const KIP_768: &[&str] = &[
        "sasl.login.connect.timeout.ms",
        "sasl.login.read.timeout.ms",
        "sasl.login.retry.backoff.max.ms",
        "sasl.login.retry.backoff.ms",
        "sasl.oauthbearer.clock.skew.seconds",
        "sasl.oauthbearer.expected.audience",
        "sasl.oauthbearer.expected.issuer",
        "sasl.oauthbearer.jwks.endpoint.refresh.ms",
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
        "sasl.oauthbearer.jwks.endpoint.url",
        "sasl.oauthbearer.scope.claim.name",
        "sasl.oauthbearer.sub.claim.name",
        "sasl.oauthbearer.token.endpoint.url",
    ];
    if KIP_768.contains(&name) {
        Some(((3, 1), "KIP-768"))
    } else if name == HEADER_URLENCODE {
        Some(((3, 9), "KIP-1025"))
    } else if name.starts_with("sasl.oauthbearer.assertion.")
        || [SCOPE, CLIENT_ID, CLIENT_SECRET, JWT_RETRIEVER_CLASS, "sasl.oauthbearer.jwt.validator.class"]
            .contains(&name)
    {
        Some(((4, 1), "KIP-1139"))
    } else {
        None
    }
}

/// Property names the client's version does not know (it ignores each with a log line), grouped by
/// the release that added them; and KIP-1258's assertion settings on 4.1–4.2, where they serve only
/// the jwt-bearer grant, so `client_credentials` sends no assertion.
fn properties_missing_in_client(props: &[(&str, &str)], kafka_version: Option<(u32, u32)>) -> Vec<Finding> {
    let Some(version) = kafka_version else { return Vec::new() };
    let (major, minor) = version;
    // Settings without which the client cannot authenticate as configured: an error; others a warning.
    let essential = |name: &str| {
        name.starts_with("sasl.oauthbearer.assertion.")
            || [TOKEN_ENDPOINT_URL, CLIENT_ID, CLIENT_SECRET, JWT_RETRIEVER_CLASS].contains(&name)
    };
    let mut groups: Vec<((u32, u32), &str, Vec<&str>)> = Vec::new();
    for (name, _) in props {
        let Some((since, kip)) = property_since(name).filter(|(since, _)| version < *since) else { continue };
        match groups.iter_mut().find(|(s, _, _)| *s == since) {
            Some(group) => group.2.push(name),
            None => groups.push((since, kip, vec![name])),
        }
    }
    let mut out = Vec::new();
    for ((since_major, since_minor), kip, names) in groups {
        let jaas_instead = names.iter().any(|n| [SCOPE, CLIENT_ID, CLIENT_SECRET].contains(n));
        let shown = names.iter().take(MAX_UNKNOWN_NAMES).copied().collect::<Vec<_>>().join(", ");
        out.push(finding(
            if names.iter().any(|n| essential(n)) { Severity::Error } else { Severity::Warning },
            "property_missing_in_client",
            format!(
                "Kafka's Java client {major}.{minor} does not know {shown} ({kip}, Kafka {since_major}.{since_minor}): \
                 it ignores {}",
                if names.len() == 1 { "it" } else { "them" }
            ),
            if jaas_instead {
                format!(
                    "use a client of Kafka {since_major}.{since_minor} or later; before 4.1 the client id, secret and \
                     scope go in sasl.jaas.config (clientId=\"…\" clientSecret=\"…\" scope=\"…\")"
                )
            } else {
                format!(
                    "use a client of Kafka {since_major}.{since_minor} or later, or let oauthbearer serve fetch the \
                     tokens with these properties and give the client only its URL"
                )
            },
        ));
    }
    let signs = props.iter().any(|(n, _)| n.starts_with("sasl.oauthbearer.assertion."));
    let jwt_bearer = props.iter().any(|(n, v)| *n == JWT_RETRIEVER_CLASS && v.ends_with(".JwtBearerJwtRetriever"));
    if signs && !jwt_bearer && ((4, 1)..(4, 3)).contains(&version) {
        out.push(finding(
            Severity::Error,
            "kip1258_not_in_client",
            format!(
                "Kafka's Java client {major}.{minor} uses the assertion settings only for the jwt-bearer grant \
                 (JwtBearerJwtRetriever); client_credentials with a client assertion (KIP-1258) came in Kafka 4.3, so \
                 this client sends no assertion"
            ),
            "use a client of Kafka 4.3 or later, or let oauthbearer serve --provider assertion sign with these \
             properties and give the client only its URL",
        ));
    }
    out
}

/// A Kafka class the client's version does not have yet: the client fails to start with
/// "Class … cannot be found" (a `ConfigException`).
fn classes_missing_in_client(props: &[(&str, &str)], kafka_version: Option<(u32, u32)>) -> Vec<Finding> {
    let Some(version) = kafka_version else { return Vec::new() };
    let mut out = Vec::new();
    for (name, value) in props {
        let Some((class, since)) = CLASSES_SINCE.iter().find(|(class, _)| class == value) else { continue };
        if version >= *since {
            continue;
        }
        let (major, minor) = version;
        let fix = match class.strip_prefix("org.apache.kafka.common.security.oauthbearer.") {
            Some(handler @ ("OAuthBearerLoginCallbackHandler" | "OAuthBearerValidatorCallbackHandler"))
                if version >= (3, 1) =>
            {
                format!(
                    "name org.apache.kafka.common.security.oauthbearer.secured.{handler}, its name before Kafka 3.4"
                )
            }
            _ => format!("use a client of Kafka {}.{} or later, or remove {name}", since.0, since.1),
        };
        out.push(finding(
            Severity::Error,
            "class_missing_in_client",
            format!("{name} names {class}, which Kafka's Java client has only from {}.{}; this one is {major}.{minor} (\"Class {class} cannot be found\")", since.0, since.1),
            fix,
        ));
    }
    out
}

/// How many misspelled names are tried corrected (each try parses the configuration and the key
/// again; a hostile file cannot make `explain` slow).
const MAX_CORRECTIONS_TRIED: usize = 4;

/// Everything the configuration parser refuses in strict mode and, when the host could read the
/// key (and the template it names), everything the assertion signer refuses: the same codes
/// `oauthbearer assertion` and the providers fail with (a key of another family than the
/// algorithm, a passphrase missing, wrong or not needed, a template that sets `exp` …).
fn refusals(props: &[(&str, &str)], dialect: Dialect, oauthbearer: bool, context: &ExplainContext<'_>) -> Vec<Finding> {
    use crate::assertion::{AssertionOptions, AssertionSigner};
    use crate::config::{AssertionSource, GrantPath};
    if !oauthbearer && !props.iter().any(|(k, _)| k.starts_with("sasl.oauthbearer.")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let parsed = match Config::from_properties_with(props.iter().copied(), dialect, Mode::Strict) {
        Ok(config) => Some(config),
        Err(e) => {
            out.push(finding(Severity::Error, e.code(), e.message(), "see the message"));
            Config::from_properties_with(props.iter().copied(), dialect, Mode::KafkaCompatible).ok()
        }
    };
    let Some(mut config) = parsed else { return out };
    let signs = matches!(
        config.grant,
        GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed)
    );
    let key_known = context.private_key.is_some() || config.assertion.private_key_pem.is_some();
    if !signs || !key_known {
        return out;
    }
    if context.assertion_template.is_none() {
        config.assertion.template_file = None; // named but not read here: checked where it is read
    }
    if let Some(registered) = context.private_key.and_then(jwk_algorithm) {
        let configured = config.assertion.algorithm.as_str();
        if registered != configured {
            out.push(finding(
                Severity::Error,
                "jwk_algorithm_mismatch",
                format!(
                    "the key file is a JWK for {registered} but the client signs with {configured}; an IdP that registered \
                     this JWK refuses the assertions (\"no applicable key found in the JSON Web Key Set\")"
                ),
                format!(
                    "set {} to {registered}, or register a JWK for {configured} (oauthbearer jwks --config client.properties)",
                    crate::config::names::ASSERTION_ALGORITHM
                ),
            ));
        }
    }
    let options = AssertionOptions { mode: Mode::Strict, ..AssertionOptions::default() };
    if let Err(e) = AssertionSigner::from_config_with(&config, context.private_key, context.assertion_template, options)
    {
        out.push(finding(Severity::Error, e.code(), e.message(), signer_fix(e.kind())));
    }
    out
}

/// The `alg` a JWK key file names, if it is one and names one.
fn jwk_algorithm(key: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(key).ok()?.trim_start();
    if !text.starts_with('{') {
        return None;
    }
    serde_json::from_str::<Value>(text).ok()?.get("alg")?.as_str().map(str::to_owned)
}

/// How to fix what the signer refuses.
fn signer_fix(kind: crate::ErrorKind) -> String {
    use crate::config::names::{ASSERTION_ALGORITHM, ASSERTION_PRIVATE_KEY_PASSPHRASE};
    use crate::ErrorKind as K;
    match kind {
        K::KeyAlgorithmMismatch => format!(
            "set {ASSERTION_ALGORITHM} to the key's algorithm (RS256 or PS256 for RSA, ES256 for P-256, ES384 for \
             P-384, EdDSA for Ed25519; Kafka's default is RS256), or configure a key of the algorithm's family"
        ),
        K::PassphraseNotNeeded => format!("remove {ASSERTION_PRIVATE_KEY_PASSPHRASE}: the key is not encrypted"),
        K::PassphraseRequired | K::WrongPassphrase => {
            format!("set {ASSERTION_PRIVATE_KEY_PASSPHRASE} to the passphrase the key was encrypted with")
        }
        K::TemplateOverride => "remove those members from the template: the signer sets them".to_owned(),
        K::InvalidTemplate => {
            "write the template as {\"header\": {…}, \"payload\": {…}} (see the README's template section)".to_owned()
        }
        K::WeakKey => "use an RSA key of at least 2048 bits".to_owned(),
        K::ClientIdMismatch => {
            "set the client id and sasl.oauthbearer.assertion.claim.sub (and …claim.iss) to the same \
                                client id, the one registered at the IdP"
                .to_owned()
        }
        _ => "see the message".to_owned(),
    }
}

/// The JWS `alg` names as registered (RFC 7518 §3.1, RFC 8037 §3.1, RFC 8812 §3.2), case and all.
const JWS_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
    "EdDSA", "ES256K", "none",
];

/// Names under the dialect's OAuth prefixes that the client does not know: Kafka's Java client
/// ignores them with one log line and librdkafka refuses them, neither saying what was meant. Each
/// finding names the other client's equivalent, or the nearest known name.
/// `correction_fixes(typo, near)`: whether the configuration with `typo` renamed `near` is refused
/// less; such a misspelled name is an error, not a warning (the typo left a setting missing).
fn unknown_names(
    props: &[(&str, &str)],
    dialect: Dialect,
    correction_fixes: &mut dyn FnMut(&str, &str) -> bool,
) -> Vec<Finding> {
    let known = known_names(dialect);
    let other = match dialect {
        Dialect::KafkaJava => Dialect::Librdkafka,
        Dialect::Librdkafka => Dialect::KafkaJava,
    };
    let (severity, consequence) = match dialect {
        Dialect::KafkaJava => (Severity::Warning, "Kafka's Java client ignores it"),
        Dialect::Librdkafka => (Severity::Error, "librdkafka refuses it (\"No such configuration property\")"),
    };
    let mut out = Vec::new();
    let mut unknown = 0_usize;
    for (raw, _) in props {
        // Kafka's Java lookup also reads `oauthbearer.<name>`: judge the name behind the prefix.
        let name = match dialect {
            Dialect::KafkaJava => raw.strip_prefix(MECHANISM_PREFIX).filter(|n| n.starts_with("sasl.")).unwrap_or(raw),
            Dialect::Librdkafka => raw,
        };
        if known.contains(&name) || !checked_prefixes(dialect).iter().any(|p| name.starts_with(p)) {
            continue;
        }
        unknown += 1;
        if unknown > MAX_UNKNOWN_NAMES {
            continue;
        }
        let equivalent = DIALECT_EQUIVALENTS.iter().find_map(|(java, rdkafka)| match dialect {
            Dialect::KafkaJava if *rdkafka == name => Some(*java),
            Dialect::Librdkafka if *java == name => Some(*rdkafka),
            _ => None,
        });
        let (message, fix) = if known_names(other).contains(&name) {
            (
                format!("{raw} is a {} property; {consequence}", client_name(other)),
                equivalent.map_or_else(
                    || format!("remove it: {} has no such setting", client_name(dialect)),
                    |e| format!("use {e}"),
                ),
            )
        } else {
            let near = nearest_name(name, known);
            if let Some(near) = near.filter(|n| !props.iter().any(|(k, _)| k == n) && correction_fixes(raw, n)) {
                out.push(finding(
                    Severity::Error,
                    "unknown_property",
                    format!(
                        "{raw} is not a {} property, so {near} is not set and the configuration is refused (see the \
                         other errors); {consequence}",
                        client_name(dialect)
                    ),
                    format!("did you mean {near}?"),
                ));
                continue;
            }
            (
                format!("{raw} is not a {} property; {consequence}", client_name(dialect)),
                near.map_or_else(
                    || "remove it, or check the name against the client's configuration reference".to_owned(),
                    |near| format!("did you mean {near}?"),
                ),
            )
        };
        out.push(finding(severity, "unknown_property", message, fix));
    }
    if unknown > MAX_UNKNOWN_NAMES {
        out.push(finding(
            severity,
            "unknown_property",
            format!("{} more names are not {} properties", unknown - MAX_UNKNOWN_NAMES, client_name(dialect)),
            "check the names against the client's configuration reference",
        ));
    }
    out
}

/// Unknown names reported one by one; past this, one finding counts the rest (a hostile or
/// generated file cannot make `explain` slow or its answer huge).
const MAX_UNKNOWN_NAMES: usize = 32;

/// A lower bound of the Levenshtein distance in linear time (the bag distance: an edit changes
/// the multiset of characters by at most one on each side), so most known names are ruled out
/// without the quadratic distance. Non-ASCII characters share one bucket, which only lowers it.
fn bag_distance(a: &str, b: &str) -> usize {
    let bucket = |c: char| usize::try_from(u32::from(c)).map_or(127, |i| i.min(127));
    let mut counts = [0_i64; 128];
    for c in a.chars() {
        counts[bucket(c)] += 1;
    }
    for c in b.chars() {
        counts[bucket(c)] -= 1;
    }
    let (more, fewer) = counts.iter().fold((0_u64, 0_u64), |(more, fewer), &c| {
        if c > 0 {
            (more + c.unsigned_abs(), fewer)
        } else {
            (more, fewer + c.unsigned_abs())
        }
    });
    usize::try_from(more.max(fewer)).unwrap_or(usize::MAX)
}

/// Levenshtein distance of `a` and `b` after dropping their common prefix and suffix (which add
/// nothing to it): names share `sasl.oauthbearer.` and usually their ending, so this is a fraction
/// of the work.
fn distance(a: &str, b: &str) -> usize {
    let prefix = common_len(a.chars(), b.chars());
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = common_len(a.chars().rev(), b.chars().rev());
    strsim::levenshtein(&a[..a.len() - suffix], &b[..b.len() - suffix])
}

/// The length in bytes of the run of equal characters `x` and `y` start with.
fn common_len(x: impl Iterator<Item = char>, y: impl Iterator<Item = char>) -> usize {
    x.zip(y).take_while(|(x, y)| x == y).map(|(x, _)| x.len_utf8()).sum()
}

fn client_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::KafkaJava => "Kafka Java",
        Dialect::Librdkafka => "librdkafka",
    }
}

/// The known name closest to `name` by Levenshtein distance (case-insensitive), when it is close
/// enough to be a misspelling: at most a fifth of the name's length, and at least 2 edits allowed
/// (`…assertion.jti.include` is 6 edits from `…assertion.claim.jti.include`).
fn nearest_name(name: &str, known: &[&'static str]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let limit = (lower.len() / 5).max(2);
    known
        .iter()
        // The distance is at least the difference in length: names that cannot be close are not
        // compared, so a hostile file of long names costs no more than reading it.
        .filter(|k| k.len().abs_diff(lower.len()) <= limit && bag_distance(&lower, k) <= limit)
        .map(|k| (distance(&lower, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// AWS's own MSK library (aws-msk-iam-auth) builds a new credential provider at each login and
/// re-authentication. Without a fixed STS role session name, the AWS SDK names each web-identity
/// (IRSA) session anew, the principal MSK sees changes, and the broker refuses the
/// re-authentication: "Cannot change principals during re-authentication" (aws-msk-iam-auth#104).
fn msk_session_name(lookup: &Props<'_>) -> Option<Finding> {
    let jaas = crate::config::jaas::parse(lookup.value("sasl.jaas.config")?).ok()?;
    let aws_library = jaas.login_module.starts_with("software.amazon.msk.auth.iam.")
        || lookup
            .value("sasl.client.callback.handler.class")
            .is_some_and(|c| c.starts_with("software.amazon.msk.auth.iam."));
    // A role ARN without a name gets the library's fixed default, "aws-msk-iam-auth".
    if !aws_library || jaas.option("awsRoleArn").is_some() || jaas.option("awsRoleSessionName").is_some() {
        return None;
    }
    Some(finding(
        Severity::Warning,
        "msk_session_name_changes",
        "aws-msk-iam-auth resolves credentials anew at each re-authentication; with web identity (IRSA) and no \
         fixed role session name each session gets a new name, the principal changes, and the broker refuses \
         the re-authentication (\"Cannot change principals during re-authentication\")",
        "set AWS_ROLE_SESSION_NAME in the client's environment, or awsRoleArn with awsRoleSessionName in sasl.jaas.config",
    ))
}

/// An MSK IAM token is a base64url SigV4-presigned URL, not a JWT: Kafka's Java client checks a
/// token fetched from a URL as a JWT ("Malformed JWT"), and librdkafka's OIDC method likewise, so
/// no token endpoint can serve MSK to them.
fn msk_token_from_url(lookup: &Props<'_>, dialect: Dialect, oauthbearer: bool, oidc: bool) -> Option<Finding> {
    let from_url = match dialect {
        Dialect::KafkaJava => lookup.value(TOKEN_ENDPOINT_URL).is_some(),
        Dialect::Librdkafka => oidc,
    };
    if !(oauthbearer && from_url && crate::msk::is_msk_bootstrap(lookup.value("bootstrap.servers")?)) {
        return None;
    }
    let fix = match dialect {
        Dialect::KafkaJava => {
            "use AWS's aws-msk-iam-auth: sasl.login.callback.handler.class and sasl.client.callback.handler.class = \
             software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler (oauthbearer.beam.msk_kafka_config for Beam)"
        }
        Dialect::Librdkafka => {
            "set the token from the application instead: an oauth_cb / token refresh callback with an MSK IAM \
             token (oauthbearer's MskProvider and its confluent-kafka adapter)"
        }
    };
    Some(finding(
        Severity::Error,
        "msk_token_from_url",
        format!(
            "the bootstrap servers are Amazon MSK, whose IAM tokens are SigV4-presigned URLs, not JWTs; {} checks a \
             token fetched from a URL as a JWT and refuses an MSK token (\"Malformed JWT\"), so no token endpoint can \
             serve it",
            match dialect {
                Dialect::KafkaJava => "Kafka's Java client",
                Dialect::Librdkafka => "librdkafka's OIDC method",
            }
        ),
        fix,
    ))
}

/// What IdPs that enforce RFC 7523 strictly (Keycloak among them) refuse in the assertions a
/// configuration sends: no `jti` (Kafka's default), several audiences, an `aud` that is neither the
/// token endpoint nor an issuer URL it starts with, and a pre-built assertion file sent again and
/// again (`jti`s are single-use there). `template` is the template file's contents, when known:
/// its `aud` layers over the configured one as the signer layers them.
fn assertion_traps(config: &Config, template: Option<&[u8]>) -> Vec<Finding> {
    use crate::assertion::Claims;
    use crate::config::{AssertionSource, GrantPath};
    use crate::template::AssertionTemplate;
    let mut out = Vec::new();
    match &config.grant {
        GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed) => {
            if !config.assertion.jti_include {
                out.push(finding(
                    Severity::Warning,
                    "assertion_without_jti",
                    "the assertions carry no jti (the client's default); IdPs that enforce replay protection refuse \
                     them (Keycloak: \"Token jti claim is required\")",
                    // The same name in both clients.
                    format!("set {}=true", crate::config::names::ASSERTION_CLAIM_JTI_INCLUDE),
                ));
            }
            // A template that does not parse is the signer's error (invalid_template), not a trap.
            let template = template.and_then(|bytes| AssertionTemplate::parse(bytes, config.dialect).ok());
            let payload = Claims::from_config(&config.assertion).layered(&template.unwrap_or_default(), config.dialect);
            if let Err(e) = crate::assertion::check_client_id(config, &payload) {
                out.push(finding(Severity::Error, e.code(), e.message(), signer_fix(e.kind())));
            }
            let aud = match payload.get("aud") {
                Some(Value::Array(many)) if many.len() > 1 => {
                    out.push(finding(
                        Severity::Warning,
                        "assertion_multiple_audiences",
                        format!(
                            "the assertions carry {} audiences (from the template file); IdPs that take exactly one \
                             refuse them (Keycloak: \"Multiple audiences not allowed\")",
                            many.len()
                        ),
                        "give the template's aud a single value: the IdP's token endpoint or issuer URL",
                    ));
                    None
                }
                Some(Value::Array(one)) => one.first().and_then(Value::as_str),
                Some(Value::String(one)) => Some(one.as_str()),
                _ => None,
            };
            if let (Some(aud), Some(url)) = (aud, &config.token_endpoint_url) {
                // An issuer URL names the token endpoint's own prefix, path-wise and without a trailing `/`.
                let issuer_of_url =
                    !aud.ends_with('/') && url.strip_prefix(aud).is_some_and(|rest| rest.starts_with('/'));
                if aud != url && !issuer_of_url {
                    out.push(finding(
                        Severity::Warning,
                        "assertion_audience_mismatch",
                        format!(
                            "the assertions' aud {aud:?} is neither the token endpoint {url:?} nor an issuer URL it \
                             starts with; IdPs compare aud with their issuer or token endpoint as strings (Keycloak: \
                             the same host as the request — localhost is not 127.0.0.1 — and no trailing /)"
                        ),
                        format!("set sasl.oauthbearer.assertion.claim.aud to {url} or to the IdP's issuer URL"),
                    ));
                }
            }
        }
        GrantPath::ClientAssertion(AssertionSource::File(_)) | GrantPath::JwtBearer(AssertionSource::File(_)) => {
            out.push(finding(
                Severity::Warning,
                "prebuilt_assertion_reused",
                "a pre-built assertion file is sent as it is at every token request until it is replaced; IdPs that \
                 take each jti once (Keycloak: \"Token reuse detected\") accept it only the first time",
                "have the file's writer replace it after each use, or let the client sign assertions itself (a private \
                 key file)",
            ));
        }
        _ => {}
    }
    out
}

/// A client without KIP-368 re-authentication on a broker that ends sessions: the broker closes
/// each connection at the end of its session — `connections.max.reauth.ms`, capped by the token's
/// lifetime — and requests in flight fail (aiokafka#1015, kafka-python#2205).
fn no_reauthentication(client: &ClientInfo, broker_reauth_ms: Option<u64>) -> Option<Finding> {
    if client.reauthenticates() != Some(false) || broker_reauth_ms == Some(0) {
        return None;
    }
    let fix = match client.library {
        ClientLibrary::Aiokafka => {
            "aiokafka cannot re-authenticate (aiokafka#1015): make the application retry across reconnects, \
             or use confluent-kafka (librdkafka >= 2.2) or kafka-python >= 3.0"
        }
        ClientLibrary::KafkaPython => "upgrade to kafka-python >= 3.0, which re-authenticates",
        ClientLibrary::KafkaJava => "upgrade to Kafka's Java client >= 2.2 (KIP-368)",
        _ => "upgrade to librdkafka / confluent-kafka >= 2.2.0, which re-authenticates at 90 % of the session",
    };
    Some(match broker_reauth_ms {
        Some(ms) => finding(
            Severity::Warning,
            "no_reauthentication",
            format!(
                "{} does not re-authenticate (KIP-368); with connections.max.reauth.ms={ms} the broker closes each \
                 connection when its session ends (at most the token's lifetime) and requests in flight fail",
                client.describe()
            ),
            fix,
        ),
        None => finding(
            Severity::Info,
            "no_reauthentication",
            format!(
                "{} does not re-authenticate (KIP-368); if the broker sets connections.max.reauth.ms, it closes each \
                 connection when its session ends (at most the token's lifetime)",
                client.describe()
            ),
            fix,
        ),
    })
}

/// confluent-kafka before 2.13 (confluent-kafka-python#2130) serves `oauth_cb` only from
/// `poll()`: a client that has not polled has no token, so an `AdminClient`, `list_topics()` or a
/// first `flush()` waits and times out (confluent-kafka-python#1713, #1296). librdkafka's own OIDC
/// method fetches on its background thread and is not affected.
fn confluent_poll_trap(client: &ClientInfo, oidc: bool) -> Option<Finding> {
    let old = client.library == ClientLibrary::ConfluentKafkaPython && client.version.is_some_and(|v| v < (2, 13, 0));
    (old && !oidc).then(|| {
        finding(
            Severity::Warning,
            "confluent_poll_trap",
            format!(
                "{} calls oauth_cb only from poll(): until the application polls there is no token, and an \
                 AdminClient, list_topics() or a first flush() waits and times out",
                client.describe()
            ),
            "call client.poll(0) right after creating each client (AdminClient too), or upgrade to confluent-kafka \
             >= 2.13, which serves oauth_cb on a background thread",
        )
    })
}

/// Event Hubs' Kafka endpoint takes only tokens for its namespace: a scope that is not
/// `https://<namespace>.servicebus.windows.net/.default` gets a token the broker refuses.
fn eventhubs_scope(lookup: &Props<'_>, oauthbearer: bool) -> Option<Finding> {
    let bootstrap = lookup.value("bootstrap.servers")?;
    let expected = crate::azure::eventhubs_scope(bootstrap).ok()?;
    match lookup.value(SCOPE) {
        Some(scope) => crate::azure::check_eventhubs_scope(scope, bootstrap).err().map(|e| {
            finding(Severity::Error, "eventhubs_scope_mismatch", e.message(), format!("set {SCOPE}={expected}"))
        }),
        None if oauthbearer && lookup.value(TOKEN_ENDPOINT_URL).is_some() => Some(finding(
            Severity::Error,
            "eventhubs_scope_mismatch",
            "no scope is set for an Event Hubs namespace; Entra ID refuses a client credentials request without one \
             (AADSTS900144)",
            format!("set {SCOPE}={expected}"),
        )),
        None => None,
    }
}

/// Findings as JSON (`[{"severity","code","message","fix"}]`) for the CLI and the bindings.
pub fn findings_json(findings: &[Finding]) -> Value {
    Value::Array(
        findings
            .iter()
            .map(|f| serde_json::json!({ "severity": f.severity.as_str(), "code": f.code, "message": f.message, "fix": f.fix }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(props: &[(&str, &str)], dialect: Dialect, ctx: &ExplainContext<'_>) -> Vec<String> {
        explain(props.iter().copied(), dialect, ctx).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn java_traps() {
        let ctx = ExplainContext { java_version: Some(17), ..Default::default() };
        let c = codes(
            &[
                ("sasl.mechanism", "OAUTHBEARER"),
                (
                    "sasl.login.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
                ),
                ("sasl.oauthbearer.token.endpoint.url", "http://localhost:14293"),
                ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
                ("sasl.oauthbearer.assertion.algorithm", "rs256"),
            ],
            Dialect::KafkaJava,
            &ExplainContext { private_key: Some(b"-----BEGIN RSA PRIVATE KEY-----"), token: Some("opaque"), ..ctx },
        );
        for code in [
            "removed_class_name",
            "allowed_urls_required",
            "allowed_files_required",
            "kip1258_not_triggered",
            "assertion_missing_claims",
            "key_format_unsupported_by_java",
            "opaque_token_java",
            "lowercase_algorithm",
        ] {
            assert!(c.contains(&code.to_owned()), "{code} missing from {c:?}");
        }
        let c = codes(&[("sasl.mechanism", "OAUTHBEARER")], Dialect::KafkaJava, &ExplainContext::default());
        assert!(c.contains(&"unsecured_login_handler".to_owned()));
        let c = codes(
            &[("sasl.oauthbearer.assertion.private.key.file", "/k"), ("sasl.oauthbearer.assertion.claim.iss", "c")],
            Dialect::KafkaJava,
            &ExplainContext {
                private_key: Some(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"),
                java_version: Some(17),
                ..Default::default()
            },
        );
        assert!(c.contains(&"pbes2_key_old_jdk".to_owned()), "{c:?}");
    }

    fn fixes(props: &[(&str, &str)], dialect: Dialect) -> Vec<(String, String)> {
        explain(props.iter().copied(), dialect, &ExplainContext::default())
            .into_iter()
            .map(|f| (f.code, f.fix))
            .collect()
    }

    #[test]
    fn every_registered_spelling_is_quiet() {
        // Issue 28: a rule that compares spellings must stay quiet on every registered value —
        // every property name the client knows, every JWS algorithm name as registered.
        for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
            let props: Vec<(&str, &str)> = known_names(dialect).iter().map(|n| (*n, "x")).collect();
            let found = explain(props.iter().copied(), dialect, &ExplainContext::default());
            assert!(!found.iter().any(|f| f.code == "unknown_property"), "{dialect:?}: {found:?}");
        }
        for alg in JWS_ALGORITHMS {
            let props = [("sasl.oauthbearer.assertion.algorithm", *alg)];
            let found = explain(props, Dialect::KafkaJava, &ExplainContext::default());
            assert!(!found.iter().any(|f| f.code == "lowercase_algorithm"), "{alg}: {found:?}");
        }
    }

    #[test]
    fn misspelled_names_get_the_nearest_known_name() {
        for (dialect, wrong, meant) in [
            (
                Dialect::KafkaJava,
                "sasl.oauthbearer.assertion.jti.include",
                "sasl.oauthbearer.assertion.claim.jti.include",
            ),
            (
                Dialect::Librdkafka,
                "sasl.oauthbearer.assertion.jti.include",
                "sasl.oauthbearer.assertion.claim.jti.include",
            ),
            (Dialect::KafkaJava, "sasl.oauthbearer.token.endpoint.uri", "sasl.oauthbearer.token.endpoint.url"),
            (
                Dialect::KafkaJava,
                "oauthbearer.sasl.oauthbearer.assertion.claim.exp.second",
                "sasl.oauthbearer.assertion.claim.exp.seconds",
            ),
            (Dialect::KafkaJava, "sasl.login.refresh.window.factr", "sasl.login.refresh.window.factor"),
            (Dialect::KafkaJava, "sasl.oauthbearer.Scope", "sasl.oauthbearer.scope"),
            (
                Dialect::Librdkafka,
                "sasl.oauthbearer.metadata.authentication",
                "sasl.oauthbearer.metadata.authentication.type",
            ),
            (Dialect::Librdkafka, "enable.sasl.oauthbearer.unsecured.jwt", "enable.sasl.oauthbearer.unsecure.jwt"),
        ] {
            let found = fixes(&[(wrong, "x")], dialect);
            assert!(
                found.contains(&("unknown_property".into(), format!("did you mean {meant}?"))),
                "{wrong}: {found:?}"
            );
        }
        // The other client's names say so, with the equivalent where there is one.
        let found = fixes(&[("sasl.oauthbearer.assertion.jwt.template.file", "/t.json")], Dialect::KafkaJava);
        assert!(
            found.contains(&("unknown_property".into(), "use sasl.oauthbearer.assertion.template.file".into())),
            "{found:?}"
        );
        let found = fixes(&[("sasl.oauthbearer.expected.issuer", "x")], Dialect::Librdkafka);
        assert!(found.iter().any(|(c, f)| c == "unknown_property" && f.starts_with("remove it")), "{found:?}");
        // Known names, and names outside the OAuth prefixes, are not findings; nor is a far-off name guessed at.
        let every_known: Vec<(&str, &str)> = crate::config::names::JAVA_NAMES.iter().map(|n| (*n, "x")).collect();
        assert!(
            !codes(&every_known, Dialect::KafkaJava, &ExplainContext::default()).contains(&"unknown_property".into())
        );
        let every_known: Vec<(&str, &str)> = crate::config::names::LIBRDKAFKA_NAMES.iter().map(|n| (*n, "x")).collect();
        assert!(
            !codes(&every_known, Dialect::Librdkafka, &ExplainContext::default()).contains(&"unknown_property".into())
        );
        assert!(fixes(&[("bootstrap.servers", "b:9092"), ("sasl.kerberos.service.name", "k")], Dialect::KafkaJava)
            .is_empty());
        let found = fixes(&[("sasl.oauthbearer.something.else.entirely", "x")], Dialect::KafkaJava);
        assert!(
            found.iter().any(|(c, f)| c == "unknown_property" && f.starts_with("remove it, or check")),
            "{found:?}"
        );
        // A file of many unknown names gets 32 findings and one that counts the rest.
        let names: Vec<String> = (0..100).map(|i| format!("sasl.oauthbearer.made.up.{i}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x")).collect();
        let found = explain(many.iter().copied(), Dialect::KafkaJava, &ExplainContext::default());
        assert_eq!(found.iter().filter(|f| f.code == "unknown_property").count(), 33);
        assert!(found.iter().any(|f| f.message.starts_with("68 more names")), "{found:?}");
        for (a, b) in
            [("sasl.oauthbearer.scope", "sasl.oauthbearer.scopes"), ("abc", "abc"), ("kitten", "sitting"), ("ab", "ba")]
        {
            assert_eq!(distance(a, b), strsim::levenshtein(a, b), "{a} {b}");
            assert!(bag_distance(a, b) <= strsim::levenshtein(a, b), "{a} {b}");
        }
        let names = crate::config::names::JAVA_NAMES.iter().chain(crate::config::names::LIBRDKAFKA_NAMES);
        for a in names.clone() {
            for b in names.clone() {
                assert!(bag_distance(a, b) <= distance(a, b) && distance(a, b) == strsim::levenshtein(a, b), "{a} {b}");
            }
        }
    }

    #[test]
    fn msk_library_without_a_fixed_session_name() {
        let iam = |jaas: &str| {
            codes(
                &[("sasl.mechanism", "AWS_MSK_IAM"), ("sasl.jaas.config", jaas)],
                Dialect::KafkaJava,
                &ExplainContext::default(),
            )
            .contains(&"msk_session_name_changes".into())
        };
        assert!(iam("software.amazon.msk.auth.iam.IAMLoginModule required;"));
        assert!(!iam("software.amazon.msk.auth.iam.IAMLoginModule required awsRoleSessionName=\"pod\";"));
        assert!(!iam("software.amazon.msk.auth.iam.IAMLoginModule required awsRoleArn=\"arn:aws:iam::1:role/k\";"));
        assert!(!iam("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"));
    }

    #[test]
    fn eventhubs_scope_must_name_the_namespace() {
        let base = [
            ("bootstrap.servers", "contoso.servicebus.windows.net:9093"),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "https://login.microsoftonline.com/t/oauth2/v2.0/token"),
        ];
        for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
            for scope in
                [None, Some("https://eventhubs.azure.net/.default"), Some("https://contoso.servicebus.windows.net")]
            {
                let mut props = base.to_vec();
                props.extend(scope.map(|s| ("sasl.oauthbearer.scope", s)));
                let found = fixes(&props, dialect);
                assert!(
                    found.contains(&(
                        "eventhubs_scope_mismatch".into(),
                        "set sasl.oauthbearer.scope=https://contoso.servicebus.windows.net/.default".into()
                    )),
                    "{scope:?}: {found:?}"
                );
            }
            let mut props = base.to_vec();
            props.push(("sasl.oauthbearer.scope", "https://contoso.servicebus.windows.net/.default"));
            assert!(!codes(&props, dialect, &ExplainContext::default()).contains(&"eventhubs_scope_mismatch".into()));
        }
    }

    #[test]
    fn librdkafka_oidc_needs_sub_and_exp() {
        use crate::encoding::b64url as b64url_encode;
        let token = |claims: &str| {
            format!("{}.{}.c2ln", b64url_encode(br#"{"alg":"RS256"}"#), b64url_encode(claims.as_bytes()))
        };
        let oidc = [("sasl.mechanism", "OAUTHBEARER"), ("sasl.oauthbearer.method", "oidc")];
        let no_sub = token(r#"{"exp":4102444800}"#);
        let c = codes(&oidc, Dialect::Librdkafka, &ExplainContext { token: Some(&no_sub), ..Default::default() });
        assert!(c.contains(&"token_refused_by_librdkafka".into()), "{c:?}");
        let with_sub = token(r#"{"exp":4102444800,"sub":"svc"}"#);
        let c = codes(&oidc, Dialect::Librdkafka, &ExplainContext { token: Some(&with_sub), ..Default::default() });
        assert!(!c.contains(&"token_refused_by_librdkafka".into()), "{c:?}");
        // librdkafka 2.14+ reads the principal from the claim named by sasl.oauthbearer.sub.claim.name.
        let appid = token(r#"{"exp":4102444800,"appid":"svc"}"#);
        let mut props = oidc.to_vec();
        props.push(("sasl.oauthbearer.sub.claim.name", "appid"));
        let c = codes(&props, Dialect::Librdkafka, &ExplainContext { token: Some(&appid), ..Default::default() });
        assert!(!c.contains(&"token_refused_by_librdkafka".into()), "{c:?}");
    }

    #[test]
    fn librdkafka_traps() {
        let c = codes(
            &[
                ("sasl.mechanism", "OAUTHBEARER"),
                ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
                ("sasl.oauthbearer.assertion.algorithm", "ES256"),
            ],
            Dialect::Librdkafka,
            &ExplainContext { idp_max_assertion_lifetime_seconds: Some(120), ..Default::default() },
        );
        for code in ["unsecured_login_handler", "librdkafka_es256_der", "assertion_lifetime_too_long"] {
            assert!(c.contains(&code.to_owned()), "{code} missing from {c:?}");
        }
    }

    fn with_client<'a>(
        library: &'a str,
        version: Option<&'a str>,
        broker_reauth_ms: Option<u64>,
    ) -> ExplainContext<'a> {
        ExplainContext { client: Some(library), client_version: version, broker_reauth_ms, ..Default::default() }
    }

    fn severity_of(findings: &[Finding], code: &str) -> Option<Severity> {
        findings.iter().find(|f| f.code == code).map(|f| f.severity)
    }

    #[test]
    fn clients_without_reauthentication_on_brokers_that_end_sessions() {
        let props = [("sasl.mechanism", "OAUTHBEARER")];
        let run = |library, version, reauth| {
            explain(props.iter().copied(), Dialect::KafkaJava, &with_client(library, version, reauth))
        };
        for (library, version) in [
            ("aiokafka", None),
            ("kafka-python", Some("2.2.15")),
            ("confluent-kafka", Some("2.1.1")),
            ("librdkafka", Some("1.9.2")),
            ("kafka-clients", Some("2.1.0")),
        ] {
            assert_eq!(
                severity_of(&run(library, version, Some(3_600_000)), "no_reauthentication"),
                Some(Severity::Warning),
                "{library}"
            );
            assert_eq!(
                severity_of(&run(library, version, None), "no_reauthentication"),
                Some(Severity::Info),
                "{library}"
            );
            assert_eq!(severity_of(&run(library, version, Some(0)), "no_reauthentication"), None, "{library}");
        }
        for (library, version) in [
            ("kafka-python", Some("3.0.0")),
            ("confluent-kafka", Some("2.2.0")),
            ("kafkajs", None),
            ("kafka-clients", None),
            ("@confluentinc/kafka-javascript", Some("1.0.0")),
            ("confluent-kafka", None),
        ] {
            assert_eq!(
                severity_of(&run(library, version, Some(3_600_000)), "no_reauthentication"),
                None,
                "{library} {version:?}"
            );
        }
        let findings = run("aiokafka", Some("0.12.0"), Some(600_000));
        let message = &findings.iter().find(|f| f.code == "no_reauthentication").unwrap().message;
        assert!(
            message.contains("aiokafka 0.12.0") && message.contains("connections.max.reauth.ms=600000"),
            "{message}"
        );
        // Another mechanism: nothing about OAUTHBEARER sessions.
        let plain = [("sasl.mechanism", "PLAIN")];
        assert!(explain(plain.iter().copied(), Dialect::KafkaJava, &with_client("aiokafka", None, Some(1))).is_empty());
    }

    #[test]
    fn confluent_kafka_before_2_13_serves_oauth_cb_only_from_poll() {
        let props = [("sasl.mechanism", "OAUTHBEARER"), ("security.protocol", "SASL_SSL")];
        let run = |version, props: &[(&str, &str)]| {
            codes(props, Dialect::Librdkafka, &with_client("confluent-kafka", Some(version), Some(0)))
        };
        assert!(run("2.12.1", &props).contains(&"confluent_poll_trap".into()));
        assert!(!run("2.13.0", &props).contains(&"confluent_poll_trap".into()));
        let oidc = [("sasl.mechanism", "OAUTHBEARER"), ("sasl.oauthbearer.method", "oidc")];
        assert!(
            !run("2.12.1", &oidc).contains(&"confluent_poll_trap".into()),
            "librdkafka's own OIDC fetch is not affected"
        );
    }

    #[test]
    fn client_names_and_versions_parse_or_are_refused_with_codes() {
        let v = |s| ClientInfo::parse("aiokafka", Some(s)).unwrap().version;
        assert_eq!(v("0.12.0"), Some((0, 12, 0)));
        assert_eq!(v("v2.13"), Some((2, 13, 0)));
        assert_eq!(v("3.0.0rc1"), Some((3, 0, 0)));
        assert_eq!(v("2.2.0.dev0"), Some((2, 2, 0)));
        assert_eq!(ClientInfo::parse("kafka-net", None).unwrap_err().code(), "invalid_config");
        assert_eq!(ClientInfo::parse("aiokafka", Some("latest")).unwrap_err().code(), "invalid_config");
        assert_eq!(ClientInfo::parse("Confluent-Kafka", None).unwrap().library, ClientLibrary::ConfluentKafkaPython);
        let findings = explain([], Dialect::KafkaJava, &with_client("kafka-net", None, None));
        assert_eq!((findings[0].severity, findings[0].code.as_str()), (Severity::Error, "invalid_config"));
    }

    #[test]
    fn an_msk_cluster_cannot_take_tokens_from_a_url() {
        let msk = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098";
        let java = [
            ("bootstrap.servers", msk),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "http://127.0.0.1:14293/token"),
        ];
        assert!(codes(&java, Dialect::KafkaJava, &ExplainContext::default()).contains(&"msk_token_from_url".into()));
        let librdkafka =
            [("bootstrap.servers", msk), ("sasl.mechanism", "OAUTHBEARER"), ("sasl.oauthbearer.method", "oidc")];
        assert!(
            codes(&librdkafka, Dialect::Librdkafka, &ExplainContext::default()).contains(&"msk_token_from_url".into())
        );
        let aws_library = [
            ("bootstrap.servers", msk),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.login.callback.handler.class", "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler"),
        ];
        assert!(
            !codes(&aws_library, Dialect::KafkaJava, &ExplainContext::default()).contains(&"msk_token_from_url".into())
        );
        let elsewhere = [("bootstrap.servers", "broker:9092"), java[1], java[2]];
        assert!(
            !codes(&elsewhere, Dialect::KafkaJava, &ExplainContext::default()).contains(&"msk_token_from_url".into())
        );
    }

    #[test]
    fn assertions_an_idp_enforcing_rfc_7523_refuses() {
        let url = "http://localhost:8080/realms/kafka/protocol/openid-connect/token";
        let signed = |aud: &str, jti: &str| {
            codes(
                &[
                    ("sasl.oauthbearer.token.endpoint.url", url),
                    ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
                    ("sasl.oauthbearer.assertion.claim.iss", "app"),
                    ("sasl.oauthbearer.assertion.claim.sub", "app"),
                    ("sasl.oauthbearer.assertion.claim.aud", aud),
                    ("sasl.oauthbearer.assertion.claim.jti.include", jti),
                ],
                Dialect::KafkaJava,
                &ExplainContext::default(),
            )
        };
        let has = |c: &[String], code: &str| c.iter().any(|x| x == code);
        let c = signed(url, "false");
        assert!(has(&c, "assertion_without_jti") && !has(&c, "assertion_audience_mismatch"), "{c:?}");
        let c = signed("http://localhost:8080/realms/kafka", "true");
        assert!(!has(&c, "assertion_without_jti") && !has(&c, "assertion_audience_mismatch"), "{c:?}");
        for wrong in [
            "http://127.0.0.1:8080/realms/kafka/protocol/openid-connect/token",
            "http://localhost:8080/realms/kafka/",
            "http://localhost:8080/realms/kafk",
            "kafka",
        ] {
            assert!(has(&signed(wrong, "true"), "assertion_audience_mismatch"), "{wrong}");
        }
        let file = codes(
            &[("sasl.oauthbearer.token.endpoint.url", url), ("sasl.oauthbearer.assertion.file", "/var/run/token")],
            Dialect::KafkaJava,
            &ExplainContext::default(),
        );
        assert!(has(&file, "prebuilt_assertion_reused") && !has(&file, "assertion_without_jti"), "{file:?}");
        let librdkafka = codes(
            &[
                ("sasl.oauthbearer.method", "oidc"),
                ("sasl.oauthbearer.grant.type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("sasl.oauthbearer.token.endpoint.url", url),
                ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
                ("sasl.oauthbearer.assertion.claim.aud", url),
            ],
            Dialect::Librdkafka,
            &ExplainContext::default(),
        );
        let fix = explain(
            [
                ("sasl.oauthbearer.method", "oidc"),
                ("sasl.oauthbearer.grant.type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("sasl.oauthbearer.token.endpoint.url", url),
                ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
            ],
            Dialect::Librdkafka,
            &ExplainContext::default(),
        );
        assert!(has(&librdkafka, "assertion_without_jti"), "{librdkafka:?}");
        assert!(fix.iter().any(|f| f.fix == "set sasl.oauthbearer.assertion.claim.jti.include=true"), "{fix:?}");
    }

    #[test]
    fn a_templates_audiences_are_the_ones_checked() {
        let url = "http://localhost:8080/realms/kafka/protocol/openid-connect/token";
        let issuer = "http://localhost:8080/realms/kafka";
        let with_template = |configured_aud: &str, template: &str, dialect: Dialect| {
            let template_name = match dialect {
                Dialect::KafkaJava => "sasl.oauthbearer.assertion.template.file",
                Dialect::Librdkafka => "sasl.oauthbearer.assertion.jwt.template.file",
            };
            let mut props = vec![
                ("sasl.oauthbearer.token.endpoint.url", url),
                ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
                ("sasl.oauthbearer.assertion.claim.aud", configured_aud),
                ("sasl.oauthbearer.assertion.claim.jti.include", "true"),
                (template_name, "/t.json"),
            ];
            if dialect == Dialect::KafkaJava {
                props.extend([
                    ("sasl.oauthbearer.assertion.claim.iss", "app"),
                    ("sasl.oauthbearer.assertion.claim.sub", "app"),
                ]);
            } else {
                props.extend([
                    ("sasl.oauthbearer.method", "oidc"),
                    ("sasl.oauthbearer.grant.type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ]);
            }
            let context = ExplainContext { assertion_template: Some(template.as_bytes()), ..Default::default() };
            codes(&props, dialect, &context)
        };
        let has = |c: &[String], code: &str| c.iter().any(|x| x == code);
        let several = format!(r#"{{"payload": {{"aud": ["{issuer}", "{url}"]}}}}"#);
        // Kafka Java: the template wins over the configured aud.
        let c = with_template(issuer, &several, Dialect::KafkaJava);
        assert!(has(&c, "assertion_multiple_audiences") && !has(&c, "assertion_audience_mismatch"), "{c:?}");
        let c = with_template(issuer, r#"{"payload": {"aud": ["kafka"]}}"#, Dialect::KafkaJava);
        assert!(has(&c, "assertion_audience_mismatch"), "{c:?}");
        let c = with_template("kafka", &format!(r#"{{"payload": {{"aud": "{issuer}"}}}}"#), Dialect::KafkaJava);
        assert!(!has(&c, "assertion_audience_mismatch") && !has(&c, "assertion_multiple_audiences"), "{c:?}");
        // librdkafka: the configured aud wins; a template that does not parse changes nothing.
        let c = with_template(issuer, r#"{"header": {}, "payload": {"aud": ["a", "b"]}}"#, Dialect::Librdkafka);
        assert!(!has(&c, "assertion_multiple_audiences") && !has(&c, "assertion_audience_mismatch"), "{c:?}");
        let c = with_template(issuer, "not json", Dialect::KafkaJava);
        assert!(!has(&c, "assertion_multiple_audiences") && !has(&c, "assertion_audience_mismatch"), "{c:?}");
    }

    #[test]
    fn properties_and_classes_newer_than_the_client_are_named_with_the_release_that_added_them() {
        let kip1258 = [
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.login.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
            ),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
            ("sasl.oauthbearer.client.credentials.client.id", "app"),
            ("sasl.oauthbearer.assertion.private.key.file", "/k.pem"),
            ("sasl.oauthbearer.assertion.claim.iss", "app"),
            ("sasl.oauthbearer.assertion.claim.sub", "app"),
            ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/token"),
        ];
        let at = |version| {
            let ctx = ExplainContext { kafka_version: Some(version), ..Default::default() };
            explain(kip1258.iter().copied(), Dialect::KafkaJava, &ctx)
        };
        let errors = |found: &[Finding]| -> Vec<String> {
            found.iter().filter(|f| f.severity == Severity::Error).map(|f| f.code.clone()).collect()
        };
        assert!(errors(&at((4, 3))).is_empty(), "{:?}", at((4, 3)));
        // 4.1 and 4.2 know the names but use them for jwt-bearer only.
        assert_eq!(errors(&at((4, 2))), ["kip1258_not_in_client"]);
        // 3.9 knows none of them: one finding for the KIP-1139 group, the JAAS fix (client id).
        let found = at((3, 9));
        assert_eq!(errors(&found), ["property_missing_in_client"], "{found:?}");
        let f = found.iter().find(|f| f.code == "property_missing_in_client").unwrap();
        assert!(
            f.message.contains("Kafka's Java client 3.9 does not know sasl.oauthbearer.client.credentials.client.id, "),
            "{}",
            f.message
        );
        assert!(f.message.contains("(KIP-1139, Kafka 4.1)") && f.fix.contains("clientId="), "{f:?}");
        // 3.0: the token URL (KIP-768) too, and no token endpoint handler: two groups and the class.
        let c: Vec<String> = at((3, 0)).into_iter().map(|f| f.code).collect();
        assert_eq!(c.iter().filter(|c| *c == "property_missing_in_client").count(), 2, "{c:?}");
        assert!(c.contains(&"class_missing_in_client".to_owned()), "{c:?}");
        // A setting that does not decide authentication is a warning.
        let ctx = ExplainContext { kafka_version: Some((3, 8)), ..Default::default() };
        let found = explain([("sasl.oauthbearer.header.urlencode", "true")], Dialect::KafkaJava, &ctx);
        let f = found.iter().find(|f| f.code == "property_missing_in_client").unwrap();
        assert_eq!(f.severity, Severity::Warning, "{f:?}");
        // Unknown version: no finding of either kind.
        let c = codes(&kip1258, Dialect::KafkaJava, &ExplainContext::default());
        assert!(!c.iter().any(|c| c.contains("missing_in_client") || c == "kip1258_not_in_client"), "{c:?}");
    }
}
