"""Token providers: one interface (``token()`` -> :class:`Token`), thread-safe caching with a
single-flight refresh on the core's schedule, typed errors.

Every provider fetches credentials or tokens (I/O) and hands the bytes to the core, which builds,
checks and times them.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Optional

from . import _native
from ._native import CredentialsError, OAuthBearerError, TokenEndpointError

Clock = Callable[[], float]

#: Set at interpreter exit: retry back-offs end at once and the native module takes no new call
#: that could re-attach to a finalizing interpreter (``_native.quiesce``; issue 25's segfault).
_EXITING = threading.Event()
#: The fetch running on this thread: where its failed attempts are reported (``report(err)``).
_attempts = threading.local()


@atexit.register
def _quiesce_at_exit() -> None:
    _EXITING.set()
    _native.quiesce()


def attempt_record(err: BaseException) -> tuple[str, str]:
    """A failed attempt as the lifecycle records it: its code (the core's, else
    ``credentials_unavailable``) and its message (oauthbearer's messages hold no secret)."""
    return getattr(err, "code", "credentials_unavailable"), str(err)


def _back_off(seconds: float) -> None:
    """Sleeps between attempts; at interpreter exit returns at once."""
    _EXITING.wait(seconds)


def _error(cls: type[OAuthBearerError], code: str, message: str) -> OAuthBearerError:
    """An exception of the core's tree raised by this package (codes from the core's list)."""
    err = cls(message)
    err.code = code  # type: ignore[attr-defined]
    return err


@dataclass(frozen=True)
class Token:
    """A token ready for SASL/OAUTHBEARER. ``repr`` never shows the value."""

    value: str = field(repr=False)
    expires_at_ms: int
    principal: str
    extensions: Mapping[str, str] = field(default_factory=dict)
    issued_at_ms: Optional[int] = None

    @property
    def expiry_seconds(self) -> float:
        """The expiry as epoch seconds (confluent-kafka's ``oauth_cb`` wants a float)."""
        return self.expires_at_ms / 1000


class Provider:
    """Base class: caches the token and refreshes it for every caller with one fetch, as the core's
    lifecycle machine (``_native.TokenLifecycle``) decides. This class only keeps the token and
    the last error, runs each fetch on a thread of its own, and waits.

    * A refresh starts on the client's schedule (Kafka Java's window with jitter, or librdkafka's
      80 %); its caller and every other caller are served the cached token while it runs.
    * With nothing valid cached, callers wait for the one fetch in flight, but never past its
      deadline (``fetch_timeout_ms``, default 10 s): then they get the cached token if it is still
      valid, else ``TokenEndpointError`` with code ``fetch_timeout``. A fetch that answers late is
      still used.
    * A failed fetch keeps the unexpired token in service; callers with nothing valid get the
      fetch's exception until the back-off (the client's) allows the next fetch.
    """

    #: Which client's refresh schedule and back-off to follow (``kafka-java`` or ``librdkafka``).
    refresh_schedule = "kafka-java"

    def __init__(self, *, clock: Clock = time.time, fetch_timeout_ms: Optional[int] = None) -> None:
        self._clock = clock
        self._fetch_timeout_ms = fetch_timeout_ms
        self._cond = threading.Condition()
        self._life: Optional[_native.TokenLifecycle] = None
        self._cached: Optional[Token] = None
        self._failure: Optional[tuple[BaseException, Any]] = None
        #: The last failed attempt of the fetch in flight (the cause of its timeout).
        self._last_attempt: Optional[BaseException] = None
        #: How many fetches returned a token (for tests and the endpoint's stats).
        self.fetches = 0

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def fetch(self, now_ms: int) -> Token:  # pragma: no cover - abstract
        """Fetches a fresh token (subclasses). Runs on a thread of its own."""
        raise NotImplementedError

    def lifecycle_settings(self) -> dict[str, Any]:
        """The lifecycle policy's settings, as ``_native.TokenLifecycle.for_properties`` or the
        native server take them (subclasses with a Kafka configuration add its properties)."""
        return {"client": self.refresh_schedule, "fetch_timeout_ms": self._fetch_timeout_ms}

    def _lifecycle(self) -> _native.TokenLifecycle:
        return _native.TokenLifecycle(self.refresh_schedule, self._fetch_timeout_ms)

    def token(self) -> Token:
        with self._cond:
            if self._life is None:
                self._life = self._lifecycle()
            while True:
                now = self.now_ms()
                decision = self._life.want(now)
                if decision.kind == "serve":
                    assert self._cached is not None
                    return self._cached
                if decision.kind == "fetch":
                    assert decision.fetch is not None
                    threading.Thread(target=self._run_fetch, args=(decision.fetch, now), daemon=True,
                                     name=f"oauthbearer-fetch-{decision.fetch}").start()
                    if decision.serve is not None:
                        assert self._cached is not None
                        return self._cached
                elif decision.kind == "wait":
                    self._cond.wait((decision.wait_ms or 0) / 1000)
                elif decision.error is not None:
                    # A timeout names the fetch's last failed attempt (the core's message says it too).
                    cause = self._last_attempt if getattr(decision.error, "code", None) == "fetch_timeout" else None
                    raise decision.error from cause
                else:
                    assert self._failure is not None
                    failure, traceback = self._failure
                    # Raised again and again while it lasts: reset to the fetch's own traceback each
                    # time, or every raise would add its frames to it (for days).
                    raise failure.with_traceback(traceback)

    def _attempt_failed(self, err: BaseException) -> None:
        """An attempt inside ``fetch`` failed and the fetch retries: reported to whoever runs the
        fetch (this provider's lifecycle, or the native server), so that a timeout names it."""
        report = getattr(_attempts, "report", None)
        if report is not None:
            report(err)

    def _report_attempt(self, fetch: int, err: BaseException) -> None:
        with self._cond:
            assert self._life is not None
            if self._life.attempt_failed(fetch, *attempt_record(err)):
                self._last_attempt = err

    def _run_fetch(self, fetch: int, started_ms: int) -> None:
        _attempts.report = lambda err: self._report_attempt(fetch, err)
        with self._cond:
            self._last_attempt = None
        try:
            token = self.fetch(started_ms)
            with self._cond:
                assert self._life is not None
                try:
                    arrival = self._life.fetch_succeeded(fetch, token.expires_at_ms, token.issued_at_ms,
                                                         self.now_ms(), random.random())
                except (OverflowError, TypeError):  # a token the machine cannot take fails the fetch
                    raise _error(_native.TokenError, "invalid_token", "the fetched token's expires_at_ms and "
                                 "issued_at_ms must be non-negative integers (epoch milliseconds)") from None
                self.fetches += 1
                if arrival == "cached":
                    self._cached = token
                self._cond.notify_all()
        except BaseException as err:  # every failure must reach the waiters, whatever its type
            if _EXITING.is_set():
                return  # the interpreter is exiting: nobody waits, and the native module is closed
            retryable = bool(getattr(err, "retryable", isinstance(err, OAuthBearerError)))
            with self._cond:
                assert self._life is not None
                if self._life.fetch_failed(fetch, retryable, getattr(err, "retry_after", None), self.now_ms(),
                                           random.random()):
                    self._failure = (err, err.__traceback__)
                self._cond.notify_all()


def _accepted(value: str, dialect: str, now_ms: int, extensions: Mapping[str, str]) -> Token:
    """A token checked as the Kafka client would check it."""
    accepted = _native.check_access_token(value, dialect, now_ms)
    return Token(value, accepted.expires_at_ms, accepted.principal, dict(extensions), accepted.issued_at_ms)


def load_properties(source: "str | os.PathLike[str] | Mapping[str, str]") -> dict[str, str]:
    """Kafka client properties from a mapping or a Java ``.properties`` file."""
    if isinstance(source, Mapping):
        return dict(source)
    return dict(_native.parse_properties(Path(source).read_text(encoding="utf-8")))


class AssertionProvider(Provider):
    """KIP-1258 (and client-secret / jwt-bearer) tokens from Kafka client properties: signs the
    assertion (re-reading key, template or assertion files when they change), POSTs the request
    the Kafka client would send, parses the answer as it does, retries on its schedule, and checks
    the access token as the client would.

    ``certificate_file`` names the signing key's certificate in each assertion's header — Entra ID
    certificate credentials — with ``thumbprint_header``: ``"x5t#S256"`` (the default, Microsoft's
    current documents and MSAL), ``"x5t"`` (older documents, ADFS, tenants that answer
    AADSTS700027 to the SHA-256 form) or ``"both"``. Key and certificate reload together: while a
    rotation has replaced one and not the other, the previous pair keeps signing."""

    def __init__(self, properties: "str | os.PathLike[str] | Mapping[str, str]", *, dialect: str = "kafka-java",
                 mode: str = "strict", ca_file: Optional[str] = None, clock: Clock = time.time,
                 sleep: Callable[[float], None] = _back_off, fetch_timeout_ms: Optional[int] = None,
                 certificate_file: "Optional[str | os.PathLike[str]]" = None,
                 thumbprint_header: Optional[Literal["x5t#S256", "x5t", "both"]] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.properties = load_properties(properties)
        self.config = _native.parse_config(self.properties, dialect, mode)
        # The dialect's one name (``kafka`` and ``java`` are aliases of ``kafka-java``).
        self.dialect, self.mode = self.config["dialect"], mode
        if self.dialect == "librdkafka":
            self.refresh_schedule = "librdkafka"
        signs = self.config["grant"] in ("client_assertion", "jwt_bearer")
        # Without an assertion to name it in, a certificate gets the core's invalid_config from here.
        self._assertions = (_native.FileAssertions(self.properties, dialect, mode, certificate_file, thumbprint_header)
                            if signs or certificate_file or thumbprint_header else None)
        self._ssl = None
        if ca_file:
            self._ssl = ssl.create_default_context(cafile=ca_file)
        self._sleep = sleep
        timeout_ms = self.config.get("read_timeout_ms") or self.config.get("connect_timeout_ms") or 10_000
        self._timeout = timeout_ms / 1000

    def lifecycle_settings(self) -> dict[str, Any]:
        # The client's own settings: refresh window, back-off, connect + read timeouts.
        return {"properties": self.properties, "dialect": self.dialect, "mode": self.mode,
                "fetch_timeout_ms": self._fetch_timeout_ms}

    def _lifecycle(self) -> _native.TokenLifecycle:
        return _native.TokenLifecycle.for_properties(self.properties, self.dialect, self.mode, self._fetch_timeout_ms)

    def fetch(self, now_ms: int) -> Token:
        if self.config["grant"] == "token_file":
            text = Path(self.config["token_file"]).read_text(encoding="utf-8").strip()
            return _accepted(text, self.dialect, now_ms, dict(self.config["extensions"]))
        schedule = _native.RetrySchedule(now_ms, "librdkafka" if self.dialect == "librdkafka" else "kafka-java",
                                         self.config["retry_backoff_ms"], self.config["retry_backoff_max_ms"])
        while True:
            assertion = self._assertions.assertion(self.now_ms())[0] if self._assertions else None
            request = _native.token_request(self.properties, self.dialect, self.mode, assertion)
            retry_after = None
            try:
                status, content_type, body, retry_after = self._post(request)
                response = _native.parse_token_response(status, content_type, body, self.dialect, self.properties)
                return _accepted(response.token, self.dialect, self.now_ms(), dict(self.config["extensions"]))
            except TokenEndpointError as err:
                delay = schedule.next_delay_ms(self.now_ms(), getattr(err, "status", None),
                                               retry_after if getattr(err, "status", None) else None,
                                               random.random())
                if delay is None or _EXITING.is_set():
                    err.retry_after = retry_after  # type: ignore[attr-defined]  # for the lifecycle's back-off
                    raise
                self._attempt_failed(err)
                self._sleep(delay / 1000)

    def _post(self, request: _native.TokenRequest) -> tuple[int, Optional[str], str, Optional[str]]:
        http_request = urllib.request.Request(request.url, data=request.body.encode(), method=request.method,
                                              headers=dict(request.headers))
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout, context=self._ssl) as response:
                return (response.status, response.headers.get("Content-Type"),
                        response.read().decode("utf-8", "replace"), None)
        except urllib.error.HTTPError as answer:
            return (answer.code, answer.headers.get("Content-Type"), answer.read().decode("utf-8", "replace"),
                    answer.headers.get("Retry-After"))
        except urllib.error.URLError as failure:
            if isinstance(failure.reason, TimeoutError):  # no connection within the timeout
                raise _error(TokenEndpointError, "token_endpoint_unreachable",
                             f"cannot reach the token endpoint {request.url}: the connection was not accepted within "
                             f"{self._timeout:g} s (connect timeout, sasl.login.connect.timeout.ms)") from None
            raise _error(TokenEndpointError, "token_endpoint_unreachable",
                         f"cannot reach the token endpoint {request.url}: {_os_reason(failure.reason)}") from None
        except TimeoutError:  # connected and sent, then no answer in time
            raise _error(TokenEndpointError, "token_endpoint_unreachable",
                         f"the token endpoint {request.url} accepted the connection but did not answer within "
                         f"{self._timeout:g} s (read timeout, sasl.login.read.timeout.ms)") from None
        except OSError as failure:
            raise _error(TokenEndpointError, "token_endpoint_unreachable",
                         f"the connection to the token endpoint {request.url} failed: {_os_reason(failure)}") from None


def _sdk_secrets() -> list[str]:
    """The secrets the cloud SDKs read from the environment (removed from their messages by value)."""
    return [v for v in (os.environ.get(name) for name in _native.SDK_SECRET_VARIABLES) if v]


def _sdk_cause(failure: BaseException) -> OAuthBearerError:
    """The SDK's exception as a cause that holds no secret: its type and, when the SDK diagnosed
    the failure itself, its redacted message."""
    return _sdk_failure("the SDK said", failure)


def _sdk_failure(source: str, failure: BaseException) -> OAuthBearerError:
    """A cloud SDK's failure: the SDK's own words, redacted by the core. Raise it ``from
    _sdk_cause(failure)``: the original exception is not chained (its text and its own causes may
    quote tokens)."""
    return _error(CredentialsError, "credentials_unavailable",
                  _native.credential_failure_message(source, type(failure).__name__, str(failure), _sdk_secrets()))


def _os_reason(reason: object) -> str:
    """A transport failure in words, e.g. ``connection refused (ConnectionRefusedError)``: the OS's,
    resolver's or TLS library's text (none holds a secret) and the exception's type."""
    if isinstance(reason, str):  # urllib's own words ("unknown url type: …")
        return reason
    if isinstance(reason, TimeoutError):
        text = "timed out"
    elif isinstance(reason, ssl.SSLCertVerificationError):
        text = f"TLS certificate verify failed: {reason.verify_message}"
    elif isinstance(reason, ssl.SSLError):
        text = f"TLS failed: {reason.reason or reason.strerror or ''}"
    elif isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror[:1].lower() + reason.strerror[1:]
    else:
        return type(reason).__name__
    return f"{text} ({type(reason).__name__})"


class FileProvider(Provider):
    """A pre-issued access token in a file (Kafka's ``file:`` token endpoint), re-read on every
    refresh and checked as the Kafka client would check it."""

    def __init__(self, path: "str | os.PathLike[str]", *, dialect: str = "kafka-java",
                 extensions: Optional[Mapping[str, str]] = None, clock: Clock = time.time,
                 fetch_timeout_ms: Optional[int] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.path, self.dialect, self.extensions = Path(path), dialect, dict(extensions or {})

    def fetch(self, now_ms: int) -> Token:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError as failure:
            raise _error(_native.ConfigError, "file_unreadable",
                         f"cannot read {self.path}: {type(failure).__name__}") from None
        return _accepted(text, self.dialect, now_ms, self.extensions)


class LocalIssuerProvider(Provider):
    """Tokens from an in-process :class:`oauthbearer.LocalIssuer` (tests, local brokers)."""

    def __init__(self, issuer: _native.LocalIssuer, subject: str, *, audience: Optional[str] = None,
                 scope: Optional[str] = None, lifetime_seconds: int = 3600, clock: Clock = time.time,
                 fetch_timeout_ms: Optional[int] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.issuer, self.subject, self.audience, self.scope = issuer, subject, audience, scope
        self.lifetime_seconds = lifetime_seconds

    def fetch(self, now_ms: int) -> Token:
        issued = self.issuer.sign_access_token(self.subject, now_ms, self.lifetime_seconds, self.audience, self.scope)
        return Token(issued.token, issued.expires_at_ms, self.subject, {}, now_ms)


GOOGLE_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
PRINCIPAL_ENV = "GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL"


class GoogleProvider(Provider):
    """Google Managed Kafka tokens from Application Default Credentials (google-auth): service
    account keys, the metadata server, impersonated and external-account credentials, and user
    credentials (principal from Google's tokeninfo). ``GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL`` or
    ``principal`` overrides the principal."""

    def __init__(self, *, style: str = "google-java", principal: Optional[str] = None,
                 credentials: object = None, clock: Clock = time.time, fetch_timeout_ms: Optional[int] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.style = style
        self._override = principal or os.environ.get(PRINCIPAL_ENV) or None
        self._credentials = credentials
        self._principal: Optional[str] = None

    def _google(self):  # noqa: ANN202 - google-auth types are optional
        try:
            import google.auth
            import google.auth.transport.requests
        except ImportError:
            raise _error(CredentialsError, "credentials_unavailable",
                         "GoogleProvider needs google-auth: pip install google-auth (or the wheel from make dist with its [gcp] extra)") from None
        return google.auth, google.auth.transport.requests

    def fetch(self, now_ms: int) -> Token:
        auth, transport = self._google()
        request = transport.Request()
        try:
            if self._credentials is None:
                self._credentials, _project = auth.default(scopes=[GOOGLE_SCOPE])
            self._credentials.refresh(request)
        except auth.exceptions.GoogleAuthError as failure:
            # The SDK's words (ADC's set-up link …), redacted: they can quote a token endpoint's answer.
            raise _sdk_failure("Google credentials could not be refreshed", failure) from _sdk_cause(failure)
        creds = self._credentials
        expiry = creds.expiry  # naive UTC datetime in google-auth
        import datetime
        expires_at_ms = int(expiry.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
        principal = self._principal or self._find_principal(creds, request)
        self._principal = principal
        token = _native.google_token(creds.token, expires_at_ms, principal, now_ms, self.style)
        return Token(token.value, token.expires_at_ms, token.principal, {}, now_ms)

    def _find_principal(self, creds: object, request: object) -> str:
        kind, principal = _native.google_principal(_adc_json(), self._override)
        if kind == "known" and principal:
            return principal
        if kind == "host_must_look_up":
            return _tokeninfo_email(request, getattr(creds, "token"))
        email = getattr(creds, "service_account_email", None)
        if email and email != "default":
            _native.validate_google_principal(email)
            return email
        raise _error(CredentialsError, "invalid_principal",
                     f"cannot determine the Kafka principal of these credentials; set {PRINCIPAL_ENV}")


def _adc_json() -> Optional[str]:
    """The ADC file's JSON text (``GOOGLE_APPLICATION_CREDENTIALS`` or gcloud's), None if none."""
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        config = os.environ.get("CLOUDSDK_CONFIG") or os.path.join(os.path.expanduser("~"), ".config", "gcloud")
        path = os.path.join(config, "application_default_credentials.json")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


def _tokeninfo_email(request, access_token: str) -> str:  # noqa: ANN001
    """User credentials: the email Google's tokeninfo reports for the access token."""
    response = request(url="https://oauth2.googleapis.com/tokeninfo", method="POST",
                       body=f"access_token={access_token}".encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        email = json.loads(response.data.decode()).get("email")
    except ValueError:
        email = None
    if response.status != 200 or not email:
        raise _error(CredentialsError, "invalid_principal",
                     f"Google tokeninfo did not return an email (HTTP {response.status}); set {PRINCIPAL_ENV}")
    _native.validate_google_principal(email)
    return email


#: Why no token URL can serve MSK IAM to Kafka's stock clients (``oauthbearer serve --provider aws``
#: and the Beam hook say it; ``explain`` has the finding ``msk_token_from_url``).
MSK_FROM_A_URL = (
    "MSK IAM tokens are SigV4-presigned URLs, not JWTs: Kafka's Java client and librdkafka check a token "
    "fetched from a URL as a JWT and refuse them (\"Malformed JWT\"). Serve them only to clients that take "
    "the token as given (oauthbearer's own adapters, a custom login handler); for Kafka's Java client "
    "(Beam's Kafka IO) use AWS's aws-msk-iam-auth, e.g. oauthbearer.beam.msk_kafka_config")


class MskProvider(Provider):
    """AWS MSK IAM tokens from botocore's credential chain (environment, profile, web identity /
    IRSA, container and instance roles; ``role_arn`` assumes a role through STS). The token lives
    at most 900 s and never longer than the credentials.

    ``role_session_name`` (default ``AWS_ROLE_SESSION_NAME``, else ``oauthbearer``) names the STS
    session of ``role_arn`` and of web identity (``AWS_WEB_IDENTITY_TOKEN_FILE`` with
    ``AWS_ROLE_ARN``, which this provider then assumes itself). It is the same at every refresh: the
    session name is part of the principal MSK sees, and a broker refuses a re-authentication that
    changes it ("Cannot change principals during re-authentication"); botocore's own default,
    ``botocore-session-<time>``, differs from one process to the next."""

    def __init__(self, region: Optional[str] = None, *, profile: Optional[str] = None,
                 role_arn: Optional[str] = None, role_session_name: Optional[str] = None,
                 order: str = "python", user_agent: Optional[str] = None, session: object = None,
                 clock: Clock = time.time, fetch_timeout_ms: Optional[int] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
        if not self.region:
            raise _error(CredentialsError, "invalid_region", "no AWS region: pass region= or set AWS_REGION")
        self.profile, self.role_arn = profile, role_arn
        self.role_session_name = role_session_name or os.environ.get("AWS_ROLE_SESSION_NAME") or "oauthbearer"
        self.order, self.user_agent, self._session = order, user_agent, session

    def _botocore_session(self):  # noqa: ANN202
        if self._session is None:
            try:
                import botocore.session
            except ImportError:
                raise _error(CredentialsError, "credentials_unavailable",
                             "MskProvider needs botocore: pip install botocore (or the wheel from make dist with its [aws] extra)") from None
            self._session = botocore.session.Session(profile=self.profile)
        return self._session

    def credentials(self) -> tuple[str, str, Optional[str], Optional[int]]:
        """(access key id, secret, session token, expiry ms) from the chain or STS."""
        session = self._botocore_session()
        web_identity = self._web_identity()
        try:
            if self.role_arn or web_identity:
                sts = session.create_client("sts", region_name=self.region)
                if web_identity:
                    role_arn, token_file = web_identity
                    with open(token_file, encoding="utf-8") as f:  # re-read: the kubelet rotates it
                        c = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName=self.role_session_name,
                                                              WebIdentityToken=f.read().strip())["Credentials"]
                else:
                    c = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=self.role_session_name)["Credentials"]
                return (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"],
                        int(c["Expiration"].timestamp() * 1000))
            creds = session.get_credentials()
            if creds is None:
                raise _error(CredentialsError, "credentials_unavailable", "botocore found no AWS credentials")
            frozen = creds.get_frozen_credentials()
            # botocore exposes the expiry of refreshable credentials only as this attribute.
            expiry = getattr(creds, "_expiry_time", None)
            return (frozen.access_key, frozen.secret_key, frozen.token,
                    int(expiry.timestamp() * 1000) if expiry is not None else None)
        except OAuthBearerError:
            raise
        except Exception as failure:  # botocore raises many unrelated types
            raise _sdk_failure("AWS credentials", failure) from _sdk_cause(failure)

    def _web_identity(self) -> Optional[tuple[str, str]]:
        """(role ARN, token file) when botocore's chain would take web identity (IRSA): no role, profile
        or environment keys of ours first."""
        if self.role_arn or self.profile or os.environ.get("AWS_ACCESS_KEY_ID"):
            return None
        role_arn, token_file = os.environ.get("AWS_ROLE_ARN"), os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
        return (role_arn, token_file) if role_arn and token_file else None

    def fetch(self, now_ms: int) -> Token:
        key, secret, session_token, expires_at_ms = self.credentials()
        token = _native.msk_token(key, secret, session_token, expires_at_ms, self.region, now_ms, self.order,
                                  self.user_agent)
        return Token(token.value, token.expires_at_ms, "", {}, now_ms)


class AzureProvider(Provider):
    """Azure Event Hubs tokens (its Kafka endpoint) from azure-identity: ``DefaultAzureCredential``
    by default (environment client secret or certificate, workload identity, managed identity, the
    Azure CLI …), or any credential given (``ClientSecretCredential``, ``CertificateCredential``,
    ``ManagedIdentityCredential``, ``WorkloadIdentityCredential`` …).

    The scope is the namespace's, ``https://<namespace>.servicebus.windows.net/.default``, derived
    from ``bootstrap_servers``; a ``scope`` given is checked against it (a wrong scope is the most
    common Event Hubs mistake: the broker refuses the token). The Entra access token goes to the
    client as it is, checked as Kafka's clients check it; the principal is its ``sub``."""

    def __init__(self, bootstrap_servers: Optional[str] = None, *, scope: Optional[str] = None,
                 credential: object = None, clock: Clock = time.time, fetch_timeout_ms: Optional[int] = None) -> None:
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.scope = _native.eventhubs_scope(bootstrap_servers or os.environ.get("BOOTSTRAP_SERVERS") or "", scope)
        self._credential = credential

    def credential(self):  # noqa: ANN201 - azure-identity types are optional
        """The azure-identity credential tokens come from."""
        if self._credential is None:
            try:
                from azure.identity import DefaultAzureCredential
            except ImportError:
                raise _error(CredentialsError, "credentials_unavailable",
                             "AzureProvider needs azure-identity: pip install azure-identity (or the wheel from make dist with its [azure] extra)") from None
            self._credential = DefaultAzureCredential()
        return self._credential

    def fetch(self, now_ms: int) -> Token:
        credential = self.credential()
        try:
            access = credential.get_token(self.scope)
        except Exception as failure:  # azure-identity's errors quote Entra's answer: the core redacts it
            err = _error(CredentialsError, "credentials_unavailable",
                         _native.azure_credential_failure_message(type(failure).__name__, str(failure),
                                                                 _sdk_secrets()))
            raise err from _sdk_cause(failure)
        return _accepted(access.token, "kafka-java", now_ms, {})

