//! The command line: exactly `oauthbearer serve`'s options, names, environment variables and
//! defaults (python/oauthbearer/cli.py). `tests/sidecar/test_surface.py` runs both with the same
//! arguments and environments and compares what each resolved (`--print-options`), so the two
//! cannot drift apart unnoticed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

/// The port kafka-auth-handler and Google's local auth server listen on.
pub(crate) const DEFAULT_PORT: u16 = 14293;

#[derive(Parser, Debug)]
#[command(
    name = "oauthbearer-sidecar",
    version,
    about = "The Kafka OAUTHBEARER token endpoint as one native binary: `oauthbearer serve` without \
             Python (kafka-auth-handler / Google local auth server compatible).",
    args_conflicts_with_subcommands = true,
    // As argparse: an option given twice takes its last value.
    args_override_self = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// With no command: serve.
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
// Parsed once at start: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Command {
    /// Run the local token endpoint (the default).
    #[command(args_override_self = true)]
    Serve(ServeArgs),
    /// Print an AWS MSK IAM token from aws-config's default credential chain.
    MskToken(MskTokenArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderKind {
    Local,
    Gcp,
    Aws,
    Azure,
    Assertion,
    File,
}

impl ProviderKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Gcp => "gcp",
            Self::Aws => "aws",
            Self::Azure => "azure",
            Self::Assertion => "assertion",
            Self::File => "file",
        }
    }
}

/// `oauthbearer serve`'s options. Defaults that depend on the environment (`$PROVIDER`, `$PORT`)
/// are resolved in [`ServeArgs::resolve`], as the Python front resolves them.
#[derive(Args, Debug, Clone)]
pub(crate) struct ServeArgs {
    /// token source (default: $PROVIDER if gcp/aws/azure, else the local issuer)
    #[arg(long, value_enum)]
    provider: Option<ProviderKind>,
    /// Kafka client .properties (assertion provider)
    #[arg(long)]
    config: Option<PathBuf>,
    /// whose rules and property names: kafka-java (aliases kafka, java) or librdkafka (alias rdkafka)
    #[arg(long, default_value = "kafka-java", value_parser = ["kafka-java", "librdkafka", "kafka", "java", "rdkafka"])]
    dialect: String,
    /// AWS region (default $REGION, $AWS_REGION)
    #[arg(long)]
    region: Option<String>,
    /// pre-issued token file (file provider)
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Event Hubs namespace host:9093 (azure; default $BOOTSTRAP_SERVERS)
    #[arg(long)]
    bootstrap_servers: Option<String>,
    /// Entra scope (azure; default the namespace's, and a different one is refused)
    #[arg(long)]
    scope: Option<String>,
    /// answer JSON layout (default: kafka-auth-handler's when $PROVIDER is gcp or aws, else standard)
    #[arg(long, value_parser = ["standard", "google-python", "kafka-auth-handler"])]
    response_style: Option<String>,
    /// Google token layout (default: kafka-auth-handler's when $PROVIDER is gcp or aws, else google-java)
    #[arg(long, value_parser = ["google-java", "google-python", "kafka-auth-handler"])]
    gcp_style: Option<String>,
    /// local issuer signing key (default: a fresh ES256 key)
    #[arg(long)]
    key: Option<PathBuf>,
    /// register a client, ID or ID:SECRET (local issuer; none = accept any client). A secret here
    /// is readable by every local user in /proc/PID/cmdline: prefer --client-file
    #[arg(long = "client", value_name = "ID:SECRET")]
    clients: Vec<String>,
    /// register the clients in FILE, one ID:SECRET (or ID) per line (local issuer)
    #[arg(long = "client-file", value_name = "FILE")]
    client_files: Vec<PathBuf>,
    /// register a client's public JWK(S) for KIP-1258 assertions (local issuer)
    #[arg(long = "client-jwk", value_name = "ID=JWKS.json")]
    client_jwks: Vec<String>,
    /// subject of tokens (token command, local)
    #[arg(long, default_value = "kafka-client")]
    subject: String,
    /// aud of issued tokens (local issuer)
    #[arg(long)]
    audience: Option<String>,
    /// issued token lifetime in seconds (local issuer)
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u32).range(1..))]
    lifetime: u32,
    /// bind address (default $OAUTHBEARER_HOST, else 127.0.0.1)
    #[arg(long)]
    host: Option<String>,
    /// port (default $PORT, else 14293; 0: any free port)
    #[arg(long)]
    port: Option<u16>,
    /// no access line per request on stderr (method, path, status, time)
    #[arg(long = "no-access-log")]
    no_access_log: bool,
    /// no /livez, /readyz and /metrics: every path serves the token (kafka-auth-handler's contract)
    #[arg(long = "no-operational-paths")]
    no_operational_paths: bool,
    /// print the options as resolved (JSON) and exit (the surface test compares the two fronts)
    #[arg(long, hide = true)]
    print_options: bool,
}

/// The options after the environment's defaults.
#[derive(Debug, Clone)]
pub(crate) struct Serve {
    pub(crate) provider: ProviderKind,
    pub(crate) config: Option<PathBuf>,
    pub(crate) dialect: &'static str,
    pub(crate) region: Option<String>,
    pub(crate) token_file: Option<PathBuf>,
    pub(crate) bootstrap_servers: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) response_style: String,
    pub(crate) gcp_style: String,
    pub(crate) key: Option<PathBuf>,
    pub(crate) clients: Vec<String>,
    pub(crate) client_files: Vec<PathBuf>,
    pub(crate) client_jwks: Vec<String>,
    pub(crate) subject: String,
    pub(crate) audience: Option<String>,
    pub(crate) lifetime: u32,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) access_log: bool,
    pub(crate) operational_paths: bool,
    pub(crate) print_options: bool,
}

/// A non-empty environment variable.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ServeArgs {
    /// Applies the environment's defaults, as `_provider_options` in the Python CLI does.
    pub(crate) fn resolve(self) -> Result<Serve, String> {
        let env_provider = env("PROVIDER");
        let from_env = match env_provider.as_deref() {
            Some("gcp") => Some(ProviderKind::Gcp),
            Some("aws") => Some(ProviderKind::Aws),
            Some("azure") => Some(ProviderKind::Azure),
            _ => None,
        };
        // As a drop-in for kafka-auth-handler: with PROVIDER set, its answer layout and token bytes.
        let drop_in = matches!(env_provider.as_deref(), Some("gcp" | "aws"));
        let port = match (self.port, env("PORT")) {
            (Some(p), _) => p,
            (None, Some(text)) => text.parse().map_err(|_| format!("$PORT {text:?} is not a port (0..65535)"))?,
            (None, None) => DEFAULT_PORT,
        };
        let dialect = match self.dialect.as_str() {
            "librdkafka" | "rdkafka" => "librdkafka",
            _ => "kafka-java",
        };
        Ok(Serve {
            provider: self.provider.or(from_env).unwrap_or(ProviderKind::Local),
            config: self.config,
            dialect,
            region: self.region,
            token_file: self.token_file,
            bootstrap_servers: self.bootstrap_servers,
            scope: self.scope,
            response_style: self
                .response_style
                .unwrap_or_else(|| if drop_in { "kafka-auth-handler" } else { "standard" }.into()),
            gcp_style: self
                .gcp_style
                .unwrap_or_else(|| if drop_in { "kafka-auth-handler" } else { "google-java" }.into()),
            key: self.key,
            clients: self.clients,
            client_files: self.client_files,
            client_jwks: self.client_jwks,
            subject: self.subject,
            audience: self.audience,
            lifetime: self.lifetime,
            // The container image sets OAUTHBEARER_HOST=0.0.0.0 (a published port reaches the
            // container's interface, not its loopback); everywhere else loopback.
            host: self.host.or_else(|| env("OAUTHBEARER_HOST")).unwrap_or_else(|| "127.0.0.1".into()),
            port,
            access_log: !self.no_access_log,
            operational_paths: !self.no_operational_paths,
            print_options: self.print_options,
        })
    }
}

impl Serve {
    /// The resolved options as the surface test compares them (client secrets shown as `ID:***`).
    pub(crate) fn describe(&self) -> Value {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let paths = |ps: &[PathBuf]| ps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        json!({
            "provider": self.provider.name(),
            "config": path(&self.config),
            "dialect": self.dialect,
            "region": self.region,
            "token_file": path(&self.token_file),
            "bootstrap_servers": self.bootstrap_servers,
            "scope": self.scope,
            "response_style": self.response_style,
            "gcp_style": self.gcp_style,
            "key": path(&self.key),
            "client": self.clients.iter().map(|c| redact_client(c)).collect::<Vec<_>>(),
            "client_file": paths(&self.client_files),
            "client_jwk": self.client_jwks,
            "subject": self.subject,
            "audience": self.audience,
            "lifetime": self.lifetime,
            "host": self.host,
            "port": self.port,
            "access_log": self.access_log,
            "operational_paths": self.operational_paths,
        })
    }
}

/// `ID:SECRET` as `ID:***` (the surface dump never shows a secret).
pub(crate) fn redact_client(spec: &str) -> String {
    match spec.split_once(':') {
        Some((id, secret)) if !secret.is_empty() => format!("{id}:***"),
        _ => spec.trim_end_matches(':').to_owned(),
    }
}

/// `msk-token`: one token from aws-config's default chain, printed as the Python CLI prints it.
#[derive(Args, Debug, Clone)]
pub(crate) struct MskTokenArgs {
    /// AWS region (default $AWS_REGION)
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// query parameter order of the signer to match byte for byte
    #[arg(long, default_value = "python", value_parser = ["python", "js", "go", "rust", "java"])]
    pub(crate) order: String,
    /// User-Agent parameter (default ours; '' = none)
    #[arg(long)]
    pub(crate) user_agent: Option<String>,
    /// Unix seconds (default: now)
    #[arg(long)]
    pub(crate) now: Option<f64>,
}
