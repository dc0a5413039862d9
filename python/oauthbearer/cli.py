"""The ``oauthbearer`` command. Every time- or random-dependent command takes ``--now`` (Unix
seconds) and ``--jti`` for reproducible output. Errors print ``error: <code>: <message>`` (no
traceback, no secret) and exit 2 (argparse's usage errors too); ``inspect`` and ``explain`` exit 1
when a client would refuse. ``--dialect`` names whose rules apply everywhere: ``kafka-java``
(aliases ``kafka``, ``java``) or ``librdkafka`` (alias ``rdkafka``); ``--client`` is an alias."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import _native
from ._native import OAuthBearerError
from .providers import (_error, _os_reason, AssertionProvider, AzureProvider, FileProvider, GoogleProvider, LocalIssuerProvider,
                        MSK_FROM_A_URL, MskProvider, Provider, load_properties)
from .server import DEFAULT_PORT, RESPONSE_STYLES, Endpoint, serve

#: Every dialect name the CLI takes (the core takes the same): the canonical two, then aliases.
DIALECTS = {"kafka-java": "kafka-java", "librdkafka": "librdkafka", "kafka": "kafka-java", "java": "kafka-java",
            "rdkafka": "librdkafka"}
ORDERS = {"python": "python", "js": "sorted", "go": "sorted", "sorted": "sorted", "rust": "rust", "java": "java"}


def _now_ms(args: argparse.Namespace) -> int:
    return int((args.now if args.now is not None else time.time()) * 1000)


def _print(obj: object) -> None:
    print(json.dumps(obj, indent=2))


def _issuer(url: str, key_file: Optional[str], clients: Sequence[str], client_jwks: Sequence[str],
            client_files: Sequence[str] = ()) -> _native.LocalIssuer:
    key = (_native.SigningKey.parse(Path(key_file).read_bytes()) if key_file else _native.SigningKey.generate())
    issuer = _native.LocalIssuer(url, key)
    specs = list(clients)
    for path in client_files:  # one ID:SECRET (or ID) per line; # comments
        specs += [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()
                  if line.strip() and not line.strip().startswith("#")]
    for spec in specs:
        client_id, _, secret = spec.partition(":")
        issuer.register_client(client_id, secret or None)
    for spec in client_jwks:
        client_id, _, path = spec.partition("=")
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        issuer.register_client(client_id, None, document.get("keys", [document]))
    return issuer


def _provider(args: argparse.Namespace) -> Provider:
    kind = args.provider
    if kind == "gcp":
        return GoogleProvider(style=args.gcp_style)
    if kind == "aws":
        region = args.region or os.environ.get("REGION") or os.environ.get("AWS_REGION")
        if not region:
            raise _error(_native.CredentialsError, "invalid_region", "no AWS region: pass --region or set REGION")
        return MskProvider(region)
    if kind == "azure":
        return AzureProvider(args.bootstrap_servers, scope=args.scope)
    if kind == "assertion":
        if not args.config:
            raise _error(_native.ConfigError, "missing_config", "--provider assertion needs --config FILE.properties")
        return AssertionProvider(args.config, dialect=DIALECTS[args.dialect])
    if kind == "file":
        if not args.token_file:
            raise _error(_native.ConfigError, "missing_config", "--provider file needs --token-file FILE")
        return FileProvider(args.token_file)
    issuer = _issuer("http://127.0.0.1", args.key, args.client, args.client_jwk, args.client_file)
    return LocalIssuerProvider(issuer, args.subject, audience=args.audience, lifetime_seconds=args.lifetime)


def _redacted_client(spec: str) -> str:
    client_id, _, secret = spec.partition(":")
    return f"{client_id}:***" if secret else client_id


def _serve_options(args: argparse.Namespace) -> dict[str, object]:
    """The serve options as resolved: what ``--print-options`` prints (the surface test compares
    them with the native binary's), client secrets shown as ``ID:***``."""
    return {"provider": args.provider, "config": args.config, "dialect": DIALECTS[args.dialect],
            "region": args.region, "token_file": args.token_file, "bootstrap_servers": args.bootstrap_servers,
            "scope": args.scope, "response_style": args.response_style, "gcp_style": args.gcp_style,
            "key": args.key, "client": [_redacted_client(c) for c in args.client], "client_file": args.client_file,
            "client_jwk": args.client_jwk, "subject": args.subject, "audience": args.audience,
            "lifetime": args.lifetime, "host": args.host, "port": args.port, "access_log": args.access_log,
            "operational_paths": args.operational_paths}


def cmd_serve(args: argparse.Namespace) -> int:
    if args.print_options:
        print(json.dumps(_serve_options(args), separators=(",", ":")))
        return 0
    if any(secret for _id, _, secret in (c.partition(":") for c in args.client)):
        print("warning: --client ID:SECRET puts the secret in /proc/PID/cmdline, which every local user can read; "
              "use --client-file FILE", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The cloud SDKs log every HTTP exchange at INFO (one failed Azure fetch: 161 lines); their
    # failures reach our own log line, redacted.
    for sdk in ("azure", "botocore", "google", "urllib3", "msal"):
        logging.getLogger(sdk).setLevel(logging.WARNING)
    style = args.response_style
    if args.provider == "local":
        def endpoint(url: str) -> Endpoint:
            return Endpoint(issuer=_issuer(url, args.key, args.client, args.client_jwk, args.client_file), style=style,
                            audience=args.audience, lifetime_seconds=args.lifetime)
        make = endpoint
    else:
        provider = _provider(args)
        make = lambda _url: Endpoint(provider=provider, style=style)  # noqa: E731
        if args.provider == "aws":
            logging.getLogger("oauthbearer").warning(MSK_FROM_A_URL)
    serve(make, args.host, args.port,
          ready=lambda url: print(f"oauthbearer: serving {args.provider} tokens on {url}", flush=True),
          access_log=args.access_log, operational_paths=args.operational_paths)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    provider = _provider(args)
    token = provider.token()
    print(_native.token_response_body(token.value, token.expires_at_ms, provider.now_ms(),
                                      RESPONSE_STYLES[args.response_style]))
    return 0


def cmd_assertion(args: argparse.Namespace) -> int:
    properties = load_properties(args.config)
    dialect = DIALECTS[args.dialect]
    config = _native.parse_config(properties, dialect, args.mode)
    key = Path(config["private_key_file"]).read_bytes() if config.get("private_key_file") else None
    template = Path(config["template_file"]).read_bytes() if config.get("template_file") else None
    signer = _native.AssertionSigner(properties, dialect, args.mode, key, template)
    now = _now_ms(args)
    header, payload = signer.header_and_payload(now, args.jti)
    if args.jti and "jti" not in payload:  # what the signer made of the configuration, not a re-read of it
        print("warning: --jti is ignored: the configuration sends no jti (set "
              "sasl.oauthbearer.assertion.claim.jti.include=true)", file=sys.stderr)
    if args.decode:
        _print({"header": header, "payload": payload})
    else:
        print(signer.sign(now, args.jti).value)
    return 0


def cmd_msk_token(args: argparse.Namespace) -> int:
    provider = MskProvider(args.region, order=ORDERS[args.order], user_agent=args.user_agent)
    key, secret, session_token, expires_at_ms = provider.credentials()
    token = _native.msk_token(key, secret, session_token, expires_at_ms, provider.region, _now_ms(args),
                              ORDERS[args.order], args.user_agent)
    _print({"token": token.value, "expiry_ms": token.expires_at_ms, "url": _native.msk_signed_url(token.value)})
    return 0


def cmd_gcp_token(args: argparse.Namespace) -> int:
    token = _native.google_token(args.access_token, int(args.expires_at * 1000), args.principal, _now_ms(args),
                                 args.style)
    _print({"token": token.value, "expires_at_ms": token.expires_at_ms, "principal": token.principal})
    return 0


def _read_jwks(source: str) -> str:
    """A JWKS from a file or an http(s) URL (what the broker's jwks.endpoint.url serves)."""
    if source.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request
        try:
            with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - the user's own JWKS URL
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as answer:
            raise _error(_native.ConfigError, "file_unreadable",
                         f"cannot read the JWKS at {source}: HTTP {answer.code}") from None
        except urllib.error.URLError as failure:
            raise _error(_native.ConfigError, "file_unreadable",
                         f"cannot read the JWKS at {source}: {_os_reason(failure.reason)}") from None
        except OSError as failure:
            raise _error(_native.ConfigError, "file_unreadable",
                         f"cannot read the JWKS at {source}: {_os_reason(failure)}") from None
    return Path(source).read_text(encoding="utf-8")


def _token_argument(args: argparse.Namespace) -> str:
    """The token to inspect: the argument, ``--token-file FILE``, or standard input (``-`` or none),
    so that it need not stand in the shell's history or the process list."""
    if args.token_file:
        return Path(args.token_file).read_text(encoding="utf-8").strip()
    if args.token in (None, "-"):
        return sys.stdin.read().strip()
    return args.token


def cmd_inspect(args: argparse.Namespace) -> int:
    dialect = DIALECTS[args.dialect]
    judge = "broker" if args.jwks else dialect
    token = _token_argument(args)
    jwks = _read_jwks(args.jwks) if args.jwks else None  # a JWKS that cannot be read is an error, not a verdict
    try:
        if jwks is not None:
            accepted = _native.check_as_broker(token, jwks, _now_ms(args), args.audience or [], args.issuer)
        else:
            accepted = _native.check_access_token(token, dialect, _now_ms(args))
    except OAuthBearerError as err:
        _print({"accepted": False, "client": judge, "code": getattr(err, "code", "error"), "reason": str(err)})
        return 1
    _print({"accepted": True, "client": judge, "principal": accepted.principal, "scopes": accepted.scopes,
            "expires_at_ms": accepted.expires_at_ms, "issued_at_ms": accepted.issued_at_ms})
    return 0


#: Client libraries whose properties are librdkafka's (the dialect `explain` reads them in by default).
LIBRDKAFKA_LIBRARIES = {"librdkafka", "confluent-kafka", "@confluentinc/kafka-javascript"}


def _library(spec: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """``NAME`` or ``NAME==VERSION``; a Python client library's version defaults to the installed one."""
    if not spec:
        return None, None
    name, _, version = spec.partition("==")
    if not version:
        import importlib.metadata

        try:
            # Spark's version is the installed PySpark's (the driver's is the cluster's).
            version = importlib.metadata.version("pyspark" if name == "spark" else name)
        except (importlib.metadata.PackageNotFoundError, ValueError):
            version = ""
    return name, version or None


def cmd_jwks(args: argparse.Namespace) -> int:
    """The public JWKS of a private key, as an IdP takes it (Keycloak refuses a JWK without `use`),
    for the algorithm the client signs with when its properties are given."""
    passphrase = os.environ.get(args.passphrase_env) if args.passphrase_env else None
    alg, key_file = args.alg, args.key
    if args.config:
        properties = load_properties(args.config)
        config = _native.parse_config(properties, DIALECTS[args.dialect], "kafka-compatible")
        if args.alg and args.alg != config["algorithm"]:
            raise _error(_native.ConfigError, "invalid_config",
                         f"--alg {args.alg} differs from the algorithm {args.config} signs with ({config['algorithm']}): "
                         "the IdP would refuse its assertions; drop --alg")
        alg, key_file = config["algorithm"], key_file or config.get("private_key_file")
        passphrase = passphrase or properties.get("sasl.oauthbearer.assertion.private.key.passphrase")
    if not key_file:
        raise _error(_native.ConfigError, "missing_config", "name the key file, or --config properties that name one")
    key = _native.SigningKey.parse(Path(key_file).read_bytes(), passphrase, alg)
    _print({"keys": [key.public_jwk(kid=key.thumbprint if args.kid is None else args.kid or None)]})
    return 0


def _readable(path: Optional[str]) -> Optional[bytes]:
    """A file the properties name, when this process can read it (explain then checks its contents)."""
    try:
        return Path(path).read_bytes() if path else None
    except OSError:
        return None


def cmd_explain(args: argparse.Namespace) -> int:
    properties = load_properties(args.config)
    library, version = _library(args.library)
    dialect = DIALECTS[args.dialect or ("librdkafka" if library in LIBRDKAFKA_LIBRARIES else "kafka-java")]
    try:
        config = _native.parse_config(properties, dialect, "kafka-compatible")
    except OAuthBearerError:
        config = {}  # explain reports what is wrong with the properties themselves
    findings = _native.explain(properties, dialect, client=library, client_version=version,
                               broker_reauth_ms=args.broker_reauth_ms,
                               private_key=_readable(config.get("private_key_file")),
                               assertion_template=_readable(config.get("template_file")))
    _print({"findings": [{"severity": s, "code": c, "message": m, "fix": f} for s, c, m, f in findings]})
    return 1 if any(severity == "error" for severity, *_ in findings) else 0


def _provider_options(p: argparse.ArgumentParser) -> None:
    env_provider = os.environ.get("PROVIDER")
    p.add_argument("--provider", choices=["local", "gcp", "aws", "azure", "assertion", "file"],
                   default=env_provider if env_provider in ("gcp", "aws", "azure") else "local",
                   help="token source (default: $PROVIDER if gcp/aws/azure, else the local issuer)")
    p.add_argument("--config", help="Kafka client .properties (assertion provider)")
    _dialect_option(p, default="kafka-java", client_alias=False)
    p.add_argument("--region", help="AWS region (default $REGION, $AWS_REGION)")
    p.add_argument("--token-file", help="pre-issued token file (file provider)")
    p.add_argument("--bootstrap-servers", help="Event Hubs namespace host:9093 (azure; default $BOOTSTRAP_SERVERS)")
    p.add_argument("--scope", help="Entra scope (azure; default the namespace's, and a different one is refused)")
    # As a drop-in for kafka-auth-handler: with PROVIDER set, its answer layout and its Google token bytes.
    drop_in = env_provider in ("gcp", "aws")
    p.add_argument("--response-style", choices=["standard", "google-python", "kafka-auth-handler"],
                   default="kafka-auth-handler" if drop_in else "standard",
                   help="answer JSON layout (default: kafka-auth-handler's when $PROVIDER is set, else standard)")
    p.add_argument("--gcp-style", choices=["google-java", "google-python", "kafka-auth-handler"],
                   default="kafka-auth-handler" if drop_in else "google-java",
                   help="Google token layout (default: kafka-auth-handler's when $PROVIDER is set, else google-java)")
    p.add_argument("--key", help="local issuer signing key (default: a fresh ES256 key)")
    p.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                   help="register a client, ID or ID:SECRET (local issuer; none = accept any client). A secret here "
                        "is readable by every local user in /proc/PID/cmdline: prefer --client-file")
    p.add_argument("--client-file", action="append", default=[], metavar="FILE",
                   help="register the clients in FILE, one ID:SECRET (or ID) per line (local issuer)")
    p.add_argument("--client-jwk", action="append", default=[], metavar="ID=JWKS.json",
                   help="register a client's public JWK(S) for KIP-1258 assertions (local issuer)")
    p.add_argument("--subject", default="kafka-client", help="subject of tokens (token command, local)")
    p.add_argument("--audience", help="aud of issued tokens (local issuer)")
    p.add_argument("--lifetime", type=_whole(1, 2**32 - 1), default=3600,
                   help="issued token lifetime in seconds (local issuer)")


def _dialect_option(p: argparse.ArgumentParser, default: Optional[str], client_alias: bool = True) -> None:
    """``--dialect`` (and ``--client``, the name ``inspect`` and ``explain`` had, where ``--client``
    does not register issuer clients)."""
    names = ["--dialect", "--client"] if client_alias else ["--dialect"]
    p.add_argument(*names, dest="dialect", choices=list(DIALECTS), default=default,
                   metavar="{kafka-java,librdkafka}",
                   help="whose rules and property names: kafka-java (aliases kafka, java) or librdkafka (alias "
                        f"rdkafka) (default {default or 'by --library, else kafka-java'})")


def _whole(low: int, high: int):  # noqa: ANN202 - an argparse type
    """An argparse type: a whole number in [low, high] (no traceback for -5 or 1e99)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value
    return parse


def _seconds(text: str) -> float:
    """An argparse type: Unix seconds, not negative and within what the core takes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < 2**53 / 1000:
        raise argparse.ArgumentTypeError(f"{text} is not a time the core takes (0 .. 9e12 s)")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="oauthbearer", description=__doc__)
    root.add_argument("--version", action="version", version=f"oauthbearer {_native.__version__}")
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the local token endpoint", description=cmd_serve.__doc__ or
                       "Serve tokens over HTTP (kafka-auth-handler / Google local server compatible).")
    _provider_options(p)
    # The container image sets OAUTHBEARER_HOST=0.0.0.0 (a published port reaches the container's
    # interface, not its loopback); everywhere else loopback.
    p.add_argument("--host", default=os.environ.get("OAUTHBEARER_HOST") or "127.0.0.1",
                   help="bind address (default $OAUTHBEARER_HOST, else 127.0.0.1)")
    p.add_argument("--port", type=_whole(0, 65535), default=os.environ.get("PORT", str(DEFAULT_PORT)),
                   help=f"port (default $PORT, else {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--no-access-log", dest="access_log", action="store_false",
                   help="no access line per request on stderr (method, path, status, time)")
    p.add_argument("--no-operational-paths", dest="operational_paths", action="store_false",
                   help="no /livez, /readyz and /metrics: every path serves the token (kafka-auth-handler's contract)")
    p.add_argument("--print-options", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="run a provider once and print the token response JSON")
    _provider_options(p)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("assertion", help="sign a KIP-1258 client assertion from Kafka properties")
    p.add_argument("--config", required=True, help="Kafka client .properties")
    _dialect_option(p, default="kafka-java")
    p.add_argument("--mode", choices=["strict", "kafka-compatible"], default="strict")
    p.add_argument("--now", type=_seconds, help="Unix seconds (default: now)")
    p.add_argument("--jti", help="the jti (default: a random UUID when configured)")
    p.add_argument("--decode", action="store_true", help="print the header and claims instead of the JWT")
    p.set_defaults(func=cmd_assertion)

    p = sub.add_parser("msk-token", help="an AWS MSK IAM token from the botocore credential chain")
    p.add_argument("--region", help="AWS region (default $AWS_REGION)")
    p.add_argument("--now", type=_seconds, help="Unix seconds (default: now)")
    p.add_argument("--order", choices=["python", "js", "go", "rust", "java"], default="python",
                   help="query parameter order of the signer to match byte for byte")
    p.add_argument("--user-agent", help="User-Agent parameter (default ours; '' = none)")
    p.set_defaults(func=cmd_msk_token)

    p = sub.add_parser("gcp-token", help="wrap a Google access token for Google Managed Kafka")
    p.add_argument("--access-token", required=True)
    p.add_argument("--expires-at", type=_seconds, required=True, help="access token expiry, Unix seconds")
    p.add_argument("--principal", required=True)
    p.add_argument("--now", type=_seconds, help="Unix seconds (default: now)")
    p.add_argument("--style", choices=["google-java", "google-python", "kafka-auth-handler"], default="google-java")
    p.set_defaults(func=cmd_gcp_token)

    p = sub.add_parser("inspect", help="would a Kafka client (or, with --jwks, the broker) accept this access "
                                       "token? (exit 1 if not)")
    p.add_argument("token", nargs="?", help="the access token; '-' or none: read it from standard input "
                                            "(keeps it out of the shell's history and the process list)")
    p.add_argument("--token-file", help="read the token from this file")
    _dialect_option(p, default="kafka-java")
    p.add_argument("--jwks", help="judge as the broker does: the JWKS file or URL (sasl.oauthbearer.jwks.endpoint.url)")
    p.add_argument("--audience", action="append", help="with --jwks: sasl.oauthbearer.expected.audience (repeatable)")
    p.add_argument("--issuer", help="with --jwks: sasl.oauthbearer.expected.issuer")
    p.add_argument("--now", type=_seconds, help="Unix seconds (default: now)")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("jwks", help="the public JWKS of a private key file, to register with the IdP "
                                    "(alg, use: sig, kid: the RFC 7638 thumbprint)")
    p.add_argument("key", nargs="?", help="private key file (PEM, DER or JWK; PKCS#8, PKCS#1, SEC1, encrypted PKCS#8; "
                                          "default: the one --config names)")
    p.add_argument("--config", help="the client's .properties: the JWKS is for the algorithm it signs with "
                                    "(sasl.oauthbearer.assertion.algorithm, RS256 by default, as Kafka's)")
    _dialect_option(p, default="kafka-java")
    p.add_argument("--alg", help="the algorithm the key signs with (default: the --config client's, else RS256, ES256, "
                                 "ES384 or EdDSA by key type)")
    p.add_argument("--kid", help="the kid to publish (default: the RFC 7638 thumbprint; '' for none)")
    p.add_argument("--passphrase-env", metavar="VAR", help="environment variable holding the key's passphrase")
    p.set_defaults(func=cmd_jwks)

    p = sub.add_parser("explain", help="find configuration problems (exit 1 on an error-level finding)")
    p.add_argument("--config", required=True,
                   help="Kafka client .properties, or Spark Kafka source/sink options (kafka.-prefixed names)")
    _dialect_option(p, default=None)
    p.add_argument("--library", metavar="NAME[==VERSION]",
                   help="the client library (kafka-clients, librdkafka, confluent-kafka, kafka-python, aiokafka, "
                        "kafkajs, @confluentinc/kafka-javascript, spark, databricks); a Python one's version defaults "
                        "to the installed one (spark: PySpark's)")
    p.add_argument("--broker-reauth-ms", type=_whole(0, 2**63 - 1), metavar="MS", help="the broker's connections.max.reauth.ms")
    p.set_defaults(func=cmd_explain)
    return root


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except OAuthBearerError as err:
        print(f"error: {getattr(err, 'code', 'error')}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: file_unreadable: {err.filename or ''}: {err.strerror or type(err).__name__}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print("error: file_unreadable: a file the command reads is not UTF-8 text", file=sys.stderr)
        return 2
    except json.JSONDecodeError as err:  # a --client-jwk file; the message names a position, not content
        print(f"error: invalid_config: a JSON file the command reads does not parse: {err.msg} (line {err.lineno}, "
              f"column {err.colno})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
