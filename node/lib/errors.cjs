'use strict';
// The error tree: every error the package throws is an OAuthBearerError whose `code` is the core's
// stable code (native calls throw plain Errors with that code; `wrap` re-types them).

class OAuthBearerError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    Object.assign(this, details);
  }
}

class TokenEndpointError extends OAuthBearerError {}

module.exports = { OAuthBearerError, TokenEndpointError };
