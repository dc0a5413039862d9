//! `oauthbearer-sidecar`: the token endpoint of `oauthbearer serve` as one native binary, with
//! credentials from the vendors' own Rust SDKs. The HTTP server, its limits, health, metrics and
//! the token lifecycle are the `oauthbearer-server` crate's (the Python front runs the same
//! server); this binary adds the command line, the credential sources and signal handling.
#![forbid(unsafe_code)]

mod cli;
mod sources;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use oauthbearer::config::Dialect;
use oauthbearer::issuer::{IssuerService, LocalIssuer, RegisteredClient};
use oauthbearer::lifecycle::{LifecyclePolicy, LifecycleSettings};
use oauthbearer::{Error, ErrorKind, PrivateKey, Secret};
use oauthbearer_server::{Backend, Config, Server, TokenSource};

use cli::{env, Cli, Command, MskTokenArgs, ProviderKind, Serve};
use sources::Sdk;

/// What kafka-auth-handler users read in the log when MSK tokens come from a URL (the Python
/// front's `MSK_FROM_A_URL`, word for word).
const MSK_FROM_A_URL: &str = "MSK IAM tokens are SigV4-presigned URLs, not JWTs: Kafka's Java client and librdkafka \
     check a token fetched from a URL as a JWT and refuse them (\"Malformed JWT\"). Serve them only to clients that \
     take the token as given (oauthbearer's own adapters, a custom login handler); for Kafka's Java client (Beam's \
     Kafka IO) use AWS's aws-msk-iam-auth, e.g. oauthbearer.beam.msk_kafka_config";

/// How long requests in flight may finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::MskToken(args)) => msk_token(args),
        Some(Command::Serve(args)) => args.resolve().map_err(config_error).and_then(serve),
        None => cli.serve.resolve().map_err(config_error).and_then(serve),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The core's messages hold no secret.
            eprintln!("error: {}: {}", e.code(), e.message());
            ExitCode::from(2)
        }
    }
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("oauthbearer-sdk")
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::InvalidConfig, format!("cannot start the SDK runtime: {}", e.kind())))
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::FileUnreadable, format!("cannot read {}: {}", path.display(), e.kind())))
}

fn serve(args: Serve) -> Result<(), Error> {
    if args.print_options {
        println!("{}", args.describe());
        return Ok(());
    }
    for spec in &args.clients {
        if spec.split_once(':').is_some_and(|(_, secret)| !secret.is_empty()) {
            eprintln!(
                "warning: --client ID:SECRET puts the secret in /proc/PID/cmdline, which every local user can read; \
                 use --client-file FILE"
            );
        }
    }
    let runtime = runtime()?;
    let listener = oauthbearer_server::listen(&args.host, args.port)?;
    let bound = listener.local_addr().map_err(|e| config_error(e.kind().to_string()))?;
    let url = format!("http://{bound}");
    if let Some(warning) = oauthbearer::endpoint::bind_exposure_warning(bound.ip()) {
        eprintln!("oauthbearer WARNING {warning}");
    }
    let config = Config {
        style: args.response_style.parse()?,
        access_log: args.access_log,
        operational_paths: args.operational_paths,
        ..Config::default()
    };
    let backend = match args.provider {
        ProviderKind::Local => local_issuer(&args, &url)?,
        kind => {
            let settings = LifecycleSettings::default();
            let policy = LifecyclePolicy::for_client(Dialect::KafkaJava).with_settings(&settings)?;
            let sdk =
                Sdk { runtime: runtime.handle().clone(), deadline: Duration::from_millis(policy.fetch_timeout_ms) };
            let (source, policy): (Arc<dyn TokenSource>, LifecyclePolicy) = match kind {
                ProviderKind::Gcp => (Arc::new(sources::GoogleToken::new(args.gcp_style.parse()?, sdk)?), policy),
                ProviderKind::Aws => {
                    let region =
                        args.region.clone().or_else(|| env("REGION")).or_else(|| env("AWS_REGION")).ok_or_else(
                            || Error::new(ErrorKind::InvalidRegion, "no AWS region: pass --region or set REGION"),
                        )?;
                    eprintln!("oauthbearer WARNING {MSK_FROM_A_URL}");
                    (Arc::new(sources::AwsToken::new(region, sdk)?), policy)
                }
                ProviderKind::Azure => {
                    let bootstrap =
                        args.bootstrap_servers.clone().or_else(|| env("BOOTSTRAP_SERVERS")).unwrap_or_default();
                    let scope = oauthbearer::azure::eventhubs_token_scope(&bootstrap, args.scope.as_deref())?;
                    (Arc::new(sources::AzureToken::new(scope, sdk)?), policy)
                }
                ProviderKind::Assertion => {
                    let path = args.config.as_ref().ok_or_else(|| {
                        Error::new(ErrorKind::MissingConfig, "--provider assertion needs --config FILE.properties")
                    })?;
                    let text = String::from_utf8(read(path)?).map_err(|_| {
                        Error::new(ErrorKind::FileUnreadable, format!("{} is not UTF-8 text", path.display()))
                    })?;
                    let properties = oauthbearer::config::properties::parse(&text)?;
                    let source = sources::AssertionToken::new(&properties, args.dialect.parse()?, sdk)?;
                    // The client's own settings: refresh window, back-off, connect + read timeouts.
                    let policy = LifecyclePolicy::from_config(source.config()).with_settings(&settings)?;
                    (Arc::new(source), policy)
                }
                ProviderKind::File => {
                    let path = args.token_file.clone().ok_or_else(|| {
                        Error::new(ErrorKind::MissingConfig, "--provider file needs --token-file FILE")
                    })?;
                    (Arc::new(sources::FileToken { path, dialect: Dialect::KafkaJava }), policy)
                }
                ProviderKind::Local => unreachable!("handled above"),
            };
            Backend::Provider { source, policy }
        }
    };
    // Before the ready line: a supervisor may send SIGTERM as soon as it reads it, and a signal that
    // arrives before the handler is installed kills the process without draining.
    let stop_signals = runtime.block_on(async { StopSignals::install() })?;
    let server = Server::start(listener, backend, config)
        .map_err(|e| config_error(format!("cannot start the server: {}", e.kind())))?;
    println!("oauthbearer: serving {} tokens on {}", args.provider.name(), server.url());
    runtime.block_on(stop_signals.received());
    eprintln!("oauthbearer.server INFO signal: shutting down");
    server.shutdown(DRAIN);
    Ok(())
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Must run inside the runtime.
    fn install() -> Result<Self, Error> {
        use tokio::signal::unix::{signal, SignalKind};
        let cannot = |e: std::io::Error| config_error(format!("cannot handle signals: {}", e.kind()));
        Ok(Self {
            term: signal(SignalKind::terminate()).map_err(cannot)?,
            int: signal(SignalKind::interrupt()).map_err(cannot)?,
        })
    }

    /// Resolves when either arrives (or arrived since `install`).
    async fn received(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// The local issuer, named by the bound URL, with its registered clients.
fn local_issuer(args: &Serve, url: &str) -> Result<Backend, Error> {
    let key = match &args.key {
        Some(path) => {
            let key = PrivateKey::from_bytes(&read(path)?, None)?;
            let algorithm = key.default_algorithm();
            key.signing_key(algorithm)?
        }
        None => PrivateKey::generate_p256()?.signing_key(oauthbearer::Algorithm::ES256)?,
    };
    let service = IssuerService::new(LocalIssuer::new(url.to_owned(), key));
    let mut specs = args.clients.clone();
    for path in &args.client_files {
        let text = String::from_utf8(read(path)?)
            .map_err(|_| Error::new(ErrorKind::FileUnreadable, format!("{} is not UTF-8 text", path.display())))?;
        specs.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
    }
    for spec in specs {
        let (client_id, secret) = spec.split_once(':').unwrap_or((&spec, ""));
        service.register(RegisteredClient {
            client_id: client_id.to_owned(),
            secret: (!secret.is_empty()).then(|| Secret::new(secret.to_owned())),
            keys: Vec::new(),
        });
    }
    for spec in &args.client_jwks {
        let (client_id, path) = spec.split_once('=').unwrap_or((spec, ""));
        let document: serde_json::Value = serde_json::from_slice(&read(std::path::Path::new(path))?).map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("a JSON file the command reads does not parse: line {}, column {}", e.line(), e.column()),
            )
        })?;
        let jwks = match document.get("keys").and_then(|k| k.as_array()) {
            Some(keys) => keys.clone(),
            None => vec![document],
        };
        let keys = jwks
            .iter()
            .map(|jwk| match jwk {
                serde_json::Value::Object(jwk) => oauthbearer::key::VerifyingKey::from_jwk(jwk),
                _ => Err(Error::new(ErrorKind::InvalidKey, "a client JWK is not a JSON object")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        service.register(RegisteredClient { client_id: client_id.to_owned(), secret: None, keys });
    }
    Ok(Backend::Issuer { service: Arc::new(service), audience: args.audience.clone(), lifetime_seconds: args.lifetime })
}

/// `msk-token`: prints `{"token", "expiry_ms", "url"}` as `oauthbearer msk-token` does.
fn msk_token(args: MskTokenArgs) -> Result<(), Error> {
    let runtime = runtime()?;
    let region = args
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .ok_or_else(|| Error::new(ErrorKind::InvalidRegion, "no AWS region: pass --region or set AWS_REGION"))?;
    let sdk = Sdk { runtime: runtime.handle().clone(), deadline: Duration::from_secs(30) };
    let mut source = sources::AwsToken::new(region, sdk)?;
    source.options.order = match args.order.as_str() {
        "js" | "go" => "sorted",
        other => other,
    }
    .parse()?;
    if let Some(ua) = args.user_agent {
        source.options.user_agent = (!ua.is_empty()).then_some(ua);
    }
    let credentials = source.credentials().map_err(|f| f.error)?;
    let now_ms = match args.now {
        Some(seconds) if (0.0..9e12).contains(&seconds) => (seconds * 1000.0) as u64,
        Some(_) => return Err(config_error("--now is not a time the core takes (0 .. 9e12 s)".into())),
        None => sources::now_ms(),
    };
    let token = oauthbearer::msk::msk_token(&credentials, &source.options, now_ms)?;
    let url = String::from_utf8(oauthbearer::encoding::b64url_decode(token.token.expose()).unwrap_or_default())
        .unwrap_or_default();
    let out = serde_json::json!({ "token": token.token.expose(), "expiry_ms": token.expires_at_ms, "url": url });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(())
}
