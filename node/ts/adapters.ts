// Adapters from a provider's Token to each Node Kafka client's callback shape
// (reference: kafka-client-behaviour.md §3). They convert; the provider caches and refreshes.
import { sasl } from './api';
import type { Provider } from './providers';

/** What KafkaJS's `oauthBearerProvider` returns. */
export interface KafkaJSOAuthBearerToken {
  value: string;
  extensions?: Record<string, string>;
}

/**
 * KafkaJS `sasl.oauthBearerProvider`. KafkaJS calls it on every connection and re-authentication
 * and never caches, so the provider's cache does the work.
 */
export function kafkajsOAuthBearerProvider(provider: Provider): () => Promise<KafkaJSOAuthBearerToken> {
  return async () => {
    const token = await provider.token();
    return Object.keys(token.extensions).length
      ? { value: token.value, extensions: { ...token.extensions } }
      : { value: token.value };
  };
}

/** What @confluentinc/kafka-javascript's KafkaJS-compatible `oauthBearerProvider` returns. */
export interface ConfluentOAuthBearerToken {
  value: string;
  principal: string;
  /** Absolute expiry, epoch milliseconds. */
  lifetime: number;
  extensions?: Record<string, string>;
}

/** @confluentinc/kafka-javascript's KafkaJS-compatible `sasl.oauthBearerProvider`. */
export function confluentOAuthBearerProvider(
  provider: Provider,
): (oauthbearerConfig?: string) => Promise<ConfluentOAuthBearerToken> {
  return async () => {
    const token = await provider.token();
    return { value: token.value, principal: token.principal, lifetime: token.expiresAtMs, extensions: { ...token.extensions } };
  };
}

/** What the node-rdkafka-style `oauthbearer_token_refresh_cb` resolves to. */
export interface RdkafkaOAuthBearerToken {
  tokenValue: string;
  /** Absolute expiry, epoch milliseconds. */
  lifetime: number;
  principal: string;
  extensions: Record<string, string>;
}

/** @confluentinc/kafka-javascript's node-rdkafka-style `oauthbearer_token_refresh_cb` (returns a promise). */
export function confluentTokenRefreshCb(
  provider: Provider,
): (oauthbearerConfig: string) => Promise<RdkafkaOAuthBearerToken> {
  return async () => {
    const token = await provider.token();
    return {
      tokenValue: token.value,
      lifetime: token.expiresAtMs,
      principal: token.principal,
      extensions: { ...token.extensions },
    };
  };
}

/** Confluent Cloud's SASL extensions (`logicalCluster`, optional `identityPoolId`), validated. */
export function confluentCloudExtensions(logicalCluster: string, identityPoolId?: string): Record<string, string> {
  return Object.fromEntries(sasl.confluentExtensions(logicalCluster, identityPoolId));
}
