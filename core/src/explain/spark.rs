//! Spark's Kafka source and sink (`spark-sql-kafka-0-10`) and Databricks' shaded build of it: the
//! options are Kafka Java client properties behind a `kafka.` prefix, handed to a client whose
//! version comes with Spark's and, on Databricks, whose classes live under `kafkashaded.`.
//!
//! [`explain`] reads such options: it finds what Spark itself does with them (an option without
//! the prefix never reaches the client; a few it refuses), class names for the other build of the
//! client (plain on a shaded client and the reverse), then runs the Kafka Java rules on the
//! properties the client receives, at the client version the Spark release brings.

use std::collections::HashMap;

use super::{finding, ClientInfo, ClientLibrary, ExplainContext, Finding, Severity};

/// The prefix Spark strips (case-insensitively, then lower-cases the rest: its options are a
/// `CaseInsensitiveMap`) before handing an option to Kafka's client
/// (`KafkaSourceProvider.convertToSpecifiedParams`).
const OPTION_PREFIX: &str = "kafka.";
/// The package Databricks Runtime shades its Kafka client into.
const SHADED_KAFKA: &str = "kafkashaded.";
/// The package Databricks Runtime shades its copy of AWS's aws-msk-iam-auth into.
const SHADED_MSK_IAM: &str = "shadedmskiam.";
const KAFKA_PACKAGE: &str = "org.apache.kafka.";
const MSK_IAM_PACKAGE: &str = "software.amazon.msk.";

/// A release's `(major, minor)`.
type MajorMinor = (u32, u32);

/// The kafka-clients release each open-source Spark release's Kafka connector depends on:
/// `kafka.version` in `org.apache.spark:spark-parent` on Maven Central, read for every minor
/// release from 3.0 to 4.2 (patch releases of one minor share the minor: 3.2.0 has 2.8.0, 3.2.4
/// 2.8.1; 4.0.0 has 3.9.0, 4.0.1 3.9.1).
const SPARK_KAFKA_CLIENTS: &[(MajorMinor, MajorMinor)] = &[
    ((3, 0), (2, 4)),
    ((3, 1), (2, 6)),
    ((3, 2), (2, 8)),
    ((3, 3), (2, 8)),
    ((3, 4), (3, 3)),
    ((3, 5), (3, 4)),
    ((4, 0), (3, 9)),
    ((4, 1), (3, 9)),
    ((4, 2), (3, 9)),
];

/// The kafka-clients `(major, minor)` open-source Spark `spark_version` (`4.2.0`, `3.5.1-amzn-0`:
/// the leading numbers count) runs in its Kafka connector; `None` for a release not in the table
/// (or a version that does not start with a number).
pub fn spark_kafka_clients_version(spark_version: &str) -> Option<(u32, u32)> {
    let (major, minor, _) = super::parse_version(spark_version).ok()?;
    kafka_clients_of((major, minor))
}

/// [`spark_kafka_clients_version`] of a Spark `(major, minor)`.
fn kafka_clients_of(spark: MajorMinor) -> Option<MajorMinor> {
    SPARK_KAFKA_CLIENTS.iter().find(|(release, _)| *release == spark).map(|(_, kafka)| *kafka)
}

/// Whether `properties` are Spark Kafka options: the client is named as Spark or Databricks, or a
/// name carries Spark's `kafka.` prefix (Kafka's Java client has no property of that name).
pub(super) fn applies(properties: &[(&str, &str)], client: Option<&ClientInfo>) -> bool {
    matches!(client.map(|c| c.library), Some(ClientLibrary::Spark | ClientLibrary::Databricks))
        || properties.iter().any(|(name, _)| strip_option_prefix(name).is_some())
}

/// Kafka options Spark refuses itself, before any client is made (`KafkaSourceProvider`): it
/// manages offsets, commits and (de)serialization on its own.
const REFUSED_BY_SPARK: &[(&str, &str)] = &[
    ("auto.offset.reset", "set the source option startingOffsets to earliest or latest instead"),
    ("enable.auto.commit", "remove it: Spark tracks offsets in its checkpoint"),
    ("interceptor.classes", "remove it: Spark refuses interceptors, which can change records"),
    ("key.deserializer", "remove it and deserialize the key column with DataFrame operations"),
    ("value.deserializer", "remove it and deserialize the value column with DataFrame operations"),
    ("key.serializer", "remove it and serialize the key column before the sink (Spark writes bytes)"),
    ("value.serializer", "remove it and serialize the value column before the sink (Spark writes bytes)"),
];

/// The findings for Spark Kafka options: Spark's own, then the Kafka Java rules (`java_rules`)
/// on what the client receives.
pub(super) fn explain(
    properties: &[(&str, &str)],
    client: Option<&ClientInfo>,
    context: &ExplainContext<'_>,
    java_rules: impl FnOnce(&[(&str, &str)], &ExplainContext<'_>) -> Vec<Finding>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // What the client receives: Spark drops the prefix and lower-cases the name; of names that are
    // then equal, the last one given wins (its options are a map).
    let mut received: Vec<(String, &str)> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    for &(name, value) in properties {
        if let Some(kafka_name) = strip_option_prefix(name) {
            let kafka_name = kafka_name.to_ascii_lowercase();
            match position.get(&kafka_name) {
                Some(&at) => received[at].1 = value,
                None => {
                    position.insert(kafka_name.clone(), received.len());
                    received.push((kafka_name, value));
                }
            }
        } else if is_client_property(name) {
            out.push(finding(
                Severity::Error,
                "spark_unprefixed_option",
                format!(
                    "{name} has no kafka. prefix: Spark passes only kafka.-prefixed options to the Kafka client, so \
                     the client never sees it"
                ),
                format!("name it kafka.{name}"),
            ));
        }
    }
    for (name, _) in &received {
        if let Some((_, fix)) = REFUSED_BY_SPARK.iter().find(|(refused, _)| refused == name) {
            out.push(finding(
                Severity::Error,
                "spark_unsupported_option",
                format!("Spark refuses kafka.{name} (\"Kafka option '{name}' is not supported\")"),
                *fix,
            ));
        }
    }
    let shaded = client_is_shaded(client, &received);
    for (name, value) in &received {
        out.extend(class_for_other_build(name, value, shaded));
    }
    let mut out = at_most_per_code(out);
    // The Kafka Java rules see the classes as the client's own build names them.
    let unshaded: Vec<(&str, &str)> = received.iter().map(|(name, value)| (name.as_str(), unshade(value))).collect();
    let kafka_version = context.kafka_version.or_else(|| match client {
        Some(ClientInfo { library: ClientLibrary::Spark, version: Some((major, minor, _)) }) => {
            kafka_clients_of((*major, *minor))
        }
        _ => None,
    });
    let kafka_clients_version = kafka_version.map(|(major, minor)| format!("{major}.{minor}.0"));
    // Spark's client is Kafka's Java client; a client named otherwise (or a name or version that
    // does not parse) is passed on as given, for the Java rules to judge and report.
    let spark_client = match (context.client, client) {
        (None, _) => true,
        (Some(_), Some(info)) => matches!(info.library, ClientLibrary::Spark | ClientLibrary::Databricks),
        (Some(_), None) => false,
    };
    let inner = if spark_client {
        ExplainContext {
            kafka_version,
            client: Some(ClientLibrary::KafkaJava.as_str()),
            client_version: kafka_clients_version.as_deref(),
            ..context.clone()
        }
    } else {
        ExplainContext { kafka_version, ..context.clone() }
    };
    out.extend(java_rules(&unshaded, &inner).into_iter().map(|mut f| {
        // Spark starts the JVMs: their options are Spark configuration.
        if let Some(option) = f.fix.strip_prefix("start the JVM with ") {
            f.fix = format!(
                "add {option} to spark.driver.extraJavaOptions and spark.executor.extraJavaOptions (the JVMs of the \
                 driver and the executors; oauthbearer.spark.spark_conf gives them)"
            );
        }
        f
    }));
    out
}

/// At most [`super::MAX_UNKNOWN_NAMES`] findings of each code, then one that counts the rest (a
/// hostile or generated file cannot make the answer huge).
fn at_most_per_code(findings: Vec<Finding>) -> Vec<Finding> {
    let mut kept: Vec<Finding> = Vec::new();
    let mut left_out: Vec<(String, Severity, usize)> = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for f in findings {
        let count = counts.entry(f.code.clone()).or_default();
        *count += 1;
        if *count <= super::MAX_UNKNOWN_NAMES {
            kept.push(f);
        } else if let Some(entry) = left_out.iter_mut().find(|(code, _, _)| *code == f.code) {
            entry.2 += 1;
        } else {
            left_out.push((f.code, f.severity, 1));
        }
    }
    kept.extend(left_out.into_iter().map(|(code, severity, more)| {
        finding(
            severity,
            &code,
            format!("{more} more options with the same problem ({code})"),
            "see the findings above",
        )
    }));
    kept
}

/// The name behind Spark's `kafka.` prefix, matched as Spark matches it (any case).
fn strip_option_prefix(name: &str) -> Option<&str> {
    let head = name.get(..OPTION_PREFIX.len())?;
    head.eq_ignore_ascii_case(OPTION_PREFIX).then(|| &name[OPTION_PREFIX.len()..]).filter(|rest| !rest.is_empty())
}

/// A Kafka client property written as a Spark option without its prefix (Spark's own options,
/// `subscribe`, `startingOffsets`, `topic` …, have none of these names).
fn is_client_property(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["sasl.", "ssl."].iter().any(|p| lower.starts_with(p))
        || ["bootstrap.servers", "security.protocol", "group.id", "client.id"].contains(&lower.as_str())
}

/// Whether the cluster's Kafka client is shaded: Databricks' is, open-source Spark's is not;
/// unnamed, a `kafkashaded.` class in the options says it is (only Databricks ships one).
fn client_is_shaded(client: Option<&ClientInfo>, received: &[(String, &str)]) -> Option<bool> {
    match client.map(|c| c.library) {
        Some(ClientLibrary::Databricks) => Some(true),
        Some(ClientLibrary::Spark) => Some(false),
        _ => received.iter().any(|(_, value)| value.starts_with(SHADED_KAFKA)).then_some(true),
    }
}

/// A class named for the other build of the client: a plain Kafka (or aws-msk-iam-auth) class on
/// Databricks' shaded client, or a shaded one on open-source Spark's plain client. `value` is a
/// class name, or a JAAS configuration whose first word is the login module's class.
fn class_for_other_build(name: &str, value: &str, shaded: Option<bool>) -> Option<Finding> {
    let class = value.split_whitespace().next()?;
    let names_class = name.ends_with(".class") || name == "sasl.jaas.config";
    if !names_class {
        return None;
    }
    let plain_package = [KAFKA_PACKAGE, MSK_IAM_PACKAGE].into_iter().find(|p| class.starts_with(p));
    let shaded_package = [SHADED_KAFKA, SHADED_MSK_IAM].into_iter().find(|p| class.starts_with(p));
    match (shaded, plain_package, shaded_package) {
        (Some(true), Some(package), _) => {
            let prefix = if package == KAFKA_PACKAGE { SHADED_KAFKA } else { SHADED_MSK_IAM };
            Some(finding(
                Severity::Error,
                "plain_class_on_shaded_client",
                format!(
                    "kafka.{name} names {class}, but the cluster's Kafka client is shaded (Databricks: \
                     {SHADED_KAFKA}org.apache.kafka…): the plain class is not its class (ClassNotFoundException, or \
                     ClassCastException when a plain kafka-clients jar is on the cluster)"
                ),
                format!("name the shaded class: {prefix}{class}"),
            ))
        }
        (Some(false), _, Some(prefix)) => Some(finding(
            Severity::Error,
            "shaded_class_on_plain_client",
            format!(
                "kafka.{name} names {class}, a class of Databricks' shaded Kafka client; open-source Spark's client \
                 (EMR, Dataproc, self-hosted) is not shaded and has no such class (ClassNotFoundException)"
            ),
            format!("name the plain class: {}", &class[prefix.len()..]),
        )),
        _ => None,
    }
}

/// `value` with a shaded package prefix removed (what the class is called in the plain client).
/// Values arrive trimmed ([`super::explain`] trims them).
fn unshade(value: &str) -> &str {
    [SHADED_KAFKA, SHADED_MSK_IAM].into_iter().find_map(|p| value.strip_prefix(p)).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::super::{explain as explain_all, ExplainContext, Finding, Severity};
    use super::spark_kafka_clients_version;
    use crate::config::Dialect;

    const HANDLER: &str = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";
    const MODULE: &str = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

    /// What `oauthbearer.spark.kafka_options` gives, with `shade` before the two classes.
    fn options(shade: &str) -> Vec<(String, String)> {
        vec![
            ("kafka.bootstrap.servers".into(), "broker:9093".into()),
            ("kafka.security.protocol".into(), "SASL_SSL".into()),
            ("kafka.sasl.mechanism".into(), "OAUTHBEARER".into()),
            ("kafka.sasl.login.callback.handler.class".into(), format!("{shade}{HANDLER}")),
            ("kafka.sasl.oauthbearer.token.endpoint.url".into(), "http://127.0.0.1:14293/token".into()),
            ("kafka.sasl.login.retry.backoff.max.ms".into(), "120000".into()),
            (
                "kafka.sasl.jaas.config".into(),
                format!("{shade}{MODULE} required clientId=\"unused\" clientSecret=\"unused\";"),
            ),
            ("subscribe".into(), "events".into()),
            ("startingOffsets".into(), "earliest".into()),
        ]
    }

    fn run(props: &[(String, String)], client: Option<&str>, version: Option<&str>) -> Vec<Finding> {
        let context = ExplainContext { client, client_version: version, ..Default::default() };
        explain_all(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), Dialect::KafkaJava, &context)
    }

    /// The error-level codes.
    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn spark_versions_map_to_the_kafka_clients_their_connector_runs() {
        assert_eq!(spark_kafka_clients_version("4.2.0"), Some((3, 9)));
        assert_eq!(spark_kafka_clients_version("3.5.1-amzn-0"), Some((3, 4)));
        assert_eq!(spark_kafka_clients_version("3.3.2"), Some((2, 8)));
        assert_eq!(spark_kafka_clients_version("3.0.0"), Some((2, 4)));
        assert_eq!(spark_kafka_clients_version("2.4.8"), None);
        assert_eq!(spark_kafka_clients_version("9.0"), None);
        assert_eq!(spark_kafka_clients_version("latest"), None);
    }

    #[test]
    fn kafka_options_as_given_have_no_errors_on_the_build_they_are_for() {
        for (shade, client) in
            [("", Some("spark")), ("", None), ("kafkashaded.", Some("databricks")), ("kafkashaded.", None)]
        {
            let found = run(&options(shade), client, Some("4.2.0").filter(|_| client == Some("spark")));
            assert!(found.iter().all(|f| f.severity != Severity::Error), "{shade} {client:?}: {found:?}");
        }
    }

    #[test]
    fn a_class_for_the_other_build_is_an_error_with_the_right_name_in_the_fix() {
        // Plain classes on Databricks (named, or inferred from one shaded class beside them).
        let found = run(&options(""), Some("databricks"), None);
        assert_eq!(codes(&found), ["plain_class_on_shaded_client", "plain_class_on_shaded_client"], "{found:?}");
        assert!(found[0].fix.contains(&format!("kafkashaded.{HANDLER}")), "{}", found[0].fix);
        let mut mixed = options("");
        mixed[6].1 = format!("kafkashaded.{}", mixed[6].1);
        let found = run(&mixed, None, None);
        assert_eq!(codes(&found), ["plain_class_on_shaded_client"], "{found:?}");
        assert!(found[0].message.contains("kafka.sasl.login.callback.handler.class"), "{}", found[0].message);
        // Shaded classes on open-source Spark.
        let found = run(&options("kafkashaded."), Some("spark"), Some("4.2.0"));
        assert_eq!(codes(&found), ["shaded_class_on_plain_client", "shaded_class_on_plain_client"], "{found:?}");
        assert_eq!(found[0].fix, format!("name the plain class: {HANDLER}"));
        // AWS's library on Databricks is its shadedmskiam copy.
        let msk = [
            ("kafka.sasl.mechanism".to_owned(), "AWS_MSK_IAM".to_owned()),
            ("kafka.sasl.jaas.config".to_owned(), "software.amazon.msk.auth.iam.IAMLoginModule required;".to_owned()),
        ];
        let found = run(&msk, Some("databricks"), None);
        assert_eq!(codes(&found), ["plain_class_on_shaded_client"], "{found:?}");
        assert!(found[0].fix.contains("shadedmskiam.software.amazon.msk.auth.iam.IAMLoginModule"), "{}", found[0].fix);
    }

    #[test]
    fn unprefixed_and_refused_options_are_named() {
        let mut props = options("");
        props.push(("sasl.oauthbearer.scope".into(), "kafka".into()));
        props.push(("kafka.auto.offset.reset".into(), "earliest".into()));
        props.push(("KAFKA.Enable.Auto.Commit".into(), "false".into()));
        let found = run(&props, None, None);
        assert_eq!(
            codes(&found),
            ["spark_unprefixed_option", "spark_unsupported_option", "spark_unsupported_option"],
            "{found:?}"
        );
        assert_eq!(found[0].fix, "name it kafka.sasl.oauthbearer.scope");
        // Spark's own options (subscribe, startingOffsets) are not client properties.
        assert!(found.iter().all(|f| !f.message.contains("subscribe")));
    }

    #[test]
    fn many_bad_options_give_a_bounded_answer_and_the_last_of_equal_names_wins() {
        let props: Vec<(String, String)> = (0..1000).map(|i| (format!("sasl.x{i}"), "v".to_owned())).collect();
        let found = run(&props, Some("spark"), None);
        assert_eq!(found.len(), super::super::MAX_UNKNOWN_NAMES + 1, "{:?}", found.last());
        assert_eq!(
            found.last().map(|f| f.message.as_str()),
            Some("968 more options with the same problem (spark_unprefixed_option)")
        );
        // Spark's options are a case-insensitive map: the later KAFKA.… replaces the earlier kafka.….
        let mut props = options("kafkashaded.");
        props.push(("KAFKA.SASL.LOGIN.CALLBACK.HANDLER.CLASS".into(), HANDLER.into()));
        let found = run(&props, Some("databricks"), None);
        assert_eq!(codes(&found), ["plain_class_on_shaded_client"], "{found:?}");
    }

    #[test]
    fn a_client_name_or_version_that_does_not_parse_is_reported_in_spark_options_too() {
        for (client, version) in [("sparc", None), ("spark", Some("x"))] {
            let found = run(&options(""), Some(client), version);
            assert!(found.iter().any(|f| f.code == "invalid_config" && f.severity == Severity::Error), "{found:?}");
        }
    }

    #[test]
    fn the_java_rules_run_on_what_the_client_receives_at_the_connectors_version() {
        // Spark 3.4 runs kafka-clients 3.3: the handler in the oauthbearer package is not there yet;
        // the fix names the secured. one, which is.
        let found = run(&options(""), Some("spark"), Some("3.4.1"));
        assert_eq!(codes(&found), ["class_missing_in_client"], "{found:?}");
        assert!(found[0].fix.contains("oauthbearer.secured.OAuthBearerLoginCallbackHandler"), "{}", found[0].fix);
        // The same on Databricks' shaded names, with the client's version given.
        let context = ExplainContext { client: Some("databricks"), kafka_version: Some((3, 3)), ..Default::default() };
        let props = options("kafkashaded.");
        let found = explain_all(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), Dialect::KafkaJava, &context);
        assert_eq!(codes(&found), ["class_missing_in_client"], "{found:?}");
        // Spark 3.0 (kafka-clients 2.4) has no token endpoint handler at all.
        let found = run(&options(""), Some("spark"), Some("3.0.3"));
        assert!(found[0].fix.contains("Kafka 3.4 or later"), "{found:?}");
        // The JVM options are Spark configuration.
        let found = run(&options(""), Some("spark"), None);
        let allowed =
            found.iter().find(|f| f.code == "allowed_urls_required").expect("kafka-clients unknown: maybe 4.x");
        assert!(allowed.fix.starts_with("add -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:14293/token to spark.driver.extraJavaOptions"), "{}", allowed.fix);
        // A forgotten handler is found behind the prefix as without it.
        let without: Vec<_> = options("").into_iter().filter(|(k, _)| !k.ends_with("handler.class")).collect();
        assert!(codes(&run(&without, Some("spark"), Some("4.2.0"))).contains(&"unsecured_login_handler"));
    }
}
