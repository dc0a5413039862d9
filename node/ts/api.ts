// The native module grouped into the WIT interfaces' namespaces (keys, config, assertions, …), so
// the same code — and the same test suite — runs on this module and on the jco-transpiled WASI
// component. Only arranges exports and re-types errors.
import * as native from '../index.js';
import { guarded, makeError, TokenEndpointError, typed } from './errors';

type Method = (...args: unknown[]) => unknown;

// Native methods throw plain Errors carrying the core's code; wrap them once so every error this
// package throws is typed (constructors and static methods: `constructed` below). `using` and
// explicit disposal are no-ops (the garbage collector frees).
for (const Class of [
  native.SigningKey,
  native.AssertionSigner,
  native.RetrySchedule,
  native.LocalIssuer,
  native.FileAssertions,
  native.TokenLifecycle,
  native.MskSigner,
] as unknown as Array<{ prototype: Record<string | symbol, unknown> }>) {
  const target = Class.prototype;
  for (const name of Object.getOwnPropertyNames(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, name);
    if (name !== 'constructor' && typeof descriptor?.value === 'function' && descriptor.writable) {
      Object.defineProperty(target, name, { ...descriptor, value: guarded(descriptor.value as Method) });
    }
  }
  if (!Class.prototype[Symbol.dispose]) Class.prototype[Symbol.dispose] = function dispose() {};
}

/**
 * `Class` with its constructor's and static methods' native errors re-typed too. napi-rs defines
 * static methods read-only and non-configurable (the loop above cannot wrap them, nor can a
 * Proxy's `get`), so this is a stand-in constructor sharing `Class.prototype`: `instanceof` and
 * every instance are the native class's.
 */
function constructed<C extends abstract new (...args: never[]) => unknown>(Class: C): C {
  const Native = Class as unknown as new (...args: unknown[]) => object;
  const Typed: Record<string, unknown> & { prototype: unknown } = function (this: unknown, ...args: unknown[]): object {
    const target = new.target as unknown;
    try {
      return Reflect.construct(Native, args, target === Typed || target === undefined ? Native : (target as typeof Native));
    } catch (err) {
      throw typed(err);
    }
  } as unknown as Record<string, unknown> & { prototype: unknown };
  Object.defineProperty(Typed, 'name', { value: Class.name });
  Typed.prototype = Class.prototype;
  for (const name of Object.getOwnPropertyNames(Class)) {
    const value = (Class as unknown as Record<string, unknown>)[name];
    if (typeof value === 'function' && !['length', 'name', 'prototype'].includes(name)) {
      const method = value as Method;
      Typed[name] = guarded((...args: unknown[]) => method.apply(Class, args));
    }
  }
  return Typed as unknown as C;
}

/** Parses a token endpoint's answer; a refusal throws `TokenEndpointError` with `.tokenEndpoint`. */
export function parseTokenResponse(
  status: number,
  contentType: string | undefined | null,
  body: string,
  dialect: native.Dialect,
  properties?: native.Pairs,
): native.TokenResponse {
  // With the client's properties, a refusal never quotes a secret they hold.
  const outcome = guarded(native.parseTokenResponseOutcome)(status, contentType, body, dialect, properties);
  if (outcome.error) {
    const err = makeError(outcome.error.code, outcome.error.message);
    if (err instanceof TokenEndpointError) err.tokenEndpoint = outcome.error.tokenEndpoint;
    throw err;
  }
  return outcome.response!;
}

const g = guarded;

// The classes users construct, with their constructors' errors typed (the package exports these).
export const SigningKey = constructed(native.SigningKey);
export type SigningKey = native.SigningKey;
export const AssertionSigner = constructed(native.AssertionSigner);
export type AssertionSigner = native.AssertionSigner;
export const FileAssertions = constructed(native.FileAssertions);
export type FileAssertions = native.FileAssertions;
export const LocalIssuer = constructed(native.LocalIssuer);
export type LocalIssuer = native.LocalIssuer;
export const RetrySchedule = constructed(native.RetrySchedule);
export type RetrySchedule = native.RetrySchedule;
export const TokenLifecycle = constructed(native.TokenLifecycle);
export type TokenLifecycle = native.TokenLifecycle;
export const MskSigner = constructed(native.MskSigner);
export type MskSigner = native.MskSigner;

/** Keys: parse PEM/DER/JWK once, sign, public JWK, thumbprint. */
export const keys = { SigningKey };
/** Kafka and librdkafka client properties. */
export const config = {
  parseConfig: g(native.parseConfig),
  parseJaas: g(native.parseJaas),
  parseTemplate: g(native.parseTemplate),
  parseProperties: g(native.parseProperties),
  dialectName: g(native.dialectName),
};
/** KIP-1258 client assertions. */
export const assertions = {
  AssertionSigner,
  FileAssertions,
  checkPrebuiltAssertion: g(native.checkPrebuiltAssertion),
};
/** Token requests, responses and Kafka's retry schedule. */
export const tokenEndpoint = {
  clientSecretRequest: g(native.clientSecretRequest),
  clientSecretRequestEncodedScope: g(native.clientSecretRequestEncodedScope),
  clientAssertionRequest: g(native.clientAssertionRequest),
  jwtBearerRequest: g(native.jwtBearerRequest),
  requestFromProperties: g(native.requestFromProperties),
  parseTokenResponse,
  RetrySchedule,
  tokenResponseBody: g(native.tokenResponseBody),
  errorResponseBody: g(native.errorResponseBody),
};
/** Google Managed Kafka and AWS MSK IAM tokens, and Azure Event Hubs' scope. */
export const providers = {
  googleToken: g(native.googleToken),
  googlePrincipalFromCredentials: g(native.googlePrincipalFromCredentials),
  validateGooglePrincipal: g(native.validateGooglePrincipal),
  mskToken: g(native.mskToken),
  MskSigner,
  eventhubsScope: g(native.eventhubsScope),
  azureCredentialFailureMessage: native.azureCredentialFailureMessage,
  credentialFailureMessage: native.credentialFailureMessage,
  sdkSecretVariables: native.sdkSecretVariables,
};
/** The SASL/OAUTHBEARER messages (RFC 7628) and extensions. */
export const sasl = {
  clientFirstMessage: g(native.clientFirstMessage),
  parseServerError: g(native.parseServerError),
  confluentExtensions: g(native.confluentExtensions),
  extensionsLibrdkafka: g(native.extensionsLibrdkafka),
  extensionsJaas: g(native.extensionsJaas),
  validateExtension: g(native.validateExtension),
};
/** Access tokens checked as Kafka clients check them, and the refresh schedule. */
export const tokens = {
  checkAccessToken: g(native.checkAccessToken),
  checkNotExpired: g(native.checkNotExpired),
  checkAsBroker: g(native.checkAsBroker),
  defaultRefreshConfig: native.defaultRefreshConfig,
  refreshAtJava: g(native.refreshAtJava),
  refreshAtLibrdkafka: g(native.refreshAtLibrdkafka),
};
/** A local OAuth issuer (tokens, JWKS, discovery) and client authentication at its token path. */
export const issuer = { LocalIssuer, authenticateClient: g(native.authenticateClient) };
/** The token lifecycle machine: serve, fetch (one in flight), wait (up to a deadline) or fail. */
export const lifecycle = { TokenLifecycle };
/** Findings on a client configuration. */
export const explain = { explain: g(native.explain) };

/**
 * Which build of the core this process loaded: the native addon's platform (`'linux-x64-gnu'`, …)
 * or `'wasm32-wasi'`, the WebAssembly build used where no native addon loads.
 */
export const addonTarget: string = (native as unknown as { addonTarget: string }).addonTarget;
