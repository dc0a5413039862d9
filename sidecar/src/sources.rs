//! The token sources of the binary: what the Python front's providers do (python/oauthbearer/
//! providers.py), with the vendors' Rust SDKs in place of google-auth, botocore and azure-identity.
//! Each fetch runs on the server's fetch thread and blocks on the SDK's future, bounded by the
//! lifecycle's fetch deadline (a hanging metadata server must not pile up threads).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use oauthbearer::config::{Dialect, GrantPath, Mode};
use oauthbearer::google::{GoogleTokenStyle, PrincipalSource};
use oauthbearer::lifecycle::{FetchFailed, Fetched};
use oauthbearer::reload::FileAssertionSource;
use oauthbearer::response::{self, credential_failure, SDK_SECRET_VARIABLES};
use oauthbearer::retry::{Failure, RetryPolicy};
use oauthbearer::token::{self, TokenCheck};
use oauthbearer::{msk, Config, Error, ErrorKind, Secret};
pub(crate) use oauthbearer_server::now_ms;
use oauthbearer_server::{random01, Attempts, TokenSource};

/// Google's scope for Managed Kafka access tokens.
pub(crate) const GOOGLE_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Overrides the Kafka principal of Google credentials (as in the Python front).
pub(crate) const PRINCIPAL_ENV: &str = "GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL";
/// Google's tokeninfo endpoint: the expiry of an access token (google-cloud-auth keeps it to
/// itself) and the email of user credentials.
const TOKENINFO_URL: &str = "https://oauth2.googleapis.com/tokeninfo";

/// A failed fetch; `retryable` lets the lifecycle back off and try again.
pub(crate) fn failed(kind: ErrorKind, message: impl Into<String>, retryable: bool) -> FetchFailed {
    FetchFailed { error: Error::new(kind, message), retryable, retry_after: None }
}

fn core_failure(error: Error) -> FetchFailed {
    FetchFailed { error, retryable: true, retry_after: None }
}

/// `words(held)` with the secrets the SDKs read from the environment (removed from their messages
/// by value).
fn with_sdk_secrets(words: impl FnOnce(&[&str]) -> String) -> String {
    let secrets: Vec<String> =
        SDK_SECRET_VARIABLES.iter().filter_map(|name| std::env::var(name).ok()).filter(|v| !v.is_empty()).collect();
    words(&secrets.iter().map(String::as_str).collect::<Vec<_>>())
}

/// An SDK's error as the core words it: its own diagnosis, redacted; never a server's answer.
fn sdk_failure(source: &str, error_name: &str, error: &dyn std::fmt::Display) -> FetchFailed {
    let message = with_sdk_secrets(|held| credential_failure(source, error_name, &error.to_string(), held));
    failed(ErrorKind::CredentialsUnavailable, message, true)
}

/// An Azure SDK error as the core words it (Entra's `AADSTS` code kept, secrets removed).
fn azure_failure(error: &azure_core::Error) -> String {
    with_sdk_secrets(|held| oauthbearer::azure::credential_failure_message("CredentialError", &error.to_string(), held))
}

/// A token checked as the Kafka client checks it (what `_accepted` does in Python).
fn accepted(value: String, dialect: Dialect, now_ms: u64) -> Result<Fetched, FetchFailed> {
    let check = TokenCheck::new(dialect);
    let accepted = token::check_access_token(&value, &check).map_err(core_failure)?;
    token::check_not_expired(&accepted, now_ms, 0).map_err(core_failure)?;
    let expires_at_ms = u64::try_from(accepted.expires_at_ms).unwrap_or(0);
    let issued_at_ms = accepted.issued_at_ms.and_then(|i| u64::try_from(i).ok());
    Ok(Fetched { token: Secret::new(value), expires_at_ms, issued_at_ms })
}

/// Runs SDK futures from the fetch thread, each within the fetch deadline.
#[derive(Clone)]
pub(crate) struct Sdk {
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) deadline: Duration,
}

impl Sdk {
    fn run<T>(
        &self,
        what: &str,
        future: impl std::future::Future<Output = Result<T, FetchFailed>>,
    ) -> Result<T, FetchFailed> {
        let deadline = self.deadline;
        match self.runtime.block_on(async move { tokio::time::timeout(deadline, future).await }) {
            Ok(outcome) => outcome,
            Err(_) => Err(failed(
                ErrorKind::CredentialsUnavailable,
                format!("{what} did not answer within {} ms", self.deadline.as_millis()),
                true,
            )),
        }
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| Error::new(ErrorKind::InvalidConfig, format!("cannot set up an HTTP client: {}", error_chain(&e))))
}

/// An error and its causes in words (reqwest's own wording, e.g. "connection refused"); reqwest
/// errors name the URL, never a body.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !words.contains(&text) {
            words = format!("{words}: {text}");
        }
        source = cause.source();
    }
    words
}

// ---------------------------------------------------------------- file

/// A pre-issued access token in a file, re-read at every refresh (Kafka's `file:` endpoint).
pub(crate) struct FileToken {
    pub(crate) path: PathBuf,
    pub(crate) dialect: Dialect,
}

impl TokenSource for FileToken {
    fn fetch(&self, now_ms: u64, _attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| {
            failed(ErrorKind::FileUnreadable, format!("cannot read {}: {}", self.path.display(), e.kind()), true)
        })?;
        accepted(text.trim().to_owned(), self.dialect, now_ms)
    }
}

// ---------------------------------------------------------------- assertion

/// KIP-1258 (and client-secret / jwt-bearer) tokens from Kafka client properties: the request
/// the Kafka client sends, its answer parsed and its retries scheduled as the client does.
pub(crate) struct AssertionToken {
    config: Config,
    assertions: Option<FileAssertionSource>,
    client: reqwest::Client,
    sdk: Sdk,
}

impl AssertionToken {
    pub(crate) fn new(properties: &[(String, String)], dialect: Dialect, sdk: Sdk) -> Result<Self, Error> {
        let config = Config::from_properties_with(
            properties.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            dialect,
            Mode::Strict,
        )?;
        let signs = matches!(config.grant, GrantPath::ClientAssertion(_) | GrantPath::JwtBearer(_));
        let assertions = if signs { Some(FileAssertionSource::from_config(&config, Mode::Strict)?) } else { None };
        let timeout_ms = config.read_timeout_ms.or(config.connect_timeout_ms).unwrap_or(10_000);
        let client = http_client(Duration::from_millis(u64::from(timeout_ms)))?;
        Ok(Self { config, assertions, client, sdk })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// One POST: status, content type, body and `Retry-After`; a transport failure is an error.
    async fn post(
        &self,
        request: &oauthbearer::TokenRequest,
    ) -> Result<(u16, Option<String>, String, Option<String>), Error> {
        let mut builder = self.client.post(&request.url).body(request.body.expose().to_owned());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let answer = builder.send().await.map_err(|e| {
            Error::new(
                ErrorKind::TokenEndpointUnreachable,
                format!("cannot reach the token endpoint {}: {}", request.url, error_chain(&e.without_url())),
            )
        })?;
        let header = |name: &str| answer.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (status, content_type, retry_after) =
            (answer.status().as_u16(), header("content-type"), header("retry-after"));
        let body = answer.text().await.map_err(|e| {
            Error::new(
                ErrorKind::TokenEndpointUnreachable,
                format!(
                    "the token endpoint {} did not send its whole answer: {}",
                    request.url,
                    error_chain(&e.without_url())
                ),
            )
        })?;
        Ok((status, content_type, body, retry_after))
    }
}

impl TokenSource for AssertionToken {
    fn fetch(&self, now_ms: u64, attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        if let GrantPath::TokenFile(path) = &self.config.grant {
            let file = FileToken { path: PathBuf::from(path), dialect: self.config.dialect };
            return file.fetch(now_ms, attempts);
        }
        let policy = RetryPolicy::from_config(&self.config).map_err(core_failure)?;
        let mut schedule = policy.start(now_ms);
        loop {
            let assertion = match &self.assertions {
                Some(source) => Some(source.assertion(crate::sources::now_ms(), None).map_err(core_failure)?.assertion),
                None => None,
            };
            let request = oauthbearer::request::from_config(&self.config, assertion.as_ref().map(Secret::expose))
                .map_err(core_failure)?;
            let outcome = self.sdk.runtime.block_on(self.post(&request));
            let (error, status, retry_after) = match outcome {
                Ok((status, content_type, body, retry_after)) => {
                    match response::parse_token_response_for(status, content_type.as_deref(), &body, &self.config) {
                        Ok(answer) => {
                            let value = answer.token.expose().to_owned();
                            return accepted(value, self.config.dialect, crate::sources::now_ms());
                        }
                        Err(e) => (e, Some(status), retry_after),
                    }
                }
                Err(e) => (e, None, None),
            };
            let failure = Failure { status, retry_after: retry_after.as_deref().filter(|_| status.is_some()) };
            match schedule.next_delay_ms(crate::sources::now_ms(), failure, random01()) {
                Some(delay) => {
                    attempts.failed(&error);
                    std::thread::sleep(Duration::from_millis(delay));
                }
                None => return Err(FetchFailed { error, retryable: true, retry_after }),
            }
        }
    }
}

// ---------------------------------------------------------------- gcp

/// Google Managed Kafka tokens: the access token from google-cloud-auth's Application Default
/// Credentials (service account keys, the metadata server, external account / workload identity
/// federation, impersonated and authorized-user credentials), wrapped by the core.
pub(crate) struct GoogleToken {
    credentials: google_cloud_auth::credentials::AccessTokenCredentials,
    style: GoogleTokenStyle,
    override_principal: Option<String>,
    principal: Mutex<Option<String>>,
    client: reqwest::Client,
    sdk: Sdk,
}

impl GoogleToken {
    pub(crate) fn new(style: GoogleTokenStyle, sdk: Sdk) -> Result<Self, Error> {
        // google-cloud-auth spawns its refresh task on the runtime it is built in.
        let _entered = sdk.runtime.enter();
        let credentials = google_cloud_auth::credentials::Builder::default()
            .with_scopes([GOOGLE_SCOPE])
            .build_access_token_credentials()
            .map_err(|e| {
                let message = with_sdk_secrets(|held| {
                    credential_failure("Google credentials", "BuildError", &e.to_string(), held)
                });
                Error::new(ErrorKind::CredentialsUnavailable, message)
            })?;
        let override_principal = std::env::var(PRINCIPAL_ENV).ok().filter(|p| !p.is_empty());
        let client = http_client(Duration::from_secs(10))?;
        Ok(Self { credentials, style, override_principal, principal: Mutex::new(None), client, sdk })
    }

    /// `exp` (epoch seconds) and `email` of an access token, from Google's tokeninfo.
    async fn tokeninfo(&self, access_token: &str) -> Result<(u64, Option<String>), FetchFailed> {
        let unusable =
            |why: String| failed(ErrorKind::CredentialsUnavailable, format!("Google tokeninfo: {why}"), true);
        let answer = self
            .client
            .post(TOKENINFO_URL)
            .form(&[("access_token", access_token)])
            .send()
            .await
            .map_err(|e| unusable(error_chain(&e.without_url())))?;
        let status = answer.status().as_u16();
        let body = answer.text().await.map_err(|e| unusable(error_chain(&e.without_url())))?;
        let info: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        // tokeninfo writes numbers as strings ("exp": "1767229199").
        let number = |v: &serde_json::Value| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
        match (status, info.get("exp").and_then(number)) {
            (200, Some(exp)) => Ok((exp, info.get("email").and_then(|e| e.as_str()).map(str::to_owned))),
            _ => Err(unusable(format!("HTTP {status} without an expiry"))),
        }
    }

    /// The metadata server's default service account email (google-cloud-auth does not expose it).
    async fn metadata_email(&self) -> Result<String, FetchFailed> {
        let host = std::env::var("GCE_METADATA_HOST").unwrap_or_else(|_| "metadata.google.internal".into());
        let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/email");
        let fail = |why: String| {
            failed(
                ErrorKind::InvalidPrincipal,
                format!("cannot determine the Kafka principal from the metadata server ({why}); set {PRINCIPAL_ENV}"),
                true,
            )
        };
        let answer = self
            .client
            .get(url)
            .header("Metadata-Flavor", "Google")
            .send()
            .await
            .map_err(|e| fail(error_chain(&e.without_url())))?;
        let status = answer.status().as_u16();
        let email = answer.text().await.map_err(|e| fail(error_chain(&e.without_url())))?.trim().to_owned();
        if status != 200 || email.is_empty() {
            return Err(fail(format!("HTTP {status}")));
        }
        Ok(email)
    }

    async fn fetch_async(&self, now_ms: u64) -> Result<Fetched, FetchFailed> {
        let access = self
            .credentials
            .access_token()
            .await
            .map_err(|e| sdk_failure("Google credentials could not be refreshed", "CredentialsError", &e))?;
        // google-cloud-auth gives service-account keys self-signed JWTs (never exchanged at the
        // key's token_uri): their expiry is their own `exp`, and tokeninfo does not know them.
        let (exp, email) = match self_signed_expiry(&access.token) {
            Some(exp) => (exp, None),
            None => self.tokeninfo(&access.token).await?,
        };
        let known = self.principal.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let principal = match known {
            Some(p) => p,
            None => {
                let principal = self.find_principal(email).await?;
                *self.principal.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(principal.clone());
                principal
            }
        };
        let wrapped =
            oauthbearer::google::google_token(&access.token, exp.saturating_mul(1000), &principal, now_ms, self.style)
                .map_err(core_failure)?;
        Ok(Fetched { token: wrapped.token, expires_at_ms: wrapped.expires_at_ms, issued_at_ms: Some(now_ms) })
    }

    async fn find_principal(&self, tokeninfo_email: Option<String>) -> Result<String, FetchFailed> {
        let adc = adc_json();
        let source =
            oauthbearer::google::principal_from_credentials(adc.as_deref(), self.override_principal.as_deref())
                .map_err(core_failure)?;
        let principal = match source {
            PrincipalSource::Known(p) => p,
            PrincipalSource::HostMustLookUp => tokeninfo_email.ok_or_else(|| {
                failed(
                    ErrorKind::InvalidPrincipal,
                    format!("Google tokeninfo did not return an email; set {PRINCIPAL_ENV}"),
                    false,
                )
            })?,
            _ => self.metadata_email().await?,
        };
        oauthbearer::google::validate_principal(&principal).map_err(core_failure)?;
        Ok(principal)
    }
}

/// The `exp` (epoch seconds) of an access token that is a JWT (a self-signed service-account
/// token), read as Kafka's Java client reads a JWT; None for an opaque `ya29.` token.
fn self_signed_expiry(access_token: &str) -> Option<u64> {
    let accepted = token::check_access_token(access_token, &TokenCheck::new(Dialect::KafkaJava)).ok()?;
    u64::try_from(accepted.expires_at_ms / 1000).ok()
}

/// The ADC file's bytes (`GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's), None if none.
fn adc_json() -> Option<Vec<u8>> {
    let path = match std::env::var("GOOGLE_APPLICATION_CREDENTIALS") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            let config = std::env::var("CLOUDSDK_CONFIG").map(PathBuf::from).unwrap_or_else(|_| {
                Path::new(&std::env::var("HOME").unwrap_or_default()).join(".config").join("gcloud")
            });
            config.join("application_default_credentials.json")
        }
    };
    std::fs::read(path).ok()
}

impl TokenSource for GoogleToken {
    fn fetch(&self, now_ms: u64, _attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        self.sdk.run("Google's credential chain", self.fetch_async(now_ms))
    }
}

// ---------------------------------------------------------------- aws

/// AWS MSK IAM tokens from aws-config's default chain (environment, profile, web identity /
/// IRSA, ECS and EKS Pod Identity container credentials, IMDSv2). Web identity is assumed under
/// a fixed session name (`AWS_ROLE_SESSION_NAME`, else `oauthbearer`) as the Python front does:
/// the session name is part of the principal MSK sees, and a broker refuses a re-authentication
/// that changes it.
pub(crate) struct AwsToken {
    provider: aws_credential_types::provider::SharedCredentialsProvider,
    pub(crate) options: msk::MskTokenOptions,
    sdk: Sdk,
}

impl AwsToken {
    pub(crate) fn new(region: String, sdk: Sdk) -> Result<Self, Error> {
        let aws_region = aws_config::Region::new(region.clone());
        let provider = sdk.runtime.block_on(async {
            let web_identity = match (std::env::var("AWS_ROLE_ARN"), std::env::var("AWS_WEB_IDENTITY_TOKEN_FILE")) {
                (Ok(role), Ok(file)) if std::env::var("AWS_ACCESS_KEY_ID").is_err() && !role.is_empty() => {
                    Some((role, file))
                }
                _ => None,
            };
            match web_identity {
                Some((role_arn, file)) => {
                    use aws_config::web_identity_token::{StaticConfiguration, WebIdentityTokenCredentialsProvider};
                    let session_name = std::env::var("AWS_ROLE_SESSION_NAME")
                        .ok()
                        .filter(|s| !s.is_empty())
                        .unwrap_or("oauthbearer".into());
                    let config = aws_config::provider_config::ProviderConfig::default().with_region(Some(aws_region));
                    let provider = WebIdentityTokenCredentialsProvider::builder()
                        .static_configuration(StaticConfiguration {
                            web_identity_token_file: PathBuf::from(file),
                            role_arn,
                            session_name,
                        })
                        .configure(&config)
                        .build();
                    Some(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
                }
                None => aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(aws_region)
                    .load()
                    .await
                    .credentials_provider(),
            }
        });
        let provider = provider
            .ok_or_else(|| Error::new(ErrorKind::CredentialsUnavailable, "aws-config found no credential provider"))?;
        Ok(Self { provider, options: msk::MskTokenOptions::new(region), sdk })
    }

    pub(crate) fn credentials(&self) -> Result<msk::AwsCredentials, FetchFailed> {
        use aws_credential_types::provider::ProvideCredentials;
        let credentials = self.sdk.run("AWS's credential chain", async {
            self.provider
                .provide_credentials()
                .await
                .map_err(|e| sdk_failure("AWS credentials", "CredentialsError", &DisplayChain(&e)))
        })?;
        let expires_at_ms = credentials
            .expiry()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Ok(msk::AwsCredentials {
            access_key_id: credentials.access_key_id().to_owned(),
            secret_access_key: Secret::new(credentials.secret_access_key().to_owned()),
            session_token: credentials.session_token().map(|t| Secret::new(t.to_owned())),
            expires_at_ms,
        })
    }
}

/// An error with its causes, for SDK errors whose `Display` is only the outermost layer.
struct DisplayChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&error_chain(self.0))
    }
}

impl TokenSource for AwsToken {
    fn fetch(&self, now_ms: u64, _attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        let credentials = self.credentials()?;
        let token = msk::msk_token(&credentials, &self.options, now_ms).map_err(core_failure)?;
        Ok(Fetched { token: token.token, expires_at_ms: token.expires_at_ms, issued_at_ms: Some(now_ms) })
    }
}

// ---------------------------------------------------------------- azure

/// Azure Event Hubs tokens from azure_identity: a client secret from the environment
/// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), else workload identity
/// (`AZURE_FEDERATED_TOKEN_FILE`), else managed identity — DefaultAzureCredential's order for
/// what a sidecar can have. Client certificates are refused: azure_identity builds them only on
/// OpenSSL, which this binary does not carry.
pub(crate) struct AzureToken {
    credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>,
    scope: String,
    sdk: Sdk,
}

impl AzureToken {
    pub(crate) fn new(scope: String, sdk: Sdk) -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let unavailable = |e: azure_core::Error| Error::new(ErrorKind::CredentialsUnavailable, azure_failure(&e));
        let credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential> =
            match (var("AZURE_TENANT_ID"), var("AZURE_CLIENT_ID"), var("AZURE_CLIENT_SECRET")) {
                (Some(tenant), Some(client_id), Some(secret)) => azure_identity::ClientSecretCredential::new(
                    &tenant,
                    client_id,
                    azure_core::credentials::Secret::new(secret),
                    None,
                )
                .map_err(unavailable)?,
                _ if var("AZURE_CLIENT_CERTIFICATE_PATH").is_some() => {
                    return Err(Error::new(
                        ErrorKind::CredentialsUnavailable,
                        "AZURE_CLIENT_CERTIFICATE_PATH is set, but this binary has no client-certificate credential \
                         (azure_identity builds it only on OpenSSL); use `oauthbearer serve --provider azure` \
                         (Python, azure-identity), or a KIP-1258 assertion with the certificate (--provider assertion)",
                    ))
                }
                _ if var("AZURE_FEDERATED_TOKEN_FILE").is_some() => {
                    azure_identity::WorkloadIdentityCredential::new(None).map_err(unavailable)?
                }
                (_, client_id, _) => {
                    let options = azure_identity::ManagedIdentityCredentialOptions {
                        user_assigned_id: client_id.map(azure_identity::UserAssignedId::ClientId),
                        ..Default::default()
                    };
                    azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(unavailable)?
                }
            };
        Ok(Self { credential, scope, sdk })
    }
}

impl TokenSource for AzureToken {
    fn fetch(&self, now_ms: u64, _attempts: &Attempts) -> Result<Fetched, FetchFailed> {
        let access = self.sdk.run("Azure's credential chain", async {
            self.credential
                .get_token(&[self.scope.as_str()], None)
                .await
                .map_err(|e| failed(ErrorKind::CredentialsUnavailable, azure_failure(&e), true))
        })?;
        accepted(access.token.secret().to_owned(), Dialect::KafkaJava, now_ms)
    }
}
