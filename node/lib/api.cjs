'use strict';
// The native module grouped into the WIT interfaces' namespaces (keys, config, assertions, …), so
// the same code — and the same test suite — runs on this module and on the jco-transpiled WASI
// component. Only arranges exports and turns error outcomes into thrown errors.
const native = require('../index.js');
const { OAuthBearerError, TokenEndpointError } = require('./errors.cjs');

for (const Class of [native.SigningKey, native.AssertionSigner, native.RetrySchedule, native.LocalIssuer]) {
  // Native objects are freed by the garbage collector; `using` and explicit disposal are no-ops.
  if (!Class.prototype[Symbol.dispose]) Class.prototype[Symbol.dispose] = function dispose() {};
}

/** Parses a token endpoint's answer; a refusal throws `TokenEndpointError` with `.tokenEndpoint`. */
function parseTokenResponse(status, contentType, body, dialect) {
  const outcome = native.parseTokenResponseOutcome(status, contentType, body, dialect);
  if (outcome.error) {
    const Class = outcome.error.tokenEndpoint ? TokenEndpointError : OAuthBearerError;
    throw new Class(outcome.error.code, outcome.error.message, { tokenEndpoint: outcome.error.tokenEndpoint });
  }
  return outcome.response;
}

module.exports = {
  keys: { SigningKey: native.SigningKey },
  config: { parseConfig: native.parseConfig, parseJaas: native.parseJaas, parseTemplate: native.parseTemplate },
  assertions: { AssertionSigner: native.AssertionSigner, checkPrebuiltAssertion: native.checkPrebuiltAssertion },
  tokenEndpoint: {
    clientSecretRequest: native.clientSecretRequest,
    clientSecretRequestEncodedScope: native.clientSecretRequestEncodedScope,
    clientAssertionRequest: native.clientAssertionRequest,
    jwtBearerRequest: native.jwtBearerRequest,
    requestFromProperties: native.requestFromProperties,
    parseTokenResponse,
    RetrySchedule: native.RetrySchedule,
    tokenResponseBody: native.tokenResponseBody,
  },
  providers: {
    googleToken: native.googleToken,
    googlePrincipalFromCredentials: native.googlePrincipalFromCredentials,
    mskToken: native.mskToken,
  },
  sasl: {
    clientFirstMessage: native.clientFirstMessage,
    parseServerError: native.parseServerError,
    confluentExtensions: native.confluentExtensions,
    extensionsLibrdkafka: native.extensionsLibrdkafka,
    extensionsJaas: native.extensionsJaas,
  },
  tokens: {
    checkAccessToken: native.checkAccessToken,
    checkNotExpired: native.checkNotExpired,
    defaultRefreshConfig: native.defaultRefreshConfig,
    refreshAtJava: native.refreshAtJava,
    refreshAtLibrdkafka: native.refreshAtLibrdkafka,
  },
  issuer: { LocalIssuer: native.LocalIssuer, authenticateClient: native.authenticateClient },
  explain: { explain: native.explain },
};
