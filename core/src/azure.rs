//! Azure Event Hubs' Kafka endpoint with Entra ID: the namespace a bootstrap server names, and the
//! one scope its tokens must be requested for.
//!
//! Event Hubs takes a plain Entra ID access token whose audience is the namespace,
//! `https://<namespace>.servicebus.windows.net`, so the token request's scope must be
//! `https://<namespace>.servicebus.windows.net/.default` (Azure/azure-sdk-for-java#29695). A wrong
//! scope is the most common Event Hubs mistake: `https://eventhubs.azure.net/.default` (what
//! non-Kafka Event Hubs clients use), the scope without `/.default`, or with the `:9093` port.

use crate::error::{Error, ErrorKind, Result};

/// The DNS suffixes of Event Hubs namespaces: the public cloud, Azure China and Azure US
/// Government.
pub const EVENTHUBS_SUFFIXES: &[&str] =
    &[".servicebus.windows.net", ".servicebus.chinacloudapi.cn", ".servicebus.usgovcloudapi.net"];

/// The Event Hubs namespace host (`<namespace>.servicebus.windows.net`, lower case) named by the
/// first entry of `bootstrap_servers` (`host:port[,host:port…]`), or `None` when it is not an
/// Event Hubs namespace.
pub fn eventhubs_namespace_host(bootstrap_servers: &str) -> Option<String> {
    let first = bootstrap_servers.split(',').next()?.trim();
    // A scheme some clients accept (`SASL_SSL://host:9093`) is not part of the host.
    let without_scheme = first.rsplit_once("://").map_or(first, |(_, rest)| rest);
    let host = without_scheme.split(':').next()?.trim_end_matches('.').to_ascii_lowercase();
    let suffix = EVENTHUBS_SUFFIXES.iter().find(|s| host.ends_with(*s))?;
    let namespace = &host[..host.len() - suffix.len()];
    is_namespace_name(namespace).then_some(host)
}

/// Event Hubs namespace names: 6 to 50 letters, digits and hyphens, starting with a letter and
/// ending with a letter or digit (Azure's naming rules for `Microsoft.EventHub/namespaces`).
fn is_namespace_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (6..=50).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// The scope a token for the namespace of `bootstrap_servers` must be requested with:
/// `https://<namespace host>/.default`.
///
/// # Errors
/// `invalid_config` when `bootstrap_servers` does not name an Event Hubs namespace.
pub fn eventhubs_scope(bootstrap_servers: &str) -> Result<String> {
    match eventhubs_namespace_host(bootstrap_servers) {
        Some(host) => Ok(format!("https://{host}/.default")),
        None => Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "bootstrap server {:?} is not an Event Hubs namespace (<namespace>.servicebus.windows.net:9093)",
                bootstrap_servers.split(',').next().unwrap_or_default().trim()
            ),
        )),
    }
}

/// Checks that `scope` is the one Event Hubs accepts for the namespace of `bootstrap_servers`.
///
/// # Errors
/// `invalid_config` naming the scope to use instead, or when `bootstrap_servers` is not an Event
/// Hubs namespace.
pub fn check_eventhubs_scope(scope: &str, bootstrap_servers: &str) -> Result<()> {
    let expected = eventhubs_scope(bootstrap_servers)?;
    if scope.trim().eq_ignore_ascii_case(&expected) {
        return Ok(());
    }
    let why = if scope.contains("eventhubs.azure.net") {
        " (that is the scope of Event Hubs' AMQP and HTTP clients; its Kafka endpoint wants the namespace)"
    } else if !scope.trim_end_matches('/').ends_with("/.default") {
        " (Entra's client credentials and managed identity scopes end with /.default)"
    } else {
        ""
    };
    Err(Error::new(
        ErrorKind::InvalidConfig,
        format!("scope {scope:?} is not the Event Hubs namespace's; use {expected}{why}"),
    ))
}

/// The scope to request tokens for the Event Hubs namespace of `bootstrap_servers` with: `scope`
/// when one is given and right for the namespace, else the namespace's own.
///
/// # Errors
/// `invalid_config` when `bootstrap_servers` is not an Event Hubs namespace or `scope` is not its
/// scope.
pub fn eventhubs_token_scope(bootstrap_servers: &str, scope: Option<&str>) -> Result<String> {
    match scope.map(str::trim).filter(|s| !s.is_empty()) {
        Some(scope) => check_eventhubs_scope(scope, bootstrap_servers).map(|()| scope.to_owned()),
        None => eventhubs_scope(bootstrap_servers),
    }
}

/// The message for an Azure SDK credential failure: Entra's `AADSTS<digits>` code when the SDK's
/// message has one, the SDK error's type name, and the SDK's own diagnosis when it made one
/// ([`crate::response::credential_failure`]; `secrets` are removed by value). Entra's answer
/// itself is not quoted: it can echo what the client sent.
pub fn credential_failure_message(error_name: &str, sdk_message: &str, secrets: &[&str]) -> String {
    let code = sdk_message.match_indices("AADSTS").find_map(|(at, prefix)| {
        let digits = sdk_message[at + prefix.len()..].bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0).then(|| &sdk_message[at..at + prefix.len() + digits])
    });
    let source = match code {
        Some(code) => format!("Azure credentials ({code})"),
        None => "Azure credentials".to_owned(),
    };
    crate::response::credential_failure(&source, error_name, sdk_message, secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_failures_keep_the_aadsts_code_and_the_sdks_own_words_only() {
        let quoted = "Authentication failed: AADSTS7000215: Invalid client secret provided. secret=PLANTED-42 \
                      Trace ID: 1 Correlation ID: 2 token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEIn0.c2lnbmF0dXJl";
        let m = credential_failure_message("ClientAuthenticationError", quoted, &[]);
        assert_eq!(
            m,
            "Azure credentials (AADSTS7000215): ClientAuthenticationError (the SDK's message relays a server's answer and is not shown)"
        );
        assert_eq!(
            credential_failure_message("CredentialUnavailableError", "ManagedIdentityCredential: no endpoint", &[]),
            "Azure credentials: CredentialUnavailableError: ManagedIdentityCredential: no endpoint"
        );
        assert!(credential_failure_message("Bad name PLANTED", "", &[]).starts_with("Azure credentials: Error ("));
    }

    #[test]
    fn namespace_and_scope_from_bootstrap_servers() {
        assert_eq!(
            eventhubs_scope("MyNamespace1.servicebus.windows.net:9093").unwrap(),
            "https://mynamespace1.servicebus.windows.net/.default"
        );
        assert_eq!(
            eventhubs_scope(" SASL_SSL://contoso-kafka.servicebus.chinacloudapi.cn:9093 , other:9093").unwrap(),
            "https://contoso-kafka.servicebus.chinacloudapi.cn/.default"
        );
        for not_eventhubs in
            ["broker:9092", "abc.servicebus.windows.net:9093", "-bad-name.servicebus.windows.net", "", "x.windows.net"]
        {
            let error = eventhubs_scope(not_eventhubs).unwrap_err();
            assert_eq!(error.code(), "invalid_config", "{not_eventhubs}");
        }
    }

    #[test]
    fn token_scope_is_derived_or_checked() {
        let bootstrap = "contoso.servicebus.windows.net:9093";
        let expected = "https://contoso.servicebus.windows.net/.default";
        assert_eq!(eventhubs_token_scope(bootstrap, None).unwrap(), expected);
        assert_eq!(eventhubs_token_scope(bootstrap, Some(" ")).unwrap(), expected);
        assert_eq!(eventhubs_token_scope(bootstrap, Some(expected)).unwrap(), expected);
        assert_eq!(
            eventhubs_token_scope(bootstrap, Some("https://eventhubs.azure.net/.default")).unwrap_err().code(),
            "invalid_config"
        );
        assert_eq!(eventhubs_token_scope("kafka:9092", None).unwrap_err().code(), "invalid_config");
    }

    #[test]
    fn scope_mistakes_are_named() {
        let bootstrap = "contoso.servicebus.windows.net:9093";
        check_eventhubs_scope("https://contoso.servicebus.windows.net/.default", bootstrap).unwrap();
        check_eventhubs_scope("https://CONTOSO.servicebus.windows.net/.default ", bootstrap).unwrap();
        for (wrong, hint) in [
            ("https://eventhubs.azure.net/.default", "AMQP"),
            ("https://contoso.servicebus.windows.net", "/.default"),
            (
                "https://contoso.servicebus.windows.net:9093/.default",
                "use https://contoso.servicebus.windows.net/.default",
            ),
            ("https://other1.servicebus.windows.net/.default", "use https://contoso.servicebus.windows.net/.default"),
        ] {
            let error = check_eventhubs_scope(wrong, bootstrap).unwrap_err();
            assert_eq!(error.code(), "invalid_config");
            assert!(error.message().contains(hint), "{wrong}: {}", error.message());
        }
    }
}
