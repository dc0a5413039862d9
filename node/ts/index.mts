// The package `oauthbearer` as an ES module: the CommonJS build's exports, by name.
export * from './index.js';
