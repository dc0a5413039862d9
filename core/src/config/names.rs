//! Property names, exactly as Kafka 4.3 (`SaslConfigs`) and librdkafka 2.15 (`CONFIGURATION.md`)
//! spell them.

/// The mechanism prefix Kafka's `ConfigurationUtils.get` tries first (`oauthbearer.<name>`).
pub const MECHANISM_PREFIX: &str = "oauthbearer.";

/// `sasl.jaas.config`.
pub const SASL_JAAS_CONFIG: &str = "sasl.jaas.config";
/// `sasl.oauthbearer.token.endpoint.url`.
pub const TOKEN_ENDPOINT_URL: &str = "sasl.oauthbearer.token.endpoint.url";
/// `sasl.oauthbearer.scope`.
pub const SCOPE: &str = "sasl.oauthbearer.scope";
/// `sasl.oauthbearer.client.credentials.client.id` (Java; a librdkafka alias).
pub const CLIENT_ID: &str = "sasl.oauthbearer.client.credentials.client.id";
/// `sasl.oauthbearer.client.credentials.client.secret` (Java; a librdkafka alias).
pub const CLIENT_SECRET: &str = "sasl.oauthbearer.client.credentials.client.secret";
/// `sasl.oauthbearer.header.urlencode` (Java, KIP-1025).
pub const HEADER_URLENCODE: &str = "sasl.oauthbearer.header.urlencode";
/// `sasl.oauthbearer.jwt.retriever.class` (Java).
pub const JWT_RETRIEVER_CLASS: &str = "sasl.oauthbearer.jwt.retriever.class";
/// The default retriever class.
pub const DEFAULT_JWT_RETRIEVER: &str = "org.apache.kafka.common.security.oauthbearer.DefaultJwtRetriever";
/// The package of Kafka's built-in retrievers.
pub const RETRIEVER_PACKAGE: &str = "org.apache.kafka.common.security.oauthbearer.";
/// `sasl.oauthbearer.sub.claim.name`.
pub const SUB_CLAIM_NAME: &str = "sasl.oauthbearer.sub.claim.name";
/// `sasl.oauthbearer.scope.claim.name`.
pub const SCOPE_CLAIM_NAME: &str = "sasl.oauthbearer.scope.claim.name";

/// `sasl.oauthbearer.assertion.algorithm`.
pub const ASSERTION_ALGORITHM: &str = "sasl.oauthbearer.assertion.algorithm";
/// `sasl.oauthbearer.assertion.claim.aud`.
pub const ASSERTION_CLAIM_AUD: &str = "sasl.oauthbearer.assertion.claim.aud";
/// `sasl.oauthbearer.assertion.claim.iss`.
pub const ASSERTION_CLAIM_ISS: &str = "sasl.oauthbearer.assertion.claim.iss";
/// `sasl.oauthbearer.assertion.claim.sub`.
pub const ASSERTION_CLAIM_SUB: &str = "sasl.oauthbearer.assertion.claim.sub";
/// `sasl.oauthbearer.assertion.claim.exp.seconds`.
pub const ASSERTION_CLAIM_EXP_SECONDS: &str = "sasl.oauthbearer.assertion.claim.exp.seconds";
/// `sasl.oauthbearer.assertion.claim.nbf.seconds`.
pub const ASSERTION_CLAIM_NBF_SECONDS: &str = "sasl.oauthbearer.assertion.claim.nbf.seconds";
/// `sasl.oauthbearer.assertion.claim.jti.include`.
pub const ASSERTION_CLAIM_JTI_INCLUDE: &str = "sasl.oauthbearer.assertion.claim.jti.include";
/// `sasl.oauthbearer.assertion.file`.
pub const ASSERTION_FILE: &str = "sasl.oauthbearer.assertion.file";
/// `sasl.oauthbearer.assertion.private.key.file`.
pub const ASSERTION_PRIVATE_KEY_FILE: &str = "sasl.oauthbearer.assertion.private.key.file";
/// `sasl.oauthbearer.assertion.private.key.passphrase`.
pub const ASSERTION_PRIVATE_KEY_PASSPHRASE: &str = "sasl.oauthbearer.assertion.private.key.passphrase";
/// `sasl.oauthbearer.assertion.template.file` (Java).
pub const ASSERTION_TEMPLATE_FILE: &str = "sasl.oauthbearer.assertion.template.file";

/// `sasl.login.retry.backoff.ms`.
pub const LOGIN_RETRY_BACKOFF_MS: &str = "sasl.login.retry.backoff.ms";
/// `sasl.login.retry.backoff.max.ms`.
pub const LOGIN_RETRY_BACKOFF_MAX_MS: &str = "sasl.login.retry.backoff.max.ms";
/// `sasl.login.connect.timeout.ms`.
pub const LOGIN_CONNECT_TIMEOUT_MS: &str = "sasl.login.connect.timeout.ms";
/// `sasl.login.read.timeout.ms`.
pub const LOGIN_READ_TIMEOUT_MS: &str = "sasl.login.read.timeout.ms";
/// `sasl.login.refresh.window.factor`.
pub const LOGIN_REFRESH_WINDOW_FACTOR: &str = "sasl.login.refresh.window.factor";
/// `sasl.login.refresh.window.jitter`.
pub const LOGIN_REFRESH_WINDOW_JITTER: &str = "sasl.login.refresh.window.jitter";
/// `sasl.login.refresh.min.period.seconds`.
pub const LOGIN_REFRESH_MIN_PERIOD_SECONDS: &str = "sasl.login.refresh.min.period.seconds";
/// `sasl.login.refresh.buffer.seconds`.
pub const LOGIN_REFRESH_BUFFER_SECONDS: &str = "sasl.login.refresh.buffer.seconds";

/// librdkafka `sasl.oauthbearer.method` (`default` or `oidc`).
pub const RDKAFKA_METHOD: &str = "sasl.oauthbearer.method";
/// librdkafka `sasl.oauthbearer.grant.type`.
pub const RDKAFKA_GRANT_TYPE: &str = "sasl.oauthbearer.grant.type";
/// librdkafka `sasl.oauthbearer.client.id`.
pub const RDKAFKA_CLIENT_ID: &str = "sasl.oauthbearer.client.id";
/// librdkafka `sasl.oauthbearer.client.secret`.
pub const RDKAFKA_CLIENT_SECRET: &str = "sasl.oauthbearer.client.secret";
/// librdkafka `sasl.oauthbearer.extensions` (`k=v,k2=v2`).
pub const RDKAFKA_EXTENSIONS: &str = "sasl.oauthbearer.extensions";
/// librdkafka `sasl.oauthbearer.assertion.jwt.template.file`.
pub const RDKAFKA_ASSERTION_TEMPLATE_FILE: &str = "sasl.oauthbearer.assertion.jwt.template.file";
/// librdkafka `sasl.oauthbearer.assertion.private.key.pem` (the key inline).
pub const ASSERTION_PRIVATE_KEY_PEM: &str = "sasl.oauthbearer.assertion.private.key.pem";

/// The jwt-bearer grant type URN (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The client assertion type URN (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Every name Kafka's Java client 4.3 knows under `sasl.oauthbearer.` and `sasl.login.` (the
/// broker-only validator names included, since one properties file often serves both), from
/// `SaslConfigs`. Anything else under those prefixes is ignored by Kafka with only a log line.
pub const JAVA_NAMES: &[&str] = &[
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    LOGIN_CONNECT_TIMEOUT_MS,
    LOGIN_READ_TIMEOUT_MS,
    LOGIN_RETRY_BACKOFF_MS,
    LOGIN_RETRY_BACKOFF_MAX_MS,
    LOGIN_REFRESH_WINDOW_FACTOR,
    LOGIN_REFRESH_WINDOW_JITTER,
    LOGIN_REFRESH_MIN_PERIOD_SECONDS,
    LOGIN_REFRESH_BUFFER_SECONDS,
    JWT_RETRIEVER_CLASS,
    "sasl.oauthbearer.jwt.validator.class",
    TOKEN_ENDPOINT_URL,
    SCOPE,
    CLIENT_ID,
    CLIENT_SECRET,
    HEADER_URLENCODE,
    ASSERTION_ALGORITHM,
    ASSERTION_CLAIM_AUD,
    ASSERTION_CLAIM_EXP_SECONDS,
    ASSERTION_CLAIM_ISS,
    ASSERTION_CLAIM_JTI_INCLUDE,
    ASSERTION_CLAIM_NBF_SECONDS,
    ASSERTION_CLAIM_SUB,
    ASSERTION_FILE,
    ASSERTION_PRIVATE_KEY_FILE,
    ASSERTION_PRIVATE_KEY_PASSPHRASE,
    ASSERTION_TEMPLATE_FILE,
    SCOPE_CLAIM_NAME,
    SUB_CLAIM_NAME,
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.allow.unverified.audience",
    "sasl.oauthbearer.allow.unverified.issuer",
];

/// Every name librdkafka 2.15 knows under `sasl.oauthbearer.` and `enable.sasl.oauthbearer.`
/// (`CONFIGURATION.md`), aliases included. librdkafka refuses any other name ("No such
/// configuration property") without suggesting one.
pub const LIBRDKAFKA_NAMES: &[&str] = &[
    RDKAFKA_METHOD,
    RDKAFKA_GRANT_TYPE,
    RDKAFKA_CLIENT_ID,
    CLIENT_ID,
    RDKAFKA_CLIENT_SECRET,
    CLIENT_SECRET,
    SCOPE,
    RDKAFKA_EXTENSIONS,
    TOKEN_ENDPOINT_URL,
    SUB_CLAIM_NAME,
    ASSERTION_ALGORITHM,
    ASSERTION_PRIVATE_KEY_FILE,
    ASSERTION_PRIVATE_KEY_PEM,
    ASSERTION_PRIVATE_KEY_PASSPHRASE,
    ASSERTION_FILE,
    ASSERTION_CLAIM_AUD,
    ASSERTION_CLAIM_ISS,
    ASSERTION_CLAIM_SUB,
    ASSERTION_CLAIM_EXP_SECONDS,
    ASSERTION_CLAIM_NBF_SECONDS,
    ASSERTION_CLAIM_JTI_INCLUDE,
    RDKAFKA_ASSERTION_TEMPLATE_FILE,
    "sasl.oauthbearer.metadata.authentication.type",
    "sasl.oauthbearer.config",
    "enable.sasl.oauthbearer.unsecure.jwt",
];

/// The same setting under the other client's name, where there is one: (Java, librdkafka).
pub const DIALECT_EQUIVALENTS: &[(&str, &str)] = &[
    (ASSERTION_TEMPLATE_FILE, RDKAFKA_ASSERTION_TEMPLATE_FILE),
    (CLIENT_ID, RDKAFKA_CLIENT_ID),
    (CLIENT_SECRET, RDKAFKA_CLIENT_SECRET),
];

/// The names `dialect` knows (see [`JAVA_NAMES`] and [`LIBRDKAFKA_NAMES`]).
pub fn known_names(dialect: super::Dialect) -> &'static [&'static str] {
    match dialect {
        super::Dialect::KafkaJava => JAVA_NAMES,
        super::Dialect::Librdkafka => LIBRDKAFKA_NAMES,
    }
}

/// The prefixes under which `dialect`'s names are all known (a name there that is not in
/// [`known_names`] is a misspelling or the other client's name).
pub fn checked_prefixes(dialect: super::Dialect) -> &'static [&'static str] {
    match dialect {
        super::Dialect::KafkaJava => &["sasl.oauthbearer.", "sasl.login."],
        super::Dialect::Librdkafka => &["sasl.oauthbearer.", "enable.sasl.oauthbearer."],
    }
}
