import { compact, duration, ENVOY_FILTERS, ENVOY_TYPES, fractionalPercent, headerValueOptions, httpStatus, typedExtension, type EnvoyMessage } from '../../xds/envoy-json.ts';
import { RATE_LIMIT_DEFAULT_STATUS, type MeshRateLimitConf } from './schema.ts';

// MeshRateLimit (local) → envoy.filters.http.local_ratelimit and envoy.filters.network.local_ratelimit, as Kuma generates them.

function tokenBucket(rate: { num: number; interval: string }): EnvoyMessage {
  return { max_tokens: rate.num, tokens_per_fill: rate.num, fill_interval: duration(rate.interval) };
}

/** HTTP requests per interval; undefined when the policy sets no HTTP rate or disables it. */
export function httpLocalRateLimitFilter(conf: MeshRateLimitConf): EnvoyMessage | undefined {
  const http = conf.local?.http;
  if (!http?.requestRate || http.disabled) return undefined;
  const status = http.onRateLimit?.status ?? RATE_LIMIT_DEFAULT_STATUS;
  const always = { default_value: fractionalPercent(100), runtime_key: 'local_rate_limit_enabled' };
  return typedExtension(
    ENVOY_FILTERS.localRateLimit,
    ENVOY_TYPES.httpLocalRateLimit,
    compact({
      stat_prefix: 'rate_limit',
      status: status === RATE_LIMIT_DEFAULT_STATUS ? undefined : httpStatus(status), // Envoy answers 429 by default
      token_bucket: tokenBucket(http.requestRate),
      // Without these two the filter is off: Envoy defaults them to 0% for safety.
      filter_enabled: always,
      filter_enforced: { ...always, runtime_key: 'local_rate_limit_enforced' },
      response_headers_to_add: headerValueOptions(http.onRateLimit?.headers),
    }),
  );
}

/** TCP connections per interval (a network filter before tcp_proxy). */
export function networkLocalRateLimitFilter(conf: MeshRateLimitConf): EnvoyMessage | undefined {
  const tcp = conf.local?.tcp;
  if (!tcp?.connectionRate || tcp.disabled) return undefined;
  return typedExtension(ENVOY_FILTERS.networkLocalRateLimit, ENVOY_TYPES.networkLocalRateLimit, {
    stat_prefix: 'tcp_rate_limit',
    token_bucket: tokenBucket(tcp.connectionRate),
  });
}
