//! The WIT exports, each converting its arguments, calling the core and converting back.
#![forbid(unsafe_code)]

use std::cell::RefCell;

use oauthbearer::assertion::{check_prebuilt_assertion, AssertionOptions, AssertionType as CoreAssertionType};
use oauthbearer::config::jaas;
use oauthbearer::key::VerifyingKey;
use oauthbearer::lifecycle::{Decision, HandleLifecycle, HostFailure, LifecyclePolicy, LifecycleSettings};
use oauthbearer::template::AssertionTemplate;
use oauthbearer::{endpoint, explain as core_explain, google, issuer as core_issuer, msk, request, response, retry};
use oauthbearer::{sasl as core_sasl, token, AssertionSigner as CoreSigner, Config, PrivateKey, Secret};

use crate::convert::{algorithm_from, algorithm_to, dialect, error, json_object, mode, pairs_from, props, Fail};

use crate::bindings::exports::kafka::oauthbearer::types::{Algorithm, Dialect, Error, Mode};
use crate::bindings::exports::kafka::oauthbearer::{
    assertions, config as wconfig, explain, issuer, keys, lifecycle, providers, sasl, token_endpoint, tokens,
};

/// The component.
pub(crate) struct Component;

/// `signing-key`: a parsed key bound to an algorithm.
pub(crate) struct SigningKey(oauthbearer::SigningKey);

impl keys::Guest for Component {
    type SigningKey = SigningKey;
}

impl keys::GuestSigningKey for SigningKey {
    fn parse(
        key: Vec<u8>,
        passphrase: Option<String>,
        algorithm: Option<Algorithm>,
    ) -> Result<keys::SigningKey, Error> {
        let private = PrivateKey::from_bytes(&key, passphrase.map(Secret::new).as_ref()).fail()?;
        let alg = algorithm.map_or_else(|| private.default_algorithm(), algorithm_from);
        Ok(keys::SigningKey::new(Self(private.signing_key(alg).fail()?)))
    }

    fn key_type(&self) -> keys::KeyType {
        crate::convert::key_type(self.0.private_key().key_type())
    }

    fn algorithm(&self) -> Algorithm {
        algorithm_to(self.0.algorithm())
    }

    fn default_algorithm(&self) -> Algorithm {
        algorithm_to(self.0.private_key().default_algorithm())
    }

    fn public_jwk(&self) -> String {
        serde_json::Value::Object(self.0.public_jwk(None)).to_string()
    }

    fn thumbprint(&self) -> String {
        self.0.private_key().thumbprint()
    }

    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, Error> {
        self.0.sign(&message).fail()
    }
}

impl wconfig::Guest for Component {
    fn parse_config(properties: Vec<(String, String)>, d: Dialect, m: Mode) -> Result<wconfig::ClientConfig, Error> {
        let config = Config::from_properties_with(props(&properties), dialect(d), mode(m)).fail()?;
        Ok(crate::convert::client_config(&config))
    }

    fn parse_jaas(text: String) -> Result<wconfig::JaasEntry, Error> {
        let entry = jaas::parse(&text).fail()?;
        let options = entry.options().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Ok(wconfig::JaasEntry { login_module: entry.login_module, control_flag: entry.control_flag, options })
    }

    fn parse_template(text: String, d: Dialect) -> Result<wconfig::AssertionTemplate, Error> {
        let t = AssertionTemplate::parse(text.as_bytes(), dialect(d)).fail()?;
        Ok(wconfig::AssertionTemplate {
            header_json: serde_json::Value::Object(t.header).to_string(),
            payload_json: serde_json::Value::Object(t.payload).to_string(),
        })
    }
}

/// `assertion-signer`: the configured claims with a parsed key.
pub(crate) struct AssertionSigner(CoreSigner);

impl assertions::Guest for Component {
    type AssertionSigner = AssertionSigner;

    fn check_prebuilt_assertion(
        contents: String,
        now_ms: u64,
        margin_seconds: u32,
        m: Mode,
    ) -> Result<assertions::PrebuiltAssertion, Error> {
        let checked = check_prebuilt_assertion(&contents, now_ms, margin_seconds, mode(m)).fail()?;
        Ok(assertions::PrebuiltAssertion {
            assertion: checked.value.expose().to_owned(),
            expires_at: checked.expires_at,
        })
    }
}

impl assertions::GuestAssertionSigner for AssertionSigner {
    fn from_properties(
        properties: Vec<(String, String)>,
        d: Dialect,
        private_key: Option<Vec<u8>>,
        template: Option<Vec<u8>>,
        options: assertions::AssertionOptions,
    ) -> Result<assertions::AssertionSigner, Error> {
        let config = Config::from_properties_with(props(&properties), dialect(d), mode(options.mode)).fail()?;
        let options = AssertionOptions {
            dialect: dialect(d),
            mode: mode(options.mode),
            typ: match options.typ {
                assertions::AssertionType::Jwt => CoreAssertionType::Jwt,
                assertions::AssertionType::ClientAuthentication => CoreAssertionType::ClientAuthentication,
            },
            key_id: options.key_id,
            ..AssertionOptions::default()
        }
        .with_certificate(
            options.certificate.as_deref(),
            options.thumbprint_header.as_deref().map(str::parse).transpose().fail()?,
        )
        .fail()?;
        let signer =
            CoreSigner::from_config_with(&config, private_key.as_deref(), template.as_deref(), options).fail()?;
        Ok(assertions::AssertionSigner::new(Self(signer)))
    }

    fn sign(&self, now_ms: u64, jti: Option<String>) -> Result<assertions::SignedAssertion, Error> {
        let signed = self.0.sign(now_ms, jti.as_deref()).fail()?;
        Ok(assertions::SignedAssertion {
            assertion: signed.expose().to_owned(),
            issued_at: signed.issued_at,
            expires_at: signed.expires_at,
            jti: signed.jti,
        })
    }

    fn header_and_payload(&self, now_ms: u64, jti: Option<String>) -> Result<(String, String), Error> {
        let (header, payload) = self.0.header_and_payload(now_ms, jti.as_deref()).fail()?;
        Ok((serde_json::Value::Object(header).to_string(), serde_json::Value::Object(payload).to_string()))
    }

    fn algorithm(&self) -> Algorithm {
        algorithm_to(self.0.signing_key().algorithm())
    }

    fn public_jwk(&self) -> String {
        serde_json::Value::Object(self.0.signing_key().public_jwk(None)).to_string()
    }
}

/// `retry-schedule`: one series of attempts.
pub(crate) struct RetrySchedule(RefCell<retry::RetryState>);

impl token_endpoint::Guest for Component {
    type RetrySchedule = RetrySchedule;

    fn client_secret_request(
        url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
        header_urlencode: bool,
        d: Dialect,
        method: token_endpoint::SecretMethod,
    ) -> Result<token_endpoint::TokenRequest, Error> {
        let method = match method {
            token_endpoint::SecretMethod::Basic => request::SecretMethod::Basic,
            token_endpoint::SecretMethod::Post => request::SecretMethod::Post,
        };
        let secret = Secret::new(client_secret);
        let req = request::client_secret_request(
            &url,
            &client_id,
            &secret,
            scope.as_deref(),
            header_urlencode,
            dialect(d),
            method,
        );
        req.map(crate::convert::token_request).fail()
    }

    fn client_secret_request_encoded_scope(
        url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
        header_urlencode: bool,
    ) -> Result<token_endpoint::TokenRequest, Error> {
        let secret = Secret::new(client_secret);
        let req =
            request::client_secret_request_encoded_scope(&url, &client_id, &secret, scope.as_deref(), header_urlencode);
        req.map(crate::convert::token_request).fail()
    }

    fn client_assertion_request(
        url: String,
        assertion: String,
        client_id: Option<String>,
        scope: Option<String>,
    ) -> token_endpoint::TokenRequest {
        crate::convert::token_request(request::client_assertion_request(
            &url,
            &assertion,
            client_id.as_deref(),
            scope.as_deref(),
        ))
    }

    fn jwt_bearer_request(
        url: String,
        assertion: String,
        scope: Option<String>,
        d: Dialect,
    ) -> token_endpoint::TokenRequest {
        crate::convert::token_request(request::jwt_bearer_request(&url, &assertion, scope.as_deref(), dialect(d)))
    }

    fn request_from_properties(
        properties: Vec<(String, String)>,
        d: Dialect,
        m: Mode,
        assertion: Option<String>,
    ) -> Result<token_endpoint::TokenRequest, Error> {
        let config = Config::from_properties_with(props(&properties), dialect(d), mode(m)).fail()?;
        request::from_config(&config, assertion.as_deref()).map(crate::convert::token_request).fail()
    }

    fn parse_token_response(
        status: u16,
        content_type: Option<String>,
        body: String,
        d: Dialect,
        properties: Option<Vec<(String, String)>>,
    ) -> Result<token_endpoint::TokenResponse, Error> {
        let r = match properties {
            Some(p) => {
                let compatible = oauthbearer::config::Mode::KafkaCompatible;
                let config = Config::from_properties_with(props(&p), dialect(d), compatible).fail()?;
                response::parse_token_response_for(status, content_type.as_deref(), &body, &config)
            }
            None => response::parse_token_response(status, content_type.as_deref(), &body, dialect(d)),
        }
        .fail()?;
        Ok(token_endpoint::TokenResponse {
            token: r.token.expose().to_owned(),
            token_member: r.token_member.to_owned(),
            token_type: r.token_type,
            expires_in: r.expires_in,
            scope: r.scope,
            refresh_token: r.refresh_token.map(|t| t.expose().to_owned()),
        })
    }

    fn token_response_body(
        token: String,
        expires_at_ms: u64,
        now_ms: u64,
        style: token_endpoint::ResponseStyle,
    ) -> String {
        let style = match style {
            token_endpoint::ResponseStyle::Rfc6749 => endpoint::ResponseStyle::Rfc6749,
            token_endpoint::ResponseStyle::GooglePython => endpoint::ResponseStyle::GooglePython,
            token_endpoint::ResponseStyle::KafkaAuthHandler => endpoint::ResponseStyle::KafkaAuthHandler,
        };
        endpoint::token_response_body(&token, expires_at_ms, now_ms, style)
    }
}

impl token_endpoint::GuestRetrySchedule for RetrySchedule {
    fn start(
        policy: token_endpoint::RetryPolicy,
        jitter: f64,
        start_ms: u64,
    ) -> Result<token_endpoint::RetrySchedule, Error> {
        let mut policy = match policy {
            token_endpoint::RetryPolicy::KafkaJava((backoff, max)) => {
                retry::RetryPolicy::kafka_java(backoff, max).fail()?
            }
            token_endpoint::RetryPolicy::Librdkafka => retry::RetryPolicy::librdkafka(),
        };
        policy.jitter = jitter;
        Ok(token_endpoint::RetrySchedule::new(Self(RefCell::new(policy.start(start_ms)))))
    }

    fn next_delay_ms(&self, now_ms: u64, failure: token_endpoint::Failure, random01: f64) -> Option<u64> {
        let failure = retry::Failure { status: failure.status, retry_after: failure.retry_after.as_deref() };
        self.0.borrow_mut().next_delay_ms(now_ms, failure, random01)
    }
}

impl providers::Guest for Component {
    fn google_token(
        access_token: String,
        expires_at_ms: u64,
        principal: String,
        now_ms: u64,
        style: providers::GoogleTokenStyle,
    ) -> Result<providers::ProviderToken, Error> {
        let style = match style {
            providers::GoogleTokenStyle::GoogleJava => google::GoogleTokenStyle::GoogleJava,
            providers::GoogleTokenStyle::GooglePython => google::GoogleTokenStyle::GooglePython,
            providers::GoogleTokenStyle::KafkaAuthHandler => google::GoogleTokenStyle::KafkaAuthHandler,
        };
        let t = google::google_token(&access_token, expires_at_ms, &principal, now_ms, style).fail()?;
        Ok(providers::ProviderToken {
            token: t.token.expose().to_owned(),
            expires_at_ms: t.expires_at_ms,
            principal: t.principal,
        })
    }

    fn google_principal_from_credentials(
        credentials_json: Option<String>,
        principal_override: Option<String>,
    ) -> Result<providers::GooglePrincipal, Error> {
        let json = credentials_json.as_deref().map(str::as_bytes);
        match google::principal_from_credentials(json, principal_override.as_deref()).fail()? {
            google::PrincipalSource::Known(p) => Ok(providers::GooglePrincipal::Known(p)),
            google::PrincipalSource::HostMustLookUp => Ok(providers::GooglePrincipal::HostMustLookUp),
            _ => Ok(providers::GooglePrincipal::NotInCredentials),
        }
    }

    fn msk_token(
        credentials: providers::AwsCredentials,
        options: providers::MskOptions,
        now_ms: u64,
    ) -> Result<providers::MskIamToken, Error> {
        let credentials = msk::AwsCredentials {
            access_key_id: credentials.access_key_id,
            secret_access_key: Secret::new(credentials.secret_access_key),
            session_token: credentials.session_token.map(Secret::new),
            expires_at_ms: credentials.expires_at_ms,
        };
        let t = msk::msk_token(&credentials, &crate::convert::msk_options(options), now_ms).fail()?;
        Ok(providers::MskIamToken {
            token: t.token.expose().to_owned(),
            signed_url: t.signed_url.expose().to_owned(),
            expires_at_ms: t.expires_at_ms,
            expires_seconds: t.expires_seconds,
        })
    }

    fn eventhubs_scope(bootstrap_servers: String, scope: Option<String>) -> Result<String, Error> {
        oauthbearer::azure::eventhubs_token_scope(&bootstrap_servers, scope.as_deref()).fail()
    }
}

impl sasl::Guest for Component {
    fn client_first_message(
        token: String,
        authzid: Option<String>,
        extensions: Vec<(String, String)>,
    ) -> Result<Vec<u8>, Error> {
        core_sasl::client_first_message(&token, authzid.as_deref(), &pairs_from(&extensions)).fail()
    }

    fn parse_server_error(message: Vec<u8>) -> Result<sasl::ServerError, Error> {
        let e = core_sasl::parse_server_error(&message).fail()?;
        Ok(sasl::ServerError { status: e.status, scope: e.scope, openid_configuration: e.openid_configuration })
    }

    fn confluent_extensions(
        logical_cluster: String,
        identity_pool_id: Option<String>,
    ) -> Result<Vec<(String, String)>, Error> {
        core_sasl::confluent_extensions(&logical_cluster, identity_pool_id.as_deref()).fail()
    }

    fn extensions_librdkafka(extensions: Vec<(String, String)>) -> String {
        core_sasl::extensions_librdkafka(&extensions)
    }

    fn extensions_jaas(extensions: Vec<(String, String)>) -> String {
        core_sasl::extensions_jaas(&extensions)
    }
}

impl tokens::Guest for Component {
    fn check_access_token(token: String, check: tokens::TokenCheck) -> Result<tokens::AcceptedToken, Error> {
        let mut core_check = token::TokenCheck::new(dialect(check.dialect));
        if let Some(claim) = check.sub_claim {
            core_check.sub_claim = claim;
        }
        if let Some(claim) = check.scope_claim {
            core_check.scope_claim = claim;
        }
        core_check.split_scope = check.split_scope;
        Ok(accepted_token(token::check_access_token(&token, &core_check).fail()?))
    }

    fn check_as_broker(token: String, check: tokens::BrokerCheck, now_ms: u64) -> Result<tokens::AcceptedToken, Error> {
        let core_check = oauthbearer::broker::BrokerCheck::from_jwks(&check.jwks_json).fail()?.expecting(
            check.expected_audience,
            check.expected_issuer,
            check.clock_skew_seconds,
        );
        Ok(accepted_token(oauthbearer::broker::check_as_broker(&token, &core_check, now_ms).fail()?))
    }

    fn check_not_expired(accepted: tokens::AcceptedToken, now_ms: u64, skew_ms: u64) -> Result<(), Error> {
        let accepted = token::AcceptedToken {
            principal: accepted.principal,
            scopes: accepted.scopes,
            expires_at_ms: accepted.expires_at_ms,
            issued_at_ms: accepted.issued_at_ms,
            header: None,
            claims: json_object(&accepted.claims_json).unwrap_or_default(),
        };
        token::check_not_expired(&accepted, now_ms, skew_ms).fail()
    }

    fn default_refresh_config() -> tokens::RefreshConfig {
        crate::convert::refresh_config_to(token::RefreshConfig::default())
    }

    fn refresh_at_java(
        now_ms: u64,
        expires_at_ms: u64,
        issued_at_ms: Option<u64>,
        config: tokens::RefreshConfig,
        jitter01: f64,
    ) -> tokens::RefreshDecision {
        let d = token::refresh_at_java(
            now_ms,
            expires_at_ms,
            issued_at_ms,
            &crate::convert::refresh_config_from(config),
            jitter01,
        );
        tokens::RefreshDecision { at_ms: d.at_ms, expired: d.expired }
    }

    fn refresh_at_librdkafka(now_ms: u64, expires_at_ms: u64) -> tokens::RefreshDecision {
        let d = token::refresh_at_librdkafka(now_ms, expires_at_ms);
        tokens::RefreshDecision { at_ms: d.at_ms, expired: d.expired }
    }
}

/// `local-issuer`.
pub(crate) struct LocalIssuer(core_issuer::LocalIssuer);

impl issuer::Guest for Component {
    type LocalIssuer = LocalIssuer;

    fn authenticate_client(
        body: String,
        authorization: Option<String>,
        clients: Vec<issuer::RegisteredClient>,
        policy: issuer::AssertionPolicy,
        now_ms: u64,
        seen_jtis: Vec<String>,
    ) -> Result<issuer::AuthenticatedClient, Error> {
        let clients = clients.into_iter().map(crate::convert::registered_client).collect::<Result<Vec<_>, _>>()?;
        let policy = core_issuer::AssertionPolicy {
            audiences: policy.audiences,
            max_lifetime_seconds: policy.max_lifetime_seconds,
            clock_skew_seconds: policy.clock_skew_seconds,
            require_jti: policy.require_jti,
        };
        let request = core_issuer::parse_client_credentials_request(&body, authorization.as_deref()).fail()?;
        // The core asks "is this jti new?" through a callback; WIT has none, so the host passes the
        // jtis it has seen and records the one we hand back.
        let mut recorded = None;
        let client_id = core_issuer::authenticate_client(&request, &clients, &policy, now_ms, &mut |jti, exp_ms| {
            recorded = Some((jti.to_owned(), exp_ms));
            !seen_jtis.iter().any(|seen| seen == jti)
        })
        .fail()?;
        let (jti, jti_expires_at_ms) = recorded.map_or((None, None), |(jti, exp)| (Some(jti), Some(exp)));
        Ok(issuer::AuthenticatedClient { client_id, jti, jti_expires_at_ms })
    }
}

impl issuer::GuestLocalIssuer for LocalIssuer {
    fn new(issuer_url: String, key: keys::SigningKeyBorrow<'_>) -> Self {
        Self(core_issuer::LocalIssuer::new(issuer_url, key.get::<SigningKey>().0.clone()))
    }

    fn sign_access_token(
        &self,
        claims: issuer::AccessTokenClaims,
        now_ms: u64,
        jti: Option<String>,
    ) -> Result<issuer::IssuedToken, Error> {
        let claims = core_issuer::AccessTokenClaims {
            subject: claims.subject,
            audience: claims.audience,
            scope: claims.scope,
            lifetime_seconds: claims.lifetime_seconds,
        };
        let issued = self.0.sign_access_token(&claims, now_ms, jti.as_deref()).fail()?;
        Ok(issuer::IssuedToken {
            token: issued.token.expose().to_owned(),
            expires_at_ms: issued.expires_at_ms,
            expires_in: issued.expires_in,
        })
    }

    fn jwks(&self) -> String {
        self.0.jwks().to_string()
    }

    fn discovery(&self) -> String {
        self.0.discovery().to_string()
    }

    fn token_endpoint(&self) -> String {
        self.0.token_endpoint()
    }

    fn jwks_uri(&self) -> String {
        self.0.jwks_uri()
    }
}

impl explain::Guest for Component {
    fn explain(
        properties: Vec<(String, String)>,
        d: Dialect,
        context: explain::ExplainContext,
    ) -> Vec<explain::Finding> {
        let context = core_explain::ExplainContext {
            kafka_version: context.kafka_version,
            java_version: context.java_version,
            private_key: context.private_key.as_deref(),
            token: context.token.as_deref(),
            idp_max_assertion_lifetime_seconds: context.idp_max_assertion_lifetime_seconds,
            client: context.client.as_deref(),
            client_version: context.client_version.as_deref(),
            broker_reauth_ms: context.broker_reauth_ms,
            assertion_template: context.assertion_template.as_deref(),
        };
        core_explain::explain(props(&properties), dialect(d), &context)
            .into_iter()
            .map(crate::convert::finding)
            .collect()
    }
}

/// Parses a public JWK handed over as JSON text.
pub(crate) fn verifying_key(jwk: &str) -> Result<VerifyingKey, Error> {
    let object = json_object(jwk).ok_or_else(|| {
        crate::convert::error(&oauthbearer::Error::new(
            oauthbearer::ErrorKind::InvalidKey,
            "a client JWK is not a JSON object",
        ))
    })?;
    VerifyingKey::from_jwk(&object).fail()
}

/// `token-lifecycle`: the lifecycle machine of one token source.
pub(crate) struct TokenLifecycle(RefCell<HandleLifecycle>);

impl lifecycle::Guest for Component {
    type TokenLifecycle = TokenLifecycle;
}

fn settings(s: lifecycle::LifecycleSettings) -> LifecycleSettings {
    LifecycleSettings {
        fetch_timeout_ms: s.fetch_timeout_ms,
        retry_backoff_ms: s.retry_backoff_ms,
        max_abandoned: s.max_abandoned,
    }
}

fn machine(policy: LifecyclePolicy, s: lifecycle::LifecycleSettings) -> Result<lifecycle::TokenLifecycle, Error> {
    let policy = policy.with_settings(&settings(s)).fail()?;
    Ok(lifecycle::TokenLifecycle::new(TokenLifecycle(RefCell::new(HandleLifecycle::new(policy)))))
}

impl lifecycle::GuestTokenLifecycle for TokenLifecycle {
    fn create(client: Dialect, s: lifecycle::LifecycleSettings) -> Result<lifecycle::TokenLifecycle, Error> {
        machine(LifecyclePolicy::for_client(dialect(client)), s)
    }

    fn from_properties(
        properties: Vec<(String, String)>,
        d: Dialect,
        m: Mode,
        s: lifecycle::LifecycleSettings,
    ) -> Result<lifecycle::TokenLifecycle, Error> {
        let config = Config::from_properties_with(props(&properties), dialect(d), mode(m)).fail()?;
        machine(LifecyclePolicy::from_config(&config), s)
    }

    fn want(&self, now_ms: u64) -> lifecycle::Decision {
        match self.0.borrow_mut().want(now_ms) {
            Decision::Serve(id) => lifecycle::Decision::Serve(*id),
            Decision::Fetch { fetch, serve } => {
                lifecycle::Decision::Fetch(lifecycle::FetchStart { fetch, serve: serve.copied() })
            }
            Decision::Wait { fetch, until_ms, wait_ms } => {
                lifecycle::Decision::Wait(lifecycle::WaitFor { fetch, until_ms, wait_ms })
            }
            Decision::Fail(HostFailure::Fetch(id)) => lifecycle::Decision::Fail(lifecycle::Failure::Fetch(*id)),
            Decision::Fail(HostFailure::Core(e)) => lifecycle::Decision::Fail(lifecycle::Failure::Error(error(e))),
        }
    }

    fn fetch_succeeded(
        &self,
        fetch: u64,
        expires_at_ms: u64,
        issued_at_ms: Option<u64>,
        now_ms: u64,
        jitter01: f64,
    ) -> lifecycle::Arrival {
        match self.0.borrow_mut().handle_succeeded(fetch, expires_at_ms, issued_at_ms, now_ms, jitter01) {
            oauthbearer::lifecycle::Arrival::Cached => lifecycle::Arrival::Cached,
            oauthbearer::lifecycle::Arrival::Ignored => lifecycle::Arrival::Ignored,
            oauthbearer::lifecycle::Arrival::Expired => lifecycle::Arrival::Expired,
        }
    }

    fn fetch_failed(
        &self,
        fetch: u64,
        retryable: bool,
        retry_after: Option<String>,
        now_ms: u64,
        random01: f64,
    ) -> bool {
        self.0.borrow_mut().handle_failed(fetch, retryable, retry_after.as_deref(), now_ms, random01)
    }

    fn attempt_failed(&self, fetch: u64, code: String, message: String) -> bool {
        self.0.borrow_mut().attempt_failed(fetch, &oauthbearer::Error::reported(&code, message))
    }

    fn poll(&self, now_ms: u64) -> lifecycle::PollResult {
        let p = self.0.borrow_mut().poll(now_ms);
        lifecycle::PollResult { fetch: p.fetch, wake_at_ms: p.wake_at_ms }
    }
}

fn accepted_token(accepted: token::AcceptedToken) -> tokens::AcceptedToken {
    tokens::AcceptedToken {
        principal: accepted.principal,
        scopes: accepted.scopes,
        expires_at_ms: accepted.expires_at_ms,
        issued_at_ms: accepted.issued_at_ms,
        claims_json: serde_json::Value::Object(accepted.claims).to_string(),
    }
}
