use super::*;

const KEY: &str = "sasl.oauthbearer.assertion.private.key.file";
const URL: (&str, &str) = ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token");

fn java(props: &[(&str, &str)]) -> Result<Config> {
    Config::from_properties(props.iter().copied().chain([URL]), Dialect::KafkaJava)
}

fn java_compat(props: &[(&str, &str)]) -> Result<Config> {
    Config::from_properties_with(props.iter().copied().chain([URL]), Dialect::KafkaJava, Mode::KafkaCompatible)
}

fn rdkafka(props: &[(&str, &str)]) -> Result<Config> {
    Config::from_properties(
        props.iter().copied().chain([URL, ("sasl.oauthbearer.method", "oidc")]),
        Dialect::Librdkafka,
    )
}

fn code<T>(r: Result<T>) -> &'static str {
    r.err().map_or("ok", |e| e.code())
}

fn ok(r: Result<Config>) -> Config {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn java_defaults() {
    let c = ok(java(&[(CLIENT_ID, "id"), (CLIENT_SECRET, "secret")]));
    assert_eq!(c.grant, GrantPath::ClientSecret);
    assert_eq!(c.assertion.algorithm, Algorithm::RS256);
    assert_eq!((c.assertion.exp_seconds, c.assertion.nbf_seconds, c.assertion.jti_include), (300, 60, false));
    assert_eq!((c.retry_backoff_ms, c.retry_backoff_max_ms), (100, 10_000));
    assert_eq!(c.refresh, RefreshConfig::default());
    assert_eq!((c.sub_claim_name.as_str(), c.scope_claim_name.as_str()), ("sub", "scope"));
    assert!(!c.header_urlencode);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn grant_path_is_decided_as_kafka_4_3_does() {
    // claim.iss turns on KIP-1258.
    let c = ok(java(&[
        (ASSERTION_CLAIM_ISS, "me"),
        (ASSERTION_CLAIM_SUB, "me"),
        (ASSERTION_CLAIM_AUD, "a"),
        (KEY, "/k.pem"),
    ]));
    assert_eq!(c.grant, GrantPath::ClientAssertion(AssertionSource::Signed));
    // assertion.file turns it on too; the file wins over iss (strict refuses the pair).
    let c = ok(java(&[(ASSERTION_FILE, "/a.jwt")]));
    assert_eq!(c.grant, GrantPath::ClientAssertion(AssertionSource::File("/a.jwt".into())));
    assert_eq!(code(java(&[(ASSERTION_FILE, "/a.jwt"), (ASSERTION_CLAIM_ISS, "me")])), "ineffective_config");
    let c = ok(java_compat(&[(ASSERTION_FILE, "/a.jwt"), (ASSERTION_CLAIM_ISS, "me")]));
    assert_eq!(c.grant, GrantPath::ClientAssertion(AssertionSource::File("/a.jwt".into())));
    assert!(!c.warnings.is_empty());
    // jwt-bearer only when the retriever class says so.
    let c = ok(java(&[
        (JWT_RETRIEVER_CLASS, "org.apache.kafka.common.security.oauthbearer.JwtBearerJwtRetriever"),
        (KEY, "/k.pem"),
        (ASSERTION_CLAIM_SUB, "s"),
        (ASSERTION_CLAIM_AUD, "a"),
    ]));
    assert_eq!(c.grant, GrantPath::JwtBearer(AssertionSource::Signed));
    // A file: URL reads a pre-issued token.
    let c = ok(Config::from_properties(
        [("sasl.oauthbearer.token.endpoint.url", "file:///var/run/token.jwt")],
        Dialect::KafkaJava,
    ));
    assert_eq!(c.grant, GrantPath::TokenFile("/var/run/token.jwt".into()));
    assert_eq!(code(java(&[(JWT_RETRIEVER_CLASS, "com.example.MyRetriever")])), "invalid_config");
}

#[test]
fn the_key_file_trap_is_an_error_in_strict_mode() {
    // Only a key file: Kafka silently takes the secret path.
    let err =
        java(&[(KEY, "/k.pem"), (CLIENT_ID, "id"), (CLIENT_SECRET, "s")]).err().unwrap_or_else(|| panic!("accepted"));
    assert_eq!(err.code(), "ineffective_config");
    assert!(err.message().contains(ASSERTION_CLAIM_ISS), "{err}");
    // Compatible mode does what Kafka does (and then needs the secret).
    let c = ok(java_compat(&[(KEY, "/k.pem"), (CLIENT_ID, "id"), (CLIENT_SECRET, "s")]));
    assert_eq!(c.grant, GrantPath::ClientSecret);
    assert_eq!(code(java_compat(&[(KEY, "/k.pem"), (CLIENT_ID, "id")])), "missing_config");
    // Other ineffective settings.
    assert_eq!(code(java(&[(ASSERTION_FILE, "/a.jwt"), (KEY, "/k.pem")])), "ineffective_config");
    assert_eq!(code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k.pem"), (CLIENT_SECRET, "s")])), "ineffective_config");
    assert_eq!(
        code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k.pem"), (RDKAFKA_ASSERTION_TEMPLATE_FILE, "/t.json")])),
        "ineffective_config"
    );
}

#[test]
fn missing_and_invalid_values() {
    assert_eq!(code(java(&[(CLIENT_ID, "id")])), "missing_config");
    assert_eq!(code(java(&[(ASSERTION_CLAIM_ISS, "me")])), "missing_config");
    assert_eq!(
        code(Config::from_properties([(CLIENT_ID, "id"), (CLIENT_SECRET, "s")], Dialect::KafkaJava)),
        "missing_config"
    );
    assert_eq!(
        code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k"), (ASSERTION_CLAIM_EXP_SECONDS, "86401")])),
        "invalid_config"
    );
    assert_eq!(
        code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k"), (ASSERTION_CLAIM_NBF_SECONDS, "-1")])),
        "invalid_config"
    );
    assert_eq!(
        code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k"), (ASSERTION_CLAIM_JTI_INCLUDE, "yes")])),
        "invalid_config"
    );
    assert_eq!(
        code(java(&[(ASSERTION_CLAIM_ISS, "me"), (KEY, "/k"), (ASSERTION_ALGORITHM, "HS256")])),
        "invalid_algorithm"
    );
    assert_eq!(
        code(java(&[(CLIENT_ID, "i"), (CLIENT_SECRET, "s"), (LOGIN_REFRESH_WINDOW_FACTOR, "0.4")])),
        "invalid_config"
    );
    assert_eq!(
        code(java(&[
            (CLIENT_ID, "i"),
            (CLIENT_SECRET, "s"),
            (LOGIN_RETRY_BACKOFF_MS, "200"),
            (LOGIN_RETRY_BACKOFF_MAX_MS, "100")
        ])),
        "invalid_config"
    );
    assert_eq!(
        code(Config::from_properties(
            [(TOKEN_ENDPOINT_URL, "ftp://x"), (CLIENT_ID, "i"), (CLIENT_SECRET, "s")],
            Dialect::KafkaJava
        )),
        "invalid_config"
    );
    // Ranges accept their bounds.
    let c = ok(java(&[
        (ASSERTION_CLAIM_ISS, "me"),
        (KEY, "/k"),
        (ASSERTION_CLAIM_EXP_SECONDS, " 86400 "),
        (ASSERTION_CLAIM_NBF_SECONDS, "3600"),
        (ASSERTION_CLAIM_SUB, "s"),
        (ASSERTION_CLAIM_AUD, "a"),
    ]));
    assert_eq!((c.assertion.exp_seconds, c.assertion.nbf_seconds), (86_400, 3_600));
}

#[test]
fn mechanism_prefix_wins_and_blank_is_absent() {
    let c = ok(java(&[
        (CLIENT_ID, "plain"),
        ("oauthbearer.sasl.oauthbearer.client.credentials.client.id", " prefixed "),
        (CLIENT_SECRET, "s"),
        (SCOPE, "   "),
    ]));
    assert_eq!(c.client_id.as_deref(), Some("prefixed"));
    assert_eq!(c.scope, None);
}

#[test]
fn jaas_fallbacks_and_extensions() {
    let jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
                clientId=\"jaas-id\" clientSecret=\"jaas-secret\" scope=\"openid profile\" \
                extension_logicalCluster=\"lkc-1\" extension_identityPoolId=\"pool-2\";";
    let c = ok(java(&[(SASL_JAAS_CONFIG, jaas)]));
    assert_eq!(c.client_id.as_deref(), Some("jaas-id"));
    assert_eq!(c.client_secret.as_ref().map(Secret::expose), Some("jaas-secret"));
    assert_eq!(c.scope.as_deref(), Some("openid profile"));
    assert_eq!(
        c.extensions,
        [("logicalCluster".to_owned(), "lkc-1".to_owned()), ("identityPoolId".to_owned(), "pool-2".to_owned())]
    );
    // The config property wins, with a warning.
    let c = ok(java(&[(SASL_JAAS_CONFIG, jaas), (CLIENT_ID, "config-id")]));
    assert_eq!(c.client_id.as_deref(), Some("config-id"));
    assert!(c.warnings.iter().any(|w| w.contains("clientId")));
    assert_eq!(code(java(&[(SASL_JAAS_CONFIG, "broken")])), "invalid_jaas_config");
}

#[test]
fn lowercase_algorithm_is_canonicalised_with_a_warning() {
    let c = ok(java(&[
        (ASSERTION_CLAIM_ISS, "me"),
        (KEY, "/k"),
        (ASSERTION_ALGORITHM, "es256"),
        (ASSERTION_CLAIM_SUB, "s"),
        (ASSERTION_CLAIM_AUD, "a"),
    ]));
    assert_eq!(c.assertion.algorithm, Algorithm::ES256);
    assert!(c.warnings.iter().any(|w| w.contains("\"alg\":\"es256\"")), "{:?}", c.warnings);
}

#[test]
fn librdkafka_dialect() {
    let c = ok(rdkafka(&[(RDKAFKA_CLIENT_ID, "id"), (RDKAFKA_CLIENT_SECRET, "s"), (RDKAFKA_EXTENSIONS, "a=1,b=2")]));
    assert_eq!(c.grant, GrantPath::ClientSecret);
    assert_eq!(c.extensions, [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]);
    // Aliases.
    let c = ok(rdkafka(&[(CLIENT_ID, "id"), (CLIENT_SECRET, "s")]));
    assert_eq!(c.client_id.as_deref(), Some("id"));
    // jwt-bearer with an inline key and librdkafka's template name.
    let c = ok(rdkafka(&[
        (RDKAFKA_GRANT_TYPE, JWT_BEARER_GRANT),
        (ASSERTION_PRIVATE_KEY_PEM, "-----BEGIN PRIVATE KEY-----"),
        (RDKAFKA_ASSERTION_TEMPLATE_FILE, "/t.json"),
    ]));
    assert_eq!(c.grant, GrantPath::JwtBearer(AssertionSource::Signed));
    assert_eq!(c.assertion.template_file.as_deref(), Some("/t.json"));
    // assertion.file is exclusive with every other assertion setting.
    assert_eq!(
        code(rdkafka(&[(RDKAFKA_GRANT_TYPE, JWT_BEARER_GRANT), (ASSERTION_FILE, "/a"), (ASSERTION_CLAIM_SUB, "s")])),
        "invalid_config"
    );
    assert_eq!(
        code(rdkafka(&[(RDKAFKA_GRANT_TYPE, JWT_BEARER_GRANT), (KEY, "/k"), (ASSERTION_PRIVATE_KEY_PEM, "x")])),
        "invalid_config"
    );
    // exp.seconds is 1.. in librdkafka.
    assert_eq!(
        code(rdkafka(&[(RDKAFKA_GRANT_TYPE, JWT_BEARER_GRANT), (KEY, "/k"), (ASSERTION_CLAIM_EXP_SECONDS, "0")])),
        "invalid_config"
    );
    // No KIP-1258 in librdkafka: an assertion key on client_credentials is ineffective.
    assert_eq!(
        code(rdkafka(&[(RDKAFKA_CLIENT_ID, "id"), (RDKAFKA_CLIENT_SECRET, "s"), (KEY, "/k")])),
        "ineffective_config"
    );
    // method must be oidc.
    assert_eq!(code(Config::from_properties([URL], Dialect::Librdkafka)), "invalid_config");
}

#[test]
fn errors_never_contain_secret_values() {
    let jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientSecret=\"hunter2\"";
    let err = java(&[(SASL_JAAS_CONFIG, jaas)]).err().unwrap_or_else(|| panic!("accepted"));
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    let c =
        ok(java(&[(CLIENT_ID, "id"), (CLIENT_SECRET, "hunter2"), (ASSERTION_PRIVATE_KEY_PASSPHRASE, "pass-hunter3")]));
    assert!(!format!("{c:?}").contains("hunter"), "{c:?}");
}
