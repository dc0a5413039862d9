// Token providers: one interface (`token()` → Token), caching with a single-flight refresh on the
// core's schedule, typed errors. Each provider fetches credentials or tokens (I/O) and hands the
// bytes to the core, which builds, checks and times them.
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import * as native from '../index.js';
import { assertions, config, lifecycle, providers, tokenEndpoint, tokens } from './api';
import { makeError, OAuthBearerError, TokenEndpointError } from './errors';

/** Which Kafka client's rules to follow: Apache Kafka's Java client or librdkafka. */
export type DialectName = `${native.Dialect}`;
/** A dialect as people type it: its name, or an alias (`kafka`, `java`; `rdkafka`). */
export type DialectAlias = DialectName | 'kafka' | 'java' | 'rdkafka';
/** `strict` (ours) or `kafka-compatible` (exactly what the client accepts). */
export type ModeName = `${native.Mode}`;
/** Epoch milliseconds now. */
export type Clock = () => number;

/** A token ready for SASL/OAUTHBEARER. `inspect`, `toString` and JSON never show the value. */
export class Token {
  readonly #value: string;

  constructor(
    value: string,
    /** Expiry, epoch milliseconds. */
    readonly expiresAtMs: number,
    /** The principal (`sub`) the broker will see; '' when the mechanism has none (MSK). */
    readonly principal: string,
    /** SASL extensions to send with the token. */
    readonly extensions: Readonly<Record<string, string>> = {},
    /** When it was issued, epoch milliseconds (drives Kafka's refresh window). */
    readonly issuedAtMs?: number,
  ) {
    this.#value = value;
  }

  /** The token itself (a secret). */
  get value(): string {
    return this.#value;
  }

  toString(): string {
    return `Token(principal=${JSON.stringify(this.principal)}, expiresAtMs=${this.expiresAtMs}, value=[redacted])`;
  }

  toJSON(): Record<string, unknown> {
    return { principal: this.principal, expiresAtMs: this.expiresAtMs, extensions: this.extensions, value: '[redacted]' };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Options every provider takes. */
export interface ProviderOptions {
  /** Epoch milliseconds (default `Date.now`); tests freeze it. */
  clock?: Clock;
  /**
   * How long callers wait for a fetch before they are released (default 10 000): with the cached
   * token if it is still valid, else with a `TokenEndpointError` whose code is `fetch_timeout`.
   * The fetch's late answer is still used.
   */
  fetchTimeoutMs?: number;
}

/** The fetch running in this async context: where its failed attempts are reported. */
const attempts = new AsyncLocalStorage<(err: unknown) => void>();

/** A token's expiry and issue time as the machine takes them, or undefined if they are not epoch ms. */
function epochTimes(token: Token): [bigint, bigint | undefined] | undefined {
  const ok = (v: number) => Number.isSafeInteger(v) && v >= 0;
  if (!ok(token.expiresAtMs) || (token.issuedAtMs !== undefined && !ok(token.issuedAtMs))) return undefined;
  return [BigInt(token.expiresAtMs), token.issuedAtMs === undefined ? undefined : BigInt(token.issuedAtMs)];
}

/** The fetch's own word on retrying: a token endpoint's refusal says; other package errors retry. */
function retryable(err: unknown): boolean {
  if (err instanceof TokenEndpointError && err.tokenEndpoint) return err.tokenEndpoint.retryable;
  return err instanceof OAuthBearerError;
}

/**
 * Base class: caches the token and refreshes it for every caller with one fetch, as the core's
 * lifecycle machine (`lifecycle.TokenLifecycle`) decides; this class keeps the token and the last
 * error, starts fetches and waits.
 *
 * - A refresh starts on the client's schedule (Kafka Java's window with jitter, or librdkafka's
 *   80 %); every caller is served the cached token while it runs.
 * - With nothing valid cached, callers wait for the one fetch in flight, never past its deadline
 *   (`fetchTimeoutMs`): then they get the cached token if still valid, else `fetch_timeout`.
 * - A failed fetch keeps the unexpired token in service; callers with nothing valid get the
 *   fetch's error until the client's back-off allows the next fetch.
 */
export abstract class Provider {
  /** Which client's refresh schedule and back-off to follow. */
  protected refreshSchedule: DialectName = 'kafka-java';
  protected readonly clock: Clock;
  protected readonly fetchTimeoutMs?: number;
  #life?: native.TokenLifecycle;
  #cached?: Token;
  #failure?: unknown;
  /** The last failed attempt of the fetch in flight (the cause of its timeout). */
  #lastAttempt?: unknown;
  readonly #waiters = new Set<() => void>();
  /** How many fetches returned a token. */
  fetches = 0;

  constructor(options: ProviderOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.fetchTimeoutMs = options.fetchTimeoutMs;
  }

  /** Fetches a fresh token (subclasses). */
  protected abstract fetch(nowMs: number): Promise<Token>;

  /** The lifecycle machine for this provider's policy (providers with a Kafka configuration override). */
  protected lifecycle(): native.TokenLifecycle {
    return lifecycle.TokenLifecycle.create(this.refreshSchedule as native.Dialect, this.lifecycleSettings());
  }

  protected lifecycleSettings(): native.LifecycleSettings {
    return { fetchTimeoutMs: this.fetchTimeoutMs === undefined ? undefined : BigInt(this.fetchTimeoutMs) };
  }

  /** The current token, fetched when the lifecycle says it is time. */
  async token(): Promise<Token> {
    this.#life ??= this.lifecycle();
    for (;;) {
      const now = this.clock();
      const decision = this.#life.want(BigInt(now));
      switch (decision.tag) {
        case 'serve':
          return this.#cached!;
        case 'fetch': {
          const start = decision.val as native.FetchStart;
          this.#start(start.fetch, now);
          if (start.serve !== undefined) return this.#cached!;
          break;
        }
        case 'wait':
          await this.#wait(Number((decision.val as native.WaitFor).waitMs));
          break;
        default: {
          const failure = decision.val as native.LifecycleFailure;
          if (failure.tag === 'error') {
            const e = failure.val as native.ErrorRecord;
            // A timeout names the fetch's last failed attempt (the core's message says it too).
            const cause = e.code === 'fetch_timeout' ? this.#lastAttempt : undefined;
            throw makeError(e.code, e.message, cause === undefined ? undefined : { cause });
          }
          throw this.#failure;
        }
      }
    }
  }

  /**
   * An attempt inside `fetch` failed and the fetch retries: reported to the lifecycle, so that a
   * timeout of the fetch names it (a refused connection must not read like a slow endpoint).
   */
  protected attemptFailed(err: unknown): void {
    attempts.getStore()?.(err);
  }

  /** Runs fetch `id`; its outcome goes to the machine and wakes the waiters. */
  #start(id: bigint, startedMs: number): void {
    this.#lastAttempt = undefined;
    const report = (err: unknown) => {
      const { code, message } = err as { code?: string; message?: string };
      if (this.#life!.attemptFailed(id, code ?? 'credentials_unavailable', message ?? String(err))) {
        this.#lastAttempt = err;
      }
    };
    let fetched: Promise<Token>;
    try {
      fetched = Promise.resolve(attempts.run(report, () => this.fetch(startedMs)));
    } catch (err) {
      fetched = Promise.reject(err);
    }
    fetched.then(
      (token) => this.#settle(id, token, undefined),
      (err: unknown) => this.#settle(id, undefined, err),
    );
  }

  /** Reports fetch `id` to the machine and wakes the waiters; never throws (no unhandled rejection). */
  #settle(id: bigint, token: Token | undefined, err: unknown): void {
    const life = this.#life!;
    try {
      const times = token ? epochTimes(token) : undefined;
      if (token && times) {
        const arrival = life.fetchSucceeded(id, times[0], times[1], BigInt(this.clock()), Math.random());
        this.fetches += 1;
        if (arrival === 'cached') this.#cached = token;
        return;
      }
      if (token) {
        // A token the machine cannot take fails the fetch.
        err = makeError('invalid_token', 'the fetched token\'s expiresAtMs and issuedAtMs must be non-negative integers (epoch ms)');
      }
      err ??= makeError('credentials_unavailable', 'the fetch returned no token and no error');
      const retryAfter = (err as { retryAfter?: string }).retryAfter;
      if (life.fetchFailed(id, retryable(err), retryAfter, BigInt(this.clock()), Math.random())) this.#failure = err;
    } catch {
      // Only a clock that is not integer epoch ms gets here (token() throws on it itself); the
      // fetch deadline then releases any waiters.
    } finally {
      this.#wake();
    }
  }

  /** Until a fetch reports back or `ms` pass. */
  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const done of [...this.#waiters]) done();
  }
}

/** The token checked as the Kafka client would check it (format, claims, expiry). */
function accepted(value: string, dialect: DialectName, nowMs: number, extensions: Record<string, string>): Token {
  const token = tokens.checkAccessToken(value, { dialect: dialect as native.Dialect, splitScope: false });
  tokens.checkNotExpired(token, BigInt(nowMs), 0n);
  const issuedAt = token.issuedAtMs === undefined ? undefined : Number(token.issuedAtMs);
  return new Token(value, Number(token.expiresAtMs), token.principal, extensions, issuedAt);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw makeError('file_unreadable', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Kafka client properties: a `.properties` file's path, an object, or `[name, value]` pairs. */
export type Properties = string | Record<string, string> | Array<[string, string]>;

/** `[name, value]` pairs from any `Properties` form. */
export function loadProperties(source: Properties): native.Pairs {
  if (typeof source === 'string') return config.parseProperties(readText(source));
  return Array.isArray(source) ? source.map(([k, v]) => [k, v]) : Object.entries(source);
}

/** What `AssertionProvider` takes besides the properties. */
export interface AssertionProviderOptions extends ProviderOptions {
  dialect?: DialectAlias;
  mode?: ModeName;
  /** The HTTP client (default `globalThis.fetch`); pass undici's `fetch` with a dispatcher for a private CA. */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Waits between retries (default `setTimeout`). */
  sleep?: (ms: number) => Promise<void>;
  /** Told when a changed key, template or assertion file could not be used (the last good one was). */
  onReloadError?: (err: OAuthBearerError) => void;
  /**
   * The signing key's certificate (PEM or DER file), named in each assertion's header: Entra ID
   * certificate credentials. Key and certificate reload together; while a rotation has replaced
   * one and not the other, the previous pair keeps signing.
   */
  certificateFile?: string;
  /**
   * How the certificate is named: `x5t#S256` (default; Microsoft's current documents and MSAL),
   * `x5t` (older documents, ADFS, tenants that answer AADSTS700027 to the SHA-256 form) or `both`.
   */
  thumbprintHeader?: 'x5t#S256' | 'x5t' | 'both';
}

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  retryAfter: string | null;
}

/**
 * KIP-1258 (and client-secret / jwt-bearer) tokens from Kafka client properties: signs the
 * assertion (re-reading key, template or assertion files when they change), sends the request the
 * Kafka client would send, parses the answer as it does, retries on its schedule, and checks the
 * access token as the client would.
 */
export class AssertionProvider extends Provider {
  readonly dialect: DialectName;
  readonly mode: ModeName;
  readonly config: native.ClientConfig;
  readonly #properties: native.Pairs;
  readonly #assertions?: native.FileAssertions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onReloadError: (err: OAuthBearerError) => void;

  constructor(properties: Properties, options: AssertionProviderOptions = {}) {
    super(options);
    this.dialect = config.dialectName(options.dialect ?? 'kafka-java') as DialectName;
    this.mode = options.mode ?? 'strict';
    if (this.dialect === 'librdkafka') this.refreshSchedule = 'librdkafka';
    this.#properties = loadProperties(properties);
    const [d, m] = [this.dialect as native.Dialect, this.mode as native.Mode];
    this.config = config.parseConfig(this.#properties, d, m);
    const { certificateFile, thumbprintHeader } = options;
    const signs = this.config.grant.tag === 'client-assertion' || this.config.grant.tag === 'jwt-bearer';
    // Without an assertion to name it in, a certificate gets the core's invalid_config.
    if (signs || certificateFile !== undefined || thumbprintHeader !== undefined) {
      this.#assertions = new assertions.FileAssertions(this.#properties, d, m, certificateFile, thumbprintHeader);
    }
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#onReloadError =
      options.onReloadError ?? ((err) => process.emitWarning(err.message, { type: 'OAuthBearerWarning', code: err.code }));
  }

  protected override lifecycle(): native.TokenLifecycle {
    // The client's own settings: refresh window, back-off, connect + read timeouts.
    const [d, m] = [this.dialect as native.Dialect, this.mode as native.Mode];
    return lifecycle.TokenLifecycle.fromProperties(this.#properties, d, m, this.lifecycleSettings());
  }

  protected async fetch(nowMs: number): Promise<Token> {
    const extensions = Object.fromEntries(this.config.extensions);
    if (this.config.grant.tag === 'token-file') {
      return accepted(readText(this.config.grant.val as string).trim(), this.dialect, nowMs, extensions);
    }
    const [d, m] = [this.dialect as native.Dialect, this.mode as native.Mode];
    const policy: native.RetryPolicy =
      this.dialect === 'librdkafka'
        ? { tag: 'librdkafka' }
        : { tag: 'kafka-java', val: [this.config.retryBackoffMs, this.config.retryBackoffMaxMs] };
    const schedule = tokenEndpoint.RetrySchedule.start(policy, 0, BigInt(nowMs));
    for (;;) {
      let assertion: string | undefined;
      if (this.#assertions) {
        const outcome = this.#assertions.assertion(BigInt(this.clock()));
        for (const e of outcome.reloadErrors) this.#onReloadError(makeError(e.code, e.message));
        assertion = outcome.assertion;
      }
      const request = tokenEndpoint.requestFromProperties(this.#properties, d, m, assertion);
      let answer: Answer | undefined;
      try {
        answer = await this.#post(request);
        const response = tokenEndpoint.parseTokenResponse(answer.status, answer.contentType, answer.body, d, this.#properties);
        return accepted(response.token, this.dialect, this.clock(), extensions);
      } catch (err) {
        if (!(err instanceof TokenEndpointError)) throw err;
        const failure = { status: err.status, retryAfter: err.status ? answer?.retryAfter ?? undefined : undefined };
        const delay = schedule.nextDelayMs(BigInt(this.clock()), failure, Math.random());
        if (delay === null) throw Object.assign(err, { retryAfter: failure.retryAfter }); // for the lifecycle's back-off
        this.attemptFailed(err);
        await this.#sleep(Number(delay));
      }
    }
  }

  async #post(request: native.TokenRequest): Promise<Answer> {
    // Whether the request reached the socket tells a read timeout from a connect timeout; only
    // Node's own fetch (undici) reports it.
    const watch = this.#fetch === globalThis.fetch ? watchHeadersSent(request.url) : undefined;
    try {
      const response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers as Array<[string, string]>,
        body: request.body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: await response.text(),
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (err) {
      throw makeError('token_endpoint_unreachable', transportFailure(request.url, err, this.#timeoutMs, watch?.sent), {
        cause: err,
      });
    } finally {
      watch?.done();
    }
  }
}

/** The secrets the cloud SDKs read from the environment (removed from their messages by value). */
function sdkSecrets(): string[] {
  return providers.sdkSecretVariables().flatMap((name) => (process.env[name] ? [process.env[name]!] : []));
}

/** The SDK's error as a cause that holds no secret: its name and, for its own diagnoses, its redacted message. */
function sdkCause(err: unknown): OAuthBearerError {
  const e = err as Error | undefined;
  const message = providers.credentialFailureMessage('the SDK said', String(e?.name), String(e?.message), sdkSecrets());
  return makeError('credentials_unavailable', message);
}

/**
 * A cloud SDK's failure: the SDK's own words (Google's ADC set-up link, "Could not load
 * credentials from any providers"), redacted by the core. The original error is not chained: its
 * text and its own causes may quote tokens.
 */
function sdkFailure(source: string, err: unknown): OAuthBearerError {
  const e = err as Error | undefined;
  const message = providers.credentialFailureMessage(source, String(e?.name), String(e?.message), sdkSecrets());
  return makeError('credentials_unavailable', message, { cause: sdkCause(err) });
}

/** What the network said, in words: `fetch` failed (undici's error, its `cause` the system's). */
const TRANSPORT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'DNS: no such host',
  EAI_AGAIN: 'DNS: temporary failure in name resolution',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
};

/** Requests in flight by URL, told when undici has written their headers to a connected socket. */
const inFlight = new Map<string, Set<{ sent: boolean }>>();
let subscribed = false;

/** Watches `url`'s next request: `sent` turns true once its headers went out on a connected socket. */
function watchHeadersSent(url: string): { sent: boolean; done(): void } {
  if (!subscribed) {
    subscribed = true;
    diagnostics.subscribe('undici:client:sendHeaders', (message) => {
      const request = (message as { request?: { origin?: string; path?: string } }).request;
      for (const watch of inFlight.get(`${request?.origin}${request?.path}`) ?? []) watch.sent = true;
    });
  }
  const parsed = new URL(url);
  const key = `${parsed.origin}${parsed.pathname}${parsed.search}`;
  const watch = {
    sent: false,
    done() {
      inFlight.get(key)?.delete(watch);
      if (inFlight.get(key)?.size === 0) inFlight.delete(key);
    },
  };
  inFlight.set(key, (inFlight.get(key) ?? new Set()).add(watch));
  return watch;
}

function transportFailure(url: string, err: unknown, timeoutMs: number, sent?: boolean): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    if (sent === true) {
      return `the token endpoint ${url} accepted the connection but did not answer within ${timeoutMs} ms (read timeout)`;
    }
    if (sent === false) {
      return `cannot reach the token endpoint ${url}: the connection was not accepted within ${timeoutMs} ms (connect timeout)`;
    }
    // A fetch of the caller's own, which reports neither: one deadline covers both.
    return `no answer from the token endpoint ${url} within ${timeoutMs} ms (not connected, or connected and not answered)`;
  }
  const code = e.cause?.code;
  // No system code: undici's own refusal (a port fetch never uses, "bad port"; an invalid URL).
  if (code === undefined) return `cannot reach the token endpoint ${url}: ${e.cause?.message ?? e.name ?? 'error'}`;
  // TLS failures carry OpenSSL's code (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_…).
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
  const words = TRANSPORT_WORDS[code] ?? (tls ? `TLS failed: ${e.cause?.message ?? code}` : e.cause?.message ?? code);
  return `cannot reach the token endpoint ${url}: ${words} (${code})`;
}

/** What `FileProvider` takes besides the path. */
export interface FileProviderOptions extends ProviderOptions {
  dialect?: DialectAlias;
  extensions?: Record<string, string>;
}

/**
 * A pre-issued access token in a file (Kafka's `file:` token endpoint), re-read on every refresh
 * and checked as the Kafka client would check it.
 */
export class FileProvider extends Provider {
  readonly dialect: DialectName;
  readonly extensions: Record<string, string>;

  constructor(
    readonly path: string,
    options: FileProviderOptions = {},
  ) {
    super(options);
    this.dialect = config.dialectName(options.dialect ?? 'kafka-java') as DialectName;
    this.extensions = { ...options.extensions };
  }

  protected async fetch(nowMs: number): Promise<Token> {
    return accepted(readText(this.path).trim(), this.dialect, nowMs, this.extensions);
  }
}

/** What `LocalIssuerProvider` takes besides the issuer and subject. */
export interface LocalIssuerProviderOptions extends ProviderOptions {
  audience?: string;
  scope?: string;
  lifetimeSeconds?: number;
}

/** Tokens from an in-process `LocalIssuer` (tests, local brokers). */
export class LocalIssuerProvider extends Provider {
  readonly #claims: native.AccessTokenClaims;

  constructor(
    readonly issuer: native.LocalIssuer,
    readonly subject: string,
    options: LocalIssuerProviderOptions = {},
  ) {
    super(options);
    this.#claims = {
      subject,
      audience: options.audience,
      scope: options.scope,
      lifetimeSeconds: options.lifetimeSeconds ?? 3600,
    };
  }

  protected async fetch(nowMs: number): Promise<Token> {
    const issued = this.issuer.signAccessToken(this.#claims, BigInt(nowMs));
    return new Token(issued.token, Number(issued.expiresAtMs), this.subject, {}, nowMs);
  }
}

/** An optional peer dependency, loaded on first use. */
async function peer<T>(name: string, user: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw makeError('credentials_unavailable', `${user} needs ${name}: npm install ${name}`);
  }
}

const GOOGLE_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Overrides the principal of Google credentials (as Google's own handlers do). */
export const PRINCIPAL_ENV = 'GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL';

/** The parts of google-auth-library's `GoogleAuth` this package uses. */
export interface GoogleAuthLike {
  getClient(): Promise<{
    getAccessToken(): Promise<{ token?: string | null }>;
    credentials: { expiry_date?: number | null };
    getTokenInfo?(token: string): Promise<{ email?: string }>;
  }>;
  getCredentials(): Promise<{ client_email?: string }>;
}

/** What `GoogleProvider` takes. */
export interface GoogleProviderOptions extends ProviderOptions {
  /** The token's JSON style: `google-java` (default), `google-python` or `kafka-auth-handler`. */
  style?: string;
  /** The Kafka principal; default: `GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL`, else found from the credentials. */
  principal?: string;
  /** A configured `GoogleAuth`; default: Application Default Credentials with the cloud-platform scope. */
  auth?: GoogleAuthLike;
}

/**
 * Google Managed Kafka tokens from Application Default Credentials (google-auth-library): service
 * account keys, the metadata server, impersonated and external-account credentials, and user
 * credentials (principal from Google's tokeninfo).
 */
export class GoogleProvider extends Provider {
  readonly style: string;
  readonly #override?: string;
  #auth?: GoogleAuthLike;
  #principal?: string;

  constructor(options: GoogleProviderOptions = {}) {
    super(options);
    this.style = options.style ?? 'google-java';
    this.#override = options.principal || process.env[PRINCIPAL_ENV] || undefined;
    this.#auth = options.auth;
  }

  protected async fetch(nowMs: number): Promise<Token> {
    if (!this.#auth) {
      const { GoogleAuth } = await peer<typeof import('google-auth-library')>('google-auth-library', 'GoogleProvider');
      this.#auth = new GoogleAuth({ scopes: [GOOGLE_SCOPE] }) as unknown as GoogleAuthLike;
    }
    let client: Awaited<ReturnType<GoogleAuthLike['getClient']>>;
    let accessToken: string | null | undefined;
    try {
      client = await this.#auth.getClient();
      accessToken = (await client.getAccessToken()).token;
    } catch (err) {
      throw sdkFailure('Google credentials could not be refreshed', err);
    }
    const expiry = client.credentials.expiry_date;
    if (!accessToken || !expiry) throw makeError('credentials_unavailable', 'Google returned no access token or expiry');
    this.#principal ??= await this.#findPrincipal(client, accessToken);
    const token = providers.googleToken(accessToken, BigInt(expiry), this.#principal, BigInt(nowMs), this.style);
    return new Token(token.token, Number(token.expiresAtMs), token.principal, {}, nowMs);
  }

  async #findPrincipal(client: Awaited<ReturnType<GoogleAuthLike['getClient']>>, accessToken: string): Promise<string> {
    const source = providers.googlePrincipalFromCredentials(adcJson(), this.#override);
    if (source.tag === 'known' && source.val) return source.val;
    if (source.tag === 'host-must-look-up' && client.getTokenInfo) {
      const info = await client.getTokenInfo(accessToken).catch(() => ({ email: undefined }));
      if (!info.email) throw makeError('invalid_principal', `Google tokeninfo returned no email; set ${PRINCIPAL_ENV}`);
      providers.validateGooglePrincipal(info.email);
      return info.email;
    }
    const email = (await this.#auth!.getCredentials().catch(() => ({ client_email: undefined }))).client_email;
    if (email && email !== 'default') {
      providers.validateGooglePrincipal(email);
      return email;
    }
    throw makeError('invalid_principal', `cannot determine the Kafka principal of these credentials; set ${PRINCIPAL_ENV}`);
  }
}

/** The ADC file's JSON text (`GOOGLE_APPLICATION_CREDENTIALS` or gcloud's), undefined if none. */
function adcJson(): string | undefined {
  const configDir = process.env.CLOUDSDK_CONFIG ?? join(homedir(), '.config', 'gcloud');
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS || join(configDir, 'application_default_credentials.json');
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** AWS credentials as the AWS SDK's providers return them. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** What `MskProvider` takes. */
export interface MskProviderOptions extends ProviderOptions {
  /** Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string;
  /** A profile of the shared config/credentials files (`fromIni`). */
  profile?: string;
  /** A role to assume through STS (`fromTemporaryCredentials`). */
  roleArn?: string;
  /**
   * The STS role session name, for `roleArn` and for web identity (IRSA) in the default chain.
   * Default: `AWS_ROLE_SESSION_NAME`, else `oauthbearer`. It stays the same at every refresh: the
   * session name is part of the principal MSK sees, and a broker refuses a re-authentication that
   * changes it ("Cannot change principals during re-authentication"), which the AWS SDK's own
   * default (`aws-sdk-js-session-<time>`, new at each refresh) causes.
   */
  roleSessionName?: string;
  /** Query parameter order: `js` (default, as aws-msk-iam-sasl-signer-js), `python`, `go`. */
  order?: string;
  /** `User-Agent` query parameter; default ours. */
  userAgent?: string;
  /** Any AWS SDK credential provider; default: the Node provider chain. */
  credentials?: () => Promise<AwsCredentialIdentity>;
}

/**
 * AWS MSK IAM tokens from the AWS SDK's credential providers (the Node chain: environment, ini
 * profiles, web identity / IRSA, container and instance roles; `roleArn` assumes a role through
 * STS). The token lives at most 900 s and never longer than the credentials.
 */
export class MskProvider extends Provider {
  readonly region: string;
  readonly #options: MskProviderOptions;
  #credentials?: () => Promise<AwsCredentialIdentity>;

  constructor(options: MskProviderOptions = {}) {
    super(options);
    this.region = options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || '';
    if (!this.region) throw makeError('invalid_region', 'no AWS region: pass region or set AWS_REGION');
    this.#options = options;
    this.#credentials = options.credentials;
  }

  async #provider(): Promise<() => Promise<AwsCredentialIdentity>> {
    if (this.#credentials) return this.#credentials;
    type Sdk = typeof import('@aws-sdk/credential-providers');
    const sdk = await peer<Sdk>('@aws-sdk/credential-providers', 'MskProvider');
    const { profile, roleArn } = this.#options;
    const clientConfig = { region: this.region };
    const roleSessionName = this.#options.roleSessionName ?? process.env.AWS_ROLE_SESSION_NAME ?? 'oauthbearer';
    this.#credentials = roleArn
      ? sdk.fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: roleSessionName }, clientConfig })
      : profile
        ? sdk.fromIni({ profile, clientConfig })
        : sdk.fromNodeProviderChain({ clientConfig, roleSessionName });
    return this.#credentials;
  }

  /** The credentials the next token is signed with. */
  async credentials(): Promise<AwsCredentialIdentity> {
    const provider = await this.#provider();
    try {
      return await provider();
    } catch (err) {
      throw sdkFailure('AWS credentials', err);
    }
  }

  protected async fetch(nowMs: number): Promise<Token> {
    const c = await this.credentials();
    const credentials: native.AwsCredentials = {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiresAtMs: c.expiration ? BigInt(c.expiration.getTime()) : undefined,
    };
    const userAgent: native.Variant | undefined =
      this.#options.userAgent === undefined ? undefined : { tag: 'custom', val: this.#options.userAgent };
    const options: native.MskOptions = { region: this.region, order: this.#options.order ?? 'js', userAgent };
    const token = providers.mskToken(credentials, options, BigInt(nowMs));
    return new Token(token.token, Number(token.expiresAtMs), '', {}, nowMs);
  }
}

/** What `AzureProvider` needs of an @azure/identity credential (any `TokenCredential`). */
export interface AzureTokenCredential {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** What `AzureProvider` takes. */
export interface AzureProviderOptions extends ProviderOptions {
  /** The Event Hubs namespace as bootstrap servers (`<namespace>.servicebus.windows.net:9093`); default `BOOTSTRAP_SERVERS`. */
  bootstrapServers?: string;
  /** The Entra scope; default the namespace's (`https://<namespace>.servicebus.windows.net/.default`), and another is refused. */
  scope?: string;
  /** Any @azure/identity credential; default `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI …). */
  credential?: AzureTokenCredential;
}

/**
 * Azure Event Hubs tokens (its Kafka endpoint) from @azure/identity. The scope is the namespace's,
 * derived from the bootstrap servers; a scope given is checked against it (a wrong scope is the most
 * common Event Hubs mistake: the broker refuses the token). The Entra access token goes to the client
 * as it is, checked as Kafka's clients check it; the principal is its `sub`.
 */
export class AzureProvider extends Provider {
  readonly scope: string;
  #credential?: AzureTokenCredential;

  constructor(options: AzureProviderOptions = {}) {
    super(options);
    this.scope = providers.eventhubsScope(options.bootstrapServers ?? process.env.BOOTSTRAP_SERVERS ?? '', options.scope);
    this.#credential = options.credential;
  }

  protected async fetch(nowMs: number): Promise<Token> {
    if (!this.#credential) {
      const { DefaultAzureCredential } = await peer<typeof import('@azure/identity')>('@azure/identity', 'AzureProvider');
      this.#credential = new DefaultAzureCredential();
    }
    let access: Awaited<ReturnType<AzureTokenCredential['getToken']>>;
    try {
      access = await this.#credential.getToken(this.scope);
    } catch (err) {
      // @azure/identity's errors quote Entra's answer: the core keeps its AADSTS code and redacts it.
      const message = providers.azureCredentialFailureMessage(String((err as Error)?.name), String((err as Error)?.message), sdkSecrets());
      throw makeError('credentials_unavailable', message, { cause: sdkCause(err) });
    }
    if (!access?.token) throw makeError('credentials_unavailable', 'Azure returned no access token');
    return accepted(access.token, 'kafka-java', nowMs, {});
  }
}
