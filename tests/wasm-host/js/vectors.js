// Runs one shared vector case through the jco-transpiled component's typed exports and returns the
// JSON the core's runner returns (core/tests/support/vectors.rs). jco's mapping: records are
// camelCase objects, enums kebab-case strings, variants `{tag, val}`, u64/s64 are BigInt, options
// `undefined`, and a guest error is thrown as a ComponentError whose `payload` is the error record.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const ALGS = { RS256: 'rs256', PS256: 'ps256', ES256: 'es256', ES384: 'es384', EdDSA: 'eddsa' };
const ALG_NAMES = Object.fromEntries(Object.entries(ALGS).map(([k, v]) => [v, k]));
const KEY_TYPES = { rsa: 'RSA', p256: 'P-256', p384: 'P-384', ed25519: 'Ed25519' };

/** Cases the typed interface cannot express (an enum value outside the WIT cases). */
export const NOT_EXPRESSIBLE = new Set(['Google: unknown style', 'google token: unknown style', 'msk token: unknown query order']);

/** Operations of the shared vectors that neither this API nor the component has, with the reason. */
export const NOT_IN_THIS_API = {
  sidecar_config: "the Envoy plugin's configuration: the core and the plugin's own tests run it",
  http_request: "the token endpoint's HTTP framing: the native server (Rust, and Python's serve) runs it",
};

/** `{error: code}` for a thrown guest error, with what the error shows (its message and
 * `util.inspect`) as a non-enumerable `shown`, which the runners search for planted secrets. */
function refusal(e, extra = {}) {
  const err = guestError(e);
  const out = { error: err.code, ...extra };
  Object.defineProperty(out, 'shown', { value: `${e?.message} | ${String(e)} | ${inspect(e, { depth: 6 })}` });
  return out;
}

const big = (v) => (v === undefined || v === null ? undefined : BigInt(v));
const opt = (v) => (v === null ? undefined : v);
const props = (i) => Object.entries(i.properties ?? {});
const dialect = (i) => i.dialect ?? 'kafka-java';
const mode = (i) => i.mode ?? 'strict';
const keyBytes = (i) =>
  i.key_file !== undefined ? readFileSync(`${ROOT}tests/keys/${i.key_file}`) : new TextEncoder().encode(i.key_text);

/** Numbers for BigInts, null for undefined: the JSON the vectors hold. */
export function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function withResource(resource, use) {
  try {
    return use(resource);
  } finally {
    resource[Symbol.dispose]();
  }
}

function signAssertion(api, i) {
  const options = {
    mode: mode(i),
    typ: i.typ === 'client-authentication+jwt' ? 'client-authentication' : 'jwt',
    keyId: opt(i.kid),
    certificate: i.certificate_file !== undefined ? readFileSync(`${ROOT}tests/keys/${i.certificate_file}`) : undefined,
    thumbprintHeader: opt(i.thumbprint_header),
  };
  const key = i.key_file !== undefined ? keyBytes(i) : undefined;
  const template = i.template !== undefined ? new TextEncoder().encode(i.template) : undefined;
  const signer = api.assertions.AssertionSigner.fromProperties(props(i), dialect(i), key, template, options);
  return withResource(signer, (s) => {
    const now = BigInt(i.now_ms);
    const [header, payload] = s.headerAndPayload(now, opt(i.jti));
    const signed = s.sign(now, opt(i.jti));
    return {
      alg: ALG_NAMES[s.algorithm()],
      header_json: header,
      payload_json: payload,
      signing_input: signed.assertion.slice(0, signed.assertion.lastIndexOf('.')),
      public_jwk: JSON.parse(s.publicJwk()),
      expires_at: signed.expiresAt,
      assertion: signed.assertion,
    };
  });
}

function config(api, i) {
  const c = api.config.parseConfig(props(i), dialect(i), mode(i));
  const source = (s) => (s.tag === 'file' ? { file: s.val } : 'signed');
  const grant = {
    'client-secret': () => ({ kind: 'client_secret' }),
    'client-assertion': () => ({ kind: 'client_assertion', source: source(c.grant.val) }),
    'jwt-bearer': () => ({ kind: 'jwt_bearer', source: source(c.grant.val) }),
    'token-file': () => ({ kind: 'token_file', path: c.grant.val }),
  }[c.grant.tag]();
  return {
    grant,
    token_endpoint_url: c.tokenEndpointUrl,
    client_id: c.clientId,
    has_client_secret: c.hasClientSecret,
    scope: c.scope,
    header_urlencode: c.headerUrlencode,
    algorithm: ALG_NAMES[c.algorithm],
    claims: { iss: c.claimIss, sub: c.claimSub, aud: c.claimAud },
    exp_seconds: c.expSeconds,
    nbf_seconds: c.nbfSeconds,
    jti_include: c.jtiInclude,
    private_key_file: c.privateKeyFile,
    template_file: c.templateFile,
    retry_backoff_ms: c.retryBackoffMs,
    retry_backoff_max_ms: c.retryBackoffMaxMs,
    extensions: c.extensions,
    warnings: c.warnings.length,
  };
}

function tokenRequest(api, i) {
  const t = api.tokenEndpoint;
  const url = i.url ?? 'https://idp.example/oauth2/token';
  const [id, secret, scope, urlencode] = [i.client_id ?? '', i.client_secret ?? '', opt(i.scope), !!i.header_urlencode];
  const r = {
    client_secret: () =>
      t.clientSecretRequest(url, id, secret, scope, urlencode, dialect(i), i.method === 'post' ? 'post' : 'basic'),
    client_secret_encoded_scope: () => t.clientSecretRequestEncodedScope(url, id, secret, scope, urlencode),
    client_assertion: () => t.clientAssertionRequest(url, i.assertion, opt(i.client_id), scope),
    jwt_bearer: () => t.jwtBearerRequest(url, i.assertion, scope, dialect(i)),
    from_config: () => t.requestFromProperties(props(i), dialect(i), mode(i), opt(i.assertion)),
  }[i.kind]();
  return { method: r.method, url: r.url, headers: r.headers, body: r.body };
}

function tokenResponse(api, i) {
  try {
    const r = api.tokenEndpoint.parseTokenResponse(i.status, opt(i.content_type), i.body, dialect(i),
      i.properties === undefined ? undefined : props(i));
    return {
      token: r.token,
      token_member: r.tokenMember,
      token_type: r.tokenType,
      expires_in: r.expiresIn,
      scope: r.scope,
      refresh_token: r.refreshToken,
    };
  } catch (e) {
    const err = guestError(e);
    const out = refusal(e);
    const f = err.tokenEndpoint;
    if (f) {
      Object.assign(out, {
        status: f.status,
        error_code: f.error,
        error_description: f.errorDescription,
        retryable: f.retryable,
        kafka_message: f.kafkaMessage,
      });
    }
    return out;
  }
}

function retry(api, i) {
  const p = i.policy;
  const policy =
    p.style === 'librdkafka'
      ? { tag: 'librdkafka' }
      : { tag: 'kafka-java', val: [BigInt(p.backoff_ms ?? 100), BigInt(p.max_ms ?? 10000)] };
  const schedule = api.tokenEndpoint.RetrySchedule.start(policy, p.jitter ?? 0, BigInt(i.start_ms ?? 0));
  return withResource(schedule, (s) => ({
    delays_ms: i.failures.map((f) =>
      s.nextDelayMs(BigInt(f.at_ms), { status: opt(f.status), retryAfter: opt(f.retry_after) }, f.random ?? 0),
    ),
  }));
}

function mskToken(api, i) {
  const userAgent =
    !('user_agent' in i) ? { tag: 'ours' } : i.user_agent === null ? { tag: 'omitted' } : { tag: 'custom', val: i.user_agent };
  const t = api.providers.mskToken(
    {
      accessKeyId: i.access_key_id,
      secretAccessKey: i.secret_access_key,
      sessionToken: opt(i.session_token),
      expiresAtMs: big(i.credentials_expire_at_ms),
    },
    {
      region: i.region,
      domain: opt(i.domain),
      order: opt(i.order),
      userAgent,
      minCredentialLifetimeSeconds: opt(i.min_credential_lifetime_seconds),
    },
    BigInt(i.now_ms),
  );
  return { token: t.token, signed_url: t.signedUrl, expires_at_ms: t.expiresAtMs, expires_seconds: t.expiresSeconds };
}

function checkToken(api, i) {
  const check = { dialect: dialect(i), subClaim: opt(i.sub_claim), scopeClaim: opt(i.scope_claim), splitScope: !!i.split_scope };
  const a = api.tokens.checkAccessToken(i.token, check);
  if (i.now_ms !== undefined) api.tokens.checkNotExpired(a, BigInt(i.now_ms), BigInt(i.skew_ms ?? 0));
  return { principal: a.principal, scopes: a.scopes, expires_at_ms: a.expiresAtMs, issued_at_ms: a.issuedAtMs };
}

function brokerCheck(api, i) {
  const check = {
    jwksJson: i.jwks,
    expectedAudience: i.audience ?? [],
    expectedIssuer: opt(i.issuer),
    clockSkewSeconds: big(i.clock_skew_seconds),
  };
  const a = api.tokens.checkAsBroker(i.token, check, BigInt(i.now_ms));
  return { principal: a.principal, expires_at_ms: a.expiresAtMs };
}

function refresh(api, i) {
  let d;
  if (i.client === 'librdkafka') {
    d = api.tokens.refreshAtLibrdkafka(BigInt(i.now_ms), BigInt(i.expires_at_ms));
  } else {
    const c = { ...api.tokens.defaultRefreshConfig() };
    const cfg = i.config ?? {};
    if (cfg.window_factor !== undefined) c.windowFactor = cfg.window_factor;
    if (cfg.window_jitter !== undefined) c.windowJitter = cfg.window_jitter;
    if (cfg.min_period_seconds !== undefined) c.minPeriodSeconds = BigInt(cfg.min_period_seconds);
    if (cfg.buffer_seconds !== undefined) c.bufferSeconds = BigInt(cfg.buffer_seconds);
    d = api.tokens.refreshAtJava(BigInt(i.now_ms), BigInt(i.expires_at_ms), big(i.issued_at_ms), c, i.jitter01 ?? 0);
  }
  return { at_ms: d.atMs, expired: d.expired };
}

function issuer(api, i) {
  const key = api.keys.SigningKey.parse(keyBytes(i), undefined, ALGS[i.alg ?? 'ES256']);
  return withResource(key, (k) =>
    withResource(new api.issuer.LocalIssuer(i.issuer, k), (iss) => {
      const claims = { subject: i.subject, audience: opt(i.audience), scope: opt(i.scope), lifetimeSeconds: i.lifetime_seconds };
      const issued = iss.signAccessToken(claims, BigInt(i.now_ms), opt(i.jti));
      return {
        jwks: JSON.parse(iss.jwks()),
        discovery: JSON.parse(iss.discovery()),
        signing_input: issued.token.slice(0, issued.token.lastIndexOf('.')),
        expires_at_ms: issued.expiresAtMs,
        token: issued.token,
      };
    }),
  );
}

function verifyClientAssertion(api, i) {
  const clients = i.clients.map((c) => ({
    clientId: c.client_id,
    secret: opt(c.secret),
    jwks: (c.jwks ?? []).map((k) => JSON.stringify(k)),
  }));
  const policy = {
    audiences: i.audiences,
    maxLifetimeSeconds: BigInt(i.max_lifetime_seconds ?? 3600),
    clockSkewSeconds: BigInt(i.clock_skew_seconds ?? 30),
    requireJti: !!i.require_jti,
  };
  const c = api.issuer.authenticateClient(i.body, opt(i.authorization), clients, policy, BigInt(i.now_ms), i.seen_jtis ?? []);
  return { client_id: c.clientId };
}

function explain(api, i) {
  const c = i.context ?? {};
  const context = {
    kafkaVersion: c.kafka_version ? [c.kafka_version[0], c.kafka_version[1]] : undefined,
    javaVersion: opt(c.java_version),
    privateKey: c.private_key ? new TextEncoder().encode(c.private_key) : undefined,
    token: opt(c.token),
    idpMaxAssertionLifetimeSeconds: opt(c.idp_max_assertion_lifetime_seconds),
    client: opt(c.client),
    clientVersion: opt(c.client_version),
    brokerReauthMs: big(c.broker_reauth_ms),
    assertionTemplate: c.assertion_template ? new TextEncoder().encode(c.assertion_template) : undefined,
  };
  return { findings: api.explain.explain(props(i), dialect(i), context).map((f) => ({ severity: f.severity, code: f.code })) };
}

function parseKey(api, i) {
  return withResource(api.keys.SigningKey.parse(keyBytes(i), opt(i.passphrase), undefined), (k) => ({
    key_type: KEY_TYPES[k.keyType()],
    thumbprint: k.thumbprint(),
    public_jwk: JSON.parse(k.publicJwk()),
    default_algorithm: ALG_NAMES[k.defaultAlgorithm()],
  }));
}

function lifecycle(api, i) {
  const p = i.policy;
  const settings = {
    fetchTimeoutMs: big(p.fetch_timeout_ms),
    retryBackoffMs: p.retry_backoff_ms?.map(BigInt),
    maxAbandoned: opt(p.max_abandoned),
  };
  const life = api.lifecycle.TokenLifecycle.create(p.client ?? 'kafka-java', settings);
  return withResource(life, (l) => ({
    decisions: i.events.map((e) => {
      const now = BigInt(e.now_ms);
      if (e.event === 'want') {
        const d = l.want(now);
        if (d.tag === 'serve') return { serve: d.val };
        if (d.tag === 'fetch') return { fetch: d.val.fetch, serve: d.val.serve };
        if (d.tag === 'wait') return { wait: d.val.fetch, until_ms: d.val.untilMs, wait_ms: d.val.waitMs };
        return { fail: d.val.tag === 'fetch' ? { fetch: d.val.val } : { error: d.val.val.code } };
      }
      if (e.event === 'succeeded') {
        const arrival = l.fetchSucceeded(BigInt(e.fetch), BigInt(e.expires_at_ms), big(e.issued_at_ms), now, e.jitter01 ?? 0);
        return { arrival };
      }
      if (e.event === 'failed') {
        return { recorded: l.fetchFailed(BigInt(e.fetch), e.retryable, opt(e.retry_after), now, e.random01 ?? 0) };
      }
      const r = l.poll(now);
      return { fetch: r.fetch, wake_at_ms: r.wakeAtMs };
    }),
  }));
}

const OPS = {
  lifecycle,
  parse_key: parseKey,
  sign_assertion: signAssertion,
  config,
  token_request: tokenRequest,
  token_response: tokenResponse,
  retry,
  prebuilt_assertion: (api, i) => {
    const p = api.assertions.checkPrebuiltAssertion(i.contents, BigInt(i.now_ms), i.margin_seconds ?? 30, mode(i));
    return { expires_at: p.expiresAt, value: p.assertion };
  },
  jaas: (api, i) => {
    const e = api.config.parseJaas(i.text);
    return { login_module: e.loginModule, control_flag: e.controlFlag, options: Object.fromEntries(e.options) };
  },
  template: (api, i) => {
    const t = api.config.parseTemplate(i.text, dialect(i));
    return { header: JSON.parse(t.headerJson), payload: JSON.parse(t.payloadJson) };
  },
  google_token: (api, i) => {
    const t = api.providers.googleToken(i.access_token, BigInt(i.expires_at_ms), i.principal, BigInt(i.now_ms), i.style);
    return { token: t.token, expires_at_ms: t.expiresAtMs, principal: t.principal };
  },
  google_principal: (api, i) => {
    const p = api.providers.googlePrincipalFromCredentials(opt(i.credentials_json), opt(i.override));
    return p.tag === 'known' ? { principal: p.val } : { source: p.tag.replaceAll('-', '_') };
  },
  msk_token: mskToken,
  eventhubs_scope: (api, i) => ({ scope: api.providers.eventhubsScope(i.bootstrap_servers, opt(i.scope)) }),
  sasl_client_first: (api, i) => {
    const b = api.sasl.clientFirstMessage(i.token, opt(i.authzid), i.extensions ?? []);
    return { hex: Buffer.from(b).toString('hex'), length: b.length };
  },
  sasl_server_error: (api, i) => {
    const e = api.sasl.parseServerError(new TextEncoder().encode(i.text));
    return { status: e.status, scope: e.scope, openid_configuration: e.openidConfiguration };
  },
  confluent_extensions: (api, i) => {
    const ext = api.sasl.confluentExtensions(i.logical_cluster, opt(i.identity_pool_id));
    return { librdkafka: api.sasl.extensionsLibrdkafka(ext), jaas: api.sasl.extensionsJaas(ext) };
  },
  check_token: checkToken,
  broker_check: brokerCheck,
  refresh,
  endpoint_body: (api, i) => ({
    body: api.tokenEndpoint.tokenResponseBody(i.token, BigInt(i.expires_at_ms), BigInt(i.now_ms), i.style),
  }),
  issuer,
  verify_client_assertion: verifyClientAssertion,
  explain,
};

/** The error record from a thrown guest error — a jco ComponentError's `payload`, or a native
 * error carrying the core's snake_case `code` — rethrowing anything else (a trap, a bug). */
export function guestError(e) {
  if (e && e.payload && typeof e.payload.code === 'string') return e.payload;
  if (e instanceof Error && typeof e.code === 'string' && /^[a-z][a-z_]+$/.test(e.code)) return e;
  throw e;
}

/** Runs `op` on `input`; guest errors become `{error: code}`, traps propagate. */
export function run(api, op, input) {
  try {
    const got = OPS[op](api, input);
    const out = plain(got);
    if (got?.shown) Object.defineProperty(out, 'shown', { value: got.shown });
    return out;
  } catch (e) {
    return refusal(e);
  }
}
