// The error tree: every error this package throws is an OAuthBearerError whose `code` is the core's
// stable code; the subclass is picked by the code's family, which the core defines.
import * as native from '../index.js';

/** Details a token endpoint's refusal carries (HTTP status, RFC 6749 error, retryability). */
export interface TokenEndpointDetails {
  status: number;
  error?: string;
  errorDescription?: string;
  retryable: boolean;
  kafkaMessage: string;
}

/** Base class of every error this package throws; `code` is the core's stable code. */
export class OAuthBearerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A private key problem (format, passphrase, strength, curve, signing). */
export class PrivateKeyError extends OAuthBearerError {}
/** A configuration, algorithm, template, extension or file problem. */
export class ConfigError extends OAuthBearerError {}
/** A pre-built assertion is malformed or expired. */
export class PrebuiltAssertionError extends OAuthBearerError {}
/** The token endpoint refused, failed or was unreachable; `tokenEndpoint` holds the refusal's details. */
export class TokenEndpointError extends OAuthBearerError {
  tokenEndpoint?: TokenEndpointDetails;
  /** The HTTP status when the endpoint answered. */
  get status(): number | undefined {
    return this.tokenEndpoint?.status;
  }
  /** Whether Kafka's client would retry this failure. */
  get retryable(): boolean {
    return this.tokenEndpoint?.retryable ?? this.code === 'token_endpoint_unreachable';
  }
}
/** An access token or SASL message a Kafka client would refuse. */
export class TokenError extends OAuthBearerError {}
/** Cloud credentials are missing, malformed or expiring. */
export class CredentialsError extends OAuthBearerError {}
/** The local issuer refused a client. */
export class ClientAuthenticationError extends OAuthBearerError {}

const classes: Record<string, typeof OAuthBearerError> = {
  private_key: PrivateKeyError,
  config: ConfigError,
  prebuilt_assertion: PrebuiltAssertionError,
  token_endpoint: TokenEndpointError,
  token: TokenError,
  credentials: CredentialsError,
  client_authentication: ClientAuthenticationError,
};
const familyOf = new Map(native.errorFamilies().map((pair): [string, string] => [pair[0], pair[1]]));

/** A new error of the class the core's `code` belongs to. */
export function makeError(code: string, message: string, options?: { cause?: unknown }): OAuthBearerError {
  const Class = classes[familyOf.get(code) ?? ''] ?? OAuthBearerError;
  return new Class(code, message, options);
}

/** Re-types an error thrown by the native module (a plain Error whose `code` is a core code). */
export function typed(err: unknown): unknown {
  if (err instanceof OAuthBearerError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && familyOf.has(code) ? makeError(code, err.message) : err;
}

/** `fn` with its native errors re-typed. */
export function guarded<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return function (this: unknown, ...args: A): R {
    try {
      return fn.apply(this, args);
    } catch (err) {
      throw typed(err);
    }
  };
}
